//! A finding shown three ways: the case as a scenario in the feature files'
//! words, a `curl` script of its exchanges (secrets redacted, as `run`
//! shows them), and the replay file `authconform explore --replay FILE`
//! runs again.

use serde::{Deserialize, Serialize};

use crate::harness::explore::engine::Found;
use crate::redact::Secrets;

/// The replay file: exactly the operations of a shrunk case, and where they
/// came from. Holds no secret: operations name personas, never their
/// passwords or tokens (codes and tokens are made afresh when it runs).
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplayFile {
    /// The format's version: 1.
    pub authconform_explore: u32,
    pub vendor: String,
    /// The seed of the run that found it, and its case.
    pub seed: u64,
    pub case: u32,
    /// The rule it broke (`limecraft.logout-ends-the-session`), if a rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The case in the feature files' words, for a reader.
    #[serde(default)]
    pub scenario: Vec<String>,
    /// The operations, the vendor model's own (`--replay` reads them back).
    pub ops: serde_json::Value,
}

impl ReplayFile {
    pub const VERSION: u32 = 1;

    pub fn of(vendor: &str, seed: u64, found: &Found) -> ReplayFile {
        ReplayFile {
            authconform_explore: Self::VERSION,
            vendor: vendor.to_owned(),
            seed,
            case: found.case,
            rule: found.rule.map(|r| r.id.to_owned()),
            scenario: found.lines.clone(),
            ops: found.ops.clone(),
        }
    }

    pub fn read(path: &std::path::Path) -> Result<ReplayFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--replay {}: {e}", path.display()))?;
        let file: ReplayFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "--replay {}: not a replay file written by `authconform explore` ({e})",
                path.display()
            )
        })?;
        if file.authconform_explore != Self::VERSION {
            return Err(format!(
                "--replay {}: version {} (this authconform reads version {})",
                path.display(),
                file.authconform_explore,
                Self::VERSION
            ));
        }
        Ok(file)
    }
}

/// The shrunk case as a scenario to paste into a feature file of the vendor.
pub fn scenario(vendor: &str, found: &Found) -> String {
    let title = match found.rule {
        Some(rule) => rule.says.to_owned(),
        None => found.signature.clone(),
    };
    let mut out = format!("@{vendor} @explore\nScenario: explore found: {title}\n");
    for line in &found.lines {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// The case's exchanges as a shell script of `curl` lines, each with the
/// status the server answered; secrets appear as `<redacted>`.
pub fn curl_script(found: &Found, secrets: &Secrets) -> String {
    let mut out = String::from(
        "#!/bin/sh\n# The requests of the shrunk case, in order; fill in each <redacted> secret\n# (tokens come from the answers before them).\n",
    );
    for x in &found.exchanges {
        out.push_str(&format!("# → HTTP {}\n{}\n", x.status, x.curl(secrets)));
    }
    out
}
