//! Every learner can read it: the portal's texts in the phone's language (cookie,
//! `Accept-Language`), the larger reading size, and packs that carry their items in several
//! languages — over HTTP against the real binary, with real signed packs.

mod support;

use std::path::Path;

use support::packs::{build_and_import, cli, new_key, stderr, stdout};
use support::{Kit, Response};

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const TUTORIAL_FR: &str = "+++\ntitle = \"Trouver la pharmacie\"\ntheme = \"quartier\"\n\
    level = \"debutant\"\nduration = 5\nsummary = \"Trouver la pharmacie de garde.\"\n\
    keywords = [\"pharmacie\"]\n+++\nVous cherchez une pharmacie.\n\n\
    ## Ouvrir la carte\nTouchez la carte.\n\n## Chercher\nÉcrivez pharmacie.\n";

/// A pack in French and Arabic: one theme and one tutorial, each translated.
fn bilingual_source(dir: &Path, languages: &str) {
    write(
        dir,
        "pack.toml",
        &format!(
            "id = \"quartier\"\nversion = \"1.0.0\"\ntitle = \"Le quartier\"\n\
             languages = {languages}\n"
        ),
    );
    write(
        dir,
        "themes/quartier.md",
        "+++\ntitle = \"Le quartier\"\nsummary = \"Les lieux utiles.\"\n+++\nLes lieux utiles.\n",
    );
    write(
        dir,
        "themes/quartier.ar.md",
        "+++\ntitle = \"الحي\"\nsummary = \"الأماكن المفيدة.\"\n+++\nالأماكن المفيدة.\n",
    );
    write(dir, "tutorials/pharmacie.md", TUTORIAL_FR);
    write(
        dir,
        "tutorials/pharmacie.ar.md",
        "+++\ntitle = \"إيجاد الصيدلية\"\nsummary = \"إيجاد صيدلية المناوبة.\"\n\
         keywords = [\"صيدلية\"]\n+++\nأنت تبحث عن صيدلية.\n\n\
         ## فتح الخريطة\nالمس الخريطة.\n\n## البحث\nاكتب صيدلية.\n",
    );
}

/// A kit with the bilingual pack installed (signed, trusted).
fn kit_with_bilingual_pack(root: &Path) -> Kit {
    let src = root.join("src");
    bilingual_source(&src, "[\"fr\", \"ar\"]");
    let data = root.join("data");
    let (key, public) = new_key(root, "editeur");
    assert!(cli(&data, &["trust", "add", &public]).status.success());
    let pack = root.join("quartier.kitpack");
    build_and_import(&src, &pack, &key, &data);
    Kit::spawn_in(&data)
}

fn get_as(kit: &Kit, path: &str, headers: &str) -> Response {
    kit.send(&format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n"
    ))
}

fn html_tag(body: &str) -> String {
    let start = body.find("<html").expect("an <html> tag");
    body[start..start + body[start..].find('>').unwrap() + 1].to_owned()
}

#[test]
fn the_phone_language_chooses_the_texts_and_a_cookie_overrides_it() {
    let kit = Kit::spawn();
    let french = get_as(&kit, "/", "");
    assert_eq!(french.status, 200);
    assert!(html_tag(&french.text()).contains("lang=\"fr\""));
    assert!(html_tag(&french.text()).contains("dir=\"ltr\""));

    let arabic = get_as(&kit, "/", "Accept-Language: ar-MA,ar;q=0.9,fr;q=0.5\r\n");
    let tag = html_tag(&arabic.text());
    assert!(
        tag.contains("lang=\"ar\"") && tag.contains("dir=\"rtl\""),
        "{tag}"
    );
    assert!(arabic
        .header("Vary")
        .is_some_and(|v| v.contains("Accept-Language") && v.contains("Cookie")));

    let ukrainian = get_as(&kit, "/", "Accept-Language: ar\r\nCookie: langue=uk\r\n");
    assert!(html_tag(&ukrainian.text()).contains("lang=\"uk\""));
    // The texts are the language's own, not French left in place.
    assert!(arabic.text().contains(">بحث</a>"), "{}", arabic.text());
    assert!(ukrainian.text().contains(">Пошук</a>"));
    let english = get_as(&kit, "/", "Accept-Language: en-GB\r\n").text();
    assert!(english.contains(">Search</a>") && !english.contains(">Rechercher</a>"));
    // The same page in two languages is two different pages, each kept apart.
    assert_ne!(arabic.header("ETag"), ukrainian.header("ETag"));
    let again = get_as(&kit, "/", "Accept-Language: ar\r\n");
    assert!(html_tag(&again.text()).contains("lang=\"ar\""));

    // Nonsense falls back to French.
    for headers in [
        "Cookie: langue=klingon\r\n",
        "Cookie: langue=\r\n",
        "Accept-Language: *;q=abc,,;\r\n",
        "Accept-Language: de-DE\r\nCookie: langue=../../etc\r\n",
    ] {
        let page = get_as(&kit, "/", headers);
        assert_eq!(page.status, 200, "{headers}");
        assert!(html_tag(&page.text()).contains("lang=\"fr\""), "{headers}");
    }
    // Error pages speak the phone's language too.
    let missing = get_as(&kit, "/nulle-part", "Cookie: langue=ar\r\n");
    assert_eq!(missing.status, 404);
    assert!(html_tag(&missing.text()).contains("dir=\"rtl\""));
}

