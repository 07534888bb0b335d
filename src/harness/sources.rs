//! Every source the suite cites, in one list, so that one test
//! (`tests/it/provenance.rs`) can hold each to its document: a seed's words
//! must be in that seed, a standard's citation must name its section.
//!
//! The citations live next to what they back: a documented rule's in its
//! vendor's `rules.rs`, a switch's silence in its vendor's `switches.rs` (both
//! in the reference crate), a response's in the spec
//! (`x-authconform-source`). This gathers them.

use crate::provenance::Source;
use crate::reference::{rule, switch};
use crate::spec;
use crate::vendor::Vendor;

/// One citation and where it is made.
pub struct Cited {
    /// Where the citation sits: `switch fileverbs.error-body`,
    /// `spec limecraft POST /authentication/login 200`, ….
    pub place: String,
    /// The citation, or why it is not one.
    pub source: Result<Source, String>,
}

/// Every citation: the documented rules, the reference server's switches
/// and the specs.
pub fn all() -> Vec<Cited> {
    let mut out: Vec<Cited> = rule::all()
        .map(|r| Cited {
            place: format!("rule {}", r.id),
            source: Ok(r.source),
        })
        .collect();
    out.extend(switch::all().map(|s| Cited {
        place: format!("switch {}", s.name),
        source: Ok(s.silence),
    }));
    for vendor in Vendor::ALL {
        for (place, source) in spec::for_vendor(*vendor).sources() {
            out.push(Cited {
                place: format!("spec {vendor} {place}"),
                source,
            });
        }
    }
    out
}
