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

/// LAC's rules, in the order of the seed.
pub const ALL: &[&Rule] = &[&EVERY_SIGN_ON_A_NEW_TOKEN];
