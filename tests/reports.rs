//! Activity reports over real HTTP with the real binary: a conseiller files, lists, edits
//! and deletes reports; another conseiller finds none of them (404, not 403); an admin sees
//! all; a workshop session's link prefills the form; the CSV reads back in Python's `csv`
//! module cell for cell; `report export` gives the admin's download byte for byte.

mod support;

use std::path::Path;
use std::process::Command;

use support::browser::{create_user, token_in, Browser};
use support::packs::{cli, stderr, stdout};
use support::Kit;

const PASSWORD: &str = "le chat dort au soleil";
const PAUL: [u8; 4] = [127, 0, 0, 2];
const ANNE: [u8; 4] = [127, 0, 0, 3];
const CLAIRE: [u8; 4] = [127, 0, 0, 4];
const BASE: &str = "/admin/comptes-rendus";

/// A kit with an admin (claire) and two conseillers (paul, anne).
fn kit_with_staff() -> Kit {
    let kit = Kit::spawn();
    for (name, role) in [
        ("claire", "admin"),
        ("paul", "conseiller"),
        ("anne", "conseiller"),
    ] {
        let out = create_user(&kit.data_dir, name, role, PASSWORD);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    kit
}

fn signed_in<'k>(kit: &'k Kit, from: [u8; 4], name: &str) -> (Browser<'k>, String) {
    let mut b = Browser::new(kit, from);
    let r = b.login(name, PASSWORD);
    assert_eq!(r.status, 303, "{}", r.text());
    let csrf = b.token(BASE);
    (b, csrf)
}

/// An individual help at home, whose texts need care in a CSV.
fn help_fields(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", csrf),
        ("type", "accompagnement-individuel"),
        ("date", "2026-03-12"),
        ("duree", "45"),
        ("duree_autre", ""),
        ("lieu", "domicile"),
        ("structure", ""),
        ("commune", "Saint-Flour"),
        ("code_postal", "15100"),
        ("themes", "demarches-en-ligne"),
        ("domaines", "argent-impots"),
        ("materiel", "telephone"),
        ("participants", "1"),
        ("age_60-69", "1"),
        ("situation_retraite", "1"),
        ("autonomie", "partiellement-autonome"),
        ("orientation", "@mairie; guichet 2"),
        ("notes", "=1+2; \"vu\" ensemble\r\nÀ revoir"),
    ]
}

/// A workshop at the usual place.
fn workshop_fields(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", csrf),
        ("type", "atelier-collectif"),
        ("date", "2026-02-03"),
        ("duree", "autre"),
        ("duree_autre", "100"),
        ("lieu", "lieu-habituel"),
        ("structure", "Médiathèque \"Les Tilleuls\""),
        ("themes", "email"),
        ("themes", "securite"),
        ("titre", "-Protéger ses comptes"),
        ("niveau", "debutant"),
        ("materiel", "ordinateur"),
        ("materiel", "tablette"),
        ("participants", "6"),
        ("age_25-39", "2"),
        ("age_non-communique", "4"),
    ]
}

/// The opening tag of the element whose id is `id`.
fn tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in {html}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

fn is_checked(html: &str, id: &str) -> bool {
    tag(html, id).contains(" checked")
}

fn value_of(html: &str, id: &str) -> String {
    let tag = tag(html, id);
    let rest = tag
        .split(" value=\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no value in {tag}"));
    rest.split('"')
        .next()
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Reads a CSV file as Python's `csv` module does, as a spreadsheet user would.
fn python_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import csv, json, sys\n\
             with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:\n    \
             print(json.dumps(list(csv.reader(f, delimiter=';'))))",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn is_timestamp(text: &str) -> bool {
    text.len() == 20
        && text.ends_with('Z')
        && text.as_bytes()[10] == b'T'
        && text.bytes().filter(u8::is_ascii_digit).count() == 14
}

