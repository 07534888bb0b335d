//! Steps of `features/liquidfiles/saml.feature`: `/saml/api` (seed 000: "the
//! browser will be redirected to the SAML server for the user to complete the
//! authentication [...] the same "Authentication Successful" page will be
//! shown, together with the optional agent_port callback").
//!
//! The player leaves the server for the identity provider and comes back:
//! `/saml/api` sends the browser on with an AuthnRequest, by a redirect
//! (HTTP-Redirect binding, SAML Bindings 3.4) or a page whose form posts it
//! (HTTP-POST, Bindings 3.5); at the IdP the player fills the form with a
//! password input with `users.saml`, follows the IdP's redirects (its own
//! cookies kept apart), and submits the form that carries the SAMLResponse
//! to where it points, as the IdP's script or button would. With an IdP
//! whose key the harness holds (`liquidfiles.saml.idp: embedded`) it mints
//! Responses instead (`crate::reference::saml::message::ResponseSpec`): a
//! good one, or one that breaks one rule of a SAML service provider, each
//! cited below.

use std::collections::BTreeMap;

use cucumber::{then, when};

use super::browser::{
    browse, callback_forms, keep_cookies, listener_port, login_fields, path_on_server,
    remember_page_key,
};
use super::{lf, lf_mut, section, send};
use crate::harness::exchange::{Call, Exchange};
use crate::harness::liquidfiles::api::{self, Form};
use crate::harness::liquidfiles::target::SamlTarget;
use crate::harness::world::{ConformanceWorld, Failure, Persona, StepResult};
use crate::reference::liquidfiles::rules;
use crate::reference::rule::Rule;
use crate::reference::saml::message::{AuthnRequest, ResponseSpec, Signing, Wrapping};
use crate::reference::saml::{self, STATUS_AUTHN_FAILED};

/// The spec's operations of the SP (for the spec check of each answer).
const SAML_API: &str = "/saml/api";
const SAML_CONSUME: &str = "/saml/consume";
/// IdP hops are no operation of the spec (sent unchecked).
const AT_IDP: &str = "(identity provider)";

/// Redirects followed at the IdP before giving up.
const MAX_HOPS: usize = 10;

/// How the browser reaches the IdP: the URL, and the form fields when the
/// AuthnRequest is posted (HTTP-POST binding) rather than in the query.
#[derive(Clone)]
struct ToIdp {
    url: String,
    posted: Option<Vec<(String, String)>>,
}

/// What a `/saml/api` login keeps between its steps.
#[derive(Default)]
pub struct SamlScenario {
    /// The AuthnRequest `/saml/api` sent the browser on with.
    request: Option<AuthnRequest>,
    relay_state: Option<String>,
    to_idp: Option<ToIdp>,
    /// The IdP's cookies (the server's are the browser's main jar).
    idp_cookies: BTreeMap<String, String>,
    /// The last minted Response and the spec it came from.
    minted: Option<ResponseSpec>,
    /// The rule the scenario's last login must be refused by.
    refused_by: Option<&'static Rule>,
}

fn saml_target(w: &ConformanceWorld) -> Result<SamlTarget, Failure> {
    section(w)
        .saml
        .ok_or_else(|| Failure("the target file gives no `liquidfiles.saml`".into()))
}

fn location(x: &Exchange) -> Option<String> {
    x.response_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.clone())
}

/// `reference` resolved against `page`, absolute.
fn resolve(w: &ConformanceWorld, page: &str, reference: &str) -> Result<url::Url, Failure> {
    url::Url::parse(page)
        .and_then(|u| u.join(reference.trim()))
        .map_err(|e| w.failure(&format!("a URL that resolves ({reference:?}: {e})")))
}

/// An AuthnRequest in the HTTP-Redirect binding's query (Bindings 3.4.4.1),
/// with its RelayState.
fn redirect_binding(url: &url::Url) -> Option<(Result<AuthnRequest, String>, Option<String>)> {
    let mut request = None;
    let mut relay = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "SAMLRequest" => request = Some(v.into_owned()),
            "RelayState" => relay = Some(v.into_owned()),
            _ => {}
        }
    }
    let request = request?;
    Some((
        saml::inflate_base64(&request).and_then(|xml| AuthnRequest::parse(&xml)),
        relay,
    ))
}

