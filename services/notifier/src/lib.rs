//! The notifier: posts a tweet for every public finish, exactly once.
//!
//! * [`worker`] tails the log into a projection (for titles and visibility) and, while it is
//!   the leader ([`leader`]), scans finishes into the durable [`store`] outbox, reconciles
//!   entries a crash left in `posting`, and posts what is due through [`x`]; it deletes
//!   the tweets that should no longer stand (a finish taken back, an item removed or made
//!   private).
//! * [`compose`] turns a finish into text that fits X's limits; [`cover`] fetches the
//!   item's cover to go with it.
pub mod compose;
pub mod configuration;
pub mod cover;
pub mod leader;
pub mod startup;
pub mod store;
pub mod worker;
pub mod x;

/// How long the notifier waits for PostgreSQL to answer a statement (the leader lock's, the
/// outbox's) before it takes the database for unreachable.
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);
