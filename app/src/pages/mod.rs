pub mod audit;
pub mod create_swarm;
pub mod hosts;
pub mod login;
pub mod nodes;
pub mod swarm;
pub mod swarms;
