//! The catalog of every text the portal shows. French is compiled in; a language is a TOML
//! file with the same keys, checked at build time by the tests (a missing key is an error).

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorText {
    pub title: String,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Errors {
    pub bad_request: ErrorText,
    pub not_found: ErrorText,
    pub method_not_allowed: ErrorText,
    pub payload_too_large: ErrorText,
    pub uri_too_long: ErrorText,
    pub headers_too_large: ErrorText,
    pub forbidden: ErrorText,
    pub expired_form: ErrorText,
    /// `{n}`: seconds to wait.
    pub too_many_tries: ErrorText,
    pub busy: ErrorText,
    pub internal: ErrorText,
}

/// One language's texts. Field names are the catalog's keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub lang: String,
    pub skip_link: String,
    pub nav_label: String,
    pub nav_home: String,
    pub nav_search: String,
    pub breadcrumb_label: String,
    pub footer: String,
    pub home_title: String,
    pub home_intro: String,
    pub search_label: String,
    pub search_placeholder: String,
    pub search_button: String,
    pub slot_heading: String,
    pub slot_empty: String,
    pub themes_heading: String,
    pub all_workshops: String,
    pub theme_tutorials: String,
    pub theme_workshops: String,
    pub theme_empty: String,
    pub workshops_title: String,
    pub workshops_empty: String,
    pub page_of: String,
    pub page_previous: String,
    pub page_next: String,
    pub level_label: String,
    pub level_debutant: String,
    pub level_moyen: String,
    pub level_avance: String,
    pub duration_label: String,
    pub duration_minutes: String,
    pub theme_label: String,
    pub start: String,
    pub steps_heading: String,
    pub all_steps: String,
    pub one_step: String,
    pub step_of: String,
    pub previous: String,
    pub next: String,
    pub done_title: String,
    pub done_back: String,
    pub back_to_start: String,
    pub listen: String,
    pub listen_stop: String,
    /// When the phone has no voice for the text's language.
    pub listen_no_voice: String,
    /// Under a translated item: "Ce texte est traduit." and the link to its original.
    pub content_translated: String,
    pub content_original: String,
    /// Under an original read on request: the link back to the translation.
    pub content_translation: String,
    pub workshop_audience: String,
    pub workshop_objectives: String,
    pub workshop_materials: String,
    pub workshop_activities: String,
    pub workshop_tutorials: String,
    pub workshop_notes: String,
    pub search_title: String,
    pub search_results_one: String,
    pub search_results_many: String,
    pub search_none: String,
    pub search_hint: String,
    pub search_empty: String,
    pub kind_theme: String,
    pub kind_tutorial: String,
    pub kind_workshop: String,
    pub error_home: String,
    pub welcome_title: String,
    pub welcome_intro: String,
    pub welcome_enter: String,
    pub welcome_privacy: String,
    pub welcome_browser_heading: String,
    pub welcome_browser_why: String,
    pub welcome_browser_steps: Vec<String>,
    pub welcome_address_label: String,
    pub welcome_copy: String,
    pub welcome_copied: String,
    pub footer_admin: String,
    /// The bar of language and reading size on every page.
    pub prefs_label: String,
    /// "A+": the larger reading size, and back.
    pub text_larger: String,
    pub text_normal: String,
    /// Beside a video or a sound: `{format}` (`MP4`), `{size}` (`3,2 Mo`).
    pub media_download_video: String,
    pub media_download_audio: String,
    /// The label of the French subtitles track.
    pub media_subtitles: String,
    /// After a link to a handout: `{format}`, `{size}`.
    pub media_handout: String,
    /// The list of a workshop's handouts.
    pub media_handouts_heading: String,
    pub errors: Errors,
    /// The admin and conseiller pages' texts, by key (see `Catalog::a`).
    pub admin: std::collections::BTreeMap<String, String>,
    /// The glossary's pages, by key (see `Catalog::g`).
    pub glossary: std::collections::BTreeMap<String, String>,
    /// Dates in words, by key (see `Catalog::updated`).
    pub dates: std::collections::BTreeMap<String, String>,
    /// The practice forms' texts, by key (see `Catalog::f`).
    pub forms: std::collections::BTreeMap<String, String>,
    /// "Emporter sur mon téléphone" and the print view, by key (see `Catalog::th`).
    pub takehome: std::collections::BTreeMap<String, String>,
    /// The learner's side of a pop-up workshop, by key (see `Catalog::w`).
    pub workshop: std::collections::BTreeMap<String, String>,
}

