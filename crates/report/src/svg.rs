//! The HTML report's charts, drawn as inline SVG from the report model alone: the Sankey diagram
//! of where the bytes go (device → destination name → organisation → country), and per device a
//! timeline of its connections and its bytes up and down per destination.
//!
//! Every coordinate passes through [`num`], which turns what a division by zero could make into 0,
//! so no attribute ever holds NaN or infinity; every text passes through [`esc`].

use std::collections::BTreeMap;

use hashbrown::HashMap;
use std::fmt::Write;

use iotscope_analyze::text::{bytes, duration};
use iotscope_packet::civil_from_days;

use crate::model::{DeviceReport, Report};

/// Width of every chart's coordinate system (the page scales it to the column).
const W: f64 = 1100.0;
/// Destination names given their own node in the Sankey diagram; the rest are one "other" node.
const SANKEY_NAMES: usize = 14;
/// Devices, organisations and countries given their own node.
const SANKEY_OTHERS: usize = 12;
/// Bars per timeline at most (each carries a tooltip; this bounds a busy device's share of the
/// page).
const MAX_BARS: usize = 600;
/// Destinations in the bytes chart.
const BAR_ROWS: usize = 12;
/// Colours for nodes and links (Tableau 10, readable on white and in print).
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];
/// Connections inside TLS, QUIC or SSH, and the others.
pub const ENCRYPTED: &str = "#2a9d8f";
pub const CLEAR: &str = "#e76f51";
/// Bytes the device sent, and received.
pub const UP: &str = "#7b61c9";
pub const DOWN: &str = "#3a86c8";

/// Escapes text for HTML and SVG, content and attributes alike. Control characters (which
/// traffic can carry in names) become U+FFFD.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\t' | '\n' => o.push(c),
            c if c.is_control() => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// A coordinate for an attribute: at most one decimal, and 0 for what is not a finite number.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// `a / b`, or 0 when `b` is 0 or the result is not finite.
fn ratio(a: f64, b: f64) -> f64 {
    let r = a / b;
    if b == 0.0 || !r.is_finite() {
        0.0
    } else {
        r
    }
}

/// At most `n` characters, with an ellipsis when cut.
fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// At most `n` characters, cut in the middle: the end of a name tells most (a domain's owner, a
/// device's type).
fn trunc_mid(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n || n < 3 {
        return trunc(s, n);
    }
    let head = (n - 1) / 2;
    let tail = n - 1 - head;
    let mut t: String = s.chars().take(head).collect();
    t.push('…');
    t.extend(s.chars().skip(len - tail));
    t
}

// ---------------------------------------------------------------------------------------------
// Sankey

struct Node {
    col: usize,
    label: String,
    value: u64,
    /// Grouped remainder: drawn last in its column.
    other: bool,
    colour: &'static str,
    y: f64,
    h: f64,
}

/// Keeps the `keep` largest keys of `totals` and maps the others to one group key.
fn top_keys(totals: &HashMap<String, u64>, keep: usize) -> Vec<String> {
    let mut v: Vec<(&String, &u64)> = totals.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.into_iter().take(keep).map(|x| x.0.clone()).collect()
}

