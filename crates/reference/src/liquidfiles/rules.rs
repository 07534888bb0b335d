//! LiquidFiles' documented rules (seeds 000 and 001), one table: what a
//! conforming server must do, each with the seed's words. The harness's
//! checks and `explore`'s model cite these (`crate::rule`).
//!
//! Only what the seeds say is here: no markup, status or header (those are the
//! reference server's choices, checked as reference checks), no mechanism for
//! the agent-port POST (a form, `fetch`, a redirect: seed 000 says only that a
//! POST is made), no shape of the JSON API beyond the parameter listing seed
//! 001 gives for `/login` (`user: email, password` in, `user: api_key` out).
//! `/saml/api`'s rules come last: seed 000's two sentences, then the rules
//! the SAML 2.0 standard sets a service provider (Core, Profiles, Bindings).

use crate::provenance::{Rule, Seed, Source};

// ----- seed 000: /session/api in a browser

/// `/session/api` in a browser starts the normal web login.
pub const BROWSER_LOGIN_PROMPT: Rule = Rule {
    id: "liquidfiles.browser-login-prompt",
    says: "opening /session/api in a web browser shows the login prompt, as the normal web browser login does",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "You simply open a web browser window the relative URL /session/api",
    ),
};

/// The end of a successful browser login says so.
pub const SUCCESS_MESSAGE: Rule = Rule {
    id: "liquidfiles.success-message",
    says: "at the end of a successful browser login the window shows a message that it succeeded (in the English product: Authenticated Successful)",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "there will be a Authenticated Successful message",
    ),
};

/// The key of a successful browser login is in a hidden div.
pub const API_KEY_DIV: Rule = Rule {
    id: "liquidfiles.api-key-div",
    says: "the success page holds the API key in <div class=\"d-none\" id=\"api_key\">",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "<div class=\"d-none\" id=\"api_key\">",
    ),
};

/// No key without completing the authentication (the right password, then
/// Strong 2FA where it is on).
pub const NO_KEY_WITHOUT_AUTHENTICATION: Rule = Rule {
    id: "liquidfiles.no-key-without-authentication",
    says: "the key is shown (and posted) only once the user has completed the authentication",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "You complete the authentication and at the end of it",
    ),
};

/// Strong 2FA comes before the key.
pub const STRONG_2FA_BEFORE_KEY: Rule = Rule {
    id: "liquidfiles.strong-2fa-before-key",
    says: "a user with Strong 2FA is prompted for the second factor before the API key is generated",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "users will be prompted to perform 2-Factor Authentication before authentication completes and the API key is generated",
    ),
};

/// With `agent_port`, a POST to the user's machine on that port.
pub const AGENT_PORT_POST: Rule = Rule {
    id: "liquidfiles.agent-port-post",
    says: "with agent_port, a successful login makes the browser POST the API key to localhost on agent_port",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "will trigger a HTTP POST to http://localhost:agent_port with the API key when the user has successfully authenticated",
    ),
};

/// The POST carries `api_key=KEY`.
pub const AGENT_PORT_BODY: Rule = Rule {
    id: "liquidfiles.agent-port-body",
    says: "the agent-port POST carries the key in parameter format, api_key=KEY",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "The response will be sent in parameter format, api_key=",
    ),
};

/// No `agent_port`, no POST.
pub const NO_POST_WITHOUT_AGENT_PORT: Rule = Rule {
    id: "liquidfiles.no-post-without-agent-port",
    says: "the agent-port POST happens only when agent_port is set",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "An Agent Port that when set will trigger a HTTP POST",
    ),
};

/// agent_name and agent_version go to the activity log.
pub const AGENT_IN_ACTIVITY_LOG: Rule = Rule {
    id: "liquidfiles.agent-in-activity-log",
    says: "agent_name and agent_version are written to Admin → Activity Log when the user logs in",
    source: Source::seed(
        Seed::LiquidFilesBrowser,
        "You can send Agent Name and Agent Version and it will be used for logging in Admin",
    ),
};

/// Keys from the browser login can expire.
pub const BROWSER_KEYS_EXPIRE: Rule = Rule {
    id: "liquidfiles.browser-keys-expire",
    says: "API keys from the User API Key authentication can expire",
    source: Source::seed(Seed::LiquidFilesBrowser, "Enabling Expiration for API Keys"),
};

// ----- seed 001: POST /login

/// The XML login gives the user's API key.
pub const XML_LOGIN_RETURNS_THE_KEY: Rule = Rule {
    id: "liquidfiles.xml-login-returns-the-key",
    says: "POST /login with the user's email (or username) and password answers the user's api_key",
    source: Source::seed(Seed::LiquidFilesXml, "api_key: # String The users API key"),
};

