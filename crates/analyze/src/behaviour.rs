//! Behaviours: what a device does over time, read from its flow records.
//!
//! Beacons are connections a device opens to the same destination *name* at a steady rhythm (so
//! a beacon survives a CDN rotating its addresses), or packets it sends at a steady rhythm inside
//! one connection (a keep-alive; each flow record measures its initiator's rhythm as it goes).
//! Long-lived connections are those held open far longer than a request needs, the channel a
//! cloud uses to command a device.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use std::net::IpAddr;

use iotscope_flow::{EndReason, Flow, FlowKey, TcpState};
use iotscope_packet::{fmt_ip, ip_of, Mac, Nanos};
use iotscope_proto::app::{App, By};
use serde::Serialize;

use crate::devices::Local;
use crate::endpoints::{service, Namer};
use crate::text::duration;

const SEC: Nanos = 1_000_000_000;

/// Connections opened closer together than this are one beat (a device often opens two at once).
pub const BURST: Nanos = SEC / 2;
/// Fewest beats that can show a rhythm: four intervals, so one odd interval cannot fake one.
pub const MIN_BEATS: usize = 5;
/// Shortest period called a beacon; faster repetition is a burst of work, not a heartbeat.
pub const MIN_PERIOD: Nanos = SEC;
/// Shortest period of pings called a heartbeat. `ping` sends one a second by default, so faster
/// echo requests are a diagnostic burst (`ping -c 4`), not a timer; devices that check their
/// connection by ping do it every ten seconds or more.
pub const MIN_PING_PERIOD: Nanos = 5 * SEC;
/// The median distance of the intervals from the period, as a share of the period, at most: a
/// timer-driven client stays within a few percent; human or event-driven use does not.
pub const MAX_JITTER: f64 = 0.10;
/// Share of intervals that must lie within a quarter period of the period (a missed beat or a
/// retry leaves some intervals off the rhythm without breaking it).
pub const MIN_ON_BEAT: f64 = 0.75;
/// A connection open this long is long-lived: Zeek's conn-long default, far beyond any request.
pub const LONG_LIVED: Nanos = 600 * SEC;

/// The thresholds a user may want to change (`iotscope report --long-lived`, `--min-beats`).
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    /// A connection open this long is long-lived.
    pub long_lived: Nanos,
    /// Fewest beats that make a rhythm.
    pub min_beats: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            long_lived: LONG_LIVED,
            min_beats: MIN_BEATS,
        }
    }
}

/// Applications whose repetition is plumbing, not a device's own rhythm.
fn is_plumbing(app: App) -> bool {
    matches!(
        app,
        App::Dns | App::Mdns | App::Llmnr | App::Nbns | App::Netbios | App::Dhcp | App::Dhcpv6
    )
}

/// Where a flow goes, as its initiator sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Destination {
    /// The name the device used (DNS, SNI or Host), else the address.
    pub name: String,
    pub named: bool,
    /// "tcp/443 tls".
    pub service: String,
}

/// A rhythm: connections from one device to one destination at a steady period.
#[derive(Clone, Debug, Serialize)]
pub struct Beacon {
    pub device: IpAddr,
    /// The device's MAC in the beats' frames.
    pub mac: Option<Mac>,
    pub destination: Destination,
    /// Median interval between beats, nanoseconds.
    pub period: Nanos,
    /// Median absolute distance of the intervals from the period, nanoseconds.
    pub jitter: Nanos,
    pub beats: usize,
    /// Bytes (both ways) per beat: the median over the connections, or for beats inside one
    /// connection its bytes divided by the beats (handshake and close included).
    pub bytes_per_beat: u64,
    pub first: Nanos,
    pub last: Nanos,
    /// Addresses the beats went to (more than one when the name rotates over a CDN).
    pub addresses: Vec<IpAddr>,
    /// First frames (1-based) of the flows.
    pub frames: Vec<u64>,
    /// The beats are packets inside one connection (a keep-alive), not new connections.
    pub within: bool,
    /// Beats whose connection the server answered (a device retrying a dead server beats too).
    pub answered: usize,
}

impl Beacon {
    /// "every 5 min 0 s ± 2 s".
    pub fn every(&self) -> String {
        format!(
            "every {} ± {}",
            duration(self.period),
            duration(self.jitter)
        )
    }
}

