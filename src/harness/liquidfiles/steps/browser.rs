//! The browser login of `/session/api` (`features/liquidfiles/browser.feature`),
//! played by a real browser over WebDriver where the run has one, else by
//! the HTTP player (`super::super::player`). A listener on a random local
//! port stands in for the user's machine (`user_machine.rs`, over http or
//! https): with the browser, it records what the browser POSTs because of
//! the server's page; the harness never makes that POST itself. The HTTP player, which runs no script, makes the POST of
//! a form aimed at the user's machine as a browser would, and reports a page
//! that goes on only by script as not judged.

use std::time::Duration;

use cucumber::{given, then, when};

use super::{WrongCredentials, lf, lf_mut, page_key, persona, section, send, wrong_credentials};
use crate::harness::exchange::{Call, Exchange};
use crate::harness::liquidfiles::api;
use crate::harness::liquidfiles::player::look::{self, Ask, Stage};
use crate::harness::liquidfiles::player::{self, Page, PlayError, Player, http};
use crate::harness::liquidfiles::user_machine::UserMachine;
use crate::harness::liquidfiles::{LiquidFilesRun, control};
use crate::harness::world::{
    Check, ConformanceWorld, Enrolment, Failure, Persona, Rule, Status, StepResult,
};
use crate::reference::liquidfiles::rules;
use crate::totp::{self, Algorithm, TotpParams};

/// Strong 2FA codes as authenticator apps make them.
const TOTP: TotpParams = TotpParams {
    algorithm: Algorithm::SHA1,
    digits: 6,
    period: 30,
};

/// How long the browser player waits for a callback to arrive, and then
/// for a second one.
const CALLBACK_WAIT: Duration = Duration::from_secs(5);
const SECOND_CALLBACK_WAIT: Duration = Duration::from_millis(500);

// ----- the listener ("the user's machine") -----

fn listener(w: &ConformanceWorld) -> Result<&UserMachine, Failure> {
    lf(w)
        .agent_listener
        .as_ref()
        .ok_or_else(|| Failure("the scenario opened no listener".into()))
}

pub(super) fn listener_port(w: &ConformanceWorld) -> Result<u16, Failure> {
    listener(w).map(UserMachine::port)
}

#[given("a listener on a random local port")]
async fn a_listener(w: &mut ConformanceWorld) -> StepResult {
    // It answers 204, so a browser that posts a form to it stays on the
    // page with the key ("you can close the listener and the browser window");
    // over http or https (seed 000's table and its prose).
    let listener = UserMachine::start()
        .await
        .map_err(|e| Failure(format!("cannot open a local listener: {e}")))?;
    lf_mut(w).agent_listener = Some(listener);
    Ok(())
}

// ----- the players -----

/// The scenario as the HTTP player's wire: each exchange recorded, its keys
/// and cookies registered as secrets, checked against the spec (a `/saml/api`
/// login's by `saml.rs`, which also reads the AuthnRequest on the way).
pub(super) struct ScenarioWire<'w>(&'w mut ConformanceWorld);

impl http::Wire for ScenarioWire<'_> {
    async fn send(&mut self, call: Call) -> Result<Exchange, Failure> {
        let x = if lf(self.0).saml.active() {
            super::saml::send(self.0, call).await?
        } else {
            send(self.0, call).await?
        };
        for c in x
            .set_cookies()
            .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
        {
            if c.value().len() >= 8 {
                self.0.ctx().secrets.register(c.value());
            }
        }
        Ok(x)
    }
}

/// The scenario's player, made at its first use: the run's browser, unless
/// the run has none or the scenario judges headers (which a browser does
/// not show: `@strict-headers`).
async fn take_player(w: &mut ConformanceWorld) -> Result<Player, Failure> {
    if let Some(p) = lf_mut(w).player.take() {
        return Ok(p);
    }
    let ctx = w.ctx();
    let run: &LiquidFilesRun = ctx.run_state();
    if !w.reference_scenario
        && let Some(session) = run.browser(&ctx.target).await.map_err(Failure)?
    {
        let p = player::browser::BrowserPlayer::new(session)
            .await
            .map_err(|e| Failure(format!("the browser cannot start a page: {e}")))?;
        return Ok(Player::Browser(p));
    }
    Ok(Player::Http(http::HttpPlayer::default()))
}

