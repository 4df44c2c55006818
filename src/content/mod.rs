//! The content model (themes, tutorials, workshops, practice forms), read from a pack's
//! source files: `pack.toml`, `themes/*.md`, `tutorials/*.md`, `workshops/*.md`,
//! `forms/*.md` and `images/*`.
//! Everything is parsed and rendered here, once; nothing downstream parses Markdown.

pub mod dir;
pub mod falc;
pub mod fragment;
pub mod frontmatter;
pub mod glossary;
pub mod markdown;
pub mod media;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use markdown::{Mode, Resolver};

/// Something to fix in a source file, with its line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub message: String,
}

/// A source file that cannot be used, and why. Displays as `path:line : reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ContentError {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "`{}:{}` : {}", self.path, line, self.message),
            None => write!(f, "`{}` : {}", self.path, self.message),
        }
    }
}

impl ContentError {
    pub(crate) fn new(path: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        ContentError {
            path: path.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Where a pack's source files come from: a folder, a zip, or the binary itself.
pub trait Source {
    /// Every file, as a relative path with `/` separators.
    fn paths(&self) -> Vec<String>;
    fn read(&self, path: &str) -> std::io::Result<Cow<'_, [u8]>>;
    /// The file as a reader, for files too big to hold whole (media).
    fn open(&self, path: &str) -> std::io::Result<Box<dyn std::io::Read + '_>> {
        Ok(Box::new(std::io::Cursor::new(self.read(path)?)))
    }
    /// The file's size in bytes.
    fn size(&self, path: &str) -> std::io::Result<u64> {
        Ok(self.read(path)?.len() as u64)
    }
}

/// `pack.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    pub id: String,
    pub version: semver::Version,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub license: String,
    /// `YYYY-MM-DD`: goes into the manifest (a build never reads the clock).
    #[serde(default)]
    pub created: Option<String>,
    /// The oldest kit version that can show this pack.
    #[serde(default)]
    pub min_kit_version: Option<semver::Version>,
    /// Abbreviations the FALC linter accepts in this pack without explanation.
    #[serde(default)]
    pub abbreviations: Vec<String>,
    /// Largest media file (MB) before `pack check` warns (default 200).
    #[serde(default)]
    pub media_max_mb: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debutant,
    Moyen,
    Avance,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debutant => "debutant",
            Level::Moyen => "moyen",
            Level::Avance => "avance",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFront {
    title: String,
    summary: String,
    #[serde(default)]
    order: i64,
    icon: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TutorialFront {
    title: String,
    theme: String,
    level: Level,
    duration: u32,
    summary: String,
    #[serde(default)]
    keywords: Vec<String>,
    /// When the steps were last checked against real phones: `YYYY-MM`.
    #[serde(default)]
    updated: Option<String>,
    /// Glossary words never linked in this tutorial (see `glossary`).
    #[serde(default)]
    glossary_skip: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkshopFront {
    title: String,
    theme: String,
    level: Level,
    duration: u32,
    summary: String,
    #[serde(flatten)]
    details: WorkshopDetails,
}

/// A workshop's structured details, stored as JSON beside its rendered notes.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkshopDetails {
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub objectives: Vec<String>,
    #[serde(default)]
    pub materials: Vec<String>,
    #[serde(default)]
    pub tutorials: Vec<String>,
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// When the sheet was last checked: `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The printable handouts its notes link to (found at install, never written by hand).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handouts: Vec<markdown::Handout>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub title: String,
    pub duration: u32,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub order: i64,
    pub icon_url: Option<String>,
    pub intro: markdown::Section,
}

#[derive(Debug, Clone)]
pub struct Tutorial {
    pub slug: String,
    pub title: String,
    pub theme: String,
    pub level: Level,
    pub duration: u32,
    pub summary: String,
    pub keywords: Vec<String>,
    pub intro: markdown::Section,
    pub steps: Vec<markdown::Section>,
    /// `YYYY-MM`, checked.
    pub updated: Option<String>,
    pub glossary_skip: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Workshop {
    pub slug: String,
    pub title: String,
    pub theme: String,
    pub level: Level,
    pub duration: u32,
    pub summary: String,
    pub details: WorkshopDetails,
    pub notes: markdown::Section,
}

/// A practice form: its definition (front matter) and what it is for (its Markdown).
#[derive(Debug, Clone)]
pub struct Form {
    pub slug: String,
    pub def: crate::forms::FormDef,
    pub purpose: markdown::Section,
}

/// A whole pack, parsed and rendered, ready to install.
#[derive(Debug)]
pub struct LoadedPack {
    pub meta: PackMeta,
    pub themes: Vec<Theme>,
    pub tutorials: Vec<Tutorial>,
    pub workshops: Vec<Workshop>,
    pub glossary: Vec<glossary::GlossaryEntry>,
    pub forms: Vec<Form>,
    /// Files served as they are (images), relative to the pack root.
    pub files: Vec<String>,
    /// Problems that do not stop the install (a broken link is shown as plain text).
    pub findings: Vec<(String, Finding)>,
    /// Themes, tutorials and workshops in the pack's other languages (`slug.ar.md`).
    pub translations: Vec<Translation>,
}

/// One item in another language than the pack's first: its texts over the original's
/// settings (theme, level, duration, icon… are the original's).
#[derive(Debug, Clone)]
pub struct Translation {
    pub lang: String,
    pub item: Translated,
}

#[derive(Debug, Clone)]
pub enum Translated {
    Theme(Theme),
    Tutorial(Tutorial),
    Workshop(Workshop),
}

impl Translated {
    /// The kind and slug of the original item.
    pub fn key(&self) -> (&'static str, &str) {
        match self {
            Translated::Theme(t) => ("theme", &t.slug),
            Translated::Tutorial(t) => ("tutorial", &t.slug),
            Translated::Workshop(w) => ("workshop", &w.slug),
        }
    }
}

/// The front matter keys a translation may set, per folder: its texts. The rest (theme,
/// level, duration, icon, order, dates, links) is the original's.
const TRANSLATED_KEYS: &[(&str, &[&str])] = &[
    ("themes", &["title", "summary"]),
    ("tutorials", &["title", "summary", "keywords"]),
    (
        "workshops",
        &[
            "title",
            "summary",
            "audience",
            "objectives",
            "materials",
            "activities",
        ],
    ),
];

/// The pack's languages: the first is its original's (French when none is declared).
pub fn pack_languages(meta: &PackMeta) -> (String, Vec<String>) {
    match meta.languages.split_first() {
        Some((first, rest)) => (first.clone(), rest.to_vec()),
        None => ("fr".into(), Vec::new()),
    }
}

/// `(folder, slug, lang)` of a translation file such as `tutorials/wifi.ar.md`.
pub fn translation_of(path: &str) -> Option<(&str, &str, &str)> {
    let (dir, name) = path.rsplit_once('/')?;
    let stem = name.strip_suffix(".md")?;
    let (slug, lang) = stem.rsplit_once('.')?;
    (is_slug(slug) && is_lang_code(lang)).then_some((dir, slug, lang))
}

/// Two or three lowercase ASCII letters (`fr`, `ar`, `uk`).
pub fn is_lang_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

/// The three folders that hold items, and the portal URL prefix of each.
const KINDS: &[(&str, &str)] = &[
    ("themes", "/themes/"),
    ("tutorials", "/tutoriels/"),
    ("workshops", "/ateliers/"),
    ("glossary", glossary::URL_PREFIX),
    ("forms", "/formulaires/"),
];

/// File types a pack may carry besides its Markdown.
pub const ASSET_EXTENSIONS: &[&str] = &["svg", "png", "jpg", "jpeg", "webp", "gif"];

/// `true` for a slug made of lowercase ASCII letters, digits and inner hyphens.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Joins a relative reference onto the folder of the file it was written in, inside the pack
/// root. `None` when it climbs out of the root or is absolute.
pub fn resolve_relative(file_dir: &str, target: &str) -> Option<String> {
    let target = target.split(['#', '?']).next().unwrap_or("");
    if target.is_empty() || target.starts_with('/') || target.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = file_dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

struct PackResolver<'a> {
    file_dir: &'a str,
    items: &'a BTreeSet<String>,
    files: &'a BTreeSet<String>,
    files_url: &'a str,
    /// The size of each media file.
    sizes: &'a BTreeMap<String, u64>,
}

impl Resolver for PackResolver<'_> {
    fn link(&self, target: &str) -> Result<String, String> {
        let fragment = target.find('#').map(|i| &target[i..]).unwrap_or("");
        let path = resolve_relative(self.file_dir, target)
            .ok_or_else(|| format!("lien `{target}` : chemin hors du pack"))?;
        if self.items.contains(&path) {
            let (dir, file) = path.split_once('/').unwrap_or(("", &path));
            let slug = file.strip_suffix(".md").unwrap_or(file);
            let prefix = KINDS.iter().find(|(d, _)| *d == dir).map(|(_, p)| *p);
            if let Some(prefix) = prefix {
                return Ok(format!("{prefix}{slug}{fragment}"));
            }
        }
        if self.files.contains(&path) {
            return Ok(format!("{}{path}", self.files_url));
        }
        Err(format!(
            "lien `{target}` : aucun fichier `{path}` dans le paquet"
        ))
    }

    fn image(&self, target: &str) -> Result<String, String> {
        match resolve_relative(self.file_dir, target) {
            Some(path) if self.files.contains(&path) => Ok(format!("{}{path}", self.files_url)),
            Some(path) => Err(format!(
                "image `{target}` : aucun fichier `{path}` dans le paquet"
            )),
            None => Err(format!("image `{target}` : chemin hors du pack")),
        }
    }

    fn media(&self, target: &str) -> Option<markdown::MediaRef> {
        let path = resolve_relative(self.file_dir, target)?;
        let size = *self.sizes.get(&path)?;
        let kind = media::kind_of(&path)?;
        let has = |p: &str| self.files.contains(p);
        let url = |p: String| format!("{}{p}", self.files_url);
        Some(markdown::MediaRef {
            kind,
            url: url(path.clone()),
            format: media::format_label(&path),
            size,
            poster: media::poster_of(&path, has).map(url),
            subtitles: media::subtitles_of(&path, has).map(url),
        })
    }
}

fn read_text(source: &dyn Source, path: &str) -> Result<String, ContentError> {
    let bytes = source.read(path).map_err(|e| {
        ContentError::new(
            path,
            None,
            format!("lecture impossible : {}", crate::i18n::io_error(&e)),
        )
    })?;
    String::from_utf8(bytes.into_owned())
        .map_err(|_| ContentError::new(path, None, "le texte n'est pas en UTF-8"))
}

fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &str,
    text: &str,
    first_line: usize,
) -> Result<T, ContentError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| first_line + frontmatter::line_of(text, s.start) - 1);
        ContentError::new(path, line, in_french(e.message()))
    })
}

