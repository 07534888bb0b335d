//! An auth token on a call (`features/lac/transport.feature`): the Authorization header, the URL.
//!
//! Whether the probe resource let a call in: a GET must answer 2xx (the
//! target names a protected resource that does). A POST, PUT or DELETE
//! without a body may be refused by the resource itself once the caller is
//! let in (a 400 for the missing rows, a 404 for no such row, a 405): the
//! seed says nothing of what a resource answers (X14). So a write is judged
//! against the server's own answer to the same call without any credential,
//! sent first: let in is a 2xx, or an answer that is neither that one nor a
//! 401 or 403; kept out is a 401 or 403, or that same answer.

use cucumber::{then, when};
use reqwest::Method;

use super::{lac, lac_mut, rules, section, send, token};
use crate::harness::exchange::{Call, Exchange, HttpMethod};
use crate::harness::lac::api::{self, Transport};
use crate::harness::world::{Check, Rule};
use crate::harness::world::{ConformanceWorld, Failure, Persona, Status, StepResult};

/// What the server answered a call without credentials (`None`: a GET, judged alone).
type Baseline = Option<u16>;

fn is_safe(x: &Exchange) -> bool {
    x.method == Method::GET.as_str() || x.method == Method::HEAD.as_str()
}

fn refusal_status(status: u16) -> bool {
    status == 401 || status == 403
}

/// Whether the probe let an authenticated call in (see the module's text).
pub(in crate::harness::lac) fn lets_in(x: &Exchange, baseline: Baseline) -> bool {
    if Status::Success.holds(x.status) {
        return true;
    }
    match baseline {
        Some(without) if !is_safe(x) => {
            x.status < 500 && !refusal_status(x.status) && x.status != without
        }
        _ => false,
    }
}

/// Whether the probe kept the caller out: a 4xx that is a refusal, or the
/// answer a call without credentials gets.
pub(in crate::harness::lac) fn keeps_out(x: &Exchange, baseline: Baseline) -> bool {
    Status::ClientError.holds(x.status)
        && (refusal_status(x.status) || baseline.is_none_or(|b| b == x.status))
}

/// Sends `call`, first without its credential when it is a write, so that
/// the answer can be told from the resource's own refusal.
async fn send_probe(
    w: &mut ConformanceWorld,
    call: Call,
    base: Option<&str>,
) -> Result<(Exchange, Baseline), Failure> {
    let baseline = if call.method == Method::GET || call.method == Method::HEAD {
        None
    } else {
        let mut bare = call.clone();
        bare.headers.clear();
        bare.query.clear();
        Some(send(w, bare, base).await?.status)
    };
    let x = send(w, call, base).await?;
    Ok((x, baseline))
}

/// Keeps the baseline of the last probe step for the `Then` that judges it.
fn remember_baseline(w: &mut ConformanceWorld, baseline: Baseline) {
    lac_mut(w).probe_baseline = baseline;
}

fn baseline(w: &ConformanceWorld) -> Baseline {
    lac(w).probe_baseline
}

fn probe_call(w: &ConformanceWorld, method: Method) -> Result<(Call, String), Failure> {
    let lac = section(w)?;
    Ok((api::probe(method, &lac.probe_path), lac.url_param))
}

#[when(
    expr = "{persona} sends a {method} to the probe resource with her/his auth token in {transport}"
)]
async fn sends_to_probe(
    w: &mut ConformanceWorld,
    who: Persona,
    method: HttpMethod,
    transport: Transport,
) -> StepResult {
    let (key, base) = token(w, who.name())?;
    let (call, param) = probe_call(w, method.0)?;
    let call = api::with_token(call, &key, transport, &param);
    let (_, b) = send_probe(w, call, base.as_deref()).await?;
    remember_baseline(w, b);
    Ok(())
}

#[when("a client sends a GET to the probe resource with the auth token created in API Creator")]
async fn sends_admin_token(w: &mut ConformanceWorld) -> StepResult {
    let lac = section(w)?;
    let key = lac
        .admin_token
        .ok_or_else(|| Failure("the target file gives no `lac.admin_token`".into()))?;
    let (call, param) = probe_call(w, Method::GET)?;
    let call = api::with_token(call, &key, Transport::Header, &param);
    let (_, b) = send_probe(w, call, None).await?;
    remember_baseline(w, b);
    Ok(())
}

