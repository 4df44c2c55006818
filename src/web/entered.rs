//! The phones that pressed "Entrer" on the captive portal, by IP address: a table of bounded
//! size in which a lookup, a refresh, an insert and an eviction each cost O(1), so the lock
//! around it is held briefly however full it is.
//!
//! Entries sit in a list ordered by last activity (a phone seen again moves to the back), so
//! the expired entries, then the least recently active one, are always at the front: the
//! table never has to be scanned to find what to drop.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// No entry (the end of the list).
const NIL: usize = usize::MAX;
/// Expired entries dropped from the front at most per `enter`: each entry is dropped once,
/// so this bounds the work of one call without letting expired entries pile up.
const EXPIRED_PER_ENTER: usize = 8;

#[derive(Debug)]
struct Node {
    ip: IpAddr,
    seen: Instant,
    /// Less recently active neighbour, or `NIL`.
    prev: usize,
    /// More recently active neighbour, or `NIL`.
    next: usize,
}

/// At most `capacity` addresses, each remembered until `expiry` passes without activity.
#[derive(Debug)]
pub struct Entered {
    /// Address → its node in `nodes`.
    index: HashMap<IpAddr, usize>,
    /// The list's nodes; slots listed in `free` are unused.
    nodes: Vec<Node>,
    free: Vec<usize>,
    /// Least recently active.
    head: usize,
    /// Most recently active.
    tail: usize,
    capacity: usize,
    expiry: Duration,
}

impl Entered {
    /// An empty table for at most `capacity` addresses (at least one).
    pub fn new(capacity: usize, expiry: Duration) -> Entered {
        Entered {
            index: HashMap::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity: capacity.max(1),
            expiry,
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Forgets every address.
    pub fn clear(&mut self) {
        *self = Entered::new(self.capacity, self.expiry);
    }

    /// Remembers `ip` as active at `now` (`now` never goes back between calls). Drops a few
    /// expired entries, then, if the table is still full, the least recently active one.
    pub fn enter(&mut self, ip: IpAddr, now: Instant) {
        if let Some(&i) = self.index.get(&ip) {
            self.refresh(i, now);
            return;
        }
        for _ in 0..EXPIRED_PER_ENTER {
            match self.nodes.get(self.head) {
                Some(oldest) if self.is_expired(oldest.seen, now) => self.remove(self.head),
                _ => break,
            }
        }
        if self.index.len() >= self.capacity {
            self.remove(self.head);
        }
        let node = Node {
            ip,
            seen: now,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.push_back(i);
        self.index.insert(ip, i);
    }

    /// `true` when `ip` is remembered and was active less than `expiry` before `now`; that
    /// counts as activity. An expired address is forgotten.
    pub fn touch(&mut self, ip: IpAddr, now: Instant) -> bool {
        let Some(&i) = self.index.get(&ip) else {
            return false;
        };
        if self.is_expired(self.nodes[i].seen, now) {
            self.remove(i);
            return false;
        }
        self.refresh(i, now);
        true
    }

    /// How many addresses were active at or after `since` (all with `None`): walks from the
    /// most recently active, so it costs what it counts.
    pub fn active_since(&self, since: Option<Instant>) -> usize {
        let mut count = 0;
        let mut i = self.tail;
        while i != NIL && since.is_none_or(|s| self.nodes[i].seen >= s) {
            count += 1;
            i = self.nodes[i].prev;
        }
        count
    }

    fn is_expired(&self, seen: Instant, now: Instant) -> bool {
        now.saturating_duration_since(seen) >= self.expiry
    }

    /// Marks node `i` active at `now`: it moves to the back of the list.
    fn refresh(&mut self, i: usize, now: Instant) {
        self.nodes[i].seen = now;
        if i != self.tail {
            self.unlink(i);
            self.push_back(i);
        }
    }

    /// Drops node `i` (nothing when `i` is `NIL`).
    fn remove(&mut self, i: usize) {
        if i == NIL {
            return;
        }
        self.unlink(i);
        self.index.remove(&self.nodes[i].ip);
        self.free.push(i);
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.nodes[i].prev, self.nodes[i].next);
        match prev {
            NIL => self.head = next,
            p => self.nodes[p].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.nodes[n].prev = prev,
        }
        self.nodes[i].prev = NIL;
        self.nodes[i].next = NIL;
    }

    fn push_back(&mut self, i: usize) {
        self.nodes[i].prev = self.tail;
        self.nodes[i].next = NIL;
        match self.tail {
            NIL => self.head = i,
            t => self.nodes[t].next = i,
        }
        self.tail = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPIRY: Duration = Duration::from_secs(60);

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 42, 0, n])
    }

