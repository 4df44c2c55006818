//! The kit on the local network, over mDNS: it announces `<hostname>.local` with the
//! `_http._tcp` service (for phones and browsers) and `_mednum-kit._tcp` (for other kits),
//! and it finds the other kits around.
//!
//! The IPv4 addresses are stated explicitly: with automatic addresses, resolvers may first
//! see only an IPv6 link-local one, which most phones cannot use in a browser.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use crate::printable::printable;

/// Other kits look for this service.
pub const KIT_SERVICE: &str = "_mednum-kit._tcp.local.";
/// Browsers and "network" apps look for this one.
pub const HTTP_SERVICE: &str = "_http._tcp.local.";

/// A running announcement; dropping it says goodbye on the network.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullnames: Vec<String>,
}

/// What the kit announces.
pub struct Announce<'a> {
    /// `mednum` for `mednum.local`.
    pub hostname: &'a str,
    /// The instance name people see (the kit's name).
    pub instance: &'a str,
    pub addresses: &'a [Ipv4Addr],
    /// The port phones reach (80 on the box).
    pub port: u16,
}

impl Announcement {
    pub fn start(what: &Announce<'_>) -> Result<Announcement> {
        if what.addresses.is_empty() {
            return Err(anyhow!("aucune adresse IPv4 à annoncer"));
        }
        let daemon = ServiceDaemon::new().map_err(|e| anyhow!("mDNS : {e}"))?;
        let host = format!("{}.local.", what.hostname);
        let addresses: Vec<IpAddr> = what.addresses.iter().map(|&a| IpAddr::V4(a)).collect();
        let version = env!("CARGO_PKG_VERSION");
        let mut fullnames = Vec::new();
        for (service, properties) in [
            (HTTP_SERVICE, vec![("path", "/")]),
            // Another kit syncs from this one's catalog (`mednum-kit sync upstream --url …`).
            (
                KIT_SERVICE,
                vec![
                    ("path", "/"),
                    ("version", version),
                    ("catalog", "/catalog.json"),
                ],
            ),
        ] {
            let info = ServiceInfo::new(
                service,
                what.instance,
                &host,
                addresses.as_slice(),
                what.port,
                properties.as_slice(),
            )
            .map_err(|e| anyhow!("mDNS : service `{service}` : {e}"))?;
            fullnames.push(info.get_fullname().to_owned());
            daemon
                .register(info)
                .map_err(|e| anyhow!("mDNS : service `{service}` : {e}"))?;
        }
        Ok(Announcement { daemon, fullnames })
    }
}

impl Drop for Announcement {
    fn drop(&mut self) {
        for name in &self.fullnames {
            if let Ok(done) = self.daemon.unregister(name) {
                // Goodbye packets go out before the daemon stops; do not wait long for them.
                let _ = done.recv_timeout(Duration::from_millis(500));
            }
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(Duration::from_millis(500));
        }
    }
}

/// The IPv4 addresses to announce: the box's configured address, else the listening one
/// when it is specific, else those of every interface that is up (loopback excluded).
pub fn addresses_to_announce(configured: Option<Ipv4Addr>, listening: SocketAddr) -> Vec<Ipv4Addr> {
    if let Some(address) = configured {
        return vec![address];
    }
    match listening.ip() {
        IpAddr::V4(ip) if !ip.is_unspecified() => vec![ip],
        _ => {
            let mut found: Vec<Ipv4Addr> = if_addrs::get_if_addrs()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|iface| match iface.ip() {
                    IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_link_local() => Some(ip),
                    _ => None,
                })
                .collect();
            found.sort();
            found.dedup();
            found
        }
    }
}

/// Another kit found on the network. Anyone on the network can answer as a kit: the text
/// fields are what it sent, made printable (`crate::printable`) and at most
/// `MAX_SHOWN_CHARS` long, so they can be shown on a terminal or a page as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Its name, as people see it.
    pub name: String,
    /// `mednum.local.`
    pub host: String,
    pub addresses: Vec<IpAddr>,
    pub port: u16,
    pub version: Option<String>,
}

/// The longest name, host or version of a peer that is shown (a DNS label is at most 63
/// bytes; a longer one is cut with `…`).
pub const MAX_SHOWN_CHARS: usize = 64;

