//! Faults during pack import: a process killed at random moments leaves the library at the
//! old or the new version, never between, and the next start cleans what was left.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mednum_kit::store::Store;
use support::packs::{cli, new_key, stderr, write_source};
use support::{Kit, BIN};

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
        dir.join("images/photo-00.png").is_file(),
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
    let mut packs = Vec::new();
    for (version, word) in words {
        let src = root.path().join(format!("src-{version}"));
        big_source(&src, version, word, 24);
        let pack = root.path().join(format!("fiches-{version}.kitpack"));
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
        packs.push(pack);
    }
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
    let leftovers: Vec<_> = std::fs::read_dir(data.join("packs/fiches"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(started.elapsed() < Duration::from_secs(600));
}
