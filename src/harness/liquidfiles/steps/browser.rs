//! The browser login of `/session/api` (`features/liquidfiles/browser.feature`):
//! the harness plays the browser over HTTP, and a listener on a random local
//! port stands in for the user's machine.

use std::time::Duration;

use cucumber::{given, then, when};

use super::{WrongCredentials, lf, lf_mut, page_key, persona, section, send, wrong_credentials};
use crate::harness::exchange::{Call, Exchange};
use crate::harness::liquidfiles::api::{self, Form};
use crate::harness::world::{
    Check, ConformanceWorld, Enrolment, Failure, Persona, Status, StepResult,
};
use crate::mock::AgentListener;
use crate::totp::{self, Algorithm, TotpParams};

/// Strong 2FA codes as authenticator apps make them.
const TOTP: TotpParams = TotpParams {
    algorithm: Algorithm::SHA1,
    digits: 6,
    period: 30,
};

// ----- the listener ("the user's machine") -----

fn listener(w: &ConformanceWorld) -> Result<&AgentListener, Failure> {
    lf(w)
        .agent_listener
        .as_ref()
        .ok_or_else(|| Failure("the scenario opened no listener".into()))
}

fn listener_port(w: &ConformanceWorld) -> Result<u16, Failure> {
    listener(w).map(AgentListener::port)
}

#[given("a listener on a random local port")]
async fn a_listener(w: &mut ConformanceWorld) -> StepResult {
    let listener = AgentListener::start()
        .await
        .map_err(|e| Failure(format!("cannot open a local listener: {e}")))?;
    lf_mut(w).agent_listener = Some(listener);
    Ok(())
}

// ----- playing the browser -----
//
// The harness acts as a browser does, whatever the server's markup: it keeps
// the cookies a page sets, follows redirects, finds the login form as the form
// with a password input, the second-factor form as the form with one line to
// type into, submits every field of a form (hidden ones, CSRF tokens
// included), and judges the callback by the form that posts to localhost.

/// Redirects a browser follows for one navigation before giving up.
const MAX_REDIRECTS: usize = 10;

fn cookie_header(w: &ConformanceWorld) -> Option<String> {
    let pairs: Vec<String> = lf(w)
        .cookies
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

/// Keeps the cookies a response sets (one host, so no domain or path
/// matching) and forgets those it expires. Session cookies are credentials:
/// their values are masked in reports.
fn keep_cookies(w: &mut ConformanceWorld, x: &Exchange) {
    let now = cookie::time::OffsetDateTime::now_utc();
    let set: Vec<cookie::Cookie<'static>> = x
        .set_cookies()
        .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
        .collect();
    for c in set {
        let expired = c
            .max_age()
            .is_some_and(|a| a <= cookie::time::Duration::ZERO)
            || c.expires_datetime().is_some_and(|t| t <= now);
        if expired {
            lf_mut(w).cookies.remove(c.name());
        } else {
            if c.value().len() >= 8 {
                w.ctx().secrets.register(c.value());
            }
            lf_mut(w)
                .cookies
                .insert(c.name().to_owned(), c.value().to_owned());
        }
    }
}

/// `reference` (a form action, a Location) resolved against `page_url`, as
/// a path on this server; a browser could go elsewhere, the harness cannot.
fn path_on_server(
    w: &ConformanceWorld,
    page_url: &str,
    reference: &str,
) -> Result<String, Failure> {
    let target = url::Url::parse(page_url)
        .and_then(|u| u.join(reference.trim()))
        .map_err(|e| w.failure(&format!("a URL that resolves ({reference:?}: {e})")))?;
    let base = w.ctx().http.base_url().to_owned();
    let mut without_fragment = target.clone();
    without_fragment.set_fragment(None);
    without_fragment
        .as_str()
        .strip_prefix(&base)
        .filter(|p| p.starts_with('/'))
        .map(str::to_owned)
        .ok_or_else(|| {
            w.failure(&format!(
                "the login to stay on this server (under {base}), not to go to {target}"
            ))
        })
}

/// One navigation: sends `call` with the scenario's cookies, keeps the
/// cookies it sets and follows redirects (301/302/303 as a GET, 307/308 as
/// the same request); files the final page's URL.
async fn browse(w: &mut ConformanceWorld, call: Call) -> Result<Exchange, Failure> {
    let mut call = call;
    for _ in 0..=MAX_REDIRECTS {
        let mut sent = call.clone();
        if let Some(c) = cookie_header(w) {
            sent = sent.header("Cookie", &c);
        }
        let x = send(w, sent).await?;
        keep_cookies(w, &x);
        let location = x
            .response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.clone());
        let next = match (x.status, location) {
            (301 | 302 | 303 | 307 | 308, Some(location)) => path_on_server(w, &x.url, &location)?,
            _ => {
                lf_mut(w).page_url = Some(x.url.clone());
                return Ok(x);
            }
        };
        call = if matches!(x.status, 307 | 308) {
            call.path(next)
        } else {
            Call::new(reqwest::Method::GET, api::SESSION_API).path(next)
        };
    }
    Err(w.failure(&format!("at most {MAX_REDIRECTS} redirects")))
}

