//! Limecraft Flow's model for `authconform explore`: sequences of logins
//! (JSON or form, rememberMe), uses of a session's token by each transport,
//! logouts (one session or all), the second factor (enable, validate with a
//! current, stale, replayed or wrong code, with the temporary token, a final
//! one or none) and clock moves, each answer judged by the rules of seed 003
//! (`reference::limecraft::rules`).
//!
//! Where the document allows a range the model allows it: a session's token
//! must work until an hour (a week with rememberMe) less a minute after its
//! login, and must be refused a minute after an hour (a week) since it was
//! last used, whether the server's timeout is absolute or sliding; a code a
//! period off may be accepted or not; what is left open the server's answer
//! settles (a session the model cannot tell is alive is judged by nothing,
//! then known by the answer).

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::api::{self, Transport};
use super::steps::{
    TurnedOn, UNKNOWN_USER_ID, confirm_if_needed, enrolment_of, final_token, turn_on, wrong_code,
};
use crate::harness::exchange::Call;
use crate::harness::explore::{Case, Halt, Model};
use crate::harness::target::{Account, Target};
use crate::harness::world::{Persona, RunContext, Status};
use crate::provenance::Rule;
use crate::reference::limecraft::SAMPLE_CLIENT;
use crate::reference::limecraft::rules::{self, *};
use crate::totp;

/// A token's transport, as the operation draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    Header,
    Query,
    Cookie,
    /// The header, its name in lower case (RFC 9110 §5.1, as LC29 sends it).
    LowerCase,
}

impl Via {
    /// GET /authentication/user with `token` this way.
    fn current_user(self, token: &str) -> Call {
        let transport = match self {
            Via::Header => Transport::Header,
            Via::Query => Transport::Query,
            Via::Cookie => Transport::Cookie,
            Via::LowerCase => return api::current_user_lower_case(token),
        };
        api::current_user(Some(token), transport)
    }

    fn words(self) -> &'static str {
        match self {
            Via::Header => "the header",
            Via::Query => "the query string",
            Via::Cookie => "the cookie",
            Via::LowerCase => "the header, its name in lower case",
        }
    }

    /// The rule a live session's token keeps by this transport.
    fn rule(self) -> &'static Rule {
        match self {
            Via::Header => &USER_OF_THE_TOKEN,
            Via::Query | Via::Cookie => &TOKEN_TRANSPORTS,
            Via::LowerCase => &HEADER_NAMES_ANY_CASE,
        }
    }
}

/// The code a validation sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    Current,
    /// The code this many periods from now (±1: the document's tolerance is
    /// open; ±2 and more: a clock out of sync).
    Offset(i64),
    Wrong,
    /// The code the case had accepted last, again.
    Replayed,
}

/// What authenticates a validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidateWith {
    /// The newest temporary token, in the header or the query.
    Temporary {
        query: bool,
    },
    NoToken,
    /// The n-th final session token (modulo).
    Final(usize),
}

/// One documented operation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub enum Op {
    Login {
        who: Persona,
        form: bool,
        remember_me: Option<bool>,
    },
    WrongPassword {
        who: Persona,
    },
    UnknownUser,
    LockedLogin,
    DisabledLogin,
    /// GET /authentication/user with the n-th session's token (modulo).
    Use {
        session: usize,
        via: Via,
    },
    UseGarbage {
        via: Via,
    },
    UseTemporary,
    Logout {
        session: usize,
        query: bool,
        all: bool,
    },
    LogoutGarbage,
    EnableTwoFactor,
    EnableForOther {
        unknown: bool,
    },
    /// A login with the email address the User of a session of `who` names.
    EmailLogin {
        who: Persona,
    },
    /// A form login without a password, with redirectIfPassword.
    NoPassword {
        who: Persona,
    },
    /// A form login with the SAML redirect parameters.
    SamlLogin {
        who: Persona,
    },
    /// A logout of the n-th session (modulo) with the SAML redirect parameters.
    SamlLogout {
        session: usize,
    },
    /// The SUPPORT user (`users.support`) enables 2FA for carol, or for a
    /// user who does not exist.
    Support {
        unknown: bool,
    },
    Validate {
        code: Code,
        with: ValidateWith,
        remember_me: Option<bool>,
    },
    Advance {
        seconds: i64,
    },
}

/// How long a session may live, as far as the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lifetime {
    Hour,
    Week,
    /// rememberMe at login, not at validation: the document does not say which wins.
    HourOrWeek,
}

const HOUR: i64 = 3600;
const WEEK: i64 = 7 * 24 * 3600;
/// The tolerance either side of a lifetime, as LC9 and LC10 allow it.
const MARGIN: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    No,
    /// By its own logout, or by the logout of all its user's sessions.
    Yes(&'static Rule),
    /// By a logout the model could not tell took place.
    Maybe,
}

struct Session {
    name: String,
    who: Persona,
    token: String,
    /// Server time before its login, and when it was last accepted.
    issued: i64,
    last_used: i64,
    lifetime: Lifetime,
    ended: Ended,
    /// A later logout of another session that must have left it alone, and which.
    kept_by: Option<&'static Rule>,
}

struct Temporary {
    token: String,
    remember_me: Option<bool>,
    issued: i64,
    /// Validated (ended, or open: the document does not say).
    used: bool,
    /// Codes it sent that were refused.
    wrong_codes: u32,
}

/// The model's state in one case.
pub struct LimecraftModel {
    sessions: Vec<Session>,
    temporary: Vec<Temporary>,
    enrolled: bool,
    /// The code the case had accepted last.
    accepted_code: Option<String>,
    /// The server checks SHA-1 codes though it advertises another algorithm
    /// (the seed's own sample client computes SHA-1): learnt, for the run.
    sha1: bool,
    bob_id: Option<String>,
    clock: bool,
    next: usize,
}

impl LimecraftModel {
    async fn now(case: &Case) -> Result<i64, Halt> {
        case.ctx().clock.now().await.map_err(Halt::from)
    }

    fn name(&mut self) -> String {
        self.next += 1;
        format!("S{}", self.next)
    }

    fn account(case: &Case, who: Persona) -> Option<Account> {
        who.account_in(&case.ctx().target.users).cloned()
    }

