//! The suite passes the reference server whatever choices it makes where the
//! documents are silent, and still catches every documented fault.
//!
//! Each choice is a switch (`reference::switch`, `authconform switches`).
//! proptest draws a value for every switch of every vendor and a documented
//! fault of the catalogue; then
//! - the suite against the server with those switches must pass (warnings
//!   allowed: a reference check that disagrees only warns), and
//! - the same server with the fault must fail the scenarios the fault names.
//!
//! A failing draw is shrunk towards the reference server's values (each
//! switch's first), so what is printed is the smallest set of switches, as
//! `--switch` arguments, that still fails: the over-strict check to relax.
//!
//! `AUTHCONFORM_SWITCH_CASES=N` draws N combinations (the default is CI's
//! budget); `PROPTEST_RNG_SEED` is proptest's own, for a fixed sequence.

use authconform::harness::{self, Output, RunOptions, RunReport, TargetChoice};
use authconform::provenance::Provenance;
use authconform::reference::fault::Fault;
use authconform::reference::switch::{self, Switch, Switches};
use authconform::vendor::Vendor;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Combinations drawn by `cargo test` (each runs the suite twice, ~0.5 s).
const CI_CASES: u32 = 12;

/// One draw: a value for every switch, and the fault to try under it.
#[derive(Clone)]
struct Draw {
    values: Vec<usize>,
    fault: Fault,
}

impl Draw {
    fn switches(&self, all: &[&'static Switch]) -> Switches {
        let mut s = Switches::default();
        for (switch, i) in all.iter().zip(&self.values) {
            s.set(switch, switch.values[*i])
                .expect("a value of its own");
        }
        s
    }
}

impl std::fmt::Debug for Draw {
    /// As the command that reproduces it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let all: Vec<_> = switch::all().collect();
        let flags: Vec<String> = self
            .switches(&all)
            .flipped_list()
            .into_iter()
            .map(|s| format!("--switch {s}"))
            .collect();
        write!(
            f,
            "authconform run {} [--fault {}]",
            flags.join(" "),
            self.fault.name()
        )
    }
}

async fn run(switches: Switches, vendors: Vec<Vendor>, fault: Option<Fault>) -> RunReport {
    let options = RunOptions {
        target: TargetChoice::Reference {
            vendors,
            fault,
            variant: false,
            switches,
        },
        output: Output::Quiet,
        ..RunOptions::reference()
    };
    let report = harness::run(options)
        .await
        .unwrap_or_else(|e| panic!("the suite could not run: {e}"));
    // Cucumber swaps the panic hook while it runs: put the default back so an
    // assertion below prints its message.
    drop(std::panic::take_hook());
    report
}

