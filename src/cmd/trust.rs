//! `mednum-kit trust add|list|remove`: the publisher keys this kit accepts.

use anyhow::{bail, Result};

use super::open_store;
use crate::cli::TrustCommand;
use crate::config::Config;
use crate::packs::{format::short_key, keys};

pub fn run(command: &TrustCommand, config: &Config) -> Result<()> {
    let mut store = open_store(config)?;
    match command {
        TrustCommand::Add { key, name, starter } => {
            let key = keys::parse_public(key)?;
            if store.add_trusted_key(&key, name)? {
                println!("clé {}… ajoutée aux clés de confiance", short_key(&key));
            } else {
                println!("clé {}… déjà de confiance", short_key(&key));
            }
            if *starter {
                let before = store.designate_starter_publisher(&key)?;
                let instead = before
                    .map(|b| format!(", à la place de la clé {}…", short_key(&b)))
                    .unwrap_or_default();
                println!(
                    "clé {}… désignée pour publier la bibliothèque de départ `starter`{instead}",
                    short_key(&key)
                );
            }
        }
        TrustCommand::List => {
            let keys = store.trusted_keys()?;
            if keys.is_empty() {
                println!("aucune clé de confiance : ajoutez-en une avec `mednum-kit trust add`");
            }
            let starter = store.starter_publisher()?;
            for (key, name) in keys {
                let mark = if starter.as_ref() == Some(&key) {
                    "  (éditeur de la bibliothèque de départ)"
                } else {
                    ""
                };
                println!("{key}  {name}{mark}");
            }
        }
        TrustCommand::Remove { key } => {
            let prefix = key.trim().to_ascii_lowercase();
            let matching: Vec<_> = store
                .trusted_keys()?
                .into_iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .collect();
            match matching.len() {
                0 => bail!("aucune clé de confiance ne commence par `{prefix}`"),
                1 if !prefix.is_empty() => {
                    store.remove_trusted_key(&prefix)?;
                    println!("clé {}… retirée", short_key(&matching[0].0));
                }
                _ => bail!("`{prefix}` désigne plusieurs clés : donnez-en plus de chiffres"),
            }
        }
    }
    Ok(())
}
