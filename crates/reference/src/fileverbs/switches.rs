//! FileVerbs' choices where seed 004 is silent, each a switch
//! (`crate::switch`). The first value is the reference server's; the others
//! are what another conforming server, such as the ASP.NET Core service the
//! document's PascalCase fields suggest, would answer. `variant.rs` applies
//! them at the wire; the store reads the lifetimes and the refresh rules.

use crate::provenance::{Seed, Source, Switch};

/// Seed 004 shows one response, the access token's (its fields in a table,
/// then an example); no error body, no status, no field order.
const NO_ERRORS: Source = Source::seed(
    Seed::FileVerbs,
    "The table below explains each field in the API response:",
);

/// Seed 004 says only where the refresh token lives.
const REFRESH_ONLY: Source = Source::seed(
    Seed::FileVerbs,
    "A refresh token is stored in an HTTP-only cookie for added security.",
);

/// Error bodies: `{"message"}`, or RFC 9457 ProblemDetails
/// (`{"type","title","status","traceId"}`, `application/problem+json`).
pub const ERROR_BODY: Switch = Switch {
    name: "fileverbs.error-body",
    values: &["message", "problem-details"],
    what: "the body of every error answer",
    silence: NO_ERRORS,
};

/// Refusals: 401 everywhere, or a wrong key pair at access-token 400 and a
/// wrong SecretKey on a call 403.
pub const REFUSAL_STATUS: Switch = Switch {
    name: "fileverbs.refusal-status",
    values: &["401", "400-403"],
    what: "the status of a wrong key pair (access-token) and a wrong SecretKey (a call)",
    silence: NO_ERRORS,
};

/// The refresh cookie: the reference's name with `Secure` and `SameSite`
/// (`Path` the accounts calls), or ASP.NET samples' `refreshToken` with
/// `Path=/`, neither `Secure` nor `SameSite`.
pub const REFRESH_COOKIE: Switch = Switch {
    name: "fileverbs.refresh-cookie",
    values: &["reference", "aspnet"],
    what: "the refresh cookie's name and attributes beyond HttpOnly",
    silence: REFRESH_ONLY,
};

/// The access-token answer: the table's order, or sorted with one more
/// field (`"Updated": null`).
pub const FIELD_ORDER: Switch = Switch {
    name: "fileverbs.field-order",
    values: &["table", "sorted-with-extra-null"],
    what: "the order of the access-token answer's fields, and an extra null field",
    silence: NO_ERRORS,
};

/// The JWT's claims: `sub` and `iat`, or the user in `id` and no `iat`.
pub const JWT_CLAIMS: Switch = Switch {
    name: "fileverbs.jwt-claims",
    values: &["sub-iat", "id-no-iat"],
    what: "the claims naming the user in the JWT",
    silence: Source::seed(
        Seed::FileVerbs,
        "JwtToken The access token (JWT) that must be sent in the Authorization header",
    ),
};

/// How long a JWT lives: 15 or 10 minutes.
pub const JWT_LIFETIME: Switch = Switch {
    name: "fileverbs.jwt-lifetime",
    values: &["15m", "10m"],
    what: "how long a JWT lives",
    silence: Source::seed(
        Seed::FileVerbs,
        "Typically short-lived and should be refreshed periodically.",
    ),
};

/// A refresh token sent twice: the whole family revoked (OAuth 2.0 Security
/// BCP's reuse detection), or only that token refused.
pub const REFRESH_REUSE: Switch = Switch {
    name: "fileverbs.refresh-reuse",
    values: &["revoke-family", "refuse-only"],
    what: "what a reused refresh token ends",
    silence: REFRESH_ONLY,
};

/// Revoke's answer: 200 with a JSON message, or 204 without a body.
pub const REVOKE_ANSWER: Switch = Switch {
    name: "fileverbs.revoke-answer",
    values: &["200-json", "204"],
    what: "the answer to a refresh token's revocation",
    silence: REFRESH_ONLY,
};

/// How long after its `exp` a JWT is still accepted: none, or 5 minutes
/// (ASP.NET Core JwtBearer's default `ClockSkew`), as RFC 7519 allows.
pub const JWT_LEEWAY: Switch = Switch {
    name: "fileverbs.jwt-leeway",
    values: &["0", "5m"],
    what: "how long after its exp a JWT is still accepted (clock skew)",
    silence: Source::standard(
        "RFC 7519",
        "4.1.4",
        "Implementers MAY provide for some small leeway, usually no more than a few minutes, to account for clock skew.",
    ),
};

/// The refresh cookie's value: the RefreshToken as it is, or in double
/// quotes (RFC 6265 §4.1.1 allows a quoted cookie-value).
pub const REFRESH_COOKIE_VALUE: Switch = Switch {
    name: "fileverbs.refresh-cookie-value",
    values: &["plain", "quoted"],
    what: "how the refresh cookie writes the token",
    silence: REFRESH_ONLY,
};

/// The access token's fields: strings as the example, or a numeric `Id` and
/// a `null` LastName (an ASP.NET entity with an `int` key and a name not given).
pub const FIELD_TYPES: Switch = Switch {
    name: "fileverbs.field-types",
    values: &["example", "numeric-id-null-name"],
    what: "the types of the access-token answer's Id and LastName",
    silence: NO_ERRORS,
};

/// Refresh's answer: the access token's, or only the new bearer token as `accessToken`.
pub const REFRESH_ANSWER: Switch = Switch {
    name: "fileverbs.refresh-answer",
    values: &["access-token-answer", "access-token-only"],
    what: "what a refresh answers besides the new bearer token",
    silence: Source::seed(
        Seed::FileVerbs,
        "It can be used to obtain a new Bearer Token without requiring a user login.",
    ),
};

/// FileVerbs' switches, in the order `authconform switches` lists them.
pub const ALL: &[&Switch] = &[
    &ERROR_BODY,
    &REFUSAL_STATUS,
    &REFRESH_COOKIE,
    &FIELD_ORDER,
    &JWT_CLAIMS,
    &JWT_LIFETIME,
    &REFRESH_REUSE,
    &REVOKE_ANSWER,
    &JWT_LEEWAY,
    &REFRESH_COOKIE_VALUE,
    &FIELD_TYPES,
    &REFRESH_ANSWER,
];
