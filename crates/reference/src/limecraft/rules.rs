//! Limecraft Flow's documented rules (seed 003), one table: what a conforming
//! server must do, each with the seed's words. The harness's checks and
//! `explore`'s model cite these (`crate::rule`).

use crate::provenance::{Rule, Seed, Source};

/// The right username (or email) and password give a token.
pub const LOGIN_RETURNS_A_TOKEN: Rule = Rule {
    id: "limecraft.login-returns-a-token",
    says: "a login with the right credentials returns a JSON object with a token field",
    source: Source::seed(
        Seed::Limecraft,
        "This call returns a JSON object with a token field",
    ),
};

/// A login is accepted as form parameters and as a JSON body.
pub const LOGIN_JSON_OR_FORM: Rule = Rule {
    id: "limecraft.login-json-or-form",
    says: "a login is accepted as form parameters and as a JSON body",
    source: Source::seed(
        Seed::Limecraft,
        "The body of the request can be either form parameters, but an 'application/json' request with a json body is also accepted",
    ),
};

/// A successful login of a user without two-factor authentication answers needsSecondToken false with the token.
pub const LOGIN_SAYS_NO_SECOND_TOKEN: Rule = Rule {
    id: "limecraft.login-says-no-second-token",
    says: "a successful login of a user without two-factor authentication answers needsSecondToken false with the token",
    source: Source::seed(
        Seed::Limecraft,
        "However, if you provide the correct username/password combination, the response is",
    ),
};

/// Wrong credentials (a wrong password or an unknown user) get the 401 UnauthorizedError and no token.
pub const WRONG_CREDENTIALS_REFUSED: Rule = Rule {
    id: "limecraft.wrong-credentials-refused",
    says: "wrong credentials (a wrong password or an unknown user) get the 401 UnauthorizedError and no token",
    source: Source::seed(
        Seed::Limecraft,
        "In case of wrong credentials provided, you can expect the following response:",
    ),
};

/// A disabled account's login is refused with 401.
pub const DISABLED_ACCOUNT_REFUSED: Rule = Rule {
    id: "limecraft.disabled-account-refused",
    says: "a disabled account's login is refused with 401",
    source: Source::seed(Seed::Limecraft, "The account is unauthorized or disabled."),
};

/// A locked account's login is refused with 403.
pub const LOCKED_ACCOUNT_403: Rule = Rule {
    id: "limecraft.locked-account-403",
    says: "a locked account's login is refused with 403",
    source: Source::seed(Seed::Limecraft, "The account is locked."),
};

/// A session's token is accepted in the Authorization header, the access_token query parameter and the MOJITO_SESSION_ID_V2 cookie.
pub const TOKEN_IN_EACH_TRANSPORT: Rule = Rule {
    id: "limecraft.token-in-each-transport",
    says: "a session's token is accepted in the Authorization header, the access_token query parameter and the MOJITO_SESSION_ID_V2 cookie",
    source: Source::seed(
        Seed::Limecraft,
        "should be used in all subsequent calls in one of the following methods:",
    ),
};

/// GET /authentication/user answers the User for a live session's token, and no User for any other token.
pub const USER_ONLY_WHEN_LOGGED_IN: Rule = Rule {
    id: "limecraft.user-only-when-logged-in",
    says: "GET /authentication/user answers the User for a live session's token, and no User for any other token",
    source: Source::seed(Seed::Limecraft, "User is logged in."),
};

/// A session lasts 1 hour, or 1 week with rememberMe, and not longer.
pub const SESSION_LIFETIME: Rule = Rule {
    id: "limecraft.session-lifetime",
    says: "a session lasts 1 hour, or 1 week with rememberMe, and not longer",
    source: Source::seed(
        Seed::Limecraft,
        "the token generated with this call is has a timeout of 1 week instead of 1 hour.",
    ),
};

/// Enable2fa for another user without SUPPORT rights is refused with 403.
pub const ENABLE2FA_OWN_OR_SUPPORT: Rule = Rule {
    id: "limecraft.enable2fa-own-or-support",
    says: "enable2fa for another user without SUPPORT rights is refused with 403",
    source: Source::seed(
        Seed::Limecraft,
        "The user can only request his own invitations or needs SUPPORT rights.",
    ),
};

/// Enable2fa for a user that does not exist is refused with 404.
pub const ENABLE2FA_UNKNOWN_404: Rule = Rule {
    id: "limecraft.enable2fa-unknown-404",
    says: "enable2fa for a user that does not exist is refused with 404",
    source: Source::seed(Seed::Limecraft, "The user was not found."),
};

/// Enable2fa on one's own id answers what generates the codes (key, algorithm, digits, period).
pub const ENABLE2FA_ENROLS: Rule = Rule {
    id: "limecraft.enable2fa-enrols",
    says: "enable2fa on one's own id answers what generates the codes (key, algorithm, digits, period)",
    source: Source::seed(
        Seed::Limecraft,
        "the one-time password verification code can be generated",
    ),
};

