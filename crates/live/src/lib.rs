//! A swarm's live state as the visualizer shows it. The server keeps one [`Snapshot`] per
//! watched swarm and sends each page the snapshot once, then a [`Delta`] per change; the page
//! applies them to its copy. [`layout`] turns a snapshot into node columns and task cards, the
//! same on the server (the page without JavaScript) and in the browser.

mod layout;
mod snapshot;
pub mod synthetic;

pub use layout::{columns, service_colour, Card, Column, Filter, LegendEntry, GROUP_ABOVE};
pub use snapshot::{Delta, LiveNode, LiveService, LiveTask, Snapshot, Staleness};
