//! The seam between the shared server and each vendor's reference
//! implementation: what [`crate::ReferenceServer`] asks of a vendor, answered
//! by each vendor's handle (`Limecraft`, `FileVerbs`, `Lac`, `LiquidFiles`) in
//! its own folder. The server mounts every vendor, its test hooks and its API
//! base through it, and names a vendor only where it builds its handle.

use axum::Router;

use crate::vendor::Vendor;

/// A vendor's reference implementation, as the shared server mounts it.
pub trait VendorServer: Send + Sync {
    fn vendor(&self) -> Vendor;

    /// Its routes, served under `mount` (`/fileverbs`, or empty at the root
    /// when the server serves it alone, as the vendor does).
    fn router(&self, mount: &str) -> Router;

    /// Its test hooks, served in test mode under
    /// `{CONTROL_PREFIX}/<vendor id>` (`crate::control`); none by default.
    fn control_hooks(&self) -> Option<Router> {
        None
    }

    /// Whether its handlers read the request's URI as it came, before the
    /// shared server cut the mount off (`OriginalUri`); false by default, so
    /// the other vendors' requests are not given a copy of it.
    fn reads_original_uri(&self) -> bool {
        false
    }

    /// The path of its API base under its mount (`/api`).
    fn api_base_path(&self) -> String {
        self.vendor().api_base_path().to_owned()
    }
}
