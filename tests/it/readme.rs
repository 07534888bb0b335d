//! The README's commands (issue #23): the quickstart runs as written, and
//! every other `authconform …` line of its `sh` blocks is a command line the
//! binary accepts.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser as _;

const README: &str = include_str!("../../README.md");
const BIN: &str = env!("CARGO_BIN_EXE_authconform");

/// The `sh` blocks of the README, each as its lines.
fn sh_blocks() -> Vec<(usize, Vec<&'static str>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<&str>)> = None;
    for (n, line) in README.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some((n + 1, Vec::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, lines)), _) => lines.push(line),
            _ => {}
        }
    }
    blocks
}

/// A command line split as a POSIX shell would (quotes, no expansion), up
/// to a comment, a redirection or `&`.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '#' | '>' | '&' | '|') if !in_word => break,
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

#[test]
fn every_authconform_command_of_the_readme_is_one_the_binary_accepts() {
    let mut checked = 0;
    for (line_no, lines) in sh_blocks() {
        for line in lines {
            let words = words(line);
            // Environment assignments before the command, as a shell takes them.
            let command: Vec<&String> = words
                .iter()
                .skip_while(|w| w.contains('=') && !w.starts_with('-'))
                .collect();
            if command.first().is_none_or(|w| *w != "authconform") {
                continue;
            }
            if let Err(e) =
                authconform::cli::Cli::try_parse_from(command.iter().map(|w| w.as_str()))
            {
                // `--version` and `--help` end the parse on purpose.
                use clap::error::ErrorKind;
                assert!(
                    matches!(e.kind(), ErrorKind::DisplayVersion | ErrorKind::DisplayHelp),
                    "README.md block at line {line_no}: `{line}`: {e}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} commands found");
}

/// The quickstart block, run by bash as written: the binary built for the
/// tests is `authconform` on PATH, and a free port stands for 8080.
#[test]
fn the_quickstart_works_as_written() {
    let marker = README
        .find("<!-- quickstart:")
        .expect("the quickstart block is marked");
    let block = &README[marker..];
    let start = block.find("```sh\n").unwrap() + "```sh\n".len();
    let end = block[start..].find("```").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = block[start..start + end].replace("8080", &port.to_string());
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    // The server line ends with `&`; before the next command, wait until it
    // listens (a person reads its log line first).
    let mut lines = Vec::new();
    for line in script.lines() {
        lines.push(line.to_owned());
        if line.contains("serve")
            && line
                .trim_end()
                .split('#')
                .next()
                .unwrap()
                .trim_end()
                .ends_with('&')
        {
            lines.push(format!(
                "server=$!; trap 'kill $server' EXIT; for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.1; done"
            ));
        }
    }
    let mut child = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .current_dir(dir.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("AUTHCONFORM_STATE", dir.path().join("state.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(120));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the quickstart failed:\n{text}");
    assert!(
        text.contains("is ready") && text.contains("plan: "),
        "{text}"
    );
    assert!(text.contains(" passed, 0 failed"), "{text}");
    assert!(dir.path().join("reports/junit.xml").is_file());
    assert!(dir.path().join("reports/report.html").is_file());
}
