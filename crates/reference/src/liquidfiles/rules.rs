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

/// The XML login answers a user the same key every time.
pub const XML_KEY_DOES_NOT_CHANGE: Rule = Rule {
    id: "liquidfiles.xml-key-does-not-change",
    says: "POST /login answers a user the same api_key every time, whatever happened between",
    source: Source::seed(Seed::LiquidFilesXml, "The API key doesn't change."),
};

/// The JSON API succeeds the XML one: the same user, the same key.
pub const JSON_LOGIN_SAME_KEY: Rule = Rule {
    id: "liquidfiles.json-login-same-key",
    says: "the v3 JSON POST /login answers the same api_key as the XML API it replaces",
    source: Source::seed(
        Seed::LiquidFilesXml,
        "This XML API has been deprecated in favour of the JSON API that's available in LiquidFiles v3.x onwards.",
    ),
};

/// LiquidFiles' rules, seed 000 then seed 001.
pub const ALL: &[&Rule] = &[
    &XML_LOGIN_RETURNS_THE_KEY,
    &XML_KEY_DOES_NOT_CHANGE,
    &JSON_LOGIN_SAME_KEY,
];
