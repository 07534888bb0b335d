//! LiquidFiles' choices where seeds 000 and 001 are silent, each a switch
//! (`crate::switch`). The first value is the reference server's; the others
//! are what another conforming LiquidFiles (a Rails application, as the
//! product is, or one written from the documents alone) would answer. The
//! pages (`pages.rs`, `mod.rs`) read the markup, flow and callback switches;
//! the `/login` handlers the login and refusal ones; `saml.rs` the SAML ones.
//!
//! Every documented rule holds whatever the switches: the success page says
//! the authentication succeeded (in English in one of the seed's spellings,
//! or in the language the UI is set to) and holds the key in
//! `div#api_key`, with `agent_port` the browser POSTs `api_key=KEY` to the
//! user's machine on that port, Strong 2FA comes before the key, the activity
//! log has the agent, and each `POST /login` that exists answers the user's
//! one key.

use crate::provenance::{Seed, Source, Switch};

/// Seed 000 describes the login as a person sees it, no markup.
const LOGIN_PROMPT: Source = Source::seed(
    Seed::LiquidFilesBrowser,
    "it's possible to match the normal web browser login",
);

/// Seed 000 says a POST is made; not by what.
const CALLBACK: Source = Source::seed(
    Seed::LiquidFilesBrowser,
    "once a user successfully authenticates, a HTTP POST will be made to",
);

/// Seed 001 shows the request and the answer, no error.
const XML_ONLY_SUCCESS: Source = Source::seed(Seed::LiquidFilesXml, "Example Response");

/// The login form's markup: the reference's (`form#login`, `user`,
/// `password`, a hidden `login_id`, a `<button>`), a Rails form
/// (`user[email]`, `user[password]`, `user[otp_attempt]`, hidden
/// `authenticity_token` and `utf8` tied to a session cookie, `<input
/// type=submit name=commit>`), or one that uses what else HTML gives a form
/// (`html5`): the `login_id` outside the form joined to it by `form="…"`, a
/// per-login state in a hidden `<textarea>`, a `<select>` of the account
/// realm (its second option selected) and one of the language (none
/// selected: the first is sent), and the real action on the button
/// (`formaction`, `formmethod`) while the form's own `action` is a GET to a
/// help page. The server wants each of them back, as a browser sends them
/// (WHATWG HTML, "constructing the entry list").
pub const FORM_MARKUP: Switch = Switch {
    name: "liquidfiles.form-markup",
    values: &["reference", "rails", "html5"],
    what: "the forms' markup and field names (rails: a CSRF token tied to a session cookie; html5: form=, <select>, <textarea>, formaction)",
    silence: LOGIN_PROMPT,
};

/// The login on one page, on two (the email, then the password), or the
/// user name, the password and the Strong 2FA code in one form
/// (`with-code`): a user without 2FA leaves the code empty, a user with it
/// who leaves it empty (or types a wrong one) gets the same form again,
/// asking for all three. Seed 000 says the 2FA prompt comes before the key,
/// not that it is a page of its own.
pub const LOGIN_STEPS: Switch = Switch {
    name: "liquidfiles.login-steps",
    values: &["one-page", "two-step", "with-code"],
    what: "whether the user name and the password are asked on one page or two, or with the two-factor code in the same form",
    silence: LOGIN_PROMPT,
};

/// No honeypot, or a text box hidden off screen before the user box (a
/// login that fills it is refused, as bots' are).
pub const HONEYPOT: Switch = Switch {
    name: "liquidfiles.honeypot",
    values: &["none", "off-screen-field"],
    what: "a honeypot text box, hidden off screen, before the user box",
    silence: LOGIN_PROMPT,
};

/// Each form answers with the next page, or redirects (303) to it.
pub const FLOW: Switch = Switch {
    name: "liquidfiles.flow",
    values: &["same-url", "post-redirect-get"],
    what: "whether a form's POST answers with the next page or 303s to it (Post/Redirect/Get, a session cookie)",
    silence: LOGIN_PROMPT,
};

