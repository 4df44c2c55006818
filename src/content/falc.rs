//! The easy-to-read (FALC) linter: checks French Markdown bodies and short texts (titles,
//! summaries) against the European easy-to-read rules, and reports each problem with its file
//! line, a message and a hint for the author.
//!
//! The rules: short sentences, one idea per sentence, no words in capitals, no unexplained
//! abbreviations, no percentages, no large numbers, no roman numerals, no italics. An author
//! silences rules on one line, visibly, with a comment on that line:
//! `<!-- falc: ignore sentence-length -->` (several codes separated by spaces or commas), or
//! `<!-- falc: ignore -->` for every rule.

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

// ------------------------------------------------------------------------------------------
// Public API

/// How serious a finding is: an error makes `pack check` fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One easy-to-read rule. Findings on one line are sorted in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    SentenceLength,
    ChainedIdeas,
    Capitals,
    Abbreviation,
    Percentage,
    LargeNumber,
    RomanNumeral,
    Italics,
    QuestionCondition,
    Negatives,
    NumberWords,
}

impl Rule {
    const ALL: [Rule; 11] = [
        Rule::SentenceLength,
        Rule::ChainedIdeas,
        Rule::Capitals,
        Rule::Abbreviation,
        Rule::Percentage,
        Rule::LargeNumber,
        Rule::RomanNumeral,
        Rule::Italics,
        Rule::QuestionCondition,
        Rule::Negatives,
        Rule::NumberWords,
    ];

    /// Stable kebab-case code used in output and in ignore comments: "sentence-length",
    /// "chained-ideas", "capitals", "abbreviation", "percentage", "large-number", "roman-numeral", "italics",
    /// "question-condition", "negatives", "number-words".
    pub fn code(self) -> &'static str {
        match self {
            Rule::SentenceLength => "sentence-length",
            Rule::ChainedIdeas => "chained-ideas",
            Rule::Capitals => "capitals",
            Rule::Abbreviation => "abbreviation",
            Rule::Percentage => "percentage",
            Rule::LargeNumber => "large-number",
            Rule::RomanNumeral => "roman-numeral",
            Rule::Italics => "italics",
            Rule::QuestionCondition => "question-condition",
            Rule::Negatives => "negatives",
            Rule::NumberWords => "number-words",
        }
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.code() == code)
    }
}

/// One problem, on a line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    pub line: usize,
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    pub hint: String,
}

/// Words the author declares as known (extends the built-in list of accepted abbreviations).
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub known_abbreviations: Vec<String>,
}

/// Lints a Markdown body. `first_line` is the 1-based line of `body` in its file, so findings carry file line numbers.
pub fn lint_markdown(body: &str, first_line: usize, options: &LintOptions) -> Vec<LintFinding> {
    let lines = LineIndex::new(body, first_line);
    let parsed = parse(body, &lines);
    let mut linter = Linter::new(options);
    for &line in &parsed.italics {
        linter.warn(
            line,
            Rule::Italics,
            "texte en italique".into(),
            HINT_ITALICS,
        );
    }
    for segment in &parsed.segments {
        linter.segment(segment);
    }
    linter.negatives_ratio();
    finish(linter.findings, &parsed.ignores)
}

/// Lints one plain-text value (a title, a summary from front matter) that sits on `line`.
pub fn lint_text(text: &str, line: usize, options: &LintOptions) -> Vec<LintFinding> {
    let mut linter = Linter::new(options);
    linter.segment(&Segment::plain(text, line));
    finish(linter.findings, &[])
}

// ------------------------------------------------------------------------------------------
// Thresholds, word lists and hints

/// A sentence longer than this many words is a warning…
const SENTENCE_WARNING_WORDS: usize = 15;
/// …and longer than this many, an error.
const SENTENCE_ERROR_WORDS: usize = 25;
/// A parenthesis holding more words than this holds a second idea.
const PARENTHESIS_MAX_WORDS: usize = 6;
/// Numbers from this one up are hard to picture.
const LARGE_NUMBER: u64 = 10_000;
/// An acronym has 2 to this many capital letters; a longer word in capitals is shouting.
const ACRONYM_MAX_LETTERS: usize = 6;
/// Stands for a code span: it counts as one word and no rule looks inside it.
const CODE_WORD: &str = "\u{FFFC}";

/// Abbreviations everyone knows, accepted without explanation. They are compared with the
/// word's hyphens and dots removed, so "WI-FI" matches "WIFI" (and "Wi-Fi" is not in capitals).
const KNOWN_ABBREVIATIONS: &[&str] = &[
    "OK", "TV", "PC", "CD", "DVD", "USB", "GPS", "PIN", "QR", "WIFI",
];

/// Valid roman numerals that are, in practice, words or abbreviations ("un CD", "un CV",
/// "taille XL"): never reported as numerals (the abbreviation rule still sees them).
const ROMAN_LOOKALIKES: &[&str] = &[
    "CD", "CV", "CM", "DC", "MC", "MD", "MM", "CC", "CI", "XL", "MIX", "DIX", "DIV",
];

/// French number words: "cinquante pour cent" is a percentage, "un repas pour cent" is not.
#[rustfmt::skip]
const NUMBER_WORDS: &[&str] = &[
    "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
    "onze", "douze", "treize", "quatorze", "quinze", "seize", "vingt", "vingts", "trente",
    "quarante", "cinquante", "soixante", "cent", "cents",
];

/// Whether a written abbreviation ends with a dot.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dot {
    Required,
    Optional,
    Never,
}

/// A common French written abbreviation, and the words to write instead.
struct Written {
    /// As written, without its final dot. Forms of 2+ letters in lowercase also match with a
    /// capital first letter (at the start of a sentence: "Ex.", "Etc.").
    form: &'static str,
    dot: Dot,
    full: &'static str,
}

impl Written {
    /// "M.", "Mme", "Dr" come before a name: their dot never ends a sentence.
    fn is_title(&self) -> bool {
        self.full.starts_with(char::is_uppercase)
    }
}

/// The first form that matches wins, so longer forms come first ("Mme" before "M").
#[rustfmt::skip]
const WRITTEN_ABBREVIATIONS: &[Written] = &[
    Written { form: "etc", dot: Dot::Optional, full: "et les autres" },
    Written { form: "ex", dot: Dot::Required, full: "par exemple" },
    Written { form: "cf", dot: Dot::Optional, full: "voir" },
    Written { form: "env", dot: Dot::Required, full: "environ" },
    Written { form: "svp", dot: Dot::Optional, full: "s'il vous plaît" },
    Written { form: "SVP", dot: Dot::Optional, full: "s'il vous plaît" },
    Written { form: "S.V.P", dot: Dot::Optional, full: "s'il vous plaît" },
    Written { form: "c.-à-d", dot: Dot::Optional, full: "c'est-à-dire" },
    Written { form: "c-à-d", dot: Dot::Optional, full: "c'est-à-dire" },
    Written { form: "p", dot: Dot::Required, full: "page" },
    Written { form: "tél", dot: Dot::Required, full: "téléphone" },
    Written { form: "n°", dot: Dot::Never, full: "numéro" },
    Written { form: "N°", dot: Dot::Never, full: "numéro" },
    Written { form: "Mme", dot: Dot::Optional, full: "Madame" },
    Written { form: "Mlle", dot: Dot::Optional, full: "Madame" },
    Written { form: "Dr", dot: Dot::Optional, full: "Docteur" },
    Written { form: "M", dot: Dot::Required, full: "Monsieur" },
];

const HINT_SENTENCE: &str = "Coupez en deux phrases. Une idée par phrase.";
const HINT_LONG_SENTENCE: &str = "Coupez en plusieurs phrases courtes. Une idée par phrase.";
const HINT_SEMICOLON: &str = "Remplacez le point-virgule par un point : faites deux phrases.";
const HINT_PARENTHESIS: &str = "Sortez ce texte de la parenthèse : faites-en une autre phrase.";
const HINT_CAPITALS: &str = "Écrivez en lettres normales. Pour un mot important, utilisez le gras.";
const HINT_ACRONYM: &str = "La première fois, écrivez les mots en entier puis le sigle entre \
    parenthèses : « la Caisse d'allocations familiales (CAF) ». Si tout le monde le connaît, \
    ajoutez-le à `abbreviations` dans pack.toml. Si c'est un mot, écrivez-le en lettres normales.";
