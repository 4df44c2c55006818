//! A new box: its number, Wi-Fi passphrase and admin setup code, drawn at first boot, and
//! the `kit.toml` and the card (`fiche`) that carry them. No box ships with a default secret.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};

use super::{write_file, BoxNetwork};
use crate::config::{FileConfig, CONFIG_FILE};

/// The box's address on its own Wi-Fi.
pub const BOX_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 42, 0, 1);
/// The admin setup code's file in the data dir, next to `kit.toml`.
pub const SETUP_CODE_FILE: &str = "admin-setup-code";

/// Simple French words without accents, one per line (539 of them): four words drawn
/// uniformly give about 36 bits, and a person reads them aloud and types them on a phone.
const WORDS: &str = include_str!("words.txt");
const PASSPHRASE_WORDS: usize = 4;
const SETUP_CODE_DIGITS: usize = 8;

/// What is drawn for a new box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBox {
    /// 1000 to 9999: tells two kits apart in one place (name, Wi-Fi name, `mednum-NNNN`).
    pub number: u16,
    /// Words joined by `-`, e.g. `tomate-nuage-piano-lapin`.
    pub passphrase: String,
    /// Digits, shown as two groups of four.
    pub setup_code: String,
}

impl NewBox {
    /// Draws a new box's secrets from the system's random source.
    pub fn draw() -> Result<NewBox> {
        NewBox::draw_with(&mut |n| random_below(n))
    }

    /// Draws with `below(n)`, which returns a uniform number in `0..n`.
    pub fn draw_with(below: &mut dyn FnMut(u32) -> Result<u32>) -> Result<NewBox> {
        let words: Vec<&str> = WORDS.lines().collect();
        let number = 1000 + below(9000)? as u16;
        let passphrase = (0..PASSPHRASE_WORDS)
            .map(|_| Ok(words[below(words.len() as u32)? as usize]))
            .collect::<Result<Vec<_>>>()?
            .join("-");
        let setup_code = (0..SETUP_CODE_DIGITS)
            .map(|_| Ok(char::from(b'0' + below(10)? as u8)))
            .collect::<Result<String>>()?;
        Ok(NewBox {
            number,
            passphrase,
            setup_code,
        })
    }

    pub fn name(&self) -> String {
        format!("Atelier numérique {}", self.number)
    }

    pub fn hostname(&self) -> String {
        format!("mednum-{}", self.number)
    }

    /// The box's `kit.toml`.
    pub fn kit_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
        format!(
            "# Réglages du kit. Écrits au premier démarrage par `mednum-kit system init`.\n\
             # Après un changement du Wi-Fi ou du réseau :\n\
             #   sudo mednum-kit --data-dir /var/lib/mednum-kit system install\n\
             # puis redémarrez le boîtier.\n\
             \n\
             # Le nom affiché en haut de chaque page.\n\
             name = {name}\n\
             \n\
             [network]\n\
             # Le nom du kit sur le réseau : http://{hostname}.local/\n\
             hostname = {hostname_q}\n\
             # L'adresse du kit sur son Wi-Fi.\n\
             address = \"{address}\"\n\
             # Le pare-feu envoie le port 80 au kit.\n\
             public_port = 80\n\
             \n\
             [wifi]\n\
             interface = \"wlan0\"\n\
             # Le nom du réseau que voient les téléphones.\n\
             ssid = {name}\n\
             # Le mot de passe du Wi-Fi (8 à 63 caractères, sans accent).\n\
             passphrase = {passphrase}\n\
             # Pour un réseau sans mot de passe : open = true\n\
             open = false\n\
             country = \"FR\"\n\
             channel = 6\n\
             \n\
             [usb]\n\
             # Les clés USB sont montées ici, en lecture seule.\n\
             mount_roots = [\"/media\"]\n",
            name = quote(&self.name()),
            hostname = self.hostname(),
            hostname_q = quote(&self.hostname()),
            address = BOX_ADDRESS,
            passphrase = quote(&self.passphrase),
        )
    }
}

/// What a box's data dir holds after `init`.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub config: FileConfig,
    pub setup_code: String,
    /// `false` when a `kit.toml` was there already (put in the image) and was kept.
    pub new_settings: bool,
}

