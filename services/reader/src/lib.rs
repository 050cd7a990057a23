//! A reader replica: the query side of `lately`.
//!
//! [`replica`] follows the log into an in-memory [`lately_projection::Projection`] and saves
//! snapshots; [`routes`] answers from that memory alone, so a replica keeps serving (and
//! reporting its lag) while the database is away. Any number of replicas run side by side and
//! converge to the same state, which `/v1/status` lets anyone check through `state_hash`.

pub mod configuration;
pub mod feeds;
pub mod home_page;
pub mod item_page;
pub mod list_page;
pub mod owner_page;
pub mod page;
pub mod replica;
pub mod routes;
pub mod sitemap;
pub mod startup;
pub mod stream;
pub mod widget;
pub mod year_page;
