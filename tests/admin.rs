//! The admin pages over real HTTP with the real binary: first-boot setup, login, logout,
//! throttling, CSRF refusals, the route table asked as a stranger, uploads (valid, hostile,
//! too big, cut off) and settings that survive a restart.

mod support;

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use support::browser::{create_user, token_in, Browser};
use support::packs::{build_signed, cli, new_key, stderr, write_source};
use support::{read_response, Kit, Response, SmallDisk};

const PHONE: [u8; 4] = [127, 0, 0, 2];
const OTHER_PHONE: [u8; 4] = [127, 0, 0, 3];
const SETUP_CODE: &str = "48152342";
const PASSWORD: &str = "le chat dort au soleil";

/// A kit whose setup code is `SETUP_CODE` (as `system init` leaves it).
fn new_kit() -> Kit {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("admin-setup-code"),
        format!("{SETUP_CODE}\n"),
    )
    .unwrap();
    let kit = Kit::spawn_in(temp.path());
    // The temporary dir lives as long as the test process; removed by the OS's tmp cleaning.
    std::mem::forget(temp);
    kit
}

/// A kit with a first admin `claire`, and a browser signed in as her.
fn kit_with_admin() -> Kit {
    let kit = new_kit();
    let out = create_user(&kit.data_dir, "claire", "admin", PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    kit
}

#[test]
fn setup_asks_a_phone_for_the_code_once_and_then_the_code_opens_nothing() {
    let kit = new_kit();
    let mut phone = Browser::new(&kit, PHONE);
    // A new kit sends the admin to the setup page.
    let home = phone.get("/admin");
    assert_eq!(home.status, 303);
    assert_eq!(home.header("Location"), Some("/admin/connexion"));
    let login = phone.get("/admin/connexion");
    assert_eq!(login.header("Location"), Some("/admin/premier-compte"));
    let page = phone.get("/admin/premier-compte").text();
    assert!(page.contains("name=\"code\""), "{page}");
    let csrf = token_in(&page).unwrap();

    let setup = |phone: &mut Browser<'_>, code: &str, password: &str| {
        phone.post(
            "/admin/premier-compte",
            &[
                ("csrf", &csrf),
                ("code", code),
                ("nom", "Claire"),
                ("mot_de_passe", password),
                ("mot_de_passe_2", password),
            ],
        )
    };
    let wrong = setup(&mut phone, "11112222", PASSWORD);
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.text().contains("Ce code n&#39;est pas le bon")
            || wrong.text().contains("Ce code n'est pas le bon"),
        "{}",
        wrong.text()
    );
    let short = setup(&mut phone, SETUP_CODE, "court");
    assert_eq!(short.status, 422);
    assert!(short.text().contains("trop court"), "{}", short.text());
    // The code as printed on the card, with its space, works.
    let done = setup(&mut phone, "4815 2342", PASSWORD);
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.header("Location"), Some("/admin"));
    let cookie = done.header("Set-Cookie").unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let home = phone.get("/admin");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("Bonjour claire"));

    // The same code again, from another phone: refused, nothing made.
    let mut other = Browser::new(&kit, OTHER_PHONE);
    let page = other.get("/admin/premier-compte").text();
    assert!(page.contains("déjà un compte"), "{page}");
    // A valid form token (from the login page), so that only the code's reuse is judged.
    let csrf2 = other.token("/admin/connexion");
    let again = other.post(
        "/admin/premier-compte",
        &[
            ("csrf", &csrf2),
            ("code", SETUP_CODE),
            ("nom", "mallory"),
            ("mot_de_passe", PASSWORD),
            ("mot_de_passe_2", PASSWORD),
        ],
    );
    assert_eq!(again.status, 403, "{}", again.text());
    assert!(again.text().contains("déjà un compte"), "{}", again.text());
    let users = support::packs::stdout(&cli(&kit.data_dir, &["admin", "list-users"]));
    assert_eq!(users.trim(), "claire\tadministration");
}

