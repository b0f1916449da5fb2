//! The report model: plain data, the one thing every renderer reads.
//!
//! Declared once here, each field documented; `docs/report-schema.md` is its contract for JSON
//! users and changes only with [`SCHEMA_VERSION`]. Times are UTC text (`2026-11-20 00:00:41.000000`)
//! so the JSON reads without a converter; durations are seconds; volumes are wire bytes.

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::{HashMap, HashSet};
use std::net::IpAddr;

use iotscope_analyze::behaviour::{self, Beacon, LongLived, Thresholds};
use iotscope_analyze::devices::{self, Device, DeviceKey, Local};
use iotscope_analyze::endpoints::{self, Endpoint, NamedBy, Namer};
use iotscope_analyze::findings::{self, Fact, FindingId, Severity, CATALOGUE};
use iotscope_analyze::identify::{identify, Kind};
use iotscope_analyze::text::duration;
use iotscope_flow::{Event, Flow, Side};
use iotscope_intel::Intel;
use iotscope_packet::{fmt_utc, ip_of, tcp_flags, Nanos};
use iotscope_proto::app::{App, Message};
use serde::{Deserialize, Serialize};

use crate::baseline::{self, Baseline};

/// Version of the report schema: major changes break readers, minor ones add fields.
pub const SCHEMA_VERSION: &str = "1.19";

/// Most connections per device kept for the timeline chart.
pub const MAX_TIMELINE: usize = 2000;
/// Addresses a device exchanged no answered flow with and has no name for, listed per device
/// before the rest are counted in [`DeviceReport::unlisted`]: a worm's sweep of random addresses
/// tries hundreds of thousands, as many scanners knock on a device open to the internet, and one
/// row each would make the report as large as the capture and no more useful. The scan and
/// exposed-service findings tell them.
pub const MAX_TRIED_LISTED: usize = 500;
/// Destinations per device given their own lane in the timeline.
pub const TIMELINE_LANES: usize = 12;
/// Claims per device listed as identity evidence.
const MAX_EVIDENCE: usize = 12;

/// The whole report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Always "iotscope-report".
    pub schema: String,
    /// [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// The program that wrote it ("iotscope 0.1.0").
    pub generator: String,
    /// True when addresses, MACs and personal names were replaced by pseudonyms.
    pub redacted: bool,
    pub inputs: Vec<InputFile>,
    pub network: Network,
    /// Devices, the most severe findings first.
    pub devices: Vec<DeviceReport>,
    /// The catalogue entries of the findings that occur (explanation and remedy).
    pub catalogue: Vec<CatalogueEntry>,
}

/// One capture file read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputFile {
    pub name: String,
    /// "pcap", "pcapng"...
    pub format: Option<String>,
    pub frames: u64,
    /// The number findings give this file's first frame: frames are counted across the inputs
    /// in order, so frame N of this file is `first_frame + N - 1`.
    #[serde(default)]
    pub first_frame: u64,
    /// Why reading stopped early (the report covers what was read before).
    pub error: Option<String>,
    /// The time of the file's first frame, when its capture began.
    #[serde(skip)]
    pub first_ts: Option<Nanos>,
}

/// The network at a glance.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Network {
    /// First and last frame time.
    pub first: Option<String>,
    /// The first frame time as seconds since 1970 (for clocks; `first` in another form).
    pub first_unix_s: Option<f64>,
    pub last: Option<String>,
    /// Seconds between them.
    pub duration_s: f64,
    pub packets: u64,
    /// Wire bytes.
    pub bytes: u64,
    pub devices: usize,
    /// Devices identified as IoT (anything but phones, computers, routers and unknowns).
    pub iot_devices: usize,
    /// Distinct internet addresses the devices exchanged flows with (opened by either side).
    pub endpoints: usize,
    /// Distinct destinations: the devices' endpoint rows, by name (or address when unnamed).
    pub destinations: usize,
    /// Internet destinations only tried: no flow to them was answered (counted per device, the
    /// unlisted ones included). Not in `destinations`.
    #[serde(default)]
    pub tried: usize,
    /// IP flow records read (TCP, UDP, ICMP and other protocols; loopback included): none means
    /// the packets carried no IP at all (only LLDP, CDP, spanning tree, 802.11 management...).
    #[serde(default)]
    pub flows: u64,
    /// Flows with no host of this network at either end (public addresses on the LAN that
    /// nothing placed on it, such as IPv6 privacy addresses without router advertisements in the
    /// capture): not assessed.
    #[serde(default)]
    pub outside_flows: u64,
    /// Of those, the flows inside tunnels (both ends on the internet or beyond a tunnel's far
    /// end): the tunnel itself is assessed, as its device's flow.
    #[serde(default)]
    pub outside_tunnelled: u64,
    /// Local addresses that received data from the internet (on two flows or more) and never
    /// sent a packet: what a capture of one direction only shows (a capture filter, a mirror
    /// port copying one way). They are no devices (nothing they did is in the capture); up to
    /// three are named here.
    #[serde(default)]
    pub receive_only: Vec<String>,
    #[serde(default)]
    pub receive_only_count: u64,
    /// Countries of those addresses (ISO codes), most bytes first.
    pub countries: Vec<String>,
    /// Share of bytes exchanged with the internet inside TLS, QUIC or SSH (0 to 1): the sum over
    /// the devices' endpoints, so that it agrees with their verdicts.
    pub encrypted_share: Option<f64>,
    /// Share of those bytes in applications that were not recognised (0 to 1), which may or may
    /// not be encrypted.
    pub unrecognised_share: Option<f64>,
    /// Findings per severity.
    pub findings: SeverityCounts,
    /// The label of the device with the most severe findings.
    pub worst_device: Option<String>,
    /// Its id.
    pub worst_device_id: Option<String>,
    /// Frames that could not be decoded to the end.
    pub malformed_frames: u64,
    /// Those frames by reason (`iotscope stats` names), most first.
    #[serde(default)]
    pub malformed_by_reason: Vec<Reason>,
}

/// Frames left undecoded for one reason.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reason {
    pub reason: String,
    pub frames: u64,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// One local device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeviceReport {
    /// Stable identifier: the MAC, else the address.
    pub id: String,
    /// What to call it: its own name, else vendor and type.
    pub label: String,
    pub mac: Option<String>,
    pub vendor: Option<String>,
    /// The MAC is locally administered (randomised).
    pub randomised_mac: bool,
    /// For a host of another subnet reached through a router on this network (its packets carry
    /// the router's MAC and arrive a hop away): the router's MAC.
    pub behind: Option<String>,
    /// The other devices (their ids) that are the same host seen through another network
    /// interface: they announce the same mDNS host name, which mDNS keeps unique on a link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_host: Vec<String>,
    pub addresses: Vec<String>,
    /// Names it gave itself (DHCP, mDNS, NetBIOS, SNMP, LLDP, CDP).
    pub names: Vec<String>,
    /// Device type ("camera", "plug-switch"...), "unknown" when nothing tells.
    pub kind: String,
    /// "high", "medium", "low"; absent when unknown.
    pub confidence: Option<String>,
    /// The claim that decided the type.
    pub because: Option<String>,
    /// Identity claims with their frame ("hostname=XL824 (frame 12)").
    pub evidence: Vec<String>,
    pub first: String,
    pub last: String,
    pub packets_up: u64,
    pub bytes_up: u64,
    pub packets_down: u64,
    pub bytes_down: u64,
    pub flows: u64,
    pub verdict: Verdict,
    /// Most severe first.
    pub findings: Vec<FindingReport>,
    /// What it talks to on the internet, one row per destination name, busiest first.
    pub endpoints: Vec<EndpointReport>,
    /// The addresses with no answered flow and no name beyond the first [`MAX_TRIED_LISTED`],
    /// counted rather than listed in `endpoints`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<Unlisted>,
    /// Its connections over time, for the timeline chart.
    pub timeline: Vec<Connection>,
}

/// The plain-language judgement of a device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    /// "behaves well", "mostly fine", "needs attention", "at risk", "likely compromised".
    pub rating: String,
    /// The worst severity among its findings (absent when it has none).
    pub worst: Option<Severity>,
    /// One paragraph.
    pub text: String,
}

/// A finding as reported.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FindingReport {
    /// Stable id from the catalogue ("cleartext-http").
    pub id: FindingId,
    pub severity: Severity,
    /// The catalogue title.
    pub title: String,
    /// What it is about (a name, an address, a service).
    pub subject: String,
    /// The evidence in one line.
    pub summary: String,
    pub facts: Vec<Fact>,
    /// Occurrences (requests, connections, logins, beats).
    pub count: u64,
    pub first: String,
    pub last: String,
    /// Frame numbers (1-based over all inputs, as Wireshark counts) of supporting flows.
    pub frames: Vec<u64>,
}

