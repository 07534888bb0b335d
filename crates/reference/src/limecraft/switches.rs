//! Limecraft Flow's choices where seed 003 is silent, each a switch
//! (`crate::switch`). The first value is the reference server's; the others
//! are what another conforming server would answer, such as the Spring Boot
//! service the document's Java types (Long, int32, "Date") suggest, or one
//! that follows the document's own sample client. `variant.rs` applies the
//! wire-level ones; the store reads the rest (`store.rs`).

use crate::provenance::{Seed, Source, Switch};

const fn seed(quote: &'static str) -> Source {
    Source::seed(Seed::Limecraft, quote)
}

/// The login's success: the example's three fields, or the one the sentence
/// after it names (`{"token"}`, and `needsSecondToken` only when it is true).
pub const LOGIN_BODY: Switch = Switch {
    name: "limecraft.login-body",
    values: &["full", "token-only"],
    what: "the login's 200 body: {needsSecondToken, status, token}, or {token} (needsSecondToken only when true)",
    silence: seed(
        "However, if you provide the correct username/password combination, the response is",
    ),
};

/// Error bodies but the login's 401: the envelope, or Spring Boot's
/// `{timestamp, status, error, message, path}`.
pub const ERROR_BODY: Switch = Switch {
    name: "limecraft.error-body",
    values: &["envelope", "spring"],
    what: "the body of every error but the login's 401 (the only one the document shows)",
    silence: seed("In case of wrong credentials provided, you can expect the following response:"),
};

/// GET /authentication/user without a valid token: 401, or Spring Security's
/// 403 for an anonymous caller.
pub const REFUSED_TOKEN_STATUS: Switch = Switch {
    name: "limecraft.refused-token-status",
    values: &["401", "403"],
    what: "the status of GET /authentication/user without a valid token",
    silence: seed("200 User is logged in."),
};

/// 2fa/validate's refusal: 401 and the envelope, or 200 with a RestToken
/// `{message, needsSecondToken: true, status: <4xx>, token: null}`.
pub const VALIDATE_REFUSAL: Switch = Switch {
    name: "limecraft.validate-refusal",
    values: &["401", "200-rest-token"],
    what: "how 2fa/validate refuses a code or a token",
    silence: seed("0 default response"),
};

/// Optional fields: left out, or written as `null` (Jackson's default), with
/// one field the document does not list (`language`).
pub const OPTIONAL_FIELDS: Switch = Switch {
    name: "limecraft.optional-fields",
    values: &["omitted", "null"],
    what: "optional fields of the User and the RestToken without a value, and an extra User field",
    silence: seed("object, of which the most important properties are id"),
};

/// Logout without a live token: 401, or 200 (nothing to end).
pub const LOGOUT_WITHOUT_SESSION: Switch = Switch {
    name: "limecraft.logout-without-session",
    values: &["401", "200"],
    what: "the answer to a logout whose token is not a live session",
    silence: seed("200 User has logged-out"),
};

/// Which TOTP codes the server checks: the advertised algorithm's and the
/// sample client's SHA-1 ones, only the advertised (SHA512), or only SHA-1
/// as the sample computes them while SHA512 is advertised.
pub const TOTP_ALGORITHM: Switch = Switch {
    name: "limecraft.totp-algorithm",
    values: &["advertised-and-sample", "advertised", "sample"],
    what: "the TOTP codes 2fa/validate accepts: the advertised SHA512's and the sample client's SHA-1, one of them only",
    silence: seed(
        "const code = totp('ABCDEFGHIJKLM', {digits: 6, algorithm: 'SHA-1', period: 30})",
    ),
};

/// GET /authentication/user with a 2FA login's temporary token: refused, or
/// answered with the User (the token proves the password).
pub const TEMPORARY_TOKEN_USER: Switch = Switch {
    name: "limecraft.temporary-token-user",
    values: &["refused", "answers-user"],
    what: "GET /authentication/user with the temporary token of a login that waits for its second factor",
    silence: seed(
        "The temporary access token obtained from the first-stage /authentication/login is used to provide the proper context.",
    ),
};

/// enable2fa for an unknown id by a caller without SUPPORT rights: 404
/// (existence first), or 403 (permission first).
pub const ENABLE2FA_PRECEDENCE: Switch = Switch {
    name: "limecraft.enable2fa-precedence",
    values: &["unknown-404-first", "permission-403-first"],
    what: "enable2fa for an unknown id by a caller without SUPPORT rights: 404 or 403",
    silence: seed("404 The user was not found."),
};

/// Re-enabling one's own second factor: proof of the current one (a code
/// as `token`), or `redo: true`.
pub const RE_ENABLE: Switch = Switch {
    name: "limecraft.re-enable",
    values: &["current-code", "redo-flag"],
    what: "what enable2fa needs when the caller's own second factor is already on",
    silence: seed("Run again, even if the workflow already ran in this context."),
};