/// The settings parser's usual messages, in the admin's language; others as they are.
fn in_french(message: &str) -> String {
    let patterns: &[(&str, &str, &str)] = &[
        (
            "unknown variant ",
            ", expected one of ",
            "valeur {0} inconnue ; valeurs possibles : {1}",
        ),
        (
            "unknown variant ",
            ", expected ",
            "valeur {0} inconnue ; valeur possible : {1}",
        ),
        (
            "unknown field ",
            ", expected one of ",
            "réglage {0} inconnu ; réglages possibles : {1}",
        ),
        (
            "unknown field ",
            ", expected ",
            "réglage {0} inconnu ; réglage possible : {1}",
        ),
        ("unknown field ", "", "réglage {0} inconnu"),
        ("missing field ", "", "réglage {0} manquant"),
        (
            "invalid type: ",
            ", expected ",
            "type invalide : {0} au lieu de {1}",
        ),
    ];
    for (start, middle, french) in patterns {
        let Some(rest) = message.strip_prefix(start) else {
            continue;
        };
        let (a, b) = if middle.is_empty() {
            (rest, "")
        } else if let Some(split) = rest.split_once(middle) {
            split
        } else {
            continue;
        };
        return french.replace("{0}", a.trim()).replace("{1}", b.trim());
    }
    message.to_owned()
}

