//! The open connections, so that their number stays bounded: when full, the one that has
//! waited longest for its next request is closed to make room for a new one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::limits::ConnState;

pub struct Registry {
    max: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    open: HashMap<u64, Entry>,
}

struct Entry {
    /// The connection's state, to shut it down from the accept thread.
    conn: Option<Arc<ConnState>>,
    /// Since when the connection waits for a request (`None`: one is being handled).
    waiting_since: Option<Instant>,
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    registry: Arc<Registry>,
    id: u64,
}

impl Registry {
    pub fn new(max: usize) -> Registry {
        Registry {
            max: max.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// Makes room for one more connection, closing the longest-waiting one if the registry
    /// is full. `None`: full of connections whose requests are being handled.
    pub(crate) fn admit(self: &Arc<Self>, conn: Option<Arc<ConnState>>) -> Option<Slot> {
        let mut inner = self.lock();
        if inner.open.len() >= self.max {
            let oldest = inner
                .open
                .iter()
                .filter(|(_, e)| !e.conn.as_ref().is_some_and(|c| c.in_flight()))
                .filter_map(|(id, e)| e.waiting_since.map(|since| (since, *id)))
                .min()
                .map(|(_, id)| id)?;
            if let Some(entry) = inner.open.remove(&oldest) {
                if let Some(conn) = entry.conn {
                    // Wakes its thread, blocked reading, which then ends the connection.
                    conn.shut_down();
                }
            }
        }
        let id = inner.next_id;
        inner.next_id += 1;
        inner.open.insert(
            id,
            Entry {
                conn,
                waiting_since: Some(Instant::now()),
            },
        );
        Some(Slot {
            registry: Arc::clone(self),
            id,
        })
    }
}

impl Slot {
    /// The connection now waits for its next request (`true`) or has one (`false`).
    pub fn set_waiting(&self, waiting: bool) {
        if let Some(entry) = self.registry.lock().open.get_mut(&self.id) {
            entry.waiting_since = waiting.then(Instant::now);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.lock().open.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::Registry;
    use std::sync::Arc;

    #[test]
    fn a_full_registry_closes_the_longest_waiting_connection() {
        let registry = Arc::new(Registry::new(2));
        let first = registry.admit(None).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = registry.admit(None).unwrap();
        second.set_waiting(false);
        let third = registry
            .admit(None)
            .expect("room made by closing the first");
        assert_eq!(registry.len(), 2);
        drop(first); // already gone: nothing else removed
        assert_eq!(registry.len(), 2);
        third.set_waiting(false);
        assert!(
            registry.admit(None).is_none(),
            "both busy: the new one is refused"
        );
        drop(second);
        assert!(registry.admit(None).is_some());
    }
}
