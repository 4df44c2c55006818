//! Watches the kit's client connections: closes those that have gone quiet, and rescues
//! requests that tiny_http's thread pool left waiting.
//!
//! Why this exists:
//! - tiny_http 0.12 gives no way to set a time-out on the connections it accepts, and a read
//!   time-out on the listening socket also makes `accept` fail, which ends tiny_http's accept
//!   loop for good. So a background thread looks at our own TCP connections (those whose
//!   local port is the portal's) and shuts down any that has neither received nor sent data
//!   for the idle time-out.
//! - tiny_http runs each connection on a thread of its pool for the connection's whole life.
//!   When connections arrive in a burst (a phone's browser opens six at once), the pool can
//!   count a thread as idle that has just been given work, and queue a connection with no
//!   thread to read it: that request waits until some kept-alive connection ends. The reaper
//!   sees such a connection (bytes waiting unread for a while), then frees pool threads: it
//!   closes the connections that sit idle between requests (a client reopens one when it
//!   needs it) and asks every response to say `Connection: close` until none is left
//!   waiting.
//!
//! A shutdown wakes the thread blocked on that socket, which then closes it; the fd itself
//! stays owned by tiny_http. Other sockets of the process (listener, outgoing connections)
//! are never touched.

use std::cmp::Reverse;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Unread bytes older than this mean no thread is reading the connection.
const STRANDED_MS: u32 = 200;
/// A connection idle between requests for this long may be closed to free its thread.
const RESCUE_IDLE_MS: u32 = 300;
/// How often connections are looked at, at most.
const MAX_TICK: Duration = Duration::from_millis(200);

/// Starts the reaper thread for connections accepted on `port`. While it sees requests left
/// waiting, it sets `starving` (responses then close their connection).
pub fn spawn(port: u16, idle: Duration, starving: Arc<AtomicBool>, shutdown: Arc<AtomicBool>) {
    let idle_ms = u32::try_from(idle.as_millis()).unwrap_or(u32::MAX);
    let tick = (idle / 4).clamp(Duration::from_millis(50), MAX_TICK);
    let spawned = std::thread::Builder::new()
        .name("reaper".into())
        .spawn(move || {
            while !shutdown.load(Ordering::Relaxed) {
                let sweep = sweep(port, idle_ms);
                if sweep.idle_closed > 0 {
                    log::debug!("closed {} idle connection(s)", sweep.idle_closed);
                }
                if sweep.stranded > 0 {
                    log::debug!(
                        "{} request(s) waiting for a thread: closed {} kept-alive connection(s)",
                        sweep.stranded,
                        sweep.rescued
                    );
                }
                starving.store(sweep.stranded > 0, Ordering::Relaxed);
                std::thread::sleep(tick);
            }
        });
    if let Err(e) = spawned {
        log::warn!("idle connections will not be closed: {e}");
    }
}

/// What one look at the connections found and did.
#[derive(Debug, Default)]
struct Sweep {
    idle_closed: usize,
    stranded: usize,
    rescued: usize,
}

/// Shuts down our connection (local `port`) with `peer`. Returns whether one was found.
#[cfg(target_os = "linux")]
pub fn close_connection(port: u16, peer: std::net::SocketAddr) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if local_port(fd) == Some(port) && peer_addr(fd) == Some(peer) {
            return shut_down(fd);
        }
    }
    false
}

#[cfg(not(target_os = "linux"))]
pub fn close_connection(_port: u16, _peer: std::net::SocketAddr) -> bool {
    false
}

#[cfg(target_os = "linux")]
fn sweep(port: u16, idle_ms: u32) -> Sweep {
    let mut sweep = Sweep::default();
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return sweep;
    };
    // (fd, quiet ms) of connections waiting between requests with nothing unread.
    let mut between_requests = Vec::new();
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if local_port(fd) != Some(port) {
            continue;
        }
        let Some(info) = tcp_info(fd) else { continue };
        const TCP_ESTABLISHED: u8 = 1;
        const TCP_CLOSE_WAIT: u8 = 8;
        if info.tcpi_state != TCP_ESTABLISHED && info.tcpi_state != TCP_CLOSE_WAIT {
            continue;
        }
        let quiet = info.tcpi_last_data_recv.min(info.tcpi_last_data_sent);
        if unread_bytes(fd) > 0 {
            // Never closed for idleness: its request is only waiting for a thread.
            if info.tcpi_last_data_recv >= STRANDED_MS {
                sweep.stranded += 1;
            }
            continue;
        }
        if quiet >= idle_ms {
            if shut_down(fd) {
                sweep.idle_closed += 1;
            }
        } else if quiet >= RESCUE_IDLE_MS {
            between_requests.push((fd, quiet));
        }
    }
    if sweep.stranded > 0 {
        // Each closed connection frees one pool thread, which takes a waiting one.
        between_requests.sort_by_key(|&(_, quiet)| Reverse(quiet));
        for &(fd, _) in between_requests.iter().take(sweep.stranded) {
            if shut_down(fd) {
                sweep.rescued += 1;
            }
        }
    }
    sweep
}

#[cfg(target_os = "linux")]
fn shut_down(fd: i32) -> bool {
    // SAFETY: shutdown only changes the state of the socket behind `fd`; it neither closes
    // nor reuses the descriptor, so its owner keeps a valid fd.
    unsafe { libc::shutdown(fd, libc::SHUT_RDWR) == 0 }
}

/// Bytes received on `fd` that nobody has read yet.
#[cfg(target_os = "linux")]
fn unread_bytes(fd: i32) -> i32 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer we pass.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } == 0 {
        n
    } else {
        0
    }
}

/// The local TCP port of `fd`, if it is an IPv4 or IPv6 socket.
#[cfg(target_os = "linux")]
fn local_port(fd: i32) -> Option<u16> {
    socket_addr(fd, libc::getsockname).map(|a| a.port())
}

/// The remote address of `fd`, if it is a connected IPv4 or IPv6 socket.
#[cfg(target_os = "linux")]
fn peer_addr(fd: i32) -> Option<std::net::SocketAddr> {
    socket_addr(fd, libc::getpeername)
}

#[cfg(target_os = "linux")]
fn socket_addr(
    fd: i32,
    get: unsafe extern "C" fn(i32, *mut libc::sockaddr, *mut libc::socklen_t) -> i32,
) -> Option<std::net::SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    // SAFETY: get{sock,peer}name writes at most `len` bytes into a zeroed sockaddr_storage.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    if unsafe { get(fd, std::ptr::addr_of_mut!(addr).cast(), &mut len) } != 0 {
        return None;
    }
    match i32::from(addr.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let v4: &libc::sockaddr_in = unsafe { &*std::ptr::addr_of!(addr).cast() };
            let ip = Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddr::new(ip.into(), u16::from_be(v4.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let v6: &libc::sockaddr_in6 = unsafe { &*std::ptr::addr_of!(addr).cast() };
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(SocketAddr::new(ip.into(), u16::from_be(v6.sin6_port)))
        }
        _ => None,
    }
}

#[cfg(target_os = "linux")]
fn tcp_info(fd: i32) -> Option<libc::tcp_info> {
    // SAFETY: getsockopt writes at most `len` bytes into `info`, a zeroed tcp_info.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            std::ptr::addr_of_mut!(info).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(info)
}

#[cfg(not(target_os = "linux"))]
fn sweep(_port: u16, _idle_ms: u32) -> Sweep {
    Sweep::default()
}
