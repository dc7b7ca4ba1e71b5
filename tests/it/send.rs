//! `hookrig send`: a durable delivery survives SIGKILL and resumes on schedule.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hookrig::engine::EngineEvent;
use hookrig::receiver::Receiver;
use hookrig::receiver::faults::{Action, FaultPlan, Step};
use hookrig::receiver::live;
use hookrig::signing::header;

use crate::utils::Scratch;

/// Arrival times and `X-Webhook-Event-ID`s, as they happen.
type Arrivals = Arc<Mutex<Vec<(Instant, String)>>>;

/// A receiver answering 500 to everything, on its own thread; returns its URL and the
/// arrivals (time, X-Webhook-Event-ID) as they happen.
fn failing_receiver() -> (String, Arrivals) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&arrivals);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let plan = FaultPlan::new(vec![Step {
                when_event: None,
                action: Action::status(500),
            }]);
            let listener = live::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let server =
                live::spawn(listener, Receiver::new(plan).with_events(0, tx).into_app()).unwrap();
            while let Some(e) = rx.recv().await {
                if let EngineEvent::RequestReceived { request, .. } = e {
                    let id = header(&request.headers, "x-webhook-event-id")
                        .unwrap_or_default()
                        .to_owned();
                    seen.lock().unwrap().push((Instant::now(), id));
                }
            }
            server.stop().await;
        });
    });
    let addr = addr_rx.recv().unwrap();
    (format!("http://{addr}/hooks"), arrivals)
}

fn wait_for(arrivals: &Mutex<Vec<(Instant, String)>>, n: usize, limit: Duration) {
    let start = Instant::now();
    while arrivals.lock().unwrap().len() < n {
        assert!(start.elapsed() < limit, "waited {limit:?} for {n} arrivals");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_delivery_killed_with_sigkill_resumes_on_schedule_none_lost_none_early() {
    let dir = Scratch::new();
    let state = dir.path().join("state.db");
    let (url, arrivals) = failing_receiver();
    let bin = env!("CARGO_BIN_EXE_hookrig");

    // Act 1: start a llamacloud delivery (3 attempts, waits 1 s and 2 s), kill it with
    // SIGKILL while it waits for attempt 2.
    let mut first = Command::new(bin)
        .args([
            "send",
            "--profile",
            "llamacloud",
            "--url",
            &url,
            "--event",
            "parse.success",
            "--seed",
            "7",
        ])
        .arg("--state")
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&arrivals, 1, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    first.kill().unwrap(); // SIGKILL on Unix
    first.wait().unwrap();
    assert_eq!(
        arrivals.lock().unwrap().len(),
        1,
        "nothing more was sent before the kill"
    );

    // Act 2: start again with the same state file and nothing else.
    let resumed = Command::new(bin)
        .arg("send")
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();

    // Assert: attempts 2 and 3 came on schedule, with the same event id.
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert_eq!(
        resumed.status.code(),
        Some(1),
        "exhausted is exit 1:\n{stdout}"
    );
    assert!(stdout.contains("1 pending delivery"), "{stdout}");
    assert!(stdout.contains("exhausted"), "{stdout}");
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), 3, "none lost, none repeated");
    let gap1 = arrivals[1].0 - arrivals[0].0;
    let gap2 = arrivals[2].0 - arrivals[1].0;
    assert!(
        gap1 >= Duration::from_millis(950),
        "attempt 2 came {gap1:?} after attempt 1, before its 1 s wait"
    );
    assert!(
        gap2 >= Duration::from_millis(1950),
        "attempt 3 came {gap2:?} after attempt 2, before its 2 s wait"
    );
    assert!(
        arrivals
            .iter()
            .all(|(_, id)| *id == arrivals[0].1 && !id.is_empty()),
        "{arrivals:?}"
    );

    // And nothing is left pending.
    let again = Command::new(bin)
        .arg("send")
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 pending deliveries"));
}

#[test]
fn send_refuses_bad_urls_and_unknown_event_types_with_exit_2() {
    let bad_scheme = crate::utils::hookrig([
        "send",
        "--profile",
        "extend",
        "--url",
        "ftp://x/y",
        "--event",
        "workflow_run.completed",
        "--secret",
        "s",
    ]);
    let bad_event = crate::utils::hookrig([
        "send",
        "--profile",
        "extend",
        "--url",
        "http://127.0.0.1:9/x",
        "--event",
        "workflow_run.complete",
    ]);

    assert_eq!(bad_scheme.status, hookrig::ExitStatus::BadInput);
    assert!(
        bad_scheme.stderr.contains("not http or https"),
        "{}",
        bad_scheme.stderr
    );
    assert_eq!(bad_event.status, hookrig::ExitStatus::BadInput);
    assert!(
        bad_event
            .stderr
            .contains("did you mean `workflow_run.completed`"),
        "{}",
        bad_event.stderr
    );
}
