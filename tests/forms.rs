//! Practice forms over real HTTP with the real binary and the starter's forms, JavaScript
//! off: the state travels in each page's hidden fields, as a browser would send them back.
//! Conditions, refused answers, review, print, erase; tampered requests; and a sentinel
//! answer that must be nowhere on the data dir or in the log afterwards.

mod support;

use std::path::Path;
use std::process::Command;

use support::browser::{create_user, Browser};
use support::{Kit, Response, BIN};

const PHONE: [u8; 4] = [127, 0, 0, 2];
const EMAIL_FORM: &str = "/formulaires/compte-e-mail";
const ADDRESS_FORM: &str = "/formulaires/changer-d-adresse";

/// HTML's escapes, undone (values come back in `value="…"` attributes).
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in one tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(unescape(tag[start..].split('"').next()?))
}

/// The hidden fields of a page's form, in order: what a browser sends back.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input ")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(""))
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

/// A phone with JavaScript off, filling one form.
struct Filling<'k> {
    browser: Browser<'k>,
    path: &'static str,
    page: String,
}

impl<'k> Filling<'k> {
    fn start(kit: &'k Kit, path: &'static str) -> Filling<'k> {
        let mut filling = Filling {
            browser: Browser::new(kit, PHONE),
            path,
            page: String::new(),
        };
        filling.press("commencer", &[]);
        filling
    }

    /// Presses the button `aller=<action>` with `typed` in the boxes on screen.
    fn press(&mut self, action: &str, typed: &[(&str, &str)]) -> Response {
        let mut fields = hidden_fields(&self.page);
        fields.extend(typed.iter().map(|(k, v)| (format!("r.{k}"), v.to_string())));
        fields.push(("aller".into(), action.into()));
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = self.browser.post(self.path, &borrowed);
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
        self.page = response.text();
        response
    }

    fn answer(&mut self, typed: &[(&str, &str)]) {
        self.press("suivant", typed);
    }

    /// The question on screen (its field id).
    fn question(&self) -> String {
        hidden_fields(&self.page)
            .into_iter()
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    fn shows(&self, text: &str) -> bool {
        self.page.contains(text)
    }

    /// The refusal shown, if any.
    fn error(&self) -> Option<String> {
        let at = self.page.find("role=\"alert\">")?;
        let rest = &self.page[at + "role=\"alert\">".len()..];
        Some(unescape(rest.split('<').next()?))
    }
}

#[test]
fn a_learner_fills_a_form_without_javascript_with_conditions_refusals_review_print_and_erase() {
    let kit = Kit::spawn();
    let intro = kit.get(EMAIL_FORM);
    assert_eq!(intro.status, 200);
    let text = intro.text();
    for said in [
        "Exercice. Ce n'est pas le vrai formulaire.",
        "La borne ne les garde pas",
        "method=\"post\"",
    ] {
        assert!(text.contains(said), "{said}: {text}");
    }

    let mut f = Filling::start(&kit, EMAIL_FORM);
    assert_eq!(f.question(), "prenom");
    assert!(f.shows("Question 1 sur 6"), "{}", f.page);
    assert!(
        f.shows("data-target=\"question\""),
        "the Écouter button reads the question"
    );
    f.answer(&[("prenom", "Claire")]);
    assert_eq!(f.question(), "nom");
    f.answer(&[("nom", "  ")]);
    assert_eq!(f.question(), "nom", "a required answer left empty");
    assert!(f.error().unwrap().contains("obligatoire"));
    f.answer(&[("nom", "Martin")]);

    assert_eq!(f.question(), "naissance");
    f.answer(&[("naissance", "31/02/1950")]);
    assert!(
        f.error().unwrap().contains("le jour, le mois et l'année"),
        "{:?}",
        f.error()
    );
    f.answer(&[("naissance", "01/01/2100")]);
    assert!(f.error().unwrap().contains("dans le futur"));
    f.answer(&[("naissance", "1950-04-03")]);
    assert_eq!(f.question(), "identifiant");
    f.answer(&[("identifiant", "claire.martin59")]);

    // "Oui" shows the phone number's question: one more question in all.
    assert_eq!(f.question(), "a-un-portable");
    f.answer(&[("a-un-portable", "oui")]);
    assert_eq!(f.question(), "portable");
    assert!(f.shows("Question 6 sur 7"), "{}", f.page);
    f.answer(&[("portable", "0612")]);
    assert_eq!(
        f.error().as_deref(),
        Some("Le numéro de téléphone a 10 chiffres. Exemple : 06 12 34 56 78")
    );
    f.answer(&[("portable", "+33612345678")]);
    assert_eq!(f.question(), "mot-de-passe-pret");

    // Back: the number is there, as it will be shown.
    f.press("precedent", &[]);
    assert_eq!(f.question(), "portable");
    assert!(f.shows("value=\"06 12 34 56 78\""), "{}", f.page);
    f.answer(&[("portable", "06 12 34 56 78")]);
    f.answer(&[("mot-de-passe-pret", "oui")]);

    // The last answer leads to the review.
    assert!(f.shows("Vos réponses</h1>"), "{}", f.page);
    for shown in ["Claire", "Martin", "03/04/1950", "06 12 34 56 78"] {
        assert!(f.shows(shown), "{shown}");
    }

    // Changing "Oui" to "Non" drops the phone and asks for the other address instead.
    f.press("modifier:a-un-portable", &[]);
    assert_eq!(f.question(), "a-un-portable");
    f.answer(&[("a-un-portable", "non")]);
    assert_eq!(f.question(), "adresse-secours");
    assert!(!hidden_fields(&f.page)
        .iter()
        .any(|(k, _)| k == "r.portable"));
    f.answer(&[("adresse-secours", "")]);
    assert_eq!(
        f.question(),
        "mot-de-passe-pret",
        "an optional answer may stay empty"
    );
    f.answer(&[]);
    assert!(
        f.error().unwrap().contains("obligatoire"),
        "the answer moves with the page"
    );
    f.press("suivant", &[("mot-de-passe-pret", "oui")]);

    f.press("imprimer", &[]);
    assert!(
        f.shows("Copie pour s&#39;entraîner") || f.shows("Copie pour s'entraîner"),
        "{}",
        f.page
    );
    assert!(f.shows("sheet-value\">Claire"), "{}", f.page);
    assert!(
        !f.shows("06 12 34 56 78"),
        "the dropped answer is not printed"
    );

    f.press("effacer", &[]);
    assert!(f.shows("Vos réponses sont effacées."));
    assert!(!f.shows("Claire") && hidden_fields(&f.page).is_empty());
}