/// Opens the login page with `query`; files the page and the query (a login
/// that has to start again starts with the same).
async fn open_page(w: &mut ConformanceWorld, query: &[(&str, &str)]) -> Result<Exchange, Failure> {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query.iter())
        .finish();
    lf_mut(w).query = Some(encoded);
    browse(w, api::login_page(query)).await
}

/// Submits `form` of the last page as a browser would: its fields with
/// `given` filled in, with its method, to its action resolved against the
/// page's URL (no action: the page itself).
async fn submit(
    w: &mut ConformanceWorld,
    form: &Form,
    given: &[(&str, &str)],
) -> Result<Exchange, Failure> {
    let page_url = lf(w)
        .page_url
        .clone()
        .ok_or_else(|| Failure("no page was opened".into()))?;
    let path = path_on_server(w, &page_url, form.tag.attr("action").unwrap_or(""))?;
    let pairs = form.fields(given);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let post = form
        .tag
        .attr("method")
        .is_some_and(|m| m.eq_ignore_ascii_case("post"));
    let call = if post {
        Call::new(reqwest::Method::POST, api::SESSION_API)
            .path(path)
            .form(&refs)
    } else {
        // A GET form replaces the action's query with its fields.
        let path = path.split('?').next().unwrap_or_default().to_owned();
        refs.iter().fold(
            Call::new(reqwest::Method::GET, api::SESSION_API).path(path),
            |call, (k, v)| call.query(k, v),
        )
    };
    browse(w, call).await
}

/// The login form of the last page: the form with a password input and a
/// text or email input for the user. Without it no browser could log in.
fn login_form(w: &ConformanceWorld) -> Result<Form, Failure> {
    let x = w.last_exchange()?;
    api::login_form(&x.response_body).ok_or_else(|| {
        w.failure(&beyond_limits(
            "a login form: a <form> with a password input and a text or email input for the user",
            &x.response_body,
        ))
    })
}

/// `expected`, and why the page was only read in part when it was (the
/// scanner's caps: a hostile page of 100,000 forms is read up to them).
fn beyond_limits(expected: &str, page: &str) -> String {
    match api::over_limits(page) {
        Some(why) => format!("{expected} ({why})"),
        None => expected.to_owned(),
    }
}

/// Submits the login form with a user name and a password, in the fields
/// where a person would type them.
async fn submit_login(
    w: &mut ConformanceWorld,
    form: &Form,
    user: &str,
    password: &str,
) -> Result<Exchange, Failure> {
    let user_field = api::user_input(form)
        .and_then(|t| t.attr("name"))
        .unwrap_or_default()
        .to_owned();
    let password_field = form
        .password_input()
        .and_then(|t| t.attr("name"))
        .unwrap_or_default()
        .to_owned();
    submit(
        w,
        form,
        &[
            (user_field.as_str(), user),
            (password_field.as_str(), password),
        ],
    )
    .await
}

/// The second-factor form of the last page: one line to type the code into.
fn two_factor_form(w: &ConformanceWorld) -> Result<Form, Failure> {
    let x = w.last_exchange()?;
    api::code_form(&x.response_body).ok_or_else(|| {
        w.failure(&beyond_limits(
            "a two-factor form: a <form> with one text, number or tel input (besides hidden ones) for the code",
            &x.response_body,
        ))
    })
}

/// Opens the page with `query` and submits `who`'s credentials.
async fn sign_in(w: &mut ConformanceWorld, who: Persona, query: &[(&str, &str)]) -> StepResult {
    let account = persona(w, who)?;
    let x = open_page(w, query).await?;
    w.status(
        Check::Reference,
        &x,
        200,
        "the /session/api page to open with 200",
    )?;
    let form = login_form(w)?;
    submit_login(w, &form, &account.username, &account.password).await?;
    remember_page_key(w);
    Ok(())
}

