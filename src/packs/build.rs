//! `pack build`: a source folder (or the embedded starter) → a signed, reproducible
//! `.kitpack`: entries sorted, fixed timestamps and permissions, manifest first.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::format::{
    to_hex, Manifest, ManifestFile, ManifestItem, FORMAT_VERSION, MANIFEST, SIGNATURE,
};
use super::{keys, FILES_URL};
use crate::content::{self, LoadedPack, Source};

/// Image and media formats that are already compressed are stored as they are (a big one
/// stored is also one a kit serves in place, see `inpack`).
fn compression_for(path: &str) -> CompressionMethod {
    if super::inpack::already_compressed(path) {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    }
}

fn entry_options(path: &str) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(compression_for(path))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .large_file(false)
}

/// The manifest of a loaded pack, from its source files.
pub fn manifest_for(
    pack: &LoadedPack,
    source: &dyn Source,
    publisher: Option<String>,
) -> Result<Manifest> {
    let mut paths = source.paths();
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = source
            .read(&path)
            .with_context(|| format!("`{path}` : lecture impossible"))?;
        files.push(ManifestFile {
            sha256: to_hex(&Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            path,
        });
    }
    let mut items: Vec<ManifestItem> = Vec::new();
    for theme in &pack.themes {
        items.push(ManifestItem {
            kind: "theme".into(),
            slug: theme.slug.clone(),
            title: theme.title.clone(),
            theme: None,
        });
    }
    for t in &pack.tutorials {
        items.push(ManifestItem {
            kind: "tutorial".into(),
            slug: t.slug.clone(),
            title: t.title.clone(),
            theme: Some(t.theme.clone()),
        });
    }
    for w in &pack.workshops {
        items.push(ManifestItem {
            kind: "workshop".into(),
            slug: w.slug.clone(),
            title: w.title.clone(),
            theme: Some(w.theme.clone()),
        });
    }
    for f in &pack.forms {
        items.push(ManifestItem {
            kind: "form".into(),
            slug: f.slug.clone(),
            title: f.def.title.clone(),
            theme: Some(f.def.theme.clone()),
        });
    }
    let meta = &pack.meta;
    Ok(Manifest {
        format: FORMAT_VERSION,
        id: meta.id.clone(),
        version: meta.version.to_string(),
        title: meta.title.clone(),
        description: meta.description.clone(),
        languages: meta.languages.clone(),
        license: meta.license.clone(),
        publisher,
        created: meta.created.clone().unwrap_or_else(|| "1980-01-01".into()),
        min_kit_version: meta
            .min_kit_version
            .as_ref()
            .map_or_else(|| "0.0.0".into(), ToString::to_string),
        items,
        files,
    })
}

/// Builds `source` into a `.kitpack` at `out` (written to a temporary name, then renamed).
pub fn build(source: &dyn Source, out: &Path, key: Option<&SigningKey>) -> Result<Manifest> {
    let pack = content::load(source, FILES_URL)?;
    let manifest = manifest_for(&pack, source, key.map(keys::public_hex))?;
    let manifest_bytes = manifest.to_bytes();

    let tmp = out.with_extension("kitpack.part");
    let file = fs::File::create(&tmp)
        .with_context(|| format!("impossible d'écrire `{}`", tmp.display()))?;
    let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
    let write_err = || format!("impossible d'écrire `{}`", tmp.display());
    zip.start_file(MANIFEST, entry_options(MANIFEST))
        .with_context(write_err)?;
    zip.write_all(&manifest_bytes).with_context(write_err)?;
    if let Some(key) = key {
        zip.start_file(SIGNATURE, entry_options(SIGNATURE))
            .with_context(write_err)?;
        writeln!(zip, "{}", keys::sign(key, &manifest_bytes)).with_context(write_err)?;
    }
    for entry in &manifest.files {
        let bytes = source
            .read(&entry.path)
            .with_context(|| format!("`{}` : lecture impossible", entry.path))?;
        zip.start_file(entry.path.as_str(), entry_options(&entry.path))
            .with_context(write_err)?;
        zip.write_all(&bytes).with_context(write_err)?;
    }
    let writer = zip.finish().with_context(write_err)?;
    let file = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(write_err)?;
    file.sync_all().with_context(write_err)?;
    fs::rename(&tmp, out).with_context(|| format!("impossible d'écrire `{}`", out.display()))?;
    Ok(manifest)
}
