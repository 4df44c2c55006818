//! Faults during pack import: a process killed at random moments leaves the library at the
//! old or the new version, never between, and the next start cleans what was left.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mednum_kit::store::Store;
use support::packs::{cli, new_key, stderr, write_source};
use support::{Kit, SmallDisk, BIN};

/// A pack large enough that an import takes a while: the test source plus `mb` MiB of
/// incompressible images.
fn big_source(dir: &Path, version: &str, word: &str, mb: usize) {
    write_source(dir, "fiches", version, word);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ version.len() as u64;
    for i in 0..mb {
        let bytes: Vec<u8> = (0..1 << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        std::fs::write(dir.join(format!("images/photo-{i:02}.png")), bytes).unwrap();
    }
}

fn import_cmd(data: &Path, pack: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .arg("--data-dir")
        .arg(data)
        .args(["pack", "import", "--allow-downgrade"])
        .arg(pack)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// The installed version of `fiches` and whether its indexed text is that version's.
/// No staging or temporary entry (a name starting with `.`) is left in `dir`.
fn assert_no_leftovers(dir: &Path) {
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "left in {}: {leftovers:?}",
        dir.display()
    );
}

/// The length of a pack file as the kit serves it: extracted in the version's folder, or a
/// big one left in the version's `.kitpack` (`packs::inpack`), which must then hold it.
fn served_len(version_dir: &Path, rel: &str) -> Option<u64> {
    if let Ok(meta) = std::fs::metadata(version_dir.join(rel)) {
        return meta.is_file().then_some(meta.len());
    }
    let index = mednum_kit::packs::inpack::read_index(version_dir).ok()?;
    let &(offset, len) = index.get(rel)?;
    let name = version_dir.file_name()?.to_str()?;
    let kitpack = version_dir.with_file_name(format!("{name}.kitpack"));
    (std::fs::metadata(kitpack).ok()?.len() >= offset + len).then_some(len)
}

fn state(data: &Path) -> (String, String) {
    let store = Store::open(&data.join("kit.sqlite")).unwrap();
    assert!(
        store.integrity_check().unwrap().is_empty(),
        "integrity_check failed"
    );
    let version = store.pack("fiches").unwrap().unwrap().version;
    let tutorial = store.tutorial("tutoriel-fiches").unwrap().unwrap();
    let dir = data.join("packs/fiches").join(&version);
    assert!(
        served_len(&dir, "images/photo-00.png").is_some(),
        "files of {version} missing"
    );
    (version, tutorial.steps[0].plain.clone())
}

#[test]
fn killing_an_import_at_random_moments_never_leaves_a_half_installed_pack() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (key, public) = new_key(root.path(), "k");
    assert!(cli(&data, &["trust", "add", &public]).status.success());
    let words = [("1.0.0", "ancien"), ("2.0.0", "nouveau")];
    let packs: Vec<_> = words
        .iter()
        .map(|(version, word)| build_big(root.path(), &key, version, word, 24))
        .collect();
    let started = Instant::now();
    assert!(import_cmd(&data, &packs[0]).status().unwrap().success());
    let full = started.elapsed();

    let mut seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("seed {seed}, full import {full:?}");
    let mut outcomes = [0usize; 2];
    for trial in 0..20 {
        let (installed, _) = state(&data);
        let target = if installed == "1.0.0" { 1 } else { 0 };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = full.mul_f64((seed % 1000) as f64 / 1000.0 * 1.5);
        let mut child = import_cmd(&data, &packs[target]).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let (version, text) = state(&data);
        let word = words.iter().find(|(v, _)| *v == version).unwrap().1;
        assert!(
            text.contains(word),
            "trial {trial} (delay {delay:?}): version {version} shows {text:?}"
        );
        outcomes[usize::from(version != installed)] += 1;
    }
    eprintln!("unchanged {}, switched {}", outcomes[0], outcomes[1]);

    // The next start cleans what the killed imports left and serves the listed version.
    let (version, _) = state(&data);
    let kit = Kit::spawn_in(&data);
    let word = words.iter().find(|(v, _)| *v == version).unwrap().1;
    assert!(kit
        .get("/tutoriels/tutoriel-fiches/etape/1")
        .text()
        .contains(word));
    assert_no_leftovers(&data.join("packs/fiches"));
    assert!(started.elapsed() < Duration::from_secs(600));
}

