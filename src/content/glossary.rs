//! The glossary ("C'est quoi ?"): one short page per everyday digital word, and the linker
//! that turns the first mention of a word in a rendered text into a link to its page. The
//! linking runs once, when a pack is installed, on the HTML that is then stored; never per
//! request.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::fragment::Piece;
use super::markdown::Section;

/// Where a glossary entry is shown in the portal.
pub const URL_PREFIX: &str = "/glossaire/";

/// The front matter of `glossary/<slug>.md`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GlossaryFront {
    /// The word as shown ("Mot de passe", "Wi-Fi").
    pub word: String,
    /// Other ways the word is written (plural, spelling): all are linked to the entry.
    #[serde(default)]
    pub variants: Vec<String>,
    /// Slugs of other entries worth reading next.
    #[serde(default)]
    pub see_also: Vec<String>,
}

/// One explained word, rendered.
#[derive(Debug, Clone)]
pub struct GlossaryEntry {
    pub slug: String,
    pub word: String,
    pub variants: Vec<String>,
    pub see_also: Vec<String>,
    /// The first sentence of the explanation: shown in lists and search results.
    pub summary: String,
    pub body: Section,
}

impl GlossaryEntry {
    pub(crate) fn new(slug: String, front: GlossaryFront, body: Section) -> Self {
        let summary = first_sentence(&body.plain);
        GlossaryEntry {
            slug,
            word: front.word,
            variants: front.variants,
            see_also: front.see_also,
            summary,
            body,
        }
    }

    /// The word and its variants: every form the linker looks for.
    pub fn forms(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.word.as_str()).chain(self.variants.iter().map(String::as_str))
    }
}

/// The text up to the first sentence end (whole text if there is none).
fn first_sentence(plain: &str) -> String {
    let end = plain
        .char_indices()
        .find(|&(_, c)| matches!(c, '.' | '!' | '?'))
        .map_or(plain.len(), |(i, c)| i + c.len_utf8());
    plain[..end].trim().to_owned()
}

/// A form as the linker compares it: lowercase with `’` read as `'`, unless it is an
/// acronym ("ENT", "CAF"), which only matches in capitals ("ent" is not the school's ENT).
pub fn fold(form: &str) -> String {
    form.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    match c {
        '’' => '\'',
        c => c.to_lowercase().next().unwrap_or(c),
    }
}

fn is_acronym(form: &str) -> bool {
    form.chars().filter(|c| c.is_alphabetic()).count() >= 2 && !form.chars().any(char::is_lowercase)
}

/// One word to link: the entry's slug and the forms that lead to it.
#[derive(Debug, Clone)]
pub struct Term {
    pub slug: String,
    pub forms: Vec<String>,
}

/// The words a kit can explain, for the linker. Built from the entries of the pack being
/// installed and those of the packs already installed.
#[derive(Debug, Clone, Default)]
pub struct Glossary {
    terms: Vec<Term>,
}

/// A form ready to compare: its characters, and whether case matters.
struct Pattern {
    term: usize,
    chars: Vec<char>,
    exact_case: bool,
}

impl Glossary {
    pub fn new(terms: Vec<Term>) -> Self {
        Glossary { terms }
    }

    pub fn from_entries(entries: &[GlossaryEntry]) -> Self {
        Glossary::new(
            entries
                .iter()
                .map(|e| Term {
                    slug: e.slug.clone(),
                    forms: e.forms().map(str::to_owned).collect(),
                })
                .collect(),
        )
    }

