//! What a report says, and the rules it follows: the vocabularies (stable ASCII codes stored
//! in the database, French labels shown), the fields as typed in the form (`Input`), the
//! fields once checked (`Fields`), and the easy-to-read French messages of what is wrong.
//!
//! The names of the form's fields are also the names of the parameters that prefill a new
//! report (`/admin/comptes-rendus/nouveau?type=…&themes=…`): one list, in `Field::name`.

use std::borrow::Cow;

use super::date::Date;

/// A closed list of choices: each has a code (stored, exported in JSON, never changed once
/// shipped) and a French label (shown, exported in CSV).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every choice, in the order shown.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

vocabulary! {
    /// What kind of activity.
    Kind {
        Workshop = "atelier-collectif", "Atelier collectif";
        Individual = "accompagnement-individuel", "Accompagnement individuel";
        Quick = "aide-ponctuelle", "Aide ponctuelle";
    }
}

vocabulary! {
    /// Where it took place.
    PlaceKind {
        Usual = "lieu-habituel", "Lieu habituel";
        Home = "domicile", "Domicile de la personne";
        Remote = "a-distance", "À distance";
        Other = "autre", "Autre lieu";
    }
}

vocabulary! {
    /// What it was about.
    Theme {
        Diagnostic = "diagnostic", "Diagnostic numérique";
        Device = "prise-en-main", "Prise en main d'un équipement";
        Browsing = "navigation", "Navigation sur internet";
        Email = "email", "E-mail";
        Office = "bureautique", "Bureautique";
        Social = "reseaux-sociaux", "Réseaux sociaux";
        Health = "sante", "Santé";
        Money = "banque-budget", "Banque et budget";
        Security = "securite", "Sécurité";
        Parenting = "parentalite", "Parentalité";
        School = "scolarite", "Scolarité";
        Work = "emploi", "Emploi";
        Procedures = "demarches-en-ligne", "Démarches en ligne";
        Ai = "intelligence-artificielle", "Intelligence artificielle";
        Other = "autre", "Autre thème";
    }
}

vocabulary! {
    /// The domain of an online procedure (with `Theme::Procedures`).
    Domain {
        Papers = "papiers", "Papiers, élections, citoyenneté";
        Family = "famille", "Famille, scolarité";
        SocialHealth = "social-sante", "Social, santé";
        Work = "travail", "Travail, formation";
        Housing = "logement", "Logement";
        Transport = "transports", "Transports, mobilité";
        Taxes = "argent-impots", "Argent, impôts";
        Justice = "justice", "Justice";
        Foreigners = "etrangers", "Étrangers, Europe";
        Leisure = "loisirs", "Loisirs, sports, culture";
    }
}

vocabulary! {
    /// A workshop's level.
    Level {
        Beginner = "debutant", "Débutant";
        Intermediate = "intermediaire", "Intermédiaire";
        Advanced = "avance", "Avancé";
    }
}

vocabulary! {
    /// What the people used.
    Equipment {
        Computer = "ordinateur", "Ordinateur";
        Phone = "telephone", "Téléphone";
        Tablet = "tablette", "Tablette";
        Other = "autre", "Autre matériel";
        None = "aucun", "Aucun matériel";
    }
}

vocabulary! {
    /// An age band, for anonymous counts.
    AgeBand {
        Under12 = "moins-12", "Moins de 12 ans";
        From12 = "12-17", "12 à 17 ans";
        From18 = "18-24", "18 à 24 ans";
        From25 = "25-39", "25 à 39 ans";
        From40 = "40-59", "40 à 59 ans";
        From60 = "60-69", "60 à 69 ans";
        From70 = "70-plus", "70 ans et plus";
        Unknown = "non-communique", "Âge non communiqué";
    }
}

vocabulary! {
    /// A person's situation, for anonymous counts.
    Status {
        School = "scolarise", "Scolarisé";
        Jobless = "sans-emploi", "Sans emploi";
        Employed = "en-emploi", "En emploi";
        Retired = "retraite", "Retraité";
        Unknown = "non-communique", "Situation non communiquée";
    }
}

vocabulary! {
    /// How autonomous the person was at the end of an individual help.
    Autonomy {
        Accompanied = "entierement-accompagne", "Entièrement accompagné";
        Partly = "partiellement-autonome", "Partiellement autonome";
        Autonomous = "autonome", "Autonome";
    }
}

/// The durations offered as buttons, in minutes; any other from 1 to `MAX_DURATION`.
pub const DURATIONS: [u32; 6] = [15, 30, 45, 60, 90, 120];
pub const MAX_DURATION: u32 = 1440;
/// Most people in one activity (and in one age band or situation).
pub const MAX_PARTICIPANTS: u32 = 1000;
/// Longest texts, in characters.
pub const MAX_TITLE: usize = 120;
pub const MAX_STRUCTURE: usize = 120;
pub const MAX_COMMUNE: usize = 80;
pub const MAX_REDIRECTION: usize = 120;
pub const MAX_NOTES: usize = 2000;
/// A workshop session's id: opaque, from the workshop sessions' code.
pub const MAX_SESSION: usize = 64;
/// The years a date may have (a typo such as 2206 is caught).
pub const YEARS: std::ops::RangeInclusive<u16> = 2000..=2099;

pub const AGE_BANDS: usize = AgeBand::ALL.len();
pub const STATUSES: usize = Status::ALL.len();

