//! The command line (clap derive only). Help texts are in French: the admin reads them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Paquets de contenus : fabriquer, vérifier, installer, lister, retirer, exporter.
    #[command(subcommand)]
    Pack(PackCommand),
    /// Clés d'éditeur, pour signer les paquets que vous fabriquez.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Clés d'éditeurs de confiance : le kit n'installe que les paquets qu'elles signent.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Le système du boîtier : Wi-Fi, adresses des téléphones, pare-feu, démarrage du kit.
    /// Tout est fabriqué à partir de kit.toml.
    #[command(subcommand)]
    System(SystemCommand),
    /// Comptes pour les pages d'administration du portail (`/admin`) : administrateurs
    /// (tout) et conseillers (ateliers et bilans). Les participants n'ont pas de compte.
    ///
    /// Le premier compte se crée aussi depuis le portail, avec le code d'administration de
    /// la fiche du kit.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Comptes-rendus d'activité : les télécharger dans un fichier, pour un tableur ou un
    /// autre logiciel. Les conseillers les écrivent dans le portail (/admin/comptes-rendus).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Synchronisation : installe les paquets nouveaux ou plus récents d'une clé USB ou
    /// d'un catalogue en ligne (un autre kit, un site web, un dossier partagé).
    ///
    /// Pendant `serve`, le kit le fait tout seul : il surveille les clés USB (`[usb]` de
    /// kit.toml) et, si `[sync] upstream` est réglé, le catalogue, dès qu'il y a une connexion.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Catalogue de paquets : le fichier `catalog.json` qui fait d'un simple dossier web
    /// (ou d'une clé USB) une source de paquets pour les kits.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Cherche les autres kits du réseau local (mDNS) et affiche leur adresse.
    ///
    /// Exemple : mednum-kit peers --wait 5
    Peers {
        /// Combien de secondes chercher.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
        wait: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Fabrique un paquet `.kitpack` signé à partir d'un dossier de contenus
    /// (`pack.toml`, `themes/`, `tutorials/`, `workshops/`, `forms/`, `images/`).
    ///
    /// Exemple : mednum-kit pack build mes-fiches --out mes-fiches-1.0.0.kitpack --key editeur.key
    Build {
        /// Le dossier des contenus.
        src: PathBuf,
        /// Le fichier `.kitpack` à écrire.
        #[arg(long)]
        out: PathBuf,
        /// La clé secrète qui signe le paquet (faite par `mednum-kit key generate`). Sans
        /// clé, le paquet n'est pas signé : un kit ne l'installe qu'avec `--allow-untrusted`.
        #[arg(long, env = "MEDNUM_KIT_KEY")]
        key: Option<PathBuf>,
    },
    /// Vérifie un dossier de contenus ou un paquet : réglages, liens, images, et règles du
    /// FALC (phrases courtes, pas de sigles sans explication…). Chaque remarque donne
    /// `fichier:ligne`, la règle et un conseil. Code de sortie non nul s'il y a des erreurs.
    ///
    /// Pour faire taire une règle sur une ligne, écrivez à la fin de cette ligne :
    /// `<!-- falc: ignore sentence-length -->` (ou `<!-- falc: ignore -->` pour toutes).
    Check {
        /// Un dossier de contenus ou un fichier `.kitpack`.
        path: PathBuf,
    },
    /// Installe un paquet, ou tous les paquets `.kitpack` d'un dossier (une clé USB, par
    /// exemple), les plus récents d'abord. Tout est vérifié avant que la bibliothèque change.
    Import {
        /// Un fichier `.kitpack` ou un dossier qui en contient.
        path: PathBuf,
        /// Accepte un paquet non signé ou signé par une clé inconnue (pour tester vos
        /// propres contenus). `pack list` le signale ensuite.
        #[arg(long)]
        allow_untrusted: bool,
        /// Accepte une version plus ancienne que celle installée.
        #[arg(long)]
        allow_downgrade: bool,
        /// Accepte qu'un paquet déjà installé soit remplacé par un paquet du même
        /// identifiant signé par une autre clé : le paquet appartient ensuite à cette clé.
        /// Sans cette option, seule la clé qui a installé un paquet en premier peut le
        /// mettre à jour. (La bibliothèque de départ `starter` n'est jamais concernée :
        /// voir `trust add --starter`.)
        #[arg(long)]
        replace_publisher: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Liste les paquets installés.
    List {
        /// Sortie en JSON, pour les scripts.
        #[arg(long)]
        json: bool,
    },
    /// Retire un paquet et ses contenus du portail. Pour `starter`, remet la bibliothèque
    /// de départ intégrée au kit à la place d'une version publiée depuis.
    Remove {
        /// L'identifiant du paquet (voir `pack list`).
        id: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Revient à la version précédente d'un paquet (gardée à chaque mise à jour). Elle est
    /// vérifiée comme à l'import (signature, taille et empreinte de chaque fichier) ; si
    /// elle a changé sur le disque, ou si son fichier `.kitpack` d'origine manque, le retour
    /// est refusé et la version installée reste.
    Rollback {
        /// L'identifiant du paquet (voir `pack list`).
        id: String,
        /// Accepte une version non signée ou signée par une clé inconnue (installée ainsi
        /// pour tester vos propres contenus).
        #[arg(long)]
        allow_untrusted: bool,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Copie les paquets installés (fichiers signés d'origine) dans un dossier, par exemple
    /// une clé USB, pour les installer sur un autre kit.
    ///
    /// Exemples : `mednum-kit pack export starter /media/cle` ou `mednum-kit pack export --all /media/cle`
    Export {
        /// L'identifiant du paquet, puis le dossier de destination (ou seulement le
        /// dossier, avec `--all`).
        #[arg(required = true, num_args = 1..=2, value_names = ["ID", "DOSSIER"])]
        args: Vec<String>,
        /// Exporte tous les paquets installés.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Installe, depuis une clé USB ou un dossier, les paquets signés par une clé de
    /// confiance qui sont nouveaux ou plus récents que ceux installés (la plus récente
    /// version de chacun). Les autres sont listés avec la raison.
    ///
    /// Exemple : mednum-kit sync usb /media/sda1
    Usb {
        /// Le dossier de la clé (ou tout dossier qui contient des `.kitpack`).
        path: PathBuf,
    },
    /// Lit le catalogue en amont, télécharge ce qui est nouveau ou plus récent (en
    /// reprenant un téléchargement coupé là où il s'était arrêté), vérifie chaque fichier
    /// (taille, empreinte, signature) puis l'installe.
    ///
    /// Exemples : `mednum-kit sync upstream --once` (avec `[sync] upstream` dans kit.toml) ou
    /// `mednum-kit sync upstream --url http://192.168.4.1/catalog.json --once` (un autre kit)
    Upstream {
        /// L'adresse du catalogue (`…/catalog.json`). Sans elle : `[sync] upstream` de kit.toml.
        #[arg(long, value_name = "ADRESSE")]
        url: Option<String>,
        /// Un seul passage, puis s'arrête. Code de sortie 0 seulement si tout ce que le
        /// catalogue propose est installé ou à jour. Sans cette option, la commande
        /// recommence (toutes les `check_minutes` minutes, plus tôt après une erreur) jusqu'à
        /// Ctrl+C.
        #[arg(long)]
        once: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Écrit `DOSSIER/catalog.json` : la liste des paquets `.kitpack` du dossier (et de
    /// ses sous-dossiers), avec la taille et l'empreinte de chaque fichier. Copiez ensuite le
    /// dossier sur n'importe quel hébergement web : son adresse `…/catalog.json` sert de
    /// source aux kits (`[sync] upstream`).
    ///
    /// Exemple : mednum-kit catalog build depot/
    Build {
        /// Le dossier des paquets.
        dir: PathBuf,
    },
}

/// For the commands that change the library: one at a time per data dir.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Si une autre installation est en cours sur ce kit, échoue tout de suite au lieu de
    /// l'attendre (pour les scripts).
    #[arg(long, env = "MEDNUM_KIT_NO_WAIT")]
    pub no_wait: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Crée un compte. Le mot de passe est demandé deux fois (il ne s'affiche pas) : au
    /// moins 10 caractères, c'est la seule règle. Une petite phrase facile à retenir convient.
    ///
    /// Exemple : mednum-kit admin create-user claire --role conseiller
    CreateUser {
        /// Le nom du compte : lettres sans accent, chiffres, point ou tiret (2 à 32).
        name: String,
        /// `admin` : tout gérer (paquets, clés, comptes, réglages). `conseiller` : les
        /// ateliers et les bilans seulement.
        #[arg(long, value_parser = ["admin", "conseiller"])]
        role: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Liste les comptes et leur rôle.
    ListUsers,
    /// Supprime un compte (jamais le dernier compte d'administration).
    DeleteUser { name: String },
    /// Change le mot de passe d'un compte. Ses connexions en cours sont fermées.
    SetPassword {
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Lit le mot de passe sur l'entrée standard (une ligne), pour les scripts, au lieu de
    /// le demander.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Exporte les comptes-rendus d'activité de tous les comptes, du plus ancien au plus
    /// récent : une ligne (CSV) ou un objet (JSON) par compte-rendu.
    ///
    /// CSV : pour un tableur (LibreOffice, Excel). Les colonnes sont séparées par « ; », la
    /// première ligne donne leur nom en français.
    ///
    /// JSON : pour un logiciel. Les noms et les valeurs sont ceux de l'API de La Coop de la
    /// médiation numérique ; ce qui est propre au kit est sous `kit`.
    ///
    /// Exemples : `mednum-kit report export --format csv --out comptes-rendus.csv` ou
    /// `mednum-kit report export --format json --since 2026-01-01`
    Export {
        /// `csv` : pour un tableur. `json` : pour un logiciel.
        #[arg(long, value_enum)]
        format: ReportFormat,
        /// Seulement les activités de ce jour et des jours suivants. Écrivez la date comme
        /// ceci : 2026-01-31.
        #[arg(long, value_name = "AAAA-MM-JJ")]
        since: Option<String>,
        /// Le fichier à écrire. S'il existe, il est remplacé ; sinon, il est créé lisible par
        /// vous seul. Sans cette option, l'export s'affiche à l'écran (sortie standard).
        #[arg(long, value_name = "FICHIER")]
        out: Option<PathBuf>,
    },
}

/// The formats of `report export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Pour un tableur : colonnes séparées par « ; », UTF-8 avec BOM.
    Csv,
    /// Pour un logiciel : un tableau d'objets.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Crée une paire de clés : la clé secrète dans FICHIER (gardez-la pour vous), la clé
    /// publique dans FICHIER.pub (donnez-la aux kits, qui l'ajoutent avec `trust add`).
    Generate {
        /// Le fichier de la clé secrète.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Fait confiance à une clé d'éditeur : 64 chiffres hexadécimaux, ou un fichier `.pub`.
    ///
    /// Un paquet appartient à la clé qui l'a installé en premier : une autre clé de
    /// confiance ne peut pas le remplacer (sauf `pack import --replace-publisher`).
    Add {
        key: String,
        /// Un nom pour la reconnaître (l'éditeur).
        #[arg(long, default_value = "")]
        name: String,
        /// Désigne aussi cette clé comme éditeur de la bibliothèque de départ (`starter`) :
        /// elle seule pourra la mettre à jour. Une seule clé à la fois : la désignation
        /// passe de l'ancienne clé à celle-ci. `pack remove starter` remet toujours la
        /// bibliothèque intégrée au kit.
        #[arg(long)]
        starter: bool,
    },
    /// Liste les clés de confiance.
    List,
    /// Retire une clé (le début de la clé suffit, s'il n'y a pas d'ambiguïté).
    Remove { key: String },
}

#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Prépare un nouveau boîtier : tire au sort son numéro, le mot de passe du Wi-Fi et le
    /// code d'administration, écrit kit.toml, puis affiche la fiche à garder avec le kit.
    /// Un kit.toml déjà là est gardé tel quel ; relancer la commande ne change rien.
    Init,
    /// Écrit les fichiers du système (hostapd, dnsmasq, pare-feu, services) dans un dossier,
    /// pour les relire sans rien installer.
    Render {
        /// Le dossier où les écrire.
        #[arg(long)]
        out: PathBuf,
    },
    /// Installe les fichiers du système à leur place. Redémarrez ensuite le boîtier.
    Install {
        /// Installe sous ce dossier plutôt qu'à la racine (une image montée, par exemple).
        #[arg(long, default_value = "/")]
        root: PathBuf,
    },
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

    /// N'annonce pas le kit sur le réseau local (mDNS : `mednum.local`). Aussi réglable
    /// dans kit.toml : `[network] mdns = false`.
    #[arg(long, env = "MEDNUM_KIT_NO_MDNS")]
    pub no_mdns: bool,
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
    fn report_export_takes_a_format_a_date_and_a_file() {
        let cli = Cli::try_parse_from([
            "mednum-kit",
            "report",
            "export",
            "--format",
            "csv",
            "--since",
            "2026-01-01",
        ])
        .unwrap();
        let Command::Report(ReportCommand::Export { format, since, out }) = cli.command else {
            panic!("not report export");
        };
        assert_eq!(format, ReportFormat::Csv);
        assert_eq!(since.as_deref(), Some("2026-01-01"));
        assert_eq!(out, None);
        assert!(
            Cli::try_parse_from(["mednum-kit", "report", "export", "--format", "xls"]).is_err()
        );
        assert!(Cli::try_parse_from(["mednum-kit", "report", "export"]).is_err());
    }

    #[test]
    fn serve_defaults_match_the_readme() {
        let cli = Cli::try_parse_from(["mednum-kit", "serve"]).unwrap();
        assert_eq!(cli.data_dir, PathBuf::from("kit-data"));
        let Command::Serve(args) = cli.command else {
            panic!("not serve");
        };
        assert_eq!(args.listen.to_string(), "0.0.0.0:8080");
    }
}
