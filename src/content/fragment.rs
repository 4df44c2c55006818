//! The HTML fragments this kit renders at import (`markdown`, the glossary linker), cut
//! back into text and tags for the passes that read them again: the glossary linker and the
//! take-home files. Only for our own fragments: texts and attribute values are escaped, so
//! `<` and `>` only delimit tags.

/// A piece of a stored fragment: text, or one tag as written.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Tag {
        raw: &'a str,
        /// Lowercase; empty for a comment or anything that is not an element.
        name: String,
        closing: bool,
    },
}

/// The fragment cut into text and tags. Fragments are written by our renderer
/// (`content::markdown`, the glossary linker): `<` and `>` in texts and attribute values are
/// escaped, so a tag ends at the first `>`.
pub fn pieces(html: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = html;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = match rest.find('<') {
            Some(0) => rest.find('>').map(|i| i + 1),
            Some(open) => {
                let text = &rest[..open];
                rest = &rest[open..];
                return Some(Piece::Text(text));
            }
            None => None,
        };
        let Some(end) = end else {
            let text = rest;
            rest = "";
            return Some(Piece::Text(text));
        };
        let raw = &rest[..end];
        rest = &rest[end..];
        let inner = raw[1..raw.len() - 1].trim_start();
        let closing = inner.starts_with('/');
        let name = inner
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(Piece::Tag { raw, name, closing })
    })
}

/// The value of attribute `name` in a tag as our renderer writes it (` name="…"`, escaped).
pub fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// HTML's escapes in an attribute value, undone.
pub fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_cuts_into_text_and_tags_with_their_names() {
        let got: Vec<Piece> = pieces("<p>Un <A href=\"/x\">lien</a><br/></p> fin <").collect();
        let tag = |raw, name: &str, closing| Piece::Tag {
            raw,
            name: name.to_owned(),
            closing,
        };
        assert_eq!(
            got,
            vec![
                tag("<p>", "p", false),
                Piece::Text("Un "),
                tag("<A href=\"/x\">", "a", false),
                Piece::Text("lien"),
                tag("</a>", "a", true),
                tag("<br/>", "br", false),
                tag("</p>", "p", true),
                Piece::Text(" fin "),
                Piece::Text("<"),
            ]
        );
    }

    #[test]
    fn attributes_are_read_as_written_and_unescaped_on_request() {
        let tag = r#"<img src="/a?x=1&amp;y=&quot;2&quot;" alt="A">"#;
        assert_eq!(attr(tag, "src"), Some("/a?x=1&amp;y=&quot;2&quot;"));
        assert_eq!(unescape(attr(tag, "src").unwrap()), "/a?x=1&y=\"2\"");
        assert_eq!(attr(tag, "title"), None);
    }
}
