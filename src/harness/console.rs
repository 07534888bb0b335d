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

/// Colour on the console (`--color`): the marks (PASS, FAIL, WARN…) and the
/// totals. Off unless [`paint::set`] turns it on.
pub mod paint {
    use std::sync::atomic::{AtomicBool, Ordering};

    static ON: AtomicBool = AtomicBool::new(false);

    /// `--color`: `auto` colours a terminal unless `NO_COLOR` is set (and
    /// not empty) or `TERM=dumb`; `always` and `never` say so.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
    pub enum ColorChoice {
        #[default]
        Auto,
        Always,
        Never,
    }

    impl ColorChoice {
        /// Whether to colour a stream that is (or is not) a terminal.
        pub fn colours(self, terminal: bool) -> bool {
            match self {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    terminal
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                }
            }
        }
    }

    /// Colours the console's output from now on, or not.
    pub fn set(on: bool) {
        ON.store(on, Ordering::Relaxed);
    }

    pub fn enabled() -> bool {
        ON.load(Ordering::Relaxed)
    }

    /// The colour of a mark (`PASS` green, yellow with warnings; `FAIL`
    /// red; `WARN` yellow; the others dim).
    fn code(mark: &str, warned: bool) -> &'static str {
        match mark {
            "PASS" if warned => "33",
            "PASS" => "32",
            "FAIL" => "1;31",
            "WARN" => "33",
            "XFAIL" | "STALE" => "35",
            _ => "2",
        }
    }

    const MARKS: [&str; 7] = ["PASS", "FAIL", "WARN", "SKIP", "NOT RUN", "XFAIL", "STALE"];

    /// Colours the marks of console text that [`super::neutral`] already
    /// made safe: only where the console itself puts a mark (a progress
    /// line's `[n/N] MARK`, a recap line's `  MARK`), so no text a server sent
    /// is ever coloured or carries an escape of its own.
    pub fn colourise(text: &str) -> std::borrow::Cow<'_, str> {
        if !enabled() {
            return std::borrow::Cow::Borrowed(text);
        }
        let warned = text.contains("\n      warning (reference choice): ");
        let mut out = String::with_capacity(text.len() + 32);
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            // Where a mark may stand: after `[label] [ n/N] `, or after two
            // spaces at the start of a recap line, or at the start (`WARN: `).
            let at = progress_mark_at(line).or_else(|| {
                let rest = line.strip_prefix("  ")?;
                (!rest.starts_with(' ')).then_some(2)
            });
            let found = at.and_then(|at| {
                MARKS
                    .iter()
                    .find(|m| line[at..].starts_with(*m))
                    .map(|m| (at, *m))
            });
            match found.or_else(|| line.starts_with("WARN: ").then_some((0, "WARN"))) {
                Some((at, mark)) => {
                    out.push_str(&line[..at]);
                    out.push_str(&format!("\x1b[{}m{mark}\x1b[0m", code(mark, warned)));
                    out.push_str(&line[at + mark.len()..]);
                }
                None => out.push_str(line),
            }
        }
        std::borrow::Cow::Owned(out)
    }

    /// Where the mark of a progress line (`[label] [ 3/35] PASS …`) starts.
    fn progress_mark_at(line: &str) -> Option<usize> {
        let mut rest = line;
        let mut at = 0;
        loop {
            let close = rest.strip_prefix('[')?.find(']')? + 1;
            let inside = &rest[1..close];
            at += close + 1;
            rest = rest.get(close + 1..)?;
            if inside
                .trim_start()
                .split('/')
                .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            {
                return rest.starts_with(' ').then_some(at + 1);
            }
            rest = rest.strip_prefix(' ')?;
            at += 1;
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn only_the_consoles_own_marks_are_coloured() {
            super::set(true);
            let text = "[ 3/35] PASS LC3 x (1 ms)\n      PASS from a server body\n  FAIL ×2 why\n[east] [1/2] FAIL LC1 y\n";
            let out = super::colourise(text);
            super::set(false);
            assert_eq!(
                out,
                "[ 3/35] \x1b[32mPASS\x1b[0m LC3 x (1 ms)\n      PASS from a server body\n  \x1b[1;31mFAIL\x1b[0m ×2 why\n[east] [1/2] \x1b[1;31mFAIL\x1b[0m LC1 y\n"
            );
        }
    }
}

