//! The starter library as it ships: `pack check` passes with few warnings, it holds enough
//! workshops, tutorials and glossary entries, and the glossary works end to end on the real
//! binary (search finds every word, tutorials link words once at install, an author's
//! opt-out holds, headings stay plain).

mod support;

use std::path::Path;

use mednum_kit::content::dir::DirSource;
use mednum_kit::content::{self, LoadedPack};
use support::packs::{cli, new_key, stderr, stdout};
use support::Kit;

const STARTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/content/starter");

fn starter() -> LoadedPack {
    let source = DirSource::open(Path::new(STARTER)).unwrap();
    content::load(&source, "/contenus/").unwrap()
}

/// `(errors, warnings)` from the last line of a `pack check` report.
fn check_counts(report: &str) -> (usize, usize) {
    let last = report.lines().last().unwrap_or("");
    let numbers: Vec<usize> = last
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers.as_slice() {
        [errors, warnings] => (*errors, *warnings),
        _ => panic!("no summary line in:\n{report}"),
    }
}

#[test]
fn pack_check_on_the_starter_finds_no_error_and_at_most_10_warnings() {
    let data = tempfile::tempdir().unwrap();
    let out = cli(data.path(), &["pack", "check", STARTER]);
    let report = stdout(&out);
    let (errors, warnings) = check_counts(&report);
    assert_eq!(errors, 0, "{report}{}", stderr(&out));
    assert!(warnings <= 10, "{warnings} warnings:\n{report}");
    assert!(out.status.success(), "{report}{}", stderr(&out));
}

#[test]
fn every_silenced_rule_in_the_starter_says_why() {
    let mut silenced = 0;
    for entry in walkdir::WalkDir::new(STARTER) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (i, line) in text.lines().enumerate() {
            for comment in line.split("<!--").skip(1) {
                let comment = comment.split("-->").next().unwrap_or("");
                if comment.trim_start().starts_with("falc") {
                    silenced += 1;
                    let reason = comment.split_once('—').map_or("", |(_, why)| why.trim());
                    assert!(
                        reason.split_whitespace().count() >= 3,
                        "{}:{}: a silenced rule needs a reason after « — »",
                        entry.path().display(),
                        i + 1
                    );
                }
            }
        }
    }
    assert!(silenced <= 10, "{silenced} silenced rules");
}

#[test]
fn the_starter_has_at_least_12_workshops_30_tutorials_5_forms_and_60_glossary_entries() {
    let pack = starter();
    assert!(
        pack.workshops.len() >= 12,
        "{} workshops",
        pack.workshops.len()
    );
    assert!(
        pack.glossary.len() >= 60,
        "{} glossary entries",
        pack.glossary.len()
    );
    assert!(
        pack.tutorials.len() >= 30,
        "{} tutorials",
        pack.tutorials.len()
    );
    assert!(pack.forms.len() >= 5, "{} forms", pack.forms.len());
}

#[test]
fn every_workshop_of_the_starter_links_only_to_items_that_exist() {
    let pack = starter();
    for workshop in &pack.workshops {
        for slug in &workshop.details.tutorials {
            assert!(
                pack.tutorials.iter().any(|t| &t.slug == slug),
                "workshop `{}` lists a missing tutorial `{slug}`",
                workshop.slug
            );
        }
    }
    // Links in the text that lead nowhere are findings of the file they are in.
    let broken: Vec<_> = pack
        .findings
        .iter()
        .filter(|(file, _)| file.starts_with("workshops/"))
        .collect();
    assert!(broken.is_empty(), "{broken:?}");
    // Every item a workshop body links to is a page of the portal.
    let kit = Kit::spawn();
    for workshop in &pack.workshops {
        for href in links(&workshop.notes.html) {
            if href.starts_with('/') {
                let status = kit.get(href.split('#').next().unwrap()).status;
                assert_eq!(status, 200, "workshop `{}` links to {href}", workshop.slug);
            }
        }
    }
}

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_portal_search_finds_each_glossary_word_by_its_everyday_name() {
    let pack = starter();
    let kit = Kit::spawn();
    let mut missed = Vec::new();
    for entry in &pack.glossary {
        let page = kit.get(&format!("/recherche?q={}", encode(&entry.word)));
        assert_eq!(page.status, 200);
        let wanted = format!("href=\"/glossaire/{}\"", entry.slug);
        if !page.text().contains(&wanted) {
            missed.push(entry.word.clone());
        }
    }
    assert!(missed.is_empty(), "search misses {missed:?}");
}