impl Catalog {
    /// The label of a level code (`debutant`…), or the code itself if unknown.
    pub fn level<'a>(&'a self, code: &'a str) -> &'a str {
        match code {
            "debutant" => &self.level_debutant,
            "moyen" => &self.level_moyen,
            "avance" => &self.level_avance,
            other => other,
        }
    }

    /// An admin page's text. A missing key shows as itself; the test
    /// `every_admin_text_is_in_the_catalog` proves none is missing.
    pub fn a<'a>(&'a self, key: &'a str) -> &'a str {
        self.admin.get(key).map(String::as_str).unwrap_or(key)
    }

    /// A learner's workshop text (as `a`; checked by `every_workshop_text_is_in_the_catalog`).
    pub fn w<'a>(&'a self, key: &'a str) -> &'a str {
        self.workshop.get(key).map(String::as_str).unwrap_or(key)
    }

    /// A glossary page's text (as `a`; checked by `every_glossary_text_is_in_the_catalog`).
    pub fn g<'a>(&'a self, key: &'a str) -> &'a str {
        self.glossary.get(key).map(String::as_str).unwrap_or(key)
    }

    /// "Mis à jour en décembre 2026" for `2026-12`; `None` for anything else.
    pub fn updated(&self, year_month: &str) -> Option<String> {
        let (year, month) = crate::content::year_month(year_month)?;
        let name = self.dates.get(&format!("month_{month}"))?;
        let text = self.dates.get("updated")?;
        Some(fill(text, &[("month", name), ("year", &year.to_string())]))
    }

    /// "2 décembre 2026", "1er mars 2027"; `None` for a month that is not 1 to 12.
    pub fn day(&self, year: u16, month: u8, day: u8) -> Option<String> {
        // The month as a day date says it (declined in some languages).
        let name = self.dates.get(&format!("day_month_{month}"))?;
        let text = self.dates.get("day")?;
        let number = match (day, self.dates.get("day_first")) {
            (1, Some(first)) => first.clone(),
            _ => day.to_string(),
        };
        Some(fill(
            text,
            &[
                ("day", &number),
                ("month", name),
                ("year", &year.to_string()),
            ],
        ))
    }

    /// A take-home or print text (as `a`; checked by `every_takehome_text_is_in_the_catalog`).
    pub fn th<'a>(&'a self, key: &'a str) -> &'a str {
        self.takehome.get(key).map(String::as_str).unwrap_or(key)
    }

    /// A practice form's text (as `a`; checked by `every_forms_text_is_in_the_catalog`).
    pub fn f<'a>(&'a self, key: &'a str) -> &'a str {
        self.forms.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The label of an item kind.
    pub fn kind<'a>(&'a self, kind: &'a str) -> &'a str {
        match kind {
            "theme" => &self.kind_theme,
            "tutorial" => &self.kind_tutorial,
            "workshop" => &self.kind_workshop,
            "glossary" => self.g("kind"),
            "form" => self.f("kind_form"),
            other => other,
        }
    }
}

/// What the system says of a failed file operation, in French for the usual cases (a
/// missing file, a pulled USB stick, a full disk), in the system's own words otherwise.
pub fn io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    if e.raw_os_error() == Some(libc::EIO) {
        return "erreur de lecture ou d'écriture du support (clé USB retirée ou abîmée ?)".into();
    }
    let said = match e.kind() {
        ErrorKind::NotFound => "fichier ou dossier introuvable",
        ErrorKind::PermissionDenied => "accès refusé",
        ErrorKind::UnexpectedEof => "fichier incomplet, coupé avant la fin",
        ErrorKind::StorageFull => "disque plein",
        ErrorKind::ReadOnlyFilesystem => "disque en lecture seule",
        ErrorKind::IsADirectory => "c'est un dossier, pas un fichier",
        ErrorKind::NotADirectory => "un élément du chemin n'est pas un dossier",
        _ => return e.to_string(),
    };
    said.into()
}