/// Every problem that stops a pack from loading, in file order (never empty), and the
/// lesser problems (broken links) found on the way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadErrors {
    pub errors: Vec<ContentError>,
    pub findings: Vec<(String, Finding)>,
}

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str(" ; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl From<ContentError> for LoadErrors {
    fn from(error: ContentError) -> Self {
        LoadErrors {
            errors: vec![error],
            findings: Vec::new(),
        }
    }
}

/// Reads, checks and renders a whole pack. `files_url` is where its files will be served
/// (e.g. `/contenus/starter/1.0.0/`). Every file is looked at, so that an author sees all
/// the problems at once.
pub fn load(source: &dyn Source, files_url_base: &str) -> Result<LoadedPack, LoadErrors> {
    let meta_text = read_text(source, "pack.toml")?;
    let meta: PackMeta = parse_toml("pack.toml", &meta_text, 1)?;
    if !is_slug(&meta.id) {
        return Err(ContentError::new(
            "pack.toml",
            None,
            format!(
                "identifiant `{}` invalide : lettres minuscules, chiffres et tirets seulement",
                meta.id
            ),
        )
        .into());
    }
    let files_url = format!("{files_url_base}{}/{}/", meta.id, meta.version);

    let mut errors = Vec::new();
    errors.extend(language_errors(&meta));
    let mut paths = source.paths();
    paths.sort();
    let mut translations = Vec::new();
    let (original_lang, other_langs) = pack_languages(&meta);
    let mut items = BTreeSet::new();
    let mut files = BTreeSet::new();
    let mut sizes = BTreeMap::new();
    for path in &paths {
        if path == "pack.toml" {
            continue;
        }
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("md") if KINDS.iter().any(|(d, _)| *d == dir) => {
                let slug = name.strip_suffix(".md").unwrap_or(name);
                let translation = translation_of(path).map(|(_, _, lang)| lang);
                if translation.is_some_and(|l| other_langs.iter().any(|o| o == l)) {
                    translations.push(path.clone());
                } else if let Some(lang) = translation.filter(|l| *l == original_lang) {
                    errors.push(ContentError::new(
                        path,
                        None,
                        format!(
                            "nom de fichier invalide : `{lang}` est la langue des originaux \
                             (la première de `languages`) ; enlevez `.{lang}` du nom"
                        ),
                    ));
                } else if let Some(lang) = translation {
                    errors.push(ContentError::new(
                        path,
                        None,
                        format!(
                            "nom de fichier invalide : lettres minuscules, chiffres et tirets \
                             seulement ; si c'est une traduction, déclarez sa langue dans \
                             pack.toml (`languages = [\"{original_lang}\", \"{lang}\"]`)"
                        ),
                    ));
                } else if is_slug(slug) {
                    items.insert(path.clone());
                } else {
                    errors.push(ContentError::new(
                        path,
                        None,
                        "nom de fichier invalide : lettres minuscules, chiffres et tirets seulement",
                    ));
                }
            }
            Some("md") if dir.is_empty() => {} // a README for authors
            Some(e) if ASSET_EXTENSIONS.contains(&e) => {
                files.insert(path.clone());
            }
            Some(e) if media::EXTENSIONS.contains(&e) => match load_media(source, path) {
                Ok(size) => {
                    files.insert(path.clone());
                    sizes.insert(path.clone(), size);
                }
                Err(error) => errors.push(error),
            },
            _ => errors.push(ContentError::new(
                path,
                None,
                format!(
                    "fichier inattendu : les textes vont dans themes/, tutorials/, \
                     workshops/, forms/ ou glossary/ (.md), les images sont en {}, les médias \
                     dans {}/ ({})",
                    ASSET_EXTENSIONS.join(", "),
                    media::FOLDER,
                    media::EXTENSIONS.join(", ")
                ),
            )),
        }
    }

    let mut pack = LoadedPack {
        meta,
        themes: Vec::new(),
        tutorials: Vec::new(),
        workshops: Vec::new(),
        glossary: Vec::new(),
        forms: Vec::new(),
        files: files.iter().cloned().collect(),
        findings: Vec::new(),
        translations: Vec::new(),
    };
    let resolver_parts = (&items, &files, files_url.as_str(), &sizes);
    for path in &items {
        let loaded = read_text(source, path)
            .and_then(|text| load_item(&mut pack, path, &text, resolver_parts));
        if let Err(error) = loaded {
            errors.push(error);
        }
    }
    for path in &translations {
        if let Err(error) = load_translation(&mut pack, source, path, resolver_parts) {
            errors.push(error);
        }
    }
    errors.extend(missing_translations(&pack));
    errors.extend(duplicate_glossary_words(&pack.glossary));
    if errors.is_empty() {
        Ok(pack)
    } else {
        Err(LoadErrors {
            errors,
            findings: pack.findings,
        })
    }
}

