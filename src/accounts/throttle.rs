//! Growing delays after failed logins (and setup codes): a few free tries, then 1 s, 2 s,
//! 4 s… before the next one is even looked at. Counted per client address (capped high: an
//! address that keeps guessing waits long) and per account name (capped low: a learner who
//! types wrong passwords for "admin" all day slows the real admin down by a minute at most,
//! never locks them out). Kept in memory: a restart forgets, which only the box's owner can do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tries allowed before any delay.
pub const FREE_TRIES: u32 = 5;
/// Longest delay for one client address.
pub const ADDRESS_CAP: Duration = Duration::from_secs(15 * 60);
/// Longest delay for one account name (or the setup code).
pub const ACCOUNT_CAP: Duration = Duration::from_secs(60);
/// Failures are forgotten after this long without a new one.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Most addresses and names remembered; beyond, the oldest go.
const MAX_ENTRIES: usize = 10_000;

/// Who a try counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Address(IpAddr),
    /// An account name, as typed (lowercased), whether or not it exists.
    Account(String),
    /// The first-boot setup code (one for the whole kit).
    SetupCode,
}

impl Key {
    fn cap(&self) -> Duration {
        match self {
            Key::Address(_) => ADDRESS_CAP,
            Key::Account(_) | Key::SetupCode => ACCOUNT_CAP,
        }
    }
}

struct Entry {
    failures: u32,
    last: Instant,
    until: Instant,
}

#[derive(Default)]
pub struct Throttle {
    entries: Mutex<HashMap<Key, Entry>>,
}

/// The delay after `failures` failures: none for the free tries, then doubling from 1 s.
fn delay(failures: u32, cap: Duration) -> Duration {
    if failures < FREE_TRIES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_TRIES).min(20);
    Duration::from_secs(1u64 << doublings).min(cap)
}

impl Throttle {
    /// `Err(wait)` when one of `keys` must still wait that long before trying again.
    pub fn check(&self, keys: &[Key], now: Instant) -> Result<(), Duration> {
        let entries = self.lock();
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|e| e.until.saturating_duration_since(now))
            .max()
            .unwrap_or(Duration::ZERO);
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// Counts a failed try against each of `keys`.
    pub fn failed(&self, keys: &[Key], now: Instant) {
        let mut entries = self.lock();
        if entries.len() + keys.len() > MAX_ENTRIES {
            entries.retain(|_, e| now.duration_since(e.last) < FORGET_AFTER);
            while entries.len() + keys.len() > MAX_ENTRIES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.last)
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => entries.remove(&k),
                    None => break,
                };
            }
        }
        for key in keys {
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last: now,
                until: now,
            });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last = now;
            entry.until = now + delay(entry.failures, key.cap());
        }
    }

    /// A success: `keys` start again with their free tries.
    pub fn succeeded(&self, keys: &[Key]) {
        let mut entries = self.lock();
        for key in keys {
            entries.remove(key);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        // The map holds counters only: whatever a panic left is usable.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Key {
        Key::Address(IpAddr::from([10, 42, 0, last]))
    }

    #[test]
    fn five_free_tries_then_doubling_delays_capped() {
        assert_eq!(delay(4, ACCOUNT_CAP), Duration::ZERO);
        assert_eq!(delay(5, ACCOUNT_CAP), Duration::from_secs(1));
        assert_eq!(delay(6, ACCOUNT_CAP), Duration::from_secs(2));
        assert_eq!(delay(8, ACCOUNT_CAP), Duration::from_secs(8));
        assert_eq!(delay(100, ACCOUNT_CAP), ACCOUNT_CAP);
        assert_eq!(delay(100, ADDRESS_CAP), ADDRESS_CAP);
        assert_eq!(delay(u32::MAX, ADDRESS_CAP), ADDRESS_CAP);
    }

    #[test]
    fn a_guessing_address_waits_long_but_the_account_only_a_minute() {
        let t = Throttle::default();
        let now = Instant::now();
        let admin = Key::Account("admin".into());
        for _ in 0..FREE_TRIES - 1 {
            t.failed(&[ip(7), admin.clone()], now);
        }
        assert_eq!(t.check(&[ip(7), admin.clone()], now), Ok(()));
        for _ in 0..30 {
            t.failed(&[ip(7), admin.clone()], now);
        }
        assert_eq!(t.check(&[ip(7)], now), Err(ADDRESS_CAP));
        // The real admin, from another phone, waits at most the account's cap.
        assert_eq!(t.check(&[ip(2), admin.clone()], now), Err(ACCOUNT_CAP));
        assert_eq!(t.check(&[ip(2), admin.clone()], now + ACCOUNT_CAP), Ok(()));
        // A success starts the account again.
        t.succeeded(&[ip(2), admin.clone()]);
        assert_eq!(t.check(&[ip(2), admin], now), Ok(()));
    }

    #[test]
    fn failures_are_forgotten_after_an_hour_and_the_table_is_bounded() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..10 {
            t.failed(&[ip(1)], now);
        }
        let later = now + FORGET_AFTER;
        t.failed(&[ip(1)], later);
        assert_eq!(t.check(&[ip(1)], later), Ok(()), "counting started again");
        for i in 0..(MAX_ENTRIES as u32 + 100) {
            t.failed(&[Key::Account(i.to_string())], later);
        }
        assert!(t.lock().len() <= MAX_ENTRIES);
    }
}
