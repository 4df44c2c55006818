//! Fuzzes content import: arbitrary bytes cut into a small in-memory pack source, loaded as
//! an import does (`content::load`) and, when it loads, checked as `pack check` does; each
//! file also goes through the front matter splitter, the Markdown renderer and the FALC
//! linter directly, so they are reached even when the pack as a whole is refused.
//! Nothing may panic, and rendered HTML may hold only the tags and link targets we emit.
//!
//! Input layout: parts separated by NUL bytes. Parts 0 to 4 are `pack.toml`,
//! `tutorials/x.md`, `themes/y.md`, `workshops/z.md` and `images/i.svg`; any later part is
//! `path\ncontents`. An empty or missing part is a missing file.
#![no_main]

use std::borrow::Cow;
use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use mednum_kit::content::falc::{self, LintOptions};
use mednum_kit::content::markdown::{self, Mode, Resolver};
use mednum_kit::content::{self, frontmatter, Source};
use mednum_kit::packs::check;

const FIXED: [&str; 5] = [
    "pack.toml",
    "tutorials/x.md",
    "themes/y.md",
    "workshops/z.md",
    "images/i.svg",
];

struct Fuzzed(BTreeMap<String, Vec<u8>>);

impl Fuzzed {
    fn new(data: &[u8]) -> Fuzzed {
        let mut files = BTreeMap::new();
        for (i, part) in data.split(|&b| b == 0).enumerate() {
            let (path, bytes) = match FIXED.get(i) {
                Some(_) if part.is_empty() => continue,
                Some(path) => (path.to_string(), part),
                None => {
                    let cut = part.iter().position(|&b| b == b'\n').unwrap_or(part.len());
                    let rest = part.get(cut + 1..).unwrap_or_default();
                    (String::from_utf8_lossy(&part[..cut]).into_owned(), rest)
                }
            };
            files.insert(path, bytes.to_vec());
        }
        Fuzzed(files)
    }
}

impl Source for Fuzzed {
    fn paths(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    fn read(&self, path: &str) -> std::io::Result<Cow<'_, [u8]>> {
        self.0
            .get(path)
            .map(|b| Cow::Borrowed(b.as_slice()))
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }
}

/// Accepts `.md` links and `.svg` images, refuses the rest: both branches get exercised.
struct Half;

impl Resolver for Half {
    fn link(&self, target: &str) -> Result<String, String> {
        match target.ends_with(".md") {
            true => Ok("/tutoriels/lien".into()),
            false => Err(format!("lien `{target}` refusé")),
        }
    }

    fn image(&self, target: &str) -> Result<String, String> {
        match target.ends_with(".svg") {
            true => Ok("/contenus/p/1.0.0/images/i.svg".into()),
            false => Err(format!("image `{target}` refusée")),
        }
    }
}

/// Tags pulldown-cmark emits with tables and strikethrough on. Raw HTML from a pack is shown
/// as text, so any other `<` in the output is an injection.
const TAGS: &str = "p h1 h2 h3 h4 h5 h6 blockquote pre code ol ul li hr br em strong del a img \
                    table thead tbody tr th td";

fn assert_safe_html(html: &str) {
    for (at, _) in html.match_indices('<') {
        // Text has its `<` and `>` escaped, and so do attribute values: a tag ends at `>`.
        let tag = &html[at..html[at..].find('>').map_or(html.len(), |end| at + end + 1)];
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            TAGS.split_whitespace().any(|known| known == name),
            "unexpected markup `{tag}` in {html:?}"
        );
        for attr in ["href=\"", "src=\""] {
            for (at, _) in tag.match_indices(attr) {
                let value = tag[at + attr.len()..].to_ascii_lowercase();
                let allowed = ["/", "#", "http://", "https://", "mailto:", "tel:"];
                assert!(
                    allowed.iter().any(|p| value.starts_with(p)),
                    "unsafe link in `{tag}` in {html:?}"
                );
            }
        }
    }
}

fn render_file(text: &str) {
    let options = LintOptions {
        known_abbreviations: vec!["CAF".into()],
    };
    let _ = falc::lint_text(text.lines().next().unwrap_or_default(), 1, &options);
    let (body, line) = match frontmatter::split(text) {
        Ok(split) => {
            assert!(split.body_line >= split.toml_line);
            (split.body, split.body_line)
        }
        Err(_) => (text, 1),
    };
    for mode in [Mode::Steps, Mode::Flow] {
        let rendered = markdown::render(body, line, mode, &Half);
        for section in std::iter::once(&rendered.intro).chain(&rendered.steps) {
            assert_safe_html(&section.html);
        }
    }
    let _ = falc::lint_markdown(body, line, &options);
}

fn check_slugs<'a>(source: &Fuzzed, dir: &str, slugs: impl Iterator<Item = &'a str>) {
    let mut seen = std::collections::HashSet::new();
    for slug in slugs {
        let path = format!("{dir}/{slug}.md");
        assert!(
            source.0.contains_key(&path),
            "slug `{slug}` but no `{path}`"
        );
        assert!(seen.insert(slug), "two {dir} with the slug `{slug}`");
    }
}

fuzz_target!(|data: &[u8]| {
    let source = Fuzzed::new(data);
    for bytes in source.0.values() {
        if let Ok(text) = std::str::from_utf8(bytes) {
            render_file(text);
        }
    }
    let Ok(pack) = content::load(&source, "/contenus/") else {
        return;
    };
    assert!(content::is_slug(&pack.meta.id));
    for tutorial in &pack.tutorials {
        assert!(!tutorial.steps.is_empty(), "tutorial without a step");
    }
    // An item's slug is its file name without `.md`: two files never share one (the
    // library's (kind, slug) key), and a link by file name finds the item.
    let themes = pack.themes.iter().map(|i| i.slug.as_str());
    check_slugs(&source, "themes", themes);
    check_slugs(
        &source,
        "tutorials",
        pack.tutorials.iter().map(|i| i.slug.as_str()),
    );
    check_slugs(
        &source,
        "workshops",
        pack.workshops.iter().map(|i| i.slug.as_str()),
    );
    let sections = pack
        .tutorials
        .iter()
        .flat_map(|t| std::iter::once(&t.intro).chain(&t.steps))
        .chain(pack.themes.iter().map(|t| &t.intro))
        .chain(pack.workshops.iter().map(|w| &w.notes));
    for section in sections {
        assert_safe_html(&section.html);
    }
    // What `pack check` runs on a pack that loads: load again, then the FALC linter on
    // every file with the pack's own abbreviations. (On a pack that does not load it only
    // reports the load error, so it is skipped then.)
    let _ = check::check_source(&source).render();
});
