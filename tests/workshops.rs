//! Pop-up workshops over real HTTP with the real binary: a conseiller starts one, three
//! phones (separate cookie jars) open steps, set a nickname and ask for help, the dashboard
//! counts them, "C'est fait", "Terminer" opens the report prefilled; learner cookies never
//! open conseiller pages; devices are purged after the retention, even across a restart.

mod support;

use std::time::{Duration, Instant};

use support::browser::{create_user, html_escape, token_in, Browser};
use support::Kit;

const PASSWORD: &str = "le chat dort au soleil";
const CLAIRE: [u8; 4] = [127, 0, 0, 2];
const PHONES: [[u8; 4]; 3] = [[127, 0, 0, 11], [127, 0, 0, 12], [127, 0, 0, 13]];
const TUTORIAL: &str = "mot-de-passe-solide";

fn kit_with_conseiller(settings: &str) -> (Kit, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("kit.toml"), settings).unwrap();
    let kit = Kit::spawn_in(temp.path());
    let out = create_user(temp.path(), "claire", "conseiller", PASSWORD);
    assert!(out.status.success());
    (kit, temp)
}

fn start(claire: &mut Browser<'_>) -> support::Response {
    let csrf = claire.token("/admin/atelier");
    claire.post(
        "/admin/atelier",
        &[
            ("csrf", &csrf),
            ("atelier", "proteger-ses-comptes"),
            ("lieu", "Médiathèque <des> Tilleuls"),
            ("duree", "90"),
        ],
    )
}

fn dashboard(claire: &mut Browser<'_>) -> serde_json::Value {
    let r = claire.get("/admin/atelier/tableau.json");
    assert_eq!(r.status, 200, "{}", r.text());
    serde_json::from_slice(&r.body).unwrap()
}

/// A learner's form post, as the phone's browser sends it.
fn learner_post(phone: &mut Browser<'_>, path: &str, fields: &[(&str, &str)]) -> support::Response {
    phone.post(path, fields)
}