/// What links and images in a file are resolved against: the pack's items, its files, the
/// URL of its files, and the size of each media file.
type ResolverParts<'a> = (
    &'a BTreeSet<String>,
    &'a BTreeSet<String>,
    &'a str,
    &'a BTreeMap<String, u64>,
);

/// A media file: in `media/`, and what its extension says (see `media::check`). Its size.
fn load_media(source: &dyn Source, path: &str) -> Result<u64, ContentError> {
    let folder = path.split('/').next().unwrap_or("");
    if folder != media::FOLDER || !path.contains('/') {
        return Err(ContentError::new(
            path,
            None,
            format!(
                "les vidéos, sons, sous-titres et fiches PDF vont dans le dossier `{}/`",
                media::FOLDER
            ),
        ));
    }
    let io = |e: std::io::Error| {
        ContentError::new(
            path,
            None,
            format!("lecture impossible : {}", crate::i18n::io_error(&e)),
        )
    };
    let size = source.size(path).map_err(io)?;
    let reader = source.open(path).map_err(io)?;
    media::check(path, reader).map_err(|message| ContentError::new(path, None, message))?;
    Ok(size)
}

/// `languages` in pack.toml: language codes, each once.
fn language_errors(meta: &PackMeta) -> Vec<ContentError> {
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    for code in &meta.languages {
        if !is_lang_code(code) {
            errors.push(ContentError::new(
                "pack.toml",
                None,
                format!(
                    "langue `{code}` invalide dans `languages` : un code de 2 ou 3 lettres \
                     minuscules, par exemple \"fr\", \"ar\", \"uk\""
                ),
            ));
        } else if !seen.insert(code) {
            errors.push(ContentError::new(
                "pack.toml",
                None,
                format!("langue `{code}` en double dans `languages`"),
            ));
        }
    }
    errors
}