/// A SUPPORT user's enable2fa for another user whose second factor is
/// already on: SUPPORT rights alone (the 403's sentence names nothing more),
/// or what the user would need to replace her own (`re-enable`: a current
/// code, or `redo`), so that a stolen SUPPORT session cannot swap anyone's
/// authenticator either.
pub const SUPPORT_RE_ENABLE: Switch = Switch {
    name: "limecraft.support-re-enable",
    values: &["rights-alone", "as-own"],
    what: "what a SUPPORT user's enable2fa needs for another user whose second factor is already on: SUPPORT rights alone, or what that user would need (limecraft.re-enable)",
    silence: seed("The user can only request his own invitations or needs SUPPORT rights."),
};

/// When enable2fa turns the second factor on: at once, or once the user
/// confirms the new key with a first code, either by 2fa/validate with her
/// session token or by enable2fa again with `type:
/// TWO_FA_AUTHENTICATOR_ENABLING` and the code as `token` (the request's
/// fields suggest both; the document shows neither).
pub const ENABLE2FA_CONFIRM: Switch = Switch {
    name: "limecraft.enable2fa-confirm",
    values: &["at-once", "validate-code", "enable-type-code"],
    what: "whether enable2fa turns 2FA on at once, or once a first code confirms it: by 2fa/validate with the user's session token, or by enable2fa with type TWO_FA_AUTHENTICATOR_ENABLING and the code as token",
    silence: seed(
        "TWO_FA_AUTHENTICATOR, TWO_FA_AUTHENTICATOR_ENABLING, TWO_FA_AUTHENTICATOR_DISABLING",
    ),
};

/// Time steps a code may be off: one either side (RFC 6238 §5.2's
/// recommendation), or none.
pub const CODE_WINDOW: Switch = Switch {
    name: "limecraft.code-window",
    values: &["1", "0"],
    what: "how many 30 s steps before or after now a code is still accepted",
    silence: seed("2FA depends on clocks being properly synced."),
};

/// Whose used time steps a code is checked against (RFC 6238 §5.2: a code
/// is good once): the key's, so a new key's first code may share the period
/// of the old key's last, or the account's, kept across a new enrolment.
pub const TOTP_REPLAY: Switch = Switch {
    name: "limecraft.totp-replay",
    values: &["key", "account"],
    what: "whether the steps already used are kept for each key or for the user across a new enrolment",
    silence: seed("Run again, even if the workflow already ran in this context."),
};

/// Wrong codes a temporary token may send before it ends: 5, or 1.
pub const WRONG_CODE_ATTEMPTS: Switch = Switch {
    name: "limecraft.wrong-code-attempts",
    values: &["5", "1"],
    what: "how many wrong codes end a login's temporary token",
    silence: seed("The client must generate the one-time password verification code"),
};

/// User dates: RFC 3339 strings, or Jackson's default epoch milliseconds.
pub const DATE_FORMAT: Switch = Switch {
    name: "limecraft.date-format",
    values: &["rfc3339", "epoch-millis"],
    what: "how the User's Date fields are written",
    silence: seed("created ✘ Date The time when this resource was created date-time"),
};

/// The session cookie: set by the login and validate (`HttpOnly;
/// SameSite=Lax; Path=/`), set `Secure; HttpOnly; SameSite=Strict`, or
/// never (a client sends it itself).
pub const SESSION_COOKIE: Switch = Switch {
    name: "limecraft.session-cookie",
    values: &["set", "secure-strict", "not-set"],
    what: "whether a final token also comes as a Set-Cookie MOJITO_SESSION_ID_V2, and its attributes",
    silence: seed("Either as a cookie: MOJITO_SESSION_ID_V2=THE_TOKEN"),
};

/// The redirect to `redirectIfPassword`: 302 Found, or 303 See Other.
pub const REDIRECT_STATUS: Switch = Switch {
    name: "limecraft.redirect-status",
    values: &["302", "303"],
    what: "the status of the login's redirect to redirectIfPassword",
    silence: seed("The user will be redirected to the `redirectIfPassword` location"),
};

/// Limecraft's switches, in the order `authconform switches` lists them.
pub const ALL: &[&Switch] = &[
    &LOGIN_BODY,
    &ERROR_BODY,
    &REFUSED_TOKEN_STATUS,
    &VALIDATE_REFUSAL,
    &OPTIONAL_FIELDS,
    &LOGOUT_WITHOUT_SESSION,
    &TOTP_ALGORITHM,
    &TEMPORARY_TOKEN_USER,
    &ENABLE2FA_PRECEDENCE,
    &RE_ENABLE,
    &SUPPORT_RE_ENABLE,
    &ENABLE2FA_CONFIRM,
    &CODE_WINDOW,
    &TOTP_REPLAY,
    &WRONG_CODE_ATTEMPTS,
    &DATE_FORMAT,
    &SESSION_COOKIE,
    &REDIRECT_STATUS,
];
