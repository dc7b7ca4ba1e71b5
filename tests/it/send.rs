//! `hookrig send`: a durable delivery survives SIGKILL and resumes on schedule.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hookrig::events::EngineEvent;
use hookrig::faults::{Action, FaultPlan, Step};
use hookrig::receiver::Receiver;
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

/// The headers and body of each request a wiremock server on /hooks got.
async fn arrivals(server: &wiremock::MockServer) -> Vec<(Vec<hookrig::record::Header>, Vec<u8>)> {
    server
        .received_requests()
        .await
        .expect("recording on")
        .iter()
        .map(|r| {
            let headers = r
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().into(), v.to_str().unwrap_or_default().into()))
                .collect();
            (headers, r.body.clone())
        })
        .collect()
}

/// A wiremock server on /hooks answering `status` to everything.
async fn answering(status: u16) -> wiremock::MockServer {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(wiremock::ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_puts_the_static_secret_on_the_wire() {
    // Arrange
    let server = answering(200).await;

    // Act
    let out = Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .args([
            "send",
            "--profile",
            "perfectparser",
            "--event",
            "batch.completed",
        ])
        .args(["--url", &format!("{}/hooks", server.uri())])
        .args([
            "--static-secret",
            "static-wire-1",
            "--secret",
            "pp-signing",
            "--seed",
            "5",
        ])
        .output()
        .unwrap();

    // Assert
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let got = arrivals(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(header(&got[0].0, "x-webhook-secret"), Some("static-wire-1"));
    assert_eq!(
        header(&got[0].0, "x-perfectparser-signature"),
        Some(hex::encode(hookrig::signing::hmac_sha256(b"pp-signing", &[&got[0].1])).as_str())
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("static-wire-1"),
        "the static secret never appears in output"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_static_secret_and_the_body_survive_a_state_restart() {
    // Arrange: a PerfectParser delivery with a static secret fails its first attempt;
    // the process is killed while it waits 5 minutes for attempt 2.
    let dir = Scratch::new();
    let state = dir.path().join("state.db");
    let server = answering(500).await;
    let url = format!("{}/hooks", server.uri());
    let bin = env!("CARGO_BIN_EXE_hookrig");
    let mut first = Command::new(bin)
        .args([
            "send",
            "--profile",
            "perfectparser",
            "--event",
            "extraction.job_completed",
        ])
        .args([
            "--url",
            &url,
            "--static-secret",
            "static-restart-7",
            "--seed",
            "9",
        ])
        .arg("--state")
        .arg(&state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while arrivals(&server).await.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "attempt 1 never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().unwrap(); // SIGKILL on Unix
    first.wait().unwrap();
    // Five minutes pass (the row is made due now), and the receiver is fixed.
    rusqlite::Connection::open(&state)
        .unwrap()
        .execute("UPDATE deliveries SET due_ms = 0", [])
        .unwrap();
    server.reset().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;

    // Act: start again with the state file alone.
    let resumed = Command::new(bin)
        .arg("send")
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();

    // Assert: attempt 2 carried the static secret, the same body (created_at included)
    // and a signature made with the secret generated at the start.
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert_eq!(resumed.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("attempt 2 of 6"), "{stdout}");
    let got = arrivals(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0].0, "x-webhook-secret"),
        Some("static-restart-7")
    );
    let body: serde_json::Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(body["event"], "extraction.job_completed");
    let sig = header(&got[0].0, "x-perfectparser-signature").expect("always signed");
    assert_eq!(sig.len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_from_an_older_hookrig_still_resumes() {
    // Arrange: the table as hookrig wrote it before the static_secret and event_ms
    // columns, with one delivery due now.
    let dir = Scratch::new();
    let state = dir.path().join("old.db");
    let server = answering(200).await;
    {
        let c = rusqlite::Connection::open(&state).unwrap();
        c.execute_batch(
            "CREATE TABLE deliveries (
                 id INTEGER PRIMARY KEY AUTOINCREMENT, profile TEXT NOT NULL, url TEXT NOT NULL,
                 event_type TEXT NOT NULL, data TEXT NOT NULL, message_id TEXT NOT NULL,
                 secrets TEXT NOT NULL, headers TEXT NOT NULL, next_attempt INTEGER NOT NULL,
                 due_ms INTEGER NOT NULL, status TEXT NOT NULL);",
        )
        .unwrap();
        c.execute(
            "INSERT INTO deliveries (profile, url, event_type, data, message_id, secrets, headers, next_attempt, due_ms, status)
             VALUES ('llamacloud', ?1, 'parse.success', '{\"id\": \"j1\", \"job_id\": \"j1\"}', 'e0c6c1b4-6f2a-4a3e-9b1d-0c2d3e4f5a6b', '[\"lc\"]', '[]', 1, 0, 'pending')",
            [format!("{}/hooks", server.uri())],
        )
        .unwrap();
    }

    // Act
    let out = Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .arg("send")
        .arg("--state")
        .arg(&state)
        .output()
        .unwrap();

    // Assert
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = arrivals(&server).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        header(&got[0].0, "x-webhook-event-id"),
        Some("e0c6c1b4-6f2a-4a3e-9b1d-0c2d3e4f5a6b")
    );
    assert_eq!(header(&got[0].0, "x-webhook-secret"), None);
}

#[test]
fn send_refuses_a_static_secret_for_a_profile_without_one() {
    let out = crate::utils::hookrig([
        "send",
        "--profile",
        "extend",
        "--url",
        "http://127.0.0.1:9/unreachable",
        "--event",
        "workflow.created",
        "--static-secret",
        "x",
    ]);
    assert_eq!(out.status, hookrig::ExitStatus::BadInput);
    assert!(
        out.stderr.contains("X-Webhook-Secret is PerfectParser's"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_signs_with_a_generated_secret_it_prints_when_extend_is_given_none() {
    let server = answering(200).await;

    let out = Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .args(["send", "--profile", "extend", "--event", "workflow.created"])
        .args(["--url", &format!("{}/hooks", server.uri()), "--seed", "11"])
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let secret = stdout
        .split("generated secret ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no generated secret printed:\n{stdout}"));
    assert!(secret.starts_with("wss_") && secret.len() == 36, "{secret}");
    let got = arrivals(&server).await;
    let at = header(&got[0].0, "x-extend-request-timestamp")
        .and_then(|t| t.parse::<u64>().ok())
        .expect("timestamp");
    assert_eq!(
        hookrig::profile::builtin("extend").unwrap().scheme.verify(
            &[secret.to_owned()],
            &got[0].0,
            &got[0].1,
            Duration::from_secs(at)
        ),
        hookrig::signing::Verdict::Valid
    );
}