/// Registers and files the key of a success page, if it shows one.
fn remember_page_key(w: &mut ConformanceWorld) {
    let Some(x) = w.last.as_ref() else { return };
    if let Some(k) = api::element_text(&x.response_body, "div", "api_key").filter(|k| !k.is_empty())
    {
        w.ctx().secrets.register(&k);
        lf_mut(w).page_key = Some(k);
    }
}

#[when(regex = r"^(alice|bob|carol|dan) signs in on the /session/api page$")]
async fn signs_in(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    sign_in(w, who, &[]).await
}

#[when(
    regex = r"^(alice|bob|carol|dan) signs in on the /session/api page with the listener's port as agent_port$"
)]
async fn signs_in_with_port(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let port = listener_port(w)?.to_string();
    sign_in(w, who, &[("agent_port", &port)]).await
}

#[when(
    regex = r#"^(alice|bob) signs in on the /session/api page with agent_name "(.*)" and agent_version "(.*)"$"#
)]
async fn signs_in_with_agent(
    w: &mut ConformanceWorld,
    who: Persona,
    name: String,
    version: String,
) -> StepResult {
    sign_in(
        w,
        who,
        &[("agent_name", &name), ("agent_version", &version)],
    )
    .await
}

#[then("the page says Authentication Successful and shows an API key in div#api_key")]
async fn success_page(w: &mut ConformanceWorld) -> StepResult {
    // Filed first: later checks of this step must not lose the key.
    remember_page_key(w);
    let x = w.last_exchange()?;
    let text = x.response_body.to_ascii_lowercase();
    w.documented_uncited(
        text.contains("authentication successful") || text.contains("authenticated successful"),
        "the page to say Authentication Successful (or Authenticated Successful)",
    )?;
    let div = api::element(&x.response_body, "api_key");
    w.documented_uncited(
        div.as_ref().is_some_and(|d| {
            d.name == "div"
                && d.attr("class")
                    .is_some_and(|c| c.split_whitespace().any(|c| c == "d-none"))
        }),
        "<div class=\"d-none\" id=\"api_key\">",
    )?;
    let key = api::element_text(&x.response_body, "div", "api_key").unwrap_or_default();
    w.documented_uncited(!key.is_empty(), "a non-empty key in div#api_key")?;
    w.status(Check::Reference, x, 200, "the success page with 200")?;
    w.reference(
        key.chars().all(|c| c.is_ascii_alphanumeric()),
        "an alphanumeric key, like the documentation's sample",
    )
}

/// The forms of the last page that post to the user's machine.
fn callback_forms(w: &ConformanceWorld) -> Vec<Form> {
    w.last_exchange()
        .map(|x| api::local_forms(&x.response_body))
        .unwrap_or_default()
}

#[then("the page has no agent callback form")]
async fn no_callback_form(w: &mut ConformanceWorld) -> StepResult {
    let found = callback_forms(w).len();
    w.documented_uncited(
        found == 0,
        &format!("no form posting to localhost without agent_port; the page has {found}"),
    )
}

#[then(
    "the agent callback form posts exactly the page's key as api_key to http://localhost:<the listener's port>/"
)]
async fn callback_form_targets_listener(w: &mut ConformanceWorld) -> StepResult {
    let port = listener_port(w)?;
    let key = page_key(w)?;
    let forms = callback_forms(w);
    w.documented_uncited(
        forms.len() == 1,
        &format!(
            "exactly one form posting to http://localhost:{port} on the success page; it has {}",
            forms.len()
        ),
    )?;
    let f = &forms[0];
    let action = f.tag.attr("action").unwrap_or("").trim().to_owned();
    let target = url::Url::parse(&action).ok();
    w.documented_uncited(
        target.as_ref().is_some_and(|t| {
            t.scheme() == "http"
                && t.host_str() == Some("localhost")
                && t.port() == Some(port)
                && t.path() == "/"
                && t.query().is_none()
        }),
        &format!("the callback form's action to be http://localhost:{port}, not {action:?}"),
    )?;
    w.documented_uncited(
        f.tag
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("post")),
        "the callback form to use method=\"post\"",
    )?;
    let named: Vec<(String, String)> = f.fields(&[]);
    w.documented_uncited(
        named.len() == 1 && named[0].0 == "api_key" && named[0].1 == key,
        "the callback form's one field to be api_key, equal to div#api_key",
    )?;
    Ok(())
}

