//! The HTML report (`--html FILE`): one self-contained page (no network: the
//! style and the filter script are inline) with a summary per vendor and every
//! scenario: its status, its steps as they ran, the failed check's report
//! (expectation, exchange, curl line), and its warnings: reference choices
//! that did not hold. Everything in it comes from the `RunReport`, whose texts
//! are already redacted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::harness::console::{location, title};
use crate::harness::report::{Outcome, RunReport, ScenarioResult};
use crate::harness::step_log::StepStatus;

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}
details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.3em .6em}
summary{cursor:pointer}.status{font-weight:bold;display:inline-block;width:4em}
.passed .status{color:#17702a}.failed .status{color:#b3261e}.skipped .status{color:#777}
.warn{color:#8a5a00}pre{background:#f6f6f6;padding:.6em;overflow:auto;white-space:pre-wrap}
ol.steps{margin:.3em 0}li.failed{color:#b3261e;font-weight:bold}li.skipped{color:#777}
.only-problems details.passed:not(.warned){display:none}";

const SCRIPT: &str = "
document.getElementById('only-problems').addEventListener('change',function(e){
document.body.classList.toggle('only-problems',e.target.checked);});";

/// The page.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>authconform report</title><style>{STYLE}</style></head><body>\n\
         <h1>authconform: {}</h1>\n<p id=\"totals\">{} passed, {} failed, {} skipped, {} warning(s)</p>\n",
        escape(&report.target_description),
        report.passed(),
        report.failed(),
        report.skipped(),
        report.warnings()
    );
    out.push_str(&vendor_table(report));
    out.push_str(
        "<p>A failure breaks a rule of the vendor's document; a warning is a check of the \
         reference server's own choice where the document is silent (it fails only under \
         <code>--strict</code>).</p>\n<label><input type=\"checkbox\" id=\"only-problems\"> \
         show only failures and warnings</label>\n<div id=\"scenarios\">\n",
    );
    for s in &report.scenarios {
        out.push_str(&scenario(s));
    }
    let _ = write!(out, "</div>\n<script>{SCRIPT}</script>\n</body></html>\n");
    out
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
            Outcome::Skipped(_) | Outcome::ExpectedFailure(_) => row[2] += 1,
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
    let (class, mark) = match s.outcome {
        Outcome::Passed => ("passed", "PASS"),
        Outcome::Failed => ("failed", "FAIL"),
        Outcome::Skipped(_) => ("skipped", "SKIP"),
        Outcome::ExpectedFailure(_) => ("skipped", "XFAIL"),
    };
    let warned = if s.warnings.is_empty() { "" } else { " warned" };
    let open = if s.outcome == Outcome::Failed {
        " open"
    } else {
        ""
    };
    let mut out = format!(
        "<details class=\"scenario {class}{warned}\"{open}><summary><span class=\"status\">{mark}</span> {} \
         <small>({}, {} ms{})</small></summary>\n",
        escape(title(s)),
        escape(location(s)),
        s.duration.as_millis(),
        if s.warnings.is_empty() {
            String::new()
        } else {
            format!(", {} warning(s)", s.warnings.len())
        }
    );
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
    if let Outcome::Skipped(reason) | Outcome::ExpectedFailure(reason) = &s.outcome {
        let _ = writeln!(out, "<p>{}</p>", escape(reason));
    }
    if let Some(failure) = &s.failure {
        let _ = writeln!(
            out,
            "<p>Failed (a documented rule, or any check under <code>--strict</code>):</p><pre class=\"failure\">{}</pre>",
            escape(failure)
        );
    }
    for w in &s.warnings {
        let _ = writeln!(
            out,
            "<p class=\"warn\">Warning (reference choice): {}</p><pre class=\"warning\">{}</pre>",
            escape(&w.expected),
            escape(&w.detail)
        );
    }
    out.push_str("</details>\n");
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
        let page = render(&report);
        assert!(page.contains("LC8 &lt;garbage&gt; is refused"), "{page}");
        assert!(page.contains("curl -sS -i"), "{page}");
        assert!(page.contains("<li class=\"failed\">When someone sends a garbage token</li>"));
        assert!(
            !page.contains("http-equiv") && !page.contains("src=\"http"),
            "no network"
        );
    }
}