const HINT_PERCENTAGE: &str = "Dites « la moitié », « 1 personne sur 4 »…";
const HINT_LARGE_NUMBER: &str = "Un grand nombre est difficile à imaginer. Dites « beaucoup », \
    « plus de la moitié », ou comparez avec une chose connue.";
const HINT_ITALICS: &str = "L'italique se lit mal. Utilisez le gras pour un mot important.";

// ------------------------------------------------------------------------------------------
// From Markdown to text segments

/// File line of each byte offset of a body.
struct LineIndex {
    first_line: usize,
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str, first_line: usize) -> Self {
        let newlines = text.match_indices('\n').map(|(i, _)| i).collect();
        LineIndex {
            first_line,
            newlines,
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.first_line + self.newlines.partition_point(|&n| n < offset)
    }
}

/// A run of text whose end also ends a sentence: a paragraph, a list item, a heading, a table
/// cell, an image's alt text, or a plain value.
struct Segment {
    /// Byte offset in the body, to check segments in reading order.
    start: usize,
    text: String,
    /// `(position in text, file line)` where each piece of text starts.
    lines: Vec<(usize, usize)>,
    /// A heading is a title: a question there ("Et après ?") is no condition.
    heading: bool,
}

impl Segment {
    fn new(start: usize) -> Self {
        Segment {
            start,
            text: String::new(),
            lines: Vec::new(),
            heading: false,
        }
    }

    fn plain(text: &str, line: usize) -> Self {
        let mut segment = Segment::new(0);
        segment.push(text, line);
        segment
    }

    fn push(&mut self, text: &str, line: usize) {
        self.lines.push((self.text.len(), line));
        self.text.push_str(text);
    }

    fn line_at(&self, pos: usize) -> usize {
        let piece = self.lines.partition_point(|&(start, _)| start <= pos);
        self.lines
            .get(piece.saturating_sub(1))
            .map_or(0, |&(_, line)| line)
    }
}

/// Rules an author silenced on one line with `<!-- falc: ignore … -->`.
struct Ignore {
    line: usize,
    silenced: Silenced,
}

enum Silenced {
    All,
    Only(Vec<Rule>),
}

impl Ignore {
    fn silences(&self, finding: &LintFinding) -> bool {
        self.line == finding.line
            && match &self.silenced {
                Silenced::All => true,
                Silenced::Only(rules) => rules.contains(&finding.rule),
            }
    }
}

/// What the rules need from a Markdown body.
#[derive(Default)]
struct Parsed {
    segments: Vec<Segment>,
    /// Lines where italics start.
    italics: Vec<usize>,
    ignores: Vec<Ignore>,
}

/// Walks the Markdown events: text goes into the innermost open segment, except in code blocks
/// and in autolinks (their text is a URL). Link and image URLs never appear as text events.
#[derive(Default)]
struct Walker {
    open: Vec<Segment>,
    /// How many code blocks or autolinks we are in.
    hidden: usize,
    /// For each open link: whether it is an autolink.
    links: Vec<bool>,
    parsed: Parsed,
}

impl Walker {
    fn start(&mut self, tag: &Tag<'_>, offset: usize, line: usize) {
        match tag {
            Tag::Heading { .. } => self.open.push(Segment {
                heading: true,
                ..Segment::new(offset)
            }),
            Tag::Paragraph | Tag::Item | Tag::TableCell | Tag::Image { .. } => {
                self.open.push(Segment::new(offset))
            }
            Tag::CodeBlock(_) => self.hidden += 1,
            Tag::Link { link_type, .. } => {
                let autolink = matches!(link_type, LinkType::Autolink | LinkType::Email);
                self.hidden += usize::from(autolink);
                self.links.push(autolink);
            }
            Tag::Emphasis if self.hidden == 0 => self.parsed.italics.push(line),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::Item
            | TagEnd::TableCell
            | TagEnd::Image => self.parsed.segments.extend(self.open.pop()),
            TagEnd::CodeBlock => self.hidden = self.hidden.saturating_sub(1),
            TagEnd::Link if self.links.pop() == Some(true) => {
                self.hidden = self.hidden.saturating_sub(1);
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str, line: usize) {
        if self.hidden == 0 {
            if let Some(segment) = self.open.last_mut() {
                segment.push(text, line);
            }
        }
    }
}

fn parse(body: &str, lines: &LineIndex) -> Parsed {
    let mut walker = Walker::default();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        let line = lines.line(range.start);
        match event {
            Event::Start(tag) => walker.start(&tag, range.start, line),
            Event::End(tag) => walker.end(tag),
            Event::Text(text) => walker.text(&text, line),
            Event::Code(_) => walker.text(CODE_WORD, line),
            Event::SoftBreak | Event::HardBreak => walker.text(" ", line),
            Event::Html(_) | Event::InlineHtml(_) => {
                let ignores = ignore_comments(&body[range.clone()], range.start, lines);
                walker.parsed.ignores.extend(ignores);
            }
            _ => {}
        }
    }
    let mut parsed = walker.parsed;
    parsed.segments.sort_by_key(|segment| segment.start);
    parsed
}

/// The `<!-- falc: ignore … -->` comments in a piece of raw HTML that starts at `offset`.
fn ignore_comments(html: &str, offset: usize, lines: &LineIndex) -> Vec<Ignore> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = html[from..].find("<!--").map(|i| from + i) {
        let inner = open + "<!--".len();
        let Some(close) = html[inner..].find("-->").map(|i| inner + i) else {
            break;
        };
        if let Some(silenced) = parse_ignore(&html[inner..close]) {
            found.push(Ignore {
                line: lines.line(offset + open),
                silenced,
            });
        }
        from = close + "-->".len();
    }
    found
}

/// Separates the silenced codes from the reason an author gives for silencing them.
const IGNORE_REASON: char = '—';

/// `falc: ignore` → every rule; `falc: ignore capitals, italics` → those rules (unknown codes
/// silence nothing); any other comment → `None`.
fn parse_ignore(comment: &str) -> Option<Silenced> {
    let rest = comment.trim().strip_prefix("falc")?.trim_start();
    let rest = rest
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix("ignore")?;
    // After a dash, the author says why: "falc: ignore large-number — a phone number".
    let rest = rest.split(IGNORE_REASON).next().unwrap_or(rest);
    let is_separator = |c: char| c.is_whitespace() || c == ',';
    if !rest.is_empty() && !rest.starts_with(is_separator) {
        return None;
    }
    let codes: Vec<&str> = rest.split(is_separator).filter(|s| !s.is_empty()).collect();
    if codes.is_empty() {
        return Some(Silenced::All);
    }
    Some(Silenced::Only(
        codes.into_iter().filter_map(Rule::from_code).collect(),
    ))
}

fn finish(mut findings: Vec<LintFinding>, ignores: &[Ignore]) -> Vec<LintFinding> {
    findings.retain(|finding| !ignores.iter().any(|ignore| ignore.silences(finding)));
    findings.sort_by_key(|finding| (finding.line, finding.rule as u8));
    findings
}

// ------------------------------------------------------------------------------------------
// Words and sentences

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || CODE_WORD.starts_with(c)
}

/// A space that may group the thousands of a number: "10 000".
fn is_thousands_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

fn is_group_separator(c: char) -> bool {
    is_thousands_space(c) || c == '.'
}