/// A form of `html` that carries `field` (`SAMLRequest`, `SAMLResponse`).
fn form_with(html: &str, field: &str) -> Option<Form> {
    api::forms(html)
        .into_iter()
        .find(|f| f.input(field).is_some())
}

/// `GET /saml/api` (with `query`): follows the server's own redirects until
/// the browser is sent to the IdP, by a redirect with a SAMLRequest or a page
/// whose form posts one; files the AuthnRequest and how to reach the IdP.
async fn open_saml_api(w: &mut ConformanceWorld, query: &[(&str, &str)]) -> StepResult {
    let mut call = query
        .iter()
        .fold(Call::new(reqwest::Method::GET, SAML_API), |call, (k, v)| {
            call.query(k, v)
        });
    for _ in 0..=MAX_HOPS {
        if let Some(c) = super::browser::cookie_header(w) {
            call = call.header("Cookie", &c);
        }
        let x = send(w, call.clone()).await?;
        keep_cookies(w, &x);
        if let (300..=399, Some(to)) = (x.status, location(&x)) {
            let next = resolve(w, &x.url, &to)?;
            if let Some((request, relay)) = redirect_binding(&next) {
                let request = request.map_err(|e| {
                    w.failure(&format!(
                        "the redirect's SAMLRequest to be an AuthnRequest (SAML Bindings 3.4.4.1, Core 3.4.1): {e}"
                    ))
                })?;
                let s = &mut lf_mut(w).saml;
                s.request = Some(request);
                s.relay_state = relay;
                s.to_idp = Some(ToIdp {
                    url: next.to_string(),
                    posted: None,
                });
                return Ok(());
            }
            // The server's own redirect (a login page first): follow it on the server.
            let path = path_on_server(w, &x.url, &to)?;
            call = Call::new(reqwest::Method::GET, SAML_API).path(path);
            continue;
        }
        let Some(form) = form_with(&x.response_body, "SAMLRequest") else {
            return Err(w.failure(
                "the browser to be sent to the SAML identity provider (seed 000: \"the browser will be redirected to the SAML server\"): a redirect with a SAMLRequest (SAML Bindings 3.4) or a page whose form posts one (Bindings 3.5)",
            ));
        };
        let fields = form.fields(&[]);
        let value = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let xml = value("SAMLRequest")
            .ok_or_else(|| Failure("no SAMLRequest".into()))
            .and_then(|b64| saml::read_post_base64(&b64).map_err(Failure))?;
        let request = AuthnRequest::parse(&xml).map_err(|e| {
            w.failure(&format!(
                "the posted SAMLRequest to be an AuthnRequest (SAML Bindings 3.5.4, Core 3.4.1): {e}"
            ))
        })?;
        let action = resolve(w, &x.url, form.tag.attr("action").unwrap_or(""))?;
        let s = &mut lf_mut(w).saml;
        s.relay_state = value("RelayState");
        s.request = Some(request);
        s.to_idp = Some(ToIdp {
            url: action.to_string(),
            posted: Some(fields),
        });
        return Ok(());
    }
    Err(w.failure(&format!("at most {MAX_HOPS} redirects before the IdP")))
}

/// One request at the IdP (any origin), with the IdP's cookies, unchecked
/// against the spec.
async fn at_idp(
    w: &mut ConformanceWorld,
    method: reqwest::Method,
    url: &url::Url,
    form: Option<&[(String, String)]>,
) -> Result<Exchange, Failure> {
    let origin = url.origin().ascii_serialization();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut call = Call::new(method, AT_IDP).on_base_url(&origin).path(path);
    let jar = &lf(w).saml.idp_cookies;
    if !jar.is_empty() {
        let header: Vec<String> = jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
        call = call.header("Cookie", &header.join("; "));
    }
    if let Some(fields) = form {
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        call = call.form(&refs);
    }
    let x = w.send(call).await?;
    for c in x
        .set_cookies()
        .filter_map(|v| cookie::Cookie::parse(v.to_owned()).ok())
    {
        if c.value().len() >= 8 {
            w.ctx().secrets.register(c.value());
        }
        lf_mut(w)
            .saml
            .idp_cookies
            .insert(c.name().to_owned(), c.value().to_owned());
    }
    Ok(x)
}