/// One destination of a device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointReport {
    /// The name the device used, else the address.
    pub name: String,
    /// How the name was learned: "dns", "sni", "host", "none".
    pub named_by: String,
    /// CNAMEs followed from the name.
    pub cnames: Vec<String>,
    pub addresses: Vec<String>,
    /// Each address with its own organisation, country and traffic (a name can lead to several
    /// networks); the fields above are those of the busiest address.
    pub by_address: Vec<AddressShare>,
    pub org: Option<String>,
    pub asn: Option<u32>,
    /// Cloud provider and service ("aws EC2").
    pub cloud: Option<String>,
    pub region: Option<String>,
    pub cdn: Option<String>,
    pub country: Option<String>,
    /// The address is anycast (served from many places): `country` is then empty.
    pub anycast: bool,
    /// The country the registry names for the address, when the capture's own round trips rule
    /// it out (the server answered too fast to be there: a CDN edge nearer than that):
    /// `country` is then empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearer_than: Option<String>,
    /// "tcp/443 tls", "udp/123 ntp".
    pub services: Vec<String>,
    /// TLS versions agreed ("TLS 1.3").
    pub tls: Vec<String>,
    /// Every byte went inside TLS, QUIC or SSH.
    pub encrypted: bool,
    /// Bytes (both ways) inside TLS, QUIC or SSH, and bytes of applications not recognised.
    pub bytes_encrypted: u64,
    pub bytes_unrecognised: u64,
    /// Flows the address opened towards the device (of `flows`).
    pub inbound: u64,
    /// Flows the destination never answered (of `flows`): connection attempts.
    pub unanswered: u64,
    /// "every 5 min 0 s ± 2 s" when the device contacts it on a timer.
    pub periodic: Option<String>,
    pub flows: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub first: String,
    pub last: String,
}

impl EndpointReport {
    /// Some flow to it was answered: a destination reached, not only tried.
    pub fn answered(&self) -> bool {
        // Flows opened both ways, each with nothing back on it, are one exchange: a tunnel
        // whose ends each send from a port of their own (VXLAN, Geneve), or two syslog or RTP
        // streams.
        self.unanswered < self.flows || (self.inbound > 0 && self.inbound < self.flows)
    }

    /// A destination the device tried in vain: it opened flows to it, and none was answered
    /// (not a host that only knocked on the device).
    pub fn tried(&self) -> bool {
        !self.answered() && self.flows > self.inbound
    }
}

/// Addresses with no answered flow and no name, counted rather than listed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Unlisted {
    /// How many (one per address: none of them has a name).
    pub destinations: u64,
    /// Of them, the addresses that only connected to the device (scanners of its services),
    /// never the device to them.
    #[serde(default)]
    pub inbound: u64,
    pub flows: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

impl Unlisted {
    /// The ones the device tried (the others knocked on it).
    pub fn tried(&self) -> u64 {
        self.destinations - self.inbound
    }
}

/// One address behind a destination name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AddressShare {
    pub address: String,
    pub org: Option<String>,
    pub country: Option<String>,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

/// One connection on the timeline.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Connection {
    /// Seconds from the start of the capture.
    pub start_s: f64,
    pub duration_s: f64,
    /// The destination's name (an `endpoints[].name`), or "other" beyond the busiest lanes.
    pub destination: String,
    pub bytes: u64,
    pub encrypted: bool,
}

/// A catalogue entry, for readers of the JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub id: FindingId,
    pub severity: Severity,
    pub title: String,
    pub explanation: String,
    pub remedy: String,
}

/// What the report is built from.
pub struct Input<'a> {
    pub flows: &'a [Flow],
    pub events: &'a [Event],
    pub files: Vec<InputFile>,
    pub packets: u64,
    pub bytes: u64,
    pub first: Option<Nanos>,
    pub last: Option<Nanos>,
    /// Frames that could not be decoded to the end, by reason.
    pub malformed: Vec<(String, u64)>,
    pub local: &'a Local,
    pub allow_countries: Option<&'a BTreeSet<String>>,
    pub thresholds: Thresholds,
    /// An earlier report to compare each device with (`drift` findings).
    pub baseline: Option<&'a Baseline>,
    /// Threads the analysis may use (1: only the calling one). The report is the same whatever
    /// their number.
    pub threads: usize,
}

