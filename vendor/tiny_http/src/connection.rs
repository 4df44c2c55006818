//! Abstractions of Tcp and Unix socket types

#[cfg(unix)]
use std::os::unix::net as unix_net;
use std::{
    net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs},
    path::PathBuf,
};

/// Unified listener. Either a [`TcpListener`] or [`std::os::unix::net::UnixListener`]
pub enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(unix_net::UnixListener),
}
impl Listener {
    pub(crate) fn local_addr(&self) -> std::io::Result<ListenAddr> {
        match self {
            Self::Tcp(l) => l.local_addr().map(ListenAddr::from),
            #[cfg(unix)]
            Self::Unix(l) => l.local_addr().map(ListenAddr::from),
        }
    }

    /// Accepts a connection, its socket made non-blocking for good (see [`Connection`]).
    pub(crate) fn accept(&self) -> std::io::Result<(Connection, Option<SocketAddr>)> {
        let (conn, addr) = match self {
            Self::Tcp(l) => l
                .accept()
                .map(|(conn, addr)| (Connection::from(conn), Some(addr)))?,
            #[cfg(unix)]
            Self::Unix(l) => l.accept().map(|(conn, _)| (Connection::from(conn), None))?,
        };
        #[cfg(unix)]
        conn.set_nonblocking()?;
        Ok((conn, addr))
    }
}
impl From<TcpListener> for Listener {
    fn from(s: TcpListener) -> Self {
        Self::Tcp(s)
    }
}
#[cfg(unix)]
impl From<unix_net::UnixListener> for Listener {
    fn from(s: unix_net::UnixListener) -> Self {
        Self::Unix(s)
    }
}

/// Unified connection. Either a [`TcpStream`] or [`std::os::unix::net::UnixStream`].
///
/// PATCH (sendfile): an accepted socket is non-blocking (`O_NONBLOCK`) for its whole life,
/// so that the large-body sender may `sendfile(2)` to it without waiting: `sendfile` has no
/// per-call flag like `send`'s `MSG_DONTWAIT`, and `O_NONBLOCK` belongs to the socket's open
/// file description, shared by every handle on it (the connection's thread reading the next
/// request, a writer, the sender). Turning it on around each `sendfile` would make a read
/// starting meanwhile on another thread fail at once.
///
/// So reads and writes through a `Connection` wait here, as a blocking socket would: on
/// `WouldBlock` they `poll(2)` the socket until it is ready, for at most the time-out set
/// with `set_read_timeout` / `set_write_timeout` (kept in the socket, `SO_RCVTIMEO` /
/// `SO_SNDTIMEO`, and read back on this slow path only; none: for ever), then try again.
/// When that time runs out they fail with `WouldBlock`, the error a blocking socket gives
/// when its time-out expires, so every layer above behaves as before. A socket that is
/// blocking (one the crate connects, not accepts) never gets here.
#[derive(Debug)]
pub(crate) enum Connection {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(unix_net::UnixStream),
}
impl std::io::Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut deadline = None;
        loop {
            let read = match self {
                Self::Tcp(s) => s.read(buf),
                #[cfg(unix)]
                Self::Unix(s) => s.read(buf),
            };
            match read {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.wait(Direction::Read, &mut deadline)?
                }
                other => return other,
            }
        }
    }
}
impl std::io::Write for Connection {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut deadline = None;
        loop {
            let written = match self {
                Self::Tcp(s) => s.write(buf),
                #[cfg(unix)]
                Self::Unix(s) => s.write(buf),
            };
            match written {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.wait(Direction::Write, &mut deadline)?
                }
                other => return other,
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Self::Unix(s) => s.flush(),
        }
    }
}

/// What a wait on a non-blocking socket is for.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

