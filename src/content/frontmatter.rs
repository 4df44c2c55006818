//! Splits a Markdown file into its TOML front matter (between two `+++` lines) and its body.

/// A split file: the TOML text, the Markdown body, and the 1-based line where each starts.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub toml: &'a str,
    pub toml_line: usize,
    pub body: &'a str,
    pub body_line: usize,
}

/// Why a file has no usable front matter.
#[derive(Debug, PartialEq, Eq)]
pub enum SplitError {
    MissingOpening,
    MissingClosing,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::MissingOpening => {
                f.write_str("le fichier doit commencer par une ligne `+++` (début des réglages)")
            }
            SplitError::MissingClosing => {
                f.write_str("la ligne `+++` qui ferme les réglages est absente")
            }
        }
    }
}

pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or(SplitError::MissingOpening)?;
    if first.trim_end() != "+++" {
        return Err(SplitError::MissingOpening);
    }
    let toml_start = first.len();
    let mut offset = toml_start;
    for (line_no, line) in (2..).zip(lines) {
        if line.trim_end() == "+++" {
            return Ok(Split {
                toml: &text[toml_start..offset],
                toml_line: 2,
                body: &text[offset + line.len()..],
                body_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(SplitError::MissingClosing)
}

/// The 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body_with_line_numbers() {
        let s = split("+++\ntitle = \"x\"\n+++\nBody\n").unwrap();
        assert_eq!(s.toml, "title = \"x\"\n");
        assert_eq!(s.body, "Body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let s = split("\u{feff}+++\r\na = 1\r\n+++\r\nB").unwrap();
        assert_eq!(s.toml, "a = 1\r\n");
        assert_eq!(s.body, "B");
    }

    #[test]
    fn refuses_files_without_delimiters() {
        assert_eq!(split(""), Err(SplitError::MissingOpening));
        assert_eq!(split("# Titre\n"), Err(SplitError::MissingOpening));
        assert_eq!(split("+++\na = 1\n"), Err(SplitError::MissingClosing));
    }

    #[test]
    fn counts_lines() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str) -> Result<(), TestCaseError> {
        if let Ok(s) = split(text) {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            prop_assert!(text.ends_with(s.body));
            if !s.body.is_empty() {
                prop_assert_eq!(s.body_line, line_of(text, text.len() - s.body.len()));
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn split_never_panics(text in any::<String>()) {
            check(&text)?;
        }

        #[test]
        fn split_finds_the_body_line_of_framed_text(
            bom in any::<bool>(),
            toml in "[a-z =\"\r\n+é]{0,40}",
            body in any::<String>(),
        ) {
            let bom = if bom { "\u{feff}" } else { "" };
            check(&format!("{bom}+++\n{toml}\n+++\n{body}"))?;
            check(&format!("{bom}+++\r\n{toml}\r\n+++ \r\n{body}"))?;
        }
    }
}
