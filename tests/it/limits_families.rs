//! Issue #12, FileVerbs: one key pair cannot grow the refresh-token store
//! without bound; beyond the cap a new family ends the one least recently
//! issued a token (issue #24: a family that rotates is in use, one that
//! idles is not).

use authconform::fixtures::Fixtures;
use authconform::reference::{ReferenceConfig, ReferenceServer};

fn capped_at(max: usize) -> (ReferenceServer, String, String) {
    let mut config = ReferenceConfig::for_tests();
    config.fileverbs.max_families_per_account = max;
    let server = ReferenceServer::new(config);
    let account = &Fixtures::builtin().fileverbs.accounts[0];
    (server, account.secret_key.clone(), account.api_key.clone())
}

#[test]
fn refresh_families_per_account_are_capped_oldest_first() {
    let (server, secret, api) = capped_at(5);
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

#[test]
fn a_family_that_rotates_outlives_younger_idle_ones() {
    let (server, secret, api) = capped_at(3);
    let fv = &server.fileverbs;
    let first = fv.issue(&secret, &api).unwrap().refresh_token;
    let second = fv.issue(&secret, &api).unwrap().refresh_token;
    let third = fv.issue(&secret, &api).unwrap().refresh_token;
    // The oldest family rotates: it is now the most recently used.
    let first = fv.refresh(&first).unwrap().refresh_token;
    // A fourth family ends the least recently used one, the second.
    fv.issue(&secret, &api).unwrap();
    assert!(fv.refresh(&second).is_err(), "the idle second family ended");
    assert!(fv.refresh(&first).is_ok(), "the rotating first family kept");
    assert!(fv.refresh(&third).is_ok(), "the third family kept");
}

#[test]
fn a_revoked_family_is_ended_before_any_live_one() {
    let (server, secret, api) = capped_at(3);
    let fv = &server.fileverbs;
    let first = fv.issue(&secret, &api).unwrap().refresh_token;
    let second = fv.issue(&secret, &api).unwrap().refresh_token;
    let third = fv.issue(&secret, &api).unwrap().refresh_token;
    // The youngest family is revoked; the next family ends it, not the oldest.
    fv.revoke(&third).unwrap();
    fv.issue(&secret, &api).unwrap();
    assert!(fv.refresh(&first).is_ok(), "the oldest live family kept");
    assert!(fv.refresh(&second).is_ok(), "the second live family kept");
    assert!(
        fv.revoke(&third).is_err(),
        "the revoked family's tokens are forgotten once it is ended"
    );
}
