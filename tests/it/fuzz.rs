//! The front door under fuzz: arbitrary and mutated scenario files, profile files, fault
//! files, journals (as `tui --journal` reads them) and raw HTTP bytes to the receiver's
//! socket. Whatever comes in, nothing panics: a loader gives a clean answer or errors
//! that name the file (and, for text that was read, where in it), a scenario that loads
//! replays, and the receiver keeps answering.
//!
//! Each property runs [`cases`] cases: 48 by default, so the whole suite stays quick on
//! two cores; `HOOKRIG_FUZZ_CASES=5000 cargo test --test it fuzz::` runs more (5,000 of
//! each ran clean in 11 minutes when this was written). A crashing input proptest finds is
//! shrunk and kept in `tests/it/proptest-regressions/fuzz.txt`, replayed first on every
//! run; one that is fixed also becomes a named test below.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use hookrig::clock::SystemClock;
use hookrig::faults::FaultPlan;
use hookrig::profile;
use hookrig::receiver::Receiver;
use hookrig::receiver::live;
use hookrig::receiver::log::{RequestLog, Verifier};
use hookrig::runner::{RunOptions, run_sim};
use hookrig::scenario::load::{load_faults, parse_str};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::utils::Scratch;

/// Cases per property: `HOOKRIG_FUZZ_CASES`, else 48.
fn cases() -> u32 {
    std::env::var("HOOKRIG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Shrunk crashes are kept in tests/it/proptest-regressions/fuzz.txt, replayed first.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// The files under `dir` (recursively) whose names end in one of `exts`, as text.
fn corpus(dir: &str, exts: &[&str]) -> Vec<String> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, exts, out);
            } else if exts.iter().any(|e| p.to_string_lossy().ends_with(e))
                && let Ok(t) = std::fs::read_to_string(&p)
            {
                out.push(t);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        exts,
        &mut out,
    );
    assert!(!out.is_empty(), "no corpus under {dir}");
    out
}

fn scenarios() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| corpus("scenarios", &[".yaml"]))
}

fn profiles() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| corpus("profiles", &[".yaml"]))
}

/// Words a mutation may insert: YAML's syntax, hookrig's keys, absurd values.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "~",
    "null",
    "true",
    "-1",
    "0",
    "65536",
    "99999999999999999999",
    "1e309",
    "NaN",
    ".inf",
    "0s",
    "1ms",
    "31days",
    "-5s",
    "2h 35m",
    "29days 23h",
    "respond: ",
    "respond: 503",
    "hang: true",
    "drop: true",
    "reset: true",
    "after: ",
    "body: ",
    "status",
    "attempts: ",
    "profile: ",
    "svix",
    "base: ",
    "events:",
    "type: ",
    "at: ",
    "expect:",
    "schedule: [",
    "tolerance: ",
    "headers:",
    "secret: ",
    "secret: []",
    "when: {event: x}",
    "event: 7",
    "\t",
    "\u{0}",
    "é",
    "💥",
    "<<: *a",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "retry:",
    "timeout: ",
    "signature: ",
    "outcome: ",
    "payload:",
    "match: ",
    "schema: ",
    "dribble: {chunks: 0, over: 0s}",
    "routes:",
    "path: ",
    "method: ",
    "{{",
    "}}",
    "${",
    "scenarios:",
    "endpoint:",
    "url: ",
    "static_secret: ",
    "output_format: ",
    "data: ",
    "present: [",
    "absent: [",
    "equal: {",
    "\r\n",
    "\u{feff}",
    "#",
    "=",
    "%",
    "@",
];

/// One edit of a text (positions are taken modulo its length when applied).
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Replace(usize, usize, usize),
    CopySlice(usize, usize, usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    Byte(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Mutation::Insert(a, t)),
        (any::<usize>(), 1..12usize, any::<usize>())
            .prop_map(|(a, n, t)| Mutation::Replace(a, n, t)),
        (any::<usize>(), 1..200usize, any::<usize>())
            .prop_map(|(a, n, b)| Mutation::CopySlice(a, n, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Byte(a, b)),
    ]
}