/// Loads `dir/slug.lang.md`: its texts over the original's settings, rendered like the
/// original (same links, same images), into `pack.translations`.
fn load_translation(
    pack: &mut LoadedPack,
    source: &dyn Source,
    path: &str,
    parts: ResolverParts<'_>,
) -> Result<(), ContentError> {
    let Some((dir, slug, lang)) = translation_of(path) else {
        return Ok(());
    };
    let error = |message: String| ContentError::new(path, None, message);
    let Some(allowed) = TRANSLATED_KEYS
        .iter()
        .find(|(d, _)| *d == dir)
        .map(|(_, keys)| *keys)
    else {
        return Err(error(format!(
            "les traductions sont possibles pour les thèmes, les tutoriels et les ateliers ; \
             pas encore pour `{dir}/`"
        )));
    };
    let original_path = format!("{dir}/{slug}.md");
    if !parts.0.contains(&original_path) {
        return Err(error(format!(
            "traduction sans original : `{original_path}` n'existe pas"
        )));
    }
    let text = read_text(source, path)?;
    let split =
        frontmatter::split(&text).map_err(|e| ContentError::new(path, Some(1), e.to_string()))?;
    let texts: toml::Table = parse_toml(path, split.toml, split.toml_line)?;
    if let Some(key) = texts.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ContentError::new(
            path,
            Some(split.toml_line),
            format!(
                "`{key}` se règle dans l'original `{original_path}` ; une traduction donne \
                 seulement ses textes : {}",
                allowed.join(", ")
            ),
        ));
    }
    let original_text = read_text(source, &original_path)?;
    let original = frontmatter::split(&original_text)
        .map_err(|e| ContentError::new(&original_path, Some(1), e.to_string()))?;
    let mut merged: toml::Table = parse_toml(&original_path, original.toml, original.toml_line)?;
    merged.extend(texts);
    let mut front = toml::to_string(&merged).map_err(|e| error(e.to_string()))?;
    // Blank lines so that the body starts on the same line as in the translation: an
    // error in it is reported where the author sees it.
    let used = front.lines().count() + 2;
    for _ in used..split.body_line.max(used) {
        front.push('\n');
    }
    let text = format!("+++\n{front}+++\n{}", split.body);
    let mut scratch = LoadedPack {
        meta: pack.meta.clone(),
        themes: Vec::new(),
        tutorials: Vec::new(),
        workshops: Vec::new(),
        glossary: Vec::new(),
        forms: Vec::new(),
        files: Vec::new(),
        findings: Vec::new(),
        translations: Vec::new(),
    };
    load_item(&mut scratch, &format!("{dir}/{slug}.md"), &text, parts).map_err(|e| {
        ContentError {
            path: path.to_owned(),
            ..e
        }
    })?;
    pack.findings.extend(
        scratch
            .findings
            .into_iter()
            .map(|(_, finding)| (path.to_owned(), finding)),
    );
    let item = if let Some(theme) = scratch.themes.pop() {
        Translated::Theme(theme)
    } else if let Some(tutorial) = scratch.tutorials.pop() {
        let steps = pack
            .tutorials
            .iter()
            .find(|t| t.slug == slug)
            .map_or(0, |t| t.steps.len());
        if tutorial.steps.len() != steps {
            return Err(error(format!(
                "la traduction a {} étape(s), l'original `{original_path}` en a {steps} : \
                 traduisez chaque étape, une pour une",
                tutorial.steps.len()
            )));
        }
        Translated::Tutorial(tutorial)
    } else if let Some(workshop) = scratch.workshops.pop() {
        Translated::Workshop(workshop)
    } else {
        return Ok(());
    };
    pack.translations.push(Translation {
        lang: lang.to_owned(),
        item,
    });
    Ok(())
}

/// A language declared in pack.toml needs a translation of every theme, tutorial and
/// workshop: one error per language, listing what is missing.
fn missing_translations(pack: &LoadedPack) -> Vec<ContentError> {
    let (_, others) = pack_languages(&pack.meta);
    let mut errors = Vec::new();
    for lang in &others {
        let have: BTreeSet<(&str, &str)> = pack
            .translations
            .iter()
            .filter(|t| &t.lang == lang)
            .map(|t| t.item.key())
            .collect();
        let needed = (pack.themes.iter().map(|t| ("theme", "themes", &t.slug)))
            .chain(
                pack.tutorials
                    .iter()
                    .map(|t| ("tutorial", "tutorials", &t.slug)),
            )
            .chain(
                pack.workshops
                    .iter()
                    .map(|w| ("workshop", "workshops", &w.slug)),
            );
        let missing: Vec<String> = needed
            .filter(|(kind, _, slug)| !have.contains(&(*kind, slug.as_str())))
            .map(|(_, dir, slug)| format!("{dir}/{slug}.{lang}.md"))
            .collect();
        if !missing.is_empty() {
            errors.push(ContentError::new(
                "pack.toml",
                None,
                format!(
                    "la langue `{lang}` est déclarée dans `languages`, mais {} texte(s) n'ont pas \
                     de traduction ; fichiers manquants : {}",
                    missing.len(),
                    missing.join(", ")
                ),
            ));
        }
    }
    errors
}

