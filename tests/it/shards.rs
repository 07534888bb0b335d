//! A run split over machines and merged back (issue #24): three shards
//! (`run --partition K/3`, both kinds) against one reference server, merged
//! by `report merge`, give the reports one run gives (durations and the
//! server's `Date` aside), with its exit code; shards that are not one run's
//! are refused, and the merged reports say why.

use std::ffi::OsStr;
use std::path::Path;

use authconform::harness::exit::Exit;
use serde_json::Value;

use crate::cli::{Served, command, temp_dir, text};
use crate::pipeline::limecraft_target;

const REPORTS: [(&str, &str); 4] = [
    ("--junit", "junit.xml"),
    ("--summary-json", "summary.json"),
    ("--cucumber-json", "cucumber.json"),
    ("--html", "report.html"),
];

/// `authconform ARGS…` with every report into `dir`; its exit code and output.
fn with_reports(args: &[&OsStr], dir: &Path) -> (i32, String) {
    let mut c = command();
    c.args(args);
    for (flag, file) in REPORTS {
        c.arg(flag).arg(dir.join(file));
    }
    let out = c.output().unwrap();
    let code = out.status.code();
    (code.unwrap_or_else(|| panic!("{}", text(&out))), text(&out))
}

/// `run` against `target` with every report into `dir`; its exit code.
fn run(target: &Path, dir: &Path, extra: &[&str]) -> i32 {
    let mut args: Vec<&OsStr> = vec!["run".as_ref(), "--quiet".as_ref(), "--target".as_ref()];
    args.push(target.as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    with_reports(&args, dir).0
}

/// `report merge` of `inputs` with every report into `dir`; its exit code and output.
fn merge(inputs: &[&Path], dir: &Path) -> (i32, String) {
    let mut args: Vec<&OsStr> = vec!["report".as_ref(), "merge".as_ref()];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    with_reports(&args, dir)
}

/// A report with what differs between two runs of the same scenarios made
/// the same: durations, the server's `Date` header, the HTML's run metadata.
fn comparable(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rules = [
        (r#"time="[0-9.]+""#, "time=\"\""),
        (r#""duration(_ms)?": ?[0-9]+"#, "\"duration\":0"),
        (r"date: [A-Z][a-z]{2}, [^\\\n]+GMT", "date: …"),
        (r"[0-9]+ ms\b", "… ms"),
        (r#"(?s)<dl class="meta".*?</dl>"#, ""),
    ];
    rules.iter().fold(text, |t, (pattern, with)| {
        regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&t, *with)
            .into_owned()
    })
}

fn summary(path: &Path) -> Value {
    let file = ["summary.json", "authconform-summary.json"]
        .iter()
        .map(|name| path.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no summary in {}", path.display()));
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

/// (feature, line, name, status) of every scenario of a summary, in its order.
fn verdicts(summary: &Value) -> Vec<(String, u64, String, String)> {
    summary["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["feature"].as_str().unwrap().to_owned(),
                s["line"].as_u64().unwrap(),
                s["name"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn three_shards_merged_are_the_one_run_in_every_report() {
    // A broken rule (failures) and a target without clock control or a
    // second-factor account (skips), as report_consumers has it.
    let served = Served::start(&["--fault", "logout-does-not-revoke"]);
    let dir = temp_dir();
    let target = dir.path().join("target.yaml");
    std::fs::write(&target, limecraft_target(&served.url, "alice-Pa55word")).unwrap();
    let one = dir.path().join("one");
    let code = run(&target, &one, &[]);
    assert_eq!(code, Exit::FAILED, "the broken rule fails the run");
    let whole = summary(&one);
    assert!(whole["failed"].as_u64().unwrap() > 0 && whole["skipped"].as_u64().unwrap() > 0);

    for kind in ["count", "hash"] {
        // Each shard's reports in its own folder, as CI artifacts are downloaded.
        let shards = dir.path().join(format!("{kind}-shards"));
        let mut seen = Vec::new();
        for k in 1..=3 {
            let own = shards.join(format!("shard-{k}"));
            let code = run(&target, &own, &["--partition", &format!("{kind}:{k}/3")]);
            assert!(
                [Exit::PASSED, Exit::FAILED, Exit::SETUP].contains(&code),
                "{kind} {k}: {code}"
            );
            let part = verdicts(&summary(&own));
            assert!(
                part.len() < verdicts(&whole).len(),
                "{kind} {k} ran only its part"
            );
            seen.extend(part);
        }
        seen.sort();
        let mut all = verdicts(&whole);
        all.sort();
        assert_eq!(
            seen, all,
            "{kind}: the shards are disjoint and hold every scenario"
        );

        let merged = dir.path().join(format!("{kind}-merged"));
        let (code, out) = merge(&[&shards], &merged);
        assert_eq!(code, Exit::FAILED, "the one run's exit code: {out}");
        assert!(out.contains(&format!(
            "{} passed, {} failed, {} skipped",
            whole["passed"], whole["failed"], whole["skipped"]
        )));
        assert_eq!(verdicts(&summary(&merged)), verdicts(&whole), "{kind}");
        for (_, report) in REPORTS {
            assert_eq!(
                comparable(&merged.join(report)),
                comparable(&one.join(report)),
                "{kind}: the merged {report} is the one run's"
            );
        }
    }

    // A shard missing: exit 2, and every requested report says what to do.
    let partial = dir.path().join("partial");
    let (code, out) = merge(
        &[
            &dir.path().join("count-shards/shard-1"),
            &dir.path().join("count-shards/shard-3"),
        ],
        &partial,
    );
    assert_eq!(code, Exit::SETUP, "{out}");
    assert!(out.contains("shard(s) 2 of 3 missing"), "{out}");
    let junit = std::fs::read_to_string(partial.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<error") && junit.contains("2 of 3 missing"),
        "{junit}"
    );
    // Shards of two partitions: refused, naming both files.
    let (code, out) = merge(
        &[
            &dir.path().join("count-shards/shard-1"),
            &dir.path().join("hash-shards/shard-2"),
            &dir.path().join("count-shards/shard-3"),
        ],
        &partial,
    );
    assert_eq!(code, Exit::SETUP, "{out}");
    assert!(out.contains("different partitions"), "{out}");
    // A bad partition is a usage error before anything runs.
    let out = command()
        .args(["run", "--vendor", "lac", "--partition", "4/3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(Exit::SETUP));
    assert!(text(&out).contains("K must be between 1 and N"));
}

/// `ci/authconform-check.sh` as the templates run it: a shard per job
/// (`AUTHCONFORM_PARTITION`), then the merge job (`AUTHCONFORM_MERGE`) over
/// the shards' folders, with the one run's exit code and verdicts.
#[test]
fn the_ci_script_runs_the_shards_and_the_merge_job() {
    let served = Served::start(&[]);
    let dir = temp_dir();
    let target = dir.path().join("target.yaml");
    std::fs::write(&target, limecraft_target(&served.url, "alice-Pa55word")).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_authconform"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/authconform-check.sh");
    let script_run = |vars: &[(&str, String)]| {
        let out = std::process::Command::new("bash")
            .env("AUTHCONFORM_STATE", dir.path().join("state.json"))
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("AUTHCONFORM_LOCK", dir.path().join("lock"))
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .arg(script)
            .output()
            .unwrap();
        (out.status.code().unwrap(), text(&out))
    };
    let (one, out) = script_run(&[
        ("AUTHCONFORM_TARGET", target.display().to_string()),
        ("AUTHCONFORM_REPORTS", "one".into()),
    ]);
    assert!([Exit::PASSED, Exit::FAILED].contains(&one), "{out}");
    for k in 1..=3 {
        let (code, out) = script_run(&[
            ("AUTHCONFORM_TARGET", target.display().to_string()),
            ("AUTHCONFORM_PARTITION", format!("hash:{k}/3")),
            (
                "AUTHCONFORM_REPORTS",
                format!("shards/authconform-shard-{k}"),
            ),
        ]);
        assert!(code != Exit::INTERRUPTED, "{out}");
    }
    let (code, out) = script_run(&[
        ("AUTHCONFORM_MERGE", "shards".into()),
        ("AUTHCONFORM_REPORTS", "reports".into()),
    ]);
    assert_eq!(code, one, "the merge job exits as the one run did: {out}");
    let merged = dir.path().join("reports");
    assert_eq!(
        verdicts(&summary(&merged)),
        verdicts(&summary(&dir.path().join("one")))
    );
    assert!(
        std::fs::read_to_string(merged.join("authconform-junit.xml"))
            .unwrap()
            .contains("<testcase"),
        "the merged JUnit report the templates publish"
    );
}
