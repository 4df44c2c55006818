//! Just enough of a DHCP client (RFC 2131) to lease an address as a phone does, and read the
//! options the server sent (router, DNS, captive portal).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
const DISCOVER: u8 = 1;
const OFFER: u8 = 2;
const REQUEST: u8 = 3;
const ACK: u8 = 5;
/// Options a phone asks for: subnet mask, router, DNS, captive portal (RFC 8910).
const WANTED: [u8; 4] = [1, 3, 6, 114];

#[derive(Debug)]
pub struct Lease {
    pub address: Ipv4Addr,
    pub options: BTreeMap<u8, Vec<u8>>,
}

impl Lease {
    pub fn ipv4_option(&self, code: u8) -> Option<Ipv4Addr> {
        let bytes: [u8; 4] = self.options.get(&code)?.get(..4)?.try_into().ok()?;
        Some(Ipv4Addr::from(bytes))
    }

    pub fn text_option(&self, code: u8) -> Option<String> {
        Some(String::from_utf8_lossy(self.options.get(&code)?).into_owned())
    }
}

/// DISCOVER, OFFER, REQUEST, ACK on `interface` (which has no address yet), in the calling
/// thread's network namespace. Retries until `timeout`: the server may still be starting.
pub fn lease(interface: &str, mac: [u8; 6], timeout: Duration) -> Result<Lease, String> {
    let socket = UdpSocket::bind("0.0.0.0:68").map_err(|e| format!("bind :68: {e}"))?;
    socket.set_broadcast(true).map_err(|e| e.to_string())?;
    bind_to_device(&socket, interface)?;
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .map_err(|e| e.to_string())?;
    let xid = std::process::id() ^ 0x6d6b_0000;
    let deadline = Instant::now() + timeout;

    let offer = exchange(
        &socket,
        &packet(xid, mac, DISCOVER, &[]),
        xid,
        OFFER,
        deadline,
    )?;
    let server = offer
        .options
        .get(&54)
        .cloned()
        .ok_or("the offer names no server (option 54)")?;
    let requested = offer.address.octets().to_vec();
    let request = packet(xid, mac, REQUEST, &[(50, requested), (54, server)]);
    exchange(&socket, &request, xid, ACK, deadline)
}

/// Sends `message` (again every half second) until a reply of type `want` arrives.
fn exchange(
    socket: &UdpSocket,
    message: &[u8],
    xid: u32,
    want: u8,
    deadline: Instant,
) -> Result<Lease, String> {
    let mut buf = [0u8; 1500];
    while Instant::now() < deadline {
        socket
            .send_to(message, "255.255.255.255:67")
            .map_err(|e| format!("send: {e}"))?;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(500) {
            let Ok(n) = socket.recv(&mut buf) else {
                break;
            };
            if let Some((kind, lease)) = parse(&buf[..n], xid) {
                if kind == want {
                    return Ok(lease);
                }
            }
        }
    }
    Err(format!("no DHCP answer of type {want} before the deadline"))
}

fn packet(xid: u32, mac: [u8; 6], kind: u8, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut p = vec![0u8; 236];
    p[0] = 1; // BOOTREQUEST
    p[1] = 1; // Ethernet
    p[2] = 6; // address length
    p[4..8].copy_from_slice(&xid.to_be_bytes());
    p[10] = 0x80; // broadcast flag: answer to 255.255.255.255, we have no address yet
    p[28..34].copy_from_slice(&mac);
    p.extend_from_slice(&MAGIC_COOKIE);
    p.extend_from_slice(&[53, 1, kind]);
    p.extend_from_slice(&[55, WANTED.len() as u8]);
    p.extend_from_slice(&WANTED);
    for (code, value) in extra {
        p.push(*code);
        p.push(value.len() as u8);
        p.extend_from_slice(value);
    }
    p.push(255);
    p
}

fn parse(p: &[u8], xid: u32) -> Option<(u8, Lease)> {
    if p.len() < 240 || p[0] != 2 || p[4..8] != xid.to_be_bytes() || p[236..240] != MAGIC_COOKIE {
        return None;
    }
    let address = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    let mut options = BTreeMap::new();
    let mut rest = &p[240..];
    while let [code, tail @ ..] = rest {
        match *code {
            0 => rest = tail,
            255 => break,
            code => {
                let (&len, tail) = tail.split_first()?;
                let value = tail.get(..len as usize)?;
                options.insert(code, value.to_vec());
                rest = &tail[len as usize..];
            }
        }
    }
    let kind = *options.get(&53)?.first()?;
    Some((kind, Lease { address, options }))
}

/// `SO_BINDTODEVICE`: with no address and no route, this is how a broadcast leaves.
fn bind_to_device(socket: &UdpSocket, interface: &str) -> Result<(), String> {
    // SAFETY: the option value is a byte buffer of the length given.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            interface.as_ptr().cast(),
            interface.len() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!(
            "SO_BINDTODEVICE {interface}: {}",
            std::io::Error::last_os_error()
        ))
    }
}
