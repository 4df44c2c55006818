//! What sync did lately, for the packs page: one line per step (also logged), the last
//! upstream pass, and a way to ask for a pass now.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Lines kept for the page.
const KEPT: usize = 30;

#[derive(Debug, Clone)]
pub struct Line {
    /// Seconds since 1970 (UTC).
    pub at: u64,
    pub ok: bool,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub lines: Vec<Line>,
    /// What is being done now ("téléchargement de …").
    pub now: Option<String>,
    /// The last finished upstream pass: when, and whether everything listed is installed.
    pub last_pass: Option<(u64, bool)>,
    /// When the next upstream attempt is due (seconds since 1970).
    pub next_try: Option<u64>,
}

#[derive(Default)]
pub struct Status {
    inner: Mutex<Snapshot>,
    woken: Mutex<bool>,
    wake: Condvar,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Status {
    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One step: logged, and kept for the page (newest first).
    pub fn note(&self, ok: bool, text: impl Into<String>) {
        let text = text.into();
        if ok {
            log::info!("sync: {text}");
        } else {
            log::warn!("sync: {text}");
        }
        let mut inner = self.lock();
        inner.lines.insert(
            0,
            Line {
                at: now_secs(),
                ok,
                text,
            },
        );
        inner.lines.truncate(KEPT);
    }

    pub fn set_now(&self, now: Option<String>) {
        self.lock().now = now;
    }

    pub fn pass_done(&self, ok: bool, next_in: Duration) {
        let mut inner = self.lock();
        inner.last_pass = Some((now_secs(), ok));
        inner.next_try = Some(now_secs() + next_in.as_secs());
        inner.now = None;
    }

    pub fn set_next_try(&self, next_in: Duration) {
        self.lock().next_try = Some(now_secs() + next_in.as_secs());
    }

    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    /// Asks the upstream loop for a pass now.
    pub fn wake(&self) {
        *self.woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    /// Waits `timeout`, or less if woken; `true` when woken.
    pub fn sleep(&self, timeout: Duration) -> bool {
        let woken = self.woken.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut woken, _) = self
            .wake
            .wait_timeout_while(woken, timeout, |w| !*w)
            .unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut *woken)
    }
}
