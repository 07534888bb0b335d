//! What a person reads on the console: one line per scenario as it ends
//! (`[ 3/35] PASS LC3 … (12 ms)`), a failure's report under its line with the
//! feature file and line, and a closing recap of every failure, grouped when
//! the reason is the same, then the totals.
//!
//! Paths are relative to the features folder (the compiled-in features live
//! in a temporary one), and nothing names the harness's own source files.

use std::collections::BTreeMap;
use std::io::Write as _;

use crate::harness::report::{Outcome, RunReport, ScenarioResult};

impl RunReport {
    /// The closing part of the console output: skips, warnings, a recap of
    /// failures and the totals line (see [`closing`]).
    pub fn summary(&self) -> String {
        closing(self)
    }
}

/// Writes to stdout, ignoring a closed pipe (`authconform run | head`):
/// `print!` would panic there, inside the runner's hooks. The text goes out
/// [`neutral`]: nothing in it reaches a terminal as a control sequence or a
/// CI log as a workflow command.
pub fn out(text: &str) {
    write_raw(&neutral(text));
}

/// [`out`] for a message on stderr (`authconform: …`).
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(neutral(text).as_bytes());
    let _ = stderr.flush();
}

/// The harness's own GitHub workflow commands (`::error …`), written as they
/// are: their data is escaped where they are made (`summary.rs`).
pub fn workflow_commands(text: &str) {
    write_raw(text);
}

