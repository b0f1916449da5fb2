//! A baseline: an earlier JSON report of the same network (`iotscope report --format json`),
//! against which each device is compared. A destination, country or service it did not use
//! before, a destination it now reaches in clear, a finding it did not have, or the device itself
//! being new, make a `drift` finding: what a firmware update, or someone else taking the device
//! over, changes.
//!
//! Only the fields compared are read, each with a default, so a report of any 1.x schema serves.

use std::collections::BTreeSet;
use std::path::Path;

use iotscope_analyze::findings::{Fact, FindingId, Severity};
use iotscope_analyze::text::duration;
use serde::Deserialize;

use crate::model::{EndpointReport, FindingReport};

/// The parts of an earlier report that are compared.
#[derive(Debug, Default, Deserialize)]
pub struct Baseline {
    #[serde(default)]
    pub schema: String,
    #[serde(default)]
    pub redacted: bool,
    #[serde(default)]
    pub network: Net,
    #[serde(default)]
    pub devices: Vec<Device>,
    /// The file it was read from.
    #[serde(skip)]
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Net {
    #[serde(default)]
    pub first: Option<String>,
    #[serde(default)]
    pub duration_s: f64,
}

#[derive(Debug, Default, Deserialize)]
pub struct Device {
    pub id: String,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Endpoint {
    pub name: String,
    #[serde(default)]
    pub named_by: String,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub encrypted: bool,
    #[serde(default)]
    pub flows: u64,
    #[serde(default)]
    pub unanswered: u64,
}

impl Endpoint {
    /// Reached, not only tried (reports before schema 1.3 do not count unanswered flows).
    fn answered(&self) -> bool {
        self.flows == 0 || self.unanswered < self.flows
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Finding {
    pub id: String,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub facts: Vec<Fact>,
}

/// The kinds of TLS problem a tls-weak finding lists (`problems: a, b`): names left out, since
/// one server answers to several (`certificate for a does not cover b` is a name mismatch
/// whatever the names; a version agreed or offered keeps its version).
fn problems(facts: &[Fact]) -> BTreeSet<&str> {
    facts
        .iter()
        .filter(|f| f.label == "problems")
        .flat_map(|f| f.value.split(", "))
        // Without its tally: "TLS 1.0 agreed (3 of 5 connections)".
        .map(|p| match p.rsplit_once(" (") {
            Some((kind, tally)) if tally.ends_with(" connections)") => kind,
            _ => p,
        })
        .map(|p| {
            if p.contains("does not cover") {
                "name mismatch"
            } else if p.starts_with("self-signed") {
                "self-signed"
            } else if p.starts_with("certificate expired") {
                "expired"
            } else if p.starts_with("certificate not yet valid") {
                "not yet valid"
            } else {
                p
            }
        })
        .collect()
}

impl Baseline {
    /// Reads an earlier report. A redacted one cannot serve: its MACs and addresses are
    /// pseudonyms that match no device of a new capture.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
        let mut b: Baseline = serde_json::from_slice(&bytes).map_err(|e| {
            format!("{shown}: not an iotscope JSON report ({e}); `iotscope report --format json` writes one")
        })?;
        if b.schema != "iotscope-report" {
            return Err(format!(
                "{shown}: not an iotscope JSON report; `iotscope report --format json` writes one"
            ));
        }
        if b.redacted {
            return Err(format!(
                "{shown}: a redacted report, whose devices cannot be matched to this capture's; \
                 keep the baseline unredacted"
            ));
        }
        b.name = path
            .file_name()
            .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
        Ok(b)
    }

    /// The device of this id in the baseline.
    pub fn device(&self, id: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.id.eq_ignore_ascii_case(id))
    }

