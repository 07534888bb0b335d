//! Preflight: before any scenario runs against a target file's server, check
//! that the server answers and that the target's accounts work.
//!
//! Without it, a wrong `base_url` or password ends in one failure per scenario
//! (33 of "Connection refused", 27 of "expected alice to log in"), minutes
//! later. With it, each problem is one line saying what to fix, and the run
//! stops with exit code 2 (configuration) before any scenario, within about
//! one request timeout. `authconform check --target FILE` runs only this.
//!
//! What it sends: one sign-on per credential the vendor's suite names (undone
//! where the vendor has a call for it: `VendorSuite::issued`), a call of the
//! protected resource the target names, and, when the target gives a control
//! API, one read of its clock.

use crate::harness::exchange::{Call, Exchange, HttpClient, TransportKind};
use crate::harness::suite::{SignOn, Suite};
use crate::harness::target::{Account, Target};
use crate::harness::world::{RunContext, Status};

/// Every problem found, one line each (empty: the target is ready).
pub async fn check(ctx: &RunContext) -> Vec<String> {
    check_with_notes(ctx).await.0
}

/// Every problem found (empty: the target is ready), and what is worth
/// saying that does not stop a run (the server's clock far from the one the
/// suite computes TOTP codes and expiries with).
pub async fn check_with_notes(ctx: &RunContext) -> (Vec<String>, Vec<String>) {
    let mut notes = Vec::new();
    let problems = find_problems(ctx, &mut notes).await;
    // What the sign-ons were issued is ended as the run ends its own
    // (`RunContext::end_issued`), so preflight leaves nothing behind.
    ctx.end_issued().await;
    let redact = |lines: Vec<String>| -> Vec<String> {
        lines.into_iter().map(|p| ctx.secrets.redact(&p)).collect()
    };
    (redact(problems), redact(notes))
}

/// How far the server's clock may be from the suite's before preflight
/// says so: TOTP allows a step (30 s) either way.
pub const CLOCK_SKEW_NOTED: i64 = 30;

/// `3 years 12 days ahead of this machine's`, `within 2 s of this machine's`.
pub fn describe_skew(seconds: i64) -> String {
    let size = seconds.unsigned_abs();
    if size <= 2 {
        return "within 2 s of this machine's".to_owned();
    }
    let (days, rest) = (size / 86_400, size % 86_400);
    let amount = match (days / 365, days % 365) {
        (0, 0) if rest < 3600 => format!("{size} s"),
        (0, 0) => format!("{} h {} min", rest / 3600, rest % 3600 / 60),
        (0, d) => format!("{d} day(s) {} h", rest / 3600),
        (y, d) => format!("{y} year(s) {d} day(s)"),
    };
    let way = if seconds > 0 { "ahead of" } else { "behind" };
    format!("{amount} {way} this machine's")
}

/// The server's `Date` against the clock the suite uses for this target
/// (its control API's, or this machine's): a note when they are more than
/// [`CLOCK_SKEW_NOTED`] apart.
async fn clock_note(ctx: &RunContext, x: &Exchange) -> Option<String> {
    let date = x
        .response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("date"))?
        .1
        .clone();
    let server = jiff::fmt::rfc2822::parse(&date)
        .ok()?
        .timestamp()
        .as_second();
    let ours = ctx.clock.now().await.ok()?;
    let skew = server - ours;
    if skew.abs() <= CLOCK_SKEW_NOTED {
        return None;
    }
    let fix = if ctx.clock.is_controlled() {
        "the control API's clock and the server's Date disagree; restart the server".to_owned()
    } else {
        format!(
            "TOTP codes and expiries computed here will not match the server's; fix the server's clock{}",
            ", or for a reference server in test mode give control_url (or `authconform clock --control-url URL --reset`)"
        )
    };
    Some(format!(
        "the server's clock (Date: {date}) is {}: {fix}",
        describe_skew(skew)
    ))
}

