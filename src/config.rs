//! The kit's settings: `<data-dir>/kit.toml` (optional) merged with command-line flags, and
//! the changes the admin page makes to that file. Every setting has a default that works with
//! no file.

use std::fs;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use toml_edit::{DocumentMut, Item, Key, RawString, Table, Value};

/// `kit.toml`. Unknown keys are refused, so a typo does not pass silently.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The kit's name, shown at the top of every page.
    pub name: String,
    pub portal: PortalConfig,
    pub admin: AdminConfig,
    pub workshops: WorkshopsConfig,
    pub server: ServerConfig,
    pub network: NetworkConfig,
    pub captive: CaptiveConfig,
    pub wifi: WifiConfig,
    pub usb: UsbConfig,
    pub sync: SyncConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Slug of the workshop shown first on the home page.
    pub featured_workshop: Option<String>,
}

/// The administration pages: admin and advisor (conseiller) accounts, pack uploads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Hours an admin or advisor stays logged in without using the kit, 1 to 168; every
    /// request starts the count again.
    pub session_hours: u64,
    /// The largest pack a web upload accepts, in MiB, 1 to 65536.
    pub max_upload_mb: u64,
    /// The administration code asked on the first-boot setup page: 4 to 64 printable ASCII
    /// characters, no space at either end. Unset: the code `system init` wrote to
    /// `<data-dir>/admin-setup-code`.
    pub setup_code: Option<String>,
}

/// Pop-up workshops: what is kept of the phones that joined one.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkshopsConfig {
    /// Days the anonymous phones of a workshop (their progress, nickname, help requests)
    /// are kept after it ends, 0 to 365; then they are deleted.
    pub retention_days: u64,
}

impl Default for WorkshopsConfig {
    fn default() -> Self {
        WorkshopsConfig { retention_days: 7 }
    }
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
    /// What `serve` does with the packs of a stick plugged in: `auto` installs those signed
    /// by a trusted key that are new or newer than the installed ones; `ask` only lists them
    /// on the packs page, with an install button.
    pub policy: UsbPolicy,
    /// The program that mounts a stick read-write for an export, then read-only again
    /// (`HELPER rw NAME`, `HELPER ro NAME`); on the box, `kit-image/usb/usb-remount.sh`.
    pub remount_helper: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsbPolicy {
    Auto,
    Ask,
}

/// Packs from an upstream catalog, and reports sent up, whenever a connection exists.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// The upstream catalog's own address (`https://…/catalog.json`); unset: no upstream.
    pub upstream: Option<String>,
    /// Only these pack ids (empty: every pack of the catalog).
    pub packs: Vec<String>,
    /// Only packs in one of these languages (empty: every language).
    pub languages: Vec<String>,
    /// Minutes between two checks when everything is up to date, 1 to 10080.
    pub check_minutes: u64,
    /// Largest catalog read, in KiB, 1 to 65536.
    pub max_catalog_kb: u64,
    /// Download speed limit in KiB/s (unset: no limit), so a shared connection stays usable.
    pub bandwidth_kbps: Option<u64>,
    /// A WebDAV folder (a Nextcloud public upload share, say) where activity reports go,
    /// one CSV and one JSON file per day. `https://TOKEN:PASSWORD@host/path/` for a share
    /// with a password.
    pub reports_url: Option<String>,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            upstream: None,
            packs: Vec::new(),
            languages: Vec::new(),
            check_minutes: 60,
            max_catalog_kb: 1024,
            bandwidth_kbps: None,
            reports_url: None,
        }
    }
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            name: "Atelier numérique".into(),
            portal: PortalConfig::default(),
            admin: AdminConfig::default(),
            workshops: WorkshopsConfig::default(),
            server: ServerConfig::default(),
            network: NetworkConfig::default(),
            captive: CaptiveConfig::default(),
            wifi: WifiConfig::default(),
            usb: UsbConfig::default(),
            sync: SyncConfig::default(),
        }
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            session_hours: 12,
            max_upload_mb: 4096,
            setup_code: None,
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
            policy: UsbPolicy::Auto,
            remount_helper: PathBuf::from("/usr/lib/mednum-kit/usb-remount"),
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

/// The longest kit name: it fits the top of a phone's screen.
const NAME_MAX_CHARS: usize = 80;

