//! Liveness that tells the truth: the kit asks itself for a page, through the same socket,
//! accept loop, queue and workers as a phone would, and only an answer feeds systemd's
//! watchdog. If the portal stops answering for good, the process exits (with an error, so
//! that systemd restarts it) instead of looking alive and answering nobody.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::notify::Notifier;

/// The path the kit asks itself for; answered `204` by the router without touching the
/// library.
pub const PATH: &str = "/_kit/alive";
/// How often the kit asks itself (more often if the watchdog wants to hear sooner).
const EVERY: Duration = Duration::from_secs(2);
/// How long one answer may take.
const PATIENCE: Duration = Duration::from_secs(3);
/// No answer for this long: the portal is dead for the phones too, and the process exits.
/// Below the unit's `WatchdogSec` (30 s) would race systemd; above, the watchdog acts first.
const GIVE_UP_AFTER: Duration = Duration::from_secs(25);
/// The exit status then (`EX_SOFTWARE`): systemd's `Restart=on-failure` starts a new kit.
const EXIT_DEAD: i32 = 70;

/// Asks the portal listening on `listening` for `PATH` every two seconds (or at the
/// watchdog's pace) until `shutdown` is set, feeding `notify`'s watchdog after each answer.
pub fn watch(listening: SocketAddr, notify: &Notifier, shutdown: &AtomicBool) {
    let target = self_address(listening);
    let every = notify.keep_alive_interval().map_or(EVERY, |w| w.min(EVERY));
    let mut last_answer = Instant::now();
    let mut next_probe = Instant::now();
    let mut failing = false;
    while !shutdown.load(Ordering::Relaxed) {
        if Instant::now() >= next_probe {
            next_probe = Instant::now() + every;
            match ask(target) {
                Ok(()) => {
                    if failing {
                        log::info!("the portal answers again");
                        failing = false;
                    }
                    last_answer = Instant::now();
                    notify.keep_alive();
                }
                Err(e) => {
                    if !failing {
                        log::warn!("the portal did not answer the kit itself: {e}");
                        failing = true;
                    }
                    if last_answer.elapsed() >= GIVE_UP_AFTER && !shutdown.load(Ordering::Relaxed) {
                        log::error!(
                            "the portal has not answered for {} s: exiting so that it restarts",
                            GIVE_UP_AFTER.as_secs()
                        );
                        std::process::exit(EXIT_DEAD);
                    }
                }
            }
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Where the kit reaches its own socket: loopback when it listens on every address.
fn self_address(listening: SocketAddr) -> SocketAddr {
    let ip = match listening.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listening.port())
}

/// One request for `PATH`; `Ok` on a `204`.
fn ask(target: SocketAddr) -> std::io::Result<()> {
    let mut stream = TcpStream::connect_timeout(&target, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    // HTTP/1.0 and no Host: the portal's own page, closed after the answer.
    write!(stream, "GET {PATH} HTTP/1.0\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    if head.starts_with(b"HTTP/1.") && &head[9..12] == b"204" {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "unexpected answer `{}`",
            String::from_utf8_lossy(&head)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::self_address;

    #[test]
    fn the_kit_reaches_itself_on_loopback_when_listening_everywhere() {
        for (listening, reached) in [
            ("0.0.0.0:8080", "127.0.0.1:8080"),
            ("[::]:80", "[::1]:80"),
            ("10.42.0.1:80", "10.42.0.1:80"),
            ("127.0.0.1:0", "127.0.0.1:0"),
        ] {
            assert_eq!(
                self_address(listening.parse().unwrap()).to_string(),
                reached
            );
        }
    }
}