#[test]
fn a_conseiller_files_lists_edits_and_deletes_a_report() {
    let kit = kit_with_staff();
    let (mut paul, csrf) = signed_in(&kit, PAUL, "paul");
    assert!(paul.get(BASE).text().contains("pas encore de compte-rendu"));
    // Home and menu lead there.
    let home = paul.get("/admin").text();
    assert!(home.contains("href=\"/admin/comptes-rendus\""), "{home}");

    // Something wrong: said in French, next to the field, and nothing typed is lost.
    let mut wrong = help_fields(&csrf);
    wrong.retain(|(k, _)| !matches!(*k, "themes" | "domaines"));
    wrong.push(("age_moins-12", "5"));
    for (k, v) in &mut wrong {
        if *k == "code_postal" {
            *v = "1510";
        }
    }
    let r = paul.post(BASE, &wrong);
    assert_eq!(r.status, 422, "{}", r.text());
    let page = r.text();
    for said in [
        "Le compte-rendu n&#39;est pas enregistré",
        "Le code postal n&#39;est pas bon. Il a 5 chiffres.",
        "Cochez au moins un thème.",
        "Le total des âges est 6. C&#39;est plus que le nombre de participants : 1.",
    ] {
        assert!(
            page.contains(said) || page.contains(&said.replace("&#39;", "'")),
            "{said}: {page}"
        );
    }
    assert!(tag(&page, "code_postal").contains("aria-invalid=\"true\""));
    assert!(page.contains("href=\"#themes\""), "{page}");
    assert_eq!(value_of(&page, "commune"), "Saint-Flour");
    assert_eq!(value_of(&page, "code_postal"), "1510");
    assert!(is_checked(&page, "type-accompagnement-individuel"));
    assert!(paul.get(BASE).text().contains("pas encore de compte-rendu"));

    let r = paul.post(BASE, &help_fields(&csrf));
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        r.header("Location"),
        Some("/admin/comptes-rendus?fait=creation")
    );
    let list = paul.get(&format!("{BASE}?fait=creation")).text();
    assert!(list.contains("Le compte-rendu est enregistré."), "{list}");
    assert!(
        list.contains("12 mars 2026 · Accompagnement individuel"),
        "{list}"
    );
    assert!(list.contains("Durée : 45 min. Participants : 1."), "{list}");
    assert!(list.contains("href=\"/admin/comptes-rendus/1\""), "{list}");

    // The edit form shows what was saved.
    let page = paul.get(&format!("{BASE}/1")).text();
    assert!(page.contains("Compte-rendu numéro 1"), "{page}");
    assert!(is_checked(&page, "lieu-domicile"));
    assert!(is_checked(&page, "duree-45"));
    assert!(is_checked(&page, "domaines-argent-impots"));
    assert!(is_checked(&page, "autonomie-partiellement-autonome"));
    assert_eq!(value_of(&page, "orientation"), "@mairie; guichet 2");
    assert!(
        page.contains("=1+2; &quot;vu&quot; ensemble\nÀ revoir</textarea>"),
        "{page}"
    );

    let mut changed = help_fields(&csrf);
    for (k, v) in &mut changed {
        match *k {
            "duree" => *v = "autre",
            "duree_autre" => *v = "50",
            "participants" => *v = "2",
            _ => {}
        }
    }
    let r = paul.post(&format!("{BASE}/1"), &changed);
    assert_eq!(r.status, 303, "{}", r.text());
    let list = paul.get(&format!("{BASE}?fait=modification")).text();
    assert!(list.contains("Le compte-rendu est modifié."), "{list}");
    assert!(list.contains("Durée : 50 min. Participants : 2."), "{list}");
    let page = paul.get(&format!("{BASE}/1")).text();
    assert!(is_checked(&page, "duree-autre"));
    assert_eq!(value_of(&page, "duree_autre"), "50");

    let r = paul.post(&format!("{BASE}/1/supprimer"), &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(paul
        .get(&format!("{BASE}?fait=suppression"))
        .text()
        .contains("Le compte-rendu est supprimé."));
    assert_eq!(paul.get(&format!("{BASE}/1")).status, 404);
    // Without the form's token, nothing is filed.
    let mut forged = help_fields("");
    forged.remove(0);
    assert_eq!(paul.post(BASE, &forged).status, 403);
    assert!(paul.get(BASE).text().contains("pas encore de compte-rendu"));
}

