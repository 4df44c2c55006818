//! Pop-up workshops: one session at a time, started by a conseiller, that learners' phones
//! join anonymously (a random device cookie, an optional nickname). The live state is in
//! memory, so a learner's request costs a lock and a few hash lookups; what it changes is
//! sent to a writer thread that batches it into `workshops.sqlite` (kept for the report and
//! a restart, and purged once the session is over for the retention period).

pub mod store;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use store::WorkshopStore;

/// What a session is about; stored once when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Random, 16 hex digits.
    pub id: String,
    pub started_by: String,
    /// The workshop (fiche) it follows, if one was chosen.
    pub workshop: Option<String>,
    pub title: String,
    /// The tutorials learners work through, in order.
    pub tutorials: Vec<String>,
    pub place: String,
    pub planned_minutes: i64,
    pub started_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpRequest {
    pub id: i64,
    pub device: String,
    pub asked_at: i64,
    pub handled_at: Option<i64>,
    pub cancelled_at: Option<i64>,
}

impl HelpRequest {
    pub fn pending(&self) -> bool {
        self.handled_at.is_none() && self.cancelled_at.is_none()
    }
}

/// What learners did, on its way to the database.
#[derive(Debug, Clone)]
pub enum Event {
    Seen {
        device: String,
        at: i64,
    },
    Step {
        device: String,
        tutorial: String,
        step: u32,
    },
    Nickname {
        device: String,
        nickname: Option<String>,
    },
    Help(HelpRequest),
}

/// Most devices one session follows; more phones still use the portal, untracked.
pub const MAX_DEVICES: usize = 2_000;
/// New devices one address may bring into a session (a phone that clears its cookies, a
/// few people sharing one phone).
pub const MAX_DEVICES_PER_ADDRESS: u16 = 8;
/// Longest nickname, in characters.
pub const MAX_NICKNAME: usize = 30;
/// Help requests one device may make in `HELP_WINDOW`.
const HELP_PER_WINDOW: usize = 5;
const HELP_WINDOW: i64 = 600;
/// A device's "seen" time is written at most this often.
const SEEN_EVERY: i64 = 30;
/// Events waiting for the writer; beyond, new ones are dropped (and counted).
const QUEUE: usize = 20_000;

#[derive(Debug, Clone, Default)]
struct Device {
    nickname: Option<String>,
    first_seen: i64,
    last_seen: i64,
    written_seen: i64,
    steps: HashMap<String, BTreeSet<u32>>,
    help_times: VecDeque<i64>,
}

struct Live {
    info: SessionInfo,
    /// Steps of each tutorial of the session.
    totals: HashMap<String, u32>,
    devices: HashMap<String, Device>,
    /// New devices per address (see `touch_from`).
    per_address: HashMap<IpAddr, u16>,
    help: Vec<HelpRequest>,
    next_help: i64,
}

/// Why a learner's help request was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpRefusal {
    NoSession,
    TooMany,
}

