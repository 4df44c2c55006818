//! Reports as files to take away: CSV for a spreadsheet (French headers and labels, `;`
//! between cells, UTF-8 with a BOM and CRLF line ends, as French spreadsheets expect) and
//! JSON for programs (the names and values of La Coop de la médiation numérique's API v1,
//! the kit's own data under `kit`). The same bytes come from the admin pages and from
//! `mednum-kit report export`.
//!
//! Only what a report holds goes out: no address, device or nickname (reports have none).

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::date::utc_timestamp;
use super::{
    AgeBand, Autonomy, Domain, Equipment, Field, Kind, Level, PlaceKind, Report, Status, Theme,
};

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

// JSON: La Coop de la médiation numérique's names and values (its API v1, `GET
// /api/v1/activites`, attributes of an `activite`), so that a tool reading the Coop reads the
// kit too. Each mapping below is a `match` without a wildcard: a new kit code does not
// compile until someone decides what the Coop calls it.

/// The Coop's `type`. Since its migration `remove_demarche_activite_type` (April 2025) the
/// Coop stores only `individuel` and `collectif`: a former `demarche` became an `individuel`
/// activity with the thematique `aide_aux_demarches_administratives` and the procedure's
/// domain (its API still lists `demarche_administrative`, and never sends it). That is the
/// Coop's current split, so an aide ponctuelle is `individuel`, whatever its themes: its
/// online procedures are already in `thematiques`, and `kit.type` keeps the kit's own kind.
fn coop_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Workshop => "collectif",
        Kind::Individual => "individuel",
        Kind::Quick => "individuel",
    }
}

/// The Coop's `type_lieu`: the kit's usual place is the conseiller's `lieu_activite`.
fn coop_place(place: PlaceKind) -> &'static str {
    match place {
        PlaceKind::Usual => "lieu_activite",
        PlaceKind::Home => "domicile",
        PlaceKind::Remote => "a_distance",
        PlaceKind::Other => "autre",
    }
}

/// The Coop's `thematiques` for a theme; `None` for "autre", which the Coop has no code for
/// (it goes out as `kit.autre_thematique`).
fn coop_theme(theme: Theme) -> Option<&'static str> {
    Some(match theme {
        Theme::Diagnostic => "diagnostic_numerique",
        Theme::Device => "prendre_en_main_du_materiel",
        Theme::Browsing => "navigation_sur_internet",
        Theme::Email => "email",
        Theme::Office => "bureautique",
        Theme::Social => "reseaux_sociaux",
        Theme::Health => "sante",
        Theme::Money => "banque_et_achats_en_ligne",
        Theme::Security => "securite_numerique",
        Theme::Parenting => "parentalite",
        Theme::School => "scolarite_et_numerique",
        Theme::Work => "insertion_professionnelle",
        Theme::Procedures => "aide_aux_demarches_administratives",
        Theme::Ai => "intelligence_artificielle",
        Theme::Other => return None,
    })
}

/// A procedure's domain is one of the Coop's `thematiques` too.
fn coop_domain(domain: Domain) -> &'static str {
    match domain {
        Domain::Papers => "papiers_elections_citoyennete",
        Domain::Family => "famille_scolarite",
        Domain::SocialHealth => "social_sante",
        Domain::Work => "travail_formation",
        Domain::Housing => "logement",
        Domain::Transport => "transports_mobilite",
        Domain::Taxes => "argent_impots",
        Domain::Justice => "justice",
        Domain::Foreigners => "etrangers_europe",
        Domain::Leisure => "loisirs_sports_culture",
    }
}

fn coop_level(level: Level) -> &'static str {
    match level {
        Level::Beginner => "debutant",
        Level::Intermediate => "intermediaire",
        Level::Advanced => "avance",
    }
}

fn coop_equipment(equipment: Equipment) -> &'static str {
    match equipment {
        Equipment::Computer => "ordinateur",
        Equipment::Phone => "telephone",
        Equipment::Tablet => "tablette",
        Equipment::Other => "autre",
        Equipment::None => "aucun",
    }
}

fn coop_autonomy(autonomy: Autonomy) -> &'static str {
    match autonomy {
        Autonomy::Accompanied => "entierement_accompagne",
        Autonomy::Partly => "partiellement_autonome",
        Autonomy::Autonomous => "autonome",
    }
}