/// A step's error from a player's: not judged is a skip, the rest fail
/// (saying when the page was read only in part: the scanner's caps, which a
/// hostile page of 100,000 forms meets).
fn play_error(w: &ConformanceWorld, e: PlayError) -> Failure {
    let with_limits = |expected: String| {
        let beyond = lf(w)
            .player
            .as_ref()
            .and_then(|p| p.page())
            .and_then(|p| api::over_limits(&p.html));
        match beyond {
            Some(why) => format!("{expected} ({why})"),
            None => expected,
        }
    };
    match e {
        PlayError::Wire(f) => f,
        PlayError::Failed(expected) => w.failure(&with_limits(expected)),
        // A documented page that is not there fails citing its rule (in a
        // reference-only scenario too: the step cannot go on without it).
        PlayError::Broke(rule, expected) => {
            let expected = with_limits(expected);
            w.check_as(Check::Documented(rule), false, &expected)
                .err()
                .unwrap_or_else(|| w.failure(&expected))
        }
        PlayError::NotJudged(why) => Failure::not_judged(&why),
    }
}

/// Files what the browser shows as the scenario's last exchange, so a
/// failure report shows the page (the HTTP player's are real exchanges).
fn file_browser_page(w: &mut ConformanceWorld, page: &Page) {
    w.trail.push(format!(
        "(browser) {} → {}",
        page.url,
        page.status.map_or("?".into(), |s| s.to_string())
    ));
    w.last = Some(Exchange {
        method: "GET".into(),
        operation: api::SESSION_API,
        url: page.url.clone(),
        request_headers: Vec::new(),
        request_body: None,
        status: page.status.unwrap_or(0),
        response_headers: Vec::new(),
        response_body: page.html.clone(),
        json: None,
        spec_violation: None,
    });
}

/// Makes the HTTP player the scenario's, unless it has a player already:
/// for the steps that judge what only HTTP shows (a redirect's AuthnRequest)
/// or do what no page does (post a minted SAML Response).
pub(super) fn use_http_player(w: &mut ConformanceWorld) {
    if lf(w).player.is_none() {
        lf_mut(w).player = Some(Player::Http(http::HttpPlayer::default()));
    }
}

/// Runs `act` with the scenario's player, then files the page it shows
/// and the key on it.
pub(super) async fn play<F>(w: &mut ConformanceWorld, act: F) -> StepResult
where
    F: AsyncFnOnce(&mut Player, &mut ScenarioWire<'_>) -> Result<(), PlayError>,
{
    let mut p = take_player(w).await?;
    let outcome = act(&mut p, &mut ScenarioWire(w)).await;
    if p.is_browser()
        && let Some(page) = p.page().cloned()
    {
        file_browser_page(w, &page);
    }
    let key = p.page().and_then(|page| look::api_key(&page.html));
    lf_mut(w).player = Some(p);
    if let Some(k) = key {
        w.ctx().secrets.register(&k);
        lf_mut(w).page_key = Some(k);
    }
    outcome.map_err(|e| play_error(w, e))
}

fn page(w: &ConformanceWorld) -> Result<Page, Failure> {
    lf(w)
        .player
        .as_ref()
        .and_then(|p| p.page().cloned())
        .ok_or_else(|| Failure("no page was opened in this scenario".into()))
}

fn is_browser(w: &ConformanceWorld) -> bool {
    lf(w).player.as_ref().is_some_and(Player::is_browser)
}

/// The URL of the page at `path` (`/session/api`, `/saml/api`) with `query`.
pub(super) fn page_url(w: &ConformanceWorld, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = format!("{}{path}", w.ctx().http.base_url());
    if !query.is_empty() {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter())
            .finish();
        url.push('?');
        url.push_str(&q);
    }
    url
}

