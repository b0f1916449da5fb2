//! Endpoints: the far side of each device's flows, named the way the device itself named it.
//!
//! A flow's server is named by what *this device* resolved to that address before the flow began
//! (passive DNS, with the CNAME chain), else by the server name it sent (TLS/QUIC SNI) or the
//! HTTP Host it asked for, else it stays unnamed: the device used an address it never looked up.
//! Organisation, network and place come from `iotscope-intel`'s offline data.

use std::collections::BTreeSet;

use hashbrown::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use iotscope_flow::{Event, Flow, FlowIndex};
use iotscope_intel::{Geo, Intel, Place, Site, KM_PER_RTT_MS};
use iotscope_packet::{ip_of, Mac, Nanos};
use iotscope_proto::app::{App, By, Message};
use serde::Serialize;

use crate::devices::{is_broadcast, Local};
use crate::passive_dns::each_binding;

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
    /// The local host's MAC in the flows' frames (see `Device::owns`).
    pub mac: Option<Mac>,
    pub addr: IpAddr,
    pub name: Option<String>,
    pub named_by: NamedBy,
    /// CNAMEs followed from the name to the address.
    pub cnames: Vec<String>,
    /// Organisation, network, country and cloud of the address.
    pub place: Place,
    /// "tcp/443 tls", "udp/123 ntp"...; a service of the device that the address connected to
    /// reads "inbound tcp/80 http".
    pub services: BTreeSet<String>,
    pub flows: u64,
    /// Of those, the flows the address opened towards the device.
    pub inbound: u64,
    /// Of those, the flows the other side never answered (a TCP handshake with no SYN/ACK and
    /// no data back, a UDP flow with nothing back).
    pub unanswered: u64,
    /// Bytes the device sent to the address and received from it.
    pub bytes_up: u64,
    pub bytes_down: u64,
    /// Of those bytes, the ones in flows of an encrypted protocol (TLS, QUIC, SSH), and the ones
    /// in flows whose application was not recognised (which may or may not be encrypted).
    pub bytes_encrypted: u64,
    pub bytes_unrecognised: u64,
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
    /// Adds the flows of `o`, an endpoint of the same device and address, to this one.
    fn absorb(&mut self, o: Endpoint) {
        self.services.extend(o.services);
        self.flows += o.flows;
        self.inbound += o.inbound;
        self.unanswered += o.unanswered;
        self.bytes_up += o.bytes_up;
        self.bytes_down += o.bytes_down;
        self.bytes_encrypted += o.bytes_encrypted;
        self.bytes_unrecognised += o.bytes_unrecognised;
        if o.first < self.first {
            self.frame = o.frame;
        }
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.rtt_ms = match (self.rtt_ms, o.rtt_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

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
    /// The registered country, when the round trip ruled it out and it was taken from the
    /// endpoint's place ([`place_by_round_trips`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered: Option<String>,
}

/// The flow's server answered: for TCP a SYN/ACK, data back, or, for a connection opened before
/// the capture began, any packet back; for other protocols any packet back. Connection attempts
/// that went unanswered or were refused talked no protocol at all.
pub fn answered(f: &Flow) -> bool {
    let back = f.from(f.initiator.other());
    match f.tcp {
        Some(t) => {
            t.synack_ts.is_some()
                || back.payload_bytes > 0
                || (t.syn_ts.is_none()
                    && back.packets > 0
                    && f.tcp_flags[f.initiator.other() as usize] & iotscope_packet::tcp_flags::RST
                        == 0)
        }
        None => back.packets > 0,
    }
}

/// The tail of a TCP connection opened before the capture began, in which nothing was said:
/// no handshake seen, no payload either way, and one side silent (a lone RST or ACK from a
/// server, whose connection the device had already left). Neither side tried anything in the
/// capture.
pub fn leftover(f: &Flow) -> bool {
    f.begun_before_capture()
        && f.sent.iter().all(|d| d.payload_bytes == 0)
        && f.sent.iter().any(|d| d.packets == 0)
}

/// "tcp", "udp", "icmp"... for an IP protocol number (IANA's keyword, lowercase); "ip" for
/// one not listed here.
pub fn proto_name(p: u8) -> &'static str {
    match p {
        1 => "icmp",
        2 => "igmp",
        4 => "ipip",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        46 => "rsvp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        88 => "eigrp",
        89 => "ospf",
        103 => "pim",
        112 => "vrrp",
        115 => "l2tp",
        132 => "sctp",
        _ => "ip",
    }
}

