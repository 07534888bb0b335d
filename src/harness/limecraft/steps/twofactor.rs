//! `features/limecraft/twofactor.feature`: enabling 2FA (for herself, by a
//! SUPPORT user, again with `redo`), the temporary token, validating codes
//! (the advertised parameters, then seed 003's sample client), the final token.
//! A key taken from an enable2fa answer is made sure to be on before a step
//! needs it ([`turn_on`]): at once, or confirmed by a first code.

use super::*;

#[given(expr = "{persona} has enabled two-factor authentication")]
async fn has_enabled_two_factor(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    if w.ctx().enrolment.lock().expect("enrolment lock").is_none() {
        log_in(w, who, who.name(), None).await?;
        enable_for_self(w, who).await?;
        let x = w.last_exchange()?;
        w.status(
            Check::Documented(&rules::ENABLE2FA_ENABLES),
            x,
            200,
            &format!("{who} to enable two-factor authentication (200)"),
        )?;
    }
    confirm_if_needed(w, who).await
}

#[when(regex = r"^(\w+) enables two-factor authentication for herself( again, with redo)?$")]
async fn enables_for_herself(w: &mut ConformanceWorld, who: Persona, again: String) -> StepResult {
    if !again.is_empty() && w.ctx().enrolment.lock().expect("enrolment lock").is_none() {
        return Err(Failure(format!(
            "{who} has no second factor the suite knows to enable again"
        )));
    }
    lc_mut(w).because = Some(if again.is_empty() {
        &rules::ENABLE2FA_ENABLES
    } else {
        &rules::ENABLE2FA_REDO
    });
    enable_for_self(w, who).await
}

/// Enables 2FA on the persona's own id and, on success, files the enrolment.
async fn enable_for_self(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = w.session(who.name())?;
    let id = user_id(w, &token).await?;
    enable_for(w, &token, &id, true).await
}

/// Enables 2FA on `id` with `token`'s session (`own`: the account's own
/// session); on success the suite adopts the new enrolment (the account's
/// only second factor it knows).
async fn enable_for(w: &mut ConformanceWorld, token: &str, id: &str, own: bool) -> StepResult {
    // Enabling her own again: `redo` (the document's "run again") and, as
    // proof a server may ask for instead, a code of the known second factor.
    // A SUPPORT user enabling it for her has no code of hers to give.
    let known = w.ctx().enrolment.lock().expect("enrolment lock").clone();
    let mut proof = match &known {
        Some(e) if own => Some(proof_code(w, e).await?),
        _ => None,
    };
    let x = loop {
        let again = known
            .as_ref()
            .map(|_| proof.as_ref().map(|p| p.code.as_str()));
        let x = w.send(api::enable_two_factor(token, id, again)).await?;
        // A code a step ahead refused may be the server's narrower window:
        // once more with a fresh code, and no code ahead again in this run.
        // A current code refused may be of another algorithm than the one
        // the server checks (not yet seen for a new key): the next one's.
        match (&known, &proof) {
            (Some(e), Some(p)) if !Status::Success.holds(x.status) => {
                let next = if p.ahead { 0 } else { p.candidate + 1 };
                if p.ahead {
                    with_run(w, |r| r.ahead_refused.store(true, Ordering::Relaxed));
                }
                match current_code(w, e, next).await? {
                    Some(p) => proof = Some(p),
                    None => break x,
                }
            }
            // A SUPPORT user's enable refused without a proof: a server may
            // ask a code of the existing key whoever enables (the documents
            // do not say): once more with one.
            (Some(e), None) if !own && !Status::Success.holds(x.status) => {
                proof = Some(proof_code(w, e).await?);
            }
            _ => break x,
        }
    };
    if Status::Success.holds(x.status) {
        // A server may have checked the proof as a use of its step, and may
        // keep used steps for the user across the new key.
        if let (Some(e), Some(p)) = (&known, &proof) {
            w.ctx()
                .file_totp_step_of_key(p.step, p.period, &e.secret, false);
        }
        if let Some(enrolment) = enrolment_of(&x) {
            adopt(w, enrolment);
        }
    }
    w.spec_check(&x)
}

