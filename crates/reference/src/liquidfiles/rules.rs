//! LiquidFiles' documented rules (seeds 000 and 001), one table: what a
//! conforming server must do, each with the seed's words. The harness's
//! checks and `explore`'s model cite these (`crate::rule`).

use crate::provenance::{Rule, Seed, Source};

/// The XML login gives the user's API key.
pub const XML_LOGIN_RETURNS_THE_KEY: Rule = Rule {
    id: "liquidfiles.xml-login-returns-the-key",
    says: "POST /login with the user's email (or username) and password answers the user's api_key",
    source: Source::seed(Seed::LiquidFilesXml, "api_key: # String The users API key"),
};

/// `/saml/api` sends the browser to the IdP (seed 000).
pub const SAML_API_GOES_TO_THE_IDP: Rule = Rule {
    id: "liquidfiles.saml-api-goes-to-the-idp",
    says: "/saml/api sends the browser to the SAML identity provider with an AuthnRequest",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "If you open a browser window to /saml/api, the browser will be redirected to the SAML server for the user to complete the authentication.",
    ),
};

/// Only a successful IdP login ends on the success page (seed 000).
pub const SAML_KEY_ONLY_AFTER_AUTHENTICATION: Rule = Rule {
    id: "liquidfiles.saml-key-only-after-authentication",
    says: "only a user the IdP authenticated is sent back to the success page with a key, on the LiquidFiles system itself",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "Once successfully authenticated the user will be redirected back to the LiquidFiles system",
    ),
};

/// The RelayState of the HTTP-Redirect binding.
pub const SAML_RELAY_STATE_AT_MOST_80_BYTES: Rule = Rule {
    id: "liquidfiles.saml-relay-state-at-most-80-bytes",
    says: "the AuthnRequest's RelayState is at most 80 bytes",
    source: Source::standard(
        "SAML 2.0 Bindings",
        "3.4.3",
        "the value MUST NOT exceed 80 bytes in length",
    ),
};

/// A Response whose status is not Success logs nobody in.
pub const SAML_ONLY_SUCCESS_LOGS_IN: Rule = Rule {
    id: "liquidfiles.saml-only-success-logs-in",
    says: "a Response whose top-level StatusCode is not Success gives no key",
    source: Source::standard(
        "SAML 2.0 Core",
        "3.2.2.2",
        "urn:oasis:names:tc:SAML:2.0:status:Success The request succeeded.",
    ),
};

/// Over HTTP-POST the assertion is signed.
pub const SAML_ASSERTION_SIGNED: Rule = Rule {
    id: "liquidfiles.saml-assertion-signed",
    says: "an assertion delivered by HTTP-POST that neither it nor its Response signs gives no key",
    source: Source::standard(
        "SAML 2.0 Profiles",
        "4.1.3.5",
        "each assertion MUST be protected by a digital signature",
    ),
};

/// Signatures are verified against the IdP's key.
pub const SAML_SIGNATURE_VERIFIED: Rule = Rule {
    id: "liquidfiles.saml-signature-verified",
    says: "a signature that does not verify with the IdP's certificate (an altered assertion, another signer) gives no key",
    source: Source::standard(
        "SAML 2.0 Profiles",
        "4.1.4.3",
        "Verify any signatures present on the assertion(s) or the response",
    ),
};

/// The audience is this SP.
pub const SAML_AUDIENCE_IS_THIS_SP: Rule = Rule {
    id: "liquidfiles.saml-audience-is-this-sp",
    says: "an assertion whose AudienceRestriction does not name this service provider gives no key",
    source: Source::standard(
        "SAML 2.0 Profiles",
        "4.1.4.2",
        "MUST contain an <AudienceRestriction> including the service provider's unique identifier as an <Audience>",
    ),
};

/// NotBefore and NotOnOrAfter hold.
pub const SAML_WITHIN_VALIDITY: Rule = Rule {
    id: "liquidfiles.saml-within-validity",
    says: "an assertion used before its NotBefore or on or after its NotOnOrAfter gives no key",
    source: Source::standard(
        "SAML 2.0 Core",
        "2.5.1.2",
        "Specifies the time instant at which the assertion has expired.",
    ),
};

/// An assertion is used once.
pub const SAML_NO_REPLAY: Rule = Rule {
    id: "liquidfiles.saml-no-replay",
    says: "an assertion ID the service provider has accepted before gives no key again",
    source: Source::standard(
        "SAML 2.0 Profiles",
        "4.1.4.5",
        "The service provider MUST ensure that bearer assertions are not replayed",
    ),
};

/// The Response answers this login's AuthnRequest.
pub const SAML_IN_RESPONSE_TO_THIS_REQUEST: Rule = Rule {
    id: "liquidfiles.saml-in-response-to-this-request",
    says: "a Response whose InResponseTo is not the ID of this login's AuthnRequest gives no key",
    source: Source::standard(
        "SAML 2.0 Profiles",
        "4.1.4.3",
        "Verify that the InResponseTo attribute in the bearer <SubjectConfirmationData> equals the ID of its original <AuthnRequest> message",
    ),
};

/// The Response was meant for this assertion consumer service.
pub const SAML_SENT_TO_THIS_ACS: Rule = Rule {
    id: "liquidfiles.saml-sent-to-this-acs",
    says: "a Response whose Destination or bearer Recipient is another URL than this assertion consumer service gives no key",
    source: Source::standard(
        "SAML 2.0 Bindings",
        "3.5.5.2",
        "the Destination XML attribute in the root SAML element of the protocol message MUST contain the URL to which the sender has instructed the user agent to deliver the message",
    ),
};

/// What is read is what the signature covers.
pub const SAML_READS_WHAT_IS_SIGNED: Rule = Rule {
    id: "liquidfiles.saml-reads-what-is-signed",
    says: "an unsigned assertion wrapped around, beside or instead of a signed one gives no key (signature wrapping)",
    source: Source::standard(
        "SAML 2.0 Core",
        "5.4.2",
        "Signatures MUST contain a single <ds:Reference> containing a same-document reference to the ID attribute value of the root element of the assertion or protocol message being signed",
    ),
};

/// LiquidFiles' rules, seed 000 then seed 001, then the SAML service
/// provider's rules of `/saml/api` (the SAML 2.0 standard).
pub const ALL: &[&Rule] = &[
    &SAML_API_GOES_TO_THE_IDP,
    &SAML_KEY_ONLY_AFTER_AUTHENTICATION,
    &XML_LOGIN_RETURNS_THE_KEY,
    &SAML_RELAY_STATE_AT_MOST_80_BYTES,
    &SAML_ONLY_SUCCESS_LOGS_IN,
    &SAML_ASSERTION_SIGNED,
    &SAML_SIGNATURE_VERIFIED,
    &SAML_AUDIENCE_IS_THIS_SP,
    &SAML_WITHIN_VALIDITY,
    &SAML_NO_REPLAY,
    &SAML_IN_RESPONSE_TO_THIS_REQUEST,
    &SAML_SENT_TO_THIS_ACS,
    &SAML_READS_WHAT_IS_SIGNED,
];