/// `a()` and `b()`, the second on a thread of its own when `threads` allows one.
fn on_two<A: Send, B: Send>(
    threads: usize,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if threads < 2 {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let b = s.spawn(b);
        let a = a();
        (a, b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

fn time(t: Nanos) -> String {
    if t == Nanos::MAX || t == Nanos::MIN {
        String::new()
    } else {
        fmt_utc(t)
    }
}

fn is_iot(k: Kind) -> bool {
    !matches!(
        k,
        Kind::Phone | Kind::Computer | Kind::RouterAp | Kind::Unknown
    )
}

/// Builds the report: analysis, findings, verdicts.
pub fn build(i: &Input) -> Report {
    let intel = Intel::get();
    // The devices and the names looked up are worked out from the flows and messages alone,
    // each apart from the other: on two threads when there are two.
    let (mut namer, devs) = on_two(
        i.threads,
        || Namer::new(i.events, i.flows),
        || devices::devices(i.flows, i.events, i.local),
    );
    // A host behind a router is named by the router's lookups too.
    for d in &devs {
        let Some(router) = d.behind else { continue };
        let Some(r) = devs.iter().find(|r| r.key == DeviceKey::Mac(router)) else {
            continue;
        };
        let via: Vec<IpAddr> = r.addresses.iter().copied().collect();
        for a in &d.addresses {
            namer.resolve_through(*a, &via, Some(router));
        }
    }
    namer.settle(i.flows);
    let mut eps = endpoints::endpoints_named(i.flows, &namer, intel, i.local, None);
    // A registered country the capture's own round trips rule out is dropped (a CDN edge).
    endpoints::place_by_round_trips(&mut eps);
    let beacons = behaviour::beacons(i.flows, i.local, &namer, &i.thresholds);
    let long = behaviour::long_lived(i.flows, i.local, &namer, &i.thresholds);
    let start = i.first.unwrap_or(0);
    // Where each input begins (its first frame, 1-based, and that frame's time, else its
    // earliest flow's): "soon after the capture began" is measured from the file the flow is in.
    let mut starts: Vec<(u64, Nanos)> = i
        .files
        .iter()
        .filter(|f| f.frames > 0)
        .map(|f| (f.first_frame, f.first_ts.unwrap_or(Nanos::MAX)))
        .collect();
    for f in i.flows {
        let frame = f.first_frame + 1;
        let k = starts.partition_point(|s| s.0 <= frame);
        if let Some(s) = k.checked_sub(1).and_then(|k| starts.get_mut(k)) {
            s.1 = s.1.min(f.first);
        }
    }
    starts.retain(|s| s.1 != Nanos::MAX);
    let found = findings::findings(&findings::Input {
        flows: i.flows,
        events: i.events,
        devices: &devs,
        endpoints: &eps,
        beacons: &beacons,
        long_lived: &long,
        local: i.local,
        namer: &namer,
        intel,
        allow_countries: i.allow_countries,
        start,
        starts: &starts,
    });

    // TLS versions agreed per flow.
    let mut tls_of: HashMap<u64, &'static str> = HashMap::new();
    for e in i.events {
        if let Message::ServerHello(h) = &e.message {
            let v = if h.selected_version != 0 {
                h.selected_version
            } else {
                h.version
            };
            if let Some(n) = iotscope_proto::tls::version_name(v) {
                tls_of.insert(e.flow, n);
            }
        }
    }

    let mut by_device: BTreeMap<String, Vec<FindingReport>> = BTreeMap::new();
    let mut used: BTreeSet<FindingId> = BTreeSet::new();
    let mut counts = SeverityCounts::default();
    for f in found {
        used.insert(f.id);
        counts.add(f.severity);
        by_device
            .entry(f.device.clone())
            .or_default()
            .push(FindingReport {
                id: f.id,
                severity: f.severity,
                title: f.id.entry().title.to_string(),
                subject: f.subject,
                summary: f.summary,
                facts: f.facts,
                count: f.count,
                first: time(f.first),
                last: time(f.last),
                frames: f.frames,
            });
    }

    // Flows by the device that opened them, so each device reads only its own.
    // An address that passed between devices is told apart by the MAC (`Device::owns`).
    let mut dev_of: HashMap<IpAddr, Vec<usize>> = HashMap::new();
    for (k, d) in devs.iter().enumerate() {
        for a in &d.addresses {
            dev_of.entry(*a).or_default().push(k);
        }
    }
    let mut opened: Vec<Vec<&Flow>> = vec![Vec::new(); devs.len()];
    for f in i.flows {
        let ip = ip_of(&f.key.end(f.initiator).0);
        let mac = f.mac[f.initiator as usize];
        if let Some(ks) = dev_of.get(&ip) {
            let k = ks
                .iter()
                .find(|k| devs[**k].owns(ip, mac))
                .unwrap_or(&ks[0]);
            opened[*k].push(f);
        }
    }
    let jobs: Vec<_> = devs
        .iter()
        .zip(opened)
        .map(|(d, flows)| (d, by_device.remove(&d.id()).unwrap_or_default(), flows))
        .collect();
    let report = |(d, findings, flows): (&Device, Vec<FindingReport>, Vec<&Flow>)| {
        device_report(
            d,
            findings,
            &flows,
            &eps,
            (&beacons, &long),
            (&tls_of, &namer),
            start,
            i.baseline,
            i.local,
        )
    };
    // Each device's report is its own: the second half of them on a second thread, if any.
    let mut first = jobs;
    let second = first.split_off(first.len() / 2);
    let (mut reports, rest): (Vec<DeviceReport>, Vec<_>) = on_two(
        i.threads,
        || first.into_iter().map(report).collect(),
        || second.into_iter().map(report).collect(),
    );
    reports.extend(rest);
    // A device that is not known as a router but forwards the packets of hosts behind it onto
    // this network (a plug's setup access point routed to the LAN, a PC sharing its
    // connection): said in its verdict, since it makes a bridge into the network.
    let mut behind: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &reports {
        if let Some(m) = &r.behind {
            behind
                .entry(m.clone())
                .or_default()
                .extend(r.addresses.iter().cloned());
        }
    }
    for r in &mut reports {
        let Some(hosts) = r.mac.as_ref().and_then(|m| behind.get(m)) else {
            continue;
        };
        if r.kind == "router/ap" || hosts.is_empty() {
            continue;
        }
        r.verdict.text.push_str(&format!(
            " It forwards the traffic of {} onto this network, as a router does: whoever \
             reaches {} reaches the network through it.",
            and_list(
                &hosts
                    .iter()
                    .map(|a| format!("{a} (a host behind it)"))
                    .collect::<Vec<_>>(),
                3
            ),
            if hosts.len() == 1 {
                "that host"
            } else {
                "those hosts"
            }
        ));
    }
    same_hosts(&devs, &mut reports);
    // Drift findings are made with the device's report: counted here.
    for f in reports
        .iter()
        .flat_map(|d| &d.findings)
        .filter(|f| f.id == FindingId::Drift)
    {
        used.insert(f.id);
        counts.add(f.severity);
    }
    reports.sort_by(|a, b| {
        b.verdict
            .worst
            .cmp(&a.verdict.worst)
            .then(severity_weight(&b.findings).cmp(&severity_weight(&a.findings)))
            .then((b.bytes_up + b.bytes_down).cmp(&(a.bytes_up + a.bytes_down)))
    });
    let worst = reports
        .first()
        .filter(|d| d.verdict.worst.is_some_and(|w| w > Severity::Info));
    let (worst_device, worst_device_id) =
        (worst.map(|d| d.label.clone()), worst.map(|d| d.id.clone()));
    // The network summary counts what the devices' sections show: their endpoint rows, leaving
    // out, as their verdicts do, destinations that never answered (and hosts that are no device,
    // such as one that only received packets).
    let rows = reports
        .iter()
        .flat_map(|d| &d.endpoints)
        .filter(|e| e.answered());
    let endpoints_n = rows
        .clone()
        .flat_map(|e| &e.addresses)
        .collect::<BTreeSet<&String>>()
        .len();
    let tried = reports
        .iter()
        .map(|d| {
            let listed = d.endpoints.iter().filter(|e| e.tried()).count();
            listed + d.unlisted.as_ref().map_or(0, |u| u.tried() as usize)
        })
        .sum();
    let mut country_bytes: BTreeMap<String, u64> = BTreeMap::new();
    for a in rows.clone().flat_map(|e| &e.by_address) {
        if let Some(c) = &a.country {
            let n = country_bytes.entry(c.clone()).or_default();
            *n = n.saturating_add(a.bytes_up.saturating_add(a.bytes_down));
        }
    }
    let mut countries: Vec<(String, u64)> = country_bytes.into_iter().collect();
    countries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let destinations = rows
        .clone()
        .map(|e| e.name.as_str())
        .collect::<BTreeSet<&str>>()
        .len();
    let (mut enc, mut unrecognised, mut total) = (0u64, 0u64, 0u64);
    for e in rows {
        enc = enc.saturating_add(e.bytes_encrypted);
        unrecognised = unrecognised.saturating_add(e.bytes_unrecognised);
        total = total.saturating_add(e.bytes_up.saturating_add(e.bytes_down));
    }
    let (receive_only, receive_only_count) = receive_only(i.flows, i.local);
    let (outside, outside_tunnelled) = outside_flows(i.flows, i.local);
    Report {
        schema: "iotscope-report".into(),
        schema_version: SCHEMA_VERSION.into(),
        generator: format!("iotscope {}", env!("CARGO_PKG_VERSION")),
        redacted: false,
        inputs: i.files.clone(),
        network: Network {
            first: i.first.map(time),
            first_unix_s: i.first.map(|t| t as f64 / 1e9),
            last: i.last.map(time),
            duration_s: match (i.first, i.last) {
                (Some(a), Some(b)) => (b - a) as f64 / 1e9,
                _ => 0.0,
            },
            packets: i.packets,
            bytes: i.bytes,
            devices: reports.len(),
            iot_devices: devs.iter().filter(|d| is_iot(identify(d).kind)).count(),
            endpoints: endpoints_n,
            destinations,
            tried,
            flows: i.flows.len() as u64,
            outside_flows: outside,
            outside_tunnelled,
            receive_only,
            receive_only_count,
            countries: countries.into_iter().map(|c| c.0).collect(),
            encrypted_share: (total > 0).then(|| enc as f64 / total as f64),
            unrecognised_share: (total > 0).then(|| unrecognised as f64 / total as f64),
            findings: counts,
            worst_device,
            worst_device_id,
            malformed_frames: i.malformed.iter().map(|m| m.1).sum(),
            malformed_by_reason: {
                let mut v: Vec<Reason> = i
                    .malformed
                    .iter()
                    .map(|(reason, frames)| Reason {
                        reason: reason.clone(),
                        frames: *frames,
                    })
                    .collect();
                v.sort_by(|a, b| b.frames.cmp(&a.frames).then(a.reason.cmp(&b.reason)));
                v
            },
        },
        devices: reports,
        catalogue: CATALOGUE
            .iter()
            .filter(|e| used.contains(&e.id))
            .map(|e| CatalogueEntry {
                id: e.id,
                severity: e.severity,
                title: e.title.into(),
                explanation: e.explanation.into(),
                remedy: e.remedy.into(),
            })
            .collect(),
    }
}

/// Orders devices with equal worst severity: more high, then more medium... findings first.
fn severity_weight(f: &[FindingReport]) -> u64 {
    f.iter()
        .map(|x| match x.severity {
            Severity::High => 1_000_000,
            Severity::Medium => 1_000,
            Severity::Low => 1,
            Severity::Info => 0,
        })
        .sum()
}

#[allow(clippy::too_many_arguments)]
fn device_report(
    d: &Device,
    findings: Vec<FindingReport>,
    flows: &[&Flow],
    eps: &[Endpoint],
    (beacons, long): (&[Beacon], &[LongLived]),
    (tls_of, namer): (&HashMap<u64, &'static str>, &Namer),
    start: Nanos,
    base: Option<&Baseline>,
    local: &Local,
) -> DeviceReport {
    let mut findings = findings;
    let idn = identify(d);
    let mac = match d.key {
        DeviceKey::Mac(m) => Some(iotscope_packet::fmt_mac(&m)),
        DeviceKey::Ip(_) => None,
    };
    let names = d.names();
    let kind = idn.kind.name().to_string();
    let label = names.first().cloned().unwrap_or_else(|| {
        let v = d.vendor.clone().unwrap_or_else(|| "unknown vendor".into());
        if idn.kind == Kind::Unknown {
            format!("{v} device")
        } else {
            format!("{v} {kind}")
        }
    });
    // Endpoints of this device, grouped by destination name.
    let mut mine: Vec<&Endpoint> = eps.iter().filter(|e| d.owns(e.device, e.mac)).collect();
    // Past the first MAX_TRIED_LISTED, addresses with no answered flow and no name are counted,
    // not listed.
    let silent = |e: &Endpoint| e.named_by == NamedBy::None && e.unanswered >= e.flows;
    let mut unlisted = Unlisted::default();
    if mine.iter().filter(|e| silent(e)).count() > MAX_TRIED_LISTED {
        let mut listed = 0;
        mine.retain(|e| {
            if !silent(e) {
                return true;
            }
            listed += 1;
            if listed <= MAX_TRIED_LISTED {
                return true;
            }
            unlisted.destinations += 1;
            unlisted.inbound += u64::from(e.inbound >= e.flows);
            unlisted.flows += e.flows;
            unlisted.bytes_up += e.bytes_up;
            unlisted.bytes_down += e.bytes_down;
            false
        });
    }
    let mut rows: BTreeMap<String, EndpointReport> = BTreeMap::new();
    for e in &mine {
        let name = e.name.clone().unwrap_or_else(|| e.addr.to_string());
        let r = rows.entry(name.clone()).or_insert_with(|| EndpointReport {
            name: name.clone(),
            named_by: match e.named_by {
                NamedBy::Dns => "dns",
                NamedBy::Sni => "sni",
                NamedBy::Host => "host",
                NamedBy::None => "none",
            }
            .into(),
            cnames: e.cnames.clone(),
            addresses: Vec::new(),
            by_address: Vec::new(),
            org: e.place.org.clone(),
            asn: e.place.asn,
            cloud: e.cloud(),
            region: e.place.region.clone(),
            cdn: e.cdn(),
            country: e.place.country.clone(),
            anycast: e.place.anycast,
            nearer_than: e.location.as_ref().and_then(|l| l.registered.clone()),
            services: Vec::new(),
            tls: Vec::new(),
            encrypted: false,
            bytes_encrypted: 0,
            bytes_unrecognised: 0,
            inbound: 0,
            unanswered: 0,
            periodic: None,
            flows: 0,
            bytes_up: 0,
            bytes_down: 0,
            first: time(e.first),
            last: time(e.last),
        });
        r.addresses.push(e.addr.to_string());
        r.by_address.push(AddressShare {
            address: e.addr.to_string(),
            org: e.place.org.clone(),
            country: e.place.country.clone(),
            bytes_up: e.bytes_up,
            bytes_down: e.bytes_down,
        });
        for s in &e.services {
            if !r.services.contains(s) {
                r.services.push(s.clone());
            }
        }
        r.flows += e.flows;
        r.inbound += e.inbound;
        r.unanswered += e.unanswered;
        r.bytes_up += e.bytes_up;
        r.bytes_down += e.bytes_down;
        r.bytes_encrypted += e.bytes_encrypted;
        r.bytes_unrecognised += e.bytes_unrecognised;
        let (f, l) = (time(e.first), time(e.last));
        if f < r.first {
            r.first = f;
        }
        if l > r.last {
            r.last = l;
        }
    }
    // Encryption and TLS versions from the flows themselves.
    let mut timeline_all: Vec<(Nanos, Nanos, String, u64, bool)> = Vec::new();
    // Each address's busiest name (`mine` comes busiest first), where the flows that named
    // nothing were counted.
    let mut namer_rows: BTreeMap<IpAddr, String> = BTreeMap::new();
    for e in &mine {
        namer_rows
            .entry(e.addr)
            .or_insert_with(|| e.name.clone().unwrap_or_else(|| e.addr.to_string()));
    }
    for f in flows {
        let s = ip_of(&f.key.end(f.initiator.other()).0);
        let Some(by_address) = namer_rows.get(&s) else {
            continue;
        };
        // The flow's own name when it is one of the rows, else its address's.
        let name = match namer.of_flow(f).map(|n| n.name) {
            Some(n) if rows.contains_key(n) => n.to_string(),
            _ => by_address.clone(),
        };
        let name = &name;
        let enc = f.encrypted() == Some(true);
        if let Some(r) = rows.get_mut(name) {
            if let Some(v) = tls_of.get(&f.id()) {
                if !r.tls.iter().any(|x| x == v) {
                    r.tls.push(v.to_string());
                }
            }
        }
        timeline_all.push((f.first, f.last, name.clone(), f.bytes(), enc));
    }
    // Of several rhythms to one name, the one with the most beats (the first of equals), as
    // the periodic finding's summary tells it.
    let mut strongest: HashMap<&str, usize> = HashMap::new();
    for b in beacons.iter().filter(|b| d.owns(b.device, b.mac)) {
        let beats = strongest.entry(b.destination.name.as_str()).or_insert(0);
        if b.beats > *beats {
            *beats = b.beats;
            if let Some(r) = rows.get_mut(&b.destination.name) {
                r.periodic = Some(b.every());
            }
        }
    }
    for r in rows.values_mut() {
        r.encrypted = r.bytes_encrypted > 0 && r.bytes_encrypted == r.bytes_up + r.bytes_down;
    }
    let mut endpoints: Vec<EndpointReport> = rows.into_values().collect();
    endpoints.sort_by(|a, b| {
        (b.bytes_up + b.bytes_down)
            .cmp(&(a.bytes_up + a.bytes_down))
            .then(a.name.cmp(&b.name))
    });
    // The busiest destinations get their own lane; the rest share one.
    let lanes: BTreeSet<&str> = endpoints
        .iter()
        .take(TIMELINE_LANES)
        .map(|e| e.name.as_str())
        .collect();
    timeline_all.sort_by_key(|t| t.0);
    let step = timeline_all.len().div_ceil(MAX_TIMELINE).max(1);
    let timeline = timeline_all
        .iter()
        .step_by(step)
        .map(|(a, b, name, by, enc)| Connection {
            start_s: (a - start) as f64 / 1e9,
            duration_s: (b - a) as f64 / 1e9,
            destination: if lanes.contains(name.as_str()) {
                name.clone()
            } else {
                "other".into()
            },
            bytes: *by,
            encrypted: *enc,
        })
        .collect();
    if let Some(base) = base {
        // The first frame of a destination, for the evidence.
        let frame_of = |name: &str| {
            mine.iter()
                .filter(|e| {
                    e.name
                        .as_deref()
                        .map_or_else(|| e.addr.to_string() == name, |n| n == name)
                })
                .map(|e| e.frame)
                .min()
        };
        if let Some(f) = baseline::drift(
            base,
            &d.id(),
            &endpoints,
            &findings,
            &frame_of,
            d.packets_up == 0 && flows.is_empty(),
            &time(d.first),
            &time(d.last),
        ) {
            // Most severe first, the new one after its equals.
            let at = findings.partition_point(|x| x.severity >= f.severity);
            findings.insert(at, f);
        }
    }
    let verdict = verdict(
        d,
        &findings,
        &endpoints,
        unlisted.tried() as usize,
        long,
        &local_talk(flows, local),
        flows.iter().filter(|f| f.opens_exchange()).count(),
    );
    DeviceReport {
        id: d.id(),
        label,
        mac,
        vendor: d.vendor.clone(),
        randomised_mac: d.randomised,
        behind: d.behind.map(|m| iotscope_packet::fmt_mac(&m)),
        same_host: Vec::new(),
        addresses: d.addresses.iter().map(|a| a.to_string()).collect(),
        names,
        kind,
        confidence: idn
            .confidence
            .map(|c| format!("{c:?}").to_ascii_lowercase()),
        because: idn.because,
        evidence: d
            .claims
            .iter()
            .take(MAX_EVIDENCE)
            .map(|c| format!("{}={} (frame {})", c.kind, c.value, c.frame))
            .collect(),
        first: time(d.first),
        last: time(d.last),
        packets_up: d.packets_up,
        bytes_up: d.bytes_up,
        packets_down: d.packets_down,
        bytes_down: d.bytes_down,
        flows: d.flows,
        verdict,
        findings,
        endpoints,
        unlisted: (unlisted.destinations > 0).then_some(unlisted),
        timeline,
    }
}

/// Who holds the addresses of a no-dns finding, for a sentence: its subject is the
/// organisation, or "unknown network" when the offline tables name none.
fn no_dns_holder(subject: &str) -> String {
    if subject == "unknown network" {
        "networks of unknown owner".into()
    } else {
        subject.to_string()
    }
}

/// [`and_list`] of the first of `total` items, `v` (at least `max` of them when there are more).
fn and_more(v: &[String], total: usize, max: usize) -> String {
    if total <= v.len() {
        return and_list(v, max);
    }
    let shown = (max - 1).min(v.len());
    format!("{} and {} more", v[..shown].join(", "), total - shown)
}

/// "a, b and c"; beyond `max` items, "a, b, c and N more".
fn and_list(v: &[String], max: usize) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        n if n <= max => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
        n => format!("{} and {} more", v[..max - 1].join(", "), n - (max - 1)),
    }
}

/// Kinds of weakness listed in a verdict before "and more".
const MAX_WEAKNESSES: usize = 6;
/// Phrases of one kind of weakness in a verdict before "N more such findings below".
const MAX_PHRASES: usize = 4;

/// The verdict's list of weaknesses: one phrase per kind of finding (low and above), the
/// subjects of the same kind joined ("plain HTTP to a, b and c").
/// Subjects that name one host by several addresses ("garden-cam (10.97.0.112)",
/// "garden-cam (fe80::c256:e3ff:fe97:20)") said once: "garden-cam (10.97.0.112,
/// fe80::c256:e3ff:fe97:20)". Others as they are, in their order.
fn one_per_host<'s>(subjects: impl Iterator<Item = &'s str>) -> Vec<String> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for s in subjects {
        match s.strip_suffix(')').and_then(|x| x.rsplit_once(" (")) {
            Some((name, addr)) if addr.parse::<IpAddr>().is_ok() => {
                match out.iter_mut().find(|(n, a)| n == name && !a.is_empty()) {
                    Some((_, a)) => a.push(addr),
                    None => out.push((name.to_string(), vec![addr])),
                }
            }
            _ => out.push((s.to_string(), Vec::new())),
        }
    }
    out.into_iter()
        .map(|(n, a)| {
            if a.is_empty() {
                n
            } else {
                format!("{n} ({})", a.join(", "))
            }
        })
        .collect()
}