/// Follows the IdP's redirects from `x` (a 3xx back to the server ends it).
async fn follow_at_idp(w: &mut ConformanceWorld, mut x: Exchange) -> Result<Exchange, Failure> {
    let base = w.ctx().http.base_url().to_owned();
    for _ in 0..MAX_HOPS {
        let (300..=399, Some(to)) = (x.status, location(&x)) else {
            return Ok(x);
        };
        let next = resolve(w, &x.url, &to)?;
        if next.as_str().starts_with(&base) {
            return Ok(x);
        }
        x = at_idp(w, reqwest::Method::GET, &next, None).await?;
    }
    Err(w.failure(&format!("at most {MAX_HOPS} redirects at the IdP")))
}

/// The whole login: `/saml/api`, the IdP's login form with `users.saml`
/// (its password, or a wrong one), then the SAMLResponse form posted to
/// where it points (on the server) and the server's answer followed.
async fn sign_in_through_idp(
    w: &mut ConformanceWorld,
    query: &[(&str, &str)],
    wrong: bool,
) -> StepResult {
    let account = w.ctx().target.users.saml.clone().ok_or_else(|| {
        Failure("the target file gives no `users.saml` (an account at the IdP)".into())
    })?;
    w.ctx().secrets.register(&account.password);
    open_saml_api(w, query).await?;
    let ToIdp { url, posted } = lf(w)
        .saml
        .to_idp
        .clone()
        .ok_or_else(|| Failure("no IdP URL".into()))?;
    let url = resolve(w, &url, "")?;
    let x = match &posted {
        None => at_idp(w, reqwest::Method::GET, &url, None).await?,
        Some(f) => at_idp(w, reqwest::Method::POST, &url, Some(f)).await?,
    };
    let x = follow_at_idp(w, x).await?;
    let form = api::login_form(&x.response_body).ok_or_else(|| {
        w.failure("the IdP's login form: a <form> with a password input and a text or email input for the user")
    })?;
    let password = if wrong {
        format!("{}-not-it", account.password)
    } else {
        account.password.clone()
    };
    let typed = login_fields(&form, &account.username, &password);
    let given: Vec<(&str, &str)> = typed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let fields = form.fields(&given);
    let action = resolve(w, &x.url, form.tag.attr("action").unwrap_or(""))?;
    let x = at_idp(w, reqwest::Method::POST, &action, Some(&fields)).await?;
    let x = follow_at_idp(w, x).await?;
    let Some(post) = form_with(&x.response_body, "SAMLResponse") else {
        // The IdP kept the browser (a wrong password): judged by the next step.
        return Ok(());
    };
    let action = post.tag.attr("action").unwrap_or("").to_owned();
    let path = path_on_server(w, &x.url, &action)?;
    let pairs = post.fields(&[]);
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browse(
        w,
        Call::new(reqwest::Method::POST, SAML_CONSUME)
            .path(path)
            .form(&refs),
    )
    .await?;
    remember_page_key(w);
    Ok(())
}

#[when("the browser opens the /saml/api page")]
async fn opens(w: &mut ConformanceWorld) -> StepResult {
    open_saml_api(w, &[]).await
}

#[then("the browser is sent to the SAML identity provider with an AuthnRequest")]
async fn sent_to_idp(w: &mut ConformanceWorld) -> StepResult {
    let s = &lf(w).saml;
    let request = s.request.clone();
    let relay = s.relay_state.clone();
    w.documented(
        &rules::SAML_API_GOES_TO_THE_IDP,
        request.is_some(),
        "an AuthnRequest with ID, Version 2.0, IssueInstant and Issuer (SAML Core 3.4.1)",
    )?;
    w.documented(
        &rules::SAML_RELAY_STATE_AT_MOST_80_BYTES,
        relay
            .as_ref()
            .is_none_or(|r| r.len() <= saml::MAX_RELAY_STATE),
        "a RelayState of at most 80 bytes (SAML Bindings 3.4.3)",
    )?;
    w.reference(
        request.is_some_and(|r| r.acs_url.is_some()),
        "the AuthnRequest names its AssertionConsumerServiceURL (SAML Core 3.4.1 makes it optional)",
    )
}

