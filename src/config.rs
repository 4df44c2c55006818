//! The kit's settings: `<data-dir>/kit.toml` (optional) merged with command-line flags.
//! Every setting has a default that works with no file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// `kit.toml`. Unknown keys are refused, so a typo does not pass silently.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// The kit's name, shown at the top of every page.
    pub name: String,
    pub portal: PortalConfig,
    pub server: ServerConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Slug of the workshop shown first on the home page.
    pub featured_workshop: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Worker threads answering requests.
    pub workers: usize,
    /// Seconds a connection may stay silent before it is closed.
    pub idle_timeout_secs: u64,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            name: "Atelier numérique".into(),
            portal: PortalConfig::default(),
            server: ServerConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            workers: 8,
            idle_timeout_secs: 10,
        }
    }
}

/// The resolved settings every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub file: FileConfig,
}

/// The settings file's name inside the data dir.
pub const CONFIG_FILE: &str = "kit.toml";

impl Config {
    /// Reads `<data_dir>/kit.toml` if it exists and checks it.
    pub fn resolve(data_dir: &Path) -> Result<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text).with_context(|| format!("réglages `{}`", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("impossible de lire `{}`", path.display()))
            }
        };
        Ok(Config {
            data_dir: data_dir.to_owned(),
            file,
        })
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(crate::store::DB_FILE)
    }
}

fn parse(text: &str) -> Result<FileConfig> {
    let file: FileConfig = toml::from_str(text)?;
    anyhow::ensure!(!file.name.trim().is_empty(), "`name` ne peut pas être vide");
    anyhow::ensure!(
        (1..=256).contains(&file.server.workers),
        "`server.workers` doit être entre 1 et 256"
    );
    anyhow::ensure!(
        (1..=3600).contains(&file.server.idle_timeout_secs),
        "`server.idle_timeout_secs` doit être entre 1 et 3600"
    );
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let file = parse("").unwrap();
        assert_eq!(file.name, "Atelier numérique");
        assert_eq!(file.server.workers, 8);
    }

    #[test]
    fn settings_are_read_and_checked() {
        let file = parse("name = \"Médiathèque\"\n[portal]\nfeatured_workshop = \"a\"\n").unwrap();
        assert_eq!(file.name, "Médiathèque");
        assert_eq!(file.portal.featured_workshop.as_deref(), Some("a"));
        let cases = [
            ("nom = \"x\"", "unknown field `nom`"),
            ("name = \" \"", "`name` ne peut pas être vide"),
            ("[server]\nworkers = 0", "`server.workers`"),
            (
                "[server]\nidle_timeout_secs = 0",
                "`server.idle_timeout_secs`",
            ),
        ];
        for (text, want) in cases {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn a_missing_file_is_fine_and_a_broken_one_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::resolve(dir.path()).unwrap().file.name,
            "Atelier numérique"
        );
        std::fs::write(dir.path().join(CONFIG_FILE), "name = ").unwrap();
        let err = format!("{:#}", Config::resolve(dir.path()).unwrap_err());
        assert!(err.contains("kit.toml"), "{err}");
    }
}
