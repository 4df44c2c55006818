//! What one client may cost the server: bounds on request heads, time-outs on reads and
//! writes, how much of an unread body is discarded to keep a connection, and how many
//! connections are open at once.
//!
//! Without these, one client could grow the process without bound (a request line with no
//! end), hold a thread forever (a body announced and never sent, a response never read), or
//! take every thread and file descriptor (connections that never close).

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::connection::Connection;
use crate::util::RefinedTcpStream;

/// The bounds a [`Server`](crate::Server) puts on each client.
///
/// `Limits::default()` suits a small public server; every field may be changed.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest request line (method, target, version), in bytes: longer gets `414`.
    pub max_request_line: usize,
    /// Largest request head (request line and all header lines), in bytes: larger gets `431`.
    pub max_head: usize,
    /// Most header lines in one request: more gets `431`.
    pub max_headers: usize,
    /// How long a kept-alive connection may wait for the first byte of its next request.
    pub idle_timeout: Duration,
    /// How long a request head may take to arrive once its first byte came: longer gets `408`
    /// and the connection is closed (a client trickling its head one byte at a time).
    pub head_timeout: Duration,
    /// How long one read of a request body by the handler may wait for data.
    pub body_read_timeout: Duration,
    /// How long one write of a response may wait for the client to take data.
    pub write_timeout: Duration,
    /// A handler that leaves at most this many bytes of a body unread keeps the connection:
    /// the connection's own thread discards them. Above it, the connection is closed.
    pub max_discarded_body: usize,
    /// How long discarding an unread body may take before the connection is closed.
    pub discard_timeout: Duration,
    /// A body announced with a `Content-Length` of at most this many bytes is read by the
    /// connection's own thread, within `head_timeout`, before the request is handed out:
    /// a handler reading a small form then never waits on the client (a client that
    /// announces a body and sends it slowly, or never, holds its own thread only). Such a
    /// body arriving late gets `408`. `0` turns this off. (Upstream read bodies of up to
    /// 1024 bytes this way, without the time-out and not when `Expect: 100-continue` was
    /// sent; the default keeps that size.)
    pub prefetch_body: usize,
    /// Most connections open at once. When full, the connection that has waited longest
    /// for a whole request head (idle between requests, or still sending its head) is
    /// closed to make room; if every one has a request being handled, the new one gets
    /// `503`.
    pub max_connections: usize,
    /// Most large response bodies (over 256 KiB: files) sent at once. One thread sends them
    /// all, a piece to each client that can take one, so each costs a buffer (64 KiB; none
    /// for a body sent from its file, `Response::with_file_source`) and no thread of its
    /// own; more wait their turn, in order. Page requests never wait behind them.
    pub max_large_bodies: usize,
    /// The nice value of the thread that sends large bodies (Linux), or `None` to leave it
    /// as the process's. The scheduler shares the CPU per thread: that one thread sends to
    /// every client taking a file, while each client asking for pages has a thread of its
    /// own, so under a flood of page requests the files would get one share among dozens.
    /// A lower value (higher priority) gives them back their part. Setting one below the
    /// process's needs `CAP_SYS_NICE` or a matching `RLIMIT_NICE`; refused, it is logged
    /// once and the thread goes on as it is.
    pub large_bodies_nice: Option<i32>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_line: 8 * 1024,
            max_head: 16 * 1024,
            max_headers: 100,
            idle_timeout: Duration::from_secs(30),
            head_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_discarded_body: 64 * 1024,
            discard_timeout: Duration::from_secs(2),
            prefetch_body: 1024,
            max_connections: 1024,
            max_large_bodies: 64,
            large_bodies_nice: None,
        }
    }
}

/// Marks an unread body of unknown length (a chunked body left mid-way): the connection
/// cannot find the next request and must close.
pub(crate) const UNKNOWN_REST: usize = usize::MAX;

/// What a connection's thread and the requests it handed out share.
pub(crate) struct ConnState {
    /// Reads on the connection's own thread must end by then (head, discarded body).
    deadline: Mutex<Option<Instant>>,
    /// When no deadline is set: the longest a read may wait (a handler reading a body).
    body_read_timeout: Duration,
    /// Bytes of the last request's body that its handler left unread.
    unread_body: AtomicUsize,
    /// The last response said `Connection: close`.
    close: AtomicBool,
    /// A request of this connection is being answered: the connection is not idle, even if
    /// its thread already waits for the next head.
    in_flight: AtomicBool,
    /// A handle on the socket: to close it from elsewhere (the connection cap), and to send
    /// a response without blocking from a handler's thread. `None` for TLS and in tests.
    socket: Option<Connection>,
    /// The server's sender of large bodies, when it has one.
    large: Option<std::sync::Arc<crate::sender::LargeBodies>>,
    /// The connection is encrypted (TLS): its socket is kept to close it, never written to
    /// directly (`send_now`, the large-body sender), which would send plain bytes.
    encrypted: bool,
}

impl ConnState {
    pub(crate) fn new(limits: &Limits, socket: Option<Connection>) -> ConnState {
        ConnState {
            deadline: Mutex::new(None),
            body_read_timeout: limits.body_read_timeout,
            unread_body: AtomicUsize::new(0),
            close: AtomicBool::new(false),
            in_flight: AtomicBool::new(false),
            socket,
            large: None,
            encrypted: false,
        }
    }

    /// The connection goes through TLS (see `encrypted`).
    pub(crate) fn encrypted(mut self, encrypted: bool) -> ConnState {
        self.encrypted = encrypted;
        self
    }