/// A code that proves the second factor when enabling it again.
struct Proof {
    code: String,
    step: i64,
    period: u64,
    /// Which of [`candidates`] computed it.
    candidate: usize,
    /// A step ahead of the server's now: a server with a narrower window
    /// than RFC 6238 §5.2's one step refuses it.
    ahead: bool,
}

/// A code of `e` that proves the second factor when enabling it again: the
/// current step's if the server has not accepted it yet, else, rather than
/// wait up to a period, the next step's, which RFC 6238 §5.2's recommended
/// window of one step accepts (the caller retries with a fresh code if it is
/// refused). The proof is not what LC11 or LC32 judge.
async fn proof_code(w: &ConformanceWorld, e: &Enrolment) -> Result<Proof, Failure> {
    let ctx = w.ctx();
    let params = candidates(w, e)[0];
    let now = ctx.clock.now().await?;
    let used = totp_step_used(
        ctx.totp_used_until(&e.secret),
        totp::step_of(now, params.period),
        params.period,
    );
    let ahead_refused = with_run(w, |r| r.ahead_refused.load(Ordering::Relaxed));
    if used && !ctx.clock.is_controlled() && !ahead_refused {
        let next = now + params.period as i64;
        return Ok(Proof {
            code: totp::code_at(params, &e.secret, next),
            step: totp::step_of(next, params.period),
            period: params.period,
            candidate: 0,
            ahead: true,
        });
    }
    current_code(w, e, 0)
        .await?
        .ok_or_else(|| Failure("no TOTP parameters to compute a code with".into()))
}

/// Takes a new key from an enable2fa answer as carol's second factor, not
/// yet seen on.
fn adopt(w: &ConformanceWorld, enrolment: Enrolment) {
    *w.ctx().enrolment.lock().expect("enrolment lock") = Some(enrolment);
    set_checked(w, None);
    set_unconfirmed(w, true);
}

fn set_unconfirmed(w: &ConformanceWorld, unconfirmed: bool) {
    with_run(w, |r| r.unconfirmed.store(unconfirmed, Ordering::Relaxed));
}

/// Before a step that needs carol's second factor on: when the suite took
/// her key from an enable2fa answer and has not seen it on yet, makes sure
/// it is ([`turn_on`]), and says how when the server waited for a code.
pub(in crate::harness::limecraft) async fn confirm_if_needed(
    w: &mut ConformanceWorld,
    who: Persona,
) -> StepResult {
    let unconfirmed = with_run(w, |r| r.unconfirmed.load(Ordering::Relaxed));
    if who != Persona::Carol || !unconfirmed {
        return Ok(());
    }
    let how = turn_on(w, who).await?;
    set_unconfirmed(w, false);
    w.reference(how == TurnedOn::AtOnce, &how.warning())
}

/// How a server turned a new second factor on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnedOn {
    /// The next login asked for a second token.
    AtOnce,
    /// Once 2fa/validate took the user's session token and a first code.
    ValidateWithSession,
    /// Once enable2fa took `type: TWO_FA_AUTHENTICATOR_ENABLING` and a first
    /// code as `token`.
    EnableWithType,
}

impl TurnedOn {
    /// The confirmation's request, in words.
    fn words(self) -> &'static str {
        match self {
            TurnedOn::AtOnce => "no confirmation",
            TurnedOn::ValidateWithSession => {
                "POST /authentication/2fa/validate with her session token and a first code"
            }
            TurnedOn::EnableWithType => {
                "POST /user/{id}/enable2fa with type TWO_FA_AUTHENTICATOR_ENABLING and a first code as token"
            }
        }
    }

    /// The reference check's words: what the reference server does, and
    /// what this one did.
    pub fn warning(self) -> String {
        format!(
            "enable2fa to turn two-factor authentication on at once, as the reference server does (the document shows no confirmation step; its enable request lists type TWO_FA_AUTHENTICATOR_ENABLING); this server waited for a first code and took it by {}",
            self.words()
        )
    }
}

fn asks_second_token(x: &Exchange) -> bool {
    x.status == 200 && x.field("needsSecondToken") == Some(&Value::Bool(true))
}

