//! The receiver on a real socket: connection faults as the sender sees them, every request
//! recorded under load, the body cap, the journal and the request listing.

use std::sync::Arc;
use std::time::Duration;

use hookrig::clock::SystemClock;
use hookrig::events::{EngineEvent, Outcome};
use hookrig::faults::Route;
use hookrig::faults::{Action, Dribble, Fault, FaultPlan, Step};
use hookrig::profile::{self, DeliveryIds, Endpoint};
use hookrig::receiver::Receiver;
use hookrig::receiver::live::{self, Running};
use hookrig::receiver::log::{RequestLog, Verifier};
use hookrig::retry::{AttemptResult, Backoff};
use hookrig::sender::{self, Delivery, SenderCtx, Transport};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use clap::Parser as _;
use hookrig::cmd::Cli;

use crate::utils::Scratch;

fn plan(actions: Vec<Action>) -> FaultPlan {
    FaultPlan::new(
        actions
            .into_iter()
            .map(|action| Step {
                when_event: None,
                action,
            })
            .collect(),
    )
}

async fn start(receiver: Receiver) -> Running {
    let listener = live::bind("127.0.0.1:0").await.expect("bind a free port");
    live::spawn(listener, receiver.into_app()).expect("serve")
}

/// One crawl4ai delivery (retries connection errors and timeouts) with millisecond waits
/// and a 300 ms timeout; returns each attempt's result.
async fn deliver_to(url: String) -> (Outcome, Vec<AttemptResult>) {
    let mut p = profile::builtin("crawl4ai").unwrap();
    p.retry.backoff = Backoff::Table(vec![Duration::from_millis(5)]);
    p.retry.timeout = Duration::from_millis(300);
    p.retry.attempts = 2;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ctx = SenderCtx::new(
        Arc::new(p),
        Arc::new(Endpoint::default()),
        Transport::http().unwrap(),
        Arc::new(SystemClock),
        tx,
        url,
    );
    let d = Delivery {
        index: 0,
        event_type: "crawl.completed".into(),
        data: json!({"task_id": "crawl_0123abcd", "urls": ["https://example.com"]}),
        ids: DeliveryIds::with_message_id(String::new()),
        jitter_seed: 0,
    };
    let outcome = sender::deliver(&ctx, &d).await;
    drop(ctx);
    let mut results = Vec::new();
    while let Some(e) = rx.recv().await {
        if let EngineEvent::AttemptFinished { result, .. } = e {
            results.push(result);
        }
    }
    (outcome, results)
}

#[tokio::test]
async fn each_connection_fault_reaches_the_sender_as_the_right_failure() {
    let cases = [
        (Action::Fault(Fault::Drop), AttemptResult::Connection),
        (Action::Fault(Fault::Reset), AttemptResult::Connection),
        (Action::Fault(Fault::Malformed), AttemptResult::Connection),
        (Action::Fault(Fault::Stall), AttemptResult::Timeout),
        (Action::Fault(Fault::Hang), AttemptResult::Timeout),
    ];
    for (fault, want) in cases {
        let server = start(Receiver::new(plan(vec![
            fault.clone(),
            Action::status(200),
        ])))
        .await;

        let (outcome, results) = deliver_to(format!("http://{}/hook", server.addr)).await;

        assert_eq!(results, [want, AttemptResult::Status(200)], "{fault:?}");
        assert_eq!(outcome, Outcome::Delivered, "{fault:?}");
        server.stop().await;
    }
}

