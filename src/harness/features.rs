//! The feature files the harness runs: compiled into the binary, so that an
//! installed `authconform` needs no checkout, or read from `--features DIR`.

use std::path::{Path, PathBuf};

use crate::harness::report::{RunError, Usage};

/// A feature file of `features/`, compiled in: `(path relative to
/// `features/`, text)`, as a suite lists its own ([`crate::harness::suite::VendorSuite::features`]).
#[macro_export]
#[doc(hidden)]
macro_rules! feature {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/features/", $path)),
        )
    };
}

/// Every compiled-in feature file, by path relative to the features folder:
/// each registered vendor's, in the registry's order. A test checks that the
/// built-in vendors' lists and the `features/` folder agree.
pub fn embedded() -> Vec<(&'static str, &'static str)> {
    crate::harness::suite::all()
        .iter()
        .flat_map(|s| s.features())
        .copied()
        .collect()
}

/// A features folder on disk; the compiled-in features are written to a
/// temporary folder that lives as long as this value.
pub struct FeatureFiles {
    root: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl FeatureFiles {
    pub fn prepare(dir: Option<&Path>) -> Result<Self, RunError> {
        if let Some(dir) = dir {
            if !dir.is_dir() {
                return Err(Usage::NoFeaturesFolder(dir.to_path_buf()).into());
            }
            return Ok(FeatureFiles {
                root: dir.to_path_buf(),
                _temp: None,
            });
        }
        let temp = tempfile::Builder::new()
            .prefix("authconform-features-")
            .tempdir()
            .map_err(|e| RunError::io("cannot create a temporary folder", e))?;
        // Under a `features/` folder, so reports name `features/limecraft/…`.
        let root = temp.path().join("features");
        for (rel, text) in embedded() {
            let path = root.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| RunError::io(format!("cannot create {}", parent.display()), e))?;
            }
            std::fs::write(&path, text)
                .map_err(|e| RunError::io(format!("cannot write {}", path.display()), e))?;
        }
        Ok(FeatureFiles {
            root,
            _temp: Some(temp),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of a vendor's features (`<root>/<id>`).
    pub fn vendor_dir(&self, vendor_id: &str) -> PathBuf {
        self.root.join(vendor_id)
    }

    /// Every `.feature` file below the root, with its text.
    fn files(&self) -> Result<Vec<(PathBuf, String)>, RunError> {
        self.paths()?
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| RunError::io(format!("cannot read {}", path.display()), e))?;
                Ok((path, text))
            })
            .collect()
    }

    /// Every `.feature` file below the root, sorted.
    pub fn paths(&self) -> Result<Vec<PathBuf>, RunError> {
        let mut out = Vec::new();
        let mut dirs = vec![self.root.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| RunError::io(format!("cannot read {}", dir.display()), e))?;
            for path in entries.flatten().map(|e| e.path()) {
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "feature") {
                    out.push(path);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Refuses a folder without feature files, and a `@needs-…` tag that
    /// names no capability: a mistyped `@needs-clok` would otherwise run the
    /// scenario against a target that cannot support it.
    pub fn check_tags(&self) -> Result<(), RunError> {
        let files = self.files()?;
        if files.is_empty() {
            return Err(Usage::NoFeatureFiles(self.root.clone()).into());
        }
        let known: Vec<&str> = crate::harness::suite::capabilities()
            .iter()
            .map(|c| c.tag())
            .collect();
        for (path, text) in files {
            for (n, line) in text.lines().enumerate() {
                let unknown = line
                    .split_whitespace()
                    .filter_map(|w| w.strip_prefix('@'))
                    .find(|t| t.starts_with("needs-") && !known.contains(t));
                if let Some(tag) = unknown {
                    let shown = path.strip_prefix(&self.root).unwrap_or(&path);
                    return Err(Usage::UnknownTag {
                        file: shown.display().to_string(),
                        line: n + 1,
                        tag: tag.to_owned(),
                        known,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// The compiled-in feature files are exactly those of `features/`.
    #[test]
    fn the_compiled_in_features_are_the_folders() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
        let on_disk: std::collections::BTreeSet<String> = super::FeatureFiles::prepare(Some(&root))
            .unwrap()
            .paths()
            .unwrap()
            .iter()
            .map(|p| {
                p.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        let compiled: std::collections::BTreeSet<String> = super::embedded()
            .iter()
            .map(|(p, _)| (*p).to_owned())
            .collect();
        assert_eq!(compiled, on_disk);
    }
}
