//! Starting, stopping and restarting the kit on a data dir.

mod support;

use std::process::Command;

use support::{Kit, BIN};

#[test]
fn a_restart_keeps_the_library_and_does_not_reinstall() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Kit::spawn_in(dir.path());
    assert!(
        first.log().contains("installed starter pack"),
        "{}",
        first.log()
    );
    let before = first.get("/recherche?q=mot+de+passe").text();
    assert!(first.stop().success());

    let mut second = Kit::spawn_in(dir.path());
    assert!(
        !second.log().contains("installed starter pack"),
        "{}",
        second.log()
    );
    assert_eq!(second.get("/recherche?q=mot+de+passe").text(), before);
    assert!(second.stop().success());
    let store = mednum_kit::store::Store::open(&dir.path().join("kit.sqlite")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
    assert!(dir.path().join("packs/starter").is_dir());
}

#[test]
fn sigterm_stops_the_kit_cleanly() {
    let mut kit = Kit::spawn();
    assert_eq!(kit.get("/").status, 200);
    let status = kit.stop();
    assert!(status.success(), "{status:?}");
    assert!(kit.log().contains("stopped"), "{}", kit.log());
}

#[test]
fn the_kit_name_and_featured_workshop_come_from_kit_toml() {
    let kit = Kit::spawn_with(
        "name = \"Médiathèque de Saint-Flour\"\n[portal]\nfeatured_workshop = \"proteger-ses-comptes\"\n",
    );
    let home = kit.get("/").text();
    assert!(home.contains("Médiathèque de Saint-Flour"));
    let slot = home.split("L'atelier du jour").nth(1).unwrap();
    assert!(
        slot.trim_start().contains("/ateliers/proteger-ses-comptes"),
        "{slot}"
    );
}

#[test]
fn a_broken_kit_toml_stops_the_start_with_a_message_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kit.toml"), "nom = \"x\"\n").unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kit.toml") && err.contains("unknown field `nom`"),
        "{err}"
    );
}

#[test]
fn an_address_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_clear()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&addr) && err.contains("impossible d'écouter"),
        "{err}"
    );
}

#[test]
fn help_explains_how_to_start() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        help.contains("serve") && help.contains("--data-dir") && help.contains("MEDNUM_KIT_DATA")
    );
}