/// One connection held open for a long time (its flow records joined across active timeouts).
#[derive(Clone, Debug, Serialize)]
pub struct LongLived {
    pub device: IpAddr,
    /// The device's MAC in the connection's frames.
    pub mac: Option<Mac>,
    pub server: IpAddr,
    pub destination: Destination,
    pub first: Nanos,
    pub last: Nanos,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub packets: u64,
    /// Still open when the capture ended: no FIN or RST was seen.
    pub open_at_end: bool,
    /// Already open when the capture began (a TCP connection seen without its handshake): its
    /// duration is a lower bound.
    pub open_at_start: bool,
    /// First frame (1-based).
    pub frame: u64,
}

impl LongLived {
    pub fn duration(&self) -> Nanos {
        self.last - self.first
    }
}

/// The local client, the server and the destination of a flow a local device opened towards a
/// single host.
fn outbound(f: &Flow, local: &Local, namer: &Namer) -> Option<(IpAddr, IpAddr, Destination)> {
    let client = ip_of(&f.key.end(f.initiator).0);
    let server = ip_of(&f.key.end(f.initiator.other()).0);
    if !local.contains(&client)
        || server.is_multicast()
        || crate::devices::is_broadcast(&server)
        || is_plumbing(f.app.app)
    {
        return None;
    }
    let (name, named) = match namer.of_flow(f) {
        Some(n) => (n.name.to_ascii_lowercase(), true),
        None => (fmt_ip(&server), false),
    };
    Some((
        client,
        server,
        Destination {
            name,
            named,
            service: service(f),
        },
    ))
}