/// The answer's shape: `<user><api_key>`.
pub const XML_ANSWER_SHAPE: Rule = Rule {
    id: "liquidfiles.xml-answer-shape",
    says: "the XML answer is <user><api_key>KEY</api_key></user>",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "<user> <api_key>4i1Rkf3pkxu0OCRuSuTMqE</api_key> </user>",
    ),
};

/// The documented request is sent as `text/xml`: the server takes it so.
pub const XML_AS_TEXT_XML: Rule = Rule {
    id: "liquidfiles.xml-as-text-xml",
    says: "POST /login takes the XML sent with Content-Type: text/xml, as the document's curl example sends it (no 415)",
    source: Source::seed(Seed::LiquidFilesXml, "-H 'Content-Type: text/xml'"),
};

/// The username (LDAP) instead of the email.
pub const USERNAME_INSTEAD_OF_EMAIL: Rule = Rule {
    id: "liquidfiles.username-instead-of-email",
    says: "<email> takes the email or the username the user logs in with",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "You can use any string that the user normally logs in with on the login page",
    ),
};

/// Decimal character references in the password.
pub const DECIMAL_CHARACTER_REFERENCES: Rule = Rule {
    id: "liquidfiles.decimal-character-references",
    says: "characters beyond a-z, A-Z and 0-9 are sent as decimal character references: aBcD0123&$ as aBcD0123&#38;&#36;",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "So a password of aBcD0123&$ is encoded to: aBcD0123&#38;&#36;",
    ),
};

/// Hexadecimal character references are character references of XML.
pub const HEX_CHARACTER_REFERENCES: Rule = Rule {
    id: "liquidfiles.hex-character-references",
    says: "the body is XML, where &#x26; is a character reference as &#38; is",
    source: Source::standard(
        "XML 1.0",
        "4.1",
        "CharRef ::= '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'",
    ),
};

/// A raw `&` is not XML.
pub const RAW_AMPERSAND_FAILS: Rule = Rule {
    id: "liquidfiles.raw-ampersand-fails",
    says: "a password with a raw & in the XML fails",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "any password with a ampersand '&', a dollar '$' and many other special characters will fail with the above example code",
    ),
};

/// The key is the user's, whatever reads it.
pub const KEY_DOES_NOT_CHANGE: Rule = Rule {
    id: "liquidfiles.key-does-not-change",
    says: "the user's API key does not change: every login answers the same key",
    source: Source::seed(Seed::LiquidFilesXml, "The API key doesn't change."),
};

/// The key needs the user's password.
pub const NO_KEY_WITHOUT_PASSWORD: Rule = Rule {
    id: "liquidfiles.no-key-without-password",
    says: "the key is retrieved with the user's username and password: a wrong or missing password gets none",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "we are using the users username and password to retreive the API key",
    ),
};

/// LiquidFiles v3 has a JSON API in place of the XML one, with the same
/// parameters (`user: email, password`) and answer (`user: api_key`).
pub const JSON_LOGIN_RETURNS_THE_KEY: Rule = Rule {
    id: "liquidfiles.json-login-returns-the-key",
    says: "v3's JSON API takes the same user: email, password and answers user: api_key",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "deprecated in favour of the JSON API that's available in LiquidFiles v3.x onwards",
    ),
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
/// provider's rules of `/saml/api` (seed 000 and the SAML 2.0 standard):
/// [`SESSION_AND_LOGIN`] then [`SAML`].
pub const ALL: [&[&Rule]; 2] = [SESSION_AND_LOGIN, SAML];

/// The rules of `/session/api` and of the XML and JSON logins.
pub const SESSION_AND_LOGIN: &[&Rule] = &[
    &BROWSER_LOGIN_PROMPT,
    &SUCCESS_MESSAGE,
    &API_KEY_DIV,
    &NO_KEY_WITHOUT_AUTHENTICATION,
    &STRONG_2FA_BEFORE_KEY,
    &AGENT_PORT_POST,
    &AGENT_PORT_BODY,
    &NO_POST_WITHOUT_AGENT_PORT,
    &AGENT_IN_ACTIVITY_LOG,
    &BROWSER_KEYS_EXPIRE,
    &XML_LOGIN_RETURNS_THE_KEY,
    &XML_ANSWER_SHAPE,
    &XML_AS_TEXT_XML,
    &USERNAME_INSTEAD_OF_EMAIL,
    &DECIMAL_CHARACTER_REFERENCES,
    &HEX_CHARACTER_REFERENCES,
    &RAW_AMPERSAND_FAILS,
    &KEY_DOES_NOT_CHANGE,
    &NO_KEY_WITHOUT_PASSWORD,
    &JSON_LOGIN_RETURNS_THE_KEY,
];

/// The rules of `/saml/api`: seed 000's, then the SAML 2.0 standard's for a
/// service provider.
pub const SAML: &[&Rule] = &[
    &SAML_API_GOES_TO_THE_IDP,
    &SAML_KEY_ONLY_AFTER_AUTHENTICATION,
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