#[then(
    "the page's Content-Security-Policy lets forms post only to the page's server and the listener's port"
)]
async fn csp(w: &mut ConformanceWorld) -> StepResult {
    let port = listener_port(w)?;
    let x = w.last_exchange()?;
    let csp = x
        .response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-security-policy"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let form_action: Vec<&str> = csp
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("form-action"))
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let allowed = format!("http://localhost:{port}");
    w.reference(
        !form_action.is_empty()
            && form_action
                .iter()
                .all(|s| *s == "'self'" || s.trim_end_matches('/') == allowed),
        &format!("a CSP form-action of only 'self' and {allowed}, not {form_action:?}"),
    )
}

#[then("the page forbids caching, framing and referrers")]
async fn strict_headers(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let header = |name: &str| {
        x.response_headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let csp = header("content-security-policy");
    w.reference(
        header("cache-control").contains("no-store"),
        "Cache-Control: no-store on the page with the key",
    )?;
    w.reference(
        header("x-frame-options") == "deny" || csp.contains("frame-ancestors 'none'"),
        "X-Frame-Options: DENY (or CSP frame-ancestors 'none')",
    )?;
    w.reference(
        header("referrer-policy") == "no-referrer",
        "Referrer-Policy: no-referrer",
    )
}

#[when("the browser submits the agent callback form")]
async fn browser_posts_callback(w: &mut ConformanceWorld) -> StepResult {
    let f = callback_forms(w)
        .into_iter()
        .next()
        .ok_or_else(|| w.failure("a form posting to localhost on the success page"))?;
    let action = f.tag.attr("action").unwrap_or("").trim().to_owned();
    let target = url::Url::parse(&action)
        .map_err(|e| w.failure(&format!("an absolute callback URL ({e})")))?;
    // The browser only ever posts to localhost; the harness checked the port before.
    w.documented_uncited(
        target.host_str() == Some("localhost") && target.scheme() == "http",
        "the callback to go to http://localhost",
    )?;
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(f.fields(&[]))
        .finish();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Failure(e.to_string()))?;
    let sent = client
        .post(target.as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    let status = sent
        .map(|r| r.status().to_string())
        .unwrap_or_else(|e| format!("failed: {e}"));
    w.trail
        .push(format!("POST {action} (the browser's callback) → {status}"));
    Ok(())
}

#[then("the listener received exactly one POST with the form body api_key=<the page's key>")]
async fn listener_got_key(w: &mut ConformanceWorld) -> StepResult {
    let key = page_key(w)?;
    let got = listener(w)?.callbacks();
    let expected: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api_key", &key)
        .finish();
    w.documented_uncited(
        got.len() == 1
            && got[0].method == axum::http::Method::POST
            && got[0].body == expected.as_bytes()
            && got[0]
                .content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
        &format!(
            "exactly one POST api_key=<key> at the listener; it received {} request(s)",
            got.len()
        ),
    )
}

#[then("the listener received nothing")]
async fn listener_got_nothing(w: &mut ConformanceWorld) -> StepResult {
    let n = listener(w)?.callbacks().len();
    w.documented_uncited(
        n == 0,
        &format!("no request at the listener; it received {n}"),
    )
}

#[when(regex = r#"^someone opens the /session/api page with agent_port "(.*)"$"#)]
async fn open_with_port(w: &mut ConformanceWorld, port: String) -> StepResult {
    open_page(w, &[("agent_port", &port)]).await?;
    Ok(())
}

#[then("the page is refused without a login form, or the login that follows posts no key anywhere")]
async fn bad_port_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?.clone();
    if api::login_form(&x.response_body).is_none() {
        // Refused: no form, so no way to a callback (whatever the status).
        return Ok(());
    }
    // Ignored instead (lenient): then the login must not call back.
    let account = persona(w, Persona::Alice)?;
    let form = login_form(w)?;
    submit_login(w, &form, &account.username, &account.password).await?;
    let found = callback_forms(w).len();
    w.documented_uncited(
        found == 0,
        &format!("no agent callback for an invalid agent_port; the page has {found} form(s) posting to localhost"),
    )
}

