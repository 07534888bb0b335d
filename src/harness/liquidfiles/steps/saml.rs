//! Steps of `features/liquidfiles/saml.feature`: `/saml/api` (seed 000: "the
//! browser will be redirected to the SAML server for the user to complete the
//! authentication [...] the same "Authentication Successful" page will be
//! shown, together with the optional agent_port callback").
//!
//! The login is played by the scenario's player (`super::browser`), as
//! `/session/api`'s is: a real browser where the run has one, which follows
//! `/saml/api` to the identity provider, fills its login form with
//! `users.saml` and is posted back by the IdP's page; or the HTTP player,
//! which follows the redirects, submits the page's form that carries a
//! SAMLRequest (HTTP-POST binding, SAML Bindings 3.5) or a SAMLResponse as
//! the page's script or `<noscript>` button would, and ends on the same
//! success page as `/session/api`. Over HTTP the steps read the AuthnRequest
//! on the way (a redirect's query, Bindings 3.4, or a posted form). With an
//! IdP whose key the harness holds (`liquidfiles.saml.idp: embedded`) the
//! HTTP player posts minted Responses instead
//! (`crate::reference::saml::message::ResponseSpec`): a good one, or one that
//! breaks one rule of a SAML service provider, each cited below.

use cucumber::{then, when};

use super::browser::{
    judge_or_skip, listener_port, no_key_on_page, page_url, play, use_http_player,
};
use super::{lf, lf_mut, section};
use crate::harness::exchange::{Call, Exchange};
use crate::harness::liquidfiles::api;
use crate::harness::liquidfiles::player::look::Stage;
use crate::harness::liquidfiles::player::{self, PlayError, Player};
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

/// What a `/saml/api` login keeps between its steps.
#[derive(Default)]
pub struct SamlScenario {
    /// A SAML step ran: the player's requests go through [`send`].
    active: bool,
    /// The AuthnRequest `/saml/api` sent the browser on with (the last
    /// login's), or why what came was not one.
    request: Option<Result<AuthnRequest, String>>,
    relay_state: Option<String>,
    /// The last minted Response and the spec it came from.
    minted: Option<ResponseSpec>,
    /// The rule the scenario's last login must be refused by.
    refused_by: Option<&'static Rule>,
}