/// Opens the login page with `query` (filed: a login that has to start
/// again starts with the same).
async fn open_page(w: &mut ConformanceWorld, query: &[(&str, &str)]) -> StepResult {
    let url = page_url(w, api::SESSION_API, query);
    lf_mut(w).login_url = Some(url.clone());
    play(w, async |p, wire| p.open(wire, &url).await).await
}

/// What a sign-in types into a login form that also asks for the second
/// factor (a user, the password and the code in one form).
#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeBox {
    /// The current code, when the account has a TOTP secret (a whole
    /// login); nothing for an account without Strong 2FA.
    IfEnrolled,
    /// Nothing: the step submits the password alone.
    Empty,
}

/// Opens the page with `query` and signs `who` in with their password (and,
/// per `code`, the current code where the login form asks for it).
async fn sign_in(
    w: &mut ConformanceWorld,
    who: Persona,
    query: &[(&str, &str)],
    code: CodeBox,
) -> StepResult {
    let account = persona(w, who)?;
    open_page(w, query).await?;
    let shown = page(w)?;
    w.reference(
        shown.status.is_none_or(|s| s == 200),
        "the /session/api page to open with 200",
    )?;
    let (user, password) = (account.username.clone(), account.password.clone());
    play(w, async |p, wire| player::identify(p, wire, &user).await).await?;
    let asks_code = matches!(
        lf(w).player.as_ref().map(|p| p.ask(Stage::Credentials)),
        Some(Ask::Password { code, .. }) if !code.is_empty()
    );
    let code = match account.totp_secret.as_deref() {
        Some(secret) if asks_code && code == CodeBox::IfEnrolled => {
            Some(current_code(w, secret).await?)
        }
        _ => None,
    };
    play(w, async |p, wire| {
        player::sign_in(p, wire, &user, &password, code.as_deref()).await
    })
    .await
}

/// The current code of a TOTP `secret` (base32), filed as used before it is
/// sent: a server that accepts it and then fails a later check must not see
/// it again in a later scenario.
async fn current_code(w: &mut ConformanceWorld, secret: &str) -> Result<String, Failure> {
    let secret = totp::decode_secret(secret)
        .ok_or_else(|| Failure("the account's `totp_secret` is not base32".into()))?;
    let enrolment = Enrolment {
        secret,
        params: TOTP,
    };
    let (code, step) = w.fresh_totp_code(&enrolment, 0).await?;
    file_code(w, &code, Some(step));
    Ok(code)
}

/// Registers `code` as a secret and files its step as used.
fn file_code(w: &ConformanceWorld, code: &str, step: Option<i64>) {
    if !code.is_empty() {
        w.ctx().secrets.register(code);
    }
    if let Some(step) = step {
        w.ctx().file_totp_step(step, TOTP.period);
    }
}

#[when(regex = r"^(alice|bob|carol|dan) signs in on the /session/api page$")]
async fn signs_in(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    sign_in(w, who, &[], CodeBox::IfEnrolled).await
}

#[when(
    regex = r"^(alice|bob|carol|dan) signs in on the /session/api page with the listener's port as agent_port$"
)]
async fn signs_in_with_port(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    let port = listener_port(w)?.to_string();
    sign_in(w, who, &[("agent_port", &port)], CodeBox::IfEnrolled).await
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
        CodeBox::IfEnrolled,
    )
    .await
}

/// Not judged when the HTTP player stopped on a page only script moves on.
pub(super) fn judge_or_skip(w: &ConformanceWorld, stage: Stage) -> StepResult {
    match lf(w).player.as_ref().and_then(|p| p.stuck_on_script(stage)) {
        Some(why) => Err(Failure::not_judged(&why)),
        None => Ok(()),
    }
}

