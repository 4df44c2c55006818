//! Fuzzes the `.kitpack` reader: arbitrary bytes as a pack file, opened and (if it opens)
//! extracted, plus the manifest's JSON parser on the same bytes. Nothing may panic, and
//! extraction may write only listed files, inside the folder it was given.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mednum_kit::packs::format::Manifest;
use mednum_kit::packs::progress::Progress;
use mednum_kit::packs::{inpack, verify};

/// One scratch folder per process: `base/pack.kitpack`, and `base/jail/out` to extract into.
/// `jail` lets us see a write that climbs one level out of `out`; `base` one more. It is made
/// in `$TMPDIR`, which `scripts/fuzz.sh` points at a folder on tmpfs (so the extractor's
/// fsyncs cost nothing) that it removes at the end: libFuzzer exits without running drops.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("scratch dir"))
        .path()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every file under `dir`, relative, with `/` separators; panics on a symbolic link.
fn files_under(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type().expect("file type");
        assert!(
            !kind.is_symlink(),
            "extraction made a symbolic link `{rel}`"
        );
        if kind.is_dir() {
            files_under(&entry.path(), &format!("{rel}/"), out);
        } else {
            out.push(rel);
        }
    }
}

fn check_manifest_json(data: &[u8]) {
    if let Ok(manifest) = serde_json::from_slice::<Manifest>(data) {
        // What we sign must parse back to the same manifest.
        let back: Manifest =
            serde_json::from_slice(&manifest.to_bytes()).expect("canonical bytes parse");
        assert_eq!(back, manifest);
    }
}

fuzz_target!(|data: &[u8]| {
    check_manifest_json(data);

    let base = scratch();
    let pack = base.join("pack.kitpack");
    let jail = base.join("jail");
    let out: PathBuf = jail.join("out");
    std::fs::write(&pack, data).expect("write pack");
    std::fs::create_dir_all(&out).expect("make out dir");

    if let Ok(mut open) = verify::open(&pack, &|_| true, true) {
        let listed: Vec<String> = open.manifest.files.iter().map(|f| f.path.clone()).collect();
        // Errors are fine (hash or size mismatch...); only where bytes land matters.
        // Big stored media may be left in the pack (`inpack`): their index is the one
        // other file, and names listed files only.
        let _ = open.extract(&out, &Progress::silent(), true);
        let mut written = Vec::new();
        files_under(&out, "", &mut written);
        for file in written.iter().filter(|f| *f != inpack::INDEX) {
            assert!(listed.contains(file), "extraction wrote unlisted `{file}`");
        }
        if let Ok(index) = inpack::read_index(&out) {
            for file in index.keys() {
                assert!(listed.contains(file), "index names unlisted `{file}`");
            }
        }
    }

    assert_eq!(
        names_in(&jail),
        ["out"],
        "a write escaped the extraction dir"
    );
    assert_eq!(
        names_in(base),
        ["jail", "pack.kitpack"],
        "a write escaped the jail"
    );
    std::fs::remove_dir_all(&out).expect("clean out dir");
});