/// With two-factor authentication on, the login answers needsSecondToken true and a temporary token.
pub const SECOND_TOKEN_NEEDED: Rule = Rule {
    id: "limecraft.second-token-needed",
    says: "with two-factor authentication on, the login answers needsSecondToken true and a temporary token",
    source: Source::seed(
        Seed::Limecraft,
        "additional needsSecondToken property is provided, indicating that further authentication is required.",
    ),
};

/// Only the final token of a validation, not the temporary one, gives access to the API.
pub const TEMPORARY_TOKEN_NOT_A_SESSION: Rule = Rule {
    id: "limecraft.temporary-token-not-a-session",
    says: "only the final token of a validation, not the temporary one, gives access to the API",
    source: Source::seed(
        Seed::Limecraft,
        "in order to obtain a final access token that can be used for subsequent API access",
    ),
};

/// 2fa/validate takes the temporary token of a login that asked for a second token, not a final token or none.
pub const VALIDATE_NEEDS_THE_TEMPORARY_TOKEN: Rule = Rule {
    id: "limecraft.validate-needs-the-temporary-token",
    says: "2fa/validate takes the temporary token of a login that asked for a second token, not a final token or none",
    source: Source::seed(
        Seed::Limecraft,
        "The temporary access token obtained from the first-stage /authentication/login is used to provide the proper context.",
    ),
};

/// The current code with the temporary token gives a final token that works.
pub const CURRENT_CODE_GIVES_A_FINAL_TOKEN: Rule = Rule {
    id: "limecraft.current-code-gives-a-final-token",
    says: "the current code with the temporary token gives a final token that works",
    source: Source::seed(
        Seed::Limecraft,
        "Users provide an extra verification token during authentication",
    ),
};

/// A wrong code, or one from a clock out of sync by more than a period, gives no token.
pub const WRONG_CODE_REFUSED: Rule = Rule {
    id: "limecraft.wrong-code-refused",
    says: "a wrong code, or one from a clock out of sync by more than a period, gives no token",
    source: Source::seed(
        Seed::Limecraft,
        "If the user has a machine of which the clock is out of sync, their 2FA codes will not match and login will fail.",
    ),
};

/// Logout answers 200 and the session's token is refused afterwards; the user's other sessions stay.
pub const LOGOUT_ENDS_THE_SESSION: Rule = Rule {
    id: "limecraft.logout-ends-the-session",
    says: "logout answers 200 and the session's token is refused afterwards; the user's other sessions stay",
    source: Source::seed(
        Seed::Limecraft,
        "User sessions can be logged out explicitly with the /authentication/logout call.",
    ),
};

/// Logout with allSessions true ends every session of the user, and only of that user.
pub const LOGOUT_ALL_SESSIONS: Rule = Rule {
    id: "limecraft.logout-all-sessions",
    says: "logout with allSessions true ends every session of the user, and only of that user",
    source: Source::seed(
        Seed::Limecraft,
        "The /authentication/logout can log out all active sessions associated with a single user.",
    ),
};

/// RFC 6238 §5.2: a code accepted once is not accepted again.
pub const CODE_USED_ONCE: Rule = Rule {
    id: "limecraft.code-used-once",
    says: "a code that was accepted is not accepted again",
    source: Source::standard(
        "RFC 6238",
        "5.2",
        "the verifier MUST NOT accept the second attempt of the same OTP after the successful validation has been issued for the first OTP",
    ),
};

/// Limecraft's rules, in the order of the seed.
pub const ALL: &[&Rule] = &[
    &LOGIN_RETURNS_A_TOKEN,
    &LOGIN_JSON_OR_FORM,
    &LOGIN_SAYS_NO_SECOND_TOKEN,
    &WRONG_CREDENTIALS_REFUSED,
    &DISABLED_ACCOUNT_REFUSED,
    &LOCKED_ACCOUNT_403,
    &TOKEN_IN_EACH_TRANSPORT,
    &USER_ONLY_WHEN_LOGGED_IN,
    &SESSION_LIFETIME,
    &ENABLE2FA_OWN_OR_SUPPORT,
    &ENABLE2FA_UNKNOWN_404,
    &ENABLE2FA_ENROLS,
    &SECOND_TOKEN_NEEDED,
    &TEMPORARY_TOKEN_NOT_A_SESSION,
    &VALIDATE_NEEDS_THE_TEMPORARY_TOKEN,
    &CURRENT_CODE_GIVES_A_FINAL_TOKEN,
    &WRONG_CODE_REFUSED,
    &LOGOUT_ENDS_THE_SESSION,
    &LOGOUT_ALL_SESSIONS,
    &CODE_USED_ONCE,
];
