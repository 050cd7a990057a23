//! The writer's memory of the items it wrote recently: each one's folded state and version,
//! so that a command does not read and fold the item's whole stream again.
//!
//! The log stays the authority; the memory only saves reads, and can be wrong in just one way:
//! stale, when something else appended to the item (another writer process, or a request
//! whose outcome this process never learned). Staleness is harmless by construction:
//! * an accepted command is appended with the remembered version as its expected version, so a
//!   stale state ends in a conflict, and the command is decided again on the item's state
//!   read from the log;
//! * a command is only ever *refused* on state read from the log in the same attempt — a
//!   refusal on remembered state is re-checked first.
//!
//! Bounded (least recently used items are forgotten) so that memory does not grow with the log.

use std::sync::Mutex;

use hashlink::LruCache;
use lately_domain::ItemState;

pub struct Streams {
    items: Mutex<LruCache<String, ItemState>>,
}

impl Streams {
    pub fn new(capacity: usize) -> Self {
        Self {
            items: Mutex::new(LruCache::new(capacity.max(1))),
        }
    }

    pub fn get(&self, stream: &str) -> Option<ItemState> {
        self.items
            .lock()
            .expect("not poisoned")
            .get(stream)
            .cloned()
    }

    pub fn remember(&self, stream: &str, state: ItemState) {
        self.items
            .lock()
            .expect("not poisoned")
            .insert(stream.to_owned(), state);
    }

    pub fn forget(&self, stream: &str) {
        self.items.lock().expect("not poisoned").remove(stream);
    }
}
