//! LiquidFiles' `/saml/api` (seed 000: "If you open a browser window to
//! /saml/api, the browser will be redirected to the SAML server for the user
//! to complete the authentication. Once successfully authenticated the user
//! will be redirected back to the LiquidFiles system and the same
//! 'Authentication Successful' page will be shown, together with the
//! optional agent_port callback"): a SAML 2.0 service provider.
//!
//! - `GET /saml/api?agent_port=…`: the agent is kept server-side under a new
//!   login id (the RelayState); an `<AuthnRequest>` goes to the IdP by the
//!   HTTP-Redirect binding (Bindings §3.4), or the HTTP-POST one (§3.5) under
//!   `liquidfiles.saml-binding=post`.
//! - `POST /saml/consume`: the assertion consumer service (HTTP-POST binding,
//!   Bindings §3.5). Every rule of [`validate`] must hold, then the success
//!   page of `/session/api` as the switches make it (an interstitial,
//!   Post/Redirect/Get, the callback's means and URL), with the key and the
//!   callback. A refused Response is an error page, or a 303 to the login
//!   page under `liquidfiles.saml-refusal=303-login`.
//! - `GET /saml/metadata`: the SP's `<md:EntityDescriptor>`.
//!
//! The paths are ruby-saml's (`/saml/consume`, `/saml/metadata`), as a
//! Rails product would have them; the seed names only `/saml/api`, and the
//! harness learns the ACS URL from the AuthnRequest.

use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages::Here;
use super::session::{Pages, agent_of_query, finish, login_form};
use super::store::{SamlPending, SamlRefusal};
use super::switches as sw;
use super::{LiquidFiles, wire};
use crate::body::{media_type, read_limited};
use crate::clock::UnixSeconds;
use crate::fault::Fault;
use crate::saml::dsig::{self, Certificate, DSIG_NS, VerifyPolicy};
use crate::saml::message::AuthnRequest;
use crate::saml::{
    ASSERTION_NS, BINDING_POST, CM_BEARER, METADATA_NS, NAMEID_EMAIL, PROTOCOL_NS, STATUS_SUCCESS,
    child, children, parse_instant, text,
};
use crate::throttle::Source;

/// Where the SP sends the browser, and whom it trusts.
#[derive(Clone, Debug)]
pub struct SamlSpConfig {
    /// The IdP's entity ID: the `<saml:Issuer>` expected.
    pub idp_entity_id: String,
    /// The IdP's SSO URL (HTTP-Redirect). `None`: the embedded IdP of this
    /// server, `/idp/sso` on the host the request came to.
    pub idp_sso_url: Option<String>,
    /// The only certificate whose signatures count.
    pub idp_cert: Certificate,
    /// This SP's entity ID (the `<saml:Audience>` required). `None`:
    /// `<base>/saml/metadata`.
    pub entity_id: Option<String>,
    /// The installation's public base URL (`https://files.example`, with any
    /// mount). `None`: `http://<Host>` and the mount the vendor is served at.
    pub public_url: Option<String>,
    /// Clock skew allowed on NotBefore / NotOnOrAfter, in seconds.
    pub skew: i64,
}

impl Default for SamlSpConfig {
    fn default() -> Self {
        SamlSpConfig {
            idp_entity_id: crate::saml::DEFAULT_IDP_ENTITY_ID.to_owned(),
            idp_sso_url: None,
            idp_cert: crate::saml::dsig::SigningKey::builtin()
                .certificate()
                .clone(),
            entity_id: None,
            public_url: None,
            skew: 60,
        }
    }
}

/// The installation's base URL (scheme, host, mount) for a request that
/// came with `headers` to the vendor mounted at `mount` (the server strips
/// the mount before routing, so the request's own path no longer has it).
fn base_url(config: &SamlSpConfig, headers: &HeaderMap, mount: &str) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{mount}")
}

fn entity_id(config: &SamlSpConfig, base: &str) -> String {
    config
        .entity_id
        .clone()
        .unwrap_or_else(|| format!("{base}/saml/metadata"))
}

