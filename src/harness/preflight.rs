//! Preflight: before any scenario runs against a target file's server, check
//! that the server answers and that the target's accounts work.
//!
//! Without it, a wrong `base_url` or password ends in one failure per scenario
//! (33 of "Connection refused", 27 of "expected alice to log in"), minutes
//! later. With it, each problem is one line saying what to fix, and the run
//! stops with exit code 2 (configuration) before any scenario, within about
//! one request timeout. `authconform check --target FILE` runs only this.
//!
//! What it sends: one sign-on per configured account (undone where the
//! vendor lets it be: a Limecraft session is logged out, a LAC auth token
//! disabled) and, when the target gives a control API, one read of its clock.

use crate::harness::exchange::{Call, Exchange, HttpClient};
use crate::harness::target::{Account, Target};
use crate::harness::world::{RunContext, Status};
use crate::harness::{fileverbs, lac, limecraft, liquidfiles};
use crate::vendor::Vendor;

/// Every problem found, one line each (empty: the target is ready).
pub async fn check(ctx: &RunContext) -> Vec<String> {
    let problems = find_problems(ctx).await;
    // What the sign-ons were issued is ended as the run ends its own
    // (`RunContext::end_issued`), so preflight leaves nothing behind.
    ctx.end_issued().await;
    problems
        .into_iter()
        .map(|p| ctx.secrets.redact(&p))
        .collect()
}

async fn find_problems(ctx: &RunContext) -> Vec<String> {
    let (target, http) = (&ctx.target, &ctx.http);
    let enrolment_known = ctx
        .enrolment
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some();
    let mut problems = Vec::new();
    let accounts: Vec<(&str, &Account)> = [
        ("users.primary", &target.users.primary),
        ("users.secondary", &target.users.secondary),
        ("users.twofactor", &target.users.twofactor),
    ]
    .into_iter()
    .filter_map(|(role, a)| a.as_ref().map(|a| (role, a)))
    .collect();

    let mut signed_on_any = false;
    match target.vendor {
        Vendor::FileVerbs => {
            if let Some(fv) = &target.fileverbs {
                let pairs = std::iter::once(("fileverbs.primary", &fv.primary))
                    .chain(fv.secondary.iter().map(|p| ("fileverbs.secondary", p)));
                for (role, pair) in pairs {
                    let call = fileverbs::api::access_token(&pair.secret_key, &pair.api_key);
                    match send(http, &call, target, &mut problems).await {
                        None => return problems,
                        Some(x) if issued(&x, "JwtToken") => {
                            signed_on_any = true;
                            ctx.remember_issued(&x);
                            if role == "fileverbs.primary" {
                                let probe =
                                    fileverbs::api::probe_with_secret_key(&fv.probe_path, &pair.secret_key);
                                probe_answers(http, probe, "fileverbs.probe_path", &fv.probe_path, &mut problems).await;
                            }
                        }
                        Some(x) => problems.push(format!(
                            "{role}: the key pair gets no JwtToken from POST {} (HTTP {}); check its secret_key and api_key",
                            x.operation, x.status
                        )),
                    }
                }
            }
        }
        _ => {
            for (role, account) in accounts {
                let call = sign_on(target, account);
                let Some(x) = send(http, &call, target, &mut problems).await else {
                    return problems;
                };
                if let Some(line) = refused(target.vendor, role, account, &x) {
                    problems.push(line);
                } else if role == "users.twofactor"
                    && target.vendor == Vendor::Limecraft
                    && x.field("needsSecondToken") == Some(&serde_json::Value::Bool(true))
                    && !enrolment_known
                {
                    problems.push(format!(
                        "users.twofactor ({}) has two-factor authentication on (an earlier run enabled it), and neither \
                         users.twofactor.totp_secret nor the state file knows its secret: restore the state file \
                         (--state), give totp_secret, or turn the second factor off for this account",
                        account.username
                    ));
                } else {
                    signed_on_any = true;
                    if role == "users.primary" {
                        check_probe(target, http, &x, &mut problems).await;
                    }
                    ctx.remember_issued(&x);
                }
            }
        }
    }
    if !signed_on_any && problems.is_empty() {
        problems.push(format!(
            "the target file gives no account the suite can sign on with ({} needs `users.primary`)",
            target.vendor
        ));
    }
    if let Some(root) = &target.control_url
        && let Err(e) = crate::harness::control_api::ControlApi::for_target(target)
            .now()
            .await
    {
        problems.push(format!(
            "control_url {root}: the control API does not answer ({e}); remove control_url or start the server in test mode"
        ));
    }
    problems
}