fn coop_age_band(band: AgeBand) -> &'static str {
    match band {
        AgeBand::Under12 => "moins_de_douze",
        AgeBand::From12 => "douze_dix_huit",
        AgeBand::From18 => "dix_huit_vingt_quatre",
        AgeBand::From25 => "vingt_cinq_trente_neuf",
        AgeBand::From40 => "quarante_cinquante_neuf",
        AgeBand::From60 => "soixante_soixante_neuf",
        AgeBand::From70 => "soixante_dix_plus",
        AgeBand::Unknown => "non_communique",
    }
}

fn coop_status(status: Status) -> &'static str {
    match status {
        Status::School => "scolarise",
        Status::Jobless => "sans_emploi",
        Status::Employed => "en_emploi",
        Status::Retired => "retraite",
        Status::Unknown => "non_communique",
    }
}

/// Counts as a JSON object: code → number, every code once, in the vocabulary's order.
struct Tally(Vec<(&'static str, u32)>);

impl Serialize for Tally {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (code, n) in &self.0 {
            map.serialize_entry(code, n)?;
        }
        map.end()
    }
}

/// The kit's counts under the Coop's codes. The people counted in no band (the kit lets
/// the counts add up to less than the participants) are added to `unknown`: the Coop
/// counts each person once in each breakdown, `non_communique` when not said, so its
/// breakdowns add up to `total`, and so do these.
fn tally<T: Copy + PartialEq>(
    all: &[T],
    counts: &[u32],
    total: u32,
    unknown: T,
    coop: fn(T) -> &'static str,
) -> Tally {
    let untold = total.saturating_sub(counts.iter().sum());
    Tally(
        all.iter()
            .zip(counts)
            .map(|(&item, &n)| (coop(item), if item == unknown { n + untold } else { n }))
            .collect(),
    )
}

/// The Coop's `beneficiaires`: counts only, never a person.
#[derive(Serialize)]
struct Beneficiaires {
    total: u32,
    /// The kit does not ask for genders: everyone is `non_communique`.
    genres: Tally,
    tranches_age: Tally,
    statuts: Tally,
}

/// What the Coop has no attribute for: the kit's own data, apart so that the Coop's part
/// stays the Coop's.
#[derive(Serialize)]
struct KitPart<'a> {
    id: i64,
    /// The kit's own kind (`aide-ponctuelle` and `accompagnement-individuel` are both the
    /// Coop's `individuel`).
    #[serde(rename = "type")]
    kind: &'static str,
    nom_du_lieu: Option<&'a str>,
    /// The theme "autre" was ticked (the Coop has no such thematique).
    autre_thematique: bool,
    /// Where the person was sent, as the conseiller wrote it.
    orientation: Option<&'a str>,
    notes: Option<&'a str>,
    compte: &'a str,
    seance_atelier: Option<&'a str>,
    creation: String,
    modification: String,
}

/// One report in the JSON export: an `activite`'s attributes as the Coop's API v1 names
/// them, then `kit`. Field order and names are part of the format.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    date: String,
    duree: u32,
    accompagnements: u32,
    type_lieu: &'static str,
    /// With `lieu_commune`: for any place but `lieu_activite` (as the Coop says them).
    lieu_code_postal: Option<&'a str>,
    lieu_commune: Option<&'a str>,
    /// The kit does not know INSEE codes: always `null`.
    lieu_code_insee: Option<&'a str>,
    materiel: Vec<&'static str>,
    thematiques: Vec<&'static str>,
    titre_atelier: Option<&'a str>,
    niveau_atelier: Option<&'static str>,
    autonomie: Option<&'static str>,
    /// `null` for a workshop, as in the Coop.
    oriente_vers_structure: Option<bool>,
    /// The Coop's closed list has no room for the kit's free text: `autre` when the person
    /// was sent somewhere (the text is `kit.orientation`), `null` otherwise.
    structure_de_redirection: Option<&'static str>,
    precisions_demarche: Option<&'a str>,
    tags: [&'a str; 0],
    beneficiaires: Beneficiaires,
    kit: KitPart<'a>,
}

/// An empty text is `null`, as the Coop says "not given".
fn given(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.is_empty())
}