/// Makes sure `who`'s second factor, whose key the suite took from an
/// enable2fa answer, is on: her next login asks for a second token at once,
/// or after a first code confirms the key in one of the ways the enable
/// request's fields suggest (`type` TWO_FA_AUTHENTICATOR_ENABLING, `token`;
/// the document shows no confirmation): 2fa/validate with her session token,
/// then enable2fa with that type. A server that never asks fails
/// ENABLE2FA_ENABLES, saying what each way answered (NEEDS_SECOND_TOKEN when
/// a way answered 2xx and her login still asks none). A code the server took
/// is filed as used, like a validation's.
pub async fn turn_on(w: &mut ConformanceWorld, who: Persona) -> Result<TurnedOn, Failure> {
    let account = w.account(who)?;
    let login = || api::login_json(&account.username, &account.password, None);
    let x = w.send(login()).await?;
    if asks_second_token(&x) {
        return Ok(TurnedOn::AtOnce);
    }
    let said = |x: &Exchange| {
        format!(
            "HTTP {}, needsSecondToken {}",
            x.status,
            x.field("needsSecondToken")
                .map_or("absent".to_owned(), Value::to_string)
        )
    };
    let mut seen = vec![format!("her login after enable2fa answered {}", said(&x))];
    let session = x
        .str_field("token")
        .filter(|t| x.status == 200 && !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            w.documented(
                &rules::LOGIN_RETURNS_A_TOKEN,
                false,
                &format!(
                    "{who} to log in after enabling two-factor authentication (200 with a token)"
                ),
            )
            .err()
            .unwrap_or_else(|| w.failure("a token"))
        })?;
    let mut taken = false;
    for way in [TurnedOn::ValidateWithSession, TurnedOn::EnableWithType] {
        let enrolment = w
            .ctx()
            .enrolment
            .lock()
            .expect("enrolment lock")
            .clone()
            .ok_or_else(|| Failure(format!("{who} has no key the suite knows")))?;
        let id = match way {
            TurnedOn::EnableWithType => {
                let me = w
                    .send(api::current_user(Some(&session), Transport::Header))
                    .await?;
                match me.field("id").and_then(Value::as_i64) {
                    Some(id) => id.to_string(),
                    None => {
                        seen.push(format!(
                            "GET /authentication/user with her token answered HTTP {} without her id",
                            me.status
                        ));
                        continue;
                    }
                }
            }
            _ => String::new(),
        };
        for params in candidates(w, &enrolment) {
            let e = Enrolment {
                secret: enrolment.secret.clone(),
                params,
            };
            let (code, step) = w.fresh_totp_code(&e, 0).await?;
            let call = match way {
                TurnedOn::EnableWithType => api::confirm_two_factor(&session, &id, &code),
                _ => api::validate(Some(&session), Transport::Header, &code, None),
            };
            let x = w.send(call).await?;
            seen.push(format!(
                "{} ({} code) answered HTTP {}",
                way.words(),
                totp::algorithm_name(params.algorithm),
                x.status
            ));
            // A refusal may come as a 2xx RestToken that still asks for a
            // second token (`limecraft.validate-refusal`).
            if !Status::Success.holds(x.status)
                || x.field("needsSecondToken") == Some(&Value::Bool(true))
            {
                continue;
            }
            // A server that took the request as enabling again: its new key.
            let new = enrolment_of(&x).filter(|n| n.secret != enrolment.secret);
            taken |= new.is_none();
            w.ctx()
                .file_totp_step_of_key(step, params.period, &enrolment.secret, true);
            let enabled_again = new.is_some();
            if let Some(new) = new {
                seen.push("its answer has a new key (it enabled again)".to_owned());
                *w.ctx().enrolment.lock().expect("enrolment lock") = Some(new);
            }
            let again = w.send(login()).await?;
            if asks_second_token(&again) {
                if !enabled_again {
                    accepted_with(w, &enrolment, params.algorithm)?;
                }
                return Ok(way);
            }
            seen.push(format!("then her login answered {}", said(&again)));
            break;
        }
    }
    let (rule, what) = if taken {
        (
            &rules::NEEDS_SECOND_TOKEN,
            "her login to ask for a second token (needsSecondToken true) once two-factor authentication is on",
        )
    } else {
        (
            &rules::ENABLE2FA_ENABLES,
            "enable2fa to turn two-factor authentication on: her next login asks for a second token, at once or once a first code confirms the new key",
        )
    };
    w.documented(rule, false, &format!("{what}; {}", seen.join("; ")))?;
    Err(w.failure(what))
}

