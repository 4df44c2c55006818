//! The box's system files as `mednum-kit system render|init` make them, compared with
//! `tests/snapshots/system/`. After a deliberate change, rewrite the snapshots with
//! `UPDATE_SNAPSHOTS=1 cargo test --test system_files` and review the diff.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use mednum_kit::config::FileConfig;
use mednum_kit::system::init::NewBox;
use support::packs::cli as kit;
use support::BIN;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn snapshot_dir() -> PathBuf {
    repo().join("tests/snapshots/system")
}

/// The box every snapshot is made from: a real `system init` output with fixed draws.
fn fixed_box() -> NewBox {
    NewBox {
        number: 4821,
        passphrase: "tomate-nuage-piano-lapin".into(),
        setup_code: "09375512".into(),
    }
}

/// Compares `actual` with the file `path`, or rewrites it under `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "snapshot `{}` unreadable ({e}); write it with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "`{}` differs from line {}:\n--- expected\n{}\n--- actual\n{}\n\
             (if the change is meant, rerun with UPDATE_SNAPSHOTS=1 and review the diff)",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn rendered_system_files_match_their_snapshots() {
    let data = tempfile::tempdir().unwrap();
    let toml = fixed_box().kit_toml();
    std::fs::write(data.path().join("kit.toml"), &toml).unwrap();
    assert_snapshot(&snapshot_dir().join("kit.toml"), &toml);

    let out = data.path().join("out");
    let output = kit(
        data.path(),
        &["system", "render", "--out", out.to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dnsmasq.conf",
            "hostapd.conf",
            "mednum-kit-wifi.service",
            "mednum-kit.service",
            "networkmanager.conf",
            "nftables.conf"
        ]
    );
    for name in names {
        let text = std::fs::read_to_string(out.join(&name)).unwrap();
        assert_snapshot(&snapshot_dir().join(&name), &text);
    }
}

#[test]
fn the_card_matches_its_snapshot() {
    let data = tempfile::tempdir().unwrap();
    let prepared = mednum_kit::system::init::init(data.path(), &fixed_box()).unwrap();
    assert_snapshot(&snapshot_dir().join("fiche.txt"), &prepared.card().unwrap());
}

#[test]
fn the_packaged_unit_is_the_one_render_makes() {
    // The .deb ships `kit-image/deb/mednum-kit.service`; a box re-renders it from kit.toml.
    assert_snapshot(
        &repo().join("kit-image/deb/mednum-kit.service"),
        &mednum_kit::system::kit_unit(&FileConfig::default()),
    );
}

#[test]
fn the_example_settings_are_the_defaults() {
    let text = std::fs::read_to_string(repo().join("kit-image/deb/kit.toml")).unwrap();
    let example: FileConfig = toml::from_str(&text).unwrap();
    assert_eq!(
        format!("{example:?}"),
        format!("{:?}", FileConfig::default())
    );
}

#[test]
fn init_draws_a_box_once_prints_its_card_and_keeps_it() {
    let data = tempfile::tempdir().unwrap();
    let first = kit(data.path(), &["system", "init"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let card = String::from_utf8_lossy(&first.stdout);
    assert!(card.contains("Mot de passe : "), "{card}");
    let toml = std::fs::read_to_string(data.path().join("kit.toml")).unwrap();

    let second = kit(data.path(), &["system", "init"]);
    assert!(second.status.success());
    assert_eq!(String::from_utf8_lossy(&second.stdout), card);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("existait déjà"), "{err}");
    assert_eq!(
        std::fs::read_to_string(data.path().join("kit.toml")).unwrap(),
        toml
    );

    let out = data.path().join("out");
    let render = kit(
        data.path(),
        &["system", "render", "--out", out.to_str().unwrap()],
    );
    assert!(render.status.success());
}

#[test]
fn render_without_a_box_address_says_what_is_missing() {
    let data = tempfile::tempdir().unwrap();
    let out = data.path().join("out");
    let output = kit(
        data.path(),
        &["system", "render", "--out", out.to_str().unwrap()],
    );
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("`network.address` manque"), "{err}");
    assert!(
        !out.exists(),
        "nothing is written when a setting is missing"
    );
}