#[test]
fn a_workshop_from_start_to_report_with_three_phones() {
    let (kit, _temp) = kit_with_conseiller("");
    let mut claire = Browser::new(&kit, CLAIRE);
    assert_eq!(claire.login("claire", PASSWORD).status, 303);
    let page = claire.get("/admin/atelier").text();
    assert!(page.contains("Commencer un atelier"), "{page}");
    // Before a session: learners get no cookie, and no workshop.
    let plain = kit.get("/");
    assert!(plain.header("Set-Cookie").is_none());
    assert!(
        kit.get("/atelier").text().contains("Pas d&#39;atelier")
            || kit.get("/atelier").text().contains("Pas d'atelier")
    );

    let started = start(&mut claire);
    assert_eq!(started.status, 303, "{}", started.text());
    // One at a time.
    let again = start(&mut claire);
    assert_eq!(again.status, 409, "{}", again.text());
    assert!(again.text().contains("déjà en cours"));

    let mut phones: Vec<Browser<'_>> = PHONES.iter().map(|p| Browser::new(&kit, *p)).collect();
    for phone in &mut phones {
        let home = phone.get("/");
        assert_eq!(home.status, 200);
        assert!(
            phone.cookies.contains_key("kit_appareil"),
            "a device cookie"
        );
        let text = home.text();
        assert!(
            text.contains("L'atelier a commencé") || text.contains("L&#39;atelier a commencé"),
            "{text}"
        );
        assert!(
            text.contains("J'ai besoin d'aide") || text.contains("J&#39;ai besoin d&#39;aide"),
            "{text}"
        );
    }
    // Phone 1: steps 1 and 2; phone 2: everything on one page; phone 3: a nickname.
    for n in [1, 2] {
        assert_eq!(
            phones[0]
                .get(&format!("/tutoriels/{TUTORIAL}/etape/{n}"))
                .status,
            200
        );
    }
    assert_eq!(
        phones[1].get(&format!("/tutoriels/{TUTORIAL}/tout")).status,
        200
    );
    let named = learner_post(
        &mut phones[2],
        "/atelier/pseudo",
        &[("pseudo", "<b>Lulu</b>\u{7}")],
    );
    assert_eq!(named.status, 303);
    let own = phones[0].get("/atelier").text();
    assert!(own.contains("Vous avez vu 2 étapes sur"), "{own}");

    // Help: phone 1 asks; phone 2 asks and takes it back.
    let asked = learner_post(&mut phones[0], "/aide", &[]);
    assert_eq!(asked.status, 303);
    assert!(phones[0]
        .get("/aide")
        .text()
        .contains("Votre demande est envoyée"));
    learner_post(&mut phones[1], "/aide", &[]);
    learner_post(&mut phones[1], "/aide/annuler", &[]);
    assert!(!phones[1]
        .get("/aide")
        .text()
        .contains("Votre demande est envoyée"));

    let board = dashboard(&mut claire);
    assert_eq!(board["phones_recent"], 3, "{board}");
    let steps = board["tutorials"][0]["steps"].as_u64().unwrap();
    assert!(steps >= 2, "{board}");
    let opened: Vec<Vec<u64>> = board["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["opened"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap())
                .collect()
        })
        .collect();
    // Steps opened in the workshop's first two tutorials (it lists more, untouched here).
    let first_two = |want: [u64; 2]| opened.iter().any(|o| o.get(..2) == Some(&want[..]));
    assert!(first_two([2, 0]), "{board}");
    assert!(first_two([steps, 0]), "{board}");
    let help = board["help"].as_array().unwrap();
    assert_eq!(help.len(), 1, "{board}");
    let page = claire.get("/admin/atelier").text();
    // The nickname is plain text on the dashboard.
    assert!(page.contains(&html_escape("<b>Lulu</b>")), "{page}");
    assert!(!page.contains("<b>Lulu</b>"));

    // A learner's cookie never opens a conseiller's page.
    let r = phones[0].get("/admin/atelier");
    assert_eq!(r.status, 303);
    let r = learner_post(&mut phones[0], "/admin/atelier/terminer", &[("csrf", "x")]);
    assert_eq!(r.status, 403);

    // "C'est fait".
    let csrf = token_in(&page).unwrap();
    let id = help[0]["id"].as_i64().unwrap();
    let done = claire.post(
        &format!("/admin/atelier/aide/{id}/fait"),
        &[("csrf", &csrf)],
    );
    assert_eq!(done.status, 303);
    assert!(dashboard(&mut claire)["help"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        claire
            .post(
                &format!("/admin/atelier/aide/{id}/fait"),
                &[("csrf", &csrf)]
            )
            .status,
        404
    );

    // "Terminer": the report opens, prefilled.
    let end = claire.post("/admin/atelier/terminer", &[("csrf", &csrf)]);
    assert_eq!(end.status, 303, "{}", end.text());
    let to = end.header("Location").unwrap().to_owned();
    assert!(
        to.starts_with("/admin/comptes-rendus/nouveau?type=atelier-collectif&date="),
        "{to}"
    );
    assert!(to.contains("&participants=3"), "{to}");
    assert!(to.contains("&titre=Prot%C3%A9ger%20ses%20comptes"), "{to}");
    assert!(to.contains("&niveau=debutant"), "{to}");
    assert!(to.contains("&themes=securite"), "{to}");
    let report = claire.get(&to);
    assert_eq!(report.status, 200, "{}", report.text());
    assert!(report.text().contains("Protéger ses comptes"));

    // Over: no banner, no new cookies, no workshop.
    assert!(!kit.get("/").text().contains("besoin d"));
    assert!(kit.get("/").header("Set-Cookie").is_none());
    assert_eq!(dashboard(&mut claire)["running"], false);
}

#[test]
fn one_phone_cannot_flood_the_help_queue() {
    let (kit, _temp) = kit_with_conseiller("");
    let mut claire = Browser::new(&kit, CLAIRE);
    assert_eq!(claire.login("claire", PASSWORD).status, 303);
    assert_eq!(start(&mut claire).status, 303);
    let mut phone = Browser::new(&kit, PHONES[0]);
    phone.get("/");
    let mut refused = false;
    for _ in 0..20 {
        let r = learner_post(&mut phone, "/aide", &[]);
        if r.status == 429 {
            refused = true;
            break;
        }
        learner_post(&mut phone, "/aide/annuler", &[]);
    }
    assert!(
        refused,
        "a phone asking and cancelling without end is slowed down"
    );
    // A help request from another site's page is refused.
    let r = phone.post_with("/aide", &[], "Origin: http://evil.example\r\n");
    assert_eq!(r.status, 403);
}