/// One device's line on the dashboard.
#[derive(Debug, Clone)]
pub struct DeviceProgress {
    /// "Téléphone 3", or the nickname the learner chose.
    pub label: String,
    pub last_seen: i64,
    /// Steps opened per tutorial of the session, in the session's order.
    pub opened: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Dashboard {
    pub info: SessionInfo,
    /// (tutorial, steps) in the session's order.
    pub tutorials: Vec<(String, u32)>,
    pub phones_recent: usize,
    pub phones_total: usize,
    pub devices: Vec<DeviceProgress>,
    /// Pending requests, oldest first: (id, label, asked_at).
    pub help: Vec<(i64, String, i64)>,
}

/// What a learner's phone sees of the session.
#[derive(Debug, Clone)]
pub struct LearnerView {
    pub info: SessionInfo,
    pub tutorials: Vec<(String, u32, u32)>,
    pub nickname: Option<String>,
    pub help_pending: bool,
}

/// A session that just ended.
#[derive(Debug, Clone)]
pub struct Ended {
    pub info: SessionInfo,
    pub ended_at: i64,
    pub phones: usize,
}

pub struct Workshops {
    data_dir: PathBuf,
    live: Mutex<Option<Live>>,
    running: AtomicBool,
    generation: AtomicU64,
    events: SyncSender<(String, Event)>,
    dropped: AtomicU64,
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    crate::accounts::now()
}

impl Workshops {
    /// Opens the sessions' file, purges what is past retention, takes back a session the
    /// kit was stopped during, and starts the writer thread.
    pub fn start(data_dir: &Path, retention: Duration) -> anyhow::Result<Arc<Workshops>> {
        let mut store = WorkshopStore::open(data_dir)?;
        let purged = store.purge(now(), retention)?;
        if purged > 0 {
            log::info!("workshops: forgot {purged} phone(s) of sessions past retention");
        }
        let live = match store.running()? {
            Some(info) => Some(reload(&store, info)?),
            None => None,
        };
        let (events, queue) = mpsc::sync_channel(QUEUE);
        let workshops = Arc::new(Workshops {
            data_dir: data_dir.to_owned(),
            running: AtomicBool::new(live.is_some()),
            live: Mutex::new(live),
            generation: AtomicU64::new(0),
            events,
            dropped: AtomicU64::new(0),
        });
        std::thread::Builder::new()
            .name("workshop-writer".into())
            .spawn(move || writer(store, queue, retention))?;
        Ok(workshops)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `true` while a session runs (no lock: learner requests check it first).
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Changes when a session starts or ends: learner pages show it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn send(&self, session: &str, event: Event) {
        if self.events.try_send((session.to_owned(), event)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The running session's description.
    pub fn current(&self) -> Option<SessionInfo> {
        self.lock().as_ref().map(|l| l.info.clone())
    }

    /// Starts a session; `Err` with the running one's title if one runs.
    pub fn begin(&self, info: SessionInfo, totals: HashMap<String, u32>) -> Result<(), String> {
        let mut live = self.lock();
        if let Some(running) = live.as_ref() {
            return Err(running.info.title.clone());
        }
        WorkshopStore::open(&self.data_dir)
            .and_then(|mut s| s.insert_session(&info))
            .map_err(|e| e.to_string())?;
        log::info!("workshop started by {}: {}", info.started_by, info.title);
        *live = Some(Live {
            info,
            totals,
            devices: HashMap::new(),
            per_address: HashMap::new(),
            help: Vec::new(),
            next_help: 1,
        });
        self.running.store(true, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Ends the running session.
    pub fn end(&self) -> Option<Ended> {
        let mut live = self.lock();
        let ended = live.take()?;
        let ended_at = now();
        let phones = ended.devices.len();
        self.running.store(false, Ordering::Release);
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(live);
        if let Err(e) = WorkshopStore::open(&self.data_dir)
            .and_then(|mut s| s.end_session(&ended.info.id, ended_at, phones as i64))
        {
            log::warn!("workshop end not recorded: {e}");
        }
        log::info!("workshop ended: {} ({phones} phone(s))", ended.info.title);
        Some(Ended {
            info: ended.info,
            ended_at,
            phones,
        })
    }

    /// A learner's request during a session: the device is seen now. `false` when no session
    /// runs or the session follows as many devices as it may.
    pub fn touch(&self, device: &str) -> bool {
        self.touch_from(device, None)
    }

    /// As `touch`, for a request from `peer`: one address brings at most
    /// `MAX_DEVICES_PER_ADDRESS` new devices (a client that drops its cookie at every request
    /// cannot fill the session and push real phones out of it).
    pub fn touch_from(&self, device: &str, peer: Option<IpAddr>) -> bool {
        let at = now();
        let mut guard = self.lock();
        let Some(live) = guard.as_mut() else {
            return false;
        };
        if !live.devices.contains_key(device) {
            if live.devices.len() >= MAX_DEVICES {
                return false;
            }
            if let Some(ip) = peer {
                let count = live.per_address.entry(ip).or_insert(0);
                if *count >= MAX_DEVICES_PER_ADDRESS {
                    return false;
                }
                *count += 1;
            }
        }
        let d = live
            .devices
            .entry(device.to_owned())
            .or_insert_with(|| Device {
                first_seen: at,
                ..Device::default()
            });
        d.last_seen = at;
        let write = at - d.written_seen >= SEEN_EVERY;
        if write {
            d.written_seen = at;
        }
        let session = live.info.id.clone();
        drop(guard);
        if write {
            self.send(
                &session,
                Event::Seen {
                    device: device.to_owned(),
                    at,
                },
            );
        }
        true
    }

    /// The device opened `step` of `tutorial` (counted when the tutorial is the session's).
    pub fn opened(&self, device: &str, tutorial: &str, steps: std::ops::RangeInclusive<u32>) {
        let mut guard = self.lock();
        let Some(live) = guard.as_mut() else {
            return;
        };
        let Some(&total) = live.totals.get(tutorial) else {
            return;
        };
        let Some(d) = live.devices.get_mut(device) else {
            return;
        };
        let set = d.steps.entry(tutorial.to_owned()).or_default();
        // Only the tutorial's own steps (the range may say "all": 1..=u32::MAX).
        let (first, last) = ((*steps.start()).max(1), (*steps.end()).min(total));
        let new: Vec<u32> = (first..=last).filter(|n| set.insert(*n)).collect();
        let session = live.info.id.clone();
        drop(guard);
        for step in new {
            self.send(
                &session,
                Event::Step {
                    device: device.to_owned(),
                    tutorial: tutorial.to_owned(),
                    step,
                },
            );
        }
    }

    /// Sets (or with an empty text, removes) the device's nickname: plain text, at most
    /// `MAX_NICKNAME` characters, control characters dropped.
    pub fn set_nickname(&self, device: &str, nickname: &str) -> bool {
        let cleaned: String = nickname
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_NICKNAME)
            .collect::<String>()
            .trim()
            .to_owned();
        let nickname = Some(cleaned).filter(|n| !n.is_empty());
        let mut guard = self.lock();
        let Some(live) = guard.as_mut() else {
            return false;
        };
        let Some(d) = live.devices.get_mut(device) else {
            return false;
        };
        d.nickname = nickname.clone();
        let session = live.info.id.clone();
        drop(guard);
        self.send(
            &session,
            Event::Nickname {
                device: device.to_owned(),
                nickname,
            },
        );
        true
    }

    /// "J'ai besoin d'aide": one pending request per device, a few per ten minutes.
    pub fn ask_help(&self, device: &str) -> Result<(), HelpRefusal> {
        let at = now();
        let mut guard = self.lock();
        let live = guard.as_mut().ok_or(HelpRefusal::NoSession)?;
        if live.help.iter().any(|h| h.device == device && h.pending()) {
            return Ok(());
        }
        let d = live.devices.get_mut(device).ok_or(HelpRefusal::NoSession)?;
        while d.help_times.front().is_some_and(|t| at - t >= HELP_WINDOW) {
            d.help_times.pop_front();
        }
        if d.help_times.len() >= HELP_PER_WINDOW {
            return Err(HelpRefusal::TooMany);
        }
        d.help_times.push_back(at);
        let request = HelpRequest {
            id: live.next_help,
            device: device.to_owned(),
            asked_at: at,
            handled_at: None,
            cancelled_at: None,
        };
        live.next_help += 1;
        live.help.push(request.clone());
        let session = live.info.id.clone();
        drop(guard);
        self.send(&session, Event::Help(request));
        Ok(())
    }

    /// The learner takes back their pending request.
    pub fn cancel_help(&self, device: &str) {
        self.settle(|h| h.device == device, |h, at| h.cancelled_at = Some(at));
    }

    /// The conseiller marks request `id` as handled; `false` if there is no such pending one.
    pub fn handle_help(&self, id: i64) -> bool {
        self.settle(|h| h.id == id, |h, at| h.handled_at = Some(at))
    }

    fn settle(
        &self,
        which: impl Fn(&HelpRequest) -> bool,
        mark: impl Fn(&mut HelpRequest, i64),
    ) -> bool {
        let at = now();
        let mut guard = self.lock();
        let Some(live) = guard.as_mut() else {
            return false;
        };
        let Some(h) = live.help.iter_mut().find(|h| h.pending() && which(h)) else {
            return false;
        };
        mark(h, at);
        let (session, event) = (live.info.id.clone(), Event::Help(h.clone()));
        drop(guard);
        self.send(&session, event);
        true
    }

    /// What a learner's phone sees: the session, its own progress, its nickname and help.
    pub fn learner_view(&self, device: Option<&str>) -> Option<LearnerView> {
        let guard = self.lock();
        let live = guard.as_ref()?;
        let d = device.and_then(|id| live.devices.get(id));
        Some(LearnerView {
            info: live.info.clone(),
            tutorials: live
                .info
                .tutorials
                .iter()
                .map(|t| {
                    let opened = d.and_then(|d| d.steps.get(t)).map_or(0, |s| s.len() as u32);
                    (t.clone(), opened, live.totals.get(t).copied().unwrap_or(0))
                })
                .collect(),
            nickname: d.and_then(|d| d.nickname.clone()),
            help_pending: device
                .is_some_and(|id| live.help.iter().any(|h| h.device == id && h.pending())),
        })
    }

    /// The conseiller's dashboard, at `now`.
    pub fn dashboard(&self, at: i64) -> Option<Dashboard> {
        let guard = self.lock();
        let live = guard.as_ref()?;
        let mut order: Vec<(&String, &Device)> = live.devices.iter().collect();
        order.sort_by_key(|(id, d)| (d.first_seen, id.as_str()));
        let labels: HashMap<&str, String> = order
            .iter()
            .enumerate()
            .map(|(i, (id, d))| {
                let label = d.nickname.clone().unwrap_or_else(|| {
                    let n = (i + 1).to_string();
                    crate::i18n::fill(crate::i18n::current().w("phone_n"), &[("n", &n)])
                });
                (id.as_str(), label)
            })
            .collect();
        let devices = order
            .iter()
            .map(|(id, d)| DeviceProgress {
                label: labels[id.as_str()].clone(),
                last_seen: d.last_seen,
                opened: live
                    .info
                    .tutorials
                    .iter()
                    .map(|t| d.steps.get(t).map_or(0, |s| s.len() as u32))
                    .collect(),
            })
            .collect();
        Some(Dashboard {
            info: live.info.clone(),
            tutorials: live
                .info
                .tutorials
                .iter()
                .map(|t| (t.clone(), live.totals.get(t).copied().unwrap_or(0)))
                .collect(),
            phones_recent: live
                .devices
                .values()
                .filter(|d| at - d.last_seen < 300)
                .count(),
            phones_total: live.devices.len(),
            devices,
            help: live
                .help
                .iter()
                .filter(|h| h.pending())
                .map(|h| {
                    let label = labels.get(h.device.as_str()).cloned().unwrap_or_default();
                    (h.id, label, h.asked_at)
                })
                .collect(),
        })
    }

    /// Events dropped because the writer fell behind (the status page shows it).
    pub fn dropped_events(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A session found running at start: its state as last written.
fn reload(store: &WorkshopStore, info: SessionInfo) -> anyhow::Result<Live> {
    let mut devices: HashMap<String, Device> = HashMap::new();
    for (device, nickname, first_seen, last_seen) in store.devices(&info.id)? {
        devices.insert(
            device,
            Device {
                nickname,
                first_seen,
                last_seen,
                written_seen: last_seen,
                ..Device::default()
            },
        );
    }
    for (device, tutorial, step) in store.progress(&info.id)? {
        if let Some(d) = devices.get_mut(&device) {
            d.steps.entry(tutorial).or_default().insert(step);
        }
    }
    let help = store.help(&info.id)?;
    let next_help = help.iter().map(|h| h.id).max().unwrap_or(0) + 1;
    log::info!(
        "workshop still running from before the restart: {}",
        info.title
    );
    Ok(Live {
        totals: HashMap::new(),
        info,
        devices,
        per_address: HashMap::new(),
        help,
        next_help,
    })
}

/// Steps of each tutorial, for a session taken back after a restart.
impl Workshops {
    pub fn set_totals_if_missing(&self, totals: impl FnOnce(&[String]) -> HashMap<String, u32>) {
        let mut guard = self.lock();
        if let Some(live) = guard.as_mut() {
            if live.totals.is_empty() {
                live.totals = totals(&live.info.tutorials);
            }
        }
    }
}

/// Writes what learners did in batches (one transaction every half second at most), and
/// purges what is past retention every hour.
fn writer(mut store: WorkshopStore, queue: Receiver<(String, Event)>, retention: Duration) {
    const BATCH_EVERY: Duration = Duration::from_millis(500);
    const PURGE_EVERY: Duration = Duration::from_secs(3600);
    let mut last_purge = Instant::now();
    let mut batch: Vec<(String, Event)> = Vec::new();
    loop {
        match queue.recv_timeout(BATCH_EVERY) {
            Ok(first) => {
                batch.push(first);
                let until = Instant::now() + BATCH_EVERY;
                while batch.len() < 5_000 {
                    match queue.recv_timeout(until.saturating_duration_since(Instant::now())) {
                        Ok(event) => batch.push(event),
                        Err(_) => break,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if !batch.is_empty() {
            let mut by_session: HashMap<String, Vec<Event>> = HashMap::new();
            for (session, event) in batch.drain(..) {
                by_session.entry(session).or_default().push(event);
            }
            for (session, events) in by_session {
                if let Err(e) = store.write(&session, &events) {
                    log::warn!("workshop progress not written: {e}");
                }
            }
        }
        if last_purge.elapsed() >= PURGE_EVERY {
            last_purge = Instant::now();
            match store.purge(now(), retention) {
                Ok(0) => {}
                Ok(n) => log::info!("workshops: forgot {n} phone(s) of sessions past retention"),
                Err(e) => log::warn!("workshops purge failed: {e}"),
            }
        }
    }
}

/// A new random id (`bytes` random bytes as hex).
pub fn random_id(bytes: usize) -> String {
    crate::accounts::random_hex(bytes).unwrap_or_else(|_| format!("{:x}", now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str) -> SessionInfo {
        SessionInfo {
            id: id.into(),
            started_by: "claire".into(),
            workshop: Some("proteger-ses-comptes".into()),
            title: "Protéger ses comptes".into(),
            tutorials: vec!["a".into(), "b".into()],
            place: "Médiathèque".into(),
            planned_minutes: 90,
            started_at: now(),
        }
    }

    fn totals() -> HashMap<String, u32> {
        [("a".to_owned(), 3), ("b".to_owned(), 2)]
            .into_iter()
            .collect()
    }

    fn wait_written(dir: &Path, session: &str, devices: i64) {
        let start = Instant::now();
        loop {
            let store = WorkshopStore::open(dir).unwrap();
            if store.device_count(session).unwrap() == devices {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn a_session_follows_devices_steps_nicknames_and_help() {
        let dir = tempfile::tempdir().unwrap();
        let w = Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap();
        assert!(!w.touch("d1"), "no session, nothing followed");
        w.begin(info("s1"), totals()).unwrap();
        assert!(w.begin(info("s2"), totals()).is_err(), "one at a time");
        assert!(w.touch("d1") && w.touch("d2"));
        w.opened("d1", "a", 1..=1);
        w.opened("d1", "a", 2..=2);
        w.opened("d1", "a", 2..=2);
        w.opened("d1", "zzz", 1..=1);
        w.opened("d2", "b", 1..=2);
        w.opened("d2", "b", 9..=9);
        w.opened("d2", "a", 1..=u32::MAX);
        assert!(w.set_nickname("d2", "  Lulu <b>\u{7}  "));
        assert_eq!(w.ask_help("d1"), Ok(()));
        assert_eq!(w.ask_help("d1"), Ok(()), "a second tap keeps one request");
        let board = w.dashboard(now()).unwrap();
        assert_eq!(board.phones_recent, 2);
        assert_eq!(board.devices[0].opened, [2, 0]);
        assert_eq!(board.devices[1].label, "Lulu <b>");
        assert_eq!(board.devices[1].opened, [3, 2]);
        assert_eq!(board.help.len(), 1);
        let view = w.learner_view(Some("d1")).unwrap();
        assert!(view.help_pending);
        assert_eq!(view.tutorials[0], ("a".to_owned(), 2, 3));
        w.cancel_help("d1");
        assert!(w.dashboard(now()).unwrap().help.is_empty());
        w.ask_help("d1").unwrap();
        let id = w.dashboard(now()).unwrap().help[0].0;
        assert!(w.handle_help(id));
        assert!(!w.handle_help(id));
        wait_written(dir.path(), "s1", 2);

        // A restart during the session takes it back as written.
        drop(w);
        let again = Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap();
        again.set_totals_if_missing(|_| totals());
        let board = again.dashboard(now()).unwrap();
        assert_eq!(board.phones_total, 2);
        assert_eq!(board.devices[0].opened, [2, 0]);
        let ended = again.end().unwrap();
        assert_eq!(ended.phones, 2);
        assert!(again.end().is_none());
        assert!(!again.touch("d1"));
    }

    #[test]
    fn one_address_dropping_its_cookie_cannot_fill_the_session() {
        let dir = tempfile::tempdir().unwrap();
        let w = Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap();
        w.begin(info("s1"), totals()).unwrap();
        let flood: IpAddr = [10, 42, 0, 66].into();
        let taken = (0..100)
            .filter(|i| w.touch_from(&format!("flood-{i}"), Some(flood)))
            .count();
        assert_eq!(taken, MAX_DEVICES_PER_ADDRESS as usize);
        // Devices already in keep coming; another phone still joins.
        assert!(w.touch_from("flood-0", Some(flood)));
        assert!(w.touch_from("phone", Some([10, 42, 0, 7].into())));
        assert_eq!(
            w.dashboard(now()).unwrap().phones_total,
            MAX_DEVICES_PER_ADDRESS as usize + 1
        );
    }

    #[test]
    fn help_requests_are_limited_per_device() {
        let dir = tempfile::tempdir().unwrap();
        let w = Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap();
        w.begin(info("s1"), totals()).unwrap();
        w.touch("d1");
        for _ in 0..HELP_PER_WINDOW {
            w.ask_help("d1").unwrap();
            w.cancel_help("d1");
        }
        assert_eq!(w.ask_help("d1"), Err(HelpRefusal::TooMany));
        assert_eq!(w.ask_help("unknown"), Err(HelpRefusal::NoSession));
    }

    #[test]
    fn devices_are_forgotten_after_the_retention_even_if_the_kit_was_off() {
        let dir = tempfile::tempdir().unwrap();
        let w = Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap();
        w.begin(info("s1"), totals()).unwrap();
        w.touch("d1");
        w.opened("d1", "a", 1..=3);
        wait_written(dir.path(), "s1", 1);
        w.end().unwrap();
        drop(w);
        let mut store = WorkshopStore::open(dir.path()).unwrap();
        // Set the clock: an hour less a minute later, kept; an hour later, gone.
        let retention = Duration::from_secs(3600);
        assert_eq!(store.purge(now() + 3540, retention).unwrap(), 0);
        assert_eq!(store.device_count("s1").unwrap(), 1);
        assert_eq!(store.purge(now() + 3601, retention).unwrap(), 1);
        assert!(store.progress("s1").unwrap().is_empty());
        // At start: a session ended long ago is purged when the kit comes back.
        let w = Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap();
        w.begin(info("s2"), totals()).unwrap();
        w.touch("d9");
        wait_written(dir.path(), "s2", 1);
        w.end().unwrap();
        drop(w);
        let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
        conn.execute("UPDATE sessions SET ended_at = 1 WHERE id = 's2'", [])
            .unwrap();
        drop(Workshops::start(dir.path(), Duration::from_secs(3600)).unwrap());
        assert_eq!(
            WorkshopStore::open(dir.path())
                .unwrap()
                .device_count("s2")
                .unwrap(),
            0
        );
    }
}