/// What a flow is, seen from its client: "tcp/443 tls", "udp/123 ntp", "icmp", "ospf",
/// "ip/253" for a protocol without a name here; a tunnel that no parser named is named by its
/// kind ("udp/3544 teredo", "gre", "ip-in-ip").
pub fn service(f: &Flow) -> String {
    let proto = proto_name(f.key.proto);
    if !matches!(f.key.proto, 6 | 17) {
        return match (f.tunnel, proto) {
            (Some(t), _) => t.name().to_string(),
            (None, "ip") => format!("ip/{}", f.key.proto),
            (None, name) => name.to_string(),
        };
    }
    if !f.key.ports_known && f.app.by != By::Control {
        // A fragment whose ports were never seen.
        return proto.to_string();
    }
    // Written piece by piece rather than with `format!`: the analysis asks for a flow's service
    // several times per flow, and the formatting machinery cost ten times the copying.
    let (app, inner) = match (f.app.app, f.tunnel) {
        (App::Unknown, Some(t)) => (t.name(), None),
        _ => f.app.display_parts(),
    };
    let mut s = String::with_capacity(proto.len() + 8 + app.len() + inner.map_or(0, str::len));
    s.push_str(proto);
    if f.app.by != By::Control {
        // A control connection's port is a passing one, agreed on the control connection (FTP
        // data) or picked by the server for one transfer (TFTP): not named.
        let port = f.key.end(f.initiator.other()).1;
        s.push('/');
        s.push_str(itoa::Buffer::new().format(port));
    }
    s.push(' ');
    s.push_str(app);
    if let Some(inner) = inner {
        s.push('/');
        s.push_str(inner);
    }
    s
}

/// How long after a flow began a lookup of its server may still name it.
pub const LOOKUP_SKEW: Nanos = 2_000_000_000;

/// When a host resolved a name to an address, the name, and its CNAME chain.
/// Shared, not copied: a binding of several addresses is one resolution of each, and the MAC's
/// lookups repeat its hosts'.
type Resolution = (Nanos, Arc<str>, Arc<[String]>);

/// Whether a server name a client sent (TLS SNI, HTTP Host) can name the server: not an address
/// written where a name belongs (`Host: 52.94.1.2`), not `localhost` (RFC 6761), which some
/// clients send when they were given only an address, and no wildcard (`*.example.com`, copied
/// from a certificate by clients that know no better name).
pub fn names_a_host(name: &str) -> bool {
    let n = name.trim_end_matches('.').as_bytes();
    let localhost = b"localhost";
    let under_localhost = n.len() > localhost.len()
        && n[n.len() - localhost.len() - 1] == b'.'
        && n[n.len() - localhost.len()..].eq_ignore_ascii_case(localhost);
    name.parse::<IpAddr>().is_err()
        && !name.contains('*')
        && !n.eq_ignore_ascii_case(localhost)
        && !under_localhost
        && !n.eq_ignore_ascii_case(b"localhost.localdomain")
}

/// A flow's naming, kept: how, the name, its CNAME chain.
type Settled = (NamedBy, Arc<str>, Arc<[String]>);
/// [`Settled`], as the namer holds it.
type Found<'a> = (NamedBy, &'a Arc<str>, &'a Arc<[String]>);

/// Names flows' servers the way their clients named them: the latest name the client resolved to
/// the address before the flow began, else the server name the flow itself carried.
pub struct Namer {
    /// Names each host resolved, per (host, its MAC, address), in time order. The MAC keeps
    /// apart two devices that held the same address at different times.
    resolved: HashMap<(IpAddr, Option<Mac>, IpAddr), Vec<Resolution>>,
    /// The same per (MAC, address), for lookups from a station's MAC: a dual-stack device asks
    /// from one of its addresses (a ULA, its IPv4 address) and connects from another.
    by_mac: HashMap<(Mac, IpAddr), Vec<Resolution>>,
    /// MACs that speak for several hosts ([`Namer::one_host`]).
    shared: HashSet<Mac>,
    /// Server names sent in each flow (by the flow's first frame).
    sent: HashMap<u64, (NamedBy, Arc<str>)>,
    /// Hosts behind a router, with the router's addresses and MAC: a router that forwards DNS
    /// (a setup access point, a second router) makes the lookups for the hosts behind it.
    through: HashMap<IpAddr, (Vec<IpAddr>, Option<Mac>)>,
    /// Each flow's naming, once [`Namer::settle`] worked them all out, in the order of the flows
    /// it was given, with each flow's id: the analysis asks for a flow's several times, and each
    /// answer is three lookups in maps of large keys. Found by the flow's place in that slice,
    /// whose start is kept (a map by id missed the cache on nearly every question).
    settled: Vec<(u64, Option<Settled>)>,
    settled_at: usize,
    /// The CNAME chain of a name no lookup gave.
    no_cnames: Arc<[String]>,
}