/// Parses and checks the text of a `kit.toml`.
fn check_sync(sync: &SyncConfig) -> Result<()> {
    for (key, url) in [
        ("upstream", &sync.upstream),
        ("reports_url", &sync.reports_url),
    ] {
        if let Some(url) = url {
            anyhow::ensure!(
                (url.starts_with("http://") || url.starts_with("https://"))
                    && !url.chars().any(|c| c.is_control() || c == ' '),
                "`sync.{key}` doit être une adresse http:// ou https://, sans espace"
            );
        }
    }
    anyhow::ensure!(
        (1..=10080).contains(&sync.check_minutes),
        "`sync.check_minutes` doit être entre 1 et 10080 (une semaine)"
    );
    anyhow::ensure!(
        (1..=65536).contains(&sync.max_catalog_kb),
        "`sync.max_catalog_kb` doit être entre 1 et 65536"
    );
    anyhow::ensure!(
        sync.bandwidth_kbps != Some(0),
        "`sync.bandwidth_kbps` : au moins 1 (ou retirez la ligne : pas de limite)"
    );
    Ok(())
}

pub(crate) fn parse(text: &str) -> Result<FileConfig> {
    let file: FileConfig = toml::from_str(text)?;
    anyhow::ensure!(!file.name.trim().is_empty(), "`name` ne peut pas être vide");
    anyhow::ensure!(
        !file.name.chars().any(char::is_control),
        "`name` doit tenir sur une ligne, sans tabulation ni caractère de contrôle"
    );
    anyhow::ensure!(
        file.name.chars().count() <= NAME_MAX_CHARS,
        "`name` doit faire au plus {NAME_MAX_CHARS} caractères"
    );
    check_sync(&file.sync)?;
    let admin = &file.admin;
    anyhow::ensure!(
        file.workshops.retention_days <= 365,
        "`workshops.retention_days` doit être entre 0 et 365"
    );
    anyhow::ensure!(
        (1..=7 * 24).contains(&admin.session_hours),
        "`admin.session_hours` doit être entre 1 et 168 (une semaine)"
    );
    anyhow::ensure!(
        (1..=65536).contains(&admin.max_upload_mb),
        "`admin.max_upload_mb` doit être entre 1 et 65536"
    );
    if let Some(code) = &admin.setup_code {
        anyhow::ensure!(
            (4..=64).contains(&code.len())
                && code.bytes().all(|b| (0x20..0x7f).contains(&b))
                && !code.starts_with(' ')
                && !code.ends_with(' '),
            "`admin.setup_code` doit faire de 4 à 64 caractères, sans accent, sans espace au \
             début ni à la fin"
        );
    }
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

/// What the admin page may change in `kit.toml`; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// The kit's name (`name`).
    pub name: Option<String>,
    /// The workshop shown first (`portal.featured_workshop`); `Some(None)` removes the key.
    pub featured_workshop: Option<Option<String>>,
}

/// Serializes [`update_settings`] within the process: each call reads the whole file, edits
/// it and replaces it, so two at once would lose one of the changes.
static SETTINGS_LOCK: Mutex<()> = Mutex::new(());

/// Applies `change` to `<data_dir>/kit.toml` (created if missing) and returns the new
/// settings.
///
/// Everything else the admin wrote stays as it was, byte for byte: comments, key order, blank
/// lines, quoting, `\r\n` line ends (only a missing last line break is added). A changed value keeps its place and its end-of-line comment; an added key
/// comes after the comments that close its section (such as the example file's
/// `# featured_workshop = …`); a removed key takes only its own line, the comments above it
/// stay. The result is checked with [`parse`] before anything is written: an invalid result,
/// or an existing file that is not valid TOML, changes nothing. The file is replaced at once
/// (temporary file, fsync, rename) and keeps its permission bits; a new one gets `0o640`.
pub fn update_settings(data_dir: &Path, change: &SettingsChange) -> Result<FileConfig> {
    // The lock guards no data: a holder that panicked left nothing half done in memory.
    let _serial = SETTINGS_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let path = data_dir.join(CONFIG_FILE);
    let read =
        |e| anyhow::Error::new(e).context(format!("impossible de lire `{}`", path.display()));
    let (old, mode) = match fs::read_to_string(&path) {
        Ok(text) => {
            let mode = fs::metadata(&path).map_err(read)?.permissions().mode();
            (Some(text), mode & 0o7777)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, 0o640),
        Err(e) => return Err(read(e)),
    };
    let mut doc: DocumentMut = old.as_deref().unwrap_or("").parse().with_context(|| {
        format!(
            "réglages `{}` illisibles, donc non modifiés : corrigez d'abord le fichier",
            path.display()
        )
    })?;
    let (text, file) = apply_change(&mut doc, change)
        .and_then(|()| {
            let mut text = doc.to_string();
            // toml_edit ends every line with `\n`; a file written on Windows keeps its `\r\n`.
            if old.as_deref().is_some_and(ends_lines_with_crlf) {
                text = text.replace("\r\n", "\n").replace('\n', "\r\n");
            }
            parse(&text).map(|file| (text, file))
        })
        .with_context(|| format!("réglages `{}` non modifiés", path.display()))?;
    if old.as_deref() != Some(text.as_str()) {
        crate::system::write_file(&path, mode, &text)?;
    }
    Ok(file)
}

