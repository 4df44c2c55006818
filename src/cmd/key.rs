//! `mednum-kit key generate`.

use anyhow::Result;

use crate::cli::KeyCommand;
use crate::packs::keys;

pub fn run(command: &KeyCommand) -> Result<()> {
    match command {
        KeyCommand::Generate { out } => {
            let public = keys::generate(out)?;
            println!("{public}");
            eprintln!(
                "clé secrète écrite dans `{}` (ne la donnez à personne)\n\
                 clé publique écrite dans `{}.pub` ; sur chaque kit : mednum-kit trust add {public}",
                out.display(),
                out.display()
            );
            Ok(())
        }
    }
}
