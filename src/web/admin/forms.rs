//! `application/x-www-form-urlencoded`: reading the forms the admin pages send, and writing
//! values into URLs.

/// A form's fields, in the order sent.
#[derive(Debug, Default)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// Parses a form body. Bytes that are not UTF-8 once decoded are replaced; a field
    /// without `=` has an empty value.
    pub fn parse(body: &[u8]) -> Form {
        let fields = body
            .split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &[][..]),
                };
                (decode(name), decode(value))
            })
            .collect();
        Form { fields }
    }

    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of field `name` (ticked checkboxes of one group), in the order sent.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed, or "" when absent.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).map(str::trim).unwrap_or("")
    }

    /// Every field, in the order sent (a group of checkboxes sends its name once per box).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// `true` for a ticked checkbox.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Decodes `+` and `%XX` (a `%` not followed by two hex digits stays as it is).
fn decode(bytes: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes `text` for a URL's query.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_plus_percent_and_keep_order() {
        let form = Form::parse(b"nom=Claire+Martin&mot=%C3%A9t%C3%A9%21&vide&x=%zz%4&nom=2");
        assert_eq!(form.get("nom"), Some("Claire Martin"));
        assert_eq!(form.get("mot"), Some("été!"));
        assert_eq!(form.get("vide"), Some(""));
        assert_eq!(form.get("x"), Some("%zz%4"));
        assert_eq!(form.get("absent"), None);
        assert!(form.checked("vide") && !form.checked("absent"));
        let repeated = Form::parse(b"t=a&t=b&u=c");
        let all: Vec<(&str, &str)> = repeated.pairs().collect();
        assert_eq!(all, [("t", "a"), ("t", "b"), ("u", "c")]);
        assert_eq!(Form::parse(b"a=%FF").get("a"), Some("\u{fffd}"));
    }

    #[test]
    fn encoding_round_trips() {
        let text = "/admin/paquets?x=é & y";
        let encoded = encode(text);
        assert!(encoded.bytes().all(|b| b.is_ascii_graphic()));
        assert_eq!(decode(encoded.as_bytes()), text);
    }
}