#[then("the page says the authentication succeeded and shows an API key in div#api_key")]
async fn success_page(w: &mut ConformanceWorld) -> StepResult {
    let shown = page(w)?;
    if look::api_key(&shown.html).is_none() {
        judge_or_skip(w, Stage::SecondFactor)?;
    }
    if shown.url.starts_with("chrome-error:") && shown.html.contains("SSL") {
        return Err(Failure::not_judged(
            "not judged: the success page sent the browser to https on the user's machine (seed 000's prose, https://localhost) and the browser refused the listener's self-signed certificate (its WebDriver did not take acceptInsecureCerts), so its POST cannot be read (the HTTP player judges the form)",
        ));
    }
    if shown.url.starts_with("chrome-error:") {
        // The success page sent the browser somewhere it could not load:
        // a POST to a port nobody listens on.
        let rule = if lf(w)
            .login_url
            .as_deref()
            .is_some_and(|u| u.contains("agent_port="))
        {
            &rules::AGENT_PORT_POST
        } else {
            &rules::NO_POST_WITHOUT_AGENT_PORT
        };
        return w.documented(
            rule,
            false,
            "the browser to stay on the success page (or post to the listener's port): it was sent to a page it could not load, a POST to a port nobody listens on",
        );
    }
    // Seed 000 shows the English product's words; a LiquidFiles set to
    // another language shows its own. The rule is the message of success
    // beside the key, in any language; the seed's words are a reference check.
    let not_success = look::not_a_success_page(&shown.html, shown.status);
    w.documented(
        &rules::SUCCESS_MESSAGE,
        not_success.is_none(),
        &format!(
            "the page with the key to tell the user the authentication succeeded (a message beside the hidden key; not the login or code form again, not an error status): {}",
            not_success.as_deref().unwrap_or("it does")
        ),
    )?;
    w.reference(
        look::says_success(&shown.html),
        "the page to say Authentication Successful (or Authenticated Successful) in the seed's English",
    )?;
    let key = look::api_key(&shown.html).unwrap_or_default();
    w.documented(
        &rules::API_KEY_DIV,
        !key.is_empty(),
        "a non-empty key in <div id=\"api_key\">",
    )?;
    w.reference(
        look::api_key_div_hidden(&shown.html),
        "div#api_key with the class d-none, as the document shows it",
    )?;
    w.reference(
        shown.status.is_none_or(|s| s == 200),
        "the success page with 200",
    )?;
    w.reference(
        key.chars().all(|c| c.is_ascii_alphanumeric()),
        "an alphanumeric key, like the documentation's sample",
    )
}

#[then("the page has no agent callback form")]
async fn no_callback_form(w: &mut ConformanceWorld) -> StepResult {
    let shown = page(w)?;
    let found = look::local_forms(&shown.html).len();
    w.documented(
        &rules::NO_POST_WITHOUT_AGENT_PORT,
        found == 0,
        &format!("no form posting to the user's machine without agent_port; the page has {found}"),
    )
}

// ----- the agent-port callback -----

/// The HTTP player's callback: the form of the success page aimed at the
/// user's machine, posted as a browser posts it (to the listener, over
/// plain HTTP whatever the form's scheme: the listener is the user's machine).
async fn http_callback(w: &mut ConformanceWorld) -> StepResult {
    let shown = page(w)?;
    let port = listener_port(w)?;
    let Some(form) = look::local_forms(&shown.html).into_iter().next() else {
        if look::has_script(&shown.html) {
            return Err(Failure::not_judged(
                "not judged: the success page makes the agent-port callback by script (no form posts to localhost), which the HTTP player does not run (give the run a browser: --browser chromium)",
            ));
        }
        return w.documented(
            &rules::AGENT_PORT_POST,
            false,
            &format!("a POST of the key to localhost:{port} (a form or script on the success page); there is neither"),
        );
    };
    let action = form.tag.attr("action").unwrap_or("").trim().to_owned();
    let target = url::Url::parse(&action).ok();
    w.documented(
        &rules::AGENT_PORT_POST,
        target.as_ref().and_then(url::Url::port_or_known_default) == Some(port),
        &format!("the callback to go to the agent port {port}, not {action:?}"),
    )?;
    w.documented(
        &rules::AGENT_PORT_POST,
        form.tag
            .attr("method")
            .is_some_and(|m| m.eq_ignore_ascii_case("post")),
        "the callback form to POST (method=\"post\")",
    )?;
    let target = target.expect("checked: it has the port");
    w.reference(
        target.scheme() == "http" && target.host_str() == Some("localhost"),
        &format!("the callback to http://localhost (the document's table), not {action}"),
    )?;
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(http::fields(&form, &[]))
        .finish();
    let mut path = target.path().to_owned();
    if let Some(q) = target.query() {
        path.push('?');
        path.push_str(q);
    }
    let url = format!("http://127.0.0.1:{port}{path}");
    let sent = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Failure(e.to_string()))?
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    let status = sent
        .map(|r| r.status().to_string())
        .unwrap_or_else(|e| format!("failed: {e}"));
    w.trail.push(format!(
        "POST {action} (the callback, as the browser posts the form) → {status}"
    ));
    Ok(())
}

