//! The `Range` and `If-Range` headers (RFC 9110 §14), for every file the kit streams: pack
//! files shared with other kits and the media of installed packs. One byte range only; any
//! other form gets the whole file, as the RFC allows.

use std::borrow::Cow;
use std::fs::File;

use super::http::{FilePart, Reply};

/// What to send of a file: all of it (`200`) or one part (`206`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub start: u64,
    pub len: u64,
    /// The whole file's size.
    pub size: u64,
    pub partial: bool,
}

impl Part {
    pub fn status(&self) -> u16 {
        if self.partial {
            206
        } else {
            200
        }
    }

    /// The part's bytes in `file`, whose content starts at `base` (a file of its own: 0).
    pub fn of_file(&self, file: File, base: u64) -> FilePart {
        FilePart::new(file, base + self.start, self.len)
    }

    /// `Accept-Ranges`, and `Content-Range` for a part.
    pub fn headers(&self, reply: Reply) -> Reply {
        let reply = reply.header("Accept-Ranges", "bytes");
        if !self.partial {
            return reply;
        }
        let last = self.start + self.len - 1;
        reply.header(
            "Content-Range",
            format!("bytes {}-{last}/{}", self.start, self.size),
        )
    }
}

/// The part of a file of `size` bytes a request asks for. `range_applies` is `false` when an
/// `If-Range` names another version of the file: the whole file is then sent. An
/// unsatisfiable range gets its `416` reply.
pub fn select(range: Option<&str>, range_applies: bool, size: u64) -> Result<Part, Reply> {
    let whole = Part {
        start: 0,
        len: size,
        size,
        partial: false,
    };
    match range
        .filter(|_| range_applies)
        .map(|r| parse_range(r, size))
    {
        None | Some(Range::Ignored) => Ok(whole),
        Some(Range::Part(start, end)) => Ok(Part {
            start,
            len: end - start + 1,
            size,
            partial: true,
        }),
        Some(Range::Unsatisfiable) => {
            Err(
                Reply::bytes(416, "text/plain; charset=utf-8", Cow::Borrowed(b""))
                    .header("Content-Range", format!("bytes */{size}"))
                    .header("Accept-Ranges", "bytes"),
            )
        }
    }
}

/// `true` when an `If-Range` header (if any) names this very version of the file: its
/// strong `etag`, or its `last_modified` date exactly (RFC 9110 §13.1.5). A weak tag never
/// matches.
pub fn if_range_matches(if_range: Option<&str>, etag: &str, last_modified: &str) -> bool {
    match if_range.map(str::trim) {
        None => true,
        Some(v) if v.starts_with("W/") => false,
        Some(v) if v.starts_with('"') => v == etag,
        Some(v) => v == last_modified,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Range {
    /// Not a single byte range this server answers: the whole file (RFC 9110 allows it).
    Ignored,
    /// First and last byte, inclusive.
    Part(u64, u64),
    Unsatisfiable,
}

/// A `Range` header against a file of `size` bytes: `bytes=A-B`, `bytes=A-`, `bytes=-N`.
pub fn parse_range(header: &str, size: u64) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Range::Ignored;
    };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Range::Ignored;
    };
    let (a, b) = (a.trim(), b.trim());
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.len() <= 20 && t.bytes().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    match (a.is_empty(), number(a), number(b)) {
        // The last N bytes.
        (true, _, Some(n)) if n > 0 && size > 0 => Range::Part(size.saturating_sub(n), size - 1),
        (true, _, Some(_)) => Range::Unsatisfiable,
        (false, Some(start), _) if start >= size => Range::Unsatisfiable,
        (false, Some(start), None) if b.is_empty() => Range::Part(start, size - 1),
        (false, Some(start), Some(end)) if end >= start => Range::Part(start, end.min(size - 1)),
        _ => Range::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let cases = [
            ("bytes=0-99", Range::Part(0, 99)),
            ("bytes=100-", Range::Part(100, 999)),
            ("bytes=-10", Range::Part(990, 999)),
            ("bytes=-5000", Range::Part(0, 999)),
            ("bytes=900-5000", Range::Part(900, 999)),
            ("bytes=1000-", Range::Unsatisfiable),
            ("bytes=-0", Range::Unsatisfiable),
            ("bytes=5-1", Range::Ignored),
            ("bytes=0-1,5-6", Range::Ignored),
            ("items=0-1", Range::Ignored),
            ("bytes=a-b", Range::Ignored),
            ("bytes=99999999999999999999999-", Range::Ignored),
        ];
        for (header, want) in cases {
            assert_eq!(parse_range(header, 1000), want, "{header}");
        }
        assert_eq!(parse_range("bytes=0-", 0), Range::Unsatisfiable);
    }

    #[test]
    fn if_range_applies_the_range_only_to_the_same_version() {
        let (etag, date) = ("\"a-1\"", "Thu, 01 Jan 1970 00:00:01 GMT");
        assert!(if_range_matches(None, etag, date));
        assert!(if_range_matches(Some("\"a-1\""), etag, date));
        assert!(if_range_matches(Some(date), etag, date));
        assert!(!if_range_matches(Some("\"b-2\""), etag, date));
        assert!(!if_range_matches(Some("W/\"a-1\""), etag, date));
        assert!(!if_range_matches(
            Some("Fri, 02 Jan 1970 00:00:00 GMT"),
            etag,
            date
        ));
    }

    #[test]
    fn a_part_of_the_file_is_selected_or_refused_with_416() {
        let select = |range, applies| select(range, applies, 100).map_err(|r| r.status);
        let part = select(Some("bytes=10-19"), true).unwrap();
        assert_eq!((part.status(), part.start, part.len), (206, 10, 10));
        let whole = select(Some("bytes=10-19"), false).unwrap();
        assert_eq!((whole.status(), whole.start, whole.len), (200, 0, 100));
        assert_eq!(select(Some("bytes=100-"), true).unwrap_err(), 416);
        assert_eq!(select(None, true).unwrap().len, 100);
    }
}
