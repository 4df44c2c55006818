//! Closes client connections that have gone quiet.
//!
//! Why this exists: tiny_http 0.12 gives no way to set a time-out on the connections it
//! accepts, and a read time-out on the listening socket also makes `accept` fail, which ends
//! tiny_http's accept loop for good. So a background thread looks at our own TCP connections
//! (those whose local port is the portal's) and shuts down any that has neither received nor
//! sent data for the idle time-out. A shutdown wakes the thread blocked on that socket, which
//! then closes it; the fd itself stays owned by tiny_http. Other sockets of the process
//! (listener, outgoing connections) are never touched.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Starts the reaper thread for connections accepted on `port`.
pub fn spawn(port: u16, idle: Duration, shutdown: Arc<AtomicBool>) {
    let idle_ms = u32::try_from(idle.as_millis()).unwrap_or(u32::MAX);
    let tick = (idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
    let spawned = std::thread::Builder::new()
        .name("reaper".into())
        .spawn(move || {
            while !shutdown.load(Ordering::Relaxed) {
                let closed = sweep(port, idle_ms);
                if closed > 0 {
                    log::debug!("closed {closed} idle connection(s)");
                }
                std::thread::sleep(tick);
            }
        });
    if let Err(e) = spawned {
        log::warn!("idle connections will not be closed: {e}");
    }
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
            // SAFETY: as in `sweep`, shutdown leaves the descriptor to its owner.
            return unsafe { libc::shutdown(fd, libc::SHUT_RDWR) } == 0;
        }
    }
    false
}

#[cfg(not(target_os = "linux"))]
pub fn close_connection(_port: u16, _peer: std::net::SocketAddr) -> bool {
    false
}

#[cfg(target_os = "linux")]
fn sweep(port: u16, idle_ms: u32) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    let mut closed = 0;
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
        let open = info.tcpi_state == TCP_ESTABLISHED || info.tcpi_state == TCP_CLOSE_WAIT;
        let quiet = info.tcpi_last_data_recv.min(info.tcpi_last_data_sent);
        if open && quiet >= idle_ms {
            // SAFETY: shutdown only changes the state of the socket behind `fd`; it neither
            // closes nor reuses the descriptor, so its owner keeps a valid fd.
            if unsafe { libc::shutdown(fd, libc::SHUT_RDWR) } == 0 {
                closed += 1;
            }
        }
    }
    closed
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
fn sweep(_port: u16, _idle_ms: u32) -> usize {
    0
}