/// A current code of `e`, with the parameters of the `candidate`th of
/// [`candidates`] (`None`: there are fewer), as proof.
async fn current_code(
    w: &ConformanceWorld,
    e: &Enrolment,
    candidate: usize,
) -> Result<Option<Proof>, Failure> {
    let Some(&params) = candidates(w, e).get(candidate) else {
        return Ok(None);
    };
    let e = Enrolment {
        secret: e.secret.clone(),
        params,
    };
    let (code, step) = w.fresh_totp_code(&e, 0).await?;
    Ok(Some(Proof {
        code,
        step,
        period: params.period,
        candidate,
        ahead: false,
    }))
}

async fn user_id(w: &mut ConformanceWorld, token: &str) -> Result<String, Failure> {
    let x = w
        .send_checked(api::current_user(Some(token), Transport::Header))
        .await?;
    w.status(
        Check::Documented(&rules::USER_OF_THE_TOKEN),
        &x,
        200,
        "GET /authentication/user to answer 200 with the caller's id",
    )?;
    x.field("id")
        .and_then(Value::as_i64)
        .map(|id| id.to_string())
        .ok_or_else(|| w.failure("an integer id in the User"))
}

/// The enrolment an enable2fa answer gives: its key, and its parameters or,
/// where it leaves one out (the table marks them optional), the sample
/// client's (SHA-1, 6 digits, 30 s).
pub(in crate::harness::limecraft) fn enrolment_of(x: &Exchange) -> Option<Enrolment> {
    let secret = totp::decode_secret(x.str_field("key")?).filter(|s| !s.is_empty())?;
    let algorithm = match x.str_field("hashingAlgorithm") {
        Some(name) => totp::parse_algorithm(name)?,
        None => SAMPLE_CLIENT.algorithm,
    };
    let digits = match x.field("digits").filter(|v| !v.is_null()) {
        Some(d) => usize::try_from(d.as_u64()?).ok().filter(|d| *d > 0)?,
        None => SAMPLE_CLIENT.digits,
    };
    let period = match x.field("period").filter(|v| !v.is_null()) {
        Some(p) => p.as_u64().filter(|p| *p > 0)?,
        None => SAMPLE_CLIENT.period,
    };
    Some(Enrolment {
        secret,
        params: TotpParams {
            algorithm,
            digits,
            period,
        },
    })
}

#[then("she receives a TOTP key with its algorithm, digits, period and QR URI")]
async fn receives_totp_key(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = lc(w).because.unwrap_or(&rules::ENABLE2FA_ENABLES);
    w.status(
        Check::Documented(rule),
        x,
        200,
        "200 with the TOTP enrolment",
    )?;
    let key = totp::decode_secret(x.str_field("key").unwrap_or_default());
    w.documented(
        &rules::ENABLE2FA_ANSWERS_THE_KEY,
        key.as_ref().is_some_and(|k| !k.is_empty()),
        "a key in base32, as the document's sample library reads it",
    )?;
    w.documented(
        &rules::ENABLE2FA_ANSWERS_THE_KEY,
        enrolment_of(x).is_some(),
        "parameters the suite can compute codes with (hashingAlgorithm SHA1, SHA256 or SHA512, positive digits and period)",
    )?;
    // The document's example key is 65 bits; 128 is RFC 4226's minimum (R6).
    w.reference(
        key.is_some_and(|s| s.len() >= 16),
        "a key of at least 128 bits",
    )?;
    // The table marks every field optional; the example shows all five.
    w.reference(
        ["hashingAlgorithm", "digits", "period"]
            .iter()
            .all(|f| x.field(f).is_some_and(|v| !v.is_null())),
        "hashingAlgorithm, digits and period, as the example shows",
    )?;
    w.reference(
        x.field("digits")
            .and_then(Value::as_u64)
            .is_some_and(|d| (6..=8).contains(&d)),
        "digits between 6 and 8 (RFC 4226)",
    )?;
    // The example's qr is "".
    w.reference(x.str_field("qr").is_some(), "a qr string")
}

crate::words! {
    /// Whom a user enables two-factor authentication for, other than themself.
    enum Other { Bob = "bob", Carol = "carol", Unknown = "a user who does not exist" }
}

