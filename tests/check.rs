//! `pack check` as an author sees it: every finding with `file:line`, the rule and a hint,
//! all at once, and a non-zero exit on errors. The report is compared with a snapshot
//! (`MEDNUM_UPDATE_SNAPSHOTS=1` rewrites it after a deliberate change).

mod support;

use std::path::Path;

use support::packs::{cli, stderr, stdout, write_source};

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A source with one problem of each kind an author meets.
fn faulty_source(dir: &Path) {
    write(
        dir,
        "pack.toml",
        "id = \"essai\"\nversion = \"1.0.0\"\ntitle = \"Essai\"\n",
    );
    write(
        dir,
        "themes/aides.md",
        "+++\ntitle = \"Les aides\"\nsummary = \"Un thème.\"\n+++\nUn thème simple.\n",
    );
    write(
        dir,
        "tutorials/long.md",
        "+++\ntitle = \"Tutoriel\"\ntheme = \"aides\"\nlevel = \"debutant\"\nduration = 5\n\
         summary = \"Un tutoriel.\"\n+++\n\
         Voici une phrase beaucoup trop longue parce que nous avons décidé de tout dire en une \
         seule fois sans jamais reprendre notre souffle ni faire de pause pour le lecteur.\n\n\
         ## Étape\nLisez la [suite](absent.md). Regardez ![x](../images/absente.png).\n\
         Appelez la CAF au XXIe siècle ; c'est URGENT.\n\
         Une phrase *penchée*. 45 % des gens viennent.\n\
         Une phrase longue, vraiment très longue pour rien, qui dépasse la limite de quinze \
         mots du tout. <!-- falc: ignore sentence-length -->\n",
    );
    write(
        dir,
        "tutorials/niveau.md",
        "+++\ntitle = \"Niveau\"\ntheme = \"aides\"\nlevel = \"facile\"\nduration = 5\n\
         summary = \"Un essai.\"\n+++\n## Une étape\nTexte.\n",
    );
    write(
        dir,
        "workshops/atelier.md",
        "+++\ntitle = \"Atelier\"\ntheme = \"aides\"\nlevel = \"debutant\"\nduration = 60\n\
         summary = \"Un atelier.\"\nduree = 3\n+++\nDes notes.\n",
    );
}

#[test]
fn pack_check_reports_every_problem_with_file_line_rule_and_hint() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    faulty_source(&src);
    let out = cli(dir.path(), &["pack", "check", src.to_str().unwrap()]);
    assert!(!out.status.success(), "errors give a non-zero exit");
    assert!(
        stderr(&out).contains("5 erreur(s) à corriger"),
        "{}",
        stderr(&out)
    );
    let report = stdout(&out);
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/pack-check.txt");
    if std::env::var_os("MEDNUM_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &report).unwrap();
    }
    let want = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert_eq!(
        report,
        want,
        "the report changed (see {})",
        snapshot.display()
    );
}

#[test]
fn pack_check_reads_a_built_pack_too_and_a_clean_source_passes() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    write_source(&src, "propre", "1.0.0", "clair");
    let out = cli(dir.path(), &["pack", "check", src.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).ends_with("0 erreur(s), 0 remarque(s)\n"),
        "{}",
        stdout(&out)
    );

    let pack = dir.path().join("propre.kitpack");
    let built = cli(
        dir.path(),
        &[
            "pack",
            "build",
            src.to_str().unwrap(),
            "--out",
            pack.to_str().unwrap(),
        ],
    );
    assert!(built.status.success(), "{}", stderr(&built));
    let out = cli(dir.path(), &["pack", "check", pack.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("[signature] paquet non signé"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn pack_check_warns_about_themes_and_tutorials_that_exist_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    write(
        &src,
        "pack.toml",
        "id = \"refs\"\nversion = \"1.0.0\"\ntitle = \"Refs\"\n",
    );
    // `securite` is a theme of the starter library: a pack may add to it.
    write(
        &src,
        "tutorials/a.md",
        "+++\ntitle = \"A\"\ntheme = \"securite\"\nlevel = \"debutant\"\nduration = 5\n\
         summary = \"Un essai.\"\n+++\n## Une étape\nTexte.\n",
    );
    write(
        &src,
        "workshops/w.md",
        "+++\ntitle = \"W\"\ntheme = \"themes-perdus\"\nlevel = \"debutant\"\nduration = 60\n\
         summary = \"Un atelier.\"\ntutorials = [\"a\", \"mot-de-passe-solide\", \"fantome\"]\n\
         +++\nDes notes.\n",
    );
    let out = cli(dir.path(), &["pack", "check", src.to_str().unwrap()]);
    let report = stdout(&out);
    assert!(out.status.success(), "warnings only: {report}");
    let warnings: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("[reference]"))
        .collect();
    assert_eq!(warnings.len(), 2, "{report}");
    assert!(
        warnings[0].starts_with("workshops/w.md: attention [reference] le thème `themes-perdus`")
    );
    assert!(warnings[1].starts_with("workshops/w.md: attention [reference] le tutoriel `fantome`"));
}
