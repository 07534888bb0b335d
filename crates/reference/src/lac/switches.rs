//! CA Live API Creator's choices where seed 002 is silent, each a switch
//! (`crate::switch`). The first value is the reference server's; the others
//! are what another conforming server written from the same document would
//! answer. `variant.rs` applies the wire's (statuses, bodies, the
//! expiration's form); the store reads the rest (lifetime, other schemes,
//! password rules).

use crate::provenance::{Seed, Source, Switch};

const fn seed(quote: &'static str) -> Source {
    Source::seed(Seed::Lac, quote)
}

/// The seed shows success bodies only; of errors it says "an error is returned".
const ONLY_AN_ERROR: Source = seed("An error is returned if the auth token is not found.");

/// The seed shows one expiration, in an example, and no lifetime.
const ONE_EXPIRATION: Source =
    seed("{ \"apikey\": \"1234567890abcdef12345\", \"expiration\": \"2014-12-31T23:59:59.999\"}");

/// Error bodies: `{"statusCode","errorCode","errorMessage"}`, or
/// `{"error":{"code","message"}}`.
pub const ERROR_BODY: Switch = Switch {
    name: "lac.error-body",
    values: &["lac", "nested"],
    what: "the body of every error answer",
    silence: ONLY_AN_ERROR,
};

/// A resource refusing a call (no, unknown, disabled or expired token,
/// another scheme, a URL token where not allowed): 401 or 403.
pub const REFUSAL_STATUS: Switch = Switch {
    name: "lac.refusal-status",
    values: &["401", "403"],
    what: "the status of a call a resource refuses for its auth token",
    silence: seed("Almost all REST calls require the auth token, with a few exceptions."),
};

/// Disabling an unknown token: 404 or 400.
pub const NOT_FOUND_STATUS: Switch = Switch {
    name: "lac.not-found-status",
    values: &["404", "400"],
    what: "the status of disabling an auth token that is not found",
    silence: ONLY_AN_ERROR,
};

/// A payload of `@authentication` that is none of its modes: 400 or 422.
pub const BAD_PAYLOAD_STATUS: Switch = Switch {
    name: "lac.bad-payload-status",
    values: &["400", "422"],
    what: "the status of an @authentication payload that is none of its modes",
    silence: ONLY_AN_ERROR,
};

/// A sign-on's status: 200, or 201 (it creates an auth token).
pub const SIGN_ON_STATUS: Switch = Switch {
    name: "lac.sign-on-status",
    values: &["200", "201"],
    what: "the status of a successful sign-on",
    silence: seed("a normal response is returned as though the user had logged in successfully"),
};

/// The expiration's form: the example's (UTC milliseconds, no zone), with a
/// `Z`, with the server's offset, or a number (Unix milliseconds, as a Java
/// server's default JSON writes a `Date`).
pub const EXPIRATION_FORMAT: Switch = Switch {
    name: "lac.expiration-format",
    values: &["example", "utc-z", "offset", "epoch-millis"],
    what: "how `expiration` is written",
    silence: ONE_EXPIRATION,
};

/// How long a sign-on's auth token lives: 24 hours or 40 minutes.
pub const TOKEN_LIFETIME: Switch = Switch {
    name: "lac.token-lifetime",
    values: &["24h", "40m"],
    what: "how long a sign-on's auth token lives",
    silence: ONE_EXPIRATION,
};

/// The roles in the answer: an array, or no field.
pub const ROLES_FIELD: Switch = Switch {
    name: "lac.roles-field",
    values: &["array", "absent"],
    what: "whether a sign-on's answer lists the token's roles",
    silence: seed("indicates a set of roles that define what the auth token is authorized to do"),
};

/// The message field: `changePasswordMessage` or the seed's own misspelling.
pub const CHANGE_MESSAGE_FIELD: Switch = Switch {
    name: "lac.change-message-field",
    values: &["changePasswordMessage", "changePasswordMesssage"],
    what: "the name of the password change's message",
    silence: seed("the changePasswordResult and changePasswordMesssage parameters are added"),
};

/// The new password's attribute: both spellings, or only one of them.
pub const NEW_PASSWORD_FIELD: Switch = Switch {
    name: "lac.new-password-field",
    values: &["both", "new_password", "newPassword"],
    what: "which attribute the built-in provider reads the new password from",
    silence: seed("The new_password is authentication provider-dependant."),
};

/// A repeated (or expired token's) disabling: the documented body, `{}`, or 204.
pub const REPEATED_DISABLE: Switch = Switch {
    name: "lac.repeated-disable",
    values: &["disabled-true", "empty-object", "no-content"],
    what: "the answer to disabling an auth token already disabled or expired",
    silence: seed(
        "The following response (if the auth token is still valid and active) is expected:",
    ),
};

/// The auth token under another Authorization scheme (`Bearer <apikey>:1`,
/// or `<apikey>:1` alone): refused, or accepted.
pub const OTHER_SCHEMES: Switch = Switch {
    name: "lac.other-schemes",
    values: &["refused", "accepted"],
    what: "whether an auth token is also accepted under another Authorization scheme or none",
    silence: seed("Authorization: CALiveAPICreator <apikey>:1"),
};

/// The probe resource's answer to an authenticated write without a row:
/// 200, or 404 for PUT and DELETE (no such row) and 400 for POST (no body).
pub const WRITE_ANSWERS: Switch = Switch {
    name: "lac.write-answers",
    values: &["ok", "no-row"],
    what: "what a resource answers an authenticated POST, PUT or DELETE without a body",
    silence: seed("For all calls including GET, as an HTTP header."),
};

/// A password used before: accepted, or refused (a password history).
pub const PASSWORD_HISTORY: Switch = Switch {
    name: "lac.password-history",
    values: &["none", "refuse-reused"],
    what: "whether the built-in provider refuses a new password the user had before",
    silence: seed(
        "sending in the updated credentials (as required by the underlying authentication provider)",
    ),
};

/// The built-in provider's policy: 8 characters with a letter and a digit, or none.
pub const PASSWORD_POLICY: Switch = Switch {
    name: "lac.password-policy",
    values: &["letter-digit-8", "none"],
    what: "what the built-in provider requires of a new password",
    silence: seed("For 'failure', this is the underlying reason."),
};

/// LAC's switches, in the order `authconform switches` lists them.
pub const ALL: &[&Switch] = &[
    &ERROR_BODY,
    &REFUSAL_STATUS,
    &NOT_FOUND_STATUS,
    &BAD_PAYLOAD_STATUS,
    &SIGN_ON_STATUS,
    &EXPIRATION_FORMAT,
    &TOKEN_LIFETIME,
    &ROLES_FIELD,
    &CHANGE_MESSAGE_FIELD,
    &NEW_PASSWORD_FIELD,
    &REPEATED_DISABLE,
    &OTHER_SCHEMES,
    &WRITE_ANSWERS,
    &PASSWORD_HISTORY,
    &PASSWORD_POLICY,
];
