//! The vendors authconform knows, by the ids used everywhere (CLI, folders,
//! specs, tags), and where each one lives on the shared reference server.

use std::fmt;

/// A vendor whose authentication API authconform implements and tests.
///
/// Only vendors with a complete reference server, spec and feature set are
/// variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    Limecraft,
    FileVerbs,
    Lac,
    LiquidFiles,
}

impl Vendor {
    /// Every vendor, in the order reports list them.
    pub const ALL: &'static [Vendor] = &[
        Vendor::Limecraft,
        Vendor::FileVerbs,
        Vendor::Lac,
        Vendor::LiquidFiles,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Vendor::Limecraft => "limecraft",
            Vendor::FileVerbs => "fileverbs",
            Vendor::Lac => "lac",
            Vendor::LiquidFiles => "liquidfiles",
        }
    }

    /// The product's name as its documentation writes it.
    pub fn display_name(self) -> &'static str {
        match self {
            Vendor::Limecraft => "Limecraft Flow",
            Vendor::FileVerbs => "FileVerbs",
            Vendor::Lac => "CA Live API Creator",
            Vendor::LiquidFiles => "LiquidFiles",
        }
    }

    /// Where the vendor is mounted on the shared reference server. With
    /// `--vendor ID` it is mounted at the root instead, as the vendor serves it.
    pub fn mount_prefix(self) -> &'static str {
        match self {
            Vendor::Limecraft => "/limecraft",
            Vendor::FileVerbs => "/fileverbs",
            Vendor::Lac => "/lac",
            Vendor::LiquidFiles => "/liquidfiles",
        }
    }

    /// The path under the mount point that a target's `base_url` points at: the
    /// documented "base URL" of the vendor's API.
    pub fn api_base_path(self) -> &'static str {
        match self {
            Vendor::Limecraft => "/api",
            Vendor::FileVerbs => "/api/v1",
            // The default; the reference server's APIs are configured in its fixtures.
            Vendor::Lac => "/rest/default/demo/v1",
            // The documented URLs (`/login`, `/session/api`) are at the root of
            // the installation.
            Vendor::LiquidFiles => "",
        }
    }

    /// The vendor's OpenAPI 3.1 document, compiled in.
    pub fn spec_source(self) -> &'static str {
        match self {
            Vendor::Limecraft => include_str!("../../../specs/limecraft.openapi.yaml"),
            Vendor::FileVerbs => include_str!("../../../specs/fileverbs.openapi.yaml"),
            Vendor::Lac => include_str!("../../../specs/lac.openapi.yaml"),
            Vendor::LiquidFiles => include_str!("../../../specs/liquidfiles.openapi.yaml"),
        }
    }

    /// The scenario-id prefix of the catalogue (`LC1` … `LC25`).
    pub fn scenario_prefix(self) -> &'static str {
        match self {
            Vendor::Limecraft => "LC",
            Vendor::FileVerbs => "FV",
            Vendor::Lac => "LAC",
            Vendor::LiquidFiles => "LF",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An id that names no vendor; the message lists the ids.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown vendor `{0}`; available: {list}", list = available())]
pub struct VendorError(String);

fn available() -> String {
    Vendor::ALL
        .iter()
        .map(|v| v.id())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::str::FromStr for Vendor {
    type Err = VendorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .iter()
            .copied()
            .find(|v| v.id() == s)
            .ok_or_else(|| VendorError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for v in Vendor::ALL {
            assert_eq!(v.id().parse::<Vendor>(), Ok(*v));
        }
    }

    #[test]
    fn unknown_ids_say_so() {
        let e = "acme".parse::<Vendor>().unwrap_err().to_string();
        assert!(e.contains("unknown vendor `acme`"), "{e}");
    }
}
