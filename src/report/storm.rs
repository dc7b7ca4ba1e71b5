//! `hookrig storm --report FILE.html`: the storm as one self-contained page — inline CSS
//! and SVG, no script, nothing fetched — with one chart of requests per second of
//! virtual time: the outage shaded, one line per profile (so `standard-webhooks`'
//! aligned waves and `svix`'s jittered spread show side by side), axes labelled, and a
//! table of each profile's figures. Each line is drawn through the busiest second of
//! every one of at most [`POINTS`] columns, so no peak is averaged away. The page holds no
//! timestamp and is well-formed XML, like the run report.

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::html::esc;
use crate::storm::{StormResult, StormSpec};
use crate::text::fmt_duration;

/// Columns a line is drawn through, at most.
pub const POINTS: usize = 600;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// Line colours, one per profile in order (repeating after eight).
const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em}table{border-collapse:collapse;margin-top:1em}\
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f4f4f4}\
td.name{text-align:left}.swatch{display:inline-block;width:1em;height:.6em;margin-right:.4em}\
svg text{font-size:11px;fill:#444}svg .outage{fill:#fbe3e3}svg .axis{stroke:#888}\
svg .grid{stroke:#eee}svg .line{fill:none;stroke-width:1.5}";

/// The page for the storms of one shape, one result per profile.
pub fn render(spec: &StormSpec, results: &[StormResult]) -> String {
    let names: Vec<&str> = results.iter().map(|r| r.profile.as_str()).collect();
    let title = format!(
        "hookrig storm: {} events over {}, {} until {} — {}",
        spec.events,
        fmt_duration(spec.over),
        spec.fail_with.label(),
        fmt_duration(spec.outage),
        names.join(" vs ")
    );
    let mut h = String::with_capacity(32 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"generator\" content=\"hookrig {}\"/>\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
         <h1>{}</h1>\n<p>Requests per second of virtual time that the receiver got; it answered {} to every \
         request before the outage ended (shaded) and 200 after. Seed {}.</p>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title),
        esc(&title),
        esc(&spec.fail_with.label()),
        spec.seed
    );
    chart(&mut h, spec, results);
    table(&mut h, results);
    h.push_str("</body>\n</html>\n");
    h
}

fn chart(h: &mut String, spec: &StormSpec, results: &[StormResult]) {
    let until = results
        .iter()
        .map(|r| r.series.last_second())
        .max()
        .unwrap_or(0)
        .max(spec.outage.as_secs())
        + 1;
    let columns: Vec<(Vec<u64>, u64)> = results
        .iter()
        .map(|r| r.series.columns(until, POINTS))
        .collect();
    let peak = columns
        .iter()
        .flat_map(|(c, _)| c.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |second: f64| LEFT + plot_w * second / until as f64;
    let y = |count: u64| TOP + plot_h * (1.0 - count as f64 / peak as f64);
    let _ = writeln!(
        h,
        "<svg class=\"storm\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"requests per second\">"
    );
    let outage_end = x(spec.outage.as_secs_f64().min(until as f64));
    let _ = writeln!(
        h,
        "<rect class=\"outage\" x=\"{LEFT:.1}\" y=\"{TOP:.1}\" width=\"{:.1}\" height=\"{plot_h:.1}\"><title>outage: {} until {}</title></rect>",
        outage_end - LEFT,
        esc(&spec.fail_with.label()),
        esc(&fmt_duration(spec.outage))
    );
    if !spec.outage.is_zero() {
        let _ = writeln!(
            h,
            "<text x=\"{:.1}\" y=\"{:.1}\">outage ({})</text>",
            LEFT + 4.0,
            TOP + 12.0,
            esc(&spec.fail_with.label())
        );
    }
    for i in 0..=4u64 {
        let count = peak * i / 4;
        let yy = y(count);
        let _ = writeln!(
            h,
            "<line class=\"grid\" x1=\"{LEFT:.1}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{count}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    for i in 0..=5u64 {
        let second = until * i / 5;
        let xx = x(second as f64);
        // The last label ends at the axis's end rather than running off the chart.
        let anchor = if i == 5 { "end" } else { "middle" };
        let _ = writeln!(
            h,
            "<line class=\"axis\" x1=\"{xx:.1}\" y1=\"{:.1}\" x2=\"{xx:.1}\" y2=\"{:.1}\"/><text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            TOP + plot_h,
            TOP + plot_h + 4.0,
            TOP + plot_h + 16.0,
            esc(&fmt_duration(Duration::from_secs(second)))
        );
    }
    let _ = writeln!(
        h,
        "<line class=\"axis\" x1=\"{LEFT:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">virtual time since the first send</text>",
        TOP + plot_h,
        WIDTH - RIGHT,
        TOP + plot_h,
        LEFT + plot_w / 2.0,
        HEIGHT - 4.0
    );
    for (i, (r, (cols, width))) in results.iter().zip(&columns).enumerate() {
        let mut points = String::with_capacity(cols.len() * 16);
        for (c, count) in cols.iter().enumerate() {
            let mid = (c as u64 * width) as f64 + *width as f64 / 2.0;
            let _ = write!(points, "{:.1},{:.1} ", x(mid), y(*count));
        }
        let _ = writeln!(
            h,
            "<polyline class=\"line\" data-profile=\"{}\" stroke=\"{}\" points=\"{}\"><title>{}: peak {} requests/s</title></polyline>",
            esc(&r.profile),
            COLOURS[i % COLOURS.len()],
            points.trim_end(),
            esc(&r.profile),
            r.peak_rps
        );
    }
    h.push_str("</svg>\n");
}

fn table(h: &mut String, results: &[StormResult]) {
    h.push_str(
        "<table>\n<tr><th>profile</th><th>requests</th><th>delivered</th><th>exhausted</th>\
         <th>gave up</th><th>peak requests/s</th><th>peak at</th><th>drained at</th></tr>\n",
    );
    for (i, r) in results.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:{}\"></span>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            COLOURS[i % COLOURS.len()],
            esc(&r.profile),
            r.requests,
            r.delivered,
            r.exhausted,
            r.gave_up,
            r.peak_rps,
            esc(&fmt_duration(Duration::from_secs(r.peak_second))),
            esc(&fmt_duration(r.drained)),
        );
    }
    h.push_str("</table>\n");
}
