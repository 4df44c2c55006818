//! `pack check`: everything an author should fix before publishing, as `file:line` findings:
//! structure (front matter, files), links and images, and the FALC linter.

use std::path::Path;

use anyhow::{Context, Result};

use super::progress::Progress;
use super::starter::Starter;
use super::verify;
use crate::content::dir::DirSource;
use crate::content::falc::{self, LintOptions, Severity};
use crate::content::{self, frontmatter, LoadedPack, Source};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFinding {
    pub file: String,
    pub line: Option<usize>,
    pub severity: Severity,
    pub rule: String,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<CheckFinding>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// One line per finding (`file:line: erreur [rule] message — hint`), then a summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let place = match f.line {
                Some(line) => format!("{}:{line}", f.file),
                None => f.file.clone(),
            };
            let severity = match f.severity {
                Severity::Error => "erreur",
                Severity::Warning => "attention",
            };
            out.push_str(&format!("{place}: {severity} [{}] {}", f.rule, f.message));
            if !f.hint.is_empty() {
                out.push_str(&format!(" — {}", f.hint));
            }
            out.push('\n');
        }
        let warnings = self.findings.len() - self.errors();
        out.push_str(&format!(
            "{} erreur(s), {warnings} remarque(s)\n",
            self.errors()
        ));
        out
    }
}

/// Checks a source folder or a `.kitpack` file.
pub fn check_path(path: &Path) -> Result<Report> {
    if path.is_dir() {
        let source = DirSource::open(path)?;
        return Ok(check_source(&source));
    }
    let mut open = verify::open(path, &|_| false, true)
        .with_context(|| format!("paquet `{}` illisible", path.display()))?;
    let mut report = Report::default();
    if open.manifest.publisher.is_none() {
        report.findings.push(CheckFinding {
            file: path.display().to_string(),
            line: None,
            severity: Severity::Warning,
            rule: "signature".into(),
            message: "paquet non signé".into(),
            hint: "Signez-le avec `pack build --key` : un kit refuse les paquets non signés."
                .into(),
        });
    }
    let temp = std::env::temp_dir().join(format!(
        "mednum-kit-check-{}-{}",
        std::process::id(),
        open.manifest.file_name()
    ));
    let _ = std::fs::remove_dir_all(&temp);
    std::fs::create_dir_all(&temp)?;
    let extracted = open.extract(&temp, &Progress::silent(), false);
    let result = extracted.and_then(|()| Ok(DirSource::open(&temp)?));
    let findings = result.map(|source| check_source(&source).findings);
    let _ = std::fs::remove_dir_all(&temp);
    report.findings.extend(findings?);
    Ok(report)
}

/// Checks every file of a source: all structural problems at once, links and images,
/// references to themes and tutorials, and the FALC rules on every text.
pub fn check_source(source: &dyn Source) -> Report {
    let mut report = Report::default();
    let link_finding = |(file, finding): &(String, content::Finding)| CheckFinding {
        file: file.clone(),
        line: Some(finding.line),
        severity: Severity::Error,
        rule: "lien".into(),
        message: finding.message.clone(),
        hint: "Corrigez le chemin : il part du dossier du fichier.".into(),
    };
    let abbreviations = match content::load(source, super::FILES_URL) {
        Ok(pack) => {
            report
                .findings
                .extend(pack.findings.iter().map(link_finding));
            report.findings.extend(reference_findings(&pack));
            report.findings.extend(updated_findings(&pack));
            report.findings.extend(see_also_findings(&pack));
            let mut known = pack.meta.abbreviations.clone();
            known.extend(glossary_acronyms(&pack));
            known
        }
        Err(errors) => {
            report
                .findings
                .extend(errors.findings.iter().map(link_finding));
            report
                .findings
                .extend(errors.errors.into_iter().map(|e| CheckFinding {
                    file: e.path.clone(),
                    line: e.line,
                    severity: Severity::Error,
                    rule: if content::media::kind_of(&e.path).is_some() {
                        "media".into()
                    } else {
                        "structure".into()
                    },
                    message: e.message,
                    hint: "Voir « Les fichiers d'un paquet » dans docs/pack-format.md.".into(),
                }));
            // The FALC rules still run, with the pack's own abbreviations if readable.
            source
                .read("pack.toml")
                .ok()
                .and_then(|b| {
                    toml::from_str::<content::PackMeta>(&String::from_utf8_lossy(&b)).ok()
                })
                .map(|meta| meta.abbreviations)
                .unwrap_or_default()
        }
    };
    let options = LintOptions {
        known_abbreviations: abbreviations,
    };
    let mut paths = source.paths();
    paths.sort();
    for path in paths
        .iter()
        .filter(|p| p.ends_with(".md") && p.contains('/'))
        // The FALC rules are French ones: a translation is not checked against them.
        .filter(|p| crate::content::translation_of(p).is_none())
    {
        let Ok(bytes) = source.read(path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let Ok(split) = frontmatter::split(&text) else {
            continue;
        };
        let mut findings = Vec::new();
        for (i, line) in split.toml.lines().enumerate() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if matches!(key.trim(), "title" | "summary") {
                let value = value.trim().trim_matches('"');
                findings.extend(falc::lint_text(value, split.toml_line + i, &options));
            }
        }
        if path.starts_with("forms/") {
            findings.extend(form_text_findings(&split, &options));
        }
        findings.extend(falc::lint_markdown(split.body, split.body_line, &options));
        report
            .findings
            .extend(findings.into_iter().map(|f| CheckFinding {
                file: path.clone(),
                line: Some(f.line),
                severity: f.severity,
                rule: f.rule.code().into(),
                message: f.message,
                hint: f.hint,
            }));
    }
    report.findings.extend(media_findings(source));
    report
        .findings
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    report
}

