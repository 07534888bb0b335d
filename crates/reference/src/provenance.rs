//! Where a check comes from, and so what its failure means.
//!
//! The suite judges servers written by others from the same documents. A rule
//! the vendor's document states is binding; a choice this project made where
//! the document is silent (an error body, a status code, markup, a security
//! header, a rate limit) is not, however sensible. The OpenID Foundation's
//! conformance suite splits its results the same way (FAILURE / WARNING).
//!
//! A binding check names its [`Source`]: the seed document and the few words
//! it relies on, or a standard's section. `tests/it/provenance.rs` reads the
//! seed copies and fails when a cited quote is not in its seed, so a check
//! cannot claim a source it does not have.

/// The source of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provenance {
    /// The vendor's document says it: the scenario's catalogue id (`@LC3`)
    /// names the seed sentence in `../shared/CATALOGUE.md`. A failure fails
    /// the run.
    Documented,
    /// The reference server's choice where the document is silent. A failure
    /// is a warning; `--strict` makes it a failure.
    Reference,
}

impl Provenance {
    /// The word reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Documented => "documented",
            Provenance::Reference => "reference",
        }
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of the vendor documents the project implements (`../shared/seeds/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seed {
    /// 000: LiquidFiles, User API Key authentication in a web browser.
    LiquidFilesBrowser,
    /// 001: LiquidFiles, the user's API key with the XML API.
    LiquidFilesXml,
    /// 002: CA Live API Creator, auth tokens.
    Lac,
    /// 003: Limecraft Flow, authentication.
    Limecraft,
    /// 004: FileVerbs, authentication.
    FileVerbs,
}

impl Seed {
    pub const ALL: [Seed; 5] = [
        Seed::LiquidFilesBrowser,
        Seed::LiquidFilesXml,
        Seed::Lac,
        Seed::Limecraft,
        Seed::FileVerbs,
    ];

    /// The number its file name starts with (`003_….txt`).
    pub fn number(self) -> &'static str {
        match self {
            Seed::LiquidFilesBrowser => "000",
            Seed::LiquidFilesXml => "001",
            Seed::Lac => "002",
            Seed::Limecraft => "003",
            Seed::FileVerbs => "004",
        }
    }

    /// The seed a number names (`"003"`), as the specs' extensions write it.
    pub fn from_number(number: &str) -> Option<Seed> {
        Seed::ALL.into_iter().find(|s| s.number() == number)
    }
}

/// A document a binding check relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Document {
    /// A vendor document.
    Seed(Seed),
    /// A standard and its section: `("RFC 7519", "4.1.4")`.
    Standard {
        name: &'static str,
        section: &'static str,
    },
}

/// Where a binding check comes from: a document and the few words of it the
/// check relies on (a sentence or less, as the document writes it; a seed's
/// words are checked against the seed's text, whitespace aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Source {
    pub document: Document,
    pub quote: &'static str,
}

impl Source {
    /// Words of a vendor document.
    pub const fn seed(seed: Seed, quote: &'static str) -> Source {
        Source {
            document: Document::Seed(seed),
            quote,
        }
    }

    /// Words of a standard's section.
    pub const fn standard(
        name: &'static str,
        section: &'static str,
        quote: &'static str,
    ) -> Source {
        Source {
            document: Document::Standard { name, section },
            quote,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.document {
            Document::Seed(seed) => write!(f, "seed {}: \"{}\"", seed.number(), self.quote),
            Document::Standard { name, section } => {
                write!(f, "{name} §{section}: \"{}\"", self.quote)
            }
        }
    }
}

/// A documented rule: what a conforming server must do, in the vendor's
/// words, and the document that says so. The scenarios' checks and
/// `authconform explore`'s model both cite rules from one table per vendor
/// (the harness's `<vendor>/rules.rs`), so a rule is written once and a
/// failure says which rule broke and where the document says it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `vendor.what`, kebab-case: `limecraft.logout-ends-the-session`.
    pub id: &'static str,
    /// The rule, one sentence, as the document would put it.
    pub says: &'static str,
    pub source: Source,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}; {})", self.says, self.id, self.source)
    }
}

/// One choice the documents leave open, as a switch of the reference server
/// (`switch.rs` gathers every vendor's table and holds their values).
#[derive(Debug, PartialEq, Eq)]
pub struct Switch {
    /// `vendor.what`, kebab-case: `fileverbs.error-body`.
    pub name: &'static str,
    /// The values, the reference server's first.
    pub values: &'static [&'static str],
    /// What it changes, in one line.
    pub what: &'static str,
    /// Where the document is silent on it.
    pub silence: Source,
}

impl Switch {
    /// The reference server's value.
    pub fn reference_value(&self) -> &'static str {
        self.values[0]
    }
}

/// Text as a quote is matched against it: runs of whitespace are one space,
/// and the table pipes and line breaks the seeds' extraction left between
/// words count as whitespace too.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c == '|' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Whether `quote` appears in `document`, whitespace aside.
pub fn quoted_in(quote: &str, document: &str) -> bool {
    let quote = normalise(quote);
    !quote.is_empty() && normalise(document).contains(&quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_matches_across_line_breaks_and_runs_of_spaces() {
        let seed = "You can set rememberMe\nto true\nto remember the user for one week";
        assert!(quoted_in("set rememberMe to true to remember", seed));
        assert!(!quoted_in("set rememberMe to false", seed));
        assert!(!quoted_in("   ", seed), "an empty quote cites nothing");
    }

    #[test]
    fn table_pipes_are_whitespace() {
        let seed = "Code | Description |\n200 |\nUser is logged in |";
        assert!(quoted_in("200 User is logged in", seed));
    }

    #[test]
    fn a_source_says_its_document_and_words() {
        let s = Source::seed(
            Seed::Limecraft,
            "the login call is only used once per session",
        );
        assert_eq!(
            s.to_string(),
            "seed 003: \"the login call is only used once per session\""
        );
        let r = Source::standard("RFC 7519", "4.1.4", "usually no more than a few minutes");
        assert_eq!(
            r.to_string(),
            "RFC 7519 §4.1.4: \"usually no more than a few minutes\""
        );
        assert_eq!(Seed::from_number("004"), Some(Seed::FileVerbs));
        assert_eq!(Seed::from_number("005"), None);
    }
}