impl Connection {
    /// Makes the socket non-blocking (see [`Connection`]).
    #[cfg(unix)]
    fn set_nonblocking(&self) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_nonblocking(true),
            #[cfg(unix)]
            Self::Unix(s) => s.set_nonblocking(true),
        }
    }

    /// Waits until the socket is ready to `direction`, within the socket's time-out for it,
    /// counted from the first wait of one read or write (`deadline`, set here: `Some(None)`
    /// is no time-out). Fails with `WouldBlock` when the time is out, as a blocking socket's
    /// read or write does when its `SO_RCVTIMEO` / `SO_SNDTIMEO` expires.
    #[cfg(unix)]
    fn wait(
        &self,
        direction: Direction,
        deadline: &mut Option<Option<std::time::Instant>>,
    ) -> std::io::Result<()> {
        use rustix::event::{PollFd, PollFlags, Timespec};
        use std::io::{Error, ErrorKind};
        use std::time::Instant;
        let deadline = match deadline {
            Some(deadline) => *deadline,
            None => {
                let timeout = match direction {
                    Direction::Read => self.read_timeout()?,
                    Direction::Write => self.write_timeout()?,
                };
                *deadline.insert(timeout.map(|t| Instant::now() + t))
            }
        };
        let flags = match direction {
            Direction::Read => PollFlags::IN,
            Direction::Write => PollFlags::OUT,
        };
        loop {
            let left = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::new(ErrorKind::WouldBlock, "socket time-out expired"));
                    }
                    Some(Timespec {
                        tv_sec: left.as_secs() as _,
                        tv_nsec: left.subsec_nanos() as _,
                    })
                }
                None => None,
            };
            let mut fds = [match self {
                Self::Tcp(s) => PollFd::new(s, flags),
                #[cfg(unix)]
                Self::Unix(s) => PollFd::new(s, flags),
            }];
            match rustix::event::poll(&mut fds, left.as_ref()) {
                // Ready, or failed (`POLLERR`, `POLLHUP`): the next read or write says which.
                Ok(n) if n > 0 => return Ok(()),
                // Timed out: the check above ends it (a poll may wake a little early).
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Waits until the socket has something to read (or failed, or was shut down), at most
    /// `timeout`; `WouldBlock` when the time runs out. A reader that knows its time-out and
    /// expects to wait (the next request head on a kept-alive connection) calls this before
    /// reading: one `poll` and one read, where a read first costs a failed read, a
    /// `getsockopt` and the same `poll`.
    #[cfg(unix)]
    pub(crate) fn wait_readable(&self, timeout: std::time::Duration) -> std::io::Result<()> {
        let mut deadline = Some(std::time::Instant::now().checked_add(timeout));
        self.wait(Direction::Read, &mut deadline)
    }

    /// Sockets are left blocking where `poll` is not at hand: a `WouldBlock` is then a
    /// time-out that expired.
    #[cfg(not(unix))]
    fn wait(
        &self,
        _direction: Direction,
        _deadline: &mut Option<Option<std::time::Instant>>,
    ) -> std::io::Result<()> {
        Err(std::io::ErrorKind::WouldBlock.into())
    }

    #[cfg(unix)]
    fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
        match self {
            Self::Tcp(s) => s.read_timeout(),
            #[cfg(unix)]
            Self::Unix(s) => s.read_timeout(),
        }
    }

    #[cfg(unix)]
    fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
        match self {
            Self::Tcp(s) => s.write_timeout(),
            #[cfg(unix)]
            Self::Unix(s) => s.write_timeout(),
        }
    }

    /// Writes what the socket takes now, without waiting (a socket accepted here is
    /// non-blocking); returns how much.
    pub(crate) fn write_now(&self, bytes: &[u8]) -> std::io::Result<usize> {
        use std::io::Write;
        match self {
            Self::Tcp(s) => (&*s).write(bytes),
            #[cfg(unix)]
            Self::Unix(s) => (&*s).write(bytes),
        }
    }

    /// Gets the peer's address. Some for TCP, None for Unix sockets.
    pub(crate) fn peer_addr(&mut self) -> std::io::Result<Option<SocketAddr>> {
        match self {
            Self::Tcp(s) => s.peer_addr().map(Some),
            #[cfg(unix)]
            Self::Unix(_) => Ok(None),
        }
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.shutdown(how),
            #[cfg(unix)]
            Self::Unix(s) => s.shutdown(how),
        }
    }

    pub(crate) fn set_read_timeout(&self, t: Option<std::time::Duration>) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_read_timeout(t),
            #[cfg(unix)]
            Self::Unix(s) => s.set_read_timeout(t),
        }
    }

    pub(crate) fn set_write_timeout(&self, t: Option<std::time::Duration>) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_write_timeout(t),
            #[cfg(unix)]
            Self::Unix(s) => s.set_write_timeout(t),
        }
    }

    pub(crate) fn try_clone(&self) -> std::io::Result<Self> {
        match self {
            Self::Tcp(s) => s.try_clone().map(Self::from),
            #[cfg(unix)]
            Self::Unix(s) => s.try_clone().map(Self::from),
        }
    }
}
impl From<TcpStream> for Connection {
    fn from(s: TcpStream) -> Self {
        Self::Tcp(s)
    }
}
#[cfg(unix)]
impl From<unix_net::UnixStream> for Connection {
    fn from(s: unix_net::UnixStream) -> Self {
        Self::Unix(s)
    }
}

