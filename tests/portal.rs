//! The learner portal as a phone sees it: real binary, real HTTP, real SQLite.

mod support;

use support::{asset_urls, Kit};

fn page(kit: &Kit, path: &str) -> String {
    let r = kit.get(path);
    assert_eq!(r.status, 200, "GET {path}:\n{}", r.text());
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html; charset=utf-8"),
        "{path}"
    );
    r.text()
}

/// The first `href` that starts with `prefix`.
fn first_link(html: &str, prefix: &str) -> String {
    html.split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .find(|h| h.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link to {prefix}… in page"))
        .to_owned()
}

#[test]
fn home_page_is_french_and_lists_themes_with_a_search_box() {
    let kit = Kit::spawn();
    let html = page(&kit, "/");
    for needle in [
        "<html lang=\"fr\" dir=\"ltr\">",
        "Bienvenue",
        "Choisissez un thème",
        "action=\"/recherche\"",
        "<label for=\"q\">",
        "L'atelier du jour",
        "<main id=\"contenu\"",
        "href=\"/themes/securite\"",
        "Sécurité",
    ] {
        assert!(html.contains(needle), "home lacks {needle:?}");
    }
}

#[test]
fn theme_tutorial_and_workshop_pages_link_together() {
    let kit = Kit::spawn();
    let theme = page(&kit, "/themes/securite");
    assert!(theme.contains("Créer un mot de passe solide"));
    let workshop_url = first_link(&theme, "/ateliers/");
    let workshop = page(&kit, &workshop_url);
    for needle in [
        "Pour qui ?",
        "Ce que l'on apprend",
        "Le déroulé",
        "Notes pour l'animateur",
    ] {
        assert!(workshop.contains(needle), "{workshop_url} lacks {needle:?}");
    }
    let tutorial_url = first_link(&workshop, "/tutoriels/");
    let tutorial = page(&kit, &tutorial_url);
    assert!(tutorial.contains(&format!("href=\"{tutorial_url}/etape/1\"")));
    assert!(tutorial.contains(&format!("href=\"{tutorial_url}/tout\"")));
    assert!(page(&kit, "/ateliers").contains(&workshop_url));
}

#[test]
fn a_tutorial_is_followed_one_step_per_screen_with_previous_and_next() {
    let kit = Kit::spawn();
    let base = "/tutoriels/mot-de-passe-solide";
    let overview = page(&kit, base);
    let steps = overview
        .matches(&format!("<li><a href=\"{base}/etape/"))
        .count();
    assert!(steps >= 3, "only {steps} step links");
    for n in 1..=steps {
        let html = page(&kit, &format!("{base}/etape/{n}"));
        assert!(html.contains(&format!("Étape {n} sur {steps}")), "step {n}");
        assert!(
            html.contains("class=\"listen\"") && html.contains("hidden"),
            "step {n}"
        );
        assert_eq!(
            html.contains("rel=\"prev\""),
            n > 1,
            "step {n} previous link"
        );
        assert_eq!(
            html.contains("rel=\"next\""),
            n < steps,
            "step {n} next link"
        );
        if n < steps {
            assert!(html.contains(&format!("href=\"{base}/etape/{}\"", n + 1)));
        } else {
            assert!(html.contains("C'est fini. Bravo !"));
        }
    }
    let all = page(&kit, &format!("{base}/tout"));
    assert_eq!(all.matches("class=\"step\"").count(), steps);
    for bad in [
        "0",
        &(steps + 1).to_string(),
        "01",
        "+1",
        "-1",
        "un",
        "1.0",
        "99999999999999999999999",
    ] {
        assert_eq!(
            kit.get(&format!("{base}/etape/{bad}")).status,
            404,
            "step {bad}"
        );
    }
}

#[test]
fn images_of_the_starter_pack_are_served_from_the_installed_pack() {
    let kit = Kit::spawn();
    let html = page(&kit, "/tutoriels/mot-de-passe-solide/tout");
    let icon = first_link(&html.replace("src=\"", "href=\""), "/contenus/starter/");
    let r = kit.get(&icon);
    assert_eq!(r.status, 200, "{icon}");
    assert_eq!(r.header("Content-Type"), Some("image/svg+xml"));
    assert!(r.header("Cache-Control").unwrap().contains("immutable"));
    assert!(r
        .header("Content-Security-Policy")
        .unwrap()
        .contains("sandbox"));
    assert!(r.text().contains("<svg"));
}

#[test]
fn the_home_page_carries_its_small_theme_icons_instead_of_linking_them() {
    let kit = Kit::spawn();
    let html = page(&kit, "/");
    let inlined = html.matches("src=\"data:image/svg+xml,").count();
    assert!(inlined >= 5, "{inlined} icons inlined");
    assert!(!html.contains("src=\"/contenus/"), "no icon left to fetch");
    // The bytes are the pack's file, as served on its own.
    let first = html.split("src=\"data:image/svg+xml,").nth(1).unwrap();
    let encoded = first.split('"').next().unwrap();
    assert!(encoded.starts_with("%3Csvg"), "{encoded}");
    assert!(
        !encoded.contains('#') && !encoded.contains('<'),
        "{encoded}"
    );
}

#[test]
fn learner_pages_weigh_under_30_kb_with_their_css_and_js() {
    let kit = Kit::spawn();
    for path in [
        "/",
        "/themes/securite",
        "/tutoriels/mot-de-passe-solide",
        "/tutoriels/mot-de-passe-solide/etape/1",
        "/tutoriels/mot-de-passe-solide/tout",
        "/recherche?q=mot+de+passe",
    ] {
        let html = page(&kit, path);
        let assets: usize = asset_urls(&html)
            .iter()
            .filter(|u| u.ends_with(".css") || u.ends_with(".js"))
            .map(|u| kit.get(u).body.len())
            .sum();
        let total = html.len() + assets;
        assert!(total <= 30 * 1024, "{path} weighs {total} bytes");
    }
}

#[test]
fn search_folds_accents_and_case_and_highlights_matches() {
    let kit = Kit::spawn();
    let html = page(&kit, "/recherche?q=evenement");
    assert!(
        html.contains("/tutoriels/ajouter-un-evenement-au-calendrier"),
        "{html}"
    );
    assert!(html.contains("<mark>"), "no highlighted match");
    let html = page(&kit, "/recherche?q=MOT+DE+PASSE");
    let first_result = html
        .split("<ol class=\"results\">")
        .nth(1)
        .expect("results");
    assert!(
        first_result
            .trim_start()
            .starts_with("<li><a href=\"/tutoriels/mot-de-passe-solide\""),
        "{first_result}"
    );
    // Prefix matching: the start of a word is enough.
    assert!(page(&kit, "/recherche?q=calendr").contains("ajouter-un-evenement-au-calendrier"));
    assert!(page(&kit, "/recherche?q=%C3%A9v%C3%A9nement").contains("<mark>"));
}

#[test]
fn any_search_input_returns_a_page_never_a_500() {
    let kit = Kit::spawn();
    let long = "a".repeat(1500);
    for q in [
        "%22",
        "*",
        "AND(",
        "NEAR",
        "-",
        "mot%22+OR+%22passe",
        "%22%22%22",
        "NOT",
        "a*b",
        "col%3Avalue",
        "%5E",
        "(((",
        "%00",
        "%FF%FE",
        "%",
        "%zz",
        "+",
        "",
        "NEAR(a+b)",
        "title%3Amot",
        "%E2%80%8B",
        "%F0%9F%98%80",
        &long,
    ] {
        let r = kit.get(&format!("/recherche?q={q}"));
        assert_eq!(r.status, 200, "q={q}: {}", r.text());
        assert!(r.text().contains("<h1>Rechercher</h1>"), "q={q}");
    }
    let none = page(&kit, "/recherche?q=zzzzqqq");
    assert!(none.contains("Aucun résultat pour « zzzzqqq »"));
    let html = page(&kit, "/recherche?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert!(!html.contains("<script>alert"), "query echoed unescaped");
}

#[test]
fn unknown_pages_get_french_error_pages() {
    let kit = Kit::spawn();
    for path in [
        "/nulle-part",
        "/themes/inconnu",
        "/tutoriels/inconnu",
        "/ateliers/x",
        "/tutoriels/inconnu/etape/1",
    ] {
        let r = kit.get(path);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().contains("Page introuvable") && r.text().contains("lang=\"fr\""));
    }
    let r = kit.get("/a%zz");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("Adresse incorrecte"));
}