#[when(
    regex = r"^(\w+|the support user) enables two-factor authentication for (bob|carol|a user who does not exist)$"
)]
async fn enables_for_other(w: &mut ConformanceWorld, who: String, whom: Other) -> StepResult {
    let (session, rule) = if who == SUPPORT {
        (SUPPORT.to_owned(), &rules::ENABLE2FA_OWN_OR_SUPPORT)
    } else {
        let who: Persona = who.parse().map_err(Failure)?;
        (who.name().to_owned(), &rules::ENABLE2FA_OWN_OR_SUPPORT)
    };
    let token = w.session(&session)?;
    let id = match whom {
        Other::Bob | Other::Carol => {
            let other = if whom == Other::Bob {
                Persona::Bob
            } else {
                Persona::Carol
            };
            log_in(w, other, other.name(), None).await?;
            let session = w.session(other.name())?;
            user_id(w, &session).await?
        }
        Other::Unknown => UNKNOWN_USER_ID.to_owned(),
    };
    lc_mut(w).because = Some(rule);
    if whom == Other::Carol {
        // carol's second factor is the suite's: adopt the new key.
        enable_for(w, &token, &id, false).await
    } else {
        w.send_checked(api::enable_two_factor(&token, &id, None))
            .await?;
        Ok(())
    }
}

#[then("the login asks for a second token and issues a temporary token")]
async fn login_asks_second_token(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let rule = Check::Documented(&rules::NEEDS_SECOND_TOKEN);
    w.status(rule, x, 200, "status 200")?;
    w.check_as(
        rule,
        x.field("needsSecondToken") == Some(&Value::Bool(true)),
        "needsSecondToken: true",
    )?;
    w.check_as(
        rule,
        x.str_field("token").is_some_and(|t| !t.is_empty()),
        "a temporary token",
    )
}

/// The seed says what the temporary token is for, not what else refuses it.
#[then(expr = "{persona}'s temporary token does not identify her")]
async fn temporary_does_not_identify(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let token = temporary(w, who)?;
    let x = w
        .send_checked(api::current_user(Some(&token), Transport::Header))
        .await?;
    refused(
        w,
        &x,
        Check::Reference,
        "the temporary token to be refused by GET /authentication/user",
    )
}

pub(super) fn temporary(w: &ConformanceWorld, who: Persona) -> Result<String, Failure> {
    lc(w).temporary.get(&who).cloned().ok_or_else(|| {
        w.failure(&format!(
            "a temporary token from {who}'s login (needsSecondToken true)"
        ))
    })
}

/// Which code a validation sends, in the feature's words.
#[derive(Clone, Copy, Debug)]
pub(super) enum CodeChoice {
    Current,
    Wrong,
    Again,
    PeriodsFromNow(i64),
}

impl std::str::FromStr for CodeChoice {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        match words {
            "the current code" => Ok(CodeChoice::Current),
            "a wrong code" => Ok(CodeChoice::Wrong),
            "the same code again" => Ok(CodeChoice::Again),
            _ => words
                .strip_prefix("the code ")
                .and_then(|w| w.strip_suffix(" periods from now"))
                .and_then(|k| k.parse().ok())
                .map(CodeChoice::PeriodsFromNow)
                .ok_or_else(|| format!("`{words}` is not a code the suite can send")),
        }
    }
}

/// Which token authenticates a validation, in the feature's words.
#[derive(Clone, Copy, Debug)]
pub(super) enum TokenChoice {
    /// The login's temporary token, in a transport ("her temporary token in the header").
    Temporary(Transport),
    /// The temporary token in the header, and `rememberMe` in the body.
    RememberMe,
    None,
    FinalOfSession,
}

impl std::str::FromStr for TokenChoice {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, Self::Err> {
        match words {
            "no token" => Ok(TokenChoice::None),
            "the final token of her session" => Ok(TokenChoice::FinalOfSession),
            "rememberMe" => Ok(TokenChoice::RememberMe),
            _ => match words.strip_prefix("her temporary token in ") {
                Some(transport) => transport
                    .parse()
                    .map(TokenChoice::Temporary)
                    .map_err(|_| format!("`{transport}` is not a transport")),
                None => Err(format!("`{words}` is not a token the suite can send")),
            },
        }
    }
}

