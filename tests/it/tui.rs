//! `hookrig tui`: screens rendered into ratatui's `TestBackend` and snapshotted (80×24),
//! keys driven on the app state, bad journals, and one run of the real binary in tmux.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use hookrig::clock::SIM_EPOCH_UNIX;
use hookrig::runner::{RunOptions, run_sim};
use hookrig::scenario::load_paths;
use hookrig::tui::model::Mark;
use hookrig::tui::{Action, App, Model, Screen, journal};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

use crate::utils::{Scratch, hookrig};

/// Extend with a 503, a hang (30 s timeout), a dropped connection, a 429 and a 200, and an
/// expected schedule that forgets the timeout: attempts 3 to 5 fail the schedule check.
const RETRIES: &str = "\
name: Extend retries a 503, a hang, a drop and a 429
profile: extend
endpoint:
  secret: extend_secret
events:
  - type: workflow_run.completed
    data: { id: workflow_run_1, status: PROCESSED }
receiver:
  - respond: 503
  - hang: true
  - drop: true
  - respond: 429
  - respond: 200
    body: '{\"ok\":true}'
expect:
  outcome: delivered
  attempts: 5
  schedule: [0s, 1s, 3s, 7s, 15s]
  signature: valid
";

const FIRST_TRY: &str = "\
name: LlamaCloud delivers at the first attempt
profile: llamacloud
endpoint:
  secret: lc_secret
events:
  - type: parse.success
expect:
  outcome: delivered
  attempts: 1
";

const FILTERED: &str = "\
name: Crawl4AI sends one event and filters the other
profile: crawl4ai
endpoint:
  events: [crawl.completed]
events:
  - type: crawl.completed
  - type: crawl.failed
receiver:
  - respond: 500
  - respond: 200
expect:
  - event: crawl.completed
    outcome: delivered
    schedule: [0s, 1s]
  - event: crawl.failed
    outcome: filtered
";

/// Runs the scenarios (files named a.yaml, b.yaml, … in order) and builds the model.
fn model_of(texts: &[&str]) -> Model {
    let scratch = Scratch::new();
    let paths: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| scratch.file(&format!("{}.yaml", (b'a' + i as u8) as char), t))
        .collect();
    let loaded = load_paths(&paths);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let state = run_sim(&loaded.scenarios, &RunOptions::default(), |_| {});
    let epoch = Duration::from_secs(SIM_EPOCH_UNIX as u64);
    Model::from_run("scenarios/", &state, &loaded.scenarios, epoch)
}

fn screen(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| app.render(f)).expect("draw");
    t
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn press(app: &mut App, keys: &[KeyCode]) -> Action {
    let mut last = Action::None;
    for k in keys {
        last = app.handle_event(&key(*k));
    }
    last
}

#[test]
fn the_scenario_list_shows_pass_fail_outcome_and_attempts() {
    let app = App::new(model_of(&[RETRIES, FIRST_TRY, FILTERED]));
    insta::assert_snapshot!("list_80x24", screen(&app, 80, 24).backend());
}

#[test]
fn the_timeline_marks_retries_a_timeout_and_the_expected_schedule() {
    let mut app = App::new(model_of(&[RETRIES]));
    press(&mut app, &[KeyCode::Right]);
    let t = screen(&app, 80, 24);
    insta::assert_snapshot!("timeline_80x24", t.backend());

    // The selected attempt (2, the timeout) is reversed and magenta; the 503 is red.
    let buf = t.backend().buffer();
    let row = (0..24)
        .find(|&y| buf[(1, y)].symbol() == "a" && buf[(2, y)].symbol() == "c")
        .expect("the `actual` row");
    let marks: Vec<_> = (10..79)
        .map(|x| &buf[(x, row)])
        .filter(|c| c.symbol() != " " && c.symbol() != "━")
        .collect();
    assert_eq!(
        marks.iter().map(|c| c.symbol()).collect::<String>(),
        "■◌✕▲●"
    );
    assert_eq!(marks[0].fg, Color::Red);
    assert_eq!(marks[1].fg, Color::Magenta);
    assert!(marks[1].modifier.contains(Modifier::REVERSED));
    assert_eq!(marks[4].fg, Color::Green);
}

