//! Installing a loaded pack: its files go to `packs/<id>/<version>/` through a staging folder
//! (written, fsynced, renamed), then its items replace the old ones in one SQLite transaction.
//! A crash at any point leaves the index on the old version or the new one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

use crate::content::{self, LoadedPack, Source};
use crate::paths::safe_join;
use crate::store::{NewItem, NewPack, NewStep, Store};

/// URL prefix under which installed pack files are served: `/contenus/<id>/<version>/<path>`.
pub const FILES_URL: &str = "/contenus/";

/// Folder names inside `packs/<id>/` that an interrupted install leaves behind.
const STAGING_PREFIX: &str = ".staging-";
const RETIRED_PREFIX: &str = ".old-";

#[derive(Debug)]
pub struct InstallReport {
    pub id: String,
    pub version: String,
    pub items: usize,
    pub files: usize,
}

fn fsync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("impossible de synchroniser le dossier `{}`", dir.display()))
}

/// Loads `source`, writes its files and switches the index to it.
pub fn install(
    store: &mut Store,
    data_dir: &Path,
    source: &dyn Source,
    digest: &str,
) -> Result<InstallReport> {
    let pack = content::load(source, FILES_URL)?;
    let version = pack.meta.version.to_string();
    let pack_dir = data_dir.join("packs").join(&pack.meta.id);
    fs::create_dir_all(&pack_dir)
        .with_context(|| format!("impossible de créer `{}`", pack_dir.display()))?;

    let staging = pack_dir.join(format!("{STAGING_PREFIX}{version}-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("impossible d'effacer `{}`", staging.display()))?;
    }
    write_files(&pack, source, &staging)?;

    let final_dir = pack_dir.join(&version);
    let retired = pack_dir.join(format!("{RETIRED_PREFIX}{version}-{}", std::process::id()));
    if final_dir.exists() {
        fs::rename(&final_dir, &retired)
            .with_context(|| format!("impossible de déplacer `{}`", final_dir.display()))?;
    }
    fs::rename(&staging, &final_dir)
        .with_context(|| format!("impossible de renommer `{}`", staging.display()))?;
    fsync_dir(&pack_dir)?;

    let items = index_items(&pack)?;
    store.replace_pack(
        &NewPack {
            id: &pack.meta.id,
            version: &version,
            title: &pack.meta.title,
            digest,
        },
        &items,
    )?;
    // Only now that the index points at the new version may older files go.
    remove_other_versions(&pack_dir, &version)?;
    Ok(InstallReport {
        id: pack.meta.id.clone(),
        version,
        items: items.len(),
        files: pack.files.len(),
    })
}

fn write_files(pack: &LoadedPack, source: &dyn Source, staging: &Path) -> Result<()> {
    fs::create_dir_all(staging)
        .with_context(|| format!("impossible de créer `{}`", staging.display()))?;
    let mut dirs: Vec<PathBuf> = vec![staging.to_owned()];
    for rel in &pack.files {
        let target = safe_join(staging, rel)
            .ok_or_else(|| anyhow!("`{rel}` : chemin refusé dans le pack"))?;
        if let Some(parent) = target.parent() {
            if !dirs.iter().any(|d| d == parent) {
                fs::create_dir_all(parent)
                    .with_context(|| format!("impossible de créer `{}`", parent.display()))?;
                dirs.push(parent.to_owned());
            }
        }
        let bytes = source
            .read(rel)
            .with_context(|| format!("`{rel}` : lecture impossible"))?;
        let mut file = fs::File::create(&target)
            .with_context(|| format!("impossible d'écrire `{}`", target.display()))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("impossible d'écrire `{}`", target.display()))?;
    }
    for dir in &dirs {
        fsync_dir(dir)?;
    }
    Ok(())
}

