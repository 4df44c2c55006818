//! Passwords: the length rule, argon2id hashing, and a bound on how many hashes run at once
//! (each takes about 19 MB and a core for ~100 ms on the box: a flood of logins must not
//! take every worker or the box's memory).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::AccountError;

/// Shortest password accepted, in characters (letters, digits, spaces: any).
pub const MIN_CHARS: usize = 10;
/// Longest password accepted, in bytes: bounds what a hash costs.
pub const MAX_BYTES: usize = 256;

/// Checks the only rule: at least `MIN_CHARS` characters (and not absurdly long).
pub fn check_rule(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_CHARS {
        return Err(AccountError::ShortPassword);
    }
    if password.len() > MAX_BYTES {
        return Err(AccountError::LongPassword);
    }
    Ok(())
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`, with a new
/// random salt. argon2's defaults are the OWASP minimum: about 100 ms on a Raspberry Pi 4.
pub fn hash(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AccountError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .to_string())
}

/// `true` when `password` matches the PHC string `stored`. An unreadable `stored` matches
/// nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of a real check for a name that has no account, so that the answer's
/// delay does not tell which names exist.
pub fn verify_nobody(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("pas un vrai mot de passe").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// Most hashes computed at once by the web pages.
const HASH_SLOTS: usize = 2;
static HASHING: AtomicUsize = AtomicUsize::new(0);

/// A place to compute one hash; freed when dropped.
pub struct HashSlot(());

impl HashSlot {
    /// A free place, or `None` when `HASH_SLOTS` hashes are running: the page then says
    /// "try again in a second" instead of making a worker wait.
    pub fn try_take() -> Option<HashSlot> {
        HASHING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < HASH_SLOTS).then_some(n + 1)
            })
            .ok()
            .map(|_| HashSlot(()))
    }
}

impl Drop for HashSlot {
    fn drop(&mut self) {
        HASHING.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hashes_to_argon2id_and_verifies() {
        let stored = hash("tomate nuage piano").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(verify("tomate nuage piano", &stored));
        assert!(!verify("tomate nuage pian0", &stored));
        assert!(!verify("tomate nuage piano", "garbage"));
        // A new salt each time.
        assert_ne!(stored, hash("tomate nuage piano").unwrap());
    }

    #[test]
    fn the_only_rule_is_ten_characters() {
        assert!(matches!(
            check_rule("court"),
            Err(AccountError::ShortPassword)
        ));
        // Ten characters, accents counted once each.
        assert!(check_rule("éééééééééé").is_ok());
        assert!(check_rule("aaaaaaaaaa").is_ok());
        assert!(matches!(
            check_rule(&"a".repeat(MAX_BYTES + 1)),
            Err(AccountError::LongPassword)
        ));
    }

    #[test]
    fn hash_slots_are_bounded_and_freed() {
        let a = HashSlot::try_take();
        let b = HashSlot::try_take();
        // Other tests may hold one: at most two are ever held.
        let c = HashSlot::try_take();
        assert!(!(a.is_some() && b.is_some() && c.is_some()));
        drop((a, b, c));
        assert!(HashSlot::try_take().is_some());
    }
}