    /// What the model says of a session's token at `now`: `Some(true)` it
    /// must be accepted, `Some(false)` refused, `None` either.
    fn verdict(s: &Session, now: i64) -> Option<bool> {
        let (shortest, longest) = match s.lifetime {
            Lifetime::Hour => (HOUR, HOUR),
            Lifetime::Week => (WEEK, WEEK),
            Lifetime::HourOrWeek => (HOUR, WEEK),
        };
        match s.ended {
            Ended::Yes(_) => return Some(false),
            Ended::Maybe => return None,
            Ended::No => {}
        }
        if now > s.last_used + longest + MARGIN {
            Some(false)
        } else if now < s.issued + shortest - MARGIN {
            Some(true)
        } else {
            None
        }
    }

    /// The rule that keeps a session the model says is alive: the logout of
    /// another session that had to leave it, its lifetime, its transport.
    fn alive_rule(s: &Session, now: i64, via: Via) -> &'static Rule {
        if let Some(rule) = s.kept_by {
            rule
        } else if now - s.issued > HOUR / 2 {
            &SESSION_LIFETIME
        } else {
            via.rule()
        }
    }

    /// The newest session of `who` the model says must be alive now.
    fn live_session(&self, who: Persona, now: i64) -> Option<usize> {
        (0..self.sessions.len()).rev().find(|i| {
            self.sessions[*i].who == who && Self::verdict(&self.sessions[*i], now) == Some(true)
        })
    }

    /// Judges a call made with a session the model says is alive: refused
    /// (401 or 403 without the call's own reason) breaks what keeps it alive.
    fn still_alive(&self, case: &Case, i: usize, now: i64, accepted: bool) -> Result<(), Halt> {
        let s = &self.sessions[i];
        case.documented(
            Self::alive_rule(s, now, Via::Header),
            accepted,
            &format!(
                "session {}'s token to be accepted (200 with the User)",
                s.name
            ),
        )
    }

    async fn login(
        &mut self,
        case: &mut Case,
        who: Persona,
        form: bool,
        remember_me: Option<bool>,
    ) -> Result<(), Halt> {
        let Some(account) = Self::account(case, who) else {
            return Ok(());
        };
        let now = Self::now(case).await?;
        let call = if form {
            let mut pairs = vec![
                ("username", account.username.as_str()),
                ("password", account.password.as_str()),
            ];
            let r = remember_me.map(|r| r.to_string());
            if let Some(r) = &r {
                pairs.push(("rememberMe", r));
            }
            api::login_form(&account.username, &account.password).form(&pairs)
        } else {
            api::login_json(&account.username, &account.password, remember_me)
        };
        let x = case.send_checked(call).await?;
        let needs_second = who == Persona::Carol && self.enrolled;
        let name = self.name();
        let remember_words = if remember_me == Some(true) {
            " with rememberMe"
        } else {
            ""
        };
        if form {
            case.say(format!(
                "When {} logs in with form parameters{remember_words}",
                who.name()
            ));
        } else if needs_second {
            case.say(format!("When {} logs in with a JSON body", who.name()));
        } else {
            case.say(format!(
                "Given {} has logged in as session {name}{remember_words}",
                who.name()
            ));
        }
        let token = x.str_field("token").filter(|t| !t.is_empty());
        case.documented(
            &LOGIN_RETURNS_A_TOKEN,
            x.status == 200 && token.is_some(),
            &format!("{} to log in (200 with a token)", who.name()),
        )?;
        case.documented(
            &LOGIN_FORM_OR_JSON,
            Status::Success.holds(x.status),
            &format!(
                "a login as {} to be accepted",
                if form { "form parameters" } else { "JSON" }
            ),
        )?;
        let token = token.unwrap_or_default().to_owned();
        let second = x.field("needsSecondToken") == Some(&Value::Bool(true));
        if needs_second {
            case.say("Then the login asks for a second token and issues a temporary token");
            case.documented(
                &NEEDS_SECOND_TOKEN,
                second,
                "needsSecondToken: true for a user with two-factor authentication",
            )?;
            self.temporary.push(Temporary {
                token,
                remember_me,
                issued: now,
                used: false,
                wrong_codes: 0,
            });
            return Ok(());
        }
        case.documented(
            &NEEDS_SECOND_TOKEN,
            !second,
            "needsSecondToken not true for a user without two-factor authentication",
        )?;
        let lifetime = if remember_me == Some(true) {
            Lifetime::Week
        } else {
            Lifetime::Hour
        };
        self.sessions.push(Session {
            name,
            who,
            token,
            issued: now,
            last_used: now,
            lifetime,
            ended: Ended::No,
            kept_by: None,
        });
        Ok(())
    }

    async fn refused_login(&mut self, case: &mut Case, op: &Op) -> Result<(), Halt> {
        let target = case.ctx().target.clone();
        let (call, status, rule, words, who): (_, u16, &'static Rule, String, Option<String>) =
            match op {
                Op::WrongPassword { who } => {
                    let Some(a) = who.account_in(&target.users) else {
                        return Ok(());
                    };
                    (
                        api::login_json(&a.username, &format!("{}-wrong", a.password), None),
                        401,
                        &WRONG_CREDENTIALS_ENVELOPE,
                        format!("When {} logs in with a wrong password", who.name()),
                        Some(a.username.clone()),
                    )
                }
                Op::UnknownUser => (
                    api::login_json("authconform-nobody", "no-such-password", None),
                    401,
                    &WRONG_CREDENTIALS_ENVELOPE,
                    "When someone logs in as a user who does not exist".to_owned(),
                    None,
                ),
                Op::LockedLogin => {
                    let Some(a) = &target.users.locked else {
                        return Ok(());
                    };
                    (
                        api::login_json(&a.username, &a.password, None),
                        403,
                        &LOCKED_403,
                        "When the locked user logs in with the right password".to_owned(),
                        None,
                    )
                }
                Op::DisabledLogin => {
                    let Some(a) = &target.users.disabled else {
                        return Ok(());
                    };
                    (
                        api::login_json(&a.username, &a.password, None),
                        401,
                        &UNAUTHORIZED_OR_DISABLED_401,
                        "When the disabled user logs in with the right password".to_owned(),
                        None,
                    )
                }
                _ => return Ok(()),
            };
        if let Some(name) = who
            && !case.may_send_wrong_password(&name)
        {
            return Ok(());
        }
        let x = case.send_checked(call).await?;
        case.say(words);
        case.say(format!("Then the login is refused with {status}"));
        case.documented(rule, x.status == status, &format!("status {status}"))?;
        case.documented(
            &TOKEN_ONLY_FOR_RIGHT_CREDENTIALS,
            x.field("token").is_none(),
            "no token in a refusal",
        )
    }

    async fn use_session(&mut self, case: &mut Case, n: usize, via: Via) -> Result<(), Halt> {
        if self.sessions.is_empty() {
            return Ok(());
        }
        // Counted from the newest: the sessions the last operations made.
        let i = self.sessions.len() - 1 - n % self.sessions.len();
        let now = Self::now(case).await?;
        let s = &self.sessions[i];
        let expected = Self::verdict(s, now);
        let x = case.send_checked(via.current_user(&s.token)).await?;
        let accepted = Status::Success.holds(x.status);
        let (name, who) = (s.name.clone(), s.who);
        let via_words = if via == Via::Header {
            String::new()
        } else {
            format!(" with its token in {}", via.words())
        };
        match expected {
            Some(true) => {
                case.say(format!("Then session {name} is still accepted{via_words}"));
                let rule = Self::alive_rule(s, now, via);
                case.documented(
                    rule,
                    accepted,
                    &format!("session {name}'s token to be accepted (200 with the User)"),
                )?;
            }
            Some(false) => {
                case.say(format!("Then session {name} is refused{via_words}"));
                let rule = match s.ended {
                    Ended::Yes(rule) => rule,
                    _ => &SESSION_LIFETIME,
                };
                case.documented(
                    rule,
                    !accepted,
                    &format!("session {name}'s token to be refused (no User: not a 2xx)"),
                )?;
                case.reference(
                    x.status == 401,
                    &format!("session {name}'s token refused with 401"),
                )?;
                return Ok(());
            }
            None => {}
        }
        let s = &mut self.sessions[i];
        if !accepted {
            // Whatever ended it (a timeout, a logout), it stays ended.
            s.ended = Ended::Yes(&SESSION_LIFETIME);
            return Ok(());
        }
        s.last_used = now;
        if s.ended == Ended::Maybe {
            s.ended = Ended::No;
        }
        let account = Self::account(case, who);
        let matches = |field: &str| {
            account
                .as_ref()
                .zip(x.str_field(field))
                .is_some_and(|(a, v)| v.eq_ignore_ascii_case(&a.username))
        };
        case.documented(
            &USER_OF_THE_TOKEN,
            matches("username") || matches("email"),
            &format!("the User of {} (its username or email)", who.name()),
        )?;
        if who == Persona::Bob {
            self.bob_id = x.field("id").and_then(Value::as_i64).map(|i| i.to_string());
        }
        Ok(())
    }

    async fn logout(
        &mut self,
        case: &mut Case,
        n: usize,
        query: bool,
        all: bool,
    ) -> Result<(), Halt> {
        if self.sessions.is_empty() {
            return Ok(());
        }
        let i = n % self.sessions.len();
        let mut now = Self::now(case).await?;
        // allSessions must end every session of the user, the oldest too: with
        // three of them or more, a server that spares one shows it whatever
        // the draw (carol's logins need a code: hers are not topped up).
        let who = self.sessions[i].who;
        if all && who != Persona::Carol && Self::verdict(&self.sessions[i], now) == Some(true) {
            for _ in 0..2 {
                let live = self
                    .sessions
                    .iter()
                    .filter(|s| s.who == who && Self::verdict(s, now) == Some(true))
                    .count();
                if live >= 3 {
                    break;
                }
                self.login(case, who, false, None).await?;
            }
            now = Self::now(case).await?;
        }
        let expected = Self::verdict(&self.sessions[i], now);
        let s = &self.sessions[i];
        let transport = if query {
            Transport::Query
        } else {
            Transport::Header
        };
        let x = case
            .send_checked(api::logout(&s.token, transport, all))
            .await?;
        let name = s.name.clone();
        let who = s.who;
        case.say(format!(
            "When session {name} logs out{}{}",
            if all { " of all sessions" } else { "" },
            if query {
                " with her token in the query string"
            } else {
                ""
            }
        ));
        case.documented(
            &NO_SERVER_ERROR,
            Status::NotServerError.holds(x.status),
            "an answer to a logout, not a server error",
        )?;
        let ended_it = match expected {
            Some(true) => {
                case.say("Then the logout succeeds");
                let rule = if all {
                    &LOGOUT_ALL_SESSIONS
                } else {
                    &LOGOUT_ENDS_THE_SESSION
                };
                case.documented(rule, x.status == 200, "status 200 (User has logged-out)")?;
                true
            }
            Some(false) => false,
            // A 2xx says the session was alive and is ended now.
            None => Status::Success.holds(x.status),
        };
        if !ended_it {
            self.sessions[i].ended = Ended::Yes(if all {
                &LOGOUT_ALL_SESSIONS
            } else {
                &LOGOUT_ENDS_THE_SESSION
            });
            return Ok(());
        }
        self.logged_out(i, all);
        if all {
            // Every session the logout had to end is refused now, its own
            // too (LC23 checks the same of its two); after a top-up it is the
            // oldest.
            let ended: Vec<usize> = (0..self.sessions.len())
                .filter(|&j| self.sessions[j].who == who)
                .filter(|&j| self.sessions[j].ended == Ended::Yes(&LOGOUT_ALL_SESSIONS))
                .collect();
            for j in ended {
                let from_newest = self.sessions.len() - 1 - j;
                self.use_session(case, from_newest, Via::Header).await?;
            }
        }
        Ok(())
    }

    /// Files the logout of session `i` (of all its user's sessions with
    /// `all`): what it ended, and which sessions it had to leave alone.
    fn logged_out(&mut self, i: usize, all: bool) {
        let by = if all {
            &LOGOUT_ALL_SESSIONS
        } else {
            &LOGOUT_ENDS_THE_SESSION
        };
        self.sessions[i].ended = Ended::Yes(by);
        let who = self.sessions[i].who;
        for (j, other) in self.sessions.iter_mut().enumerate() {
            if j == i || other.ended != Ended::No {
                continue;
            }
            if all && other.who == who {
                other.ended = Ended::Yes(&LOGOUT_ALL_SESSIONS);
            } else if all {
                other.kept_by = Some(&LOGOUT_ALL_SESSIONS);
            } else if other.who == who {
                other.kept_by = Some(&LOGOUT_ENDS_THE_SESSION);
            }
        }
        if all && who == Persona::Carol {
            // Its pending logins: the document does not say.
            for t in &mut self.temporary {
                t.used = true;
            }
        }
    }

    async fn validate(
        &mut self,
        case: &mut Case,
        code: Code,
        with: ValidateWith,
        remember_me: Option<bool>,
    ) -> Result<(), Halt> {
        let ctx = case.ctx();
        if !self.enrolled {
            // A validation needs a second factor: carol enables it first.
            self.enable_two_factor(case).await?;
        }
        let Some(enrolment) = ctx
            .enrolment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        else {
            return Ok(());
        };
        if !self.enrolled {
            return Ok(());
        }
        let refused_code = matches!(code, Code::Wrong | Code::Replayed)
            || matches!(code, Code::Offset(k) if k.abs() >= 2);
        if refused_code && !case.budget().may_send_refused_code() {
            return Ok(());
        }
        if matches!(with, ValidateWith::Temporary { .. })
            && self.temporary.last().is_none_or(|t| t.used)
        {
            // A validation needs a pending login: carol logs in first.
            self.login(case, Persona::Carol, false, remember_me).await?;
        }
        let (token, mut temporary, words) = match with {
            ValidateWith::Temporary { query } => match self.temporary.last() {
                Some(t) => (
                    Some(t.token.clone()),
                    Some(self.temporary.len() - 1),
                    format!(
                        "her temporary token in {}",
                        if query {
                            "the query string"
                        } else {
                            "the header"
                        }
                    ),
                ),
                None => return Ok(()),
            },
            ValidateWith::NoToken => (None, None, "no token".to_owned()),
            ValidateWith::Final(n) => {
                let carol: Vec<&Session> = self
                    .sessions
                    .iter()
                    .filter(|s| s.who == Persona::Carol)
                    .collect();
                if carol.is_empty() {
                    return Ok(());
                }
                (
                    Some(carol[n % carol.len()].token.clone()),
                    None,
                    "the final token of her session".to_owned(),
                )
            }
        };
        let transport = match with {
            ValidateWith::Temporary { query: true } => Transport::Query,
            _ => Transport::Header,
        };
        let (mut params, offset) = (
            enrolment.params,
            match code {
                Code::Offset(k) => k,
                _ => 0,
            },
        );
        if self.sha1 {
            params.algorithm = totp::Algorithm::SHA1;
        }
        let fresh = crate::harness::world::Enrolment {
            secret: enrolment.secret.clone(),
            params,
        };
        let (sent, step) = match code {
            Code::Replayed => match &self.accepted_code {
                Some(c) => (c.clone(), None),
                None => return Ok(()),
            },
            Code::Wrong => {
                let (c, s) = case.w.fresh_totp_code(&fresh, 0).await?;
                // Unlike the code of any algorithm the server may check, a
                // step either side included.
                let now = Self::now(case).await?;
                let others: Vec<String> = [fresh.params, SAMPLE_CLIENT]
                    .into_iter()
                    .flat_map(|p| {
                        let secret = &enrolment.secret;
                        (-1..=1).map(move |k| totp::code_at(p, secret, now + k * p.period as i64))
                    })
                    .collect();
                (wrong_code(&c, &others), Some(s))
            }
            _ => case
                .w
                .fresh_totp_code(&fresh, offset)
                .await
                .map(|(c, s)| (c, Some(s)))?,
        };
        let now = Self::now(case).await?;
        let x = case
            .send(api::validate(
                token.as_deref(),
                transport,
                &sent,
                remember_me,
            ))
            .await?;
        let code_words = match code {
            Code::Current => "the current code".to_owned(),
            Code::Offset(k) => format!("the code {k} periods from now"),
            Code::Wrong => "a wrong code".to_owned(),
            Code::Replayed => "the same code again".to_owned(),
        };
        let with_words = if remember_me == Some(true) && temporary.is_some() {
            "rememberMe".to_owned()
        } else {
            words
        };
        case.say(format!(
            "When carol validates {code_words} with {with_words}"
        ));
        let mut issued = final_token(&x).map(str::to_owned);
        // A server may echo the temporary token in a refusal; only a new token is issued.
        if issued.as_deref() == token.as_deref() && !Status::Success.holds(x.status) {
            issued = None;
        }
        let pending = temporary.map(|i| &self.temporary[i]);
        // How many wrong codes end a temporary token is silent: after one,
        // whether it still works is the server's to say.
        let live_temporary =
            pending.is_some_and(|t| !t.used && t.wrong_codes == 0 && now < t.issued + 300 - MARGIN);
        let (must, rule): (Option<bool>, &'static Rule) = match (with, code) {
            (ValidateWith::NoToken, _) => (Some(false), &VALIDATE_WITH_THE_TEMPORARY_TOKEN),
            // A final token in place of the temporary one: the scenarios
            // hold it to no documented rule either (a reference check below).
            (ValidateWith::Final(_), _) => (None, &VALIDATE_WITH_THE_TEMPORARY_TOKEN),
            (_, Code::Wrong) => (Some(false), &WRONG_CODE_FAILS),
            (_, Code::Offset(k)) if k.abs() >= 2 => (Some(false), &WRONG_CODE_FAILS),
            (_, Code::Replayed) => (Some(false), &CODE_NOT_REUSED),
            (_, Code::Current) if live_temporary => (Some(true), &VALIDATE_GIVES_THE_FINAL_TOKEN),
            _ => (None, &VALIDATE_GIVES_THE_FINAL_TOKEN),
        };
        let mut accepted = issued.is_some();
        if !accepted && let Some(i) = temporary {
            self.temporary[i].wrong_codes += 1;
        }
        if must == Some(true)
            && !accepted
            && !self.sha1
            && params.algorithm != SAMPLE_CLIENT.algorithm
        {
            // The seed's own sample computes SHA-1 codes for the advertised
            // SHA512 key: a server that checks those conforms; try its code,
            // with a fresh temporary token (a server may end one after a
            // single wrong code), as the scenarios do.
            let sha1 = crate::harness::world::Enrolment {
                secret: enrolment.secret.clone(),
                params: SAMPLE_CLIENT,
            };
            let login_remember = temporary.and_then(|i| self.temporary[i].remember_me);
            self.login(case, Persona::Carol, false, login_remember)
                .await?;
            let retry = self.temporary.last().map(|t| t.token.clone());
            let (c, s) = case.w.fresh_totp_code(&sha1, 0).await?;
            let again = case
                .send(api::validate(retry.as_deref(), transport, &c, remember_me))
                .await?;
            if let Some(t) = final_token(&again) {
                self.sha1 = true;
                case.reference(
                    false,
                    &format!(
                        "a code computed with the advertised {} (the server checks SHA-1 codes)",
                        totp::algorithm_name(params.algorithm)
                    ),
                )?;
                issued = Some(t.to_owned());
                accepted = true;
                temporary = Some(self.temporary.len() - 1);
                self.note_accepted(case, &c, Some(s)).await;
            }
        }
        case.budget().code_answered(accepted);
        match must {
            Some(true) => {
                case.say("Then the validation is accepted");
                case.documented(rule, accepted, "a 2xx RestToken with a final token")?;
            }
            Some(false) => {
                case.say("Then the validation is refused and no token is issued");
                case.documented(
                    rule,
                    !accepted,
                    "no final token (a refusal, whatever its status)",
                )?;
            }
            None if matches!(with, ValidateWith::Final(_)) => {
                case.reference(
                    !accepted,
                    "no final token for a final token in place of the temporary one",
                )?;
            }
            None => {
                if matches!(code, Code::Offset(k) if k.abs() == 1) && live_temporary {
                    case.reference(
                        accepted,
                        "a code a period off accepted (clock drift of ±1 period)",
                    )?;
                }
            }
        }
        if let (Some(t), Some(i)) = (issued, temporary)
            && accepted
        {
            if self.accepted_code.as_deref() != Some(&sent) && step.is_some() {
                self.note_accepted(case, &sent, step).await;
            }
            let login_remember = self.temporary[i].remember_me;
            self.temporary[i].used = true;
            let lifetime = match (remember_me, login_remember) {
                (Some(true), _) => Lifetime::Week,
                (Some(false), _) => Lifetime::Hour,
                (None, Some(true)) => Lifetime::HourOrWeek,
                (None, _) => Lifetime::Hour,
            };
            let name = self.name();
            case.say(format!("And carol's final token is session {name}"));
            self.sessions.push(Session {
                name,
                who: Persona::Carol,
                token: t,
                issued: now,
                last_used: now,
                lifetime,
                ended: Ended::No,
                kept_by: None,
            });
            // What rememberMe on validation decides shows only past the hour
            // a plain session lasts (LC20): move the clock there and use the
            // session now, whatever the next draws are.
            if remember_me == Some(true) && self.clock {
                case.ctx()
                    .clock
                    .advance(HOUR + 2 * MARGIN)
                    .await
                    .map_err(Halt::from)?;
                case.say(format!(
                    "When {} minutes pass",
                    (HOUR + 2 * MARGIN + 59) / 60
                ));
                self.use_session(case, 0, Via::Header).await?;
            }
        }
        Ok(())
    }

    /// Files a code the server accepted: the case's, and the run's newest step.
    async fn note_accepted(&mut self, case: &Case, code: &str, step: Option<i64>) {
        self.accepted_code = Some(code.to_owned());
        let ctx = case.ctx();
        let Some(e) = ctx
            .enrolment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        else {
            return;
        };
        let now_step = ctx
            .clock
            .now()
            .await
            .ok()
            .map(|n| totp::step_of(n, e.params.period));
        if let Some(used) = step.max(now_step) {
            ctx.file_totp_step(used, e.params.period);
        }
    }

    /// Whether carol's second factor may be replaced: the target file gives
    /// no `totp_secret` that enabling 2FA again would replace (the suite's
    /// own enrolment goes through the state file, as the scenarios' does).
    fn replaceable(case: &Case) -> bool {
        case.ctx()
            .target
            .users
            .twofactor
            .as_ref()
            .is_some_and(|a| a.totp_secret.is_none())
    }

    /// A new key of carol's is the one the run knows now (the state file
    /// keeps it): codes, replays and pending logins of the old key are over.
    fn adopted(&mut self) {
        self.enrolled = true;
        self.sha1 = false;
        self.accepted_code = None;
        // Whether a login pending before the new key may finish with it: the
        // document does not say.
        for t in &mut self.temporary {
            t.used = true;
        }
    }

    /// LC30 and LC32's end: the new key works (a login, and its current code
    /// accepted with the temporary token).
    async fn new_key_works(&mut self, case: &mut Case) -> Result<(), Halt> {
        Box::pin(self.validate(
            case,
            Code::Current,
            ValidateWith::Temporary { query: false },
            None,
        ))
        .await
    }

    async fn enable_two_factor(&mut self, case: &mut Case) -> Result<(), Halt> {
        let again = self.enrolled;
        if again && !Self::replaceable(case) {
            return Ok(());
        }
        let now = Self::now(case).await?;
        if self.live_session(Persona::Carol, now).is_none() {
            // Enabling needs her session: carol logs in (with her second
            // factor once it is on) first.
            if again {
                self.new_key_works(case).await?;
            } else {
                self.login(case, Persona::Carol, false, None).await?;
            }
        }
        let Some(i) = self.live_session(Persona::Carol, now) else {
            return Ok(());
        };
        let token = self.sessions[i].token.clone();
        let me = case
            .send_checked(api::current_user(Some(&token), Transport::Header))
            .await?;
        let Some(id) = me.field("id").and_then(Value::as_i64) else {
            return Ok(());
        };
        let ctx = case.ctx();
        let known = ctx
            .enrolment
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let current = match (known, again) {
            (Some(mut e), true) => {
                if self.sha1 {
                    e.params = SAMPLE_CLIENT;
                }
                Some(case.w.fresh_totp_code(&e, 0).await?.0)
            }
            _ => None,
        };
        let x = case
            .send_checked(api::enable_two_factor(
                &token,
                &id.to_string(),
                // Again: with the current code and redo (either is what a
                // server may ask for: a switch).
                again.then_some(current.as_deref()),
            ))
            .await?;
        let enrolment = Status::Success
            .holds(x.status)
            .then(|| enrolment_of(&x))
            .flatten();
        if again {
            // LC32: redo runs again when 2FA is on.
            case.say("When carol enables two-factor authentication for herself again, with redo");
            case.say("Then she receives a TOTP key with its algorithm, digits, period and QR URI");
            case.documented(
                &ENABLE2FA_REDO,
                Status::Success.holds(x.status),
                "200 with a new key (redo: true, and a current code as token)",
            )?;
        } else {
            case.say("When carol enables two-factor authentication for herself");
            case.say("Then she receives a TOTP key with its algorithm, digits, period and QR URI");
        }
        case.documented(
            &ENABLE2FA_ANSWERS_THE_KEY,
            enrolment.is_some(),
            "200 with a key, hashingAlgorithm, digits and period that generate the codes",
        )?;
        let Some(e) = enrolment else {
            return Ok(());
        };
        *ctx.enrolment.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
        self.adopted();
        // On at once, or once a first code confirms it (a switch).
        let how = turn_on(&mut case.w, Persona::Carol).await?;
        if how != TurnedOn::AtOnce {
            case.say("And carol confirms the new key with a first code");
            case.reference(false, &how.warning())?;
        }
        if again {
            self.new_key_works(case).await?;
        }
        Ok(())
    }

    /// LC30 and LC31's calls, by the scenarios' own steps: the SUPPORT user
    /// enables 2FA for carol (her new key then works) or for a user who does
    /// not exist (404). What the steps opened ends with the operation.
    async fn support(&mut self, case: &mut Case, unknown: bool) -> Result<(), Halt> {
        let ctx = case.ctx();
        if ctx.target.users.support.is_none() || (!unknown && !Self::replaceable(case)) {
            return Ok(());
        }
        let outcome = self.support_enables(case, unknown).await;
        self.end_world_sessions(case).await;
        outcome
    }

    async fn support_enables(&mut self, case: &mut Case, unknown: bool) -> Result<(), Halt> {
        let ctx = case.ctx();
        case.sentence("Given the support user has logged in")
            .await?;
        if unknown {
            case.sentence(
                "When the support user enables two-factor authentication for a user who does not exist",
            )
            .await?;
            return case.sentence("Then the request is refused with 404").await;
        }
        let secret = || {
            ctx.enrolment
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .map(|e| e.secret.clone())
        };
        let before = secret();
        case.sentence("When the support user enables two-factor authentication for carol")
            .await?;
        // The step took the new key as carol's (the state file keeps it).
        if secret() != before {
            self.adopted();
        }
        case.sentence("Then she receives a TOTP key with its algorithm, digits, period and QR URI")
            .await?;
        confirm_if_needed(&mut case.w, Persona::Carol).await?;
        self.new_key_works(case).await
    }

    /// Ends the sessions the feature files' steps opened in this case (the
    /// model's own are its to end).
    async fn end_world_sessions(&mut self, case: &mut Case) {
        for (_, token) in std::mem::take(&mut case.w.sessions) {
            if !self.sessions.iter().any(|s| s.token == token) {
                let _ = case
                    .send(api::logout(&token, Transport::Header, false))
                    .await;
            }
        }
    }

    /// A session of `who` the model says is alive, logging in for one if
    /// need be.
    async fn live_or_login(
        &mut self,
        case: &mut Case,
        who: Persona,
    ) -> Result<Option<usize>, Halt> {
        let now = Self::now(case).await?;
        if self.live_session(who, now).is_none() {
            self.login(case, who, false, None).await?;
        }
        Ok(self.live_session(who, now))
    }

    /// Files the final token of the login a step just made, as a session of `who`.
    fn session_from_step(&mut self, case: &mut Case, who: Persona, now: i64) {
        let Ok(x) = case.w.last_exchange() else {
            return;
        };
        let token = x
            .str_field("token")
            .filter(|t| x.status == 200 && !t.is_empty())
            .filter(|_| x.field("needsSecondToken") != Some(&Value::Bool(true)))
            .map(str::to_owned);
        if let Some(token) = token {
            let name = self.name();
            case.say(format!("And {}'s token is session {name}", who.name()));
            self.sessions.push(Session {
                name,
                who,
                token,
                issued: now,
                last_used: now,
                lifetime: Lifetime::Hour,
                ended: Ended::No,
                kept_by: None,
            });
        }
    }

    /// LC26's login with the email address her User names (the User of a
    /// live session of hers tells it: no address of our own).
    async fn email_login(&mut self, case: &mut Case, who: Persona) -> Result<(), Halt> {
        let Some(i) = self.live_or_login(case, who).await? else {
            return Ok(());
        };
        let now = Self::now(case).await?;
        self.sessions[i].last_used = now;
        case.w
            .sessions
            .insert(who.name().to_owned(), self.sessions[i].token.clone());
        let when = format!("When {} logs in with her email address", who.name());
        self.login_sentences(
            case,
            who,
            now,
            &when,
            "Then the login succeeds without a second factor",
        )
        .await
    }

    /// Plays a login scenario's When and Then sentences and files the
    /// session the login made.
    async fn login_sentences(
        &mut self,
        case: &mut Case,
        who: Persona,
        now: i64,
        when: &str,
        then: &str,
    ) -> Result<(), Halt> {
        case.sentence(when).await?;
        case.sentence(then).await?;
        case.w.sessions.remove(who.name());
        self.session_from_step(case, who, now);
        Ok(())
    }

    /// LC28's login with the SAML redirect parameters.
    async fn saml_login(&mut self, case: &mut Case, who: Persona) -> Result<(), Halt> {
        let now = Self::now(case).await?;
        let when = format!(
            "When {} logs in with the SAML redirect parameters",
            who.name()
        );
        self.login_sentences(
            case,
            who,
            now,
            &when,
            "Then the login succeeds or redirects to redirectIfOk",
        )
        .await
    }

    /// LC28's logout with the SAML redirect parameters, of a session the
    /// model says is alive.
    async fn saml_logout(&mut self, case: &mut Case, n: usize) -> Result<(), Halt> {
        if self.sessions.is_empty() {
            return Ok(());
        }
        let i = self.sessions.len() - 1 - n % self.sessions.len();
        let now = Self::now(case).await?;
        if Self::verdict(&self.sessions[i], now) != Some(true) {
            return Ok(());
        }
        let who = self.sessions[i].who;
        case.w
            .sessions
            .insert(who.name().to_owned(), self.sessions[i].token.clone());
        case.sentence(&format!(
            "When {} logs out with the SAML redirect parameters",
            who.name()
        ))
        .await?;
        case.w.sessions.remove(who.name());
        // Succeeded or redirected, the session is over (LC28 then sees it refused).
        self.logged_out(i, false);
        case.sentence("Then the logout succeeds or redirects to redirectIfOk")
            .await
    }

    /// LC27's login without a password, with redirectIfPassword (kept under
    /// the wrong-password budget: it is a login without the right password).
    async fn no_password(&mut self, case: &mut Case, who: Persona) -> Result<(), Halt> {
        let Some(account) = Self::account(case, who) else {
            return Ok(());
        };
        if !case.may_send_wrong_password(&account.username) {
            return Ok(());
        }
        case.sentence(&format!(
            "When {} logs in without a password, with redirectIfPassword",
            who.name()
        ))
        .await?;
        case.sentence("Then the login redirects to redirectIfPassword")
            .await
    }

    async fn enable_for_other(&mut self, case: &mut Case, unknown: bool) -> Result<(), Halt> {
        let now = Self::now(case).await?;
        if self.live_session(Persona::Alice, now).is_none() {
            self.login(case, Persona::Alice, false, None).await?;
        }
        if !unknown && self.bob_id.is_none() {
            // bob's id, as a client learns it: from his own User.
            if self.live_session(Persona::Bob, now).is_none() {
                self.login(case, Persona::Bob, false, None).await?;
            }
            let Some(b) = self.live_session(Persona::Bob, now) else {
                return Ok(());
            };
            self.use_session(case, self.sessions.len() - 1 - b, Via::Header)
                .await?;
        }
        let Some(i) = self.live_session(Persona::Alice, now) else {
            return Ok(());
        };
        let id = match (unknown, &self.bob_id) {
            (true, _) => UNKNOWN_USER_ID.to_owned(),
            (false, Some(id)) => id.clone(),
            (false, None) => return Ok(()),
        };
        let token = self.sessions[i].token.clone();
        let x = case
            .send_checked(api::enable_two_factor(&token, &id, None))
            .await?;
        if x.status == 401 {
            case.say(format!(
                "Then session {} is still accepted",
                self.sessions[i].name
            ));
            self.still_alive(case, i, now, false)?;
        }
        if unknown {
            case.say("When alice enables two-factor authentication for a user who does not exist");
            case.say(
                "Then the request is refused with 404, or 403 to a caller without SUPPORT rights",
            );
            // No order between 403 (no rights) and 404 (no such user) is documented.
            case.documented(
                &ENABLE2FA_UNKNOWN_404,
                x.status == 404 || x.status == 403,
                "status 404 (the user was not found) or 403 (no SUPPORT rights)",
            )
        } else {
            case.say("When alice enables two-factor authentication for bob");
            case.say("Then the request is refused with 403");
            case.documented(&ENABLE2FA_OWN_OR_SUPPORT, x.status == 403, "status 403")
        }
    }
}