impl Prepared {
    /// The card the advisor keeps with the box (plain text, French).
    pub fn card(&self) -> Result<String> {
        let config = &self.config;
        let net = BoxNetwork::from_config(config)?;
        let mut card = String::new();
        let _ = write!(
            card,
            "Votre kit : {name}\n\
             \n\
             Le Wi-Fi du kit\n\
             - Nom du réseau : {ssid}\n",
            name = config.name,
            ssid = config.wifi.ssid,
        );
        match (&config.wifi.passphrase, config.wifi.open) {
            (Some(pass), false) => {
                let _ = writeln!(card, "- Mot de passe : {pass}");
            }
            _ => card.push_str("- Sans mot de passe\n"),
        }
        let code = &self.setup_code;
        let code = match (code.get(..4), code.get(4..)) {
            (Some(a), Some(b)) if code.len() == SETUP_CODE_DIGITS => format!("{a} {b}"),
            _ => code.clone(),
        };
        let _ = write!(
            card,
            "\n\
             Le portail\n\
             - Sur un téléphone connecté au Wi-Fi du kit, il s'ouvre tout seul.\n\
             - Sinon, ouvrez : {base}/ ou http://{hostname}.local/\n\
             \n\
             Le code d'administration : {code}\n\
             - Il sert à créer le premier compte d'administration.\n\
             - Ne le donnez pas aux participants.\n\
             \n\
             Gardez cette fiche avec le kit.\n",
            base = net.base_url(),
            hostname = config.network.hostname,
        );
        Ok(card)
    }
}

/// Prepares a box's data dir: writes `new_box`'s `kit.toml` unless one is there (a box's
/// settings are drawn once; one put in the image is kept, if it has a Wi-Fi passphrase or an
/// open network), and its setup code unless one is there. Both files are readable by their
/// owner and group only. Running it again changes nothing.
pub fn init(data_dir: &Path, new_box: &NewBox) -> Result<Prepared> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("impossible de créer le dossier `{}`", data_dir.display()))?;
    let path = data_dir.join(CONFIG_FILE);
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("impossible de lire `{}`", path.display()))
        }
    };
    let new_settings = existing.is_none();
    let text = existing.unwrap_or_else(|| new_box.kit_toml());
    let config =
        crate::config::parse(&text).with_context(|| format!("réglages `{}`", path.display()))?;
    if !config.wifi.open && config.wifi.passphrase.is_none() {
        bail!(
            "`{}` n'a pas de `wifi.passphrase` : ajoutez-en un (8 à 63 caractères), ou \
             `open = true` dans `[wifi]`",
            path.display()
        );
    }

    let code_path = data_dir.join(SETUP_CODE_FILE);
    let kept_code = match std::fs::read_to_string(&code_path) {
        Ok(code) => Some(code.trim().to_owned()).filter(|c| !c.is_empty()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).with_context(|| format!("impossible de lire `{}`", code_path.display()))
        }
    };
    let setup_code = match kept_code {
        Some(code) => code,
        None => {
            write_file(&code_path, 0o640, &format!("{}\n", new_box.setup_code))?;
            new_box.setup_code.clone()
        }
    };
    // Last: a box with a `kit.toml` is a prepared box.
    if new_settings {
        write_file(&path, 0o640, &text)?;
    }
    // The card shows the code the kit will ask for: `kit.toml`'s, when it sets one.
    let setup_code = config.admin.setup_code.clone().unwrap_or(setup_code);
    Ok(Prepared {
        config,
        setup_code,
        new_settings,
    })
}

/// The first-boot administration code in force: `[admin] setup_code` of `kit.toml`, else
/// the file `init` wrote, without its spaces (the page ignores those too). `None`: the first
/// account can be made only from the box itself.
pub fn setup_code_in_force(config: &FileConfig, data_dir: &Path) -> Result<Option<String>> {
    if let Some(code) = &config.admin.setup_code {
        return Ok(Some(code.split_whitespace().collect()));
    }
    let path = data_dir.join(SETUP_CODE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.split_whitespace().collect::<String>()).filter(|c| !c.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("impossible de lire `{}`", path.display())),
    }
}

