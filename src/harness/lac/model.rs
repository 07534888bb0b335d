//! CA Live API Creator's model for `authconform explore`: sign-ons (right,
//! wrong, unknown), uses of an auth token in the header (every method) and
//! the URL (GET where allowed), revalidation, disabling (live, disabled,
//! expired, unknown tokens), password changes (the exact flag or not, the
//! right or a wrong current password, a new password the server may refuse)
//! and clock moves by a fraction of a token's remaining lifetime, each
//! answer judged by the rules of seed 002 (`reference::lac::rules`).
//!
//! No number is the reference server's: a token's expiry is what its
//! sign-on answered; a call within a minute of it may go either way; a
//! password change's result is what the server says, and the model then
//! holds the server to it (a reported success changes the password, any
//! other result leaves it).

use proptest::prelude::*;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::api::{self, Transport};
use super::steps::{Ledger, changed_password, keeps_out, lets_in};
use super::target::LacTarget;
use crate::harness::exchange::Exchange;
use crate::harness::explore::{Case, Halt, Model};
use crate::harness::target::{Account, Target};
use crate::harness::world::{Persona, RunContext, Status};
use crate::provenance::Rule;
use crate::reference::lac::rules::{self, *};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// A bad credential on a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bad {
    None,
    Unknown,
    /// A live token under another scheme (`Bearer <apikey>:1`).
    OtherScheme,
}

/// The query of a password change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    Exact,
    NoBang,
    OtherCase,
}