#[when("the browser makes the agent callback")]
async fn browser_callback(w: &mut ConformanceWorld) -> StepResult {
    if !is_browser(w) {
        return http_callback(w).await;
    }
    // The browser made it already, or is making it: only watch.
    let l = listener(w)?;
    let _ = l.api_key(CALLBACK_WAIT).await;
    tokio::time::sleep(SECOND_CALLBACK_WAIT).await;
    Ok(())
}

/// The POSTs the listener received (a browser may also ask it for other
/// things: a favicon, a CORS preflight).
fn posts(w: &ConformanceWorld) -> Result<Vec<crate::mock::AgentCallback>, Failure> {
    Ok(listener(w)?
        .callbacks()
        .into_iter()
        .filter(|c| c.method == axum::http::Method::POST)
        .collect())
}

#[then("the listener received exactly one POST with the form body api_key=<the page's key>")]
async fn listener_got_key(w: &mut ConformanceWorld) -> StepResult {
    let key = page_key(w)?;
    let got = posts(w)?;
    if got.is_empty() && is_browser(w) && listener(w)?.tls_refused() > 0 {
        // The seed's prose posts over https: the browser would not take the
        // listener's self-signed certificate, so nothing could be read.
        return Err(Failure::not_judged(
            "not judged: the page posts the key to https://localhost (seed 000's prose) and the browser refused the listener's self-signed certificate (its WebDriver did not take acceptInsecureCerts), so its POST cannot be read (the HTTP player judges the form)",
        ));
    }
    w.documented(
        &rules::AGENT_PORT_POST,
        got.len() == 1,
        &format!(
            "exactly one POST at the listener; it received {}",
            got.len()
        ),
    )?;
    let callback = &got[0];
    w.documented(
        &rules::AGENT_PORT_BODY,
        callback.api_key().as_deref() == Some(key.as_str()),
        "the POST's api_key parameter to be the page's key",
    )?;
    let exact: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api_key", &key)
        .finish();
    w.reference(
        callback.body == exact.as_bytes(),
        "the body to be api_key=KEY alone (no other fields)",
    )?;
    w.reference(
        callback
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
        "the POST as application/x-www-form-urlencoded",
    )?;
    w.reference(
        callback.target == "/",
        &format!("the POST to / (it went to {})", callback.target),
    )
}

#[then("the listener received nothing")]
async fn listener_got_nothing(w: &mut ConformanceWorld) -> StepResult {
    if is_browser(w) {
        // Give a callback the browser is making the time to arrive.
        let _ = listener(w)?.api_key(SECOND_CALLBACK_WAIT).await;
    }
    let n = posts(w)?.len();
    let rule = if lf(w).page_key.is_some() {
        &rules::NO_POST_WITHOUT_AGENT_PORT
    } else {
        &rules::NO_KEY_WITHOUT_AUTHENTICATION
    };
    w.documented(
        rule,
        n == 0,
        &format!("no POST at the listener; it received {n}"),
    )
}

#[when(regex = r#"^someone opens the /session/api page with agent_port "(.*)"$"#)]
async fn open_with_port(w: &mut ConformanceWorld, port: String) -> StepResult {
    open_page(w, &[("agent_port", &port)]).await
}