impl<'a> JsonReport<'a> {
    fn of(report: &'a Report) -> JsonReport<'a> {
        let f = &report.fields;
        let elsewhere = match f.place {
            PlaceKind::Usual => false,
            PlaceKind::Home | PlaceKind::Remote | PlaceKind::Other => true,
        };
        let redirected = match f.kind {
            Kind::Workshop => None,
            Kind::Individual | Kind::Quick => Some(!f.redirection.is_empty()),
        };
        let total = f.participants;
        JsonReport {
            kind: coop_type(f.kind),
            date: f.date.to_string(),
            duree: f.duration,
            accompagnements: total,
            type_lieu: coop_place(f.place),
            lieu_code_postal: given(&f.postal_code).filter(|_| elsewhere),
            lieu_commune: given(&f.commune).filter(|_| elsewhere),
            lieu_code_insee: None,
            materiel: f.equipment.iter().map(|&e| coop_equipment(e)).collect(),
            thematiques: f
                .themes
                .iter()
                .filter_map(|&t| coop_theme(t))
                .chain(f.domains.iter().map(|&d| coop_domain(d)))
                .collect(),
            titre_atelier: given(&f.title),
            niveau_atelier: f.level.map(coop_level),
            autonomie: f.autonomy.map(coop_autonomy),
            oriente_vers_structure: redirected,
            structure_de_redirection: redirected.filter(|&r| r).map(|_| "autre"),
            precisions_demarche: None,
            tags: [],
            beneficiaires: Beneficiaires {
                total,
                genres: Tally(vec![
                    ("masculin", 0),
                    ("feminin", 0),
                    ("non_communique", total),
                ]),
                tranches_age: tally(
                    AgeBand::ALL,
                    &f.ages,
                    total,
                    AgeBand::Unknown,
                    coop_age_band,
                ),
                statuts: tally(
                    Status::ALL,
                    &f.statuses,
                    total,
                    Status::Unknown,
                    coop_status,
                ),
            },
            kit: KitPart {
                id: report.id,
                kind: f.kind.code(),
                nom_du_lieu: given(&f.structure),
                autre_thematique: f.themes.contains(&Theme::Other),
                orientation: given(&f.redirection),
                notes: given(&f.notes),
                compte: &report.owner,
                seance_atelier: report.workshop_session.as_deref(),
                creation: utc_timestamp(report.created_at),
                modification: utc_timestamp(report.updated_at),
            },
        }
    }
}

/// The reports as a JSON array of the Coop's `activite` attributes (indented, ending with
/// a line break).
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
    use super::super::{Fields, Reports};
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

