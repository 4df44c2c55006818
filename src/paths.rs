//! The one place where an untrusted relative path (from a URL or from a pack) is joined onto
//! a trusted folder. Both the file routes and pack installation go through `safe_join`.

use std::path::{Path, PathBuf};

/// Longest relative path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest path segment accepted, in bytes (most file systems' limit).
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Why `untrusted` (a `/`-separated relative path, already percent-decoded) is not a plain
/// relative path, in words a person can act on; `None` when it is one.
pub fn relative_path_problem(untrusted: &str) -> Option<&'static str> {
    if untrusted.is_empty() {
        return Some("chemin vide");
    }
    if untrusted.len() > MAX_PATH_BYTES {
        return Some("chemin trop long");
    }
    if untrusted.starts_with('/') || untrusted.contains(':') {
        return Some("chemin absolu");
    }
    if untrusted.contains('\\') {
        return Some("barre oblique inversée");
    }
    for segment in untrusted.split('/') {
        let problem = match segment {
            "" | "." => "segment vide",
            ".." => "remontée `..`",
            s if s.len() > MAX_SEGMENT_BYTES => "nom trop long",
            s if s.starts_with('.') => "fichier caché",
            s if s.chars().any(char::is_control) => "caractère de contrôle",
            _ => continue,
        };
        return Some(problem);
    }
    None
}

/// Joins `untrusted` onto `root`. Returns `None` unless every segment is a plain name: no
/// empty or `.`/`..` segment, no leading `/`, no backslash, no NUL or control character, no
/// drive letter, no hidden (`.name`) segment, and nothing longer than a file system allows.
pub fn safe_join(root: &Path, untrusted: &str) -> Option<PathBuf> {
    if relative_path_problem(untrusted).is_some() {
        return None;
    }
    let mut path = root.to_path_buf();
    path.extend(untrusted.split('/'));
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

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use std::path::Component;

    /// Paths built from the pieces an attacker would use.
    fn tricky_path() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("."),
            Just(".."),
            Just("\\"),
            Just(":"),
            Just("C:"),
            Just("\0"),
            Just("\n"),
            Just("a"),
            Just(".git"),
            Just("é"),
            Just("~"),
        ];
        vec(piece, 0..12).prop_map(|p| p.concat())
    }

    fn assert_inside(root: &Path, untrusted: &str) -> Result<(), TestCaseError> {
        match safe_join(root, untrusted) {
            Some(path) => {
                let rest = path.strip_prefix(root);
                prop_assert!(rest.is_ok(), "{path:?} from {untrusted:?}");
                let parts: Vec<_> = rest.unwrap_or(&path).components().collect();
                prop_assert!(
                    parts.iter().all(|c| matches!(c, Component::Normal(_))),
                    "{path:?} from {untrusted:?}"
                );
                // No segment vanished or merged: one component per `/`-separated name.
                prop_assert_eq!(parts.len(), untrusted.split('/').count());
            }
            None => prop_assert!(relative_path_problem(untrusted).is_some()),
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn safe_join_never_leaves_root(untrusted in any::<String>()) {
            assert_inside(Path::new("/data/packs"), &untrusted)?;
        }

        #[test]
        fn safe_join_never_leaves_root_on_traversal_pieces(untrusted in tricky_path()) {
            assert_inside(Path::new("/data/packs"), &untrusted)?;
            assert_inside(Path::new("relative/root"), &untrusted)?;
        }
    }
}