impl Flag {
    fn query(self) -> &'static str {
        match self {
            Flag::Exact => api::PASSWORD_CHANGE_FLAG,
            Flag::NoBang => "?enablePasswordChange",
            Flag::OtherCase => "?EnablePasswordChange!",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Op {
    SignOn {
        who: Persona,
    },
    WrongPassword {
        who: Persona,
    },
    UnknownUser,
    /// A call of the probe with the n-th token (modulo).
    Use {
        key: usize,
        url: bool,
        verb: Verb,
    },
    UseBad {
        bad: Bad,
        verb: Verb,
    },
    UseAdmin {
        verb: Verb,
    },
    /// A GET with the token in the URL on the API that does not allow it.
    UseUrlWhereOff,
    /// A GET of the role resource (`lac.role_path`) with the n-th token.
    UseRoleResource {
        key: usize,
    },
    Revalidate {
        key: usize,
    },
    Disable {
        key: usize,
    },
    DisableUnknown,
    ChangePassword {
        who: Persona,
        flag: Flag,
        right_current: bool,
        /// A one-character new password (most policies refuse it).
        short: bool,
        /// The new password in `newPassword` (the document's prose) instead
        /// of its example's `new_password`.
        #[serde(default)]
        prose_field: bool,
    },
    ChangeWithoutProvider,
    /// The clock moves by this many thousandths of the longest remaining
    /// lifetime of the case's tokens.
    Advance {
        permille: u32,
    },
}

struct Key {
    name: String,
    apikey: String,
    /// Unix milliseconds of its expiry, as its sign-on said.
    expires: Option<i64>,
    expiration: Option<String>,
    disabled: bool,
    /// Disabled, or the last use saw it refused; a refusal past its expiry is final.
    dead: bool,
    /// Whose it is (`None`: the model does not know).
    who: Option<Persona>,
    /// Another token of its user was disabled since: the rule that kept it.
    kept_by: Option<&'static Rule>,
}

/// What the model holds in one case.
pub struct LacModel {
    keys: Vec<Key>,
    /// The current password of each user, when a change succeeded.
    changed: Vec<(Persona, String)>,
    /// A change that did not succeed since, per user: the rule that kept the password.
    password_kept_by: Vec<(Persona, &'static Rule)>,
    clock: bool,
    next: usize,
}

/// The tolerance either side of an expiry (the clock may tick mid-call).
const MARGIN_MS: i64 = 60_000;

impl LacModel {
    async fn now_ms(case: &Case) -> Result<i64, Halt> {
        Ok(case.ctx().clock.now().await? * 1000)
    }

    /// The password `who` has now: the case's change, else the run's (a
    /// password an earlier case or scenario could not set back: the run's
    /// ledger, as the scenarios keep it), else the target file's.
    fn password(&self, case: &Case, who: Persona) -> Option<String> {
        if let Some((_, p)) = self.changed.iter().find(|(w, _)| *w == who) {
            return Some(p.clone());
        }
        Self::run_password(case, who)
    }

    /// The password `who` had when the case started.
    fn run_password(case: &Case, who: Persona) -> Option<String> {
        let account = who.account_in(&case.ctx().target.users)?.clone();
        Some(
            Ledger::get(&case.w, &Self::ledger_key(case, &account))
                .unwrap_or_else(|| account.password.clone()),
        )
    }

    fn ledger_key(case: &Case, account: &Account) -> (String, String) {
        (case.ctx().target.base_url.clone(), account.username.clone())
    }

    /// Sends a call of the probe; a write is first sent without its
    /// credential, so that the resource's own answer to it (a write the
    /// probe cannot do) is told from a refusal, as the scenarios do.
    async fn send_probe(
        case: &mut Case,
        call: crate::harness::exchange::Call,
    ) -> Result<(Exchange, Option<u16>), Halt> {
        let baseline = if call.method == Method::GET {
            None
        } else {
            let mut bare = call.clone();
            bare.headers.clear();
            bare.query.clear();
            Some(case.send_checked(bare).await?.status)
        };
        Ok((case.send_checked(call).await?, baseline))
    }

    fn lac(case: &Case) -> Option<LacTarget> {
        case.ctx().target.section::<LacTarget>().cloned()
    }

    /// `Some(true)` the key must work at `now`, `Some(false)` it must not.
    fn verdict(k: &Key, now: i64) -> Option<bool> {
        if k.disabled {
            return Some(false);
        }
        match k.expires {
            Some(e) if now > e + MARGIN_MS => Some(false),
            Some(e) if now < e - MARGIN_MS => (!k.dead).then_some(true),
            Some(_) => None,
            None => (!k.dead).then_some(true),
        }
    }

    fn apikey(x: &Exchange) -> Option<&str> {
        x.str_field("apikey").filter(|k| !k.is_empty())
    }

    async fn sign_on(&mut self, case: &mut Case, who: Persona) -> Result<(), Halt> {
        let (Some(account), Some(password)) = (
            who.account_in(&case.ctx().target.users).cloned(),
            self.password(case, who),
        ) else {
            return Ok(());
        };
        let x = case
            .send_checked(api::sign_on(&account.username, &password))
            .await?;
        let name = self.file_key(case, &x, Some(who))?;
        case.say(format!("When {} signs on as token {name}", who.name()));
        Ok(())
    }

    /// Judges a sign-on's answer (a 2xx with a new apikey and an
    /// expiration in the documented form) and files its key.
    fn file_key(
        &mut self,
        case: &mut Case,
        x: &Exchange,
        who: Option<Persona>,
    ) -> Result<String, Halt> {
        let apikey = Self::apikey(x);
        let rule = who
            .and_then(|w| self.password_kept_by.iter().find(|(k, _)| *k == w))
            .map_or(&SIGN_ON_GIVES_APIKEY, |(_, r)| *r);
        case.documented(
            rule,
            Status::Success.holds(x.status) && apikey.is_some(),
            "a 2xx with a non-empty apikey",
        )?;
        let apikey = apikey.unwrap_or_default().to_owned();
        case.documented(
            &EVERY_SIGN_ON_A_NEW_TOKEN,
            !self.keys.iter().any(|k| k.apikey == apikey),
            "a new auth token, not one issued before",
        )?;
        // The expiration's form is not the document's (X11): a reference check.
        let expiration = x.field("expiration").map(|e| match e {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        });
        let expires = api::expiration_of(x.field("expiration"));
        case.reference(
            expiration.is_none() || expires.is_some(),
            "an expiration the harness reads: the example's 2014-12-31T23:59:59.999 (a zone or none) or Unix milliseconds",
        )?;
        self.next += 1;
        let name = format!("K{}", self.next);
        self.keys.push(Key {
            name: name.clone(),
            apikey,
            expires,
            expiration,
            disabled: false,
            dead: false,
            who,
            kept_by: None,
        });
        Ok(name)
    }

    /// The target's section, the index of the n-th token (modulo) and the
    /// server's now; `None` without a section or a token.
    async fn key_at(&self, case: &Case, n: usize) -> Result<Option<(LacTarget, usize, i64)>, Halt> {
        let Some(lac) = Self::lac(case) else {
            return Ok(None);
        };
        if self.keys.is_empty() {
            return Ok(None);
        }
        Ok(Some((lac, n % self.keys.len(), Self::now_ms(case).await?)))
    }

    /// A GET of the role resource, which alice's roles allow and bob's do
    /// not: judged for a token the model knows is alive and whose it is.
    async fn use_role_resource(&mut self, case: &mut Case, n: usize) -> Result<(), Halt> {
        let Some((lac, i, now)) = self.key_at(case, n).await? else {
            return Ok(());
        };
        let Some(path) = lac.role_path.clone() else {
            return Ok(());
        };
        let k = &self.keys[i];
        let call = api::with_token(
            api::probe(Method::GET, &path),
            &k.apikey,
            Transport::Header,
            &lac.url_param,
        );
        let (name, who, alive) = (k.name.clone(), k.who, Self::verdict(k, now));
        let x = case.send_checked(call).await?;
        case.say(format!(
            "When {} calls GET on the role resource with token {name}",
            who.map_or("someone", Persona::name)
        ));
        match (alive, who) {
            (Some(true), Some(Persona::Alice)) => {
                case.say("Then the role resource lets the call in");
                case.documented(
                    &ROLES_AUTHORIZE,
                    lets_in(&x, None),
                    &format!("token {name}, whose roles allow the resource, to be let in (2xx)"),
                )
            }
            (Some(true), Some(Persona::Bob)) => {
                case.say("Then the role resource refuses the call");
                case.documented(
                    &ROLES_AUTHORIZE,
                    keeps_out(&x, None),
                    &format!(
                        "token {name}, whose roles do not allow the resource, to be refused (a 4xx)"
                    ),
                )
            }
            _ => Ok(()),
        }
    }

    async fn use_key(
        &mut self,
        case: &mut Case,
        n: usize,
        url: bool,
        verb: Verb,
    ) -> Result<(), Halt> {
        let Some((lac, i, now)) = self.key_at(case, n).await? else {
            return Ok(());
        };
        let k = &self.keys[i];
        let transport = if url {
            Transport::Url
        } else {
            Transport::Header
        };
        let (x, baseline) = Self::send_probe(
            case,
            api::with_token(
                api::probe(verb.method(), &lac.probe_path),
                &k.apikey,
                transport,
                &lac.url_param,
            ),
        )
        .await?;
        let k = &self.keys[i];
        let accepted = lets_in(&x, baseline);
        let kept_out = keeps_out(&x, baseline);
        let alive = Self::verdict(k, now);
        let name = k.name.clone();
        let (must, rule): (Option<bool>, &'static Rule) = match (alive, url, verb) {
            (Some(false), _, _) => (
                Some(false),
                if k.disabled {
                    &DISABLE_DISABLES
                } else {
                    &CALLS_NEED_THE_TOKEN
                },
            ),
            (_, true, v) if v != Verb::Get => (Some(false), &URL_TOKEN_GET_ONLY),
            (_, true, _) if lac.url_auth() == Some(false) => {
                (Some(false), &URL_TOKEN_NEEDS_THE_PROPERTY)
            }
            // Neither declared nor found out: either answer conforms.
            (_, true, _) if lac.url_auth().is_none() => (None, &URL_TOKEN_ON_GET),
            (Some(true), _, _) if k.kept_by.is_some() => {
                (Some(true), k.kept_by.unwrap_or(&DISABLE_DISABLES))
            }
            (Some(true), true, _) => (Some(true), &URL_TOKEN_ON_GET),
            (Some(true), false, _) => (Some(true), &HEADER_ON_EVERY_CALL),
            (None, _, _) => (None, &CALLS_NEED_THE_TOKEN),
        };
        let place = if url {
            "the URL"
        } else {
            "the Authorization header"
        };
        case.say(
            format!("When alice calls {verb:?} on the probe with token {name} in {place}")
                .replace("Get", "GET")
                .replace("Post", "POST")
                .replace("Put", "PUT")
                .replace("Delete", "DELETE"),
        );
        match must {
            Some(true) => {
                case.say("Then the call is authorized");
                case.documented(
                    rule,
                    accepted,
                    &format!("token {name} to authorize the call (a 2xx; for a write also another answer than the same call without credentials, never 401 or 403)"),
                )?;
            }
            Some(false) => {
                case.say("Then the call is refused");
                case.documented(
                    rule,
                    kept_out,
                    &format!("token {name} to be refused (a 401 or 403, or the answer the call gets without credentials)"),
                )?;
                case.reference(x.status == 401, "a refused token answered 401")?;
            }
            None => {}
        }
        if !accepted && !url && verb == Verb::Get {
            self.keys[i].dead = true;
        }
        Ok(())
    }

    async fn revalidate(&mut self, case: &mut Case, n: usize) -> Result<(), Halt> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let i = n % self.keys.len();
        let now = Self::now_ms(case).await?;
        let k = &self.keys[i];
        let x = case.send_checked(api::revalidate(&k.apikey)).await?;
        let name = k.name.clone();
        case.say(format!("When alice revalidates token {name}"));
        let ok = Status::Success.holds(x.status) && Self::apikey(&x).is_some();
        match Self::verdict(k, now) {
            Some(true) => {
                case.say("Then the answer has the same apikey and the same expiration");
                case.documented(
                    k.kept_by.unwrap_or(&REVALIDATION_SAME_TOKEN),
                    ok,
                    "a 2xx with the apikey",
                )?;
                case.documented(
                    &REVALIDATION_SAME_TOKEN,
                    Self::apikey(&x) == Some(k.apikey.as_str()),
                    "the same apikey",
                )?;
                let same = api::expiration_of(x.field("expiration")) == k.expires;
                case.documented(
                    &REVALIDATION_SAME_TOKEN,
                    same,
                    &format!(
                        "the original expiration ({})",
                        k.expiration.as_deref().unwrap_or("none")
                    ),
                )?;
            }
            Some(false) => {
                case.say("Then the revalidation is refused");
                let rule = if k.disabled {
                    &DISABLE_DISABLES
                } else {
                    &EXPIRED_IS_AN_ERROR
                };
                case.documented(rule, !ok, "an error, no apikey")?;
            }
            None => {}
        }
        Ok(())
    }

    async fn disable(&mut self, case: &mut Case, n: usize) -> Result<(), Halt> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let i = n % self.keys.len();
        let now = Self::now_ms(case).await?;
        let k = &self.keys[i];
        let x = case.send_checked(api::disable(&k.apikey)).await?;
        let name = k.name.clone();
        case.say(format!("When alice disables token {name}"));
        let answer = x.str_field("apikey") == Some(k.apikey.as_str())
            && x.field("disabled") == Some(&serde_json::Value::Bool(true));
        if Self::verdict(k, now) == Some(true) {
            case.say("Then the auth token is reported disabled");
            case.documented(&DISABLE_DISABLES, Status::Success.holds(x.status), "a 2xx")?;
            case.documented(
                &DISABLE_ANSWER,
                answer,
                "{\"apikey\": <the token disabled>, \"disabled\": true}",
            )?;
        } else {
            // Disabled or expired (or either: a minute from its expiry):
            // a success; its body is shown for an active token only (X16).
            case.say("Then the disabling succeeds");
            case.documented(
                &DISABLE_IS_IDEMPOTENT,
                Status::Success.holds(x.status),
                "a 2xx",
            )?;
            case.reference(
                answer,
                "{\"apikey\": <the token disabled>, \"disabled\": true}, as for an active token",
            )?;
        }
        self.keys[i].disabled = true;
        let who = self.keys[i].who;
        for (j, k) in self.keys.iter_mut().enumerate() {
            if j != i && who.is_some() && k.who == who {
                k.kept_by = Some(&DISABLE_DISABLES);
            }
        }
        Ok(())
    }

    async fn change(
        &mut self,
        case: &mut Case,
        who: Persona,
        flag: Flag,
        right_current: bool,
        short: bool,
        prose_field: bool,
    ) -> Result<(), Halt> {
        let (Some(account), Some(current)) = (
            who.account_in(&case.ctx().target.users).cloned(),
            self.password(case, who),
        ) else {
            return Ok(());
        };
        if !right_current && !case.may_send_wrong_password(&account.username) {
            return Ok(());
        }
        let sent = if right_current {
            current.clone()
        } else {
            format!("{current}-not-it")
        };
        let new = if short {
            "a".to_owned()
        } else {
            changed_password(&current)
        };
        let field = if prose_field {
            "newPassword"
        } else {
            "new_password"
        };
        case.ctx().secrets.register(&new);
        let x = case
            .send_checked(api::sign_on_changing_password(
                flag.query(),
                &account.username,
                &sent,
                &[field],
                &new,
            ))
            .await?;
        let with = match (right_current, short) {
            (false, _) => format!(", a wrong password and a new password in {field}"),
            (true, true) => format!(" and a one-character new password in {field}"),
            (true, false) => format!(" and a new password in {field}"),
        };
        case.say(format!(
            "When {} authenticates with {}{with}",
            who.name(),
            flag.query()
        ));
        let signed_on = Status::Success.holds(x.status) && Self::apikey(&x).is_some();
        let kept = |model: &mut Self, rule: &'static Rule| {
            model.password_kept_by.retain(|(w, _)| *w != who);
            model.password_kept_by.push((who, rule));
        };
        if !right_current {
            case.say("Then the sign-on is refused");
            case.documented(
                &WRONG_CREDENTIALS_NO_TOKEN,
                !signed_on,
                "no auth token for a wrong password",
            )?;
            kept(self, &WRONG_CREDENTIALS_NO_TOKEN);
            return Ok(());
        }
        let result = x.str_field("changePasswordResult");
        if flag != Flag::Exact {
            case.say("Then the sign-on succeeds without a password change");
            self.file_key(case, &x, Some(who))?;
            case.documented(
                &PASSWORD_CHANGE_FLAG_EXACT,
                result.is_none(),
                "a plain sign-on: no changePasswordResult",
            )?;
            kept(self, &PASSWORD_CHANGE_FLAG_EXACT);
            return Ok(());
        }
        case.documented(
            &TOKEN_WHATEVER_THE_CHANGE,
            signed_on,
            "a 2xx with a new apikey, whatever the change's result",
        )?;
        self.file_key(case, &x, None)?;
        case.documented(
            &CHANGE_RESULT,
            matches!(result, Some("success" | "failure" | "notSupported")),
            "changePasswordResult: success, failure or notSupported",
        )?;
        case.say(format!(
            "Then the password change reports {}",
            result.unwrap_or("nothing")
        ));
        if short {
            case.reference(
                result == Some("failure"),
                "a one-character new password: failure (the password policy)",
            )?;
        } else {
            case.reference(
                result == Some("success"),
                "a new password the policy accepts: success",
            )?;
        }
        if result == Some("success") {
            self.changed.retain(|(w, _)| *w != who);
            self.changed.push((who, new));
            self.password_kept_by.retain(|(w, _)| *w != who);
        } else {
            kept(self, &CHANGE_RESULT);
        }
        Ok(())
    }

