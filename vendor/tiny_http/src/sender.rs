//! Large response bodies (files), sent by one thread for all connections.
//!
//! Before this, each response too big to send at once got a thread of its own, which then
//! blocked on its client: twenty phones playing one video held twenty threads (each with its
//! stack and a copy buffer) for as long as they played, and there was no bound on how many.
//! Here one thread waits on every such socket at once (`poll(2)`) and sends each a piece
//! when it can take one, without blocking (`MSG_DONTWAIT`): a body in progress costs one
//! buffer of `CHUNK` bytes, the thread is shared, and at most `Limits::max_large_bodies` are
//! in progress (later ones wait their turn, in order). Each client gets one piece per round,
//! so a fast one cannot starve a slow one. A client that takes nothing for
//! `Limits::write_timeout` is dropped, as a blocked writer would be.
//!
//! PATCH (sendfile): a body that the handler said is part of a file
//! (`Response::with_file_source`) goes from the file to the socket with `sendfile(2)` (on
//! Linux), with no copy through this process and no buffer: the socket is non-blocking for
//! good (see `Connection`), so `sendfile` takes what fits and never waits. Each client
//! still gets at most `TURN_BYTES` per round.

use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::limits::{ConnState, Limits};

/// Bytes read from a body and sent per piece.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Most pieces sent to one client in one round, while its socket takes them whole: fewer
/// rounds (each a `poll` over every socket) for fast clients, a bounded turn for each.
const PIECES_PER_TURN: usize = 16;

/// Most bytes sent to one client in one round (a read body sends them as `PIECES_PER_TURN`
/// pieces; a file body with one `sendfile`).
const TURN_BYTES: usize = CHUNK * PIECES_PER_TURN;

/// The thread ends after this long with nothing to send (the next body starts it again).
const IDLE_EXIT: Duration = Duration::from_secs(5);

/// One response being sent: its head, then `left` bytes of `body`.
pub(crate) struct Job {
    pub(crate) conn: Arc<ConnState>,
    /// What is read and not yet sent, and how much of it was sent.
    pub(crate) buf: Vec<u8>,
    pub(crate) sent: usize,
    /// The body's reader; not read when `file` is there, but dropped at the end only.
    pub(crate) body: Box<dyn Read + Send>,
    /// Where the body is in a file, to send it from there (`sendfile`). Its offset moves
    /// on as bytes go out.
    pub(crate) file: Option<crate::response::FileSource>,
    /// Body bytes still to read.
    pub(crate) left: usize,
    /// Told when the job ends, sent or not (dropped last: it releases the connection).
    pub(crate) on_end: Box<dyn FnOnce(bool) + Send>,
}

/// Where jobs wait, and the thread that sends them.
pub(crate) struct LargeBodies {
    state: Mutex<State>,
    max_active: usize,
    write_timeout: Duration,
    /// The thread's nice value, if it is to differ from the process's.
    nice: Option<i32>,
    /// Written to wake the thread when a job arrives while it waits on sockets.
    wake_write: UnixStream,
    wake_read: UnixStream,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<Job>,
    running: bool,
}

impl LargeBodies {
    pub(crate) fn new(limits: &Limits) -> std::io::Result<LargeBodies> {
        let (wake_write, wake_read) = UnixStream::pair()?;
        wake_write.set_nonblocking(true)?;
        wake_read.set_nonblocking(true)?;
        Ok(LargeBodies {
            state: Mutex::new(State::default()),
            max_active: limits.max_large_bodies.max(1),
            write_timeout: limits.write_timeout,
            nice: limits.large_bodies_nice,
            wake_write,
            wake_read,
        })
    }

