//! What a run tells GitHub Actions (when `GITHUB_ACTIONS=true`): workflow
//! commands (`::error`, `::warning`) that annotate the run, and a Markdown
//! step summary appended to the file `$GITHUB_STEP_SUMMARY` names, for every
//! outcome, a run that could not check its target included.
//!
//! An annotation points at what is in the user's repository, the target
//! file (the feature files are compiled in; their paths exist nowhere in the
//! user's repository), or at no file for the built-in reference server, and
//! its title names the target. Identical reasons are grouped, as the console
//! groups them: one annotation for 16 scenarios that warn alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::harness::console::{location, title};
use crate::harness::report::{Outcome, RunError, RunReport, ScenarioResult, report_of};

/// Whether the run is a GitHub Actions step.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The target a run checked, as annotations name it.
#[derive(Clone, Debug)]
pub struct Subject {
    /// Its name in reports (`eu-west`, or the vendors of the reference server).
    pub label: String,
    /// Its target file, if any: what an annotation points at.
    pub file: Option<PathBuf>,
}

impl Subject {
    /// `file=authconform/target.yaml,` relative to the workspace, or nothing.
    fn file_property(&self) -> String {
        let Some(file) = &self.file else {
            return String::new();
        };
        let workspace = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from);
        let cwd = std::env::current_dir().ok();
        let shown = [workspace, cwd]
            .into_iter()
            .flatten()
            .find_map(|root| file.strip_prefix(&root).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| file.clone());
        let shown = shown.to_string_lossy().trim_start_matches("./").to_owned();
        format!("file={},", escape_property(&shown))
    }
}

/// The workflow commands of one target's run: its error, if it could not
/// be (fully) checked, each reason of failure and each reason of warning
/// (grouped), and preflight's notes.
pub fn annotations(subject: &Subject, result: &Result<RunReport, RunError>) -> String {
    let file = subject.file_property();
    let mut out = String::new();
    let mut command = |level: &str, title: &str, message: &str| {
        out.push_str(&format!(
            "::{level} {file}title={}::{}\n",
            escape_property(&format!("{}: {title}", subject.label)),
            escape_data(message)
        ));
    };
    if let Err(e) = result {
        let headline = match e {
            RunError::Preflight(_) => "the target is not ready",
            RunError::ServerGone { .. } => "the server stopped answering",
            RunError::Interrupted { .. } => "the run was interrupted",
            _ => "the run could not check the target",
        };
        command("error", headline, &e.to_string());
    }
    let Some(report) = report_of(result) else {
        return out;
    };
    for note in &report.notes {
        command("warning", "preflight", note);
    }
    let failures = report
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Failed)
        .map(|s| (s.failure_headline(), s));
    for (reason, scenarios) in grouped(failures) {
        let (title, message) = described(&scenarios, &reason, "");
        command("error", &title, &message);
    }
    let warnings = report
        .scenarios
        .iter()
        .flat_map(|s| s.warnings.iter().map(move |w| (w.headline(), s)));
    for (reason, scenarios) in grouped(warnings) {
        let (title, message) = described(&scenarios, &reason, " (reference choice)");
        command("warning", &title, &message);
    }
    out
}

/// A reason's annotation: the scenario's title (or how many share the
/// reason) and the message: the reason, then where each scenario is.
fn described(scenarios: &[&ScenarioResult], reason: &str, kind: &str) -> (String, String) {
    let heading = match scenarios {
        [s] => format!("{}{kind}", title(s)),
        _ => format!("{} scenarios{kind}", scenarios.len()),
    };
    let mut message = reason.to_owned();
    for s in scenarios {
        message.push_str(&format!("\n{} ({})", title(s), location(s)));
    }
    (heading, message)
}

fn grouped<'a>(
    items: impl Iterator<Item = (String, &'a ScenarioResult)>,
) -> BTreeMap<String, Vec<&'a ScenarioResult>> {
    let mut by: BTreeMap<String, Vec<&ScenarioResult>> = BTreeMap::new();
    for (reason, s) in items {
        by.entry(reason).or_default().push(s);
    }
    by
}

