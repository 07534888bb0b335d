//! Property tests of the primitives the reference server and the harness share
//! (TOTP, secret encoding, tokens) and a model-based test of the Limecraft
//! reference store's session rules.
//!
//! Case counts are kept small enough that the whole file runs in a few seconds
//! in a debug build.

use std::collections::HashSet;

use authconform::clock::{Clock, UnixSeconds};
use authconform::fixtures::Fixtures;
use authconform::reference::limecraft::store::Caller;
use authconform::reference::limecraft::{Limecraft, LimecraftConfig};
use authconform::secret::{HashCost, PasswordHashing, Token, TokenDigest};
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

fn code_of_step(params: TotpParams, secret: &[u8], step: i64) -> String {
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

// ---------------------------------------------------------------------------
// Model-based: which tokens of the Limecraft reference store authorize
// ---------------------------------------------------------------------------

/// The documented lifetimes (seed 003): 1 hour, 1 week with rememberMe.
const ONE_HOUR: i64 = 3600;
const ONE_WEEK: i64 = 7 * 24 * 3600;

const ALICE: i64 = 1001;
const BOB: i64 = 1002;
const CAROL: i64 = 1003;

#[derive(Clone, Debug)]
enum Op {
    LoginAlice {
        remember_me: bool,
    },
    LoginBob,
    /// Logs out with the `index % issued`-th token issued so far (live or not).
    Logout {
        index: usize,
        all_sessions: bool,
    },
    Advance {
        seconds: i64,
    },
    /// Enables 2FA for carol (a no-op for the model if already on) and logs her in.
    TwoFactorLoginCarol {
        remember_me: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(|remember_me| Op::LoginAlice { remember_me }),
        2 => Just(Op::LoginBob),
        3 => (any::<usize>(), any::<bool>())
            .prop_map(|(index, all_sessions)| Op::Logout { index, all_sessions }),
        3 => prop_oneof![
            0i64..=120,
            3500i64..=3700,
            0i64..=8 * 24 * 3600,
        ]
        .prop_map(|seconds| Op::Advance { seconds }),
        1 => any::<bool>().prop_map(|remember_me| Op::TwoFactorLoginCarol { remember_me }),
    ]
}

#[derive(Debug)]
struct Issued {
    token: String,
    user_id: i64,
    temporary: bool,
    /// The server's clock was in [issued_lo, issued_hi] while it issued the token.
    issued_lo: UnixSeconds,
    issued_hi: UnixSeconds,
    /// Lifetime the documentation gives (temporary tokens: the server's own).
    ttl: i64,
    logged_out: bool,
}

/// What the model can say about a token at a moment known only to lie within
/// `[now_lo, now_hi]` (the real clock keeps ticking under the offset).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Expect {
    Live,
    Dead,
    /// Within a second of its expiry: either answer is right.
    Either,
}

impl Issued {
    fn expiry(&self, now_lo: UnixSeconds, now_hi: UnixSeconds) -> Expect {
        if now_hi < self.issued_lo + self.ttl {
            Expect::Live
        } else if now_lo >= self.issued_hi + self.ttl {
            Expect::Dead
        } else {
            Expect::Either
        }
    }

    /// Whether `authenticate` should accept this token.
    fn authorizes(&self, now_lo: UnixSeconds, now_hi: UnixSeconds) -> Expect {
        if self.logged_out || self.temporary {
            Expect::Dead
        } else {
            self.expiry(now_lo, now_hi)
        }
    }

    /// Whether the session exists for logout (temporary ones included).
    fn session_live(&self, now_lo: UnixSeconds, now_hi: UnixSeconds) -> Expect {
        if self.logged_out {
            Expect::Dead
        } else {
            self.expiry(now_lo, now_hi)
        }
    }
}