/// One field of a report: its name in the form (and in prefill URLs) and its French label
/// (in the form, in messages, in the CSV's header). Declared in the form's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Kind,
    Date,
    Duration,
    Place,
    Structure,
    Commune,
    PostalCode,
    Themes,
    Domains,
    Title,
    Level,
    Equipment,
    Participants,
    Age(AgeBand),
    Status(Status),
    Autonomy,
    Redirection,
    Notes,
    Session,
}

impl Field {
    /// The form field's name (and element id).
    pub fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Field::Kind => "type",
            Field::Date => "date",
            Field::Duration => "duree",
            Field::Place => "lieu",
            Field::Structure => "structure",
            Field::Commune => "commune",
            Field::PostalCode => "code_postal",
            Field::Themes => "themes",
            Field::Domains => "domaines",
            Field::Title => "titre",
            Field::Level => "niveau",
            Field::Equipment => "materiel",
            Field::Participants => "participants",
            Field::Age(band) => return Cow::Owned(format!("age_{}", band.code())),
            Field::Status(status) => return Cow::Owned(format!("situation_{}", status.code())),
            Field::Autonomy => "autonomie",
            Field::Redirection => "orientation",
            Field::Notes => "notes",
            Field::Session => "seance",
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Kind => "Type d'activité",
            Field::Date => "Date",
            Field::Duration => "Durée",
            Field::Place => "Lieu",
            Field::Structure => "Nom du lieu",
            Field::Commune => "Commune",
            Field::PostalCode => "Code postal",
            Field::Themes => "Thèmes",
            Field::Domains => "Domaine de la démarche",
            Field::Title => "Titre de l'atelier",
            Field::Level => "Niveau de l'atelier",
            Field::Equipment => "Matériel utilisé",
            Field::Participants => "Nombre de participants",
            Field::Age(band) => band.label(),
            Field::Status(status) => status.label(),
            Field::Autonomy => "Autonomie à la fin",
            Field::Redirection => "Personne envoyée vers",
            Field::Notes => "Notes",
            Field::Session => "Séance d'atelier",
        }
    }
}

/// Something to correct, said for the person who filled the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: String,
}

fn problem(field: Field, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// A report's content, checked: what `Reports::create` and `update` store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub kind: Kind,
    pub date: Date,
    /// Minutes, 1 to `MAX_DURATION`.
    pub duration: u32,
    pub place: PlaceKind,
    /// The structure's or the place's name (usual or other place).
    pub structure: String,
    /// With the postal code: required at home and at another place, optional at a
    /// distance, none at the usual place.
    pub commune: String,
    pub postal_code: String,
    /// At least one, in the order of `Theme::ALL`.
    pub themes: Vec<Theme>,
    /// With `Theme::Procedures` only, and then at least one.
    pub domains: Vec<Domain>,
    /// For a workshop (required), empty otherwise.
    pub title: String,
    pub level: Option<Level>,
    /// At least one; `Equipment::None` alone.
    pub equipment: Vec<Equipment>,
    pub participants: u32,
    /// Anonymous counts, in the order of `AgeBand::ALL`; their sum is at most `participants`.
    pub ages: [u32; AGE_BANDS],
    /// In the order of `Status::ALL`; their sum is at most `participants`.
    pub statuses: [u32; STATUSES],
    /// For individual help only.
    pub autonomy: Option<Autonomy>,
    /// The structure the person was sent to (individual help only).
    pub redirection: String,
    pub notes: String,
}

/// Sorted in the vocabulary's order, each once.
fn canonical<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

/// Unicode's bidirectional overrides and isolates: invisible, they reverse how the text
/// around them shows (a classic way to disguise a value in a spreadsheet).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// A five-digit French postal code whose department exists (01–95, overseas 97x, 98x).
pub fn is_postal_code(code: &str) -> bool {
    code.len() == 5
        && code.bytes().all(|b| b.is_ascii_digit())
        && matches!(code[..2].parse::<u8>(), Ok(1..=95 | 97 | 98))
}