#[test]
fn on_the_box_itself_setup_needs_no_code_and_without_a_code_phones_cannot_set_up() {
    let kit = Kit::spawn();
    let mut phone = Browser::new(&kit, PHONE);
    let page = phone.get("/admin/premier-compte").text();
    let csrf = token_in(&page).unwrap();
    let refused = phone.post(
        "/admin/premier-compte",
        &[
            ("csrf", &csrf),
            ("code", "12345678"),
            ("nom", "x1"),
            ("mot_de_passe", PASSWORD),
            ("mot_de_passe_2", PASSWORD),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains("create-user"), "{}", refused.text());

    let mut on_box = Browser::new(&kit, [127, 0, 0, 1]);
    let page = on_box.get("/admin/premier-compte").text();
    assert!(!page.contains("name=\"code\""), "{page}");
    let csrf = token_in(&page).unwrap();
    let done = on_box.post(
        "/admin/premier-compte",
        &[
            ("csrf", &csrf),
            ("nom", "admin"),
            ("mot_de_passe", PASSWORD),
            ("mot_de_passe_2", PASSWORD),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.text());
}

#[test]
fn login_logout_and_growing_delays_that_never_lock_the_admin_out_for_long() {
    let kit = kit_with_admin();
    let mut guesser = Browser::new(&kit, PHONE);
    let csrf = guesser.token("/admin/connexion");
    let try_password = |b: &mut Browser<'_>, password: &str| {
        b.post(
            "/admin/connexion",
            &[
                ("csrf", &csrf),
                ("nom", "claire"),
                ("mot_de_passe", password),
            ],
        )
    };
    for _ in 0..5 {
        let wrong = try_password(&mut guesser, "pas le bon mot");
        assert_eq!(wrong.status, 422, "{}", wrong.text());
        assert!(wrong.text().contains("pas bon"), "{}", wrong.text());
    }
    let blocked = try_password(&mut guesser, PASSWORD);
    assert_eq!(blocked.status, 429, "{}", blocked.text());
    let wait: u64 = blocked.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(blocked.text().contains("Attendez"), "{}", blocked.text());

    // The real admin, on another phone, waits at most the account's short delay.
    let mut admin = Browser::new(&kit, OTHER_PHONE);
    let start = Instant::now();
    let signed_in = loop {
        let r = admin.login("claire", PASSWORD);
        if r.status != 429 {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(65));
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(signed_in.status, 303, "{}", signed_in.text());
    assert_eq!(admin.get("/admin/paquets").status, 200);

    // Logout ends the session on the server: the old cookie opens nothing.
    let stolen = admin.cookies.clone();
    let csrf = token_in(&admin.get("/admin").text()).unwrap();
    let out = admin.post("/admin/deconnexion", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(admin
        .get("/admin/connexion?fin=1")
        .text()
        .contains("déconnecté"));
    let mut thief = Browser::new(&kit, OTHER_PHONE);
    thief.cookies = stolen;
    let r = thief.get("/admin/paquets");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("Location"),
        Some("/admin/connexion?suite=/admin/paquets")
    );
}

#[test]
fn forms_without_the_sessions_token_or_from_another_site_are_refused() {
    let kit = kit_with_admin();
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let csrf = admin.token("/admin/reglages");
    let kit_toml = || std::fs::read_to_string(kit.data_dir.join("kit.toml")).unwrap_or_default();
    let before = kit_toml();
    for (fields, extra) in [
        (
            vec![("nom", "Piraté")],
            format!("Origin: http://{}\r\n", admin.host()),
        ),
        (
            vec![("csrf", "0000"), ("nom", "Piraté")],
            format!("Origin: http://{}\r\n", admin.host()),
        ),
        (
            vec![("csrf", csrf.as_str()), ("nom", "Piraté")],
            "Origin: http://evil.example\r\n".to_owned(),
        ),
        (
            vec![("csrf", csrf.as_str()), ("nom", "Piraté")],
            "Origin: null\r\n".to_owned(),
        ),
        (
            vec![("csrf", csrf.as_str()), ("nom", "Piraté")],
            "Referer: http://evil.example/x\r\n".to_owned(),
        ),
    ] {
        let r = admin.post_with("/admin/reglages", &fields, &extra);
        assert_eq!(r.status, 403, "{fields:?} {extra}: {}", r.text());
        assert!(r.text().contains("Formulaire périmé"), "{}", r.text());
    }
    assert_eq!(kit_toml(), before);
    assert!(!admin.get("/").text().contains("Piraté"));
    // The token of another session is no good either.
    let mut other = Browser::new(&kit, OTHER_PHONE);
    assert_eq!(other.login("claire", PASSWORD).status, 303);
    let r = other.post("/admin/reglages", &[("csrf", &csrf), ("nom", "Piraté")]);
    assert_eq!(r.status, 403);
    // With its own token, the same form goes through.
    let r = admin.post(
        "/admin/reglages",
        &[("csrf", &csrf), ("nom", "Médiathèque"), ("atelier", "")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
}

#[test]
fn every_protected_route_refuses_strangers_learners_and_conseillers() {
    let kit = kit_with_admin();
    let out = create_user(&kit.data_dir, "paul", "conseiller", PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = kit.get("/_kit/test-routes").text();
    let routes: Vec<(&str, &str, &str)> = table
        .lines()
        .map(|l| {
            let mut parts = l.split(' ');
            (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            )
        })
        .collect();
    assert!(routes.len() >= 20, "{table}");

    let mut stranger = Browser::new(&kit, PHONE);
    // A learner: entered the portal, and sends a made-up session cookie.
    kit.enter_from(IpAddr::from(OTHER_PHONE));
    let mut learner = Browser::new(&kit, OTHER_PHONE);
    learner
        .cookies
        .insert("kit_session".into(), "ab".repeat(32));
    let mut conseiller = Browser::new(&kit, [127, 0, 0, 4]);
    assert_eq!(conseiller.login("paul", PASSWORD).status, 303);
    let conseiller_csrf = token_in(&conseiller.get("/admin").text()).unwrap();

    let ask = |b: &mut Browser<'_>, verb: &str, path: &str, csrf: &str| match verb {
        "GET" => b.get(path),
        _ => b.post(path, &[("csrf", csrf)]),
    };
    let mut protected = 0;
    for (verb, path, access) in &routes {
        if *access == "Anyone" {
            continue;
        }
        protected += 1;
        for who in [&mut stranger, &mut learner] {
            let r = ask(who, verb, path, "");
            match *verb {
                "GET" => {
                    assert_eq!(r.status, 303, "{verb} {path}");
                    assert!(
                        r.header("Location")
                            .unwrap()
                            .starts_with("/admin/connexion"),
                        "{verb} {path}"
                    );
                }
                _ => assert_eq!(r.status, 403, "{verb} {path}: {}", r.text()),
            }
        }
        if *access == "Admin" {
            let r = ask(&mut conseiller, verb, path, &conseiller_csrf);
            assert_eq!(r.status, 403, "conseiller {verb} {path}: {}", r.text());
            assert!(r.text().contains("Page réservée"), "{verb} {path}");
        }
    }
    assert!(protected >= 20, "{table}");
    // A conseiller has their own pages.
    assert_eq!(conseiller.get("/admin").status, 200);
    assert_eq!(conseiller.get("/admin/mon-compte").status, 200);
    // Nothing the refused requests asked for happened.
    let users = support::packs::stdout(&cli(&kit.data_dir, &["admin", "list-users"]));
    assert_eq!(users.lines().count(), 2, "{users}");
}

/// A signed pack `id` `version` (its words: `word`), and the key that signs it.
fn signed_pack(dir: &Path, id: &str, version: &str, word: &str, key: &Path) -> Vec<u8> {
    let src = dir.join(format!("src-{id}-{version}"));
    write_source(&src, id, version, word);
    let out = dir.join(format!("{id}-{version}.kitpack"));
    build_signed(&src, &out, key);
    std::fs::read(out).unwrap()
}

fn uploads_left(kit: &Kit) -> Vec<String> {
    std::fs::read_dir(kit.data_dir.join("uploads"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_uploaded_signed_pack_is_installed_and_shows_in_the_portal() {
    let kit = kit_with_admin();
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    let pack = signed_pack(work.path(), "fiches", "1.0.0", "girafe", &key);
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);

    // Trusted through the keys page.
    let csrf = admin.token("/admin/cles");
    let added = admin.post(
        "/admin/cles",
        &[
            ("csrf", &csrf),
            ("cle", &format!("{public}\n")),
            ("nom", "Éditeur test"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.text());
    assert!(admin.get("/admin/cles").text().contains("Éditeur test"));

    let csrf = admin.token("/admin/paquets");
    let sent = admin.upload(&csrf, "fiches-1.0.0.kitpack", &pack);
    let outcome = admin.job_outcome(&sent);
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("fiches version 1.0.0"),
        "{outcome}"
    );
    let found = kit.get("/recherche?q=girafe").text();
    assert!(found.contains("Tutoriel fiches"), "{found}");
    let list = admin.get("/admin/paquets").text();
    assert!(list.contains("fiches · version 1.0.0"), "{list}");
    assert!(uploads_left(&kit).is_empty(), "{:?}", uploads_left(&kit));
}

#[test]
fn hostile_unsigned_too_big_and_cut_uploads_change_nothing_and_leave_nothing() {
    let kit = {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("kit.toml"), "[admin]\nmax_upload_mb = 1\n").unwrap();
        let kit = Kit::spawn_in(temp.path());
        std::mem::forget(temp);
        kit
    };
    assert!(create_user(&kit.data_dir, "claire", "admin", PASSWORD)
        .status
        .success());
    let work = tempfile::tempdir().unwrap();
    let (key, _untrusted) = new_key(work.path(), "inconnu");
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let packs_before = support::packs::stdout(&cli(&kit.data_dir, &["pack", "list"]));

    // Signed by a key the kit does not trust: refused by the install, named by its file.
    let csrf = admin.token("/admin/paquets");
    let pack = signed_pack(work.path(), "intrus", "1.0.0", "ornithorynque", &key);
    let sent = admin.upload(&csrf, "intrus-1.0.0.kitpack", &pack);
    let outcome = admin.job_outcome(&sent);
    assert_eq!(outcome["ok"], false, "{outcome}");
    let said = outcome["message"].as_str().unwrap();
    assert!(said.contains("intrus-1.0.0.kitpack"), "{said}");
    assert!(!said.contains("uploads/"), "{said}");

    // Not a pack at all.
    let sent = admin.upload(&csrf, "photo.kitpack", b"PK\x03\x04 pas un zip");
    let outcome = admin.job_outcome(&sent);
    assert_eq!(outcome["ok"], false, "{outcome}");

    // No token in the form: refused before anything is written.
    let r = admin.upload("0000", "x.kitpack", &pack);
    assert_eq!(r.status, 403, "{}", r.text());

    // Over the limit (1 MB here).
    let big = vec![7u8; 2 << 20];
    let r = admin.upload(&csrf, "gros.kitpack", &big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("trop gros"), "{}", r.text());

    // Cut off mid-way: the client announces 900 KB, sends 300 KB and goes.
    {
        let mut stream = kit.connect_from(IpAddr::from(PHONE));
        let boundary = "b0undary";
        let head = format!(
            "POST /admin/paquets/envoyer HTTP/1.1\r\nHost: {}\r\n{}Content-Type: multipart/form-data; \
             boundary={boundary}\r\nContent-Length: 900000\r\n\r\n--{boundary}\r\nContent-Disposition: \
             form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; \
             name=\"paquet\"; filename=\"coupe.kitpack\"\r\n\r\n",
            admin.host(),
            admin.cookie_header()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&vec![1u8; 300_000]).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let start = Instant::now();
    while !uploads_left(&kit).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            uploads_left(&kit)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        support::packs::stdout(&cli(&kit.data_dir, &["pack", "list"])),
        packs_before
    );
    assert!(kit
        .get("/recherche?q=ornithorynque")
        .text()
        .contains("Aucun résultat"));
    assert_eq!(kit.get("/").status, 200);
}

#[test]
fn two_admins_uploading_at_once_both_get_their_pack_installed() {
    let kit = kit_with_admin();
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    assert!(cli(&kit.data_dir, &["trust", "add", &public])
        .status
        .success());
    let a = signed_pack(work.path(), "alpha", "1.0.0", "abeille", &key);
    let b = signed_pack(work.path(), "beta", "1.0.0", "baleine", &key);
    let outcomes: Vec<serde_json::Value> = std::thread::scope(|s| {
        let handles: Vec<_> = [(PHONE, "alpha", &a), (OTHER_PHONE, "beta", &b)]
            .into_iter()
            .map(|(from, name, bytes)| {
                let kit = &kit;
                s.spawn(move || {
                    let mut admin = Browser::new(kit, from);
                    assert_eq!(admin.login("claire", PASSWORD).status, 303);
                    let csrf = admin.token("/admin/paquets");
                    let sent = admin.upload(&csrf, &format!("{name}.kitpack"), bytes);
                    admin.job_outcome(&sent)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for outcome in &outcomes {
        assert_eq!(outcome["ok"], true, "{outcome}");
    }
    assert!(kit
        .get("/recherche?q=abeille")
        .text()
        .contains("Tutoriel alpha"));
    assert!(kit
        .get("/recherche?q=baleine")
        .text()
        .contains("Tutoriel beta"));
}

#[test]
fn a_settings_change_shows_at_once_keeps_comments_and_survives_a_restart() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(
        temp.path().join("kit.toml"),
        "# Réglages de la médiathèque\nname = \"Ancien nom\" # le nom affiché\n",
    )
    .unwrap();
    let mut kit = Kit::spawn_in(temp.path());
    assert!(create_user(temp.path(), "claire", "admin", PASSWORD)
        .status
        .success());
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    assert!(kit.get("/").text().contains("Ancien nom"));
    let csrf = admin.token("/admin/reglages");
    // An invalid change: refused with a reason, nothing written.
    let r = admin.post(
        "/admin/reglages",
        &[("csrf", &csrf), ("nom", "  "), ("atelier", "")],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let r = admin.post(
        "/admin/reglages",
        &[("csrf", &csrf), ("nom", "Kit"), ("atelier", "n-existe-pas")],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let r = admin.post(
        "/admin/reglages",
        &[
            ("csrf", &csrf),
            ("nom", "Médiathèque \"Les Tilleuls\" #2"),
            ("atelier", "proteger-ses-comptes"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let home = kit.get("/").text();
    assert!(
        home.contains("Médiathèque &quot;Les Tilleuls&quot; #2"),
        "{home}"
    );
    assert!(home
        .split("L'atelier du jour")
        .nth(1)
        .unwrap()
        .contains("/ateliers/proteger-ses-comptes"));
    let text = std::fs::read_to_string(temp.path().join("kit.toml")).unwrap();
    assert!(text.starts_with("# Réglages de la médiathèque\n"), "{text}");
    assert!(text.contains("# le nom affiché"), "{text}");
    assert!(kit.stop().success());
    let kit = Kit::spawn_in(temp.path());
    assert!(kit
        .get("/")
        .text()
        .contains("Médiathèque &quot;Les Tilleuls&quot; #2"));
}

#[test]
fn the_status_page_shows_version_storage_phones_and_the_log() {
    let kit = kit_with_admin();
    kit.enter_from(IpAddr::from(OTHER_PHONE));
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let page = admin.get("/admin/etat").text();
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    assert!(page.contains("Place libre"), "{page}");
    assert!(page.contains("listening on http://"), "{page}");
    assert!(page.contains("claire signed in"), "{page}");
    // The phone that pressed "Entrer" counts (and our own two addresses).
    let phones = page.split("Téléphones actifs").nth(1).unwrap();
    let n: usize = phones
        .split("<dd>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 1, "{n}");
}

#[test]
fn an_expired_session_opens_nothing() {
    let kit = kit_with_admin();
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let csrf = admin.token("/admin/reglages");
    let db = rusqlite::Connection::open(kit.data_dir.join("accounts.sqlite")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute("UPDATE sessions SET expires_at = 1", [])
        .unwrap();
    let r = admin.get("/admin/reglages");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("Location"),
        Some("/admin/connexion?suite=/admin/reglages")
    );
    let r = admin.post("/admin/reglages", &[("csrf", &csrf), ("nom", "Trop tard")]);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("Connectez-vous"), "{}", r.text());
    assert!(!kit.get("/").text().contains("Trop tard"));
}

/// Sends an upload with `Transfer-Encoding: chunked` (no announced size), as a client that
/// streams a file whose size it does not know would.
fn upload_chunked(b: &Browser<'_>, csrf: &str, size: usize) -> Response {
    let boundary = "chunkyB0undary";
    let mut stream = b.kit.connect_from(b.from);
    let head = format!(
        "POST /admin/paquets/envoyer HTTP/1.1\r\nHost: {host}\r\n{cookies}Origin: http://{host}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        host = b.host(),
        cookies = b.cookie_header(),
    );
    let _ = stream.write_all(head.as_bytes());
    let mut chunk = |data: &[u8]| {
        let mut out = format!("{:x}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        stream.write_all(&out).is_ok()
    };
    let first = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"paquet\"; filename=\"enorme.kitpack\"\r\n\r\n"
    );
    let mut ok = chunk(first.as_bytes());
    let block = vec![9u8; 64 * 1024];
    let mut sent = 0;
    while ok && sent < size {
        ok = chunk(&block);
        sent += block.len();
    }
    if ok {
        let _ = chunk(format!("\r\n--{boundary}--\r\n").as_bytes()) && chunk(b"");
    }
    read_response(&mut stream)
}

#[test]
fn an_upload_that_fills_the_disk_is_refused_and_removed() {
    let Some(disk) = SmallDisk::mount_or_skip("48m") else {
        return;
    };
    let data = disk.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let kit = Kit::spawn_in(&data);
    assert!(create_user(&data, "claire", "admin", PASSWORD)
        .status
        .success());
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let csrf = admin.token("/admin/paquets");
    // Announced bigger than the free space: refused before a byte is written.
    let r = admin.upload(&csrf, "gros.kitpack", &vec![3u8; 60 << 20]);
    assert_eq!(r.status, 507, "{}", r.text());
    assert!(r.text().contains("plus assez de place"), "{}", r.text());
    // Size unknown: the disk fills during the upload.
    let r = upload_chunked(&admin, &csrf, 60 << 20);
    assert_eq!(r.status, 507, "{}", r.text());
    let start = Instant::now();
    while !uploads_left(&kit).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            uploads_left(&kit)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The kit goes on, and its disk has its room back.
    assert_eq!(kit.get("/").status, 200);
    let sent = admin.upload(&csrf, "petit.kitpack", b"not a pack");
    assert_eq!(admin.job_outcome(&sent)["ok"], false);
}

#[test]
fn packs_from_a_stick_are_listed_installed_rolled_back_removed_and_exported() {
    let temp = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let stick = media.path().join("CLE");
    std::fs::create_dir_all(stick.join("paquets")).unwrap();
    std::fs::write(
        temp.path().join("kit.toml"),
        // "ask": the packs wait for the admin's button (tests/sync.rs tests "auto").
        format!(
            "[usb]\nmount_roots = [\"{}\"]\npolicy = \"ask\"\n",
            media.path().display()
        ),
    )
    .unwrap();
    let kit = Kit::spawn_in(temp.path());
    assert!(create_user(temp.path(), "claire", "admin", PASSWORD)
        .status
        .success());
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    assert!(cli(temp.path(), &["trust", "add", &public])
        .status
        .success());
    let v1 = signed_pack(work.path(), "fiches", "1.0.0", "castor", &key);
    let v2 = signed_pack(work.path(), "fiches", "2.0.0", "marmotte", &key);
    std::fs::write(stick.join("paquets/fiches-1.0.0.kitpack"), &v1).unwrap();
    std::fs::write(stick.join("paquets/abime.kitpack"), b"pas un paquet").unwrap();

    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let page = admin.get("/admin/paquets").text();
    assert!(page.contains("fiches · version 1.0.0 · nouveau"), "{page}");
    assert!(page.contains("CLE/paquets/abime.kitpack"), "{page}");
    let csrf = token_in(&page).unwrap();
    let file = stick.join("paquets/fiches-1.0.0.kitpack");
    let sent = admin.post(
        "/admin/paquets/cle-usb",
        &[("csrf", &csrf), ("fichier", file.to_str().unwrap())],
    );
    assert_eq!(admin.job_outcome(&sent)["ok"], true);
    assert!(kit
        .get("/recherche?q=castor")
        .text()
        .contains("Tutoriel fiches"));
    // Only a file the scan finds: not any path of the box.
    let other = work.path().join("fiches-2.0.0.kitpack");
    for path in [other.to_str().unwrap(), "/etc/passwd"] {
        let r = admin.post(
            "/admin/paquets/cle-usb",
            &[("csrf", &csrf), ("fichier", path)],
        );
        assert_eq!(r.status, 422, "{path}: {}", r.text());
    }
    assert!(!kit
        .get("/recherche?q=marmotte")
        .text()
        .contains("Tutoriel fiches"));

    // Version 2 through an upload, then back to 1, then removed.
    let sent = admin.upload(&csrf, "fiches-2.0.0.kitpack", &v2);
    assert_eq!(admin.job_outcome(&sent)["ok"], true);
    assert!(admin
        .get("/admin/paquets")
        .text()
        .contains("Revenir à la version 1.0.0"));
    let sent = admin.post("/admin/paquets/fiches/retour", &[("csrf", &csrf)]);
    let outcome = admin.job_outcome(&sent);
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert!(kit
        .get("/recherche?q=castor")
        .text()
        .contains("Tutoriel fiches"));

    let sent = admin.post(
        "/admin/paquets/exporter",
        &[("csrf", &csrf), ("cle", stick.to_str().unwrap())],
    );
    let outcome = admin.job_outcome(&sent);
    assert_eq!(outcome["ok"], true, "{outcome}");
    let exported: Vec<String> = std::fs::read_dir(stick.join("mednum-kit"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        exported.contains(&"fiches-1.0.0.kitpack".to_owned()),
        "{exported:?}"
    );

    let sent = admin.post("/admin/paquets/fiches/retirer", &[("csrf", &csrf)]);
    assert_eq!(admin.job_outcome(&sent)["ok"], true);
    assert!(kit
        .get("/recherche?q=castor")
        .text()
        .contains("Aucun résultat"));
    assert_eq!(
        admin
            .post("/admin/paquets/fiches/retirer", &[("csrf", &csrf)])
            .status,
        404
    );
}

#[test]
fn accounts_are_made_and_removed_from_the_accounts_page() {
    let kit = kit_with_admin();
    let mut admin = Browser::new(&kit, PHONE);
    assert_eq!(admin.login("claire", PASSWORD).status, 303);
    let csrf = admin.token("/admin/comptes");
    let create = |b: &mut Browser<'_>, name: &str, password: &str, again: &str| {
        b.post(
            "/admin/comptes",
            &[
                ("csrf", &csrf),
                ("nom", name),
                ("role", "conseiller"),
                ("mot_de_passe", password),
                ("mot_de_passe_2", again),
            ],
        )
    };
    assert_eq!(create(&mut admin, "Élodie", PASSWORD, PASSWORD).status, 422);
    assert_eq!(create(&mut admin, "paul", "court", "court").status, 422);
    assert_eq!(
        create(&mut admin, "paul", PASSWORD, "autre chose encore").status,
        422
    );
    assert_eq!(create(&mut admin, "claire", PASSWORD, PASSWORD).status, 422);
    assert_eq!(create(&mut admin, "paul", PASSWORD, PASSWORD).status, 303);
    let mut paul = Browser::new(&kit, OTHER_PHONE);
    assert_eq!(paul.login("paul", PASSWORD).status, 303);
    assert_eq!(paul.get("/admin/paquets").status, 403);
    // A new password from the admin ends paul's session.
    let r = admin.post(
        "/admin/comptes/paul/mot-de-passe",
        &[
            ("csrf", &csrf),
            ("mot_de_passe", "un autre mot de passe"),
            ("mot_de_passe_2", "un autre mot de passe"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(paul.get("/admin").status, 303);
    assert_eq!(paul.login("paul", "un autre mot de passe").status, 303);
    // Never one's own account, never the last admin.
    assert_eq!(
        admin
            .post("/admin/comptes/claire/supprimer", &[("csrf", &csrf)])
            .status,
        422
    );
    assert_eq!(
        admin
            .post("/admin/comptes/paul/supprimer", &[("csrf", &csrf)])
            .status,
        303
    );
    assert_eq!(paul.get("/admin").status, 303);
    let users = support::packs::stdout(&cli(&kit.data_dir, &["admin", "list-users"]));
    assert_eq!(users.trim(), "claire\tadministration");
}

/// A read-only bind mount of `dir` on itself (root only), undone on drop.
struct ReadOnly(std::path::PathBuf);

impl ReadOnly {
    fn mount(dir: &Path) -> Option<ReadOnly> {
        let run = |args: &[&str]| {
            std::process::Command::new("mount")
                .args(args)
                .arg(dir)
                .arg(dir)
                .output()
                .map_err(|e| e.to_string())
                .and_then(|o| {
                    o.status
                        .success()
                        .then_some(())
                        .ok_or_else(|| String::from_utf8_lossy(&o.stderr).into_owned())
                })
        };
        let done = run(&["--bind"]).and_then(|()| run(&["-o", "remount,bind,ro"]));
        match done {
            Ok(()) => Some(ReadOnly(dir.to_owned())),
            Err(why) => {
                if std::env::var_os("MEDNUM_REQUIRE_ROOT_TESTS").is_some_and(|v| v == "1") {
                    panic!("a read-only bind mount is required here: {why}");
                }
                eprintln!("SKIP: no read-only bind mount here ({why})");
                None
            }
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn an_export_opens_a_read_only_stick_for_the_copy_and_closes_it_after() {
    let temp = tempfile::tempdir().unwrap();
    let media = tempfile::tempdir().unwrap();
    let stick = media.path().join("sdz1");
    std::fs::create_dir_all(&stick).unwrap();
    let Some(_mounted) = ReadOnly::mount(&stick) else {
        return;
    };
    // The box's helper starts units as root; here (root already) the same remount, by hand.
    let helper = temp.path().join("remount");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nexec mount -o \"remount,bind,$1\" \"{}/$2\"\n",
            media.path().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let settings = |helper: &Path| {
        format!(
            "[usb]\nmount_roots = [\"{}\"]\npolicy = \"ask\"\nremount_helper = \"{}\"\n",
            media.path().display(),
            helper.display()
        )
    };
    std::fs::write(
        temp.path().join("kit.toml"),
        settings(&temp.path().join("absent")),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let (key, public) = new_key(work.path(), "editeur");
    assert!(cli(temp.path(), &["trust", "add", &public])
        .status
        .success());
    let pack = work.path().join("fiches-1.0.0.kitpack");
    std::fs::write(
        &pack,
        signed_pack(work.path(), "fiches", "1.0.0", "castor", &key),
    )
    .unwrap();
    assert!(
        cli(temp.path(), &["pack", "import", pack.to_str().unwrap()])
            .status
            .success()
    );
    assert!(create_user(temp.path(), "claire", "admin", PASSWORD)
        .status
        .success());

    let export = |kit: &Kit| {
        let mut admin = Browser::new(kit, PHONE);
        assert_eq!(admin.login("claire", PASSWORD).status, 303);
        let csrf = token_in(&admin.get("/admin/paquets").text()).unwrap();
        let sent = admin.post(
            "/admin/paquets/exporter",
            &[("csrf", &csrf), ("cle", stick.to_str().unwrap())],
        );
        admin.job_outcome(&sent)
    };
    // Without the helper: a clear failure, nothing written.
    let kit = Kit::spawn_in(temp.path());
    let outcome = export(&kit);
    assert_eq!(outcome["ok"], false, "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("lecture seule"),
        "{outcome}"
    );
    assert!(!stick.join("mednum-kit").exists());
    drop(kit);

    std::fs::write(temp.path().join("kit.toml"), settings(&helper)).unwrap();
    let kit = Kit::spawn_in(temp.path());
    let outcome = export(&kit);
    assert_eq!(outcome["ok"], true, "{outcome}");
    let dest = stick.join("mednum-kit");
    assert!(dest.join("fiches-1.0.0.kitpack").is_file());
    let catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dest.join("catalog.json")).unwrap()).unwrap();
    assert!(catalog["packs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "fiches" && p["url"] == "fiches-1.0.0.kitpack"));
    // Read-only again.
    assert!(std::fs::write(stick.join("essai"), b"x").is_err());
}