/// Parses and renders one theme, tutorial or workshop file (`text`, read from `path`) into
/// `pack`.
fn load_item(
    pack: &mut LoadedPack,
    path: &str,
    text: &str,
    (items, files, files_url, sizes): ResolverParts<'_>,
) -> Result<(), ContentError> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let slug = name.strip_suffix(".md").unwrap_or(name).to_owned();
    let split =
        frontmatter::split(text).map_err(|e| ContentError::new(path, Some(1), e.to_string()))?;
    let resolver = PackResolver {
        file_dir: dir,
        items,
        files,
        files_url,
        sizes,
    };
    let mode = if dir == "tutorials" {
        Mode::Steps
    } else {
        Mode::Flow
    };
    let rendered = markdown::render(split.body, split.body_line, mode, &resolver);
    pack.findings.extend(
        rendered
            .findings
            .iter()
            .map(|f| (path.to_owned(), f.clone())),
    );
    match dir {
        "themes" => {
            let front: ThemeFront = parse_toml(path, split.toml, split.toml_line)?;
            let icon_url =
                match front.icon.as_deref() {
                    Some(icon) => Some(resolver.image(icon).map_err(|message| {
                        ContentError::new(path, Some(split.toml_line), message)
                    })?),
                    None => None,
                };
            pack.themes.push(Theme {
                slug,
                title: front.title,
                summary: front.summary,
                order: front.order,
                icon_url,
                intro: rendered.intro,
            });
        }
        "glossary" => {
            let front: glossary::GlossaryFront = parse_toml(path, split.toml, split.toml_line)?;
            if rendered.intro.plain.is_empty() {
                return Err(ContentError::new(
                    path,
                    Some(split.body_line),
                    "une fiche du glossaire explique son mot : écrivez le texte sous les réglages",
                ));
            }
            let entry = glossary::GlossaryEntry::new(slug, front, rendered.intro);
            pack.glossary.push(entry);
        }
        "tutorials" => {
            let front: TutorialFront = parse_toml(path, split.toml, split.toml_line)?;
            let updated = checked_updated(path, split.toml, split.toml_line, front.updated)?;
            if rendered.steps.is_empty() {
                return Err(ContentError::new(
                    path,
                    Some(split.body_line),
                    "un tutoriel a au moins une étape : un titre `## …` suivi de son texte",
                ));
            }
            pack.tutorials.push(Tutorial {
                slug,
                title: front.title,
                theme: front.theme,
                level: front.level,
                duration: front.duration,
                summary: front.summary,
                keywords: front.keywords,
                intro: rendered.intro,
                steps: rendered.steps,
                updated,
                glossary_skip: front.glossary_skip,
            });
        }
        "forms" => {
            let form = load_form(path, slug, &split, &resolver, rendered.intro)?;
            pack.forms.push(form);
        }
        _ => {
            let mut front: WorkshopFront = parse_toml(path, split.toml, split.toml_line)?;
            front.details.updated =
                checked_updated(path, split.toml, split.toml_line, front.details.updated)?;
            front.details.handouts = rendered.handouts;
            pack.workshops.push(Workshop {
                slug,
                title: front.title,
                theme: front.theme,
                level: front.level,
                duration: front.duration,
                summary: front.summary,
                details: front.details,
                notes: rendered.intro,
            });
        }
    }
    Ok(())
}

/// An `updated` date: `YYYY-MM` with a real month, reported on its line.
fn checked_updated(
    path: &str,
    toml: &str,
    toml_line: usize,
    updated: Option<String>,
) -> Result<Option<String>, ContentError> {
    let Some(value) = updated else {
        return Ok(None);
    };
    if year_month(&value).is_some() {
        return Ok(Some(value));
    }
    let line = toml
        .lines()
        .position(|l| l.trim_start().starts_with("updated"))
        .map(|i| toml_line + i);
    Err(ContentError::new(
        path,
        line,
        format!("date `{value}` invalide : écrivez l'année et le mois, par exemple `2026-12`"),
    ))
}

/// `"2026-12"` → `(2026, 12)`; `None` unless 4 digits, `-`, 2 digits, month 1 to 12.
pub fn year_month(value: &str) -> Option<(u32, u32)> {
    let (year, month) = value.split_once('-')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) {
        return None;
    }
    let month: u32 = month.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then_some((year.parse().ok()?, month))
}

/// Two glossary entries may not explain the same word (nor share a variant): the linker
/// could not tell which one a mention leads to.
fn duplicate_glossary_words(entries: &[glossary::GlossaryEntry]) -> Vec<ContentError> {
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for entry in entries {
        for form in entry.forms() {
            let folded = glossary::fold(form.trim());
            match seen.get(folded.as_str()) {
                Some(other) if *other != entry.slug => errors.push(ContentError::new(
                    &format!("glossary/{}.md", entry.slug),
                    None,
                    format!(
                        "le mot « {form} » est déjà expliqué dans `glossary/{other}.md` : \
                         gardez-le dans une seule fiche"
                    ),
                )),
                _ => {
                    seen.insert(folded, &entry.slug);
                }
            }
        }
    }
    errors
}

