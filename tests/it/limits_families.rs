//! Issue #12, FileVerbs: one key pair cannot grow the refresh-token store
//! without bound; beyond the cap a new family ends the oldest.

use authconform::fixtures::Fixtures;
use authconform::reference::{ReferenceConfig, ReferenceServer};

#[test]
fn refresh_families_per_account_are_capped_oldest_first() {
    let mut config = ReferenceConfig::for_tests();
    config.fileverbs.max_families_per_account = 5;
    let server = ReferenceServer::new(config);
    let account = &Fixtures::builtin().fileverbs.accounts[0];
    let (secret, api) = (account.secret_key.clone(), account.api_key.clone());
    let tokens: Vec<String> = (0..20)
        .map(|_| server.fileverbs.issue(&secret, &api).unwrap().refresh_token)
        .collect();
    // The 15 oldest were ended; the 5 newest still rotate.
    for old in &tokens[..15] {
        assert!(server.fileverbs.refresh(old).is_err());
    }
    for live in &tokens[15..] {
        assert!(server.fileverbs.refresh(live).is_ok());
    }
}
