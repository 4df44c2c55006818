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

/// The French catalog, parsed once.
pub fn fr() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    // The file is compiled in and checked by `the_french_catalog_is_complete`.
    CATALOG.get_or_init(|| toml::from_str(FR).expect("src/i18n/fr.toml is valid"))
}

#[cfg(test)]
mod tests {
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
    fn fill_replaces_every_placeholder() {
        assert_eq!(
            fill("Étape {n} sur {total}", &[("n", "2"), ("total", "5")]),
            "Étape 2 sur 5"
        );
        assert_eq!(fill("sans", &[("n", "1")]), "sans");
    }
}