    /// Adds terms whose slug is not there yet (the pack being installed wins).
    pub fn extend(&mut self, terms: impl IntoIterator<Item = Term>) {
        for term in terms {
            if !self.terms.iter().any(|t| t.slug == term.slug) {
                self.terms.push(term);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// A linker for one document (a tutorial, a form). `skip` holds the words the author
    /// opted out of (a slug, the word or one of its variants); `own` is the slug of an
    /// entry that is never linked (an entry does not link to itself).
    pub fn linker(&self, skip: &[String], own: Option<&str>) -> Linker<'_> {
        let skip: HashSet<String> = skip.iter().map(|s| fold(s)).collect();
        let mut patterns = Vec::new();
        for (index, term) in self.terms.iter().enumerate() {
            let skipped = own == Some(term.slug.as_str())
                || skip.contains(&term.slug)
                || term.forms.iter().any(|f| skip.contains(&fold(f)));
            if skipped {
                continue;
            }
            for form in term.forms.iter().filter(|f| !f.trim().is_empty()) {
                let exact_case = is_acronym(form);
                let chars = if exact_case {
                    form.chars()
                        .map(|c| if c == '’' { '\'' } else { c })
                        .collect()
                } else {
                    fold(form).chars().collect()
                };
                patterns.push(Pattern {
                    term: index,
                    chars,
                    exact_case,
                });
            }
        }
        // Longest first: "adresse e-mail" wins over "e-mail" at the same place.
        patterns.sort_by_key(|p| std::cmp::Reverse(p.chars.len()));
        // Found by their first letter, folded: a word start is compared with the few
        // patterns that can match there, not with all of them (an install links every
        // tutorial of a pack, and this was most of its time).
        let mut by_first: HashMap<char, Vec<usize>> = HashMap::new();
        for (n, p) in patterns.iter().enumerate() {
            if let Some(&first) = p.chars.first() {
                by_first.entry(fold_char(first)).or_default().push(n);
            }
        }
        Linker {
            glossary: self,
            patterns,
            by_first,
            linked: vec![false; self.terms.len()],
            left: self.terms.len(),
        }
    }
}

/// Links each word of the glossary the first time it appears in a document, across all the
/// pieces of HTML given to it (a tutorial's introduction, then its steps).
pub struct Linker<'a> {
    glossary: &'a Glossary,
    /// Longest first.
    patterns: Vec<Pattern>,
    /// The patterns (indexes, longest first) by their first character, folded.
    by_first: HashMap<char, Vec<usize>>,
    /// Terms linked already in this document, by index.
    linked: Vec<bool>,
    /// Terms not linked yet.
    left: usize,
}

/// Elements whose text is never linked: headings, links, code, bold text (a bold word is an
/// on-screen label to touch; a link there would look like the button), and the fine print
/// the kit adds itself (a handout's "Fiche à imprimer, PDF, 240 Ko").
const SKIPPED: &[&str] = &[
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "strong", "b", "button", "label",
    "summary", "small",
];

impl Linker<'_> {
    /// Links words in HTML written by this kit's renderer (text escaped, attributes quoted,
    /// so `<` and `>` only delimit tags). Attributes, image alt texts included, are never
    /// touched: only text between tags is.
    pub fn link_html(&mut self, html: &str) -> String {
        let mut out = String::with_capacity(html.len() + 64);
        let mut skipped_depth = 0usize;
        for piece in super::fragment::pieces(html) {
            match piece {
                Piece::Tag { raw, name, closing } => {
                    // A self-closed tag (`<br/>`) opens nothing.
                    if SKIPPED.contains(&name.as_str()) && !raw.ends_with("/>") {
                        skipped_depth = match closing {
                            true => skipped_depth.saturating_sub(1),
                            false => skipped_depth + 1,
                        };
                    }
                    out.push_str(raw);
                }
                Piece::Text(text) if skipped_depth == 0 && self.left > 0 => {
                    self.link_text_node(text, &mut out)
                }
                Piece::Text(text) => out.push_str(text),
            }
        }
        out
    }

    /// Plain text (a form's label or help) → HTML, escaped, with its glossary links.
    pub fn link_text(&mut self, text: &str) -> String {
        let escaped = maud::html! { (text) }.into_string();
        self.link_html(&escaped)
    }

    fn link_text_node(&mut self, text: &str, out: &mut String) {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let folded: Vec<char> = chars.iter().map(|&(_, c)| fold_char(c)).collect();
        let mut copied = 0;
        let mut i = 0;
        while i < chars.len() {
            if !starts_word(&chars, i) {
                i += 1;
                continue;
            }
            let Some((term, len)) = self.match_at(&chars, &folded, i) else {
                i += 1;
                continue;
            };
            let start = chars[i].0;
            let end = chars.get(i + len).map_or(text.len(), |&(o, _)| o);
            out.push_str(&text[copied..start]);
            let slug = &self.glossary.terms[term].slug;
            out.push_str(&format!(
                "<a class=\"glossaire\" href=\"{URL_PREFIX}{slug}\">{}</a>",
                &text[start..end]
            ));
            copied = end;
            self.linked[term] = true;
            self.left -= 1;
            i += len;
        }
        out.push_str(&text[copied..]);
    }

    /// The longest form of a term not linked yet that starts at `i` and ends a word.
    /// `folded` is `chars` folded (`fold_char`), once per text node.
    fn match_at(
        &self,
        chars: &[(usize, char)],
        folded: &[char],
        i: usize,
    ) -> Option<(usize, usize)> {
        let candidates = self.by_first.get(&folded[i])?;
        candidates.iter().find_map(|&n| {
            let p = &self.patterns[n];
            if self.linked[p.term] || i + p.chars.len() > chars.len() {
                return None;
            }
            let same = if p.exact_case {
                p.chars
                    .iter()
                    .zip(&chars[i..])
                    .all(|(&want, &(_, c))| want == if c == '’' { '\'' } else { c })
            } else {
                p.chars[..] == folded[i..i + p.chars.len()]
            };
            (same && ends_word(chars, i + p.chars.len())).then_some((p.term, p.chars.len()))
        })
    }
}

/// Letters, digits, and a hyphen between two of them, make one word: "compte" is not found
/// in "décompte" nor in "compte-gouttes".
fn starts_word(chars: &[(usize, char)], i: usize) -> bool {
    let before = |n: usize| n.checked_sub(1).map(|k| chars[k].1);
    match before(i) {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some('-') => !before(i - 1).is_some_and(char::is_alphanumeric),
        Some(_) => true,
    }
}