/// The Sankey diagram of the whole network, or `None` when no byte reached the internet.
pub fn sankey(r: &Report) -> Option<String> {
    // One path per (device, destination) row, through its organisation and country.
    struct Path {
        keys: [String; 4],
        bytes: u64,
    }
    let mut paths: Vec<Path> = Vec::new();
    for (i, d) in r.devices.iter().enumerate() {
        for e in &d.endpoints {
            // Each address of the name through its own organisation and country.
            for a in &e.by_address {
                let b = a.bytes_up.saturating_add(a.bytes_down);
                if b == 0 {
                    continue;
                }
                let org = a
                    .org
                    .clone()
                    .or_else(|| e.cloud.clone())
                    .unwrap_or_else(|| "unknown organisation".into());
                let country = a.country.clone().unwrap_or_else(|| "unknown".into());
                paths.push(Path {
                    keys: [format!("{i}"), e.name.clone(), org, country],
                    bytes: b,
                });
            }
        }
    }
    if paths.is_empty() {
        return None;
    }
    // Group the small ones per column.
    const OTHER: &str = "\u{0}other";
    let keep = [SANKEY_OTHERS, SANKEY_NAMES, SANKEY_OTHERS, SANKEY_OTHERS];
    let mut kept: Vec<Vec<String>> = Vec::new();
    let mut dropped = [0usize; 4];
    for c in 0..4 {
        let mut totals: HashMap<String, u64> = HashMap::new();
        for p in &paths {
            let t = totals.entry(p.keys[c].clone()).or_default();
            *t = t.saturating_add(p.bytes);
        }
        let k = top_keys(&totals, keep[c]);
        dropped[c] = totals.len() - k.len();
        kept.push(k);
    }
    for p in &mut paths {
        for (key, kept) in p.keys.iter_mut().zip(&kept) {
            if !kept.contains(key) {
                *key = OTHER.into();
            }
        }
    }
    // Nodes and links.
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<(usize, String), usize> = HashMap::new();
    let mut links: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    for p in &paths {
        let mut ids = [0usize; 4];
        for c in 0..4 {
            let key = p.keys[c].clone();
            let id = *index.entry((c, key.clone())).or_insert_with(|| {
                let other = key == OTHER;
                let label = if other {
                    let what = if dropped[c] == 1 {
                        ["device", "name", "organisation", "country"][c]
                    } else {
                        ["devices", "names", "organisations", "countries"][c]
                    };
                    format!("{} other {what}", dropped[c])
                } else if c == 0 {
                    let i: usize = key.parse().unwrap_or(0);
                    r.devices.get(i).map(|d| d.label.clone()).unwrap_or(key)
                } else {
                    key
                };
                nodes.push(Node {
                    col: c,
                    label,
                    value: 0,
                    other,
                    colour: "#9aa3ad",
                    y: 0.0,
                    h: 0.0,
                });
                nodes.len() - 1
            });
            nodes[id].value = nodes[id].value.saturating_add(p.bytes);
            ids[c] = id;
        }
        for c in 0..3 {
            let l = links.entry((ids[c], ids[c + 1])).or_default();
            *l = l.saturating_add(p.bytes);
        }
    }
    // Columns: biggest first, the grouped rest last.
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); 4];
    for (i, n) in nodes.iter().enumerate() {
        cols[n.col].push(i);
    }
    for c in &mut cols {
        c.sort_by(|&a, &b| {
            let (x, y) = (&nodes[a], &nodes[b]);
            x.other
                .cmp(&y.other)
                .then(y.value.cmp(&x.value))
                .then(x.label.cmp(&y.label))
        });
    }
    for c in &cols {
        for (k, &i) in c.iter().enumerate() {
            nodes[i].colour = if nodes[i].other {
                "#9aa3ad"
            } else {
                PALETTE[(k + nodes[i].col * 3) % PALETTE.len()]
            };
        }
    }
    // Layout. Columns share one scale; the total is the same in each column.
    let total: f64 = cols[0].iter().map(|&i| nodes[i].value as f64).sum();
    let most = cols.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
    let gap = 14.0;
    let top = 28.0;
    let flow_h = (24.0 * most as f64).clamp(240.0, 520.0);
    let height = top + flow_h + gap * (most - 1) as f64 + 12.0;
    let k = ratio(flow_h, total);
    let (left, right, nw) = (228.0, 140.0, 10.0);
    let xs: Vec<f64> = (0..4)
        .map(|c| left + c as f64 * ratio(W - left - right - nw, 3.0))
        .collect();
    for c in &cols {
        let hs: Vec<f64> = c
            .iter()
            .map(|&i| (nodes[i].value as f64 * k).max(2.0))
            .collect();
        let col_h: f64 = hs.iter().sum::<f64>() + gap * (c.len().saturating_sub(1)) as f64;
        let mut y = top + (height - top - 12.0 - col_h).max(0.0) / 2.0;
        for (&i, h) in c.iter().zip(hs) {
            nodes[i].y = y;
            nodes[i].h = h;
            y += h + gap;
        }
    }
    // Where each link leaves its source and enters its target: stacked in the order of the
    // other end, so bands do not cross at the nodes.
    let mut order: Vec<(usize, usize, u64)> = links.iter().map(|(&(a, b), &v)| (a, b, v)).collect();
    let mut out_y: HashMap<(usize, usize), f64> = HashMap::new();
    let mut in_y: HashMap<(usize, usize), f64> = HashMap::new();
    let mut used: HashMap<usize, f64> = HashMap::new();
    order.sort_by(|x, y| nodes[x.1].y.total_cmp(&nodes[y.1].y));
    for &(a, b, v) in &order {
        let n = &nodes[a];
        let pad = ((n.h - n.value as f64 * k) / 2.0).max(0.0);
        let u = used.entry(a).or_insert(0.0);
        out_y.insert((a, b), n.y + pad + *u);
        *u += v as f64 * k;
    }
    used.clear();
    order.sort_by(|x, y| nodes[x.0].y.total_cmp(&nodes[y.0].y));
    for &(a, b, v) in &order {
        let n = &nodes[b];
        let pad = ((n.h - n.value as f64 * k) / 2.0).max(0.0);
        let u = used.entry(b).or_insert(0.0);
        in_y.insert((a, b), n.y + pad + *u);
        *u += v as f64 * k;
    }

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart sankey" id="sankey" viewBox="0 0 {} {}" role="img" aria-label="Bytes from each device to each destination name, organisation and country">"#,
        num(W),
        num(height)
    );
    for (c, h) in ["device", "destination name", "organisation", "country"]
        .iter()
        .enumerate()
    {
        let (x, anchor) = if c == 0 {
            (xs[c] + nw, "end")
        } else {
            (xs[c], "start")
        };
        let _ = write!(
            s,
            r#"<text class="colhead" x="{}" y="14" text-anchor="{anchor}">{h}</text>"#,
            num(x)
        );
    }
    s.push_str(r#"<g class="links">"#);
    for (&(a, b), &v) in &links {
        let (na, nb) = (&nodes[a], &nodes[b]);
        let w = (v as f64 * k).max(0.8);
        let x0 = xs[na.col] + nw;
        let x1 = xs[nb.col];
        let xm = (x0 + x1) / 2.0;
        let y0 = out_y.get(&(a, b)).copied().unwrap_or(na.y);
        let y1 = in_y.get(&(a, b)).copied().unwrap_or(nb.y);
        let _ = write!(
            s,
            r#"<path d="M{x0},{y0}C{xm},{y0} {xm},{y1} {x1},{y1}L{x1},{y1w}C{xm},{y1w} {xm},{y0w} {x0},{y0w}Z" fill="{c}"><title>{t}</title></path>"#,
            x0 = num(x0),
            x1 = num(x1),
            xm = num(xm),
            y0 = num(y0),
            y1 = num(y1),
            y0w = num(y0 + w),
            y1w = num(y1 + w),
            c = na.colour,
            t = esc(&format!("{} → {}: {}", na.label, nb.label, bytes(v))),
        );
    }
    s.push_str("</g><g class=\"nodes\">");
    for n in &nodes {
        let x = xs[n.col];
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
            num(x),
            num(n.y),
            num(nw),
            num(n.h),
            n.colour,
            esc(&format!("{}: {}", n.label, bytes(n.value)))
        );
        let (tx, anchor) = if n.col == 0 {
            (x - 6.0, "end")
        } else {
            (x + nw + 5.0, "start")
        };
        let label = match n.col {
            0 => trunc_mid(&n.label, 28),
            1 => trunc_mid(&n.label, 34),
            _ => trunc(&n.label, 34),
        };
        let _ = write!(
            s,
            r#"<text class="label{}" x="{}" y="{}" text-anchor="{anchor}" dominant-baseline="middle">{}<tspan class="value"> {}</tspan></text>"#,
            if n.other { " other" } else { "" },
            num(tx),
            num(n.y + n.h / 2.0),
            esc(&label),
            esc(&bytes(n.value))
        );
    }
    s.push_str("</g></svg>");
    Some(s)
}

