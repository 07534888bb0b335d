//! Issue #26: every kind of credential the reference server issues is bounded
//! per owner, and one kind never ends another. Each test runs its attack in
//! process for well under a second.
//!
//! - R5: a FileVerbs refresh chain keeps at most `max_refresh_tokens_per_family`
//!   tokens, an account at most `max_families_per_account` families;
//! - R11: logins that stop at the password (temporary 2FA tokens) never end a
//!   user's completed sessions;
//! - R12: LiquidFiles browser keys are capped per user, oldest ended first.

use authconform::clock::Clock;
use authconform::fixtures::Fixtures;
use authconform::reference::liquidfiles::store::{
    Agent, BrowserStep, LiquidFiles, LiquidFilesConfig,
};
use authconform::reference::throttle::Source;
use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::secret::{HashCost, PasswordHashing};
use authconform::totp::{self, TotpParams};

#[test]
fn a_refresh_chain_keeps_its_last_tokens_and_still_detects_their_reuse() {
    let mut config = ReferenceConfig::for_tests();
    config.fileverbs.max_refresh_tokens_per_family = 8;
    config.fileverbs.max_families_per_account = 4;
    let server = ReferenceServer::new(config);
    let fv = &server.fileverbs;
    let account = &Fixtures::builtin().fileverbs.accounts[0];
    let (secret, api) = (account.secret_key.clone(), account.api_key.clone());
    // The audit's attack, shortened: one key pair rotating as fast as it can,
    // on several families at once.
    let mut chains: Vec<Vec<String>> = (0..4)
        .map(|_| vec![fv.issue(&secret, &api).unwrap().refresh_token])
        .collect();
    for _ in 0..2_000 {
        for chain in &mut chains {
            let next = fv.refresh(chain.last().unwrap()).unwrap().refresh_token;
            chain.push(next);
        }
    }
    assert!(
        fv.refresh_token_count() <= 4 * 8,
        "{} refresh tokens kept for 4 families of 8",
        fv.refresh_token_count()
    );
    // A recent used token is still known: its reuse revokes its family.
    let chain = &chains[0];
    assert!(fv.refresh(&chain[chain.len() - 3]).is_err());
    assert!(
        fv.refresh(chain.last().unwrap()).is_err(),
        "the family was revoked by the reuse"
    );
    // A forgotten old one is refused, and changes nothing for its family.
    let other = &chains[1];
    assert!(fv.refresh(&other[0]).is_err());
    assert!(fv.refresh(other.last().unwrap()).is_ok());
    // More families than the cap: the revoked one goes first.
    fv.issue(&secret, &api).unwrap();
    assert!(fv.refresh_token_count() <= 4 * 8);
    for chain in &chains[2..] {
        assert!(
            fv.refresh(chain.last().unwrap()).is_ok(),
            "a live family survived"
        );
    }
}

#[tokio::test]
async fn password_only_logins_never_end_a_completed_session() {
    let mut config = ReferenceConfig::for_tests();
    config.limecraft.max_sessions_per_user = 16;
    let server = ReferenceServer::new(config);
    let lc = &server.limecraft;
    let carol = lc.user_id("carol").unwrap();
    let key = lc
        .enable_two_factor(
            authconform::reference::limecraft::store::Caller { user_id: carol },
            Some(carol),
            None,
            false,
            None,
        )
        .unwrap()
        .key;
    let secret = totp::decode_secret(&key).unwrap();
    let temp = lc
        .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
        .await
        .unwrap()
        .token;
    let code = totp::code_at(TotpParams::default(), &secret, lc.now());
    let session = lc
        .validate_two_factor(Some(temp.as_str()), Some(&code), None)
        .unwrap();
    // Someone with her password but not her second factor, many times over
    // the per-user cap (the audit: 260 logins against 256).
    let mut pending = Vec::new();
    for _ in 0..100 {
        let t = lc
            .login("carol", "carol-Pa55word", false, Source::UNKNOWN)
            .await
            .unwrap();
        assert!(t.needs_second_token);
        pending.push(t.token);
    }
    assert!(
        lc.authenticate(Some(session.as_str())).is_ok(),
        "her completed session survives"
    );
    // The temporary tokens have their own cap: the newest are pending, the
    // oldest ended.
    assert!(lc.is_live_token(pending.last().unwrap().as_str()));
    assert!(!lc.is_live_token(pending[0].as_str()));
}

#[tokio::test]
async fn browser_keys_are_capped_per_user_oldest_first() {
    let fixtures = Fixtures::builtin();
    let lf = LiquidFiles::new(
        &fixtures.liquidfiles,
        PasswordHashing::new(HashCost::Test),
        Clock::new(),
        None,
        LiquidFilesConfig {
            max_browser_keys_per_user: 5,
            ..LiquidFilesConfig::default()
        },
    );
    lf.add_user("flood@example.com", "flood", "flood-Pa55word");
    lf.add_user("other@example.com", "other", "other-Pa55word");
    let login = |user: &'static str, password: &'static str| {
        let lf = lf.clone();
        async move {
            let id = lf
                .start_browser_login(Agent::default(), Source::UNKNOWN)
                .unwrap();
            match lf
                .submit_password(&id, user, password, Source::UNKNOWN)
                .await
            {
                Ok(BrowserStep::Success(s)) => s.api_key,
                _ => panic!("the browser login of {user} failed"),
            }
        }
    };
    let other = login("other", "other-Pa55word").await;
    let mut keys = Vec::new();
    for _ in 0..40 {
        keys.push(login("flood", "flood-Pa55word").await);
    }
    let working = keys.iter().filter(|k| lf.authorize(k).is_some()).count();
    assert_eq!(working, 5, "keys of one user kept");
    assert!(
        lf.authorize(keys.last().unwrap()).is_some(),
        "the newest works"
    );
    assert!(lf.authorize(&keys[0]).is_none(), "the oldest ended");
    assert!(
        lf.authorize(&other).is_some(),
        "another user's key untouched"
    );
}