/// `GET /saml/api`: to the IdP with an AuthnRequest.
pub(super) async fn saml_api(
    State(p): State<Pages>,
    source: Source,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let lf = &p.lf;
    let agent = match agent_of_query(&p, query.as_deref()) {
        Ok(agent) => agent,
        Err((status, why)) => return p.error(status, &why),
    };
    let config = &lf.config().saml;
    let base = base_url(config, &headers, &p.mount);
    let acs_url = format!("{base}/saml/consume");
    let entity_id = entity_id(config, &base);
    let request = AuthnRequest {
        id: crate::saml::new_id(),
        issue_instant: lf.now(),
        issuer: entity_id.clone(),
        acs_url: Some(acs_url.clone()),
        destination: config.idp_sso_url.clone(),
    };
    let started = if lf.fault_is(Fault::SamlApiShowsPasswordForm) {
        lf.start_browser_login(agent, source)
    } else {
        lf.start_saml_login(
            agent,
            source,
            SamlPending {
                request_id: request.id.clone(),
                acs_url,
                entity_id,
            },
        )
    };
    let relay_state = match started {
        Ok(id) => id,
        Err(e) => {
            let (status, why) = super::pending_refusal(&e);
            return super::with_retry_after(&e, p.error(status, why));
        }
    };
    if lf.fault_is(Fault::SamlApiShowsPasswordForm) {
        return login_form(&p, &relay_state, Here::Saml);
    }
    let sso = config
        .idp_sso_url
        .clone()
        .unwrap_or_else(|| "/idp/sso".to_owned());
    if p.switches().is(&sw::SAML_BINDING, "post") {
        // Bindings 3.5.4: the message base64-encoded, not deflated.
        return crate::saml::idp::auto_post_page(
            &sso,
            "SAMLRequest",
            &crate::saml::post_base64(&request.to_xml()),
            Some(&relay_state),
        );
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "SAMLRequest",
            &crate::saml::deflate_base64(&request.to_xml()),
        )
        .append_pair("RelayState", &relay_state)
        .finish();
    let sep = if sso.contains('?') { '&' } else { '?' };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, format!("{sso}{sep}{query}")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// `GET /saml/metadata`: the SP's metadata (SAML Metadata §2.4.4).
pub(super) async fn saml_metadata(State(p): State<Pages>, headers: HeaderMap) -> Response {
    let config = &p.lf.config().saml;
    let base = base_url(config, &headers, &p.mount);
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"{METADATA_NS}\" entityID=\"{}\"><md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:NameIDFormat>{NAMEID_EMAIL}</md:NameIDFormat><md:AssertionConsumerService Binding=\"{BINDING_POST}\" Location=\"{}/saml/consume\" index=\"0\" isDefault=\"true\"/></md:SPSSODescriptor></md:EntityDescriptor>\n",
        wire::escape(&entity_id(config, &base)),
        wire::escape(&base)
    );
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response()
}

/// How lenient the SP is: only faults make it so, each next to its rule.
#[derive(Clone, Copy, Debug, Default)]
pub struct SamlLeniency {
    pub unsigned: bool,
    pub signature_unchecked: bool,
    pub keyinfo_trusted: bool,
    pub audience: bool,
    pub validity: bool,
    pub in_response_to: bool,
    pub destination: bool,
    pub wrapping: bool,
    pub status: bool,
}

impl SamlLeniency {
    pub fn of(lf: &LiquidFiles) -> SamlLeniency {
        SamlLeniency {
            unsigned: lf.fault_is(Fault::SamlUnsignedAccepted),
            signature_unchecked: lf.fault_is(Fault::SamlSignatureNotChecked),
            keyinfo_trusted: lf.fault_is(Fault::SamlKeyInfoTrusted),
            audience: lf.fault_is(Fault::SamlAudienceIgnored),
            validity: lf.fault_is(Fault::SamlValidityIgnored),
            in_response_to: lf.fault_is(Fault::SamlInResponseToIgnored),
            destination: lf.fault_is(Fault::SamlDestinationIgnored),
            wrapping: lf.fault_is(Fault::SamlWrappingAccepted),
            status: lf.fault_is(Fault::SamlStatusIgnored),
        }
    }
}

