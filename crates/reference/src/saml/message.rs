//! The two SAML messages of Web Browser SSO: the SP's `<samlp:AuthnRequest>`
//! (SAML Core §3.4.1) and the IdP's `<samlp:Response>` with one assertion
//! (Core §3.2.2, §2.3.3; the profile's rules in Profiles §4.1.4.2).
//!
//! Both are written from templates: the shapes are fixed and small, and every
//! value is escaped. Reading a Response is the SP's business
//! (`liquidfiles/saml.rs`); reading an AuthnRequest is the IdP's, here.

use crate::clock::UnixSeconds;
use crate::liquidfiles::wire::escape;

use super::dsig::{SigningKey, signature_template};
use super::{
    ASSERTION_NS, BINDING_POST, CM_BEARER, NAMEID_EMAIL, PROTOCOL_NS, STATUS_SUCCESS, child,
    instant, parse_message, text,
};

/// An `<AuthnRequest>` as the SP sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthnRequest {
    pub id: String,
    pub issue_instant: UnixSeconds,
    /// The SP's entity ID (`<saml:Issuer>`).
    pub issuer: String,
    /// Where the IdP is asked to post the Response.
    pub acs_url: Option<String>,
    /// The IdP's SSO URL (`Destination`, Core §3.2.1).
    pub destination: Option<String>,
}

impl AuthnRequest {
    pub fn to_xml(&self) -> String {
        let destination = self
            .destination
            .as_deref()
            .map(|d| format!(" Destination=\"{}\"", escape(d)))
            .unwrap_or_default();
        let acs = self
            .acs_url
            .as_deref()
            .map(|a| {
                format!(
                    " AssertionConsumerServiceURL=\"{}\" ProtocolBinding=\"{BINDING_POST}\"",
                    escape(a)
                )
            })
            .unwrap_or_default();
        format!(
            "<samlp:AuthnRequest xmlns:samlp=\"{PROTOCOL_NS}\" xmlns:saml=\"{ASSERTION_NS}\" ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\"{destination}{acs}><saml:Issuer>{}</saml:Issuer><samlp:NameIDPolicy Format=\"{NAMEID_EMAIL}\" AllowCreate=\"false\"/></samlp:AuthnRequest>",
            escape(&self.id),
            instant(self.issue_instant),
            escape(&self.issuer),
        )
    }

    /// Reads an AuthnRequest (the IdP side): `ID`, `Version="2.0"`, the
    /// `<saml:Issuer>`, and the ACS URL when given. A `ProtocolBinding` other
    /// than HTTP-POST is refused: this IdP answers by POST only.
    pub fn parse(xml: &str) -> Result<AuthnRequest, String> {
        let doc = parse_message(xml)?;
        let root = doc
            .document_element()
            .ok_or_else(|| "the message is empty".to_owned())?;
        let el = doc
            .element(root)
            .filter(|e| e.matches_name_ns(PROTOCOL_NS, "AuthnRequest"))
            .ok_or_else(|| "the message is not a samlp:AuthnRequest".to_owned())?;
        if el.get_attribute("Version") != Some("2.0") {
            return Err("the AuthnRequest is not Version 2.0".to_owned());
        }
        let id = el
            .get_attribute("ID")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| "the AuthnRequest has no ID".to_owned())?
            .to_owned();
        if let Some(binding) = el.get_attribute("ProtocolBinding")
            && binding != BINDING_POST
        {
            return Err(format!(
                "the AuthnRequest asks for the {binding} binding; this IdP answers by HTTP-POST"
            ));
        }
        let issue_instant = el
            .get_attribute("IssueInstant")
            .and_then(super::parse_instant)
            .ok_or_else(|| "the AuthnRequest has no valid IssueInstant".to_owned())?;
        let acs_url = el
            .get_attribute("AssertionConsumerServiceURL")
            .map(str::to_owned);
        let destination = el.get_attribute("Destination").map(str::to_owned);
        let issuer = child(&doc, root, ASSERTION_NS, "Issuer")
            .map(|i| text(&doc, i))
            .filter(|i| !i.is_empty())
            .ok_or_else(|| "the AuthnRequest has no saml:Issuer".to_owned())?;
        Ok(AuthnRequest {
            id,
            issue_instant,
            issuer,
            acs_url,
            destination,
        })
    }
}

/// What to sign in a Response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// Nothing (Profiles §4.1.3.5 forbids it over HTTP-POST).
    None,
    /// The assertion (the most common IdP setting).
    Assertion,
    /// The Response element only.
    Response,
    /// Both.
    Both,
}