    /// Queues a body to send; starts the sending thread if it is not running. Gives the job
    /// back if no thread can be started.
    pub(crate) fn submit(self: &Arc<Self>, job: Job) -> Result<(), Job> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.push_back(job);
        if state.running {
            drop(state);
            // A full pipe already wakes the thread: nothing is lost if this write fails.
            let _ = std::io::Write::write(&mut &self.wake_write, b"x");
            return Ok(());
        }
        let me = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name("tiny-http-sender".into())
            .stack_size(128 * 1024)
            .spawn(move || me.run());
        match started {
            Ok(_) => {
                state.running = true;
                Ok(())
            }
            Err(_) => Err(state.waiting.pop_back().expect("just pushed")),
        }
    }

    fn run(&self) {
        if let Some(nice) = self.nice {
            set_thread_nice(nice);
        }
        let mut active: Vec<(Job, Instant)> = Vec::new();
        let mut idle_since = Instant::now();
        loop {
            self.drain_wake();
            {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                while active.len() < self.max_active {
                    let Some(job) = state.waiting.pop_front() else {
                        break;
                    };
                    active.push((job, Instant::now() + self.write_timeout));
                }
                if active.is_empty() {
                    if idle_since.elapsed() >= IDLE_EXIT {
                        state.running = false;
                        return;
                    }
                } else {
                    idle_since = Instant::now();
                }
            }
            let ready = self.wait(&active);
            let now = Instant::now();
            let mut kept = Vec::with_capacity(active.len());
            for ((mut job, deadline), state) in active.drain(..).zip(ready) {
                let outcome = match state {
                    Some(true) => job.send_turn(),
                    Some(false) => Outcome::Failed,
                    None => Outcome::More,
                };
                match outcome {
                    Outcome::Progress => kept.push((job, now + self.write_timeout)),
                    Outcome::More if now < deadline => kept.push((job, deadline)),
                    Outcome::More | Outcome::Failed => job.end(false),
                    Outcome::Done => job.end(true),
                }
            }
            active = kept;
        }
    }

    /// Waits until some socket can take data (or fails), a job arrives, or the next
    /// deadline. For each job: `Some(true)` writable, `Some(false)` broken, `None` not yet.
    fn wait(&self, active: &[(Job, Instant)]) -> Vec<Option<bool>> {
        use rustix::event::{PollFd, PollFlags, Timespec};
        let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(active.len() + 1);
        let mut has_fd = Vec::with_capacity(active.len());
        for (job, _) in active {
            match job.conn.socket_fd() {
                Some(fd) => {
                    fds.push(PollFd::from_borrowed_fd(fd, PollFlags::OUT));
                    has_fd.push(true);
                }
                None => has_fd.push(false),
            }
        }
        fds.push(PollFd::new(&self.wake_read, PollFlags::IN));
        let now = Instant::now();
        let timeout = active
            .iter()
            .map(|(_, deadline)| deadline.saturating_duration_since(now))
            .min()
            .unwrap_or(IDLE_EXIT)
            .clamp(Duration::from_millis(1), IDLE_EXIT);
        let timeout = Timespec {
            tv_sec: timeout.as_secs() as _,
            tv_nsec: timeout.subsec_nanos() as _,
        };
        let n = rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0);
        let mut polled = fds.iter();
        has_fd
            .into_iter()
            .map(|has| {
                if !has {
                    return Some(false);
                }
                let revents = polled.next().map(|p| p.revents())?;
                if n == 0 {
                    None
                } else if revents.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL) {
                    Some(false)
                } else if revents.contains(PollFlags::OUT) {
                    Some(true)
                } else {
                    None
                }
            })
            .collect()
    }

    fn drain_wake(&self) {
        let mut sink = [0u8; 64];
        while matches!((&self.wake_read).read(&mut sink), Ok(n) if n > 0) {}
    }
}

enum Outcome {
    /// Some bytes went out.
    Progress,
    /// Nothing could go out now (the socket is full; a broken one shows in the next poll).
    More,
    Done,
    Failed,
}

impl Job {
    /// Sends pieces while the socket takes them whole, at most `PIECES_PER_TURN`, or (a
    /// file body) at most `TURN_BYTES` of the file.
    fn send_turn(&mut self) -> Outcome {
        if self.file.is_some() {
            return self.send_file_turn();
        }
        let mut progressed = false;
        for _ in 0..PIECES_PER_TURN {
            match self.send_piece() {
                Outcome::Progress if self.sent == self.buf.len() => progressed = true,
                Outcome::Progress => return Outcome::Progress,
                Outcome::More if progressed => return Outcome::Progress,
                other => return other,
            }
        }
        if progressed {
            Outcome::Progress
        } else {
            Outcome::More
        }
    }