/// A Response that passed every rule: who logged in, and the assertion's ID
/// to use once.
#[derive(Debug, PartialEq, Eq)]
pub struct Validated {
    pub email: String,
    pub assertion_id: String,
    /// Until when the assertion ID must be remembered (its confirmation's
    /// NotOnOrAfter plus the skew).
    pub remember_until: UnixSeconds,
}

/// Checks a decoded `<samlp:Response>` against what the login's AuthnRequest
/// asked (`pending`), the trusted IdP (`config`) and the time `now`. Each
/// rule names its source; `Err` says which one failed.
pub fn validate(
    xml: &str,
    pending: &SamlPending,
    config: &SamlSpConfig,
    now: UnixSeconds,
    lenient: SamlLeniency,
) -> Result<Validated, String> {
    let doc = crate::saml::parse_message(xml)?;
    let root = doc
        .document_element()
        .ok_or_else(|| "the message is empty".to_owned())?;
    let response = doc
        .element(root)
        .filter(|e| e.matches_name_ns(PROTOCOL_NS, "Response"))
        .ok_or_else(|| "the message is not a samlp:Response (SAML Core 3.2.2)".to_owned())?;
    if response.get_attribute("Version") != Some("2.0") {
        return Err("the Response is not Version 2.0 (SAML Core 3.2.2)".to_owned());
    }
    // Signatures first: everything below reads only what they cover.
    let signed: Vec<_> = if lenient.signature_unchecked {
        // The fault: a signature present counts, whatever it covers or says.
        doc.descendants(root)
            .into_iter()
            .filter(|n| {
                doc.element(*n)
                    .is_some_and(|e| e.matches_name_ns(DSIG_NS, "Signature"))
            })
            .filter_map(|sig| doc.parent(sig))
            .collect()
    } else {
        dsig::signed_elements(
            &doc,
            xml,
            &config.idp_cert,
            VerifyPolicy {
                trust_keyinfo: lenient.keyinfo_trusted,
            },
        )
    };
    let response_signed = signed.contains(&root);
    // Core 3.2.2.2: only a Success status carries a login.
    let status = child(&doc, root, PROTOCOL_NS, "Status")
        .and_then(|s| child(&doc, s, PROTOCOL_NS, "StatusCode"))
        .and_then(|c| doc.get_attribute(c, "Value"))
        .unwrap_or_default();
    if status != STATUS_SUCCESS && !lenient.status {
        return Err(format!(
            "the IdP answered the status {status}, not Success (SAML Core 3.2.2.2)"
        ));
    }
    // Bindings 3.5.5.2 (Destination of a signed message), Core 3.2.2 (when present).
    match response.get_attribute("Destination") {
        Some(d) if d != pending.acs_url && !lenient.destination => {
            return Err(format!(
                "the Response's Destination {d} is not this SP's ACS {} (SAML Bindings 3.5.5.2)",
                pending.acs_url
            ));
        }
        None if response_signed && !lenient.destination => {
            return Err("a signed Response without Destination (SAML Bindings 3.5.5.2)".to_owned());
        }
        _ => {}
    }
    // Profiles 4.1.4.3: InResponseTo is the AuthnRequest's ID.
    if !lenient.in_response_to
        && response.get_attribute("InResponseTo") != Some(&pending.request_id)
    {
        return Err("the Response's InResponseTo is not this login's AuthnRequest ID (SAML Profiles 4.1.4.3)".to_owned());
    }
    // Profiles 4.1.4.2: a Response's Issuer, when present, is the IdP's.
    if let Some(issuer) = child(&doc, root, ASSERTION_NS, "Issuer").map(|i| text(&doc, i))
        && issuer != config.idp_entity_id
    {
        return Err(format!(
            "the Response's Issuer {issuer} is not the trusted IdP (SAML Profiles 4.1.4.2)"
        ));
    }
    if child(&doc, root, ASSERTION_NS, "EncryptedAssertion").is_some() {
        return Err("encrypted assertions are not supported by this SP".to_owned());
    }
    // One assertion, a child of the Response, covered by a signature: what is
    // read is what was signed (Core 5.4.2; the wrapping attacks put another
    // assertion where a careless SP reads).
    let all_assertions: Vec<_> = doc
        .descendants(root)
        .into_iter()
        .filter(|n| {
            doc.element(*n)
                .is_some_and(|e| e.matches_name_ns(ASSERTION_NS, "Assertion"))
        })
        .collect();
    let assertion = if lenient.wrapping {
        // The fault: the first assertion in document order, if anything is signed.
        if signed.is_empty() && !lenient.unsigned {
            return Err(
                "the Response and its assertion are unsigned (SAML Profiles 4.1.3.5)".to_owned(),
            );
        }
        *all_assertions
            .first()
            .ok_or_else(|| "the Response has no assertion (SAML Profiles 4.1.4.2)".to_owned())?
    } else {
        let direct = children(&doc, root, ASSERTION_NS, "Assertion");
        if direct.len() != 1 || all_assertions.len() != 1 {
            return Err(format!(
                "the Response must hold exactly one assertion, as a child; it holds {} ({} as children) (SAML Profiles 4.1.4.2, Core 5.4.2)",
                all_assertions.len(),
                direct.len()
            ));
        }
        let assertion = direct[0];
        let has_signature = doc.descendants(root).into_iter().any(|n| {
            doc.element(n)
                .is_some_and(|e| e.matches_name_ns(DSIG_NS, "Signature"))
        });
        let covered = response_signed || signed.contains(&assertion);
        // The `saml-unsigned-accepted` fault lets a message without any signature through.
        let unsigned_let_through = lenient.unsigned && !has_signature;
        if !covered && !unsigned_let_through {
            return Err(if has_signature {
                "no valid signature of the trusted IdP covers the assertion (SAML Core 5.4, Profiles 4.1.3.5)".to_owned()
            } else {
                "the Response and its assertion are unsigned (SAML Profiles 4.1.3.5)".to_owned()
            });
        }
        assertion
    };
    let assertion_id = doc
        .get_attribute(assertion, "ID")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| "the assertion has no ID (SAML Core 2.3.3)".to_owned())?
        .to_owned();
    let issuer = child(&doc, assertion, ASSERTION_NS, "Issuer")
        .map(|i| text(&doc, i))
        .unwrap_or_default();
    if issuer != config.idp_entity_id {
        return Err(format!(
            "the assertion's Issuer `{issuer}` is not the trusted IdP `{}` (SAML Profiles 4.1.4.2)",
            config.idp_entity_id
        ));
    }
    let subject = child(&doc, assertion, ASSERTION_NS, "Subject")
        .ok_or_else(|| "the assertion has no Subject (SAML Profiles 4.1.4.2)".to_owned())?;
    let email = child(&doc, subject, ASSERTION_NS, "NameID")
        .map(|n| text(&doc, n))
        .filter(|n| !n.is_empty())
        .ok_or_else(|| "the assertion's Subject has no NameID".to_owned())?;
    // Profiles 4.1.4.2-4.1.4.3: a bearer confirmation for this ACS, this
    // request, not expired.
    let skew = config.skew;
    let mut confirmed_until = None;
    let mut why_not =
        "the assertion has no bearer SubjectConfirmation (SAML Profiles 4.1.4.2)".to_owned();
    for confirmation in children(&doc, subject, ASSERTION_NS, "SubjectConfirmation") {
        if doc.get_attribute(confirmation, "Method") != Some(CM_BEARER) {
            continue;
        }
        let Some(data) = child(&doc, confirmation, ASSERTION_NS, "SubjectConfirmationData") else {
            why_not = "the bearer SubjectConfirmation has no SubjectConfirmationData (SAML Profiles 4.1.4.2)".to_owned();
            continue;
        };
        let recipient = doc.get_attribute(data, "Recipient").unwrap_or_default();
        if recipient != pending.acs_url && !lenient.destination {
            why_not = format!(
                "the bearer confirmation's Recipient {recipient} is not this SP's ACS (SAML Profiles 4.1.4.3)"
            );
            continue;
        }
        if let Some(irt) = doc.get_attribute(data, "InResponseTo")
            && irt != pending.request_id
            && !lenient.in_response_to
        {
            why_not =
                "the bearer confirmation answers another AuthnRequest (SAML Profiles 4.1.4.3)"
                    .to_owned();
            continue;
        }
        let Some(until) = doc
            .get_attribute(data, "NotOnOrAfter")
            .and_then(parse_instant)
        else {
            why_not = "the bearer confirmation has no valid NotOnOrAfter (SAML Profiles 4.1.4.2)"
                .to_owned();
            continue;
        };
        if now >= until + skew && !lenient.validity {
            why_not = "the bearer confirmation has expired (SAML Profiles 4.1.4.3)".to_owned();
            continue;
        }
        confirmed_until = Some(until);
        break;
    }
    let confirmed_until = confirmed_until.ok_or(why_not)?;
    // Core 2.5.1.2 (NotBefore / NotOnOrAfter) and 2.5.1.4 (AudienceRestriction).
    let conditions = child(&doc, assertion, ASSERTION_NS, "Conditions").ok_or_else(|| {
        "the assertion has no Conditions with this SP's Audience (SAML Profiles 4.1.4.2)".to_owned()
    })?;
    if !lenient.validity {
        if let Some(nb) = doc.get_attribute(conditions, "NotBefore") {
            let nb = parse_instant(nb)
                .ok_or_else(|| "Conditions NotBefore is not a dateTime".to_owned())?;
            if now + skew < nb {
                return Err(
                    "the assertion is not valid yet (NotBefore; SAML Core 2.5.1.2)".to_owned(),
                );
            }
        }
        if let Some(nooa) = doc.get_attribute(conditions, "NotOnOrAfter") {
            let nooa = parse_instant(nooa)
                .ok_or_else(|| "Conditions NotOnOrAfter is not a dateTime".to_owned())?;
            if now >= nooa + skew {
                return Err(
                    "the assertion has expired (NotOnOrAfter; SAML Core 2.5.1.2)".to_owned(),
                );
            }
        }
    }
    if !lenient.audience {
        let restrictions = children(&doc, conditions, ASSERTION_NS, "AudienceRestriction");
        // Core 2.5.1.4: each restriction must name this SP; at least one is required (Profiles 4.1.4.2).
        let ok = !restrictions.is_empty()
            && restrictions.iter().all(|r| {
                children(&doc, *r, ASSERTION_NS, "Audience")
                    .iter()
                    .any(|a| text(&doc, *a) == pending.entity_id)
            });
        if !ok {
            return Err(format!(
                "the assertion's Audience is not this SP ({}) (SAML Core 2.5.1.4, Profiles 4.1.4.2)",
                pending.entity_id
            ));
        }
    }
    if child(&doc, assertion, ASSERTION_NS, "AuthnStatement").is_none() {
        return Err("the assertion has no AuthnStatement (SAML Profiles 4.1.4.2)".to_owned());
    }
    Ok(Validated {
        email,
        assertion_id,
        remember_until: confirmed_until + skew,
    })
}