fn apply_change(doc: &mut DocumentMut, change: &SettingsChange) -> Result<()> {
    if let Some(name) = &change.name {
        set_string(doc, None, "name", name)?;
    }
    match &change.featured_workshop {
        Some(Some(slug)) => set_string(doc, Some("portal"), "featured_workshop", slug)?,
        Some(None) => remove_key(doc, "portal", "featured_workshop"),
        None => {}
    }
    Ok(())
}

/// Sets `key`, at the top of the file or in the top-level `table`, to the string `text`.
fn set_string(doc: &mut DocumentMut, table: Option<&str>, key: &str, text: &str) -> Result<()> {
    let label = table.map_or(key.to_owned(), |t| format!("{t}.{key}"));
    let existing = match table {
        None => doc.get_mut(key),
        Some(name) => match doc.get_mut(name) {
            None => None,
            Some(item) => match item.as_table_like_mut() {
                Some(t) => t.get_mut(key),
                None => bail!("`{name}` doit être une section (`[{name}]`)"),
            },
        },
    };
    if let Some(item) = existing {
        return replace_string(item, text, &label);
    }

    match table.map(|name| (name, doc.get_mut(name))) {
        // A new section, after everything else (the comments closing the last one included).
        Some((name, None)) => {
            let (before, after) = split_tail(doc.trailing().as_str().unwrap_or(""), false);
            let (before, after) = (line_ended(before), after.to_owned());
            let mut new = Table::new();
            new.set_position(Some(last_position(doc) + 1));
            if !before.is_empty() {
                new.decor_mut().set_prefix(format!("{before}\n"));
            }
            new.insert(key, toml_edit::value(text));
            doc.set_trailing(after);
            doc.insert(name, Item::Table(new));
        }
        // Comments only separate `[sections]` (and the top of the file); in the other forms,
        // `portal = { … }` and `portal.key = …`, the key goes where toml_edit puts it.
        Some((_, Some(item))) if !is_section(item) => {
            if let Some(t) = item.as_table_like_mut() {
                t.insert(key, toml_edit::value(text));
            }
        }
        // A new key in an existing section: after the comments that close it.
        _ => {
            let next = next_header(doc, table);
            let mut new_key = Key::new(key);
            if let Some(tail) = tail_text(doc, next.as_deref()) {
                let (before, after) = split_tail(&tail, next.is_some());
                new_key.leaf_decor_mut().set_prefix(line_ended(before));
                set_tail_text(doc, next.as_deref(), after.to_owned());
            }
            let section = match table {
                None => Some(doc.as_table_mut()),
                Some(name) => doc.get_mut(name).and_then(Item::as_table_mut),
            };
            if let Some(section) = section {
                section.insert_formatted(&new_key, toml_edit::value(text));
            }
        }
    }
    Ok(())
}

/// `true` for a `[section]` of its own (not `name = { … }`, not `name.key = …`).
fn is_section(item: &Item) -> bool {
    item.as_table().is_some_and(|t| !t.is_dotted())
}

/// Replaces a value with the string `text`, keeping the spaces and the comment around it. An
/// equal value is left as written (its quotes included).
fn replace_string(item: &mut Item, text: &str, label: &str) -> Result<()> {
    let Some(old) = item.as_value() else {
        bail!("`{label}` doit être une valeur, pas une section");
    };
    if old.as_str() != Some(text) {
        let mut new = Value::from(text);
        *new.decor_mut() = old.decor().clone();
        *item = Item::Value(new);
    }
    Ok(())
}

