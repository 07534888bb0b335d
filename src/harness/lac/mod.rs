//! The CA Live API Creator part of the harness: its calls (`api`) and the
//! steps that give the feature files' sentences their meaning (`steps`).

pub mod api;
mod steps;
pub mod target;
pub use steps::LacScenario;
