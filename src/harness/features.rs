//! The feature files the harness runs: compiled into the binary, so that an
//! installed `authconform` needs no checkout, or read from `--features DIR`.

use std::path::{Path, PathBuf};

use crate::harness::RunError;
use crate::vendor::Vendor;

/// Every feature file under `features/`, by path relative to it. A test checks
/// that this list and the folder agree.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "limecraft/login.feature",
        include_str!("../../features/limecraft/login.feature"),
    ),
    (
        "limecraft/transport.feature",
        include_str!("../../features/limecraft/transport.feature"),
    ),
    (
        "limecraft/session.feature",
        include_str!("../../features/limecraft/session.feature"),
    ),
    (
        "limecraft/twofactor.feature",
        include_str!("../../features/limecraft/twofactor.feature"),
    ),
    (
        "limecraft/logout.feature",
        include_str!("../../features/limecraft/logout.feature"),
    ),
    (
        "fileverbs/secret_key.feature",
        include_str!("../../features/fileverbs/secret_key.feature"),
    ),
    (
        "fileverbs/access_token.feature",
        include_str!("../../features/fileverbs/access_token.feature"),
    ),
    (
        "fileverbs/refresh.feature",
        include_str!("../../features/fileverbs/refresh.feature"),
    ),
    (
        "lac/sign_on.feature",
        include_str!("../../features/lac/sign_on.feature"),
    ),
    (
        "lac/transport.feature",
        include_str!("../../features/lac/transport.feature"),
    ),
    (
        "lac/revalidate.feature",
        include_str!("../../features/lac/revalidate.feature"),
    ),
    (
        "lac/disable.feature",
        include_str!("../../features/lac/disable.feature"),
    ),
    (
        "lac/password.feature",
        include_str!("../../features/lac/password.feature"),
    ),
    (
        "liquidfiles/browser.feature",
        include_str!("../../features/liquidfiles/browser.feature"),
    ),
    (
        "liquidfiles/xml_login.feature",
        include_str!("../../features/liquidfiles/xml_login.feature"),
    ),
];

/// A features folder on disk; the compiled-in features are written to a
/// temporary folder that lives as long as this value.
pub struct FeatureFiles {
    root: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl FeatureFiles {
    pub fn prepare(dir: Option<&Path>) -> Result<Self, RunError> {
        if let Some(dir) = dir {
            return Ok(FeatureFiles {
                root: dir.to_path_buf(),
                _temp: None,
            });
        }
        let temp = tempfile::Builder::new()
            .prefix("authconform-features-")
            .tempdir()
            .map_err(|e| RunError::Io(format!("cannot create a temporary folder: {e}")))?;
        // Under a `features/` folder, so reports name `features/limecraft/…`.
        let root = temp.path().join("features");
        for (rel, text) in EMBEDDED {
            let path = root.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| RunError::Io(e.to_string()))?;
            }
            std::fs::write(&path, text).map_err(|e| RunError::Io(e.to_string()))?;
        }
        Ok(FeatureFiles {
            root,
            _temp: Some(temp),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn vendor_dir(&self, vendor: Vendor) -> PathBuf {
        self.root.join(vendor.id())
    }
}