/// Removes `key` from the top-level `table`, if both are there. The lines above it (comments,
/// blank lines) stay: they now open the line that followed it.
fn remove_key(doc: &mut DocumentMut, table: &str, key: &str) {
    // The key's line is in the body of `[table]`, or at the top for `table.key = …`.
    let (section, path) = match doc.get(table) {
        Some(item) if is_section(item) => (Some(table), vec![key]),
        Some(Item::Table(_)) => (None, vec![table, key]),
        Some(_) => {
            // `table = { key = … }`: the key is not on a line of its own.
            if let Some(t) = doc.get_mut(table).and_then(Item::as_table_like_mut) {
                t.remove(key);
            }
            return;
        }
        None => return,
    };
    let next_line = {
        let body = match section {
            None => doc.as_table(),
            Some(name) => match doc.get(name).and_then(Item::as_table) {
                Some(t) => t,
                None => return,
            },
        };
        let lines: Vec<Vec<String>> = body
            .get_values()
            .iter()
            .map(|(keys, _)| keys.iter().map(|k| k.get().to_owned()).collect())
            .collect();
        let Some(at) = lines.iter().position(|keys| *keys == path) else {
            return;
        };
        lines.into_iter().nth(at + 1)
    };
    let removed = match doc.get_mut(table).and_then(Item::as_table_mut) {
        Some(t) => t.remove_entry(key).map(|(key, _)| key),
        None => None,
    };
    let Some(prefix) = removed.as_ref().and_then(|k| k.leaf_decor().prefix()) else {
        return;
    };
    // What follows the last line break is the removed key's own indentation.
    let prefix = prefix.as_str().unwrap_or("");
    let lines = &prefix[..prefix.rfind('\n').map_or(0, |end| end + 1)];
    if lines.is_empty() {
        return;
    }
    match next_line {
        Some(keys) => {
            let body = match section {
                None => Some(doc.as_table_mut()),
                Some(name) => doc.get_mut(name).and_then(Item::as_table_mut),
            };
            if let Some(body) = body {
                prepend_to_line(body, &keys, lines);
            }
        }
        None => {
            let next = next_header(doc, section);
            if let Some(tail) = tail_text(doc, next.as_deref()) {
                set_tail_text(doc, next.as_deref(), format!("{lines}{tail}"));
            }
        }
    }
}

/// Puts `lines` above the line of the value at `keys` (`a.b = …` is `["a", "b"]`) in `body`.
fn prepend_to_line(body: &mut Table, keys: &[String], lines: &str) {
    let Some((last, parents)) = keys.split_last() else {
        return;
    };
    let mut t: &mut dyn toml_edit::TableLike = body;
    for key in parents {
        match t.get_mut(key).and_then(Item::as_table_like_mut) {
            Some(inner) => t = inner,
            None => return,
        }
    }
    if let Some(mut key) = t.key_mut(last) {
        let decor = key.leaf_decor_mut();
        let rest = decor.prefix().and_then(RawString::as_str).unwrap_or("");
        decor.set_prefix(format!("{lines}{rest}"));
    }
}

/// The top-level section whose header follows the body of `table` (`None`: the top of the
/// file, before any header).
fn next_header(doc: &DocumentMut, table: Option<&str>) -> Option<String> {
    let from = match table {
        None => isize::MIN,
        Some(name) => doc.get(name)?.as_table()?.position()?,
    };
    doc.iter()
        .filter_map(|(key, item)| {
            let t = item.as_table().filter(|_| is_section(item))?;
            Some((t.position()?, key))
        })
        .filter(|&(position, _)| position > from)
        .min()
        .map(|(_, key)| key.to_owned())
}

/// The position after every section's, for a new section at the end.
fn last_position(doc: &DocumentMut) -> isize {
    doc.iter()
        .filter_map(|(_, item)| item.as_table()?.position())
        .chain(doc.as_table().position())
        .max()
        .unwrap_or(0)
}

/// The text between a section's last line and the header `next` (its comments and blank
/// lines), or the end of the file when `next` is `None`. `None` when it was never written.
fn tail_text(doc: &DocumentMut, next: Option<&str>) -> Option<String> {
    let raw = match next {
        Some(name) => doc.get(name)?.as_table()?.decor().prefix()?,
        None => doc.trailing(),
    };
    raw.as_str().map(str::to_owned)
}