    /// A sign-on that checks the model's password for `who`: the current one
    /// works; after a change, the old one does not.
    async fn check_password(&mut self, case: &mut Case, who: Persona) -> Result<(), Halt> {
        let Some(account) = who.account_in(&case.ctx().target.users).cloned() else {
            return Ok(());
        };
        let Some((_, current)) = self.changed.iter().find(|(w, _)| *w == who).cloned() else {
            return Ok(());
        };
        let old = Self::run_password(case, who).unwrap_or_default();
        if old != current && case.may_send_wrong_password(&account.username) {
            let old = case
                .send_checked(api::sign_on(&account.username, &old))
                .await?;
            case.say(format!("Then {}'s old password is refused", who.name()));
            case.documented(
                &PASSWORD_CHANGE,
                !(Status::Success.holds(old.status) && Self::apikey(&old).is_some()),
                "no auth token for the password a reported success replaced",
            )?;
        }
        let x = case
            .send_checked(api::sign_on(&account.username, &current))
            .await?;
        case.say(format!("And {}'s new password works", who.name()));
        case.documented(
            &PASSWORD_CHANGE,
            Status::Success.holds(x.status) && Self::apikey(&x).is_some(),
            "an auth token for the new password of a reported success",
        )?;
        self.file_key(case, &x, Some(who))?;
        Ok(())
    }
}

