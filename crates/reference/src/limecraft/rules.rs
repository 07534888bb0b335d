//! Limecraft Flow's documented rules (seed 003), one table: what a conforming
//! server must do, each with the seed's words (or a standard's, where the
//! seed relies on one). The harness's checks, the faults and `explore`'s
//! model cite these (`crate::rule`); several checks may cite one rule.

use crate::provenance::{Rule, Seed, Source};

const fn seed(quote: &'static str) -> Source {
    Source::seed(Seed::Limecraft, quote)
}

// ---------------------------------------------------------------- login

/// The login reads JSON and form parameters alike.
pub const LOGIN_FORM_OR_JSON: Rule = Rule {
    id: "limecraft.login-form-or-json",
    says: "the login takes its parameters as a form or as a JSON body",
    source: seed(
        "The body of the request can be either form parameters, but an 'application/json' request with a json body is also accepted",
    ),
};

/// The email logs in as the username does.
pub const LOGIN_WITH_EMAIL: Rule = Rule {
    id: "limecraft.login-with-email",
    says: "a user logs in with the username or the email address",
    source: seed("Log in with your username (or email address) and password"),
};

/// The right username (or email) and password give a token.
pub const LOGIN_RETURNS_A_TOKEN: Rule = Rule {
    id: "limecraft.login-returns-a-token",
    says: "a login with the right credentials answers 200 with a JSON object with a token field",
    source: seed("This call returns a JSON object with a token field"),
};

/// Only the right credentials give a token.
pub const TOKEN_ONLY_FOR_RIGHT_CREDENTIALS: Rule = Rule {
    id: "limecraft.token-only-for-right-credentials",
    says: "only the correct username and password return a token",
    source: seed("Provided the correct username and password, it returns the token"),
};

/// Wrong credentials: 401 and the UnauthorizedError envelope.
pub const WRONG_CREDENTIALS_ENVELOPE: Rule = Rule {
    id: "limecraft.wrong-credentials-envelope",
    says: "wrong credentials get 401 and the UnauthorizedError envelope {type, code, errorNumber, message, data}",
    source: seed("In case of wrong credentials provided, you can expect the following response:"),
};

/// An unauthorized or disabled account: 401.
pub const UNAUTHORIZED_OR_DISABLED_401: Rule = Rule {
    id: "limecraft.unauthorized-or-disabled-401",
    says: "a login of an unauthorized or disabled account answers 401",
    source: seed("401 The account is unauthorized or disabled."),
};

/// A locked account: 403.
pub const LOCKED_403: Rule = Rule {
    id: "limecraft.locked-403",
    says: "a login of a locked account answers 403",
    source: seed("403 The account is locked."),
};

/// Without a password, to `redirectIfPassword`.
pub const REDIRECT_IF_PASSWORD: Rule = Rule {
    id: "limecraft.redirect-if-password",
    says: "a login without a password redirects to redirectIfPassword when it is given",
    source: seed(
        "The user will be redirected to the `redirectIfPassword` location if no password is provided",
    ),
};

/// redirectIfOk, redirectIfFailed, redirectIfSaml are SAML's; optional.
pub const SAML_REDIRECTS_OPTIONAL: Rule = Rule {
    id: "limecraft.saml-redirects-optional",
    says: "the SAML redirect parameters are optional and for SAML-based authentication: a password login or a logout with them still works",
    source: seed(
        "For saml based authentication. After successful authentication, the browser will be redirected to redirectIfOk location.",
    ),
};

/// A session lasts 1 hour, 1 week with rememberMe.
pub const SESSION_LIFETIME: Rule = Rule {
    id: "limecraft.session-lifetime",
    says: "a token lasts 1 hour, or 1 week when rememberMe is set",
    source: seed(
        "If `rememberMe` is set, the token generated with this call is has a timeout of 1 week instead of 1 hour.",
    ),
};

// ---------------------------------------------------------------- tokens

/// Header, query string, cookie.
pub const TOKEN_TRANSPORTS: Rule = Rule {
    id: "limecraft.token-transports",
    says: "the token authenticates a call in the Authorization header (Bearer), the access_token query parameter or the MOJITO_SESSION_ID_V2 cookie",
    source: seed("should be used in all subsequent calls in one of the following methods"),
};

