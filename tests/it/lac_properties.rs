//! Property tests of the CA Live API Creator reference store against a model:
//! for any sequence of sign-ons, revalidations, disablings, uses and clock
//! advances, an auth token authorizes a call exactly when it exists, is not
//! disabled and has not expired; revalidation succeeds under the same
//! condition and never changes the expiration; disabling succeeds exactly
//! when the token exists. The same checker fails against the faults that
//! break those rules.

use authconform::clock::Clock;
use authconform::fixtures::Fixtures;
use authconform::reference::fault::Fault;
use authconform::reference::lac::wire::{self, Credentials, HeaderCredential};
use authconform::reference::lac::{Lac, LacConfig};
use authconform::reference::throttle::Source;
use authconform::secret::{HashCost, PasswordHashing};
use axum::http::Method;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// alice (0) or bob (1) signs on.
    SignOn(usize),
    /// Revalidate the n-th token known so far (modulo the count).
    Revalidate(usize),
    Disable(usize),
    /// Call the probe with the n-th token in the header.
    Use(usize),
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..2).prop_map(Op::SignOn),
        3 => any::<usize>().prop_map(Op::Revalidate),
        2 => any::<usize>().prop_map(Op::Disable),
        4 => any::<usize>().prop_map(Op::Use),
        2 => prop_oneof![0i64..7200, 0i64..(2 * 24 * 3600), 0i64..(9 * 24 * 3600)]
            .prop_map(Op::Advance),
    ]
}

const TTL: i64 = 24 * 3600;
const RETENTION: i64 = 7 * 24 * 3600;

struct ModelKey {
    value: String,
    /// Unix milliseconds; None never expires.
    expires_ms: Option<i64>,
    /// The expiration as issued, to compare revalidations with.
    expiration: Option<String>,
    disabled: bool,
    /// Forgotten by the server (expired longer than the retention, at a sign-on).
    forgotten: bool,
    admin: bool,
}

impl ModelKey {
    fn valid(&self, now: i64) -> bool {
        !self.forgotten && !self.disabled && self.expires_ms.is_none_or(|e| now * 1000 < e)
    }
}

fn header(apikey: &str) -> Credentials<'static> {
    Credentials {
        header: Some(HeaderCredential {
            value: format!("{apikey}:1").into(),
            lac_scheme: true,
        }),
        url: None,
    }
}