/// The success page straight away, or an interstitial page first that moves
/// on by `<meta http-equiv=refresh>` or by script.
pub const INTERSTITIAL: Switch = Switch {
    name: "liquidfiles.interstitial",
    values: &["none", "meta-refresh", "script-redirect"],
    what: "a page before the success page that moves on by itself",
    silence: Source::seed(
        Seed::LiquidFilesBrowser,
        "The tricky bit will be to capture the browser window when the authentication is completed",
    ),
};

/// The success page's words: "Authentication Successful" as a heading,
/// the seed's other spelling "Authenticated Successful", the heading
/// broken over two lines, or a translated UI's (German: "Authentifizierung
/// erfolgreich", `lang="de"`). The seed shows the English product; a
/// LiquidFiles set to another language says it in that one.
pub const SUCCESS_TEXT: Switch = Switch {
    name: "liquidfiles.success-text",
    values: &["heading", "authenticated", "line-break", "translated"],
    what: "how the success page writes Authentication Successful",
    silence: Source::seed(
        Seed::LiquidFilesBrowser,
        "there will be a Authenticated Successful message",
    ),
};

/// How the page makes the POST: a form submitted by an inline script, a
/// Rails form (extra hidden fields), or `fetch`.
pub const CALLBACK_BY: Switch = Switch {
    name: "liquidfiles.callback-by",
    values: &["form-script", "rails-form", "fetch"],
    what: "how the success page makes the agent-port POST",
    silence: CALLBACK,
};

/// Where the POST goes: `http://localhost:P/`, `http://127.0.0.1:P/`, or the
/// seed's own prose, `https://localhost:P`.
pub const CALLBACK_URL: Switch = Switch {
    name: "liquidfiles.callback-url",
    values: &["http-localhost", "http-127.0.0.1", "https-localhost"],
    what: "the URL of the agent-port POST (the table says http, the prose https)",
    silence: Source::seed(
        Seed::LiquidFilesBrowser,
        "a HTTP POST will be made to https://localhost:12345",
    ),
};

/// The second factor's box: `code`, a Rails `tel` box, six one-digit boxes,
/// a password-type box, or the code with a device name.
pub const OTP_INPUT: Switch = Switch {
    name: "liquidfiles.otp-input",
    values: &[
        "code",
        "rails-tel",
        "six-boxes",
        "password-type",
        "with-device-name",
    ],
    what: "the second factor's form: its box or boxes and their names",
    silence: Source::seed(
        Seed::LiquidFilesBrowser,
        "users will be prompted to perform 2-Factor Authentication",
    ),
};

/// A page beside the login's own form: none, or a site search box before it.
pub const LAYOUT: Switch = Switch {
    name: "liquidfiles.layout",
    values: &["bare", "search-form"],
    what: "a site search form (one text box) before every page's own form",
    silence: LOGIN_PROMPT,
};

/// A refused password or code: 401 with the form, or 200 with the form.
pub const REFUSAL: Switch = Switch {
    name: "liquidfiles.refusal",
    values: &["401-form", "200-form"],
    what: "the status of the login or two-factor form shown again after a refusal",
    silence: LOGIN_PROMPT,
};

/// An `agent_port` that is not a port: a 400 page, ignored (no callback),
/// or read as Rails' `to_i` does ("80x" is 80, "abc" none).
pub const AGENT_PORT_CHECK: Switch = Switch {
    name: "liquidfiles.agent-port-check",
    values: &["refuse", "ignore", "coerce"],
    what: "what an agent_port that is not a whole number from 1 to 65535 does",
    silence: Source::seed(Seed::LiquidFilesBrowser, "agent_port Integer (optional)"),
};

/// The headers of the pages: CSP, no-store, no-referrer and DENY, or none.
pub const SECURITY_HEADERS: Switch = Switch {
    name: "liquidfiles.security-headers",
    values: &["strict", "none"],
    what: "Content-Security-Policy, Cache-Control, Referrer-Policy and X-Frame-Options on the pages",
    silence: LOGIN_PROMPT,
};

