//! The box's operating-system settings (hostapd, dnsmasq, nftables, systemd units), all made
//! from `kit.toml` by the pure functions of `files`: one code path for the image, the first
//! boot, the tests and an admin who changes a setting. `init` writes a new box's `kit.toml`.

mod files;
pub mod init;

use std::fs;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::config::FileConfig;

/// Where the box keeps the kit's library and `kit.toml` (the unit's `StateDirectory`).
pub const BOX_DATA_DIR: &str = "/var/lib/mednum-kit";
/// The installed binary.
pub const BOX_BINARY: &str = "/usr/bin/mednum-kit";
/// The system user the kit runs as (created by the package).
pub const BOX_USER: &str = "mednum-kit";
/// The port the kit listens on, as an unprivileged user; the firewall sends port 80 there.
pub const KIT_PORT: u16 = 8080;

/// One generated file: its short name (for `system render`), where it goes, its mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemFile {
    pub name: &'static str,
    pub path: &'static str,
    pub mode: u32,
    pub text: String,
}

/// Every system file the box needs, made from the kit's settings.
///
/// Fails when a setting the box needs is missing (its address, a Wi-Fi passphrase: there is
/// no default one) or does not fit the box's network.
pub fn render(config: &FileConfig) -> Result<Vec<SystemFile>> {
    let net = BoxNetwork::from_config(config)?;
    if !config.wifi.open && config.wifi.passphrase.is_none() {
        bail!(
            "`wifi.passphrase` manque : lancez `mednum-kit system init` sur un nouveau kit, ou \
             écrivez `open = true` dans `[wifi]` pour un réseau sans mot de passe"
        );
    }
    if let Some(root) = config.usb.mount_roots.iter().find(|r| !r.is_absolute()) {
        bail!(
            "`usb.mount_roots` : `{}` doit être un chemin complet, comme `/media`",
            root.display()
        );
    }
    let wifi = &config.wifi.interface;
    Ok(vec![
        SystemFile {
            name: "hostapd.conf",
            path: "/etc/hostapd/hostapd.conf",
            // It holds the Wi-Fi passphrase.
            mode: 0o600,
            text: files::hostapd(&config.wifi),
        },
        SystemFile {
            name: "dnsmasq.conf",
            path: "/etc/dnsmasq.d/mednum-kit.conf",
            mode: 0o644,
            text: files::dnsmasq(wifi, &net),
        },
        SystemFile {
            name: "nftables.conf",
            path: "/etc/nftables.conf",
            mode: 0o755,
            text: files::nftables(wifi),
        },
        SystemFile {
            name: "mednum-kit.service",
            path: "/etc/systemd/system/mednum-kit.service",
            mode: 0o644,
            text: files::kit_unit(
                &config.usb.mount_roots,
                config.server.workers,
                config.server.max_connections,
            ),
        },
        SystemFile {
            name: "mednum-kit-wifi.service",
            path: "/etc/systemd/system/mednum-kit-wifi.service",
            mode: 0o644,
            text: files::wifi_unit(wifi, net.address),
        },
        SystemFile {
            name: "networkmanager.conf",
            path: "/etc/NetworkManager/conf.d/mednum-kit.conf",
            mode: 0o644,
            text: files::network_manager(wifi),
        },
    ])
}

/// The kit's systemd unit alone: it needs no address or passphrase, so the package can ship
/// the one made from the default settings.
pub fn kit_unit(config: &FileConfig) -> String {
    files::kit_unit(
        &config.usb.mount_roots,
        config.server.workers,
        config.server.max_connections,
    )
}

/// The box's own network: a /24 around `network.address`, phones leased .10 to .250.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxNetwork {
    pub address: Ipv4Addr,
    pub dhcp_first: Ipv4Addr,
    pub dhcp_last: Ipv4Addr,
    /// The port phones use in URLs (80: the firewall redirects it to `KIT_PORT`).
    pub public_port: u16,
}

impl BoxNetwork {
    pub fn from_config(config: &FileConfig) -> Result<BoxNetwork> {
        let Some(address) = config.network.address else {
            bail!(
                "`network.address` manque : l'adresse du kit sur son Wi-Fi, par exemple \
                 `address = \"10.42.0.1\"` dans `[network]`"
            );
        };
        let [a, b, c, d] = address.octets();
        if !(1..10).contains(&d) && !(251..=254).contains(&d) {
            bail!(
                "`network.address` (`{address}`) : le dernier nombre doit être entre 1 et 9 \
                 ou entre 251 et 254 (de 10 à 250, les adresses vont aux téléphones)"
            );
        }
        if !address.is_private() {
            bail!("`network.address` (`{address}`) : choisissez une adresse privée (10.x.x.x)");
        }
        let public_port = config.network.public_port.unwrap_or(80);
        if public_port != 80 && public_port != KIT_PORT {
            bail!(
                "`network.public_port` : sur le boîtier, 80 (le pare-feu le renvoie au kit) \
                 ou {KIT_PORT}"
            );
        }
        Ok(BoxNetwork {
            address,
            dhcp_first: Ipv4Addr::new(a, b, c, 10),
            dhcp_last: Ipv4Addr::new(a, b, c, 250),
            public_port,
        })
    }