// ---------------------------------------------------------------------------------------------
// Timeline

/// A round step for about `n` ticks over `span` seconds.
fn tick_step(span: f64, n: f64) -> f64 {
    const STEPS: [f64; 33] = [
        0.001,
        0.002,
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1.0,
        2.0,
        5.0,
        10.0,
        15.0,
        30.0,
        60.0,
        120.0,
        300.0,
        600.0,
        900.0,
        1800.0,
        3600.0,
        7200.0,
        10800.0,
        21600.0,
        43200.0,
        86400.0,
        172800.0,
        604800.0,
        2592000.0,
        7776000.0,
        31536000.0,
        157680000.0,
    ];
    let last = STEPS[STEPS.len() - 1];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= n)
        .unwrap_or_else(|| last * (span / n / last).ceil().max(1.0))
}

/// How the time axis reads: UTC clock and dates when the capture's start is known, else the
/// offset from the first frame.
#[derive(Clone, Copy)]
struct Clock {
    /// Seconds since 1970 of the capture's first frame.
    origin: Option<f64>,
}

impl Clock {
    /// The absolute time (or offset) of `t` seconds after the first frame.
    fn at(self, t: f64) -> f64 {
        self.origin.unwrap_or(0.0) + t
    }

    /// A label for the absolute time `a` on an axis of ticks `step` apart over `span` seconds.
    fn label(self, a: f64, step: f64, span: f64) -> String {
        if self.origin.is_none() {
            return if a <= 0.0 {
                "0".into()
            } else {
                format!("+{}", duration((a * 1e9).min(i64::MAX as f64) as i64))
            };
        }
        let days = (a / 86400.0).floor();
        let (y, m, d) = civil_from_days(days as i64);
        let x = a - days * 86400.0;
        let (h, min, s) = ((x / 3600.0) as u32, (x / 60.0) as u32 % 60, x % 60.0);
        if step >= 86400.0 {
            format!("{y}-{m:02}-{d:02}")
        } else if step >= 60.0 && span >= 86400.0 {
            format!("{m:02}-{d:02} {h:02}:{min:02}")
        } else if step >= 60.0 {
            format!("{h:02}:{min:02}")
        } else if step >= 1.0 {
            format!("{h:02}:{min:02}:{:02}", s as u32)
        } else {
            format!("{h:02}:{min:02}:{s:06.3}")
        }
    }