/// Everything a Response says: a good one from [`ResponseSpec::new`], and
/// each field a knob for minting a bad one.
#[derive(Clone, Debug)]
pub struct ResponseSpec {
    pub response_id: String,
    pub assertion_id: String,
    /// The IdP's entity ID: both `<saml:Issuer>`s.
    pub issuer: String,
    /// `<saml:NameID>` (an email address).
    pub name_id: String,
    /// `<saml:Audience>`: the SP's entity ID.
    pub audience: String,
    /// The Response's `Destination` (None: omitted).
    pub destination: Option<String>,
    /// `<saml:SubjectConfirmationData Recipient>`.
    pub recipient: String,
    /// Both `InResponseTo`s (None: unsolicited).
    pub in_response_to: Option<String>,
    pub issue_instant: UnixSeconds,
    /// `<saml:Conditions NotBefore>`.
    pub not_before: UnixSeconds,
    /// `<saml:Conditions NotOnOrAfter>` and the bearer confirmation's.
    pub not_on_or_after: UnixSeconds,
    /// The top-level `<samlp:StatusCode Value>`.
    pub status: String,
    /// Whether the Response carries its assertion (a failed status has none).
    pub with_assertion: bool,
    pub signing: Signing,
}

/// How long an assertion the IdP issues is valid (5 minutes, as most IdPs).
pub const ASSERTION_LIFETIME: i64 = 300;

impl ResponseSpec {
    /// A good answer to `request` for `name_id`, valid from `now` for
    /// [`ASSERTION_LIFETIME`], the assertion signed. `acs_url` is where it is
    /// posted (the request's, or the SP's known ACS URL).
    pub fn new(
        issuer: &str,
        name_id: &str,
        audience: &str,
        acs_url: &str,
        in_response_to: Option<&str>,
        now: UnixSeconds,
    ) -> ResponseSpec {
        ResponseSpec {
            response_id: super::new_id(),
            assertion_id: super::new_id(),
            issuer: issuer.to_owned(),
            name_id: name_id.to_owned(),
            audience: audience.to_owned(),
            destination: Some(acs_url.to_owned()),
            recipient: acs_url.to_owned(),
            in_response_to: in_response_to.map(str::to_owned),
            issue_instant: now,
            not_before: now - 30,
            not_on_or_after: now + ASSERTION_LIFETIME,
            status: STATUS_SUCCESS.to_owned(),
            with_assertion: true,
            signing: Signing::Assertion,
        }
    }

    /// The assertion alone, unsigned, with a signature template when `signed`.
    fn assertion_xml(&self, signed: bool) -> String {
        let irt = self
            .in_response_to
            .as_deref()
            .map(|v| format!(" InResponseTo=\"{}\"", escape(v)))
            .unwrap_or_default();
        let template = if signed {
            signature_template(&self.assertion_id)
        } else {
            String::new()
        };
        format!(
            "<saml:Assertion xmlns:saml=\"{ASSERTION_NS}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\">\
<saml:Issuer>{issuer}</saml:Issuer>{template}\
<saml:Subject><saml:NameID Format=\"{NAMEID_EMAIL}\">{name_id}</saml:NameID>\
<saml:SubjectConfirmation Method=\"{CM_BEARER}\"><saml:SubjectConfirmationData{irt} NotOnOrAfter=\"{nooa}\" Recipient=\"{recipient}\"/></saml:SubjectConfirmation></saml:Subject>\
<saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{nooa}\"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
<saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"{id}\"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
</saml:Assertion>",
            id = escape(&self.assertion_id),
            now = instant(self.issue_instant),
            issuer = escape(&self.issuer),
            name_id = escape(&self.name_id),
            nooa = instant(self.not_on_or_after),
            nb = instant(self.not_before),
            recipient = escape(&self.recipient),
            audience = escape(&self.audience),
        )
    }

    /// The signed (as [`ResponseSpec::signing`] says) assertion alone: what
    /// a forger moves around in a wrapping attack.
    pub fn signed_assertion(&self, key: &SigningKey) -> Result<String, String> {
        let sign = matches!(self.signing, Signing::Assertion | Signing::Both);
        let xml = self.assertion_xml(sign);
        if sign { key.sign(&xml) } else { Ok(xml) }
    }

    /// The Response around `assertion` (already signed or not), signed itself
    /// when [`ResponseSpec::signing`] says so.
    pub fn response_with(&self, assertion: &str, key: &SigningKey) -> Result<String, String> {
        let sign = matches!(self.signing, Signing::Response | Signing::Both);
        let irt = self
            .in_response_to
            .as_deref()
            .map(|v| format!(" InResponseTo=\"{}\"", escape(v)))
            .unwrap_or_default();
        let destination = self
            .destination
            .as_deref()
            .map(|d| format!(" Destination=\"{}\"", escape(d)))
            .unwrap_or_default();
        let template = if sign {
            signature_template(&self.response_id)
        } else {
            String::new()
        };
        let xml = format!(
            "<samlp:Response xmlns:samlp=\"{PROTOCOL_NS}\" xmlns:saml=\"{ASSERTION_NS}\" ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\"{destination}{irt}><saml:Issuer>{}</saml:Issuer>{template}<samlp:Status><samlp:StatusCode Value=\"{}\"/></samlp:Status>{assertion}</samlp:Response>",
            escape(&self.response_id),
            instant(self.issue_instant),
            escape(&self.issuer),
            escape(&self.status),
        );
        if sign { key.sign(&xml) } else { Ok(xml) }
    }