/// Writes to stdout, ignoring a closed pipe (`authconform run | head`):
/// `print!` would panic there, inside the runner's hooks. The text goes out
/// [`neutral`]: nothing in it reaches a terminal as a control sequence or a
/// CI log as a workflow command.
pub fn out(text: &str) {
    write_raw(&paint::colourise(&neutral(text)));
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
    let mut out = format!(
        "[{n:>width$}/{total}] {} {} ({} ms)\n",
        s.outcome.mark(),
        title(s),
        s.duration.as_millis()
    );
    if let Some(failure) = &s.failure {
        out.push_str(&format!("      at {}\n", location(s)));
        for line in failure.lines() {
            out.push_str(&format!("      {line}\n"));
        }
    }
    match &s.outcome {
        Outcome::Skipped(reason) => out.push_str(&format!("      {reason}\n")),
        Outcome::NotRun(reason) => out.push_str(&format!("      not run: {reason}\n")),
        Outcome::ExpectedFailure(reason) => {
            out.push_str(&format!("      expected failure (baseline): {reason}\n"))
        }
        Outcome::Passed | Outcome::Failed => {}
    }
    for w in &s.warnings {
        out.push_str(&format!(
            "      warning (reference choice): {}\n",
            w.headline()
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

/// The closing part: skipped and not-run scenarios, warnings, a recap of
/// failures (one line each; grouped when the reason is the same, as every
/// list here is), and the totals line.
pub fn closing(report: &RunReport) -> String {
    let mut out = match &report.label {
        Some(label) => format!("\nauthconform: {label}: {}\n", report.target_description),
        None => format!("\nauthconform: {}\n", report.target_description),
    };
    let with = |f: fn(&Outcome) -> Option<&String>| -> Vec<(String, &ScenarioResult)> {
        report
            .scenarios
            .iter()
            .filter_map(|s| f(&s.outcome).map(|r| (r.clone(), s)))
            .collect()
    };
    for note in &report.notes {
        out.push_str(&format!("WARN: {note}\n"));
    }
    let skipped = with(|o| match o {
        Outcome::Skipped(r) => Some(r),
        _ => None,
    });
    if !skipped.is_empty() {
        out.push_str("skipped:\n");
        group(&mut out, "SKIP", skipped, |title, _, reason| {
            format!("{title} ({reason})")
        });
    }
    let not_run = with(|o| match o {
        Outcome::NotRun(r) => Some(r),
        _ => None,
    });
    if !not_run.is_empty() {
        out.push_str("not run (the run stopped before them):\n");
        group(&mut out, "NOT RUN", not_run, |title, _, reason| {
            format!("{title} ({reason})")
        });
    }
    if report.warnings() > 0 {
        out.push_str(&format!(
            "warnings ({}): the reference server's own choices, where the vendors' documents are \
             silent; they do not fail the run (--strict makes them fail):\n",
            report.warnings()
        ));
        let warnings = report
            .scenarios
            .iter()
            .flat_map(|s| s.warnings.iter().map(move |w| (w.headline(), s)))
            .collect();
        group(&mut out, "WARN", warnings, |title, location, reason| {
            format!("{title} ({location}): {reason}")
        });
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
    let failures: Vec<(String, &ScenarioResult)> = report
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Failed)
        .map(|s| (s.failure_headline(), s))
        .collect();
    if !failures.is_empty() {
        out.push_str("failures:\n");
        group(&mut out, "FAIL", failures, |title, location, reason| {
            format!("{title} ({location}): {reason}")
        });
    }
    if report.parsing_errors > 0 {
        out.push_str(&format!(
            "{} feature file(s) did not parse\n",
            report.parsing_errors
        ));
    }
    out.push_str(&report.totals());
    out.push('\n');
    out
}

/// A list of scenarios by reason: one line for a reason met once (`single`
/// says how: the title, the location and the reason), and `MARK ×N reason`
/// with the scenarios under it for a reason met more than once. In the
/// reasons' order.
fn group(
    out: &mut String,
    mark: &str,
    items: Vec<(String, &ScenarioResult)>,
    single: fn(&str, &str, &str) -> String,
) {
    let mut by_reason: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for (reason, s) in items {
        by_reason.entry(reason).or_default().push(s);
    }
    for (reason, scenarios) in by_reason {
        if let [s] = scenarios.as_slice() {
            out.push_str(&format!(
                "  {mark} {}\n",
                single(&title(s), &location(s), &reason)
            ));
        } else {
            out.push_str(&format!("  {mark} ×{} {reason}\n", scenarios.len()));
            for s in scenarios {
                out.push_str(&format!("         {} ({})\n", title(s), location(s)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::paint::ColorChoice;
    use super::*;

    #[test]
    fn colour_is_for_terminals_without_no_color_unless_asked() {
        assert!(ColorChoice::Always.colours(false));
        assert!(!ColorChoice::Never.colours(true));
        assert!(!ColorChoice::Auto.colours(false));
        // NO_COLOR (when set and not empty) turns `auto` off on a terminal.
        let with_no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        assert_eq!(
            ColorChoice::Auto.colours(true),
            !with_no_color && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        );
    }
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