fn weaknesses(findings: &[&FindingReport]) -> Vec<String> {
    // A service the device offers in an unsafe protocol ("offers tftp on udp/69") is said once:
    // its exposed-service finding ("udp/69 tftp") would say it again.
    let unsafe_ports: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f.id == FindingId::UnsafeProtocol && f.subject.starts_with("offers "))
        .filter_map(|f| f.subject.rsplit(' ').next())
        .collect();
    // (Open to the internet, it is said: that is news the other does not tell.)
    let said_twice = |f: &FindingReport| {
        f.id == FindingId::ExposedService
            && f.severity < Severity::High
            && f.subject
                .split(' ')
                .next()
                .is_some_and(|p| unsafe_ports.contains(p))
    };
    let mut kinds: Vec<FindingId> = Vec::new();
    for f in findings.iter().filter(|f| f.severity >= Severity::Low) {
        if !kinds.contains(&f.id) {
            kinds.push(f.id);
        }
    }
    let mut out = Vec::new();
    for id in kinds.iter().take(MAX_WEAKNESSES) {
        let same: Vec<&FindingReport> = findings
            .iter()
            .filter(|f| f.id == *id && f.severity >= Severity::Low)
            .copied()
            .collect();
        let subjects = || and_list(&one_per_host(same.iter().map(|f| f.subject.as_str())), 4);
        let phrase = match id {
            FindingId::CleartextHttp => {
                // Media sent in clear to the internet is what the owner must hear first.
                let (media, plain): (Vec<&FindingReport>, Vec<&FindingReport>) = same
                    .iter()
                    .partition(|f| !fact_of(f, findings::MEDIA_IN_CLEAR).is_empty());
                let list = |v: &[&FindingReport]| {
                    and_list(&one_per_host(v.iter().map(|f| f.subject.as_str())), 4)
                };
                let mut what: Vec<String> = media
                    .iter()
                    .flat_map(|f| fact_of(f, findings::MEDIA_IN_CLEAR).split(", "))
                    .map(str::to_string)
                    .collect();
                what.sort_unstable();
                what.dedup();
                Some(match (media.is_empty(), plain.is_empty()) {
                    (true, _) => format!("it talks plain HTTP to {}", subjects()),
                    (false, true) => format!(
                        "it sends {} unencrypted to {}",
                        and_list(&what, 3),
                        list(&media)
                    ),
                    (false, false) => format!(
                        "it sends {} unencrypted to {}; it talks plain HTTP to {}",
                        and_list(&what, 3),
                        list(&media),
                        list(&plain)
                    ),
                })
            }
            // The organisations last: their names may end in a full stop ("Co.,Ltd.").
            FindingId::NoDns => Some(format!(
                "it contacts addresses it never looked up, held by {}",
                and_list(
                    &same
                        .iter()
                        .map(|f| no_dns_holder(&f.subject))
                        .collect::<Vec<_>>(),
                    4,
                )
            )),
            FindingId::Country => Some(format!("it talks to servers in {}", subjects())),
            // One server with a short list of problems: they are said; otherwise the names.
            FindingId::TlsWeak => Some(match same.as_slice() {
                [f] if f
                    .facts
                    .iter()
                    .any(|x| x.label == "problems" && x.value.len() <= MAX_PROBLEMS_SAID) =>
                {
                    weakness(f)
                }
                _ => format!("TLS problems with {}", subjects()),
            }),
            // A proxy that strangers on the internet use: what it relays, not what it offers.
            FindingId::ExposedService if same.iter().all(|f| relays(f)) => Some(format!(
                "it relays connections from the internet to other hosts ({})",
                same.iter()
                    .map(|f| format!("{}: {}", f.subject, fact_of(f, "reached through it")))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            FindingId::ExposedService => {
                let left: Vec<&&FindingReport> = same.iter().filter(|f| !said_twice(f)).collect();
                Some(exposed(
                    &left.iter().map(|f| f.subject.clone()).collect::<Vec<_>>(),
                    left.iter().any(|f| f.severity == Severity::High),
                ))
                .filter(|_| !left.is_empty())
            }
            _ => None,
        };
        // Passwords guessed at one of its services: said first, with who and how it ended.
        for f in &same {
            if let Some(g) = f.facts.iter().find(|x| x.label == "password guessing") {
                // "tcp/21 ftp" for a service it offers; the protocol for its logins.
                let what = match f.facts.iter().find(|x| x.label == "protocol") {
                    Some(p) => p.value.to_uppercase(),
                    None => f.subject.clone(),
                };
                let phrase = format!("someone guessed at its {what} passwords ({})", g.value);
                if !out.contains(&phrase) {
                    out.push(phrase);
                }
            }
        }
        match phrase {
            Some(p) => out.push(p),
            // Every service it exposes is said by its unsafe-protocol finding.
            None if *id == FindingId::ExposedService => {}
            None => {
                // One phrase per distinct weakness: logins to two servers read the same. The
                // servers of one unsafe protocol are listed in one phrase.
                let mut mine: Vec<String> = Vec::new();
                let mut servers: Vec<(&str, Vec<String>)> = Vec::new();
                for f in &same {
                    let uses = (f.id == FindingId::UnsafeProtocol)
                        .then(|| f.subject.strip_prefix("uses "))
                        .flatten()
                        .and_then(|r| r.split_once(" to "));
                    match uses {
                        Some((p, server)) => match servers.iter_mut().find(|(q, _)| *q == p) {
                            Some((_, v)) => v.push(server.to_string()),
                            None => servers.push((p, vec![server.to_string()])),
                        },
                        None => {
                            let w = weakness(f);
                            if !mine.contains(&w) {
                                mine.push(w);
                            }
                        }
                    }
                }
                for (p, v) in servers {
                    mine.push(format!(
                        "it talks {} in clear to {}",
                        protocol_shown(p),
                        and_list(&one_per_host(v.iter().map(String::as_str)), 4)
                    ));
                }
                // A kind that makes many phrases is cut short: the findings list them all.
                if mine.len() > MAX_PHRASES {
                    let more = mine.len() - (MAX_PHRASES - 1);
                    mine.truncate(MAX_PHRASES - 1);
                    mine.push(format!("{more} more such findings below"));
                }
                out.extend(mine);
            }
        }
    }
    if kinds.len() > MAX_WEAKNESSES {
        out.push(format!(
            "{} more kinds of finding below",
            kinds.len() - MAX_WEAKNESSES
        ));
    }
    out
}

/// Longest list of TLS problems a verdict repeats (a self-signed certificate and its name fit;
/// several problems are left to the finding).
const MAX_PROBLEMS_SAID: usize = 80;

/// "it accepts tcp/80 http connections and answers udp/123 ntp requests from the local
/// network": TCP services are connected to, UDP services answer requests.
fn exposed(services: &[String], internet: bool) -> String {
    let (udp, tcp): (Vec<String>, Vec<String>) = services
        .iter()
        .cloned()
        .partition(|s| s.starts_with("udp/"));
    let mut parts = Vec::new();
    if !tcp.is_empty() {
        parts.push(format!("it accepts {} connections", and_list(&tcp, 4)));
    }
    if !udp.is_empty() {
        let verb = if tcp.is_empty() {
            "it answers"
        } else {
            "answers"
        };
        parts.push(format!("{verb} {} requests", and_list(&udp, 4)));
    }
    let from = if internet {
        "the internet"
    } else {
        "the local network"
    };
    format!("{} from {from}", parts.join(" and "))
}

/// A finding that says what an infected device does rather than what it lacks: scanning other
/// hosts, fetching a program over plain HTTP from a bare internet address (both high), guessing
/// another host's passwords, relaying strangers' connections.
fn compromise_sign(f: &FindingReport) -> bool {
    matches!(
        f.id,
        FindingId::Scan | FindingId::Flood | FindingId::ProgramDownload
    ) && f.severity == Severity::High
        || f.id == FindingId::CleartextCredentials && !fact_of(f, "guessing").is_empty()
        || relays(f)
}

/// A channel an infected device is commanded through: a steady heartbeat to an address it
/// never looked up in a protocol nothing reads (the periodic findings raised above info), or
/// IRC, the command channel of many IoT bots.
fn command_channel(f: &FindingReport) -> bool {
    f.id == FindingId::Periodic && f.severity >= Severity::Low
        || f.id == FindingId::UnsafeProtocol && f.subject.starts_with("uses irc ")
}

/// A proxy service that clients on the internet used to reach other hosts: what
/// residential-proxy malware makes of a camera or a router.
fn relays(f: &FindingReport) -> bool {
    f.id == FindingId::ExposedService
        && !fact_of(f, "clients on the internet").is_empty()
        && !fact_of(f, "reached through it").is_empty()
}

/// The value of fact `label` of `f` ("" without it).
fn fact_of<'a>(f: &'a FindingReport, label: &str) -> &'a str {
    f.facts
        .iter()
        .find(|x| x.label == label)
        .map_or("", |x| x.value.as_str())
}

