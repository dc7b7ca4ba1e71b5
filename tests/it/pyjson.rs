//! `hookrig::pyjson` against the real thing: random JSON values written by hookrig must be
//! byte for byte what CPython's `json.dumps` writes for the same value. Python reads each
//! string with `json.loads` (which keeps key order and reads floats exactly) and writes it
//! back with `json.dumps`; any difference is a mismatch. Needs `python3` on the PATH (CI
//! has it: the fidelity check needs it too); without one the test says so and passes.

use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

/// Random JSON: unicode strings (control characters and astral planes included), floats
/// of every magnitude, integers, and nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-zé€😀\\\\\"/\n\t\u{7f}\u{0}-\u{1f}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

#[test]
fn pyjson_writes_what_python_json_dumps_writes_for_random_values() {
    // Arrange: 400 values from a fixed seed, written by hookrig.
    let mut runner = TestRunner::deterministic();
    let strategy = json_value();
    let written: Vec<String> = (0..400)
        .map(|_| {
            let v = strategy.new_tree(&mut runner).expect("a value").current();
            String::from_utf8(hookrig::pyjson::to_vec(&v).expect("serialisable"))
                .expect("ASCII output")
        })
        .collect();
    assert!(written.iter().all(|s| s.is_ascii()), "ensure_ascii output");
    let script = r##"
import json, sys
bad = 0
for i, line in enumerate(sys.stdin.read().split("\n")):
    if not line:
        continue
    again = json.dumps(json.loads(line))
    if again != line:
        bad += 1
        print(f"#{i}\n  hookrig: {line[:300]}\n  python:  {again[:300]}")
print(f"mismatches: {bad}")
"##;

    // Act: one Python process reads them all.
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("note: python3 not found; the Python comparison was skipped");
        return;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(written.join("\n").as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python ran");

    // Assert
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.ends_with("mismatches: 0\n"), "{stdout}");
}