/// The nearest char boundary at or below `i` (mod the length).
fn at(text: &str, i: usize) -> usize {
    if text.is_empty() {
        return 0;
    }
    let mut i = i % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, m: &Mutation) {
    match *m {
        Mutation::Delete(a, n) => {
            let a = at(text, a);
            let b = at(text, a + n.min(text.len() - a));
            text.replace_range(a..b.max(a), "");
        }
        Mutation::Insert(a, t) => {
            let a = at(text, a);
            text.insert_str(a, TOKENS[t % TOKENS.len()]);
        }
        Mutation::Replace(a, n, t) => {
            let a = at(text, a);
            let b = at(text, a + n.min(text.len() - a)).max(a);
            text.replace_range(a..b, TOKENS[t % TOKENS.len()]);
        }
        Mutation::CopySlice(a, n, b) => {
            let a = at(text, a);
            let e = at(text, a + n.min(text.len() - a)).max(a);
            let slice = text[a..e].to_owned();
            let b = at(text, b);
            text.insert_str(b, &slice);
        }
        Mutation::DuplicateLine(l) => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let i = l % lines.len();
                lines.insert(i, lines[i]);
            }
            *text = lines.concat();
        }
        Mutation::SwapLines(a, b) => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let (a, b) = (a % lines.len(), b % lines.len());
                lines.swap(a, b);
            }
            *text = lines.concat();
        }
        Mutation::Truncate(a) => {
            let a = at(text, a);
            text.truncate(a);
        }
        Mutation::Byte(a, b) => {
            let a = at(text, a);
            text.insert(a, char::from(b));
        }
    }
}

/// A text of `corpus`, mutated.
fn mutated(corpus: fn() -> &'static [String]) -> impl Strategy<Value = String> {
    (any::<usize>(), prop::collection::vec(mutation(), 1..6)).prop_map(move |(i, ms)| {
        let c = corpus();
        let mut text = c[i % c.len()].clone();
        for m in &ms {
            apply(&mut text, m);
        }
        text
    })
}

/// Arbitrary text: random characters, or random words of YAML and hookrig.
fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|w| w.concat()),
    ]
}

/// Asserts that every error names `file`, and that every error about text that was read
/// says where in it, unless it is about the file as a whole.
fn located<E: std::fmt::Display>(file: &str, errors: &[E]) {
    assert!(!errors.is_empty(), "an Err with no error");
    for e in errors {
        let s = e.to_string();
        assert!(s.starts_with(file), "an error that names no file: {s}");
        assert!(s.len() > file.len() + 2, "an error that says nothing: {s}");
    }
}

/// Loads a scenario text; when it loads, replays it. Never panics.
fn scenario_front_door(text: &str) {
    match parse_str(Path::new("fuzz.yaml"), text) {
        Ok(loaded) => {
            let scenarios: Vec<_> = loaded.into_iter().map(|(s, _)| s).collect();
            // A mutation may multiply events; keep the replay quick.
            let events: usize = scenarios.iter().map(|s| s.events.len()).sum();
            if events <= 64 {
                let state = run_sim(&scenarios, &RunOptions::default(), |_| {});
                assert_eq!(state.scenarios.len(), scenarios.len());
            }
        }
        Err(errors) => located("fuzz.yaml", &errors),
    }
}