    fn secs(t0: Instant, s: u64) -> Instant {
        t0 + Duration::from_secs(s)
    }

    /// The addresses remembered, least recently active first (walks the list).
    fn order(table: &Entered) -> Vec<IpAddr> {
        let mut out = Vec::new();
        let mut i = table.head;
        while i != NIL {
            out.push(table.nodes[i].ip);
            i = table.nodes[i].next;
        }
        assert_eq!(out.len(), table.len(), "list and index disagree");
        out
    }

    #[test]
    fn an_address_expires_after_expiry_without_activity_and_activity_extends_it() {
        let t0 = Instant::now();
        let mut table = Entered::new(10, EXPIRY);
        assert!(!table.touch(ip(1), t0));
        table.enter(ip(1), t0);
        assert!(table.touch(ip(1), secs(t0, 59)));
        // Seen at 59 s: still there at 118 s, gone at 119 s.
        assert!(table.touch(ip(1), secs(t0, 118)));
        assert!(!table.touch(ip(1), secs(t0, 178)));
        assert_eq!(table.len(), 0, "an expired address is forgotten");
        assert!(!table.touch(ip(1), secs(t0, 178)));
        // Entering again starts over.
        table.enter(ip(1), secs(t0, 200));
        assert!(table.touch(ip(1), secs(t0, 259)));
    }

    #[test]
    fn the_table_never_holds_more_than_its_capacity() {
        let t0 = Instant::now();
        let mut table = Entered::new(3, EXPIRY);
        for n in 1..=5 {
            table.enter(ip(n), secs(t0, n.into()));
        }
        assert_eq!(table.len(), 3);
        assert_eq!(order(&table), [ip(3), ip(4), ip(5)]);
        // Entering again an address already there takes no room.
        table.enter(ip(4), secs(t0, 6));
        assert_eq!(order(&table), [ip(3), ip(5), ip(4)]);
        // Slots are reused: the node storage does not grow past the capacity.
        for n in 6..=200 {
            table.enter(ip(n), secs(t0, n.into()));
        }
        assert_eq!(table.len(), 3);
        assert!(table.nodes.len() <= 3, "{}", table.nodes.len());
    }

    #[test]
    fn when_full_the_least_recently_active_address_goes_first() {
        let t0 = Instant::now();
        let mut table = Entered::new(3, EXPIRY);
        table.enter(ip(1), secs(t0, 1));
        table.enter(ip(2), secs(t0, 2));
        table.enter(ip(3), secs(t0, 3));
        // 1 entered first but was seen last: 2 is now the least recently active.
        assert!(table.touch(ip(1), secs(t0, 4)));
        table.enter(ip(4), secs(t0, 5));
        assert_eq!(order(&table), [ip(3), ip(1), ip(4)]);
        assert!(!table.touch(ip(2), secs(t0, 6)));
        table.enter(ip(5), secs(t0, 7));
        assert_eq!(order(&table), [ip(1), ip(4), ip(5)]);
    }

    #[test]
    fn expired_addresses_go_before_any_active_one() {
        let t0 = Instant::now();
        let mut table = Entered::new(3, EXPIRY);
        table.enter(ip(1), secs(t0, 0));
        table.enter(ip(2), secs(t0, 1));
        table.enter(ip(3), secs(t0, 50));
        // At 61 s, 1 and 2 have expired: both go, 3 stays though the table was full.
        table.enter(ip(4), secs(t0, 61));
        assert_eq!(order(&table), [ip(3), ip(4)]);
        // Not full: expired addresses still go as new ones arrive (3 at 110 s, 4 not yet).
        table.enter(ip(5), secs(t0, 111));
        assert_eq!(order(&table), [ip(4), ip(5)]);
    }

