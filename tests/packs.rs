//! Content packs end to end: build → check → import → served and found, upgrade, rollback,
//! remove, export; and every hostile pack refused with the library untouched.

mod support;

use std::path::Path;

use support::packs::{cli, new_key, stderr, stdout, tree, write_source, write_zip, RawPack};
use support::Kit;

/// A data dir whose kit trusts a fresh key; returns (temp root, data dir, key path).
fn trusted_kit_dir() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (key, public) = new_key(root.path(), "editeur");
    let out = cli(&data, &["trust", "add", &public, "--name", "Éditeur test"]);
    assert!(out.status.success(), "{}", stderr(&out));
    (root, data, key)
}

fn build(src: &Path, out: &Path, key: Option<&Path>) {
    let mut args = vec![
        "pack",
        "build",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(key) = key {
        args.extend(["--key", key.to_str().unwrap()]);
    }
    let result = cli(Path::new("/nonexistent-data"), &args);
    assert!(
        result.status.success(),
        "build failed: {}{}",
        stdout(&result),
        stderr(&result)
    );
}

fn list_json(data: &Path) -> String {
    let out = cli(data, &["pack", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn a_built_pack_is_imported_while_the_kit_runs_and_shows_at_once() {
    let (root, data, key) = trusted_kit_dir();
    let src = root.path().join("src");
    write_source(&src, "fiches", "1.0.0", "zéphyrin");
    let check = cli(&data, &["pack", "check", src.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    let pack = root.path().join("fiches-1.0.0.kitpack");
    build(&src, &pack, Some(&key));

    let kit = Kit::spawn_in(&data);
    assert_eq!(kit.get("/tutoriels/tutoriel-fiches").status, 404);
    // Workers keep rendered pages: warm them, so that the import must make them stale.
    for _ in 0..30 {
        assert!(!kit.get("/").text().contains("/themes/theme-fiches"));
    }
    let out = cli(&data, &["pack", "import", pack.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("installé : fiches 1.0.0"),
        "{}",
        stdout(&out)
    );

    let page = kit.get("/tutoriels/tutoriel-fiches/etape/1");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("zéphyrin"));
    let image = page
        .text()
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(kit.get(&image).status, 200, "{image}");
    assert!(kit
        .get("/recherche?q=zephyrin")
        .text()
        .contains("/tutoriels/tutoriel-fiches"));
    for _ in 0..30 {
        assert!(kit.get("/").text().contains("/themes/theme-fiches"));
    }
}

#[test]
fn the_same_source_builds_to_the_same_bytes() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("src");
    write_source(&src, "fiches", "1.0.0", "mot");
    let (key, _) = new_key(root.path(), "k");
    let (a, b) = (root.path().join("a.kitpack"), root.path().join("b.kitpack"));
    build(&src, &a, Some(&key));
    build(&src, &b, Some(&key));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // A plain zip tool sees the manifest first, then every file.
    let zip = zip::ZipArchive::new(std::fs::File::open(&a).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names[0], "manifest.json");
    assert!(names.iter().any(|n| n == "tutorials/tutoriel-fiches.md"));
}

#[test]
fn upgrade_keeps_the_previous_version_for_rollback_then_remove() {
    let (root, data, key) = trusted_kit_dir();
    let (v1, v2) = (root.path().join("v1"), root.path().join("v2"));
    write_source(&v1, "fiches", "1.0.0", "ancien");
    write_source(&v2, "fiches", "1.1.0", "nouveau");
    let (p1, p2) = (
        root.path().join("f-1.kitpack"),
        root.path().join("f-2.kitpack"),
    );
    build(&v1, &p1, Some(&key));
    build(&v2, &p2, Some(&key));
    let kit = Kit::spawn_in(&data);
    let step = "/tutoriels/tutoriel-fiches/etape/1";

    assert!(cli(&data, &["pack", "import", p1.to_str().unwrap()])
        .status
        .success());
    let out = cli(&data, &["pack", "import", p2.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("mis à jour : fiches 1.0.0 → 1.1.0"),
        "{}",
        stdout(&out)
    );
    assert!(kit.get(step).text().contains("nouveau"));
    assert!(list_json(&data).contains("\"previous_version\": \"1.0.0\""));

    let again = cli(&data, &["pack", "import", p2.to_str().unwrap()]);
    assert!(
        stdout(&again).contains("déjà installé"),
        "{}",
        stdout(&again)
    );

    let out = cli(&data, &["pack", "rollback", "fiches"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kit.get(step).text().contains("ancien"));
    assert!(list_json(&data).contains("\"version\": \"1.0.0\""));

    // The older file is refused unless asked for; the newer one upgrades again.
    let out = cli(&data, &["pack", "import", p2.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let down = cli(&data, &["pack", "import", p1.to_str().unwrap()]);
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("--allow-downgrade"),
        "{}",
        stderr(&down)
    );
    let down = cli(
        &data,
        &["pack", "import", p1.to_str().unwrap(), "--allow-downgrade"],
    );
    assert!(down.status.success(), "{}", stderr(&down));
    assert!(kit.get(step).text().contains("ancien"));

    let out = cli(&data, &["pack", "remove", "fiches"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(kit.get(step).status, 404);
    assert!(!data.join("packs/fiches").exists());
    assert!(!cli(&data, &["pack", "remove", "starter"]).status.success());
}

/// The starter built into the kit as a source at `version`, with `line` added to the
/// tutorial `mot-de-passe-solide`, built into `ROOT/starter-VERSION.kitpack` signed by `key`.
fn starter_pack(root: &Path, version: &str, line: &str, key: &Path) -> std::path::PathBuf {
    let src = root.join(format!("starter-src-{version}"));
    let embedded = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/starter");
    for entry in walkdir::WalkDir::new(&embedded) {
        let entry = entry.unwrap();
        let to = src.join(entry.path().strip_prefix(&embedded).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let toml = std::fs::read_to_string(src.join("pack.toml")).unwrap();
    std::fs::write(
        src.join("pack.toml"),
        toml.replacen(
            "version = \"1.0.0\"",
            &format!("version = \"{version}\""),
            1,
        ),
    )
    .unwrap();
    let tutorial = src.join("tutorials/mot-de-passe-solide.md");
    let text = std::fs::read_to_string(&tutorial).unwrap();
    std::fs::write(&tutorial, format!("{text}\n{line}\n")).unwrap();
    let pack = root.join(format!("starter-{version}.kitpack"));
    build(&src, &pack, Some(key));
    pack
}

/// The starter can be upgraded by a signed pack from the key designated for it, then
/// rolled back to the version built into the kit, which stays trusted and is not
/// reinstalled at the next start; rolling forward again needs the key still designated.
#[test]
fn the_starter_rolls_back_from_a_signed_upgrade_to_the_built_in_version() {
    let (root, data, key) = trusted_kit_dir();
    let public = root.path().join("editeur.key.pub");
    let out = cli(
        &data,
        &["trust", "add", public.to_str().unwrap(), "--starter"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let pack = starter_pack(root.path(), "1.1.0", "Version quinze.", &key);

    let mut kit = Kit::spawn_in(&data);
    let page = "/tutoriels/mot-de-passe-solide/tout";
    let out = cli(&data, &["pack", "import", pack.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("starter 1.0.0 → 1.1.0"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(kit.get(page).text().contains("Version quinze"));

    // The built-in version comes back from the binary, not from its folder on the disk.
    let kept = data.join("packs/starter/1.0.0/tutorials/mot-de-passe-solide.md");
    let mut text = std::fs::read_to_string(&kept).unwrap();
    text.push_str("\nTexte ajouté en douce.\n");
    std::fs::write(&kept, text).unwrap();
    let out = cli(&data, &["pack", "rollback", "starter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = kit.get(page).text();
    assert!(!shown.contains("Version quinze") && !shown.contains("en douce"));
    let list = list_json(&data);
    assert!(list.contains("\"version\": \"1.0.0\""), "{list}");
    assert!(list.contains("\"trusted\": true"), "{list}");
    kit.stop();

    let mut kit = Kit::spawn_in(&data);
    assert!(
        !kit.log().contains("installed starter pack"),
        "{}",
        kit.log()
    );
    assert!(list_json(&data).contains("\"previous_version\": \"1.1.0\""));
    // Another key designated meanwhile: the kept 1.1.0 may not come back.
    let (_, other) = new_key(root.path(), "autre");
    let out = cli(&data, &["trust", "add", &other, "--starter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&data, &["pack", "rollback", "starter"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--starter"), "{}", stderr(&out));
    assert!(!kit.get(page).text().contains("Version quinze"));
    let out = cli(
        &data,
        &["trust", "add", public.to_str().unwrap(), "--starter"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&data, &["pack", "rollback", "starter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kit.get(page).text().contains("Version quinze"));
    kit.stop();
}

/// The short form of a key, as messages show it.
fn short(key: &str) -> &str {
    &key[..16]
}

/// Before, any trusted key could replace any installed pack id silently. Now an id belongs
/// to the key that first installed it: another key's pack is refused, naming both keys,
/// and nothing changes, unless the admin hands the id over with `--replace-publisher`.
#[test]
fn a_second_key_cannot_take_over_an_installed_pack_id_without_replace_publisher() {
    let (root, data, key) = trusted_kit_dir();
    let first_public = std::fs::read_to_string(root.path().join("editeur.key.pub")).unwrap();
    let first_public = first_public.trim();
    let (other_key, other_public) = new_key(root.path(), "autre");
    let out = cli(
        &data,
        &["trust", "add", &other_public, "--name", "Autre éditeur"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let pack = |version: &str, word: &str, key: &Path| {
        let src = root.path().join(format!("src-{version}"));
        write_source(&src, "fiches", version, word);
        let pack = root.path().join(format!("fiches-{version}.kitpack"));
        build(&src, &pack, Some(key));
        pack
    };
    let own = pack("1.0.0", "original", &key);
    let taken = pack("2.0.0", "usurpé", &other_key);
    let later = pack("3.0.0", "repris", &key);
    let out = cli(&data, &["pack", "import", own.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kit = Kit::spawn_in(&data);
    let step = "/tutoriels/tutoriel-fiches/etape/1";

    let before_list = list_json(&data);
    let before_tree = tree(root.path());
    let out = cli(&data, &["pack", "import", taken.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(!out.status.success(), "taken over: {}", stdout(&out));
    for said in [
        "`fiches`",
        "fiches-2.0.0.kitpack",
        short(first_public),
        "Éditeur test",
        short(&other_public),
        "Autre éditeur",
        "--replace-publisher",
    ] {
        assert!(err.contains(said), "message lacks {said:?}: {err}");
    }
    assert_eq!(list_json(&data), before_list);
    assert_eq!(tree(root.path()), before_tree);
    assert!(kit.get(step).text().contains("original"));

    let out = cli(
        &data,
        &[
            "pack",
            "import",
            taken.to_str().unwrap(),
            "--replace-publisher",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kit.get(step).text().contains("usurpé"));
    assert!(list_json(&data).contains(&format!("\"owner\": \"{other_public}\"")));
    // The id is the other key's now: the first key's newer version is the one refused.
    let out = cli(&data, &["pack", "import", later.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(short(&other_public)),
        "{}",
        stderr(&out)
    );
    assert!(kit.get(step).text().contains("usurpé"));
}

/// The starter's id is reserved: a trusted key not designated for it cannot replace it,
/// even with `--replace-publisher`. After an update from the designated key,
/// `pack remove starter` brings back the built-in starter, which a restart keeps.
#[test]
fn only_the_designated_key_updates_the_starter_and_remove_brings_back_the_built_in_one() {
    let (root, data, key) = trusted_kit_dir();
    let public = std::fs::read_to_string(root.path().join("editeur.key.pub")).unwrap();
    let public = public.trim().to_owned();
    let pack = starter_pack(root.path(), "1.1.0", "Version quinze.", &key);
    let mut kit = Kit::spawn_in(&data);
    let page = "/tutoriels/mot-de-passe-solide/tout";

    let before_list = list_json(&data);
    let before_tree = tree(root.path());
    for extra in [None, Some("--replace-publisher")] {
        let mut args = vec!["pack", "import", pack.to_str().unwrap()];
        args.extend(extra);
        let out = cli(&data, &args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{extra:?}: starter replaced");
        for said in ["`starter`", short(&public), "--starter"] {
            assert!(
                err.contains(said),
                "{extra:?}: message lacks {said:?}: {err}"
            );
        }
        assert_eq!(list_json(&data), before_list);
        assert_eq!(tree(root.path()), before_tree);
    }
    assert!(!kit.get(page).text().contains("Version quinze"));

    let out = cli(&data, &["trust", "add", &public, "--starter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = stdout(&cli(&data, &["trust", "list"]));
    assert!(
        listed.contains(&format!(
            "{public}  Éditeur test  (éditeur de la bibliothèque de départ)"
        )),
        "{listed}"
    );
    let out = cli(&data, &["pack", "import", pack.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kit.get(page).text().contains("Version quinze"));

    let out = cli(&data, &["pack", "remove", "starter"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("intégrée au kit"), "{}", stdout(&out));
    assert!(!kit.get(page).text().contains("Version quinze"));
    let built_in = list_json(&data);
    assert!(
        built_in.contains("\"version\": \"1.0.0\"") && built_in.contains("\"publisher\": null"),
        "{built_in}"
    );
    kit.stop();

    let kit = Kit::spawn_in(&data);
    assert!(
        !kit.log().contains("installed starter pack"),
        "{}",
        kit.log()
    );
    assert!(!kit.get(page).text().contains("Version quinze"));
    assert_eq!(list_json(&data), built_in);
    let mut kept: Vec<String> = std::fs::read_dir(data.join("packs/starter"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept, ["1.0.0"]);
    // Already the built-in one: nothing to remove.
    let out = cli(&data, &["pack", "remove", "starter"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("fait partie du kit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_folder_imports_newest_first_and_export_round_trips_to_another_kit() {
    let (root, data, key) = trusted_kit_dir();
    let stick = root.path().join("cle-usb");
    std::fs::create_dir_all(&stick).unwrap();
    for (version, word) in [("1.0.0", "ancien"), ("2.0.0", "nouveau")] {
        let src = root.path().join(format!("src-{version}"));
        write_source(&src, "fiches", version, word);
        build(
            &src,
            &stick.join(format!("fiches-{version}.kitpack")),
            Some(&key),
        );
    }
    let out = cli(&data, &["pack", "import", stick.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("installé : fiches 2.0.0"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("ignoré"), "{}", stdout(&out));

    let dest = root.path().join("export");
    let out = cli(&data, &["pack", "export", "--all", dest.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dest.join("fiches-2.0.0.kitpack")).unwrap(),
        std::fs::read(stick.join("fiches-2.0.0.kitpack")).unwrap()
    );
    assert!(dest.join("starter-1.0.0.kitpack").is_file());

    let other = root.path().join("autre-kit");
    let public = std::fs::read_to_string(root.path().join("editeur.key.pub")).unwrap();
    assert!(cli(&other, &["trust", "add", public.trim()])
        .status
        .success());
    let out = cli(
        &other,
        &[
            "pack",
            "import",
            dest.join("fiches-2.0.0.kitpack").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let kit = Kit::spawn_in(&other);
    assert!(kit
        .get("/tutoriels/tutoriel-fiches/etape/1")
        .text()
        .contains("nouveau"));
}

#[test]
fn unsigned_packs_need_allow_untrusted_and_are_flagged() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let src = root.path().join("src");
    write_source(&src, "brouillon", "0.1.0", "essai");
    let pack = root.path().join("b.kitpack");
    build(&src, &pack, None);
    let out = cli(&data, &["pack", "import", pack.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("non signé") && stderr(&out).contains("b.kitpack"));
    let out = cli(
        &data,
        &[
            "pack",
            "import",
            pack.to_str().unwrap(),
            "--allow-untrusted",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&cli(&data, &["pack", "list"]));
    assert!(
        list.contains("brouillon 0.1.0") && list.contains("NON SIGNÉ"),
        "{list}"
    );
}

/// One hostile pack: how to make it, and the words its refusal must contain.
struct Case {
    name: &'static str,
    make: fn(&Path, &Path, &Path),
    reason: &'static str,
}

type Entries = Vec<(String, Vec<u8>)>;

/// The source's pack, signed with `key` into `out` after `edit` has changed the pack (its
/// manifest, its files) or the entries written to the zip (at first, its files).
fn signed_source(
    src: &Path,
    out: &Path,
    key: &Path,
    edit: impl FnOnce(&mut RawPack, &mut Entries),
) -> RawPack {
    let mut p = RawPack::from_source(src, "fiches");
    let mut entries = p.entries();
    edit(&mut p, &mut entries);
    p.write(out, Some(key), &entries);
    p
}

/// The source's pack with one more file, `<svg/>` at `path`, listed and signed.
fn with_listed_file(src: &Path, out: &Path, key: &Path, path: &str) {
    signed_source(src, out, key, |p, entries| {
        entries.push((path.into(), b"<svg/>".to_vec()));
        p.files = entries.clone();
        p.relist();
    });
}

fn hostile_cases() -> Vec<Case> {
    vec![
        Case {
            name: "parent dir entry",
            make: |src, out, key| with_listed_file(src, out, key, "../evil.svg"),
            reason: "remontée `..`",
        },
        Case {
            name: "absolute path",
            make: |src, out, key| with_listed_file(src, out, key, "/tmp/evil.svg"),
            reason: "chemin absolu",
        },
        Case {
            name: "backslash",
            make: |src, out, key| with_listed_file(src, out, key, "images\\evil.svg"),
            reason: "barre oblique inversée",
        },
        Case {
            name: "symlink entry",
            make: |src, out, key| {
                use std::io::Write;
                let mut p = RawPack::from_source(src, "fiches");
                let k = mednum_kit::packs::keys::load_secret(key).unwrap();
                p.manifest.publisher = Some(mednum_kit::packs::keys::public_hex(&k));
                let bytes = p.manifest.to_bytes();
                let sig = mednum_kit::packs::keys::sign(&k, &bytes);
                let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
                let o = zip::write::SimpleFileOptions::default();
                zip.start_file("manifest.json", o).unwrap();
                zip.write_all(&bytes).unwrap();
                zip.start_file("manifest.sig", o).unwrap();
                zip.write_all(sig.as_bytes()).unwrap();
                for (name, data) in &p.files {
                    zip.start_file(name.as_str(), o).unwrap();
                    zip.write_all(data).unwrap();
                }
                zip.add_symlink("images/lien.svg", "/etc/passwd", o)
                    .unwrap();
                zip.finish().unwrap();
            },
            reason: "lien symbolique",
        },
        Case {
            name: "duplicate entry",
            make: |src, out, key| {
                let mut names = (String::new(), String::new());
                signed_source(src, out, key, |_, entries| {
                    let dup = entries.iter().find(|(n, _)| n.ends_with(".svg")).unwrap();
                    let twin = (dup.0.replace(".svg", ".svh"), dup.1.clone());
                    names = (dup.0.clone(), twin.0.clone());
                    entries.push(twin);
                });
                // Rename the twin to the same name in the zip's headers.
                let bytes = std::fs::read(out).unwrap();
                let patched = replace_all(&bytes, names.1.as_bytes(), names.0.as_bytes());
                std::fs::write(out, patched).unwrap();
            },
            reason: "en double",
        },
        Case {
            name: "unlisted entry",
            make: |src, out, key| {
                signed_source(src, out, key, |_, entries| {
                    entries.push(("images/extra.svg".into(), b"<svg/>".to_vec()));
                });
            },
            reason: "absente du manifeste",
        },
        Case {
            name: "listed file missing",
            make: |src, out, key| {
                signed_source(src, out, key, |_, entries| {
                    entries.retain(|(n, _)| !n.ends_with(".svg"));
                });
            },
            reason: "absent du paquet",
        },
        Case {
            name: "truncated file",
            make: |src, out, key| {
                signed_source(src, out, key, |_, _| {});
                let bytes = std::fs::read(out).unwrap();
                std::fs::write(out, &bytes[..bytes.len() / 2]).unwrap();
            },
            reason: "zip abîmé ou incomplet",
        },
        Case {
            name: "random bytes",
            make: |_, out, _| {
                let bytes: Vec<u8> = (0..5000u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect();
                std::fs::write(out, bytes).unwrap();
            },
            reason: "zip abîmé ou incomplet",
        },
        Case {
            name: "zip bomb",
            make: |src, out, key| {
                signed_source(src, out, key, |p, entries| {
                    // Listed as 200 bytes, inflates to 200 MB of zeros.
                    let bomb = vec![0u8; 200 << 20];
                    entries.push(("images/bombe.svg".into(), bomb));
                    p.files.push(("images/bombe.svg".into(), vec![0u8; 200]));
                    p.relist();
                });
            },
            reason: "octets au lieu de 200",
        },
        Case {
            name: "manifest changed after signing",
            make: |src, out, key| {
                let mut p = signed_source(src, out, key, |_, _| {});
                let k = mednum_kit::packs::keys::load_secret(key).unwrap();
                let sig = mednum_kit::packs::keys::sign(&k, &p.manifest.to_bytes());
                p.manifest.title = "Titre changé".into();
                write_zip(out, &p.manifest.to_bytes(), Some(&sig), &p.entries());
            },
            reason: "signature invalide",
        },
        Case {
            name: "content changed after signing",
            make: |src, out, key| {
                signed_source(src, out, key, |_, entries| {
                    let md = entries
                        .iter_mut()
                        .find(|(n, _)| n.starts_with("tutorials/"))
                        .unwrap();
                    md.1.extend_from_slice("\nTexte ajouté en douce.\n".as_bytes());
                });
            },
            reason: "tutorials/tutoriel-fiches.md",
        },
        Case {
            name: "content changed, same size",
            make: |src, out, key| {
                signed_source(src, out, key, |_, entries| {
                    let md = entries
                        .iter_mut()
                        .find(|(n, _)| n.starts_with("tutorials/"))
                        .unwrap();
                    let last = md.1.len() - 2;
                    md.1[last] = b'X';
                });
            },
            reason: "empreinte sha256",
        },
        Case {
            name: "unknown key",
            make: |src, out, _| {
                let dir = out.parent().unwrap().join("inconnu");
                std::fs::create_dir_all(&dir).unwrap();
                let (other, _) = new_key(&dir, "autre");
                signed_source(src, out, &other, |_, _| {});
            },
            reason: "clé inconnue",
        },
        Case {
            name: "too many entries",
            make: |src, out, key| {
                signed_source(src, out, key, |p, entries| {
                    for i in 0..20_001 {
                        entries.push((format!("images/i{i}.svg"), Vec::new()));
                    }
                    p.files = entries.clone();
                    p.relist();
                });
            },
            reason: "trop d'entrées",
        },
        Case {
            name: "name too long",
            make: |src, out, key| {
                let name = format!("images/{}.svg", "a".repeat(300));
                with_listed_file(src, out, key, &name);
            },
            reason: "nom trop long",
        },
        Case {
            name: "huge announced size",
            make: |src, out, key| {
                signed_source(src, out, key, |p, _| {
                    p.manifest.files[0].size = 1 << 60;
                });
            },
            reason: "trop gros",
        },
        Case {
            name: "items that do not match the manifest",
            make: |src, out, key| {
                signed_source(src, out, key, |p, _| {
                    p.manifest.items.pop();
                });
            },
            reason: "ne correspond pas",
        },
    ]
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn hostile_packs_are_refused_with_a_reason_and_change_nothing() {
    let (root, data, key) = trusted_kit_dir();
    // A first, good version installed, so "unchanged" means something.
    let good = root.path().join("good-src");
    write_source(&good, "fiches", "0.9.0", "stable");
    let good_pack = root.path().join("good.kitpack");
    build(&good, &good_pack, Some(&key));
    assert!(cli(&data, &["pack", "import", good_pack.to_str().unwrap()])
        .status
        .success());

    let src = root.path().join("src");
    write_source(&src, "fiches", "1.0.0", "piège");
    let before_list = list_json(&data);
    let before_tree = tree(root.path());
    for case in hostile_cases() {
        let out_dir = root.path().join("hostile");
        std::fs::create_dir_all(&out_dir).unwrap();
        let pack = out_dir.join("piege.kitpack");
        (case.make)(&src, &pack, &key);
        let out = cli(&data, &["pack", "import", pack.to_str().unwrap()]);
        let err = stderr(&out);
        assert!(
            !out.status.success(),
            "{}: accepted\n{}",
            case.name,
            stdout(&out)
        );
        assert!(
            err.contains("piege.kitpack"),
            "{}: message lacks the file: {err}",
            case.name
        );
        assert!(
            err.contains(case.reason),
            "{}: message lacks {:?}: {err}",
            case.name,
            case.reason
        );
        assert_eq!(
            list_json(&data),
            before_list,
            "{}: library changed",
            case.name
        );
        std::fs::remove_dir_all(&out_dir).unwrap();
        assert_eq!(
            tree(root.path()),
            before_tree,
            "{}: files changed",
            case.name
        );
    }
    let kit = Kit::spawn_in(&data);
    assert!(kit
        .get("/tutoriels/tutoriel-fiches/etape/1")
        .text()
        .contains("stable"));
    let store = mednum_kit::store::Store::open(&data.join("kit.sqlite")).unwrap();
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn a_theme_with_many_tutorials_is_shown_thirty_at_a_time() {
    let (root, data, key) = trusted_kit_dir();
    let src = root.path().join("src");
    write_source(&src, "grand", "1.0.0", "mot");
    for i in 0..69 {
        std::fs::write(
            src.join(format!("tutorials/fiche-{i:02}.md")),
            format!(
                "+++\ntitle = \"Fiche {i:02}\"\ntheme = \"theme-grand\"\nlevel = \"debutant\"\n\
                 duration = 5\nsummary = \"Une fiche.\"\n+++\n## Une étape\nLisez.\n"
            ),
        )
        .unwrap();
    }
    let pack = root.path().join("grand.kitpack");
    build(&src, &pack, Some(&key));
    assert!(cli(&data, &["pack", "import", pack.to_str().unwrap()])
        .status
        .success());
    let kit = Kit::spawn_in(&data);
    let cards = |html: &str| html.matches("class=\"card\"").count();

    let first = kit.get("/themes/theme-grand").text();
    assert_eq!(cards(&first), 30);
    assert!(first.contains("Page 1 sur 3"), "{first}");
    assert!(first.contains("rel=\"next\" href=\"/themes/theme-grand?page=2\""));
    assert!(!first.contains("rel=\"prev\""));
    let second = kit.get("/themes/theme-grand?page=2").text();
    assert_eq!(cards(&second), 30);
    assert!(second.contains("rel=\"prev\" href=\"/themes/theme-grand\""));
    assert!(
        second.contains("<title>Thème grand — Page 2 sur 3"),
        "{second}"
    );
    let last = kit.get("/themes/theme-grand?page=3").text();
    assert_eq!(cards(&last), 10);
    assert!(!last.contains("rel=\"next\""));
    for bad in ["?page=4", "?page=0", "?page=02", "?page=-1", "?page=x"] {
        let r = kit.get(&format!("/themes/theme-grand{bad}"));
        assert_eq!(r.status, 404, "{bad}");
    }
    // The starter's short lists have no pager.
    assert!(!kit
        .get("/themes/securite")
        .text()
        .contains("class=\"pager\""));
    assert!(!kit.get("/ateliers").text().contains("class=\"pager\""));
}

/// The test holds the library's lock as an import in progress would: a second writer
/// with `--no-wait` fails at once and changes nothing; without it, it says once that it
/// waits, waits, and does its work when the lock is free. Readers are not held up.
#[test]
fn a_second_writer_waits_for_the_library_lock_or_with_no_wait_fails_at_once() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    let (root, data, key) = trusted_kit_dir();
    let src = root.path().join("src");
    write_source(&src, "fiches", "1.0.0", "patience");
    let pack = root.path().join("fiches.kitpack");
    build(&src, &pack, Some(&key));
    let held = std::fs::File::open(data.join(".lock")).expect("the lock file of the data dir");
    held.lock().unwrap();

    let before_list = list_json(&data);
    let before_tree = tree(root.path());
    let pack_arg = pack.to_str().unwrap();
    for args in [
        ["pack", "import", pack_arg, "--no-wait"],
        ["pack", "remove", "fiches", "--no-wait"],
        ["pack", "rollback", "fiches", "--no-wait"],
    ] {
        let out = cli(&data, &args);
        let err = stderr(&out);
        assert!(
            !out.status.success(),
            "{args:?} ran while the lock was held"
        );
        assert!(
            err.contains("une autre installation est en cours") && err.contains(".lock"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("(attente)"), "{args:?} said it waits: {err}");
    }
    assert_eq!(list_json(&data), before_list);
    assert_eq!(tree(root.path()), before_tree);

    let mut waiting = Command::new(support::BIN)
        .env_clear()
        .arg("--data-dir")
        .arg(&data)
        .args(["pack", "import", pack_arg])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr_pipe = waiting.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stderr_pipe)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line.clone());
            lines.push(line);
        }
        lines
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the second import said nothing");
    assert_eq!(first, "Une autre installation est en cours… (attente)");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "the second import did not wait"
    );
    assert_eq!(list_json(&data), before_list);

    held.unlock().unwrap();
    let out = waiting.wait_with_output().unwrap();
    let lines = reader.join().unwrap();
    assert!(out.status.success(), "{lines:?}");
    assert!(
        stdout(&out).contains("installé : fiches 1.0.0"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("(attente)")).count(),
        1,
        "{lines:?}"
    );
    assert!(list_json(&data).contains("\"id\": \"fiches\""));
}

/// Builds and imports `fiches` 1.0.0 ("ancien") then 2.0.0 ("nouveau"): 2.0.0 is installed
/// and 1.0.0 kept for rollback.
fn import_fiches_1_then_2(root: &Path, data: &Path, key: &Path) {
    for (version, word) in [("1.0.0", "ancien"), ("2.0.0", "nouveau")] {
        let src = root.join(format!("src-{version}"));
        write_source(&src, "fiches", version, word);
        let pack = root.join(format!("fiches-{version}.kitpack"));
        build(&src, &pack, Some(key));
        let out = cli(data, &["pack", "import", pack.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

/// Before, rollback indexed the kept version's files as they were on the disk: an edited
/// file was served as if signed, and with its `.kitpack` deleted the pack showed as built
/// into the kit and trusted, with it replaced by garbage the rollback still passed. Now
/// each case is refused, naming the file, and the installed version stays and is served.
#[test]
fn rollback_refuses_a_kept_version_that_no_longer_matches_its_signed_file() {
    let (root, data, key) = trusted_kit_dir();
    import_fiches_1_then_2(root.path(), &data, &key);
    let kit = Kit::spawn_in(&data);
    let step = "/tutoriels/tutoriel-fiches/etape/1";
    let kept = data.join("packs/fiches/1.0.0");
    let kitpack = data.join("packs/fiches/1.0.0.kitpack");
    let tutorial = kept.join("tutorials/tutoriel-fiches.md");
    let signed_file = std::fs::read(&kitpack).unwrap();
    let signed_text = std::fs::read(&tutorial).unwrap();
    let restore = || {
        std::fs::write(&kitpack, &signed_file).unwrap();
        std::fs::write(&tutorial, &signed_text).unwrap();
        let _ = std::fs::remove_file(kept.join("images/ajout.svg"));
    };
    let before = list_json(&data);
    assert!(before.contains("\"version\": \"2.0.0\""), "{before}");

    type Break<'a> = Box<dyn Fn() + 'a>;
    let cases: Vec<(&str, Break, &[&str])> = vec![
        (
            "file edited",
            Box::new(|| {
                let mut text = signed_text.clone();
                text.extend_from_slice("\nTexte ajouté en douce.\n".as_bytes());
                std::fs::write(&tutorial, text).unwrap();
            }),
            &["tutorials/tutoriel-fiches.md", "octets au lieu de"],
        ),
        (
            "file edited, same size",
            Box::new(|| {
                let mut text = signed_text.clone();
                let last = text.len() - 2;
                text[last] = b'X';
                std::fs::write(&tutorial, text).unwrap();
            }),
            &["tutorials/tutoriel-fiches.md", "empreinte sha256"],
        ),
        (
            "file added",
            Box::new(|| std::fs::write(kept.join("images/ajout.svg"), "<svg/>").unwrap()),
            &["images/ajout.svg", "absent du manifeste"],
        ),
        (
            ".kitpack deleted",
            Box::new(|| std::fs::remove_file(&kitpack).unwrap()),
            &["1.0.0.kitpack", "manque"],
        ),
        (
            ".kitpack replaced by garbage",
            Box::new(|| std::fs::write(&kitpack, vec![0x5a; 4096]).unwrap()),
            &["1.0.0.kitpack", "zip abîmé"],
        ),
    ];
    for (name, make, reasons) in &cases {
        make();
        let out = cli(&data, &["pack", "rollback", "fiches"]);
        let err = stderr(&out);
        assert!(
            !out.status.success(),
            "{name}: rolled back\n{}",
            stdout(&out)
        );
        for reason in *reasons {
            assert!(
                err.contains(reason),
                "{name}: message lacks {reason:?}: {err}"
            );
        }
        assert!(
            err.contains("la version 2.0.0 reste installée"),
            "{name}: {err}"
        );
        assert_eq!(list_json(&data), before, "{name}: library changed");
        assert!(kit.get(step).text().contains("nouveau"), "{name}");
        restore();
    }

    // The kept version as it was signed rolls back.
    let out = cli(&data, &["pack", "rollback", "fiches"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kit.get(step).text().contains("ancien"));
    let list = list_json(&data);
    assert!(
        list.contains("\"version\": \"1.0.0\"") && list.contains("\"trusted\": true"),
        "{list}"
    );
}

/// Regression: inline HTML in a `##` step title went to the step's body (`## Ouvrir
/// <b>Réglages</b>` showed "<b></b>" above the step's text). Through a real import: the title
/// keeps the HTML as text, the body is the text under the heading alone.
#[test]
fn html_in_a_step_title_stays_in_the_title_as_text() {
    let (root, data, key) = trusted_kit_dir();
    let src = root.path().join("src");
    write_source(&src, "titres", "1.0.0", "mot");
    // The body avoids the starter's glossary words (e.g. "icône"): their first mention
    // would become a link, and this test pins the exact HTML of the step.
    std::fs::write(
        src.join("tutorials/tutoriel-titres.md"),
        "+++\ntitle = \"Tutoriel titres\"\ntheme = \"theme-titres\"\nlevel = \"debutant\"\n\
         duration = 5\nsummary = \"Un tutoriel de test.\"\n+++\nVous apprenez.\n\n\
         ## Ouvrir <b>Réglages</b>\nTouchez l’écran.\n\n\
         ## Étape <img src=x onerror=alert(1)>\nC’est fini.\n",
    )
    .unwrap();
    let pack = root.path().join("titres.kitpack");
    build(&src, &pack, Some(&key));
    let out = cli(&data, &["pack", "import", pack.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kit = Kit::spawn_in(&data);

    let article = |html: &str| {
        let start = html.find("<article").expect("a step article");
        let end = html[start..].find("</article>").unwrap() + start;
        html[start..end].to_owned()
    };
    let one = kit.get("/tutoriels/tutoriel-titres/etape/1").text();
    assert!(
        article(&one)
            .ends_with("<h1>Ouvrir &lt;b&gt;Réglages&lt;/b&gt;</h1><p>Touchez l’écran.</p>\n"),
        "{}",
        article(&one)
    );
    let two = kit.get("/tutoriels/tutoriel-titres/etape/2").text();
    assert!(
        article(&two)
            .ends_with("<h1>Étape &lt;img src=x onerror=alert(1)&gt;</h1><p>C’est fini.</p>\n"),
        "{}",
        article(&two)
    );
    let all = kit.get("/tutoriels/tutoriel-titres/tout").text();
    assert!(!all.contains("<img src=x"), "{all}");
    assert!(!all.contains("<b>"), "{all}");
}

/// A version kept for rollback is verified only when it is rolled back to: until then its
/// files are not served, nor a staging folder's. Before, any file under `packs/` was.
#[test]
fn only_the_installed_version_of_a_pack_has_its_files_served() {
    let (root, data, key) = trusted_kit_dir();
    import_fiches_1_then_2(root.path(), &data, &key);
    let kit = Kit::spawn_in(&data);
    // Written once the kit runs (its start cleans staging folders away).
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    for folder in ["1.0.0", "2.0.0", ".staging-test"] {
        let images = data.join("packs/fiches").join(folder).join("images");
        std::fs::create_dir_all(&images).unwrap();
        std::fs::write(images.join("vue.svg"), svg).unwrap();
    }
    assert_eq!(kit.get("/contenus/fiches/2.0.0/images/vue.svg").status, 200);
    assert_eq!(kit.get("/contenus/fiches/1.0.0/images/vue.svg").status, 404);
    let staging = kit.get("/contenus/fiches/.staging-test/images/vue.svg");
    assert_eq!(staging.status, 404);
    assert_eq!(kit.get("/contenus/absent/1.0.0/images/vue.svg").status, 404);
}