fn set_tail_text(doc: &mut DocumentMut, next: Option<&str>, text: String) {
    match next {
        Some(name) => {
            if let Some(t) = doc.get_mut(name).and_then(Item::as_table_mut) {
                t.decor_mut().set_prefix(RawString::from(text));
            }
        }
        None => doc.set_trailing(text),
    }
}

/// Splits the text between two sections into what closes the first (up to its last comment
/// line) and what opens the next: the blank lines, then the comment lines right above the
/// next header (`header_follows`), which speak of that section. At the end of the file
/// (`!header_follows`) every comment closes the last section.
fn split_tail(text: &str, header_follows: bool) -> (&str, &str) {
    let mut split = text.len();
    let mut above_header = header_follows;
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        lines.push((start, line));
        start += line.len();
    }
    for &(start, line) in lines.iter().rev() {
        let blank = line.trim().is_empty();
        if blank && !line.ends_with('\n') {
            // The indentation of the next header (or spaces at the end of the file).
        } else if blank {
            above_header = false;
        } else if !above_header {
            break;
        }
        split = start;
    }
    text.split_at(split)
}

/// `true` when every line of `text` ends with `\r\n`.
fn ends_lines_with_crlf(text: &str) -> bool {
    let line_ends = text.matches('\n').count();
    line_ends > 0 && text.matches("\r\n").count() == line_ends
}

