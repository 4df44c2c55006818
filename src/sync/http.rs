//! The kit's HTTP client (ureq, with time-outs set: ureq has none by default): the upstream's
//! catalog, pack downloads that resume where they stopped, reports sent to a WebDAV folder.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};

use super::catalog::{Catalog, Entry};
use crate::packs::format::{to_hex, EXTENSION};
use crate::packs::progress::Progress;

/// How the client behaves; from `[sync]` in kit.toml.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest catalog read, in bytes.
    pub max_catalog: u64,
    /// Bytes per second for downloads; `None`: as fast as the link goes.
    pub bandwidth: Option<u64>,
    pub connect: Duration,
    /// Longest wait for the next bytes of a response.
    pub read: Duration,
    pub max_redirects: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_catalog: 1 << 20,
            bandwidth: None,
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            max_redirects: 5,
        }
    }
}

pub struct Client {
    agent: ureq::Agent,
    limits: Limits,
}

/// Room kept free on the disk beyond a download (the install, the portal's own writes).
const DISK_MARGIN: u64 = 64 << 20;

/// Attempts of one download in a row, while each one brings new bytes.
const MAX_ATTEMPTS: u32 = 50;
const CHUNK: usize = 64 * 1024;

impl Client {
    pub fn new(limits: Limits) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(limits.max_redirects)
            .timeout_resolve(Some(limits.connect))
            .timeout_connect(Some(limits.connect))
            .timeout_recv_response(Some(limits.read))
            .timeout_per_read(Some(limits.read))
            .timeout_send_request(Some(limits.read))
            .timeout_send_body(Some(limits.read))
            .user_agent(format!("mednum-kit/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            limits,
        }
    }

