//! The kit's settings: `<data-dir>/kit.toml` (optional) merged with command-line flags.
//! Every setting has a default that works with no file.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// `kit.toml`. Unknown keys are refused, so a typo does not pass silently.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The kit's name, shown at the top of every page.
    pub name: String,
    pub portal: PortalConfig,
    pub server: ServerConfig,
    pub network: NetworkConfig,
    pub captive: CaptiveConfig,
    pub wifi: WifiConfig,
    pub usb: UsbConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Slug of the workshop shown first on the home page.
    pub featured_workshop: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Worker threads answering requests.
    pub workers: usize,
    /// Seconds a connection may stay silent before it is closed.
    pub idle_timeout_secs: u64,
    /// Most phone connections open at once; when full, the longest idle is closed first.
    /// Each costs a thread (~16 KB) and a file descriptor: 512 suits a 1 GB box.
    pub max_connections: usize,
}

/// How phones find the kit on its network.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// The kit's name on the local network: `<hostname>.local` (mDNS).
    pub hostname: String,
    /// The kit's IPv4 address on its own Wi-Fi (the box image sets it). The captive portal
    /// sends phones there; unset, it uses the listening address or `<hostname>.local`.
    pub address: Option<Ipv4Addr>,
    /// The port phones reach, when a firewall redirects it to the kit's (80 on the box).
    /// Unset: the listening port.
    pub public_port: Option<u16>,
    /// Announce the kit with mDNS (`<hostname>.local`, `_http._tcp`, `_mednum-kit._tcp`).
    pub mdns: bool,
}

/// The captive portal: what phones see when they join the kit's Wi-Fi.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptiveConfig {
    /// Answer the operating systems' connectivity probes and foreign host names.
    pub enabled: bool,
    /// A phone that pressed "Entrer" is remembered (by its address) this long after its
    /// last request; then the welcome page shows again.
    pub entered_expiry_secs: u64,
}

/// The box's access point (used by `kit-image/` to write hostapd and dnsmasq settings).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WifiConfig {
    /// The Wi-Fi interface the access point runs on.
    pub interface: String,
    /// The network name phones see.
    pub ssid: String,
    /// WPA2 passphrase (8 to 63 characters). Unset on a new box: generated at first boot.
    pub passphrase: Option<String>,
    /// An open network, with no passphrase.
    pub open: bool,
    /// Two-letter country code (radio rules).
    pub country: String,
    /// 2.4 GHz channel, 1 to 13.
    pub channel: u8,
}

/// USB sticks: where the system mounts them, so the kit can find packs there.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UsbConfig {
    pub mount_roots: Vec<PathBuf>,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            name: "Atelier numérique".into(),
            portal: PortalConfig::default(),
            server: ServerConfig::default(),
            network: NetworkConfig::default(),
            captive: CaptiveConfig::default(),
            wifi: WifiConfig::default(),
            usb: UsbConfig::default(),
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            hostname: "mednum".into(),
            address: None,
            public_port: None,
            mdns: true,
        }
    }
}

impl Default for CaptiveConfig {
    fn default() -> Self {
        CaptiveConfig {
            enabled: true,
            entered_expiry_secs: 2 * 3600,
        }
    }
}

impl Default for WifiConfig {
    fn default() -> Self {
        WifiConfig {
            interface: "wlan0".into(),
            ssid: "Atelier numérique".into(),
            passphrase: None,
            open: false,
            country: "FR".into(),
            channel: 6,
        }
    }
}

impl Default for UsbConfig {
    fn default() -> Self {
        UsbConfig {
            mount_roots: vec![PathBuf::from("/media")],
        }
    }
}

/// `true` for a name usable as a single DNS label (`mednum`, `kit-2`).
pub fn is_hostname(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            workers: 8,
            idle_timeout_secs: 10,
            max_connections: 512,
        }
    }
}

/// The resolved settings every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub file: FileConfig,
}

/// The settings file's name inside the data dir.
pub const CONFIG_FILE: &str = "kit.toml";