async fn find_problems(ctx: &RunContext, notes: &mut Vec<String>) -> Vec<String> {
    let (target, http) = (&ctx.target, &ctx.http);
    let suite = Suite::of(target.vendor);
    let enrolled = ctx
        .enrolment
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some();
    let mut problems = suite.preflight_problems(target);
    let mut signed_on_any = !problems.is_empty();
    for sign_on in suite.sign_ons(target) {
        let Some(x) = send(http, &sign_on.call, target, &mut problems).await else {
            return problems;
        };
        if notes.is_empty()
            && let Some(note) = clock_note(ctx, &x).await
        {
            notes.push(note);
        }
        if matches!(x.status, 404 | 405) {
            // No sign-on there at all: base_url is not the API's root (in the
            // vendor's own words where it has them).
            problems.push(suite.not_the_api_base(&x).unwrap_or_else(|| {
                format!(
                    "{} {} answered HTTP {}: there is no sign-on endpoint there; base_url should be \
                     the root the {} API's documented paths start from (`authconform init --vendor {}` \
                     shows an example)",
                    x.method,
                    crate::redact::redact_query(&x.url),
                    x.status,
                    target.vendor,
                    target.vendor
                )
            }));
            return problems;
        }
        if let Some(line) = suite.sign_on_problem(&sign_on, &x, enrolled) {
            problems.push(line);
            continue;
        }
        signed_on_any = true;
        ctx.remember_issued(&x);
        if let Some(probe) = suite.probe(target, &sign_on, &x) {
            let others = suite.other_ways_in(target, &sign_on, &x);
            probe_answers(http, probe, others, &mut problems).await;
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
        Err(e) if e.answered.is_some() => {
            // It answered, with more than the harness reads.
            problems.push(format!("{} {} {}", e.method, e.url, e.message));
            None
        }
        Err(e) => {
            let timeout = target.timeout.as_secs();
            problems.push(match e.kind {
                TransportKind::NoAnswer => format!(
                    "base_url {}: the server accepted the connection but did not answer {} {} within \
                     {timeout} s (timeout_seconds: {timeout}); raise timeout_seconds if it is slow, or check the server",
                    target.base_url, e.method, e.url
                ),
                TransportKind::PlainHttp => format!(
                    "base_url {}: the server answers plain HTTP, not TLS; use http:// instead of https://",
                    target.base_url
                ),
                TransportKind::Tls => format!(
                    "base_url {}: the TLS handshake failed ({}); for a self-signed certificate set insecure_tls: true",
                    target.base_url, e.message
                ),
                TransportKind::Body => format!(
                    "base_url {}: {} {} answered, but {}; check base_url",
                    target.base_url, e.method, e.url, e.message
                ),
                TransportKind::Connect => format!(
                    "base_url {} cannot be reached: {}; check base_url and that the server is running",
                    target.base_url, e.message
                ),
                TransportKind::Other => format!(
                    "base_url {} cannot be reached: {}; check base_url (and insecure_tls for a self-signed certificate)",
                    target.base_url, e.message
                ),
            });
            None
        }
    }
}

/// One sign-on per account of `users:` that signs on (primary, secondary,
/// twofactor), each with the call `sign_on` makes for it: the sign-ons of a
/// vendor whose credentials are accounts.
pub fn account_sign_ons(target: &Target, sign_on: impl Fn(&Account) -> Call) -> Vec<SignOn> {
    [
        ("users.primary", &target.users.primary),
        ("users.secondary", &target.users.secondary),
        ("users.twofactor", &target.users.twofactor),
    ]
    .into_iter()
    .filter_map(|(role, a)| {
        a.as_ref().map(|a| SignOn {
            role,
            call: sign_on(a),
            account: Some(a.clone()),
        })
    })
    .collect()
}

/// A 2xx that issues what the vendor's document says a sign-on issues.
pub fn issued(x: &Exchange, field: &str) -> bool {
    Status::Success.holds(x.status) && x.str_field(field).is_some_and(|v| !v.is_empty())
}

/// The problem line of an account that did not sign on.
pub fn cannot_sign_on(sign_on: &SignOn, x: &Exchange) -> String {
    let fix = match x.status {
        200..=299 | 401 | 403 => "check the username and password in the target file",
        400 | 415 | 422 => {
            "the server refused the sign-on's shape; check that base_url is the vendor's API"
        }
        _ => "check the account and base_url in the target file",
    };
    format!(
        "{} ({}) cannot sign on: {} {} answered HTTP {}; {fix}",
        sign_on.role,
        sign_on
            .account
            .as_ref()
            .map(|a| a.username.as_str())
            .unwrap_or_default(),
        x.method,
        x.operation,
        x.status
    )
}

async fn probe_answers(
    http: &HttpClient,
    probe: crate::harness::suite::Probe,
    others: Vec<Call>,
    problems: &mut Vec<String>,
) {
    let (field, path) = (probe.field, &probe.path);
    let refused = match http.send(&probe.call).await {
        Ok(x) if Status::Success.holds(x.status) => return,
        Ok(x) => x,
        Err(e) => {
            problems.push(format!("{field} {path} cannot be reached: {}", e.message));
            return;
        }
    };
    // Before blaming the path: the other documented ways in.
    let mut seen = vec![format!("HTTP {}", refused.status)];
    for call in others {
        match http.send(&call).await {
            Ok(x) if Status::Success.holds(x.status) => return,
            Ok(x) => seen.push(format!("HTTP {} {}", x.status, credential_of(&call))),
            Err(e) => seen.push(e.message),
        }
    }
    problems.push(format!(
        "{field} {path} answers {} to a signed-on GET; give a protected resource of the API that answers 2xx",
        seen.join(", then ")
    ));
}

/// How a call authenticates, in a few words (`with Authorization: Bearer …`).
fn credential_of(call: &Call) -> String {
    match call.headers.first() {
        Some((name, value)) => match value.split_once(' ') {
            Some((scheme, _)) => format!("with {name}: {scheme} …"),
            None => format!("with {name}"),
        },
        None => "without credentials".to_owned(),
    }
}
