//! The helper that every test needing an outside tool goes through
//! (`common::tool`): a missing tool fails the test when `CI` is set, and is
//! reported visibly as `SKIPPED (…)` otherwise. Checked by running this test
//! binary itself on a probe that needs a tool no machine has.

use std::process::Command;

const PROBE: &str = "tools::probe_needs_a_tool_nobody_has";
const NO_SUCH_TOOL: &str = "nianbao-test-no-such-tool";

/// Set by the test that runs the probe; without it (`cargo test -- --ignored`)
/// the probe does nothing.
const PROBE_ENV: &str = "NIANBAO_TOOL_PROBE";

/// Run only by [`a_missing_tool_fails_under_ci_and_is_skipped_visibly_otherwise`].
#[test]
#[ignore = "a probe run by a_missing_tool_fails_under_ci_and_is_skipped_visibly_otherwise"]
fn probe_needs_a_tool_nobody_has() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    let Some(path) = crate::common::tool(NO_SUCH_TOOL) else {
        return;
    };
    panic!("{NO_SUCH_TOOL} found at {}", path.display());
}

fn run_probe(ci: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args(["--ignored", "--exact", PROBE, "--test-threads", "1"])
        .env(PROBE_ENV, "1");
    match ci {
        Some(v) => cmd.env("CI", v),
        None => cmd.env_remove("CI"),
    };
    let out = cmd.output().expect("the test binary runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), all)
}

#[test]
fn a_missing_tool_fails_under_ci_and_is_skipped_visibly_otherwise() {
    let (code, all) = run_probe(None);
    assert_eq!(code, Some(0), "{all}");
    // Without --nocapture: the line is written past libtest's capture.
    assert!(
        all.contains(&format!("SKIPPED ({NO_SUCH_TOOL} not installed): {PROBE}")),
        "{all}"
    );
    assert!(all.contains("1 passed"), "{all}");

    for ci in ["true", "1"] {
        let (code, all) = run_probe(Some(ci));
        assert_eq!(code, Some(101), "CI={ci}: {all}");
        assert!(
            all.contains(&format!(
                "{PROBE}: {NO_SUCH_TOOL} not installed, and CI is set"
            )),
            "CI={ci}: {all}"
        );
        assert!(all.contains("1 failed"), "CI={ci}: {all}");
    }
    // `CI=false` (as some services set it outside CI) is not CI.
    let (code, all) = run_probe(Some("false"));
    assert_eq!(code, Some(0), "CI=false: {all}");
}
