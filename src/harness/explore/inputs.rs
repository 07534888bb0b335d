//! Generated bad input (`explore --inputs`): the vendor's sign-on (the call
//! preflight makes for each account, [`crate::harness::suite::VendorSuite::sign_ons`])
//! sent malformed, oversized, with wrong types, odd encodings and injected
//! parameters, and judged only by what every conforming server must keep:
//!
//! - no server error (a 5xx; a 503 with `Retry-After` is waited out, not judged);
//! - no credential issued for bad credentials (the vendor's own judgement of
//!   a sign-on, [`crate::harness::suite::VendorSuite::sign_on_problem`]);
//! - no account password or key echoed back (a reference check: no
//!   document forbids it in words, so a warning unless `--strict`).
//!
//! Wrong passwords for a real account stay within the run's budget; beyond
//! it the same bad password goes to a name that has no account.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::exchange::{Body, Call, Exchange};
use crate::harness::explore::engine::{Budget, Case, Halt, Plan};
use crate::harness::report::{Outcome, ScenarioResult, Warning};
use crate::harness::suite::{SignOn, Suite};
use crate::harness::target::VendorId;
use crate::harness::world::{Check, RunContext, Status};
use crate::provenance::{Rule, Source};

/// A 5xx is no answer a document gives: the server says it failed.
pub const NO_SERVER_ERROR: Rule = Rule {
    id: "http.no-server-error",
    says: "a request, however malformed, gets an answer, not a server error (5xx)",
    source: Source::standard(
        "RFC 9110",
        "15.6",
        "the server is aware that it has erred or is incapable of performing the requested method",
    ),
};

/// A sign-on with a wrong, missing or malformed password signs nobody on.
pub const NO_CREDENTIAL_FOR_BAD_CREDENTIALS: Rule = Rule {
    id: "http.no-credential-for-bad-credentials",
    says: "a sign-on whose password is wrong, missing or not a string issues no credential",
    source: Source::standard(
        "RFC 9110",
        "11.4",
        "user agent to authenticate itself with a server",
    ),
};

/// One bad input.
struct Mutation {
    /// What it is, in a few words (the report's line).
    what: String,
    call: Call,
    /// The credentials are bad: no credential may be issued.
    bad_credentials: bool,
}

/// The bad input whose refusal the reference server answers 400 or 415 (a
/// body it cannot read; RFC 9110 §15.5.1, §15.5.16): a reference check.
const UNREADABLE: &[&str] = &["JSON sent as text/plain", "a truncated JSON body"];

/// The bad input a server may refuse by closing the connection before it
/// has read it all (RFC 9110 §15.5.14: 413 Content Too Large, "the server
/// MAY close the connection"): the client's write then fails, which is a
/// refusal, not a failure. A server that crashed on it stops answering the
/// requests after it, and the run says so.
const OVERSIZED: &[&str] = &["a 1 MiB JSON body", "a 1 MiB XML body"];

/// What the bad input found.
#[derive(Default)]
pub struct InputsRun {
    pub sent: usize,
    pub failures: Vec<(String, String)>,
    pub warnings: Vec<Warning>,
    pub skipped: Vec<String>,
    pub elapsed: Duration,
}

