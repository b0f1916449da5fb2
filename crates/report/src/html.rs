//! The self-contained HTML report: one file with its CSS and SVG charts inline, no script and
//! nothing fetched when it is opened, readable on screen and on paper.
//!
//! It follows the terminal report (the network, then per device the verdict, the findings with
//! why they matter and what to do, the destinations) and adds the charts of [`crate::svg`].
//! Every string of the model can come from the traffic, so every one is escaped.

use std::fmt::Write;

use iotscope_analyze::findings::{explanation_for, Severity};
use iotscope_analyze::text::{bytes, duration};

use crate::model::{
    CatalogueEntry, DeviceReport, EndpointReport, FindingReport, InputFile, Report,
};
use crate::svg::{self, esc};

/// Destinations shown per device before the rest folds away.
const SHOWN_ROWS: usize = 15;
/// Destinations listed per device at most (the JSON has them all).
const MAX_ROWS: usize = 100;
/// Frame numbers listed per finding.
const MAX_FRAMES: usize = 12;

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#f4f6f8;color:#1f2933;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:26px;margin:0 0 2px;letter-spacing:-.01em}
h2{font-size:21px;margin:0;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
h3{font-size:15px;margin:22px 0 8px;color:#323f4b;text-transform:uppercase;letter-spacing:.05em}
a{color:#1c64b8}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.9em}
.muted{color:#616e7c}
.small{font-size:13px}
.card{background:#fff;border:1px solid #dde2e8;border-radius:10px;padding:18px 22px;margin:16px 0}
header.card{border-top:4px solid #334e68}
.meta{margin:6px 0 0;color:#3e4c59}
.meta span+span:before,.who span+span:before{content:" · ";color:#9aa5b1}
.error{color:#b71c1c}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(165px,1fr));gap:12px;margin-top:12px}
.stat{border:1px solid #e4e8ed;border-radius:8px;padding:10px 14px;background:#fbfcfd}
.stat .k{font-size:12px;color:#616e7c;text-transform:uppercase;letter-spacing:.05em}
.stat .v{font-size:24px;font-weight:650;line-height:1.3}
.stat .d{font-size:13px;color:#52606d}
.stat .v .name{font-size:17px;font-weight:600;overflow-wrap:anywhere}
.share{height:6px;background:#f3d0c6;border-radius:3px;margin-top:6px;overflow:hidden}
.share>i{display:block;height:100%;background:#2a9d8f}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:650;text-transform:uppercase;letter-spacing:.03em;line-height:1.6;white-space:nowrap;vertical-align:1px}
.sev-high{background:#c62828;color:#fff}
.sev-medium{background:#ef6c00;color:#fff}
.sev-low{background:#f2c94c;color:#3d2f00}
.sev-info{background:#5f7d95;color:#fff}
.sev-none{background:#2e7d32;color:#fff}
.count{font-weight:650;margin-right:10px;white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;color:#52606d;font-weight:600;border-bottom:2px solid #d9dee4;padding:4px 8px;white-space:nowrap}
td{border-bottom:1px solid #eceff3;padding:4px 8px;vertical-align:top;overflow-wrap:break-word}
.scroll{overflow-x:auto}
table.endpoints td:first-child{min-width:15em}
table.endpoints td:nth-child(2){max-width:17em}
table.endpoints td:nth-child(3){min-width:11em}
.nowrap{white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}
.yes{color:#1b7a5a;font-weight:600}
.no{color:#c2410c;font-weight:600}
.device{scroll-margin-top:8px}
.device .who{margin:6px 0 0;color:#3e4c59}
.verdict{font-size:17px;line-height:1.55;margin:14px 0 4px;padding:12px 16px;border-left:6px solid #2e7d32;background:#f7f9fb;border-radius:0 8px 8px 0}
.verdict.w-high{border-color:#c62828;background:#fdf3f3}
.verdict.w-medium{border-color:#ef6c00;background:#fef7f0}
.verdict.w-low{border-color:#e0b12f;background:#fefbef}
.verdict.w-info{border-color:#5f7d95}
.finding{border:1px solid #e4e8ed;border-left:5px solid #5f7d95;border-radius:6px;padding:9px 14px;margin:10px 0;break-inside:avoid}
.finding.f-high{border-left-color:#c62828}
.finding.f-medium{border-left-color:#ef6c00}
.finding.f-low{border-left-color:#f2c94c}
.finding .head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.finding .title{font-weight:650}
.finding .summary{margin:4px 0}
.finding table.facts{width:auto;margin:4px 0 6px}
.finding table.facts th{border:0;padding:1px 12px 1px 0;color:#616e7c;font-weight:500;vertical-align:top}
.finding table.facts td{border:0;padding:1px 0}
.finding .when{font-size:13px;color:#616e7c}
.advice{display:grid;grid-template-columns:1fr 1fr;gap:14px;margin-top:8px;font-size:14px}
.advice div{background:#f7f9fb;border-radius:6px;padding:8px 12px}
.advice b{display:block;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#52606d}
details>summary{cursor:pointer;color:#1c64b8;margin:6px 0}
.legend{font-size:13px;color:#52606d;margin:0 0 4px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
svg.chart{width:100%;height:auto;display:block}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:11px;fill:#323f4b}
svg .colhead{font-size:12px;font-weight:600;fill:#52606d}
svg .value{fill:#7b8794}
svg .label.other{fill:#7b8794;font-style:italic}
.sankey .links path{opacity:.38}
.sankey .links path:hover{opacity:.7}
.sankey .label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.timeline .lane{fill:#f3f5f7}
.timeline .grid{stroke:#dfe3e8;stroke-width:1}
svg .tick{font-size:10.5px;fill:#616e7c}
.bytes .axis{stroke:#9aa5b1;stroke-width:1}
footer{color:#7b8794;font-size:13px;text-align:center;margin-top:24px}
@media (max-width:760px){.advice{grid-template-columns:1fr}}
@media print{
 body{background:#fff;font-size:10.5pt}
 main{max-width:none;padding:0}
 .card{border:0;border-radius:0;padding:0;margin:0 0 14pt}
 section.device{break-before:page}
 a{color:inherit;text-decoration:none}
 details>summary{color:inherit}
 .badge,.share>i,.verdict,.finding,svg{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
"#;

/// Renders the report as one HTML file.
pub fn render(r: &Report) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let files: Vec<&str> = r.inputs.iter().map(|i| i.name.as_str()).collect();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>iotscope report · {}</title>\n\
         <style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&r.generator),
        esc(&files.join(", "))
    );
    header(&mut o, r);
    network(&mut o, r);
    sankey(&mut o, r);
    if r.devices.len() > 1 {
        index(&mut o, r);
    }
    for (i, d) in r.devices.iter().enumerate() {
        device(&mut o, i, d, r);
    }
    let _ = write!(
        o,
        "<footer>{} · report schema {} · every chart and style is inside this file; \
         nothing is fetched when it is opened.</footer>\n</main>\n</body>\n</html>\n",
        esc(&r.generator),
        esc(&r.schema_version)
    );
    o
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A model time to the second ("2026-11-20 00:00:41").
fn second(t: &str) -> &str {
    t.get(..19).unwrap_or(t)
}

/// The CSS class of a severity ("sev-high"); "none" when there is none.
fn sev(s: Option<Severity>) -> &'static str {
    s.map_or("none", |s| s.name())
}

fn header(o: &mut String, r: &Report) {
    let n = &r.network;
    o.push_str("<header class=\"card\">\n<h1>iotscope report</h1>\n");
    let file = |i: &InputFile| {
        format!(
            "<code>{}</code> <span class=\"muted\">({}{})</span>",
            esc(&i.name),
            i.format
                .as_deref()
                .map(|f| format!("{}, ", esc(f)))
                .unwrap_or_default(),
            plural(i.frames as usize, "frame", "frames")
        )
    };
    if r.inputs.len() <= 3 {
        let files: Vec<String> = r.inputs.iter().map(file).collect();
        let _ = write!(o, "<p class=\"meta\">{}", spans(&files));
    } else {
        let _ = write!(
            o,
            "<details class=\"meta\"><summary>{} capture files</summary><ul class=\"small\">{}</ul></details>\n<p class=\"meta\">",
            r.inputs.len(),
            r.inputs
                .iter()
                .map(|i| format!("<li>{}</li>", file(i)))
                .collect::<String>()
        );
    }
    if r.inputs.len() <= 3 {
        o.push_str("</p>\n<p class=\"meta\">");
    }
    if let (Some(a), Some(b)) = (&n.first, &n.last) {
        let _ = write!(
            o,
            "<span>{} → {} UTC</span>",
            esc(second(a)),
            esc(second(b))
        );
    }
    let _ = writeln!(
        o,
        "<span>{}</span><span>{} packets</span><span>{}</span><span>{}</span></p>",
        esc(&duration(secs_to_nanos(n.duration_s))),
        n.packets,
        esc(&bytes(n.bytes)),
        plural(n.devices, "device", "devices")
    );
    for i in &r.inputs {
        if let Some(e) = &i.error {
            let _ = writeln!(
                o,
                "<p class=\"error\">{}: reading stopped early ({}); the report covers what was read before.</p>",
                esc(&i.name),
                esc(e)
            );
        }
    }
    if r.redacted {
        o.push_str(
            "<p class=\"muted small\">Redacted: MAC serials, public addresses and personal names are replaced by pseudonyms.</p>\n",
        );
    }
    o.push_str("</header>\n");
}

fn secs_to_nanos(s: f64) -> i64 {
    if s.is_finite() && s > 0.0 {
        (s * 1e9).min(i64::MAX as f64) as i64
    } else {
        0
    }
}

fn network(o: &mut String, r: &Report) {
    let n = &r.network;
    o.push_str("<section class=\"card network\" id=\"network\">\n<h2>Network</h2>\n<div class=\"stats\">\n");
    let stat = |o: &mut String, k: &str, v: String, d: String| {
        let _ = writeln!(
            o,
            "<div class=\"stat\"><div class=\"k\">{k}</div><div class=\"v\">{v}</div><div class=\"d\">{d}</div></div>"
        );
    };
    stat(
        o,
        "devices",
        n.devices.to_string(),
        format!("{} IoT", n.iot_devices),
    );
    stat(
        o,
        "destinations",
        n.destinations.to_string(),
        format!(
            "on the internet, at {} address{}",
            n.endpoints,
            if n.endpoints == 1 { "" } else { "es" }
        ),
    );
    let countries: Vec<String> = n.countries.iter().take(12).map(|c| esc(c)).collect();
    stat(
        o,
        "countries",
        n.countries.len().to_string(),
        if countries.is_empty() {
            "none known (anycast or not in the offline tables)".into()
        } else {
            format!(
                "{}{}",
                countries.join(", "),
                if n.countries.len() > 12 { "…" } else { "" }
            )
        },
    );
    match n.encrypted_share {
        Some(s) if s.is_finite() => {
            let pct = (s * 100.0).clamp(0.0, 100.0);
            // Worded as the terminal words them ("under 1 %", never a rounded 0 or 100).
            stat(
                o,
                "encrypted",
                esc(&crate::terminal::percent(s)),
                format!(
                    "of internet bytes{}<div class=\"share\"><i style=\"width:{pct:.1}%\"></i></div>",
                    match n.unrecognised_share {
                        Some(u) if u > 0.0 && u.is_finite() => format!(
                            "; {} in protocols iotscope cannot read",
                            esc(&crate::terminal::percent(u))
                        ),
                        _ => String::new(),
                    }
                ),
            );
        }
        _ => stat(o, "encrypted", "–".into(), "no internet traffic".into()),
    }
    let f = &n.findings;
    stat(
        o,
        "findings",
        (f.high + f.medium + f.low + f.info).to_string(),
        format!(
            "{} {} {} {}",
            counted(f.high, Severity::High),
            counted(f.medium, Severity::Medium),
            counted(f.low, Severity::Low),
            counted(f.info, Severity::Info)
        ),
    );
    match &n.worst_device {
        Some(w) => {
            let found = r
                .devices
                .iter()
                .position(|d| Some(&d.id) == n.worst_device_id.as_ref());
            let link = found
                .map(|i| format!("<a href=\"#device-{i}\">{}</a>", esc(w)))
                .unwrap_or_else(|| esc(w));
            let rating = found
                .map(|i| esc(&r.devices[i].verdict.rating))
                .unwrap_or_default();
            stat(
                o,
                "worst device",
                format!("<span class=\"name\">{link}</span>"),
                rating,
            );
        }
        None => stat(
            o,
            "worst device",
            "–".into(),
            "no finding above info".into(),
        ),
    }
    o.push_str("</div>\n");
    for line in crate::terminal::coverage(n) {
        let _ = writeln!(o, "<p class=\"small\">{}</p>", esc(&line));
    }
    for line in crate::terminal::undecoded(n) {
        let _ = writeln!(o, "<p class=\"muted small\">{}</p>", esc(&line));
    }
    o.push_str("</section>\n");
}

/// "3 high" as a badge-coloured count.
fn counted(n: usize, s: Severity) -> String {
    format!(
        "<span class=\"count\"><span class=\"badge sev-{}\">{}</span> {n}</span>",
        s.name(),
        s.name()
    )
}

fn sankey(o: &mut String, r: &Report) {
    o.push_str("<section class=\"card\" id=\"where\">\n<h2>Where the traffic goes</h2>\n");
    match svg::sankey(r) {
        Some(s) => {
            o.push_str(
                "<p class=\"muted small\">Bytes exchanged with the internet, from each device through the names it used, \
                 to the organisations that hold the addresses and their countries. Hover a band for its volume.</p>\n",
            );
            o.push_str(&s);
            o.push('\n');
        }
        None => o.push_str("<p class=\"muted\">No traffic to the internet was seen.</p>\n"),
    }
    o.push_str("</section>\n");
}

fn index(o: &mut String, r: &Report) {
    o.push_str(
        "<section class=\"card\" id=\"devices\">\n<h2>Devices</h2>\n<table>\n<thead><tr><th>device</th><th>type</th><th>verdict</th>\
         <th>findings</th><th class=\"num\">destinations</th><th class=\"num\">sent</th><th class=\"num\">received</th></tr></thead>\n<tbody>\n",
    );
    for (i, d) in r.devices.iter().enumerate() {
        let mut per = [0usize; 4];
        for f in &d.findings {
            per[f.severity as usize] += 1;
        }
        let counts: Vec<String> = [
            (per[3], Severity::High),
            (per[2], Severity::Medium),
            (per[1], Severity::Low),
            (per[0], Severity::Info),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, s)| counted(n, s))
        .collect();
        let _ = writeln!(
            o,
            "<tr><td><a href=\"#device-{i}\">{}</a></td><td>{}</td><td><span class=\"badge sev-{}\">{}</span></td>\
             <td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&d.label),
            esc(&d.kind),
            sev(d.verdict.worst),
            esc(&d.verdict.rating),
            counts.join(""),
            d.endpoints.len(),
            esc(&bytes(d.bytes_up)),
            esc(&bytes(d.bytes_down))
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

fn device(o: &mut String, i: usize, d: &DeviceReport, r: &Report) {
    let _ = write!(
        o,
        "<section class=\"card device\" id=\"device-{i}\">\n<h2>{} <span class=\"badge sev-{}\">{}</span></h2>\n",
        esc(&d.label),
        sev(d.verdict.worst),
        esc(&d.verdict.rating)
    );
    // Who it is.
    let mut who: Vec<String> = Vec::new();
    if let Some(v) = &d.vendor {
        who.push(esc(v));
    }
    if let Some(m) = &d.mac {
        who.push(format!(
            "<code>{}</code>{}",
            esc(m),
            if d.randomised_mac {
                " (randomised)"
            } else {
                ""
            }
        ));
    } else if let Some(r) = &d.behind {
        who.push(format!("behind the router <code>{}</code>", esc(r)));
    }
    who.push(match &d.confidence {
        Some(c) => format!("type <b>{}</b>, confidence {}", esc(&d.kind), esc(c)),
        None => "type unknown".into(),
    });
    if let Some(b) = &d.because {
        who.push(format!("because <code>{}</code>", esc(b)));
    }
    let _ = writeln!(o, "<p class=\"who\">{}</p>", spans(&who));
    let mut more: Vec<String> = Vec::new();
    if !d.addresses.is_empty() {
        more.push(
            d.addresses
                .iter()
                .map(|a| format!("<code>{}</code>", esc(a)))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if !d.names.is_empty() {
        more.push(format!("names {}", esc(&d.names.join(", "))));
    }
    more.push(plural(d.flows as usize, "flow", "flows"));
    more.push(format!(
        "{} sent, {} received",
        esc(&bytes(d.bytes_up)),
        esc(&bytes(d.bytes_down))
    ));
    if !d.first.is_empty() {
        more.push(format!(
            "seen {} → {}",
            esc(second(&d.first)),
            esc(second(&d.last))
        ));
    }
    let _ = writeln!(o, "<p class=\"meta small\">{}</p>", spans(&more));
    let _ = writeln!(
        o,
        "<p class=\"verdict w-{}\">{}</p>",
        sev(d.verdict.worst),
        esc(&d.verdict.text)
    );
    if !d.evidence.is_empty() {
        let _ = writeln!(
            o,
            "<details class=\"evidence\"><summary>Identity evidence ({})</summary><ul class=\"small\">{}</ul></details>",
            d.evidence.len(),
            d.evidence
                .iter()
                .map(|e| format!("<li><code>{}</code></li>", esc(e)))
                .collect::<String>()
        );
    }
    // Findings, the most severe first.
    if !d.findings.is_empty() {
        let _ = writeln!(o, "<h3>Findings ({})</h3>", d.findings.len());
        let mut fs: Vec<&FindingReport> = d.findings.iter().collect();
        fs.sort_by_key(|f| std::cmp::Reverse(f.severity));
        // The advice of a kind of finding is given once per device, with its first finding.
        let mut advised = std::collections::BTreeSet::new();
        for f in fs {
            let why = explanation_for(f.id, &f.subject, &f.facts);
            let first = advised.insert((f.id, why));
            finding(o, f, &r.catalogue, first);
        }
    }
    // Charts.
    if let Some(t) = svg::timeline(d, r, &i.to_string()) {
        let _ = write!(
            o,
            "<h3>Connections over time</h3>\n<p class=\"legend\">One lane per destination, a bar per connection (bars that would touch on screen merge); evenly spaced bars are a timer. \
             <i style=\"background:{}\"></i>encrypted<i style=\"background:{}\"></i>not encrypted</p>\n{t}\n",
            svg::ENCRYPTED,
            svg::CLEAR
        );
    }
    if let Some(b) = svg::bytes_chart(d, &i.to_string()) {
        let _ = write!(
            o,
            "<h3>Bytes per destination</h3>\n<p class=\"legend\">The busiest {}.<i style=\"background:{}\"></i>sent<i style=\"background:{}\"></i>received</p>\n{b}\n",
            plural(d.endpoints.len().min(12), "destination", "destinations"),
            svg::UP,
            svg::DOWN
        );
    }
    // Destinations.
    let unlisted = d.unlisted.as_ref().map_or(0, |u| u.destinations as usize);
    if d.endpoints.is_empty() {
        o.push_str("<p class=\"muted\">No destination on the internet was seen.</p>\n");
    } else {
        let _ = writeln!(
            o,
            "<h3>Destinations ({})</h3>",
            d.endpoints.len() + unlisted
        );
        let shown = d.endpoints.len().min(SHOWN_ROWS);
        endpoint_table(o, &d.endpoints[..shown]);
        if d.endpoints.len() > shown {
            let rest = &d.endpoints[shown..d.endpoints.len().min(MAX_ROWS)];
            let _ = writeln!(
                o,
                "<details><summary>{} more</summary>",
                plural(d.endpoints.len() - shown, "destination", "destinations")
            );
            endpoint_table(o, rest);
            if d.endpoints.len() > MAX_ROWS {
                let _ = writeln!(
                    o,
                    "<p class=\"muted small\">and {} more in the JSON report.</p>",
                    d.endpoints.len() - MAX_ROWS
                );
            }
            o.push_str("</details>\n");
        }
        if unlisted > 0 {
            let _ = writeln!(
                o,
                "<p class=\"muted small\">{} with no answered flow and no name are counted, not listed.</p>",
                plural(unlisted, "more address", "more addresses")
            );
        }
    }
    o.push_str("</section>\n");
}

/// Items separated by middle dots.
fn spans(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("<span>{s}</span>"))
        .collect::<String>()
}

fn finding(o: &mut String, f: &FindingReport, cat: &[CatalogueEntry], advise: bool) {
    let s = f.severity.name();
    let _ = write!(
        o,
        "<div class=\"finding f-{s}\">\n<div class=\"head\"><span class=\"badge sev-{s}\">{s}</span> \
         <code>{}</code> <span class=\"title\">{}</span> <span>{}</span></div>\n",
        esc(f.id.name()),
        esc(&f.title),
        esc(&f.subject)
    );
    // Without a summary of its own, a finding's summary is its facts in one line: the table
    // below says it better.
    let facts_line = f
        .facts
        .iter()
        .map(|x| format!("{}: {}", x.label, x.value))
        .collect::<Vec<_>>()
        .join(" · ");
    if !f.summary.is_empty() && f.summary != facts_line {
        let _ = writeln!(o, "<p class=\"summary\">{}</p>", esc(&f.summary));
    }
    if !f.facts.is_empty() {
        o.push_str("<table class=\"facts\">");
        for x in &f.facts {
            let _ = write!(
                o,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(&x.label),
                esc(&x.value)
            );
        }
        o.push_str("</table>\n");
    }
    let when = if f.first.is_empty() {
        String::new()
    } else if f.first == f.last || f.last.is_empty() {
        format!(" · at {}", esc(second(&f.first)))
    } else {
        format!(
            " · first {}, last {}",
            esc(second(&f.first)),
            esc(second(&f.last))
        )
    };
    let frames = if f.frames.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = f
            .frames
            .iter()
            .take(MAX_FRAMES)
            .map(|x| x.to_string())
            .collect();
        format!(
            " · frame{} {}{}",
            if f.frames.len() == 1 { "" } else { "s" },
            list.join(", "),
            if f.frames.len() > MAX_FRAMES {
                format!(" … ({} in all)", f.frames.len())
            } else {
                String::new()
            }
        )
    };
    let _ = writeln!(
        o,
        "<p class=\"when\">{}{when}{frames}</p>",
        plural(f.count as usize, "time", "times")
    );
    if !advise {
        let _ = writeln!(
            o,
            "<p class=\"when\">Why it matters and what to do: as for the first <code>{}</code> finding above.</p>",
            esc(f.id.name())
        );
    } else if let Some(c) = cat.iter().find(|c| c.id == f.id) {
        let advice = format!(
            "<div class=\"advice\"><div><b>Why it matters</b>{}</div><div><b>What to do</b>{}</div></div>",
            esc(explanation_for(f.id, &f.subject, &f.facts).unwrap_or(&c.explanation)),
            esc(&c.remedy)
        );
        if f.severity >= Severity::Low {
            o.push_str(&advice);
        } else {
            let _ = write!(
                o,
                "<details><summary>Why it matters, what to do</summary>{advice}</details>"
            );
        }
        o.push('\n');
    }
    o.push_str("</div>\n");
}

fn endpoint_table(o: &mut String, rows: &[EndpointReport]) {
    o.push_str(
        "<div class=\"scroll\"><table class=\"endpoints\">\n<thead><tr><th>destination</th><th>via</th><th>where</th><th>country</th>\
         <th>services</th><th>encrypted</th><th>periodic</th><th class=\"num\">flows</th><th class=\"num\">sent</th>\
         <th class=\"num\">received</th></tr></thead>\n<tbody>\n",
    );
    for e in rows {
        let addrs = if e.addresses.len() == 1 && e.addresses[0] == e.name {
            String::new()
        } else {
            let mut a: Vec<String> = e.addresses.iter().take(3).map(|x| esc(x)).collect();
            if e.addresses.len() > 3 {
                a.push(format!("+{}", e.addresses.len() - 3));
            }
            format!(
                "<br><span class=\"muted small mono\">{}</span>",
                a.join(", ")
            )
        };
        let via = match e.named_by.as_str() {
            "dns" => "DNS",
            // A TLS, DTLS or QUIC client hello's server name (Google QUIC's too).
            "sni" => "SNI",
            "host" => "HTTP Host",
            _ => "no lookup",
        };
        let chain = if e.cnames.is_empty() {
            String::new()
        } else {
            format!(
                "<br><span class=\"muted small mono\">→ {}</span>",
                e.cnames
                    .iter()
                    .map(|c| esc(c))
                    .collect::<Vec<_>>()
                    .join(" → ")
            )
        };
        let mut place: Vec<String> = Vec::new();
        if let Some(org) = &e.org {
            place.push(esc(org));
        }
        if let Some(c) = &e.cloud {
            place.push(match &e.region {
                Some(r) => format!("{} {}", esc(c), esc(r)),
                None => esc(c),
            });
        }
        if let Some(c) = &e.cdn {
            place.push(format!("CDN {}", esc(c)));
        }
        if let Some(a) = e.asn {
            place.push(format!("<span class=\"muted\">AS{a}</span>"));
        }
        let mut how: Vec<String> = e
            .services
            .iter()
            .map(|s| format!("<span class=\"nowrap\">{}</span>", esc(s)))
            .collect();
        how.extend(e.tls.iter().map(|t| esc(t)));
        let _ = writeln!(
            o,
            "<tr><td><b class=\"mono\">{}</b>{addrs}</td><td>{via}{chain}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"{}\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&e.name),
            if place.is_empty() { "?".into() } else { place.join("<br>") },
            esc(&match (&e.country, e.anycast, &e.nearer_than) {
                (Some(c), _, _) => c.clone(),
                (None, true, _) => "anycast".into(),
                (None, false, Some(c)) => format!("a nearer edge, not {c}"),
                (None, false, None) => "?".into(),
            }),
            how.join("<br>"),
            if e.encrypted { "yes" } else { "no" },
            if e.encrypted { "yes" } else { "no" },
            esc(e.periodic.as_deref().unwrap_or("")),
            e.flows,
            esc(&bytes(e.bytes_up)),
            esc(&bytes(e.bytes_down))
        );
    }
    o.push_str("</tbody>\n</table></div>\n");
}