/// Replaces `{name}` placeholders in a catalog text.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

const FR: &str = include_str!("fr.toml");
const EN: &str = include_str!("en.toml");
const AR: &str = include_str!("ar.toml");
const UK: &str = include_str!("uk.toml");

/// The French catalog, parsed once.
pub fn fr() -> &'static Catalog {
    catalog(Lang::Fr)
}

/// A language of the portal's own texts. French is the original; the others are
/// translations of every key (`every_language_has_every_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
    Ar,
    Uk,
}

impl Lang {
    /// In the order the language choice lists them.
    pub const ALL: [Lang; 4] = [Lang::Fr, Lang::En, Lang::Ar, Lang::Uk];

    /// The BCP 47 code (`lang` attribute, cookie, pack `languages`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Ar => "ar",
            Lang::Uk => "uk",
        }
    }

    /// The language named in itself, as the choice shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
            Lang::Ar => "العربية",
            Lang::Uk => "Українська",
        }
    }

    /// Written right to left.
    pub fn rtl(self) -> bool {
        self == Lang::Ar
    }

    /// `dir` of a page in this language.
    pub fn dir(self) -> &'static str {
        if self.rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The language of a code such as `ar` or `en-GB` (case-insensitive); `None` for any
    /// other.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.code()))
    }

    /// The phone's preferred language among ours, from its `Accept-Language` header
    /// (`uk-UA,uk;q=0.9,en;q=0.8`): the highest `q` wins, the first listed on a tie;
    /// French when none is ours or the header is malformed.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        // Phones send a handful; a long header is someone else's game.
        for range in header.split(',').take(16) {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut q = 1000;
            for param in parts {
                let param = param.trim();
                if let Some(value) = param
                    .strip_prefix("q=")
                    .or_else(|| param.strip_prefix("Q="))
                {
                    // A malformed quality counts as "not wanted".
                    q = parse_quality(value).unwrap_or_default();
                }
            }
            let Some(lang) = Lang::from_code(tag) else {
                continue;
            };
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Fr, |(_, lang)| lang)
    }
}

/// A quality value (`0`, `0.8`, `1.000`) in thousandths; `None` when malformed.
fn parse_quality(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The catalog of a language, parsed once. Every file is compiled in and checked by the
/// tests, so parsing cannot fail at run time.
pub fn catalog(lang: Lang) -> &'static Catalog {
    static CATALOGS: [OnceLock<Catalog>; 4] = [const { OnceLock::new() }; 4];
    let (index, source, file) = match lang {
        Lang::Fr => (0, FR, "fr"),
        Lang::En => (1, EN, "en"),
        Lang::Ar => (2, AR, "ar"),
        Lang::Uk => (3, UK, "uk"),
    };
    CATALOGS[index].get_or_init(|| {
        toml::from_str(source).unwrap_or_else(|e| panic!("src/i18n/{file}.toml is invalid: {e}"))
    })
}

thread_local! {
    /// The language of the request this thread is answering. Every page is made by one
    /// worker thread for one request at a time, and helpers deep in the templates read it
    /// here rather than each taking the language as one more argument. Threads that answer
    /// no phone (jobs, sync) keep French.
    static CURRENT: std::cell::Cell<Lang> = const { std::cell::Cell::new(Lang::Fr) };
}

/// The language of the current request (French outside one).
pub fn current_lang() -> Lang {
    CURRENT.with(|c| c.get())
}

/// The catalog of the current request.
pub fn current() -> &'static Catalog {
    catalog(current_lang())
}

/// Puts `lang` in force on this thread until the guard is dropped.
pub fn use_lang(lang: Lang) -> LangGuard {
    let previous = CURRENT.with(|c| c.replace(lang));
    LangGuard { previous }
}