/// A uniform number in `0..n` from the system's random source (rejection sampling, so no
/// value is likelier than another).
fn random_below(n: u32) -> Result<u32> {
    assert!(n > 0);
    let zone = u32::MAX - u32::MAX % n;
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).map_err(|e| anyhow!("pas de hasard disponible : {e}"))?;
        let value = u32::from_le_bytes(bytes);
        if value < zone {
            return Ok(value % n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed box for the tests and snapshots.
    fn fixed_box() -> NewBox {
        NewBox {
            number: 4821,
            passphrase: "tomate-nuage-piano-lapin".into(),
            setup_code: "09375512".into(),
        }
    }

    #[test]
    fn the_word_list_is_long_plain_and_without_repeats() {
        let words: Vec<&str> = WORDS.lines().collect();
        assert!(words.len() >= 512, "{}", words.len());
        let mut sorted = words.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), words.len(), "a word is listed twice");
        for word in words {
            assert!(
                (3..=10).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_lowercase()),
                "`{word}`"
            );
        }
    }

    #[test]
    fn drawn_secrets_fit_wpa2_and_the_kit_settings() {
        for _ in 0..50 {
            let new_box = NewBox::draw().unwrap();
            assert!((1000..=9999).contains(&new_box.number));
            assert_eq!(new_box.passphrase.split('-').count(), PASSPHRASE_WORDS);
            assert!((8..=63).contains(&new_box.passphrase.len()));
            assert_eq!(new_box.setup_code.len(), SETUP_CODE_DIGITS);
            assert!(new_box.setup_code.bytes().all(|b| b.is_ascii_digit()));
            let config = crate::config::parse(&new_box.kit_toml()).unwrap();
            assert_eq!(
                config.wifi.passphrase.as_deref(),
                Some(&*new_box.passphrase)
            );
            super::super::render(&config).unwrap();
        }
    }

    #[test]
    fn random_below_covers_its_range() {
        let mut seen = [false; 7];
        for _ in 0..500 {
            seen[random_below(7).unwrap() as usize] = true;
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
    }

    #[test]
    fn init_draws_a_box_once_and_then_keeps_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = init(dir.path(), &fixed_box()).unwrap();
        assert!(first.new_settings);
        assert_eq!(first.config.name, "Atelier numérique 4821");
        assert_eq!(first.config.network.hostname, "mednum-4821");
        assert_eq!(first.setup_code, "09375512");
        for file in [CONFIG_FILE, SETUP_CODE_FILE] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o640, "{file}");
        }
        let other = NewBox {
            number: 1234,
            passphrase: "autre-mot-de-passe".into(),
            setup_code: "11112222".into(),
        };
        let again = init(dir.path(), &other).unwrap();
        assert!(!again.new_settings);
        assert_eq!(
            again.config.wifi.passphrase.as_deref(),
            Some("tomate-nuage-piano-lapin")
        );
        assert_eq!(again.setup_code, "09375512");
    }

    #[test]
    fn a_kit_toml_put_in_the_image_is_kept_and_gets_a_setup_code() {
        let dir = tempfile::tempdir().unwrap();
        let mine = "name = \"Médiathèque\"\n[network]\naddress = \"10.42.0.1\"\n\
                    [wifi]\nssid = \"Mediatheque\"\npassphrase = \"choisi-par-moi\"\n";
        std::fs::write(dir.path().join(CONFIG_FILE), mine).unwrap();
        let prepared = init(dir.path(), &fixed_box()).unwrap();
        assert!(!prepared.new_settings);
        assert_eq!(prepared.config.wifi.ssid, "Mediatheque");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap(),
            mine
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join(SETUP_CODE_FILE)).unwrap(),
            "09375512\n"
        );

        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[network]\naddress = \"10.42.0.1\"\n",
        )
        .unwrap();
        let err = format!("{:#}", init(dir.path(), &fixed_box()).unwrap_err());
        assert!(err.contains("n'a pas de `wifi.passphrase`"), "{err}");
    }

    #[test]
    fn the_card_and_the_kit_use_the_code_kit_toml_sets() {
        let dir = tempfile::tempdir().unwrap();
        let mine = "[network]\naddress = \"10.42.0.1\"\n[wifi]\nopen = true\n[admin]\nsetup_code = \"2468 1357\"\n";
        std::fs::write(dir.path().join(CONFIG_FILE), mine).unwrap();
        let prepared = init(dir.path(), &fixed_box()).unwrap();
        assert_eq!(prepared.setup_code, "2468 1357");
        assert!(prepared.card().unwrap().contains("2468 1357"));
        let in_force = setup_code_in_force(&prepared.config, dir.path()).unwrap();
        assert_eq!(in_force.as_deref(), Some("24681357"));
        // Without it, the code of the file `init` wrote.
        let config = crate::config::parse("").unwrap();
        let from_file = setup_code_in_force(&config, dir.path()).unwrap();
        assert_eq!(from_file.as_deref(), Some("09375512"));
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(setup_code_in_force(&config, empty.path()).unwrap(), None);
    }

    #[test]
    fn the_card_gives_the_wifi_the_portal_and_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let card = init(dir.path(), &fixed_box()).unwrap().card().unwrap();
        for want in [
            "Nom du réseau : Atelier numérique 4821",
            "Mot de passe : tomate-nuage-piano-lapin",
            "http://10.42.0.1/",
            "http://mednum-4821.local/",
            "0937 5512",
        ] {
            assert!(card.contains(want), "{want}\n{card}");
        }
    }
}