    /// Reads and checks the catalog at `url`.
    pub fn catalog(&self, url: &str) -> Result<Catalog> {
        let mut response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| unreachable(url, e))?;
        let status = response.status().as_u16();
        if status != 200 {
            bail!("le serveur répond {status} pour le catalogue `{url}`");
        }
        let cap = self.limits.max_catalog;
        let bytes = response
            .body_mut()
            .with_config()
            .limit(cap)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => anyhow!(
                    "catalogue `{url}` trop gros (plus de {} Ko) : réglage `[sync] \
                     max_catalog_kb`",
                    cap >> 10
                ),
                e => anyhow!("catalogue `{url}` interrompu : {e}"),
            })?;
        Catalog::parse(&bytes, url)
    }

    /// Downloads `entry` from `url` into `dir` as `<sha256>.kitpack`, resuming a partial
    /// `<sha256>.part` left by an earlier attempt with a `Range` request. The file is
    /// checked (size, sha256) before it takes its final name.
    pub fn download(
        &self,
        entry: &Entry,
        url: &str,
        dir: &Path,
        progress: &Progress,
    ) -> Result<PathBuf> {
        fs::create_dir_all(dir)
            .with_context(|| format!("impossible de créer `{}`", dir.display()))?;
        let done = dir.join(format!("{}.{EXTENSION}", entry.sha256));
        if fs::metadata(&done).is_ok_and(|m| m.len() == entry.size) {
            return Ok(done);
        }
        let part_path = dir.join(format!("{}.part", entry.sha256));
        // The rest of the file must fit, with room left for the install and the portal.
        let have = fs::metadata(&part_path).map_or(0, |m| m.len().min(entry.size));
        let needed = (entry.size - have).saturating_add(DISK_MARGIN);
        if let Some(free) = crate::packs::free_bytes(dir) {
            if free < needed {
                bail!(
                    "pas assez de place sur le disque pour `{url}` ({} Mo libres, {} Mo \
                     nécessaires) : retirez des paquets, puis réessayez",
                    free >> 20,
                    needed >> 20
                );
            }
        }
        let mut part = Partial::open(part_path, entry.size)?;
        progress.start_bytes(entry.size);
        progress.advance(part.have);
        let mut attempts = 0;
        while part.have < entry.size {
            attempts += 1;
            let before = part.have;
            let result = self.attempt(url, &mut part, entry.size, progress);
            if result.is_err() {
                // What came stays for the next attempt, even across a power cut. A complete
                // file needs no flush here: the install flushes it where it goes, and a file
                // torn by a crash fails its sha256 and is fetched again.
                part.sync()?;
            }
            match result {
                Ok(()) => {}
                Err(e) if part.have > before && attempts < MAX_ATTEMPTS => {
                    log::info!(
                        "téléchargement de `{url}` coupé à {} / {} octets : reprise ({e:#})",
                        part.have,
                        entry.size
                    );
                }
                Err(e) => {
                    if part.have == 0 {
                        // Nothing worth keeping for the next attempt.
                        let _ = fs::remove_file(&part.path);
                    }
                    return Err(e.context(format!(
                        "téléchargement de `{url}` interrompu à {} / {} octets ; il reprendra \
                         de là à la prochaine tentative",
                        part.have, entry.size
                    )));
                }
            }
        }
        let sha = to_hex(&part.hasher.clone().finalize());
        if sha != entry.sha256 {
            let _ = fs::remove_file(&part.path);
            bail!(
                "le fichier `{url}` ne correspond pas au catalogue (empreinte sha256 {}… au lieu \
                 de {}…) : il est effacé",
                &sha[..16],
                &entry.sha256[..16]
            );
        }
        fs::rename(&part.path, &done)
            .with_context(|| format!("impossible de renommer `{}`", part.path.display()))?;
        Ok(done)
    }

    /// One request: the missing bytes (or all of them, when the server ignores `Range`).
    fn attempt(&self, url: &str, part: &mut Partial, size: u64, progress: &Progress) -> Result<()> {
        let mut request = self.agent.get(url);
        if part.have > 0 {
            request = request.header("Range", format!("bytes={}-", part.have));
        }
        let response = request.call().map_err(|e| unreachable(url, e))?;
        let status = response.status().as_u16();
        match status {
            206 => {
                let range = response
                    .headers()
                    .get("Content-Range")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let start = content_range_start(range);
                if start != Some(part.have) {
                    part.restart()?;
                    bail!("réponse partielle incohérente (`Content-Range: {range}`) : le fichier repart de zéro");
                }
            }
            200 => {
                if part.have > 0 {
                    log::info!(
                        "`{url}` : le serveur ne sait pas reprendre, le fichier repart de zéro"
                    );
                    part.restart()?;
                    progress.start_bytes(size);
                }
            }
            _ => bail!("le serveur répond {status} pour `{url}`"),
        }
        let mut body = response.into_body().into_reader();
        let mut buf = vec![0u8; CHUNK];
        let started = Instant::now();
        let mut received: u64 = 0;
        loop {
            let n = body
                .read(&mut buf)
                .map_err(|e| anyhow!("connexion coupée : {e}"))?;
            if n == 0 {
                break;
            }
            if part.have + n as u64 > size {
                part.restart()?;
                bail!("le fichier `{url}` est plus gros que le catalogue l'annonce ({size} octets) : il est effacé");
            }
            part.append(&buf[..n])?;
            progress.advance(n as u64);
            received += n as u64;
            self.pace(received, started);
        }
        if part.have < size {
            bail!("connexion fermée avant la fin");
        }
        Ok(())
    }

    /// Sleeps as long as needed to keep under the bandwidth limit.
    fn pace(&self, received: u64, started: Instant) {
        if let Some(rate) = self.limits.bandwidth.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(received as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }

    /// `PUT`s `bytes` at `url` (a WebDAV folder's file). `auth`: user and password for HTTP
    /// Basic authentication (a Nextcloud share's token and password).
    pub fn put(
        &self,
        url: &str,
        bytes: &[u8],
        content_type: &str,
        auth: Option<&str>,
    ) -> Result<()> {
        let mut request = self.agent.put(url).header("Content-Type", content_type);
        if let Some(auth) = auth {
            request = request.header("Authorization", format!("Basic {auth}"));
        }
        let response = request.send(bytes).map_err(|e| unreachable(url, e))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            bail!(
                "le serveur répond {status} à l'envoi de `{}`",
                without_credentials(url)
            );
        }
        Ok(())
    }
}