/// Builds `fiches` at `version` with `mb` MiB of images, signed by `key`, into `out`.
fn build_big(root: &Path, key: &Path, version: &str, word: &str, mb: usize) -> std::path::PathBuf {
    let src = root.join(format!("src-{version}"));
    big_source(&src, version, word, mb);
    let pack = root.join(format!("fiches-{version}.kitpack"));
    let out = cli(
        Path::new("/nonexistent"),
        &[
            "pack",
            "build",
            src.to_str().unwrap(),
            "--out",
            pack.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    pack
}

#[test]
fn a_full_disk_refuses_or_stops_the_import_and_keeps_the_old_version() {
    let Some(disk) = SmallDisk::mount_or_skip("96m") else {
        return;
    };
    // The stick (and the pack sources) are elsewhere; the data dir is on the small disk.
    let stick = tempfile::tempdir().unwrap();
    let data = disk.path().join("data");
    let (key, public) = new_key(stick.path(), "k");
    assert!(cli(&data, &["trust", "add", &public]).status.success());
    let old = build_big(stick.path(), &key, "1.0.0", "ancien", 2);
    let new = build_big(stick.path(), &key, "2.0.0", "nouveau", 24);
    assert!(import_cmd(&data, &old).status().unwrap().success());

    // 1. Not enough room from the start: refused before anything is written, with a hint.
    let hog = disk.path().join("hog");
    let free_mb = 96 - 2 * 2 - 8; // roughly what the library leaves free
    std::fs::write(&hog, vec![0u8; (free_mb - 40) << 20]).unwrap();
    let out = cli(&data, &["pack", "import", new.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("fiches-2.0.0.kitpack") && err.contains("pas assez de place"),
        "{err}"
    );
    assert_eq!(state(&data).0, "1.0.0");
    std::fs::remove_file(&hog).unwrap();

    // 2. The disk fills up while the files are extracted: stopped, named, cleaned.
    let mut child = import_cmd(&data, &new)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let packs = data.join("packs/fiches");
    let deadline = Instant::now() + Duration::from_secs(60);
    let staging_seen = loop {
        let staging = std::fs::read_dir(&packs)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".staging-"));
        if staging || Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break staging;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    // Fill every byte left (the write stops with "no space left").
    let mut filler = std::fs::File::create(&hog).unwrap();
    let chunk = vec![0u8; 1 << 20];
    while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
    drop(filler);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!("full disk while extracting: {err}");
    assert!(
        staging_seen,
        "the import ended before it started extracting: {err}"
    );
    assert!(!out.status.success(), "the import passed on a full disk");
    assert!(
        err.contains("fiches-2.0.0.kitpack") || err.contains(".staging-"),
        "the error names no file: {err}"
    );
    assert!(err.contains("le disque est plein"), "no hint: {err}");
    assert_eq!(state(&data).0, "1.0.0");

    // 3. With room again, the kit starts on that data dir, cleans up and serves; the
    // import then succeeds.
    std::fs::remove_file(&hog).unwrap();
    {
        let kit = Kit::spawn_in(&data);
        assert!(kit
            .get("/tutoriels/tutoriel-fiches/etape/1")
            .text()
            .contains("ancien"));
    }
    assert_no_leftovers(&packs);
    assert!(import_cmd(&data, &new).status().unwrap().success());
    assert_eq!(state(&data), ("2.0.0".into(), state(&data).1));
    assert!(state(&data).1.contains("nouveau"));
}

/// Before the library lock, a second import (or a `serve` start) while a first-time import
/// was extracting cleaned the new pack's folder away as a leftover, and both said they
/// succeeded. Now both wait for the first, and the library is complete.
#[test]
fn an_import_and_a_serve_started_during_a_first_time_import_wait_and_delete_none_of_its_files() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (key, public) = new_key(root.path(), "k");
    assert!(cli(&data, &["trust", "add", &public]).status.success());
    const MB: usize = 32;
    let big = build_big(root.path(), &key, "1.0.0", "premier", MB);
    let other_src = root.path().join("src-autre");
    write_source(&other_src, "autre", "1.0.0", "second");
    let other = root.path().join("autre-1.0.0.kitpack");
    let out = cli(
        Path::new("/nonexistent"),
        &[
            "pack",
            "build",
            other_src.to_str().unwrap(),
            "--out",
            other.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let mut first = import_cmd(&data, &big).spawn().unwrap();
    let packs = data.join("packs/fiches");
    let deadline = Instant::now() + Duration::from_secs(60);
    let staging_seen = loop {
        let staging = std::fs::read_dir(&packs).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".staging-"))
        });
        if staging || Instant::now() > deadline || first.try_wait().unwrap().is_some() {
            break staging;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(staging_seen, "the first import never started extracting");
    let second = import_cmd(&data, &other)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Starts once both imports are done (it waits for the lock to clean leftovers).
    let kit = Kit::spawn_in(&data);
    assert!(first.wait().unwrap().success(), "the first import failed");
    let second = second.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "the second import failed: {said}");
    assert!(
        said.contains("(attente)"),
        "the second import did not wait: {said}"
    );
    assert!(
        kit.log()
            .contains("waiting for it before cleaning leftovers"),
        "{}",
        kit.log()
    );

    for i in 0..MB {
        let photo = format!("images/photo-{i:02}.png");
        assert_eq!(
            served_len(&packs.join("1.0.0"), &photo),
            Some(1 << 20),
            "{photo} lost"
        );
    }
    assert_no_leftovers(&packs);
    assert!(kit
        .get("/tutoriels/tutoriel-fiches/etape/1")
        .text()
        .contains("premier"));
    assert!(kit
        .get("/tutoriels/tutoriel-autre/etape/1")
        .text()
        .contains("second"));
    assert_eq!(state(&data).0, "1.0.0");
}