/// Header names are case-insensitive.
pub const HEADER_NAMES_ANY_CASE: Rule = Rule {
    id: "limecraft.header-names-any-case",
    says: "the Authorization header is read whatever the case of its name",
    source: Source::standard("RFC 9110", "5.1", "Field names are case-insensitive"),
};

/// A call needs the token.
pub const TOKEN_REQUIRED: Rule = Rule {
    id: "limecraft.token-required",
    says: "a call without a token the server issued (or with one that ended) is not authenticated: no User",
    source: seed(
        "It is this access token that must be used for accessing the API with each subsequent call.",
    ),
};

/// A token that is not one the server issued.
pub const INVALID_BEARER_REFUSED: Rule = Rule {
    id: "limecraft.invalid-bearer-refused",
    says: "a Bearer token that is malformed or was never issued is refused",
    source: Source::standard(
        "RFC 6750",
        "3.1",
        "The access token provided is expired, revoked, malformed, or invalid for other reasons.",
    ),
};

/// GET /authentication/user: 200 with the caller's User.
pub const USER_OF_THE_TOKEN: Rule = Rule {
    id: "limecraft.user-of-the-token",
    says: "GET /authentication/user answers 200 with the User the token belongs to (id, username, email)",
    source: seed("Access tokens can be validated at any time with the following API call."),
};

/// The User's required fields and their types.
pub const USER_FIELDS: Rule = Rule {
    id: "limecraft.user-fields",
    says: "the User has email and username (strings) and an integer (Long) id",
    source: seed("id ✔ Long The id of this resource int64"),
};

// ---------------------------------------------------------------- enable2fa

/// enable2fa turns two-factor authentication on.
pub const ENABLE2FA_ENABLES: Rule = Rule {
    id: "limecraft.enable2fa-enables",
    says: "POST /user/{id}/enable2fa on one's own id answers 200 and turns two-factor authentication on (at once, or once a first code confirms the new key)",
    source: seed("To enable it, on a user level, you can use this call"),
};

/// Its answer holds the key a code is generated from.
pub const ENABLE2FA_ANSWERS_THE_KEY: Rule = Rule {
    id: "limecraft.enable2fa-answers-the-key",
    says: "enable2fa answers the key (base32, as the document's sample library reads it) and the TOTP parameters",
    source: seed(
        "When enabling two-factor authentication for a particular, the API will return the following data:",
    ),
};

/// Another user's id without SUPPORT rights: 403; with them: allowed.
pub const ENABLE2FA_OWN_OR_SUPPORT: Rule = Rule {
    id: "limecraft.enable2fa-own-or-support",
    says: "enable2fa for another user answers 403 without SUPPORT rights, and is allowed with them",
    source: seed("403 The user can only request his own invitations or needs SUPPORT rights."),
};

/// An unknown user: 404.
pub const ENABLE2FA_UNKNOWN_404: Rule = Rule {
    id: "limecraft.enable2fa-unknown-404",
    says: "enable2fa for a user who does not exist answers 404 (or 403 to a caller without SUPPORT rights, who may not ask at all)",
    source: seed("404 The user was not found."),
};

/// `redo`: run again.
pub const ENABLE2FA_REDO: Rule = Rule {
    id: "limecraft.enable2fa-redo",
    says: "enable2fa with redo true runs again when two-factor authentication is already on",
    source: seed("Run again, even if the workflow already ran in this context."),
};

// ---------------------------------------------------------------- the second factor

/// A 2FA login: needsSecondToken true and a temporary token.
pub const NEEDS_SECOND_TOKEN: Rule = Rule {
    id: "limecraft.needs-second-token",
    says: "a login of a user with two-factor authentication answers needsSecondToken true with a temporary token; a login without it never says true",
    source: seed(
        "instead of only getting the token an additional needsSecondToken property is provided, indicating that further authentication is required.",
    ),
};

/// Codes from the advertised data (or as the sample computes them).
pub const CODE_FROM_ADVERTISED_DATA: Rule = Rule {
    id: "limecraft.code-from-advertised-data",
    says: "a code generated from enable2fa's data, with the advertised parameters or as the document's sample computes it (SHA-1, 6 digits, 30 s), is accepted",
    source: seed(
        "Using this information, the one-time password verification code can be generated.",
    ),
};

/// Validate takes the temporary token (header or query).
pub const VALIDATE_WITH_THE_TEMPORARY_TOKEN: Rule = Rule {
    id: "limecraft.validate-with-the-temporary-token",
    says: "2fa/validate is authenticated by the login's temporary token, in the Bearer header or access_token; without it, no final token",
    source: seed(
        "authenticating that call with the access token received from the initial login call",
    ),
};