/// The canonical host: answer on any host name, or redirect the login page
/// to `localhost` (an installation with one canonical name).
pub const CANONICAL_HOST: Switch = Switch {
    name: "liquidfiles.canonical-host",
    values: &["any", "localhost"],
    what: "whether /session/api redirects to a canonical host name first",
    silence: Source::seed(
        Seed::LiquidFilesBrowser,
        "i.e. if your LiquidFiles installation is",
    ),
};

/// Which `POST /login` exists: both, the XML one (v2), the JSON one (v3
/// without the deprecated XML API).
pub const LOGINS: Switch = Switch {
    name: "liquidfiles.logins",
    values: &["both", "xml-only", "json-only"],
    what: "which POST /login APIs the server offers",
    silence: Source::seed(
        Seed::LiquidFilesXml,
        "The XML API is only fully functional on LiquidFiles v2.x",
    ),
};

/// A Strong 2FA user's key with the password alone: given, or refused
/// (only the browser login, with its second factor, gives them a key).
pub const TWOFACTOR_KEY_LOGIN: Switch = Switch {
    name: "liquidfiles.twofactor-key-login",
    values: &["allowed", "refused"],
    what: "whether POST /login gives a Strong 2FA user a key with the password alone",
    silence: Source::seed(
        Seed::LiquidFilesBrowser,
        "Enabling support for strong two-factor authentication (2FA).",
    ),
};

/// `POST /login`'s errors: `<errors><error>` with 401 and 400, or
/// `<error><message>` with 403 and 422.
pub const XML_ERRORS: Switch = Switch {
    name: "liquidfiles.xml-errors",
    values: &["errors-401", "message-403"],
    what: "the body and status of a refused POST /login",
    silence: XML_ONLY_SUCCESS,
};

/// Seed 000 says the browser goes to the SAML server and comes back; not
/// how the AuthnRequest travels or what a refused answer shows.
const SAML_ROUND_TRIP: Source = Source::seed(
    Seed::LiquidFilesBrowser,
    "the browser will be redirected to the SAML server for the user to complete the authentication",
);

/// How `/saml/api` sends the AuthnRequest: the HTTP-Redirect binding (a 302
/// with `SAMLRequest` in the query, SAML Bindings §3.4) or the HTTP-POST
/// binding (a page that posts it, §3.5).
pub const SAML_BINDING: Switch = Switch {
    name: "liquidfiles.saml-binding",
    values: &["redirect", "post"],
    what: "the binding /saml/api sends the AuthnRequest by (HTTP-Redirect or HTTP-POST)",
    silence: SAML_ROUND_TRIP,
};

/// A Response the SP refuses: an error page saying why, or a 303 back to
/// the login page (as a Rails application with a flash message would).
pub const SAML_REFUSAL: Switch = Switch {
    name: "liquidfiles.saml-refusal",
    values: &["error-page", "303-login"],
    what: "what a refused SAML Response answers (an error page, or a 303 to /session/api)",
    silence: SAML_ROUND_TRIP,
};

/// LiquidFiles' switches, in the order `authconform switches` lists them.
pub const ALL: &[&Switch] = &[
    &FORM_MARKUP,
    &LOGIN_STEPS,
    &HONEYPOT,
    &FLOW,
    &INTERSTITIAL,
    &SUCCESS_TEXT,
    &CALLBACK_BY,
    &CALLBACK_URL,
    &OTP_INPUT,
    &LAYOUT,
    &REFUSAL,
    &AGENT_PORT_CHECK,
    &SECURITY_HEADERS,
    &CANONICAL_HOST,
    &LOGINS,
    &TWOFACTOR_KEY_LOGIN,
    &XML_ERRORS,
    &SAML_BINDING,
    &SAML_REFUSAL,
];