#[test]
fn the_detail_pane_shows_request_signature_answer_and_failed_checks() {
    let mut app = App::new(model_of(&[RETRIES]));
    press(
        &mut app,
        &[
            KeyCode::Right,
            KeyCode::Right,
            KeyCode::Right,
            KeyCode::Enter,
        ],
    );
    assert_eq!(app.screen, Screen::Detail);
    insta::assert_snapshot!("detail_top_80x24", screen(&app, 80, 24).backend());
    press(&mut app, &[KeyCode::PageDown, KeyCode::PageDown]);
    insta::assert_snapshot!("detail_bottom_80x24", screen(&app, 80, 24).backend());
}

#[test]
fn the_help_overlay_lists_the_keys() {
    let mut app = App::new(model_of(&[FIRST_TRY]));
    press(&mut app, &[KeyCode::Char('?')]);
    insta::assert_snapshot!("help_80x24", screen(&app, 80, 24).backend());
    press(&mut app, &[KeyCode::Char('x')]);
    assert!(!app.help, "any key closes the help");
}

#[test]
fn a_terminal_too_small_gets_the_size_it_needs() {
    let app = App::new(model_of(&[FIRST_TRY]));
    let text = screen(&app, 40, 10).backend().to_string();
    assert!(text.contains("at least 60×16"), "{text}");
    assert!(text.contains("40×10"), "{text}");
}

#[test]
fn the_view_model_carries_the_engine_results_unchanged() {
    let m = model_of(&[RETRIES]);
    let d = &m.scenarios[0].deliveries[0];
    assert_eq!(m.scenarios[0].passed, Some(false));
    assert_eq!(d.outcome.as_deref(), Some("delivered"));
    let marks: Vec<Mark> = d.attempts.iter().map(|a| a.mark()).collect();
    assert_eq!(
        marks,
        [
            Mark::ServerError,
            Mark::Timeout,
            Mark::Connection,
            Mark::ClientError,
            Mark::Success
        ]
    );
    let offsets: Vec<u64> = d.attempts.iter().map(|a| a.offset.as_secs()).collect();
    assert_eq!(offsets, [0, 1, 33, 37, 45]);
    assert!(
        d.attempts
            .iter()
            .all(|a| a.signature.as_deref() == Some("valid"))
    );
    assert_eq!(d.failures.len(), 1);
    assert_eq!(d.failures[0].check, "schedule");
}

#[test]
fn keys_move_the_selection_and_never_past_the_ends() {
    let mut app = App::new(model_of(&[RETRIES, FIRST_TRY, FILTERED]));
    assert_eq!(app.visible().len(), 4);
    press(&mut app, &[KeyCode::Up, KeyCode::Char('k')]);
    assert_eq!(app.selected, 0);
    press(&mut app, &[KeyCode::Right, KeyCode::Char('l')]);
    assert_eq!(app.attempt, 2);
    press(&mut app, &[KeyCode::Char('j')]);
    assert_eq!(
        (app.selected, app.attempt),
        (1, 0),
        "a new delivery starts at attempt 1"
    );
    press(&mut app, &[KeyCode::Right, KeyCode::Right]);
    assert_eq!(app.attempt, 0, "the delivery has one attempt");
    press(&mut app, &[KeyCode::Down; 10]);
    assert_eq!(app.selected, 3);
    press(&mut app, &[KeyCode::Left, KeyCode::Char('h')]);
    assert_eq!(app.attempt, 0);
}

#[test]
fn enter_opens_details_and_esc_goes_back() {
    let mut app = App::new(model_of(&[RETRIES]));
    press(&mut app, &[KeyCode::Enter]);
    assert_eq!(app.screen, Screen::Detail);
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    assert_eq!(
        (app.scroll, app.selected),
        (2, 0),
        "↓ scrolls the detail pane"
    );
    press(&mut app, &[KeyCode::Esc]);
    assert_eq!(app.screen, Screen::List);
}

#[test]
fn slash_filters_by_name_or_event_type_and_esc_clears() {
    let mut app = App::new(model_of(&[RETRIES, FIRST_TRY, FILTERED]));
    press(&mut app, &[KeyCode::Char('/')]);
    assert!(app.editing_filter);
    for c in "FAILED".chars() {
        app.handle_event(&key(KeyCode::Char(c)));
    }
    assert_eq!(
        app.visible(),
        [(2, 1)],
        "case-insensitive, on the event type"
    );
    assert_eq!(
        press(&mut app, &[KeyCode::Char('q')]),
        Action::None,
        "q is text while typing"
    );
    press(&mut app, &[KeyCode::Backspace, KeyCode::Enter]);
    assert!(!app.editing_filter);
    assert_eq!(app.filter, "FAILED");
    press(&mut app, &[KeyCode::Char('/'), KeyCode::Esc]);
    assert_eq!(app.filter, "");
    assert_eq!(app.visible().len(), 4);
}