/// Validate answers the final token.
pub const VALIDATE_GIVES_THE_FINAL_TOKEN: Rule = Rule {
    id: "limecraft.validate-gives-the-final-token",
    says: "2fa/validate with the right code answers a RestToken with the final access token",
    source: seed(
        "in order to obtain a final access token that can be used for subsequent API access",
    ),
};

/// A wrong or out-of-sync code fails.
pub const WRONG_CODE_FAILS: Rule = Rule {
    id: "limecraft.wrong-code-fails",
    says: "a code that does not match (wrong, or from a clock out of sync) gives no final token",
    source: seed("their 2FA codes will not match and login will fail"),
};

/// A code once accepted is not accepted again.
pub const CODE_NOT_REUSED: Rule = Rule {
    id: "limecraft.code-not-reused",
    says: "a TOTP code that was accepted is not accepted a second time",
    source: Source::standard(
        "RFC 6238",
        "5.2",
        "the verifier MUST NOT accept the second attempt of the OTP after the successful validation has been issued for the first OTP",
    ),
};

/// rememberMe in validate's body.
pub const VALIDATE_REMEMBER_ME: Rule = Rule {
    id: "limecraft.validate-remember-me",
    says: "rememberMe true in 2fa/validate's body makes the final token last a week",
    source: seed(
        "The TokenAuthenticationRequest body is a JSON object in which the token is provided as follows:",
    ),
};

// ---------------------------------------------------------------- logout

/// Logout ends the session.
pub const LOGOUT_ENDS_THE_SESSION: Rule = Rule {
    id: "limecraft.logout-ends-the-session",
    says: "POST /authentication/logout answers 200 and ends the calling session, and only it",
    source: seed(
        "User sessions can be logged out explicitly with the /authentication/logout call.",
    ),
};

/// allSessions ends every session of the user.
pub const LOGOUT_ALL_SESSIONS: Rule = Rule {
    id: "limecraft.logout-all-sessions",
    says: "logout with allSessions true ends every session of the user, and no other user's",
    source: seed(
        "can log out all active sessions associated with a single user. For this to happen, set the allSessions field of the LogoutRequest to true",
    ),
};

/// A bad token is not a server error.
pub const NO_SERVER_ERROR: Rule = Rule {
    id: "limecraft.no-server-error",
    says: "a request the server can answer (a bad token included) is not answered with a 5xx",
    source: Source::standard(
        "RFC 9110",
        "15.6",
        "The 5xx (Server Error) class of status code indicates that the server erred or is incapable of performing the requested method.",
    ),
};

/// Limecraft's rules, in the order of the seed.
pub const ALL: &[&Rule] = &[
    &LOGIN_FORM_OR_JSON,
    &LOGIN_WITH_EMAIL,
    &LOGIN_RETURNS_A_TOKEN,
    &TOKEN_ONLY_FOR_RIGHT_CREDENTIALS,
    &WRONG_CREDENTIALS_ENVELOPE,
    &UNAUTHORIZED_OR_DISABLED_401,
    &LOCKED_403,
    &REDIRECT_IF_PASSWORD,
    &SAML_REDIRECTS_OPTIONAL,
    &SESSION_LIFETIME,
    &TOKEN_TRANSPORTS,
    &HEADER_NAMES_ANY_CASE,
    &TOKEN_REQUIRED,
    &INVALID_BEARER_REFUSED,
    &USER_OF_THE_TOKEN,
    &USER_FIELDS,
    &ENABLE2FA_ENABLES,
    &ENABLE2FA_ANSWERS_THE_KEY,
    &ENABLE2FA_OWN_OR_SUPPORT,
    &ENABLE2FA_UNKNOWN_404,
    &ENABLE2FA_REDO,
    &NEEDS_SECOND_TOKEN,
    &CODE_FROM_ADVERTISED_DATA,
    &VALIDATE_WITH_THE_TEMPORARY_TOKEN,
    &VALIDATE_GIVES_THE_FINAL_TOKEN,
    &WRONG_CODE_FAILS,
    &CODE_NOT_REUSED,
    &VALIDATE_REMEMBER_ME,
    &LOGOUT_ENDS_THE_SESSION,
    &LOGOUT_ALL_SESSIONS,
    &NO_SERVER_ERROR,
];