/// The lookup (of a host's, in time order) that named a flow beginning at `first`: the latest
/// before it, preferring one of the name the flow itself sent (SNI, Host: several names can
/// share one address). A later one names it only when the flow began before the capture did (a
/// TCP connection seen from its middle, `older`: its lookup could not be seen), or came just
/// after it (timestamps of two interfaces, a reply reordered): a connection the capture saw
/// opened, by address, an hour before a lookup of that address, was not made by name.
fn pick_lookup<'v>(
    v: &'v [Resolution],
    sent: Option<&(NamedBy, Arc<str>)>,
    first: Nanos,
    older: bool,
) -> Option<&'v Resolution> {
    // Up to the flow's start (`v` is in time order): a device that resolves a name at every
    // expiry has thousands in a long capture.
    let before = &v[..v.partition_point(|(t, _, _)| *t <= first)];
    let said = sent.and_then(|(_, n)| {
        before
            .iter()
            .rev()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(n))
    });
    said.or(before.last()).or(v
        .first()
        .filter(|(t, _, _)| older || *t - first <= LOOKUP_SKEW))
}

fn one_host(shared: &HashSet<Mac>, mac: Option<Mac>) -> bool {
    mac.is_some_and(|m| m[0] & 1 == 0 && m != [0; 6] && !shared.contains(&m))
}

/// A server's name and how it was learned.
pub struct Naming<'a> {
    pub by: NamedBy,
    pub name: &'a str,
    pub cnames: &'a [String],
}

impl Namer {
    pub fn new(events: &[Event], flows: &[Flow]) -> Namer {
        let mut resolved: HashMap<(IpAddr, Option<Mac>, IpAddr), Vec<Resolution>> = HashMap::new();
        let index = FlowIndex::new(flows);
        each_binding(events, false, |b| {
            // The MAC of the lookup's host: its DNS flow's client.
            let mac = crate::devices::flow_macs(flows, &index, b.flow).and_then(|m| m[0]);
            let (name, cnames): (Arc<str>, Arc<[String]>) =
                (b.name.as_str().into(), b.cnames.as_slice().into());
            for a in &b.addrs {
                resolved.entry((b.host, mac, *a)).or_default().push((
                    b.ts,
                    name.clone(),
                    cnames.clone(),
                ));
            }
        });
        // MACs that open connections from several IPv4 addresses speak for several hosts (a
        // router, a setup access point forwarding its clients' traffic).
        let mut v4: HashMap<Mac, IpAddr> = HashMap::new();
        let mut shared: HashSet<Mac> = HashSet::new();
        for f in flows {
            let (ip, mac) = (
                ip_of(&f.key.end(f.initiator).0),
                f.mac[f.initiator as usize],
            );
            // (A DHCP client's requests from 0.0.0.0 are no second host.)
            if let (Some(m), true) = (mac, ip.is_ipv4() && !ip.is_unspecified()) {
                if *v4.entry(m).or_insert(ip) != ip {
                    shared.insert(m);
                }
            }
        }
        let mut by_mac: HashMap<(Mac, IpAddr), Vec<Resolution>> = HashMap::new();
        for ((_, mac, a), v) in &resolved {
            if let Some(m) = mac.filter(|m| one_host(&shared, Some(*m))) {
                by_mac.entry((m, *a)).or_default().extend(v.iter().cloned());
            }
        }
        // Captures read as one timeline need not come in time order.
        for v in resolved.values_mut().chain(by_mac.values_mut()) {
            v.sort_by_key(|r| r.0);
        }
        // A proxy's connections carry the names of the hosts behind it, not its own.
        let proxied: HashSet<u64> = flows
            .iter()
            .filter(|f| f.app.proxied())
            .map(Flow::id)
            .collect();
        let mut sent: HashMap<u64, (NamedBy, Arc<str>)> = HashMap::new();
        for e in events
            .iter()
            .filter(|e| e.from_client && !proxied.contains(&e.flow))
        {
            let named = match &e.message {
                Message::ClientHello(_) | Message::GquicHello(_) => e
                    .message
                    .server_name()
                    .map(|s| (NamedBy::Sni, s.to_string())),
                Message::HttpRequest(r) if r.ssdp.is_none() => r
                    .host
                    .as_deref()
                    .map(|h| (NamedBy::Host, host_of(h).to_string())),
                _ => None,
            };
            // An address written where a name belongs (`Host: 52.94.1.2`) names nothing.
            if let Some((by, n)) = named.filter(|(_, n)| names_a_host(n)) {
                sent.entry(e.flow).or_insert((by, n.into()));
            }
        }
        Namer {
            resolved,
            by_mac,
            shared,
            sent,
            through: HashMap::new(),
            settled: Vec::new(),
            settled_at: 0,
            no_cnames: Arc::new([]),
        }
    }

