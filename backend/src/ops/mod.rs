//! Operating the process: the [`runtime`] that starts and stops every background loop,
//! the [`cluster`] of processes sharing one database, the [`usage`] record and report,
//! the [`metrics`] of the queues, and the hourly [`upkeep`].
//!
//! May import everything else in this crate; nothing imports `ops` but the server.

pub mod cluster;
pub mod metrics;
pub mod runtime;
pub mod upkeep;
pub mod usage;

pub use cluster::Cluster;
pub use runtime::{Runtime, RuntimeOptions};