/// The texts of a form that a learner reads besides its title and summary: questions and
/// paper names (`label`), help, messages, procedure, choices. Line by line, as the title
/// and summary are.
fn form_text_findings(
    split: &frontmatter::Split<'_>,
    options: &LintOptions,
) -> Vec<falc::LintFinding> {
    let mut findings = Vec::new();
    for (i, line) in split.toml.lines().enumerate() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if matches!(key.trim(), "label" | "help" | "message" | "procedure") {
            let value = value.trim().trim_matches('"');
            findings.extend(falc::lint_text(value, split.toml_line + i, options));
        }
    }
    findings
}

/// What an author should know about the pack's media, without refusing it: a video or a
/// sound without French subtitles beside it (`clip.vtt`: learners who cannot hear it, or
/// read faster than they listen), a file over the size limit (`media_max_mb` in
/// `pack.toml`, default 200), an MP4 video that is not H.264 (some phones cannot play it).
fn media_findings(source: &dyn Source) -> Vec<CheckFinding> {
    use content::media::{self, Kind};
    let max_mb = source
        .read("pack.toml")
        .ok()
        .and_then(|b| toml::from_str::<content::PackMeta>(&String::from_utf8_lossy(&b)).ok())
        .and_then(|meta| meta.media_max_mb)
        .unwrap_or(media::DEFAULT_MAX_MB);
    let paths = source.paths();
    let has = |p: &str| paths.iter().any(|q| q == p);
    let warning = |file: &str, message: String, hint: &str| CheckFinding {
        file: file.to_owned(),
        line: None,
        severity: Severity::Warning,
        rule: "media".into(),
        message,
        hint: hint.into(),
    };
    let mut findings = Vec::new();
    for path in paths.iter().filter(|p| p.starts_with("media/")) {
        let kind = media::kind_of(path);
        if kind == Some(Kind::Video) && media::subtitles_of(path, has).is_none() {
            findings.push(warning(
                path,
                "vidéo sans sous-titres".into(),
                "Ajoutez les sous-titres en français à côté, au format WebVTT, du même nom \
                 (`clip.vtt` pour `clip.mp4`).",
            ));
        }
        let size = source.size(path).unwrap_or(0);
        if kind.is_some() && size > max_mb * 1_000_000 {
            findings.push(warning(
                path,
                format!(
                    "fichier de {} : plus que la limite de {max_mb} Mo",
                    media::french_size(size)
                ),
                "Réduisez-le (vidéo plus courte ou moins grande), ou changez `media_max_mb` \
                 dans pack.toml.",
            ));
        }
        let is_mp4 = path.to_ascii_lowercase().ends_with(".mp4");
        if is_mp4 && !source.open(path).is_ok_and(media::mp4_is_h264) {
            findings.push(warning(
                path,
                "vidéo MP4 sans H.264 : certains téléphones ne la liront pas".into(),
                "Convertissez-la en H.264 et AAC, par exemple : \
                 `ffmpeg -i clip.mov -c:v libx264 -c:a aac clip.mp4`.",
            ));
        }
    }
    findings
}