#[when(regex = r"^(alice) signs in through the /saml/api page at the identity provider$")]
async fn signs_in(w: &mut ConformanceWorld, _who: Persona) -> StepResult {
    sign_in_through_idp(w, &[], false).await
}

#[when(
    regex = r"^(alice) signs in through the /saml/api page at the identity provider with the listener's port as agent_port$"
)]
async fn signs_in_with_port(w: &mut ConformanceWorld, _who: Persona) -> StepResult {
    let port = listener_port(w)?.to_string();
    sign_in_through_idp(w, &[("agent_port", &port)], false).await
}

#[when(
    regex = r"^(alice) signs in through the /saml/api page with a wrong password at the identity provider$"
)]
async fn wrong_password(w: &mut ConformanceWorld, _who: Persona) -> StepResult {
    lf_mut(w).saml.refused_by = Some(&rules::SAML_KEY_ONLY_AFTER_AUTHENTICATION);
    sign_in_through_idp(w, &[], true).await
}

#[then("no API key is shown")]
async fn no_key(w: &mut ConformanceWorld) -> StepResult {
    let rule = lf(w)
        .saml
        .refused_by
        .ok_or_else(|| Failure("the scenario sent no login that must be refused".into()))?;
    let x = w.last_exchange()?;
    let key = api::element_text(&x.response_body, "div", "api_key").unwrap_or_default();
    let callbacks = callback_forms(w).len();
    w.documented(
        rule,
        key.is_empty() && callbacks == 0,
        "no key in div#api_key and no form posting to localhost",
    )
}

crate::words! {
    /// A minted Response, in the feature's words: the rule it breaks.
    enum Minted {
        Refused = "with the IdP's refusal as its status",
        Unsigned = "that is unsigned",
        Altered = "altered after signing to name bob",
        OtherKey = "signed by another key",
        OtherAudience = "for another service provider",
        Expired = "that expired half an hour ago",
        NotYetValid = "that is valid only in half an hour",
        OtherRequest = "answering another request",
        OtherDestination = "with another Destination",
        OtherRecipient = "with another Recipient",
        ForgedFirst = "wrapped with a forged assertion before the signed one naming bob",
        SignedInside = "wrapped with the signed assertion inside a forged one naming bob",
        SignedInExtensions = "wrapped with the signed assertion hidden in Extensions naming bob",
    }
}

impl Minted {
    /// The rule a Response minted so breaks.
    fn rule(self) -> &'static Rule {
        match self {
            Minted::Refused => &rules::SAML_ONLY_SUCCESS_LOGS_IN,
            Minted::Unsigned => &rules::SAML_ASSERTION_SIGNED,
            Minted::Altered | Minted::OtherKey => &rules::SAML_SIGNATURE_VERIFIED,
            Minted::OtherAudience => &rules::SAML_AUDIENCE_IS_THIS_SP,
            Minted::Expired | Minted::NotYetValid => &rules::SAML_WITHIN_VALIDITY,
            Minted::OtherRequest => &rules::SAML_IN_RESPONSE_TO_THIS_REQUEST,
            Minted::OtherDestination | Minted::OtherRecipient => &rules::SAML_SENT_TO_THIS_ACS,
            Minted::ForgedFirst | Minted::SignedInside | Minted::SignedInExtensions => {
                &rules::SAML_READS_WHAT_IS_SIGNED
            }
        }
    }
}

/// alice's and bob's LiquidFiles user names: the NameIDs minted.
fn name_ids(w: &ConformanceWorld) -> Result<(String, String), Failure> {
    let alice = w.account(Persona::Alice)?.username;
    let bob = w.account(Persona::Bob)?.username;
    Ok((alice, bob))
}