fn median(v: &mut [Nanos]) -> Nanos {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Steady rhythms per device and destination name.
pub fn beacons(flows: &[Flow], local: &Local, namer: &Namer, t: &Thresholds) -> Vec<Beacon> {
    let min_beats = t.min_beats.max(3);
    // Start, bytes, server, first frame, answered, client address.
    type Beat = (Nanos, u64, IpAddr, u64, bool, IpAddr);
    let mut starts: BTreeMap<(IpAddr, Option<Mac>, Destination), Vec<Beat>> = BTreeMap::new();
    // A record cut by the active timeout continues a connection: not a new beat.
    let beat = |f: &Flow| !(f.tcp.is_some_and(|t| t.syn_ts.is_none()) && f.key.proto == 6);
    // An IPv6 device changes its temporary address (RFC 8981) while it beats: its station MAC
    // holds the series together.
    let client_key = |f: &Flow| {
        let client = ip_of(&f.key.end(f.initiator).0);
        if client.is_ipv6() && namer.one_host(f.mac[f.initiator as usize]) {
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
        } else {
            client
        }
    };
    // Flows to an address and port that the client opened fewer than `min_beats` times make
    // no rhythm unless a name gathers them with others: they are left out before their
    // destination is written (a scan opens hundreds of thousands of such flows).
    let (server_port, server_port_count) = {
        let key = |f: &Flow| {
            let (s, port) = f.key.end(f.initiator.other());
            // The ports the destination's service leaves out ([`service`]): a passing one agreed
            // on a control connection, none seen, none at all (ICMP, tunnels).
            let port = if f.app.by == By::Control
                || !f.key.ports_known
                || !matches!(f.key.proto, 6 | 17)
            {
                0
            } else {
                port
            };
            (
                client_key(f),
                f.mac[f.initiator as usize],
                ip_of(&s),
                f.key.proto,
                port,
            )
        };
        let mut n: HashMap<_, usize> = HashMap::new();
        for f in flows.iter().filter(|f| beat(f)) {
            *n.entry(key(f)).or_default() += 1;
        }
        (key, n)
    };
    for f in flows {
        if !beat(f) {
            continue;
        }
        if server_port_count[&server_port(f)] < min_beats && namer.of_flow(f).is_none() {
            continue;
        }
        if let Some((client, server, dest)) = outbound(f, local, namer) {
            let mac = f.mac[f.initiator as usize];
            let key = client_key(f);
            starts.entry((key, mac, dest)).or_default().push((
                f.first,
                f.bytes(),
                server,
                f.first_frame + 1,
                crate::endpoints::answered(f),
                client,
            ));
        }
    }
    let mut out = Vec::new();
    for ((_, mac, destination), mut v) in starts {
        if v.len() < min_beats {
            continue;
        }
        v.sort_unstable_by_key(|b| b.0);
        // Join connections opened together into one beat.
        let mut beats: Vec<Beat> = Vec::with_capacity(v.len());
        for b in v {
            match beats.last_mut() {
                Some(last) if b.0 - last.0 < BURST => {
                    last.1 += b.1;
                    last.4 |= b.4;
                }
                _ => beats.push(b),
            }
        }
        if beats.len() < min_beats {
            continue;
        }
        let mut gaps: Vec<Nanos> = beats.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let period = median(&mut gaps.clone());
        if period < MIN_PERIOD {
            continue;
        }
        let on_beat = gaps
            .iter()
            .filter(|g| (**g - period).abs() <= period / 4)
            .count();
        if (on_beat as f64) < MIN_ON_BEAT * gaps.len() as f64 {
            continue;
        }
        for g in gaps.iter_mut() {
            *g = (*g - period).abs();
        }
        let jitter = median(&mut gaps);
        if jitter as f64 > MAX_JITTER * period as f64 {
            continue;
        }
        let mut bytes: Vec<Nanos> = beats.iter().map(|b| b.1 as Nanos).collect();
        let bytes_per_beat = median(&mut bytes) as u64;
        let mut addresses: Vec<IpAddr> = beats.iter().map(|b| b.2).collect();
        addresses.sort_unstable();
        addresses.dedup();
        out.push(Beacon {
            device: beats[0].5,
            mac,
            destination,
            period,
            jitter,
            beats: beats.len(),
            bytes_per_beat,
            first: beats[0].0,
            last: beats[beats.len() - 1].0,
            addresses,
            frames: beats.iter().map(|b| b.3).collect(),
            within: false,
            answered: beats.iter().filter(|b| b.4).count(),
        });
    }
    // Heartbeats inside one connection.
    for f in flows {
        let Some((mean, sd)) = f.rhythm.period() else {
            continue;
        };
        let (gaps, on) = f.rhythm.gaps();
        let beats = usize::from(on) + 1;
        let period = (mean * 1e9) as Nanos;
        let ping = matches!(f.key.proto, 1 | 58);
        if beats < min_beats
            || f64::from(on) < MIN_ON_BEAT * f64::from(gaps)
            || period < MIN_PERIOD
            || (ping && period < MIN_PING_PERIOD)
            || sd > MAX_JITTER * mean
        {
            continue;
        }
        let Some((device, server, destination)) = outbound(f, local, namer) else {
            continue;
        };
        out.push(Beacon {
            device,
            mac: f.mac[f.initiator as usize],
            destination,
            period,
            jitter: (sd * 1e9) as Nanos,
            beats,
            bytes_per_beat: f.bytes() / beats as u64,
            first: f.first,
            last: f.last,
            addresses: vec![server],
            frames: vec![f.first_frame + 1],
            within: true,
            answered: if crate::endpoints::answered(f) {
                beats
            } else {
                0
            },
        });
    }
    out
}

/// Connections a local device held open for at least `t.long_lived`.
pub fn long_lived(flows: &[Flow], local: &Local, namer: &Namer, t: &Thresholds) -> Vec<LongLived> {
    // Records of one connection share the key; each record but the last ended by the active
    // timeout.
    let mut by_key: HashMap<FlowKey, Vec<&Flow>> = HashMap::new();
    for f in flows {
        by_key.entry(f.key).or_default().push(f);
    }
    let mut out = Vec::new();
    for (_, mut recs) in by_key {
        recs.sort_unstable_by_key(|f| f.first);
        let mut i = 0;
        while i < recs.len() {
            let head = recs[i];
            let mut j = i;
            while j + 1 < recs.len() && recs[j].end == EndReason::Active {
                j += 1;
            }
            let chain = &recs[i..=j];
            i = j + 1;
            let last = chain.iter().map(|f| f.last).max().unwrap_or(head.last);
            if last - head.first < t.long_lived {
                continue;
            }
            let Some((device, server, destination)) = outbound(head, local, namer) else {
                continue;
            };
            // NTP keeps a fixed port pair for days; it is a clock, not a channel.
            if head.app.app == App::Ntp {
                continue;
            }
            let (mut up, mut down, mut packets) = (0, 0, 0);
            for f in chain {
                up += f.from(head.initiator).bytes;
                down += f.from(head.initiator.other()).bytes;
                packets += f.packets();
            }
            let tail = chain[chain.len() - 1];
            out.push(LongLived {
                device,
                mac: head.mac[head.initiator as usize],
                server,
                destination,
                first: head.first,
                last,
                bytes_up: up,
                bytes_down: down,
                packets,
                // A connection that one side had closed (FIN) or reset is over, even when the
                // capture ended before its record did.
                open_at_end: tail.end == EndReason::EndOfInput
                    && !tail
                        .tcp
                        .is_some_and(|t| matches!(t.state, TcpState::Closing | TcpState::Closed)),
                open_at_start: head.begun_before_capture(),
                frame: head.first_frame + 1,
            });
        }
    }
    out.sort_by(|a, b| a.device.cmp(&b.device).then(a.first.cmp(&b.first)));
    out
}