    /// Sends one piece: what is left of the buffer, or the next `CHUNK` of the body.
    fn send_piece(&mut self) -> Outcome {
        if self.sent == self.buf.len() {
            if self.left == 0 {
                return Outcome::Done;
            }
            self.buf.resize(CHUNK.min(self.left), 0);
            match read_full(&mut self.body, &mut self.buf) {
                Ok(n) if n > 0 => {
                    self.buf.truncate(n);
                    self.left -= n;
                    self.sent = 0;
                }
                // The body ended before its announced length: the client cannot tell where
                // this response ends, so the connection must close.
                _ => return Outcome::Failed,
            }
        }
        let n = self.conn.send_now(&self.buf[self.sent..]);
        self.sent += n;
        if self.sent == self.buf.len() && self.left == 0 {
            Outcome::Done
        } else if n > 0 {
            Outcome::Progress
        } else {
            Outcome::More
        }
    }

    /// The head (what is left of it in `buf`), then one `sendfile` of at most `TURN_BYTES`.
    fn send_file_turn(&mut self) -> Outcome {
        let mut progressed = false;
        if self.sent < self.buf.len() {
            let n = self.conn.send_now(&self.buf[self.sent..]);
            self.sent += n;
            if self.sent < self.buf.len() {
                return if n > 0 {
                    Outcome::Progress
                } else {
                    Outcome::More
                };
            }
            progressed = n > 0;
        }
        if self.left == 0 {
            return Outcome::Done;
        }
        let (Some(file), Some(socket)) = (&mut self.file, self.conn.socket_fd()) else {
            return Outcome::Failed;
        };
        match send_file(socket, file, self.left.min(TURN_BYTES)) {
            Ok(0) => Outcome::Failed,
            Ok(n) => {
                self.left -= n;
                if self.left == 0 {
                    Outcome::Done
                } else {
                    Outcome::Progress
                }
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::Interrupted =>
            {
                if progressed {
                    Outcome::Progress
                } else {
                    Outcome::More
                }
            }
            Err(_) => Outcome::Failed,
        }
    }

    pub(crate) fn end(self, sent: bool) {
        let Job {
            on_end, body, file, ..
        } = self;
        drop(file);
        drop(body);
        on_end(sent);
    }
}

/// Sends up to `count` bytes of `file` from its offset to the (non-blocking) socket, and
/// moves the offset on. `Ok(0)`: the file ends before its announced length (the client
/// cannot tell where this response ends, so the connection must close).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn send_file(
    socket: std::os::fd::BorrowedFd<'_>,
    file: &mut crate::response::FileSource,
    count: usize,
) -> std::io::Result<usize> {
    Ok(rustix::fs::sendfile(
        socket,
        &file.file,
        Some(&mut file.offset),
        count,
    )?)
}

/// No `sendfile` here: `large_body` never gives a file source to the sender.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn send_file(
    _socket: std::os::fd::BorrowedFd<'_>,
    _file: &mut crate::response::FileSource,
    _count: usize,
) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Gives the calling thread the scheduling priority `nice` (Linux: `setpriority` on the
/// thread's id). Lowering it below the process's needs a privilege (`CAP_SYS_NICE`, or an
/// `RLIMIT_NICE` that allows it); without one the thread keeps its priority, said once in
/// the log.
fn set_thread_nice(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), nice) {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                log::warn!(
                    "The large-body sender keeps its priority (nice {nice} refused: {e}); \
                     under load, files may get less CPU than other answers. To allow it: \
                     RLIMIT_NICE (systemd: LimitNICE={nice}) or CAP_SYS_NICE"
                )
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// Reads until `buf` is full or the body ends.
fn read_full(body: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match body.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
