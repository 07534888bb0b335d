//! TOTP (RFC 6238) as both sides use it: the reference server verifies codes,
//! the harness generates them from what a server advertises.
//!
//! totp-rs computes the codes; this module adds what it leaves to the caller:
//! which time step a code matched (so a used step can be refused, RFC 6238 §5.2),
//! the tolerance window, and reading the algorithm names vendors advertise
//! (`SHA512`, `SHA-1`, `HmacSHA1`).

use crate::clock::UnixSeconds;
use crate::secret::constant_time_eq;
pub use totp_rs::Algorithm;
use totp_rs::{Secret, TOTP};

/// Bytes of a generated TOTP secret: 160 bits, RFC 4226's recommendation.
pub const SECRET_BYTES: usize = 20;

/// The parameters a server advertises when it enables two-factor authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpParams {
    pub algorithm: Algorithm,
    pub digits: usize,
    pub period: u64,
}

impl Default for TotpParams {
    /// The values in the Limecraft documentation's example: SHA512, 6 digits, 30 s.
    fn default() -> Self {
        TotpParams {
            algorithm: Algorithm::SHA512,
            digits: 6,
            period: 30,
        }
    }
}

/// The time-step index of `time` (RFC 6238's T).
pub fn step_of(time: UnixSeconds, period: u64) -> i64 {
    time.div_euclid(period as i64)
}

/// Reads an advertised algorithm name: `SHA1`, `SHA-1`, `HmacSHA1`, any case.
pub fn parse_algorithm(name: &str) -> Option<Algorithm> {
    let n = name.to_ascii_uppercase().replace(['-', '_'], "");
    let n = n.strip_prefix("HMAC").unwrap_or(&n);
    match n {
        "SHA1" => Some(Algorithm::SHA1),
        "SHA256" => Some(Algorithm::SHA256),
        "SHA512" => Some(Algorithm::SHA512),
        _ => None,
    }
}

pub fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::SHA1 => "SHA1",
        Algorithm::SHA256 => "SHA256",
        Algorithm::SHA512 => "SHA512",
    }
}

/// A fresh random secret of [`SECRET_BYTES`].
pub fn generate_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// RFC 4648 base32 without padding, the form authenticator apps read.
pub fn encode_secret(secret: &[u8]) -> String {
    match Secret::Raw(secret.to_vec()).to_encoded() {
        Secret::Encoded(s) => s.trim_end_matches('=').to_string(),
        Secret::Raw(_) => unreachable!("to_encoded returns the encoded form"),
    }
}

/// Decodes base32, case-insensitively, with or without padding.
pub fn decode_secret(encoded: &str) -> Option<Vec<u8>> {
    let clean: String = encoded
        .trim()
        .trim_end_matches('=')
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Secret::Encoded(clean).to_bytes().ok()
}

fn totp(params: TotpParams, secret: &[u8]) -> TOTP {
    // `new_unchecked`: the harness must also compute codes for a short secret a
    // server under test might hand out (the seed's example key is 65 bits).
    TOTP::new_unchecked(
        params.algorithm,
        params.digits,
        0,
        params.period,
        secret.to_vec(),
        None,
        String::new(),
    )
}

/// The code for the step that contains `time`.
pub fn code_at(params: TotpParams, secret: &[u8], time: UnixSeconds) -> String {
    totp(params, secret).generate(time.max(0) as u64)
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(params: TotpParams, secret: &[u8], issuer: &str, account: &str) -> String {
    TOTP::new_unchecked(
        params.algorithm,
        params.digits,
        0,
        params.period,
        secret.to_vec(),
        Some(issuer.replace(':', "")),
        account.replace(':', ""),
    )
    .get_url()
}

/// Finds the step, within `now`'s step ± `skew`, whose code equals `code`.
///
/// Every candidate is computed and compared in constant time, so the time taken
/// does not say which step (if any) matched.
pub fn matching_step(
    params: TotpParams,
    secret: &[u8],
    code: &str,
    now: UnixSeconds,
    skew: u8,
) -> Option<i64> {
    let t = totp(params, secret);
    let current = step_of(now, params.period);
    let mut found = None;
    for offset in -(skew as i64)..=(skew as i64) {
        let step = current + offset;
        if step < 0 {
            continue;
        }
        let candidate = t.generate((step as u64) * params.period);
        if constant_time_eq(&candidate, code) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names() {
        for n in ["SHA1", "sha-1", "HmacSHA1", "HMAC-SHA1"] {
            assert_eq!(parse_algorithm(n), Some(Algorithm::SHA1), "{n}");
        }
        assert_eq!(parse_algorithm("SHA512"), Some(Algorithm::SHA512));
        assert_eq!(parse_algorithm("MD5"), None);
    }

    #[test]
    fn secret_round_trip_without_padding() {
        let s = generate_secret();
        let e = encode_secret(&s);
        assert_eq!(e.len(), 32);
        assert!(!e.contains('='));
        assert_eq!(decode_secret(&e.to_lowercase()), Some(s));
    }

    #[test]
    fn the_seed_example_key_decodes() {
        // "ABCDEFGHIJKLM" is 13 characters: it needs padding to be strict base32.
        assert!(decode_secret("ABCDEFGHIJKLM").is_some());
    }
}
