//! Secrets at rest and in comparison: session tokens, passwords.
//!
//! Tokens are 256 bits from the operating system's CSPRNG, handed out once and
//! stored only as a SHA-256 digest, so a dump of the reference server's memory
//! does not yield usable tokens. Passwords are hashed with Argon2id; the cost is
//! a parameter because a test run must not spend seconds on hashing while
//! `authconform serve` should use the OWASP-recommended cost.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Bytes of entropy in every issued token (256 bits; the floor is 128), drawn from
/// `rand::rng()`: ChaCha12 seeded and periodically reseeded from the OS CSPRNG.
pub const TOKEN_BYTES: usize = 32;

/// A freshly issued bearer secret. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Token(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// What the server stores instead of a token: its SHA-256 digest.
///
/// Looking a token up by digest in a hash map is safe against timing attacks on
/// the token itself: the attacker controls the pre-image, not the digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub fn of(presented: &str) -> Self {
        TokenDigest(Sha256::digest(presented.as_bytes()).into())
    }

    /// Equality in constant time, for comparing a presented secret with the
    /// one stored for an account already found by other means.
    pub fn ct_eq(&self, other: &TokenDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// How expensive password hashing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum HashCost {
    /// OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    #[default]
    Owasp,
    /// The smallest Argon2id parameters (8 KiB, 1 iteration): for tests only.
    Test,
}

impl HashCost {
    fn params(self) -> Params {
        match self {
            HashCost::Owasp => Params::new(19 * 1024, 2, 1, None),
            HashCost::Test => Params::new(8, 1, 1, None),
        }
        .expect("constant Argon2 parameters are valid")
    }
}

/// Hashes and verifies passwords with Argon2id at one cost.
#[derive(Clone)]
pub struct PasswordHashing {
    argon2: Argon2<'static>,
    /// A hash of a random password, verified against when a user is unknown so that
    /// "no such user" costs the same time as "wrong password".
    decoy: String,
}

impl PasswordHashing {
    pub fn new(cost: HashCost) -> Self {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params());
        let decoy = hash_with(&argon2, Token::generate().as_str());
        PasswordHashing { argon2, decoy }
    }

    pub fn hash(&self, password: &str) -> String {
        hash_with(&self.argon2, password)
    }

    pub fn verify(&self, password: &str, stored: &str) -> bool {
        match PasswordHash::new(stored) {
            Ok(parsed) => self
                .argon2
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the time of one verification and returns false: for unknown users.
    pub fn verify_decoy(&self, password: &str) -> bool {
        let _ = self.verify(password, &self.decoy);
        false
    }
}

fn hash_with(argon2: &Argon2<'static>, password: &str) -> String {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes is a valid salt length");
    argon2
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 hashing of an in-memory password cannot fail")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(t.as_str()));
    }

    #[test]
    fn tokens_carry_256_bits() {
        // 32 bytes in unpadded base64url is 43 characters.
        assert_eq!(Token::generate().as_str().len(), 43);
    }

    #[test]
    fn password_round_trip() {
        let h = PasswordHashing::new(HashCost::Test);
        let stored = h.hash("mysecret123!");
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("mysecret123!", &stored));
        assert!(!h.verify("mysecret123?", &stored));
        assert!(!h.verify_decoy("mysecret123!"));
    }
}
