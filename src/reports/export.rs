//! Reports as files to take away: CSV for a spreadsheet (French headers and labels, `;`
//! between cells, UTF-8 with a BOM and CRLF line ends, as French spreadsheets expect) and
//! JSON for programs (stable English keys, codes as values). The same bytes come from the
//! admin pages and from `mednum-kit report export`.
//!
//! Only what a report holds goes out: no address, device or nickname (reports have none).

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::date::utc_timestamp;
use super::{AgeBand, Field, Report, Status};

/// The byte order mark: tells a spreadsheet the file is UTF-8 (without it, Excel reads
/// "Thèmes" as "ThÃ¨mes").
const BOM: &str = "\u{feff}";

/// One CSV cell: a text a spreadsheet could take for a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a `'` in front, so it stays text; then a cell
/// with `;`, `"` or a line break is quoted (RFC 4180: `"` doubled inside).
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let guarded: Cow<'_, str> = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if guarded.contains([';', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", guarded.replace('"', "\"\"")))
    } else {
        guarded
    }
}

fn labels<T: Copy>(items: &[T], label: fn(T) -> &'static str) -> String {
    items
        .iter()
        .map(|&i| label(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The CSV's header row.
fn header() -> Vec<String> {
    let mut cells: Vec<String> = ["Numéro"].map(String::from).to_vec();
    cells.extend(
        [
            Field::Kind,
            Field::Date,
            Field::Duration,
            Field::Place,
            Field::Structure,
            Field::Commune,
            Field::PostalCode,
            Field::Themes,
            Field::Domains,
            Field::Title,
            Field::Level,
            Field::Equipment,
            Field::Participants,
        ]
        .map(|f| match f {
            Field::Duration => "Durée (minutes)".to_owned(),
            _ => f.label().to_owned(),
        }),
    );
    cells.extend(AgeBand::ALL.iter().map(|b| format!("Âge : {}", b.label())));
    cells.extend(
        Status::ALL
            .iter()
            .map(|s| format!("Situation : {}", s.label())),
    );
    cells.extend(
        [
            Field::Autonomy.label(),
            Field::Redirection.label(),
            Field::Notes.label(),
            "Compte",
            Field::Session.label(),
            "Créé le (UTC)",
            "Modifié le (UTC)",
        ]
        .map(String::from),
    );
    cells
}

fn row(report: &Report) -> Vec<String> {
    let f = &report.fields;
    let mut cells = vec![
        report.id.to_string(),
        f.kind.label().to_owned(),
        f.date.to_string(),
        f.duration.to_string(),
        f.place.label().to_owned(),
        f.structure.clone(),
        f.commune.clone(),
        f.postal_code.clone(),
        labels(&f.themes, |t| t.label()),
        labels(&f.domains, |d| d.label()),
        f.title.clone(),
        f.level.map(|l| l.label()).unwrap_or_default().to_owned(),
        labels(&f.equipment, |e| e.label()),
        f.participants.to_string(),
    ];
    cells.extend(f.ages.iter().map(u32::to_string));
    cells.extend(f.statuses.iter().map(u32::to_string));
    cells.extend([
        f.autonomy.map(|a| a.label()).unwrap_or_default().to_owned(),
        f.redirection.clone(),
        f.notes.clone(),
        report.owner.clone(),
        report.workshop_session.clone().unwrap_or_default(),
        utc_timestamp(report.created_at),
        utc_timestamp(report.updated_at),
    ]);
    cells
}

/// The reports as a CSV file: a header row, then one row per report.
pub fn csv(reports: &[Report]) -> Vec<u8> {
    let mut out = String::from(BOM);
    for cells in std::iter::once(header()).chain(reports.iter().map(row)) {
        let line: Vec<Cow<'_, str>> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(";"));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Counts as a JSON object with every code of the vocabulary, in its order.
struct Counts<'a, T: 'static> {
    all: &'static [T],
    counts: &'a [u32],
    code: fn(T) -> &'static str,
}

impl<T: Copy> Serialize for Counts<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.all.len()))?;
        for (&item, n) in self.all.iter().zip(self.counts) {
            map.serialize_entry((self.code)(item), n)?;
        }
        map.end()
    }
}

/// One report in the JSON export. Field order and names are part of the format.
#[derive(Serialize)]
struct JsonReport<'a> {
    id: i64,
    kind: &'static str,
    date: String,
    duration_minutes: u32,
    place_type: &'static str,
    place_name: &'a str,
    commune: &'a str,
    postal_code: &'a str,
    themes: Vec<&'static str>,
    procedure_domains: Vec<&'static str>,
    workshop_title: &'a str,
    workshop_level: Option<&'static str>,
    equipment: Vec<&'static str>,
    participants: u32,
    age_bands: Counts<'a, AgeBand>,
    statuses: Counts<'a, Status>,
    autonomy: Option<&'static str>,
    redirected_to: &'a str,
    notes: &'a str,
    owner: &'a str,
    workshop_session: Option<&'a str>,
    created_at: String,
    updated_at: String,
}