#[when(
    regex = r"^(\w+) validates (the current code|a wrong code|the same code again|the code -?\d+ periods from now) with (her temporary token in the header|her temporary token in the query string|no token|the final token of her session|rememberMe)$"
)]
pub(super) async fn validates(
    w: &mut ConformanceWorld,
    who: Persona,
    code: CodeChoice,
    token: TokenChoice,
) -> StepResult {
    validate_code(w, who, who.name(), code, token).await?;
    Ok(())
}

/// The algorithm the server was seen to accept codes of, in this run.
pub(super) fn checked(w: &ConformanceWorld) -> Option<Algorithm> {
    with_run(w, |r| *r.checked.lock().unwrap_or_else(|e| e.into_inner()))
}

fn set_checked(w: &ConformanceWorld, algorithm: Option<Algorithm>) {
    with_run(w, |r| {
        *r.checked.lock().unwrap_or_else(|e| e.into_inner()) = algorithm
    });
}

/// The parameters to try a code with, in order: the advertised ones, then
/// the sample client's (SHA-1, 6 digits, 30 s); only the one the server was
/// seen to accept, once the run has seen it.
fn candidates(w: &ConformanceWorld, e: &Enrolment) -> Vec<TotpParams> {
    match checked(w) {
        Some(a) if a == e.params.algorithm => vec![e.params],
        Some(a) if a == SAMPLE_CLIENT.algorithm => vec![SAMPLE_CLIENT],
        _ if e.params == SAMPLE_CLIENT => vec![e.params],
        _ => vec![e.params, SAMPLE_CLIENT],
    }
}