#[test]
fn assets_are_cached_forever_and_revalidate_with_etags() {
    let kit = Kit::spawn();
    let html = page(&kit, "/");
    let urls = asset_urls(&html);
    assert!(urls.iter().any(|u| u.ends_with(".css")) && urls.iter().any(|u| u.ends_with(".js")));
    for url in &urls {
        let r = kit.get(url);
        assert_eq!(r.status, 200, "{url}");
        assert!(r
            .header("Cache-Control")
            .unwrap()
            .contains("max-age=31536000"));
        let etag = r.header("ETag").expect("etag").to_owned();
        let again = kit.send(&format!(
            "GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(again.status, 304, "{url}");
        assert!(again.body.is_empty());
    }
}

#[test]
fn requests_that_try_to_leave_the_asset_or_pack_folders_get_404() {
    let kit = Kit::spawn();
    for path in [
        "/_kit/../Cargo.toml",
        "/_kit/%2e%2e/Cargo.toml",
        "/_kit/%2E%2E%2FCargo.toml",
        "/_kit/..%2f..%2fkit.sqlite",
        "/_kit/..%5c..%5ckit.sqlite",
        "/_kit/..\\..\\kit.sqlite",
        "/_kit//etc/passwd",
        "/_kit/kit.css",
        "/contenus/../kit.sqlite",
        "/contenus/%2e%2e/kit.sqlite",
        "/contenus/starter/..%2f..%2fkit.sqlite",
        "/contenus/starter/1.0.0/../../../kit.toml",
        "/contenus/starter/1.0.0/images/%2e%2e%2f%2e%2e%2fpack.toml",
        "/contenus/starter",
        "/contenus/starter/1.0.0/tutorials/mot-de-passe-solide.md",
        "/contenus/.%2e/.%2e/kit.sqlite",
        "/contenus/starter/1.0.0/images/..%00.svg",
    ] {
        let r = kit.get(path);
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert!(!r.text().contains("SQLite format"), "{path} leaked a file");
    }
}

#[test]
fn pages_carry_an_etag_and_a_phone_that_has_the_page_gets_304() {
    let kit = Kit::spawn();
    for path in ["/", "/tutoriels/mot-de-passe-solide/etape/2", "/bienvenue"] {
        let first = kit.get(path);
        assert_eq!(first.status, 200, "{path}");
        let etag = first.header("ETag").expect("an ETag").to_owned();
        assert_eq!(first.header("Cache-Control"), Some("no-cache"), "{path}");
        // Served again (from the worker's cache or rendered anew): same bytes, same tag.
        for _ in 0..10 {
            let again = kit.get(path);
            assert_eq!(again.header("ETag"), Some(etag.as_str()), "{path}");
            assert_eq!(again.body, first.body, "{path}");
        }
        let revalidated = kit.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(revalidated.status, 304, "{path}");
        assert!(revalidated.body.is_empty());
        assert_eq!(revalidated.header("ETag"), Some(etag.as_str()));
    }
    // Search results depend on the query: never tagged, never 304.
    let search = kit.get("/recherche?q=mot");
    assert_eq!(search.status, 200);
    assert_eq!(search.header("ETag"), None);
}

/// How many requests for `path` the kit logged (`-v`) as answered from kept pages by the
/// connection's own thread, and as answered by a worker.
fn answered(kit: &Kit, method: &str, path: &str) -> (usize, usize) {
    let log = kit.log();
    let mine = |line: &&str| line.contains(&format!(" {method} {path} "));
    let kept = log
        .lines()
        .filter(mine)
        .filter(|l| l.ends_with("(kept)"))
        .count();
    let worker = log
        .lines()
        .filter(mine)
        .filter(|l| !l.ends_with("(kept)"))
        .count();
    (kept, worker)
}

fn without_date(response: &support::Response) -> Vec<(String, String)> {
    let mut headers: Vec<_> = response
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("Date"))
        .cloned()
        .collect();
    headers.sort();
    headers
}

#[test]
fn a_kept_page_is_answered_by_the_connection_itself_exactly_as_a_worker_would() {
    let temp = tempfile::tempdir().unwrap();
    let mut verbose = std::process::Command::new(support::BIN);
    verbose.arg("-v");
    let kit = Kit::try_spawn_through(verbose, temp.path()).unwrap();
    let get = |path: &str, extra: &str| {
        kit.send(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: close\r\n\r\n"
        ))
    };
    let path = "/themes/securite";
    for extra in ["", "Accept-Encoding: gzip\r\n", "Cookie: langue=ar\r\n"] {
        let first = get(path, extra);
        assert_eq!(first.status, 200, "{extra}");
        let again = get(path, extra);
        assert_eq!(again.status, 200, "{extra}");
        assert_eq!(again.body, first.body, "{extra}");
        assert_eq!(without_date(&again), without_date(&first), "{extra}");
        let etag = again.header("ETag").unwrap().to_owned();
        let revalidated = get(path, &format!("{extra}If-None-Match: {etag}\r\n"));
        assert_eq!(revalidated.status, 304, "{extra}");
    }
    assert_eq!(
        get(path, "Accept-Encoding: gzip\r\n").header("Content-Encoding"),
        Some("gzip")
    );
    assert!(get(path, "Cookie: langue=ar\r\n")
        .text()
        .contains("dir=\"rtl\""));
    // The log is written as the answers go: give it a moment.
    std::thread::sleep(std::time::Duration::from_millis(200));
    // Each language was rendered once by a worker (the compressed page is kept with the
    // plain one), then answered where it was read.
    let (kept, worker) = answered(&kit, "GET", path);
    assert_eq!(worker, 2, "{}", kit.log());
    assert_eq!(kept, 9, "{}", kit.log());
    // A HEAD, a body, or an unknown page still go to a worker.
    let head = kit.send(&format!(
        "HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let with_body = kit.send(&format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
    ));
    assert_eq!(with_body.status, 200);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(answered(&kit, "HEAD", path), (0, 1), "{}", kit.log());
    assert_eq!(answered(&kit, "GET", path), (9, 3), "{}", kit.log());
}