/// Reads a form's definition, resolves its papers' pictograms and checks it whole.
fn load_form(
    path: &str,
    slug: String,
    split: &frontmatter::Split<'_>,
    resolver: &PackResolver<'_>,
    purpose: markdown::Section,
) -> Result<Form, ContentError> {
    let mut def: crate::forms::FormDef = parse_toml(path, split.toml, split.toml_line)?;
    for paper in &mut def.papers {
        if let Some(icon) = &paper.icon {
            let url = resolver
                .image(icon)
                .map_err(|message| ContentError::new(path, Some(split.toml_line), message))?;
            paper.icon = Some(url);
        }
    }
    let errors = def.check();
    if let Some(first) = errors.first() {
        // The line of the first field in trouble, where it can be found.
        let line = first.field.as_ref().and_then(|id| {
            let needle = format!("id = \"{id}\"");
            split
                .toml
                .lines()
                .position(|l| l.trim() == needle)
                .map(|i| split.toml_line + i)
        });
        let all: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        return Err(ContentError::new(
            path,
            line.or(Some(split.toml_line)),
            all.join(" ; "),
        ));
    }
    Ok(Form { slug, def, purpose })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A pack held in memory, for parser tests.
    struct Files(BTreeMap<&'static str, &'static str>);
    impl Source for Files {
        fn paths(&self) -> Vec<String> {
            self.0.keys().map(|k| k.to_string()).collect()
        }
        fn read(&self, path: &str) -> std::io::Result<Cow<'_, [u8]>> {
            self.0
                .get(path)
                .map(|t| Cow::Borrowed(t.as_bytes()))
                .ok_or_else(|| std::io::ErrorKind::NotFound.into())
        }
    }

    const PACK: &str = "id = \"p\"\nversion = \"1.2.0\"\ntitle = \"P\"\n";

    fn files(extra: &[(&'static str, &'static str)]) -> Files {
        let mut map = BTreeMap::from([("pack.toml", PACK)]);
        map.extend(extra.iter().copied());
        Files(map)
    }

    #[test]
    fn settings_messages_are_put_in_french() {
        let cases = [
            (
                "unknown variant `facile`, expected one of `debutant`, `moyen`, `avance`",
                "valeur `facile` inconnue ; valeurs possibles : `debutant`, `moyen`, `avance`",
            ),
            (
                "unknown field `titre`, expected one of `title`, `summary`",
                "réglage `titre` inconnu ; réglages possibles : `title`, `summary`",
            ),
            ("missing field `theme`", "réglage `theme` manquant"),
            ("unknown field `duree`", "réglage `duree` inconnu"),
            (
                "invalid type: string \"cinq\", expected u32",
                "type invalide : string \"cinq\" au lieu de u32",
            ),
            ("something else", "something else"),
        ];
        for (english, french) in cases {
            assert_eq!(in_french(english), french);
        }
    }

    #[test]
    fn slugs_are_lowercase_ascii_words() {
        for ok in ["a", "mot-de-passe", "e-mail-2"] {
            assert!(is_slug(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Mot",
            "é",
            "a b",
            "a/b",
            "..",
            &"a".repeat(81),
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
    }

    #[test]
    fn relative_paths_stay_inside_the_pack() {
        let cases = [
            ("tutorials", "../images/a.svg", Some("images/a.svg")),
            ("tutorials", "b.md", Some("tutorials/b.md")),
            ("tutorials", "./b.md#x", Some("tutorials/b.md")),
            ("tutorials", "../../etc/passwd", None),
            ("", "../a", None),
            ("tutorials", "/etc/passwd", None),
            ("tutorials", "..\\a", None),
        ];
        for (dir, target, want) in cases {
            assert_eq!(
                resolve_relative(dir, target).as_deref(),
                want,
                "{dir} {target}"
            );
        }
    }

    #[test]
    fn loads_a_small_pack_with_links_between_items() {
        let pack = files(&[
            ("themes/securite.md", "+++\ntitle = \"Sécurité\"\nsummary = \"S\"\norder = 2\nicon = \"../images/i.svg\"\n+++\nIntro.\n"),
            ("images/i.svg", "<svg/>"),
            ("tutorials/a.md", "+++\ntitle = \"A\"\ntheme = \"securite\"\nlevel = \"debutant\"\nduration = 5\nsummary = \"s\"\n+++\nVoir [B](b.md#fin).\n\n## Un\nTexte.\n"),
            ("tutorials/b.md", "+++\ntitle = \"B\"\ntheme = \"securite\"\nlevel = \"moyen\"\nduration = 5\nsummary = \"s\"\n+++\n## Un\n![x](../images/i.svg)\n"),
            ("workshops/w.md", "+++\ntitle = \"W\"\ntheme = \"securite\"\nlevel = \"avance\"\nduration = 60\nsummary = \"s\"\nobjectives = [\"o\"]\ntutorials = [\"a\"]\n[[activities]]\ntitle = \"Accueil\"\nduration = 60\n+++\nNotes.\n"),
        ]);
        let loaded = load(&pack, "/contenus/").unwrap();
        assert_eq!(loaded.meta.version.to_string(), "1.2.0");
        assert_eq!(
            loaded.themes[0].icon_url.as_deref(),
            Some("/contenus/p/1.2.0/images/i.svg")
        );
        assert!(loaded.tutorials[0]
            .intro
            .html
            .contains(r#"href="/tutoriels/b#fin""#));
        assert!(loaded.tutorials[1].steps[0]
            .html
            .contains("/contenus/p/1.2.0/images/i.svg"));
        assert_eq!(loaded.workshops[0].details.activities[0].title, "Accueil");
        assert_eq!(loaded.files, ["images/i.svg"]);
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
    }

    #[test]
    fn load_refuses_double_md_extension_that_would_share_a_slug() {
        // `a.md.md` used to become the slug `a` (the suffix was trimmed repeatedly): beside
        // `a.md` that made two tutorials with one slug, and the install failed in SQLite.
        let tutorial = "+++\ntitle = \"A\"\ntheme = \"t\"\nlevel = \"moyen\"\nduration = 5\nsummary = \"s\"\n+++\n## x\n";
        for extra in [
            &[("tutorials/a.md.md", tutorial)][..],
            &[
                ("tutorials/a.md", tutorial),
                ("tutorials/a.md.md", tutorial),
            ],
        ] {
            let err = load(&files(extra), "/c/").unwrap_err().to_string();
            assert!(
                err.starts_with("`tutorials/a.md.md` : nom de fichier invalide"),
                "{err}"
            );
        }
    }

    #[test]
    fn glossary_entries_load_and_may_not_share_a_word() {
        let entry = |word: &str, variants: &str| {
            format!("+++\nword = \"{word}\"\nvariants = [{variants}]\n+++\nUn mot. Un exemple.\n")
        };
        let (a, b) = (entry("Wi-Fi", "\"wifi\""), entry("Réseau", "\"WIFI\""));
        let pack = files(&[("glossary/wi-fi.md", a.clone().leak())]);
        let loaded = load(&pack, "/c/").unwrap();
        assert_eq!(loaded.glossary[0].word, "Wi-Fi");
        assert_eq!(loaded.glossary[0].summary, "Un mot.");
        let both = files(&[
            ("glossary/wi-fi.md", a.clone().leak()),
            ("glossary/reseau.md", b.clone().leak()),
        ]);
        let err = load(&both, "/c/").unwrap_err().to_string();
        assert!(
            err.contains("« wifi » est déjà expliqué dans `glossary/reseau.md`"),
            "{err}"
        );
        let empty = files(&[("glossary/vide.md", "+++\nword = \"Vide\"\n+++\n")]);
        let err = load(&empty, "/c/").unwrap_err().to_string();
        assert!(
            err.starts_with("`glossary/vide.md:4` : une fiche du glossaire"),
            "{err}"
        );
    }

    #[test]
    fn updated_is_a_year_and_a_month() {
        let tutorial = |updated: &str| {
            format!(
                "+++\ntitle = \"A\"\ntheme = \"t\"\nlevel = \"moyen\"\nduration = 5\n\
                 summary = \"s\"\nupdated = \"{updated}\"\n+++\n## x\n"
            )
        };
        let ok = tutorial("2026-12");
        let loaded = load(&files(&[("tutorials/a.md", ok.clone().leak())]), "/c/").unwrap();
        assert_eq!(loaded.tutorials[0].updated.as_deref(), Some("2026-12"));
        for bad in ["2026-13", "2026-1", "déc. 2026", "2026-12-01"] {
            let text = tutorial(bad);
            let err = load(&files(&[("tutorials/a.md", text.clone().leak())]), "/c/")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("`tutorials/a.md:7` : date `{bad}` invalide")),
                "{err}"
            );
        }
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases: &[(&[(&'static str, &'static str)], &str)] = &[
            (&[("tutorials/a.md", "# no front matter")], "`tutorials/a.md:1` : le fichier doit commencer"),
            (&[("tutorials/a.md", "+++\ntitle = \"A\"\n+++\n## x\n")], "`tutorials/a.md:2` : réglage `theme` manquant"),
            (&[("tutorials/a.md", "+++\ntitle = \"A\"\ntheme = \"t\"\nlevel = \"expert\"\nduration = 5\nsummary = \"s\"\n+++\n## x\n")], "`tutorials/a.md:4` : valeur `expert` inconnue"),
            (&[("tutorials/a.md", "+++\ntitle = \"A\"\ntheme = \"t\"\nlevel = \"moyen\"\nduration = 5\nsummary = \"s\"\nauteur = \"x\"\n+++\n## x\n")], "`tutorials/a.md:7` : réglage `auteur` inconnu"),
            (&[("tutorials/a.md", "+++\ntitle = \"A\"\ntheme = \"t\"\nlevel = \"moyen\"\nduration = 5\nsummary = \"s\"\n+++\nPas d'étape.\n")], "`tutorials/a.md:8` : un tutoriel a au moins une étape"),
            (&[("tutorials/Mot.md", "")], "`tutorials/Mot.md` : nom de fichier invalide"),
            (&[("scripts/x.sh", "")], "`scripts/x.sh` : fichier inattendu"),
            (&[("themes/t.md", "+++\ntitle = \"T\"\nsummary = \"s\"\nicon = \"../images/absent.svg\"\n+++\n")], "`themes/t.md:2` : image `../images/absent.svg`"),
        ];
        for (extra, want) in cases {
            let err = load(&files(extra), "/c/").unwrap_err().to_string();
            assert!(err.starts_with(want), "got {err:?}, want {want:?}");
        }
        // Every broken file is reported, not only the first.
        let two = files(&[
            ("tutorials/a.md", "# no front matter"),
            ("workshops/b.md", "+++\ntitle = \"B\"\n+++\n"),
        ]);
        let err = load(&two, "/c/").unwrap_err();
        let paths: Vec<_> = err.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["tutorials/a.md", "workshops/b.md"]);
        let bad_meta = Files(BTreeMap::from([(
            "pack.toml",
            "id = \"P Q\"\nversion = \"1.0.0\"\ntitle = \"x\"\n",
        )]));
        assert!(load(&bad_meta, "/c/")
            .unwrap_err()
            .to_string()
            .contains("identifiant `P Q` invalide"));
        let bad_version = Files(BTreeMap::from([(
            "pack.toml",
            "id = \"p\"\nversion = \"un\"\ntitle = \"x\"\n",
        )]));
        assert!(load(&bad_version, "/c/")
            .unwrap_err()
            .to_string()
            .starts_with("`pack.toml:2`"));
    }
}