/// Sends a code to 2fa/validate, with each candidate's parameters in turn
/// until one is accepted (a second try logs in again, so a server that ends
/// a temporary token after one wrong code still gets a fair one). Codes are
/// computed at the server's time; the clock is moved (or waited for) so that
/// the code's step is newer than any the suite had accepted, so a refusal is
/// never just the replay rule. A final token the server issued is filed as
/// `session`, and its code's step as used, before the spec check.
///
/// One exception saves a wait of up to a period against a target without
/// clock control: the current code of a key the server has not yet taken a
/// code of, in the period it took an older key's, is tried at once (the
/// documents do not say whether used steps are kept for the key or for the
/// account). Refused, it is tried again once a newer period has come, after
/// a new login, and the rest of the run waits as for one account.
pub(super) async fn validate_code(
    w: &mut ConformanceWorld,
    who: Persona,
    session: &str,
    code: CodeChoice,
    token: TokenChoice,
) -> Result<Exchange, Failure> {
    let ctx = w.ctx();
    let enrolment = ctx
        .enrolment
        .lock()
        .expect("enrolment lock")
        .clone()
        .ok_or_else(|| Failure(format!("{who} has no 2FA enrolment the suite knows; give `users.twofactor.totp_secret` or let the suite enable 2FA")))?;
    {
        let s = lc_mut(w);
        s.code_off_by = match code {
            CodeChoice::PeriodsFromNow(k) => k,
            _ => 0,
        };
        s.because = Some(match token {
            TokenChoice::RememberMe => &rules::VALIDATE_REMEMBER_ME,
            _ => &rules::VALIDATE_GIVES_THE_FINAL_TOKEN,
        });
        s.refusal_rule = match (code, token) {
            (_, TokenChoice::None) => Some(&rules::VALIDATE_WITH_THE_TEMPORARY_TOKEN),
            (_, TokenChoice::FinalOfSession) => None,
            (CodeChoice::Again, _) => Some(&rules::CODE_NOT_REUSED),
            (CodeChoice::PeriodsFromNow(k), _) if k.abs() <= 1 => None,
            _ => Some(&rules::WRONG_CODE_FAILS),
        };
    }
    let tries = match code {
        // The same code as before: one try.
        CodeChoice::Again => vec![enrolment.params],
        // One code unlike every candidate's: one try.
        CodeChoice::Wrong => vec![enrolment.params],
        _ => candidates(w, &enrolment),
    };
    let uses_temporary = matches!(token, TokenChoice::Temporary(_) | TokenChoice::RememberMe);
    let mut key_first = matches!(code, CodeChoice::Current)
        && uses_temporary
        && new_key_in_a_used_period(w, &enrolment).await?;
    let mut last = None;
    for (i, params) in tries
        .iter()
        .chain(if key_first { &tries[..] } else { &[] })
        .enumerate()
    {
        if i == tries.len() {
            // Every try of the new key's code in the used period was refused:
            // this server keeps used steps for the account (whatever an
            // earlier run saw).
            key_first = false;
            with_run(w, |r| r.replay_by_account.store(true, Ordering::Relaxed));
            ctx.set_totp_replay_by_key(false);
        }
        if i > 0 && uses_temporary {
            relogin(w, who).await?;
        }
        let e = Enrolment {
            secret: enrolment.secret.clone(),
            params: *params,
        };
        let (code_text, code_step) = match code {
            CodeChoice::Again => (
                lc(w)
                    .last_code
                    .clone()
                    .ok_or_else(|| Failure("no code was sent before in this scenario".into()))?,
                None,
            ),
            CodeChoice::Current if key_first => w
                .fresh_totp_code_of_key(&e)
                .await
                .map(|(c, s)| (c, Some(s)))?,
            CodeChoice::Current => w.fresh_totp_code(&e, 0).await.map(|(c, s)| (c, Some(s)))?,
            // A wrong code need not be fresh: it only has to differ from
            // every code the server could accept now (no wait for a period).
            CodeChoice::Wrong => {
                let now = ctx.clock.now().await?;
                let c = totp::code_at(e.params, &e.secret, now);
                let step = Some(totp::step_of(now, e.params.period));
                let others: Vec<String> = candidates(w, &enrolment)
                    .into_iter()
                    .flat_map(|p| {
                        let s = &enrolment.secret;
                        (-1..=1).map(move |k| totp::code_at(p, s, now + k * p.period as i64))
                    })
                    .collect();
                (wrong_code(&c, &others), step)
            }
            CodeChoice::PeriodsFromNow(k) => {
                w.fresh_totp_code(&e, k).await.map(|(c, s)| (c, Some(s)))?
            }
        };
        let presented = match token {
            TokenChoice::Temporary(_) | TokenChoice::RememberMe => Some(temporary(w, who)?),
            TokenChoice::None => None,
            TokenChoice::FinalOfSession => Some(w.session(who.name())?),
        };
        let transport = match token {
            TokenChoice::Temporary(t) => t,
            _ => Transport::Header,
        };
        let remember_me = matches!(token, TokenChoice::RememberMe).then_some(true);
        lc_mut(w).last_code = Some(code_text.clone());
        let x = w
            .send(api::validate(
                presented.as_deref(),
                transport,
                &code_text,
                remember_me,
            ))
            .await?;
        if let Some(token) = final_token(&x) {
            w.sessions.insert(session.to_owned(), token.to_owned());
            // The server now refuses this step and older ones; so might a server that
            // (wrongly) accepted a wrong code at its current step.
            // A clock that cannot be read still leaves the code's own step filed.
            let now_step = ctx
                .clock
                .now()
                .await
                .ok()
                .map(|now| totp::step_of(now, params.period));
            if key_first && let Some(step) = code_step {
                // A new key's code in a step another key's may have been taken for.
                ctx.saw_totp_taken(&enrolment.secret, step, params.period);
            }
            if let Some(used) = code_step.max(now_step) {
                ctx.file_totp_step_of_key(used, params.period, &enrolment.secret, true);
            }
            if !matches!(code, CodeChoice::Wrong | CodeChoice::Again) {
                accepted_with(w, &enrolment, params.algorithm)?;
            }
            w.spec_check(&x)?;
            return Ok(x);
        }
        last = Some(x);
    }
    let x = last.ok_or_else(|| Failure("no code was tried".into()))?;
    w.spec_check(&x)?;
    Ok(x)
}

/// Whether the current code of `e`'s key is one the run may try at once
/// although the server took a code of the account in this period: no clock
/// control (with it, moving the clock costs nothing), another key's code was
/// taken in this period, and the server was not seen to keep used steps for
/// the account.
async fn new_key_in_a_used_period(w: &ConformanceWorld, e: &Enrolment) -> Result<bool, Failure> {
    let ctx = w.ctx();
    if ctx.clock.is_controlled() || with_run(w, |r| r.replay_by_account.load(Ordering::Relaxed)) {
        return Ok(false);
    }
    let period = e.params.period;
    let now = totp::step_of(ctx.clock.now().await?, period);
    Ok(totp_step_used(ctx.totp_account_used_until(), now, period)
        && !totp_step_used(ctx.key_totp_used_until(&e.secret), now, period))
}

