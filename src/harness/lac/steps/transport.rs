//! An auth token on a call (`features/lac/transport.feature`): the Authorization header, the URL.

use cucumber::{then, when};
use reqwest::Method;

use super::{section, send, token};
use crate::harness::exchange::{Exchange, HttpMethod};
use crate::harness::lac::api::{self, Transport};
use crate::harness::world::Check;
use crate::harness::world::{ConformanceWorld, Failure, Persona, Status, StepResult};

/// Whether the probe let an authenticated call in. A GET must succeed; another
/// method may also be refused for its (empty) body once the caller was let in.
fn lets_in(x: &Exchange) -> bool {
    let success = Status::Success.holds(x.status);
    let safe = x.method == Method::GET.as_str() || x.method == Method::HEAD.as_str();
    success || (!safe && [400, 409, 415, 422].contains(&x.status))
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
    let probe_path = section(w)?.probe_path;
    let call = api::with_token(api::probe(method.0, &probe_path), &key, transport);
    send(w, call, base.as_deref()).await?;
    Ok(())
}

#[when("a client sends a GET to the probe resource with the auth token created in API Creator")]
async fn sends_admin_token(w: &mut ConformanceWorld) -> StepResult {
    let lac = section(w)?;
    let key = lac
        .admin_token
        .ok_or_else(|| Failure("the target file gives no `lac.admin_token`".into()))?;
    w.ctx().secrets.register(&key);
    let call = api::with_token(
        api::probe(Method::GET, &lac.probe_path),
        &key,
        Transport::Header,
    );
    send(w, call, None).await?;
    Ok(())
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
    let probe_path = section(w)?.probe_path;
    let call = api::probe(Method::GET, &probe_path);
    let call = match credential {
        BadCredential::MadeUp => {
            let made_up = crate::secret::Token::generate();
            api::with_token(call, made_up.as_str(), Transport::Header)
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
    Ok(())
}

#[then("the probe resource lets the call in")]
async fn probe_lets_in(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    w.documented_uncited(
        lets_in(x),
        "the call to be let in (2xx; for POST, PUT or DELETE also a 400, 409, 415 or 422 about the empty body, but never 401 or 403)",
    )
}

/// Whether the probe kept the caller out: a 4xx that is not about the
/// request's body once the caller was let in ([`lets_in`]).
fn keeps_out(x: &Exchange) -> bool {
    Status::ClientError.holds(x.status) && !lets_in(x)
}

/// The call must be refused (documented: the auth token is required); the
/// feature's exact status is the reference server's.
#[then(expr = "the probe resource refuses the call with {int}")]
async fn probe_refuses(w: &mut ConformanceWorld, status: u16) -> StepResult {
    let x = w.last_exchange()?;
    w.documented_uncited(
        keeps_out(x),
        "the call to be refused: a 4xx that does not let the caller in",
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
    let probe_path = section(w)?.probe_path;
    let call = api::with_token(
        api::probe(Method::GET, &probe_path),
        &key,
        Transport::Header,
    );
    let x = send(w, call, base.as_deref()).await?;
    if verdict == Verdict::KeepsOut {
        w.documented_uncited(
            keeps_out(&x),
            &format!("auth token {name} to be refused by the probe resource (a 4xx)"),
        )?;
        w.status(
            Check::Reference,
            &x,
            401,
            &format!("auth token {name} to be refused with 401, as the reference server answers"),
        )
    } else {
        w.documented_uncited(
            lets_in(&x),
            &format!("auth token {name} to be let in by the probe resource (2xx)"),
        )
    }
}
