//! The command line (clap derive only). Help texts are in French: the admin reads them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// mednum-kit : le portail hors ligne des ateliers numériques.
///
/// Le kit crée son propre portail web. Les personnes s'y connectent avec leur téléphone,
/// sans internet.
///
/// Pour commencer : `mednum-kit serve`, puis ouvrez http://localhost:8080/ dans un navigateur.
#[derive(Debug, Parser)]
#[command(name = "mednum-kit", version, propagate_version = true)]
pub struct Cli {
    /// Dossier où le kit garde sa bibliothèque, sa base de données et ses réglages
    /// (`kit.toml`). Il est créé s'il n'existe pas.
    #[arg(
        long,
        global = true,
        env = "MEDNUM_KIT_DATA",
        default_value = "kit-data"
    )]
    pub data_dir: PathBuf,

    /// Plus de détails dans le journal (-v : chaque requête, -vv : tout).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lance le portail : installe la bibliothèque de départ si besoin, puis répond aux
    /// téléphones du réseau. Ctrl+C l'arrête proprement.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Adresse et port d'écoute. Avec le port 0, le système choisit un port libre ; la ligne
    /// `listening on http://…` du journal donne le vrai.
    #[arg(long, env = "MEDNUM_KIT_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Nombre de fils qui répondent aux requêtes (par défaut : `server.workers` de kit.toml,
    /// sinon 8).
    #[arg(long, env = "MEDNUM_KIT_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_match_the_readme() {
        let cli = Cli::try_parse_from(["mednum-kit", "serve"]).unwrap();
        assert_eq!(cli.data_dir, PathBuf::from("kit-data"));
        let Command::Serve(args) = cli.command;
        assert_eq!(args.listen.to_string(), "0.0.0.0:8080");
    }
}