#[derive(Debug, Clone)]
pub enum ConfigListenAddr {
    IP(Vec<SocketAddr>),
    #[cfg(unix)]
    // TODO: use SocketAddr when bind_addr is stabilized
    Unix(std::path::PathBuf),
}
impl ConfigListenAddr {
    pub fn from_socket_addrs<A: ToSocketAddrs>(addrs: A) -> std::io::Result<Self> {
        addrs.to_socket_addrs().map(|it| Self::IP(it.collect()))
    }

    #[cfg(unix)]
    pub fn unix_from_path<P: Into<PathBuf>>(path: P) -> Self {
        Self::Unix(path.into())
    }

    pub(crate) fn bind(&self) -> std::io::Result<Listener> {
        match self {
            Self::IP(a) => TcpListener::bind(a.as_slice()).map(Listener::from),
            #[cfg(unix)]
            Self::Unix(a) => unix_net::UnixListener::bind(a).map(Listener::from),
        }
    }
}

/// Unified listen socket address. Either a [`SocketAddr`] or [`std::os::unix::net::SocketAddr`].
#[derive(Debug, Clone)]
pub enum ListenAddr {
    IP(SocketAddr),
    #[cfg(unix)]
    Unix(unix_net::SocketAddr),
}
impl ListenAddr {
    pub fn to_ip(self) -> Option<SocketAddr> {
        match self {
            Self::IP(s) => Some(s),
            #[cfg(unix)]
            Self::Unix(_) => None,
        }
    }

    /// Gets the Unix socket address.
    ///
    /// This is also available on non-Unix platforms, for ease of use, but always returns `None`.
    #[cfg(unix)]
    pub fn to_unix(self) -> Option<unix_net::SocketAddr> {
        match self {
            Self::IP(_) => None,
            Self::Unix(s) => Some(s),
        }
    }
    #[cfg(not(unix))]
    pub fn to_unix(self) -> Option<SocketAddr> {
        None
    }
}
impl From<SocketAddr> for ListenAddr {
    fn from(s: SocketAddr) -> Self {
        Self::IP(s)
    }
}
#[cfg(unix)]
impl From<unix_net::SocketAddr> for ListenAddr {
    fn from(s: unix_net::SocketAddr) -> Self {
        Self::Unix(s)
    }
}
impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::IP(s) => s.fmt(f),
            #[cfg(unix)]
            Self::Unix(s) => std::fmt::Debug::fmt(s, f),
        }
    }
}