    /// The MAC is one host's: a unicast station address that never opened connections from
    /// two IPv4 addresses. Its frames from several addresses are that host's (a dual-stack
    /// device, IPv6 temporary addresses).
    pub fn one_host(&self, mac: Option<Mac>) -> bool {
        one_host(&self.shared, mac)
    }

    /// The name `client` knew the server of flow `f` (at `server`) by.
    pub fn name<'a>(&'a self, client: IpAddr, server: IpAddr, f: &Flow) -> Option<Naming<'a>> {
        self.find(client, server, f)
            .map(|(by, name, cnames)| Naming { by, name, cnames })
    }

    /// [`Namer::name`], with the shared name and chain it comes from.
    fn find<'a>(&'a self, client: IpAddr, server: IpAddr, f: &Flow) -> Option<Found<'a>> {
        // A TCP connection seen from its middle: its lookup could not be seen.
        let older = f.begun_before_capture();
        let sent = self.sent.get(&f.id());
        let pick = |v: &'a Vec<Resolution>| pick_lookup(v, sent, f.first, older);
        let lookup =
            |host: IpAddr, mac: Option<Mac>| self.resolved.get(&(host, mac, server)).and_then(pick);
        let mac = if ip_of(&f.key.end(f.initiator).0) == client {
            f.mac[f.initiator as usize]
        } else {
            f.mac[f.initiator.other() as usize]
        };
        // The client's own lookups first, then its device's from its other addresses, then its
        // router's.
        let by_dns = lookup(client, mac)
            .or_else(|| self.by_mac.get(&(mac?, server)).and_then(pick))
            .or_else(|| {
                let (addrs, router) = self.through.get(&client)?;
                addrs.iter().find_map(|r| lookup(*r, *router))
            });
        if let Some((_, name, cnames)) = by_dns {
            // A lookup of another name for the address than the one the flow sent: the flow's
            // own word is the better one.
            return match sent {
                Some((by, n))
                    if !name.eq_ignore_ascii_case(n)
                        && !cnames.iter().any(|c| c.eq_ignore_ascii_case(n)) =>
                {
                    Some((*by, n, &self.no_cnames))
                }
                _ => Some((NamedBy::Dns, name, cnames)),
            };
        }
        sent.map(|(by, name)| (*by, name, &self.no_cnames))
    }

    /// Works out the naming of every flow of `flows` at once, for [`Namer::of_flow`] to answer
    /// from. Called when every router's hosts are known ([`Namer::resolve_through`]).
    pub fn settle(&mut self, flows: &[Flow]) {
        let settled = flows
            .iter()
            .map(|f| {
                let client = ip_of(&f.key.end(f.initiator).0);
                let server = ip_of(&f.key.end(f.initiator.other()).0);
                let found = self.find(client, server, f);
                (f.id(), found.map(|(by, n, c)| (by, n.clone(), c.clone())))
            })
            .collect();
        self.settled = settled;
        self.settled_at = flows.as_ptr() as usize;
    }

    /// Lets `host` be named by the lookups of the router it sits behind (its addresses and MAC).
    pub fn resolve_through(&mut self, host: IpAddr, router: &[IpAddr], mac: Option<Mac>) {
        if !router.is_empty() {
            self.through.insert(host, (router.to_vec(), mac));
            self.settled.clear();
        }
    }

    /// The name for flow `f` as its initiator knew it.
    pub fn of_flow(&self, f: &Flow) -> Option<Naming<'_>> {
        // The flow's place in the slice settled, if it is one of its flows (its id says so).
        let at = iotscope_flow::slot_of(self.settled_at, f);
        if let Some((_, s)) = self.settled.get(at).filter(|(id, _)| *id == f.id()) {
            return s.as_ref().map(|(by, name, cnames)| Naming {
                by: *by,
                name,
                cnames,
            });
        }
        let client = ip_of(&f.key.end(f.initiator).0);
        let server = ip_of(&f.key.end(f.initiator.other()).0);
        self.name(client, server, f)
    }
}