    /// `a` in full, for a tooltip ("2016-04-26 14:52:15").
    fn full(self, a: f64) -> String {
        match self.date(a) {
            Some(day) => format!("{day} {}", self.label(a, 1.0, 0.0)),
            None => self.label(a, 1.0, 0.0),
        }
    }

    /// The date of `a`, for the axis note.
    fn date(self, a: f64) -> Option<String> {
        self.origin?;
        let (y, m, d) = civil_from_days((a / 86400.0).floor() as i64);
        Some(format!("{y}-{m:02}-{d:02}"))
    }
}

/// The timeline of one device's connections, one lane per destination; `None` without any.
///
/// The axis covers the whole capture, so devices compare; when the device was active in less
/// than a tenth of it, the axis zooms to the device's own connections and says so.
pub fn timeline(d: &DeviceReport, r: &Report, id: &str) -> Option<String> {
    if d.timeline.is_empty() {
        return None;
    }
    // Lanes in the order of the endpoint table (busiest first), "other" last.
    let mut lanes: Vec<&str> = Vec::new();
    for e in &d.endpoints {
        if d.timeline.iter().any(|c| c.destination == e.name) {
            lanes.push(&e.name);
        }
    }
    for c in &d.timeline {
        if !lanes.contains(&c.destination.as_str()) && c.destination != "other" {
            lanes.push(&c.destination);
        }
    }
    if d.timeline.iter().any(|c| c.destination == "other") {
        lanes.push("other");
    }
    let lane_of: HashMap<&str, usize> = lanes.iter().enumerate().map(|(i, l)| (*l, i)).collect();

    let clean = |x: f64| if x.is_finite() { x.max(0.0) } else { 0.0 };
    let first = d
        .timeline
        .iter()
        .map(|c| clean(c.start_s))
        .fold(f64::INFINITY, f64::min);
    let last = d
        .timeline
        .iter()
        .map(|c| clean(c.start_s) + clean(c.duration_s))
        .fold(0.0, f64::max);
    let whole = last.max(clean(r.network.duration_s));
    let zoomed = last - first < whole / 10.0;
    let (lo, hi) = if zoomed {
        let pad = ((last - first) * 0.03).max(0.5);
        ((first - pad).max(0.0), last + pad)
    } else {
        (0.0, whole)
    };
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let (left, right, top, lane_h) = (230.0, 24.0, 6.0, 18.0);
    let pw = W - left - right;
    let plot_h = lane_h * lanes.len() as f64;
    let height = top + plot_h + 34.0;
    let px = |t: f64| left + (ratio(clean(t) - lo, span) * pw).clamp(0.0, pw);
    let clock = Clock {
        origin: r.network.first_unix_s.filter(|t| t.is_finite()),
    };

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart timeline" id="timeline-{id}" viewBox="0 0 {} {}" role="img" aria-label="Connections over time, one lane per destination">"#,
        num(W),
        num(height)
    );
    // Lanes and their names.
    for (i, l) in lanes.iter().enumerate() {
        let y = top + i as f64 * lane_h;
        if i % 2 == 0 {
            let _ = write!(
                s,
                r#"<rect class="lane" x="{}" y="{}" width="{}" height="{}"/>"#,
                num(left),
                num(y),
                num(pw),
                num(lane_h)
            );
        }
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>"#,
            num(left - 8.0),
            num(y + lane_h / 2.0),
            esc(&trunc_mid(l, 36))
        );
    }
    // The axis: ticks on round times of the clock.
    let step = tick_step(span, 8.0);
    let mut tick = (clock.at(lo) / step).ceil() * step;
    for _ in 0..40 {
        if !tick.is_finite() || tick > clock.at(hi) {
            break;
        }
        let x = px(tick - clock.at(0.0));
        let _ = write!(
            s,
            r#"<line class="grid" x1="{x}" y1="{}" x2="{x}" y2="{}"/><text class="tick" x="{x}" y="{}" text-anchor="middle">{}</text>"#,
            num(top),
            num(top + plot_h + 4.0),
            num(top + plot_h + 16.0),
            esc(&clock.label(tick, step, span)),
            x = num(x),
        );
        tick += step;
    }
    let note = match clock.date(clock.at(lo)) {
        Some(day) if span < 86400.0 => format!("UTC, {day}"),
        Some(_) => "UTC".into(),
        None => "time since the first frame".into(),
    };
    let _ = write!(
        s,
        r#"<text class="tick axis-note" x="{}" y="{}" text-anchor="start">{}{}</text>"#,
        num(left),
        num(top + plot_h + 30.0),
        esc(&note),
        if zoomed {
            " · zoomed to this device's connections"
        } else {
            ""
        }
    );
    // Connections: those that would overlap on screen in one lane are merged into one bar, so a
    // busy device does not make a huge page; evenly spaced ticks show a timer.
    #[derive(Clone, Copy)]
    struct Bar {
        x0: f64,
        x1: f64,
        n: u64,
        bytes: u64,
        t0: f64,
        t1: f64,
    }
    let mut groups: BTreeMap<(bool, usize), Vec<Bar>> = BTreeMap::new();
    for c in &d.timeline {
        let lane = lane_of.get(c.destination.as_str()).copied().unwrap_or(0);
        let (t0, t1) = (clean(c.start_s), clean(c.start_s) + clean(c.duration_s));
        let x0 = px(t0);
        groups.entry((!c.encrypted, lane)).or_default().push(Bar {
            x0,
            x1: px(t1).max(x0 + 2.0),
            n: 1,
            bytes: c.bytes,
            t0,
            t1,
        });
    }
    // Bars closer than `gap` pixels merge; the gap widens until the device fits its budget.
    for v in groups.values_mut() {
        v.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    let merge = |gap: f64| -> Vec<((bool, usize), Vec<Bar>)> {
        groups
            .iter()
            .map(|(&k, v)| {
                let mut bars: Vec<Bar> = Vec::new();
                for &c in v {
                    match bars.last_mut() {
                        Some(l) if c.x0 <= l.x1 + gap => {
                            l.x1 = l.x1.max(c.x1);
                            l.n += c.n;
                            l.bytes = l.bytes.saturating_add(c.bytes);
                            l.t1 = l.t1.max(c.t1);
                        }
                        _ => bars.push(c),
                    }
                }
                (k, bars)
            })
            .collect()
    };
    let mut gap = 0.5;
    let mut merged = merge(gap);
    while merged.iter().map(|m| m.1.len()).sum::<usize>() > MAX_BARS && gap < W {
        gap *= 2.0;
        merged = merge(gap);
    }
    for ((clear, lane), bars) in merged {
        let y = top + lane as f64 * lane_h + 3.0;
        for b in bars {
            let what = if b.n == 1 {
                "1 connection".to_string()
            } else {
                format!("{} connections", b.n)
            };
            let _ = write!(
                s,
                r#"<rect class="conn{}" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
                if clear { " clear" } else { "" },
                num(b.x0),
                num(y),
                num(b.x1 - b.x0),
                num(lane_h - 6.0),
                if clear { CLEAR } else { ENCRYPTED },
                esc(&format!(
                    "{}: {what}, {}, {}, at {} for {}",
                    lanes.get(lane).copied().unwrap_or(""),
                    bytes(b.bytes),
                    if clear { "not encrypted" } else { "encrypted" },
                    clock.full(clock.at(b.t0)),
                    duration(((b.t1 - b.t0) * 1e9) as i64)
                ))
            );
        }
    }
    s.push_str("</svg>");
    Some(s)
}

