//! "Emporter sur mon téléphone" and the print view over real HTTP with the real binary: the
//! file of every starter tutorial (headers, nothing to fetch, every step, every image inlined,
//! its size), a tutorial too big to take home, a video in a take-home file, the blank and the
//! filled-in form, and that the filled-in answers leave no trace on the kit.

mod support;

use std::path::Path;
use std::process::Command;

use support::browser::Browser;
use support::packs::{cli, new_key, write_source};
use support::{Kit, Response, BIN};

/// The take-home file of a starter tutorial must stay under this (the target).
const MAX_STARTER_BYTES: usize = 150 * 1024;
const PHONE: [u8; 4] = [127, 0, 0, 2];

/// Every starter tutorial's slug (its file name).
fn starter_tutorials() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/starter/tutorials");
    let mut slugs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".md").map(str::to_owned)
        })
        .collect();
    slugs.sort();
    assert!(slugs.len() >= 20, "{slugs:?}");
    slugs
}

/// The step titles of a tutorial, from its all-steps page.
fn step_titles(kit: &Kit, slug: &str) -> Vec<String> {
    let page = kit.get(&format!("/tutoriels/{slug}/tout"));
    assert_eq!(page.status, 200, "{slug}");
    page.text()
        .split("<h2 id=\"etape-")
        .skip(1)
        .map(|rest| {
            let title = rest.split_once("-titre\">").unwrap().1;
            title.split("</h2>").next().unwrap().to_owned()
        })
        .collect()
}

/// How many pack images the all-steps page of a tutorial shows.
fn portal_images(kit: &Kit, slug: &str) -> usize {
    kit.get(&format!("/tutoriels/{slug}/tout"))
        .text()
        .matches("<img src=\"/contenus/")
        .count()
}

/// What every take-home file must be: a download, whole, fetching nothing.
fn assert_self_contained(r: &Response, file_name: &str) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    let disposition = r.header("Content-Disposition").unwrap_or("");
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{file_name}\"")),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let text = r.text();
    assert!(
        text.starts_with("<!DOCTYPE html><html lang=\"fr\" dir=\"ltr\">"),
        "{}",
        &text[..200.min(text.len())]
    );
    for needed in [
        "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\"",
        "<style>",
        "Emporté du portail « Atelier numérique » le ",
        "Ce fichier marche sans internet.",
    ] {
        assert!(text.contains(needed), "{needed} missing in {file_name}");
    }
    for banned in [
        "<script",
        "src=\"/",
        "href=\"/",
        "href=\"#",
        "src=\"http",
        "url(",
        "<link",
        "<video",
        "<audio",
        "<iframe",
    ] {
        assert!(!text.contains(banned), "{banned} in {file_name}");
    }
    assert_eq!(
        text.matches("<img ").count(),
        text.matches(" src=\"data:image/").count(),
        "every image of {file_name} is inlined"
    );
    text
}