/// `text`, ending with a line break unless empty (the file's last comment may lack one).
fn line_ended(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let file = parse("").unwrap();
        assert_eq!(file.name, "Atelier numérique");
        assert_eq!(file.server.workers, 8);
        assert_eq!(file.admin.session_hours, 12);
        assert_eq!(file.admin.max_upload_mb, 4096);
        assert_eq!(file.admin.setup_code, None);
    }

    #[test]
    fn settings_are_read_and_checked() {
        let file = parse("name = \"Médiathèque\"\n[portal]\nfeatured_workshop = \"a\"\n").unwrap();
        assert_eq!(file.name, "Médiathèque");
        assert_eq!(file.portal.featured_workshop.as_deref(), Some("a"));
        let file =
            parse("[admin]\nsession_hours = 168\nmax_upload_mb = 65536\nsetup_code = \"12 34\"\n")
                .unwrap();
        assert_eq!(file.admin.session_hours, 168);
        assert_eq!(file.admin.max_upload_mb, 65536);
        assert_eq!(file.admin.setup_code.as_deref(), Some("12 34"));
        let longest_name = format!("name = \"{}\"", "é".repeat(80));
        assert_eq!(parse(&longest_name).unwrap().name.chars().count(), 80);
        let too_long_name = format!("name = \"{}\"", "é".repeat(81));
        let too_long_code = format!("[admin]\nsetup_code = \"{}\"", "7".repeat(65));
        let cases = [
            ("nom = \"x\"", "unknown field `nom`"),
            ("name = \" \"", "`name` ne peut pas être vide"),
            ("name = \"a\\nb\"", "`name` doit tenir sur une ligne"),
            ("name = \"a\\tb\"", "`name` doit tenir sur une ligne"),
            (&too_long_name, "`name` doit faire au plus 80 caractères"),
            ("[admin]\nsession_hours = 0", "`admin.session_hours`"),
            ("[admin]\nsession_hours = 169", "`admin.session_hours`"),
            ("[admin]\nmax_upload_mb = 0", "`admin.max_upload_mb`"),
            (
                "[workshops]\nretention_days = 366",
                "`workshops.retention_days`",
            ),
            ("[admin]\nmax_upload_mb = 65537", "`admin.max_upload_mb`"),
            ("[admin]\nsetup_code = \"123\"", "`admin.setup_code`"),
            (&too_long_code, "`admin.setup_code`"),
            ("[admin]\nsetup_code = \" 1234\"", "`admin.setup_code`"),
            ("[admin]\nsetup_code = \"1234 \"", "`admin.setup_code`"),
            ("[admin]\nsetup_code = \"12é4\"", "`admin.setup_code`"),
            ("[admin]\nsetup_code = \"12\\t34\"", "`admin.setup_code`"),
            ("[admin]\nsession = 1", "unknown field `session`"),
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

    fn kit_toml(dir: &Path) -> String {
        fs::read_to_string(dir.join(CONFIG_FILE)).unwrap()
    }

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    /// The names of the files in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn rename(name: &str) -> SettingsChange {
        SettingsChange {
            name: Some(name.into()),
            ..SettingsChange::default()
        }
    }

    fn feature(slug: Option<&str>) -> SettingsChange {
        SettingsChange {
            featured_workshop: Some(slug.map(str::to_owned)),
            ..SettingsChange::default()
        }
    }

    /// A file written by hand: comments everywhere, odd spacing, a literal string.
    const HAND_WRITTEN: &str = "\
# Réglages de la médiathèque.

# Le nom, en haut des pages.
name   =   'Médiathèque'   # entre apostrophes

[server]
workers = 4 # petit boîtier

[portal]
# L'atelier montré en premier.
# featured_workshop = \"proteger-ses-comptes\"

# Le réseau.
[network]
  hostname = \"media\"
";

    #[test]
    fn a_change_touches_only_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONFIG_FILE), HAND_WRITTEN).unwrap();

        let name = "Médiathèque \"Les Tilleuls\" #1";
        assert_eq!(
            update_settings(dir.path(), &rename(name)).unwrap().name,
            name
        );
        let renamed =
            HAND_WRITTEN.replace("'Médiathèque'   #", "'Médiathèque \"Les Tilleuls\" #1'   #");
        assert_ne!(renamed, HAND_WRITTEN);
        assert_eq!(kit_toml(dir.path()), renamed);

        // A new key comes after the comments that close its section.
        let file = update_settings(dir.path(), &feature(Some("bien-debuter"))).unwrap();
        assert_eq!(
            file.portal.featured_workshop.as_deref(),
            Some("bien-debuter")
        );
        let featured = renamed.replace(
            "\"proteger-ses-comptes\"\n",
            "\"proteger-ses-comptes\"\nfeatured_workshop = \"bien-debuter\"\n",
        );
        assert_eq!(kit_toml(dir.path()), featured);

        // Changed again, it keeps its place.
        update_settings(dir.path(), &feature(Some("autre"))).unwrap();
        assert_eq!(
            kit_toml(dir.path()),
            featured.replace("bien-debuter", "autre")
        );

        // Removed, it leaves the file as it was before.
        let file = update_settings(dir.path(), &feature(None)).unwrap();
        assert_eq!(file.portal.featured_workshop, None);
        assert_eq!(kit_toml(dir.path()), renamed);
        assert_eq!(listing(dir.path()), [CONFIG_FILE]);
    }

    #[test]
    fn the_example_kit_toml_gets_its_featured_workshop_under_the_commented_one() {
        let example = include_str!("../kit-image/deb/kit.toml");
        let commented = "# featured_workshop = \"proteger-ses-comptes\"\n";
        assert!(example.contains(commented));
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONFIG_FILE), example).unwrap();
        update_settings(dir.path(), &feature(Some("a"))).unwrap();
        assert_eq!(
            kit_toml(dir.path()),
            example.replace(
                commented,
                &format!("{commented}featured_workshop = \"a\"\n")
            )
        );
        update_settings(dir.path(), &feature(None)).unwrap();
        assert_eq!(kit_toml(dir.path()), example);
    }

    #[test]
    fn removing_the_featured_workshop_keeps_the_comments_above_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let text = "[portal]\n# Mis en avant :\n  featured_workshop = \"a\" # en mars\n\n\
                    [server]\nworkers = 8\n";
        fs::write(&path, text).unwrap();
        update_settings(dir.path(), &feature(None)).unwrap();
        assert_eq!(
            kit_toml(dir.path()),
            "[portal]\n# Mis en avant :\n\n[server]\nworkers = 8\n"
        );

        // Removing a key that is not there creates no `[portal]`.
        let text = "# Rien.\nname = \"Kit\"\n";
        fs::write(&path, text).unwrap();
        let file = update_settings(dir.path(), &feature(None)).unwrap();
        assert_eq!(file.name, "Kit");
        assert_eq!(kit_toml(dir.path()), text);
    }

    #[test]
    fn a_new_portal_section_goes_at_the_end_after_the_last_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        fs::write(&path, "name = \"Kit\"\n\n[usb]\nmount_roots = []\n# Fin.").unwrap();
        update_settings(dir.path(), &feature(Some("a"))).unwrap();
        assert_eq!(
            kit_toml(dir.path()),
            "name = \"Kit\"\n\n[usb]\nmount_roots = []\n# Fin.\n\n[portal]\nfeatured_workshop = \"a\"\n"
        );
    }

    #[test]
    fn a_new_name_comes_after_the_comments_at_the_top() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let text = "# Réglages.\n\n# Le réseau.\n[network]\nhostname = \"kit\"\n";
        fs::write(&path, text).unwrap();
        update_settings(dir.path(), &rename("Kit")).unwrap();
        assert_eq!(
            kit_toml(dir.path()),
            text.replace("# Réglages.\n", "# Réglages.\nname = \"Kit\"\n")
        );
    }

    #[test]
    fn a_file_written_on_windows_keeps_its_line_ends() {
        let dir = tempfile::tempdir().unwrap();
        let text =
            "name = \"Kit\"\r\n\r\n[portal]\r\n# L'atelier :\r\n\r\n[server]\r\nworkers = 8\r\n";
        fs::write(dir.path().join(CONFIG_FILE), text).unwrap();
        update_settings(dir.path(), &feature(Some("a"))).unwrap();
        let featured = text.replace(":\r\n", ":\r\nfeatured_workshop = \"a\"\r\n");
        assert_eq!(kit_toml(dir.path()), featured);
        update_settings(dir.path(), &rename("Autre")).unwrap();
        assert_eq!(kit_toml(dir.path()), featured.replace("Kit", "Autre"));
        update_settings(dir.path(), &feature(None)).unwrap();
        assert_eq!(kit_toml(dir.path()), text.replace("Kit", "Autre"));
    }

    #[test]
    fn the_portal_may_be_a_dotted_key_or_an_inline_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let cases = [
            (
                "# Mis en avant :\nportal.featured_workshop = \"a\" # mars\nname = \"Kit\"\n",
                "# Mis en avant :\nportal.featured_workshop = \"b\" # mars\nname = \"Kit\"\n",
                "# Mis en avant :\nname = \"Kit\"\n",
            ),
            (
                "portal = { featured_workshop = \"a\" } # mars\n",
                "portal = { featured_workshop = \"b\" } # mars\n",
                "portal = {} # mars\n",
            ),
        ];
        for (text, changed, removed) in cases {
            fs::write(&path, text).unwrap();
            update_settings(dir.path(), &feature(Some("b"))).unwrap();
            assert_eq!(kit_toml(dir.path()), changed);
            let file = update_settings(dir.path(), &feature(None)).unwrap();
            assert_eq!(file.portal.featured_workshop, None);
            assert_eq!(kit_toml(dir.path()), removed);
        }
        fs::write(&path, "portal = \"a\"\n").unwrap();
        let err = format!(
            "{:#}",
            update_settings(dir.path(), &feature(Some("b"))).unwrap_err()
        );
        assert!(err.contains("`portal` doit être une section"), "{err}");
    }

    #[test]
    fn a_missing_kit_toml_is_created_readable_by_its_group_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = update_settings(dir.path(), &rename("Kit")).unwrap();
        assert_eq!(file.name, "Kit");
        assert_eq!(kit_toml(dir.path()), "name = \"Kit\"\n");
        assert_eq!(mode_of(&dir.path().join(CONFIG_FILE)), 0o640);

        let dir = tempfile::tempdir().unwrap();
        update_settings(dir.path(), &feature(Some("a"))).unwrap();
        assert_eq!(
            kit_toml(dir.path()),
            "[portal]\nfeatured_workshop = \"a\"\n"
        );
    }

    #[test]
    fn a_name_with_quotes_accents_and_hashes_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONFIG_FILE), HAND_WRITTEN).unwrap();
        for name in [
            "Médiathèque \"Les Tilleuls\"",
            "L'Atelier #2",
            "Les deux : ' et \"",
            "'''\"\"\"",
            "C:\\Atelier\\",
            "Ça marche ✓ — 100 % # pas un commentaire",
        ] {
            assert_eq!(
                update_settings(dir.path(), &rename(name)).unwrap().name,
                name
            );
            assert_eq!(Config::resolve(dir.path()).unwrap().file.name, name);
        }
    }

    #[test]
    fn an_invalid_change_leaves_the_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        fs::write(&path, HAND_WRITTEN).unwrap();
        let long = "a".repeat(200);
        let cases = [
            ("", "`name` ne peut pas être vide"),
            ("  ", "`name` ne peut pas être vide"),
            ("Ligne 1\nLigne 2", "`name` doit tenir sur une ligne"),
            (long.as_str(), "`name` doit faire au plus 80 caractères"),
        ];
        for (name, want) in cases {
            let err = format!(
                "{:#}",
                update_settings(dir.path(), &rename(name)).unwrap_err()
            );
            assert!(err.contains(want), "{name:?}: {err}");
            assert!(err.contains(&format!("`{}`", path.display())), "{err}");
            assert_eq!(kit_toml(dir.path()), HAND_WRITTEN);
            assert_eq!(listing(dir.path()), [CONFIG_FILE]);
        }

        // An invalid setting already in the file is refused too.
        fs::write(&path, "[server]\nworkers = 0\n").unwrap();
        let err = format!(
            "{:#}",
            update_settings(dir.path(), &rename("Kit")).unwrap_err()
        );
        assert!(err.contains("`server.workers`"), "{err}");
        assert_eq!(kit_toml(dir.path()), "[server]\nworkers = 0\n");
    }

    #[test]
    fn a_kit_toml_that_is_not_toml_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let broken = "name = \"Kit\"\n[portal\n";
        fs::write(&path, broken).unwrap();
        let err = format!(
            "{:#}",
            update_settings(dir.path(), &rename("Autre")).unwrap_err()
        );
        let want = format!("réglages `{}` illisibles", path.display());
        assert!(err.contains(&want), "{err}");
        assert_eq!(kit_toml(dir.path()), broken);
        assert_eq!(listing(dir.path()), [CONFIG_FILE]);
    }

    #[test]
    fn the_file_keeps_its_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        fs::write(&path, HAND_WRITTEN).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        update_settings(dir.path(), &rename("Kit")).unwrap();
        assert_eq!(mode_of(&path), 0o600);
        update_settings(dir.path(), &feature(Some("a"))).unwrap();
        assert_eq!(mode_of(&path), 0o600);
    }

    #[test]
    fn a_failed_write_names_the_file_and_leaves_no_temporary_file() {
        // A data dir that does not exist: the temporary file cannot be created.
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("absent");
        let err = format!(
            "{:#}",
            update_settings(&absent, &rename("Kit")).unwrap_err()
        );
        let want = format!(
            "impossible d'écrire `{}`",
            absent.join(CONFIG_FILE).display()
        );
        assert!(err.contains(&want), "{err}");
        assert!(!absent.exists());

        // A read-only data dir. Root writes there all the same: this half needs another user.
        fs::write(dir.path().join(CONFIG_FILE), HAND_WRITTEN).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let result = update_settings(dir.path(), &rename("Kit"));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            let err = format!("{:#}", result.unwrap_err());
            let want = format!(
                "impossible d'écrire `{}`",
                dir.path().join(CONFIG_FILE).display()
            );
            assert!(err.contains(&want), "{err}");
            assert_eq!(kit_toml(dir.path()), HAND_WRITTEN);
            assert_eq!(listing(dir.path()), [CONFIG_FILE]);
        }
    }

    #[test]
    fn concurrent_changes_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONFIG_FILE), HAND_WRITTEN).unwrap();
        for round in 0..20 {
            let name = format!("Kit {round}");
            let slug = format!("atelier-{round}");
            std::thread::scope(|s| {
                s.spawn(|| update_settings(dir.path(), &rename(&name)).unwrap());
                s.spawn(|| update_settings(dir.path(), &feature(Some(&slug))).unwrap());
            });
            let file = Config::resolve(dir.path()).unwrap().file;
            assert_eq!(file.name, name);
            assert_eq!(
                file.portal.featured_workshop.as_deref(),
                Some(slug.as_str())
            );
        }
    }

    #[test]
    fn split_tail_leaves_the_comments_right_above_a_header_to_it() {
        let cases = [
            ("", true, ("", "")),
            ("\n", true, ("", "\n")),
            ("# a\n# b\n\n", true, ("# a\n# b\n", "\n")),
            ("# a\n\n# b\n", true, ("# a\n", "\n# b\n")),
            ("# a\n# b\n", true, ("", "# a\n# b\n")),
            ("# a\n\n# b\n  ", true, ("# a\n", "\n# b\n  ")),
            ("# a\r\n\r\n", true, ("# a\r\n", "\r\n")),
            ("# a\n# b\n", false, ("# a\n# b\n", "")),
            ("# a\n\n", false, ("# a\n", "\n")),
            ("# a", false, ("# a", "")),
            ("\n\n", false, ("", "\n\n")),
        ];
        for (text, header_follows, want) in cases {
            assert_eq!(split_tail(text, header_follows), want, "{text:?}");
        }
    }
}