#[test]
fn another_conseiller_finds_nothing_and_the_admin_sees_everything() {
    let kit = kit_with_staff();
    let (mut paul, paul_csrf) = signed_in(&kit, PAUL, "paul");
    let r = paul.post(BASE, &help_fields(&paul_csrf));
    assert_eq!(r.status, 303, "{}", r.text());

    let (mut anne, anne_csrf) = signed_in(&kit, ANNE, "anne");
    let missing = anne.get(&format!("{BASE}/999"));
    assert_eq!(missing.status, 404);
    let theirs = anne.get(&format!("{BASE}/1"));
    assert_eq!(theirs.status, 404);
    // Someone else's report and no report look the same.
    assert_eq!(theirs.text(), missing.text());
    let r = anne.post(&format!("{BASE}/1"), &workshop_fields(&anne_csrf));
    assert_eq!(r.status, 404, "{}", r.text());
    let r = anne.post(&format!("{BASE}/1/supprimer"), &[("csrf", &anne_csrf)]);
    assert_eq!(r.status, 404, "{}", r.text());
    let list = anne.get(BASE).text();
    assert!(list.contains("pas encore de compte-rendu"), "{list}");
    assert!(!list.contains("/admin/comptes-rendus/1\""), "{list}");
    let csv = anne.get(&format!("{BASE}/export.csv"));
    assert_eq!(csv.status, 200);
    assert_eq!(python_csv(&csv.body).len(), 1, "the header only");
    assert_eq!(anne.get(&format!("{BASE}/export.json")).text(), "[]\n");

    // Anne's own report is hers; paul's is still his, unchanged.
    let r = anne.post(BASE, &workshop_fields(&anne_csrf));
    assert_eq!(r.status, 303, "{}", r.text());
    let json: serde_json::Value =
        serde_json::from_slice(&anne.get(&format!("{BASE}/export.json")).body).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["kit"]["compte"], "anne");
    let json: serde_json::Value =
        serde_json::from_slice(&paul.get(&format!("{BASE}/export.json")).body).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["kit"]["compte"], "paul");
    assert_eq!(json[0]["accompagnements"], 1);

    // The admin sees both, says who wrote each, and may correct them.
    let (mut claire, claire_csrf) = signed_in(&kit, CLAIRE, "claire");
    let list = claire.get(BASE).text();
    assert!(list.contains("2 comptes-rendus"), "{list}");
    assert!(list.contains("Écrit par paul."), "{list}");
    assert!(list.contains("Écrit par anne."), "{list}");
    assert_eq!(claire.get(&format!("{BASE}/1")).status, 200);
    let json: serde_json::Value =
        serde_json::from_slice(&claire.get(&format!("{BASE}/export.json")).body).unwrap();
    let owners: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kit"]["compte"].as_str().unwrap())
        .collect();
    // Oldest activity first: anne's workshop (February), then paul's help (March).
    assert_eq!(owners, ["anne", "paul"]);
    let r = claire.post(&format!("{BASE}/2/supprimer"), &[("csrf", &claire_csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(anne.get(&format!("{BASE}/2")).status, 404);
}

#[test]
fn the_end_of_a_workshop_session_prefills_a_new_report() {
    let kit = kit_with_staff();
    let (mut paul, csrf) = signed_in(&kit, PAUL, "paul");

    // Without parameters: today, an individual help, at the usual place.
    let page = paul.get(&format!("{BASE}/nouveau")).text();
    assert!(is_checked(&page, "type-accompagnement-individuel"));
    assert!(is_checked(&page, "lieu-lieu-habituel"));
    assert_eq!(value_of(&page, "participants"), "1");
    let today = value_of(&page, "date");
    assert!(today.len() == 10 && today.starts_with("20"), "{today}");
    assert!(!page.contains("name=\"seance\""), "{page}");

    let link = format!(
        "{BASE}/nouveau?type=atelier-collectif&date=2026-03-12&duree=90\
         &titre=Le+courriel+pas+%C3%A0+pas&niveau=moyen&themes=email,securite,cuisine\
         &participants=7&lieu=lieu-habituel&seance=atelier-42"
    );
    let page = paul.get(&link).text();
    assert!(is_checked(&page, "type-atelier-collectif"));
    assert!(!is_checked(&page, "type-accompagnement-individuel"));
    assert_eq!(value_of(&page, "date"), "2026-03-12");
    assert!(is_checked(&page, "duree-90"));
    assert_eq!(value_of(&page, "titre"), "Le courriel pas à pas");
    assert!(is_checked(&page, "niveau-intermediaire"));
    assert!(is_checked(&page, "themes-email"));
    assert!(is_checked(&page, "themes-securite"));
    assert!(!is_checked(&page, "themes-sante"));
    assert_eq!(value_of(&page, "participants"), "7");
    assert!(is_checked(&page, "lieu-lieu-habituel"));
    assert!(
        page.contains(r#"<input type="hidden" name="seance" value="atelier-42">"#),
        "{page}"
    );
    // A duration that is not a button goes under "other".
    let page = paul.get(&format!("{BASE}/nouveau?duree=75")).text();
    assert!(is_checked(&page, "duree-autre"));
    assert_eq!(value_of(&page, "duree_autre"), "75");

    // The conseiller adds the equipment and saves: the report keeps the session.
    let r = paul.post(
        BASE,
        &[
            ("csrf", &csrf),
            ("seance", "atelier-42"),
            ("type", "atelier-collectif"),
            ("date", "2026-03-12"),
            ("duree", "90"),
            ("lieu", "lieu-habituel"),
            ("themes", "email"),
            ("themes", "securite"),
            ("titre", "Le courriel pas à pas"),
            ("niveau", "intermediaire"),
            ("materiel", "telephone"),
            ("participants", "7"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let json: serde_json::Value =
        serde_json::from_slice(&paul.get(&format!("{BASE}/export.json")).body).unwrap();
    assert_eq!(json[0]["kit"]["seance_atelier"], "atelier-42");
    assert_eq!(json[0]["type"], "collectif");
    assert_eq!(json[0]["titre_atelier"], "Le courriel pas à pas");
    assert_eq!(json[0]["niveau_atelier"], "intermediaire");
    assert_eq!(
        json[0]["thematiques"],
        serde_json::json!(["email", "securite_numerique"])
    );
}

#[test]
fn the_csv_reads_back_cell_for_cell_and_cannot_become_a_formula() {
    let kit = kit_with_staff();
    let (mut paul, csrf) = signed_in(&kit, PAUL, "paul");
    for fields in [help_fields(&csrf), workshop_fields(&csrf)] {
        let r = paul.post(BASE, &fields);
        assert_eq!(r.status, 303, "{}", r.text());
    }
    let r = paul.get(&format!("{BASE}/export.csv"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/csv; charset=utf-8"));
    let disposition = r.header("Content-Disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"comptes-rendus-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    assert!(r.body.starts_with(b"\xEF\xBB\xBF"));
    assert!(r.body.ends_with(b"\r\n"));

    let rows = python_csv(&r.body);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0].len(), 34);
    assert_eq!(
        rows[0][..4],
        ["Numéro", "Type d'activité", "Date", "Durée (minutes)"]
    );
    assert_eq!(rows[0][14], "Âge : Moins de 12 ans");
    assert_eq!(rows[0][22], "Situation : Scolarisé");
    let cells = |row: &[String]| row[..32].to_vec();
    // Oldest first: the workshop of February, then the help of March.
    assert_eq!(
        cells(&rows[1]),
        [
            "2",
            "Atelier collectif",
            "2026-02-03",
            "100",
            "Lieu habituel",
            "Médiathèque \"Les Tilleuls\"",
            "",
            "",
            "E-mail, Sécurité",
            "",
            "'-Protéger ses comptes",
            "Débutant",
            "Ordinateur, Tablette",
            "6",
            "0",
            "0",
            "0",
            "2",
            "0",
            "0",
            "0",
            "4",
            "0",
            "0",
            "0",
            "0",
            "0",
            "",
            "",
            "",
            "paul",
            "",
        ]
    );
    assert_eq!(
        cells(&rows[2]),
        [
            "1",
            "Accompagnement individuel",
            "2026-03-12",
            "45",
            "Domicile de la personne",
            "",
            "Saint-Flour",
            "15100",
            "Démarches en ligne",
            "Argent, impôts",
            "",
            "",
            "Téléphone",
            "1",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            "0",
            "Partiellement autonome",
            "'@mairie; guichet 2",
            "'=1+2; \"vu\" ensemble\nÀ revoir",
            "paul",
            "",
        ]
    );
    for row in &rows[1..] {
        assert!(is_timestamp(&row[32]) && is_timestamp(&row[33]), "{row:?}");
    }

    // From a date on: only the help of March.
    let since = paul.get(&format!("{BASE}/export.csv?depuis=2026-03-01"));
    let rows = python_csv(&since.body);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "1");
    let bad = paul.get(&format!("{BASE}/export.csv?depuis=hier"));
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("n&#39;est pas bonne") || bad.text().contains("n'est pas bonne"));
}

/// Runs `mednum-kit report export ARGS…` on `data_dir`.
fn cli_export(data_dir: &Path, args: &[&str]) -> Vec<u8> {
    let mut all = vec!["report", "export"];
    all.extend_from_slice(args);
    let out = cli(data_dir, &all);
    assert!(out.status.success(), "{}", stderr(&out));
    out.stdout
}

#[test]
fn the_command_line_export_is_the_admins_download_byte_for_byte() {
    let kit = kit_with_staff();
    // Nothing filed yet: an empty export, and no database made for it.
    assert_eq!(cli_export(&kit.data_dir, &["--format", "json"]), b"[]\n");
    assert!(!kit.data_dir.join("reports.sqlite").exists());

    let (mut paul, paul_csrf) = signed_in(&kit, PAUL, "paul");
    let (mut anne, anne_csrf) = signed_in(&kit, ANNE, "anne");
    assert_eq!(paul.post(BASE, &help_fields(&paul_csrf)).status, 303);
    assert_eq!(anne.post(BASE, &workshop_fields(&anne_csrf)).status, 303);
    let (mut claire, _) = signed_in(&kit, CLAIRE, "claire");
    for (format, query) in [
        ("csv", ""),
        ("json", ""),
        ("csv", "?depuis=2026-03-01"),
        ("json", "?depuis=2026-03-01"),
    ] {
        let web = claire.get(&format!("{BASE}/export.{format}{query}"));
        assert_eq!(web.status, 200);
        let mut args = vec!["--format", format];
        if !query.is_empty() {
            args.extend(["--since", "2026-03-01"]);
        }
        assert_eq!(
            String::from_utf8_lossy(&cli_export(&kit.data_dir, &args)),
            web.text(),
            "{format}{query}"
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&cli_export(&kit.data_dir, &["--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);

    // Into a file, readable by its owner only.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.csv");
    let out = cli(
        &kit.data_dir,
        &[
            "report",
            "export",
            "--format",
            "csv",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("2 comptes-rendus écrits"),
        "{}",
        stderr(&out)
    );
    let web = claire.get(&format!("{BASE}/export.csv"));
    assert_eq!(std::fs::read(&file).unwrap(), web.body);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // A date that cannot be read is refused in French.
    let out = cli(
        &kit.data_dir,
        &[
            "report",
            "export",
            "--format",
            "csv",
            "--since",
            "31/02/2026",
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("écrivez-la comme ceci : 2026-01-31"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_reports_database_is_private_to_the_kit() {
    let kit = kit_with_staff();
    let (mut paul, csrf) = signed_in(&kit, PAUL, "paul");
    assert_eq!(paul.post(BASE, &help_fields(&csrf)).status, 303);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(kit.data_dir.join("reports.sqlite"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A report page is never kept by the browser.
    let r = paul.get(&format!("{BASE}/1"));
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    assert!(token_in(&r.text()).is_some());
}