#[then("the page is refused without a login form, or the login that follows posts no key anywhere")]
async fn bad_port_refused(w: &mut ConformanceWorld) -> StepResult {
    // Seed 000 gives agent_port the type Integer and says nothing of other
    // values: refusing them, ignoring them or reading "80x" as 80 are all
    // choices; ours (refusal) is checked as one.
    if matches!(
        lf(w).player.as_ref().map(|p| p.ask(Stage::Credentials)),
        None | Some(Ask::Nothing)
    ) {
        return Ok(());
    }
    let account = persona(w, Persona::Alice)?;
    let (user, password) = (account.username, account.password);
    play(w, async |p, wire| {
        player::sign_in(p, wire, &user, &password, None).await
    })
    .await?;
    let found = look::local_forms(&page(w)?.html).len();
    w.reference(
        found == 0,
        &format!("no agent callback for an agent_port that is not a port; the page has {found} form(s) posting to localhost"),
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
    play(w, async |p, wire| {
        player::sign_in(p, wire, &user, &password, None).await
    })
    .await?;
    let shown = page(w)?;
    let refusal = (
        shown.status.unwrap_or(0),
        api::without_hidden_values(&shown.html),
    );
    lf_mut(w).refusals.push(refusal);
    Ok(())
}

/// No key on the page and no form posting one: what makes a refusal,
/// whatever the status (a 200 page with the form and an error is how many
/// servers say no).
pub(super) fn no_key_on_page(w: &ConformanceWorld, rule: &'static Rule, when: &str) -> StepResult {
    let shown = page(w)?;
    let key = look::api_key(&shown.html);
    let callbacks = look::local_forms(&shown.html).len();
    w.documented(
        rule,
        key.is_none() && callbacks == 0,
        &format!("no key in div#api_key and no form posting to localhost {when}"),
    )
}

#[then("the login page is shown again with an error and no API key")]
async fn refused_again(w: &mut ConformanceWorld) -> StepResult {
    no_key_on_page(
        w,
        &rules::NO_KEY_WITHOUT_AUTHENTICATION,
        "after wrong credentials",
    )?;
    let shown = page(w)?;
    w.reference(
        shown.status.is_none_or(|s| Status::ClientError.holds(s)),
        "a 4xx status for wrong credentials",
    )?;
    w.reference(
        matches!(
            look::ask(&shown.html, Stage::Credentials),
            Ask::Password { .. } | Ask::Identifier { .. }
        ),
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

// ----- the page's headers (the HTTP player's exchange: a browser shows none) -----

fn header(shown: &Page, name: &str) -> String {
    shown
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

#[then(
    "the page's Content-Security-Policy lets forms post only to the page's server and the listener's port"
)]
async fn csp(w: &mut ConformanceWorld) -> StepResult {
    let port = listener_port(w)?;
    let shown = page(w)?;
    let csp = header(&shown, "content-security-policy");
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
    let shown = page(w)?;
    let csp = header(&shown, "content-security-policy");
    w.reference(
        header(&shown, "cache-control").contains("no-store"),
        "Cache-Control: no-store on the page with the key",
    )?;
    w.reference(
        header(&shown, "x-frame-options") == "deny" || csp.contains("frame-ancestors 'none'"),
        "X-Frame-Options: DENY (or CSP frame-ancestors 'none')",
    )?;
    w.reference(
        header(&shown, "referrer-policy") == "no-referrer",
        "Referrer-Policy: no-referrer",
    )
}

// ----- Strong 2FA -----

#[when(
    regex = r"^(carol) submits her password on the /session/api page with the listener's port as agent_port$"
)]
async fn carol_password(w: &mut ConformanceWorld, who: Persona) -> StepResult {
    // The password alone, even where the login form has the code's box too.
    let port = listener_port(w)?.to_string();
    sign_in(w, who, &[("agent_port", &port)], CodeBox::Empty).await
}