/// A GET to the target's role resource (`lac.role_path`) with `who`'s auth
/// token in the Authorization header.
#[when(expr = "{persona} sends a GET to the role resource with her/his auth token")]
async fn sends_to_role_resource(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let lac = section(w)?;
    let path = lac
        .role_path
        .ok_or_else(|| Failure("the target file gives no `lac.role_path`".into()))?;
    let (key, base) = token(w, who.name())?;
    let call = api::with_token(
        api::probe(Method::GET, &path),
        &key,
        Transport::Header,
        &lac.url_param,
    );
    send(w, call, base.as_deref()).await?;
    Ok(())
}

crate::words! {
    /// What the role resource does with a call.
    enum RoleVerdict { LetsIn = "lets the call in", Refuses = "refuses the call" }
}

/// The roles of the token decide (seed 002): alice's roles allow the
/// resource, bob's do not. A refusal is a 401 or 403 (401 is the reference
/// server's, as for any refused call).
#[then(regex = r"^the role resource (lets the call in|refuses the call)$")]
async fn role_resource_judges(w: &mut ConformanceWorld, verdict: RoleVerdict) -> StepResult {
    let x = w.last_exchange()?;
    if verdict == RoleVerdict::LetsIn {
        return w.documented(
            &rules::ROLES_AUTHORIZE,
            lets_in(x, None),
            "a token whose roles allow the resource to be let in (2xx)",
        );
    }
    w.documented(
        &rules::ROLES_AUTHORIZE,
        keeps_out(x, None),
        "a valid token whose roles do not allow the resource to be refused (a 4xx)",
    )?;
    w.status(
        Check::Reference,
        x,
        401,
        "status 401, as the reference server answers",
    )
}

crate::words! {
    /// A credential the probe resource must refuse, in the feature's words.
    enum BadCredential {
        NoHeader = "no Authorization header", MadeUp = "a made-up auth token",
        BearerScheme = "alice's auth token under the Bearer scheme",
        NoScheme = "alice's auth token without a scheme",
    }
}

#[when(
    regex = r"^someone calls the probe resource with (no Authorization header|a made-up auth token|alice's auth token under the Bearer scheme|alice's auth token without a scheme)$"
)]
async fn calls_probe_badly(w: &mut ConformanceWorld, credential: BadCredential) -> StepResult {
    let (call, param) = probe_call(w, Method::GET)?;
    let call = match credential {
        BadCredential::MadeUp => {
            let made_up = crate::secret::Token::generate();
            api::with_token(call, made_up.as_str(), Transport::Header, &param)
        }
        BadCredential::BearerScheme => {
            let (key, _) = token(w, Persona::Alice.name())?;
            call.header(
                "Authorization",
                &format!("Bearer {}", api::credential(&key)),
            )
        }
        BadCredential::NoScheme => {
            let (key, _) = token(w, Persona::Alice.name())?;
            call.header("Authorization", &api::credential(&key))
        }
        BadCredential::NoHeader => call,
    };
    send(w, call, None).await?;
    remember_baseline(w, None);
    Ok(())
}

/// The rule a call with an auth token in `x`'s place relies on.
fn rule_of(x: &Exchange, param: &str) -> &'static Rule {
    let in_url = x.url.contains(&format!("?{param}=")) || x.url.contains(&format!("&{param}="));
    if in_url {
        &rules::URL_TOKEN_ON_GET
    } else {
        &rules::HEADER_ON_EVERY_CALL
    }
}

#[then("the probe resource lets the call in")]
async fn probe_lets_in(w: &mut ConformanceWorld) -> StepResult {
    let param = section(w)?.url_param;
    let x = w.last_exchange()?;
    w.documented(
        rule_of(x, &param),
        lets_in(x, baseline(w)),
        "the call to be let in: a 2xx; for POST, PUT or DELETE without a body also another answer than the same call without credentials gets, but never 401 or 403",
    )
}