impl Model for LimecraftModel {
    type Op = Op;

    const PROPERTY: &'static str = "limecraft logins, sessions, second factor and logout";

    fn ops(target: &Target) -> Vec<(u32, BoxedStrategy<Op>)> {
        let who = prop_oneof![Just(Persona::Alice), Just(Persona::Bob)];
        let via = prop_oneof![
            3 => Just(Via::Header),
            1 => Just(Via::Query),
            1 => Just(Via::Cookie),
            1 => Just(Via::LowerCase),
        ];
        let remember = prop_oneof![Just(None), Just(Some(true)), Just(Some(false))];
        let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
            (
                6,
                (who.clone(), prop::bool::weighted(0.2), remember.clone())
                    .prop_map(|(who, form, remember_me)| Op::Login {
                        who,
                        form,
                        remember_me,
                    })
                    .boxed(),
            ),
            (
                1,
                who.clone()
                    .prop_map(|who| Op::WrongPassword { who })
                    .boxed(),
            ),
            (1, Just(Op::UnknownUser).boxed()),
            (
                8,
                (0usize..8, via.clone())
                    .prop_map(|(session, via)| Op::Use { session, via })
                    .boxed(),
            ),
            (
                1,
                via.clone().prop_map(|via| Op::UseGarbage { via }).boxed(),
            ),
            (
                5,
                (
                    0usize..8,
                    prop::bool::weighted(0.2),
                    prop::bool::weighted(0.35),
                )
                    .prop_map(|(session, query, all)| Op::Logout {
                        session,
                        query,
                        all,
                    })
                    .boxed(),
            ),
            (1, Just(Op::LogoutGarbage).boxed()),
        ];
        if target.users.locked.is_some() {
            ops.push((1, Just(Op::LockedLogin).boxed()));
        }
        if target.users.disabled.is_some() {
            ops.push((1, Just(Op::DisabledLogin).boxed()));
        }
        ops.push((
            1,
            any::<bool>()
                .prop_map(|unknown| Op::EnableForOther { unknown })
                .boxed(),
        ));
        if target.users.twofactor.is_some() {
            let clock = target.control_url.is_some();
            let code = if clock {
                prop_oneof![
                    5 => Just(Code::Current),
                    2 => prop_oneof![Just(-3i64), Just(-2), Just(-1), Just(1), Just(2), Just(3)].prop_map(Code::Offset),
                    2 => Just(Code::Wrong),
                    2 => Just(Code::Replayed),
                ]
                .boxed()
            } else {
                prop_oneof![4 => Just(Code::Current), 1 => Just(Code::Wrong), 1 => Just(Code::Replayed)].boxed()
            };
            let with = prop_oneof![
                6 => any::<bool>().prop_map(|query| ValidateWith::Temporary { query }),
                1 => Just(ValidateWith::NoToken),
                1 => (0usize..4).prop_map(ValidateWith::Final),
            ];
            ops.push((
                3,
                (
                    Just(Persona::Carol),
                    prop::bool::weighted(0.1),
                    remember.clone(),
                )
                    .prop_map(|(who, form, remember_me)| Op::Login {
                        who,
                        form,
                        remember_me,
                    })
                    .boxed(),
            ));
            ops.push((
                4,
                (code, with, remember)
                    .prop_map(|(code, with, remember_me)| Op::Validate {
                        code,
                        with,
                        remember_me,
                    })
                    .boxed(),
            ));
            ops.push((1, Just(Op::UseTemporary).boxed()));
            ops.push((1, Just(Op::EnableTwoFactor).boxed()));
        }
        // The login's and logout's other documented parameters: the email
        // address, no password with redirectIfPassword, SAML's redirects.
        ops.push((
            1,
            prop_oneof![
                who.clone().prop_map(|who| Op::EmailLogin { who }),
                who.clone().prop_map(|who| Op::NoPassword { who }),
                who.clone().prop_map(|who| Op::SamlLogin { who }),
                (0usize..8).prop_map(|session| Op::SamlLogout { session }),
            ]
            .boxed(),
        ));
        if target.users.support.is_some() {
            ops.push((
                1,
                any::<bool>()
                    .prop_map(|unknown| Op::Support { unknown })
                    .boxed(),
            ));
        }
        if target.control_url.is_some() {
            ops.push((
                3,
                prop_oneof![
                    3 => 1i64..900,
                    2 => (HOUR / 2)..(HOUR - 2 * MARGIN),
                    2 => (HOUR - 2 * MARGIN)..(HOUR + 2 * MARGIN),
                    1 => (WEEK - 2 * MARGIN)..(WEEK + 2 * MARGIN),
                    1 => HOUR..(3 * 24 * HOUR),
                ]
                .prop_map(|seconds| Op::Advance { seconds })
                .boxed(),
            ));
        }
        ops
    }

    fn rules() -> &'static [&'static Rule] {
        rules::ALL
    }

    fn start(ctx: &RunContext) -> Self {
        LimecraftModel {
            sessions: Vec::new(),
            temporary: Vec::new(),
            enrolled: ctx
                .enrolment
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some(),
            accepted_code: None,
            sha1: false,
            bob_id: None,
            clock: ctx.clock.is_controlled(),
            next: 0,
        }
    }

    async fn step(&mut self, case: &mut Case, op: &Op) -> Result<(), Halt> {
        match *op {
            Op::Login {
                who,
                form,
                remember_me,
            } => self.login(case, who, form, remember_me).await,
            Op::WrongPassword { .. } | Op::UnknownUser | Op::LockedLogin | Op::DisabledLogin => {
                self.refused_login(case, op).await
            }
            Op::Use { session, via } => self.use_session(case, session, via).await,
            Op::UseGarbage { via } => {
                let garbage = crate::secret::Token::generate();
                let x = case
                    .send_checked(via.current_user(garbage.as_str()))
                    .await?;
                case.say(format!(
                    "When someone asks who they are with a garbage token{}",
                    if via == Via::Header {
                        String::new()
                    } else {
                        format!(" in {}", via.words())
                    }
                ));
                case.say("Then the request is refused without a User");
                case.documented(
                    if matches!(via, Via::Header | Via::LowerCase) {
                        &INVALID_BEARER_REFUSED
                    } else {
                        &TOKEN_REQUIRED
                    },
                    !Status::Success.holds(x.status),
                    "a garbage token to be refused (no User: not a 2xx)",
                )?;
                case.reference(x.status == 401, "a garbage token refused with 401")
            }
            Op::UseTemporary => {
                let Some(t) = self.temporary.last() else {
                    return Ok(());
                };
                let x = case
                    .send_checked(api::current_user(Some(&t.token), Transport::Header))
                    .await?;
                case.say("Then carol's temporary token does not identify her");
                // Whether it identifies its user is silent (a switch).
                case.reference(
                    !Status::Success.holds(x.status),
                    "the temporary token to be refused by GET /authentication/user",
                )
            }
            Op::Logout {
                session,
                query,
                all,
            } => self.logout(case, session, query, all).await,
            Op::LogoutGarbage => {
                let garbage = crate::secret::Token::generate();
                let x = case
                    .send_checked(api::logout(garbage.as_str(), Transport::Header, false))
                    .await?;
                case.say("When someone logs out with a garbage token");
                case.say("Then the logout answers 200 or 401");
                case.documented(
                    &NO_SERVER_ERROR,
                    Status::NotServerError.holds(x.status),
                    "an answer, not a server error (5xx)",
                )?;
                case.reference(
                    Status::Either(200, 401).holds(x.status),
                    "status 200 or 401",
                )
            }
            Op::EnableTwoFactor => self.enable_two_factor(case).await,
            Op::EnableForOther { unknown } => self.enable_for_other(case, unknown).await,
            Op::EmailLogin { who } => self.email_login(case, who).await,
            Op::NoPassword { who } => self.no_password(case, who).await,
            Op::SamlLogin { who } => self.saml_login(case, who).await,
            Op::SamlLogout { session } => self.saml_logout(case, session).await,
            Op::Support { unknown } => self.support(case, unknown).await,
            Op::Validate {
                code,
                with,
                remember_me,
            } => self.validate(case, code, with, remember_me).await,
            Op::Advance { seconds } => {
                if !self.clock {
                    return Ok(());
                }
                case.ctx()
                    .clock
                    .advance(seconds)
                    .await
                    .map_err(Halt::from)?;
                let minutes = (seconds + 59) / 60;
                case.say(format!("When {minutes} minutes pass"));
                Ok(())
            }
        }
    }

    /// Ends the sessions the case opened (not judged): the next case starts
    /// from the sessions it makes, as a scenario does.
    async fn finish(&mut self, case: &mut Case) {
        self.end_world_sessions(case).await;
        for s in std::mem::take(&mut self.sessions) {
            if s.ended == Ended::No {
                let _ = case
                    .send(api::logout(&s.token, Transport::Header, false))
                    .await;
            }
        }
    }
}
