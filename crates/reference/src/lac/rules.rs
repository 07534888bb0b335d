//! CA Live API Creator's documented rules (seed 002), one table: what a
//! conforming server must do, each with the seed's words. The harness's
//! checks and `explore`'s model cite these (`crate::rule`).
//!
//! What the seed leaves open is not here: statuses, error bodies, the
//! expiration's form and the token's lifetime, the URL parameter's name, other
//! Authorization schemes, what a repeated disabling answers, a password
//! policy. The reference server's choices there are switches (`switches.rs`),
//! and the suite checks them as reference checks only.

use crate::provenance::{Rule, Seed, Source};

const fn seed(quote: &'static str) -> Source {
    Source::seed(Seed::Lac, quote)
}

/// A sign-on with valid credentials answers a normal response with the new auth token.
pub const SIGN_ON_GIVES_APIKEY: Rule = Rule {
    id: "lac.sign-on-gives-apikey",
    says: "a successful @authentication answers the new auth token as the apikey property",
    source: seed(
        "The generated auth token is shown as the apikey property value in the Response section.",
    ),
};

/// Every successful sign-on issues a new auth token.
pub const EVERY_SIGN_ON_A_NEW_TOKEN: Rule = Rule {
    id: "lac.every-sign-on-a-new-token",
    says: "a new auth token is generated for every successful @authentication request",
    source: seed("A new auth token is generated for every successful @authentication request."),
};

/// Wrong credentials get no auth token: the provider authenticates them.
pub const WRONG_CREDENTIALS_NO_TOKEN: Rule = Rule {
    id: "lac.wrong-credentials-no-token",
    says: "credentials the authentication provider does not authenticate get no auth token",
    source: seed(
        "The authentication provider authenticates login credentials (typically a user/password)",
    ),
};

/// `Authorization: CALiveAPICreator <apikey>:1` authorizes every method.
pub const HEADER_ON_EVERY_CALL: Rule = Rule {
    id: "lac.header-on-every-call",
    says: "the auth token in `Authorization: CALiveAPICreator <apikey>:1` authenticates a call of any method",
    source: seed("For all calls including GET, as an HTTP header."),
};

/// A protected resource refuses a call without a valid auth token.
pub const CALLS_NEED_THE_TOKEN: Rule = Rule {
    id: "lac.calls-need-the-token",
    says: "a call without a valid auth token is not let in",
    source: seed("Almost all REST calls require the auth token, with a few exceptions."),
};

/// The roles assigned to an auth token decide what it may call.
pub const ROLES_AUTHORIZE: Rule = Rule {
    id: "lac.roles-authorize",
    says: "what an auth token may call is decided by the roles assigned to it: a resource its roles allow lets it in, one they do not refuses it",
    source: seed(
        "API Server determines what authenticated API calls are authorized to do by looking at the roles assigned to the auth token.",
    ),
};

/// Where the API allows it, a GET may carry the auth token in the URL.
pub const URL_TOKEN_ON_GET: Rule = Rule {
    id: "lac.url-token-on-get",
    says: "where the API property allows it, a GET may carry the auth token in the URL",
    source: seed("You can include the auth token in the URI for GET requests."),
};

/// Only where the API property allows it.
pub const URL_TOKEN_NEEDS_THE_PROPERTY: Rule = Rule {
    id: "lac.url-token-needs-the-property",
    says: "an auth token in the URL works only where the API allows users to specify it there",
    source: seed(
        "Prerequisite: You have authorized users of this API to specify their auth token on the URL.",
    ),
};

/// GET only.
pub const URL_TOKEN_GET_ONLY: Rule = Rule {
    id: "lac.url-token-get-only",
    says: "an auth token in the URL is for GET requests only",
    source: seed("(GET Requests Only) Specify the Auth Token in the URI"),
};

/// Revalidation returns the same token with its original expiration.
pub const REVALIDATION_SAME_TOKEN: Rule = Rule {
    id: "lac.revalidation-same-token",
    says: "revalidating a valid auth token returns the same token with its original expiry",
    source: seed("The existing auth token (with its original expiry) is returned."),
};

/// An expired token gets an expired error, and no longer works.
pub const EXPIRED_IS_AN_ERROR: Rule = Rule {
    id: "lac.expired-is-an-error",
    says: "revalidating an expired auth token is an error",
    source: seed("If expired, an expired error is returned."),
};

