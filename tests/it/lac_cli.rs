//! LAC's own command-line client (`lac`, npm `liveapicreator-cli` 5.2.2)
//! against the reference server: it reads `GET <api>/@license` without a
//! token before it signs on, keeps the key only while its `expiration` is in
//! the future, and `lac post` reads the `txsummary` array of the answer.
//!
//! Needs `node` and the package: `LAC_CLI=/path/to/liveapicreator.js`, or
//! `npm install liveapicreator-cli@5.2.2` under `target/lac-npm` (`.ci/run`
//! does). Without them the test prints a loud SKIP line and passes, except
//! under `AUTHCONFORM_REQUIRE_LAC_CLI` (CI), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use authconform::vendor::Vendor;

fn find_cli() -> Option<PathBuf> {
    let script = match std::env::var_os("LAC_CLI") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/lac-npm/node_modules/liveapicreator-cli/liveapicreator.js"),
    };
    let node = Command::new("node").arg("--version").output();
    (script.is_file() && node.is_ok_and(|o| o.status.success())).then_some(script)
}

/// Runs `lac <args>` with `home` as its home (where it keeps its keys);
/// returns what it printed, colours and all.
async fn lac(cli: &Path, home: &Path, args: &[&str]) -> String {
    let mut command = Command::new("node");
    command.arg(cli).args(args).env("HOME", home);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("node runs the CLI");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "lac {args:?} failed:\n{text}");
    text
}

#[tokio::test]
async fn the_vendor_cli_logs_in_and_posts() {
    let Some(cli) = find_cli() else {
        assert!(
            std::env::var_os("AUTHCONFORM_REQUIRE_LAC_CLI").is_none(),
            "node and liveapicreator-cli are required here (.ci/run installs them)"
        );
        eprintln!(
            "\n*** SKIP lac_cli: node or liveapicreator-cli is missing \
             (set LAC_CLI, or `npm install liveapicreator-cli@5.2.2` in target/lac-npm) ***\n"
        );
        return;
    };
    let (_server, _http, base) = crate::common::spawn(Vendor::Lac).await;
    let home = tempfile::tempdir().unwrap();

    let login = lac(
        &cli,
        home.path(),
        &["login", "-u", "alice", "-p", "alice-Pa55word", &base],
    )
    .await;
    assert!(
        login.contains("This server licensed to:"),
        "lac read @license:\n{login}"
    );
    assert!(
        login.contains("Login successful"),
        "lac signed on:\n{login}"
    );
    assert!(
        !login.contains("alice-Pa55word"),
        "the CLI echoed the password"
    );

    // `lac post` takes the key it kept (only if not expired) and counts the
    // rows in `txsummary`.
    let post = lac(&cli, home.path(), &["post", "probe", "-j", "{}"]).await;
    assert!(!post.contains("expired"), "lac kept the key:\n{post}");
    assert!(!post.contains("Error"), "lac post was authorized:\n{post}");
    assert!(
        post.contains("# objects touched: 0"),
        "lac post read txsummary:\n{post}"
    );

    // A wrong password: the CLI shows the server's errorMessage.
    let refused = lac(
        &cli,
        home.path(),
        &["login", "-u", "alice", "-p", "not-her-password", &base],
    )
    .await;
    assert!(refused.contains("Login failed"), "{refused}");
}