/// A protocol's label as written in a sentence: telnet as is, the others as their makers
/// write them (CoAP, Modbus, BACnet...) or in capitals (IRC, MQTT, FTP).
fn protocol_shown(p: &str) -> String {
    match p {
        "telnet" => p.into(),
        "coap" => "CoAP".into(),
        "modbus" => "Modbus".into(),
        "bacnet" => "BACnet".into(),
        "s7comm" => "S7comm".into(),
        "enip" => "EtherNet/IP".into(),
        "iec104" => "IEC 104".into(),
        _ => p.to_uppercase(),
    }
}

/// An application's label as a sentence names it: the protocols of discovery by their usual
/// names, a vendor's protocol by its vendor, the others as [`protocol_shown`] writes them.
fn app_spoken(label: &str) -> String {
    match label {
        "mdns" => "mDNS".into(),
        "nbns" => "the NetBIOS name service".into(),
        "netbios" => "NetBIOS".into(),
        "wsd" => "WS-Discovery".into(),
        "tuya" => "Tuya's local protocol".into(),
        "tplink" => "TP-Link's Kasa protocol".into(),
        "ftp-data" => "FTP data".into(),
        "syslog" => "syslog".into(),
        "ubnt-discovery" => "Ubiquiti's discovery protocol".into(),
        "kalay" => "Kalay (ThroughTek's P2P)".into(),
        "wireguard" => "WireGuard".into(),
        "openvpn" => "OpenVPN".into(),
        "ipsec" => "IPsec".into(),
        "dnscrypt" => "DNSCrypt".into(),
        "kerberos" => "Kerberos".into(),
        "matter" => "Matter".into(),
        "dhcpv6" => "DHCPv6".into(),
        // "tls/http", "udp/5678": layered labels and ports are read as they are written.
        l if l.contains('/') => l
            .to_uppercase()
            .replace("UDP/", "udp/")
            .replace("TCP/", "tcp/"),
        l => protocol_shown(l),
    }
}

