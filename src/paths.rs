//! The one place where an untrusted relative path (from a URL or from a pack) is joined onto
//! a trusted folder. Both the file routes and pack installation go through `safe_join`.

use std::path::{Path, PathBuf};

/// Joins `untrusted` (a `/`-separated relative path, already percent-decoded) onto `root`.
/// Returns `None` unless every segment is a plain name: no empty or `.`/`..` segment, no
/// leading `/`, no backslash, no NUL or control character, no drive letter, no hidden
/// (`.name`) segment, and nothing longer than a file system allows.
pub fn safe_join(root: &Path, untrusted: &str) -> Option<PathBuf> {
    const MAX_SEGMENT: usize = 255;
    const MAX_TOTAL: usize = 1024;
    if untrusted.is_empty() || untrusted.len() > MAX_TOTAL {
        return None;
    }
    let mut path = root.to_path_buf();
    for segment in untrusted.split('/') {
        let plain = !segment.is_empty()
            && segment.len() <= MAX_SEGMENT
            && !segment.starts_with('.')
            && !segment.contains(':')
            && !segment.chars().any(|c| c == '\\' || c.is_control());
        if !plain {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_join_accepts_plain_relative_paths_only() {
        let root = Path::new("/data/packs");
        let cases: &[(&str, Option<&str>)] = &[
            ("a.svg", Some("/data/packs/a.svg")),
            (
                "starter/1.0.0/images/a.svg",
                Some("/data/packs/starter/1.0.0/images/a.svg"),
            ),
            ("images/été.png", Some("/data/packs/images/été.png")),
            ("", None),
            ("..", None),
            ("../etc/passwd", None),
            ("a/../../b", None),
            ("./a", None),
            ("a/./b", None),
            ("/etc/passwd", None),
            ("a//b", None),
            ("a/", None),
            ("a\\..\\b", None),
            ("..\\windows", None),
            ("C:/x", None),
            ("a\0b", None),
            ("a\nb", None),
            (".hidden", None),
            ("a/.git/config", None),
        ];
        for (input, want) in cases {
            let got = safe_join(root, input);
            assert_eq!(got.as_deref(), want.map(Path::new), "input {input:?}");
        }
        assert!(safe_join(root, &"a".repeat(256)).is_none());
        assert!(safe_join(root, &"a/".repeat(600)).is_none());
    }
}