/// Splits `text` into words, as byte ranges: runs of letters and digits, joined by inner
/// apostrophes, hyphens and dots ("aujourd'hui", "peut-être", "S.V.P", "1.5"), by commas between
/// digits ("1,5") and by the spaces that group thousands ("10 000").
fn tokenize(text: &str) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_word_char(chars[i].1) {
            i += 1;
            continue;
        }
        let first = i;
        while i < chars.len() && (is_word_char(chars[i].1) || joins(&chars, first, i)) {
            i += 1;
        }
        let end = chars.get(i).map_or(text.len(), |&(offset, _)| offset);
        words.push(chars[first].0..end);
    }
    words
}

/// Whether the non-word character at `i` belongs to the word that started at `first`.
fn joins(chars: &[(usize, char)], first: usize, i: usize) -> bool {
    let before = chars[i - 1].1;
    let after = chars.get(i + 1).map_or(' ', |&(_, c)| c);
    match chars[i].1 {
        '\'' | '’' | '-' | '.' => before.is_alphanumeric() && after.is_alphanumeric(),
        ',' => before.is_ascii_digit() && after.is_ascii_digit(),
        c if is_thousands_space(c) => {
            is_digit_groups(&chars[first..i]) && starts_digit_group(chars, i + 1)
        }
        _ => false,
    }
}

/// "1", "10", "100 000": a first group of 1 to 3 digits, then groups of 3.
fn is_digit_groups(chars: &[(usize, char)]) -> bool {
    let text: String = chars.iter().map(|&(_, c)| c).collect();
    let all_digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = text.split(is_group_separator);
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && all_digits(first)
        && groups.all(|g| g.len() == 3 && all_digits(g))
}

/// Exactly three digits start at `i`, then the word ends.
fn starts_digit_group(chars: &[(usize, char)], i: usize) -> bool {
    let digit_at = |n: usize| chars.get(n).is_some_and(|&(_, c)| c.is_ascii_digit());
    (i..i + 3).all(digit_at) && !chars.get(i + 3).is_some_and(|&(_, c)| is_word_char(c))
}

/// A written abbreviation found in the text: which one, and where its match ends.
struct WrittenMatch {
    abbreviation: &'static Written,
    span: Range<usize>,
}

/// The written abbreviation that starts at byte `start`, if any.
fn written_at(text: &str, start: usize) -> Option<WrittenMatch> {
    let rest = &text[start..];
    WRITTEN_ABBREVIATIONS.iter().find_map(|abbreviation| {
        let mut len = form_len(rest, abbreviation.form)?;
        let dotted = rest[len..].starts_with('.');
        match abbreviation.dot {
            Dot::Required if !dotted => return None,
            Dot::Required | Dot::Optional if dotted => len += 1,
            _ => {}
        }
        let inside_a_word = rest[len..].starts_with(is_word_char);
        if inside_a_word && abbreviation.dot != Dot::Never {
            return None;
        }
        Some(WrittenMatch {
            abbreviation,
            span: start..start + len,
        })
    })
}

/// Length of `form` at the start of `text`, also with a capital first letter.
fn form_len(text: &str, form: &str) -> Option<usize> {
    if text.starts_with(form) {
        return Some(form.len());
    }
    let mut chars = form.chars();
    let first = chars.next()?;
    if form.chars().count() < 2 || !first.is_lowercase() {
        return None;
    }
    let capitalized: String = first.to_uppercase().chain(chars).collect();
    text.starts_with(&capitalized).then_some(capitalized.len())
}

/// Groups words into sentences (ranges of word indices). A sentence ends at the end of the
/// segment, or where the gap between two words holds `!`, `?`, `…` or a `.`; the dot of a
/// written abbreviation ends one only before a capital ("etc. Puis"), never after a title ("M.").
fn sentences(
    text: &str,
    words: &[Range<usize>],
    written: &[Option<WrittenMatch>],
) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    let mut first = 0;
    for (k, word) in words.iter().enumerate() {
        let next = words.get(k + 1);
        let gap = word.end..next.map_or(text.len(), |n| n.start);
        let next_is_lower = next.is_some_and(|n| {
            text[n.clone()].starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit())
        });
        if next.is_none() || gap_ends_sentence(text, gap, next_is_lower, written) {
            sentences.push(first..k + 1);
            first = k + 1;
        }
    }
    sentences
}

fn gap_ends_sentence(
    text: &str,
    gap: Range<usize>,
    next_is_lower: bool,
    written: &[Option<WrittenMatch>],
) -> bool {
    text[gap.clone()].char_indices().any(|(i, c)| match c {
        '!' | '?' | '…' => true,
        '.' => {
            let pos = gap.start + i;
            let matched = written.iter().flatten().find(|m| m.span.contains(&pos));
            match matched {
                // A dot inside "c.-à-d." never ends a sentence.
                Some(m) if pos + 1 < m.span.end => false,
                Some(m) => !m.abbreviation.is_title() && !next_is_lower,
                None => true,
            }
        }
        _ => false,
    })
}