/// `{"apikey","disable":true}` disables the token and answers as documented.
pub const DISABLE_DISABLES: Rule = Rule {
    id: "lac.disable-disables",
    says: "`{\"apikey\", \"disable\": true}` disables that auth token, answering `{\"apikey\", \"disabled\": true}` for a valid, active one",
    source: seed("the disable attribute is set to true, the auth token is disabled"),
};

/// The example's answer to a disabling.
pub const DISABLE_ANSWER: Rule = Rule {
    id: "lac.disable-answer",
    says: "disabling a valid, active auth token answers `{\"apikey\": <it>, \"disabled\": true}`",
    source: seed(
        "The following response (if the auth token is still valid and active) is expected:",
    ),
};

/// Disabling is idempotent: a success for a disabled or expired token.
pub const DISABLE_IS_IDEMPOTENT: Rule = Rule {
    id: "lac.disable-is-idempotent",
    says: "disabling is a success even for an auth token already disabled or expired",
    source: seed(
        "This is idempotent and is considered a success even if the key has already expired or has been marked as disabled.",
    ),
};

/// An unknown token is an error.
pub const DISABLE_UNKNOWN_IS_AN_ERROR: Rule = Rule {
    id: "lac.disable-unknown-is-an-error",
    says: "disabling an auth token that is not found is an error",
    source: seed("An error is returned if the auth token is not found."),
};

/// The built-in provider changes the password with the exact flag.
pub const PASSWORD_CHANGE: Rule = Rule {
    id: "lac.password-change",
    says: "with `?enablePasswordChange!` a provider that implements it changes the password to the new one",
    source: seed(
        "You can change passwords (when the underlying authentication provider implements it)",
    ),
};

/// The flag is exact.
pub const PASSWORD_CHANGE_FLAG_EXACT: Rule = Rule {
    id: "lac.password-change-flag-exact",
    says: "only `enablePasswordChange!` exactly (case-sensitive, with the `!`) enables a password change",
    source: seed("The string is case-sensitive and includes the trailing exclamation mark (!)."),
};

/// The result is one of three values, with a message.
pub const CHANGE_RESULT: Rule = Rule {
    id: "lac.change-result",
    says: "a password change adds changePasswordResult (success, failure or notSupported) and a message",
    source: seed(
        "The changePasswordResult parameter has a value of 'success', 'failure', or 'notSupported'.",
    ),
};

/// A failure says why.
pub const FAILURE_GIVES_THE_REASON: Rule = Rule {
    id: "lac.failure-gives-the-reason",
    says: "for `failure`, changePasswordMessage is the underlying reason",
    source: seed("For 'failure', this is the underlying reason."),
};

/// A new auth token whatever the change's result.
pub const TOKEN_WHATEVER_THE_CHANGE: Rule = Rule {
    id: "lac.token-whatever-the-change",
    says: "a sign-on with a password change is successful and issues a new auth token whatever the change's result",
    source: seed(
        "The login is considered successful and a new auth key generated and returned regardless of the result of the changePassword actions.",
    ),
};

/// LAC's rules, in the order of the seed.
pub const ALL: &[&Rule] = &[
    &SIGN_ON_GIVES_APIKEY,
    &EVERY_SIGN_ON_A_NEW_TOKEN,
    &WRONG_CREDENTIALS_NO_TOKEN,
    &HEADER_ON_EVERY_CALL,
    &CALLS_NEED_THE_TOKEN,
    &ROLES_AUTHORIZE,
    &URL_TOKEN_ON_GET,
    &URL_TOKEN_NEEDS_THE_PROPERTY,
    &URL_TOKEN_GET_ONLY,
    &DISABLE_DISABLES,
    &DISABLE_ANSWER,
    &DISABLE_IS_IDEMPOTENT,
    &DISABLE_UNKNOWN_IS_AN_ERROR,
    &REVALIDATION_SAME_TOKEN,
    &EXPIRED_IS_AN_ERROR,
    &PASSWORD_CHANGE,
    &PASSWORD_CHANGE_FLAG_EXACT,
    &CHANGE_RESULT,
    &FAILURE_GIVES_THE_REASON,
    &TOKEN_WHATEVER_THE_CHANGE,
];