fn ends_word(chars: &[(usize, char)], end: usize) -> bool {
    let at = |n: usize| chars.get(n).map(|&(_, c)| c);
    match at(end) {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some('-') => !at(end + 1).is_some_and(char::is_alphanumeric),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glossary() -> Glossary {
        let term = |slug: &str, forms: &[&str]| Term {
            slug: slug.into(),
            forms: forms.iter().map(|f| f.to_string()).collect(),
        };
        Glossary::new(vec![
            term("compte", &["compte", "comptes"]),
            term("wi-fi", &["Wi-Fi", "wifi"]),
            term("adresse-e-mail", &["adresse e-mail"]),
            term("e-mail", &["e-mail", "mail"]),
            term("ent", &["ENT"]),
            term("lien", &["lien", "liens"]),
            term("application", &["application", "applications", "appli"]),
        ])
    }

    fn link(html: &str) -> String {
        glossary().linker(&[], None).link_html(html)
    }

    const A: &str = "<a class=\"glossaire\" href=\"/glossaire/";

    #[test]
    fn links_the_first_mention_only_at_word_boundaries() {
        let cases = [
            (
                "<p>Votre compte. Un autre compte.</p>",
                format!("<p>Votre {A}compte\">compte</a>. Un autre compte.</p>"),
            ),
            (
                "<p>Le décompte et le compte-gouttes.</p>",
                "<p>Le décompte et le compte-gouttes.</p>".into(),
            ),
            (
                "<p>L’application, l'appli.</p>",
                format!("<p>L’{A}application\">application</a>, l'appli.</p>"),
            ),
            (
                "<p>Le WIFI marche.</p>",
                format!("<p>Le {A}wi-fi\">WIFI</a> marche.</p>"),
            ),
            (
                "<p>Mon adresse e-mail et un e-mail.</p>",
                format!(
                    "<p>Mon {A}adresse-e-mail\">adresse e-mail</a> et un {A}e-mail\">e-mail</a>.</p>"
                ),
            ),
            (
                "<p>Souvent, ent n'est pas l'ENT.</p>",
                format!("<p>Souvent, ent n'est pas l'{A}ent\">ENT</a>.</p>"),
            ),
            ("<p>Des comptes.</p>", format!("<p>Des {A}compte\">comptes</a>.</p>")),
        ];
        for (html, want) in cases {
            assert_eq!(link(html), want, "{html}");
        }
    }

    #[test]
    fn never_links_in_headings_links_code_bold_or_attributes() {
        let html = "<h2>Un compte</h2>\n<p><a href=\"/x\">compte</a> <code>compte</code> \
                    <strong>Compte</strong> <img src=\"c.svg\" alt=\"un compte\" /></p>\n\
                    <p>Enfin le compte.</p>";
        let linked = link(html);
        assert_eq!(linked.matches("class=\"glossaire\"").count(), 1, "{linked}");
        assert!(
            linked.ends_with(&format!("<p>Enfin le {A}compte\">compte</a>.</p>")),
            "{linked}"
        );
        assert!(linked.contains("alt=\"un compte\""), "{linked}");
    }

    #[test]
    fn one_link_per_word_across_the_pieces_of_a_document() {
        let g = glossary();
        let mut linker = g.linker(&[], None);
        assert!(linker.link_html("<p>Un lien.</p>").contains(A));
        assert!(!linker.link_html("<p>Un lien.</p>").contains(A));
        assert!(linker.link_html("<p>Un compte.</p>").contains(A));
    }

    #[test]
    fn an_author_opts_out_by_word_variant_or_slug_and_an_entry_skips_itself() {
        let g = glossary();
        let html = "<p>Un lien, un compte, le wifi.</p>";
        let skip = ["Lien".to_string(), "Wi-Fi".to_string()];
        let linked = g.linker(&skip, None).link_html(html);
        assert_eq!(linked.matches(A).count(), 1, "{linked}");
        assert!(linked.contains("compte\">compte</a>"), "{linked}");
        let own = g.linker(&[], Some("compte")).link_html(html);
        assert!(!own.contains("compte\">"), "{own}");
    }

    #[test]
    fn plain_text_is_escaped_then_linked() {
        let g = glossary();
        let mut linker = g.linker(&[], None);
        assert_eq!(
            linker.link_text("<b>Votre compte</b>"),
            format!("&lt;b&gt;Votre {A}compte\">compte</a>&lt;/b&gt;")
        );
    }

    #[test]
    fn the_summary_is_the_first_sentence() {
        assert_eq!(first_sentence("Un mot. Une suite."), "Un mot.");
        assert_eq!(first_sentence("Sans fin"), "Sans fin");
        assert_eq!(first_sentence("C'est quoi ? Ceci."), "C'est quoi ?");
    }
}