    /// The sample as the Coop's API v1 says an `activite`, then the kit's own part.
    const SAMPLE_JSON: &str = r#"[
  {
    "type": "collectif",
    "date": "2026-03-12",
    "duree": 90,
    "accompagnements": 6,
    "type_lieu": "lieu_activite",
    "lieu_code_postal": null,
    "lieu_commune": null,
    "lieu_code_insee": null,
    "materiel": [
      "telephone"
    ],
    "thematiques": [
      "email",
      "securite_numerique"
    ],
    "titre_atelier": "=IMPORTXML(\"http://x\")",
    "niveau_atelier": "debutant",
    "autonomie": null,
    "oriente_vers_structure": null,
    "structure_de_redirection": null,
    "precisions_demarche": null,
    "tags": [],
    "beneficiaires": {
      "total": 6,
      "genres": {
        "masculin": 0,
        "feminin": 0,
        "non_communique": 6
      },
      "tranches_age": {
        "moins_de_douze": 0,
        "douze_dix_huit": 0,
        "dix_huit_vingt_quatre": 1,
        "vingt_cinq_trente_neuf": 0,
        "quarante_cinquante_neuf": 0,
        "soixante_soixante_neuf": 0,
        "soixante_dix_plus": 0,
        "non_communique": 5
      },
      "statuts": {
        "scolarise": 0,
        "sans_emploi": 0,
        "en_emploi": 0,
        "retraite": 0,
        "non_communique": 6
      }
    },
    "kit": {
      "id": 1,
      "type": "atelier-collectif",
      "nom_du_lieu": "Médiathèque \"Les Tilleuls\"; salle 2",
      "autre_thematique": false,
      "orientation": null,
      "notes": "Bien.\nÀ refaire",
      "compte": "paul",
      "seance_atelier": "s-1",
      "creation": "2026-03-12T09:05:00Z",
      "modification": "2026-03-12T09:06:00Z"
    }
  },
  {
    "type": "individuel",
    "date": "2026-03-13",
    "duree": 45,
    "accompagnements": 1,
    "type_lieu": "domicile",
    "lieu_code_postal": "15100",
    "lieu_commune": "Saint-Flour",
    "lieu_code_insee": null,
    "materiel": [
      "telephone"
    ],
    "thematiques": [
      "aide_aux_demarches_administratives",
      "argent_impots"
    ],
    "titre_atelier": null,
    "niveau_atelier": null,
    "autonomie": "partiellement_autonome",
    "oriente_vers_structure": true,
    "structure_de_redirection": "autre",
    "precisions_demarche": null,
    "tags": [],
    "beneficiaires": {
      "total": 1,
      "genres": {
        "masculin": 0,
        "feminin": 0,
        "non_communique": 1
      },
      "tranches_age": {
        "moins_de_douze": 0,
        "douze_dix_huit": 0,
        "dix_huit_vingt_quatre": 0,
        "vingt_cinq_trente_neuf": 0,
        "quarante_cinquante_neuf": 0,
        "soixante_soixante_neuf": 1,
        "soixante_dix_plus": 0,
        "non_communique": 0
      },
      "statuts": {
        "scolarise": 0,
        "sans_emploi": 0,
        "en_emploi": 0,
        "retraite": 1,
        "non_communique": 0
      }
    },
    "kit": {
      "id": 2,
      "type": "accompagnement-individuel",
      "nom_du_lieu": null,
      "autre_thematique": false,
      "orientation": "CCAS",
      "notes": "Déclaration en ligne.",
      "compte": "paul",
      "seance_atelier": null,
      "creation": "2026-03-12T09:05:00Z",
      "modification": "2026-03-12T09:06:00Z"
    }
  }
]
"#;

    #[test]
    fn the_json_of_two_reports_is_the_coops_attributes_exactly() {
        assert_eq!(String::from_utf8(json(&sample())).unwrap(), SAMPLE_JSON);
    }

    #[test]
    fn a_quick_help_is_individuel_and_what_the_coop_cannot_say_goes_under_kit() {
        let dir = tempfile::tempdir().unwrap();
        let mut reports = Reports::open(dir.path()).unwrap();
        let quick = Fields {
            kind: Kind::Quick,
            place: PlaceKind::Remote,
            commune: String::new(),
            postal_code: String::new(),
            themes: vec![Theme::Procedures, Theme::Other],
            domains: vec![Domain::Papers, Domain::Leisure],
            equipment: vec![Equipment::None],
            participants: 3,
            ages: [0, 0, 0, 0, 1, 0, 0, 1],
            statuses: [0, 2, 0, 0, 0],
            autonomy: None,
            redirection: String::new(),
            notes: String::new(),
            ..help("2026-03-14")
        };
        let report = reports.create(PAUL, &quick, None).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json(&[report])).unwrap();
        let r = &value[0];
        assert_eq!(r["type"], "individuel");
        assert_eq!(r["type_lieu"], "a_distance");
        assert_eq!(r["lieu_code_postal"], serde_json::Value::Null);
        assert_eq!(r["lieu_commune"], serde_json::Value::Null);
        assert_eq!(r["materiel"], serde_json::json!(["aucun"]));
        assert_eq!(
            r["thematiques"],
            serde_json::json!([
                "aide_aux_demarches_administratives",
                "papiers_elections_citoyennete",
                "loisirs_sports_culture"
            ])
        );
        assert_eq!(r["autonomie"], serde_json::Value::Null);
        assert_eq!(r["oriente_vers_structure"], false);
        assert_eq!(r["structure_de_redirection"], serde_json::Value::Null);
        // The untold count goes to `non_communique`: each breakdown adds up to `total`.
        let b = &r["beneficiaires"];
        assert_eq!(b["total"], 3);
        assert_eq!(b["tranches_age"]["quarante_cinquante_neuf"], 1);
        assert_eq!(b["tranches_age"]["non_communique"], 2);
        assert_eq!(b["statuts"]["sans_emploi"], 2);
        assert_eq!(b["statuts"]["non_communique"], 1);
        for breakdown in ["genres", "tranches_age", "statuts"] {
            let sum: u64 = b[breakdown]
                .as_object()
                .unwrap()
                .values()
                .map(|n| n.as_u64().unwrap())
                .sum();
            assert_eq!(sum, 3, "{breakdown}");
        }
        assert_eq!(r["kit"]["type"], "aide-ponctuelle");
        assert_eq!(r["kit"]["autre_thematique"], true);
        assert_eq!(r["kit"]["orientation"], serde_json::Value::Null);
        assert_eq!(r["kit"]["notes"], serde_json::Value::Null);
    }

    /// The Coop's `thematiques` (API v1, DESIGN.md).
    const COOP_THEMATIQUES: &[&str] = &[
        "diagnostic_numerique",
        "prendre_en_main_du_materiel",
        "maintenance_de_materiel",
        "gere_ses_contenus_numeriques",
        "navigation_sur_internet",
        "email",
        "bureautique",
        "reseaux_sociaux",
        "sante",
        "banque_et_achats_en_ligne",
        "entrepreneuriat",
        "insertion_professionnelle",
        "securite_numerique",
        "parentalite",
        "scolarite_et_numerique",
        "creer_avec_le_numerique",
        "culture_numerique",
        "intelligence_artificielle",
        "aide_aux_demarches_administratives",
        "papiers_elections_citoyennete",
        "famille_scolarite",
        "social_sante",
        "travail_formation",
        "logement",
        "transports_mobilite",
        "argent_impots",
        "justice",
        "etrangers_europe",
        "loisirs_sports_culture",
        "associations",
    ];

    /// Each kit code becomes a value of the Coop's list, and two kit codes never the same.
    fn check_mapping<T: Copy + std::fmt::Debug>(
        all: &[T],
        coop: impl Fn(T) -> &'static str,
        allowed: &[&str],
    ) {
        let mapped: Vec<&str> = all.iter().map(|&item| coop(item)).collect();
        for (item, code) in all.iter().zip(&mapped) {
            assert!(allowed.contains(code), "{item:?} → {code}");
        }
        for (i, code) in mapped.iter().enumerate() {
            assert!(!mapped[i + 1..].contains(code), "{code} twice");
        }
    }

    #[test]
    fn every_kit_code_has_its_own_value_in_the_coops_lists() {
        let themes: Vec<Theme> = Theme::ALL
            .iter()
            .copied()
            .filter(|&t| t != Theme::Other)
            .collect();
        assert_eq!(coop_theme(Theme::Other), None);
        let mut thematiques: Vec<&str> = themes.iter().map(|&t| coop_theme(t).unwrap()).collect();
        thematiques.extend(Domain::ALL.iter().map(|&d| coop_domain(d)));
        check_mapping(&thematiques, |t| t, COOP_THEMATIQUES);
        check_mapping(
            &[Kind::Workshop, Kind::Individual],
            coop_type,
            &["individuel", "demarche_administrative", "collectif"],
        );
        assert_eq!(coop_type(Kind::Quick), "individuel");
        check_mapping(
            PlaceKind::ALL,
            coop_place,
            &["lieu_activite", "domicile", "a_distance", "autre"],
        );
        check_mapping(
            Equipment::ALL,
            coop_equipment,
            &["ordinateur", "telephone", "tablette", "autre", "aucun"],
        );
        check_mapping(
            Level::ALL,
            coop_level,
            &["debutant", "intermediaire", "avance"],
        );
        check_mapping(
            Autonomy::ALL,
            coop_autonomy,
            &[
                "entierement_accompagne",
                "partiellement_autonome",
                "autonome",
            ],
        );
        check_mapping(
            AgeBand::ALL,
            coop_age_band,
            &[
                "moins_de_douze",
                "douze_dix_huit",
                "dix_huit_vingt_quatre",
                "vingt_cinq_trente_neuf",
                "quarante_cinquante_neuf",
                "soixante_soixante_neuf",
                "soixante_dix_plus",
                "non_communique",
            ],
        );
        check_mapping(
            Status::ALL,
            coop_status,
            &[
                "scolarise",
                "sans_emploi",
                "en_emploi",
                "retraite",
                "non_communique",
            ],
        );
    }
}