/// The step summary (Markdown) of a run of one target or several.
pub fn step_summary(targets: &[(&Subject, &Result<RunReport, RunError>)]) -> String {
    let mut out = String::from("## authconform\n\n");
    out.push_str("| target | passed | failed | skipped | not run | warnings | |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for (subject, result) in targets {
        let verdict = match result {
            Ok(r) if r.succeeded() => "✅ passed".to_owned(),
            Ok(r) if r.failed() > 0 => "❌ failed".to_owned(),
            Ok(_) => "⚠️ nothing ran".to_owned(),
            Err(RunError::Interrupted { .. }) => "⏹ interrupted".to_owned(),
            Err(_) => "⛔ not checked".to_owned(),
        };
        match report_of(result) {
            Some(r) => out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {verdict} |\n",
                cell(&subject.label),
                r.passed(),
                r.failed(),
                r.skipped(),
                r.not_run(),
                r.warnings()
            )),
            None => out.push_str(&format!(
                "| {} | | | | | | {verdict} |\n",
                cell(&subject.label)
            )),
        }
    }
    for (subject, result) in targets {
        if let Err(e) = result {
            out.push_str(&format!(
                "\n### {}: not (fully) checked\n\n```text\n{e}\n```\n",
                subject.label
            ));
        }
        let Some(report) = report_of(result) else {
            continue;
        };
        let failures = report
            .scenarios
            .iter()
            .filter(|s| s.outcome == Outcome::Failed)
            .map(|s| (s.failure_headline(), s));
        section(&mut out, &subject.label, "failures", grouped(failures));
        let warnings = report
            .scenarios
            .iter()
            .flat_map(|s| s.warnings.iter().map(move |w| (w.headline(), s)));
        section(
            &mut out,
            &subject.label,
            "warnings (reference choices)",
            grouped(warnings),
        );
    }
    out
}

fn section(
    out: &mut String,
    label: &str,
    what: &str,
    groups: BTreeMap<String, Vec<&ScenarioResult>>,
) {
    if groups.is_empty() {
        return;
    }
    out.push_str(&format!(
        "\n### {label}: {what}\n\n| reason | scenarios |\n|---|---|\n"
    ));
    for (reason, scenarios) in groups {
        let names: Vec<String> = scenarios.iter().map(|s| title(s)).collect();
        out.push_str(&format!(
            "| {} | {} |\n",
            cell(&reason),
            cell(&names.join(", "))
        ));
    }
}

/// Text in a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Appends `markdown` to the file `$GITHUB_STEP_SUMMARY` names, if any.
pub fn append_step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, markdown.as_bytes()));
    if let Err(e) = written {
        crate::harness::console::err(&format!(
            "authconform: cannot append to GITHUB_STEP_SUMMARY {}: {e}\n",
            PathBuf::from(path).display()
        ));
    }
}

/// GitHub's escaping of a command's message, after [`neutral`]: a message
/// holds what a server sent, and neither its control characters nor a
/// newline may end the command early.
///
/// [`neutral`]: crate::harness::console::neutral
pub fn escape_data(s: &str) -> String {
    crate::harness::console::neutral(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a command's property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::report::{Usage, Warning};
    use std::time::Duration;

    fn scenario(id: &str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            id: Some(id.into()),
            name: format!("{id} garbage, refused"),
            vendor: None,
            feature: "limecraft/transport.feature".into(),
            line: 27,
            duration: Duration::from_millis(4),
            failure: None,
            outcome,
            warnings: vec![],
            steps: vec![],
        }
    }

    #[test]
    fn annotations_point_at_the_target_file_name_the_target_and_group_reasons() {
        let mut failed = scenario("LC8", Outcome::Failed);
        failed.failure = Some("expected: status 401\nrequest:  GET x\nresponse: HTTP 200\n".into());
        let warning = Warning::from_failure(
            "expected: a 4xx refusal\nrequest:  GET x\nresponse: HTTP 500\n".into(),
        );
        let mut warned = [
            scenario("LC9", Outcome::Passed),
            scenario("LC10", Outcome::Passed),
        ];
        for s in &mut warned {
            s.warnings.push(warning.clone());
        }
        let report = RunReport {
            scenarios: [vec![failed], warned.to_vec()].concat(),
            ..RunReport::default()
        };
        let subject = Subject {
            label: "eu-west".into(),
            file: Some("authconform/eu-west.yaml".into()),
        };
        let notes = annotations(&subject, &Ok(report));
        let lines: Vec<&str> = notes.lines().collect();
        assert_eq!(lines.len(), 2, "{notes}");
        assert_eq!(
            lines[0],
            "::error file=authconform/eu-west.yaml,title=eu-west%3A LC8 garbage%2C refused::expected: status 401; got HTTP 200%0ALC8 garbage, refused (features/limecraft/transport.feature:27)"
        );
        assert!(
            lines[1].starts_with("::warning file=authconform/eu-west.yaml,title=eu-west%3A 2 scenarios (reference choice)::a 4xx refusal; got HTTP 500%0A"),
            "{notes}"
        );
        let none = Subject {
            label: "reference server (limecraft)".into(),
            file: None,
        };
        let error = annotations(&none, &Err(RunError::Usage(Usage::ReferenceOnly)));
        assert!(error.starts_with("::error title=reference server (limecraft)%3A the run could not check the target::--vendor"), "{error}");
    }
}