// ---------------------------------------------------------------------------------------------
// Bytes per destination

/// Bytes sent (to the left) and received (to the right) per destination, busiest first; `None`
/// when the device has no destination on the internet.
pub fn bytes_chart(d: &DeviceReport, id: &str) -> Option<String> {
    if d.endpoints.is_empty() {
        return None;
    }
    let rows: Vec<_> = d.endpoints.iter().take(BAR_ROWS).collect();
    let (label_w, row_h, top) = (250.0, 20.0, 24.0);
    let pw = W - label_w - 16.0;
    let centre = label_w + pw / 2.0;
    let room = pw / 2.0 - 70.0;
    let max = rows
        .iter()
        .map(|e| e.bytes_up.max(e.bytes_down))
        .max()
        .unwrap_or(0) as f64;
    let len = |b: u64| {
        if b == 0 {
            0.0
        } else {
            (ratio(b as f64, max) * room).max(1.0)
        }
    };
    let height = top + row_h * rows.len() as f64 + 6.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart bytes" id="bytes-{id}" viewBox="0 0 {} {}" role="img" aria-label="Bytes sent and received per destination">"#,
        num(W),
        num(height)
    );
    let _ = write!(
        s,
        r#"<text class="colhead" x="{}" y="14" text-anchor="end">← sent</text><text class="colhead" x="{}" y="14" text-anchor="start">received →</text>"#,
        num(centre - 6.0),
        num(centre + 6.0)
    );
    for (i, e) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let mid = y + row_h / 2.0 - 1.0;
        let (lu, ld) = (len(e.bytes_up), len(e.bytes_down));
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>"#,
            num(label_w - 8.0),
            num(mid),
            esc(&trunc_mid(&e.name, 38))
        );
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{UP}"><title>{}</title></rect>"#,
            num(centre - lu),
            num(y + 3.0),
            num(lu),
            num(row_h - 8.0),
            esc(&format!("{}: {} sent", e.name, bytes(e.bytes_up)))
        );
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{DOWN}"><title>{}</title></rect>"#,
            num(centre),
            num(y + 3.0),
            num(ld),
            num(row_h - 8.0),
            esc(&format!("{}: {} received", e.name, bytes(e.bytes_down)))
        );
        let _ = write!(
            s,
            r#"<text class="value" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text><text class="value" x="{}" y="{}" text-anchor="start" dominant-baseline="middle">{}</text>"#,
            num(centre - lu - 4.0),
            num(mid),
            esc(&bytes(e.bytes_up)),
            num(centre + ld + 4.0),
            num(mid),
            esc(&bytes(e.bytes_down))
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{c}" y1="{}" x2="{c}" y2="{}"/>"#,
        num(top),
        num(height - 4.0),
        c = num(centre)
    );
    s.push_str("</svg>");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_always_finite() {
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(num(1.25), "1.3");
        assert_eq!(num(-3.0), "-3");
        assert_eq!(ratio(1.0, 0.0), 0.0);
    }

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            esc("<a href='x'>\"&\u{0}"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;\u{fffd}"
        );
    }

    #[test]
    fn long_names_keep_their_ends() {
        assert_eq!(trunc_mid("abcdefghij", 5), "ab…ij");
        assert_eq!(trunc_mid("short", 10), "short");
        assert_eq!(trunc("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(162.0, 8.0), 30.0);
        assert_eq!(tick_step(0.0, 8.0), 0.001);
        assert!(tick_step(1e12, 8.0).is_finite());
    }

    #[test]
    fn clock_reads_model_times() {
        let t = 1_461_682_309.5;
        let c = Clock { origin: Some(t) };
        assert_eq!(c.label(t + 10.5, 30.0, 162.0), "14:52:00");
        assert_eq!(c.label(t, 60.0, 2.0 * 86400.0), "04-26 14:51");
        assert_eq!(c.label(t, 86400.0, 9e6), "2016-04-26");
        assert_eq!(c.full(t), "2016-04-26 14:51:49");
        let rel = Clock { origin: None };
        assert_eq!(rel.label(0.0, 1.0, 10.0), "0");
        assert_eq!(rel.label(90.0, 30.0, 300.0), "+1 min 30 s");
    }
}