/// Where an address is: the offline data's answer, or, for a host beyond the far end of a
/// tunnel to the internet, that far end (its own address says nothing: it is another site's,
/// often numbered from private space).
pub fn place_of(intel: &Intel, local: &Local, a: IpAddr) -> Place {
    match local.beyond(&a) {
        Some(peer) => Place {
            org: Some(format!("the site beyond the tunnel to {peer}")),
            ..intel.place(peer)
        },
        None => intel.place(a),
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
    endpoints_named(flows, &Namer::new(events, flows), intel, local, site)
}

/// [`endpoints`], with the names already learned.
pub fn endpoints_named(
    flows: &[Flow],
    namer: &Namer,
    intel: &Intel,
    local: &Local,
    site: Option<&Site>,
) -> Vec<Endpoint> {
    // Per device, address and the name the flows gave it: one address serves several names (a
    // CDN's, a cloud's load balancer), and each is its own destination.
    type Key = (IpAddr, Option<Mac>, IpAddr, Option<String>);
    // Filed by hash and sorted once at the end: a scan makes hundreds of thousands of endpoints.
    // The table holds indexes into `all`, so that neither growing it nor sorting moves the
    // endpoints themselves.
    let mut out: HashMap<Key, usize> = HashMap::new();
    let mut all: Vec<Endpoint> = Vec::new();
    for f in flows {
        let opener = f.key.end(f.initiator);
        let other = f.key.end(f.initiator.other());
        let (opener_ip, other_ip) = (ip_of(&opener.0), ip_of(&other.0));
        let public = |a: &IpAddr| {
            !(local.contains(a) || a.is_multicast() || a.is_unspecified() || is_broadcast(a))
        };
        // A flow the device opened to the internet, or a TCP or UDP flow a host on the internet
        // opened to it (ICMP from the internet is mostly errors about the device's own packets).
        if leftover(f) {
            continue;
        }
        let (device, addr, inbound) = if local.contains(&opener_ip) && public(&other_ip) {
            (opener_ip, other_ip, false)
        } else if local.contains(&other_ip) && public(&opener_ip) && matches!(f.key.proto, 6 | 17) {
            (other_ip, opener_ip, true)
        } else {
            continue;
        };
        // The device's side of the flow, and the far one.
        let (dev_side, far_side) = if inbound {
            (f.initiator.other(), f.initiator)
        } else {
            (f.initiator, f.initiator.other())
        };
        let mac = f.mac[dev_side as usize];
        // The device did not look up a host that reached it: only its own flows name the address.
        let naming = namer.name(device, addr, f).filter(|_| !inbound);
        let named = naming.as_ref().map(|n| n.name.to_ascii_lowercase());
        let k = *out.entry((device, mac, addr, named)).or_insert_with(|| {
            all.push(Endpoint {
                device,
                mac,
                addr,
                name: None,
                named_by: NamedBy::None,
                cnames: Vec::new(),
                place: place_of(intel, local, addr),
                services: BTreeSet::new(),
                flows: 0,
                inbound: 0,
                unanswered: 0,
                bytes_up: 0,
                bytes_down: 0,
                bytes_encrypted: 0,
                bytes_unrecognised: 0,
                first: Nanos::MAX,
                last: Nanos::MIN,
                frame: 0,
                rtt_ms: None,
                location: None,
            });
            all.len() - 1
        });
        let e = &mut all[k];
        // The handshake of an inbound connection times the device's answer, not the distance.
        if let Some(rtt) = f
            .tcp
            .filter(|_| !inbound)
            .and_then(|t| Some(t.synack_ts.get()? - t.syn_ts.get()?))
            .filter(|r| *r >= 0)
        {
            let ms = rtt as f64 / 1e6;
            e.rtt_ms = Some(e.rtt_ms.map_or(ms, |m: f64| m.min(ms)));
        }
        match naming {
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
        // An FTP data connection is the device's own transfer whichever side opened it.
        if inbound && f.app.app != App::FtpData {
            e.services.insert(format!("inbound {}", service(f)));
            e.inbound += 1;
        } else {
            e.services.insert(service(f));
        }
        e.flows += 1;
        if !answered(f) {
            e.unanswered += 1;
        }
        e.bytes_up += f.from(dev_side).bytes;
        e.bytes_down += f.from(far_side).bytes;
        match f.encrypted() {
            Some(true) => e.bytes_encrypted += f.bytes(),
            None => e.bytes_unrecognised += f.bytes(),
            Some(false) => {}
        }
        if f.first < e.first {
            e.frame = f.first_frame + 1;
        }
        e.first = e.first.min(f.first);
        e.last = e.last.max(f.last);
    }
    // Flows no name was given to go to the busiest name of their address, if it has any: the
    // address was looked up, and these flows are most likely that destination's.
    let mut keys: Vec<(Key, usize)> = out.into_iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let (named, unnamed): (Vec<Endpoint>, Vec<Endpoint>) =
        take_in_order(all, keys.iter().map(|(_, k)| *k))
            .into_iter()
            .partition(|e| e.name.is_some());
    let mut v = named;
    let busiest = busiest_by_address(v.iter().enumerate());
    for u in unnamed {
        match busiest.get(&(u.device, u.mac, u.addr)) {
            Some(&k) => v[k].absorb(u),
            None => v.push(u),
        }
    }
    // A cloud region the looked-up name gives wins over the address table's (which is of today,
    // while the capture may be years old).
    for e in &mut v {
        if let (Some(name), Some(provider)) = (&e.name, &e.place.provider) {
            // The name asked for, else the canonical names it led to (`*.elb.amazonaws.com`).
            if let Some(r) = std::iter::once(name)
                .chain(&e.cnames)
                .find_map(|n| intel.region_in_name(provider, n))
            {
                e.place.region = Some(r.to_string());
            }
        }
    }
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
                registered: None,
            });
        }
    }
    // Sorted as indexes, then taken in that order: an endpoint is a few hundred bytes.
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&v[a], &v[b]);
        a.device
            .cmp(&b.device)
            .then((b.bytes_up + b.bytes_down).cmp(&(a.bytes_up + a.bytes_down)))
    });
    take_in_order(v, order)
}

