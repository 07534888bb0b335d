//! The harness: runs the feature files against a target and reports.
//!
//! `run` parses the features of the target's vendor, skips the scenarios whose
//! capabilities the target lacks (saying why), runs the rest one at a time with
//! a fresh [`world::ConformanceWorld`] each, and returns a [`RunReport`]. The
//! console, JUnit and Cucumber-JSON writers all see the same events.

pub mod baseline;
pub mod capability;
pub mod command;
mod common_steps;
pub mod console;
pub mod control_api;
mod cucumber_json;
pub mod exchange;
pub mod exit;
pub mod explore;
pub mod features;
pub mod fileverbs;
pub mod github;
mod html;
pub mod interrupt;
mod junit;
pub mod lac;
pub mod limecraft;
pub mod liquidfiles;
pub mod many;
pub mod merge;
pub mod partition;
pub mod preflight;
pub mod report;
pub mod report_files;
pub mod runner;
pub mod sources;
pub mod state;
pub mod step_log;
pub mod suite;
pub mod summary;
pub mod target;
pub mod target_file;
mod words;
pub mod world;

pub use report::{Outcome, RunError, RunReport, ScenarioResult, report_of};
pub use runner::{Output, RunOptions, ScenarioEntry, TargetChoice, catalogue_id, run, scenarios};
