//! Every vendor's documented rules, gathered: each vendor's table is its
//! `rules.rs` (`crate::provenance::Rule`: what a conforming server must do and
//! the document that says so). The reference server, the faults, the
//! harness's checks and `authconform explore`'s model cite rules from these
//! tables; `tests/it/provenance.rs` holds each rule's quote to its seed.

pub use crate::provenance::Rule;

/// Every rule of every vendor, in a stable order (vendor, then as each vendor
/// lists them). A vendor adds its table here, one line.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    [
        crate::limecraft::rules::ALL,
        crate::lac::rules::ALL,
        crate::fileverbs::rules::ALL,
        crate::liquidfiles::rules::SESSION_AND_LOGIN,
        crate::liquidfiles::rules::SAML,
    ]
    .into_iter()
    .flat_map(|table| table.iter().copied())
}

/// The rule called `id`.
pub fn named(id: &str) -> Option<&'static Rule> {
    all().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_vendor_prefixed_and_each_rule_says_something() {
        let mut seen = std::collections::BTreeSet::new();
        for r in all() {
            assert!(seen.insert(r.id), "two rules called {}", r.id);
            let vendor = r.id.split('.').next().unwrap();
            assert!(
                crate::vendor::Vendor::ALL.iter().any(|v| v.id() == vendor),
                "{} does not start with a vendor id",
                r.id
            );
            assert!(!r.says.trim().is_empty(), "{} says nothing", r.id);
        }
        assert_eq!(
            named("limecraft.login-returns-a-token").map(|r| r.id),
            Some("limecraft.login-returns-a-token")
        );
    }
}
