//! The HTML report (`--html FILE`): one self-contained page (no network: the
//! style and the filter script are inline) with the run's date, duration,
//! version and command, a summary per vendor and every scenario, problems
//! first (failures, then passes with warnings, marked WARN): its status, its
//! steps as they ran, the failed check's report (expectation, exchange with
//! JSON bodies pretty-printed, curl line), and its warnings: reference choices
//! that did not hold. A checkbox keeps only the problems, a text box filters
//! by any text. A run of several targets also gets an index page ([`index`]).
//! A run that could not check its target says why ([`render_error`]).
//! Everything in it comes from the `RunReport`, whose texts are already
//! redacted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::harness::console::{location, title};
use crate::harness::report::{Outcome, RunMeta, RunReport, ScenarioResult, version};
use crate::harness::step_log::StepStatus;

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;margin:.5em 0}
dl.meta dt{color:#666}dl.meta dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
.error{border:2px solid #b3261e;background:#fdecea;padding:.6em;border-radius:4px}
details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.3em .6em}
summary{cursor:pointer}.status{font-weight:bold;display:inline-block;width:5em}
.passed .status{color:#17702a}.failed .status{color:#b3261e}.skipped .status{color:#777}
.notrun .status{color:#6d4c9f}.xfail .status{color:#8e3a8e}
details.warned{border-color:#e0b050;background:#fffaf0}details.warned .status{color:#8a5a00}
details.failed{border-color:#e4a29c}
.warn{color:#8a5a00}pre{background:#f6f6f6;padding:.6em;overflow:auto;white-space:pre-wrap}
ol.steps{margin:.3em 0}li.failed{color:#b3261e;font-weight:bold}li.skipped{color:#777}
.controls{margin:.6em 0}.controls input[type=search]{min-width:20em;margin-left:1em}
.only-problems details.scenario.passed:not(.warned),.only-problems details.scenario.skipped{display:none}
details.scenario.filtered{display:none}";

const SCRIPT: &str = "
var body=document.body,box=document.getElementById('only-problems'),text=document.getElementById('filter');
box.addEventListener('change',function(){body.classList.toggle('only-problems',box.checked);});
text.addEventListener('input',function(){var q=text.value.toLowerCase();
document.querySelectorAll('details.scenario').forEach(function(d){
d.classList.toggle('filtered',q!==''&&d.textContent.toLowerCase().indexOf(q)<0);});});";

/// The page of one target's run; `error`: why the run did not (fully)
/// check the target (the server stopped answering, Ctrl-C).
pub fn render(report: &RunReport, error: Option<&str>) -> String {
    let mut out = head(&format!("authconform: {}", report.target_description));
    let _ = writeln!(
        out,
        "<p id=\"totals\">{}, {} warning(s)</p>",
        escape(report.totals()),
        report.warnings()
    );
    out.push_str(&meta(&report.meta));
    if let Some(error) = error {
        let _ = writeln!(
            out,
            "<pre class=\"error\" id=\"error\">{}</pre>",
            escape(error)
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "<p class=\"warn note\">{}</p>", escape(note));
    }
    out.push_str(&vendor_table(report));
    out.push_str(
        "<p>A failure breaks a rule of the vendor's document; a warning is a check of the \
         reference server's own choice where the document is silent (it fails only under \
         <code>--strict</code>). Problems come first: failures, then passes with warnings.</p>\n\
         <div class=\"controls\"><label><input type=\"checkbox\" id=\"only-problems\"> \
         show only failures and warnings</label><input type=\"search\" id=\"filter\" \
         placeholder=\"filter: id, name, text of a report\"></div>\n<div id=\"scenarios\">\n",
    );
    let mut scenarios: Vec<&ScenarioResult> = report.scenarios.iter().collect();
    scenarios.sort_by_key(|s| rank(s));
    for s in scenarios {
        out.push_str(&scenario(s));
    }
    let _ = write!(out, "</div>\n<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

/// The page of a run that could not check its target at all.
pub fn render_error(label: &str, error: &str) -> String {
    let mut out = head(&format!("authconform: {label}"));
    out.push_str(&meta(&RunMeta::now()));
    let _ = writeln!(
        out,
        "<p>The target was not checked:</p><pre class=\"error\" id=\"error\">{}</pre>",
        escape(error)
    );
    out.push_str("</body></html>\n");
    out
}

/// One target of a run of several, as the index page lists it.
pub struct IndexEntry<'a> {
    pub label: &'a str,
    /// Its own page, beside the index (`run.eu-west.html`).
    pub page: String,
    pub report: Option<&'a RunReport>,
    pub error: Option<String>,
}

/// The index page of a run of several targets: a row per target, its
/// totals or why it was not checked, linked to its own page.
pub fn index(entries: &[IndexEntry]) -> String {
    let mut out = head(&format!("authconform: {} targets", entries.len()));
    if let Some(report) = entries.iter().find_map(|e| e.report) {
        out.push_str(&meta(&report.meta));
    }
    out.push_str(
        "<table id=\"targets\"><tr><th>target</th><th>server</th><th>passed</th><th>failed</th>\
         <th>skipped</th><th>warnings</th><th>not checked</th></tr>\n",
    );
    let mut rows: Vec<&IndexEntry> = entries.iter().collect();
    // Problems first: not checked, then failed, then warned.
    rows.sort_by_key(|e| {
        (
            e.error.is_none(),
            e.report.is_none_or(|r| r.failed() == 0),
            e.report.is_none_or(|r| r.warnings() == 0),
        )
    });
    for e in rows {
        let (server, counts) = match e.report {
            Some(r) => (
                r.target_description.clone(),
                format!(
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                    r.passed(),
                    r.failed(),
                    r.skipped(),
                    r.warnings()
                ),
            ),
            None => (String::new(), "<td></td><td></td><td></td><td></td>".into()),
        };
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td>{counts}<td>{}</td></tr>",
            escape(&e.page),
            escape(e.label),
            escape(&server),
            escape(e.error.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>authconform report</title><style>{STYLE}</style></head><body>\n\
         <h1>{}</h1>\n",
        escape(title)
    )
}

/// When, how long, which version, which command.
fn meta(meta: &RunMeta) -> String {
    let started = meta
        .started
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    format!(
        "<dl class=\"meta\" id=\"meta\"><dt>date</dt><dd>{}</dd><dt>duration</dt><dd>{:.1} s</dd>\
         <dt>version</dt><dd>authconform {}</dd><dt>command</dt><dd>{}</dd></dl>\n",
        escape(&started),
        meta.duration.as_secs_f64(),
        escape(version()),
        escape(&meta.command)
    )
}

/// Where a scenario stands on the page: problems first.
fn rank(s: &ScenarioResult) -> u8 {
    match s.outcome {
        Outcome::Failed => 0,
        Outcome::Passed if !s.warnings.is_empty() => 1,
        Outcome::NotRun(_) => 2,
        Outcome::ExpectedFailure(_) => 3,
        Outcome::Passed => 4,
        Outcome::Skipped(_) => 5,
    }
}

fn vendor_table(report: &RunReport) -> String {
    let mut by_vendor: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for s in &report.scenarios {
        let vendor = s
            .vendor
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into());
        let row = by_vendor.entry(vendor).or_default();
        match s.outcome {
            Outcome::Passed => row[0] += 1,
            Outcome::Failed => row[1] += 1,
            Outcome::Skipped(_) | Outcome::NotRun(_) | Outcome::ExpectedFailure(_) => row[2] += 1,
        }
        row[3] += s.warnings.len();
    }
    let mut out = String::from(
        "<table id=\"vendors\"><tr><th>vendor</th><th>passed</th><th>failed</th><th>skipped</th><th>warnings</th></tr>\n",
    );
    for (vendor, [p, f, k, w]) in by_vendor {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{p}</td><td>{f}</td><td>{k}</td><td>{w}</td></tr>",
            escape(&vendor)
        );
    }
    out.push_str("</table>\n");
    out
}

fn scenario(s: &ScenarioResult) -> String {
    let warned = !s.warnings.is_empty();
    let (class, mark) = match s.outcome {
        Outcome::Passed if warned => ("passed", "WARN"),
        Outcome::Passed => ("passed", "PASS"),
        Outcome::Failed => ("failed", "FAIL"),
        Outcome::Skipped(_) => ("skipped", "SKIP"),
        Outcome::NotRun(_) => ("notrun", "NOT RUN"),
        Outcome::ExpectedFailure(_) => ("xfail", "XFAIL"),
    };
    let warned_class = if warned { " warned" } else { "" };
    let open = if s.outcome == Outcome::Failed || warned {
        " open"
    } else {
        ""
    };
    let mut out = format!(
        "<details class=\"scenario {class}{warned_class}\"{open}><summary><span class=\"status\">{mark}</span> {} \
         <small>({}, {} ms{})</small></summary>\n",
        escape(title(s)),
        escape(location(s)),
        s.duration.as_millis(),
        if warned {
            format!(", {} warning(s)", s.warnings.len())
        } else {
            String::new()
        }
    );
    if let Outcome::Skipped(reason) | Outcome::NotRun(reason) | Outcome::ExpectedFailure(reason) =
        &s.outcome
    {
        let _ = writeln!(out, "<p class=\"reason\">{}</p>", escape(reason));
    }
    if !s.steps.is_empty() {
        out.push_str("<ol class=\"steps\">");
        for step in &s.steps {
            let class = match step.status {
                StepStatus::Passed => "passed",
                StepStatus::Failed => "failed",
                StepStatus::Skipped => "skipped",
            };
            let _ = write!(
                out,
                "<li class=\"{class}\">{}{}</li>",
                escape(&step.keyword),
                escape(&step.text)
            );
        }
        out.push_str("</ol>\n");
    }
    if let Some(failure) = &s.failure {
        let _ = writeln!(
            out,
            "<p>Failed (a documented rule, or any check under <code>--strict</code>): {}</p><pre class=\"failure\">{}</pre>",
            escape(s.failure_headline()),
            escape(pretty_bodies(failure))
        );
    }
    for w in &s.warnings {
        let _ = writeln!(
            out,
            "<p class=\"warn\">Warning (reference choice): {}</p><pre class=\"warning\">{}</pre>",
            escape(w.headline()),
            escape(pretty_bodies(&w.detail))
        );
    }
    out.push_str("</details>\n");
    out
}

/// A report's text with each line that is a JSON body pretty-printed, at
/// that line's indentation.
fn pretty_bodies(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let json = (body.starts_with('{') || body.starts_with('['))
            .then(|| serde_json::from_str::<serde_json::Value>(body).ok())
            .flatten()
            .filter(|v| !v.as_object().is_some_and(|o| o.is_empty()));
        match json.and_then(|v| serde_json::to_string_pretty(&v).ok()) {
            Some(pretty) => {
                for l in pretty.lines() {
                    out.push_str(indent);
                    out.push_str(l);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::step_log::StepRecord;
    use std::time::Duration;

    #[test]
    fn every_scenario_its_steps_and_its_failure_are_on_the_page_escaped() {
        let report = RunReport {
            target_description: "limecraft at http://x".into(),
            scenarios: vec![ScenarioResult {
                id: Some("LC8".into()),
                name: "LC8 <garbage> is refused".into(),
                vendor: Some(crate::vendor::Vendor::Limecraft.into()),
                feature: "limecraft/transport.feature".into(),
                line: 27,
                duration: Duration::from_millis(5),
                failure: Some("expected: status 401\nreproduce:\n  curl -sS -i 'http://x'".into()),
                outcome: Outcome::Failed,
                warnings: vec![],
                steps: vec![StepRecord {
                    keyword: "When ".into(),
                    text: "someone sends a garbage token".into(),
                    status: StepStatus::Failed,
                }],
            }],
            ..RunReport::default()
        };
        let page = render(&report, None);
        assert!(page.contains("LC8 &lt;garbage&gt; is refused"), "{page}");
        assert!(page.contains("curl -sS -i"), "{page}");
        assert!(page.contains("<li class=\"failed\">When someone sends a garbage token</li>"));
        assert!(
            !page.contains("http-equiv") && !page.contains("src=\"http"),
            "no network"
        );
    }
}
