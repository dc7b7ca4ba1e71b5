//! Drawing: reads an [`App`] and its [`Model`](super::model::Model), writes a frame.
//!
//! The screen is a title line, the body (the list or the detail pane, with the selected
//! delivery's timeline between), and a status bar with the keys. The timeline's time axis
//! is logarithmic — x grows with log2(1 + t/1 s), [`crate::time_axis`] — so a 1 s wait and an 80 min wait are both
//! a readable width, with labelled ticks at round durations. Colours are the named ANSI
//! ones plus bold and reverse, so they read on dark and on light terminals.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{App, LiveKind, Screen};
use super::model::{AttemptView, DeliveryView, Mark, Message, ScenarioView};
use crate::time_axis;

/// The smallest terminal the screens fit in.
pub const MIN_WIDTH: u16 = 60;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 16;

/// Width of the row labels left of the timeline's plot.
const LABEL: usize = 9;

/// The symbol and colour of a mark on the timeline.
pub fn mark_style(m: Mark) -> (&'static str, Style) {
    let s = Style::default().add_modifier(Modifier::BOLD);
    match m {
        Mark::Success => ("●", s.fg(Color::Green)),
        Mark::Redirect => ("◆", s.fg(Color::Blue)),
        Mark::ClientError => ("▲", s.fg(Color::Yellow)),
        Mark::ServerError => ("■", s.fg(Color::Red)),
        Mark::Timeout => ("◌", s.fg(Color::Magenta)),
        Mark::Connection => ("✕", s.fg(Color::Red)),
        Mark::Pending => ("○", s),
    }
}

const EXPECTED: (&str, Color) = ("◇", Color::Cyan);

