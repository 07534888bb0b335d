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

/// Limecraft's rules, in the order of the seed.
pub const ALL: &[&Rule] = &[&LOGIN_RETURNS_A_TOKEN];