/// Runs `ops` against a fresh store (with `fault`) and the model; the first
/// disagreement, if any.
fn check(ops: &[Op], fault: Option<Fault>) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let fixtures = Fixtures::builtin();
        let clock = Clock::new();
        let lac = Lac::new(
            &fixtures.lac,
            PasswordHashing::new(HashCost::Test),
            clock.clone(),
            fault,
            LacConfig {
                token_ttl: TTL,
                retention: RETENTION,
                ..LacConfig::default()
            },
        );
        let api = lac.api_index("demo").expect("the demo API");
        let users = [("alice", "alice-Pa55word"), ("bob", "bob-Pa55word")];
        // The tokens created in API Creator are there from the start.
        let demo = fixtures.lac.api("demo").expect("the demo API");
        let mut keys: Vec<ModelKey> = demo
            .auth_tokens
            .iter()
            .map(|t| ModelKey {
                value: lac
                    .auth_token_value(&fixtures.lac, "demo", &t.label)
                    .expect("fixture token")
                    .to_owned(),
                expires_ms: t.expiration.as_deref().and_then(wire::parse_expiration),
                expiration: t.expiration.clone(),
                disabled: false,
                forgotten: false,
                admin: true,
            })
            .collect();
        for op in ops {
            // Server time is wall time plus the advances: it may tick during an
            // operation. A check is judged only when the model's answer is the
            // same at both ends of the operation.
            let now = clock.now();
            match op {
                Op::SignOn(u) => {
                    let (user, password) = users[*u];
                    let out = lac
                        .sign_on(api, user, password, None, Source::UNKNOWN)
                        .await
                        .map_err(|e| format!("{user} could not sign on: {}", e.message))?;
                    let after = clock.now();
                    let key = out.key.ok_or("a sign-on without a token")?;
                    if keys.iter().any(|k| k.value == key.apikey) {
                        return Err("a sign-on returned a token issued before".into());
                    }
                    let expires_ms = key
                        .expiration
                        .as_deref()
                        .and_then(wire::parse_expiration)
                        .ok_or("a sign-on's token without an expiration in the pattern")?;
                    if !((now + TTL) * 1000..=(after + TTL) * 1000).contains(&expires_ms) {
                        return Err(format!(
                            "a sign-on between {now} and {after} expires {:?}, not a lifetime later",
                            key.expiration
                        ));
                    }
                    // The server forgot, at its own now, what expired longer than the retention ago.
                    let server_now = expires_ms / 1000 - TTL;
                    for k in keys.iter_mut().filter(|k| !k.admin) {
                        if k.expires_ms.is_some_and(|e| server_now * 1000 >= e + RETENTION * 1000) {
                            k.forgotten = true;
                        }
                    }
                    keys.push(ModelKey {
                        value: key.apikey,
                        expires_ms: Some(expires_ms),
                        expiration: key.expiration,
                        disabled: false,
                        forgotten: false,
                        admin: false,
                    });
                }
                Op::Use(n) => {
                    let k = &keys[n % keys.len()];
                    let got = lac.authorize(api, &header(&k.value), &Method::GET).is_ok();
                    if k.valid(now) != k.valid(clock.now()) {
                        continue;
                    }
                    if got != k.valid(now) {
                        return Err(format!(
                            "use at {now}: authorized {got}, model says {} (disabled {}, expires {:?}, forgotten {})",
                            k.valid(now),
                            k.disabled,
                            k.expires_ms,
                            k.forgotten
                        ));
                    }
                }
                Op::Revalidate(n) => {
                    let k = &keys[n % keys.len()];
                    let got = lac.revalidate(api, &k.value);
                    if k.valid(now) != k.valid(clock.now()) {
                        continue;
                    }
                    match got {
                        Ok(v) if k.valid(now) => {
                            if v.apikey != k.value {
                                return Err("revalidation returned another token".into());
                            }
                            if v.expiration != k.expiration {
                                return Err(format!(
                                    "revalidation at {now} moved the expiration from {:?} to {:?}",
                                    k.expiration, v.expiration
                                ));
                            }
                        }
                        Ok(_) => {
                            return Err(format!(
                                "revalidation at {now} accepted a token that is disabled {}, expires {:?}, forgotten {}",
                                k.disabled, k.expires_ms, k.forgotten
                            ));
                        }
                        Err(e) if k.valid(now) => {
                            return Err(format!(
                                "revalidation at {now} refused a valid token: {}",
                                e.message
                            ));
                        }
                        Err(_) => {}
                    }
                }
                Op::Disable(n) => {
                    let i = n % keys.len();
                    let got = lac.disable(api, &keys[i].value).is_ok();
                    if got == keys[i].forgotten {
                        return Err(format!(
                            "disable at {now}: succeeded {got}, but the token is {}",
                            if keys[i].forgotten { "forgotten" } else { "known" }
                        ));
                    }
                    keys[i].disabled = true;
                }
                Op::Advance(s) => {
                    clock.advance(*s).map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn auth_tokens_follow_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        if let Err(e) = check(&ops, None) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_model_catches_the_faults_that_break_its_rules() {
    use Op::*;
    let day = 24 * 3600;
    let cases = [
        (
            Fault::LacTokensNeverExpire,
            vec![SignOn(0), Advance(day + 1), Use(2)],
        ),
        (
            Fault::RevalidateSlidesExpiration,
            vec![SignOn(0), Advance(60), Revalidate(2)],
        ),
        (
            Fault::RevalidateIssuesNewToken,
            vec![SignOn(0), Revalidate(2)],
        ),
        (
            Fault::DisableDoesNotDisable,
            vec![SignOn(0), Disable(2), Use(2)],
        ),
        (
            Fault::DisabledTokenRevalidates,
            vec![SignOn(0), Disable(2), Revalidate(2)],
        ),
        (
            Fault::DisableDisablesAllUserTokens,
            vec![SignOn(0), SignOn(0), Disable(2), Use(3)],
        ),
        (Fault::SignOnReusesToken, vec![SignOn(0), SignOn(0)]),
        (Fault::AdminTokensRefused, vec![Use(0)]),
    ];
    for (fault, ops) in cases {
        assert!(check(&ops, None).is_ok(), "{ops:?} passes without a fault");
        assert!(
            check(&ops, Some(fault)).is_err(),
            "the model should catch {}",
            fault.name()
        );
    }
}