#[when(
    regex = r"^someone submits the /session/api login form with (alice's email and a wrong password|an unknown user's email and a password)$"
)]
async fn submit_bad_credentials(
    w: &mut ConformanceWorld,
    credentials: WrongCredentials,
) -> StepResult {
    bad_credentials(w, credentials, None).await
}

#[when(
    regex = r"^someone submits the /session/api login form, with the listener's port as agent_port, with (alice's email and a wrong password|an unknown user's email and a password)$"
)]
async fn submit_bad_credentials_with_port(
    w: &mut ConformanceWorld,
    credentials: WrongCredentials,
) -> StepResult {
    let port = listener_port(w)?.to_string();
    bad_credentials(w, credentials, Some(&port)).await
}

/// Opens the page, submits wrong credentials, files the refusal for comparison.
async fn bad_credentials(
    w: &mut ConformanceWorld,
    credentials: WrongCredentials,
    port: Option<&str>,
) -> StepResult {
    let (user, password) = wrong_credentials(w, credentials)?;
    let query: Vec<(&str, &str)> = port.iter().map(|p| ("agent_port", *p)).collect();
    open_page(w, &query).await?;
    let form = login_form(w)?;
    let x = submit_login(w, &form, &user, &password).await?;
    let page = api::without_hidden_values(&x.response_body);
    lf_mut(w).refusals.push((x.status, page));
    Ok(())
}

/// No key on the page and no form posting one: what makes a refusal, whatever
/// the status (a 200 page with the form and an error is how many servers say no).
fn no_key_on_page(w: &ConformanceWorld, when: &str) -> StepResult {
    let x = w.last_exchange()?;
    let key = api::element_text(&x.response_body, "div", "api_key").unwrap_or_default();
    let callbacks = callback_forms(w).len();
    w.documented_uncited(
        key.is_empty() && callbacks == 0,
        &format!("no key in div#api_key and no form posting to localhost {when}"),
    )
}

#[then("the login page is shown again with an error and no API key")]
async fn refused_again(w: &mut ConformanceWorld) -> StepResult {
    no_key_on_page(w, "after wrong credentials")?;
    let x = w.last_exchange()?;
    w.status(
        Check::Reference,
        x,
        Status::ClientError,
        "a 4xx status for wrong credentials",
    )?;
    w.reference(
        api::login_form(&x.response_body).is_some(),
        "the login form again after wrong credentials",
    )
}

#[then("both /session/api refusals are the same page")]
async fn refusals_equal(w: &mut ConformanceWorld) -> StepResult {
    let pages = &lf(w).refusals;
    if pages.len() != 2 {
        return Err(Failure(
            "this step needs two refusals in its scenario".into(),
        ));
    }
    // The documents say nothing of user enumeration: our choice.
    w.reference(
        pages[0] == pages[1],
        "the same status and page (but for hidden per-login values) for a wrong password and an unknown user",
    )
}

// ----- Strong 2FA -----

#[when(
    regex = r"^(carol) submits her password on the /session/api page with the listener's port as agent_port$"
)]
async fn carol_password(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    signs_in_with_port(w, who).await
}

#[then("the page asks for a two-factor code and shows no API key")]
async fn asks_for_code(w: &mut ConformanceWorld) -> StepResult {
    no_key_on_page(w, "before the second factor")?;
    two_factor_form(w)?;
    let x = w.last_exchange()?;
    w.status(Check::Reference, x, 200, "the two-factor page with 200")
}

crate::words! {
    /// The two-factor code a step submits, in the feature's words.
    enum Code { Missing = "no", Wrong = "a wrong", Current = "the current" }
}