/// A good Response for `name_id` to the AuthnRequest of the scenario's
/// login, valid from the server's now (its controlled clock, or this machine's).
async fn good_spec(w: &ConformanceWorld, name_id: &str) -> Result<ResponseSpec, Failure> {
    let now = w.ctx().clock.now().await.map_err(Failure)?;
    let target = saml_target(w)?;
    let s = &lf(w).saml;
    let request = s
        .request
        .as_ref()
        .ok_or_else(|| Failure("no AuthnRequest".into()))?;
    let acs = request
        .acs_url
        .clone()
        .or(target.acs_url.clone())
        .ok_or_else(|| {
            Failure("the AuthnRequest names no AssertionConsumerServiceURL: give `liquidfiles.saml.acs_url`".into())
        })?;
    Ok(ResponseSpec::new(
        &target.idp_entity_id,
        name_id,
        &request.issuer,
        &acs,
        Some(&request.id),
        now,
    ))
}

/// Posts `xml` to the ACS with `relay_state`, as the IdP's form would; the
/// server's answer is followed unless it leaves the server (`follow`).
async fn post_response(
    w: &mut ConformanceWorld,
    xml: &str,
    relay_state: Option<&str>,
    follow: bool,
) -> StepResult {
    let base = w.ctx().http.base_url().to_owned();
    let acs = lf(w)
        .saml
        .minted
        .as_ref()
        .map(|s| s.recipient.clone())
        .ok_or_else(|| Failure("nothing minted".into()))?;
    let path = path_on_server(w, &base, &acs)?;
    let encoded = saml::post_base64(xml);
    let mut fields = vec![("SAMLResponse", encoded.as_str())];
    if let Some(r) = relay_state {
        fields.push(("RelayState", r));
    }
    let call = Call::new(reqwest::Method::POST, SAML_CONSUME)
        .path(path)
        .form(&fields);
    if follow {
        browse(w, call).await?;
        remember_page_key(w);
    } else {
        let x = send(w, call).await?;
        keep_cookies(w, &x);
    }
    Ok(())
}

#[when(
    regex = r"^the browser posts a Response for (alice) (.+) to the assertion consumer service$"
)]
async fn posts_bad(w: &mut ConformanceWorld, _who: Persona, minted: Minted) -> StepResult {
    open_saml_api(w, &[]).await?;
    let (alice, bob) = name_ids(w)?;
    let target = saml_target(w)?;
    let key = target.signing_key();
    let mut spec = good_spec(w, &alice).await?;
    let now = spec.issue_instant;
    let elsewhere = "https://other-sp.authconform.invalid/saml/consume";
    lf_mut(w).saml.refused_by = Some(minted.rule());
    let xml = match minted {
        Minted::Refused => {
            spec.status = STATUS_AUTHN_FAILED.to_owned();
            spec.to_xml(&key)
        }
        Minted::Unsigned => {
            spec.signing = Signing::None;
            spec.to_xml(&key)
        }
        Minted::Altered => spec.to_xml(&key).map(|xml| {
            xml.replace(
                &format!(">{}<", crate::reference::liquidfiles::wire::escape(&alice)),
                &format!(">{}<", crate::reference::liquidfiles::wire::escape(&bob)),
            )
        }),
        Minted::OtherKey => {
            spec.name_id = bob.clone();
            spec.to_xml(&crate::reference::saml::dsig::SigningKey::untrusted())
        }
        Minted::OtherAudience => {
            spec.audience = "https://other-sp.authconform.invalid/saml/metadata".to_owned();
            spec.to_xml(&key)
        }
        Minted::Expired => {
            spec.issue_instant = now - 3600;
            spec.not_before = now - 3600;
            spec.not_on_or_after = now - 1800;
            spec.to_xml(&key)
        }
        Minted::NotYetValid => {
            spec.not_before = now + 1800;
            spec.not_on_or_after = now + 3600;
            spec.to_xml(&key)
        }
        Minted::OtherRequest => {
            spec.in_response_to = Some(saml::new_id());
            spec.to_xml(&key)
        }
        Minted::OtherDestination => {
            spec.destination = Some(elsewhere.to_owned());
            spec.to_xml(&key)
        }
        Minted::OtherRecipient => {
            let mut other = spec.clone();
            other.recipient = elsewhere.to_owned();
            let xml = other.to_xml(&key);
            lf_mut(w).saml.minted = Some(spec);
            let relay = lf(w).saml.relay_state.clone();
            let xml = xml.map_err(Failure)?;
            return post_response(w, &xml, relay.as_deref(), true).await;
        }
        Minted::ForgedFirst => Wrapping::ForgedFirst.forge(&spec, &bob, &key),
        Minted::SignedInside => Wrapping::SignedInsideForged.forge(&spec, &bob, &key),
        Minted::SignedInExtensions => Wrapping::SignedInExtensions.forge(&spec, &bob, &key),
    }
    .map_err(Failure)?;
    lf_mut(w).saml.minted = Some(spec);
    let relay = lf(w).saml.relay_state.clone();
    post_response(w, &xml, relay.as_deref(), true).await
}

