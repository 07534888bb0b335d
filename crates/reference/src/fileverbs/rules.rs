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

/// FileVerbs' rules, in the order of the seed.
pub const ALL: &[&Rule] = &[&SECRET_KEY_AUTHENTICATES];