impl InputsRun {
    pub fn console_text(&self) -> String {
        let mut out = format!(
            "explore bad input: {} request(s), {} failure(s) in {:.1} s\n",
            self.sent,
            self.failures.len(),
            self.elapsed.as_secs_f64()
        );
        for (what, failure) in &self.failures {
            out.push_str(&format!("FAIL bad input: {what}\n"));
            for line in failure.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        for why in &self.skipped {
            out.push_str(&format!("  not sent: {why}\n"));
        }
        out
    }

    /// The report's test of the bad input.
    pub fn result(&self, vendor: Option<VendorId>, feature: &str, line: usize) -> ScenarioResult {
        let failure = (!self.failures.is_empty()).then(|| {
            self.failures
                .iter()
                .map(|(what, f)| format!("bad input: {what}\n{f}"))
                .collect::<Vec<_>>()
                .join("\n")
        });
        ScenarioResult {
            id: None,
            name: "explore: bad input gets no server error, signs nobody on and echoes no secret"
                .to_owned(),
            vendor,
            feature: feature.to_owned(),
            line,
            duration: self.elapsed,
            outcome: if failure.is_some() {
                Outcome::Failed
            } else {
                Outcome::Passed
            },
            failure,
            warnings: self.warnings.clone(),
            steps: Vec::new(),
        }
    }
}

/// A name no account has: where a bad password goes once the budget is spent.
const NOBODY: &str = "authconform-nobody";

/// Sends the bad input for the target's vendor and judges each answer.
pub async fn run(ctx: &Arc<RunContext>, plan: &Plan, budget: &Arc<Budget>) -> InputsRun {
    let started = Instant::now();
    let suite = Suite::of(ctx.target.vendor);
    let mut out = InputsRun::default();
    // The primary account's sign-on is the template (the others would repeat it).
    let Some(sign_on) = suite.sign_ons(&ctx.target).into_iter().next() else {
        out.skipped
            .push("the target gives no account to build a sign-on from".into());
        return out;
    };
    let secrets: Vec<String> = [&ctx.target.users.primary, &ctx.target.users.secondary]
        .into_iter()
        .flatten()
        .map(|a| a.password.clone())
        .chain(suite.secrets(&ctx.target))
        .filter(|s| s.len() >= 6)
        .collect();
    for m in mutations(&sign_on, budget) {
        if ctx.stopped().is_some() {
            break;
        }
        let mut case = Case::new(ctx.clone(), budget.clone(), plan);
        let x = match case.send(m.call.clone()).await {
            Ok(x) => x,
            Err(Halt::Inconclusive(why)) => {
                out.skipped.push(format!("{}: {why}", m.what));
                continue;
            }
            Err(Halt::Failed(_))
                if OVERSIZED.contains(&m.what.as_str()) && ctx.stopped().is_none() =>
            {
                out.sent += 1;
                continue;
            }
            Err(Halt::Failed(f)) => {
                out.failures.push((m.what.clone(), f.0));
                continue;
            }
        };
        out.sent += 1;
        let judged = judge(&case, suite, &sign_on, &m, &x, &secrets);
        out.warnings.extend(case.w.take_warnings());
        if let Err(f) = judged {
            out.failures.push((m.what.clone(), f.0));
        }
    }
    out.warnings.dedup_by(|a, b| a.expected == b.expected);
    out.elapsed = started.elapsed();
    out
}

fn judge(
    case: &Case,
    suite: Suite,
    sign_on: &SignOn,
    m: &Mutation,
    x: &Exchange,
    secrets: &[String],
) -> Result<(), crate::harness::world::Failure> {
    let w = &case.w;
    w.status(
        Check::Documented(&NO_SERVER_ERROR),
        x,
        Status::NotServerError,
        &format!("{}: an answer, not a server error", m.what),
    )?;
    if m.bad_credentials {
        let signed_on =
            Status::Success.holds(x.status) && suite.sign_on_problem(sign_on, x, true).is_none();
        w.documented(
            &NO_CREDENTIAL_FOR_BAD_CREDENTIALS,
            !signed_on,
            &format!("{}: no credential issued", m.what),
        )?;
    }
    if UNREADABLE.contains(&m.what.as_str()) {
        w.status(
            Check::Reference,
            x,
            Status::Either(400, 415),
            &format!("{}: 400 or 415 (a body the server cannot read)", m.what),
        )?;
    }
    let echoed = secrets.iter().any(|s| {
        x.response_body.contains(s.as_str())
            || x.response_headers
                .iter()
                .any(|(_, v)| v.contains(s.as_str()))
    });
    w.reference(
        !echoed,
        &format!("{}: no account password or key in the answer", m.what),
    )
}

/// The password of a sign-on's account, if the sign-on has one.
fn password(sign_on: &SignOn) -> Option<&str> {
    sign_on.account.as_ref().map(|a| a.password.as_str())
}

/// Every bad input made from one sign-on.
fn mutations(sign_on: &SignOn, budget: &Budget) -> Vec<Mutation> {
    let base = &sign_on.call;
    let mut out = Vec::new();
    let account = sign_on.account.as_ref().map(|a| a.username.clone());
    // Replaces every string equal to `from` in a JSON body.
    fn replace(v: &Value, from: &str, to: &Value) -> Value {
        match v {
            Value::String(s) if s == from => to.clone(),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), replace(v, from, to)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| replace(v, from, to)).collect()),
            other => other.clone(),
        }
    }
    fn remove(v: &Value, value: &str) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, v)| v.as_str() != Some(value))
                    .map(|(k, v)| (k.clone(), remove(v, value)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let with_body = |body: Body| {
        let mut call = base.clone();
        call.body = Some(body);
        call
    };
    // Bad credentials: the password wrong, missing or of another type. The
    // account's budget decides whether the account or nobody receives them.
    let bad_passwords: Vec<(&str, Value)> = vec![
        (
            "the password as a NoSQL operator {\"$ne\": \"\"}",
            json!({ "$ne": "" }),
        ),
        ("no password", Value::Null),
        ("the password null", Value::Null),
        ("the password an array of it", json!(["__PASSWORD__"])),
        ("the password a number", json!(0)),
        ("the password true", json!(true)),
        ("an empty password", json!("")),
        ("the password ' OR '1'='1", json!("' OR '1'='1")),
        ("the password *", json!("*")),
        (
            "the password with a NUL and CR LF",
            json!("x\u{0}\r\nX-Injected: 1"),
        ),
        ("a 64 KiB password", json!("p".repeat(64 * 1024))),
    ];
    match (&base.body, password(sign_on)) {
        (Some(Body::Json(v)), Some(pw)) => {
            for (what, bad) in bad_passwords {
                let who = match &account {
                    Some(a) if budget.wrong_password(a) => a.clone(),
                    _ => NOBODY.to_owned(),
                };
                let mut body = match what {
                    "no password" => remove(v, pw),
                    _ => {
                        let bad = if bad == json!(["__PASSWORD__"]) {
                            json!([pw])
                        } else {
                            bad
                        };
                        replace(v, pw, &bad)
                    }
                };
                if let Some(a) = &account
                    && who != *a
                {
                    body = replace(&body, a, &json!(who));
                }
                out.push(Mutation {
                    what: format!(
                        "{what} (for {})",
                        if Some(&who) == account.as_ref() {
                            "the account"
                        } else {
                            "no account"
                        }
                    ),
                    call: with_body(Body::Json(body)),
                    bad_credentials: true,
                });
            }
            if let Some(a) = &account {
                for name in ["' OR '1'='1", "*", "%", "admin'--"] {
                    out.push(Mutation {
                        what: format!("the right password under the name {name:?}"),
                        call: with_body(Body::Json(replace(v, a, &json!(name)))),
                        bad_credentials: true,
                    });
                }
            }
            let text = v.to_string();
            let malformed: Vec<(&str, &str, Vec<u8>)> = vec![
                ("a truncated JSON body", "application/json", text.as_bytes()[..text.len() / 2].to_vec()),
                ("invalid UTF-8 in the JSON body", "application/json", [&text.as_bytes()[..text.len() - 1], b"\xff\xfe\"}"].concat()),
                ("a JSON body with a byte-order mark", "application/json", [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat()),
                ("JSON sent as text/plain", "text/plain", text.as_bytes().to_vec()),
                ("an empty body", "application/json", Vec::new()),
                ("JSON nested 10 000 deep", "application/json", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()),
                ("a 1 MiB JSON body", "application/json", format!("{{\"pad\":\"{}\"}}", "a".repeat(1 << 20)).into_bytes()),
                ("a JSON string, not an object", "application/json", b"\"hello\"".to_vec()),
                ("XML with an external entity", "application/xml", b"<?xml version=\"1.0\"?><!DOCTYPE u [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><user><email>&x;</email></user>".to_vec()),
            ];
            for (what, content_type, bytes) in malformed {
                out.push(Mutation {
                    what: what.to_owned(),
                    call: with_body(Body::Raw {
                        content_type: content_type.to_owned(),
                        bytes,
                    }),
                    bad_credentials: false,
                });
            }
        }
        (
            Some(Body::Raw {
                content_type,
                bytes,
            }),
            Some(pw),
        ) => {
            // An XML (or other raw) sign-on: the password's text swapped.
            let text = String::from_utf8_lossy(bytes).into_owned();
            let escaped = crate::harness::liquidfiles::api::escape_password(
                pw,
                crate::harness::liquidfiles::api::Escaping::Decimal,
            );
            let who = match &account {
                Some(a) if budget.wrong_password(a) => a.clone(),
                _ => NOBODY.to_owned(),
            };
            let for_who = |t: &str| match &account {
                Some(a) if *a != who => t.replace(a.as_str(), &who),
                _ => t.to_owned(),
            };
            let raw = |what: &str, ct: &str, body: String, bad: bool| Mutation {
                what: what.to_owned(),
                call: with_body(Body::Raw {
                    content_type: ct.to_owned(),
                    bytes: body.into_bytes(),
                }),
                bad_credentials: bad,
            };
            let start = text.find("<password>");
            let end = text.find("</password>");
            if let (Some(s), Some(e)) = (start, end) {
                let without = format!("{}{}", &text[..s], &text[e + "</password>".len()..]);
                out.push(raw("no <password>", content_type, for_who(&without), true));
                out.push(raw(
                    "an empty <password>",
                    content_type,
                    for_who(&text.replace(
                        &format!("<password>{escaped}</password>"),
                        "<password></password>",
                    )),
                    true,
                ));
                out.push(raw(
                    "the password in a CDATA section with a wrong value",
                    content_type,
                    for_who(&text.replace(&escaped, "<![CDATA[' OR '1'='1]]>")),
                    true,
                ));
            }
            out.push(raw(
                "a DOCTYPE with an internal entity in the password",
                content_type,
                for_who(&format!(
                    "<?xml version=\"1.0\"?><!DOCTYPE user [<!ENTITY p \"{}\">]>{}",
                    "wrong",
                    text.trim_start_matches(|c| c != '<')
                        .split_once("?>")
                        .map(|(_, rest)| rest)
                        .unwrap_or(&text)
                        .replace(&escaped, "&p;")
                )),
                true,
            ));
            out.push(raw("a billion laughs", content_type, "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]><user><email>&d;</email><password>&d;</password></user>".into(), true));
            out.push(raw(
                "truncated XML",
                content_type,
                text[..text.len() / 2].to_owned(),
                false,
            ));
            out.push(raw(
                "XML with invalid UTF-8",
                content_type,
                format!("{}\u{fffd}", &text[..text.len() / 2]),
                false,
            ));
            out.push(raw(
                "a 1 MiB XML body",
                content_type,
                format!("<user><email>{}</email></user>", "a".repeat(1 << 20)),
                false,
            ));
            out.push(raw(
                "XML sent as application/json",
                "application/json",
                text.clone(),
                false,
            ));
        }
        _ => {}
    }
    // Parameters injected into the query, with the body as it is.
    let mut query = base.clone();
    query.query.push(("username".into(), "admin".into()));
    query.query.push(("password".into(), "' OR '1'='1".into()));
    out.push(Mutation {
        what: "username and password injected into the query".into(),
        call: query,
        bad_credentials: false,
    });
    let mut header = base.clone();
    header
        .headers
        .push(("X-Forwarded-For".into(), "127.0.0.1, ' OR '1'='1".into()));
    header
        .headers
        .push(("Accept".into(), "*/*; q=\"\\\"; charset=x".into()));
    out.push(Mutation {
        what: "odd forwarding and Accept headers".into(),
        call: header,
        bad_credentials: false,
    });
    out
}
