//! A baseline: an earlier JSON report of the same network (`iotscope report --format json`),
//! against which each device is compared. A destination, country or service it did not use
//! before, a destination it now reaches in clear, a finding it did not have, or the device itself
//! being new, make a `drift` finding: what a firmware update, or someone else taking the device
//! over, changes.
//!
//! Only the fields compared are read, each with a default, so a report of any 1.x schema serves.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use iotscope_analyze::findings::{Fact, FindingId, Severity};
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
    pub last: Option<String>,
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
    pub addresses: Vec<String>,
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

    /// What the baseline covered: its file and time span.
    fn described(&self) -> String {
        match (&self.network.first, &self.network.last) {
            (Some(a), Some(b)) => format!("{} ({} to {})", self.name, day_time(a), day_time(b)),
            _ => self.name.clone(),
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

/// The device's drift from its baseline, as a finding (None when nothing compared changed).
/// `frame_of` gives the first frame of a destination, for the evidence.
pub fn drift(
    base: &Baseline,
    id: &str,
    endpoints: &[EndpointReport],
    findings: &[FindingReport],
    frame_of: &dyn Fn(&str) -> Option<u64>,
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
    let now: Vec<&EndpointReport> = endpoints.iter().filter(|e| e.answered()).collect();
    let Some(before) = base.device(id) else {
        // Not there before: a device that joined the network since.
        let mut frames: Vec<u64> = now.iter().filter_map(|e| frame_of(&e.name)).collect();
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
            1,
            frames,
            first,
            last,
        ));
    };
    let then: Vec<&Endpoint> = before.endpoints.iter().filter(|e| e.answered()).collect();
    let then_names: BTreeSet<&str> = then.iter().map(|e| e.name.as_str()).collect();
    let then_addresses: BTreeSet<&str> = then
        .iter()
        .flat_map(|e| e.addresses.iter().map(String::as_str))
        .collect();
    let now_names: BTreeSet<&str> = now.iter().map(|e| e.name.as_str()).collect();
    let mut frames: Vec<u64> = Vec::new();
    let mut changes = 0u64;
    let mut severity = Severity::Info;

    // Destinations, busiest first (the rows come in that order): new by name and by address (a
    // name that moved to other addresses is the same destination; an address named otherwise,
    // by a lookup then and by the TLS server name now, is too).
    let new: Vec<&&EndpointReport> = now
        .iter()
        .filter(|e| {
            !then_names.contains(e.name.as_str())
                && !e
                    .addresses
                    .iter()
                    .any(|a| then_addresses.contains(a.as_str()))
        })
        .collect();
    if !new.is_empty() {
        severity = severity.max(Severity::Low);
        changes += new.len() as u64;
        frames.extend(new.iter().filter_map(|e| frame_of(&e.name)));
        fact(
            "new destinations",
            listed(
                new.iter()
                    .map(|e| match &e.country {
                        Some(c) => format!("{} ({c})", e.name),
                        None => e.name.clone(),
                    })
                    .collect(),
            ),
        );
    }
    let countries_then: BTreeSet<&str> = then.iter().filter_map(|e| e.country.as_deref()).collect();
    let new_countries: BTreeSet<&str> = now
        .iter()
        .filter_map(|e| e.country.as_deref())
        .filter(|c| !countries_then.contains(c))
        .collect();
    if !new_countries.is_empty() {
        severity = severity.max(Severity::Medium);
        changes += new_countries.len() as u64;
        fact(
            "new countries",
            new_countries.into_iter().collect::<Vec<_>>().join(", "),
        );
    }
    let services_then: BTreeSet<&str> = then
        .iter()
        .flat_map(|e| e.services.iter().map(String::as_str))
        .collect();
    let new_services: BTreeSet<&str> = now
        .iter()
        .flat_map(|e| e.services.iter().map(String::as_str))
        .filter(|s| !services_then.contains(s))
        .collect();
    if !new_services.is_empty() {
        severity = severity.max(Severity::Low);
        changes += new_services.len() as u64;
        fact(
            "new services",
            listed(new_services.into_iter().map(String::from).collect()),
        );
    }
    // Encrypted before, not all of it now.
    let was_encrypted: BTreeMap<&str, bool> = then
        .iter()
        .map(|e| (e.name.as_str(), e.encrypted))
        .collect();
    let now_clear: Vec<String> = now
        .iter()
        .filter(|e| !e.encrypted && was_encrypted.get(e.name.as_str()) == Some(&true))
        .map(|e| e.name.clone())
        .collect();
    if !now_clear.is_empty() {
        severity = severity.max(Severity::Medium);
        changes += now_clear.len() as u64;
        frames.extend(now_clear.iter().filter_map(|n| frame_of(n)));
        fact("no longer all encrypted", listed(now_clear));
    }
    // Findings (information aside, and drift itself).
    let key = |id: &str, subject: &str| format!("{id} {subject}");
    let findings_then: BTreeSet<String> = before
        .findings
        .iter()
        .filter(|f| f.severity.is_some_and(|s| s > Severity::Info) && f.id != "drift")
        .map(|f| key(&f.id, &f.subject))
        .collect();
    let current: Vec<&FindingReport> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info && f.id != FindingId::Drift)
        .collect();
    let new_findings: Vec<&&FindingReport> = current
        .iter()
        .filter(|f| !findings_then.contains(&key(f.id.name(), &f.subject)))
        .collect();
    if !new_findings.is_empty() {
        let worst = new_findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Low);
        severity = severity.max(if worst >= Severity::Medium {
            Severity::Medium
        } else {
            Severity::Low
        });
        changes += new_findings.len() as u64;
        frames.extend(
            new_findings
                .iter()
                .filter_map(|f| f.frames.first().copied()),
        );
        fact(
            "new findings",
            listed(
                new_findings
                    .iter()
                    .map(|f| format!("{} {} ({})", f.id.name(), f.subject, f.severity.name()))
                    .collect(),
            ),
        );
    }
    // What went away says less (a shorter capture sees less), and is told only beside a change.
    let gone: Vec<String> = then
        .iter()
        .filter(|e| !now_names.contains(e.name.as_str()))
        .map(|e| e.name.clone())
        .collect();
    let now_keys: BTreeSet<String> = current
        .iter()
        .map(|f| key(f.id.name(), &f.subject))
        .collect();
    let gone_findings: Vec<String> = before
        .findings
        .iter()
        .filter(|f| {
            f.severity.is_some_and(|s| s > Severity::Info)
                && f.id != "drift"
                && !now_keys.contains(&key(&f.id, &f.subject))
        })
        .map(|f| format!("{} {}", f.id, f.subject))
        .collect();
    if changes == 0 {
        return None;
    }
    if !gone.is_empty() {
        fact("destinations not seen again", listed(gone));
    }
    if !gone_findings.is_empty() {
        fact("findings not seen again", listed(gone_findings));
    }
    frames.sort_unstable();
    frames.dedup();
    let subject = format!("since {}", base.name);
    Some(finding(severity, subject, facts, 1, frames, first, last))
}

fn finding(
    severity: Severity,
    subject: String,
    facts: Vec<Fact>,
    count: u64,
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
        count,
        first: first.to_string(),
        last: last.to_string(),
        frames,
    }
}