/// What is wrong with the suite's verdicts for one draw, if anything.
async fn problems(draw: &Draw, all: &[&'static Switch]) -> Vec<String> {
    let switches = draw.switches(all);
    let mut problems = Vec::new();
    let clean = run(switches.clone(), Vendor::ALL.to_vec(), None).await;
    for s in clean
        .scenarios
        .iter()
        .filter(|s| s.outcome == harness::Outcome::Failed)
    {
        problems.push(format!(
            "{} failed a conforming server: {}",
            s.id.as_deref().unwrap_or(&s.name),
            s.failure
                .as_deref()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
        ));
    }
    // Which of its scenarios can catch the fault under these switches
    // (`Fault::caught_under` says why some cannot).
    let catchers = draw.fault.caught_under(&switches);
    if catchers.is_empty() {
        return problems;
    }
    let faulted = run(switches, vec![draw.fault.vendor()], Some(draw.fault)).await;
    let failed = faulted.failed_ids();
    for id in catchers {
        if !failed.iter().any(|f| f == id) {
            problems.push(format!(
                "--fault {} ({}): {id} should fail but passed",
                draw.fault.name(),
                draw.fault.breaks()
            ));
        }
    }
    problems
}

#[test]
fn any_combination_of_switches_passes_and_every_documented_fault_is_still_caught() {
    let all: Vec<&'static Switch> = switch::all().collect();
    let documented: Vec<Fault> = Fault::ALL
        .iter()
        .copied()
        .filter(|f| f.provenance() == Provenance::Documented)
        .filter(|f| f.scenarios().next().is_some())
        .collect();
    let cases = std::env::var("AUTHCONFORM_SWITCH_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CI_CASES);
    let values: Vec<BoxedStrategy<usize>> =
        all.iter().map(|s| (0..s.values.len()).boxed()).collect();
    let strategy = (values, prop::sample::select(documented))
        .prop_map(|(values, fault)| Draw { values, fault });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut runner = TestRunner::new(Config {
        cases,
        // Each case runs the suite twice; shrinking re-runs it per step.
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |draw| {
        let problems = runtime.block_on(problems(&draw, &all));
        prop_assert!(
            problems.is_empty(),
            "with {draw:?}:\n{}",
            problems.join("\n")
        );
        Ok(())
    });
    if let Err(e) = outcome {
        panic!(
            "the suite judged a combination of the reference server's own choices wrongly \
             (shrunk to the fewest switches; relax the check that fails, or fix the switch):\n{e}"
        );
    }
}

#[test]
fn the_readme_lists_the_current_switches() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert!(
        readme.contains(&switch::markdown_table()),
        "README.md's switch table is out of date; replace it with the output of `authconform switches`"
    );
}

/// The servers issue #20 names: LAC tokens that live 40 minutes, and
/// FileVerbs JWTs accepted for 5 minutes after their exp (ASP.NET Core's
/// default clock skew). Every expiry scenario runs and passes.
#[test]
fn forty_minute_lac_tokens_and_a_five_minute_jwt_leeway_pass_every_expiry_scenario() {
    let mut switches = Switches::default();
    switches.parse_and_set("lac.token-lifetime=40m").unwrap();
    switches.parse_and_set("fileverbs.jwt-leeway=5m").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run(switches, vec![Vendor::Lac, Vendor::FileVerbs], None));
    assert!(report.failed_ids().is_empty(), "{:?}", report.failed_ids());
    for id in ["LAC10", "LAC11", "LAC14", "FV5"] {
        assert!(
            report
                .scenarios
                .iter()
                .any(|s| s.id.as_deref() == Some(id) && s.outcome == harness::Outcome::Passed),
            "{id} ran and passed"
        );
    }
    // The same servers with the expiry checks broken are still caught there.
    for (fault, id) in [
        (Fault::LacTokensNeverExpire, "LAC11"),
        (Fault::JwtExpiryNotChecked, "FV5"),
    ] {
        let mut switches = Switches::default();
        switches.parse_and_set("lac.token-lifetime=40m").unwrap();
        switches.parse_and_set("fileverbs.jwt-leeway=5m").unwrap();
        let report = runtime.block_on(run(switches, vec![fault.vendor()], Some(fault)));
        assert!(
            report.failed_ids().iter().any(|f| f == id),
            "{} under these switches: {id} should fail",
            fault.name()
        );
    }
}

/// A Limecraft server whose enable2fa leaves the new key waiting for a first
/// code (seed 003's enable request lists `type`
/// TWO_FA_AUTHENTICATOR_ENABLING): the suite confirms it the way the server
/// takes, says which in a warning, and passes; the same server that never
/// turns 2FA on fails LC13 saying what each way answered.
#[test]
fn an_enable2fa_that_waits_for_a_first_code_passes_and_says_which_way_it_took() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for (value, words) in [
        ("validate-code", "2fa/validate with her session token"),
        ("enable-type-code", "type TWO_FA_AUTHENTICATOR_ENABLING"),
    ] {
        let mut switches = Switches::default();
        switches
            .parse_and_set(&format!("limecraft.enable2fa-confirm={value}"))
            .unwrap();
        let report = runtime.block_on(run(switches.clone(), vec![Vendor::Limecraft], None));
        assert!(
            report.failed_ids().is_empty(),
            "{value}: {:?}",
            report.failed_ids()
        );
        let lc13 = report
            .scenarios
            .iter()
            .find(|s| s.id.as_deref() == Some("LC13"))
            .expect("LC13 ran");
        assert!(
            lc13.warnings.iter().any(|w| w.expected.contains(words)),
            "{value}: LC13 does not say how the server took the confirmation: {:?}",
            lc13.warnings
        );
        let broken = runtime.block_on(run(
            switches,
            vec![Vendor::Limecraft],
            Some(Fault::Enable2faNeverOn),
        ));
        let lc13 = broken
            .scenarios
            .iter()
            .find(|s| s.id.as_deref() == Some("LC13"))
            .expect("LC13 ran");
        let failure = lc13.failure.as_deref().unwrap_or_default();
        assert!(
            lc13.outcome == harness::Outcome::Failed
                && failure.contains("enable2fa to turn two-factor authentication on")
                && failure.contains("TWO_FA_AUTHENTICATOR_ENABLING"),
            "{value}: {failure}"
        );
    }
}

#[test]
fn a_support_reset_that_needs_the_users_own_proof_passes_and_a_refused_one_is_still_caught() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for re_enable in ["current-code", "redo-flag"] {
        let mut switches = Switches::default();
        switches
            .parse_and_set("limecraft.support-re-enable=as-own")
            .unwrap();
        switches
            .parse_and_set(&format!("limecraft.re-enable={re_enable}"))
            .unwrap();
        let report = runtime.block_on(run(switches.clone(), vec![Vendor::Limecraft], None));
        assert!(
            report.failed_ids().is_empty(),
            "{re_enable}: {:?}",
            report.failed_ids()
        );
        let lc30 = |r: &RunReport| {
            r.scenarios
                .iter()
                .find(|s| s.id.as_deref() == Some("LC30"))
                .map(|s| s.outcome == harness::Outcome::Passed)
                .expect("LC30 ran")
        };
        assert!(lc30(&report), "{re_enable}: LC30 did not pass");
        // The SUPPORT user's reset refused outright is still a failure of LC30.
        let broken = runtime.block_on(run(
            switches,
            vec![Vendor::Limecraft],
            Some(Fault::Enable2faSupportRefused),
        ));
        assert!(
            !lc30(&broken) && broken.failed_ids().iter().any(|id| id == "LC30"),
            "{re_enable}: a refused SUPPORT reset was not caught: {:?}",
            broken.failed_ids()
        );
    }
}
