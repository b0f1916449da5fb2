//! Endpoints: the far side of each device's flows, named the way the device itself named it.
//!
//! A flow's server is named by what *this device* resolved to that address before the flow began
//! (passive DNS, with the CNAME chain), else by the server name it sent (TLS/QUIC SNI) or the
//! HTTP Host it asked for, else it stays unnamed: the device used an address it never looked up.
//! Organisation, network and place come from `iotscope-intel`'s offline data.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use iotscope_flow::{Event, Flow};
use iotscope_intel::{Geo, Intel, Place, Site, KM_PER_RTT_MS};
use iotscope_packet::{ip_of, Nanos};
use iotscope_proto::app::{App, Message};
use serde::Serialize;

use crate::devices::Local;
use crate::passive_dns::{bindings, Via};

/// How an endpoint got its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NamedBy {
    /// The device resolved the name to this address before its first flow to it.
    Dns,
    /// The TLS or QUIC server name the device sent.
    Sni,
    /// The HTTP Host header the device sent.
    Host,
    /// No name: the device contacted the address without resolving it.
    None,
}

/// One far-side address of one device.
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    /// The local host (its address).
    pub device: IpAddr,
    pub addr: IpAddr,
    pub name: Option<String>,
    pub named_by: NamedBy,
    /// CNAMEs followed from the name to the address.
    pub cnames: Vec<String>,
    /// Organisation, network, country and cloud of the address.
    pub place: Place,
    /// "tcp/443 tls", "udp/123 ntp"...
    pub services: BTreeSet<String>,
    pub flows: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub first: Nanos,
    pub last: Nanos,
    /// The first frame (1-based) of the earliest flow.
    pub frame: u64,
    /// Smallest TCP handshake round trip to the address seen from the capture point (SYN to
    /// SYN/ACK), milliseconds.
    pub rtt_ms: Option<f64>,
    /// The physics check of the registered country, when the site is known.
    pub location: Option<LocationCheck>,
}

impl Endpoint {
    /// Cloud provider and service ("aws EC2"), or the provider alone.
    pub fn cloud(&self) -> Option<String> {
        match (&self.place.provider, &self.place.service) {
            (Some(p), Some(s)) => Some(format!("{p} {s}")),
            (p, _) => p.clone(),
        }
    }

    /// The CDN, from the address's network or else from a CNAME of the chain.
    pub fn cdn(&self) -> Option<String> {
        self.place.cdn.clone().or_else(|| {
            self.cnames
                .iter()
                .find_map(|c| iotscope_intel::cdn_of_name(c))
                .map(String::from)
        })
    }
}

/// Can the address be where the registry says? Light in fibre covers about 100 km per
/// millisecond of round trip, so a round trip of `rtt_ms` puts the server within `max_km`; if
/// the registered country is farther than that from the site, the address answered from nearer:
/// an anycast address or a CDN edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LocationCheck {
    pub rtt_ms: f64,
    pub max_km: f64,
    /// Distance from the site to the nearest town of the registered country.
    pub country_km: f64,
    pub edge: bool,
}

/// "tcp", "udp", "icmp"... for an IP protocol number.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        6 => "tcp",
        17 => "udp",
        1 => "icmp",
        58 => "icmpv6",
        _ => "ip",
    }
}

/// What a flow is, seen from its client: "tcp/443 tls", "udp/123 ntp", "icmp".
pub fn service(f: &Flow) -> String {
    let proto = proto_name(f.key.proto);
    if f.app.app == App::FtpData {
        // Its port is a passing one, agreed on the control connection.
        format!("{proto} {}", f.app.display())
    } else if f.key.ports_known && matches!(f.key.proto, 6 | 17) {
        let port = f.key.end(f.initiator.other()).1;
        format!("{proto}/{port} {}", f.app.display())
    } else {
        proto.to_string()
    }
}

/// When a host resolved a name to an address, the name, and its CNAME chain.
type Resolution = (Nanos, String, Vec<String>);

/// Names flows' servers the way their clients named them: the latest name the client resolved to
/// the address before the flow began, else the server name the flow itself carried.
pub struct Namer {
    /// Names each host resolved, per (host, address), in time order.
    resolved: HashMap<(IpAddr, IpAddr), Vec<Resolution>>,
    /// Server names sent in each flow (by the flow's first frame).
    sent: HashMap<u64, (NamedBy, String)>,
}

/// A server's name and how it was learned.
pub struct Naming<'a> {
    pub by: NamedBy,
    pub name: &'a str,
    pub cnames: &'a [String],
}

impl Namer {
    pub fn new(events: &[Event]) -> Namer {
        let mut resolved: HashMap<(IpAddr, IpAddr), Vec<Resolution>> = HashMap::new();
        for b in bindings(events) {
            if b.via != Via::Dns {
                continue;
            }
            for a in &b.addrs {
                resolved.entry((b.host, *a)).or_default().push((
                    b.ts,
                    b.name.clone(),
                    b.cnames.clone(),
                ));
            }
        }
        let mut sent: HashMap<u64, (NamedBy, String)> = HashMap::new();
        for e in events.iter().filter(|e| e.from_client) {
            let named = match &e.message {
                Message::ClientHello(h) => h.sni.clone().map(|s| (NamedBy::Sni, s)),
                Message::HttpRequest(r) if r.ssdp.is_none() => {
                    r.host.clone().map(|h| (NamedBy::Host, strip_port(&h)))
                }
                _ => None,
            };
            // An address written where a name belongs (`Host: 52.94.1.2`) names nothing.
            if let Some(n) = named.filter(|(_, n)| {
                n.trim_matches(|c| c == '[' || c == ']')
                    .parse::<IpAddr>()
                    .is_err()
            }) {
                sent.entry(e.flow).or_insert(n);
            }
        }
        Namer { resolved, sent }
    }