/// Files which algorithm's code the server accepted, and warns when it is
/// not the advertised one.
fn accepted_with(w: &ConformanceWorld, e: &Enrolment, algorithm: Algorithm) -> StepResult {
    set_checked(w, Some(algorithm));
    w.reference(
        algorithm == e.params.algorithm,
        &format!(
            "codes of the advertised hashingAlgorithm {}; the server checks {} codes, as seed 003's \
             sample computes them (totp(key, {{digits: 6, algorithm: 'SHA-1', period: 30}}))",
            totp::algorithm_name(e.params.algorithm),
            totp::algorithm_name(algorithm)
        ),
    )
}

/// Logs `who` in again for a fresh temporary token (a second try of a code).
async fn relogin(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let account = w.account(who)?;
    let x = w
        .send(api::login_json(&account.username, &account.password, None))
        .await?;
    if x.field("needsSecondToken") == Some(&Value::Bool(true))
        && let Some(t) = x.str_field("token")
    {
        lc_mut(w).temporary.insert(who, t.to_owned());
    }
    Ok(())
}

/// The final token of a validation the server accepted: a 2xx RestToken with a
/// token that does not ask for a further step (`needsSecondToken` true would).
/// The document gives 2fa/validate only a "default response", so the status
/// of a refusal, or whether it is a 2xx RestToken without a token, is open.
pub(in crate::harness::limecraft) fn final_token(x: &Exchange) -> Option<&str> {
    if !Status::Success.holds(x.status) || x.field("needsSecondToken") == Some(&Value::Bool(true)) {
        return None;
    }
    x.str_field("token").filter(|t| !t.is_empty())
}

/// A code of the same length as `code` that differs in every digit from it
/// and from each of `others` (the other candidates' codes, the steps around).
pub(in crate::harness::limecraft) fn wrong_code(code: &str, others: &[String]) -> String {
    code.chars()
        .enumerate()
        .map(|(i, c)| {
            let taken: Vec<char> = std::iter::once(c)
                .chain(others.iter().filter_map(|o| o.chars().nth(i)))
                .collect();
            ('0'..='9').find(|d| !taken.contains(d)).unwrap_or('0')
        })
        .collect()
}

#[then("she receives a final token")]
async fn receives_final_token(w: &mut ConformanceWorld) -> StepResult {
    validation_accepted(w)
}

crate::words! {
    /// What a step expects of a second-factor validation.
    enum Validation { Accepted = "accepted", Refused = "refused" }
}

#[then(regex = r"^the validation is (accepted|refused)$")]
async fn validation_is(w: &mut ConformanceWorld, outcome: Validation) -> StepResult {
    match outcome {
        Validation::Accepted => validation_accepted(w),
        Validation::Refused => validation_refused(w),
    }
}

#[then("the validation is refused and no token is issued")]
async fn validation_refused_step(w: &mut ConformanceWorld) -> StepResult {
    validation_refused(w)
}

fn validation_accepted(w: &ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    // A code one step off: RFC 6238 §5.2 recommends accepting it, no more.
    let check = if lc(w).code_off_by == 0 {
        Check::Documented(&rules::CODE_FROM_ADVERTISED_DATA)
    } else {
        Check::Reference
    };
    w.check_as(
        check,
        final_token(x).is_some(),
        "a 2xx RestToken with a final token (needsSecondToken not true)",
    )?;
    w.status(Check::Reference, x, 200, "200 with the final token")?;
    let token = x.str_field("token");
    w.reference(
        !lc(w).temporary.values().any(|t| Some(t.as_str()) == token),
        "a new final token, not the temporary one",
    )
}

fn validation_refused(w: &ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    // A server may echo the temporary token in a refusal; only a new token is issued.
    let issued = final_token(x).filter(|t| !lc(w).temporary.values().any(|v| v == t));
    let check = lc(w)
        .refusal_rule
        .map_or(Check::Reference, Check::Documented);
    w.check_as(
        check,
        issued.is_none(),
        "no final token (a refusal, whatever its status)",
    )?;
    w.status(Check::Reference, x, Status::ClientError, "a 4xx refusal")?;
    w.reference(x.str_field("token").is_none(), "no token in a refusal")
}
