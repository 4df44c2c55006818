//! Fuzzes request target and query parsing. Nothing may panic; a parsed path holds only
//! plain segments (no `.`/`..`, no `/`, `\` or control character) that routing and file
//! serving can use as they are.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use mednum_kit::paths::safe_join;
use mednum_kit::web::url::{parse_query, parse_target};

fuzz_target!(|data: &[u8]| {
    // tiny_http hands us the target as a `String`, so only UTF-8 reaches the parser.
    let raw = String::from_utf8_lossy(data);
    match parse_target(&raw) {
        Ok(target) => {
            assert!(raw.starts_with('/'), "accepted {raw:?}");
            for segment in &target.segments {
                assert!(!segment.is_empty(), "empty segment from {raw:?}");
                assert!(
                    segment != "." && segment != "..",
                    "{segment:?} from {raw:?}"
                );
                assert!(
                    !segment
                        .chars()
                        .any(|c| c == '/' || c == '\\' || c.is_control()),
                    "{segment:?} from {raw:?}"
                );
            }
            assert!(target.query.len() <= 32);
            // A file route joins segments onto a folder: a hidden name may be refused
            // there, but whatever is joined must stay inside.
            let joined = target.segments.join("/");
            let root = Path::new("/srv/kit");
            if let Some(path) = safe_join(root, &joined) {
                let inside = path
                    .strip_prefix(root)
                    .map(|rest| rest.components().all(|c| matches!(c, Component::Normal(_))));
                assert_eq!(inside, Ok(true), "{path:?} from {raw:?}");
            }
        }
        Err(e) => assert!(matches!(e.status(), 400 | 404), "{raw:?}"),
    }
    let pairs = parse_query(&raw);
    assert!(pairs.len() <= 32);
});