/// The call must be refused; the rule depends on what it carried. The
/// feature's exact status is the reference server's.
#[then(expr = "the probe resource refuses the call with {int}")]
async fn probe_refuses(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let lac = section(w)?;
    let x = w.last_exchange()?;
    let rule = if rule_of(x, &lac.url_param) == &rules::URL_TOKEN_ON_GET {
        if is_safe(x) {
            &rules::URL_TOKEN_NEEDS_THE_PROPERTY
        } else {
            &rules::URL_TOKEN_GET_ONLY
        }
    } else {
        &rules::CALLS_NEED_THE_TOKEN
    };
    w.documented(
        rule,
        keeps_out(x, baseline(w)),
        "the call to be refused: a 401 or 403, or the answer the same call without credentials gets",
    )?;
    w.status(
        Check::Reference,
        x,
        status,
        &format!("status {status}, as the reference server answers"),
    )
}

/// Another Authorization scheme, or none, is not the documented form: that
/// a server refuses it is the reference server's choice (X13).
#[then(expr = "the probe resource refuses the call with {int} \\(a reference choice)")]
async fn probe_refuses_by_choice(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    w.reference(
        keeps_out(x, None),
        "the call to be refused: the auth token only under the documented CALiveAPICreator scheme",
    )?;
    w.status(
        Check::Reference,
        x,
        status,
        &format!("status {status}, as the reference server answers"),
    )
}

crate::words! {
    /// What a step expects of an auth token at the probe resource.
    enum Verdict { LetsIn = "lets" | "still lets", KeepsOut = "no longer lets" }
}

#[then(
    regex = r"^(?:(alice|bob|carol)'s auth token|auth token (\w+)) (lets|still lets|no longer lets) (?:her|him) call the probe resource$"
)]
async fn token_lets_call(
    w: &mut ConformanceWorld,
    who: String,
    name: String,
    verdict: Verdict,
) -> StepResult {
    let name = if name.is_empty() { who } else { name };
    let (key, base) = token(w, &name)?;
    let (call, param) = probe_call(w, Method::GET)?;
    let call = api::with_token(call, &key, Transport::Header, &param);
    let x = send(w, call, base.as_deref()).await?;
    if verdict == Verdict::KeepsOut {
        w.documented(
            &rules::CALLS_NEED_THE_TOKEN,
            keeps_out(&x, None),
            &format!("auth token {name} to be refused by the probe resource (a 4xx)"),
        )?;
        w.status(
            Check::Reference,
            &x,
            401,
            &format!("auth token {name} to be refused with 401, as the reference server answers"),
        )
    } else {
        w.documented(
            &rules::HEADER_ON_EVERY_CALL,
            lets_in(&x, None),
            &format!("auth token {name} to be let in by the probe resource (2xx)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(method: &str, status: u16) -> Exchange {
        Exchange {
            method: method.into(),
            operation: api::PROBE,
            url: "http://h/probe".into(),
            request_headers: vec![],
            request_body: None,
            status,
            response_headers: vec![],
            response_body: String::new(),
            json: None,
            spec_violation: None,
        }
    }

    #[test]
    fn a_write_is_judged_against_the_answer_without_credentials() {
        // A resource that refuses the empty body once the caller is let in.
        assert!(lets_in(&answer("PUT", 404), Some(401)));
        assert!(lets_in(&answer("POST", 400), Some(401)));
        assert!(!lets_in(&answer("PUT", 401), Some(401)));
        assert!(!lets_in(&answer("PUT", 403), Some(400)));
        // A resource that checks the body first answers both alike.
        assert!(!lets_in(&answer("POST", 400), Some(400)));
        assert!(keeps_out(&answer("POST", 400), Some(400)));
        assert!(keeps_out(&answer("DELETE", 403), Some(404)));
        assert!(!keeps_out(&answer("DELETE", 404), Some(401)));
        // A GET is judged alone.
        assert!(lets_in(&answer("GET", 200), None));
        assert!(!lets_in(&answer("GET", 404), None));
        assert!(keeps_out(&answer("GET", 404), None));
        assert!(!keeps_out(&answer("GET", 500), None));
    }
}