    /// What the baseline covered: its file, when it began and how long it lasted.
    fn described(&self) -> String {
        match &self.network.first {
            Some(a) => format!(
                "{} ({}, {})",
                self.name,
                day_time(a),
                duration((self.network.duration_s * 1e9) as i64)
            ),
            None => self.name.clone(),
        }
    }
}

/// "2026-11-20 00:00:41.000000" to "2026-11-20 00:00".
fn day_time(t: &str) -> &str {
    t.get(..16).unwrap_or(t)
}

/// Most names a fact lists.
const MAX_LISTED: usize = 8;

fn listed(mut v: Vec<String>) -> String {
    let more = v.len().saturating_sub(MAX_LISTED);
    v.truncate(MAX_LISTED);
    let mut s = v.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// A destination as compared: NTP pool servers (`0.pool.ntp.org`, `2.asia.pool.ntp.org`) are
/// one destination, handed out in turn.
fn destination(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n.ends_with("pool.ntp.org") {
        "pool.ntp.org".into()
    } else {
        n
    }
}

/// A service as compared: protocol and port (`tcp/8883 tls` and `tcp/8883 tls/mqtt` are one:
/// the label says more when the handshake was seen). ICMP, and an unrecognised high port (a
/// client's port, on a connection seen from its middle), are no service.
fn service(s: &str) -> Option<&str> {
    let (port, app) = s.split_once(' ').unwrap_or((s, ""));
    let number = port
        .split_once('/')
        .and_then(|(_, n)| n.parse::<u16>().ok());
    match number {
        None => None,
        // 32768 and up: where Linux (and from 49152 Windows and the BSDs) hands out client ports.
        Some(n) if n >= 32768 && (app.is_empty() || app == "unknown") => None,
        Some(_) => Some(port),
    }
}

/// What a current destination row says, for the comparison.
struct Row<'a> {
    name: String,
    addresses: &'a [String],
    /// Protocol and port, with the label as shown (`tcp/8883 tls/mqtt`).
    services: Vec<(&'a str, &'a str)>,
    /// Its country counts as a place the device talks to: not a CDN's or an anycast address's
    /// (which serve from wherever is near), not a time server's.
    country: Option<&'a str>,
    unnamed: bool,
    org: Option<&'a str>,
}

fn row(e: &EndpointReport) -> Option<Row<'_>> {
    let services: Vec<(&str, &str)> = e
        .services
        .iter()
        .filter_map(|s| service(s).map(|k| (k, s.as_str())))
        .collect();
    // Only ICMP (a traceroute hop, a ping target), or only reached from outside (the
    // exposed-service finding tells that): no destination of the device's.
    if services.is_empty() || (e.flows > 0 && e.inbound >= e.flows) || !e.answered() {
        return None;
    }
    let time_only = services.iter().all(|s| s.0 == "udp/123");
    Some(Row {
        name: destination(&e.name),
        addresses: &e.addresses,
        country: e
            .country
            .as_deref()
            .filter(|_| e.cdn.is_none() && !e.anycast && !time_only),
        services,
        unnamed: e.named_by == "none",
        org: e.org.as_deref(),
    })
}

/// The destination a finding's subject names, as a name and the addresses behind it: the
/// address in `Label (10.1.2.3)`, the host after the last " to " (`uses mqtt to broker`), a
/// service's protocol and port, or the subject itself.
fn subject_key(id: &str, subject: &str) -> String {
    let s = subject.trim();
    let inner = s
        .strip_suffix(')')
        .and_then(|x| x.rsplit_once(" ("))
        .map(|(_, x)| x);
    if let Some(x) = inner.filter(|x| {
        x.split(':').next().is_some_and(|a| {
            a.parse::<std::net::IpAddr>().is_ok() || x.parse::<std::net::IpAddr>().is_ok()
        })
    }) {
        return x.to_string();
    }
    if let Some(svc) = service(s).filter(|_| s.starts_with("tcp/") || s.starts_with("udp/")) {
        return svc.to_string();
    }
    let s = s.rsplit_once(" to ").map_or(s, |(_, d)| d);
    // A scan's or flood's size changes with the capture's length: its kind and target are what
    // count (`9 tcp ports on many hosts` is `# tcp ports on many hosts`; addresses stay).
    if matches!(id, "scan" | "flood") {
        return s
            .split(' ')
            .map(|w| {
                if !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit()) {
                    "#"
                } else {
                    w
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    destination(s)
}

/// The device's drift from its baseline, as a finding (None when nothing compared changed).
/// `frame_of` gives the first frame of a destination, for the evidence; `silent` is a device
/// that sent nothing (a MAC only ever addressed), which is not new for being seen.
#[allow(clippy::too_many_arguments)]
pub fn drift(
    base: &Baseline,
    id: &str,
    endpoints: &[EndpointReport],
    findings: &[FindingReport],
    frame_of: &dyn Fn(&str) -> Option<u64>,
    silent: bool,
    first: &str,
    last: &str,
) -> Option<FindingReport> {
    let mut facts: Vec<Fact> = Vec::new();
    let mut fact = |label: &str, value: String| {
        facts.push(Fact {
            label: label.into(),
            value,
        })
    };
    fact("baseline", base.described());
    let now: Vec<Row> = endpoints.iter().filter_map(row).collect();
    let Some(before) = base.device(id) else {
        if silent {
            return None;
        }
        // Not there before: a device that joined the network since.
        let mut frames: Vec<u64> = endpoints.iter().filter_map(|e| frame_of(&e.name)).collect();
        frames.sort_unstable();
        frames.truncate(1);
        fact(
            "new device",
            "not in the baseline: it joined the network since, or was silent then".into(),
        );
        return Some(finding(
            Severity::Low,
            "new device".into(),
            facts,
            frames,
            first,
            last,
        ));
    };
    // Everything the baseline saw counts as known, answered or not: a time server tried then
    // and answering now is no new destination.
    let then = &before.endpoints;
    let then_names: BTreeSet<String> = then.iter().map(|e| destination(&e.name)).collect();
    let then_addresses: BTreeSet<&str> = then
        .iter()
        .flat_map(|e| e.addresses.iter().map(String::as_str))
        .collect();
    let then_services: BTreeSet<&str> = then
        .iter()
        .flat_map(|e| e.services.iter().filter_map(|s| service(s)))
        .collect();
    let then_countries: BTreeSet<&str> = then.iter().filter_map(|e| e.country.as_deref()).collect();
    // Networks (organisation and service) the device reached at unnamed addresses: a relay or
    // peer-to-peer server handed out anew each time.
    let then_networks: BTreeSet<(&str, &str)> = then
        .iter()
        .filter_map(|e| e.org.as_deref().map(|o| (o, e)))
        .flat_map(|(o, e)| {
            e.services
                .iter()
                .filter_map(move |s| service(s).map(|s| (o, s)))
        })
        .collect();
    let known = |r: &Row| {
        then_names.contains(&r.name)
            || r.addresses
                .iter()
                .any(|a| then_addresses.contains(a.as_str()))
    };
    let mut frames: Vec<u64> = Vec::new();
    let mut severity = Severity::Info;
    let mut changed = false;

    // Destinations, busiest first (the rows come in that order).
    let (mut new, mut rotated) = (Vec::new(), 0usize);
    for r in now.iter().filter(|r| !known(r)) {
        let same_network = r.unnamed
            && r.org
                .is_some_and(|o| r.services.iter().any(|s| then_networks.contains(&(o, s.0))));
        if same_network {
            rotated += 1;
        } else {
            new.push(r);
        }
    }
    if !new.is_empty() {
        severity = severity.max(Severity::Low);
        changed = true;
        frames.extend(new.iter().filter_map(|r| frame_of(&r.name)));
        fact(
            "new destinations",
            listed(
                new.iter()
                    .map(|r| match r.country {
                        Some(c) => format!("{} ({c})", r.name),
                        None => r.name.clone(),
                    })
                    .collect(),
            ),
        );
    }
    let new_countries: BTreeSet<&str> = now
        .iter()
        .filter_map(|r| r.country)
        .filter(|c| !then_countries.contains(c))
        .collect();
    if !new_countries.is_empty() {
        severity = severity.max(Severity::Medium);
        changed = true;
        fact(
            "new countries",
            new_countries.into_iter().collect::<Vec<_>>().join(", "),
        );
    }
    // Compared by protocol and port, shown with their labels.
    let mut new_services: Vec<(&str, &str)> = now
        .iter()
        .flat_map(|r| r.services.iter().copied())
        .filter(|s| !then_services.contains(s.0))
        .collect();
    new_services.sort_unstable();
    new_services.dedup_by_key(|s| s.0);
    if !new_services.is_empty() {
        severity = severity.max(Severity::Low);
        changed = true;
        fact(
            "new services",
            listed(new_services.into_iter().map(|s| s.1.to_string()).collect()),
        );
    }
    // Encrypted before, now with bytes in a protocol known to be clear (an ICMP error beside an
    // encrypted flow is no such byte).
    let now_clear: Vec<String> = endpoints
        .iter()
        .filter(|e| e.answered() && e.inbound < e.flows)
        .filter(|e| {
            e.bytes_up + e.bytes_down > e.bytes_encrypted.saturating_add(e.bytes_unrecognised)
        })
        .filter(|e| {
            // The same name before, else (a name that moved) the same address; an address that
            // serves several names is each name's.
            let named: Vec<_> = then
                .iter()
                .filter(|t| destination(&t.name) == destination(&e.name))
                .collect();
            if named.is_empty() {
                then.iter()
                    .any(|t| t.encrypted && t.addresses.iter().any(|a| e.addresses.contains(a)))
            } else {
                named.iter().any(|t| t.encrypted)
            }
        })
        .map(|e| e.name.clone())
        .collect();
    if !now_clear.is_empty() {
        severity = severity.max(Severity::Medium);
        changed = true;
        frames.extend(now_clear.iter().filter_map(|n| frame_of(n)));
        fact("no longer all encrypted", listed(now_clear));
    }
    // Findings, matched by kind and by what their subject names: the same server under
    // another name, a LAN peer under another label, a service with more said of it.
    let addresses_of = |key: &str| -> BTreeSet<String> {
        let mut v: BTreeSet<String> = BTreeSet::new();
        if key.parse::<std::net::IpAddr>().is_ok() {
            v.insert(key.to_string());
        }
        for e in endpoints.iter().filter(|e| destination(&e.name) == key) {
            v.extend(e.addresses.iter().cloned());
        }
        for e in then.iter().filter(|e| destination(&e.name) == key) {
            v.extend(e.addresses.iter().cloned());
        }
        v
    };
    let then_findings: Vec<(&Finding, String, BTreeSet<String>)> = before
        .findings
        .iter()
        .filter(|f| f.id != "drift")
        .map(|f| {
            let k = subject_key(&f.id, &f.subject);
            let a = addresses_of(&k);
            (f, k, a)
        })
        .collect();
    // Seen before at the same severity or higher (a service reached from the LAN then and from
    // the internet now, low then high, is a change), and for TLS with no problem it lacked then
    // (a certificate that has expired since).
    let seen_before = |f: &FindingReport| {
        let k = subject_key(f.id.name(), &f.subject);
        let a = addresses_of(&k);
        let now_problems = problems(&f.facts);
        then_findings.iter().any(|(t, tk, ta)| {
            t.id == f.id.name()
                && (*tk == k || !ta.is_disjoint(&a))
                && t.severity.is_none_or(|s| s >= f.severity)
                && now_problems.is_subset(&problems(&t.facts))
        })
    };
    // What a window happens to catch says little: UPnP announcements and searches, a LAN
    // client using a LAN service (low exposed-service findings) are told, not weighed.
    let incidental = |f: &FindingReport| {
        f.id == FindingId::Upnp
            || (f.id == FindingId::ExposedService && f.severity <= Severity::Low)
    };
    let new_findings: Vec<&FindingReport> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info && f.id != FindingId::Drift && !seen_before(f))
        .collect();
    let (incidental_new, weighed_new): (Vec<&FindingReport>, Vec<&FindingReport>) =
        new_findings.into_iter().partition(|f| incidental(f));
    if !weighed_new.is_empty() {
        let worst = weighed_new
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Low);
        severity = severity.max(if worst >= Severity::Medium {
            Severity::Medium
        } else {
            Severity::Low
        });
        changed = true;
        frames.extend(weighed_new.iter().filter_map(|f| f.frames.first().copied()));
        fact(
            "new findings",
            listed(
                weighed_new
                    .iter()
                    .map(|f| format!("{} {} ({})", f.id.name(), f.subject, f.severity.name()))
                    .collect(),
            ),
        );
    }
    if !changed {
        return None;
    }
    // Told beside a change, never a change by themselves.
    if rotated > 0 {
        fact(
            "also",
            format!(
                "{rotated} new address{} without a lookup, in networks and services the baseline \
                 had",
                if rotated == 1 { "" } else { "es" }
            ),
        );
    }
    if !incidental_new.is_empty() {
        fact(
            "also new",
            listed(
                incidental_new
                    .iter()
                    .map(|f| format!("{} {}", f.id.name(), f.subject))
                    .collect(),
            ),
        );
    }
    let gone: Vec<String> = then
        .iter()
        .filter(|t| t.answered())
        .filter(|t| {
            !endpoints.iter().any(|e| {
                destination(&e.name) == destination(&t.name)
                    || e.addresses.iter().any(|a| t.addresses.contains(a))
            })
        })
        .map(|t| t.name.clone())
        .collect();
    if !gone.is_empty() {
        fact("destinations not seen again", listed(gone));
    }
    // A baseline in which the device did nothing says nothing about what is usual for it.
    if then.is_empty() && before.findings.is_empty() {
        severity = severity.min(Severity::Low);
        fact(
            "note",
            "the baseline saw no traffic of this device to compare with".into(),
        );
    }
    frames.sort_unstable();
    frames.dedup();
    let subject = format!("since {}", base.name);
    Some(finding(severity, subject, facts, frames, first, last))
}

fn finding(
    severity: Severity,
    subject: String,
    facts: Vec<Fact>,
    frames: Vec<u64>,
    first: &str,
    last: &str,
) -> FindingReport {
    let summary = facts
        .iter()
        .filter(|f| f.label != "baseline")
        .map(|f| format!("{}: {}", f.label, f.value))
        .collect::<Vec<_>>()
        .join(" · ");
    FindingReport {
        id: FindingId::Drift,
        severity,
        title: FindingId::Drift.entry().title.to_string(),
        subject,
        summary,
        facts,
        count: 1,
        first: first.to_string(),
        last: last.to_string(),
        frames,
    }
}