/// A workshop session's id as the sessions' code makes it: letters, digits, `-`, `_`,
/// `.`, `:`, at most `MAX_SESSION`.
pub fn is_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SESSION
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl Fields {
    /// Trims the texts (notes: one kind of line break, `\n`) and empties what does not
    /// apply to this kind of activity or place, so that nothing stale is stored.
    pub fn normalized(mut self) -> Fields {
        for text in [
            &mut self.structure,
            &mut self.commune,
            &mut self.postal_code,
            &mut self.title,
            &mut self.redirection,
        ] {
            *text = text.trim().to_owned();
        }
        self.notes = self.notes.replace("\r\n", "\n").replace('\r', "\n");
        self.notes = self.notes.trim().to_owned();
        match self.kind {
            Kind::Workshop => {
                self.autonomy = None;
                self.redirection.clear();
            }
            Kind::Individual | Kind::Quick => {
                self.title.clear();
                self.level = None;
            }
        }
        match self.place {
            PlaceKind::Usual => {
                self.commune.clear();
                self.postal_code.clear();
            }
            PlaceKind::Home | PlaceKind::Remote => self.structure.clear(),
            PlaceKind::Other => {}
        }
        self.themes = canonical(self.themes);
        self.domains = canonical(self.domains);
        self.equipment = canonical(self.equipment);
        self
    }

    /// Every rule a stored report follows; each broken rule is one `Problem`.
    pub fn check(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let mut say = |field, message: String| problems.push(problem(field, message));
        if !YEARS.contains(&self.date.year()) {
            say(
                Field::Date,
                format!(
                    "La date n'est pas bonne : l'année doit être entre {} et {}.",
                    YEARS.start(),
                    YEARS.end()
                ),
            );
        }
        if !(1..=MAX_DURATION).contains(&self.duration) {
            say(Field::Duration, duration_rule());
        }
        for (field, text, max) in [
            (Field::Structure, &self.structure, MAX_STRUCTURE),
            (Field::Commune, &self.commune, MAX_COMMUNE),
            (Field::Title, &self.title, MAX_TITLE),
            (Field::Redirection, &self.redirection, MAX_REDIRECTION),
            (Field::Notes, &self.notes, MAX_NOTES),
        ] {
            let multiline = field == Field::Notes;
            if let Some(message) = text_problem(field, text, max, multiline) {
                say(field, message);
            }
        }
        let needs_commune = matches!(self.place, PlaceKind::Home | PlaceKind::Other);
        if needs_commune && self.commune.is_empty() {
            say(Field::Commune, "Pour ce lieu, écrivez la commune.".into());
        }
        if !self.postal_code.is_empty() && !is_postal_code(&self.postal_code) {
            say(Field::PostalCode, postal_code_rule());
        } else if needs_commune && self.postal_code.is_empty() {
            say(
                Field::PostalCode,
                "Pour ce lieu, écrivez le code postal.".into(),
            );
        }
        if self.themes.is_empty() {
            say(Field::Themes, "Cochez au moins un thème.".into());
        }
        let procedures = self.themes.contains(&Theme::Procedures);
        if procedures && self.domains.is_empty() {
            say(
                Field::Domains,
                "Vous avez coché « Démarches en ligne ». Cochez aussi le domaine de la démarche."
                    .into(),
            );
        } else if !procedures && !self.domains.is_empty() {
            say(
                Field::Domains,
                "Un domaine de démarche va avec le thème « Démarches en ligne ». Cochez ce thème."
                    .into(),
            );
        }
        if self.kind == Kind::Workshop && self.title.is_empty() {
            say(
                Field::Title,
                "Pour un atelier collectif, écrivez le titre de l'atelier.".into(),
            );
        }
        if self.equipment.is_empty() {
            say(
                Field::Equipment,
                "Cochez au moins un matériel. S'il n'y en a pas, cochez « Aucun matériel ».".into(),
            );
        } else if self.equipment.len() > 1 && self.equipment.contains(&Equipment::None) {
            say(
                Field::Equipment,
                "Vous avez coché « Aucun matériel » et un autre matériel. Gardez l'un ou l'autre."
                    .into(),
            );
        }
        if self.participants > MAX_PARTICIPANTS {
            say(Field::Participants, participants_rule());
        }
        let counts = AgeBand::ALL
            .iter()
            .zip(self.ages)
            .map(|(band, n)| (Field::Age(*band), n))
            .chain(
                Status::ALL
                    .iter()
                    .zip(self.statuses)
                    .map(|(status, n)| (Field::Status(*status), n)),
            );
        for (field, n) in counts {
            if n > MAX_PARTICIPANTS {
                say(field, count_rule(field));
            }
        }
        let (ages, statuses) = (
            self.ages.iter().map(|&n| u64::from(n)).sum::<u64>(),
            self.statuses.iter().map(|&n| u64::from(n)).sum::<u64>(),
        );
        let participants = u64::from(self.participants);
        if ages > participants {
            say(
                Field::Age(AgeBand::ALL[0]),
                format!(
                    "Le total des âges est {ages}. C'est plus que le nombre de participants : \
                     {participants}. Corrigez les nombres."
                ),
            );
        }
        if statuses > participants {
            say(
                Field::Status(Status::ALL[0]),
                format!(
                    "Le total des situations est {statuses}. C'est plus que le nombre de \
                     participants : {participants}. Corrigez les nombres."
                ),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            problems.sort_by_key(|p| p.field);
            Err(problems)
        }
    }

    /// The fields as the form shows them (to edit a stored report).
    pub fn to_input(&self) -> Input {
        let codes = |codes: Vec<&str>| codes.into_iter().map(str::to_owned).collect();
        let count = |n: u32| if n == 0 { String::new() } else { n.to_string() };
        Input {
            kind: self.kind.code().into(),
            date: self.date.to_string(),
            duration: self.duration.to_string(),
            duration_other: String::new(),
            place: self.place.code().into(),
            structure: self.structure.clone(),
            commune: self.commune.clone(),
            postal_code: self.postal_code.clone(),
            themes: codes(self.themes.iter().map(|t| t.code()).collect()),
            domains: codes(self.domains.iter().map(|d| d.code()).collect()),
            title: self.title.clone(),
            level: self.level.map(|l| l.code().into()).unwrap_or_default(),
            equipment: codes(self.equipment.iter().map(|e| e.code()).collect()),
            participants: self.participants.to_string(),
            ages: self.ages.map(count),
            statuses: self.statuses.map(count),
            autonomy: self.autonomy.map(|a| a.code().into()).unwrap_or_default(),
            redirection: self.redirection.clone(),
            notes: self.notes.clone(),
            session: String::new(),
        }
    }
}

fn duration_rule() -> String {
    format!(
        "La durée n'est pas bonne. Écrivez un nombre de minutes, entre 1 et {MAX_DURATION}. \
         Par exemple : 75."
    )
}

fn postal_code_rule() -> String {
    "Le code postal n'est pas bon. Il a 5 chiffres. Par exemple : 15100.".into()
}

fn participants_rule() -> String {
    format!(
        "Le nombre de participants n'est pas bon. Écrivez un nombre entre 0 et \
         {MAX_PARTICIPANTS}."
    )
}

fn count_rule(field: Field) -> String {
    format!(
        "« {} » : écrivez un nombre entre 0 et {MAX_PARTICIPANTS}, ou laissez vide.",
        field.label()
    )
}

/// What is wrong with a text: too long, or holding a character that has no place in it.
fn text_problem(field: Field, text: &str, max: usize, multiline: bool) -> Option<String> {
    let forbidden = |c: char| (c.is_control() && !(multiline && c == '\n')) || is_bidi_control(c);
    if text.chars().any(forbidden) {
        return Some(format!(
            "« {} » : le texte a un signe caché qui n'est pas permis. Effacez le texte, puis \
             tapez-le de nouveau.",
            field.label()
        ));
    }
    let len = text.chars().count();
    (len > max).then(|| {
        format!(
            "« {} » : {max} signes au plus. Votre texte en a {len}. Raccourcissez-le.",
            field.label()
        )
    })
}

/// A report's fields as typed: what the form sends, what prefill parameters give, what the
/// form shows again when something is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub kind: String,
    pub date: String,
    /// One of `DURATIONS`, `autre`, or any number of minutes.
    pub duration: String,
    /// The minutes typed when `duration` is `autre`.
    pub duration_other: String,
    pub place: String,
    pub structure: String,
    pub commune: String,
    pub postal_code: String,
    pub themes: Vec<String>,
    pub domains: Vec<String>,
    pub title: String,
    pub level: String,
    pub equipment: Vec<String>,
    pub participants: String,
    pub ages: [String; AGE_BANDS],
    pub statuses: [String; STATUSES],
    pub autonomy: String,
    pub redirection: String,
    pub notes: String,
    /// The workshop session this report closes (hidden field).
    pub session: String,
}