    /// `http://ADDRESS` (with the port when it is not 80).
    pub fn base_url(&self) -> String {
        crate::web::captive::http_origin(&self.address.to_string(), self.public_port)
    }
}

/// Writes each file as `dir/<name>`.
pub fn write_flat(files: &[SystemFile], dir: &Path) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)
        .with_context(|| format!("impossible de créer le dossier `{}`", dir.display()))?;
    files
        .iter()
        .map(|file| {
            let path = dir.join(file.name);
            write_file(&path, file.mode, &file.text)?;
            Ok(path)
        })
        .collect()
}

/// Writes each file at its place under `root` (`/` on the box, a mounted image otherwise).
pub fn install(files: &[SystemFile], root: &Path) -> Result<Vec<PathBuf>> {
    files
        .iter()
        .map(|file| {
            let path = root.join(file.path.trim_start_matches('/'));
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).with_context(|| {
                    format!("impossible de créer le dossier `{}`", parent.display())
                })?;
            }
            write_file(&path, file.mode, &file.text)?;
            Ok(path)
        })
        .collect()
}

/// Replaces `path` at once (temporary file, fsync, rename): a power cut leaves the old file
/// or the new one, never half of one. The mode is set before any byte is written.
pub(crate) fn write_file(path: &Path, mode: u32, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.mednum-kit-tmp"));
    let _ = fs::remove_file(&temp);
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        let mut file = options.open(&temp)?;
        // `mode` passed to open is filtered by the umask; set it exactly.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // The rename itself reaches the disk with its folder.
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => fs::File::open(dir)?.sync_all(),
            _ => Ok(()),
        }
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.with_context(|| format!("impossible d'écrire `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn box_config() -> FileConfig {
        let mut config = FileConfig::default();
        config.network.address = Some(Ipv4Addr::new(10, 42, 0, 1));
        config.network.public_port = Some(80);
        config.wifi.passphrase = Some("tomate-velo-nuage-piano".into());
        config
    }

    #[test]
    fn the_box_network_leases_10_to_250_around_its_address() {
        let net = BoxNetwork::from_config(&box_config()).unwrap();
        assert_eq!(net.dhcp_first, Ipv4Addr::new(10, 42, 0, 10));
        assert_eq!(net.dhcp_last, Ipv4Addr::new(10, 42, 0, 250));
        assert_eq!(net.base_url(), "http://10.42.0.1");
    }

    #[test]
    fn render_refuses_what_the_box_cannot_run_with() {
        type Change = fn(&mut FileConfig);
        let cases: [(Change, &str); 6] = [
            (|c| c.network.address = None, "`network.address` manque"),
            (
                |c| c.network.address = Some(Ipv4Addr::new(10, 42, 0, 100)),
                "entre 1 et 9",
            ),
            (
                |c| c.network.address = Some(Ipv4Addr::new(8, 8, 8, 1)),
                "adresse privée",
            ),
            (
                |c| c.network.public_port = Some(8000),
                "`network.public_port`",
            ),
            (|c| c.wifi.passphrase = None, "`wifi.passphrase` manque"),
            (
                |c| c.usb.mount_roots = vec!["media".into()],
                "`usb.mount_roots`",
            ),
        ];
        for (change, want) in cases {
            let mut config = box_config();
            change(&mut config);
            let err = format!("{:#}", render(&config).unwrap_err());
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn an_open_network_needs_no_passphrase() {
        let mut config = box_config();
        config.wifi.passphrase = None;
        config.wifi.open = true;
        let files = render(&config).unwrap();
        let hostapd = &files
            .iter()
            .find(|f| f.name == "hostapd.conf")
            .unwrap()
            .text;
        assert!(!hostapd.contains("wpa"), "{hostapd}");
    }

    #[test]
    fn install_puts_each_file_at_its_place_with_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let files = render(&box_config()).unwrap();
        let written = install(&files, root.path()).unwrap();
        assert_eq!(written.len(), files.len());
        let hostapd = root.path().join("etc/hostapd/hostapd.conf");
        let mode = fs::metadata(&hostapd).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(fs::read_to_string(hostapd)
            .unwrap()
            .contains("wpa_passphrase=tomate-velo-nuage-piano"));
        // Installing again replaces the files and leaves no temporary file behind.
        install(&files, root.path()).unwrap();
        let leftovers: Vec<_> = walkdir::WalkDir::new(root.path())
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains("mednum-kit-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