impl Config {
    /// Reads `<data_dir>/kit.toml` if it exists and checks it.
    pub fn resolve(data_dir: &Path) -> Result<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).with_context(|| format!("réglages `{}`", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("impossible de lire `{}`", path.display()))
            }
        };
        Ok(Config {
            data_dir: data_dir.to_owned(),
            file,
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(crate::store::DB_FILE)
    }
}

/// Parses and checks the text of a `kit.toml`.
pub(crate) fn parse(text: &str) -> Result<FileConfig> {
    let file: FileConfig = toml::from_str(text)?;
    anyhow::ensure!(!file.name.trim().is_empty(), "`name` ne peut pas être vide");
    anyhow::ensure!(
        (1..=256).contains(&file.server.workers),
        "`server.workers` doit être entre 1 et 256"
    );
    anyhow::ensure!(
        (1..=3600).contains(&file.server.idle_timeout_secs),
        "`server.idle_timeout_secs` doit être entre 1 et 3600"
    );
    anyhow::ensure!(
        (16..=16384).contains(&file.server.max_connections),
        "`server.max_connections` doit être entre 16 et 16384"
    );
    anyhow::ensure!(
        is_hostname(&file.network.hostname),
        "`network.hostname` doit être un nom simple : minuscules, chiffres et tirets \
         (par exemple `mednum`)"
    );
    anyhow::ensure!(
        (1..=7 * 24 * 3600).contains(&file.captive.entered_expiry_secs),
        "`captive.entered_expiry_secs` doit être entre 1 et 604800 (une semaine)"
    );
    let wifi = &file.wifi;
    anyhow::ensure!(
        (1..=32).contains(&wifi.ssid.len()),
        "`wifi.ssid` doit faire de 1 à 32 octets"
    );
    if let Some(pass) = &wifi.passphrase {
        anyhow::ensure!(
            (8..=63).contains(&pass.len()) && pass.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "`wifi.passphrase` doit faire de 8 à 63 caractères, sans accent"
        );
    }
    anyhow::ensure!(
        wifi.country.len() == 2 && wifi.country.bytes().all(|b| b.is_ascii_uppercase()),
        "`wifi.country` : deux lettres majuscules, par exemple `FR`"
    );
    anyhow::ensure!(
        (1..=13).contains(&wifi.channel),
        "`wifi.channel` doit être entre 1 et 13"
    );
    anyhow::ensure!(
        !wifi.interface.is_empty() && is_hostname(&wifi.interface.to_ascii_lowercase()),
        "`wifi.interface` invalide"
    );
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let file = parse("").unwrap();
        assert_eq!(file.name, "Atelier numérique");
        assert_eq!(file.server.workers, 8);
    }

    #[test]
    fn settings_are_read_and_checked() {
        let file = parse("name = \"Médiathèque\"\n[portal]\nfeatured_workshop = \"a\"\n").unwrap();
        assert_eq!(file.name, "Médiathèque");
        assert_eq!(file.portal.featured_workshop.as_deref(), Some("a"));
        let cases = [
            ("nom = \"x\"", "unknown field `nom`"),
            ("name = \" \"", "`name` ne peut pas être vide"),
            ("[server]\nworkers = 0", "`server.workers`"),
            (
                "[server]\nidle_timeout_secs = 0",
                "`server.idle_timeout_secs`",
            ),
            ("[server]\nmax_connections = 1", "`server.max_connections`"),
            ("[network]\nhostname = \"Mon Kit\"", "`network.hostname`"),
            ("[network]\naddress = \"10.42.0\"", "invalid IPv4"),
            ("[wifi]\nssid = \"\"", "`wifi.ssid`"),
            ("[wifi]\npassphrase = \"court\"", "`wifi.passphrase`"),
            ("[wifi]\ncountry = \"fr\"", "`wifi.country`"),
            ("[wifi]\nchannel = 14", "`wifi.channel`"),
        ];
        for (text, want) in cases {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn a_missing_file_is_fine_and_a_broken_one_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::resolve(dir.path()).unwrap().file.name,
            "Atelier numérique"
        );
        std::fs::write(dir.path().join(CONFIG_FILE), "name = ").unwrap();
        let err = format!("{:#}", Config::resolve(dir.path()).unwrap_err());
        assert!(err.contains("kit.toml"), "{err}");
    }
}
