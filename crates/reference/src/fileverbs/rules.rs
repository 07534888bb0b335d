//! FileVerbs' documented rules (seed 004), one table: what a conforming
//! server must do, each with the seed's words. The harness's checks and
//! `explore`'s model cite these (`crate::rule`).

use crate::provenance::{Rule, Seed, Source};

/// A call with the account's SecretKey header is authenticated.
pub const SECRET_KEY_AUTHENTICATES: Rule = Rule {
    id: "fileverbs.secret-key-authenticates",
    says: "a request with the SecretKey in its headers is authenticated",
    source: Source::seed(
        Seed::FileVerbs,
        "Users can authenticate their requests by including the SecretKey in the request headers.",
    ),
};

/// A call with a wrong SecretKey, or none, is refused.
pub const WRONG_SECRET_KEY_REFUSED: Rule = Rule {
    id: "fileverbs.wrong-secret-key-refused",
    says: "a call with a wrong SecretKey, or none, is refused",
    source: Source::seed(
        Seed::FileVerbs,
        "The SecretKey is a unique, persistent key specifically generated for secure communication",
    ),
};

/// A SecretKey works until it is reset, and not after.
pub const SECRET_KEY_UNTIL_RESET: Rule = Rule {
    id: "fileverbs.secret-key-until-reset",
    says: "a SecretKey works until it is reset, and not after",
    source: Source::seed(
        Seed::FileVerbs,
        "This key does not expire unless manually reset by the user in the FileVerbs portal",
    ),
};

/// The access-token call with the right SecretKey and APIKey answers a JwtToken (and a RefreshToken).
pub const ACCESS_TOKEN_ISSUES_A_JWT: Rule = Rule {
    id: "fileverbs.access-token-issues-a-jwt",
    says: "the access-token call with the right SecretKey and APIKey answers a JwtToken (and a RefreshToken)",
    source: Source::seed(
        Seed::FileVerbs,
        "This method allows users to generate a JWT Bearer Token by passing their SecretKey and APIKey in the request body to the access token endpoint.",
    ),
};

/// The access-token call needs the APIKey that goes with the SecretKey: any other pair gets no JwtToken.
pub const API_KEY_WITH_SECRET_KEY: Rule = Rule {
    id: "fileverbs.api-key-with-secret-key",
    says: "the access-token call needs the APIKey that goes with the SecretKey: any other pair gets no JwtToken",
    source: Source::seed(
        Seed::FileVerbs,
        "The APIKey is used in combination with the SecretKey to generate the JWT Bearer Token",
    ),
};

/// A JwtToken sent as Authorization: Bearer authenticates a call until it expires.
pub const BEARER_AUTHENTICATES: Rule = Rule {
    id: "fileverbs.bearer-authenticates",
    says: "a JwtToken sent as Authorization: Bearer authenticates a call until it expires",
    source: Source::seed(
        Seed::FileVerbs,
        "it should be passed in the Authorization header as Bearer {jwt-token} for subsequent API calls.",
    ),
};

/// The refresh token is set in an HttpOnly cookie.
pub const REFRESH_COOKIE_HTTP_ONLY: Rule = Rule {
    id: "fileverbs.refresh-cookie-http-only",
    says: "the refresh token is set in an HttpOnly cookie",
    source: Source::seed(
        Seed::FileVerbs,
        "A refresh token is stored in an HTTP-only cookie for added security.",
    ),
};

/// A refresh token obtains a new JwtToken that works.
pub const REFRESH_GIVES_A_BEARER: Rule = Rule {
    id: "fileverbs.refresh-gives-a-bearer",
    says: "a refresh token obtains a new JwtToken that works",
    source: Source::seed(
        Seed::FileVerbs,
        "It can be used to obtain a new Bearer Token without requiring a user login.",
    ),
};

/// RFC 7515 §5.2: a JWS whose signature does not validate is rejected.
pub const JWT_SIGNATURE_CHECKED: Rule = Rule {
    id: "fileverbs.jwt-signature-checked",
    says: "a JwtToken whose signature does not verify (tampered, another key, alg none) is refused",
    source: Source::standard(
        "RFC 7515",
        "5.2",
        "If any of the listed steps fails, then the signature or MAC cannot be validated",
    ),
};

/// RFC 7519 §4.1.4: a JWT is not accepted on or after its exp (a few minutes' leeway aside).
pub const JWT_EXPIRY_CHECKED: Rule = Rule {
    id: "fileverbs.jwt-expiry-checked",
    says: "a JwtToken is refused after its exp (with at most a few minutes of leeway)",
    source: Source::standard(
        "RFC 7519",
        "4.1.4",
        "the JWT MUST NOT be accepted for processing",
    ),
};

/// FileVerbs' rules, in the order of the seed.
pub const ALL: &[&Rule] = &[
    &SECRET_KEY_AUTHENTICATES,
    &WRONG_SECRET_KEY_REFUSED,
    &SECRET_KEY_UNTIL_RESET,
    &ACCESS_TOKEN_ISSUES_A_JWT,
    &API_KEY_WITH_SECRET_KEY,
    &BEARER_AUTHENTICATES,
    &REFRESH_COOKIE_HTTP_ONLY,
    &REFRESH_GIVES_A_BEARER,
    &JWT_SIGNATURE_CHECKED,
    &JWT_EXPIRY_CHECKED,
];
