//! Publisher keys: ed25519 key pairs as small text files, signing and checking manifests.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::format::{from_hex, to_hex};

/// First word of a secret key file, so a wrong file is recognised at once.
const SECRET_HEADER: &str = "mednum-kit-secret-key-v1";

/// Makes a new key pair: the secret key goes to `out` (readable by its owner only), the
/// public key to `out.pub`. Returns the public key in hex. Never overwrites a file.
pub fn generate(out: &Path) -> Result<String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("pas de hasard disponible : {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    let public = to_hex(key.verifying_key().as_bytes());
    let pub_path = pub_path(out);
    for path in [out, pub_path.as_path()] {
        if path.exists() {
            bail!("`{}` existe déjà : choisissez un autre nom", path.display());
        }
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(out)
        .with_context(|| format!("impossible d'écrire `{}`", out.display()))?;
    writeln!(file, "{SECRET_HEADER} {}", to_hex(&seed))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("impossible d'écrire `{}`", out.display()))?;
    fs::write(&pub_path, format!("{public}\n"))
        .with_context(|| format!("impossible d'écrire `{}`", pub_path.display()))?;
    Ok(public)
}

fn pub_path(secret: &Path) -> std::path::PathBuf {
    let mut name = secret.as_os_str().to_owned();
    name.push(".pub");
    name.into()
}

/// Reads a secret key file written by `generate`.
pub fn load_secret(path: &Path) -> Result<SigningKey> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("impossible de lire la clé `{}`", path.display()))?;
    let hex = text.trim().strip_prefix(SECRET_HEADER).ok_or_else(|| {
        anyhow!(
            "`{}` n'est pas une clé secrète de mednum-kit",
            path.display()
        )
    })?;
    let seed: [u8; 32] = from_hex(hex)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("clé secrète `{}` abîmée", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Parses a public key: 64 hex digits, or a `.pub` file holding them.
pub fn parse_public(text_or_path: &str) -> Result<String> {
    let text = if Path::new(text_or_path).is_file() {
        fs::read_to_string(text_or_path)
            .with_context(|| format!("impossible de lire `{text_or_path}`"))?
    } else {
        text_or_path.to_owned()
    };
    let bytes: [u8; 32] = from_hex(&text)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            anyhow!(
                "`{}` n'est pas une clé publique : 64 chiffres hexadécimaux attendus \
                 (le fichier `.pub` écrit par `mednum-kit key generate`)",
                text.trim()
            )
        })?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| anyhow!("clé publique `{}` invalide", text.trim()))?;
    Ok(to_hex(&bytes))
}

/// The public key of a secret key, in hex.
pub fn public_hex(key: &SigningKey) -> String {
    to_hex(key.verifying_key().as_bytes())
}

/// The signature of `message`, in hex, as stored in `manifest.sig`.
pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    to_hex(&key.sign(message).to_bytes())
}

/// `true` when `signature_hex` is `public_hex`'s signature of `message`.
pub fn verify(public_hex: &str, message: &[u8], signature_hex: &str) -> bool {
    let Some(public) = from_hex(public_hex).and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
        return false;
    };
    let Some(sig) = from_hex(signature_hex).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    key.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_and_its_public_key_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("editeur.key");
        let public = generate(&path).unwrap();
        assert_eq!(
            parse_public(dir.path().join("editeur.key.pub").to_str().unwrap()).unwrap(),
            public
        );
        let key = load_secret(&path).unwrap();
        assert_eq!(public_hex(&key), public);
        let sig = sign(&key, b"manifest");
        assert!(verify(&public, b"manifest", &sig));
        assert!(!verify(&public, b"manifesT", &sig));
        assert!(!verify(&public, b"manifest", "00"));
        assert!(generate(&path)
            .unwrap_err()
            .to_string()
            .contains("existe déjà"));
    }

    #[test]
    fn wrong_key_files_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.key");
        fs::write(&path, "hello").unwrap();
        assert!(load_secret(&path)
            .unwrap_err()
            .to_string()
            .contains("n'est pas une clé secrète"));
        assert!(parse_public("abcd")
            .unwrap_err()
            .to_string()
            .contains("64 chiffres"));
    }
}