#[when(regex = r"^(carol) submits (no|a wrong|the current) two-factor code$")]
async fn submit_code(w: &mut ConformanceWorld, who: Persona, which: Code) -> StepResult {
    let account = persona(w, who)?;
    let secret = account
        .totp_secret
        .as_deref()
        .and_then(totp::decode_secret)
        .ok_or_else(|| {
            Failure("carol's `users.twofactor.totp_secret` is needed to make codes".into())
        })?;
    if api::code_form(&w.last_exchange()?.response_body).is_none() {
        // A server may end a login at a wrong code: a browser starts again.
        let query: Vec<(String, String)> = lf(w)
            .query
            .as_ref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        sign_in(w, who, &query).await?;
    }
    let form = two_factor_form(w)?;
    let enrolment = Enrolment {
        secret,
        params: TOTP,
    };
    let (code, step) = match which {
        Code::Missing => (String::new(), None),
        Code::Wrong => {
            let (c, _) = w.fresh_totp_code(&enrolment, 0).await?;
            let wrong: String = c
                .chars()
                .map(|d| char::from(b'0' + (d.to_digit(10).unwrap_or(0) as u8 + 5) % 10))
                .collect();
            (wrong, None)
        }
        Code::Current => w.fresh_totp_code(&enrolment, 0).await?,
    };
    w.ctx().secrets.register(&code);
    // Filed as used before it is sent: a server that accepts it and then
    // fails a later check must not see it again in a later scenario.
    if let Some(step) = step {
        let ctx = w.ctx();
        let mut last = ctx.last_totp_step.lock().expect("totp step lock");
        *last = Some(last.map_or(step, |l| l.max(step)));
    }
    let field = form
        .text_inputs()
        .first()
        .and_then(|t| t.attr("name"))
        .unwrap_or_default()
        .to_owned();
    submit(w, &form, &[(field.as_str(), code.as_str())]).await?;
    remember_page_key(w);
    Ok(())
}

#[then("the two-factor form is shown again with no API key")]
async fn code_refused(w: &mut ConformanceWorld) -> StepResult {
    no_key_on_page(w, "after a missing or wrong code")?;
    let x = w.last_exchange()?;
    w.status(
        Check::Reference,
        x,
        Status::ClientError,
        "a 4xx status for a missing or wrong code",
    )?;
    w.reference(
        api::code_form(&x.response_body).is_some(),
        "the two-factor form again after a missing or wrong code",
    )
}

// ----- the activity log -----

#[then(
    regex = r#"^the activity log's newest entry for (alice|bob) holds agent_name "(.*)" and agent_version "(.*)"$"#
)]
async fn activity_log(
    w: &mut ConformanceWorld,
    who: Persona,
    name: String,
    version: String,
) -> StepResult {
    let account = persona(w, who)?;
    let entries = crate::harness::liquidfiles::control::activity_log(&w.ctx().clock).await?;
    let newest = entries.iter().rev().find(|e| {
        e["user"]
            .as_str()
            .is_some_and(|u| u.eq_ignore_ascii_case(&account.username))
    });
    let ok = newest.is_some_and(|e| {
        e["agent_name"] == name.as_str() && e["agent_version"] == version.as_str()
    });
    if ok {
        Ok(())
    } else {
        Err(Failure(format!(
            "expected: the activity log's newest entry for {who} to hold agent_name {name:?} and agent_version {version:?}; it is {}",
            newest
                .map(|e| e.to_string())
                .unwrap_or_else(|| "missing".into())
        )))
    }
}

// ----- the key on later calls (@ext) -----

async fn probe(w: &mut ConformanceWorld) -> Result<Exchange, Failure> {
    let path = section(w)
        .probe_path
        .ok_or_else(|| Failure("the target file gives no `liquidfiles.probe_path`".into()))?;
    let key = page_key(w)?;
    w.send_checked(api::account(&path, &key)).await
}

#[then("the key from the page is accepted as the HTTP Basic user name")]
async fn key_accepted(w: &mut ConformanceWorld) -> StepResult {
    let x = probe(w).await?;
    w.status(
        Check::Uncited,
        &x,
        Status::Success,
        "the key to be accepted (2xx)",
    )
}

#[then("the key from the page is refused")]
async fn key_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = probe(w).await?;
    w.status(
        Check::Uncited,
        &x,
        Status::Either(401, 403),
        "the key to be refused (401)",
    )
}

crate::words! {
    /// How far the clock moves against a browser key's lifetime.
    enum Lifetime {
        /// To a minute before its end.
        NearlyPasses = "nearly passes",
        /// Two minutes further, past its end.
        Passes = "passes",
    }
}

#[when(regex = r"^the browser key's lifetime (nearly passes|passes)$")]
async fn lifetime_passes(w: &mut ConformanceWorld, how: Lifetime) -> StepResult {
    let lifetime = section(w).key_lifetime_minutes * 60;
    let seconds = match how {
        Lifetime::Passes => 120,
        Lifetime::NearlyPasses => lifetime - 60,
    };
    w.ctx()
        .clock
        .advance(seconds)
        .await
        .map(|_| ())
        .map_err(Failure::from)
}