/// The `duree` value of the "other duration" choice, whose minutes are in `duree_autre`.
pub const DURATION_OTHER: &str = "autre";
/// The form field of the other duration's minutes.
pub const DURATION_OTHER_FIELD: &str = "duree_autre";

impl Input {
    /// The fields named in `pairs` (a form's, or a URL's query). For a multiple choice,
    /// each value may also list codes separated by commas (`themes=email,sante`). For a
    /// single value, the first one counts.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Input {
        let mut input = Input::default();
        let set = |slot: &mut String, value: &str| {
            if slot.is_empty() {
                *slot = value.to_owned();
            }
        };
        let add = |list: &mut Vec<String>, value: &str| {
            list.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|code| !code.is_empty())
                    .map(str::to_owned),
            );
        };
        for (name, value) in pairs {
            match name {
                "type" => set(&mut input.kind, value),
                "date" => set(&mut input.date, value),
                "duree" => set(&mut input.duration, value),
                DURATION_OTHER_FIELD => set(&mut input.duration_other, value),
                "lieu" => set(&mut input.place, value),
                "structure" => set(&mut input.structure, value),
                "commune" => set(&mut input.commune, value),
                "code_postal" => set(&mut input.postal_code, value),
                "themes" => add(&mut input.themes, value),
                "domaines" => add(&mut input.domains, value),
                "titre" => set(&mut input.title, value),
                "niveau" => set(&mut input.level, value),
                "materiel" => add(&mut input.equipment, value),
                "participants" => set(&mut input.participants, value),
                "autonomie" => set(&mut input.autonomy, value),
                "orientation" => set(&mut input.redirection, value),
                "notes" => set(&mut input.notes, value),
                "seance" => set(&mut input.session, value),
                _ => {
                    if let Some(i) = name
                        .strip_prefix("age_")
                        .and_then(|code| AgeBand::ALL.iter().position(|b| b.code() == code))
                    {
                        set(&mut input.ages[i], value);
                    } else if let Some(i) = name
                        .strip_prefix("situation_")
                        .and_then(|code| Status::ALL.iter().position(|s| s.code() == code))
                    {
                        set(&mut input.statuses[i], value);
                    }
                }
            }
        }
        input
    }

    /// A new report prefilled from a link (the end of a workshop session): values that do
    /// not fit are left out rather than shown as mistakes, since the person did not type
    /// them. Level `moyen` (the workshops' own word) is `intermediaire`.
    pub fn prefill<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Input {
        let raw = Input::from_pairs(pairs);
        let known = |ok: bool, value: &str| if ok { value.to_owned() } else { String::new() };
        let number = |value: &str, max: u32| {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .map(|n| n.to_string())
                .unwrap_or_default()
        };
        let clean = |text: &str, max: usize| -> String {
            text.trim()
                .chars()
                .filter(|c| !c.is_control() && !is_bidi_control(*c))
                .take(max)
                .collect()
        };
        let level = match raw.level.trim() {
            "moyen" => "intermediaire",
            other => other,
        };
        let codes = |list: &[String], ok: &dyn Fn(&str) -> bool| {
            canonical(
                list.iter()
                    .filter(|code| ok(code))
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        };
        let duration = number(&raw.duration, MAX_DURATION);
        Input {
            kind: known(Kind::parse(&raw.kind).is_some(), &raw.kind),
            date: Date::parse(&raw.date)
                .filter(|d| YEARS.contains(&d.year()))
                .map(|d| d.to_string())
                .unwrap_or_default(),
            duration: if duration == "0" {
                String::new()
            } else {
                duration
            },
            duration_other: String::new(),
            place: known(PlaceKind::parse(&raw.place).is_some(), &raw.place),
            structure: clean(&raw.structure, MAX_STRUCTURE),
            commune: clean(&raw.commune, MAX_COMMUNE),
            postal_code: known(is_postal_code(&raw.postal_code), &raw.postal_code),
            themes: codes(&raw.themes, &|c| Theme::parse(c).is_some()),
            domains: codes(&raw.domains, &|c| Domain::parse(c).is_some()),
            title: clean(&raw.title, MAX_TITLE),
            level: known(Level::parse(level).is_some(), level),
            equipment: codes(&raw.equipment, &|c| Equipment::parse(c).is_some()),
            participants: number(&raw.participants, MAX_PARTICIPANTS),
            ages: raw.ages.map(|n| number(&n, MAX_PARTICIPANTS)),
            statuses: raw.statuses.map(|n| number(&n, MAX_PARTICIPANTS)),
            autonomy: known(Autonomy::parse(&raw.autonomy).is_some(), &raw.autonomy),
            redirection: clean(&raw.redirection, MAX_REDIRECTION),
            notes: clean(&raw.notes, MAX_NOTES),
            session: known(is_session_id(&raw.session), &raw.session),
        }
    }

    /// The minutes chosen: a button's, or the number typed under "other".
    pub fn minutes(&self) -> &str {
        if self.duration.trim() == DURATION_OTHER {
            self.duration_other.trim()
        } else {
            self.duration.trim()
        }
    }

    /// The checked fields, or every problem found (a mistake in one field does not hide
    /// the others'). Ticking a procedure's domain counts as ticking "Démarches en ligne".
    pub fn parse(&self) -> Result<Fields, Vec<Problem>> {
        let mut problems = Vec::new();
        let kind: Option<Kind> = one(&mut problems, Field::Kind, &self.kind, Kind::parse);
        if self.kind.trim().is_empty() {
            problems.push(problem(Field::Kind, "Choisissez le type d'activité."));
        }
        let date = match self.date.trim() {
            "" => {
                problems.push(problem(Field::Date, "Écrivez la date de l'activité."));
                None
            }
            text => Date::parse(text).or_else(|| {
                problems.push(problem(
                    Field::Date,
                    "La date n'est pas bonne. Écrivez-la comme ceci : 31/12/2026.",
                ));
                None
            }),
        };
        let duration = match self.minutes() {
            "" if self.duration.trim() == DURATION_OTHER => {
                problems.push(problem(
                    Field::Duration,
                    "Vous avez choisi une autre durée. Écrivez le nombre de minutes.",
                ));
                None
            }
            "" => {
                problems.push(problem(Field::Duration, "Choisissez la durée."));
                None
            }
            text => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_DURATION).contains(n))
                .or_else(|| {
                    problems.push(problem(Field::Duration, duration_rule()));
                    None
                }),
        };
        let place: Option<PlaceKind> =
            one(&mut problems, Field::Place, &self.place, PlaceKind::parse);
        if self.place.trim().is_empty() {
            problems.push(problem(Field::Place, "Choisissez le lieu de l'activité."));
        }
        let mut themes: Vec<Theme> =
            codes_of(&mut problems, Field::Themes, &self.themes, Theme::parse);
        let domains: Vec<Domain> =
            codes_of(&mut problems, Field::Domains, &self.domains, Domain::parse);
        let equipment: Vec<Equipment> = codes_of(
            &mut problems,
            Field::Equipment,
            &self.equipment,
            Equipment::parse,
        );
        if !domains.is_empty() {
            themes.push(Theme::Procedures);
        }
        let level: Option<Level> = one(&mut problems, Field::Level, &self.level, Level::parse);
        let autonomy: Option<Autonomy> = one(
            &mut problems,
            Field::Autonomy,
            &self.autonomy,
            Autonomy::parse,
        );
        let participants = match self.participants.trim() {
            "" => {
                problems.push(problem(
                    Field::Participants,
                    "Écrivez le nombre de participants.",
                ));
                None
            }
            text => text
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_PARTICIPANTS)
                .or_else(|| {
                    problems.push(problem(Field::Participants, participants_rule()));
                    None
                }),
        };
        let mut count = |field: Field, text: &str| match text.trim() {
            "" => 0,
            text => match text.parse::<u32>().ok().filter(|n| *n <= MAX_PARTICIPANTS) {
                Some(n) => n,
                None => {
                    problems.push(problem(field, count_rule(field)));
                    0
                }
            },
        };
        let mut ages = [0; AGE_BANDS];
        for (i, band) in AgeBand::ALL.iter().enumerate() {
            ages[i] = count(Field::Age(*band), &self.ages[i]);
        }
        let mut statuses = [0; STATUSES];
        for (i, status) in Status::ALL.iter().enumerate() {
            statuses[i] = count(Field::Status(*status), &self.statuses[i]);
        }
        let session = self.session.trim();
        if !session.is_empty() && !is_session_id(session) {
            problems.push(problem(
                Field::Session,
                "Le numéro de la séance d'atelier est abîmé. Revenez à la fin de la séance, \
                 puis réessayez.",
            ));
        }
        // Where a value is missing, a stand-in lets the other rules be checked too; the
        // problems of a field already said are not said twice.
        let fields = Fields {
            kind: kind.unwrap_or(Kind::Individual),
            date: date.unwrap_or_else(|| Date::new(2000, 1, 1).unwrap_or(Date::from_days(0))),
            duration: duration.unwrap_or(1),
            place: place.unwrap_or(PlaceKind::Usual),
            structure: self.structure.clone(),
            commune: self.commune.clone(),
            postal_code: self.postal_code.clone(),
            themes,
            domains,
            title: self.title.clone(),
            level,
            equipment,
            participants: participants.unwrap_or(MAX_PARTICIPANTS),
            ages,
            statuses,
            autonomy,
            redirection: self.redirection.clone(),
            notes: self.notes.clone(),
        }
        .normalized();
        if let Err(more) = fields.check() {
            for p in more {
                if !problems.iter().any(|q| q.field == p.field) {
                    problems.push(p);
                }
            }
        }
        if problems.is_empty() {
            Ok(fields)
        } else {
            // In the form's order (a stable sort: a field's own messages keep theirs).
            problems.sort_by_key(|p| p.field);
            Err(problems)
        }
    }
}

