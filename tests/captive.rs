//! The captive portal over real HTTP: every OS probe, before and after "Entrer", by Host.

mod support;

use std::net::IpAddr;

use support::Kit;

/// (host, path, what the OS expects once online: status, exact body or `None` for any).
const PROBES: &[(&str, &str, u16, Option<&str>)] = &[
    (
        "connectivitycheck.gstatic.com",
        "/generate_204",
        204,
        Some(""),
    ),
    (
        "connectivitycheck.android.com",
        "/generate_204",
        204,
        Some(""),
    ),
    ("clients3.google.com", "/generate_204", 204, Some("")),
    ("www.google.com", "/gen_204", 204, Some("")),
    ("play.googleapis.com", "/generate_204", 204, Some("")),
    (
        "captive.apple.com",
        "/hotspot-detect.html",
        200,
        Some("<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>\n"),
    ),
    (
        "www.apple.com",
        "/library/test/success.html",
        200,
        Some("<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>\n"),
    ),
    (
        "www.msftconnecttest.com",
        "/connecttest.txt",
        200,
        Some("Microsoft Connect Test"),
    ),
    ("www.msftncsi.com", "/ncsi.txt", 200, Some("Microsoft NCSI")),
    ("www.msftconnecttest.com", "/redirect", 302, None),
    (
        "detectportal.firefox.com",
        "/success.txt",
        200,
        Some("success\n"),
    ),
    ("detectportal.firefox.com", "/canonical.html", 200, None),
    (
        "nmcheck.gnome.org",
        "/check_network_status.txt",
        200,
        Some("NetworkManager is online\n"),
    ),
    ("connectivity-check.ubuntu.com.", "/", 204, Some("")),
];

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn every_probe_is_sent_to_the_welcome_page_then_answered_as_its_os_expects_after_entrer() {
    let kit = Kit::spawn();
    let phone = ip("127.0.0.2");
    let welcome = format!("http://{}/bienvenue", kit.addr);
    for (host, path, _, _) in PROBES {
        let r = kit.get_host_from(phone, host, path);
        assert_eq!(r.status, 302, "{host}{path} before Entrer");
        assert_eq!(r.header("Location"), Some(welcome.as_str()), "{host}{path}");
        assert_eq!(r.header("Cache-Control"), Some("no-store"), "{host}{path}");
    }

    let entered = kit.enter_from(phone);
    assert_eq!(entered.status, 303);
    assert_eq!(entered.header("Location"), Some("/"));

    for (host, path, status, body) in PROBES {
        let r = kit.get_host_from(phone, host, path);
        assert_eq!(r.status, *status, "{host}{path} after Entrer");
        if let Some(body) = body {
            assert_eq!(r.text(), *body, "{host}{path}");
        }
        if *status == 302 {
            assert_eq!(
                r.header("Location"),
                Some(format!("http://{}/", kit.addr).as_str())
            );
        }
    }
    let ubuntu = kit.get_host_from(phone, "connectivity-check.ubuntu.com", "/");
    assert_eq!(ubuntu.header("X-NetworkManager-Status"), Some("online"));
    let apple = kit.get_host_from(phone, "captive.apple.com", "/hotspot-detect.html");
    assert!(apple
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
}

#[test]
fn entrer_lets_only_that_phone_through() {
    let kit = Kit::spawn();
    let (a, b) = (ip("127.0.0.2"), ip("127.0.0.3"));
    kit.enter_from(a);
    let probe = ("connectivitycheck.gstatic.com", "/generate_204");
    assert_eq!(kit.get_host_from(a, probe.0, probe.1).status, 204);
    assert_eq!(kit.get_host_from(b, probe.0, probe.1).status, 302);
}

#[test]
fn any_other_foreign_host_goes_to_the_welcome_page_then_to_the_portal() {
    let kit = Kit::spawn();
    let phone = ip("127.0.0.2");
    // The portal's home page is kept (and answered without a worker) for the kit's own
    // name: a foreign name must still be redirected, whatever the path.
    for _ in 0..3 {
        assert_eq!(kit.get_host_from(phone, "127.0.0.1", "/").status, 200);
    }
    for (host, path) in [
        ("www.wikipedia.org", "/"),
        ("impots.gouv.fr", "/mon-espace?x=1"),
        ("www.google.com", "/search?q=meteo"),
        ("captive.apple.com.evil.example", "/hotspot-detect.html"),
    ] {
        let r = kit.get_host_from(phone, host, path);
        assert_eq!(r.status, 302, "{host}{path}");
        assert_eq!(
            r.header("Location"),
            Some(format!("http://{}/bienvenue", kit.addr).as_str())
        );
    }
    kit.enter_from(phone);
    let r = kit.get_host_from(phone, "www.wikipedia.org", "/");
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("Location"),
        Some(format!("http://{}/", kit.addr).as_str())
    );
}