/// A phrase for a weakness, to list in the verdict.
fn weakness(f: &FindingReport) -> String {
    let fact = |l: &str| fact_of(f, l).to_string();
    match f.id {
        FindingId::CleartextCredentials => {
            // Protocol names are read letter by letter, except telnet.
            let p = fact("protocol");
            // SNMP v1 and v2c have no user: the community string is the password.
            if p == "snmp" {
                return "it sends an SNMP community (a password) in clear".into();
            }
            let (article, name) = match p.as_str() {
                "telnet" => ("a", p.clone()),
                "socks" => ("a", "SOCKS".to_string()),
                _ => {
                    let name = p.to_uppercase();
                    // F, H, I, M, S (and A, E, L, N, O, R, X) start with a vowel sound.
                    let vowel = name
                        .starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X']);
                    (if vowel { "an" } else { "a" }, name)
                }
            };
            if !fact("guessing").is_empty() {
                return format!(
                    "it guesses {name} passwords on {} ({}; users {})",
                    f.subject.split(" to ").nth(1).unwrap_or(&f.subject),
                    fact("guessing"),
                    fact("user")
                );
            }
            let how = if fact("password") == findings::DIGEST {
                "whose password goes as a digest anyone on the path can replay"
            } else {
                "in clear"
            };
            match fact("user").as_str() {
                "" => format!("it sends {article} {name} login {how}"),
                user => format!("it sends {article} {name} login {how} (user {user})"),
            }
        }
        // "uses irc to X" reads "it talks IRC in clear to X"; "offers telnet on tcp/23",
        // "it offers telnet in clear on tcp/23".
        FindingId::UnsafeProtocol => {
            let mut w = f.subject.splitn(3, ' ');
            match (w.next(), w.next(), w.next()) {
                (Some("uses"), Some(p), Some(rest)) => {
                    format!("it talks {} in clear {rest}", protocol_shown(p))
                }
                (Some("offers"), Some(p), Some(rest)) => {
                    format!("it offers {} in clear {rest}", protocol_shown(p))
                }
                _ => format!("it {}", f.subject),
            }
        }
        FindingId::Scan => format!("it scans {}", f.summary),
        FindingId::Flood => format!("it sends a {} ({})", f.subject, fact("rate")),
        FindingId::ProgramDownload => format!(
            "it downloads {} over plain HTTP from {}",
            match fact("program").as_str() {
                "script" => "a script".to_string(),
                p if p.contains(',') => "programs".to_string(),
                // "an ELF executable", "a Java class", "a gzip-compressed script".
                p if p.starts_with(['E', 'e']) => format!("an {p}"),
                p => format!("a {p}"),
            },
            f.subject
        ),
        FindingId::ExposedService => exposed(
            std::slice::from_ref(&f.subject),
            f.severity == Severity::High,
        ),
        FindingId::Upnp => match f.subject.as_str() {
            "port mapping" => {
                let p = fact("protocol");
                let p = if p.is_empty() { "UPnP".to_string() } else { p };
                format!("it asks the router to open ports to it ({p})")
            }
            "announces" => "it announces itself over UPnP".into(),
            "grants port mappings" => format!(
                "it opens ports from the internet to any device that asks ({})",
                fact("protocol")
            ),
            _ => "it looks for a UPnP router".into(),
        },
        FindingId::CleartextHttp => format!("it talks plain HTTP to {}", f.subject),
        FindingId::TlsWeak => format!("TLS problems with {}: {}", f.subject, fact("problems")),
        // A server known only by its name's shape is one the device contacted, not a resolver
        // it is known to use.
        FindingId::EncryptedDns if !fact("known by").is_empty() => format!(
            "it contacts {}, whose name is shaped like an encrypted-DNS resolver's",
            f.subject
        ),
        FindingId::EncryptedDns => {
            format!(
                "it resolves names with {}, around the network's resolver",
                f.subject
            )
        }
        FindingId::DnsBypass => format!(
            "it sends DNS to {} instead of the network's resolver",
            f.subject
        ),
        FindingId::ForgedDns => format!(
            "it {} to its neighbours' lookups, an address it does not hold (DNS spoofing)",
            f.subject
        ),
        FindingId::NoDns => format!(
            "it contacts addresses it never looked up, held by {}",
            no_dns_holder(&f.subject)
        ),
        FindingId::Country => format!("it talks to servers in {}", f.subject),
        FindingId::Firmware => {
            let size = fact("size");
            let size = if size.is_empty() {
                fact("downloaded")
            } else {
                size
            };
            // "tls/http" is HTTPS to a reader; a layered label otherwise in capitals.
            let over = match fact("over").as_str() {
                "tls/http" => "HTTPS".to_string(),
                "plain HTTP" => "plain HTTP".to_string(),
                o => app_spoken(o),
            };
            // Over TLS, what made it worth telling: a certificate that proves nothing.
            let unproven = if fact("certificate").is_empty() {
                ""
            } else {
                " whose certificate proves nothing"
            };
            format!(
                "it downloads a {} binary over {over} from {}{unproven}",
                size.split(" announced").next().unwrap_or(""),
                f.subject
            )
        }
        FindingId::Upload => format!("it uploads {} to {}", fact("up"), f.subject),
        FindingId::Tunnel => {
            let kind = fact("tunnel");
            let article = if kind.starts_with("IP") { "an" } else { "a" };
            // The subject is "KIND to|from PEER"; a kind may be several words.
            let far = f
                .subject
                .strip_prefix(kind.as_str())
                .map_or("", str::trim_start);
            format!("it carries traffic in {article} {kind} tunnel {far}")
        }
        FindingId::Drift if f.subject == "new device" => {
            "It is new since the baseline report.".to_string()
        }
        FindingId::Drift => {
            let mut parts: Vec<String> = Vec::new();
            let countries = fact("new countries");
            if !countries.is_empty() {
                let one = !countries.contains(',');
                parts.push(format!(
                    "{} {countries}",
                    if one {
                        "a new country,"
                    } else {
                        "new countries,"
                    }
                ));
            }
            for (label, shown) in [
                ("no longer all encrypted", "in clear, once encrypted:"),
                ("new destinations", "new destinations:"),
                ("new services", "new services:"),
                ("new findings", "new findings:"),
            ] {
                let v = fact(label);
                if !v.is_empty() {
                    parts.push(format!("{shown} {v}"));
                }
            }
            format!("Since the baseline report: {}.", parts.join("; "))
        }
        // (Only a beat that stands out is more than a note: see the finding.)
        FindingId::Periodic => {
            let every = match fact("period") {
                p if p.is_empty() => String::new(),
                p => format!(" every {p}"),
            };
            format!(
                "it sends a steady heartbeat{every} to {}, an address it never looked up, in a \
                 protocol iotscope cannot read",
                f.subject
            )
        }
        FindingId::Vpn => {
            let kind = fact("vpn");
            let far = f
                .subject
                .strip_prefix(kind.as_str())
                .map_or("", str::trim_start);
            format!("it keeps an encrypted {kind} tunnel {far}, whose traffic cannot be seen")
        }
        _ => f.title.to_lowercase(),
    }
}

/// Local addresses that got data from the internet on two flows or more (one can be the tail of
/// a connection that ended as the capture began) and sent nothing at all: up to three of them,
/// and how many. Tunnels' insides are left out: their far ends are another network's.
fn receive_only(flows: &[Flow], local: &Local) -> (Vec<String>, u64) {
    let mut sent: HashSet<IpAddr> = HashSet::new();
    let mut got: BTreeMap<IpAddr, u32> = BTreeMap::new();
    for f in flows.iter().filter(|f| f.depth == 0) {
        for side in [Side::A, Side::B] {
            let ip = ip_of(&f.key.end(side).0);
            if f.from(side).packets > 0 {
                sent.insert(ip);
                continue;
            }
            let other = ip_of(&f.key.end(side.other()).0);
            // A server closing or resetting a connection opened before the capture began
            // (its FINs, alerts and resets retried): the host left the network, a phone went
            // to sleep; the capture may hold both directions all the same.
            let theirs = f.tcp_flags[side.other() as usize];
            let closing = f.key.proto == 6
                && theirs & (tcp_flags::FIN | tcp_flags::RST) != 0
                && theirs & tcp_flags::SYN == 0;
            if f.from(side.other()).payload_bytes > 0
                && !closing
                && local.contains(&ip)
                && !(ip.is_multicast()
                    || ip.is_unspecified()
                    || ip.is_loopback()
                    || devices::is_broadcast(&ip))
                && !local.contains(&other)
            {
                *got.entry(ip).or_default() += 1;
            }
        }
    }
    let only: Vec<IpAddr> = got
        .into_iter()
        .filter(|(a, n)| *n >= 2 && !sent.contains(a))
        .map(|(a, _)| a)
        .collect();
    (
        only.iter()
            .take(3)
            .map(|a| a.to_string())
            .collect::<Vec<_>>(),
        only.len() as u64,
    )
}

