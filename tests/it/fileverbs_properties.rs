//! Property tests of the FileVerbs reference store: for any sequence of issue,
//! refresh, reuse, revoke and clock advances, at most one refresh token of a
//! family is live, a refresh succeeds exactly when the model says so, and a
//! JWT authorizes exactly until its `exp`.

use authconform::clock::Clock;
use authconform::fixtures::Fixtures;
use authconform::reference::fileverbs::{FileVerbs, FileVerbsConfig};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Issue,
    /// Refresh with the n-th refresh token issued so far (modulo the count): may be a reuse.
    Refresh(usize),
    Revoke(usize),
    Advance(i64),
    /// Present the n-th JWT issued so far.
    UseJwt(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Issue),
        4 => any::<usize>().prop_map(Op::Refresh),
        1 => any::<usize>().prop_map(Op::Revoke),
        2 => prop_oneof![0i64..1200, 0i64..(8 * 24 * 3600)].prop_map(Op::Advance),
        3 => any::<usize>().prop_map(Op::UseJwt),
    ]
}

struct ModelToken {
    value: String,
    family: usize,
    used: bool,
    expires_at: i64,
}

const JWT_TTL: i64 = 15 * 60;
const REFRESH_TTL: i64 = 7 * 24 * 3600;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn refresh_families_and_jwt_lifetimes_follow_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let fixtures = Fixtures::builtin();
        let alice = fixtures.fileverbs_account("user-alice").unwrap().clone();
        let clock = Clock::new();
        let fv = FileVerbs::new(&fixtures.fileverbs, clock.clone(), None, FileVerbsConfig {
            jwt_ttl: JWT_TTL,
            refresh_ttl: REFRESH_TTL,
            ..FileVerbsConfig::default()
        });
        let mut tokens: Vec<ModelToken> = Vec::new();
        let mut revoked_families: Vec<bool> = Vec::new();
        let mut jwts: Vec<(String, i64)> = Vec::new();

        for op in ops {
            let now = clock.now();
            match op {
                Op::Issue => {
                    let a = fv.issue(&alice.secret_key, &alice.api_key).expect("the fixture pair is valid");
                    revoked_families.push(false);
                    tokens.push(ModelToken { value: a.refresh_token, family: revoked_families.len() - 1, used: false, expires_at: now + REFRESH_TTL });
                    jwts.push((a.jwt_token, now + JWT_TTL));
                }
                Op::Refresh(n) if !tokens.is_empty() => {
                    let i = n % tokens.len();
                    let family = tokens[i].family;
                    let live = !tokens[i].used && !revoked_families[family] && now < tokens[i].expires_at;
                    let got = fv.refresh(&tokens[i].value);
                    prop_assert_eq!(got.is_ok(), live, "refresh of token {} (used {}, family revoked {})", i, tokens[i].used, revoked_families[family]);
                    match got {
                        Ok(a) => {
                            tokens[i].used = true;
                            tokens.push(ModelToken { value: a.refresh_token, family, used: false, expires_at: now + REFRESH_TTL });
                            jwts.push((a.jwt_token, now + JWT_TTL));
                        }
                        // Reuse of a used token revokes its family (expired or revoked ones change nothing).
                        Err(_) if tokens[i].used && now < tokens[i].expires_at => revoked_families[family] = true,
                        Err(_) => {}
                    }
                }
                Op::Revoke(n) if !tokens.is_empty() => {
                    let i = n % tokens.len();
                    let revoked = fv.revoke(&tokens[i].value).is_ok();
                    prop_assert!(revoked || now >= tokens[i].expires_at);
                    // An expired token may already be purged (404): then its
                    // family, which may hold a newer live token, stays as it was.
                    if revoked {
                        revoked_families[tokens[i].family] = true;
                    }
                }
                Op::Advance(s) => {
                    clock.advance(s).unwrap();
                }
                Op::UseJwt(n) if !jwts.is_empty() => {
                    let (jwt, exp) = &jwts[n % jwts.len()];
                    prop_assert_eq!(fv.check_bearer(jwt).is_ok(), now < *exp, "JWT with exp {} at {}", exp, now);
                }
                _ => {}
            }
            // At most one live refresh token per family.
            let now = clock.now();
            for (family, revoked) in revoked_families.iter().enumerate() {
                let live = tokens.iter().filter(|t| t.family == family && !t.used && !revoked && now < t.expires_at).count();
                prop_assert!(live <= 1, "family {} has {} live refresh tokens", family, live);
            }
        }
    }
}

#[test]
fn a_jwt_of_another_server_never_verifies() {
    let fixtures = Fixtures::builtin();
    let alice = fixtures.fileverbs_account("user-alice").unwrap();
    let one = FileVerbs::new(
        &fixtures.fileverbs,
        Clock::new(),
        None,
        FileVerbsConfig::default(),
    );
    let other = FileVerbs::new(
        &fixtures.fileverbs,
        Clock::new(),
        None,
        FileVerbsConfig::default(),
    );
    let jwt = one
        .issue(&alice.secret_key, &alice.api_key)
        .unwrap()
        .jwt_token;
    assert!(one.check_bearer(&jwt).is_ok());
    assert!(
        other.check_bearer(&jwt).is_err(),
        "each server signs with its own random key"
    );
}