impl Model for LacModel {
    type Op = Op;

    const PROPERTY: &'static str =
        "lac sign-on, auth tokens, revalidation, disabling and password change";

    fn ops(target: &Target) -> Vec<(u32, BoxedStrategy<Op>)> {
        let who = prop_oneof![Just(Persona::Alice), Just(Persona::Bob)];
        let verb = prop_oneof![3 => Just(Verb::Get), 1 => Just(Verb::Post), 1 => Just(Verb::Put), 1 => Just(Verb::Delete)];
        let lac = target.section::<LacTarget>();
        let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (5, who.clone().prop_map(|who| Op::SignOn { who }).boxed()),
            (1, who.clone().prop_map(|who| Op::WrongPassword { who }).boxed()),
            (1, Just(Op::UnknownUser).boxed()),
            (
                8,
                (0usize..8, prop::bool::weighted(0.3), verb.clone())
                    .prop_map(|(key, url, verb)| Op::Use { key, url, verb })
                    .boxed(),
            ),
            (
                1,
                (prop_oneof![Just(Bad::None), Just(Bad::Unknown), Just(Bad::OtherScheme)], verb.clone())
                    .prop_map(|(bad, verb)| Op::UseBad { bad, verb })
                    .boxed(),
            ),
            (3, (0usize..8).prop_map(|key| Op::Revalidate { key }).boxed()),
            (3, (0usize..8).prop_map(|key| Op::Disable { key }).boxed()),
            (1, Just(Op::DisableUnknown).boxed()),
            (
                2,
                (
                    who,
                    prop_oneof![4 => Just(Flag::Exact), 1 => Just(Flag::NoBang), 1 => Just(Flag::OtherCase)],
                    prop::bool::weighted(0.8),
                    prop::bool::weighted(0.2),
                    prop::bool::weighted(0.2),
                )
                    .prop_map(|(who, flag, right_current, short, prose_field)| Op::ChangePassword {
                        who,
                        flag,
                        right_current,
                        short,
                        prose_field,
                    })
                    .boxed(),
            ),
        ];
        if lac.is_some_and(|l| l.admin_token.is_some()) {
            ops.push((1, verb.prop_map(|verb| Op::UseAdmin { verb }).boxed()));
        }
        if lac.is_some_and(|l| l.role_path.is_some()) {
            ops.push((
                1,
                (0usize..8)
                    .prop_map(|key| Op::UseRoleResource { key })
                    .boxed(),
            ));
        }
        if lac.is_some_and(|l| l.url_auth_off.is_some()) {
            ops.push((1, Just(Op::UseUrlWhereOff).boxed()));
        }
        if lac.is_some_and(|l| l.no_password_change.is_some()) {
            ops.push((1, Just(Op::ChangeWithoutProvider).boxed()));
        }
        if target.control_url.is_some() {
            ops.push((
                2,
                prop_oneof![0u32..900, 900u32..1100, 1100u32..1500]
                    .prop_map(|permille| Op::Advance { permille })
                    .boxed(),
            ));
        }
        ops
    }

    fn rules() -> &'static [&'static Rule] {
        rules::ALL
    }

    fn start(ctx: &RunContext) -> Self {
        LacModel {
            keys: Vec::new(),
            changed: Vec::new(),
            password_kept_by: Vec::new(),
            clock: ctx.clock.is_controlled(),
            next: 0,
        }
    }

    async fn step(&mut self, case: &mut Case, op: &Op) -> Result<(), Halt> {
        match *op {
            Op::SignOn { who } => {
                self.sign_on(case, who).await?;
                self.check_password(case, who).await
            }
            Op::WrongPassword { who } => {
                let Some(account) = who.account_in(&case.ctx().target.users).cloned() else {
                    return Ok(());
                };
                if !case.may_send_wrong_password(&account.username) {
                    return Ok(());
                }
                let current = self.password(case, who).unwrap_or_default();
                let x = case
                    .send_checked(api::sign_on(
                        &account.username,
                        &format!("{current}-not-it"),
                    ))
                    .await?;
                case.say(format!(
                    "When {} authenticates with a wrong password",
                    who.name()
                ));
                case.say("Then the sign-on is refused");
                case.documented(
                    &WRONG_CREDENTIALS_NO_TOKEN,
                    !(Status::Success.holds(x.status) && Self::apikey(&x).is_some()),
                    "no auth token for a wrong password",
                )
            }
            Op::UnknownUser => {
                let x = case
                    .send_checked(api::sign_on("authconform-nobody", "no-such-password"))
                    .await?;
                case.say("When someone authenticates as a user who does not exist");
                case.say("Then the sign-on is refused");
                case.documented(
                    &WRONG_CREDENTIALS_NO_TOKEN,
                    !(Status::Success.holds(x.status) && Self::apikey(&x).is_some()),
                    "no auth token for an unknown user",
                )
            }
            Op::Use { key, url, verb } => self.use_key(case, key, url, verb).await,
            Op::UseBad { bad, verb } => {
                let Some(lac) = Self::lac(case) else {
                    return Ok(());
                };
                let call = api::probe(verb.method(), &lac.probe_path);
                let (call, words) = match bad {
                    Bad::None => (call, "no auth token".to_owned()),
                    Bad::Unknown => (
                        api::with_token(
                            call,
                            crate::secret::Token::generate().as_str(),
                            Transport::Header,
                            &lac.url_param,
                        ),
                        "an unknown auth token".to_owned(),
                    ),
                    Bad::OtherScheme => {
                        let Some(k) = self.keys.last() else {
                            return Ok(());
                        };
                        (
                            call.header(
                                "Authorization",
                                &format!("Bearer {}", api::credential(&k.apikey)),
                            ),
                            format!("token {} under the Bearer scheme", k.name),
                        )
                    }
                };
                let (x, baseline) = Self::send_probe(case, call).await?;
                case.say(format!("When someone calls the probe with {words}"));
                case.say("Then the call is refused");
                let refused = keeps_out(&x, baseline);
                if bad == Bad::OtherScheme {
                    // Whether another scheme is read is silent (a switch).
                    case.reference(refused, "the auth token under another scheme refused")
                } else {
                    case.documented(
                        &CALLS_NEED_THE_TOKEN,
                        refused,
                        "a 401 or 403, or the answer the call gets without credentials",
                    )?;
                    case.reference(x.status == 401, "a refused call answered 401")
                }
            }
            Op::UseAdmin { verb } => {
                let Some(lac) = Self::lac(case) else {
                    return Ok(());
                };
                let Some(token) = lac.admin_token.clone() else {
                    return Ok(());
                };
                let (x, baseline) = Self::send_probe(
                    case,
                    api::with_token(
                        api::probe(verb.method(), &lac.probe_path),
                        &token,
                        Transport::Header,
                        &lac.url_param,
                    ),
                )
                .await?;
                case.say("When the API Creator token is used in the Authorization header");
                case.say("Then the call is authorized");
                case.documented(&HEADER_ON_EVERY_CALL, lets_in(&x, baseline), "a 2xx")
            }
            Op::UseRoleResource { key } => self.use_role_resource(case, key).await,
            Op::UseUrlWhereOff => {
                let Some(lac) = Self::lac(case) else {
                    return Ok(());
                };
                let Some(other) = lac.url_auth_off.clone() else {
                    return Ok(());
                };
                let base = other.base_url.clone();
                // Its own account, or alice's (with her password now).
                let (username, password) = match other.account {
                    Some(a) => (a.username, a.password),
                    None => {
                        let (Some(a), Some(p)) = (
                            case.ctx().target.users.primary.clone(),
                            self.password(case, Persona::Alice),
                        ) else {
                            return Ok(());
                        };
                        (a.username, p)
                    }
                };
                let x = case
                    .send_checked(api::sign_on(&username, &password).on_base_url(&base))
                    .await?;
                let Some(key) = Self::apikey(&x).map(str::to_owned) else {
                    return Ok(());
                };
                let x = case
                    .send_checked(
                        api::with_token(
                            api::probe(Method::GET, &lac.probe_path),
                            &key,
                            Transport::Url,
                            &lac.url_param,
                        )
                        .on_base_url(&base),
                    )
                    .await?;
                case.say("When alice signs on to the API without URL auth and sends GET with her token in the URL");
                case.say("Then the call is refused");
                case.documented(
                    &URL_TOKEN_NEEDS_THE_PROPERTY,
                    !Status::Success.holds(x.status),
                    "not a 2xx",
                )
            }
            Op::Revalidate { key } => self.revalidate(case, key).await,
            Op::Disable { key } => self.disable(case, key).await,
            Op::DisableUnknown => {
                let x = case
                    .send_checked(api::disable(crate::secret::Token::generate().as_str()))
                    .await?;
                case.say("When someone disables an auth token that does not exist");
                case.say("Then the answer is an error");
                case.documented(
                    &DISABLE_UNKNOWN_IS_AN_ERROR,
                    !Status::Success.holds(x.status),
                    "not a 2xx",
                )
            }
            Op::ChangePassword {
                who,
                flag,
                right_current,
                short,
                prose_field,
            } => {
                self.change(case, who, flag, right_current, short, prose_field)
                    .await?;
                self.check_password(case, who).await
            }
            Op::ChangeWithoutProvider => {
                let Some(p) = Self::lac(case).and_then(|l| l.no_password_change) else {
                    return Ok(());
                };
                let new = format!("{}-Nw7!", p.account.password);
                case.ctx().secrets.register(&new);
                let x = case
                    .send_checked(
                        api::sign_on_changing_password(
                            api::PASSWORD_CHANGE_FLAG,
                            &p.account.username,
                            &p.account.password,
                            &api::NEW_PASSWORD_FIELDS,
                            &new,
                        )
                        .on_base_url(&p.base_url),
                    )
                    .await?;
                case.say("When carol authenticates with ?enablePasswordChange! and a new password in new_password");
                case.say("Then the password change reports notSupported with a new auth token");
                case.documented(
                    &TOKEN_WHATEVER_THE_CHANGE,
                    Status::Success.holds(x.status) && Self::apikey(&x).is_some(),
                    "a 2xx with an apikey",
                )?;
                case.documented(
                    &CHANGE_RESULT,
                    x.str_field("changePasswordResult") == Some("notSupported"),
                    "changePasswordResult: notSupported (the provider does not implement it)",
                )
            }
            Op::Advance { permille } => {
                if !self.clock {
                    return Ok(());
                }
                let now = Self::now_ms(case).await?;
                let longest = self
                    .keys
                    .iter()
                    .filter_map(|k| k.expires)
                    .map(|e| e - now)
                    .max()
                    .filter(|r| *r > 0)
                    .unwrap_or(3_600_000);
                let seconds = (longest / 1000 * i64::from(permille) / 1000).max(1);
                case.ctx()
                    .clock
                    .advance(seconds)
                    .await
                    .map_err(Halt::from)?;
                case.say(format!("When {} minutes pass", (seconds + 59) / 60));
                Ok(())
            }
        }
    }

    /// A password the case changed goes back to the target file's; where
    /// the server refuses (a password history), the run's ledger keeps the
    /// one the case set, as the scenarios' do: later cases sign on with it,
    /// and the run ends saying which account is left changed.
    async fn finish(&mut self, case: &mut Case) {
        for (who, current) in std::mem::take(&mut self.changed) {
            let Some(account) = who.account_in(&case.ctx().target.users).cloned() else {
                continue;
            };
            let key = Self::ledger_key(case, &account);
            let back = api::sign_on_changing_password(
                api::PASSWORD_CHANGE_FLAG,
                &account.username,
                &current,
                &api::NEW_PASSWORD_FIELDS,
                &account.password,
            );
            let ok = case.send(back).await.is_ok_and(|x| {
                Status::Success.holds(x.status)
                    && x.str_field("changePasswordResult") == Some("success")
            });
            if ok {
                Ledger::clear(&case.w, &key);
            } else {
                Ledger::set(&case.w, key, current);
            }
        }
    }
}