fn limecraft(clock: &Clock) -> Limecraft {
    let fixtures = Fixtures::builtin();
    Limecraft::new(
        &fixtures.limecraft,
        PasswordHashing::new(HashCost::Test),
        clock.clone(),
        None,
        LimecraftConfig::default(),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn login(
    lc: &Limecraft,
    clock: &Clock,
    username: &str,
    password: &str,
    user_id: i64,
    remember_me: bool,
    two_factor: bool,
) -> Issued {
    let issued_lo = clock.now();
    let outcome = lc
        .login(username, password, remember_me)
        .await
        .unwrap_or_else(|e| panic!("login {username}: {} {}", e.status, e.message));
    let issued_hi = clock.now();
    assert_eq!(outcome.needs_second_token, two_factor, "login {username}");
    let ttl = if two_factor {
        LimecraftConfig::default().temporary_ttl
    } else if remember_me {
        ONE_WEEK
    } else {
        ONE_HOUR
    };
    Issued {
        token: outcome.token.as_str().to_owned(),
        user_id,
        temporary: two_factor,
        issued_lo,
        issued_hi,
        ttl,
        logged_out: false,
    }
}

/// Asserts that `authenticate` answers as the model says for every token issued.
fn check_every_token(
    lc: &Limecraft,
    clock: &Clock,
    issued: &[Issued],
) -> Result<(), TestCaseError> {
    for (i, t) in issued.iter().enumerate() {
        let now_lo = clock.now();
        let answer = lc.authenticate(Some(&t.token));
        let now_hi = clock.now();
        match (t.authorizes(now_lo, now_hi), answer) {
            (Expect::Live, Ok(caller)) | (Expect::Either, Ok(caller)) => {
                prop_assert!(
                    !t.temporary && !t.logged_out,
                    "token #{} {:?} authorized",
                    i,
                    t
                );
                prop_assert_eq!(caller.user_id, t.user_id, "token #{} {:?}", i, t);
            }
            (Expect::Live, Err(e)) => {
                return Err(TestCaseError::fail(format!(
                    "token #{i} {t:?} refused: {} {}",
                    e.status, e.message
                )));
            }
            (Expect::Dead, Ok(caller)) => {
                return Err(TestCaseError::fail(format!(
                    "token #{i} {t:?} authorized as {}",
                    caller.user_id
                )));
            }
            (Expect::Dead, Err(e)) | (Expect::Either, Err(e)) => {
                prop_assert_eq!(e.status.as_u16(), 401, "token #{}: {}", i, e.message);
            }
        }
    }
    // No token at all, and a token never issued, do not authorize either.
    prop_assert!(lc.authenticate(None).is_err());
    prop_assert!(lc.authenticate(Some(Token::generate().as_str())).is_err());
    Ok(())
}

#[test]
fn only_live_final_tokens_authorize() {
    let rt = runtime();
    let fixtures = Fixtures::builtin();
    let password = |name: &str| fixtures.limecraft_user(name).unwrap().password.clone();
    let (alice_pw, bob_pw, carol_pw) = (password("alice"), password("bob"), password("carol"));
    let config = ProptestConfig::with_cases(64);
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..40))| {
        rt.block_on(async {
            let clock = Clock::new();
            let lc = limecraft(&clock);
            let mut issued: Vec<Issued> = Vec::new();
            let mut carol_enrolled = false;
            for op in &ops {
                match *op {
                    Op::LoginAlice { remember_me } => {
                        issued.push(login(&lc, &clock, "alice", &alice_pw, ALICE, remember_me, false).await);
                    }
                    Op::LoginBob => {
                        issued.push(login(&lc, &clock, "bob", &bob_pw, BOB, false, false).await);
                    }
                    Op::Logout { index, all_sessions } => {
                        if issued.is_empty() {
                            continue;
                        }
                        let i = index % issued.len();
                        let now_lo = clock.now();
                        let result = lc.logout(Some(&issued[i].token), all_sessions);
                        let now_hi = clock.now();
                        // A temporary token may not end the user's sessions.
                        let refused_by_rule = issued[i].temporary && all_sessions;
                        if refused_by_rule {
                            prop_assert!(result.is_err(), "a temporary token ended all sessions");
                            check_every_token(&lc, &clock, &issued)?;
                            continue;
                        }
                        match (issued[i].session_live(now_lo, now_hi), &result) {
                            (Expect::Live, Err(e)) => {
                                return Err(TestCaseError::fail(format!(
                                    "logout with live token #{i} refused: {}", e.message
                                )));
                            }
                            (Expect::Dead, Ok(())) => {
                                return Err(TestCaseError::fail(format!(
                                    "logout with dead token #{i} {:?} accepted", issued[i]
                                )));
                            }
                            (_, Err(e)) => prop_assert_eq!(e.status.as_u16(), 401),
                            _ => {}
                        }
                        if result.is_ok() {
                            let user = issued[i].user_id;
                            for (j, t) in issued.iter_mut().enumerate() {
                                if j == i || (all_sessions && t.user_id == user) {
                                    t.logged_out = true;
                                }
                            }
                        }
                    }
                    Op::Advance { seconds } => {
                        clock.advance(seconds).expect("forward");
                    }
                    Op::TwoFactorLoginCarol { remember_me } => {
                        if !carol_enrolled {
                            lc.enable_two_factor(Caller { user_id: CAROL }, Some(CAROL), None)
                                .unwrap_or_else(|e| panic!("enable2fa: {}", e.message));
                            carol_enrolled = true;
                        }
                        issued.push(login(&lc, &clock, "carol", &carol_pw, CAROL, remember_me, true).await);
                    }
                }
                check_every_token(&lc, &clock, &issued)?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    });
}

// ---------------------------------------------------------------------------
// TOTP replay
// ---------------------------------------------------------------------------

#[test]
fn an_accepted_code_is_refused_the_second_time() {
    let rt = runtime();
    let carol_pw = Fixtures::builtin()
        .limecraft_user("carol")
        .unwrap()
        .password
        .clone();
    let config = ProptestConfig::with_cases(32);
    proptest!(config, |(advance in 0i64..=400 * 24 * 3600, remember_me in any::<bool>())| {
        rt.block_on(async {
            let clock = Clock::new();
            clock.advance(advance).expect("forward");
            let lc = limecraft(&clock);
            let enrolment = lc
                .enable_two_factor(Caller { user_id: CAROL }, Some(CAROL), None)
                .unwrap_or_else(|e| panic!("enable2fa: {}", e.message));
            let params = TotpParams {
                algorithm: parse_algorithm(&enrolment.hashing_algorithm).expect("known algorithm"),
                digits: enrolment.digits,
                period: enrolment.period.expect("period advertised"),
            };
            let secret = decode_secret(&enrolment.key).expect("base32 key");

            let first = lc.login("carol", &carol_pw, remember_me).await.expect("login");
            prop_assert!(first.needs_second_token);
            let now = clock.now();
            let code = code_at(params, &secret, now);
            let step = totp::step_of(now, params.period);
            let final_token = lc
                .validate_two_factor(Some(first.token.as_str()), Some(&code), None)
                .unwrap_or_else(|e| panic!("first use of a current code: {}", e.message));
            prop_assert_eq!(lc.authenticate(Some(final_token.as_str())).map(|c| c.user_id).ok(), Some(CAROL));
            // The temporary token ended with its exchange.
            prop_assert!(lc.validate_two_factor(Some(first.token.as_str()), Some(&code), None).is_err());

            // Same code, same step, fresh temporary token of the same user: refused.
            let second = lc.login("carol", &carol_pw, remember_me).await.expect("login");
            prop_assert!(second.needs_second_token);
            let replay = lc.validate_two_factor(Some(second.token.as_str()), Some(&code), None);
            prop_assert!(replay.is_err(), "a used code was accepted again");
            prop_assert_eq!(replay.unwrap_err().status.as_u16(), 401);

            // The previous step's code is older than the used one: refused too,
            // unless by chance it equals a code of a step after the used one.
            let previous = code_of_step(params, &secret, step - 1);
            let collides = (step + 1..=step + 2).any(|s| code_of_step(params, &secret, s) == previous);
            if !collides {
                let third = lc.login("carol", &carol_pw, remember_me).await.expect("login");
                prop_assert!(
                    lc.validate_two_factor(Some(third.token.as_str()), Some(&previous), None).is_err(),
                    "a code older than the used one was accepted"
                );
            }
            Ok::<(), TestCaseError>(())
        })?;
    });
}
