//! The engine's event stream (`docker events`): one long-lived answer of JSON lines, read as
//! it comes. Swarm managers report services, nodes, networks, secrets and configs; every engine
//! reports its own containers (start, die, health), which is how a task's change is seen
//! within a second although swarm events carry no tasks.

use std::collections::BTreeMap;

use bytes::{Buf, BytesMut};
use futures::stream::BoxStream;
use serde::Deserialize;

use crate::{DockerClient, Result};

/// The longest event line kept; a longer one (labels can be large) is skipped whole.
const MAX_EVENT: usize = 64 * 1024;

/// One event, as much of it as Flotilla reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// `service`, `node`, `container`, `network`, `secret`, `config`, …
    pub kind: String,
    /// `create`, `update`, `remove`, `start`, `die`, `health_status: healthy`, …
    pub action: String,
    pub actor_id: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(rename = "Action", default)]
    action: String,
    #[serde(rename = "Actor", default)]
    actor: WireActor,
}

#[derive(Deserialize, Default)]
struct WireActor {
    #[serde(rename = "ID", default)]
    id: String,
    #[serde(rename = "Attributes", default)]
    attributes: BTreeMap<String, String>,
}

/// Splits the stream into lines, skipping any longer than [`MAX_EVENT`].
#[derive(Default)]
struct Lines {
    buffer: BytesMut,
    skipping: bool,
}

impl Lines {
    fn push(&mut self, data: &[u8]) -> Vec<EngineEvent> {
        self.buffer.extend_from_slice(data);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let line = self.buffer.split_to(end + 1);
            if std::mem::take(&mut self.skipping) {
                continue;
            }
            if let Ok(wire) = serde_json::from_slice::<Wire>(&line) {
                events.push(EngineEvent {
                    kind: wire.kind,
                    action: wire.action,
                    actor_id: wire.actor.id,
                    attributes: wire.actor.attributes,
                });
            }
        }
        if self.buffer.len() > MAX_EVENT {
            self.buffer.advance(self.buffer.len());
            self.skipping = true;
        }
        events
    }
}

impl DockerClient {
    /// Events from now on that pass `filters` (`[("type", &["service", "node"])]`, as
    /// `docker events --filter` takes them), until the engine or the connection goes.
    pub async fn events(
        &self,
        filters: &[(&str, &[&str])],
    ) -> Result<BoxStream<'static, Result<EngineEvent>>> {
        let filters: serde_json::Map<String, serde_json::Value> = filters
            .iter()
            .map(|(name, values)| ((*name).to_owned(), serde_json::json!(values)))
            .collect();
        let filters = serde_json::Value::Object(filters).to_string();
        let path = format!(
            "/v{}/events?filters={}",
            self.api_version(),
            crate::service::percent_encode(&filters)
        );
        let mut lines = Lines::default();
        self.raw
            .decoded_stream(
                &path,
                (&self.endpoint, "follow the engine's events"),
                "event",
                move |data| lines.push(data),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_events_even_when_split() {
        let mut lines = Lines::default();
        let text = concat!(
            r#"{"Type":"service","Action":"update","Actor":{"ID":"s1","Attributes":{"name":"shop_web","replicas.new":"5"}},"time":1}"#,
            "\n",
            r#"{"Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{"com.docker.swarm.task.id":"t1"}}}"#,
            "\n"
        );
        let (first, second) = text.split_at(40);
        assert!(lines.push(first.as_bytes()).is_empty());
        let events = lines.push(second.as_bytes());
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].kind, "service");
        assert_eq!(events[0].attributes["name"], "shop_web");
        assert_eq!(events[1].action, "start");
        assert_eq!(events[1].attributes["com.docker.swarm.task.id"], "t1");
    }

    #[test]
    fn an_overlong_line_is_skipped_and_the_next_read() {
        let mut lines = Lines::default();
        let huge = format!(r#"{{"Type":"x","Action":"{}"}}"#, "a".repeat(MAX_EVENT * 2));
        assert!(lines.push(huge.as_bytes()).is_empty());
        assert!(lines.buffer.is_empty(), "nothing held");
        let rest = "\n{\"Type\":\"node\",\"Action\":\"update\",\"Actor\":{\"ID\":\"n1\"}}\n";
        let events = lines.push(rest.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "node");
    }
}