#[test]
fn tampered_requests_get_a_clear_page_never_a_500() {
    let kit = Kit::spawn();
    let mut phone = Browser::new(&kit, PHONE);
    let bad = |r: &Response| {
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            r.text().contains("Recommencez le formulaire"),
            "{}",
            r.text()
        );
    };
    // Another form's question.
    bad(&phone.post(
        ADDRESS_FORM,
        &[("r.iban", "FR76"), ("q", "nom"), ("aller", "suivant")],
    ));
    bad(&phone.post(ADDRESS_FORM, &[("q", "iban"), ("aller", "suivant")]));
    bad(&phone.post(ADDRESS_FORM, &[("aller", "modifier:iban")]));
    bad(&phone.post(ADDRESS_FORM, &[("aller", "tout-envoyer")]));
    // A huge value, and too many fields.
    let huge = "x".repeat(5000);
    let too_big = phone.post(ADDRESS_FORM, &[("q", "nom"), ("r.nom", &huge)]);
    bad(&too_big);
    assert!(too_big.text().contains("trop longue"));
    let many: Vec<(&str, &str)> = (0..300).map(|_| ("r.organismes", "La CAF")).collect();
    bad(&phone.post(ADDRESS_FORM, &many));
    // A broken condition chain: the phone number's question without "Oui" before it.
    bad(&phone.post(
        EMAIL_FORM,
        &[("q", "portable"), ("r.portable", "0612345678")],
    ));
    bad(&phone.post(
        EMAIL_FORM,
        &[("r.a-un-portable", "non"), ("aller", "modifier:portable")],
    ));
    // A hidden answer changed by hand is refused at the review, on its own question.
    let review = phone.post(
        EMAIL_FORM,
        &[
            ("r.prenom", "Claire"),
            ("r.nom", "Martin"),
            ("r.naissance", "hier"),
            ("aller", "revoir"),
        ],
    );
    assert_eq!(review.status, 200);
    assert!(
        review.text().contains("name=\"q\" value=\"naissance\""),
        "{}",
        review.text()
    );
    // Unknown forms and other methods.
    assert_eq!(
        phone
            .post("/formulaires/inconnu", &[("aller", "commencer")])
            .status,
        404
    );
    let put = kit.send(&format!(
        "PUT {ADDRESS_FORM} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(put.status, 405);
    // Answers in a URL are not read.
    let in_url = kit.get(&format!("{ADDRESS_FORM}?r.nom=Martin&aller=suivant"));
    assert_eq!(in_url.status, 200);
    assert!(!in_url.text().contains("Martin"));
    assert!(kit.get("/").status == 200, "the kit still answers");
}

/// Every file under `dir`, with its bytes.
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn answers_leave_no_trace_in_the_data_dir_or_the_log() {
    let temp = tempfile::tempdir().unwrap();
    // The most talkative log there is: every request, everything.
    let mut launcher = Command::new(BIN);
    launcher.arg("-vv");
    let mut kit = Kit::try_spawn_through(launcher, temp.path()).unwrap();
    let sentinel = format!("Sentinelle{:x}", std::process::id() as u64 * 7919 + 0xbeef);
    let nir = "2 90 08 2A 004 015 14";
    let mut f = Filling::start(&kit, ADDRESS_FORM);
    f.answer(&[("nom", &sentinel)]);
    f.answer(&[("prenom", &sentinel)]);
    f.answer(&[("naissance", "03/04/1950")]);
    f.answer(&[("ancienne-adresse", &format!("12 rue {sentinel}"))]);
    f.answer(&[
        ("ancien-code-postal", "59500"),
        ("ancien-code-postal.commune", "Douai"),
    ]);
    f.answer(&[("nouvelle-adresse", "5 avenue Jean Jaurès")]);
    f.answer(&[
        ("nouveau-code-postal", "59000"),
        ("nouveau-code-postal.commune", "Lille"),
    ]);
    f.answer(&[("date-demenagement", "01/09/2026")]);
    f.answer(&[("organismes", "La CAF")]);
    f.answer(&[("telephone", "06 98 76 54 32")]);
    let print = f.press("imprimer", &[]);
    // The answer did travel: the test would see it if it were kept.
    assert!(print.text().contains(&sentinel), "{}", print.text());
    // The NIR form too (a real-shaped Corsican number).
    let mut g = Filling::start(&kit, "/formulaires/declarer-ses-ressources");
    g.answer(&[("numero-securite-sociale", nir)]);
    assert_eq!(g.question(), "a-travaille", "{:?}", g.error());

    kit.stop();
    let mut files = Vec::new();
    every_file(temp.path(), &mut files);
    assert!(
        files.iter().any(|(p, _)| p.ends_with("kit.sqlite")),
        "{files:?}",
        files = files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let needles = [
        sentinel.as_bytes(),
        b"06 98 76 54 32",
        b"0698765432",
        b"2A 004 015",
        b"290082A00401514",
    ];
    for (path, bytes) in &files {
        for needle in needles {
            assert!(
                !contains(bytes, needle),
                "`{}` found in {path}",
                String::from_utf8_lossy(needle)
            );
        }
    }
    let log = kit.log();
    assert!(
        log.contains("/formulaires/changer-d-adresse"),
        "the log did record the requests: {log}"
    );
    for needle in needles {
        assert!(
            !log.contains(&*String::from_utf8_lossy(needle)),
            "found in the log"
        );
    }
}

#[test]
fn forms_are_found_from_home_themes_search_and_the_conseillers_sheet() {
    let kit = Kit::spawn();
    assert!(kit.get("/").text().contains("href=\"/formulaires\""));
    let list = kit.get("/formulaires").text();
    for slug in [
        "changer-d-adresse",
        "compte-e-mail",
        "demander-un-rendez-vous",
        "declarer-ses-ressources",
        "s-inscrire-a-un-atelier",
    ] {
        assert!(
            list.contains(&format!("href=\"/formulaires/{slug}\"")),
            "{slug}"
        );
    }
    let theme = kit.get("/themes/demarches-en-ligne").text();
    assert!(
        theme.contains("href=\"/formulaires/changer-d-adresse\""),
        "{theme}"
    );
    let search = kit.get("/recherche?q=changer%20d%27adresse").text();
    let first = search.find("href=\"/formulaires/changer-d-adresse\"");
    assert!(first.is_some(), "{search}");

    // The conseiller's sheet: staff only, every field with its longer explanation.
    assert_eq!(kit.get("/admin/formulaires/changer-d-adresse").status, 303);
    let out = create_user(
        &kit.data_dir,
        "claire",
        "conseiller",
        "le chat dort au soleil",
    );
    assert!(out.status.success());
    let mut staff = Browser::new(&kit, PHONE);
    staff.login("claire", "le chat dort au soleil");
    let sheet = staff.get("/admin/formulaires/changer-d-adresse");
    assert_eq!(sheet.status, 200, "{}", sheet.text());
    let text = sheet.text();
    for said in [
        "Fiche aidant",
        "Votre nom de famille",
        "Code postal",
        "le vrai site propose la commune",
    ] {
        assert!(
            text.to_lowercase().contains(&said.to_lowercase()),
            "{said}: {text}"
        );
    }
    assert_eq!(staff.get("/admin/formulaires/inconnu").status, 404);
}

#[test]
fn glossary_words_in_a_form_link_to_their_page_the_first_time_only() {
    let kit = Kit::spawn();
    let intro = kit.get(EMAIL_FORM).text();
    assert!(
        intro.contains("<a class=\"glossaire\" href=\"/glossaire/adresse-e-mail\">"),
        "{intro}"
    );
    let mut f = Filling::start(&kit, EMAIL_FORM);
    f.answer(&[("prenom", "Claire")]);
    f.answer(&[("nom", "Martin")]);
    f.answer(&[("naissance", "1950-04-03")]);
    f.answer(&[("identifiant", "claire.martin59")]);
    assert_eq!(f.question(), "a-un-portable");
    let help = f.page.split("class=\"help\"").nth(1).unwrap_or_default();
    let help = help.split("</p>").next().unwrap_or_default();
    assert!(help.contains("href=\"/glossaire/sms\""), "{help}");
    // "SMS" again on the next question: plain text there.
    f.answer(&[("a-un-portable", "oui")]);
    assert_eq!(f.question(), "portable");
    let help = f.page.split("class=\"help\"").nth(1).unwrap_or_default();
    let help = help.split("</p>").next().unwrap_or_default();
    assert!(
        help.contains("SMS") && !help.contains("/glossaire/sms"),
        "{help}"
    );
}
