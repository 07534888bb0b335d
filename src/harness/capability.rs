//! What a scenario may need that not every server under test offers: one
//! table row per capability, its `@needs-…` tag, what provides it in a target
//! file, and the test of a target. A scenario tagged `@needs-<name>` is
//! skipped, with the reason, when the target lacks it; an unknown `@needs-…`
//! tag is refused when the features load.

use crate::harness::target::Target;

/// The capability table: `Variant = "tag", |target| has it, "what to add"`.
macro_rules! capabilities {
    ($( $(#[$doc:meta])* $variant:ident = $tag:literal, $has:expr, $how:literal; )+) => {
        /// Something a scenario needs that not every server under test offers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Capability { $( $(#[$doc])* $variant ),+ }

        impl Capability {
            pub const ALL: &'static [Capability] = &[$(Capability::$variant),+];

            /// The tag (without `@`) of scenarios that need this.
            pub fn tag(self) -> &'static str {
                match self { $(Capability::$variant => $tag),+ }
            }

            /// What to add to the target file to get it.
            pub fn how_to_provide(self) -> &'static str {
                match self { $(Capability::$variant => $how),+ }
            }

            /// Whether `target` offers it.
            pub fn offered_by(self, target: &Target) -> bool {
                let has: fn(&Target) -> bool = match self { $(Capability::$variant => $has),+ };
                has(target)
            }
        }
    };
}

capabilities! {
    /// `@needs-clock`: the server's clock can be read and advanced (control API).
    Clock = "needs-clock", |t| t.control_url.is_some(),
        "needs clock control: the target declares no `control_url` (only the reference server offers it)";
    /// `@needs-locked-account`: `users.locked` is given.
    LockedAccount = "needs-locked-account", |t| t.users.locked.is_some(),
        "needs a locked account: add `users.locked` to the target file";
    /// `@needs-disabled-account`: `users.disabled` is given.
    DisabledAccount = "needs-disabled-account", |t| t.users.disabled.is_some(),
        "needs a disabled account: add `users.disabled` to the target file";
    /// `@needs-twofactor-account`: `users.twofactor` is given.
    TwofactorAccount = "needs-twofactor-account", |t| t.users.twofactor.is_some(),
        "needs an account the suite may enable 2FA on: add `users.twofactor` to the target file";
    /// `@needs-refresh-endpoint`: FileVerbs refresh and revoke paths are given (`@ext`).
    RefreshEndpoint = "needs-refresh-endpoint",
        |t| t.fileverbs.as_ref().is_some_and(|f| f.refresh_path.is_some() && f.revoke_path.is_some()),
        "needs the refresh and revoke calls (not documented by the vendor): add `fileverbs.refresh_path` and `fileverbs.revoke_path`";
    /// `@needs-secret-key-reset`: the control API can reset a FileVerbs SecretKey.
    SecretKeyReset = "needs-secret-key-reset", |t| t.control_url.is_some(),
        "needs a SecretKey reset hook: the target declares no `control_url` (only the reference server offers it)";
    /// `@needs-url-auth`: the LAC API allows auth tokens in the URL (`lac.url_auth`).
    UrlAuth = "needs-url-auth", |t| t.lac.as_ref().is_some_and(|l| l.url_auth),
        "needs an API that allows auth tokens in the URL: set `lac.url_auth: true` if its API property is on";
    /// `@needs-url-auth-off`: a LAC API that does not allow them (`lac.url_auth: false`,
    /// or `lac.url_auth_off_base_url`).
    UrlAuthOff = "needs-url-auth-off",
        |t| t.lac.as_ref().is_some_and(|l| !l.url_auth || l.url_auth_off_base_url.is_some()),
        "needs an API that does not allow auth tokens in the URL: set `lac.url_auth: false`, or give another such API as `lac.url_auth_off_base_url`";
    /// `@needs-provider-without-password-change`: `lac.no_password_change` is given.
    ProviderWithoutPasswordChange = "needs-provider-without-password-change",
        |t| t.lac.as_ref().is_some_and(|l| l.no_password_change.is_some()),
        "needs an API whose authentication provider does not implement password change: add `lac.no_password_change` (base_url, username, password)";
    /// `@needs-admin-token`: `lac.admin_token` is given.
    AdminToken = "needs-admin-token", |t| t.lac.as_ref().is_some_and(|l| l.admin_token.is_some()),
        "needs an auth token created in API Creator: add `lac.admin_token`";
    /// `@needs-activity-log`: the control API can read the LiquidFiles activity log.
    ActivityLog = "needs-activity-log", |t| t.control_url.is_some(),
        "needs to read the activity log: the target declares no `control_url` (only the reference server offers it)";
    /// `@needs-special-password-account`: `liquidfiles.special` is given.
    SpecialPasswordAccount = "needs-special-password-account",
        |t| t.liquidfiles.as_ref().is_some_and(|l| l.special.is_some()),
        "needs an account whose password has & and $: add `liquidfiles.special` (username, password)";
    /// `@needs-key-probe`: `liquidfiles.probe_path` is given (`@ext`).
    KeyProbe = "needs-key-probe", |t| t.liquidfiles.as_ref().is_some_and(|l| l.probe_path.is_some()),
        "needs a call that takes the API key as HTTP Basic user name (not documented with the key login): add `liquidfiles.probe_path`";
    /// `@needs-username-login`: `liquidfiles.primary_username` is given.
    UsernameLogin = "needs-username-login",
        |t| t.liquidfiles.as_ref().is_some_and(|l| l.primary_username.is_some()),
        "needs alice's username besides her email: add `liquidfiles.primary_username`";
    /// `@needs-xml-login`: the LiquidFiles XML API (`liquidfiles.login` xml or both).
    XmlLogin = "needs-xml-login", |t| t.liquidfiles_login().xml(),
        "needs the XML API of POST /login: the target sets `liquidfiles.login: json`";
    /// `@needs-json-login`: the LiquidFiles v3 JSON API (`liquidfiles.login` json or both).
    JsonLogin = "needs-json-login", |t| t.liquidfiles_login().json(),
        "needs the JSON API of POST /login (LiquidFiles v3): the target sets `liquidfiles.login: xml`";
}

impl Capability {
    /// The capability a tag (without `@`) asks for; `None` for any other tag.
    pub fn from_tag(tag: &str) -> Option<Capability> {
        Capability::ALL.iter().copied().find(|c| c.tag() == tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_is_a_needs_tag_and_maps_back() {
        for c in Capability::ALL {
            assert!(c.tag().starts_with("needs-"), "{c:?}");
            assert_eq!(Capability::from_tag(c.tag()), Some(*c));
        }
        assert_eq!(Capability::from_tag("needs-nothing"), None);
    }
}
