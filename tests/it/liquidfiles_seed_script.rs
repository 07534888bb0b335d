//! The LiquidFiles documentation's own curl script (seed 001), copied
//! verbatim to `tests/it/seed_scripts/liquidfiles_login.sh`, runs unchanged
//! against the reference server serving LiquidFiles at the root (as
//! `authconform serve --vendor liquidfiles` does); only its `base_url=` line
//! is pointed at the server. It must print the user's stable API key.

use std::process::Command;

use authconform::reference::{ReferenceConfig, ReferenceServer};
use authconform::vendor::Vendor;

const SCRIPT: &str = include_str!("seed_scripts/liquidfiles_login.sh");

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the verbatim script with its `base_url=` pointed at `base_url`;
/// returns what it printed. `None` (with a loud SKIP line) without curl.
pub async fn run_against(base_url: &str) -> Option<String> {
    if !curl_available() {
        eprintln!(
            "\n\n!!!!! SKIPPED: curl is not installed, so the LiquidFiles seed script cannot run. \
             Install curl (CI does) to run this test. !!!!!\n\n"
        );
        return None;
    }
    // Only the base_url line changes.
    let original = "base_url=\"https://liquidfiles.company.com\"";
    assert_eq!(SCRIPT.matches(original).count(), 1, "the verbatim script");
    let script = SCRIPT.replace(original, &format!("base_url=\"{base_url}\""));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("liquidfiles_login.sh");
    std::fs::write(&path, script).unwrap();

    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash").arg(&path).output().expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the script failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_curl_script_retrieves_the_stable_api_key() {
    let running = ReferenceServer::new(ReferenceConfig {
        only_vendor: Some(Vendor::LiquidFiles),
        ..ReferenceConfig::for_tests()
    })
    .spawn(([127, 0, 0, 1], 0).into())
    .await
    .expect("bind loopback");
    let expected = running
        .server
        .liquidfiles
        .stable_key_of("user@company.com")
        .expect("the seed's account is in the default fixtures");
    let Some(stdout) = run_against(&running.url()).await else {
        return;
    };
    assert!(
        stdout.contains(&format!("<api_key>{expected}</api_key>")),
        "expected the stable key of user@company.com in: {stdout}"
    );
    assert!(stdout.contains("<user>"), "{stdout}");
}