fn profile_front_door(text: &str) {
    match profile::load::load_str(Path::new("fuzz-profile.yaml"), text) {
        Ok(p) => {
            // A profile that loads builds a request for its first event.
            let event = p
                .catalogue
                .first()
                .map_or_else(|| "fuzz.event".to_owned(), |e| e.name.clone());
            let mut rng = hookrig::rng::RunRng::new(1);
            let data = p.generate_data(&event, &mut rng);
            let ids = p.new_ids(&mut rng);
            let endpoint = profile::Endpoint {
                secrets: p.test_secret().map(str::to_owned).into_iter().collect(),
                ..Default::default()
            };
            let _ = p.build_attempt(
                &endpoint,
                &event,
                &data,
                &ids,
                Duration::from_secs(1_700_000_000),
                profile::AttemptInfo::first(),
            );
        }
        Err(errors) => located("fuzz-profile.yaml", &errors),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_scenario_file_loads_and_replays_or_is_refused_with_located_errors(text in mutated(scenarios)) {
        scenario_front_door(&text);
    }

    #[test]
    fn an_arbitrary_scenario_file_is_refused_with_located_errors_or_loads(text in arbitrary_text()) {
        scenario_front_door(&text);
    }

    #[test]
    fn a_mutated_profile_file_loads_and_builds_requests_or_is_refused_with_located_errors(text in mutated(profiles)) {
        profile_front_door(&text);
    }

    #[test]
    fn an_arbitrary_profile_file_is_refused_with_located_errors_or_loads(text in arbitrary_text()) {
        profile_front_door(&text);
    }

    #[test]
    fn a_mutated_or_arbitrary_fault_file_loads_or_is_refused_with_located_errors(
        text in prop_oneof![mutated(fault_files), arbitrary_text()]
    ) {
        let scratch = Scratch::new();
        let file = scratch.file("faults.yaml", &text);
        if let Err(errors) = load_faults(&file) {
            located(&file.display().to_string(), &errors);
        }
    }

    #[test]
    fn a_mutated_or_arbitrary_journal_opens_in_the_tui_with_bad_lines_named(
        text in prop_oneof![mutated(journals), arbitrary_text()]
    ) {
        let scratch = Scratch::new();
        let file = scratch.file("journal.jsonl", &text);
        let parsed = hookrig::tui::journal::parse(&text);
        for p in &parsed.problems {
            prop_assert!(p.starts_with("line "), "{p}");
        }
        let model = hookrig::tui::journal::load(&file).expect("a readable file opens");
        let _ = format!("{model:?}");
    }

    #[test]
    fn raw_bytes_to_the_receiver_never_stop_it_answering(bytes in raw_http()) {
        let addr = receiver();
        let panics = PANICS.load(Ordering::SeqCst);
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(&bytes);
            let _ = s.shutdown(Shutdown::Write);
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
        prop_assert_eq!(answer(addr), 200, "a good request after the bytes {:?}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!(PANICS.load(Ordering::SeqCst), panics, "the receiver panicked");
    }
}

fn fault_files() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| {
        vec![
            "- respond: 503\n  after: 2s\n- hang: true\n- drop: true\n- reset: true\n- respond: 200\n  body: ok\n  headers: {Retry-After: '5'}\n".into(),
            "steps:\n  - respond: 500\n  - dribble: {chunks: 4, over: 1s}\nroutes:\n  - path: /a\n    method: POST\n    steps:\n      - malformed: true\n      - stall: true\n      - respond: 410\n        when: {event: user.created}\n".into(),
        ]
    })
}

/// A real journal of the shipped standard-webhooks scenarios.
fn journals() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/standard-webhooks");
        let loaded = hookrig::scenario::load_paths(&[dir]);
        assert!(loaded.errors.is_empty());
        let state = run_sim(&loaded.scenarios, &RunOptions::default(), |_| {});
        let epoch = Duration::from_secs(hookrig::clock::SIM_EPOCH_UNIX as u64);
        vec![hookrig::report::journal::render(&state, epoch)]
    })
}

/// Raw bytes: arbitrary, or an HTTP request with a mutated head or body.
fn raw_http() -> impl Strategy<Value = Vec<u8>> {
    const REQUEST: &str = "POST /hooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
        webhook-id: msg_1\r\nwebhook-timestamp: 1700000000\r\nwebhook-signature: v1,AAAA\r\n\
        content-length: 40\r\n\r\n{\"type\":\"user.created\",\"data\":{\"a\":1}}";
    fn one() -> &'static [String] {
        static C: OnceLock<Vec<String>> = OnceLock::new();
        C.get_or_init(|| vec![REQUEST.to_owned()])
    }
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        mutated(one).prop_map(String::into_bytes),
    ]
}

/// Panics on the fuzzed receiver's threads.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// The address of one receiver (standard-webhooks profile, verifying signatures, keeping
/// a log) serving on its own named threads for the whole test binary.
fn receiver() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("fuzz-receiver"))
            {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
    *ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("fuzz-receiver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name("fuzz-receiver-worker")
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async move {
                    let p = Arc::new(profile::builtin("standard-webhooks").unwrap());
                    let log = RequestLog::new(Arc::new(SystemClock)).with_verifier(Verifier {
                        profile: Arc::clone(&p),
                        secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
                    });
                    let receiver = Receiver::new(FaultPlan::default())
                        .with_profile(p)
                        .with_log(log);
                    let listener = live::bind("127.0.0.1:0").await.expect("bind");
                    let running = live::spawn(listener, receiver.into_app()).expect("serve");
                    tx.send(running.addr).unwrap();
                    std::future::pending::<()>().await;
                });
            })
            .expect("a receiver thread");
        rx.recv().expect("the receiver's address")
    })
}

/// The status of a good request on a fresh connection.
fn answer(addr: SocketAddr) -> u16 {
    let mut s = TcpStream::connect(addr).expect("the receiver still accepts");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(
        b"POST /ok HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
    )
    .unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