#[test]
fn the_portal_search_finds_what_learners_come_for_by_its_everyday_name() {
    let kit = Kit::spawn();
    // (what a learner types, an item the results must list)
    let needs = [
        ("wifi", "/tutoriels/se-connecter-au-wifi"),
        ("mot de passe oublie", "/tutoriels/mot-de-passe-oublie"),
        ("ameli", "/tutoriels/creer-son-compte-ameli"),
        ("caf", "/tutoriels/declarer-ses-ressources-a-la-caf"),
        ("pole emploi", "/tutoriels/s-actualiser-sur-france-travail"),
        (
            "france travail",
            "/tutoriels/s-actualiser-sur-france-travail",
        ),
        ("impots", "/tutoriels/trouver-son-avis-d-impot"),
        (
            "carte d'identité",
            "/tutoriels/demander-une-carte-d-identite-ou-un-permis",
        ),
        (
            "doctolib",
            "/tutoriels/prendre-un-rendez-vous-medical-en-ligne",
        ),
        ("appel video", "/tutoriels/faire-un-appel-video"),
        ("photos", "/tutoriels/envoyer-des-photos"),
        ("telephone plein", "/tutoriels/liberer-de-la-place"),
        ("qr code", "/tutoriels/scanner-un-qr-code"),
        (
            "scanner un document",
            "/tutoriels/scanner-un-document-en-pdf",
        ),
        ("mise a jour", "/tutoriels/mettre-a-jour-son-telephone"),
        (
            "ecrire plus gros",
            "/tutoriels/agrandir-le-texte-de-l-ecran",
        ),
        ("dicter", "/tutoriels/dicter-un-texte"),
        (
            "double authentification",
            "/tutoriels/activer-la-validation-en-2-etapes",
        ),
        ("changer d'adresse", "/formulaires/changer-d-adresse"),
    ];
    let mut missed = Vec::new();
    for (query, wanted) in needs {
        let page = kit.get(&format!("/recherche?q={}", encode(query)));
        assert_eq!(page.status, 200);
        if !page.text().contains(&format!("href=\"{wanted}\"")) {
            missed.push(query);
        }
    }
    assert!(missed.is_empty(), "search misses {missed:?}");
}

#[test]
fn the_glossary_has_an_index_reachable_from_home_and_one_page_per_word() {
    let pack = starter();
    let kit = Kit::spawn();
    assert!(kit.get("/").text().contains("href=\"/glossaire\""));
    let index = kit.get("/glossaire");
    assert_eq!(index.status, 200);
    let index = index.text();
    for entry in &pack.glossary {
        assert!(
            index.contains(&format!("href=\"/glossaire/{}\"", entry.slug)),
            "{}",
            entry.slug
        );
    }
    // Dictionary order: "Écran d'accueil" comes between "E-mail" and "ENT".
    let at = |word: &str| index.find(&format!(">{word}<")).unwrap();
    assert!(at("E-mail") < at("Écran d'accueil") && at("Écran d'accueil") < at("ENT"));
    let page = kit.get("/glossaire/mot-de-passe");
    assert_eq!(page.status, 200);
    let page = page.text();
    assert!(page.contains("Mot de passe : c'est quoi ?"), "{page}");
    assert!(page.contains("href=\"/glossaire/identifiant\""), "see also");
    assert_eq!(kit.get("/glossaire/absent").status, 404);
}

#[test]
fn a_starter_tutorial_shows_its_date_and_links_a_glossary_word() {
    let kit = Kit::spawn();
    let page = kit.get("/tutoriels/se-connecter-au-wifi").text();
    assert!(page.contains("Mis à jour en décembre 2026"), "{page}");
    assert!(
        page.contains("<a class=\"glossaire\" href=\"/glossaire/wi-fi\">Wi-Fi</a>"),
        "{page}"
    );
}

/// A pack whose tutorial uses glossary words of the starter in a heading, in bold, in the
/// text, and opts out of one.
fn write_linked_source(dir: &Path) {
    let w = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    w(
        "pack.toml",
        "id = \"liens\"\nversion = \"1.0.0\"\ntitle = \"Liens\"\n",
    );
    w(
        "tutorials/mots-lies.md",
        "+++\ntitle = \"Des mots liés\"\ntheme = \"securite\"\nlevel = \"debutant\"\n\
         duration = 5\nsummary = \"Un essai.\"\nupdated = \"2027-01\"\n\
         glossary_skip = [\"lien\"]\n+++\n### Un mot de passe\n\nUn texte pour essayer.\n\n\
         ## Votre mot de passe\nTouchez **Mot de passe**.\n\n\
         Votre mot de passe est secret. Un lien reste un lien.\n\n\
         ## Encore\nUn autre mot de passe.\n",
    );
}

#[test]
fn an_installed_tutorial_links_a_word_once_never_in_a_heading_and_respects_its_opt_out() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (key, public) = new_key(root.path(), "editeur");
    let out = cli(&data, &["trust", "add", &public, "--name", "Éditeur"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let src = root.path().join("src");
    write_linked_source(&src);
    let pack = root.path().join("liens-1.0.0.kitpack");
    let (src_arg, pack_arg) = (src.to_str().unwrap(), pack.to_str().unwrap());
    let build = ["pack", "build", src_arg, "--out", pack_arg, "--key"];
    let out = cli(&data, &[&build[..], &[key.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", stderr(&out));

    // The kit installs the starter (and its glossary) at first start, then the pack.
    let kit = Kit::spawn_in(&data);
    let out = cli(&data, &["pack", "import", pack_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = kit.get("/tutoriels/mots-lies/tout").text();
    let link = "href=\"/glossaire/mot-de-passe\"";
    assert_eq!(page.matches(link).count(), 1, "{page}");
    // The link is in the sentence, after the heading and the bold label.
    let linked = "Votre <a class=\"glossaire\" href=\"/glossaire/mot-de-passe\">mot de passe</a> \
                  est secret.";
    assert!(page.contains(linked), "{page}");
    assert!(page.contains("<strong>Mot de passe</strong>"), "{page}");
    assert!(page.contains("<h3>Un mot de passe</h3>"), "{page}");
    for level in ["h2", "h3"] {
        for heading in page.split(&format!("<{level}")).skip(1) {
            let heading = heading.split(&format!("</{level}>")).next().unwrap();
            assert!(!heading.contains("glossaire"), "{heading}");
        }
    }
    // The author opted out of "lien".
    assert!(!page.contains("/glossaire/lien"), "{page}");
    assert!(kit
        .get("/tutoriels/mots-lies")
        .text()
        .contains("Mis à jour en janvier 2027"));
}
