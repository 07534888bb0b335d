//! A model-based test of the Limecraft reference store's session rules: which
//! tokens authorize after any sequence of logins, logouts and clock moves.
//!
//! Case counts are kept small enough that the whole file runs in a few seconds
//! in a debug build.

use authconform::clock::{Clock, UnixSeconds};
use authconform::fixtures::Fixtures;
use authconform::reference::limecraft::store::Caller;
use authconform::reference::limecraft::{Limecraft, LimecraftConfig};
use authconform::reference::throttle::Source;
use authconform::secret::{HashCost, PasswordHashing, Token};
use authconform::totp::{self, TotpParams, code_at, decode_secret, parse_algorithm};
use proptest::prelude::*;

use crate::properties::code_of_step;

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
        .login(username, password, remember_me, Source::UNKNOWN)
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
                            lc.enable_two_factor(Caller { user_id: CAROL }, Some(CAROL), None, false, None)
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
                .enable_two_factor(Caller { user_id: CAROL }, Some(CAROL), None, false, None)
                .unwrap_or_else(|e| panic!("enable2fa: {}", e.message));
            let params = TotpParams {
                algorithm: parse_algorithm(&enrolment.hashing_algorithm).expect("known algorithm"),
                digits: enrolment.digits,
                period: enrolment.period.expect("period advertised"),
            };
            let secret = decode_secret(&enrolment.key).expect("base32 key");

            let first = lc.login("carol", &carol_pw, remember_me, Source::UNKNOWN).await.expect("login");
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
            let second = lc.login("carol", &carol_pw, remember_me, Source::UNKNOWN).await.expect("login");
            prop_assert!(second.needs_second_token);
            let replay = lc.validate_two_factor(Some(second.token.as_str()), Some(&code), None);
            prop_assert!(replay.is_err(), "a used code was accepted again");
            prop_assert_eq!(replay.unwrap_err().status.as_u16(), 401);

            // The previous step's code is older than the used one: refused too,
            // unless by chance it equals a code of a step after the used one.
            let previous = code_of_step(params, &secret, step - 1);
            let collides = (step + 1..=step + 2).any(|s| code_of_step(params, &secret, s) == previous);
            if !collides {
                let third = lc.login("carol", &carol_pw, remember_me, Source::UNKNOWN).await.expect("login");
                prop_assert!(
                    lc.validate_two_factor(Some(third.token.as_str()), Some(&previous), None).is_err(),
                    "a code older than the used one was accepted"
                );
            }
            Ok::<(), TestCaseError>(())
        })?;
    });
}