/// Themes and tutorials named by this pack's items that neither it nor the starter library
/// has: the items would show without their theme, or the workshop without that tutorial.
fn reference_findings(pack: &LoadedPack) -> Vec<CheckFinding> {
    let starter = content::load(&Starter, super::FILES_URL).ok();
    let has = |kind: &str, slug: &str| {
        let in_pack = |p: &LoadedPack| match kind {
            "theme" => p.themes.iter().any(|t| t.slug == slug),
            _ => p.tutorials.iter().any(|t| t.slug == slug),
        };
        in_pack(pack) || starter.as_ref().is_some_and(in_pack)
    };
    let missing = |file: String, what: &str, slug: &str| CheckFinding {
        file,
        line: None,
        severity: Severity::Warning,
        rule: "reference".into(),
        message: format!(
            "{what} `{slug}` n'existe ni dans ce paquet ni dans la bibliothèque de départ"
        ),
        hint: "Vérifiez l'orthographe, ou ajoutez-le au paquet.".into(),
    };
    let mut findings = Vec::new();
    for t in &pack.tutorials {
        if !has("theme", &t.theme) {
            findings.push(missing(
                format!("tutorials/{}.md", t.slug),
                "le thème",
                &t.theme,
            ));
        }
    }
    for f in &pack.forms {
        if !has("theme", &f.def.theme) {
            findings.push(missing(
                format!("forms/{}.md", f.slug),
                "le thème",
                &f.def.theme,
            ));
        }
    }
    for w in &pack.workshops {
        let file = format!("workshops/{}.md", w.slug);
        if !has("theme", &w.theme) {
            findings.push(missing(file.clone(), "le thème", &w.theme));
        }
        for linked in &w.details.tutorials {
            if !has("tutorial", linked) {
                findings.push(missing(file.clone(), "le tutoriel", linked));
            }
        }
    }
    findings
}

/// Tutorials without an `updated` date: a conseiller cannot tell an old page from a new one.
fn updated_findings(pack: &LoadedPack) -> Vec<CheckFinding> {
    pack.tutorials
        .iter()
        .filter(|t| t.updated.is_none())
        .map(|t| CheckFinding {
            file: format!("tutorials/{}.md", t.slug),
            line: None,
            severity: Severity::Warning,
            rule: "updated".into(),
            message: "tutoriel sans date de mise à jour".into(),
            hint: "Ajoutez `updated = \"AAAA-MM\"` aux réglages, le mois où les étapes ont été \
                   vérifiées sur un téléphone."
                .into(),
        })
        .collect()
}

/// Acronyms the glossary of this pack or of the starter explains ("SMS", "CAF", the "SIM" of
/// "carte SIM"): the kit links their first mention to their page, so the FALC check takes
/// them as explained.
fn glossary_acronyms(pack: &LoadedPack) -> Vec<String> {
    let starter = content::load(&Starter, super::FILES_URL).ok();
    let entries = pack
        .glossary
        .iter()
        .chain(starter.iter().flat_map(|s| s.glossary.iter()));
    let mut acronyms = Vec::new();
    for entry in entries {
        for form in entry.forms() {
            let words = form.split(|c: char| c.is_whitespace() || c == '\'' || c == '’');
            acronyms.extend(
                words
                    .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
                    .filter(|w| !w.chars().any(char::is_lowercase))
                    .map(str::to_owned),
            );
        }
    }
    acronyms
}

/// `see_also` slugs that name no glossary entry of this pack nor of the starter.
fn see_also_findings(pack: &LoadedPack) -> Vec<CheckFinding> {
    let starter = content::load(&Starter, super::FILES_URL).ok();
    let exists = |slug: &str| {
        let in_pack = |p: &LoadedPack| p.glossary.iter().any(|e| e.slug == slug);
        in_pack(pack) || starter.as_ref().is_some_and(in_pack)
    };
    let mut findings = Vec::new();
    for entry in &pack.glossary {
        for slug in entry.see_also.iter().filter(|s| !exists(s)) {
            findings.push(CheckFinding {
                file: format!("glossary/{}.md", entry.slug),
                line: None,
                severity: Severity::Warning,
                rule: "reference".into(),
                message: format!(
                    "la fiche `{slug}` n'existe ni dans ce paquet ni dans la bibliothèque de départ"
                ),
                hint: "Vérifiez l'orthographe dans `see_also`.".into(),
            });
        }
    }
    findings
}
