//! Limecraft Flow's part of a target file: only `users:` (it has no section of its own).

use crate::fixtures::Fixtures;
use crate::harness::target::{Account, Target, Users};

/// The reference server's Limecraft: the suite's accounts from the fixtures.
pub(crate) fn reference(target: &mut Target, fixtures: &Fixtures) {
    let account = |name: &str| {
        fixtures.limecraft_user(name).map(|u| Account {
            username: u.username.clone(),
            password: u.password.clone(),
            totp_secret: None,
            second_factor: Default::default(),
        })
    };
    let suite = &fixtures.limecraft.suite;
    target.users = Users {
        primary: account(&suite.primary),
        secondary: account(&suite.secondary),
        twofactor: account(&suite.twofactor),
        locked: suite.locked.as_deref().and_then(account),
        disabled: suite.disabled.as_deref().and_then(account),
        support: suite.support.as_deref().and_then(account),
        saml: None,
    };
}