impl SamlScenario {
    pub(super) fn active(&self) -> bool {
        self.active
    }
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

/// The player's requests during a SAML login: the server's `/saml/…` and
/// `/session/api…` answers checked against the spec as their operations,
/// anything else (the identity provider, wherever it is) sent unchecked;
/// the AuthnRequest filed when one goes by.
pub(super) async fn send(w: &mut ConformanceWorld, mut call: Call) -> Result<Exchange, Failure> {
    let base = w.ctx().http.base_url().to_owned();
    let full = format!("{}{}", call.base_url.as_deref().unwrap_or(&base), call.path);
    let on_server = full
        .strip_prefix(&base)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(|rest| rest.split('?').next().unwrap_or_default().to_owned());
    let x = match on_server.as_deref() {
        Some(SAML_API) => {
            call.operation = SAML_API;
            super::send(w, call).await?
        }
        Some(SAML_CONSUME) => {
            call.operation = SAML_CONSUME;
            super::send(w, call).await?
        }
        Some(p) if p.starts_with(api::SESSION_API) => super::send(w, call).await?,
        _ => {
            call.operation = AT_IDP;
            w.send(call).await?
        }
    };
    file_authn_request(w, &x);
    Ok(x)
}

/// Files the AuthnRequest an answer sends the browser on with: in a
/// redirect's query (HTTP-Redirect binding, Bindings 3.4.4.1) or in a form
/// that posts it (HTTP-POST binding, Bindings 3.5.4).
fn file_authn_request(w: &mut ConformanceWorld, x: &Exchange) {
    let redirect = match (x.status, location(x)) {
        (300..=399, Some(to)) => url::Url::parse(&x.url).and_then(|u| u.join(to.trim())).ok(),
        _ => None,
    };
    let found = if let Some(next) = redirect {
        let mut request = None;
        let mut relay = None;
        for (k, v) in next.query_pairs() {
            match k.as_ref() {
                "SAMLRequest" => request = Some(v.into_owned()),
                "RelayState" => relay = Some(v.into_owned()),
                _ => {}
            }
        }
        request.map(|r| {
            (
                saml::inflate_base64(&r)
                    .and_then(|xml| AuthnRequest::parse(&xml))
                    .map_err(|e| format!("the redirect's SAMLRequest is not an AuthnRequest (SAML Bindings 3.4.4.1, Core 3.4.1): {e}")),
                relay,
            )
        })
    } else {
        form_with(&x.response_body, "SAMLRequest").map(|form| {
            let fields = form.fields(&[]);
            let value = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            (
                saml::read_post_base64(&value("SAMLRequest").unwrap_or_default())
                    .and_then(|xml| AuthnRequest::parse(&xml))
                    .map_err(|e| format!("the posted SAMLRequest is not an AuthnRequest (SAML Bindings 3.5.4, Core 3.4.1): {e}")),
                value("RelayState"),
            )
        })
    };
    if let Some((request, relay)) = found {
        let s = &mut lf_mut(w).saml;
        s.request = Some(request);
        s.relay_state = relay;
    }
}

/// The index of the form of `html` that carries `field` (`SAMLRequest`,
/// `SAMLResponse`), and the form.
fn form_with(html: &str, field: &str) -> Option<api::Form> {
    api::forms(html)
        .into_iter()
        .find(|f| f.input(field).is_some())
}

fn form_index_with(html: &str, field: &str) -> Option<usize> {
    api::forms(html)
        .iter()
        .position(|f| f.input(field).is_some())
}

/// The HTTP player submits the page's form carrying `field`, as the page's
/// script (or its `<noscript>` button) would; a browser did so itself.
async fn submit_saml_form(
    p: &mut Player,
    wire: &mut impl player::http::Wire,
    field: &str,
) -> Result<(), PlayError> {
    if p.is_browser() {
        return Ok(());
    }
    let form = p.page().and_then(|page| form_index_with(&page.html, field));
    match form {
        Some(i) => p.submit(wire, i, &[]).await,
        None => Ok(()),
    }
}

/// Opens `/saml/api` with the HTTP player (which reads the AuthnRequest on
/// the way): the browser is then at the IdP, or on the page that posts the
/// AuthnRequest to it.
async fn open_saml_api(w: &mut ConformanceWorld, query: &[(&str, &str)]) -> StepResult {
    lf_mut(w).saml.active = true;
    lf_mut(w).saml.request = None;
    use_http_player(w);
    let url = page_url(w, SAML_API, query);
    lf_mut(w).login_url = Some(url.clone());
    play(w, async |p, wire| p.open(wire, &url).await).await
}

/// The AuthnRequest of the scenario's last `/saml/api`; none breaks seed
/// 000's rule of `/saml/api` (LF20's), which the Responses minted for it
/// then report.
fn authn_request(w: &ConformanceWorld) -> Result<AuthnRequest, Failure> {
    let why = match &lf(w).saml.request {
        Some(Ok(r)) => return Ok(r.clone()),
        Some(Err(why)) => why.clone(),
        None => "the browser to be sent to the SAML identity provider (seed 000: \"the browser will be redirected to the SAML server\"): a redirect with a SAMLRequest (SAML Bindings 3.4) or a page whose form posts one (Bindings 3.5)".to_owned(),
    };
    w.documented(&rules::SAML_API_GOES_TO_THE_IDP, false, &why)
        .and_then(|()| Err(w.failure(&why)))
}

/// The whole login, played by the scenario's player: `/saml/api`, the IdP's
/// login form with `users.saml` (its password, or a wrong one), then back to
/// the server with the IdP's SAMLResponse.
async fn sign_in_through_idp(
    w: &mut ConformanceWorld,
    query: &[(&str, &str)],
    wrong: bool,
) -> StepResult {
    let account = w.ctx().target.users.saml.clone().ok_or_else(|| {
        Failure("the target file gives no `users.saml` (an account at the IdP)".into())
    })?;
    w.ctx().secrets.register(&account.password);
    lf_mut(w).saml.active = true;
    let url = page_url(w, SAML_API, query);
    lf_mut(w).login_url = Some(url.clone());
    let user = account.username.clone();
    let password = if wrong {
        format!("{}-not-it", account.password)
    } else {
        account.password.clone()
    };
    play(w, async |p, wire| {
        p.open(wire, &url).await?;
        submit_saml_form(p, wire, "SAMLRequest").await?;
        player::sign_in(p, wire, &user, &password, None).await?;
        submit_saml_form(p, wire, "SAMLResponse").await
    })
    .await
}

#[when("the browser opens the /saml/api page")]
async fn opens(w: &mut ConformanceWorld) -> StepResult {
    open_saml_api(w, &[]).await
}

#[then("the browser is sent to the SAML identity provider with an AuthnRequest")]
async fn sent_to_idp(w: &mut ConformanceWorld) -> StepResult {
    let request = match &lf(w).saml.request {
        Some(Err(why)) => return w.documented(&rules::SAML_API_GOES_TO_THE_IDP, false, why),
        other => other.clone().and_then(Result::ok),
    };
    let relay = lf(w).saml.relay_state.clone();
    w.documented(
        &rules::SAML_API_GOES_TO_THE_IDP,
        request.is_some(),
        "an AuthnRequest with ID, Version 2.0, IssueInstant and Issuer (SAML Core 3.4.1), by a redirect (SAML Bindings 3.4) or a page whose form posts it (Bindings 3.5)",
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
    // A page that goes on only by script (an interstitial) may lead to a
    // key: the HTTP player cannot tell, so the refusal is not judged.
    judge_or_skip(w, Stage::Credentials)?;
    no_key_on_page(w, rule, "after a login the service provider must refuse")
}

crate::words! {
    /// A minted Response, in the feature's words: the rule it breaks.
    pub(in crate::harness::liquidfiles) enum Minted {
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
    /// Every minted Response the feature sends (what explore draws from).
    pub(in crate::harness::liquidfiles) const ALL: [Minted; 13] = [
        Minted::Refused,
        Minted::Unsigned,
        Minted::Altered,
        Minted::OtherKey,
        Minted::OtherAudience,
        Minted::Expired,
        Minted::NotYetValid,
        Minted::OtherRequest,
        Minted::OtherDestination,
        Minted::OtherRecipient,
        Minted::ForgedFirst,
        Minted::SignedInside,
        Minted::SignedInExtensions,
    ];

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
    let now = w
        .ctx()
        .clock
        .now()
        .await
        .map_err(|e| Failure(e.to_string()))?;
    let target = saml_target(w)?;
    let request = authn_request(w)?;
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

/// Posts `xml` to the ACS with `relay_state`, as the IdP's form would, with
/// the HTTP player; the server's answer is followed unless `follow` is false.
async fn post_response(
    w: &mut ConformanceWorld,
    xml: &str,
    relay_state: Option<&str>,
    follow: bool,
) -> StepResult {
    let acs = lf(w)
        .saml
        .minted
        .as_ref()
        .map(|s| s.recipient.clone())
        .ok_or_else(|| Failure("nothing minted".into()))?;
    let encoded = saml::post_base64(xml);
    let relay = relay_state.map(str::to_owned);
    play(w, async |p, wire| {
        let Player::Http(h) = p else {
            return Err(PlayError::Failed(
                "the HTTP player to post a minted Response".into(),
            ));
        };
        let mut fields = vec![("SAMLResponse", encoded.as_str())];
        if let Some(r) = &relay {
            fields.push(("RelayState", r.as_str()));
        }
        h.post_form(wire, &acs, &fields, follow).await.map(|_| ())
    })
    .await
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
    )
}
