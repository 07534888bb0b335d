//! Every citation of the suite is in the document it cites.
//!
//! A documented check, a switch's silence and a spec's documented response
//! each name their source (`harness::sources`). This reads the seed copies in
//! `../shared/seeds/` and fails when a cited quote is not in its seed, so a
//! check cannot claim a source it does not have. Without the seeds (a checkout
//! on its own) it says SKIP loudly; under `CI` that is a failure.

use std::path::PathBuf;

use authconform::harness::sources;
use authconform::provenance::{Document, Seed, quoted_in};

/// Quotes are a few words, not paragraphs.
const MAX_QUOTE_CHARS: usize = 240;

fn seeds_dir() -> PathBuf {
    std::env::var_os("AUTHCONFORM_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds")))
}

/// The text of `seed`'s copy (`003_….txt`).
fn seed_text(dir: &std::path::Path, seed: Seed) -> Option<String> {
    let prefix = format!("{}_", seed.number());
    let entry = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))?;
    std::fs::read_to_string(entry.path()).ok()
}

#[test]
fn every_cited_quote_is_in_its_seed_and_every_standard_names_its_section() {
    let dir = seeds_dir();
    let texts: Vec<(Seed, String)> = Seed::ALL
        .into_iter()
        .filter_map(|s| seed_text(&dir, s).map(|t| (s, t)))
        .collect();
    if texts.len() != Seed::ALL.len() {
        let message = format!(
            "SKIP every_cited_quote_is_in_its_seed: the seed copies are not at {} \
             (set AUTHCONFORM_SEEDS to their folder)",
            dir.display()
        );
        assert!(std::env::var_os("CI").is_none(), "{message}, and CI is set");
        eprintln!("\n!!! {message}\n");
        return;
    }
    let cited = sources::all();
    assert!(
        cited.len() >= 20,
        "expected the switches' and the specs' citations at least, found {}",
        cited.len()
    );
    let mut problems = Vec::new();
    for c in &cited {
        let source = match &c.source {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{}: {e}", c.place));
                continue;
            }
        };
        if source.quote.trim().is_empty() || source.quote.chars().count() > MAX_QUOTE_CHARS {
            problems.push(format!(
                "{}: cite a few words (1 to {MAX_QUOTE_CHARS} characters), not {:?}",
                c.place, source.quote
            ));
        }
        match source.document {
            Document::Seed(seed) => {
                let text = &texts
                    .iter()
                    .find(|(s, _)| *s == seed)
                    .expect("read above")
                    .1;
                if !quoted_in(source.quote, text) {
                    problems.push(format!(
                        "{}: seed {} does not say {:?}",
                        c.place,
                        seed.number(),
                        source.quote
                    ));
                }
            }
            Document::Standard { name, section } => {
                if name.trim().is_empty() || section.trim().is_empty() {
                    problems.push(format!("{}: a standard without a name or section", c.place));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
