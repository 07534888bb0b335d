//! FileVerbs' documented rules (seed 004, and the standards its JWTs and
//! headers rest on), one table: what a conforming server must do, each with
//! its words. The harness's checks and `explore`'s model cite these
//! (`crate::rule`).
//!
//! What the seed leaves open is not here: statuses, error bodies, the
//! fields' types beyond the example's, the cookie's name and attributes
//! beyond HttpOnly, the JWT's claims and lifetime, the refresh and revoke
//! calls. The reference server's choices there are switches (`switches.rs`).

use crate::provenance::{Rule, Seed, Source};

const fn seed(quote: &'static str) -> Source {
    Source::seed(Seed::FileVerbs, quote)
}

/// A call with the account's SecretKey header is authenticated.
pub const SECRET_KEY_AUTHENTICATES: Rule = Rule {
    id: "fileverbs.secret-key-authenticates",
    says: "a request with the SecretKey in its headers is authenticated",
    source: seed(
        "Users can authenticate their requests by including the SecretKey in the request headers.",
    ),
};

/// Header names are case-insensitive: `secretkey` is `SecretKey`.
pub const HEADER_NAMES_ANY_CASE: Rule = Rule {
    id: "fileverbs.header-names-any-case",
    says: "the SecretKey header is recognised whatever the case of its name, as every HTTP field name is",
    source: Source::standard("RFC 9110", "5.1", "Field names are case-insensitive"),
};

/// Without the key, or with another, a call is not authenticated.
pub const SECRET_KEY_PROTECTS: Rule = Rule {
    id: "fileverbs.secret-key-protects",
    says: "a call without a valid SecretKey (or bearer token) is refused",
    source: seed("ensuring that your machine-to-machine processes remain protected"),
};

/// The key lasts until it is reset; then the old one stops working.
pub const RESET_ENDS_THE_KEY: Rule = Rule {
    id: "fileverbs.reset-ends-the-key",
    says: "a SecretKey does not expire, but once reset in the portal the old key no longer works",
    source: seed(
        "This key does not expire unless manually reset by the user in the FileVerbs portal",
    ),
};

/// The key pair, in the body, gives a JWT bearer token.
pub const KEY_PAIR_GIVES_A_JWT: Rule = Rule {
    id: "fileverbs.key-pair-gives-a-jwt",
    says: "POST /accounts/access-token with the SecretKey and APIKey in the body answers a JWT bearer token",
    source: seed(
        "generate a JWT Bearer Token by passing their SecretKey and APIKey in the request body to the access token endpoint",
    ),
};

/// Both keys, together.
pub const BOTH_KEYS_NEEDED: Rule = Rule {
    id: "fileverbs.both-keys-needed",
    says: "the access token needs the account's SecretKey and APIKey together: a wrong or missing one gets none",
    source: seed(
        "The APIKey is used in combination with the SecretKey to generate the JWT Bearer Token",
    ),
};

/// The answer's fields.
pub const ANSWER_FIELDS: Rule = Rule {
    id: "fileverbs.answer-fields",
    says: "the access token's answer holds Id, FirstName, LastName, Email, Role, IsVerified, JwtToken and RefreshToken",
    source: seed("The table below explains each field in the API response:"),
};

/// IsVerified is true or false.
pub const IS_VERIFIED_BOOLEAN: Rule = Rule {
    id: "fileverbs.is-verified-boolean",
    says: "IsVerified is true or false",
    source: seed("Indicates whether the user’s email is verified (true/false)."),
};

/// The JwtToken is a JWT: a signed one (`alg` not `none`), as the example's
/// header `eyJhbGciOiJIUzI1NiIs…` (HS256) shows.
pub const JWT_TOKEN_IS_A_JWT: Rule = Rule {
    id: "fileverbs.jwt-token-is-a-jwt",
    says: "JwtToken is a signed JWT (three base64url segments, alg not none)",
    source: seed("JwtToken The access token (JWT)"),
};

/// `Authorization: Bearer <JwtToken>` authenticates later calls.
pub const BEARER_AUTHENTICATES: Rule = Rule {
    id: "fileverbs.bearer-authenticates",
    says: "a call with `Authorization: Bearer <JwtToken>` is authenticated",
    source: seed(
        "it should be passed in the Authorization header as Bearer {jwt-token} for subsequent API calls",
    ),
};

/// A JWT whose signature does not verify is refused.
pub const JWT_SIGNATURE_CHECKED: Rule = Rule {
    id: "fileverbs.jwt-signature-checked",
    says: "a JWT whose signature does not verify with the server's key, or that is unsigned, is refused",
    source: Source::standard(
        "RFC 8725",
        "3.1",
        "Libraries MUST enable the caller to specify a supported set of algorithms and MUST NOT use any other algorithms",
    ),
};

/// A JWT is refused after its `exp` (give or take a small leeway).
pub const JWT_EXPIRES: Rule = Rule {
    id: "fileverbs.jwt-expires",
    says: "a JWT is accepted until its exp and refused once exp and a small leeway for clock skew have passed",
    source: Source::standard(
        "RFC 7519",
        "4.1.4",
        "the expiration time on or after which the JWT MUST NOT be accepted for processing",
    ),
};

/// The refresh token is in an HttpOnly cookie.
pub const REFRESH_IN_HTTP_ONLY_COOKIE: Rule = Rule {
    id: "fileverbs.refresh-in-http-only-cookie",
    says: "the refresh token is set in an HttpOnly cookie",
    source: seed("A refresh token is stored in an HTTP-only cookie for added security."),
};

/// The refresh token gets a new bearer token.
pub const REFRESH_GIVES_A_BEARER: Rule = Rule {
    id: "fileverbs.refresh-gives-a-bearer",
    says: "the refresh token gets a new bearer token that authenticates calls, without the keys",
    source: seed("It can be used to obtain a new Bearer Token without requiring a user login."),
};

/// FileVerbs' rules, in the order of the seed.
pub const ALL: &[&Rule] = &[
    &SECRET_KEY_AUTHENTICATES,
    &HEADER_NAMES_ANY_CASE,
    &SECRET_KEY_PROTECTS,
    &RESET_ENDS_THE_KEY,
    &KEY_PAIR_GIVES_A_JWT,
    &BOTH_KEYS_NEEDED,
    &ANSWER_FIELDS,
    &IS_VERIFIED_BOOLEAN,
    &JWT_TOKEN_IS_A_JWT,
    &BEARER_AUTHENTICATES,
    &JWT_SIGNATURE_CHECKED,
    &JWT_EXPIRES,
    &REFRESH_IN_HTTP_ONLY_COOKIE,
    &REFRESH_GIVES_A_BEARER,
];