    #[test]
    fn one_enter_drops_a_bounded_batch_of_expired_addresses() {
        let t0 = Instant::now();
        let mut table = Entered::new(100, EXPIRY);
        for n in 0..20 {
            table.enter(ip(n), t0);
        }
        table.enter(ip(100), secs(t0, 60));
        assert_eq!(table.len(), 20 - EXPIRED_PER_ENTER + 1);
        // The rest never answer as entered, and go with the next arrivals.
        assert!(!table.touch(ip(19), secs(t0, 60)));
        table.enter(ip(101), secs(t0, 61));
        table.enter(ip(102), secs(t0, 62));
        assert_eq!(order(&table), [ip(100), ip(101), ip(102)]);
    }

    #[test]
    fn clear_forgets_everything() {
        let t0 = Instant::now();
        let mut table = Entered::new(3, EXPIRY);
        table.enter(ip(1), t0);
        table.clear();
        assert_eq!(table.len(), 0);
        assert!(!table.touch(ip(1), t0));
        table.enter(ip(2), t0);
        assert_eq!(order(&table), [ip(2)]);
    }
}

/// The table against the obvious one it replaces (a map scanned when full): every answer
/// and every remembered address agree, whatever the sequence.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const CAPACITY: usize = 4;
    const EXPIRY: Duration = Duration::from_millis(10);

    /// The former table: a map; when full, drop every expired address, then the oldest.
    #[derive(Default)]
    struct Scanned(HashMap<IpAddr, Instant>);

    impl Scanned {
        fn enter(&mut self, ip: IpAddr, now: Instant) {
            if self.0.len() >= CAPACITY && !self.0.contains_key(&ip) {
                self.0.retain(|_, seen| now.duration_since(*seen) < EXPIRY);
                if self.0.len() >= CAPACITY {
                    let oldest = self
                        .0
                        .iter()
                        .min_by_key(|(_, seen)| **seen)
                        .map(|(k, _)| *k);
                    if let Some(oldest) = oldest {
                        self.0.remove(&oldest);
                    }
                }
            }
            self.0.insert(ip, now);
        }

        fn touch(&mut self, ip: IpAddr, now: Instant) -> bool {
            match self.0.get_mut(&ip) {
                Some(seen) if now.duration_since(*seen) < EXPIRY => {
                    *seen = now;
                    true
                }
                Some(_) => {
                    self.0.remove(&ip);
                    false
                }
                None => false,
            }
        }

        /// Addresses still active at `now`, with when they were last seen.
        fn active(&self, now: Instant) -> Vec<(IpAddr, Instant)> {
            let mut out: Vec<_> = self
                .0
                .iter()
                .filter(|(_, seen)| now.duration_since(**seen) < EXPIRY)
                .map(|(ip, seen)| (*ip, *seen))
                .collect();
            out.sort();
            out
        }
    }

    fn active(table: &Entered, now: Instant) -> Vec<(IpAddr, Instant)> {
        let mut out: Vec<_> = table
            .index
            .iter()
            .map(|(ip, &i)| (*ip, table.nodes[i].seen))
            .filter(|(_, seen)| now.duration_since(*seen) < EXPIRY)
            .collect();
        out.sort();
        out
    }

    proptest! {
        #[test]
        fn the_table_answers_as_the_scanned_map_did(
            ops in proptest::collection::vec((any::<bool>(), 0u8..7, 1u64..4_000), 1..200)
        ) {
            let mut now = Instant::now();
            let mut table = Entered::new(CAPACITY, EXPIRY);
            let mut model = Scanned::default();
            for (enter, n, micros) in ops {
                // Time moves on between calls, as with `Instant::now()` under the lock.
                now += Duration::from_micros(micros);
                let ip = IpAddr::from([10, 42, 0, n]);
                if enter {
                    table.enter(ip, now);
                    model.enter(ip, now);
                } else {
                    prop_assert_eq!(table.touch(ip, now), model.touch(ip, now));
                }
                prop_assert!(table.len() <= CAPACITY);
                prop_assert_eq!(active(&table, now), model.active(now));
            }
        }
    }
}
