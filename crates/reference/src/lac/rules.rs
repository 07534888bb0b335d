//! CA Live API Creator's documented rules (seed 002), one table: what a
//! conforming server must do, each with the seed's words. The harness's
//! checks and `explore`'s model cite these (`crate::rule`).

use crate::provenance::{Rule, Seed, Source};

/// Every successful sign-on issues a new auth token.
pub const EVERY_SIGN_ON_A_NEW_TOKEN: Rule = Rule {
    id: "lac.every-sign-on-a-new-token",
    says: "a new auth token is generated for every successful @authentication request",
    source: Source::seed(
        Seed::Lac,
        "A new auth token is generated for every successful @authentication request.",
    ),
};

/// A sign-on with the right credentials answers a 2xx with the auth token as apikey, and its expiration.
pub const SIGN_ON_GIVES_AN_APIKEY: Rule = Rule {
    id: "lac.sign-on-gives-an-apikey",
    says: "a sign-on with the right credentials answers a 2xx with the auth token as apikey, and its expiration",
    source: Source::seed(
        Seed::Lac,
        "The generated auth token is shown as the apikey property value in the Response section.",
    ),
};

/// A sign-on with a wrong password or an unknown user gets no auth token.
pub const WRONG_CREDENTIALS_REFUSED: Rule = Rule {
    id: "lac.wrong-credentials-refused",
    says: "a sign-on with a wrong password or an unknown user gets no auth token",
    source: Source::seed(
        Seed::Lac,
        "The authentication provider authenticates login credentials (typically a user/password) and returns a set of roles",
    ),
};

/// A live auth token in Authorization: CALiveAPICreator <apikey>:1 authorizes every method.
pub const HEADER_FOR_ALL_CALLS: Rule = Rule {
    id: "lac.header-for-all-calls",
    says: "a live auth token in Authorization: CALiveAPICreator <apikey>:1 authorizes every method",
    source: Source::seed(Seed::Lac, "For all calls including GET, as an HTTP header."),
};

/// A call without a live auth token (none, unknown, another scheme, disabled, expired) is refused.
pub const CALLS_NEED_A_LIVE_TOKEN: Rule = Rule {
    id: "lac.calls-need-a-live-token",
    says: "a call without a live auth token (none, unknown, another scheme, disabled, expired) is refused",
    source: Source::seed(
        Seed::Lac,
        "Almost all REST calls require the auth token, with a few exceptions.",
    ),
};

/// An auth token in the URL authorizes GET where the API allows it, and no other method.
pub const URL_TOKEN_FOR_GET_ONLY: Rule = Rule {
    id: "lac.url-token-for-get-only",
    says: "an auth token in the URL authorizes GET where the API allows it, and no other method",
    source: Source::seed(
        Seed::Lac,
        "You can include the auth token in the URI for GET requests.",
    ),
};

/// An auth token in the URL is refused where the API does not allow it.
pub const URL_TOKEN_NEEDS_THE_PROPERTY: Rule = Rule {
    id: "lac.url-token-needs-the-property",
    says: "an auth token in the URL is refused where the API does not allow it",
    source: Source::seed(
        Seed::Lac,
        "Prerequisite: You have authorized users of this API to specify their auth token on the URL.",
    ),
};

/// Revalidating a live auth token answers the same apikey with its original expiration.
pub const REVALIDATE_SAME_TOKEN_SAME_EXPIRY: Rule = Rule {
    id: "lac.revalidate-same-token-same-expiry",
    says: "revalidating a live auth token answers the same apikey with its original expiration",
    source: Source::seed(
        Seed::Lac,
        "The existing auth token (with its original expiry) is returned.",
    ),
};

/// Revalidating an expired (or disabled) auth token is an error.
pub const REVALIDATE_EXPIRED_REFUSED: Rule = Rule {
    id: "lac.revalidate-expired-refused",
    says: "revalidating an expired (or disabled) auth token is an error",
    source: Source::seed(Seed::Lac, "If expired, an expired error is returned."),
};