    /// Large bodies of this connection's responses go through `large`.
    pub(crate) fn with_large_bodies(
        mut self,
        large: Option<std::sync::Arc<crate::sender::LargeBodies>>,
    ) -> ConnState {
        self.large = large;
        self
    }

    /// The server's sender of large bodies, if this connection can use it (it has one,
    /// and a socket handle to send on).
    pub(crate) fn large_bodies(&self) -> Option<&std::sync::Arc<crate::sender::LargeBodies>> {
        if self.encrypted {
            return None;
        }
        self.socket.as_ref()?;
        self.large.as_ref()
    }

    /// The socket, to wait until it can take data.
    #[cfg(unix)]
    pub(crate) fn socket_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        Some(match self.socket.as_ref()? {
            Connection::Tcp(s) => s.as_fd(),
            Connection::Unix(s) => s.as_fd(),
        })
    }

    /// Ends the connection at once, waking its thread if it waits to read.
    pub(crate) fn shut_down(&self) {
        if let Some(socket) = &self.socket {
            socket.shutdown(std::net::Shutdown::Both).ok();
        }
    }

    /// Sends as much of `bytes` as the socket takes now, without waiting; returns how much.
    /// The flag is per call (`MSG_DONTWAIT`): the connection's own thread may be reading the
    /// same socket meanwhile, in blocking mode. Nothing on an encrypted connection: all of
    /// it then goes through the connection's writer, which encrypts.
    pub(crate) fn send_now(&self, bytes: &[u8]) -> usize {
        #[cfg(unix)]
        if let Some(socket) = self.socket.as_ref().filter(|_| !self.encrypted) {
            let sock = match socket {
                Connection::Tcp(s) => socket2::SockRef::from(s),
                Connection::Unix(s) => socket2::SockRef::from(s),
            };
            let mut sent = 0;
            while sent < bytes.len() {
                match sock.send_with_flags(&bytes[sent..], libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
                {
                    Ok(0) => break,
                    Ok(n) => sent += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // Full (the rest goes through a writer thread) or broken (which finds
                    // the same error and closes).
                    Err(_) => break,
                }
            }
            return sent;
        }
        let _ = bytes;
        0
    }

    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner()) = deadline;
    }

    fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that a request's body was dropped with `rest` bytes unread.
    pub(crate) fn body_left_unread(&self, rest: usize) {
        self.unread_body.store(rest, Ordering::Release);
    }

    /// Takes the count of unread body bytes left by the last request.
    pub(crate) fn take_unread_body(&self) -> usize {
        self.unread_body.swap(0, Ordering::AcqRel)
    }

    /// The response asked for the connection to be closed after it.
    pub(crate) fn close_after_response(&self) {
        self.close.store(true, Ordering::Release);
    }

    pub(crate) fn must_close(&self) -> bool {
        self.close.load(Ordering::Acquire)
    }

    pub(crate) fn set_in_flight(&self, in_flight: bool) {
        self.in_flight.store(in_flight, Ordering::Release);
    }

    pub(crate) fn in_flight(&self) -> bool {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// The read half of a connection, whose reads end at the connection's deadline (or after
/// the body read time-out when none is set). A time-out is reported as `TimedOut`.
pub(crate) struct TimedReader {
    inner: RefinedTcpStream,
    state: std::sync::Arc<ConnState>,
    /// The time-out last given to the socket, to skip setting it again.
    applied: Option<Duration>,
}

impl TimedReader {
    pub(crate) fn new(inner: RefinedTcpStream, state: std::sync::Arc<ConnState>) -> TimedReader {
        TimedReader {
            inner,
            state,
            applied: None,
        }
    }
}

impl Read for TimedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let timeout = match self.state.deadline() {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "read deadline passed",
                    ));
                }
                left
            }
            None => self.state.body_read_timeout,
        };
        // Rounded so that a deadline does not set the socket option on every read.
        let timeout = timeout.max(Duration::from_millis(1));
        let rounded = Duration::from_millis(timeout.as_millis().min(u64::MAX as u128) as u64);
        if self.applied != Some(rounded) {
            self.inner
                .set_read_timeout(Some(rounded.max(Duration::from_millis(1))))?;
            self.applied = Some(rounded);
        }
        // The socket is non-blocking (patch 13): wait for data first, with the time-out at
        // hand, then read.
        #[cfg(unix)]
        let read = self
            .inner
            .wait_readable(rounded)
            .and_then(|()| self.inner.read(buf));
        #[cfg(not(unix))]
        let read = self.inner.read(buf);
        match read {
            // SO_RCVTIMEO expiring shows as EAGAIN on Unix and ETIMEDOUT-like on Windows.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(io::Error::new(io::ErrorKind::TimedOut, "read timed out"))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    /// A connected pair: the server's end as the crate holds it, and the client's.
    fn pair() -> (Connection, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Connection::from(server), client)
    }

    #[test]
    fn an_encrypted_connection_is_never_written_to_directly() {
        let large = crate::sender::LargeBodies::new(&Limits::default())
            .ok()
            .map(std::sync::Arc::new);
        assert!(large.is_some());
        let (plain, mut plain_client) = pair();
        let state =
            ConnState::new(&Limits::default(), Some(plain)).with_large_bodies(large.clone());
        assert!(state.large_bodies().is_some());
        assert_eq!(state.send_now(b"abc"), 3);
        let mut got = [0u8; 3];
        plain_client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"abc");

        let (tls, _client) = pair();
        let state = ConnState::new(&Limits::default(), Some(tls))
            .with_large_bodies(large)
            .encrypted(true);
        // Plain bytes on a TLS connection would break it: the writer sends them, encrypted.
        assert_eq!(state.send_now(b"abc"), 0);
        assert!(state.large_bodies().is_none());
    }
}
