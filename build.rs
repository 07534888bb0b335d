//! `authconform --version` names the commit it was built from, as nextest's
//! does (`0.1.0 (60fa45f63 2026-08-04)`): from git when the source is a
//! checkout (a clone, `cargo install --git`), or from the environment variable
//! `AUTHCONFORM_BUILD_COMMIT` (a packager's); without either, the version alone.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=AUTHCONFORM_BUILD_COMMIT");
    // A new commit changes what HEAD points at: HEAD itself and the branch's ref.
    for path in ["HEAD", "packed-refs"]
        .iter()
        .filter_map(|p| git(&["rev-parse", "--git-path", p]))
        .chain(
            git(&["symbolic-ref", "-q", "HEAD"])
                .and_then(|r| git(&["rev-parse", "--git-path", &r])),
        )
    {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let commit = std::env::var("AUTHCONFORM_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let hash = git(&["rev-parse", "--short=9", "HEAD"])?;
            let date = git(&["log", "-1", "--format=%cs", "HEAD"]).unwrap_or_default();
            Some(format!("{hash} {date}").trim().to_owned())
        })
        .unwrap_or_default();
    println!("cargo:rustc-env=AUTHCONFORM_COMMIT={commit}");
}
