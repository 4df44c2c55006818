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

/// A form's front matter around `fields` (TOML of `[[sections.fields]]` tables).
fn form_file(fields: &str) -> String {
    format!(
        "+++\ntitle = \"Un formulaire\"\ntheme = \"aides\"\nsummary = \"Pour essayer.\"\n\
         procedure = \"Une démarche.\"\n\n[[sections]]\ntitle = \"Vous\"\n\n{fields}+++\nPour s'entraîner.\n"
    )
}

const GOOD_FIELD: &str = "[[sections.fields]]\nid = \"a-un-mail\"\ntype = \"yes-no\"\n\
    label = \"Avez-vous un e-mail ?\"\nhelp = \"Une adresse pour vos messages.\"\n\n";

#[test]
fn pack_check_reports_bad_form_definitions_and_runs_the_falc_rules_on_their_texts() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source");
    write(
        &src,
        "pack.toml",
        "id = \"essai\"\nversion = \"1.0.0\"\ntitle = \"Essai\"\n",
    );
    write(
        &src,
        "themes/aides.md",
        "+++\ntitle = \"Les aides\"\nsummary = \"Un thème.\"\n+++\nUn thème.\n",
    );
    let cases = [
        ("forms/type.md", "[[sections.fields]]\nid = \"x\"\ntype = \"signature-electronique\"\nlabel = \"X\"\n\n", "forms/type.md:12: erreur [structure] valeur `signature-electronique` inconnue"),
        ("forms/aide.md", "[[sections.fields]]\nid = \"nom\"\ntype = \"text\"\nlabel = \"Nom\"\nexample = \"Martin\"\n\n", "forms/aide.md:11: erreur [structure] le champ `nom` n'a pas d'aide (`help`)"),
        ("forms/condition.md", "[[sections.fields]]\nid = \"mail\"\ntype = \"email\"\nlabel = \"Votre e-mail\"\nhelp = \"Avec un @.\"\nexample = \"a@b.fr\"\nwhen = { field = \"a-un-mail\", equals = \"peut-être\" }\n\n", "la condition du champ `mail` parle de `a-un-mail`, qui n'est pas une question d'avant"),
        ("forms/choix.md", &format!("{GOOD_FIELD}[[sections.fields]]\nid = \"mail\"\ntype = \"email\"\nlabel = \"Votre e-mail\"\nhelp = \"Avec un @.\"\nexample = \"a@b.fr\"\nwhen = {{ field = \"a-un-mail\", equals = \"peut-être\" }}\n\n"), "la condition du champ `mail` attend `peut-être`, que `a-un-mail` ne propose pas (oui, non)"),
        ("forms/exemple.md", "[[sections.fields]]\nid = \"cp\"\ntype = \"postal-code\"\nlabel = \"Code postal\"\nhelp = \"Cinq chiffres.\"\nexample = \"5950\"\n\n", "l'exemple `5950` du champ `cp` n'est pas une réponse valable"),
        ("forms/falc.md", &format!("{GOOD_FIELD}[[sections.fields]]\nid = \"nom\"\ntype = \"text\"\nlabel = \"Votre NOM\"\nhelp = \"Le nom que vous avez reçu à la naissance ou bien celui que vous utilisez tous les jours depuis votre mariage avec votre époux.\"\nexample = \"Martin\"\n\n"), "forms/falc.md:19: attention [abbreviation] sigle « NOM »"),
    ];
    for (path, fields, _) in &cases {
        write(&src, path, &form_file(fields));
    }
    let out = cli(dir.path(), &["pack", "check", src.to_str().unwrap()]);
    assert!(!out.status.success());
    let report = stdout(&out);
    for (_, _, want) in &cases {
        assert!(report.contains(want), "missing {want:?} in:\n{report}");
    }
    assert!(
        report.contains("forms/falc.md:20: attention [sentence-length]")
            || report.contains("forms/falc.md:20: erreur [sentence-length]"),
        "{report}"
    );
    // Once fixed, the same form passes and builds.
    for (path, _, _) in &cases {
        std::fs::remove_file(src.join(path)).unwrap();
    }
    write(&src, "forms/bon.md", &form_file(GOOD_FIELD));
    let out = cli(dir.path(), &["pack", "check", src.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let built = dir.path().join("built");
    let out = cli(
        dir.path(),
        &[
            "pack",
            "build",
            src.to_str().unwrap(),
            "--out",
            built.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}