/// Round trips all below this (milliseconds, 1 000 km) are taken for a proxy's
/// ([`place_by_round_trips`]).
const PROXY_RTT_MS: f64 = 10.0;

/// Where the capture was taken, as the round trips of its TCP handshakes tell it, and the
/// endpoints whose registered country that rules out (a CDN edge or an anycast address nearer
/// than its registry says) marked so: their `location` says why, and their country is dropped.
///
/// The site is voted on by the endpoints of networks that sit where they are registered: not a
/// CDN's nor a network that serves from edges everywhere (Google, Akamai...), whose addresses
/// answer from near the user whatever their registry says; when fewer than two such endpoints
/// were measured, by all of them. Each country a voter is registered in is a candidate; a voter
/// contradicts a candidate when its country lies farther from it than light in fibre goes in
/// its round trip. The site is the candidate with the fewest contradictions, and every measured
/// endpoint that contradicts it (each of them, where several tie) is marked. Nothing is marked
/// when the site leaves more than half of the voters contradicting it, or would mark more than
/// half of the endpoints: round trips that no single place explains are not distances (a proxy
/// answering every handshake itself, a capture of several sites). Returns the site (or the tied
/// ones, joined by "/") when there were two candidates or more.
pub fn place_by_round_trips(v: &mut [Endpoint]) -> Option<String> {
    // (index, round trip, country, votes)
    let mut measured: Vec<(usize, f64, String, bool)> = v
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.place.anycast && e.location.is_none())
        .filter_map(|(k, e)| {
            let votes = e.cdn().is_none() && !iotscope_intel::is_edge_network(e.place.asn);
            Some((k, e.rtt_ms?, e.place.country.clone()?, votes))
        })
        .collect();
    if measured.iter().filter(|m| m.3).count() < 2 {
        // Only edges: they vote together, when there are enough of them for a majority to
        // mean something.
        if measured.len() < 5 {
            return None;
        }
        for m in &mut measured {
            m.3 = true;
        }
    }
    // Every server answered within a few milliseconds: a proxy near the capture that answers
    // handshakes itself (a mobile operator's, a company's) is likelier than every server having
    // an edge next door, and its round trips say nothing of the servers'.
    if measured.iter().all(|m| m.1 < PROXY_RTT_MS) {
        return None;
    }
    let candidates: BTreeSet<&str> = measured.iter().map(|m| m.2.as_str()).collect();
    let voters = measured.iter().filter(|m| m.3).count();
    if candidates.len() < 2 {
        return None;
    }
    // The towns are read only for a capture that needs them.
    let geo = Geo::get();
    let mut km: HashMap<(String, String), Option<f64>> = HashMap::new();
    let mut contradicts = |site: &str, rtt: f64, cc: &str| -> Option<f64> {
        let d = *km
            .entry((site.to_string(), cc.to_string()))
            .or_insert_with(|| geo.min_km_between(site, cc));
        d.filter(|d| *d > rtt * KM_PER_RTT_MS)
    };
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|&c| {
            let n = measured
                .iter()
                .filter(|m| m.3 && contradicts(c, m.1, &m.2).is_some())
                .count();
            (n, c)
        })
        .collect();
    scored.sort();
    let fewest = scored.first()?.0;
    if fewest * 2 > voters {
        return None;
    }
    let sites: Vec<&str> = scored
        .iter()
        .take_while(|(n, _)| *n == fewest)
        .map(|(_, c)| *c)
        .collect();
    let site = sites.join("/");
    let mut marks: Vec<(usize, LocationCheck)> = Vec::new();
    for (k, rtt, cc, _) in &measured {
        let mut nearest: Option<f64> = None;
        for s in &sites {
            match contradicts(s, *rtt, cc) {
                Some(d) => nearest = Some(nearest.map_or(d, |n: f64| n.min(d))),
                None => {
                    nearest = None;
                    break;
                }
            }
        }
        if let Some(country_km) = nearest {
            marks.push((
                *k,
                LocationCheck {
                    rtt_ms: *rtt,
                    max_km: rtt * KM_PER_RTT_MS,
                    country_km,
                    edge: true,
                    registered: Some(cc.clone()),
                },
            ));
        }
    }
    if marks.len() * 2 > measured.len() {
        return None;
    }
    for (k, check) in marks {
        let e = &mut v[k];
        e.location = Some(check);
        e.place.country = None;
    }
    Some(site)
}