#[test]
fn every_page_offers_the_languages_and_the_larger_text_without_javascript() {
    let kit = Kit::spawn();
    let home = kit.get("/").text();
    for (code, name) in [
        ("fr", "Français"),
        ("en", "English"),
        ("ar", "العربية"),
        ("uk", "Українська"),
    ] {
        assert!(
            home.contains(&format!("href=\"/reglages?langue={code}\" lang=\"{code}\"")),
            "{code}"
        );
        assert!(home.contains(name), "{name}");
    }
    assert!(home.contains("href=\"/reglages?texte=grand\""));

    // Choosing keeps a cookie and goes back to the page the link was on.
    let chosen = get_as(
        &kit,
        "/reglages?langue=ar",
        "Referer: http://127.0.0.1/themes/x?page=2\r\n",
    );
    assert_eq!(chosen.status, 303);
    assert_eq!(chosen.header("Location"), Some("/themes/x?page=2"));
    let cookie = chosen.header("Set-Cookie").unwrap();
    assert!(
        cookie.starts_with("langue=ar;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Never to another site.
    let away = get_as(
        &kit,
        "/reglages?langue=uk",
        "Referer: http://evil.example/phish\r\n",
    );
    assert_eq!(away.header("Location"), Some("/"));
    // An unknown language sets nothing.
    let unknown = get_as(&kit, "/reglages?langue=xx", "");
    assert_eq!(unknown.status, 303);
    assert_eq!(unknown.header("Set-Cookie"), None);

    let larger = get_as(&kit, "/reglages?texte=grand", "");
    assert!(larger
        .header("Set-Cookie")
        .unwrap()
        .starts_with("texte=grand;"));
    let page = get_as(&kit, "/", "Cookie: texte=grand\r\n").text();
    assert!(html_tag(&page).contains("class=\"texte-grand\""));
    assert!(page.contains("href=\"/reglages?texte=normal\""));
    assert!(!html_tag(&get_as(&kit, "/", "").text()).contains("texte-grand"));
    let normal = get_as(&kit, "/reglages?texte=normal", "");
    assert!(normal.header("Set-Cookie").unwrap().contains("Max-Age=0"));
}

#[test]
fn a_translated_item_shows_in_the_phone_language_with_a_link_to_its_original() {
    let root = tempfile::tempdir().unwrap();
    let kit = kit_with_bilingual_pack(root.path());
    let ar = "Cookie: langue=ar\r\n";

    let tutorial = get_as(&kit, "/tutoriels/pharmacie", ar).text();
    assert!(tutorial.contains("إيجاد الصيدلية"), "{tutorial}");
    assert!(!tutorial.contains("Trouver la pharmacie"));
    assert!(tutorial.contains("href=\"/tutoriels/pharmacie?original\" hreflang=\"fr\""));
    let step = get_as(&kit, "/tutoriels/pharmacie/etape/2", ar).text();
    assert!(
        step.contains("البحث") && step.contains("اكتب صيدلية"),
        "{step}"
    );
    assert!(
        step.contains("data-lang=\"ar\""),
        "Écouter reads it in Arabic"
    );
    // Arrows are drawn, not read, and mirrored in right-to-left pages (kit.css; the
    // browser test checks where they point).
    assert!(step.contains("<span class=\"arrow\" aria-hidden=\"true\">←</span>"));

    // The original, asked for: French, marked as such inside the Arabic page.
    let original = get_as(&kit, "/tutoriels/pharmacie?original", ar).text();
    assert!(html_tag(&original).contains("dir=\"rtl\""));
    assert!(original.contains("<h1 lang=\"fr\" dir=\"ltr\">Trouver la pharmacie</h1>"));
    assert!(original.contains("href=\"/tutoriels/pharmacie/etape/1?original\""));
    let original_step = get_as(&kit, "/tutoriels/pharmacie/etape/1?original", ar).text();
    assert!(original_step.contains("Ouvrir la carte"));
    assert!(original_step.contains("data-lang=\"fr\""));

    // Cards and the theme page follow; a language the pack lacks shows the French, marked.
    let theme = get_as(&kit, "/themes/quartier", ar).text();
    assert!(theme.contains("الحي") && theme.contains("إيجاد الصيدلية"));
    let english = get_as(&kit, "/themes/quartier", "Cookie: langue=en\r\n").text();
    assert!(
        english.contains(
            "<span class=\"card-title\" lang=\"fr\" dir=\"ltr\">Trouver la pharmacie</span>"
        ),
        "{english}"
    );
    assert!(
        !english.contains("?original"),
        "nothing is translated: no link"
    );
    let french = kit.get("/tutoriels/pharmacie").text();
    assert!(french.contains("<h1>Trouver la pharmacie</h1>"));

    // Search covers the phone's language, and still finds the French words.
    let found = get_as(
        &kit,
        "/recherche?q=%D8%B5%D9%8A%D8%AF%D9%84%D9%8A%D8%A9",
        ar,
    )
    .text();
    assert!(found.contains("href=\"/tutoriels/pharmacie\""), "{found}");
    let found = get_as(&kit, "/recherche?q=pharmacie", ar).text();
    assert!(found.contains("إيجاد الصيدلية"), "shown in Arabic: {found}");
    let not_in_french = kit
        .get("/recherche?q=%D8%B5%D9%8A%D8%AF%D9%84%D9%8A%D8%A9")
        .text();
    assert!(!not_in_french.contains("href=\"/tutoriels/pharmacie\""));
}

#[test]
fn pack_check_lists_the_translations_a_declared_language_lacks() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("src");
    bilingual_source(&src, "[\"fr\", \"ar\", \"uk\"]");
    let out = cli(root.path(), &["pack", "check", src.to_str().unwrap()]);
    assert!(!out.status.success());
    let report = format!("{}{}", stdout(&out), stderr(&out));
    assert!(report.contains("`uk`"), "{report}");
    assert!(report.contains("themes/quartier.uk.md"), "{report}");
    assert!(report.contains("tutorials/pharmacie.uk.md"), "{report}");
    assert!(!report.contains("pharmacie.ar.md"), "{report}");
}

#[test]
fn pack_check_refuses_a_translation_that_changes_settings_or_steps_or_language() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "tutorials/pharmacie.ar.md",
            "+++\ntitle = \"ص\"\nsummary = \"ص.\"\nlevel = \"avance\"\n+++\nص.\n\n## أ\nأ.\n\n## ب\nب.\n",
            "[\"fr\", \"ar\"]",
            "`level` se règle dans l'original",
        ),
        (
            "tutorials/pharmacie.ar.md",
            "+++\ntitle = \"ص\"\nsummary = \"ص.\"\n+++\nص.\n\n## أ\nأ.\n",
            "[\"fr\", \"ar\"]",
            "1 étape(s), l'original `tutorials/pharmacie.md` en a 2",
        ),
        (
            "tutorials/pharmacie.ar.md",
            "+++\ntitle = \"ص\"\nsummary = \"ص.\"\n+++\nص.\n\n## أ\nأ.\n\n## ب\nب.\n",
            "[\"fr\"]",
            "déclarez sa langue dans pack.toml (`languages = [\"fr\", \"ar\"]`)",
        ),
        (
            "tutorials/autre.ar.md",
            "+++\ntitle = \"ص\"\nsummary = \"ص.\"\n+++\nص.\n",
            "[\"fr\", \"ar\"]",
            "traduction sans original",
        ),
        (
            "pack.toml",
            "id = \"quartier\"\nversion = \"1.0.0\"\ntitle = \"Q\"\nlanguages = [\"fr\", \"Arabe\"]\n",
            "[\"fr\", \"ar\"]",
            "langue `Arabe` invalide",
        ),
        (
            "tutorials/pharmacie.fr.md",
            TUTORIAL_FR,
            "[\"fr\", \"ar\"]",
            "`fr` est la langue des originaux",
        ),
    ];
    for (file, text, languages, expected) in cases {
        let root = tempfile::tempdir().unwrap();
        let src = root.path().join("src");
        bilingual_source(&src, languages);
        write(&src, file, text);
        let out = cli(root.path(), &["pack", "check", src.to_str().unwrap()]);
        let report = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!out.status.success(), "{file}: {report}");
        assert!(
            report.contains(expected),
            "{file}: expected {expected:?} in {report}"
        );
        let named = if *file == "pack.toml" {
            "pack.toml"
        } else {
            file
        };
        assert!(
            report.contains(named),
            "{file}: the file is named: {report}"
        );
    }
}