/// Restores the previous language when dropped (see `use_lang`).
pub struct LangGuard {
    previous: Lang,
}

impl Drop for LangGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_french_catalog_is_complete() {
        let catalog: Catalog = toml::from_str(FR).unwrap();
        assert_eq!(catalog.lang, "fr");
        assert!(catalog.step_of.contains("{n}") && catalog.step_of.contains("{total}"));
    }

    #[test]
    fn every_workshop_text_is_in_the_catalog() {
        let catalog = fr();
        let mut missing = Vec::new();
        for source in [
            include_str!("../web/workshop.rs"),
            include_str!("../web/learner.rs"),
            include_str!("../workshops/mod.rs"),
        ] {
            for piece in source.split(".w(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                if !catalog.workshop.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing in src/i18n/fr.toml [workshop]: {missing:?}"
        );
    }

    #[test]
    fn every_glossary_text_is_in_the_catalog() {
        let catalog = fr();
        let mut missing = Vec::new();
        for source in [
            include_str!("../web/glossary.rs"),
            include_str!("../web/learner.rs"),
            include_str!("mod.rs"),
        ] {
            for piece in source.split(".g(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                if !catalog.glossary.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing in src/i18n/fr.toml [glossary]: {missing:?}"
        );
    }

    #[test]
    fn every_forms_text_is_in_the_catalog() {
        let catalog = fr();
        let mut missing = Vec::new();
        for source in [
            include_str!("../web/forms.rs"),
            include_str!("../web/admin/form_sheets.rs"),
            include_str!("../web/takehome.rs"),
        ] {
            for piece in source.split(".f(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                if !catalog.forms.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        for invalid in crate::forms::validate::Invalid::ALL {
            if !catalog.forms.contains_key(invalid.key()) {
                missing.push(invalid.key().to_owned());
            }
        }
        assert!(
            missing.is_empty(),
            "missing in src/i18n/fr.toml [forms]: {missing:?}"
        );
    }

    #[test]
    fn every_takehome_text_is_in_the_catalog() {
        let catalog = fr();
        let mut missing = Vec::new();
        for source in [
            include_str!("../web/takehome.rs"),
            include_str!("../web/learner.rs"),
            include_str!("../web/forms.rs"),
        ] {
            for piece in source.split(".th(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                if !catalog.takehome.contains_key(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing in src/i18n/fr.toml [takehome]: {missing:?}"
        );
    }

    #[test]
    fn day_dates_read_in_words() {
        let t = fr();
        assert_eq!(t.day(2026, 12, 2).as_deref(), Some("2 décembre 2026"));
        assert_eq!(t.day(2027, 3, 1).as_deref(), Some("1er mars 2027"));
        assert_eq!(t.day(2027, 8, 31).as_deref(), Some("31 août 2027"));
        assert_eq!(t.day(2027, 13, 1), None);
        assert_eq!(t.day(2027, 0, 1), None);
        // Ukrainian declines the month in a day date; its "updated" line keeps the label form.
        let uk = catalog(Lang::Uk);
        assert_eq!(uk.day(2026, 12, 2).as_deref(), Some("2 грудня 2026"));
        assert_eq!(
            uk.updated("2026-12").as_deref(),
            Some("Оновлено: грудень 2026")
        );
        assert_eq!(
            catalog(Lang::En).day(2027, 3, 1).as_deref(),
            Some("1 March 2027")
        );
    }

    #[test]
    fn updated_dates_read_in_words() {
        let t = fr();
        assert_eq!(
            t.updated("2026-12").as_deref(),
            Some("Mis à jour en décembre 2026")
        );
        assert_eq!(
            t.updated("2027-02").as_deref(),
            Some("Mis à jour en février 2027")
        );
        for month in 1..=12 {
            assert!(t.updated(&format!("2026-{month:02}")).is_some(), "{month}");
        }
        for bad in ["2026-13", "2026-1", "26-12", "décembre", ""] {
            assert_eq!(t.updated(bad), None, "{bad}");
        }
    }

    #[test]
    fn accept_language_picks_the_best_of_ours() {
        for (header, lang) in [
            ("uk-UA,uk;q=0.9,en;q=0.8", Lang::Uk),
            ("de-DE,de;q=0.9,ar;q=0.5", Lang::Ar),
            ("en;q=0.5,ar;q=0.8", Lang::Ar),
            ("en,ar", Lang::En),
            ("AR-ma", Lang::Ar),
            ("fr-FR", Lang::Fr),
            ("ar;q=0,en;q=0.1", Lang::En),
            ("ar;q=2,en;q=0.1", Lang::En),
            ("ar;q=0.5555,uk;q=0.1", Lang::Uk),
            ("*", Lang::Fr),
            ("", Lang::Fr),
            ("\u{0}\u{1};q=;;,", Lang::Fr),
        ] {
            assert_eq!(Lang::from_accept_language(header), lang, "{header}");
        }
    }

    /// The translated files, beside their language.
    const TRANSLATIONS: [(Lang, &str); 3] = [(Lang::En, EN), (Lang::Ar, AR), (Lang::Uk, UK)];

    /// Every value of a catalog file by its path (`errors.busy.title`, `admin.nav_home`,
    /// `welcome_browser_steps[1]`), so that an array's length is part of its keys. A value
    /// that is neither a string, a table nor an array shows as its type, in angle brackets.
    fn leaves(source: &str, file: &str) -> BTreeMap<String, String> {
        fn walk(path: String, value: &toml::Value, out: &mut BTreeMap<String, String>) {
            let child = |key: &str| {
                if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                }
            };
            match value {
                toml::Value::Table(table) => {
                    for (key, value) in table {
                        walk(child(key), value, out);
                    }
                }
                toml::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(format!("{path}[{i}]"), item, out);
                    }
                }
                toml::Value::String(text) => {
                    out.insert(path, text.clone());
                }
                other => {
                    out.insert(path, format!("<{}>", other.type_str()));
                }
            }
        }
        let table: toml::Table = toml::from_str(source)
            .unwrap_or_else(|e| panic!("src/i18n/{file}.toml is not valid TOML: {e}"));
        let mut out = BTreeMap::new();
        walk(String::new(), &toml::Value::Table(table), &mut out);
        out
    }

    /// The `{name}` placeholders of a text, sorted, each as many times as it appears.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            let Some(close) = rest.find('}') else { break };
            let name = &rest[..close];
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                found.push(name);
                rest = &rest[close + 1..];
            }
        }
        found.sort_unstable();
        found
    }

    #[test]
    fn every_language_has_every_key() {
        let french = leaves(FR, "fr");
        let mut problems = Vec::new();
        for (lang, source) in TRANSLATIONS {
            let file = lang.code();
            let theirs = leaves(source, file);
            let missing: Vec<&String> =
                french.keys().filter(|k| !theirs.contains_key(*k)).collect();
            let extra: Vec<&String> = theirs.keys().filter(|k| !french.contains_key(*k)).collect();
            if !missing.is_empty() || !extra.is_empty() {
                problems.push(format!(
                    "src/i18n/{file}.toml: missing {missing:?}, extra {extra:?}"
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "the translations must have exactly the keys of src/i18n/fr.toml:\n{}",
            problems.join("\n")
        );
    }

    /// The files mirror the French one line for line: the same tables and keys in the same
    /// order, so that a reviewer reads them side by side and `[workshop]` stays last.
    #[test]
    fn every_language_keeps_the_french_order() {
        fn outline(source: &str) -> Vec<&str> {
            source
                .lines()
                .filter_map(|line| {
                    if line.starts_with('[') {
                        Some(line.trim_end())
                    } else if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
                        line.split_once('=').map(|(key, _)| key.trim())
                    } else {
                        None
                    }
                })
                .collect()
        }
        let french = outline(FR);
        let mut problems = Vec::new();
        for (lang, source) in TRANSLATIONS {
            let theirs = outline(source);
            if let Some(i) =
                (0..french.len().max(theirs.len())).find(|&i| french.get(i) != theirs.get(i))
            {
                problems.push(format!(
                    "src/i18n/{}.toml: entry {} is {:?} where src/i18n/fr.toml has {:?}",
                    lang.code(),
                    i + 1,
                    theirs.get(i),
                    french.get(i)
                ));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_language_keeps_the_placeholders() {
        let french = leaves(FR, "fr");
        let mut offenders = Vec::new();
        for (lang, source) in TRANSLATIONS {
            for (path, text) in leaves(source, lang.code()) {
                let Some(original) = french.get(&path) else {
                    continue;
                };
                let (want, got) = (placeholders(original), placeholders(&text));
                if want != got {
                    offenders.push(format!(
                        "src/i18n/{}.toml {path}: {got:?}, French has {want:?}",
                        lang.code()
                    ));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "placeholders differ from src/i18n/fr.toml:\n{}",
            offenders.join("\n")
        );
    }

    #[test]
    fn every_catalog_parses() {
        for lang in Lang::ALL {
            let catalog = catalog(lang);
            assert_eq!(catalog.lang, lang.code(), "{lang:?}");
            let updated = catalog.updated("2026-12");
            assert!(
                updated.as_deref().is_some_and(|u| u.contains("2026")),
                "{lang:?}: {updated:?}"
            );
        }
    }

    /// A cheap guard against a value left in French: once its placeholders are removed, a
    /// value with letters has letters of its language's script.
    #[test]
    fn arabic_and_ukrainian_values_are_written_in_their_script() {
        // `lang` is the language's code, the same Latin letters in every script.
        const EXCEPTIONS: [&str; 1] = ["lang"];
        // The Unicode blocks "Arabic" and "Cyrillic".
        let scripts = [
            (Lang::Ar, AR, '\u{0600}'..='\u{06FF}'),
            (Lang::Uk, UK, '\u{0400}'..='\u{04FF}'),
        ];
        let mut offenders = Vec::new();
        for (lang, source, script) in scripts {
            for (path, text) in leaves(source, lang.code()) {
                let mut words = text.clone();
                for name in placeholders(&text) {
                    words = words.replace(&format!("{{{name}}}"), "");
                }
                if EXCEPTIONS.contains(&path.as_str()) || !words.chars().any(char::is_alphabetic) {
                    continue;
                }
                if !words.chars().any(|c| script.contains(&c)) {
                    offenders.push(format!("src/i18n/{}.toml {path}: {text:?}", lang.code()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "values not translated:\n{}",
            offenders.join("\n")
        );
    }

    /// English shares the Latin script with French, so its guard against a value left in
    /// French is that no value equals the French one, but for words the two languages share.
    #[test]
    fn english_values_are_not_french_copies() {
        // The same word or phrase in both languages.
        const SAME_IN_BOTH: [&str; 10] = [
            "duration_minutes",
            "footer_admin",
            "admin.home_heading",
            "admin.role_admin",
            "admin.usb_line",
            "admin.ws_minutes",
            "forms.questions_count",
            "forms.signature",
            "forms.type_date",
            // Only placeholders: "2 December 2026" reads in the same order.
            "dates.day",
        ];
        let french = leaves(FR, "fr");
        let copies: Vec<String> = leaves(EN, "en")
            .into_iter()
            .filter(|(path, text)| {
                path != "lang"
                    && !SAME_IN_BOTH.contains(&path.as_str())
                    && french.get(path) == Some(text)
            })
            .map(|(path, _)| path)
            .collect();
        assert!(
            copies.is_empty(),
            "src/i18n/en.toml has these values in French: {copies:?}"
        );
    }

    #[test]
    fn fill_replaces_every_placeholder() {
        assert_eq!(
            fill("Étape {n} sur {total}", &[("n", "2"), ("total", "5")]),
            "Étape 2 sur 5"
        );
        assert_eq!(fill("sans", &[("n", "1")]), "sans");
    }
}