fn median(sorted: &[usize]) -> usize {
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

#[test]
fn every_starter_tutorial_goes_home_as_one_small_file_with_every_step_and_image() {
    let kit = Kit::spawn();
    let mut sizes = Vec::new();
    let mut images = 0;
    for slug in starter_tutorials() {
        let r = kit.get(&format!("/tutoriels/{slug}/emporter"));
        let text = assert_self_contained(&r, &format!("{slug}.html"));
        let titles = step_titles(&kit, &slug);
        assert!(!titles.is_empty(), "{slug}");
        let mut at = 0;
        for (i, title) in titles.iter().enumerate() {
            let heading = format!("<h2 id=\"etape-{}\">{title}</h2>", i + 1);
            let found = text[at..].find(&heading).unwrap_or_else(|| {
                panic!("{slug}: step {} `{title}` missing or out of order", i + 1)
            });
            at += found;
        }
        let shown = portal_images(&kit, &slug);
        assert_eq!(
            text.matches(" src=\"data:image/").count(),
            shown,
            "{slug}: every image of the portal's page is in the file"
        );
        images += shown;
        assert!(
            r.body.len() <= MAX_STARTER_BYTES,
            "{slug}: {} bytes",
            r.body.len()
        );
        sizes.push(r.body.len());
    }
    assert!(images >= 20, "the starter tutorials show images: {images}");
    sizes.sort_unstable();
    eprintln!(
        "take-home files of {} starter tutorials: max {} B, median {} B",
        sizes.len(),
        sizes.last().unwrap(),
        median(&sizes)
    );
}

#[test]
fn the_file_names_the_tutorial_in_french_and_explains_its_glossary_words() {
    let kit = Kit::spawn();
    let r = kit.get("/tutoriels/faire-une-capture-d-ecran/emporter");
    let text = assert_self_contained(&r, "faire-une-capture-d-ecran.html");
    assert_eq!(
        r.header("Content-Disposition"),
        Some(
            "attachment; filename=\"faire-une-capture-d-ecran.html\"; \
             filename*=UTF-8''Faire%20une%20capture%20d%27%C3%A9cran.html"
        )
    );
    for said in [
        "<title>Faire une capture d'écran · Atelier numérique</title>",
        "<h1>Faire une capture d'écran</h1>",
        "Prenez une photo de ce qui est sur l'écran",
        "Étape 1 sur 8",
        // A link to another tutorial keeps its words.
        "lisez Envoyer des photos à un proche.",
        // A glossary word is marked, and explained at the end.
        "<span class=\"mot\">capture d'écran</span>",
        "<h2 id=\"mots\">Les mots expliqués</h2>",
        "<dt>Capture d'écran</dt><dd>",
        "image/svg+xml;base64,",
    ] {
        assert!(text.contains(said), "{said}");
    }
    // The date is today's, in words.
    let year = text
        .split("Emporté du portail « Atelier numérique » le ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap();
    assert!(
        year.split(' ').count() == 3 && year.ends_with(|c: char| c.is_ascii_digit()),
        "{year}"
    );
}

#[test]
fn the_tutorial_pages_offer_the_file_and_the_print_view_as_plain_links() {
    let kit = Kit::spawn();
    for path in [
        "/tutoriels/faire-une-capture-d-ecran",
        "/tutoriels/faire-une-capture-d-ecran/tout",
    ] {
        let text = kit.get(path).text();
        for link in [
            "<a class=\"button secondary\" href=\"/tutoriels/faire-une-capture-d-ecran/emporter\">Emporter sur mon téléphone</a>",
            "<a class=\"button secondary\" href=\"/tutoriels/faire-une-capture-d-ecran/imprimer\">Imprimer</a>",
        ] {
            assert!(text.contains(link), "{path}: {link}");
        }
    }
}

#[test]
fn the_print_view_shows_every_step_in_blocks_for_a4_paper() {
    let kit = Kit::spawn();
    let slug = "faire-une-capture-d-ecran";
    let r = kit.get(&format!("/tutoriels/{slug}/imprimer"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert!(r.header("Content-Disposition").is_none());
    let text = r.text();
    for (i, title) in step_titles(&kit, slug).iter().enumerate() {
        assert!(
            text.contains(&format!(
                "<section class=\"step\" aria-labelledby=\"etape-{n}\"><p class=\"step-number\">Étape {n} sur 8</p><h2 id=\"etape-{n}\">{title}</h2>",
                n = i + 1
            )),
            "step {title}"
        );
    }
    assert!(
        text.contains("<img src=\"/contenus/starter/"),
        "the portal's images"
    );
    assert!(text.contains("Imprimé du portail « Atelier numérique » le "));
    assert!(text.contains(&format!(
        "<nav class=\"no-print\" aria-label=\"Menu principal\"><p><a href=\"/tutoriels/{slug}\">"
    )));
    assert!(!text.contains("<script"));
    // Its stylesheet: A4, large type, a step never cut between two pages, no menu on paper.
    let css_url = text
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(css_url.starts_with("/_kit/takehome."), "{css_url}");
    let css = kit.get(&css_url);
    assert_eq!(css.status, 200);
    let css = css.text();
    for rule in [
        "@media print",
        "@page { size: A4;",
        "body { max-width: none; padding: 0; font-size: 14pt; }",
        ".step, .box, li, dt, dd { break-inside: avoid;",
        "max-height: 9cm",
        ".no-print { display: none !important; }",
    ] {
        assert!(css.contains(rule), "{rule}");
    }
}

#[test]
fn unknown_tutorials_and_forms_get_404_and_only_get_is_answered() {
    let kit = Kit::spawn();
    for path in [
        "/tutoriels/inconnu/emporter",
        "/tutoriels/inconnu/imprimer",
        "/formulaires/inconnu/emporter",
        "/tutoriels/faire-une-capture-d-ecran/emporter/encore",
    ] {
        let r = kit.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.header("Content-Disposition").is_none(), "{path}");
    }
    let post = kit.send(
        "POST /tutoriels/faire-une-capture-d-ecran/emporter HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(post.status, 405);
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A kit with a signed pack of four tutorials: one with a 2.5 MB photo, one with a 1.1 MB
/// photo, one with the same photo twice (under the 2 MiB limit once, over it twice), one with
/// a video, a sound and a small image.
fn kit_with_big_pack() -> (tempfile::TempDir, Kit) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (key, public) = new_key(root.path(), "editeur");
    assert!(cli(&data, &["trust", "add", &public]).status.success());
    let src = root.path().join("src");
    write_source(&src, "grand", "1.0.0", "photo");
    // Random bytes after a PNG signature: nothing compresses them, the kit never decodes them.
    let photo = |len: usize| {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut x: u32 = 0x9e37_79b9;
        bytes.extend((0..len).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        }));
        bytes
    };
    write(&src, "images/enorme.png", &photo(2_500_000));
    write(&src, "images/moyenne.png", &photo(1_100_000));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media");
    for name in ["clip.mp4", "clip.png", "clip.vtt", "son.m4a"] {
        write(
            &src,
            &format!("media/{name}"),
            &std::fs::read(fixtures.join(name)).unwrap(),
        );
    }
    let tutorial = |slug: &str, body: &str| {
        write(
            &src,
            &format!("tutorials/{slug}.md"),
            format!(
                "+++\ntitle = \"Tutoriel {slug}\"\ntheme = \"theme-grand\"\nlevel = \"debutant\"\n\
                 duration = 5\nsummary = \"Un tutoriel de test.\"\n+++\nVous apprenez.\n\n{body}"
            )
            .as_bytes(),
        );
    };
    tutorial(
        "enorme",
        "## Regardez la photo\n![Une très grande photo](../images/enorme.png)\n\n## Fin\nC'est fini.\n",
    );
    tutorial(
        "une-fois",
        "## Une photo\n![Une photo](../images/moyenne.png)\n\n## Fin\nC'est fini.\n",
    );
    tutorial(
        "deux-fois",
        "## Une photo\n![Une photo](../images/moyenne.png)\n\n## La même\n![La même photo](../images/moyenne.png)\n",
    );
    tutorial(
        "film",
        "## Regardez\n![Payer en ligne](../media/clip.mp4)\n\n## Écoutez\n![Le son](../media/son.m4a)\n\n\
         ## Voyez\n![Un carré](../images/icone-grand.svg)\n",
    );
    let pack = root.path().join("grand.kitpack");
    support::packs::build_and_import(&src, &pack, &key, &data);
    let kit = Kit::spawn_in(&data);
    (root, kit)
}

#[test]
fn a_tutorial_too_big_to_take_home_gets_a_french_page_that_offers_the_print_view() {
    let (_root, kit) = kit_with_big_pack();
    for slug in ["enorme", "deux-fois"] {
        let r = kit.get(&format!("/tutoriels/{slug}/emporter"));
        assert_eq!(r.status, 200, "{slug}");
        assert!(r.header("Content-Disposition").is_none(), "{slug}");
        assert_eq!(r.header("Cache-Control"), Some("no-store"));
        let text = r.text();
        assert!(
            r.body.len() < 30_000,
            "{slug}: the refusal is a page, not the file"
        );
        for said in [
            "<h1>Ce tutoriel est trop grand pour l'emporter</h1>",
            "Le fichier ferait ",
            " Mo.",
            &format!("href=\"/tutoriels/{slug}/imprimer\">Voir la page à imprimer</a>"),
            &format!(
                "href=\"/tutoriels/{slug}\"><span class=\"arrow\" aria-hidden=\"true\">←</span> Revenir au tutoriel</a>"
            ),
        ] {
            assert!(text.contains(said), "{slug}: {said} in {text}");
        }
        // The print view still works: the images come from the kit.
        let print = kit.get(&format!("/tutoriels/{slug}/imprimer"));
        assert_eq!(print.status, 200);
        assert!(print.text().contains("src=\"/contenus/grand/1.0.0/images/"));
    }
    // Under the limit, a big photo still goes home.
    let r = kit.get("/tutoriels/une-fois/emporter");
    assert_self_contained(&r, "une-fois.html");
    // Asked by many at once, a big file is built a few at a time: each phone gets the whole
    // file or the kit's short "busy, try again" page, never a broken one.
    let whole = r.body.len();
    let answers: Vec<_> = std::thread::scope(|s| {
        let asks: Vec<_> = (0..8)
            .map(|_| s.spawn(|| kit.get("/tutoriels/une-fois/emporter")))
            .collect();
        asks.into_iter().map(|a| a.join().unwrap()).collect()
    });
    for answer in &answers {
        match answer.status {
            200 => assert_eq!(answer.body.len(), whole),
            503 => {
                assert_eq!(answer.header("Retry-After"), Some("2"));
                assert!(answer.text().contains("Le kit est occupé"));
            }
            other => panic!("status {other}"),
        }
    }
    assert!(answers.iter().any(|a| a.status == 200));
    assert!(
        (1_400_000..2 * 1024 * 1024).contains(&r.body.len()),
        "{}",
        r.body.len()
    );
}

#[test]
fn a_video_and_a_sound_become_a_sentence_and_the_small_image_is_inlined() {
    let (_root, kit) = kit_with_big_pack();
    let r = kit.get("/tutoriels/film/emporter");
    let text = assert_self_contained(&r, "film.html");
    for said in [
        "<span class=\"media-note\">Vidéo à voir sur le portail de l'atelier : Payer en ligne</span>",
        "<span class=\"media-note\">Son à écouter sur le portail de l'atelier : Le son</span>",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    assert!(!text.contains("clip.mp4") && !text.contains("clip.vtt"));
    assert_eq!(text.matches("src=\"data:image/svg+xml;base64,").count(), 1);
}

#[test]
fn a_blank_form_goes_home_with_its_questions_help_examples_and_papers() {
    let kit = Kit::spawn();
    let intro = kit.get("/formulaires/compte-e-mail").text();
    assert!(
        intro.contains(
            "href=\"/formulaires/compte-e-mail/emporter\">Emporter sur mon téléphone</a>"
        ),
        "{intro}"
    );
    let r = kit.get("/formulaires/compte-e-mail/emporter");
    let text = assert_self_contained(&r, "compte-e-mail.html");
    for said in [
        "<h1>Créer une adresse e-mail</h1>",
        "Exercice. Ce n'est pas le vrai formulaire.",
        "Les papiers à préparer",
        "Un carnet pour noter votre mot de passe",
        "<p class=\"label\">Votre prénom</p>",
        "Le prénom que les autres verront dans vos messages.",
        "Exemple : Claire",
        "<ul class=\"checks\"><li>Oui</li><li>Non</li></ul>",
        "Répondez seulement si votre réponse à « Avez-vous un téléphone portable ? » est « Oui ».",
        "Vous pouvez ne pas répondre.",
    ] {
        assert!(text.contains(said), "{said}");
    }
    assert!(text.contains("<img class=\"icon\" src=\"data:image/svg+xml;base64,"));
}

/// Every answer of the e-mail form, as the review page would send them back.
const EMAIL_ANSWERS: [(&str, &str); 7] = [
    ("r.prenom", "Claire"),
    ("r.nom", "Martin"),
    ("r.naissance", "03/04/1950"),
    ("r.identifiant", "claire.martin59"),
    ("r.a-un-portable", "oui"),
    ("r.portable", "0612345678"),
    ("r.mot-de-passe-pret", "oui"),
];

#[test]
fn the_filled_summary_goes_home_from_the_review_page_with_the_answers() {
    let kit = Kit::spawn();
    let mut phone = Browser::new(&kit, PHONE);
    let mut fields = EMAIL_ANSWERS.to_vec();
    fields.push(("aller", "revoir"));
    let review = phone.post("/formulaires/compte-e-mail", &fields);
    assert_eq!(review.status, 200);
    assert!(
        review.text().contains(
            "<button class=\"button secondary\" type=\"submit\" name=\"aller\" value=\"emporter\">Emporter sur mon téléphone</button>"
        ),
        "{}",
        review.text()
    );

    let mut fields = EMAIL_ANSWERS.to_vec();
    fields.push(("aller", "emporter"));
    let r = phone.post("/formulaires/compte-e-mail", &fields);
    let text = assert_self_contained(&r, "compte-e-mail-mes-reponses.html");
    assert!(r.header("Content-Disposition").unwrap().ends_with(
        "filename*=UTF-8''Cr%C3%A9er%20une%20adresse%20e-mail%20-%20mes%20r%C3%A9ponses.html"
    ));
    for said in [
        "<h1>Vos réponses : Créer une adresse e-mail</h1>",
        "<p class=\"label\">Votre prénom</p><p class=\"line\">Claire</p>",
        "<p class=\"line\">03/04/1950</p>",
        // As it will be shown: the number put in its usual form.
        "<p class=\"line\">06 12 34 56 78</p>",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }
    // A wrong answer brings the question back instead of a file.
    let mut fields = EMAIL_ANSWERS.to_vec();
    fields[2] = ("r.naissance", "hier");
    fields.push(("aller", "emporter"));
    let r = phone.post("/formulaires/compte-e-mail", &fields);
    assert_eq!(r.status, 200);
    assert!(r.header("Content-Disposition").is_none());
    assert!(r.text().contains("name=\"q\" value=\"naissance\""));
}

fn every_file(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            every_file(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

#[test]
fn taken_home_answers_leave_no_trace_in_the_data_dir_or_the_log() {
    let temp = tempfile::tempdir().unwrap();
    let mut launcher = Command::new(BIN);
    launcher.arg("-vv");
    let mut kit = Kit::try_spawn_through(launcher, temp.path()).unwrap();
    let sentinel = format!("Emporte{:x}", std::process::id() as u64 * 7919 + 0xcafe);
    let mut fields = EMAIL_ANSWERS.to_vec();
    fields[0] = ("r.prenom", &sentinel);
    fields.push(("aller", "emporter"));
    let r = Browser::new(&kit, PHONE).post("/formulaires/compte-e-mail", &fields);
    assert!(r.text().contains(&sentinel), "the answer did travel");
    kit.stop();
    let mut files = Vec::new();
    every_file(temp.path(), &mut files);
    assert!(files.iter().any(|(p, _)| p.ends_with("kit.sqlite")));
    for (path, bytes) in &files {
        assert!(
            !bytes
                .windows(sentinel.len())
                .any(|w| w == sentinel.as_bytes()),
            "found in {path}"
        );
    }
    let log = kit.log();
    assert!(log.contains("/formulaires/compte-e-mail"), "{log}");
    assert!(!log.contains(&sentinel), "found in the log");
}