/// Sends `call`; on a transport error (DNS, TCP, TLS, timeout) records the one
/// problem that makes every other check pointless and returns `None`.
async fn send(
    http: &HttpClient,
    call: &Call,
    target: &Target,
    problems: &mut Vec<String>,
) -> Option<Exchange> {
    match http.send(call).await {
        Ok(x) => {
            if x.status >= 500 {
                problems.push(format!(
                    "{} {} answers HTTP {}: the server is failing; fix it before running the suite",
                    x.method, x.url, x.status
                ));
                return None;
            }
            Some(x)
        }
        Err(e) => {
            problems.push(format!(
                "base_url {} cannot be reached: {}; check base_url (and insecure_tls for a self-signed certificate)",
                target.base_url, e.message
            ));
            None
        }
    }
}

fn sign_on(target: &Target, account: &Account) -> Call {
    match target.vendor {
        // A v3 deployment may have dropped the deprecated XML API.
        Vendor::LiquidFiles if !target.liquidfiles_login().xml() => {
            liquidfiles::api::json_login(&account.username, &account.password)
        }
        Vendor::Limecraft => limecraft::api::login_json(&account.username, &account.password, None),
        Vendor::Lac => lac::api::sign_on(&account.username, &account.password),
        Vendor::LiquidFiles => liquidfiles::api::xml_login(
            &liquidfiles::api::login_document(
                &account.username,
                &liquidfiles::api::escape_password(
                    &account.password,
                    liquidfiles::api::Escaping::Decimal,
                ),
            ),
            "text/xml",
        ),
        Vendor::FileVerbs => unreachable!("FileVerbs signs on with key pairs"),
    }
}

/// A 2xx that issues what the vendor's document says a sign-on issues.
fn issued(x: &Exchange, field: &str) -> bool {
    Status::Success.holds(x.status) && x.str_field(field).is_some_and(|v| !v.is_empty())
}

/// The problem line when the account did not sign on, else `None`.
fn refused(vendor: Vendor, role: &str, account: &Account, x: &Exchange) -> Option<String> {
    let ok = match vendor {
        Vendor::Limecraft => issued(x, "token"),
        Vendor::Lac => issued(x, "apikey"),
        Vendor::LiquidFiles => {
            Status::Success.holds(x.status)
                && liquidfiles::api::xml_element(&x.response_body, "api_key")
                    .or_else(|| liquidfiles::api::json_api_key(&x.response_body))
                    .is_some_and(|k| !k.is_empty())
        }
        Vendor::FileVerbs => true,
    };
    (!ok).then(|| {
        format!(
            "{role} ({}) cannot sign on: {} {} answered HTTP {}; check the username and password in the target file",
            account.username, x.method, x.operation, x.status
        )
    })
}

/// The protected resource the target names answers a signed-on caller with a 2xx.
async fn check_probe(target: &Target, http: &HttpClient, x: &Exchange, problems: &mut Vec<String>) {
    let probe = match target.vendor {
        Vendor::Lac => target
            .lac
            .as_ref()
            .zip(x.str_field("apikey"))
            .map(|(lac, key)| {
                (
                    lac::api::with_token(
                        lac::api::probe(reqwest::Method::GET, &lac.probe_path),
                        key,
                        lac::api::Transport::Header,
                    ),
                    "lac.probe_path",
                    lac.probe_path.clone(),
                )
            }),
        Vendor::LiquidFiles => target
            .liquidfiles
            .as_ref()
            .and_then(|lf| lf.probe_path.clone())
            .zip(
                liquidfiles::api::xml_element(&x.response_body, "api_key")
                    .or_else(|| liquidfiles::api::json_api_key(&x.response_body)),
            )
            .map(|(path, key)| {
                (
                    liquidfiles::api::account(&path, &key),
                    "liquidfiles.probe_path",
                    path,
                )
            }),
        _ => None,
    };
    if let Some((call, field, path)) = probe {
        probe_answers(http, call, field, &path, problems).await;
    }
}

async fn probe_answers(
    http: &HttpClient,
    call: Call,
    field: &str,
    path: &str,
    problems: &mut Vec<String>,
) {
    match http.send(&call).await {
        Ok(x) if Status::Success.holds(x.status) => {}
        Ok(x) => problems.push(format!(
            "{field} {path} answers HTTP {} to a signed-on GET; give a protected resource of the API that answers 2xx",
            x.status
        )),
        Err(e) => problems.push(format!("{field} {path} cannot be reached: {}", e.message)),
    }
}