#[then("the page asks for a two-factor code and shows no API key")]
async fn asks_for_code(w: &mut ConformanceWorld) -> StepResult {
    no_key_on_page(w, &rules::STRONG_2FA_BEFORE_KEY, "before the second factor")?;
    let shown = page(w)?;
    if !matches!(
        look::ask(&shown.html, Stage::SecondFactor),
        Ask::Code { .. }
    ) {
        judge_or_skip(w, Stage::SecondFactor)?;
    }
    w.documented(
        &rules::STRONG_2FA_BEFORE_KEY,
        matches!(
            look::ask(&shown.html, Stage::SecondFactor),
            Ask::Code { .. }
        ),
        "a page asking for the two-factor code (a form with a box for it)",
    )?;
    w.reference(
        shown.status.is_none_or(|s| s == 200),
        "the two-factor page with 200",
    )
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
    let shown = page(w)?;
    if !matches!(
        look::ask(&shown.html, Stage::SecondFactor),
        Ask::Code { .. }
    ) {
        // A server may end a login at a wrong code: a browser starts again.
        let url = lf(w)
            .login_url
            .clone()
            .ok_or_else(|| Failure("no login was started".into()))?;
        let (user, password) = (account.username.clone(), account.password.clone());
        play(w, async |p, wire| {
            p.open(wire, &url).await?;
            player::sign_in(p, wire, &user, &password, None).await
        })
        .await?;
    }
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
        Code::Current => w
            .fresh_totp_code(&enrolment, 0)
            .await
            .map(|(c, s)| (c, Some(s)))?,
    };
    file_code(w, &code, step);
    let (user, password) = (account.username.clone(), account.password.clone());
    play(w, async |p, wire| {
        player::enter_code(p, wire, &code, &user, &password).await
    })
    .await
}

#[then("the two-factor form is shown again with no API key")]
async fn code_refused(w: &mut ConformanceWorld) -> StepResult {
    no_key_on_page(
        w,
        &rules::STRONG_2FA_BEFORE_KEY,
        "after a missing or wrong code",
    )?;
    let shown = page(w)?;
    w.reference(
        shown.status.is_none_or(|s| Status::ClientError.holds(s)),
        "a 4xx status for a missing or wrong code",
    )?;
    w.reference(
        matches!(
            look::ask(&shown.html, Stage::SecondFactor),
            Ask::Code { .. }
        ),
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
    let entries = control::activity_log(&w.ctx().clock).await?;
    let newest = entries.iter().rev().find(|e| {
        e["user"]
            .as_str()
            .is_some_and(|u| u.eq_ignore_ascii_case(&account.username))
    });
    let ok = newest.is_some_and(|e| {
        e["agent_name"] == name.as_str() && e["agent_version"] == version.as_str()
    });
    w.documented(
        &rules::AGENT_IN_ACTIVITY_LOG,
        ok,
        &format!(
            "the activity log's newest entry for {who} to hold agent_name {name:?} and agent_version {version:?}; it is {}",
            newest
                .map(|e| e.to_string())
                .unwrap_or_else(|| "missing".into())
        ),
    )
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
    // The probe is the target's own call (`liquidfiles.probe_path`, @ext): a
    // key it refuses before its lifetime is one that expired too soon.
    w.status(
        Check::Documented(&rules::BROWSER_KEYS_EXPIRE),
        &x,
        Status::Success,
        "the key to be accepted (2xx) before its lifetime passes",
    )
}

#[then("the key from the page is refused")]
async fn key_refused(w: &mut ConformanceWorld) -> StepResult {
    let x = probe(w).await?;
    w.status(
        Check::Documented(&rules::BROWSER_KEYS_EXPIRE),
        &x,
        Status::NotSuccess,
        "the expired key to be refused (not a 2xx)",
    )?;
    w.status(
        Check::Reference,
        &x,
        Status::Either(401, 403),
        "the expired key refused with 401 (or 403)",
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
    let lifetime = section(w).key_lifetime_minutes.ok_or_else(|| {
        Failure("the target file gives no `liquidfiles.key_lifetime_minutes`".into())
    })? * 60;
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
