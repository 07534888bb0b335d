//! FileVerbs' model for `authconform explore`: calls with the SecretKey
//! (right, wrong, missing, reset), access tokens (the right pair and wrong
//! ones), JwtTokens used as they are or tampered with, refreshes (the `@ext`
//! call: cookie or body, rotated or reused), revocation, SecretKey resets
//! and clock moves by a fraction of a JwtToken's lifetime, each answer judged
//! by the rules of seed 004 and the JWT RFCs (`reference::fileverbs::rules`).
//!
//! No number is the reference server's: a JwtToken lives until its own
//! `exp`, with the few minutes of leeway RFC 7519 §4.1.4 allows; rotation,
//! reuse detection and revocation are the reference server's choices (the
//! seed documents no refresh call), so they are reference checks.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::api;
use super::steps::{
    KeyPairs, alg_none, bearer_of, refresh_cookie, segment, signed_with_another_key,
    tamper_payload, tamper_signature,
};
use super::target::{FileVerbsTarget, KeyPair};
use crate::harness::exchange::Exchange;
use crate::harness::explore::{Case, Halt, Model};
use crate::harness::target::Target;
use crate::harness::world::{Persona, RunContext, Status};
use crate::provenance::Rule;
use crate::reference::fileverbs::rules::{self, *};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadKey {
    Wrong,
    Missing,
    /// The SecretKey the last reset replaced.
    Old,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BadPair {
    WrongApiKey,
    WrongSecretKey,
    NoApiKey,
    NoSecretKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tamper {
    None,
    Signature,
    Payload,
    AlgNone,
    OtherKey,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Op {
    CallWithSecretKey {
        who: Persona,
        /// The header named `secretkey`, not as the document writes it.
        other_spelling: bool,
    },
    CallWithBadSecretKey {
        bad: BadKey,
    },
    AccessToken {
        who: Persona,
    },
    BadAccessToken {
        bad: BadPair,
    },
    /// A call with the n-th JwtToken from the newest (modulo).
    UseJwt {
        jwt: usize,
        tamper: Tamper,
    },
    /// A refresh with the n-th refresh token from the newest.
    Refresh {
        token: usize,
        body: bool,
    },
    Revoke {
        token: usize,
    },
    ResetSecretKey,
    /// The clock moves by this many thousandths of the newest JwtToken's lifetime.
    Advance {
        permille: u32,
    },
    /// The clock moves by days (refresh tokens outlive JwtTokens).
    AdvanceDays {
        days: u32,
    },
}

struct Jwt {
    name: String,
    token: String,
    iat: i64,
    exp: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RefreshState {
    Live,
    /// Exchanged once: presenting it again is reuse.
    Used,
    Revoked,
}

struct Refresh {
    name: String,
    token: String,
    cookie: String,
    issued: i64,
    state: RefreshState,
    /// Which access-token call it descends from.
    family: usize,
}

/// What the model holds in one case.
pub struct FileVerbsModel {
    jwts: Vec<Jwt>,
    refresh: Vec<Refresh>,
    /// Families the server may have ended: a reuse was seen in them, or
    /// their SecretKey was reset (what either ends is the server's choice).
    reused: Vec<usize>,
    old_secret_key: Option<String>,
    clock: bool,
    next: usize,
}

/// The reference server's refresh lifetime (a reference choice, never a
/// verdict: seed 004 gives none): 7 days.
const REFRESH_LIFETIME: i64 = 7 * 24 * 3600;

impl FileVerbsModel {
    fn section(case: &Case) -> Option<FileVerbsTarget> {
        case.ctx().target.section::<FileVerbsTarget>().cloned()
    }

    fn pair(case: &Case, who: Persona) -> Option<KeyPair> {
        let ctx = case.ctx();
        ctx.run_state::<KeyPairs>().lock().get(&who).cloned()
    }

    async fn now(case: &Case) -> Result<i64, Halt> {
        Ok(case.ctx().clock.now().await?)
    }

    /// Files the JwtToken and refresh token of a 2xx answer.
    fn file(&mut self, x: &Exchange, now: i64, family: Option<usize>) -> Option<String> {
        // A refresh's answer has no documented shape: its JWT, whatever its field.
        let jwt = bearer_of(x)?.to_owned();
        self.next += 1;
        let name = format!("J{}", self.next);
        let claims = segment(&jwt, 1);
        let exp = claims.as_ref().and_then(|c| c["exp"].as_i64());
        self.jwts.push(Jwt {
            name: name.clone(),
            token: jwt,
            iat: now,
            exp,
        });
        if let Some(r) = x.str_field("RefreshToken").filter(|r| !r.is_empty()) {
            // The cookie as the server set it (`name=value`, however its
            // value is written); else the last one's name with this token.
            let cookie = refresh_cookie(x)
                .map(|c| format!("{}={}", c.name(), c.value()))
                .unwrap_or_else(|| {
                    let name = self
                        .refresh
                        .last()
                        .and_then(|r| r.cookie.split_once('=').map(|(n, _)| n.to_owned()))
                        .unwrap_or_else(|| api::REFRESH_COOKIE.to_owned());
                    format!("{name}={r}")
                });
            let family = family.unwrap_or(self.next);
            self.refresh.push(Refresh {
                name: format!("R{}", self.next),
                token: r.to_owned(),
                cookie,
                issued: now,
                state: RefreshState::Live,
                family,
            });
        }
        Some(name)
    }

    async fn access_token(&mut self, case: &mut Case, who: Persona) -> Result<(), Halt> {
        let Some(pair) = Self::pair(case, who) else {
            return Ok(());
        };
        let now = Self::now(case).await?;
        let x = case
            .send_checked(api::access_token(&pair.secret_key, &pair.api_key))
            .await?;
        case.say(format!(
            "When {} requests an access token with {} SecretKey and APIKey",
            who,
            if who == Persona::Alice { "her" } else { "his" }
        ));
        let jwt = x.str_field("JwtToken");
        case.documented(
            &KEY_PAIR_GIVES_A_JWT,
            Status::Success.holds(x.status) && jwt.is_some_and(|j| j.split('.').count() == 3),
            "a 2xx with a JwtToken of three parts",
        )?;
        if x.str_field("RefreshToken").is_some() {
            case.say("Then the refresh token is set in an HttpOnly cookie");
            case.documented(
                &REFRESH_IN_HTTP_ONLY_COOKIE,
                refresh_cookie(&x).is_some_and(|c| c.http_only() == Some(true)),
                "a Set-Cookie with the RefreshToken, HttpOnly",
            )?;
        }
        self.file(&x, now, None);
        Ok(())
    }

    async fn use_jwt(&mut self, case: &mut Case, n: usize, tamper: Tamper) -> Result<(), Halt> {
        let Some(fv) = Self::section(case) else {
            return Ok(());
        };
        if self.jwts.is_empty() {
            return Ok(());
        }
        let i = self.jwts.len() - 1 - n % self.jwts.len();
        let now = Self::now(case).await?;
        let j = &self.jwts[i];
        let sent = match tamper {
            Tamper::None => j.token.clone(),
            Tamper::Signature => tamper_signature(&j.token),
            Tamper::Payload => tamper_payload(&j.token),
            Tamper::AlgNone => alg_none(&j.token),
            Tamper::OtherKey => signed_with_another_key(&j.token)?,
        };
        let x = case
            .send_checked(api::probe_with_bearer(&fv.probe_path, &sent))
            .await?;
        let accepted = Status::Success.holds(x.status);
        let name = j.name.clone();
        let how = match tamper {
            Tamper::None => "",
            Tamper::Signature => " with its signature changed",
            Tamper::Payload => " with its payload changed",
            Tamper::AlgNone => " as alg none without a signature",
            Tamper::OtherKey => " signed with another key",
        };
        case.say(format!(
            "When alice calls the protected resource with JwtToken {name}{how}"
        ));
        if tamper != Tamper::None {
            case.say("Then the call is refused");
            return case.documented(&JWT_SIGNATURE_CHECKED, !accepted, "not a 2xx");
        }
        // The leeway the target allows after exp (RFC 7519 §4.1.4's "small
        // leeway"; `fileverbs.jwt_leeway_seconds`), a minute for the clock's tick.
        let leeway = i64::from(fv.jwt_leeway_seconds) + 60;
        match j.exp {
            Some(exp) if now > exp + leeway => {
                case.say("Then the call is refused");
                case.documented(
                    &JWT_EXPIRES,
                    !accepted,
                    "not a 2xx for a JwtToken past its exp",
                )?;
            }
            Some(exp) if now < exp - 60 => {
                case.say("Then the call is authorized");
                case.documented(
                    &BEARER_AUTHENTICATES,
                    accepted,
                    "a 2xx for a JwtToken before its exp",
                )?;
            }
            None if now < j.iat + 60 => {
                case.say("Then the call is authorized");
                case.documented(
                    &BEARER_AUTHENTICATES,
                    accepted,
                    "a 2xx for a fresh JwtToken",
                )?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn refresh(&mut self, case: &mut Case, n: usize, body: bool) -> Result<(), Halt> {
        let Some(path) = Self::section(case).and_then(|f| f.refresh_path) else {
            return Ok(());
        };
        if self.refresh.is_empty() {
            return Ok(());
        }
        let i = self.refresh.len() - 1 - n % self.refresh.len();
        let now = Self::now(case).await?;
        let r = &self.refresh[i];
        let call = if body {
            api::refresh_with_body(&path, &r.token)
        } else {
            api::refresh_with_cookie(&path, &r.cookie)
        };
        let (state, family, name, issued) = (r.state, r.family, r.name.clone(), r.issued);
        let x = case.send_checked(call).await?;
        case.say(format!(
            "When alice refreshes with refresh token {name}{}",
            if body {
                " in the body"
            } else {
                " in its cookie"
            }
        ));
        let accepted = Status::Success.holds(x.status) && bearer_of(&x).is_some();
        // Seed 004 gives a refresh token no lifetime: one used right after
        // it was issued must work (documented); later, within the reference
        // server's 7 days, it is the reference server's choice.
        let just_issued = now < issued + 60;
        let fresh = now < issued + REFRESH_LIFETIME - 60;
        let family_reused = self.reused.contains(&family);
        match state {
            RefreshState::Live if just_issued && !family_reused => {
                case.say("Then she receives a new JwtToken");
                case.documented(
                    &REFRESH_GIVES_A_BEARER,
                    accepted,
                    "a 2xx with a new JwtToken",
                )?;
            }
            RefreshState::Live if fresh && !family_reused => {
                case.say("Then she receives a new JwtToken");
                case.reference(
                    accepted,
                    &format!("a 2xx with a new JwtToken for refresh token {name}, within the reference server's 7 days"),
                )?;
            }
            RefreshState::Live if now > issued + REFRESH_LIFETIME + 60 => {
                case.reference(
                    !accepted,
                    &format!("refresh token {name} refused after its 7 days"),
                )?;
            }
            RefreshState::Used => {
                case.say("Then the refresh is refused");
                case.reference(
                    !accepted,
                    &format!("refresh token {name}, already exchanged, refused (rotation)"),
                )?;
                if !self.reused.contains(&family) {
                    self.reused.push(family);
                }
            }
            RefreshState::Revoked => {
                case.say("Then the refresh is refused");
                case.reference(
                    !accepted,
                    &format!("refresh token {name}, revoked, refused"),
                )?;
            }
            _ => {}
        }
        if accepted {
            self.refresh[i].state = RefreshState::Used;
            let Some(jwt) = self.file(&x, now, Some(family)) else {
                return Ok(());
            };
            // The new JwtToken works.
            self.use_jwt(case, 0, Tamper::None).await?;
            let _ = jwt;
        }
        Ok(())
    }
}

impl Model for FileVerbsModel {
    type Op = Op;

    const PROPERTY: &'static str = "fileverbs SecretKey, access tokens, JwtTokens and refresh";

    fn ops(target: &Target) -> Vec<(u32, BoxedStrategy<Op>)> {
        let fv = target.section::<FileVerbsTarget>();
        let who = if fv.is_some_and(|f| f.secondary.is_some()) {
            prop_oneof![3 => Just(Persona::Alice), 1 => Just(Persona::Bob)].boxed()
        } else {
            Just(Persona::Alice).boxed()
        };
        let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (
                3,
                (who.clone(), prop::bool::weighted(0.3))
                    .prop_map(|(who, other_spelling)| Op::CallWithSecretKey {
                        who,
                        other_spelling,
                    })
                    .boxed(),
            ),
            (
                2,
                prop_oneof![
                    Just(BadKey::Wrong),
                    Just(BadKey::Missing),
                    Just(BadKey::Old)
                ]
                .prop_map(|bad| Op::CallWithBadSecretKey { bad })
                .boxed(),
            ),
            (5, who.prop_map(|who| Op::AccessToken { who }).boxed()),
            (
                2,
                prop_oneof![
                    Just(BadPair::WrongApiKey),
                    Just(BadPair::WrongSecretKey),
                    Just(BadPair::NoApiKey),
                    Just(BadPair::NoSecretKey)
                ]
                .prop_map(|bad| Op::BadAccessToken { bad })
                .boxed(),
            ),
            (
                6,
                (
                    0usize..6,
                    prop_oneof![
                        6 => Just(Tamper::None),
                        1 => Just(Tamper::Signature),
                        1 => Just(Tamper::Payload),
                        1 => Just(Tamper::AlgNone),
                        1 => Just(Tamper::OtherKey)
                    ],
                )
                    .prop_map(|(jwt, tamper)| Op::UseJwt { jwt, tamper })
                    .boxed(),
            ),
        ];
        if fv.is_some_and(|f| f.refresh_path.is_some()) {
            ops.push((
                8,
                (0usize..4, prop::bool::weighted(0.3))
                    .prop_map(|(token, body)| Op::Refresh { token, body })
                    .boxed(),
            ));
        }
        if fv.is_some_and(|f| f.revoke_path.is_some()) {
            ops.push((
                1,
                (0usize..4).prop_map(|token| Op::Revoke { token }).boxed(),
            ));
        }
        if target.control_url.is_some() {
            ops.push((1, Just(Op::ResetSecretKey).boxed()));
            ops.push((
                2,
                prop_oneof![0u32..900, 900u32..1100, 1100u32..3000]
                    .prop_map(|permille| Op::Advance { permille })
                    .boxed(),
            ));
            ops.push((
                1,
                (1u32..10).prop_map(|days| Op::AdvanceDays { days }).boxed(),
            ));
        }
        ops
    }

    fn rules() -> &'static [&'static Rule] {
        rules::ALL
    }

    fn start(ctx: &RunContext) -> Self {
        FileVerbsModel {
            jwts: Vec::new(),
            refresh: Vec::new(),
            reused: Vec::new(),
            old_secret_key: None,
            clock: ctx.clock.is_controlled(),
            next: 0,
        }
    }

    async fn step(&mut self, case: &mut Case, op: &Op) -> Result<(), Halt> {
        let Some(fv) = Self::section(case) else {
            return Ok(());
        };
        match *op {
            Op::CallWithSecretKey {
                who,
                other_spelling,
            } => {
                let Some(pair) = Self::pair(case, who) else {
                    return Ok(());
                };
                // The documented name, or another spelling of it (field
                // names are case-insensitive: RFC 9110 §5.1).
                let name = if other_spelling {
                    "secretkey"
                } else {
                    api::SECRET_KEY_HEADER
                };
                let x = case
                    .send_checked(api::probe(&fv.probe_path).header(name, &pair.secret_key))
                    .await?;
                let pronoun = if who == Persona::Alice { "her" } else { "his" };
                case.say(if other_spelling {
                    format!(
                        "When {} calls the protected resource with {pronoun} SecretKey in a header named {name}",
                        who
                    )
                } else {
                    format!(
                        "When {} calls the protected resource with {pronoun} SecretKey",
                        who
                    )
                });
                case.say("Then the call is authorized");
                case.documented(
                    if other_spelling {
                        &HEADER_NAMES_ANY_CASE
                    } else {
                        &SECRET_KEY_AUTHENTICATES
                    },
                    Status::Success.holds(x.status),
                    "a 2xx",
                )
            }
            Op::CallWithBadSecretKey { bad } => {
                let (call, words, rule) = match bad {
                    BadKey::Wrong => (
                        api::probe_with_secret_key(
                            &fv.probe_path,
                            crate::secret::Token::generate().as_str(),
                        ),
                        "a wrong SecretKey",
                        &SECRET_KEY_PROTECTS,
                    ),
                    BadKey::Missing => (
                        api::probe(&fv.probe_path),
                        "no SecretKey",
                        &SECRET_KEY_PROTECTS,
                    ),
                    BadKey::Old => match &self.old_secret_key {
                        Some(old) => (
                            api::probe_with_secret_key(&fv.probe_path, old),
                            "her old SecretKey",
                            &RESET_ENDS_THE_KEY,
                        ),
                        None => return Ok(()),
                    },
                };
                let x = case.send_checked(call).await?;
                case.say(format!(
                    "When alice calls the protected resource with {words}"
                ));
                case.say("Then the call is refused");
                case.documented(rule, !Status::Success.holds(x.status), "not a 2xx")
            }
            Op::AccessToken { who } => self.access_token(case, who).await,
            Op::BadAccessToken { bad } => {
                let Some(pair) = Self::pair(case, Persona::Alice) else {
                    return Ok(());
                };
                let other = crate::secret::Token::generate();
                let call = match bad {
                    BadPair::WrongApiKey => api::access_token(&pair.secret_key, other.as_str()),
                    BadPair::WrongSecretKey => api::access_token(other.as_str(), &pair.api_key),
                    BadPair::NoApiKey => api::access_token(&pair.secret_key, "")
                        .json(serde_json::json!({ "SecretKey": pair.secret_key })),
                    BadPair::NoSecretKey => api::access_token("", &pair.api_key)
                        .json(serde_json::json!({ "APIKey": pair.api_key })),
                };
                let x = case.send_checked(call).await?;
                case.say(format!(
                    "When alice requests an access token with {}",
                    match bad {
                        BadPair::WrongApiKey => "a wrong APIKey",
                        BadPair::WrongSecretKey => "a wrong SecretKey",
                        BadPair::NoApiKey => "no APIKey",
                        BadPair::NoSecretKey => "no SecretKey",
                    }
                ));
                case.say("Then the request is refused without a JwtToken");
                case.documented(
                    &BOTH_KEYS_NEEDED,
                    !Status::Success.holds(x.status) && x.field("JwtToken").is_none(),
                    "not a 2xx, no JwtToken",
                )
            }
            Op::UseJwt { jwt, tamper } => self.use_jwt(case, jwt, tamper).await,
            Op::Refresh { token, body } => self.refresh(case, token, body).await,
            Op::Revoke { token } => {
                let Some(path) = fv.revoke_path.clone() else {
                    return Ok(());
                };
                if self.refresh.is_empty() {
                    return Ok(());
                }
                let i = self.refresh.len() - 1 - token % self.refresh.len();
                let x = case
                    .send_checked(api::revoke(&path, &self.refresh[i].token))
                    .await?;
                case.say(format!(
                    "When alice revokes refresh token {}",
                    self.refresh[i].name
                ));
                if self.refresh[i].state == RefreshState::Live {
                    case.reference(
                        Status::Success.holds(x.status),
                        "the revocation of a live refresh token succeeds",
                    )?;
                }
                if Status::Success.holds(x.status) {
                    self.refresh[i].state = RefreshState::Revoked;
                }
                Ok(())
            }
            Op::ResetSecretKey => {
                let Some(pair) = Self::pair(case, Persona::Alice) else {
                    return Ok(());
                };
                let ctx = case.ctx();
                let new = super::control::reset_secret_key(&ctx.clock, &pair.secret_key)
                    .await
                    .map_err(Halt::from)?;
                ctx.secrets.register(&new);
                ctx.run_state::<KeyPairs>().lock().insert(
                    Persona::Alice,
                    KeyPair {
                        secret_key: new.clone(),
                        api_key: pair.api_key.clone(),
                    },
                );
                self.old_secret_key = Some(pair.secret_key);
                for r in &self.refresh {
                    if !self.reused.contains(&r.family) {
                        self.reused.push(r.family);
                    }
                }
                case.say("Given alice's SecretKey has been reset in the portal");
                let x = case
                    .send_checked(api::probe_with_secret_key(&fv.probe_path, &new))
                    .await?;
                case.say("When alice calls the protected resource with her new SecretKey");
                case.say("Then the call is authorized");
                case.documented(
                    &SECRET_KEY_AUTHENTICATES,
                    Status::Success.holds(x.status),
                    "a 2xx with the new SecretKey",
                )
            }
            Op::Advance { permille } => {
                if !self.clock {
                    return Ok(());
                }
                let lifetime = self
                    .jwts
                    .last()
                    .and_then(|j| j.exp.map(|e| e - j.iat))
                    .filter(|l| *l > 0)
                    .unwrap_or(15 * 60);
                let seconds = (lifetime * i64::from(permille) / 1000).max(1);
                case.ctx()
                    .clock
                    .advance(seconds)
                    .await
                    .map_err(Halt::from)?;
                case.say(format!("When {} minutes pass", (seconds + 59) / 60));
                Ok(())
            }
            Op::AdvanceDays { days } => {
                if !self.clock {
                    return Ok(());
                }
                let seconds = i64::from(days) * 24 * 3600;
                case.ctx()
                    .clock
                    .advance(seconds)
                    .await
                    .map_err(Halt::from)?;
                case.say(format!("When {} minutes pass", seconds / 60));
                Ok(())
            }
        }
    }

    async fn finish(&mut self, _case: &mut Case) {}
}