impl<'a> JsonReport<'a> {
    fn of(report: &'a Report) -> JsonReport<'a> {
        let f = &report.fields;
        JsonReport {
            id: report.id,
            kind: f.kind.code(),
            date: f.date.to_string(),
            duration_minutes: f.duration,
            place_type: f.place.code(),
            place_name: &f.structure,
            commune: &f.commune,
            postal_code: &f.postal_code,
            themes: f.themes.iter().map(|t| t.code()).collect(),
            procedure_domains: f.domains.iter().map(|d| d.code()).collect(),
            workshop_title: &f.title,
            workshop_level: f.level.map(|l| l.code()),
            equipment: f.equipment.iter().map(|e| e.code()).collect(),
            participants: f.participants,
            age_bands: Counts {
                all: AgeBand::ALL,
                counts: &f.ages,
                code: AgeBand::code,
            },
            statuses: Counts {
                all: Status::ALL,
                counts: &f.statuses,
                code: Status::code,
            },
            autonomy: f.autonomy.map(|a| a.code()),
            redirected_to: &f.redirection,
            notes: &f.notes,
            owner: &report.owner,
            workshop_session: report.workshop_session.as_deref(),
            created_at: utc_timestamp(report.created_at),
            updated_at: utc_timestamp(report.updated_at),
        }
    }
}

/// The reports as a JSON array (indented, ending with a line break).
pub fn json(reports: &[Report]) -> Vec<u8> {
    let all: Vec<JsonReport<'_>> = reports.iter().map(JsonReport::of).collect();
    // Serializing plain structs, strings and numbers to memory cannot fail.
    let mut out = serde_json::to_vec_pretty(&all).unwrap_or_else(|_| b"[]".to_vec());
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{help, PAUL};
    use super::super::{Fields, Kind, Level, PlaceKind, Reports, Theme};
    use super::*;

    #[test]
    fn cells_that_could_be_formulas_stay_text_and_separators_are_quoted() {
        for (text, expected) in [
            ("plain", "plain"),
            ("", ""),
            ("=1+1", "'=1+1"),
            ("+33 6", "'+33 6"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("a;b", "\"a;b\""),
            ("dit \"oui\"", "\"dit \"\"oui\"\"\""),
            ("deux\nlignes", "\"deux\nlignes\""),
            (
                "=HYPERLINK(\"x\";\"y\")",
                "\"'=HYPERLINK(\"\"x\"\";\"\"y\"\")\"",
            ),
            ("a=b", "a=b"),
            ("l'été", "l'été"),
        ] {
            assert_eq!(csv_cell(text), expected, "{text:?}");
        }
    }

    /// Two reports whose texts hold every character that needs care.
    fn sample() -> Vec<Report> {
        let dir = tempfile::tempdir().unwrap();
        let mut reports = Reports::open(dir.path()).unwrap();
        let workshop = Fields {
            kind: Kind::Workshop,
            place: PlaceKind::Usual,
            structure: "Médiathèque \"Les Tilleuls\"; salle 2".into(),
            commune: String::new(),
            postal_code: String::new(),
            themes: vec![Theme::Email, Theme::Security],
            domains: vec![],
            title: "=IMPORTXML(\"http://x\")".into(),
            level: Some(Level::Beginner),
            participants: 6,
            ages: [0, 0, 1, 0, 0, 0, 0, 0],
            statuses: [0; 5],
            autonomy: None,
            redirection: String::new(),
            notes: "Bien.\nÀ refaire".into(),
            duration: 90,
            ..help("2026-03-12")
        };
        let mut out = vec![
            reports.create(PAUL, &workshop, Some("s-1")).unwrap(),
            reports.create(PAUL, &help("2026-03-13"), None).unwrap(),
        ];
        for r in &mut out {
            r.created_at = 1_773_306_300;
            r.updated_at = 1_773_306_360;
        }
        out
    }

    #[test]
    fn the_csv_of_two_reports_is_exactly_these_bytes() {
        let bytes = csv(&sample());
        let expected = concat!(
            "\u{feff}Numéro;Type d'activité;Date;Durée (minutes);Lieu;Nom du lieu;Commune;",
            "Code postal;Thèmes;Domaine de la démarche;Titre de l'atelier;Niveau de l'atelier;",
            "Matériel utilisé;Nombre de participants;Âge : Moins de 12 ans;Âge : 12 à 17 ans;",
            "Âge : 18 à 24 ans;Âge : 25 à 39 ans;Âge : 40 à 59 ans;Âge : 60 à 69 ans;",
            "Âge : 70 ans et plus;Âge : Âge non communiqué;Situation : Scolarisé;",
            "Situation : Sans emploi;Situation : En emploi;Situation : Retraité;",
            "Situation : Situation non communiquée;Autonomie à la fin;Personne envoyée vers;Notes;",
            "Compte;Séance d'atelier;Créé le (UTC);Modifié le (UTC)\r\n",
            "1;Atelier collectif;2026-03-12;90;Lieu habituel;",
            "\"Médiathèque \"\"Les Tilleuls\"\"; salle 2\";;;E-mail, Sécurité;;",
            "\"'=IMPORTXML(\"\"http://x\"\")\";Débutant;Téléphone;6;0;0;1;0;0;0;0;0;0;0;0;0;0;",
            ";;\"Bien.\nÀ refaire\";paul;s-1;2026-03-12T09:05:00Z;2026-03-12T09:06:00Z\r\n",
            "2;Accompagnement individuel;2026-03-13;45;Domicile de la personne;;Saint-Flour;",
            "15100;Démarches en ligne;Argent, impôts;;;Téléphone;1;0;0;0;0;0;1;0;0;0;0;0;1;0;",
            "Partiellement autonome;CCAS;Déclaration en ligne.;paul;;2026-03-12T09:05:00Z;",
            "2026-03-12T09:06:00Z\r\n",
        );
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), expected);
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        // Every row has the header's number of cells (outside quotes).
        assert_eq!(header().len(), row(&sample()[0]).len());
    }

