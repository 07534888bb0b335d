//! Property tests of the primitives the reference server and the harness share
//! (TOTP, secret encoding, tokens); the Limecraft store's model-based test is
//! in `limecraft_properties.rs`.
//!
//! Case counts are kept small enough that the whole file runs in a few seconds
//! in a debug build.

use std::collections::HashSet;

use authconform::clock::UnixSeconds;
use authconform::secret::{Token, TokenDigest};
use authconform::totp::{
    self, Algorithm, TotpParams, algorithm_name, code_at, decode_secret, encode_secret,
    matching_step, parse_algorithm,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// RFC 6238 Appendix B
// ---------------------------------------------------------------------------

/// The seeds of RFC 6238 Appendix B (its reference implementation's `seed`,
/// `seed32` and `seed64`, as ASCII).
const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// (time, SHA1, SHA256, SHA512): every row of the table in RFC 6238 Appendix B.
/// Cross-checked with `oathtool --totp=sha{1,256,512} -d8` (OATH Toolkit 2.6.7).
const RFC6238_VECTORS: &[(UnixSeconds, &str, &str, &str)] = &[
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
];

fn rfc_params(algorithm: Algorithm) -> TotpParams {
    TotpParams {
        algorithm,
        digits: 8,
        period: 30,
    }
}

#[test]
fn rfc6238_appendix_b_vectors() {
    assert_eq!(SEED_SHA1.len(), 20);
    assert_eq!(SEED_SHA256.len(), 32);
    assert_eq!(SEED_SHA512.len(), 64);
    let mut checked = 0;
    for &(time, sha1, sha256, sha512) in RFC6238_VECTORS {
        for (algorithm, seed, expected) in [
            (Algorithm::SHA1, SEED_SHA1, sha1),
            (Algorithm::SHA256, SEED_SHA256, sha256),
            (Algorithm::SHA512, SEED_SHA512, sha512),
        ] {
            let params = rfc_params(algorithm);
            assert_eq!(
                code_at(params, seed, time),
                expected,
                "{algorithm:?} at T={time}"
            );
            // The code is found at its own step, with no tolerance needed.
            assert_eq!(
                matching_step(params, seed, expected, time, 0),
                Some(totp::step_of(time, 30)),
                "{algorithm:?} at T={time}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}

// ---------------------------------------------------------------------------
// The tolerance window
// ---------------------------------------------------------------------------

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::SHA1),
        Just(Algorithm::SHA256),
        Just(Algorithm::SHA512),
    ]
}

fn params() -> impl Strategy<Value = TotpParams> {
    (algorithm(), 6usize..=8, 10u64..=120).prop_map(|(algorithm, digits, period)| TotpParams {
        algorithm,
        digits,
        period,
    })
}

/// The steps of the ±1 window around `now`, in the order `matching_step` tries them.
fn window(params: TotpParams, now: UnixSeconds) -> Vec<i64> {
    let current = totp::step_of(now, params.period);
    (current - 1..=current + 1).filter(|s| *s >= 0).collect()
}

pub(crate) fn code_of_step(params: TotpParams, secret: &[u8], step: i64) -> String {
    code_at(params, secret, step * params.period as i64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A code made for step t is found when "now" is in step t-1, t or t+1, at
    /// step t itself unless an earlier step of the window has the very same
    /// code (a 10^-digits chance); and not found at t±2 unless a step of that
    /// window happens to share the code.
    #[test]
    fn codes_match_within_one_step_and_not_beyond(
        params in params(),
        secret in proptest::collection::vec(any::<u8>(), 16..64),
        time in 1_000i64..=20_000_000_000,
        offset in -2i64..=2,
        within_step in 0u64..120,
    ) {
        let period = params.period as i64;
        let step = totp::step_of(time, params.period);
        let code = code_at(params, &secret, time);
        prop_assert_eq!(code.len(), params.digits);
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(&code, &code_of_step(params, &secret, step));

        let now = (step + offset) * period + (within_step as i64 % period);
        let found = matching_step(params, &secret, &code, now, 1);
        // The first step of the window, in matching_step's order, whose code is `code`.
        let expected = window(params, now)
            .into_iter()
            .find(|s| code_of_step(params, &secret, *s) == code);
        if offset.abs() <= 1 {
            prop_assert!(found.is_some(), "step {} not found from offset {}", step, offset);
            let found = found.unwrap();
            if found != step {
                // Only a genuine collision on an earlier step of the window excuses this.
                prop_assert!(found < step);
                prop_assert_eq!(code_of_step(params, &secret, found), code.clone());
            }
        } else if let Some(other) = found {
            // Outside the window: only a step whose code really is equal may match.
            prop_assert_ne!(other, step);
            prop_assert_eq!(code_of_step(params, &secret, other), code.clone());
        }
        prop_assert_eq!(found, expected);

        // Zero tolerance: found exactly at its own step.
        let exact = matching_step(params, &secret, &code, step * period, 0);
        prop_assert_eq!(exact, Some(step));
    }

    /// A code with the wrong number of digits never matches.
    #[test]
    fn codes_of_other_lengths_never_match(
        params in params(),
        secret in proptest::collection::vec(any::<u8>(), 16..64),
        time in 1_000i64..=20_000_000_000,
    ) {
        let code = code_at(params, &secret, time);
        let longer = format!("{code}0");
        let shorter = &code[..code.len() - 1];
        prop_assert_eq!(matching_step(params, &secret, &longer, time, 1), None);
        prop_assert_eq!(matching_step(params, &secret, shorter, time, 1), None);
    }

    // -----------------------------------------------------------------------
    // Secret encoding and algorithm names
    // -----------------------------------------------------------------------

    #[test]
    fn secrets_round_trip_through_base32(
        secret in proptest::collection::vec(any::<u8>(), 1..=64),
    ) {
        let encoded = encode_secret(&secret);
        prop_assert!(!encoded.contains('='));
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        prop_assert_eq!(encoded.len(), (secret.len() * 8).div_ceil(5));
        prop_assert_eq!(decode_secret(&encoded), Some(secret.clone()));
        // Authenticator-app tolerance: lower case, padding, surrounding blanks.
        prop_assert_eq!(decode_secret(&encoded.to_ascii_lowercase()), Some(secret.clone()));
        let padded = format!("{encoded}{}", "=".repeat((8 - encoded.len() % 8) % 8));
        prop_assert_eq!(decode_secret(&padded), Some(secret.clone()));
        prop_assert_eq!(decode_secret(&format!("  {encoded}\n")), Some(secret));
    }

    #[test]
    fn algorithm_names_round_trip(
        algorithm in algorithm(),
        lower in any::<bool>(),
        hmac in any::<bool>(),
        dash in any::<bool>(),
    ) {
        let name = algorithm_name(algorithm);
        prop_assert_eq!(parse_algorithm(name), Some(algorithm));
        // The spellings vendors advertise: `sha-1`, `HmacSHA256`, ...
        let mut variant = name.replacen("SHA", if dash { "SHA-" } else { "SHA" }, 1);
        if hmac {
            variant = format!("Hmac{variant}");
        }
        if lower {
            variant = variant.to_ascii_lowercase();
        }
        prop_assert_eq!(parse_algorithm(&variant), Some(algorithm), "{}", variant);
    }

    #[test]
    fn token_digests_separate_distinct_strings(a in ".{0,64}", b in ".{0,64}") {
        prop_assert_eq!(TokenDigest::of(&a), TokenDigest::of(&a));
        if a != b {
            prop_assert_ne!(TokenDigest::of(&a), TokenDigest::of(&b));
        }
    }
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

#[test]
fn ten_thousand_tokens_are_unique_256_bit_base64url() {
    const N: usize = 10_000;
    let mut values = HashSet::with_capacity(N);
    let mut digests = HashSet::with_capacity(N);
    for _ in 0..N {
        let token = Token::generate();
        let bytes = URL_SAFE_NO_PAD
            .decode(token.as_str())
            .unwrap_or_else(|e| panic!("token is not unpadded base64url: {e}"));
        assert_eq!(bytes.len(), 32, "a token carries 256 bits");
        assert!(bytes.len() * 8 >= 128);
        assert!(!token.as_str().contains('='));
        assert_eq!(token.digest(), TokenDigest::of(token.as_str()));
        assert!(digests.insert(token.digest()), "two tokens share a digest");
        assert!(values.insert(token.as_str().to_owned()), "a token repeated");
    }
    assert_eq!(values.len(), N);
    assert_eq!(digests.len(), N);
}