#[test]
fn the_kits_own_names_and_addresses_are_served_not_redirected() {
    let kit = Kit::spawn();
    let phone = ip("127.0.0.2");
    for host in [
        "127.0.0.1".to_owned(),
        kit.addr.to_string(),
        "mednum.local".into(),
        "MEDNUM.local:80".into(),
        "mednum".into(),
        "localhost".into(),
        "10.42.0.1".into(),
    ] {
        let r = kit.get_host_from(phone, &host, "/");
        assert_eq!(r.status, 200, "{host}");
        assert!(r.text().contains("Choisissez un thème"), "{host}");
    }
}

#[test]
fn the_welcome_page_has_one_big_entrer_button_and_the_address_for_the_real_browser() {
    let kit = Kit::spawn();
    let r = kit.get("/bienvenue");
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("<html lang=\"fr\" dir=\"ltr\">"), "{html}");
    assert!(
        html.contains("<form class=\"enter\" action=\"/entrer\" method=\"post\">"),
        "{html}"
    );
    assert_eq!(
        html.matches("type=\"submit\"").count(),
        1,
        "one button: Entrer"
    );
    assert!(html.contains(">Entrer</button>"), "{html}");
    assert!(html.contains("Ouvrez votre navigateur"), "{html}");
    assert!(
        html.contains(&format!("value=\"{}\"", kit.addr)),
        "the address, without http://: {html}"
    );
}

#[test]
fn the_rfc_8908_api_says_captive_until_entrer() {
    let kit = Kit::spawn();
    let phone = ip("127.0.0.2");
    let api = |kit: &Kit| kit.get_host_from(phone, "127.0.0.1", "/.well-known/captive-portal");
    let before = api(&kit);
    assert_eq!(before.status, 200);
    assert_eq!(
        before.header("Content-Type"),
        Some("application/captive+json")
    );
    let json: serde_json::Value = serde_json::from_slice(&before.body).unwrap();
    assert_eq!(json["captive"], true);
    assert_eq!(
        json["user-portal-url"],
        format!("http://{}/bienvenue", kit.addr)
    );
    kit.enter_from(phone);
    let after: serde_json::Value = serde_json::from_slice(&api(&kit).body).unwrap();
    assert_eq!(after["captive"], false);
}

#[test]
fn an_entered_phone_is_forgotten_after_the_expiry_without_activity() {
    let kit = Kit::spawn_with("[captive]\nentered_expiry_secs = 1\n");
    let phone = ip("127.0.0.2");
    let probe = |kit: &Kit| {
        kit.get_host_from(phone, "connectivitycheck.gstatic.com", "/generate_204")
            .status
    };
    kit.enter_from(phone);
    assert_eq!(probe(&kit), 204);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(probe(&kit), 302);
}

#[test]
fn with_the_captive_portal_off_foreign_hosts_get_the_portal_itself() {
    let kit = Kit::spawn_with("[captive]\nenabled = false\n");
    let r = kit.get_host_from(ip("127.0.0.2"), "connectivitycheck.gstatic.com", "/");
    assert_eq!(r.status, 200);
}

#[test]
fn the_box_address_and_public_port_make_the_redirect_target() {
    let kit = Kit::spawn_with("[network]\naddress = \"10.42.0.1\"\npublic_port = 80\n");
    let r = kit.get_host_from(ip("127.0.0.2"), "captive.apple.com", "/hotspot-detect.html");
    assert_eq!(r.header("Location"), Some("http://10.42.0.1/bienvenue"));
}