    /// The whole Response, signed with `key` as [`ResponseSpec::signing`] says.
    pub fn to_xml(&self, key: &SigningKey) -> Result<String, String> {
        let assertion = if self.with_assertion {
            self.signed_assertion(key)?
        } else {
            String::new()
        };
        self.response_with(&assertion, key)
    }
}

/// Signature wrapping (XSW): forged Responses that keep a genuinely signed
/// assertion somewhere and put an unsigned one where a careless SP reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrapping {
    /// The forged assertion first, the signed one after it (both children of
    /// the Response).
    ForgedFirst,
    /// The signed assertion inside the forged one (where its signature was).
    SignedInsideForged,
    /// The signed assertion hidden in `<samlp:Extensions>`, the forged one
    /// where the assertion goes.
    SignedInExtensions,
}

impl Wrapping {
    pub const ALL: [Wrapping; 3] = [
        Wrapping::ForgedFirst,
        Wrapping::SignedInsideForged,
        Wrapping::SignedInExtensions,
    ];

    /// A Response for `genuine` (assertion signed by `key`, Response not
    /// signed) carrying a forged assertion for `forged_name_id` as this
    /// wrapping places it.
    pub fn forge(
        self,
        genuine: &ResponseSpec,
        forged_name_id: &str,
        key: &SigningKey,
    ) -> Result<String, String> {
        let mut genuine = genuine.clone();
        genuine.signing = Signing::Assertion;
        let signed = genuine.signed_assertion(key)?;
        let mut forged = genuine.clone();
        forged.assertion_id = super::new_id();
        forged.name_id = forged_name_id.to_owned();
        forged.signing = Signing::None;
        let forged_xml = forged.assertion_xml(false);
        let assertion = match self {
            Wrapping::ForgedFirst => format!("{forged_xml}{signed}"),
            Wrapping::SignedInsideForged => {
                let marker = "</saml:Issuer>";
                let at = forged_xml
                    .find(marker)
                    .ok_or_else(|| "no Issuer in the forged assertion".to_owned())?
                    + marker.len();
                format!("{}{signed}{}", &forged_xml[..at], &forged_xml[at..])
            }
            Wrapping::SignedInExtensions => forged_xml,
        };
        let mut response = genuine.response_with(&assertion, key)?;
        if self == Wrapping::SignedInExtensions {
            let at = response
                .find("<samlp:Status>")
                .ok_or_else(|| "no Status in the Response".to_owned())?;
            response.insert_str(
                at,
                &format!("<samlp:Extensions>{signed}</samlp:Extensions>"),
            );
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authn_request_round_trips() {
        let req = AuthnRequest {
            id: "_r1".into(),
            issue_instant: 1_796_464_800,
            issuer: "https://lf.example/saml/metadata".into(),
            acs_url: Some("https://lf.example/saml/consume?a=1&b=2".into()),
            destination: Some("http://idp/sso".into()),
        };
        assert_eq!(AuthnRequest::parse(&req.to_xml()).unwrap(), req);
        let other = req.to_xml().replace(
            BINDING_POST,
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact",
        );
        assert!(
            AuthnRequest::parse(&other)
                .unwrap_err()
                .contains("HTTP-POST")
        );
        for bad in [
            "<x/>",
            "",
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>",
        ] {
            assert!(AuthnRequest::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_response_is_well_formed_signed_where_asked() {
        let key = SigningKey::builtin();
        let mut spec = ResponseSpec::new(
            "idp",
            "alice@example.com",
            "sp",
            "http://sp/acs",
            Some("_r1"),
            1_796_464_800,
        );
        for signing in [
            Signing::None,
            Signing::Assertion,
            Signing::Response,
            Signing::Both,
        ] {
            spec.signing = signing;
            let xml = spec.to_xml(&key).unwrap();
            let doc = parse_message(&xml).unwrap();
            let signed = super::super::dsig::signed_elements(
                &doc,
                &xml,
                key.certificate(),
                Default::default(),
            );
            let expected = match signing {
                Signing::None => 0,
                Signing::Both => 2,
                _ => 1,
            };
            assert_eq!(signed.len(), expected, "{signing:?}");
        }
        for w in Wrapping::ALL {
            let xml = w.forge(&spec, "mallory@example.com", &key).unwrap();
            let doc = parse_message(&xml).unwrap();
            let signed = super::super::dsig::signed_elements(
                &doc,
                &xml,
                key.certificate(),
                Default::default(),
            );
            assert!(xml.contains("mallory@example.com"), "{w:?}");
            // The genuine signature still verifies wherever it was moved to
            // (what makes the attack worth trying) unless the library refuses the position.
            assert!(signed.len() <= 1, "{w:?}");
        }
    }
}
