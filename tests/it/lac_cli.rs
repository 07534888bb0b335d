//! LAC's own command-line client (`lac`, npm `liveapicreator-cli` 5.2.2)
//! against every server a client developer may point it at: the reference
//! server, the LAC mock (`authconform::mock::Lac`) and the WireMock export
//! run in the real WireMock. It reads `GET <api>/@license` without a token
//! before it signs on, keeps the key only while its `expiration` is in the
//! future, sends it as `CALiveAPICreator <apikey>:1` on `lac get`, and
//! `lac post` reads the `txsummary` array of the answer. `lac logout` forgets
//! the key (it sends nothing).
//!
//! Needs `node` and the package: `LAC_CLI=/path/to/liveapicreator.js`, or
//! `npm install liveapicreator-cli@5.2.2` under `target/lac-npm` (`.ci/run`
//! does). Without them the test prints a loud SKIP line and passes, except
//! under `AUTHCONFORM_REQUIRE_LAC_CLI` (CI), where it fails. The WireMock
//! target needs the jar as `tests/it/wiremock_export.rs` does.

use std::path::{Path, PathBuf};
use std::process::Command;

use authconform::mock::Lac;
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
/// returns what it printed, colours and all. The CLI exits 0 even when it
/// prints an error, so callers read its words.
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

/// The CLI's session against one server: log in, GET and POST the probe,
/// log out; then a wrong password. `target` names the server in failures.
async fn session(cli: &Path, target: &str, base: &str) {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    // The documentation's example user: seeded in the reference server and
    // the mock, the example the export's sign-on stub answers.
    let login = lac(cli, home, &["login", "-u", "demo", "-p", "Password1", base]).await;
    assert!(
        login.contains("This server licensed to:"),
        "{target}: lac read @license:\n{login}"
    );
    assert!(
        login.contains("Login successful"),
        "{target}: lac signed on:\n{login}"
    );
    assert!(
        !login.contains("Password1"),
        "{target}: the CLI echoed the password"
    );

    // `lac get` takes the key it kept (only if not expired).
    let get = lac(cli, home, &["get", "probe"]).await;
    assert!(
        !get.contains("expired"),
        "{target}: lac kept the key:\n{get}"
    );
    assert!(
        !get.contains("Error"),
        "{target}: lac get was authorized:\n{get}"
    );
    assert!(
        get.contains("GET for probe") && get.contains("# top-level objects: 1"),
        "{target}: lac get printed the answer:\n{get}"
    );

    // `lac post` counts the rows in `txsummary`.
    let post = lac(cli, home, &["post", "probe", "-j", "{}"]).await;
    assert!(
        !post.contains("Error"),
        "{target}: lac post was authorized:\n{post}"
    );
    assert!(
        post.contains("# objects touched: 0"),
        "{target}: lac post read txsummary:\n{post}"
    );

    let logout = lac(cli, home, &["logout"]).await;
    assert!(
        logout.contains("Logout successful"),
        "{target}: lac logout:\n{logout}"
    );

    // A wrong password: the CLI shows the server's errorMessage.
    let refused = lac(
        cli,
        home,
        &["login", "-u", "demo", "-p", "not-the-password", base],
    )
    .await;
    assert!(
        refused.contains("Login failed"),
        "{target}: a wrong password is refused:\n{refused}"
    );
}

#[tokio::test]
async fn the_vendor_cli_logs_in_gets_posts_and_logs_out() {
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
    for target in TARGETS {
        if let Some((_running, base)) = target.start().await {
            session(&cli, target.name(), &base).await;
        }
    }
}

/// Every server the CLI must work against.
#[derive(Clone, Copy)]
enum Target {
    Serve,
    Mock,
    WireMockExport,
}

const TARGETS: [Target; 3] = [Target::Serve, Target::Mock, Target::WireMockExport];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Serve => "the reference server",
            Target::Mock => "mock::Lac",
            Target::WireMockExport => "the WireMock export",
        }
    }

    /// Starts the target: what keeps it running, and the API's base URL.
    /// `None` when its tools are missing (WireMock: skipped unless required).
    async fn start(self) -> Option<(Box<dyn std::any::Any>, String)> {
        Some(match self {
            Target::Serve => {
                let (server, _http, base) = crate::common::spawn(Vendor::Lac).await;
                (Box::new(server), base)
            }
            Target::Mock => {
                let mock = Lac::start().await;
                let base = mock.base_url();
                (Box::new(mock), base)
            }
            Target::WireMockExport => {
                let jar = crate::common::wiremock_jar("lac_cli against the WireMock export")?;
                let wiremock = crate::common::start_wiremock(&jar, &[Vendor::Lac]).await;
                let base = format!("{}{}", wiremock.url, Vendor::Lac.api_base_path());
                (Box::new(wiremock), base)
            }
        })
    }
}