    /// The name `client` knew the server of flow `f` (at `server`) by.
    pub fn name(&self, client: IpAddr, server: IpAddr, f: &Flow) -> Option<Naming<'_>> {
        let by_dns = self
            .resolved
            .get(&(client, server))
            .and_then(|v| v.iter().rev().find(|(t, _, _)| *t <= f.first).or(v.first()));
        if let Some((_, name, cnames)) = by_dns {
            return Some(Naming {
                by: NamedBy::Dns,
                name,
                cnames,
            });
        }
        self.sent.get(&f.first_frame).map(|(by, name)| Naming {
            by: *by,
            name,
            cnames: &[],
        })
    }

    /// The name for flow `f` as its initiator knew it.
    pub fn of_flow(&self, f: &Flow) -> Option<Naming<'_>> {
        let client = ip_of(&f.key.end(f.initiator).0);
        let server = ip_of(&f.key.end(f.initiator.other()).0);
        self.name(client, server, f)
    }
}

/// The endpoints of every local device, busiest first within each device.
pub fn endpoints(
    flows: &[Flow],
    events: &[Event],
    intel: &Intel,
    local: &Local,
    site: Option<&Site>,
) -> Vec<Endpoint> {
    endpoints_named(flows, &Namer::new(events), intel, local, site)
}

/// [`endpoints`], with the names already learned.
pub fn endpoints_named(
    flows: &[Flow],
    namer: &Namer,
    intel: &Intel,
    local: &Local,
    site: Option<&Site>,
) -> Vec<Endpoint> {
    let mut out: BTreeMap<(IpAddr, IpAddr), Endpoint> = BTreeMap::new();
    for f in flows {
        let client = f.key.end(f.initiator);
        let server = f.key.end(f.initiator.other());
        let (device, addr) = (ip_of(&client.0), ip_of(&server.0));
        if !local.contains(&device)
            || local.contains(&addr)
            || addr.is_multicast()
            || is_broadcast(&addr)
        {
            continue;
        }
        let e = out.entry((device, addr)).or_insert_with(|| Endpoint {
            device,
            addr,
            name: None,
            named_by: NamedBy::None,
            cnames: Vec::new(),
            place: intel.place(addr),
            services: BTreeSet::new(),
            flows: 0,
            bytes_up: 0,
            bytes_down: 0,
            first: Nanos::MAX,
            last: Nanos::MIN,
            frame: 0,
            rtt_ms: None,
            location: None,
        });
        if let Some(rtt) = f
            .tcp
            .and_then(|t| Some(t.synack_ts.get()? - t.syn_ts.get()?))
            .filter(|r| *r >= 0)
        {
            let ms = rtt as f64 / 1e6;
            e.rtt_ms = Some(e.rtt_ms.map_or(ms, |m: f64| m.min(ms)));
        }
        match namer.name(device, addr, f) {
            Some(n) if n.by == NamedBy::Dns && e.named_by != NamedBy::Dns => {
                e.name = Some(n.name.to_string());
                e.cnames = n.cnames.to_vec();
                e.named_by = NamedBy::Dns;
            }
            Some(n) if e.named_by == NamedBy::None => {
                e.name = Some(n.name.to_string());
                e.named_by = n.by;
            }
            _ => {}
        }
        e.services.insert(service(f));
        e.flows += 1;
        e.bytes_up += f.from(f.initiator).bytes;
        e.bytes_down += f.from(f.initiator.other()).bytes;
        if f.first < e.first {
            e.frame = f.first_frame + 1;
        }
        e.first = e.first.min(f.first);
        e.last = e.last.max(f.last);
    }
    let mut v: Vec<Endpoint> = out.into_values().collect();
    if let Some(site) = site {
        let geo = Geo::get();
        let mut cache: HashMap<String, Option<f64>> = HashMap::new();
        for e in &mut v {
            let (Some(rtt_ms), Some(cc)) = (e.rtt_ms, e.place.country.clone()) else {
                continue;
            };
            let Some(country_km) = *cache
                .entry(cc.clone())
                .or_insert_with(|| geo.min_km(site, &cc))
            else {
                continue;
            };
            let max_km = rtt_ms * KM_PER_RTT_MS;
            e.location = Some(LocationCheck {
                rtt_ms,
                max_km,
                country_km,
                edge: country_km > max_km,
            });
        }
    }
    v.sort_by(|a, b| {
        a.device
            .cmp(&b.device)
            .then((b.bytes_up + b.bytes_down).cmp(&(a.bytes_up + a.bytes_down)))
    });
    v
}

fn strip_port(host: &str) -> String {
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h.to_string(),
        _ => host.to_string(),
    }
}

fn is_broadcast(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V4(v) if v.is_broadcast())
}