#[test]
fn install_writes_under_a_root_with_the_passphrase_private() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("kit.toml"), fixed_box().kit_toml()).unwrap();
    let root = data.path().join("root");
    let output = kit(
        data.path(),
        &["system", "install", "--root", root.to_str().unwrap()],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for path in [
        "etc/hostapd/hostapd.conf",
        "etc/dnsmasq.d/mednum-kit.conf",
        "etc/nftables.conf",
        "etc/systemd/system/mednum-kit.service",
        "etc/systemd/system/mednum-kit-wifi.service",
        "etc/NetworkManager/conf.d/mednum-kit.conf",
    ] {
        assert!(root.join(path).is_file(), "{path}");
    }
    let mode = std::fs::metadata(root.join("etc/hostapd/hostapd.conf"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// `systemd-analyze verify` on every unit of the box, where systemd is installed. Paths to
/// programs not installed on this machine are pointed at stand-ins first: verify checks that
/// each `ExecStart=` program exists.
#[test]
fn systemd_accepts_the_units() {
    let Some(analyze) = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("SKIP systemd_accepts_the_units: systemd-analyze is not installed");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("kit.toml"), fixed_box().kit_toml()).unwrap();
    let units = data.path().join("units");
    let output = kit(
        data.path(),
        &["system", "render", "--out", units.to_str().unwrap()],
    );
    assert!(output.status.success());
    for name in [
        "hostapd.conf",
        "dnsmasq.conf",
        "nftables.conf",
        "networkmanager.conf",
    ] {
        std::fs::remove_file(units.join(name)).unwrap();
    }
    let image = repo().join("kit-image");
    std::fs::copy(
        image.join("mednum-kit-firstboot.service"),
        units.join("mednum-kit-firstboot.service"),
    )
    .unwrap();
    // A template is checked through an instance of it.
    std::fs::copy(
        image.join("usb/mednum-kit-usb@.service"),
        units.join("mednum-kit-usb@.service"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "mednum-kit-usb@.service",
        units.join("mednum-kit-usb@sda1.service"),
    )
    .unwrap();
    let stand_ins = [
        ("/usr/bin/mednum-kit", BIN.to_owned()),
        (
            "/usr/lib/mednum-kit/firstboot",
            image.join("firstboot.sh").display().to_string(),
        ),
        (
            "/usr/lib/mednum-kit/usb-mount",
            image.join("usb/usb-mount.sh").display().to_string(),
        ),
        ("/usr/sbin/ip", which("ip")),
        ("/usr/sbin/rfkill", "/bin/true".to_owned()),
    ];
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&units).unwrap() {
        let path = entry.unwrap().path();
        if path.is_symlink() {
            checked.push(path);
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (from, to) in &stand_ins {
            text = text.replace(from, to);
        }
        std::fs::write(&path, text).unwrap();
        if !path.to_string_lossy().ends_with("@.service") {
            checked.push(path);
        }
    }
    let output = Command::new(analyze)
        .arg("verify")
        .args(&checked)
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Units named in Before=/After= but not installed here (hostapd, NetworkManager…) are
    // reported as missing: that is this machine, not the units.
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("not found") && !l.trim().is_empty())
        .collect();
    assert!(
        output.status.success() && problems.is_empty(),
        "systemd-analyze verify:\n{stderr}"
    );
}

fn which(program: &str) -> String {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let path = Path::new(dir).join(program);
        if path.exists() {
            return path.display().to_string();
        }
    }
    "/bin/true".to_owned()
}

/// Regression: `firstboot.sh` printed the card (Wi-Fi passphrase, admin setup code) on its
/// output, which its unit sends to the journal, kept on disk and readable beyond root. The
/// card now goes to the console, the SD card and a file only root reads. Runs the script's
/// card step with the real binary, every path pointed into a temporary folder.
#[test]
fn first_boot_hands_out_the_card_but_never_prints_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let boot = dir.path().join("boot");
    let root_home = dir.path().join("root");
    for d in [&data, &boot, &root_home] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::write(data.join("kit.toml"), fixed_box().kit_toml()).unwrap();
    std::fs::write(data.join("admin-setup-code"), "09375512\n").unwrap();
    let copy = root_home.join("mednum-kit-fiche.txt");
    // A copy left by an interrupted first boot, with a mode too open: replaced, not reused.
    std::fs::write(&copy, "ancienne fiche\n").unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    let console = dir.path().join("console");
    std::fs::write(&console, "").unwrap();
    let secrets = ["tomate-nuage-piano-lapin", "09375512", "0937 5512"];

    let run = |console: &Path| {
        Command::new("bash")
            .arg("-c")
            .arg(
                r#"source "$1"; KIT=$2; DATA=$3; CARD_DIR=$4; CARD_COPY=$5; CONSOLE=$6
                   hand_out_card"#,
            )
            .arg("firstboot")
            .arg(repo().join("kit-image/firstboot.sh"))
            .args([BIN.as_ref(), data.as_path(), &boot, &copy, console])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap()
    };
    let output = run(&console);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stderr}");
    for secret in secrets {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "`{secret}` reached the unit's output:\n{stdout}\n{stderr}"
        );
    }
    let card = std::fs::read_to_string(&copy).unwrap();
    assert!(
        card.contains("Mot de passe : tomate-nuage-piano-lapin") && card.contains("0937 5512"),
        "{card}"
    );
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the card copy must be root's alone");
    assert_eq!(
        std::fs::read_to_string(&console).unwrap().trim(),
        card.trim()
    );
    let fat = std::fs::read_to_string(boot.join("mednum-kit-fiche.txt")).unwrap();
    assert!(
        fat.contains("Mot de passe : tomate-nuage-piano-lapin\r\n"),
        "{fat}"
    );

    // A box with no console (or none writable) still gets its card, and still prints none.
    let output = run(&dir.path().join("no-such-dir/console"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = [output.stdout, output.stderr].concat();
    let printed = String::from_utf8_lossy(&printed);
    for secret in secrets {
        assert!(!printed.contains(secret), "`{secret}` printed:\n{printed}");
    }
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), card);
}
