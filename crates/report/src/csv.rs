//! The report's tables as CSV (RFC 4180 quoting), one table per call.

use std::borrow::Cow;

use crate::model::Report;

/// Which table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One row per finding.
    Findings,
    /// One row per device and destination.
    Endpoints,
    /// One row per device, with its verdict.
    Devices,
}

fn cell(s: &str) -> String {
    let s = crate::visible(s);
    // A spreadsheet runs a cell that starts like a formula: a host name "=cmd|..." from the
    // network must stay text (OWASP's CSV injection advice: a leading apostrophe).
    let s = if s.starts_with(['=', '+', '@']) || s.starts_with('-') && s.parse::<f64>().is_err() {
        Cow::Owned(format!("'{s}"))
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn line(out: &mut String, cells: &[String]) {
    let v: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    out.push_str(&v.join(","));
    out.push_str("\r\n");
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

/// Renders one table.
pub fn render(r: &Report, t: Table) -> String {
    let mut o = String::new();
    match t {
        Table::Findings => {
            let head = [
                "device", "label", "severity", "id", "title", "subject", "summary", "count",
                "first", "last", "frames",
            ];
            line(&mut o, &head.map(String::from));
            for d in &r.devices {
                for f in &d.findings {
                    let frames: Vec<String> = f.frames.iter().map(|x| x.to_string()).collect();
                    line(
                        &mut o,
                        &[
                            d.id.clone(),
                            d.label.clone(),
                            f.severity.name().into(),
                            f.id.name().into(),
                            f.title.clone(),
                            f.subject.clone(),
                            f.summary.clone(),
                            f.count.to_string(),
                            f.first.clone(),
                            f.last.clone(),
                            frames.join(" "),
                        ],
                    );
                }
            }
        }
        Table::Endpoints => {
            let head = [
                "device",
                "label",
                "name",
                "named_by",
                "cnames",
                "addresses",
                "org",
                "asn",
                "cloud",
                "region",
                "cdn",
                "country",
                "anycast",
                "nearer_than",
                "services",
                "tls",
                "encrypted",
                "bytes_encrypted",
                "bytes_unrecognised",
                "periodic",
                "flows",
                "inbound",
                "unanswered",
                "bytes_up",
                "bytes_down",
                "first",
                "last",
            ];
            line(&mut o, &head.map(String::from));
            for d in &r.devices {
                for e in &d.endpoints {
                    line(
                        &mut o,
                        &[
                            d.id.clone(),
                            d.label.clone(),
                            e.name.clone(),
                            e.named_by.clone(),
                            e.cnames.join(" "),
                            e.addresses.join(" "),
                            opt(&e.org),
                            opt(&e.asn),
                            opt(&e.cloud),
                            opt(&e.region),
                            opt(&e.cdn),
                            opt(&e.country),
                            e.anycast.to_string(),
                            opt(&e.nearer_than),
                            e.services.join("; "),
                            e.tls.join(" "),
                            e.encrypted.to_string(),
                            e.bytes_encrypted.to_string(),
                            e.bytes_unrecognised.to_string(),
                            opt(&e.periodic),
                            e.flows.to_string(),
                            e.inbound.to_string(),
                            e.unanswered.to_string(),
                            e.bytes_up.to_string(),
                            e.bytes_down.to_string(),
                            e.first.clone(),
                            e.last.clone(),
                        ],
                    );
                }
            }
        }
        Table::Devices => {
            let head = [
                "device",
                "label",
                "vendor",
                "kind",
                "confidence",
                "addresses",
                "names",
                "rating",
                "worst",
                "findings",
                "verdict",
                "flows",
                "bytes_up",
                "bytes_down",
                "first",
                "last",
            ];
            line(&mut o, &head.map(String::from));
            for d in &r.devices {
                line(
                    &mut o,
                    &[
                        d.id.clone(),
                        d.label.clone(),
                        opt(&d.vendor),
                        d.kind.clone(),
                        opt(&d.confidence),
                        d.addresses.join(" "),
                        d.names.join(" "),
                        d.verdict.rating.clone(),
                        d.verdict
                            .worst
                            .map(|w| w.name().to_string())
                            .unwrap_or_default(),
                        d.findings.len().to_string(),
                        d.verdict.text.clone(),
                        d.flows.to_string(),
                        d.bytes_up.to_string(),
                        d.bytes_down.to_string(),
                        d.first.clone(),
                        d.last.clone(),
                    ],
                );
            }
        }
    }
    o
}
