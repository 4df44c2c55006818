//! systemd's notification protocol (`sd_notify`), without libsystemd: one datagram to
//! `$NOTIFY_SOCKET` says the kit is ready, still alive (the unit's watchdog), or stopping.
//! Outside systemd every call does nothing.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Notifier {
    socket: Option<(UnixDatagram, SocketAddr)>,
    /// Half the watchdog time-out, as systemd recommends; `None`: no watchdog.
    keep_alive_every: Option<Duration>,
    last_keep_alive: Mutex<Option<Instant>>,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` as systemd sets them.
    pub fn from_env() -> Notifier {
        let var = |name| std::env::var_os(name);
        let socket = var("NOTIFY_SOCKET").and_then(|path| {
            match (
                socket_address(path.as_encoded_bytes()),
                UnixDatagram::unbound(),
            ) {
                (Some(addr), Ok(socket)) => Some((socket, addr)),
                (None, _) => {
                    log::warn!("NOTIFY_SOCKET `{}` is not usable", path.to_string_lossy());
                    None
                }
                (_, Err(e)) => {
                    log::warn!("cannot make a socket for systemd notifications: {e}");
                    None
                }
            }
        });
        let for_us = var("WATCHDOG_PID")
            .map(|pid| pid.to_str() == Some(&std::process::id().to_string()))
            .unwrap_or(true);
        let usec = var("WATCHDOG_USEC")
            .and_then(|v| v.to_str()?.parse::<u64>().ok())
            .filter(|&usec| usec > 0 && for_us);
        Notifier::new(socket, usec.map(Duration::from_micros))
    }

    /// A notifier that does nothing (tests, or a kit not started by systemd).
    pub fn disabled() -> Notifier {
        Notifier::new(None, None)
    }

    fn new(socket: Option<(UnixDatagram, SocketAddr)>, watchdog: Option<Duration>) -> Notifier {
        Notifier {
            keep_alive_every: watchdog.filter(|_| socket.is_some()).map(|w| w / 2),
            socket,
            last_keep_alive: Mutex::new(None),
        }
    }

    /// The kit answers requests (`Type=notify` units wait for this).
    pub fn ready(&self) {
        self.send("READY=1");
    }

    /// The kit is stopping on purpose.
    pub fn stopping(&self) {
        self.send("STOPPING=1");
    }

    /// How often the watchdog wants to hear from the kit (half its time-out), if it does.
    pub fn keep_alive_interval(&self) -> Option<Duration> {
        self.keep_alive_every
    }

    /// Tells the watchdog the kit is alive, at most every half time-out. Call it often.
    pub fn keep_alive(&self) {
        let Some(every) = self.keep_alive_every else {
            return;
        };
        let mut last = self
            .last_keep_alive
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|at| at.elapsed() >= every) {
            *last = Some(Instant::now());
            self.send("WATCHDOG=1");
        }
    }

    fn send(&self, message: &str) {
        if let Some((socket, addr)) = &self.socket {
            if let Err(e) = socket.send_to_addr(message.as_bytes(), addr) {
                log::warn!("systemd notification `{message}` failed: {e}");
            }
        }
    }
}

/// `@name` is an abstract socket, anything else a path.
fn socket_address(raw: &[u8]) -> Option<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    match raw {
        [] => None,
        [b'@', name @ ..] => SocketAddr::from_abstract_name(name).ok(),
        path => SocketAddr::from_pathname(std::ffi::OsStr::from_bytes(path)).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening() -> (tempfile::TempDir, UnixDatagram, SocketAddr) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let addr = socket_address(path.as_os_str().as_encoded_bytes()).unwrap();
        (dir, server, addr)
    }

    fn recv(server: &UnixDatagram) -> String {
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn ready_and_keep_alive_reach_the_socket_at_half_the_timeout() {
        let (_dir, server, addr) = listening();
        let notifier = Notifier::new(
            Some((UnixDatagram::unbound().unwrap(), addr)),
            Some(Duration::from_millis(400)),
        );
        notifier.ready();
        assert_eq!(recv(&server), "READY=1");
        notifier.keep_alive();
        notifier.keep_alive(); // too soon: nothing sent
        assert_eq!(recv(&server), "WATCHDOG=1");
        server.set_nonblocking(true).unwrap();
        assert!(
            server.recv(&mut [0u8; 16]).is_err(),
            "a second WATCHDOG=1 came too soon"
        );
        std::thread::sleep(Duration::from_millis(210));
        notifier.keep_alive();
        server.set_nonblocking(false).unwrap();
        assert_eq!(recv(&server), "WATCHDOG=1");
    }

    #[test]
    fn socket_addresses_are_paths_or_abstract_names() {
        assert!(socket_address(b"").is_none());
        assert_eq!(
            socket_address(b"/run/systemd/notify")
                .unwrap()
                .as_pathname()
                .unwrap(),
            std::path::Path::new("/run/systemd/notify")
        );
        use std::os::linux::net::SocketAddrExt;
        assert_eq!(
            socket_address(b"@kit").unwrap().as_abstract_name(),
            Some(&b"kit"[..])
        );
    }

    #[test]
    fn without_a_socket_nothing_happens() {
        let notifier = Notifier::disabled();
        notifier.ready();
        notifier.keep_alive();
        notifier.stopping();
    }
}
