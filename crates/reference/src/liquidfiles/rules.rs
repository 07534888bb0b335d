//! LiquidFiles' documented rules (seeds 000 and 001), one table: what a
//! conforming server must do, each with the seed's words. The harness's
//! checks and `explore`'s model cite these (`crate::rule`).

use crate::provenance::{Rule, Seed, Source};

/// The XML login gives the user's API key.
pub const XML_LOGIN_RETURNS_THE_KEY: Rule = Rule {
    id: "liquidfiles.xml-login-returns-the-key",
    says: "POST /login with the user's email (or username) and password answers the user's api_key",
    source: Source::seed(Seed::LiquidFilesXml, "api_key: # String The users API key"),
};

/// LiquidFiles' rules, seed 000 then seed 001.
pub const ALL: &[&Rule] = &[&XML_LOGIN_RETURNS_THE_KEY];
