//! The LiquidFiles part of the harness: its calls and the reading of its
//! pages (`api`), and the steps of the feature files (`steps`).

pub mod api;
mod steps;
pub mod target;
pub use steps::LiquidFilesScenario;