/// The items of `v` at the indexes `order` gives, in that order (each index once).
fn take_in_order<T>(v: Vec<T>, order: impl IntoIterator<Item = usize>) -> Vec<T> {
    let mut v: Vec<Option<T>> = v.into_iter().map(Some).collect();
    order.into_iter().filter_map(|k| v[k].take()).collect()
}

/// The busiest of the endpoints `eps` (each with its index) for each (device, MAC, address):
/// where the flows that named nothing go. It is filed under no MAC too, whatever the
/// endpoint's: a flow of which the capture holds only the far side's frames has no MAC for the
/// device. The first of equally busy ones wins.
pub fn busiest_by_address<'e>(
    eps: impl IntoIterator<Item = (usize, &'e Endpoint)>,
) -> HashMap<(IpAddr, Option<Mac>, IpAddr), usize> {
    let mut busiest: HashMap<(IpAddr, Option<Mac>, IpAddr), (usize, u64)> = HashMap::new();
    for (k, e) in eps {
        let bytes = e.bytes_up + e.bytes_down;
        for mac in [e.mac, None] {
            let at = busiest.entry((e.device, mac, e.addr)).or_insert((k, bytes));
            if bytes > at.1 {
                *at = (k, bytes);
            }
        }
    }
    busiest.into_iter().map(|(key, (k, _))| (key, k)).collect()
}

/// The host an HTTP Host header names: without its port, and an IPv6 literal (`[2001:db8::1]:80`)
/// without its brackets.
pub fn host_of(host: &str) -> &str {
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::names_a_host;

    #[test]
    fn what_a_client_sent_names_a_host_unless_it_is_an_address_localhost_or_a_wildcard() {
        assert!(names_a_host("rest-hw-u044.immedia-semi.com"));
        for n in [
            "52.94.1.2",
            "localhost",
            "a.localhost",
            "*.immedia-semi.com",
        ] {
            assert!(!names_a_host(n), "{n}");
        }
    }
}