/// Flows with no host of this network at either end, and how many of them are inside tunnels.
fn outside_flows(flows: &[Flow], local: &Local) -> (u64, u64) {
    flows
        .iter()
        .filter(|f| {
            let [a, b] = [Side::A, Side::B].map(|s| ip_of(&f.key.end(s).0));
            let outside = |x: &IpAddr| {
                !(local.contains(x)
                    || x.is_loopback()
                    || x.is_unspecified()
                    || x.is_multicast()
                    || devices::is_broadcast(x))
            };
            outside(&a) && outside(&b)
        })
        .fold((0u64, 0u64), |(n, t), f| {
            (n + 1, t + u64::from(f.depth > 0))
        })
}

/// What a device says on the local network, from the flows it opened there: "mdns (multicast)",
/// "tuya (broadcast)", "http". Unlabelled traffic is named by its port; ICMP, IGMP, DNS, DHCP and
/// NTP are left out.
fn local_talk(flows: &[&Flow], local: &Local) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in flows {
        // Plumbing every host does (ICMP, IGMP, DNS, DHCP, NTP) says nothing about the device.
        if !matches!(f.key.proto, 6 | 17)
            || matches!(f.app.app, App::Dns | App::Dhcp | App::Dhcpv6 | App::Ntp)
        {
            continue;
        }
        // A TCP connection nobody accepted used nothing (multicast and broadcast UDP never get
        // an answer on their own flow, so UDP is not held to it).
        if f.key.proto == 6 && !endpoints::answered(f) {
            continue;
        }
        let s = ip_of(&f.key.end(f.initiator.other()).0);
        let scope = match s {
            a if devices::is_broadcast(&a) => " (broadcast)",
            a if a.is_multicast() => " (multicast)",
            a if local.contains(&a) => "",
            _ => continue,
        };
        let what = match f.app.app {
            App::Unknown if f.key.ports_known => format!(
                "{}/{}",
                endpoints::proto_name(f.key.proto),
                f.key.end(f.initiator.other()).1
            ),
            App::Unknown => endpoints::proto_name(f.key.proto).to_string(),
            _ => app_spoken(&f.app.display()),
        };
        // "ssdp (multicast)" already says it uses ssdp: a unicast answer adds nothing, and a
        // group use found after a unicast one takes its place, whichever came first.
        let item = format!("{what}{scope}");
        match out
            .iter()
            .position(|x| x == &item || x.split(" (").next() == Some(what.as_str()))
        {
            Some(k) if !scope.is_empty() && out[k] == what => out[k] = item,
            Some(_) => {}
            None => out.push(item),
        }
    }
    out
}

/// Devices that are one host with several network interfaces (a computer on Wi-Fi and on a
/// cable, a Mac sharing its connection through a bridge of its own): mDNS keeps a host name
/// unique on a link, so two MACs whose addresses are bound to one `.local` name are one host.
/// Each device's report names the others, and its verdict says so. `reports` are in the order
/// of `devs`.
fn same_hosts(devs: &[Device], reports: &mut [DeviceReport]) {
    // By the name in lower case: the name as first announced, and the devices.
    let mut by_name: BTreeMap<String, (&str, BTreeSet<usize>)> = BTreeMap::new();
    for (k, d) in devs.iter().enumerate() {
        if !matches!(d.key, DeviceKey::Mac(_)) {
            continue;
        }
        for c in d.claims.iter().filter(|c| c.kind == "mdns-name") {
            let shown = c.value.trim_end_matches('.');
            let name = shown.to_ascii_lowercase();
            if name.ends_with(".local") {
                by_name
                    .entry(name)
                    .or_insert((shown, BTreeSet::new()))
                    .1
                    .insert(k);
            }
        }
    }
    for (shown, group) in by_name.values().filter(|(_, g)| g.len() > 1) {
        let who: Vec<(String, String, String)> = group
            .iter()
            .map(|&k| {
                let r = &reports[k];
                let mac = r.mac.clone().unwrap_or_default();
                (r.id.clone(), format!("{} ({mac})", r.label), r.kind.clone())
            })
            .collect();
        // mDNS keeps a name unique at one moment: devices that bore it at different times are
        // a device that replaced another, or a phone's new private MAC, not one host.
        let overlap =
            |a: usize, b: usize| devs[a].first <= devs[b].last && devs[b].first <= devs[a].last;
        for &k in group {
            let r = &mut reports[k];
            let others: Vec<&(String, String, String)> = group
                .iter()
                .zip(&who)
                .filter(|(&j, _)| j != k && overlap(j, k))
                .map(|(_, w)| w)
                .collect();
            if others.is_empty() {
                continue;
            }
            for (id, _, _) in &others {
                if !r.same_host.contains(id) {
                    r.same_host.push(id.clone());
                }
            }
            let names: Vec<String> = others.iter().map(|(_, n, _)| n.clone()).collect();
            // A router that is another interface of a computer is that computer sharing its
            // connection.
            let sharing =
                r.kind == "router/ap" && others.iter().any(|(_, _, kind)| kind == "computer");
            let all = if others.len() == 1 { "both" } else { "all" };
            r.verdict.text.push_str(&format!(
                " It is the same host as {}, through another network interface: {all} announce \
                 {shown} over mDNS{}.",
                and_list(&names, 3),
                if sharing {
                    ", so the computer is what routes this network (it shares its connection)"
                } else {
                    ""
                }
            ));
        }
    }
}

/// Items of the verdict's local-network sentence before "and N more".
const MAX_LOCAL_TALK: usize = 6;

