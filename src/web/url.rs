//! Request targets: the path cut into percent-decoded segments (anything that could climb
//! out of a folder is refused here, before routing) and the query string's pairs.

use super::http::HttpError;

/// A parsed request target.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
}

impl Target {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s`; `plus_is_space` for query strings. `None` on a broken escape.
fn percent_decode(s: &str, plus_is_space: bool) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi * 16 + lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Parses a request target such as `/tutoriels/mot-de-passe/etape/2?x=1`.
///
/// A path that is not plain (a `.` or `..` segment, an encoded `/` or `\`, a backslash, a
/// control character, an empty inner segment) is `NotFound`: it names nothing we serve.
/// A broken percent escape or bytes that are not UTF-8 are `BadRequest`.
pub fn parse_target(raw: &str) -> Result<Target, HttpError> {
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, q),
        None => (raw, ""),
    };
    let path = path.split_once('#').map_or(path, |(p, _)| p);
    let Some(path) = path.strip_prefix('/') else {
        return Err(HttpError::BadRequest("target is not an absolute path"));
    };
    let mut segments = Vec::new();
    if !path.is_empty() {
        let raw_segments: Vec<&str> = path.split('/').collect();
        let last = raw_segments.len() - 1;
        for (i, raw_segment) in raw_segments.into_iter().enumerate() {
            if raw_segment.is_empty() {
                if i == last {
                    break; // `/themes/` is `/themes`
                }
                return Err(HttpError::NotFound);
            }
            let bytes = percent_decode(raw_segment, false)
                .ok_or(HttpError::BadRequest("broken percent escape in path"))?;
            let segment =
                String::from_utf8(bytes).map_err(|_| HttpError::BadRequest("path is not UTF-8"))?;
            let plain = segment != "."
                && segment != ".."
                && !segment
                    .chars()
                    .any(|c| c == '/' || c == '\\' || c.is_control());
            if !plain {
                return Err(HttpError::NotFound);
            }
            segments.push(segment);
        }
    }
    Ok(Target {
        segments,
        query: parse_query(query),
    })
}

/// Parses `a=1&b=deux+mots`. Broken escapes are kept as typed; bad UTF-8 is replaced.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .take(32)
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| match percent_decode(s, true) {
                Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                None => s.replace('+', " "),
            };
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(raw: &str) -> Result<Vec<String>, u16> {
        parse_target(raw)
            .map(|t| t.segments)
            .map_err(|e| e.status())
    }

    #[test]
    fn paths_decode_into_segments() {
        assert_eq!(segs("/"), Ok(vec![]));
        assert_eq!(segs("/themes/"), Ok(vec!["themes".to_string()]));
        assert_eq!(
            segs("/tutoriels/mot-de-passe/etape/2"),
            Ok(vec!["tutoriels", "mot-de-passe", "etape", "2"]
                .into_iter()
                .map(String::from)
                .collect())
        );
        assert_eq!(segs("/recherche%20x"), Ok(vec!["recherche x".to_string()]));
        assert_eq!(segs("/%C3%A9t%C3%A9"), Ok(vec!["été".to_string()]));
    }

    #[test]
    fn traversal_attempts_are_not_found() {
        for raw in [
            "/_kit/../src/main.rs",
            "/_kit/%2e%2e/x",
            "/_kit/%2E%2E/x",
            "/_kit/.%2e/x",
            "/_kit/a%2fb",
            "/_kit/a%2Fb",
            "/_kit/a%5cb",
            "/_kit/..%5c..%5cetc",
            "/_kit/a\\b",
            "/_kit//etc/passwd",
            "/_kit/./x",
            "/_kit/a%00b",
            "/_kit/%0a",
        ] {
            assert_eq!(segs(raw), Err(404), "{raw}");
        }
    }

    #[test]
    fn malformed_targets_are_bad_requests() {
        for raw in ["/a%zz", "/a%2", "/%ff%fe", "*", "http://x/"] {
            assert_eq!(segs(raw), Err(400), "{raw}");
        }
    }

    #[test]
    fn queries_decode_plus_and_escapes() {
        let t = parse_target("/recherche?q=mot+de%20passe&x&q=2").unwrap();
        assert_eq!(t.param("q"), Some("mot de passe"));
        assert_eq!(t.param("x"), Some(""));
        assert_eq!(t.param("y"), None);
        let t = parse_target("/recherche?q=%E9v%zz").unwrap();
        assert_eq!(t.param("q"), Some("%E9v%zz"));
        let t = parse_target("/recherche?q=%E9").unwrap();
        assert_eq!(t.param("q"), Some("\u{fffd}"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Strings made of the pieces that matter to a path parser.
    fn tricky_target() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("."),
            Just(".."),
            Just("%2e"),
            Just("%2F"),
            Just("%5c"),
            Just("%"),
            Just("%0"),
            Just("%00"),
            Just("%C3"),
            Just("%A9"),
            Just("\\"),
            Just("?"),
            Just("#"),
            Just("&"),
            Just("="),
            Just("+"),
            Just("a"),
            Just("é"),
        ];
        vec(piece, 0..16).prop_map(|p| p.concat())
    }

    fn assert_plain(raw: &str) -> Result<(), TestCaseError> {
        if let Ok(target) = parse_target(raw) {
            for s in &target.segments {
                prop_assert!(!s.is_empty() && s != "." && s != "..", "{s:?} from {raw:?}");
                prop_assert!(
                    !s.chars().any(|c| c == '/' || c == '\\' || c.is_control()),
                    "{s:?} from {raw:?}"
                );
            }
            prop_assert!(target.query.len() <= 32);
        }
        Ok(())
    }

    /// Every byte as `%XX`.
    fn encode(s: &str) -> String {
        s.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    proptest! {
        #[test]
        fn parse_target_never_panics_and_keeps_segments_plain(raw in any::<String>()) {
            assert_plain(&raw)?;
            assert_plain(&format!("/{raw}"))?;
        }

        #[test]
        fn parse_target_keeps_segments_plain_on_traversal_pieces(raw in tricky_target()) {
            assert_plain(&raw)?;
        }

        #[test]
        fn encoded_segments_decode_back_or_are_not_found(segments in vec(any::<String>(), 1..5)) {
            prop_assume!(segments.iter().all(|s| !s.is_empty()));
            let raw: String = segments.iter().map(|s| format!("/{}", encode(s))).collect();
            let plain = segments.iter().all(|s| {
                s != "." && s != ".." && !s.chars().any(|c| c == '/' || c == '\\' || c.is_control())
            });
            match parse_target(&raw) {
                Ok(target) => prop_assert_eq!(target.segments, segments),
                Err(e) => prop_assert!(!plain && e.status() == 404, "{:?}", e),
            }
        }

        #[test]
        fn encoded_query_pairs_decode_back(pairs in vec(("(?s).{0,6}", "(?s).{0,6}"), 0..36)) {
            let query: Vec<String> =
                pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
            let parsed = parse_query(&query.join("&"));
            let want: Vec<_> = pairs.into_iter().take(32).collect();
            prop_assert_eq!(parsed, want);
        }
    }
}
