//! USB sticks: which packs of a stick to install, the watch `serve` keeps on the mount
//! roots (a poll every 2 s: inotify does not see mounts), and the remount for an export.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::packs::usb::{self, Found};
use crate::store::PackRow;

/// How a pack file compares with what is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newness {
    New,
    Newer,
    Same,
    Older,
}

pub fn newness(version: &str, installed: Option<&str>) -> Newness {
    let Some(installed) = installed else {
        return Newness::New;
    };
    match (
        semver::Version::parse(version),
        semver::Version::parse(installed),
    ) {
        (Ok(a), Ok(b)) if a > b => Newness::Newer,
        (Ok(a), Ok(b)) if a == b => Newness::Same,
        _ => Newness::Older,
    }
}

/// The packs of a stick worth installing: signed by a trusted key, new or newer than the
/// installed version; of several versions of one pack, the newest.
pub fn installable<'a>(found: &'a [Found], installed: &[PackRow]) -> Vec<&'a Found> {
    let mut best: Vec<&Found> = Vec::new();
    for f in found.iter().filter(|f| f.trusted) {
        let current = installed
            .iter()
            .find(|p| p.id == f.id)
            .map(|p| p.version.as_str());
        if !matches!(newness(&f.version, current), Newness::New | Newness::Newer) {
            continue;
        }
        match best.iter_mut().find(|b| b.id == f.id) {
            Some(b) if newness(&f.version, Some(&b.version)) == Newness::Newer => *b = f,
            Some(_) => {}
            None => best.push(f),
        }
    }
    best
}

/// A stick as the watch knows it: its folder, its file system's device and its mount's id,
/// so that a stick pulled out and plugged in again between two looks (the same device
/// number, a new mount) still counts as new.
type StickId = (PathBuf, u64, u64);

fn present(roots: &[PathBuf]) -> BTreeSet<StickId> {
    usb::sticks(roots)
        .into_iter()
        .filter_map(|p| {
            let dev = std::fs::metadata(&p).ok()?.dev();
            let mount = mount_id(&p).unwrap_or(0);
            Some((p, dev, mount))
        })
        .collect()
}

/// The id of the mount holding `path` (`statx`, Linux 5.8 and later); `None` elsewhere.
fn mount_id(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statx reads a NUL-terminated path and writes into the struct we own.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    let done = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
            libc::STATX_MNT_ID,
            &mut stx,
        )
    };
    (done == 0 && stx.stx_mask & libc::STATX_MNT_ID != 0).then_some(stx.stx_mnt_id)
}

/// Watches `roots` every `every` until `shutdown`, calling `on_new` with each stick that
/// appears (its folder). Sticks there at start count as new: the kit may have been
/// restarted while one was plugged in.
pub fn watch(
    roots: Vec<PathBuf>,
    every: Duration,
    shutdown: Arc<AtomicBool>,
    mut on_new: impl FnMut(&Path) + Send + 'static,
) {
    let spawned = std::thread::Builder::new()
        .name("usb-watch".into())
        .spawn(move || {
            let mut known = BTreeSet::new();
            while !shutdown.load(Ordering::Relaxed) {
                let now = present(&roots);
                for stick in known.difference(&now) {
                    log::info!("usb: `{}` is gone", stick.0.display());
                }
                for stick in now.difference(&known) {
                    on_new(&stick.0);
                }
                known = now;
                std::thread::sleep(every);
            }
        });
    if let Err(e) = spawned {
        log::error!("usb: cannot start the watch: {e}");
    }
}

/// The stick's name under its mount root (`sda1` for `/media/sda1`).
pub fn stick_name(stick: &Path) -> String {
    stick
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `true` when the file system holding `path` is mounted read-only.
pub fn is_read_only(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statvfs reads a NUL-terminated path and writes into the struct we own.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut stat) } != 0 {
        return false;
    }
    stat.f_flag & libc::ST_RDONLY != 0
}

/// Runs the remount helper: `HELPER rw NAME` or `HELPER ro NAME`.
pub fn remount(helper: &Path, mode: &str, stick: &Path) -> Result<()> {
    let name = stick_name(stick);
    if !name.bytes().all(|b| b.is_ascii_alphanumeric()) || name.is_empty() {
        bail!(
            "la clé `{}` n'a pas un nom de périphérique (comme sda1) : elle ne peut pas être \
             remontée en écriture",
            stick.display()
        );
    }
    if !helper.is_file() {
        bail!(
            "la clé `{name}` est en lecture seule et l'outil qui la remonte en écriture \
             (`{}`) manque : installez le paquet mednum-kit du boîtier, ou exportez vers un dossier \
             avec `mednum-kit pack export --all DOSSIER`",
            helper.display()
        );
    }
    let output = Command::new(helper)
        .args([mode, &name])
        .output()
        .with_context(|| format!("impossible de lancer `{}`", helper.display()))?;
    if !output.status.success() {
        bail!(
            "`{} {mode} {name}` a échoué : {}",
            helper.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(id: &str, version: &str, trusted: bool) -> Found {
        Found {
            path: PathBuf::from(format!("/media/cle/{id}-{version}.kitpack")),
            id: id.into(),
            version: version.into(),
            title: id.into(),
            trusted,
        }
    }

    #[test]
    fn versions_compare_as_semver() {
        assert_eq!(newness("1.0.0", None), Newness::New);
        assert_eq!(newness("1.10.0", Some("1.9.0")), Newness::Newer);
        assert_eq!(newness("1.0.0", Some("1.0.0")), Newness::Same);
        assert_eq!(newness("1.0.0", Some("2.0.0")), Newness::Older);
        assert_eq!(newness("x", Some("1.0.0")), Newness::Older);
    }

    #[test]
    fn only_trusted_new_or_newer_packs_are_installed_the_newest_first() {
        let on_stick = [
            found("a", "1.0.0", true),
            found("a", "1.2.0", true),
            found("b", "1.0.0", false),
            found("c", "1.0.0", true),
        ];
        let installed = [PackRow {
            id: "c".into(),
            version: "1.0.0".into(),
            title: "C".into(),
            digest: String::new(),
            previous_version: None,
            publisher: None,
            trusted: true,
            owner: None,
            items: 1,
        }];
        let chosen: Vec<_> = installable(&on_stick, &installed)
            .iter()
            .map(|f| format!("{} {}", f.id, f.version))
            .collect();
        assert_eq!(chosen, ["a 1.2.0"]);
    }
}