/// A new login answered by a good Response for alice (`adjust`ed), posted
/// with `relay` (the login's own RelayState when `None`) and followed on the
/// server unless `follow` is false.
async fn post_good(
    w: &mut ConformanceWorld,
    adjust: impl FnOnce(&mut ResponseSpec),
    relay: Option<String>,
    follow: bool,
) -> StepResult {
    open_saml_api(w, &[]).await?;
    let (alice, _) = name_ids(w)?;
    let mut spec = good_spec(w, &alice).await?;
    adjust(&mut spec);
    let xml = spec
        .to_xml(&saml_target(w)?.signing_key())
        .map_err(Failure)?;
    lf_mut(w).saml.minted = Some(spec);
    let relay = relay.or_else(|| lf(w).saml.relay_state.clone());
    post_response(w, &xml, relay.as_deref(), follow).await
}

#[when(
    regex = r"^the browser posts a good Response for (alice) to the assertion consumer service$"
)]
async fn posts_good(w: &mut ConformanceWorld, _who: Persona) -> StepResult {
    post_good(w, |_| {}, None, true).await
}

/// SAML Profiles 4.1.4.5: a new login, answered by an assertion whose ID the
/// SP has already accepted (everything else right for this login).
#[when(
    regex = r"^the browser posts another Response for (alice) with the same assertion ID to the assertion consumer service$"
)]
async fn posts_same_id(w: &mut ConformanceWorld, _who: Persona) -> StepResult {
    let used = lf(w)
        .saml
        .minted
        .as_ref()
        .map(|s| s.assertion_id.clone())
        .ok_or_else(|| Failure("no earlier Response in this scenario".into()))?;
    post_good(w, |spec| spec.assertion_id = used, None, true).await?;
    lf_mut(w).saml.refused_by = Some(&rules::SAML_NO_REPLAY);
    Ok(())
}

#[when(
    regex = r#"^the browser posts a good Response for (alice) with the RelayState "(.+)" to the assertion consumer service$"#
)]
async fn posts_with_relay(w: &mut ConformanceWorld, _who: Persona, relay: String) -> StepResult {
    post_good(w, |_| {}, Some(relay), false).await
}

#[then("the browser is not sent off-site")]
async fn not_off_site(w: &mut ConformanceWorld) -> StepResult {
    let x = w.last_exchange()?;
    let base = w.ctx().http.base_url().to_owned();
    let origin = url::Url::parse(&base)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let off_site = match (x.status, location(x)) {
        (300..=399, Some(to)) => url::Url::parse(&x.url)
            .and_then(|u| u.join(&to))
            .map(|u| u.origin().ascii_serialization() != origin)
            .unwrap_or(true),
        _ => false,
    };
    let refresh = x
        .response_body
        .to_ascii_lowercase()
        .contains("http-equiv=\"refresh\"");
    w.documented(
        &rules::SAML_KEY_ONLY_AFTER_AUTHENTICATION,
        !off_site && !refresh,
        "no redirect away from the LiquidFiles system after the login (seed 000: \"redirected back to the LiquidFiles system and the same \\\"Authentication Successful\\\" page will be shown\"; RelayState is the SP's own value, SAML Bindings 3.4.3)",
    )?;
    let _ = callback_forms(w);
    Ok(())
}