fn write_raw(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Text that may hold what a server under test sent, made safe to print
/// (issue #26 R9): every control character but newline and tab (ESC, CR,
/// NUL, DEL, the C1 controls) and the bidirectional overrides are written as
/// escapes (`\x1b`, `\u{202e}`); a line that a CI runner would read as a
/// workflow command (GitHub's `::name …` and `##[name]`, Azure's `##vso[`,
/// after leading blanks, which the runners trim) has its first character
/// escaped (`\x3a:error …`). The bytes stay readable, escaped; the reports
/// keep them so too.
pub fn neutral(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let command_line = |line: &str| {
        let t = line.trim_start();
        t.starts_with("::") || t.starts_with("##")
    };
    if !text.chars().any(unsafe_char) && !text.lines().any(command_line) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut rest = line;
        if command_line(line) {
            let lead = line.len() - line.trim_start().len();
            out.push_str(&line[..lead]);
            let first = line[lead..].chars().next().unwrap_or(':');
            out.push_str(&format!("\\x{:02x}", first as u32));
            rest = &line[lead + first.len_utf8()..];
        }
        for c in rest.chars() {
            match c {
                c if !unsafe_char(c) => out.push(c),
                c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The line printed when a scenario ends, with its failure or warnings below.
pub fn progress(n: usize, total: usize, s: &ScenarioResult) -> String {
    let width = total.max(n).to_string().len();
    let mark = match s.outcome {
        Outcome::Passed => "PASS",
        Outcome::Failed => "FAIL",
        Outcome::Skipped(_) => "SKIP",
        Outcome::ExpectedFailure(_) => "XFAIL",
    };
    let mut out = format!(
        "[{n:>width$}/{total}] {mark} {} ({} ms)\n",
        title(s),
        s.duration.as_millis()
    );
    if let Some(failure) = &s.failure {
        out.push_str(&format!("      at {}\n", location(s)));
        for line in failure.lines() {
            out.push_str(&format!("      {line}\n"));
        }
    }
    if let Outcome::Skipped(reason) = &s.outcome {
        out.push_str(&format!("      {reason}\n"));
    }
    if let Outcome::ExpectedFailure(reason) = &s.outcome {
        out.push_str(&format!("      expected failure (baseline): {reason}\n"));
    }
    for w in &s.warnings {
        out.push_str(&format!(
            "      warning (reference choice): {}\n",
            w.expected
        ));
    }
    out
}

/// `LC3 a wrong password is refused` (the id once, even if the name starts with it).
pub fn title(s: &ScenarioResult) -> String {
    titled(s.id.as_deref(), &s.name)
}

/// A scenario's id and name as every report shows them: the id once.
pub fn titled(id: Option<&str>, name: &str) -> String {
    match id {
        Some(id) if !name.starts_with(id) => format!("{id} {name}"),
        _ => name.to_owned(),
    }
}

/// `features/limecraft/login.feature:12`.
pub fn location(s: &ScenarioResult) -> String {
    format!("features/{}:{}", s.feature, s.line)
}

/// The closing part: skipped scenarios, warnings, a recap of failures (one
/// line each, grouped when the reason is the same), and the totals line.
pub fn closing(report: &RunReport) -> String {
    let mut out = match &report.label {
        Some(label) => format!("\nauthconform: {label}: {}\n", report.target_description),
        None => format!("\nauthconform: {}\n", report.target_description),
    };
    let skipped: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Skipped(_)))
        .collect();
    if !skipped.is_empty() {
        out.push_str("skipped:\n");
        for s in skipped {
            if let Outcome::Skipped(reason) = &s.outcome {
                out.push_str(&format!("  SKIP {} ({reason})\n", title(s)));
            }
        }
    }
    if report.warnings() > 0 {
        out.push_str(&format!(
            "warnings ({}): the reference server's own choices, where the vendors' documents are \
             silent; they do not fail the run (--strict makes them fail):\n",
            report.warnings()
        ));
        for s in &report.scenarios {
            for w in &s.warnings {
                out.push_str(&format!("  WARN {}: {}\n", title(s), w.expected));
            }
        }
    }
    for s in &report.scenarios {
        if let Outcome::ExpectedFailure(reason) = &s.outcome {
            out.push_str(&format!(
                "  XFAIL {} (expected, baseline: {reason})\n",
                title(s)
            ));
        }
    }
    for (id, reason) in &report.stale_baseline {
        out.push_str(&format!(
            "  STALE baseline entry {id} ({reason}): it passes now; remove it from the baseline\n"
        ));
    }
    let mut failures: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for s in report
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Failed)
    {
        let reason = s
            .failure
            .as_deref()
            .and_then(|f| f.lines().next())
            .unwrap_or("failed")
            .to_owned();
        failures.entry(reason).or_default().push(s);
    }
    if !failures.is_empty() {
        out.push_str("failures:\n");
        for (reason, scenarios) in failures {
            if let [s] = scenarios.as_slice() {
                out.push_str(&format!(
                    "  FAIL {} ({}): {reason}\n",
                    title(s),
                    location(s)
                ));
            } else {
                out.push_str(&format!("  FAIL ×{} {reason}\n", scenarios.len()));
                for s in scenarios {
                    out.push_str(&format!("         {} ({})\n", title(s), location(s)));
                }
            }
        }
    }
    if report.parsing_errors > 0 {
        out.push_str(&format!(
            "{} feature file(s) did not parse\n",
            report.parsing_errors
        ));
    }
    out.push_str(&format!(
        "{} passed, {} failed, {} skipped\n",
        report.passed(),
        report.failed(),
        report.skipped()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn scenario(id: &str, outcome: Outcome, failure: Option<&str>) -> ScenarioResult {
        ScenarioResult {
            id: Some(id.into()),
            name: format!("{id} something"),
            vendor: None,
            feature: "limecraft/login.feature".into(),
            line: 7,
            duration: Duration::from_millis(3),
            failure: failure.map(str::to_owned),
            outcome,
            warnings: vec![],
            steps: vec![],
        }
    }

    #[test]
    fn identical_failures_are_grouped_and_paths_are_relative() {
        let why = "expected: alice to log in\nrequest: …";
        let report = RunReport {
            target_description: "limecraft at http://x".into(),
            scenarios: vec![
                scenario("LC1", Outcome::Failed, Some(why)),
                scenario("LC2", Outcome::Failed, Some(why)),
                scenario("LC3", Outcome::Passed, None),
            ],
            ..RunReport::default()
        };
        let text = closing(&report);
        assert!(text.contains("FAIL ×2 expected: alice to log in"), "{text}");
        assert!(
            text.contains("LC1 something (features/limecraft/login.feature:7)"),
            "{text}"
        );
        assert!(text.ends_with("1 passed, 2 failed, 0 skipped\n"), "{text}");
        let line = progress(2, 12, &report.scenarios[0]);
        assert!(
            line.starts_with("[ 2/12] FAIL LC1 something (3 ms)\n      at features/"),
            "{line}"
        );
        assert!(
            !line.contains("panicked") && !line.contains("src/"),
            "{line}"
        );
    }
}

#[cfg(test)]
mod neutral_tests {
    use super::neutral;

    #[test]
    fn control_characters_and_workflow_commands_are_escaped_not_lost() {
        assert_eq!(neutral("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(neutral("\x1b[2Jcleared\0"), "\\x1b[2Jcleared\\x00");
        assert_eq!(neutral("a\rb\u{9b}c\u{202e}d"), "a\\x0db\\x9bc\\u{202e}d");
        let body = "ok\n  ::add-mask::passed\n::stop-commands::zzz\n##[error]x\n##vso[task]y";
        assert_eq!(
            neutral(body),
            "ok\n  \\x3a:add-mask::passed\n\\x3a:stop-commands::zzz\n\\x23#[error]x\n\\x23#vso[task]y"
        );
        // Escaping twice changes nothing: the output has nothing left to escape.
        let once = neutral(body).into_owned();
        assert_eq!(neutral(&once), once);
        assert!(neutral("a :: b").eq("a :: b"));
    }
}