/// `POST /saml/consume`: the assertion consumer service.
pub(super) async fn saml_consume(State(p): State<Pages>, req: Request) -> Response {
    let lf = &p.lf;
    if media_type(req.headers()).as_deref() != Some("application/x-www-form-urlencoded") {
        return refused(
            &p,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Post the SAMLResponse form (application/x-www-form-urlencoded; SAML Bindings 3.5.4).",
        );
    }
    let Ok(bytes) = read_limited(req).await else {
        return refused(
            &p,
            StatusCode::PAYLOAD_TOO_LARGE,
            "The SAMLResponse is too large.",
        );
    };
    let mut saml_response = None;
    let mut relay_state = None;
    for (k, v) in url::form_urlencoded::parse(&bytes) {
        match k.as_ref() {
            "SAMLResponse" if saml_response.is_none() => saml_response = Some(v.into_owned()),
            "RelayState" if relay_state.is_none() => relay_state = Some(v.into_owned()),
            _ => {}
        }
    }
    let Some(saml_response) = saml_response else {
        return refused(
            &p,
            StatusCode::BAD_REQUEST,
            "The form has no SAMLResponse (SAML Bindings 3.5.4).",
        );
    };
    let xml = match crate::saml::read_post_base64(&saml_response) {
        Ok(xml) => xml,
        Err(why) => return refused(&p, StatusCode::BAD_REQUEST, &why),
    };
    let relay_state = relay_state.unwrap_or_default();
    // The login this Response is for: the RelayState is this SP's own
    // opaque handle (Bindings 3.4.3), never a URL to follow.
    let mut redirect_to = None;
    let login_id = if lf.fault_is(Fault::SamlRelayStateRedirect)
        && (relay_state.starts_with("http://") || relay_state.starts_with("https://"))
    {
        redirect_to = Some(relay_state.clone());
        request_id_of(&xml)
            .and_then(|id| lf.saml_login_of_request(&id))
            .unwrap_or_default()
    } else {
        relay_state
    };
    let Some(pending) = lf.saml_pending(&login_id) else {
        return refused(
            &p,
            StatusCode::BAD_REQUEST,
            "This login has expired or is unknown (RelayState). Please start again.",
        );
    };
    let validated = match validate(
        &xml,
        &pending,
        &lf.config().saml,
        lf.now(),
        SamlLeniency::of(lf),
    ) {
        Ok(v) => v,
        Err(why) => {
            return refused(
                &p,
                StatusCode::FORBIDDEN,
                &format!("The SAML response was refused: {why}."),
            );
        }
    };
    let replay = lf.fault_is(Fault::SamlReplayAccepted);
    match lf.complete_saml(
        &login_id,
        &validated.email,
        &validated.assertion_id,
        validated.remember_until,
        replay,
    ) {
        Ok(mut ok) => {
            if let Some(url) = redirect_to {
                return (StatusCode::FOUND, [(header::LOCATION, url)]).into_response();
            }
            if lf.fault_is(Fault::SamlCallbackLost) {
                ok.agent_port = None;
            }
            if lf.fault_is(Fault::SamlKeyNotStored) {
                ok.api_key = super::store::generate_key();
            }
            finish(&p, &login_id, ok, Here::Saml)
        }
        Err(SamlRefusal::Replayed) => refused(
            &p,
            StatusCode::FORBIDDEN,
            "The SAML response was refused: this assertion was used before (SAML Profiles 4.1.4.5).",
        ),
        Err(SamlRefusal::UnknownUser) => refused(
            &p,
            StatusCode::FORBIDDEN,
            "The SAML response was refused: no LiquidFiles user has this email.",
        ),
        Err(SamlRefusal::Busy) => refused(
            &p,
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many SAML logins at once; try again.",
        ),
        Err(SamlRefusal::LoginExpired) => refused(
            &p,
            StatusCode::BAD_REQUEST,
            "This login has expired or is unknown (RelayState). Please start again.",
        ),
    }
}

/// The Response's InResponseTo, read without any check (the open-redirect
/// fault finds its login this way).
fn request_id_of(xml: &str) -> Option<String> {
    let doc = crate::saml::parse_message(xml).ok()?;
    let root = doc.document_element()?;
    doc.get_attribute(root, "InResponseTo").map(str::to_owned)
}

/// A refused Response: an error page saying why, or under
/// `liquidfiles.saml-refusal=303-login` a 303 back to the login page, as a
/// Rails application with a flash message would.
fn refused(p: &Pages, status: StatusCode, why: &str) -> Response {
    if p.switches().is(&sw::SAML_REFUSAL, "303-login") {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, Here::Saml.action())],
        )
            .into_response();
    }
    p.error(status, why)
}