/// A choice that is not in the list: only a changed or outdated page sends one.
fn tampered(field: Field) -> Problem {
    problem(
        field,
        format!(
            "« {} » : ce choix n'est pas dans la liste. Rechargez la page, puis réessayez.",
            field.label()
        ),
    )
}

/// The value of a single choice: `None` when empty, or unknown (said in `problems`).
fn one<T>(
    problems: &mut Vec<Problem>,
    field: Field,
    value: &str,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    match value.trim() {
        "" => None,
        code => parse(code).or_else(|| {
            problems.push(tampered(field));
            None
        }),
    }
}

/// The values of a multiple choice; unknown codes are said once in `problems`.
fn codes_of<T>(
    problems: &mut Vec<Problem>,
    field: Field,
    list: &[String],
    parse: fn(&str) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    for code in list {
        match parse(code.trim()) {
            Some(value) => out.push(value),
            None if problems.iter().any(|p| p.field == field) => {}
            None => problems.push(tampered(field)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Input {
        Input::from_pairs([
            ("type", "atelier-collectif"),
            ("date", "2026-03-12"),
            ("duree", "90"),
            ("lieu", "lieu-habituel"),
            ("structure", " Médiathèque des Tilleuls "),
            ("themes", "email"),
            ("themes", "demarches-en-ligne"),
            ("domaines", "social-sante"),
            ("titre", "Créer son adresse e-mail"),
            ("niveau", "debutant"),
            ("materiel", "ordinateur"),
            ("materiel", "telephone"),
            ("participants", "8"),
            ("age_60-69", "3"),
            ("age_70-plus", "2"),
            ("situation_retraite", "5"),
            ("notes", "Bonne ambiance.\r\nÀ refaire."),
        ])
    }

    fn problems_of(input: &Input) -> Vec<(String, String)> {
        match input.parse() {
            Ok(_) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|p| (p.field.name().into_owned(), p.message))
                .collect(),
        }
    }

    fn fields_named(input: &Input) -> Vec<String> {
        problems_of(input).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn every_code_is_a_stable_ascii_slug_and_unique_in_its_list() {
        fn check(codes: &[&str]) {
            for (i, code) in codes.iter().enumerate() {
                assert!(
                    code.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "{code}"
                );
                assert!(!codes[i + 1..].contains(code), "{code} twice");
            }
        }
        check(&Kind::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&PlaceKind::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&Theme::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&Domain::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&Level::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&Equipment::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&AgeBand::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&Status::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        check(&Autonomy::ALL.iter().map(|v| v.code()).collect::<Vec<_>>());
        for theme in Theme::ALL {
            assert_eq!(Theme::parse(theme.code()), Some(*theme));
        }
        assert_eq!(Kind::parse("Atelier-collectif"), None);
    }

    #[test]
    fn a_complete_workshop_report_is_accepted_trimmed_and_in_order() {
        let fields = valid().parse().unwrap();
        assert_eq!(fields.kind, Kind::Workshop);
        assert_eq!(fields.date.to_string(), "2026-03-12");
        assert_eq!(fields.duration, 90);
        assert_eq!(fields.structure, "Médiathèque des Tilleuls");
        assert_eq!(fields.themes, [Theme::Email, Theme::Procedures]);
        assert_eq!(fields.domains, [Domain::SocialHealth]);
        assert_eq!(fields.equipment, [Equipment::Computer, Equipment::Phone]);
        assert_eq!(fields.level, Some(Level::Beginner));
        assert_eq!(fields.ages, [0, 0, 0, 0, 0, 3, 2, 0]);
        assert_eq!(fields.statuses, [0, 0, 0, 5, 0]);
        assert_eq!(fields.notes, "Bonne ambiance.\nÀ refaire.");
        // What the form shows to edit it gives the same fields back.
        assert_eq!(fields.to_input().parse().unwrap(), fields);
    }

    #[test]
    fn an_empty_form_names_each_missing_field_once() {
        let names = fields_named(&Input::default());
        assert_eq!(
            names,
            [
                "type",
                "date",
                "duree",
                "lieu",
                "themes",
                "materiel",
                "participants"
            ]
        );
        for (_, message) in problems_of(&Input::default()) {
            assert!(message.ends_with('.'), "{message}");
            assert!(message.len() < 160, "{message}");
        }
    }

    #[test]
    fn table_of_refused_values_names_the_field() {
        type Change = Box<dyn Fn(&mut Input)>;
        let cases: Vec<(&str, Change, &str)> = vec![
            (
                "kind unknown",
                Box::new(|i| i.kind = "stage".into()),
                "type",
            ),
            (
                "date typo",
                Box::new(|i| i.date = "2026-02-30".into()),
                "date",
            ),
            (
                "date year",
                Box::new(|i| i.date = "2206-03-12".into()),
                "date",
            ),
            ("date words", Box::new(|i| i.date = "hier".into()), "date"),
            ("duration 0", Box::new(|i| i.duration = "0".into()), "duree"),
            (
                "duration day+",
                Box::new(|i| i.duration = "1441".into()),
                "duree",
            ),
            (
                "duration text",
                Box::new(|i| i.duration = "1h".into()),
                "duree",
            ),
            (
                "other empty",
                Box::new(|i| i.duration = DURATION_OTHER.into()),
                "duree",
            ),
            (
                "place unknown",
                Box::new(|i| i.place = "lune".into()),
                "lieu",
            ),
            (
                "home needs commune",
                Box::new(|i| {
                    i.place = "domicile".into();
                    i.postal_code = "15100".into();
                }),
                "commune",
            ),
            (
                "home needs postal code",
                Box::new(|i| {
                    i.place = "domicile".into();
                    i.commune = "Saint-Flour".into();
                }),
                "code_postal",
            ),
            (
                "postal code 4 digits",
                Box::new(|i| {
                    i.place = "autre".into();
                    i.commune = "Saint-Flour".into();
                    i.postal_code = "1510".into();
                }),
                "code_postal",
            ),
            (
                "postal code no department",
                Box::new(|i| {
                    i.place = "a-distance".into();
                    i.postal_code = "00100".into();
                }),
                "code_postal",
            ),
            (
                "no theme",
                Box::new(|i| {
                    i.themes.clear();
                    i.domains.clear();
                }),
                "themes",
            ),
            (
                "theme unknown",
                Box::new(|i| i.themes.push("cuisine".into())),
                "themes",
            ),
            (
                "procedures without domain",
                Box::new(|i| i.domains.clear()),
                "domaines",
            ),
            (
                "workshop title",
                Box::new(|i| i.title = " ".into()),
                "titre",
            ),
            (
                "title too long",
                Box::new(|i| i.title = "é".repeat(MAX_TITLE + 1)),
                "titre",
            ),
            (
                "title control",
                Box::new(|i| i.title = "Titre\u{7}".into()),
                "titre",
            ),
            (
                "title newline",
                Box::new(|i| i.title = "Deux\nlignes".into()),
                "titre",
            ),
            (
                "title bidi",
                Box::new(|i| i.title = "abc\u{202E}fdp.exe".into()),
                "titre",
            ),
            (
                "level unknown",
                Box::new(|i| i.level = "expert".into()),
                "niveau",
            ),
            (
                "no equipment",
                Box::new(|i| i.equipment.clear()),
                "materiel",
            ),
            (
                "nothing and something",
                Box::new(|i| i.equipment.push("aucun".into())),
                "materiel",
            ),
            (
                "participants",
                Box::new(|i| i.participants = "1001".into()),
                "participants",
            ),
            (
                "participants negative",
                Box::new(|i| i.participants = "-1".into()),
                "participants",
            ),
            (
                "age count",
                Box::new(|i| i.ages[2] = "deux".into()),
                "age_18-24",
            ),
            (
                "ages above participants",
                Box::new(|i| i.ages[7] = "4".into()),
                "age_moins-12",
            ),
            (
                "statuses above participants",
                Box::new(|i| i.statuses[0] = "9".into()),
                "situation_scolarise",
            ),
            (
                "notes too long",
                Box::new(|i| i.notes = "a".repeat(MAX_NOTES + 1)),
                "notes",
            ),
            (
                "notes nul",
                Box::new(|i| i.notes = "a\u{0}b".into()),
                "notes",
            ),
            (
                "structure too long",
                Box::new(|i| i.structure = "x".repeat(MAX_STRUCTURE + 1)),
                "structure",
            ),
            (
                "session id",
                Box::new(|i| i.session = "../../etc".into()),
                "seance",
            ),
        ];
        for (what, change, field) in cases {
            let mut input = valid();
            change(&mut input);
            let found = problems_of(&input);
            assert_eq!(
                found.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
                [field],
                "{what}: {found:?}"
            );
        }
    }

    #[test]
    fn messages_say_the_limit_and_the_sum() {
        let mut input = valid();
        input.title = "x".repeat(130);
        input.ages[0] = "9".into();
        let found = problems_of(&input);
        assert_eq!(
            found[0].1,
            "« Titre de l'atelier » : 120 signes au plus. Votre texte en a 130. Raccourcissez-le."
        );
        assert_eq!(
            found[1].1,
            "Le total des âges est 14. C'est plus que le nombre de participants : 8. Corrigez \
             les nombres."
        );
    }

    #[test]
    fn what_does_not_apply_is_dropped_not_refused() {
        let mut input = valid();
        input.kind = "accompagnement-individuel".into();
        input.autonomy = "partiellement-autonome".into();
        input.redirection = "CCAS de Saint-Flour".into();
        input.participants = "1".into();
        input.ages = Default::default();
        input.statuses = Default::default();
        input.place = "domicile".into();
        input.commune = "Saint-Flour".into();
        input.postal_code = "15100".into();
        input.duration = DURATION_OTHER.into();
        input.duration_other = "75".into();
        let fields = input.parse().unwrap();
        assert_eq!((fields.title.as_str(), fields.level), ("", None));
        assert_eq!(fields.structure, "");
        assert_eq!(fields.duration, 75);
        assert_eq!(fields.autonomy, Some(Autonomy::Partly));
        // A workshop has no autonomy or redirection; the usual place no commune.
        let mut input = valid();
        input.autonomy = "autonome".into();
        input.redirection = "Mairie".into();
        input.commune = "Aurillac".into();
        let fields = input.parse().unwrap();
        assert_eq!(fields.autonomy, None);
        assert_eq!(fields.redirection, "");
        assert_eq!(fields.commune, "");
    }

    #[test]
    fn a_domain_ticked_alone_ticks_online_procedures_but_the_api_refuses_it() {
        let mut input = valid();
        input.themes = vec!["email".into()];
        let fields = input.parse().unwrap();
        assert_eq!(fields.themes, [Theme::Email, Theme::Procedures]);
        let mut stored = fields;
        stored.themes = vec![Theme::Email];
        let problems = stored.check().unwrap_err();
        assert_eq!(problems[0].field, Field::Domains);
    }

    #[test]
    fn postal_codes_have_five_digits_and_a_real_department() {
        for ok in [
            "15100", "75001", "20000", "97400", "98000", "01000", "95880",
        ] {
            assert!(is_postal_code(ok), "{ok}");
        }
        for bad in [
            "",
            "1510",
            "151000",
            "00100",
            "96100",
            "99000",
            "1510a",
            "１５１００",
        ] {
            assert!(!is_postal_code(bad), "{bad}");
        }
    }

    #[test]
    fn prefill_keeps_what_fits_and_leaves_out_the_rest() {
        let input = Input::prefill([
            ("type", "atelier-collectif"),
            ("date", "2026-03-12"),
            ("duree", "75"),
            ("titre", "  Le courriel\u{7} pas à pas  "),
            ("niveau", "moyen"),
            ("themes", "email,cuisine,demarches-en-ligne,email"),
            ("participants", "12"),
            ("lieu", "lieu-habituel"),
            ("seance", "atelier-2026-03-12:4"),
            ("notes", "x"),
        ]);
        assert_eq!(input.kind, "atelier-collectif");
        assert_eq!(input.date, "2026-03-12");
        assert_eq!(input.duration, "75");
        assert_eq!(input.title, "Le courriel pas à pas");
        assert_eq!(input.level, "intermediaire");
        assert_eq!(input.themes, ["demarches-en-ligne", "email"]);
        assert_eq!(input.participants, "12");
        assert_eq!(input.place, "lieu-habituel");
        assert_eq!(input.session, "atelier-2026-03-12:4");
        let odd = Input::prefill([
            ("type", "fete"),
            ("date", "12 mars"),
            ("duree", "-5"),
            ("participants", "5000"),
            ("lieu", "Mairie"),
            ("seance", "<script>"),
            ("niveau", "expert"),
        ]);
        assert_eq!(
            odd,
            Input::default(),
            "nothing unfit is kept from a prefill link"
        );
    }

    #[test]
    fn session_ids_are_short_plain_ascii() {
        for ok in [
            "a",
            "atelier-2026-03-12:4",
            "0f3a.b_c",
            &"x".repeat(MAX_SESSION),
        ] {
            assert!(is_session_id(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é", &"x".repeat(MAX_SESSION + 1), "a\n"] {
            assert!(!is_session_id(bad), "{bad}");
        }
    }

    /// Every message a person may read, from a form with every mistake at once.
    fn every_message() -> Vec<String> {
        let mut wrong = Input {
            kind: "stage".into(),
            date: "2026-02-30".into(),
            duration: DURATION_OTHER.into(),
            place: "domicile".into(),
            postal_code: "1".into(),
            themes: vec!["demarches-en-ligne".into()],
            equipment: vec!["aucun".into(), "telephone".into()],
            participants: "2000".into(),
            notes: "a\u{7}".into(),
            session: "a/b".into(),
            ..Input::default()
        };
        wrong.ages[0] = "beaucoup".into();
        let mut messages: Vec<String> = [wrong, Input::default()]
            .iter()
            .flat_map(|i| i.parse().unwrap_err())
            .map(|p| p.message)
            .collect();
        let mut stored = valid().parse().unwrap();
        stored.date = Date::new(1999, 1, 1).unwrap();
        stored.duration = 0;
        stored.place = PlaceKind::Other;
        stored.postal_code.clear();
        stored.themes = vec![Theme::Email];
        stored.title.clear();
        stored.notes = "a".repeat(MAX_NOTES + 1);
        stored.participants = 0;
        stored.statuses[0] = 1;
        messages.extend(stored.check().unwrap_err().into_iter().map(|p| p.message));
        messages
    }

    #[test]
    fn every_message_passes_the_falc_linter() {
        let messages = every_message();
        assert!(messages.len() >= 25, "{messages:#?}");
        let options = crate::content::falc::LintOptions::default();
        for message in &messages {
            let findings: Vec<_> = crate::content::falc::lint_text(message, 1, &options)
                .into_iter()
                // A postal code is a code, not a large number.
                .filter(|f| !f.message.contains("15100"))
                .collect();
            assert!(findings.is_empty(), "{message}: {findings:?}");
        }
    }
}
