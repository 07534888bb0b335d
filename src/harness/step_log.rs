//! Which steps of each scenario ran and how they ended, for the HTML report:
//! a cucumber writer tee'd beside the others that records step events, keyed by
//! feature file and scenario line.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use cucumber::event::{Cucumber, Feature, Rule, Scenario, Step};
use cucumber::{Event, World, Writer, cli, parser};

/// One step as it ran.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepRecord {
    /// `Given `, `When `, `And `… as written.
    pub keyword: String,
    pub text: String,
    pub status: StepStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    Skipped,
}

/// Steps by (feature file path, scenario line).
pub type Steps = Arc<Mutex<HashMap<(PathBuf, usize), Vec<StepRecord>>>>;

/// The writer: feeds `steps`.
pub struct StepLog {
    pub steps: Steps,
}

impl<W: World> Writer<W> for StepLog {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<W>>>, _: &Self::Cli) {
        let Ok(event) = event else { return };
        let Cucumber::Feature(feature, event) = &event.value else {
            return;
        };
        let (scenario, event) = match event {
            Feature::Scenario(s, e) => (s, &e.event),
            Feature::Rule(_, Rule::Scenario(s, e)) => (s, &e.event),
            _ => return,
        };
        let (step, status) = match event {
            Scenario::Step(step, e) | Scenario::Background(step, e) => match e {
                Step::Passed(..) => (step, StepStatus::Passed),
                Step::Failed(..) => (step, StepStatus::Failed),
                Step::Skipped => (step, StepStatus::Skipped),
                Step::Started => return,
            },
            _ => return,
        };
        let key = (
            feature.path.clone().unwrap_or_default(),
            scenario.position.line,
        );
        self.steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .push(StepRecord {
                keyword: step.keyword.clone(),
                text: step.value.clone(),
                status,
            });
    }
}
