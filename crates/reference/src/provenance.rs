//! Where a check comes from, and so what its failure means.
//!
//! The suite judges servers written by others from the same documents. A rule
//! the vendor's document states is binding; a choice this project made where
//! the document is silent (an error body, a status code, markup, a security
//! header, a rate limit) is not, however sensible. The OpenID Foundation's
//! conformance suite splits its results the same way (FAILURE / WARNING).

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