#[test]
fn r_asks_for_a_rerun_and_q_or_ctrl_c_quits() {
    let mut app = App::new(model_of(&[FIRST_TRY]));
    assert_eq!(press(&mut app, &[KeyCode::Char('r')]), Action::Rerun);
    assert_eq!(press(&mut app, &[KeyCode::Char('q')]), Action::Quit);
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.handle_event(&ctrl_c), Action::Quit);
    assert_eq!(app.handle_event(&Event::Resize(100, 30)), Action::None);
}

#[test]
fn a_rerun_keeps_the_selection_on_the_same_delivery() {
    let mut app = App::new(model_of(&[RETRIES, FIRST_TRY, FILTERED]));
    press(&mut app, &[KeyCode::Down, KeyCode::Down]);
    app.replace_model(model_of(&[FILTERED, FIRST_TRY]));
    let (s, d) = app.current().expect("a selection");
    assert_eq!(
        (s.name.as_str(), d.event_type.as_str()),
        (
            "Crawl4AI sends one event and filters the other",
            "crawl.completed"
        )
    );
}

#[test]
fn a_journal_with_a_bad_and_a_truncated_line_shows_the_good_lines() {
    let scratch = Scratch::new();
    let file = scratch.file("retries.yaml", RETRIES);
    let journal_path = scratch.path().join("run.jsonl");
    let out = hookrig([
        "run".into(),
        file.into_os_string(),
        "--journal".into(),
        journal_path.clone().into_os_string(),
    ]);
    assert_eq!(out.status as i32, 1, "{}", out.stderr);
    let text = std::fs::read_to_string(&journal_path).expect("journal");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 6, "five attempts and a delivery");
    lines[2] = "{\"kind\": \"attempt\", oops".into();
    let last = lines.len() - 1;
    lines[last].truncate(30);
    std::fs::write(&journal_path, lines.join("\n")).expect("write");

    let model = journal::load(&journal_path).expect("readable");
    assert_eq!(model.problems.len(), 2, "{:?}", model.problems);
    assert!(
        model.problems[0].starts_with("line 3: "),
        "{:?}",
        model.problems
    );
    assert!(
        model.problems[1].starts_with("line 6: truncated"),
        "{:?}",
        model.problems
    );
    let d = &model.scenarios[0].deliveries[0];
    assert_eq!(d.attempts.len(), 5);
    assert_eq!(
        d.attempts[2].mark(),
        Mark::Pending,
        "the bad line's attempt is unknown"
    );
    assert_eq!(d.attempts[3].mark(), Mark::ClientError);
    assert_eq!(
        d.expected.as_ref().map(Vec::len),
        Some(5),
        "from the scenario file"
    );
    assert_eq!(d.attempts[0].signature.as_deref(), Some("valid"));

    let text = screen(&App::new(model), 80, 24).backend().to_string();
    assert!(
        text.contains("bad journal lines 3, 6 (skipped); line 3: "),
        "{text}"
    );
}