impl Peer {
    /// A peer from what its mDNS answer says: the instance's full name
    /// (`Kit\.1._mednum-kit._tcp.local.`), its host, addresses, port and `version` TXT
    /// value, every text made printable.
    pub fn received(
        fullname: &str,
        host: &str,
        mut addresses: Vec<IpAddr>,
        port: u16,
        version: Option<&str>,
    ) -> Peer {
        let name = fullname
            .strip_suffix(KIT_SERVICE)
            .unwrap_or(fullname)
            .trim_end_matches('.')
            .replace("\\.", ".");
        let shown = |text: &str| printable(text, MAX_SHOWN_CHARS);
        addresses.sort();
        Peer {
            name: shown(&name),
            host: shown(host),
            addresses,
            port,
            version: version.map(shown),
        }
    }
}

impl Peer {
    /// `http://ADDRESS[:PORT]/` on its first IPv4 address, else on its host name.
    pub fn url(&self) -> String {
        let host = self
            .addresses
            .iter()
            .find(|a| a.is_ipv4())
            .map(ToString::to_string)
            .unwrap_or_else(|| self.host.trim_end_matches('.').to_owned());
        if self.port == 80 {
            format!("http://{host}/")
        } else {
            format!("http://{host}:{}/", self.port)
        }
    }
}

/// Looks for other kits for `wait`, and returns those that answered, by name.
pub fn find_peers(wait: Duration) -> Result<Vec<Peer>> {
    let daemon = ServiceDaemon::new().map_err(|e| anyhow!("mDNS : {e}"))?;
    // A network joined a moment ago may not be listed yet: look again every second while
    // searching (the default is every 5 s).
    let _ = daemon.set_ip_check_interval(1);
    let events = daemon
        .browse(KIT_SERVICE)
        .map_err(|e| anyhow!("mDNS : {e}"))
        .context("impossible de chercher les autres kits")?;
    let deadline = Instant::now() + wait;
    let mut found: BTreeMap<String, Peer> = BTreeMap::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(service) = event {
            let peer = Peer::received(
                &service.fullname,
                &service.host,
                service.addresses.iter().map(|a| a.to_ip_addr()).collect(),
                service.port,
                service.txt_properties.get_property_val_str("version"),
            );
            found.insert(service.fullname.clone(), peer);
        }
    }
    let _ = daemon.stop_browse(KIT_SERVICE);
    if let Ok(done) = daemon.shutdown() {
        let _ = done.recv_timeout(Duration::from_millis(500));
    }
    Ok(found.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_address_wins_then_the_listening_one() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let box_ip: Ipv4Addr = "10.42.0.1".parse().unwrap();
        assert_eq!(addresses_to_announce(Some(box_ip), any), [box_ip]);
        let specific: SocketAddr = "192.168.1.20:8080".parse().unwrap();
        assert_eq!(
            addresses_to_announce(None, specific),
            ["192.168.1.20".parse::<Ipv4Addr>().unwrap()]
        );
        for ip in addresses_to_announce(None, any) {
            assert!(!ip.is_loopback() && !ip.is_link_local(), "{ip}");
        }
    }

    /// Regression: `mednum-kit peers` printed what any machine on the network announced as
    /// it came, so a name could carry terminal escapes, new lines or bidi overrides.
    #[test]
    fn a_peer_keeps_no_escape_newline_or_bidi_from_what_it_announced() {
        let peer = Peer::received(
            "Kit\\.1\u{1b}]0;piégé\u{7}\u{1b}[2J\ncompte root créé\u{202E}gpj.exe.\
             _mednum-kit._tcp.local.",
            "mednum\u{1b}[31m.local.",
            vec!["10.42.0.1".parse().unwrap(), "fe80::1".parse().unwrap()],
            80,
            Some(&"0.1.0\u{9b}2J".repeat(20)),
        );
        assert_eq!(peer.name, "Kit.1�]0;piégé��[2J�compte root créé�gpj.exe");
        assert_eq!(peer.host, "mednum�[31m.local.");
        let version = peer.version.clone().unwrap();
        assert!(version.starts_with("0.1.0�2J0.1.0�2J"), "{version}");
        assert_eq!(version.chars().count(), MAX_SHOWN_CHARS);
        assert!(version.ends_with('…'), "{version}");
        assert_eq!(peer.url(), "http://10.42.0.1/");
    }

    #[test]
    fn a_peer_url_prefers_ipv4_and_drops_port_80() {
        let mut peer = Peer {
            name: "Kit".into(),
            host: "mednum.local.".into(),
            addresses: vec!["fe80::1".parse().unwrap(), "10.42.0.1".parse().unwrap()],
            port: 80,
            version: None,
        };
        assert_eq!(peer.url(), "http://10.42.0.1/");
        peer.addresses.clear();
        peer.port = 8080;
        assert_eq!(peer.url(), "http://mednum.local:8080/");
    }
}
