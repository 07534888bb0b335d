//! What a scenario may need that not every server under test offers: a
//! capability is its `@needs-…` tag, the test of a target, and what provides
//! it in a target file. The shared ones are here ([`SHARED`]); a vendor's own
//! come from its suite ([`crate::harness::suite::VendorSuite::capabilities`]),
//! and the registry lists them all ([`crate::harness::suite::capabilities`]).
//! A scenario tagged `@needs-<name>` is skipped, with the reason, when the
//! target lacks it; an unknown `@needs-…` tag is refused when the features load.

use crate::harness::target::Target;

/// Something a scenario needs that not every server under test offers.
#[derive(Clone, Copy)]
pub struct Capability {
    tag: &'static str,
    offered_by: fn(&Target) -> bool,
    how_to_provide: &'static str,
}

impl std::fmt::Debug for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Capability({})", self.tag)
    }
}

impl PartialEq for Capability {
    fn eq(&self, other: &Self) -> bool {
        self.tag == other.tag
    }
}

impl Eq for Capability {}

impl Capability {
    /// `tag` (without `@`), `offered_by` the test of a target, `how_to_provide`
    /// what to add to the target file to get it.
    pub const fn new(
        tag: &'static str,
        offered_by: fn(&Target) -> bool,
        how_to_provide: &'static str,
    ) -> Self {
        Capability {
            tag,
            offered_by,
            how_to_provide,
        }
    }

    /// The tag (without `@`) of scenarios that need this.
    pub fn tag(self) -> &'static str {
        self.tag
    }

    /// What to add to the target file to get it.
    pub fn how_to_provide(self) -> &'static str {
        self.how_to_provide
    }

    /// Whether `target` offers it.
    pub fn offered_by(self, target: &Target) -> bool {
        (self.offered_by)(target)
    }
}

/// A table of capabilities, a row each: `"tag" => |target| whether it has it, "what to add";`.
#[macro_export]
#[doc(hidden)]
macro_rules! capabilities {
    ($( $tag:literal => $has:expr, $how:literal; )+) => {
        &[$( $crate::harness::capability::Capability::new($tag, $has, $how) ),+]
    };
}

/// What any vendor's scenarios may need: the clock (its control API), and the accounts of `users:`.
pub const SHARED: &[Capability] = crate::capabilities! {
    "needs-clock" => |t| t.control_url.is_some(), "needs clock control: the target declares no `control_url` (only the reference server offers it)";
    "needs-locked-account" => |t| t.users.locked.is_some(), "needs a locked account: add `users.locked` to the target file";
    "needs-disabled-account" => |t| t.users.disabled.is_some(), "needs a disabled account: add `users.disabled` to the target file";
    "needs-twofactor-account" => |t| t.users.twofactor.is_some(), "needs an account the suite may enable 2FA on: add `users.twofactor` to the target file";
    // A secret the target file gives stays the account's: a pipeline keeps
    // it as a secret instead of the state file (issue #23), and a scenario
    // that enables 2FA again would replace it.
    "needs-replaceable-second-factor" => |t| t.users.twofactor.as_ref().is_some_and(|a| a.totp_secret.is_none()), "the target file gives users.twofactor.totp_secret, which enabling 2FA again would replace (keep the state file instead to run it)";
};

/// `@needs-clock`: the server's clock can be read and advanced (control API).
pub const CLOCK: Capability = SHARED[0];