#[test]
fn an_unreadable_journal_is_bad_input_before_the_screen_opens() {
    let out = hookrig(["tui", "--journal", "/nonexistent/run.jsonl"]);
    assert_eq!(out.status as i32, 2);
    assert!(
        out.stderr
            .contains("cannot read the journal /nonexistent/run.jsonl"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_binary_without_a_terminal_says_so_and_exits_2() {
    let scratch = Scratch::new();
    let file = scratch.file("first.yaml", FIRST_TRY);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .arg("tui")
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hookrig tui needs a terminal"), "{stderr}");
}

/// The real binary in a tmux pane: it draws, moves, opens details and quits cleanly.
#[test]
fn the_binary_runs_in_tmux_and_quits_cleanly() {
    let have_tmux = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_tmux {
        eprintln!("note: tmux is not installed; skipping the real-terminal TUI test");
        return;
    }
    let scratch = Scratch::new();
    let file = scratch.file("retries.yaml", RETRIES);
    let socket = format!("hookrig-it-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let capture =
        || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    let wait_for = |needle: &str| {
        for _ in 0..100 {
            let text = capture();
            if text.contains(needle) {
                return text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("`{needle}` never appeared:\n{}", capture());
    };
    let cmd = format!(
        "{} tui {}; echo hookrig-exit=$?; sleep 30",
        env!("CARGO_BIN_EXE_hookrig"),
        file.display()
    );
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    assert!(started.status.success(), "{started:?}");

    let result = std::panic::catch_unwind(|| {
        wait_for("1 scenarios: 0 passed, 1 failed");
        tmux(&["send-keys", "-t", "t", "l", "Enter"]);
        let text = wait_for("Attempt detail");
        assert!(text.contains("attempt 2/5"), "{text}");
        tmux(&["send-keys", "-t", "t", "q"]);
        let text = wait_for("hookrig-exit=");
        assert!(text.contains("hookrig-exit=0"), "{text}");
        assert!(
            !text.contains("Timeline"),
            "the alternate screen is gone:\n{text}"
        );
    });
    tmux(&["kill-server"]);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

// ---- live views: `tui --live` and `receive --tui` -------------------------------------

use std::sync::Arc;

use clap::Parser;
use hookrig::cmd::{Cli, Command};
use hookrig::events::EngineEvent;
use hookrig::faults::Answer;
use hookrig::record::{DeliveryTag, RequestRecord, ResponseRecord};
use hookrig::retry::AttemptResult;
use hookrig::runner::scale::TimeScale;
use hookrig::tui::live::{Feed, Reduce, RunFeed, RunMsg};
use hookrig::tui::receive::Requests;
use hookrig::tui::{LiveKind, Source, live_tick};

fn request(path: &str, body: &str) -> Arc<RequestRecord> {
    Arc::new(RequestRecord {
        method: "POST".into(),
        path: path.into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-webhook-secret".into(), "s3cret".into()),
        ],
        body: body.to_owned().into(),
    })
}

/// The events of RETRIES' first two attempts as a live run reports them: a 503, a wait
/// of 1 s, then a second attempt still in flight.
fn first_two_attempts() -> Vec<EngineEvent> {
    let body = r#"{"eventType":"workflow_run.completed","payload":{"id":"workflow_run_1"}}"#;
    let tag = |n| DeliveryTag {
        delivery: 0,
        event_type: Default::default(),
        attempt: n,
        hop: 0,
    };
    vec![
        EngineEvent::ScenarioStarted {
            scenario: 0,
            name: "Extend retries a 503, a hang, a drop and a 429".into(),
            file: "a.yaml".into(),
        },
        EngineEvent::DeliveryCreated {
            scenario: 0,
            delivery: 0,
            event_type: "workflow_run.completed".into(),
        },
        EngineEvent::AttemptStarted {
            scenario: 0,
            delivery: 0,
            n: 1,
            at: Duration::ZERO,
            request: request("/hookrig/0", body),
        },
        EngineEvent::RequestReceived {
            scenario: 0,
            tag: Some(tag(0)),
            at: Duration::from_millis(2),
            request: request("/hookrig/0", body),
            answer: Answer::Status(503),
        },
        EngineEvent::AttemptFinished {
            scenario: 0,
            delivery: 0,
            n: 1,
            result: AttemptResult::Status(503),
            response: Some(Arc::new(ResponseRecord {
                status: 503,
                headers: Vec::new(),
                body: "busy".into(),
            })),
            latency: Duration::from_millis(4),
            requests: 1,
        },
        EngineEvent::RetryScheduled {
            scenario: 0,
            delivery: 0,
            n: 1,
            wait: Duration::from_secs(1),
        },
        EngineEvent::AttemptStarted {
            scenario: 0,
            delivery: 0,
            n: 2,
            at: Duration::from_millis(1004),
            request: request("/hookrig/0", body),
        },
    ]
}

/// A live run's feed with nothing sent yet, over RETRIES (for the expected schedule).
fn live_run() -> (
    tokio::sync::mpsc::UnboundedSender<RunMsg>,
    Feed<RunFeed>,
    App,
) {
    let scratch = Scratch::new();
    let loaded = load_paths(&[scratch.file("a.yaml", RETRIES)]);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let feed = Feed::new(
        RunFeed::new("live scenarios/", Arc::new(loaded.scenarios)),
        rx,
        None,
    );
    let app = App::live(Model::default(), LiveKind::Run);
    (tx, feed, app)
}

fn status_line(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let y = buf.area.height - 1;
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_owned())
        .collect::<String>()
        .trim_end()
        .to_owned()
}

#[test]
fn space_pauses_a_live_view_and_resumes_it() {
    let mut app = App::live(Model::default(), LiveKind::Run);
    press(&mut app, &[KeyCode::Char(' ')]);
    assert!(app.live.as_ref().is_some_and(|l| l.paused));
    press(&mut app, &[KeyCode::Char(' ')]);
    assert!(app.live.as_ref().is_some_and(|l| !l.paused));

    let mut still = App::new(model_of(&[FIRST_TRY]));
    press(&mut still, &[KeyCode::Char(' ')]);
    assert!(
        still.live.is_none(),
        "space does nothing outside a live view"
    );
}

#[test]
fn events_wait_while_paused_and_are_applied_on_resume() {
    let (tx, mut feed, mut app) = live_run();
    press(&mut app, &[KeyCode::Char(' ')]);
    for e in first_two_attempts() {
        tx.send(RunMsg::Event(e)).expect("the feed listens");
    }
    live_tick(&mut app, &mut feed);
    assert_eq!(
        app.model.delivery_count(),
        0,
        "nothing applied while paused"
    );
    assert_eq!(
        status_line(&screen(&app, 80, 24)),
        " paused (7 events waiting)  space resume ↑↓ delivery Enter details ? help q quit"
    );

    press(&mut app, &[KeyCode::Char(' ')]);
    live_tick(&mut app, &mut feed);
    assert_eq!(app.model.scenarios[0].deliveries[0].attempts.len(), 2);
    assert!(status_line(&screen(&app, 80, 24)).starts_with(" live: running… 7 events"));

    drop(tx);
    live_tick(&mut app, &mut feed);
    assert!(status_line(&screen(&app, 80, 24)).starts_with(" live: done · 7 events"));
}

#[test]
fn r_reruns_a_live_run_only_once_it_is_done() {
    let mut app = App::live(Model::default(), LiveKind::Run);
    assert_eq!(press(&mut app, &[KeyCode::Char('r')]), Action::None);
    assert!(app.message.as_deref().unwrap_or("").contains("still going"));
    if let Some(l) = &mut app.live {
        l.done = true;
    }
    assert_eq!(press(&mut app, &[KeyCode::Char('r')]), Action::Rerun);

    let mut receiving = App::live(Model::default(), LiveKind::Receive);
    assert_eq!(press(&mut receiving, &[KeyCode::Char('r')]), Action::None);
    assert_eq!(press(&mut receiving, &[KeyCode::Char('q')]), Action::Quit);
}

#[test]
fn a_live_run_mid_way_shows_the_attempts_so_far() {
    let (tx, mut feed, mut app) = live_run();
    for e in first_two_attempts() {
        tx.send(RunMsg::Event(e)).expect("the feed listens");
    }
    live_tick(&mut app, &mut feed);
    insta::assert_snapshot!("live_run_80x24", screen(&app, 80, 24).backend());
}

/// Two requests to one path: a 503, then a 200 a second later; Extend reads the event
/// type from the body.
fn two_requests() -> App {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let profile = hookrig::profile::builtin("extend").expect("a built-in profile");
    let mut feed = Feed::new(
        Requests::new(
            "http://127.0.0.1:9000",
            Some(Arc::new(profile)),
            vec!["extend_secret".into()],
            Duration::from_secs(SIM_EPOCH_UNIX as u64),
        ),
        rx,
        None,
    );
    let body = r#"{"eventType":"workflow_run.completed","payload":{"id":"workflow_run_1"}}"#;
    for (at, answer) in [(0, Answer::Status(503)), (1000, Answer::Status(200))] {
        tx.send(EngineEvent::RequestReceived {
            scenario: 0,
            tag: None,
            at: Duration::from_millis(at),
            request: request("/hooks/extend", body),
            answer,
        })
        .expect("the feed listens");
    }
    let mut app = App::live(Model::default(), LiveKind::Receive);
    live_tick(&mut app, &mut feed);
    app
}

/// Every line of a drawn screen.
fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_receiver_that_has_had_no_request_yet_says_it_is_waiting_not_that_a_filter_matches_nothing() {
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut feed = Feed::new(
        Requests::new(
            "http://127.0.0.1:9000",
            None,
            Vec::new(),
            Duration::from_secs(SIM_EPOCH_UNIX as u64),
        ),
        rx,
        None,
    );
    // As `receive --tui` opens its screen: the receiver's one (empty) list of requests.
    let mut app = App::live(Reduce::model(&feed.reducer), LiveKind::Receive);
    live_tick(&mut app, &mut feed);

    let text = screen_text(&screen(&app, 80, 24));

    assert!(!text.contains("filter"), "{text}");
    assert!(text.contains("Waiting for the first request"), "{text}");
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let mut app = two_requests();
    press(&mut app, &[KeyCode::Char('/')]);
    press(
        &mut app,
        &[KeyCode::Char('z'), KeyCode::Char('z'), KeyCode::Enter],
    );

    let text = screen_text(&screen(&app, 80, 24));

    assert!(text.contains("No delivery matches the filter"), "{text}");
}

#[test]
fn the_receive_view_shows_each_request_as_an_attempt() {
    let mut app = two_requests();
    let d = &app.model.scenarios[0].deliveries[0];
    assert_eq!(d.event_type, "workflow_run.completed");
    assert_eq!(d.attempts.len(), 2);
    assert_eq!(d.attempts[1].offset, Duration::from_secs(1));
    assert_eq!(d.attempts[0].signature.as_deref(), Some("absent"));
    insta::assert_snapshot!("receive_80x24", screen(&app, 80, 24).backend());
    press(&mut app, &[KeyCode::Enter]);
    press(&mut app, &[KeyCode::Down; 20]);
    insta::assert_snapshot!(
        "receive_detail_bottom_80x24",
        screen(&app, 80, 24).backend()
    );
}

#[test]
fn tui_live_and_time_scale_parse() {
    let cli = Cli::parse_from(["hookrig", "tui", "--live", "--time-scale", "0.01", "x.yaml"]);
    let Command::Tui(a) = cli.command else {
        panic!("not tui")
    };
    match a.source() {
        Source::Live { paths, scale, .. } => {
            assert_eq!(paths, [std::path::PathBuf::from("x.yaml")]);
            assert_eq!(scale, TimeScale::Fixed(0.01));
        }
        other => panic!("not live: {other:?}"),
    }
    assert!(
        Cli::try_parse_from(["hookrig", "tui", "--time-scale", "0.01"]).is_err(),
        "--time-scale needs --live"
    );
    assert!(Cli::try_parse_from(["hookrig", "tui", "--live", "--journal", "j"]).is_err());
    let cli = Cli::parse_from(["hookrig", "receive", "--tui", "--listen", "127.0.0.1:0"]);
    assert!(matches!(cli.command, Command::Receive(a) if a.tui));
}

#[test]
fn tui_live_runs_at_time_scale_auto_unless_told() {
    let cli = Cli::parse_from(["hookrig", "tui", "--live", "x.yaml"]);
    let Command::Tui(a) = cli.command else {
        panic!("not tui")
    };

    let source = a.source();

    assert!(
        matches!(
            source,
            Source::Live {
                scale: TimeScale::Auto,
                ..
            }
        ),
        "{source:?}"
    );
}

#[test]
fn a_time_scale_out_of_range_is_bad_input_before_the_screen_opens() {
    let err = Cli::try_parse_from(["hookrig", "tui", "--live", "--time-scale", "0", "x.yaml"])
        .unwrap_err();

    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("0 is out of range"), "{err}");
}

#[test]
fn receive_tui_without_a_terminal_says_so_and_exits_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hookrig"))
        .args(["receive", "--tui", "--listen", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("receive --tui needs a terminal"),
        "{stderr}"
    );
}

#[test]
fn the_detail_pane_shows_perfectparsers_pending_retry_and_judges_a_generated_secret() {
    // Arrange: PerfectParser with no secret given: the run generates one, and attempt 1
    // fails so the delivery waits as `pending_retry`.
    let model = model_of(&["name: pp pending
profile: perfectparser
events:
  - type: batch.completed
receiver:
  - respond: 503
  - respond: 200
"]);
    let s = &model.scenarios[0];
    let d = &s.deliveries[0];

    // Act
    let text: String = hookrig::tui::ui::detail_lines(s, d, 0, 100)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();

    // Assert
    assert!(
        text.contains("wait 5m before attempt 2 · delivery status pending_retry"),
        "{text}"
    );
    assert_eq!(d.attempts[0].signature.as_deref(), Some("valid"), "{text}");
}