fn verdict(
    d: &Device,
    findings: &[FindingReport],
    endpoints: &[EndpointReport],
    unlisted: usize,
    long: &[LongLived],
    local: &[String],
    opened: usize,
) -> Verdict {
    // A change since the baseline is told apart: it is no risk of its own, and the finding's
    // severity says how much it weighs.
    let (drift, findings): (Vec<&FindingReport>, Vec<&FindingReport>) =
        findings.iter().partition(|f| f.id == FindingId::Drift);
    let worst = findings.iter().map(|f| f.severity).max();
    let rating = match worst {
        _ if findings.iter().any(|f| compromise_sign(f)) => "likely compromised",
        Some(Severity::High) => "at risk",
        Some(Severity::Medium) => "needs attention",
        Some(Severity::Low) => "mostly fine",
        _ => "behaves well",
    };
    let mut s: Vec<String> = Vec::new();
    s.push(format!("{}{}.", rating[..1].to_uppercase(), &rating[1..]));
    // Direction.
    let inbound: Vec<&FindingReport> = findings
        .iter()
        .filter(|f| f.id == FindingId::ExposedService)
        .copied()
        .collect();
    // Internet hosts that reached it without a service it offers (an answer to a connection
    // it made, seen from the middle): not "only outbound", though nothing it listens on.
    let reached_by = endpoints.iter().any(|e| e.inbound > 0);
    // The services it accepts are named here unless the weaknesses below name them.
    let named_below = inbound.iter().any(|f| f.severity >= Severity::Low);
    let outbound = if inbound.is_empty() && opened == 0 {
        "It opened no connections of its own".to_string()
    } else if inbound.is_empty() && reached_by {
        "It makes outbound connections".to_string()
    } else if inbound.is_empty() {
        "It only makes outbound connections".to_string()
    } else if inbound.iter().any(|f| f.severity == Severity::High) {
        "It accepts connections from the internet".to_string()
    } else if named_below {
        "It accepts connections from the local network".to_string()
    } else {
        let services: Vec<&str> = inbound.iter().map(|f| f.subject.as_str()).collect();
        format!(
            "It accepts connections from the local network ({})",
            services.join(", ")
        )
    };
    // Where it goes: the destinations that answered; the ones that never did were only tried
    // (hosts that knocked on the device in vain were not tried by it).
    let reached: Vec<&EndpointReport> = endpoints.iter().filter(|e| e.answered()).collect();
    let tried: Vec<&EndpointReport> = endpoints.iter().filter(|e| e.tried()).collect();
    let tried_names = || {
        let names: Vec<String> = tried.iter().take(4).map(|e| e.name.clone()).collect();
        and_more(&names, tried.len() + unlisted, 4)
    };
    let endpoints = &reached[..];
    let total: u64 = endpoints
        .iter()
        .map(|e| e.bytes_up.saturating_add(e.bytes_down))
        .fold(0, u64::saturating_add);
    if endpoints.is_empty() && !tried.is_empty() {
        s.push(format!(
            "{outbound}; it tried to reach {} on the internet, and no answer is in the capture.",
            tried_names()
        ));
    } else if endpoints.is_empty() {
        s.push(format!(
            "{outbound}; none of its traffic went to the internet."
        ));
    } else {
        let mut orgs: BTreeMap<String, u64> = BTreeMap::new();
        for e in endpoints {
            let who = e
                .org
                .clone()
                .or_else(|| e.cloud.clone())
                .unwrap_or_else(|| "networks of unknown owner".into());
            *orgs.entry(who).or_default() += e.bytes_up + e.bytes_down;
        }
        let mut orgs: Vec<(String, u64)> = orgs.into_iter().collect();
        orgs.sort_by_key(|o| std::cmp::Reverse(o.1));
        // Every address's country, as the network summary counts them.
        let countries: BTreeSet<&str> = endpoints
            .iter()
            .flat_map(|e| &e.by_address)
            .filter_map(|a| a.country.as_deref())
            .collect();
        let enc: u64 = endpoints
            .iter()
            .map(|e| e.bytes_encrypted)
            .fold(0, u64::saturating_add);
        let unrecognised: u64 = endpoints
            .iter()
            .map(|e| e.bytes_unrecognised)
            .fold(0, u64::saturating_add);
        // Whole percent, in 128 bits so that no byte count can overflow.
        let share = |x: u64| {
            (u128::from(x) * 100)
                .checked_div(u128::from(total))
                .unwrap_or(0) as u32
        };
        // "under 1 % of those bytes is", "40 % of those bytes are".
        let is_are = |x: u64| if x > 0 && share(x) == 0 { "is" } else { "are" };
        // The organisations that carry its bytes: one takes all, or the two largest, leaving out
        // a second one below 1 %.
        let whom = match orgs.as_slice() {
            [(o, _)] => format!("all of it with {o}"),
            [(o, b), (o2, b2), ..] if share(*b2) >= 1 => {
                format!(
                    "mostly with {o} ({} %) and {o2} ({} %)",
                    share(*b),
                    share(*b2)
                )
            }
            [(o, b), ..] => format!("mostly with {o} ({} %)", share(*b)),
            [] => String::new(),
        };
        // A share in words: "none", "all", "under 1 %", "over 99 %", "40 %".
        // (Above 99 % is "over 99 %", as the network's line says it.)
        let part = |x: u64| match share(x) {
            _ if x == 0 => "none".to_string(),
            _ if x == total => "all".to_string(),
            0 => "under 1 %".to_string(),
            _ if u128::from(x) * 100 > u128::from(total) * 99 => "over 99 %".to_string(),
            n => format!("{n} %"),
        };
        // Bytes of an application that was not recognised may be encrypted or not: they are
        // named as such rather than counted as cleartext.
        let encrypted = match (enc, unrecognised) {
            (_, 0) if enc == total => "all of those bytes are encrypted".to_string(),
            (0, 0) => "none of those bytes is encrypted".to_string(),
            (_, 0) => format!("{} of those bytes {} encrypted", part(enc), is_are(enc)),
            (0, u) if u == total => {
                "all of those bytes are in protocols iotscope cannot read, so whether they are \
                 encrypted is not known"
                    .to_string()
            }
            (0, u) => format!(
                "none of those bytes is known to be encrypted ({} {} in protocols iotscope \
                 cannot read)",
                part(u),
                is_are(u)
            ),
            (_, u) => format!(
                "{} of those bytes {} encrypted and {} {} in protocols iotscope cannot read",
                part(enc),
                is_are(enc),
                part(u),
                is_are(u)
            ),
        };
        // Anycast destinations have no country: say so rather than "in 0 countries".
        let anycast = endpoints.iter().filter(|e| e.anycast).count();
        let place = match (countries.len(), anycast) {
            (0, 0) => ", whose country is not known".to_string(),
            (0, _) => " (anycast, served from many places)".to_string(),
            (n, a) => format!(
                " in {n} countr{} ({}){}",
                if n == 1 { "y" } else { "ies" },
                countries.iter().copied().collect::<Vec<_>>().join(", "),
                if a > 0 { " and anycast networks" } else { "" }
            ),
        };
        // Hosts that only connected to the device are its destinations too, but not of its doing.
        let callers = endpoints.iter().filter(|e| e.inbound == e.flows).count();
        let callers = match callers {
            0 => String::new(),
            1 if endpoints.len() == 1 => " (a host that connected to it)".into(),
            c if c == endpoints.len() => " (hosts that connected to it)".into(),
            c => format!(" ({c} of them connected to it)"),
        };
        s.push(format!(
            "{outbound}; on the internet it talks to {} destination{}{place}{callers}, {whom}, and {encrypted}.",
            endpoints.len(),
            if endpoints.len() == 1 { "" } else { "s" },
        ));
        if !tried.is_empty() {
            // Something came back from some (a refusal: TCP's reset, an ICMP error).
            let how = if tried.iter().any(|e| e.bytes_down > 0) {
                "which refused or never answered"
            } else {
                "with no answer in the capture"
            };
            s.push(format!("It also tried {}, {how}.", tried_names()));
        }
    }
    if !local.is_empty() {
        s.push(format!(
            "On the local network it uses {}.",
            and_list(local, MAX_LOCAL_TALK)
        ));
    }
    // One item per destination: its connections one after another are one channel.
    let mut by_name: Vec<(&str, usize, Nanos)> = Vec::new();
    // Whether every channel goes to a server the device knew by name (a vendor's cloud).
    let mut all_named = true;
    for l in long.iter().filter(|l| d.owns(l.device, l.mac)) {
        all_named &= l.destination.named;
        match by_name.iter_mut().find(|c| c.0 == l.destination.name) {
            Some(c) => {
                c.1 += 1;
                c.2 = c.2.max(l.duration());
            }
            None => by_name.push((&l.destination.name, 1, l.duration())),
        }
    }
    let channels: Vec<String> = by_name
        .iter()
        .map(|(name, n, longest)| match n {
            1 => format!("{name} (open {})", duration(*longest)),
            n => format!(
                "{name} ({n} connections, the longest open {})",
                duration(*longest)
            ),
        })
        .collect();
    if !channels.is_empty() {
        // A bare address is no vendor's cloud that the device looked up.
        let whose = if all_named {
            "the channel a cloud service can command it through"
        } else {
            "a channel it can be commanded through, to a server it never looked up by name"
        };
        s.push(format!(
            "It keeps a connection open to {}: {whose}.",
            channels.join(", ")
        ));
    }
    // What an infected device does is no weakness of its own: said apart, first.
    let (mut signs, mut rest): (Vec<&FindingReport>, Vec<&FindingReport>) =
        findings.iter().partition(|f| compromise_sign(f));
    // On a device that shows them, its heartbeats to bare addresses and its IRC sessions are
    // the likely command channels: told with the signs, not as weaknesses of their own.
    if !signs.is_empty() {
        let (channels, others): (Vec<&FindingReport>, Vec<&FindingReport>) =
            rest.into_iter().partition(|f| command_channel(f));
        signs.extend(channels);
        rest = others;
    }
    let signs = weaknesses(&signs);
    if !signs.is_empty() {
        s.push(format!("Signs of compromise: {}.", signs.join("; ")));
    }
    let weak: Vec<String> = weaknesses(&rest);
    match weak.len() {
        0 if !signs.is_empty() => {}
        0 => s.push("No weakness was seen in its traffic.".into()),
        1 => s.push(format!("One weakness: {}.", weak[0])),
        _ => s.push(format!("Weaknesses: {}.", weak.join("; "))),
    }
    // TLS 1.3 encrypts the server's certificate: when every TLS connection the device made
    // was 1.3, no certificate of its servers was seen, and none could be checked (where one
    // was, a bad one is a tls-weak finding).
    if endpoints.iter().any(|e| !e.tls.is_empty())
        && endpoints
            .iter()
            .all(|e| e.tls.iter().all(|v| v == "TLS 1.3"))
    {
        s.push(
            "Its servers' certificates were not visible (TLS 1.3 encrypts them), so they could \
             not be checked."
                .into(),
        );
    }
    for f in drift {
        s.push(weakness(f));
    }
    // A sentence that ends on a name ending in a full stop ("Co.,Ltd.", "P.R.China.") has one.
    let s: Vec<String> = s
        .into_iter()
        .map(|x| match x.strip_suffix("..") {
            Some(one) => format!("{one}."),
            None => x,
        })
        .collect();
    Verdict {
        rating: rating.into(),
        worst,
        text: s.join(" "),
    }
}

/// The report of a pipeline run (the flows and events of every input, as one timeline).
pub fn from_run(
    run: &iotscope_flow::pipeline::Run,
    local: &Local,
    allow_countries: Option<&BTreeSet<String>>,
    thresholds: Thresholds,
) -> Report {
    from_run_on(run, local, allow_countries, thresholds, None, 1)
}

/// [`from_run`], each device also compared with an earlier report of the network (`baseline`),
/// the analysis on up to `threads` threads (the same report whatever their number).
pub fn from_run_on(
    run: &iotscope_flow::pipeline::Run,
    local: &Local,
    allow_countries: Option<&BTreeSet<String>>,
    thresholds: Thresholds,
    baseline: Option<&Baseline>,
    threads: usize,
) -> Report {
    let c = &run.counters;
    let mut local = local.clone();
    local.learn(&run.flows.events, &run.flows.flows);
    build(&Input {
        flows: &run.flows.flows,
        events: &run.flows.events,
        files: run
            .inputs
            .iter()
            .scan(1u64, |next, i| {
                let first_frame = *next;
                *next += i.frames;
                Some(InputFile {
                    name: i.name.clone(),
                    format: i.format.clone(),
                    frames: i.frames,
                    first_frame,
                    error: i.error.clone(),
                    first_ts: i.first_ts,
                })
            })
            .collect(),
        packets: c.frames,
        bytes: c.bytes_wire,
        first: c.min_ts,
        last: c.max_ts,
        malformed: c.malformed.clone(),
        local: &local,
        allow_countries,
        thresholds,
        baseline,
        threads,
    })
}