/// Draws `app` into `frame`.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let problems = !app.model.problems.is_empty();
    let [title, problem, body, timeline, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(problems)),
        Constraint::Fill(1),
        Constraint::Length(9),
        Constraint::Length(1),
    ])
    .areas(area);
    title_bar(app, frame, title);
    if problems {
        problem_line(app, frame, problem);
    }
    match app.screen {
        Screen::List => {
            list(app, frame, body);
            draw_timeline(app, frame, timeline);
        }
        Screen::Detail => {
            let [t, d] = Layout::vertical([Constraint::Length(9), Constraint::Fill(1)])
                .areas(body.union(timeline));
            draw_timeline(app, frame, t);
            detail(app, frame, d);
        }
    }
    status_bar(app, frame, status);
    if app.help {
        help(frame, area);
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::from(Span::styled(
            "Terminal too small",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(format!(
            "hookrig tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this one is {}×{}.",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn title_bar(app: &App, frame: &mut Frame, area: Rect) {
    let m = &app.model;
    let known = m.scenarios.iter().filter(|s| s.passed.is_some()).count();
    let passed = m
        .scenarios
        .iter()
        .filter(|s| s.passed == Some(true))
        .count();
    let summary = if known == 0 {
        format!(
            "{} scenarios, {} deliveries",
            m.scenarios.len(),
            m.delivery_count()
        )
    } else {
        format!(
            "{} scenarios: {passed} passed, {} failed",
            m.scenarios.len(),
            known - passed
        )
    };
    let line = Line::from(vec![
        Span::styled(
            " hookrig tui ",
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("· {} · {summary}", m.source)),
    ]);
    frame.render_widget(
        Paragraph::new(line).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

fn problem_line(app: &App, frame: &mut Frame, area: Rect) {
    let p = &app.model.problems;
    let text = if p.len() == 1 {
        format!(" ! bad journal {}", p[0])
    } else {
        let numbers: Vec<&str> = p
            .iter()
            .filter_map(|x| x.split(':').next()?.strip_prefix("line "))
            .collect();
        format!(
            " ! bad journal lines {} (skipped); {}",
            numbers.join(", "),
            p[0]
        )
    };
    frame.render_widget(
        Paragraph::new(text).style(Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)),
        area,
    );
}

fn verdict_span(s: &ScenarioView) -> Span<'static> {
    match s.passed {
        Some(true) => Span::styled(
            "✓ pass ",
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
        ),
        Some(false) => Span::styled(
            "✗ FAIL ",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        None => Span::raw("·      "),
    }
}

fn outcome_style(o: Option<&str>) -> Style {
    match o {
        Some("delivered") => Style::default().fg(Color::Green),
        Some("filtered") => Style::default(),
        Some(_) => Style::default().fg(Color::Red),
        None => Style::default().add_modifier(Modifier::DIM),
    }
}

fn list(app: &App, frame: &mut Frame, area: Rect) {
    let visible = app.visible();
    let title = if app.filter.is_empty() {
        format!(" Scenarios ({} deliveries) ", visible.len())
    } else {
        format!(
            " Scenarios matching “{}” ({} deliveries) ",
            app.filter,
            visible.len()
        )
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if visible.is_empty() {
        let msg = match &app.live {
            _ if !app.filter.is_empty() => {
                "No delivery matches the filter (/ to change it, Esc while typing clears it)."
            }
            Some(l) if l.kind == LiveKind::Receive => {
                "Waiting for the first request: each one is shown here as it arrives."
            }
            Some(l) if !l.done => "No delivery yet: they are shown here as the run makes them.",
            _ => "Nothing to show.",
        };
        frame.render_widget(Paragraph::new(msg), inner);
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    let mut last_scenario = None;
    for (i, &(si, di)) in visible.iter().enumerate() {
        let s = &app.model.scenarios[si];
        if last_scenario != Some(si) {
            last_scenario = Some(si);
            lines.push(Line::from(vec![
                Span::raw(" "),
                verdict_span(s),
                Span::styled(
                    s.name.clone(),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
            ]));
        }
        let d = &s.deliveries[di];
        let n = d.attempts.len();
        let outcome = d.outcome.as_deref();
        let shown = outcome.or(d.status.as_deref()).unwrap_or("unfinished");
        let failed = if d.failures.is_empty() {
            String::new()
        } else {
            format!("  {} failed check(s)", d.failures.len())
        };
        let mut line = Line::from(vec![
            Span::raw(format!("     {:<26} ", clip(&d.event_type, 26))),
            Span::styled(format!("{shown:<10}"), outcome_style(outcome)),
            Span::raw(format!(" {n} attempt{}", if n == 1 { "" } else { "s" })),
            Span::styled(failed, Style::default().fg(Color::Red)),
        ]);
        if i == app.selected {
            selected_line = lines.len();
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    let h = inner.height as usize;
    let offset = selected_line
        .saturating_sub(h / 2)
        .min(lines.len().saturating_sub(h));
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut c: String = s.chars().take(n.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// A duration in few characters: `0s`, `250ms`, `1.5s`, `30s`, `5m`, `35m10s`, `1h20m`, `1d2h`.
pub fn short(d: Duration) -> String {
    let ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    if s < 60 {
        return if ms.is_multiple_of(1000) {
            format!("{s}s")
        } else {
            format!("{:.1}s", ms as f64 / 1000.0)
        };
    }
    let (d_, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let parts = [(d_, "d"), (h, "h"), (m, "m"), (sec, "s")];
    let first = parts.iter().position(|p| p.0 > 0).unwrap_or(3);
    parts[first..]
        .iter()
        .take(2)
        .filter(|p| p.0 > 0)
        .map(|(v, u)| format!("{v}{u}"))
        .collect()
}

/// A duration in one unit, rounded: `80m`, `26h`; for labels where [`short`] does not fit.
pub fn coarse(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        1..120 => format!("{s}s"),
        120..7200 => format!("{}m", (s + 30) / 60),
        7200..172_800 => format!("{}h", (s + 1800) / 3600),
        _ => format!("{}d", (s + 43_200) / 86_400),
    }
}

/// The least room a stretch between two moments gets, in doublings (0.05 in natural
/// logarithms).
const MIN_DOUBLINGS: f64 = 0.05 / std::f64::consts::LN_2;

/// The log-like time axis of one timeline, the one [`time_axis`] the HTML report draws
/// on too. Its breakpoints are the moments that matter (attempt starts and ends,
/// expected offsets); each stretch between two of them gets a width in proportion to
/// log2(1 + length/1 s), so a 1 s wait and an 80 min wait are both readable wherever they
/// fall, and time still only grows to the right.
#[derive(Debug, Clone)]
pub struct Axis {
    points: Vec<f64>,
    cumulative: Vec<f64>,
    width: usize,
}

impl Axis {
    /// An axis `width` columns wide through `points` (offsets from the first attempt).
    pub fn new(points: impl IntoIterator<Item = Duration>, width: usize) -> Axis {
        let mut pts: Vec<f64> = points.into_iter().map(|d| d.as_secs_f64()).collect();
        pts.push(0.0);
        pts.sort_by(f64::total_cmp);
        pts.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
        let gaps: Vec<f64> = pts.windows(2).map(|w| w[1] - w[0]).collect();
        // Even a stretch of no time at all gets a little room, so its two moments are apart.
        let cumulative = time_axis::positions(&gaps, 0.0, |_| 0.0, 1.0, MIN_DOUBLINGS);
        Axis {
            points: pts,
            cumulative,
            width: width.max(2),
        }
    }

    /// The column of offset `t`.
    pub fn col(&self, t: Duration) -> usize {
        let total = self.cumulative[self.cumulative.len() - 1];
        if total <= 0.0 {
            return 0;
        }
        let t = t.as_secs_f64();
        let i = self.points.partition_point(|p| *p <= t).saturating_sub(1);
        let x = match (self.points.get(i), self.points.get(i + 1)) {
            (Some(a), Some(b)) => {
                let frac = ((t - a) / (b - a)).clamp(0.0, 1.0);
                self.cumulative[i] + frac * (self.cumulative[i + 1] - self.cumulative[i])
            }
            _ => total,
        };
        ((x / total * (self.width - 1) as f64).round() as usize).min(self.width - 1)
    }

    /// Where the label of a tick at `col` starts: under the tick, or ending at the right
    /// edge when it would run off it.
    pub fn label_col(&self, col: usize, label: &str) -> usize {
        col.min(self.width.saturating_sub(label.chars().count()))
    }

    /// Ticks labelled with their offsets at `at` (in time order), leaving out a label that
    /// would touch the one before.
    pub fn ticks(&self, at: impl IntoIterator<Item = Duration>) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = Vec::new();
        for d in at {
            let col = self.col(d);
            let label = short(d);
            let free = out.last().is_none_or(|(c, l)| {
                self.label_col(col, &label) > self.label_col(*c, l) + l.chars().count()
            });
            if free {
                out.push((col, label));
            }
        }
        out
    }
}

/// One row of cells: a symbol and a style per column.
struct Row(Vec<(String, Style)>);

impl Row {
    fn new(width: usize) -> Row {
        Row(vec![(" ".into(), Style::default()); width])
    }

    fn put(&mut self, col: usize, text: &str, style: Style) {
        for (i, ch) in text.chars().enumerate() {
            if let Some(cell) = self.0.get_mut(col + i) {
                *cell = (ch.to_string(), style);
            }
        }
    }

    fn line(self, label: &'static str) -> Line<'static> {
        let mut spans = vec![Span::styled(
            format!("{label:<LABEL$}"),
            Style::default().add_modifier(Modifier::DIM),
        )];
        spans.extend(self.0.into_iter().map(|(s, st)| Span::styled(s, st)));
        Line::from(spans)
    }
}

fn draw_timeline(app: &App, frame: &mut Frame, area: Rect) {
    let Some((s, d)) = app.current() else {
        frame.render_widget(Block::bordered().title(" Timeline "), area);
        return;
    };
    let title = format!(" Timeline · {} · {} ", clip(&s.name, 40), d.event_type);
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(timeline_lines(app, d, inner.width)), inner);
}

/// The timeline's lines: the selected attempt in words, the waits, the actual attempts,
/// the expected schedule, the axis with its labels and a legend.
fn timeline_lines(app: &App, d: &DeliveryView, width: u16) -> Vec<Line<'static>> {
    if d.attempts.is_empty() {
        let why = match d.outcome.as_deref() {
            Some("filtered") => "filtered by the endpoint's event filter: no attempts",
            _ => "no attempts",
        };
        return vec![Line::from(format!(" {why}"))];
    }
    let plot = (width as usize).saturating_sub(LABEL + 1).max(10);
    let points = d
        .attempts
        .iter()
        .flat_map(|a| [a.offset, a.offset + a.latency.unwrap_or_default()])
        .chain(d.expected.iter().flatten().copied());
    let axis = Axis::new(points, plot);

    let mut waits = Row::new(plot);
    let mut actual = Row::new(plot);
    for (i, a) in d.attempts.iter().enumerate() {
        let (sym, style) = mark_style(a.mark());
        let start = axis.col(a.offset);
        let stop = axis.col(a.offset + a.latency.unwrap_or_default());
        for c in start + 1..=stop {
            actual.put(c, "━", style.remove_modifier(Modifier::BOLD));
        }
        let selected = i == app.attempt;
        let style = if selected {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        };
        actual.put(start, sym, style);
        if let (Some(w), Some(next)) = (a.wait_after, d.attempts.get(i + 1)) {
            let from = stop + 1;
            let to = axis.col(next.offset);
            let mut label = short(w);
            if to <= from + label.chars().count() {
                label = coarse(w);
            }
            let len = label.chars().count();
            if to > from + len {
                let at = from + (to - from - len) / 2;
                waits.put(at, &label, Style::default().add_modifier(Modifier::DIM));
            }
        }
    }
    let mut expected = Row::new(plot);
    if let Some(ex) = &d.expected {
        for t in ex {
            expected.put(axis.col(*t), EXPECTED.0, Style::default().fg(EXPECTED.1));
        }
    }
    let mut ticks = Row::new(plot);
    let mut labels = Row::new(plot);
    for c in 0..plot {
        ticks.put(c, "─", Style::default());
    }
    for (c, l) in axis.ticks(d.attempts.iter().map(|a| a.offset)) {
        ticks.put(c, "┴", Style::default());
        labels.put(axis.label_col(c, &l), &l, Style::default());
    }

    let mut legend = vec![Span::raw(" ".repeat(LABEL))];
    for m in [
        Mark::Success,
        Mark::Redirect,
        Mark::ClientError,
        Mark::ServerError,
        Mark::Timeout,
        Mark::Connection,
    ] {
        let (sym, style) = mark_style(m);
        legend.push(Span::styled(sym, style));
        legend.push(Span::raw(format!(" {} ", m.label())));
    }
    legend.push(Span::styled(EXPECTED.0, Style::default().fg(EXPECTED.1)));
    legend.push(Span::raw(" expected"));

    let expected_line = if d.expected.is_some() {
        expected.line("expected")
    } else {
        Line::from(Span::styled(
            format!("{:<LABEL$}(the scenario gives no schedule)", "expected"),
            Style::default().add_modifier(Modifier::DIM),
        ))
    };
    vec![
        summary_line(app, d),
        waits.line("waits"),
        actual.line("actual"),
        expected_line,
        ticks.line(""),
        labels.line(""),
        Line::from(legend),
    ]
}

fn answer_text(a: &AttemptView) -> String {
    match (&a.status, &a.error) {
        (_, Some(e)) => e.clone(),
        (Some(s), None) => s.to_string(),
        (None, None) => "no result".into(),
    }
}

fn summary_line(app: &App, d: &DeliveryView) -> Line<'static> {
    let Some(a) = d.attempts.get(app.attempt) else {
        return Line::default();
    };
    let (sym, style) = mark_style(a.mark());
    let then = match a.wait_after {
        Some(w) => format!(" · then wait {}", short(w)),
        None => match &d.outcome {
            Some(o) => format!(" · then {o}"),
            None => String::new(),
        },
    };
    Line::from(vec![
        Span::styled(sym, style),
        Span::styled(
            format!(" attempt {}/{}", a.n, d.attempts.len()),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            " · at +{} · {} · latency {}{then}",
            short(a.offset),
            answer_text(a),
            a.latency.map_or("?".into(), short),
        )),
    ])
}

fn detail(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(" Attempt detail (↑↓ scroll, Esc back) ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some((s, d)) = app.current() else {
        return;
    };
    let lines = detail_lines(s, d, app.attempt, inner.width as usize);
    let last = lines.len().saturating_sub(inner.height as usize) as u16;
    frame.render_widget(
        Paragraph::new(lines).scroll((app.scroll.min(last), 0)),
        inner,
    );
}

fn heading(text: &str) -> Span<'static> {
    Span::styled(
        format!("{text:<10}"),
        Style::default().add_modifier(Modifier::BOLD),
    )
}

/// Splits `text` into pieces of at most `width` characters (at least one piece).
fn chunks(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// A request's or answer's headers and body, long values folded at `width`.
fn message_lines(out: &mut Vec<Line<'static>>, m: &Message, width: usize) {
    for (k, v) in &m.headers {
        let name = format!("  {k}: ");
        let room = width.saturating_sub(name.chars().count()).max(16);
        for (j, piece) in chunks(v, room).into_iter().enumerate() {
            let lead = if j == 0 {
                Span::styled(name.clone(), Style::default().fg(Color::Cyan))
            } else {
                Span::raw(" ".repeat(name.chars().count()))
            };
            out.push(Line::from(vec![lead, Span::raw(piece)]));
        }
    }
    if m.body.is_empty() {
        out.push(Line::from(Span::styled(
            "  (empty body)",
            Style::default().add_modifier(Modifier::DIM),
        )));
    } else {
        out.push(Line::from(Span::styled(
            "  body:",
            Style::default().add_modifier(Modifier::DIM),
        )));
        for l in m.body.lines() {
            for piece in chunks(l, width.saturating_sub(2).max(16)) {
                out.push(Line::from(format!("  {piece}")));
            }
        }
    }
}

/// The detail pane's lines for attempt `i` of `d`, header values and body lines folded to
/// fit `width` columns.
pub fn detail_lines(
    s: &ScenarioView,
    d: &DeliveryView,
    i: usize,
    width: usize,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let Some(a) = d.attempts.get(i) else {
        out.push(Line::from(" No attempt to show."));
        return out;
    };
    out.push(Line::from(vec![
        heading("Attempt"),
        Span::raw(format!(
            "{} of {} · at +{} (scenario +{}) · {} request{}",
            a.n,
            d.attempts.len(),
            short(a.offset),
            short(a.at),
            a.requests,
            if a.requests == 1 { "" } else { "s" }
        )),
    ]));
    match &a.request {
        Some(r) => {
            out.push(Line::from(vec![
                heading("Request"),
                Span::raw(r.line.clone()),
            ]));
            message_lines(&mut out, r, width);
        }
        None => out.push(Line::from(vec![
            heading("Request"),
            Span::raw("not recorded"),
        ])),
    }
    let sig = match &a.signature {
        Some(v) if v == "valid" => Span::styled(v.clone(), Style::default().fg(Color::Green)),
        Some(v) if v == "absent" => Span::raw("absent (no signature header)"),
        Some(v) => Span::styled(v.clone(), Style::default().fg(Color::Red)),
        None => Span::raw("not judged (no scenario file to take the scheme and secret from)"),
    };
    out.push(Line::from(vec![heading("Signature"), sig]));
    let (sym, style) = mark_style(a.mark());
    let latency = a.latency.map_or("?".into(), short);
    match (&a.response, &a.error) {
        (Some(r), _) => {
            out.push(Line::from(vec![
                heading("Answer"),
                Span::styled(format!("{sym} {}", r.line), style),
                Span::raw(format!(" · latency {latency}")),
            ]));
            message_lines(&mut out, r, width);
        }
        (None, Some(e)) => out.push(Line::from(vec![
            heading("Answer"),
            Span::styled(format!("{sym} none: {e}"), style),
            Span::raw(format!(" after {latency}")),
        ])),
        (None, None) => out.push(Line::from(vec![
            heading("Answer"),
            Span::raw(answer_text(a)),
        ])),
    }
    let then = match (a.wait_after, &d.outcome) {
        (Some(w), _) => match &a.status_after {
            Some(st) => format!(
                "wait {} before attempt {} · delivery status {st}",
                short(w),
                a.n + 1
            ),
            None => format!("wait {} before attempt {}", short(w), a.n + 1),
        },
        (None, Some(o)) if i + 1 == d.attempts.len() => match &d.reason {
            Some(r) => format!("no further attempt: {o} ({r})"),
            None => format!("no further attempt: {o}"),
        },
        _ => "—".into(),
    };
    out.push(Line::from(vec![heading("Then"), Span::raw(then)]));
    out.push(Line::from(heading("Checks")));
    if s.passed.is_none() && s.file.is_empty() {
        out.push(Line::from(
            "  a receiver runs no checks; scenarios do (hookrig run)",
        ));
    } else if s.passed.is_none() {
        out.push(Line::from(
            "  none known: a live run checks a scenario when it ends, a journal records none",
        ));
    } else if d.failures.is_empty() {
        out.push(Line::from(Span::styled(
            "  ✓ every check on this delivery passed",
            Style::default().fg(Color::Green),
        )));
    }
    for f in &d.failures {
        let on = f
            .attempt
            .map(|n| format!(" (attempt {n})"))
            .unwrap_or_default();
        let this = f.attempt.is_none_or(|n| n == a.n);
        let mut st = Style::default().fg(Color::Red);
        if this {
            st = st.add_modifier(Modifier::BOLD);
        }
        out.push(Line::from(Span::styled(format!("  ✗ {}{on}", f.check), st)));
        out.push(Line::from(format!("      expected {}", f.expected)));
        out.push(Line::from(format!("      actual   {}", f.actual)));
    }
    out
}

fn status_bar(app: &App, frame: &mut Frame, area: Rect) {
    let key = Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED);
    let spans = if app.editing_filter {
        vec![
            Span::styled(" / ", key),
            Span::raw(format!(" filter: {}▏  Enter keep · Esc clear", app.filter)),
        ]
    } else if let Some(m) = &app.message {
        vec![Span::raw(format!(" {m}"))]
    } else if let Some(live) = &app.live {
        let mut st = Style::default().add_modifier(Modifier::BOLD);
        if live.paused {
            st = st.fg(Color::Yellow);
        }
        let mut v = vec![Span::styled(format!(" {} ", live.text()), st)];
        let pause = if live.paused { "resume" } else { "pause" };
        let mut keys = vec![("space", pause), ("↑↓", "delivery"), ("Enter", "details")];
        if live.kind == LiveKind::Run && live.done {
            keys.push(("r", "re-run"));
        }
        keys.extend([("?", "help"), ("q", "quit")]);
        for (k, what) in keys {
            v.push(Span::raw(" "));
            v.push(Span::styled(k.to_string(), key));
            v.push(Span::raw(format!(" {what}")));
        }
        v
    } else {
        let keys: &[(&str, &str)] = match app.screen {
            Screen::List => &[
                ("↑↓", "delivery"),
                ("←→", "attempt"),
                ("Enter", "details"),
                ("/", "filter"),
                ("r", "re-run"),
                ("?", "help"),
                ("q", "quit"),
            ],
            Screen::Detail => &[
                ("↑↓", "scroll"),
                ("←→", "attempt"),
                ("Esc", "back"),
                ("r", "re-run"),
                ("?", "help"),
                ("q", "quit"),
            ],
        };
        let mut v = Vec::new();
        for (k, what) in keys {
            v.push(Span::raw(" "));
            v.push(Span::styled(k.to_string(), key));
            v.push(Span::raw(format!(" {what}")));
        }
        v
    };
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn help(frame: &mut Frame, area: Rect) {
    let w = area.width.min(64);
    let h = area.height.min(18);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let b = Style::default().add_modifier(Modifier::BOLD);
    let row = |k: &str, what: &str| {
        Line::from(vec![
            Span::styled(format!("  {k:<12}"), b),
            Span::raw(what.to_owned()),
        ])
    };
    let mut lines = vec![
        row("↑ ↓  j k", "previous / next delivery (detail: scroll)"),
        row("← →  h l", "previous / next attempt"),
        row("PgUp PgDn", "move by ten"),
        row("Enter", "open / close the attempt detail"),
        row("Esc", "back to the list"),
        row("/", "filter by scenario, file or event type"),
        row("r", "run the scenarios again (re-read a journal)"),
        row("space", "pause / resume a live view (events wait)"),
        row("?", "this help"),
        row("q  Ctrl-C", "quit"),
        Line::default(),
        Line::from(Span::styled("  Timeline", b)),
        Line::from("  Time grows to the right on a log scale: ticks are labelled."),
        Line::from("  ━ an attempt's duration; numbers above are the waits."),
    ];
    let mut legend = vec![Span::raw("  ")];
    for m in [
        Mark::Success,
        Mark::Redirect,
        Mark::ClientError,
        Mark::ServerError,
        Mark::Timeout,
        Mark::Connection,
    ] {
        let (sym, style) = mark_style(m);
        legend.push(Span::styled(sym, style));
        legend.push(Span::raw(format!(" {}  ", m.label())));
    }
    lines.push(Line::from(legend));
    lines.push(Line::from(vec![
        Span::raw("  "),
        Span::styled(EXPECTED.0, Style::default().fg(EXPECTED.1)),
        Span::raw(" the scenario's expected schedule"),
    ]));
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Help · any key closes ")),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_durations_fit_a_few_columns() {
        assert_eq!(short(Duration::ZERO), "0s");
        assert_eq!(short(Duration::from_millis(250)), "250ms");
        assert_eq!(short(Duration::from_millis(1500)), "1.5s");
        assert_eq!(short(Duration::from_secs(300)), "5m");
        assert_eq!(short(Duration::from_secs(35 * 60 + 10)), "35m10s");
        assert_eq!(short(Duration::from_secs(80 * 60)), "1h20m");
        assert_eq!(short(Duration::from_secs(86_400 + 7200)), "1d2h");
        assert_eq!(coarse(Duration::from_secs(80 * 60)), "80m");
        assert_eq!(coarse(Duration::from_secs(14 * 3600)), "14h");
    }

    #[test]
    fn a_one_second_and_an_eighty_minute_wait_both_take_room() {
        // Attempts at 0 and 80 min, then a 1 s wait: 60 columns.
        let points = [0, 80 * 60, 80 * 60 + 1].map(Duration::from_secs);
        let axis = Axis::new(points, 60);
        assert_eq!(axis.col(Duration::ZERO), 0);
        assert_eq!(axis.col(points[2]), 59);
        let long = axis.col(points[1]);
        let short = axis.col(points[2]) - long;
        assert!(short >= 4, "the 1 s wait is {short} columns");
        assert!(long >= 40, "the 80 min wait is {long} columns");
    }

    #[test]
    fn the_axis_only_grows_to_the_right() {
        let points = [0, 1, 3, 35 * 60, 155 * 60].map(Duration::from_secs);
        let axis = Axis::new(points, 70);
        let cols: Vec<usize> = (0..200)
            .map(|i| axis.col(Duration::from_secs(i * 50)))
            .collect();
        assert!(cols.windows(2).all(|w| w[0] <= w[1]), "{cols:?}");
    }

    #[test]
    fn ticks_are_labelled_and_do_not_overlap() {
        let points = [0, 1, 3, 7, 15, 3600].map(Duration::from_secs);
        let axis = Axis::new(points, 60);
        let ticks = axis.ticks(points);
        assert_eq!(ticks[0], (0, "0s".to_owned()));
        assert!(ticks.iter().any(|t| t.1 == "1h"));
        for w in ticks.windows(2) {
            let end = axis.label_col(w[0].0, &w[0].1) + w[0].1.len();
            assert!(axis.label_col(w[1].0, &w[1].1) > end, "{ticks:?}");
        }
    }
}