/// Disable answers {apikey, disabled: true} and the auth token, and only it, no longer works.
pub const DISABLE_DISABLES: Rule = Rule {
    id: "lac.disable-disables",
    says: "disable answers {apikey, disabled: true} and the auth token, and only it, no longer works",
    source: Source::seed(Seed::Lac, "the auth token is disabled."),
};

/// Disabling an expired or already disabled auth token succeeds.
pub const DISABLE_IS_IDEMPOTENT: Rule = Rule {
    id: "lac.disable-is-idempotent",
    says: "disabling an expired or already disabled auth token succeeds",
    source: Source::seed(
        Seed::Lac,
        "This is idempotent and is considered a success even if the key has already expired or has been marked as disabled.",
    ),
};

/// Disabling an auth token that does not exist is an error.
pub const DISABLE_UNKNOWN_IS_AN_ERROR: Rule = Rule {
    id: "lac.disable-unknown-is-an-error",
    says: "disabling an auth token that does not exist is an error",
    source: Source::seed(
        Seed::Lac,
        "An error is returned if the auth token is not found.",
    ),
};

/// ?enablePasswordChange! answers changePasswordResult success, failure or notSupported, and success changes the password.
pub const PASSWORD_CHANGE_RESULT: Rule = Rule {
    id: "lac.password-change-result",
    says: "?enablePasswordChange! answers changePasswordResult success, failure or notSupported, and success changes the password",
    source: Source::seed(
        Seed::Lac,
        "The changePasswordResult parameter has a value of 'success', 'failure', or 'notSupported'.",
    ),
};

/// A sign-on that asks for a password change issues a new auth token whatever the change's result.
pub const PASSWORD_CHANGE_ISSUES_A_TOKEN: Rule = Rule {
    id: "lac.password-change-issues-a-token",
    says: "a sign-on that asks for a password change issues a new auth token whatever the change's result",
    source: Source::seed(
        Seed::Lac,
        "The login is considered successful and a new auth key generated and returned regardless of the result of the changePassword actions.",
    ),
};

/// Only ?enablePasswordChange! exactly (case-sensitive, with the !) changes a password.
pub const PASSWORD_CHANGE_FLAG_EXACT: Rule = Rule {
    id: "lac.password-change-flag-exact",
    says: "only ?enablePasswordChange! exactly (case-sensitive, with the !) changes a password",
    source: Source::seed(
        Seed::Lac,
        "The string is case-sensitive and includes the trailing exclamation mark (!).",
    ),
};

/// An auth token created in API Creator authorizes calls like a sign-on's.
pub const ADMIN_TOKENS_WORK: Rule = Rule {
    id: "lac.admin-tokens-work",
    says: "an auth token created in API Creator authorizes calls like a sign-on's",
    source: Source::seed(
        Seed::Lac,
        "These are auth tokens that are not associated with any user and typically used for machine-to-machine situations.",
    ),
};

/// LAC's rules, in the order of the seed.
pub const ALL: &[&Rule] = &[
    &EVERY_SIGN_ON_A_NEW_TOKEN,
    &SIGN_ON_GIVES_AN_APIKEY,
    &WRONG_CREDENTIALS_REFUSED,
    &HEADER_FOR_ALL_CALLS,
    &CALLS_NEED_A_LIVE_TOKEN,
    &URL_TOKEN_FOR_GET_ONLY,
    &URL_TOKEN_NEEDS_THE_PROPERTY,
    &REVALIDATE_SAME_TOKEN_SAME_EXPIRY,
    &REVALIDATE_EXPIRED_REFUSED,
    &DISABLE_DISABLES,
    &DISABLE_IS_IDEMPOTENT,
    &DISABLE_UNKNOWN_IS_AN_ERROR,
    &PASSWORD_CHANGE_RESULT,
    &PASSWORD_CHANGE_ISSUES_A_TOKEN,
    &PASSWORD_CHANGE_FLAG_EXACT,
    &ADMIN_TOKENS_WORK,
];