#[test]
fn phones_are_forgotten_after_the_retention_even_when_the_kit_was_off() {
    let (mut kit, temp) = kit_with_conseiller("[workshops]\nretention_days = 1\n");
    let mut claire = Browser::new(&kit, CLAIRE);
    assert_eq!(claire.login("claire", PASSWORD).status, 303);
    assert_eq!(start(&mut claire).status, 303);
    let mut phone = Browser::new(&kit, PHONES[0]);
    phone.get(&format!("/tutoriels/{TUTORIAL}/etape/1"));
    learner_post(&mut phone, "/atelier/pseudo", &[("pseudo", "Lulu")]);
    let csrf = token_in(&claire.get("/admin/atelier").text()).unwrap();
    assert_eq!(
        claire
            .post("/admin/atelier/terminer", &[("csrf", &csrf)])
            .status,
        303
    );
    drop((phone, claire));
    let db = temp.path().join("workshops.sqlite");
    let count = |table: &str| -> i64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    // Written in the background: within a second or so.
    let start_wait = Instant::now();
    while count("progress") == 0 {
        assert!(start_wait.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(kit.stop().success());
    // The kit is off while the retention passes: the session ended two days ago.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE sessions SET ended_at = ended_at - 2 * 86400", [])
            .unwrap();
    }
    let kit = Kit::spawn_in(temp.path());
    assert_eq!(count("devices"), 0);
    assert_eq!(count("progress"), 0);
    assert_eq!(count("help"), 0);
    assert_eq!(
        count("sessions"),
        1,
        "the session itself (no phone in it) stays for the report"
    );
    assert!(kit.log().contains("forgot 1 phone"), "{}", kit.log());
}

#[test]
fn a_session_running_when_the_kit_stops_goes_on_after_the_restart() {
    let (mut kit, temp) = kit_with_conseiller("");
    let mut claire = Browser::new(&kit, CLAIRE);
    assert_eq!(claire.login("claire", PASSWORD).status, 303);
    assert_eq!(start(&mut claire).status, 303);
    let mut phone = Browser::new(&kit, PHONES[0]);
    for n in [1, 2, 3] {
        phone.get(&format!("/tutoriels/{TUTORIAL}/etape/{n}"));
    }
    let cookies = phone.cookies.clone();
    drop((phone, claire));
    std::thread::sleep(Duration::from_millis(1200));
    assert!(kit.stop().success());
    let kit = Kit::spawn_in(temp.path());
    let mut claire = Browser::new(&kit, CLAIRE);
    assert_eq!(claire.login("claire", PASSWORD).status, 303);
    let board = dashboard(&mut claire);
    assert_eq!(board["running"], true, "{board}");
    assert_eq!(board["devices"][0]["opened"][0], 3, "{board}");
    // The same phone, with its cookie, is the same device.
    let mut same = Browser::new(&kit, PHONES[0]);
    same.cookies = cookies;
    same.get(&format!("/tutoriels/{TUTORIAL}/etape/4"));
    let board = dashboard(&mut claire);
    assert_eq!(board["phones_total"], 1, "{board}");
    assert_eq!(board["devices"][0]["opened"][0], 4, "{board}");
}

#[test]
fn the_projector_page_has_both_codes_the_address_and_the_title() {
    let (kit, _temp) = kit_with_conseiller(
        "[network]\nhostname = \"mednum-4821\"\n[wifi]\nssid = \"Atelier 4821\"\npassphrase = \"tomate-nuage-piano\"\n",
    );
    let mut claire = Browser::new(&kit, CLAIRE);
    assert_eq!(claire.login("claire", PASSWORD).status, 303);
    assert_eq!(start(&mut claire).status, 303);
    let page = claire.get("/admin/atelier/projecteur");
    assert_eq!(page.status, 200);
    let text = page.text();
    assert_eq!(text.matches("<svg").count(), 2, "{text}");
    assert!(text.contains("http://mednum-4821.local"), "{text}");
    assert!(text.contains("Protéger ses comptes"));
    assert!(text.contains("Atelier 4821") && text.contains("tomate-nuage-piano"));
    // Learners cannot open it.
    let mut phone = Browser::new(&kit, PHONES[0]);
    assert_eq!(phone.get("/admin/atelier/projecteur").status, 303);
}