    #[test]
    fn an_empty_export_is_a_header_or_an_empty_array() {
        let csv = String::from_utf8(csv(&[])).unwrap();
        assert!(csv.starts_with("\u{feff}Numéro;") && csv.ends_with("(UTC)\r\n"));
        assert_eq!(csv.matches("\r\n").count(), 1);
        assert_eq!(json(&[]), b"[]\n");
    }

    #[test]
    fn the_json_has_stable_english_keys_and_codes() {
        let value: serde_json::Value = serde_json::from_slice(&json(&sample())).unwrap();
        let first = &value[0];
        let keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "id",
            "kind",
            "date",
            "duration_minutes",
            "place_type",
            "place_name",
            "commune",
            "postal_code",
            "themes",
            "procedure_domains",
            "workshop_title",
            "workshop_level",
            "equipment",
            "participants",
            "age_bands",
            "statuses",
            "autonomy",
            "redirected_to",
            "notes",
            "owner",
            "workshop_session",
            "created_at",
            "updated_at",
        ];
        expected.sort();
        assert_eq!(keys, expected);
        assert_eq!(first["kind"], "atelier-collectif");
        assert_eq!(first["themes"], serde_json::json!(["email", "securite"]));
        assert_eq!(first["workshop_level"], "debutant");
        assert_eq!(first["age_bands"]["18-24"], 1);
        assert_eq!(first["age_bands"].as_object().unwrap().len(), 8);
        assert_eq!(first["workshop_session"], "s-1");
        assert_eq!(first["created_at"], "2026-03-12T09:05:00Z");
        assert_eq!(value[1]["autonomy"], "partiellement-autonome");
        assert_eq!(
            value[1]["procedure_domains"],
            serde_json::json!(["argent-impots"])
        );
        assert_eq!(value[1]["workshop_session"], serde_json::Value::Null);
        // The keys come out in the format's order.
        let text = String::from_utf8(json(&sample())).unwrap();
        assert!(text.find("\"id\"").unwrap() < text.find("\"kind\"").unwrap());
        assert!(text.find("\"moins-12\"").unwrap() < text.find("\"12-17\"").unwrap());
    }
}