fn unreachable(url: &str, e: ureq::Error) -> anyhow::Error {
    anyhow!("impossible de joindre `{}` : {e}", without_credentials(url))
}

/// `url` without a `user:password@` part, for messages and logs.
pub fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{host}{}", &rest[end..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// `bytes 100-199/200` → 100.
fn content_range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (start, _) = rest.split_once('-')?;
    start.trim().parse().ok()
}

/// Whether the host of `url` answers on its port within `timeout`: cheap, no request.
pub fn reachable(url: &str, timeout: Duration) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let default_port = if scheme == "https" { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(port) => (h.trim_matches(['[', ']']), port),
            Err(_) => (authority, default_port),
        },
        _ => (authority.trim_matches(['[', ']']), default_port),
    };
    let Ok(addresses) = (host, port).to_socket_addrs() else {
        return false;
    };
    addresses
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, timeout).is_ok())
}

/// A download's partial file and the hash of what it holds.
struct Partial {
    path: PathBuf,
    file: File,
    have: u64,
    hasher: Sha256,
}

impl Partial {
    /// Opens (or creates) the partial file; what it holds is hashed again, so the download
    /// goes on where it stopped. More bytes than expected: it starts again.
    fn open(path: PathBuf, size: u64) -> Result<Partial> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .with_context(|| format!("impossible d'écrire `{}`", path.display()))?;
        // Two syncs at once (the kit's own and a `sync upstream` by hand) must not append
        // to the same file; the lock goes with the file when it is closed.
        if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
            bail!(
                "`{}` est déjà en cours de téléchargement par une autre synchronisation",
                path.display()
            );
        }
        let mut hasher = Sha256::new();
        let mut have = file.metadata()?.len();
        if have > size {
            file.set_len(0)?;
            have = 0;
        } else if have > 0 {
            file.seek(SeekFrom::Start(0))?;
            io::copy(&mut (&mut file).take(have), &mut HashWriter(&mut hasher))
                .with_context(|| format!("impossible de lire `{}`", path.display()))?;
        }
        Ok(Partial {
            path,
            file,
            have,
            hasher,
        })
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        if let Err(e) = self.file.write_all(bytes) {
            if e.raw_os_error() == Some(libc::ENOSPC) {
                // A full disk: the partial file goes, so the kit keeps working.
                let _ = fs::remove_file(&self.path);
                self.have = 0;
            }
            return Err(e)
                .with_context(|| format!("impossible d'écrire `{}`", self.path.display()));
        }
        self.hasher.update(bytes);
        self.have += bytes.len() as u64;
        Ok(())
    }

    fn restart(&mut self) -> Result<()> {
        self.file.set_len(0)?;
        self.have = 0;
        self.hasher = Sha256::new();
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .with_context(|| format!("impossible d'écrire `{}`", self.path.display()))
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_gives_its_start() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
        assert_eq!(content_range_start("items 1-2/3"), None);
    }

    #[test]
    fn credentials_never_reach_messages() {
        assert_eq!(
            without_credentials("https://tok:secret@cloud.example/public.php/webdav/a.csv"),
            "https://cloud.example/public.php/webdav/a.csv"
        );
        assert_eq!(without_credentials("http://h/a@b"), "http://h/a@b");
    }

    #[test]
    fn an_unknown_host_is_unreachable() {
        assert!(!reachable(
            "http://127.0.0.1:1/catalog.json",
            Duration::from_millis(200)
        ));
        assert!(!reachable("not a url", Duration::from_millis(200)));
    }
}
