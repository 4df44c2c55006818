//! `mednum-kit system init|render|install`: the box's system files, made from kit.toml.

use anyhow::Result;

use crate::cli::SystemCommand;
use crate::config::Config;
use crate::system::{self, init};

pub fn run(command: &SystemCommand, config: &Config) -> Result<()> {
    match command {
        SystemCommand::Init => {
            let prepared = init::init(&config.data_dir, &init::NewBox::draw()?)?;
            print!("{}", prepared.card()?);
            let path = config.data_dir.join(crate::config::CONFIG_FILE);
            if prepared.new_settings {
                eprintln!("réglages écrits dans `{}`", path.display());
            } else {
                eprintln!("réglages gardés : `{}` existait déjà", path.display());
            }
        }
        SystemCommand::Render { out } => {
            for path in system::write_flat(&system::render(&config.file)?, out)? {
                println!("{}", path.display());
            }
        }
        SystemCommand::Install { root } => {
            for path in system::install(&system::render(&config.file)?, root)? {
                println!("{}", path.display());
            }
            eprintln!("fichiers du système installés : redémarrez le boîtier pour les utiliser");
        }
    }
    Ok(())
}