/// The word after an elision: "URSSAF" in "l'URSSAF".
fn after_elision(text: &str, word: Range<usize>) -> Range<usize> {
    match text[word.clone()].rfind(['\'', '’']) {
        Some(i) => {
            let apostrophe = text[word.start + i..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            word.start + i + apostrophe..word.end
        }
        None => word,
    }
}

// ------------------------------------------------------------------------------------------
// Word shapes: numbers, roman numerals, capitals

/// The whole part of a number written in digits ("10 000", "10.000", "1,5" → 1). `None` for
/// other words, and for codes: 5 digits or more, without separators, starting with 0
/// (a phone number, a postcode…).
fn number_value(word: &str) -> Option<u64> {
    let is_number_char = |c: char| c.is_ascii_digit() || c == ',' || is_group_separator(c);
    if !word.starts_with(|c: char| c.is_ascii_digit()) || !word.chars().all(is_number_char) {
        return None;
    }
    let whole = word.split(',').next().unwrap_or(word);
    let groups: Vec<&str> = whole.split(is_group_separator).collect();
    let digits = if groups[1..].iter().all(|g| g.len() == 3) {
        groups.concat()
    } else {
        groups[0].to_owned() // "1.5": a decimal dot
    };
    if groups.len() == 1 && digits.len() >= 5 && digits.starts_with('0') {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// The value of a roman numeral written the canonical way ("XIV", not "XIIII"), 1 to 3999.
fn roman_value(numeral: &str) -> Option<u32> {
    #[rustfmt::skip]
    const DIGITS: [(u32, &str); 13] = [
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
        (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ];
    let mut rest = numeral;
    let mut value = 0;
    for (digit_value, digit) in DIGITS {
        // Canonical numerals repeat only M, C, X and I, at most three times.
        let max_repeats = if matches!(digit, "M" | "C" | "X" | "I") {
            3
        } else {
            1
        };
        for _ in 0..max_repeats {
            match rest.strip_prefix(digit) {
                Some(after) => {
                    rest = after;
                    value += digit_value;
                }
                None => break,
            }
        }
    }
    (rest.is_empty() && value > 0).then_some(value)
}

/// A roman numeral, as it should be written in digits: "XIV" → "14", "XIXe" → "19e",
/// "Ier" → "1er". Single letters count only with an ordinal ending ("Ve", "Xe"), and only
/// I, V and X ("Ce", "De", "Le", "Me" are words).
fn roman_numeral(word: &str) -> Option<String> {
    let stem_len = word
        .find(|c: char| !"IVXLCDM".contains(c))
        .unwrap_or(word.len());
    let (stem, ending) = word.split_at(stem_len);
    let value = roman_value(stem)?;
    let ordinal = match ending {
        "" => "",
        "er" | "ᵉʳ" if value == 1 => "er",
        "re" | "ʳᵉ" if value == 1 => "re",
        "e" | "ème" | "eme" | "ᵉ" => "e",
        _ => return None,
    };
    let single = stem.len() == 1;
    let counts = if ordinal.is_empty() {
        !single && !ROMAN_LOOKALIKES.contains(&stem)
    } else {
        !single || matches!(stem, "I" | "V" | "X")
    };
    counts.then(|| format!("{value}{ordinal}"))
}

fn letter_count(word: &str) -> usize {
    word.chars().filter(|c| c.is_alphabetic()).count()
}

/// At least two letters, none in lowercase: "CAF", "ATTENTION", "L'ADRESSE", "H1N1".
fn is_caps_word(word: &str) -> bool {
    letter_count(word) >= 2 && !word.chars().any(char::is_lowercase)
}

/// Shaped like an acronym: 2 to 6 capitals, maybe with digits or dots ("CAF", "S.N.C.F", "MP3").
fn is_acronym(word: &str) -> bool {
    word.starts_with(char::is_uppercase)
        && word
            .chars()
            .all(|c| c.is_uppercase() || c.is_ascii_digit() || c == '.')
        && (2..=ACRONYM_MAX_LETTERS).contains(&letter_count(word))
}

/// A word in capitals that is not an acronym: 4+ letters and either longer than an acronym
/// ("ATTENTION"), not shaped like one ("SAINT-DENIS"), next to another word in capitals
/// ("TRÈS IMPORTANT"), or followed by "!" ("STOP !"). Other words of 4 to 6 capitals
/// ("URSSAF") are taken as acronyms.
fn is_shouted(text: &str, words: &[Range<usize>], k: usize, word: &str) -> bool {
    let letters = letter_count(word);
    if letters < 4 {
        return false;
    }
    if letters > ACRONYM_MAX_LETTERS || !is_acronym(word) {
        return true;
    }
    let exclaimed = text[words[k].end..].trim_start().starts_with('!');
    let neighbours = [k.checked_sub(1), Some(k + 1)];
    exclaimed
        || neighbours
            .into_iter()
            .flatten()
            .filter_map(|n| words.get(n))
            .any(|n| is_caps_word(&text[n.clone()]))
}

/// An acronym is explained where it is followed by a parenthesis ("CAF (Caisse…)") or written
/// itself in parentheses ("la Caisse d'allocations familiales (CAF)").
fn is_explained(text: &str, acronym: Range<usize>) -> bool {
    let after = text[acronym.end..].trim_start_matches('.').trim_start();
    let before = text[..acronym.start].trim_end();
    after.starts_with('(') || (before.ends_with('(') && after.starts_with(')'))
}

/// "pour cent" after a number: "50 pour cent", "cinquante pour cent" (not "pour cent personnes").
fn is_pour_cent(text: &str, words: &[Range<usize>], k: usize) -> bool {
    let Some(next) = words.get(k + 1) else {
        return false;
    };
    let Some(previous) = k.checked_sub(1).map(|p| &text[words[p].clone()]) else {
        return false;
    };
    let last_part = previous
        .rsplit('-')
        .next()
        .unwrap_or(previous)
        .to_lowercase();
    text[next.clone()].to_lowercase() == "cent"
        && text[words[k].end..next.start].trim().is_empty()
        && (number_value(previous).is_some() || NUMBER_WORDS.contains(&last_part.as_str()))
}

// ------------------------------------------------------------------------------------------
// The rules

/// Applies the rules to segments in reading order, remembering which acronyms were explained.
struct Linter<'a> {
    options: &'a LintOptions,
    /// Acronyms explained in the text so far: fine from then on.
    explained: HashSet<String>,
    /// Acronyms already reported once: not reported again.
    reported: HashSet<String>,
    findings: Vec<LintFinding>,
    /// The line of the last sentence read, when it was a question that reads as a condition.
    pending_question: Option<usize>,
    /// Sentences read, and the lines of the negative ones.
    sentence_count: usize,
    negative_lines: Vec<usize>,
}

impl<'a> Linter<'a> {
    fn new(options: &'a LintOptions) -> Self {
        Linter {
            options,
            explained: HashSet::new(),
            reported: HashSet::new(),
            findings: Vec::new(),
            pending_question: None,
            sentence_count: 0,
            negative_lines: Vec::new(),
        }
    }

    fn push(&mut self, line: usize, rule: Rule, severity: Severity, message: String, hint: &str) {
        let hint = hint.to_owned();
        self.findings.push(LintFinding {
            line,
            rule,
            severity,
            message,
            hint,
        });
    }

    fn warn(&mut self, line: usize, rule: Rule, message: String, hint: &str) {
        self.push(line, rule, Severity::Warning, message, hint);
    }

    fn segment(&mut self, segment: &Segment) {
        let text = segment.text.as_str();
        let words = tokenize(text);
        let written: Vec<Option<WrittenMatch>> =
            words.iter().map(|w| written_at(text, w.start)).collect();
        for sentence in sentences(text, &words, &written) {
            self.sentence(segment, &words[sentence.clone()]);
            self.reading_order(segment, &words, sentence);
        }
        self.parentheses(segment, &words);
        self.percent_signs(segment);
        for (k, found) in written.iter().enumerate() {
            match found {
                Some(found) => self.written_abbreviation(segment, found),
                None => self.word(segment, &words, k),
            }
        }
        self.number_words(segment, &words);
    }

    /// Sentence length, and ";" inside a sentence (a ";" ending a list item is fine).
    fn sentence(&mut self, segment: &Segment, words: &[Range<usize>]) {
        let (Some(first), Some(last)) = (words.first(), words.last()) else {
            return;
        };
        let line = segment.line_at(first.start);
        let count = words.len();
        if count > SENTENCE_ERROR_WORDS {
            let message = format!("phrase de {count} mots (au-delà de {SENTENCE_ERROR_WORDS})");
            let rule = Rule::SentenceLength;
            self.push(line, rule, Severity::Error, message, HINT_LONG_SENTENCE);
        } else if count > SENTENCE_WARNING_WORDS {
            let message = format!("phrase de {count} mots (au-delà de {SENTENCE_WARNING_WORDS})");
            self.warn(line, Rule::SentenceLength, message, HINT_SENTENCE);
        }
        if segment.text[first.start..last.end].contains(';') {
            let message = "point-virgule dans la phrase".to_owned();
            self.warn(line, Rule::ChainedIdeas, message, HINT_SEMICOLON);
        }
    }

    /// Parentheses holding more than a few words, reported on the line of "(".
    fn parentheses(&mut self, segment: &Segment, words: &[Range<usize>]) {
        let mut depth = 0;
        let mut open = 0;
        for (i, c) in segment.text.char_indices() {
            match c {
                '(' => {
                    if depth == 0 {
                        open = i;
                    }
                    depth += 1;
                }
                ')' if depth > 0 => {
                    depth -= 1;
                    let inside = words
                        .iter()
                        .filter(|w| w.start > open && w.end <= i)
                        .count();
                    if depth == 0 && inside > PARENTHESIS_MAX_WORDS {
                        let message = format!(
                            "parenthèse de {inside} mots (au-delà de {PARENTHESIS_MAX_WORDS})"
                        );
                        let line = segment.line_at(open);
                        self.warn(line, Rule::ChainedIdeas, message, HINT_PARENTHESIS);
                    }
                }
                _ => {}
            }
        }
    }

    fn percent_signs(&mut self, segment: &Segment) {
        for (i, c) in segment
            .text
            .char_indices()
            .filter(|&(_, c)| c == '%' || c == '‰')
        {
            self.percentage(segment.line_at(i), &c.to_string());
        }
    }

    fn percentage(&mut self, line: usize, shown: &str) {
        let message = format!("pourcentage « {shown} »");
        self.warn(line, Rule::Percentage, message, HINT_PERCENTAGE);
    }

    fn large_number(&mut self, line: usize, shown: &str) {
        let message = format!("grand nombre « {shown} »");
        self.warn(line, Rule::LargeNumber, message, HINT_LARGE_NUMBER);
    }

    fn written_abbreviation(&mut self, segment: &Segment, found: &WrittenMatch) {
        let shown = &segment.text[found.span.clone()];
        let message = format!("abréviation « {shown} »");
        let hint = format!("Écrivez en entier : « {} ».", found.abbreviation.full);
        let line = segment.line_at(found.span.start);
        self.warn(line, Rule::Abbreviation, message, &hint);
    }

    /// The rules that look at one word: numbers, number words, roman numerals, capitals.
    fn word(&mut self, segment: &Segment, words: &[Range<usize>], k: usize) {
        let text = segment.text.as_str();
        let word = &text[words[k].clone()];
        let line = segment.line_at(words[k].start);
        if let Some(value) = number_value(word) {
            if value >= LARGE_NUMBER {
                self.large_number(line, word);
            }
            return;
        }
        match word.to_lowercase().as_str() {
            "million" | "millions" | "milliard" | "milliards" => self.large_number(line, word),
            "pourcent" | "pourcentage" | "pourcentages" => self.percentage(line, word),
            "pour" if is_pour_cent(text, words, k) => self.percentage(line, "pour cent"),
            _ => {
                let core = after_elision(text, words[k].clone());
                match roman_numeral(&text[core.clone()]) {
                    Some(digits) => self.roman_numeral(line, &text[core], &digits),
                    None => self.capitals(segment, words, k, core),
                }
            }
        }
    }

    fn roman_numeral(&mut self, line: usize, numeral: &str, digits: &str) {
        let message = format!("chiffre romain « {numeral} »");
        let hint = format!("Écrivez en chiffres : « {digits} ».");
        self.warn(line, Rule::RomanNumeral, message, &hint);
    }

    fn is_known(&self, word: &str) -> bool {
        let bare: String = word.chars().filter(|&c| c != '-' && c != '.').collect();
        KNOWN_ABBREVIATIONS.contains(&bare.as_str())
            || self
                .options
                .known_abbreviations
                .iter()
                .any(|known| known == word || known.trim_end_matches('.') == word)
    }

    /// Words in capitals: shouting (Capitals) or an acronym (Abbreviation, reported once, and
    /// only until it is explained).
    fn capitals(
        &mut self,
        segment: &Segment,
        words: &[Range<usize>],
        k: usize,
        core: Range<usize>,
    ) {
        let text = segment.text.as_str();
        let word = &text[core.clone()];
        if !is_caps_word(word) || self.is_known(word) || self.explained.contains(word) {
            return;
        }
        let line = segment.line_at(core.start);
        if is_shouted(text, words, k, word) {
            let message = format!("mot en majuscules « {word} »");
            self.warn(line, Rule::Capitals, message, HINT_CAPITALS);
        } else if !is_acronym(word) {
            // Too short to shout, and not shaped like an acronym ("É-U"): nothing to say.
        } else if is_explained(text, core) {
            self.explained.insert(word.to_owned());
        } else if self.reported.insert(word.to_owned()) {
            let message = format!("sigle « {word} » non expliqué");
            self.warn(line, Rule::Abbreviation, message, HINT_ACRONYM);
        }
    }
}

// ------------------------------------------------------------------------------------------
// Reading-order rules: questions used as conditions, negatives, numbers in words

/// A document with at least this many negative sentences…
const NEGATIVES_MIN: usize = 3;
/// …that are more than this share (in percent) of its sentences gets a warning.
const NEGATIVES_MAX_PERCENT: usize = 25;

/// Words that open a real question ("Comment faire ?"), not a condition.
const QUESTION_WORDS: &[&str] = &[
    "comment", "pourquoi", "quand", "où", "qui", "que", "qu'", "quoi", "quel", "combien", "lequel",
    "laquelle", "lesquel", "est-ce", "c'est",
];

/// Words ending in "-ez" that are not instructions.
const NOT_INSTRUCTIONS: &[&str] = &["chez", "assez", "nez", "rez"];

/// Words that make a sentence negative, with "ne" or "n'".
const NEGATIVE_WORDS: &[&str] = &[
    "pas", "jamais", "plus", "rien", "aucun", "aucune", "personne",
];

/// Numbers written in words, and their digits. "un"/"une" (an article as often as a
/// number) and "neuf" (also "new") are left out on purpose.
#[rustfmt::skip]
const SPELLED_NUMBERS: &[(&str, &str)] = &[
    ("deux", "2"), ("trois", "3"), ("quatre", "4"), ("cinq", "5"), ("six", "6"),
    ("sept", "7"), ("huit", "8"), ("dix", "10"), ("onze", "11"), ("douze", "12"),
    ("treize", "13"), ("quatorze", "14"), ("quinze", "15"), ("seize", "16"),
    ("vingt", "20"), ("trente", "30"), ("quarante", "40"), ("cinquante", "50"),
    ("soixante", "60"), ("cent", "100"), ("mille", "1000"),
];

/// Little words after which a number word is not before a noun ("deux ou trois", "à
/// deux sur le banc").
const NOT_NOUNS: &[&str] = &[
    "ou", "et", "à", "a", "de", "des", "du", "d", "sur", "par", "pour", "au", "aux", "ni", "en",
    "est", "sont", "ont", "avec",
];

const HINT_QUESTION: &str = "Écrivez la condition avec « si » : « Si le téléphone propose \
    plusieurs choix, touchez… »";
const HINT_NEGATIVES: &str = "Dites ce qu'il faut faire : « Gardez votre code pour vous. » \
    se lit mieux que « Ne donnez pas votre code. »";

fn lowercase(word: &str) -> String {
    word.to_lowercase().replace('’', "'")
}

/// "Touchez", "Appuyez-y", "Faites", "Dites": an instruction to the reader.
fn is_instruction(word: &str) -> bool {
    let word = lowercase(word);
    let verb = word.split('-').next().unwrap_or(&word);
    (verb.len() > 3 && verb.ends_with("ez") && !NOT_INSTRUCTIONS.contains(&verb))
        || matches!(verb, "faites" | "dites")
}

/// A sentence ending with "?" that does not open with a question word: "Votre téléphone
/// propose plusieurs choix ?" reads as a condition. A quoted or reported question
/// ("Demandez : « Vous en avez besoin ? »") is not one.
fn is_condition_question(text: &str, words: &[Range<usize>], sentence: &Range<usize>) -> bool {
    let (Some(first), Some(last)) = (words.get(sentence.start), words.get(sentence.end - 1)) else {
        return false;
    };
    let gap_end = words.get(sentence.end).map_or(text.len(), |w| w.start);
    let Some(mark) = text[last.end..gap_end].find('?').map(|i| last.end + i) else {
        return false;
    };
    let quoted = text[mark + 1..].trim_start().starts_with(['»', '"', '”'])
        || text[first.start..mark].contains([':', '«']);
    let first = lowercase(&text[first.clone()]);
    !quoted && !QUESTION_WORDS.iter().any(|q| first.starts_with(q))
}

fn is_negative(text: &str, words: &[Range<usize>]) -> bool {
    let lower: Vec<String> = words.iter().map(|w| lowercase(&text[w.clone()])).collect();
    let has_ne = lower.iter().any(|w| w == "ne" || w.starts_with("n'"));
    has_ne && lower.iter().any(|w| NEGATIVE_WORDS.contains(&w.as_str()))
}

impl Linter<'_> {
    /// The rules that look at sentences one after the other.
    fn reading_order(&mut self, segment: &Segment, words: &[Range<usize>], sentence: Range<usize>) {
        let text = segment.text.as_str();
        let Some(first) = words.get(sentence.start) else {
            return;
        };
        let line = segment.line_at(first.start);
        self.sentence_count += 1;
        if is_negative(text, &words[sentence.clone()]) {
            self.negative_lines.push(line);
        }
        if let Some(question_line) = self.pending_question.take() {
            if !segment.heading && is_instruction(&text[first.clone()]) {
                let message = "question utilisée comme condition, suivie d'une consigne".into();
                self.warn(
                    question_line,
                    Rule::QuestionCondition,
                    message,
                    HINT_QUESTION,
                );
            }
        }
        if !segment.heading && is_condition_question(text, words, &sentence) {
            self.pending_question = Some(line);
        }
    }

    /// Too many negative sentences in one document: reported once, on the first of them.
    fn negatives_ratio(&mut self) {
        let negatives = self.negative_lines.len();
        let total = self.sentence_count.max(1);
        if negatives >= NEGATIVES_MIN && negatives * 100 > total * NEGATIVES_MAX_PERCENT {
            let message = format!("{negatives} phrases négatives sur {total}");
            self.warn(
                self.negative_lines[0],
                Rule::Negatives,
                message,
                HINT_NEGATIVES,
            );
        }
    }

    /// "deux", "trois"… before a noun: to be written in digits.
    fn number_words(&mut self, segment: &Segment, words: &[Range<usize>]) {
        let text = segment.text.as_str();
        let spelled = |k: usize| {
            let word = lowercase(&text[words[k].clone()]);
            SPELLED_NUMBERS
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, d)| *d)
        };
        for k in 0..words.len() {
            let Some(digits) = spelled(k) else {
                continue;
            };
            let Some(next) = words.get(k + 1) else {
                continue;
            };
            let next_word = lowercase(&text[next.clone()]);
            let joined = text[words[k].end..next.start]
                .chars()
                .all(char::is_whitespace);
            let before_noun = joined
                && next_word.starts_with(char::is_alphabetic)
                && !NOT_NOUNS.contains(&next_word.as_str())
                && spelled(k + 1).is_none();
            let previous = k.checked_sub(1).map(|p| lowercase(&text[words[p].clone()]));
            // "pour cent" belongs to the percentage rule.
            let after_number = (k > 0 && spelled(k - 1).is_some())
                || (digits == "100" && previous.as_deref() == Some("pour"));
            if before_noun && !after_number {
                let shown = &text[words[k].clone()];
                let message = format!("nombre écrit en lettres « {shown} »");
                let hint = format!("Écrivez le nombre en chiffres : « {digits} ».");
                let line = segment.line_at(words[k].start);
                self.warn(line, Rule::NumberWords, message, &hint);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Severity = Severity::Warning;
    const E: Severity = Severity::Error;

    type Expected = &'static [(usize, Rule, Severity)];

    fn summary(findings: &[LintFinding]) -> Vec<(usize, Rule, Severity)> {
        findings
            .iter()
            .map(|f| (f.line, f.rule, f.severity))
            .collect()
    }

    fn lint(body: &str) -> Vec<LintFinding> {
        lint_markdown(body, 1, &LintOptions::default())
    }

    /// Runs a table of `(name, Markdown body starting on line 1, expected findings)`.
    fn check_table(cases: &[(&str, &str, Expected)]) {
        for (name, body, expected) in cases {
            let findings = lint(body);
            assert_eq!(summary(&findings), *expected, "{name}: {findings:#?}");
        }
    }

    #[test]
    fn rule_codes_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_code(rule.code()), Some(rule));
        }
        assert_eq!(Rule::from_code("Capitals"), None);
        assert_eq!(Rule::from_code(""), None);
    }

    #[test]
    fn sentence_length() {
        use Rule::SentenceLength as S;
        check_table(&[
            (
                "good FALC paragraph",
                "Vous avez reçu un message.\nIl vous demande votre mot de passe.\n\n\
                 Ne répondez pas ! Appelez votre conseiller. Il peut vous aider… C'est gratuit ?",
                &[],
            ),
            (
                "15 words",
                "Vous pouvez aller à la mairie avec votre carte et votre facture pour la demande.",
                &[],
            ),
            (
                "16 words",
                "Vous pouvez aller à la mairie avec votre carte et votre facture pour faire la demande.",
                &[(1, S, W)],
            ),
            (
                "25 words",
                "Le conseiller vous reçoit le mardi à la médiathèque et il vous aide à créer \
                 votre compte sur le site des impôts avec votre adresse.",
                &[(1, S, W)],
            ),
            (
                "26 words",
                "Le conseiller vous reçoit le mardi matin à la médiathèque et il vous aide à créer \
                 votre compte sur le site des impôts avec votre adresse.",
                &[(1, S, E)],
            ),
            (
                "a sentence starting on the second line of a paragraph",
                "Ouvrez le site.\nVous allez ensuite ouvrir le navigateur, puis vous allez taper \
                 l'adresse\ndu site de la mairie dans la barre en haut de l'écran.",
                &[(2, S, W)],
            ),
            (
                "a sentence starting in the middle of line 1, ending on line 2",
                "Ouvrez le site. Vous allez ensuite ouvrir le navigateur, puis vous allez taper\n\
                 l'adresse du site de la mairie dans la barre en haut de l'écran.",
                &[(1, S, W)],
            ),
            (
                "a heading and a paragraph without full stops are two sentences",
                "# Comment créer votre compte sur le site de la mairie\n\
                 Vous ouvrez le site de la mairie sur votre téléphone",
                &[],
            ),
            (
                "list items are sentences",
                "- Prenez votre carte Vitale et votre carte d'identité\n\
                 - Prenez aussi une facture récente avec votre adresse\n",
                &[],
            ),
            (
                "table cells are sentences",
                "| Quand | Où |\n|---|---|\n\
                 | Le lundi et le mardi matin de neuf heures à midi | \
                 À la médiathèque du centre, au premier étage |\n",
                &[],
            ),
            (
                "digits with dots, apostrophes and hyphens do not split",
                "Aujourd'hui, peut-être, la version 1.5 de l'application vous aide à envoyer \
                 un message à votre fille et à votre fils.",
                &[(1, S, W)],
            ),
            (
                "etc. followed by a capital ends a sentence",
                "Prenez des photos, des lettres, des factures, des papiers, etc. Puis venez \
                 avec votre dossier le mardi.",
                &[(1, Rule::Abbreviation, W)],
            ),
            (
                "M. and etc. followed by lowercase do not end a sentence",
                "M. Dupont vous reçoit.\n\nPrenez des photos, des lettres, etc. et des factures.",
                &[(1, Rule::Abbreviation, W), (3, Rule::Abbreviation, W)],
            ),
        ]);
    }

    #[test]
    fn sentence_messages_give_the_count() {
        let findings = lint(
            "Le conseiller vous reçoit le mardi matin à la médiathèque et il vous aide à créer \
             votre compte sur le site des impôts avec votre adresse.",
        );
        assert_eq!(findings[0].message, "phrase de 26 mots (au-delà de 25)");
        let findings = lint(
            "Vous pouvez aller à la mairie avec votre carte et votre facture pour faire la demande.",
        );
        assert_eq!(findings[0].message, "phrase de 16 mots (au-delà de 15)");
        assert_eq!(
            findings[0].hint,
            "Coupez en deux phrases. Une idée par phrase."
        );
    }

    #[test]
    fn chained_ideas() {
        use Rule::ChainedIdeas as C;
        check_table(&[
            (
                "semicolon",
                "Prenez votre carte ; elle est dans votre sac.",
                &[(1, C, W)],
            ),
            (
                "semicolon ending list items",
                "Apportez :\n\n- votre carte ;\n- votre facture.\n",
                &[],
            ),
            (
                "short parenthesis",
                "Prenez vos papiers (la carte d'identité).",
                &[],
            ),
            (
                "long parenthesis, on the line of its opening",
                "Prenez vos papiers.\nApportez-les (la carte d'identité, le livret de famille \
                 et une facture).",
                &[(2, C, W)],
            ),
            (
                "parenthesis of exactly 6 words",
                "Prenez vos papiers (la carte et le livret vert).",
                &[],
            ),
        ]);
    }

    #[test]
    fn capitals_and_abbreviations() {
        use Rule::{Abbreviation as A, Capitals as C};
        check_table(&[
            (
                "shouting",
                "ATTENTION : ne donnez jamais votre code.",
                &[(1, C, W)],
            ),
            (
                "two words in capitals",
                "C'est TRÈS IMPORTANT.",
                &[(1, C, W), (1, C, W)],
            ),
            ("an exclamation", "STOP ! Ne cliquez pas.", &[(1, C, W)]),
            ("unexplained acronym", "Écrivez à la CAF.", &[(1, A, W)]),
            (
                "explained, then used",
                "Écrivez à la Caisse d'allocations familiales (CAF).\nLa CAF vous répond.",
                &[],
            ),
            (
                "explained after it",
                "La CAF (Caisse d'allocations familiales) répond.",
                &[],
            ),
            (
                "reported once",
                "La CAF répond.\n\nÉcrivez à la CAF.",
                &[(1, A, W)],
            ),
            (
                "explained too late",
                "La CAF répond.\n\nLa Caisse d'allocations familiales (CAF) aide.\n\nLa CAF paie.",
                &[(1, A, W)],
            ),
            ("after an elision", "L'URSSAF vous écrit.", &[(1, A, W)]),
            ("dotted acronym", "La S.N.C.F. vous écrit.", &[(1, A, W)]),
            (
                "words everyone knows",
                "Branchez la clé USB, activez le WIFI, puis OK.",
                &[],
            ),
            (
                "Wi-Fi is not in capitals",
                "Activez le Wi-Fi ou le WI-FI.",
                &[],
            ),
            ("etc.", "Prenez vos papiers, vos photos, etc.", &[(1, A, W)]),
            (
                "written abbreviations",
                "Ex. : la p. 3, le n°12, Mme Durand, c.-à-d. demain, svp.",
                &[
                    (1, A, W),
                    (1, A, W),
                    (1, A, W),
                    (1, A, W),
                    (1, A, W),
                    (1, A, W),
                ],
            ),
            (
                "words that start like abbreviations",
                "Mais pour cet exemple, mon ex-mari.",
                &[],
            ),
        ]);
    }

    #[test]
    fn abbreviation_hints_give_the_full_words() {
        let findings = lint("Prenez vos papiers, etc.");
        assert_eq!(findings[0].message, "abréviation « etc. »");
        assert_eq!(findings[0].hint, "Écrivez en entier : « et les autres ».");
        let findings = lint("M. Durand.");
        assert_eq!(findings[0].hint, "Écrivez en entier : « Monsieur ».");
        let findings = lint("La CAF.");
        assert_eq!(findings[0].message, "sigle « CAF » non expliqué");
    }

    #[test]
    fn known_abbreviations_from_options() {
        let body = "L'URSSAF vous écrit. URSSAF : vos droits.";
        assert_eq!(summary(&lint(body)), [(1, Rule::Abbreviation, W)]);
        let options = LintOptions {
            known_abbreviations: vec!["URSSAF".into()],
        };
        assert_eq!(lint_markdown(body, 1, &options), []);
        // Case-sensitive: "Urssaf" is not "URSSAF".
        let options = LintOptions {
            known_abbreviations: vec!["Urssaf".into()],
        };
        assert_eq!(
            summary(&lint_markdown(body, 1, &options)),
            [(1, Rule::Abbreviation, W)]
        );
    }

    #[test]
    fn percentages_and_numbers() {
        use Rule::{LargeNumber as N, Percentage as P};
        check_table(&[
            (
                "percent sign",
                "Seulement 50 % des personnes répondent.",
                &[(1, P, W)],
            ),
            (
                "glued percent sign",
                "Seulement 50% répondent.",
                &[(1, P, W)],
            ),
            (
                "pour cent",
                "Cinquante pour cent des gens. Et 30 pour cent.",
                &[(1, P, W), (1, P, W)],
            ),
            (
                "pour cent without a number",
                "Un repas pour cent personnes.",
                &[],
            ),
            ("pourcentage", "Le pourcentage monte.", &[(1, P, W)]),
            ("10 000", "Plus de 10 000 personnes.", &[(1, N, W)]),
            (
                "non-breaking space",
                "Plus de 10\u{a0}000 personnes.",
                &[(1, N, W)],
            ),
            (
                "narrow space",
                "Plus de 25\u{202f}000 personnes.",
                &[(1, N, W)],
            ),
            (
                "dots between groups",
                "Environ 12.500 personnes.",
                &[(1, N, W)],
            ),
            ("no separator", "Environ 15000 personnes.", &[(1, N, W)]),
            (
                "1 500 is fine",
                "Il y a 1 500 personnes et 9 999 livres.",
                &[],
            ),
            ("decimals", "La version 1.5 et 2,75 kilos.", &[]),
            (
                "millions",
                "2 millions de personnes et 1 milliard.",
                &[(1, N, W), (1, N, W)],
            ),
            (
                "years and short phone numbers",
                "En 2024, appelez le 3018.",
                &[],
            ),
            (
                "codes starting with 0",
                "Appelez le 0612345678 ou le 01 23 45 67 89.",
                &[],
            ),
        ]);
        let findings = lint("Plus de 10 000 personnes.");
        assert_eq!(findings[0].message, "grand nombre « 10 000 »");
        let findings = lint("Seulement 50 %.");
        assert_eq!(
            findings[0].hint,
            "Dites « la moitié », « 1 personne sur 4 »…"
        );
    }

    #[test]
    fn roman_numerals() {
        use Rule::RomanNumeral as R;
        check_table(&[
            ("century", "Au XIXe siècle.", &[(1, R, W)]),
            ("king", "Louis XIV habite ici.", &[(1, R, W)]),
            ("first", "Le Ier arrondissement.", &[(1, R, W)]),
            (
                "single letter with an ordinal",
                "La Ve République.",
                &[(1, R, W)],
            ),
            ("a CD is not a number", "Mettez un CD dans le lecteur.", &[]),
            (
                "words",
                "Ce matin, De Gaulle, Le chat, Mme Durand vient.",
                &[(1, Rule::Abbreviation, W)],
            ),
            ("single letters", "La lettre V ou X.", &[]),
            (
                "not canonical",
                "Le mot CIVIL.",
                &[(1, Rule::Abbreviation, W)],
            ),
        ]);
        let findings = lint("Louis XIV.\n\nAu XIXe siècle.");
        assert_eq!(findings[0].message, "chiffre romain « XIV »");
        assert_eq!(findings[0].hint, "Écrivez en chiffres : « 14 ».");
        assert_eq!(findings[1].hint, "Écrivez en chiffres : « 19e ».");
    }

    #[test]
    fn markdown_structure() {
        use Rule::{Abbreviation as A, Italics as I};
        check_table(&[
            ("italics", "Cliquez sur *Envoyer*.", &[(1, I, W)]),
            (
                "underscore italics",
                "Cliquez\nsur _Envoyer_.",
                &[(2, I, W)],
            ),
            ("bold is fine", "Cliquez sur **Envoyer**.", &[]),
            (
                "code span",
                "Tapez `ATTENTION CAF 50 % ; etc. XIV` puis validez.",
                &[],
            ),
            (
                "code block",
                "```\nATTENTION CAF 10 000\n```\n\n    XIV ; 50 %\n",
                &[],
            ),
            (
                "link URL",
                "Allez sur [le site](https://www.caf.fr/ATTENTION%20CAF).",
                &[],
            ),
            ("autolink", "Allez sur <https://www.caf.fr/CAF%20XIV>.", &[]),
            ("raw HTML", "Voir <span title=\"CAF XIV\">ici</span>.", &[]),
            (
                "image alt text",
                "Regardez.\n\n![Le logo de la CAF](images/caf.png)",
                &[(3, A, W)],
            ),
            (
                "link text",
                "Écrivez à [la CAF](https://www.caf.fr).",
                &[(1, A, W)],
            ),
        ]);
    }

    #[test]
    fn code_spans_count_as_one_word() {
        // 15 words with the code span: no finding; one more word: a finding.
        let fifteen =
            "Vous pouvez aller à la mairie avec votre carte et votre `facture` pour la demande.";
        assert_eq!(lint(fifteen), []);
        let sixteen = "Vous pouvez aller à la mairie avec votre carte et votre `ma facture` pour faire la demande.";
        assert_eq!(summary(&lint(sixteen)), [(1, Rule::SentenceLength, W)]);
    }

    #[test]
    fn ignore_comments() {
        use Rule::{Abbreviation as A, Capitals as C, SentenceLength as S};
        check_table(&[
            (
                "one rule",
                "Écrivez à la CAF, ATTENTION. <!-- falc: ignore capitals -->",
                &[(1, A, W)],
            ),
            (
                "every rule",
                "Écrivez à la CAF, ATTENTION. <!-- falc: ignore -->",
                &[],
            ),
            (
                "several rules",
                "Écrivez à la CAF, ATTENTION. <!--falc:ignore capitals,abbreviation-->",
                &[],
            ),
            (
                "spaces between codes",
                "Écrivez à la CAF, ATTENTION. <!-- falc: ignore capitals  abbreviation -->",
                &[],
            ),
            (
                "an unknown code silences nothing",
                "Écrivez à la CAF. <!-- falc: ignore sigles -->",
                &[(1, A, W)],
            ),
            (
                "another comment silences nothing",
                "Écrivez à la CAF. <!-- falc: ignored -->",
                &[(1, A, W)],
            ),
            (
                "only on its own line",
                "ATTENTION à vous.\n<!-- falc: ignore -->\n\nLa CAF. <!-- falc: ignore -->",
                &[(1, C, W)],
            ),
            (
                "on the line where the sentence starts",
                "Ouvrez le site. <!-- falc: ignore sentence-length -->\nVous allez ensuite \
                 ouvrir le navigateur, puis vous allez taper l'adresse du site\n\
                 de la mairie. <!-- falc: ignore sentence-length -->",
                &[(2, S, W)],
            ),
            (
                "a comment in a code block is not a comment",
                "```\n<!-- falc: ignore -->\n```\n\nLa CAF.",
                &[(5, A, W)],
            ),
        ]);
    }

    #[test]
    fn questions_used_as_conditions() {
        use Rule::QuestionCondition as Q;
        check_table(&[
            (
                "a condition question then an instruction",
                "Votre téléphone propose plusieurs choix ? Touchez le premier.",
                &[(1, Q, W)],
            ),
            (
                "across paragraphs, reported on the question's line",
                "Vous avez oublié le code ?\n\nAppuyez-vous sur le bouton.",
                &[(1, Q, W)],
            ),
            (
                "an inverted question is a condition too",
                "Avez-vous un iPhone ? Faites ceci.",
                &[(1, Q, W)],
            ),
            (
                "a written condition",
                "Si le téléphone propose plusieurs choix : touchez le premier.",
                &[],
            ),
            (
                "a real question",
                "Comment faire ? Touchez le bouton. Qu'est-ce qu'un lien ? Lisez ceci.",
                &[],
            ),
            (
                "a question followed by a statement",
                "Votre téléphone sonne ? C'est normal.",
                &[],
            ),
            (
                "a question at the end",
                "Il peut vous aider. C'est gratuit ?",
                &[],
            ),
            ("not an instruction", "Vous venez ? Chez moi.", &[]),
            (
                "a heading is a title",
                "## Et après ?\n\nProposez un atelier.",
                &[],
            ),
            (
                "a quoted question",
                "Demandez : « Vous en avez besoin ? » Montrez le geste.",
                &[],
            ),
            (
                "a quoted title",
                "Préparez le jeu « Libre ou gratuit ? ».\n\nImprimez.",
                &[],
            ),
        ]);
    }

    #[test]
    fn negative_sentences_above_a_quarter_of_a_document() {
        use Rule::Negatives as N;
        check_table(&[
            (
                "three negatives in four sentences",
                "Ne cliquez pas.\nN'ouvrez rien.\nNe répondez jamais.\nAppelez le conseiller.",
                &[(1, N, W)],
            ),
            (
                "three negatives in twelve sentences",
                "Ouvrez. Lisez. Touchez. Écrivez. Validez. Attendez. Regardez. Notez. Ne \
                 cliquez pas. N'ouvrez rien. Ne répondez jamais. Appelez.",
                &[],
            ),
            (
                "two negatives are few",
                "Ne cliquez pas. N'ouvrez rien. Appelez.",
                &[],
            ),
            (
                "pas without ne is not counted",
                "Pas besoin de compte. Pas de mot de passe. Pas de frais. Entrez.",
                &[],
            ),
        ]);
        let reported = lint("Ouvrez.\n\nNe cliquez pas.\nN'ouvrez rien.\nNe répondez jamais.");
        assert_eq!(reported[0].message, "3 phrases négatives sur 4");
        assert_eq!(reported[0].line, 3);
    }

    #[test]
    fn numbers_written_in_words_before_a_noun() {
        use Rule::NumberWords as N;
        check_table(&[
            ("before a noun", "Attendez deux minutes.", &[(1, N, W)]),
            ("at the start", "Trois choses à savoir.", &[(1, N, W)]),
            ("in digits", "Attendez 2 minutes.", &[]),
            (
                "un and une are articles",
                "Un code. Une minute. Un seul.",
                &[],
            ),
            ("neuf is also new", "Un téléphone neuf. Neuf fois.", &[]),
            ("not before a noun", "Il en faut deux. Deux ou trois.", &[]),
            (
                "pour cent is the percentage rule's",
                "Un repas pour cent personnes.",
                &[],
            ),
            (
                "compound numbers once",
                "Vingt et un. Deux cents euros.",
                &[(1, N, W)],
            ),
            (
                "hyphenated words are words",
                "Un deux-roues et des trois-quarts.",
                &[],
            ),
        ]);
        let hint = &lint("Attendez cinq minutes.")[0].hint;
        assert_eq!(hint, "Écrivez le nombre en chiffres : « 5 ».");
    }

    #[test]
    fn an_ignore_comment_carries_its_reason() {
        use Rule::LargeNumber as L;
        check_table(&[
            (
                "reason after a dash",
                "Écrivez au 33700. <!-- falc: ignore large-number — un numéro, pas une quantité -->",
                &[],
            ),
            (
                "rule codes in the reason silence nothing more",
                "Écrivez au 33700, CAF. <!-- falc: ignore large-number — abbreviation -->",
                &[(1, Rule::Abbreviation, W)],
            ),
            (
                "without the rule, the reason silences nothing",
                "Écrivez au 33700. <!-- falc: ignore capitals — large-number -->",
                &[(1, L, W)],
            ),
        ]);
    }

    #[test]
    fn first_line_moves_every_finding() {
        let findings = lint_markdown("Bonjour.\n\nÉcrivez à la CAF.", 12, &LintOptions::default());
        assert_eq!(summary(&findings), [(14, Rule::Abbreviation, W)]);
    }

    #[test]
    fn lint_text_reports_on_its_line() {
        let findings = lint_text(
            "ATTENTION : la CAF change ses horaires",
            3,
            &LintOptions::default(),
        );
        assert_eq!(
            summary(&findings),
            [(3, Rule::Capitals, W), (3, Rule::Abbreviation, W)]
        );
        assert_eq!(
            lint_text("Votre mot de passe", 4, &LintOptions::default()),
            []
        );
        // Plain text: no Markdown, so "*" is not italics.
        assert_eq!(lint_text("Le *code*", 4, &LintOptions::default()), []);
    }

    #[test]
    fn findings_are_sorted_by_line_then_rule() {
        use Rule::*;
        let body = "Un texte *penché* avec la CAF.\n\nAu XIXe siècle ; 50 % des gens.\n\n\
                    ![Un logo, 10 000 fois](a.png) ATTENTION.";
        let findings = lint(body);
        assert_eq!(
            summary(&findings),
            [
                (1, Abbreviation, W),
                (1, Italics, W),
                (3, ChainedIdeas, W),
                (3, Percentage, W),
                (3, RomanNumeral, W),
                (5, Capitals, W),
                (5, LargeNumber, W),
            ]
        );
        let keys: Vec<(usize, u8)> = findings.iter().map(|f| (f.line, f.rule as u8)).collect();
        assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]));
    }
}