#[tokio::test]
async fn a_dribbled_body_arrives_whole_after_its_delay() {
    let slow = Action::Respond {
        status: 200,
        body: "0123456789".into(),
        headers: Vec::new(),
        after: Duration::ZERO,
        dribble: Some(Dribble {
            chunks: 5,
            over: Duration::from_millis(200),
        }),
    };
    let server = start(Receiver::new(plan(vec![slow]))).await;
    let client = reqwest::Client::new();

    let started = std::time::Instant::now();
    let r = client
        .post(format!("http://{}/x", server.addr))
        .body("{}")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();

    assert_eq!((status, body.as_str()), (200, "0123456789"));
    assert!(
        started.elapsed() >= Duration::from_millis(180),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_one_of_a_thousand_concurrent_requests_is_recorded() {
    let log = RequestLog::new(Arc::new(SystemClock));
    let receiver = Arc::new(Receiver::new(FaultPlan::default()).with_log(log));
    let listener = live::bind("127.0.0.1:0").await.unwrap();
    let server = live::spawn(listener, hookrig::receiver::app(Arc::clone(&receiver))).unwrap();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let client = client.clone();
        let url = format!("http://{}/hook/{}", server.addr, i % 7);
        tasks.spawn(async move {
            client
                .post(url)
                .body(format!("{{\"n\":{i}}}"))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    let mut answered = 0;
    while let Some(r) = tasks.join_next().await {
        if matches!(r.unwrap(), Ok(200)) {
            answered += 1;
        }
    }
    let listed: Vec<Value> = serde_json::from_str(
        &client
            .get(format!("http://{}/_hookrig/requests", server.addr))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();

    assert_eq!(answered, 1000);
    assert_eq!(listed.len(), 1000);
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let server = start(Receiver::new(FaultPlan::default()).with_body_limit(1024)).await;
    let client = reqwest::Client::new();

    let big = client
        .post(format!("http://{}/x", server.addr))
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    let small = client
        .post(format!("http://{}/x", server.addr))
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(big.status().as_u16(), 413);
    assert_eq!(small.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_journal_holds_each_request_with_its_answer_and_signature_verdict_as_it_arrives() {
    let dir = Scratch::new();
    let journal = dir.path().join("requests.jsonl");
    let p = Arc::new(profile::builtin("perfectparser").unwrap());
    let log = RequestLog::new(Arc::new(SystemClock))
        .with_journal(&journal)
        .unwrap()
        .with_verifier(Verifier {
            profile: Arc::clone(&p),
            secrets: vec!["k".into()],
        });
    let route = Route {
        path: "/pp".into(),
        method: Some("POST".into()),
        plan: plan(vec![Action::status(503), Action::status(200)]),
    };
    let server = start(
        Receiver::new(FaultPlan::default())
            .with_routes(vec![route])
            .with_log(log),
    )
    .await;
    let endpoint = Endpoint {
        secrets: vec!["k".into()],
        static_secret: Some("static-1".into()),
        ..Endpoint::default()
    };
    let data = json!({"extraction_id": "ext_1", "document_id": "doc_1", "status": "completed"});
    let signed = p
        .build_request(
            &endpoint,
            "extraction.document_completed",
            &data,
            &DeliveryIds::with_message_id(String::new()),
            hookrig::clock::Clock::now(&SystemClock),
        )
        .unwrap();
    let client = reqwest::Client::new();

    let mut statuses = Vec::new();
    for forged in [false, false, true] {
        let mut rb = client.post(format!("http://{}/pp", server.addr));
        for (k, v) in &signed.headers {
            let v = if forged && k == "X-PerfectParser-Signature" {
                "00".repeat(32)
            } else {
                v.to_string()
            };
            rb = rb.header(k.as_str(), v);
        }
        statuses.push(
            rb.body(signed.body.clone())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
        // Flushed as each request arrives: the line is there before the next request.
        let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
        assert_eq!(lines, statuses.len());
    }
    let lines: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    assert_eq!(statuses, [503, 200, 200]);
    let answers: Vec<&str> = lines
        .iter()
        .map(|l| l["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["503", "200", "200"]);
    let verdicts: Vec<&str> = lines
        .iter()
        .map(|l| l["signature"]["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["valid", "valid", "invalid"]);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        !text.contains("static-1"),
        "the static secret must be redacted"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_port_already_in_use_is_a_clear_error() {
    let taken = live::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap().to_string();

    let err = live::bind(&addr).await.unwrap_err();

    assert!(err.to_string().contains("already in use"), "{err}");
}

#[tokio::test]
async fn when_steps_apply_on_a_socket_by_reading_the_event_type_from_the_body() {
    let steps = vec![
        Step {
            when_event: Some("user.deleted".into()),
            action: Action::status(410),
        },
        Step {
            when_event: None,
            action: Action::status(200),
        },
    ];
    let receiver = Receiver::new(FaultPlan::new(steps))
        .with_profile(Arc::new(profile::builtin("standard-webhooks").unwrap()));
    let server = start(receiver).await;
    let client = reqwest::Client::new();

    let send = |t: &str| {
        client
            .post(format!("http://{}/sw", server.addr))
            .body(json!({"type": t, "timestamp": "x", "data": {}}).to_string())
            .send()
    };
    let deleted = send("user.deleted").await.unwrap().status().as_u16();
    let created = send("user.created").await.unwrap().status().as_u16();

    assert_eq!((deleted, created), (410, 200));
    server.stop().await;
}

#[test]
fn run_live_replays_a_scenario_over_sockets_with_the_schedule_in_scenario_time() {
    let dir = Scratch::new();
    let path = dir.scenario(&crate::utils::yaml(
        "
        name: PerfectParser over a real socket
        profile: {base: perfectparser, waits: [1s, 2s, 4s], timeout: 1s}
        endpoint: {secret: pp_secret, static_secret: static-1}
        events:
          - type: extraction.document_completed
        receiver:
          - respond: 503
          - hang: true
          - respond: 200
            after: 500ms
        expect:
          outcome: delivered
          attempts: 3
          schedule: [0s, 1s, 4s]
          tolerance: 1s
          signature: valid
          headers:
            equal: {Content-Type: application/json, X-Webhook-Secret: static-1}
          payload: {schema: event}
        ",
    ));

    let out = crate::utils::hookrig([
        "run".as_ref(),
        path.as_os_str(),
        "--live".as_ref(),
        "--time-scale".as_ref(),
        "0.2".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);

    assert_eq!(out.status, hookrig::ExitStatus::Success, "{}", out.both());
    let report = out.json();
    let at = crate::utils::at_ms(&report, 0);
    assert_eq!(at.len(), 3);
    // Scenario time, from the first attempt: a 1 s wait, then the hang's 1 s timeout and a
    // 2 s wait. (Real time is 0.2 × that; the first attempt's own start includes the
    // client's connection set-up, so offsets are taken from it.)
    let from_first: Vec<i64> = at.iter().map(|a| *a as i64 - at[0] as i64).collect();
    assert!((from_first[1] - 1000).abs() < 500, "{at:?}");
    assert!((from_first[2] - 4000).abs() < 500, "{at:?}");
    let errors: Vec<Value> = crate::utils::attempts(&report, 0)
        .iter()
        .map(|a| a["error"].clone())
        .collect();
    assert_eq!(errors, [Value::Null, json!("timeout"), Value::Null]);
}

#[test]
fn an_out_of_range_time_scale_is_refused() {
    let zero = Cli::try_parse_from(["hookrig", "run", "x.yaml", "--live", "--time-scale", "0"])
        .unwrap_err();
    let word = Cli::try_parse_from(["hookrig", "run", "x.yaml", "--live", "--time-scale", "fast"])
        .unwrap_err();

    assert_eq!(zero.exit_code(), 2);
    assert!(zero.to_string().contains("--time-scale"), "{zero}");
    assert!(zero.to_string().contains("out of range"), "{zero}");
    assert!(word.to_string().contains("`auto`"), "{word}");
}