/// Turns rendered content into index rows.
fn index_items(pack: &LoadedPack) -> Result<Vec<NewItem>> {
    let mut items = Vec::new();
    for theme in &pack.themes {
        items.push(NewItem {
            kind: "theme",
            slug: theme.slug.clone(),
            title: theme.title.clone(),
            theme: None,
            level: None,
            duration: None,
            summary: theme.summary.clone(),
            ord: theme.order,
            icon: theme.icon_url.clone(),
            body_html: theme.intro.html.clone(),
            extra: "{}".into(),
            keywords: String::new(),
            search_body: format!("{} {}", theme.summary, theme.intro.plain),
            steps: Vec::new(),
        });
    }
    for tutorial in &pack.tutorials {
        let mut body = format!("{} {}", tutorial.summary, tutorial.intro.plain);
        for step in &tutorial.steps {
            body.push(' ');
            body.push_str(&step.title);
            body.push(' ');
            body.push_str(&step.plain);
        }
        items.push(NewItem {
            kind: "tutorial",
            slug: tutorial.slug.clone(),
            title: tutorial.title.clone(),
            theme: Some(tutorial.theme.clone()),
            level: Some(tutorial.level.as_str().into()),
            duration: Some(tutorial.duration),
            summary: tutorial.summary.clone(),
            ord: 0,
            icon: None,
            body_html: tutorial.intro.html.clone(),
            extra: "{}".into(),
            keywords: tutorial.keywords.join(" "),
            search_body: body,
            steps: tutorial
                .steps
                .iter()
                .map(|s| NewStep {
                    title: s.title.clone(),
                    html: s.html.clone(),
                    plain: s.plain.clone(),
                })
                .collect(),
        });
    }
    for workshop in &pack.workshops {
        let d = &workshop.details;
        let mut body = format!(
            "{} {} {}",
            workshop.summary,
            d.audience,
            d.objectives.join(" ")
        );
        for activity in &d.activities {
            body.push_str(&format!(" {} {}", activity.title, activity.description));
        }
        items.push(NewItem {
            kind: "workshop",
            slug: workshop.slug.clone(),
            title: workshop.title.clone(),
            theme: Some(workshop.theme.clone()),
            level: Some(workshop.level.as_str().into()),
            duration: Some(workshop.duration),
            summary: workshop.summary.clone(),
            ord: 0,
            icon: None,
            body_html: workshop.notes.html.clone(),
            extra: serde_json::to_string(d)?,
            keywords: String::new(),
            search_body: body,
            steps: Vec::new(),
        });
    }
    Ok(items)
}

fn remove_other_versions(pack_dir: &Path, keep: &str) -> Result<()> {
    let entries = fs::read_dir(pack_dir)
        .with_context(|| format!("impossible de lire `{}`", pack_dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name != keep && !name.starts_with(STAGING_PREFIX) {
            fs::remove_dir_all(entry.path())
                .with_context(|| format!("impossible d'effacer `{}`", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Cleans what an interrupted install left in `packs/*/`: staging folders are removed,
/// retired ones are removed or, if their replacement is missing, put back.
pub fn clean_leftovers(data_dir: &Path) -> Result<usize> {
    let packs = data_dir.join("packs");
    let Ok(entries) = fs::read_dir(&packs) else {
        return Ok(0);
    };
    let mut removed = 0;
    for pack in entries.flatten() {
        let Ok(versions) = fs::read_dir(pack.path()) else {
            continue;
        };
        for version in versions.flatten() {
            let name = version.file_name();
            let name = name.to_string_lossy();
            // A retired folder whose replacement never arrived goes back into place.
            if let Some(rest) = name.strip_prefix(RETIRED_PREFIX) {
                let original = rest.rsplit_once('-').map(|(v, _pid)| pack.path().join(v));
                if let Some(original) = original.filter(|o| !o.exists()) {
                    fs::rename(version.path(), &original).with_context(|| {
                        format!("impossible de restaurer `{}`", original.display())
                    })?;
                    removed += 1;
                    continue;
                }
            }
            if name.starts_with(STAGING_PREFIX) || name.starts_with(RETIRED_PREFIX) {
                fs::remove_dir_all(version.path()).with_context(|| {
                    format!("impossible d'effacer `{}`", version.path().display())
                })?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}
