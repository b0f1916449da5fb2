//! Devices: the local hosts of the capture, keyed by MAC address where layer 2 is visible and by
//! IP address elsewhere, with what the traffic says about each: vendor (IEEE registry, shipped
//! with the program by the `oui-data` crate), the addresses it holds (from its traffic, DHCP acks
//! and ARP), the names it gives itself or is given (DHCP host
//! name and FQDN, mDNS and NBNS names), the stack fingerprints it shows (DHCP vendor class and
//! parameter list, User-Agents, SSDP server strings), its addresses, and its traffic.
//!
//! Every claim keeps where it came from. Device *types* are not guessed here yet.

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use iotscope_flow::{icmp_kind, Event, Flow, FlowIndex, Side};
use iotscope_packet::{fmt_mac, ip_of, Mac, Nanos};
use iotscope_proto::app::{App, By, Message};
use iotscope_proto::dns::RData;
use serde::Serialize;

/// How a device is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "by", content = "value", rename_all = "lowercase")]
pub enum DeviceKey {
    Mac(#[serde(serialize_with = "ser_mac")] Mac),
    Ip(IpAddr),
}

fn ser_mac<S: serde::Serializer>(m: &Mac, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt_mac(m))
}

/// Something the traffic says about a device, and where it said it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Claim {
    /// What is claimed: "hostname", "mdns-name", "nbns-name", "dhcp-vendor-class",
    /// "dhcp-parameters", "user-agent", "ssdp-server", "dhcpv6-fqdn", "snmp-name", "lldp-name",
    /// "cdp-platform"...
    pub kind: String,
    pub value: String,
    /// The frame (1-based) that said it first.
    pub frame: u64,
}

/// One local host.
#[derive(Clone, Debug, Serialize)]
pub struct Device {
    pub key: DeviceKey,
    /// The MAC is locally administered (randomised by a phone or laptop, or set by hand): its
    /// prefix names no vendor.
    pub randomised: bool,
    /// Vendor registered for the MAC's prefix (IEEE MA-L/MA-M/MA-S).
    pub vendor: Option<String>,
    /// IP addresses the device sent from or was given by DHCP.
    pub addresses: BTreeSet<IpAddr>,
    pub claims: BTreeSet<Claim>,
    pub first: Nanos,
    pub last: Nanos,
    /// Frames and bytes the device sent (up) and received (down), in IP flows.
    pub packets_up: u64,
    pub packets_down: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub flows: u64,
    /// A host of another subnet whose packets arrive through this MAC, a router on the way (a
    /// phone on a plug's setup network, a guest network behind a second router): the MAC.
    pub behind: Option<Mac>,
    /// The earliest frame of each kind and value of claim, found without building a claim (a
    /// host repeats itself: every lookup, request and announcement claims again). A cache of
    /// `claims`, whose earliest frames only go down: one missing here is looked up there.
    #[serde(skip)]
    earliest: HashMap<(String, String), u64>,
}

/// A claim's kind and value, to look up [`Device::earliest`] without allocating.
#[derive(Hash)]
struct ClaimRef<'a>(&'a str, &'a str);

impl hashbrown::Equivalent<(String, String)> for ClaimRef<'_> {
    fn equivalent(&self, k: &(String, String)) -> bool {
        self.0 == k.0 && self.1 == k.1
    }
}

impl Device {
    pub(crate) fn new(key: DeviceKey) -> Device {
        let (vendor, randomised) = match key {
            // A redundancy group's MAC names the group, not a maker.
            DeviceKey::Mac(m) => match virtual_router(&m) {
                Some((p, g)) => (Some(format!("{p} group {g}")), false),
                None => (vendor(&m), m[0] & 0x02 != 0),
            },
            DeviceKey::Ip(_) => (None, false),
        };
        Device {
            key,
            randomised,
            vendor,
            addresses: BTreeSet::new(),
            claims: BTreeSet::new(),
            first: Nanos::MAX,
            last: Nanos::MIN,
            packets_up: 0,
            packets_down: 0,
            bytes_up: 0,
            bytes_down: 0,
            flows: 0,
            behind: None,
            earliest: HashMap::new(),
        }
    }

    /// Takes in `o`, another device found to be the same host: its addresses, claims and counts.
    fn absorb(&mut self, o: Device) {
        self.addresses.extend(o.addresses);
        self.claims.extend(o.claims);
        self.packets_up += o.packets_up;
        self.packets_down += o.packets_down;
        self.bytes_up += o.bytes_up;
        self.bytes_down += o.bytes_down;
        self.flows += o.flows;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
    }

    /// Whether a frame from address `ip` with source MAC `mac` is this device's. An address
    /// can pass from one device to another (a DHCP lease, captures of different days read as
    /// one timeline): the MAC tells them apart. A host behind a router arrives with the
    /// router's MAC; a frame with no MAC (raw IP captures) is told by its address alone.
    pub fn owns(&self, ip: IpAddr, mac: Option<Mac>) -> bool {
        if !self.addresses.contains(&ip) {
            return false;
        }
        match (self.key, mac) {
            (_, None) => true,
            (DeviceKey::Mac(m), Some(x)) => m == x,
            (DeviceKey::Ip(_), Some(x)) => self.behind.is_none_or(|r| r == x),
        }
    }

    /// The names the device is known by (host names first), without repeats.
    /// The device's stable identifier in output: its MAC, else its address.
    pub fn id(&self) -> String {
        match self.key {
            DeviceKey::Mac(m) => iotscope_packet::fmt_mac(&m),
            DeviceKey::Ip(ip) => ip.to_string(),
        }
    }

    /// A short name for the device in other devices' findings: its own name, else its vendor.
    pub fn short_name(&self) -> Option<String> {
        self.names()
            .into_iter()
            .next()
            .or_else(|| self.vendor.clone())
    }

    pub fn names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for kind in [
            "hostname",
            "dhcpv6-fqdn",
            "mdns-name",
            "nbns-name",
            "snmp-name",
            "ubnt-name",
            "lldp-name",
            "cdp-name",
        ] {
            for c in self.claims.iter().filter(|c| c.kind == kind) {
                if !out.contains(&c.value) {
                    out.push(c.value.clone());
                }
            }
        }
        out
    }

    fn claim(&mut self, kind: &str, value: &str, frame: u64) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        if self
            .earliest
            .get(&ClaimRef(kind, value))
            .is_some_and(|&f| f <= frame + 1)
        {
            return;
        }
        // Keep the earliest frame for each (kind, value): the set is ordered by kind, value,
        // frame, so the first claim from (kind, value, 0) on is the one to compare with.
        let mut key = Claim {
            kind: kind.into(),
            value: value.into(),
            frame: 0,
        };
        match self.claims.range(&key..).next() {
            Some(c) if c.kind == key.kind && c.value == key.value => {
                if c.frame <= frame + 1 {
                    self.earliest.insert((key.kind, key.value), c.frame);
                    return;
                }
                let c = c.clone();
                self.claims.remove(&c);
            }
            _ => {}
        }
        key.frame = frame + 1;
        self.earliest
            .insert((key.kind.clone(), key.value.clone()), key.frame);
        self.claims.insert(key);
    }
}

/// The registered vendor of a MAC address, unless the address is locally administered.
pub fn vendor(m: &Mac) -> Option<String> {
    if m[0] & 0x02 != 0 || *m == [0; 6] {
        return None;
    }
    // A few registrations end in a comma ("Siemens AG,"); "Private" ones name nobody.
    iotscope_intel::mac_vendor(m)
        .map(|v| v.trim_end_matches([',', ' ']))
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("private"))
        .map(str::to_string)
}

/// Which addresses belong to this network rather than to the internet: private, link-local and
/// unique local addresses, and any networks the user names (`--local CIDR`).
#[derive(Clone, Debug, Default)]
pub struct Local {
    nets: Vec<(IpAddr, u8)>,
    /// Addresses of another network, whatever their range: the hosts beyond the far end of a
    /// tunnel to the internet ([`Local::learn`]), with that far end.
    far: HashMap<IpAddr, IpAddr>,
}

impl Local {
    /// Parses networks like "203.0.113.0/24" or "2001:db8::/48".
    pub fn new(cidrs: &[String]) -> Result<Local, String> {
        let mut nets = Vec::new();
        for c in cidrs {
            let (a, n) = c.split_once('/').unwrap_or((c.as_str(), ""));
            let addr: IpAddr = a.parse().map_err(|_| format!("not a network: {c}"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len: u8 = if n.is_empty() {
                max
            } else {
                n.parse().map_err(|_| format!("not a prefix length: {c}"))?
            };
            if len > max {
                return Err(format!("prefix too long: {c}"));
            }
            nets.push((addr, len));
        }
        Ok(Local {
            nets,
            far: HashMap::new(),
        })
    }

    pub fn contains(&self, a: &IpAddr) -> bool {
        if !self.far.is_empty() && self.far.contains_key(a) {
            return false;
        }
        is_local(a) || self.nets.iter().any(|(n, len)| within(a, n, *len))
    }

    /// Adds the global IPv6 networks the capture shows to be on this link, so that a dual-stack
    /// network's own public prefix is not taken for the internet: the prefixes a router
    /// advertises as on-link, and the /64 of every address that Neighbor Discovery places on the
    /// link (an address a host checks before taking it, a neighbour's advertisement, a
    /// solicitation's sender). Nothing routes Neighbor Discovery (the parser only reads it with
    /// a hop limit of 255), and IPv6 hosts' subnets are /64s.
    ///
    /// Also an IPv4 address a DHCP server acknowledged (and the routers the acknowledgement
    /// names) or an ARP message's sender claimed, and the /64 of a global address whose interface identifier is the modified EUI-64 of the
    /// MAC its frames come from (RFC 4291, appendix A: SLAAC without privacy extensions): only a
    /// host on this link sends with its own MAC, since a routed packet carries its router's.
    ///
    /// And takes out the addresses that only ever came out of a tunnel whose outer packets came
    /// from the internet (the far side of a site-to-site GRE tunnel): a private address
    /// there is a host of the other site, not of this network, however it is numbered.
    pub fn learn(&mut self, events: &[Event], flows: &[Flow]) {
        // How many IPv4 addresses each MAC claims in ARP (each pair is one event).
        let mut arp_addresses: HashMap<Mac, usize> = HashMap::new();
        for e in events {
            if let Message::Arp { mac, ip, .. } = &e.message {
                if claimable(ip) {
                    *arp_addresses.entry(*mac).or_default() += 1;
                }
            }
        }
        // ARP from the far side of a tunnel to the internet speaks for the other site: each
        // such address with the tunnel's far end; the addresses ARP showed elsewhere.
        let (mut arp_beyond, mut arp_near): (HashMap<IpAddr, IpAddr>, HashSet<IpAddr>) =
            Default::default();
        for e in events {
            if let Message::Arp { ip, via, .. } = &e.message {
                match via {
                    Some(o) if self.outer_on_internet(*via) => {
                        arp_beyond.entry(IpAddr::V4(*ip)).or_insert(*o);
                    }
                    _ => {
                        arp_near.insert(IpAddr::V4(*ip));
                    }
                }
            }
        }
        // Addresses that held a TCP conversation (data both ways) in which their first packet
        // came with a TTL of 1 or 255: no router passes on a packet with 255 (RFC 5082's
        // security for routing sessions), and none of the internet's sessions arrives with 1
        // (external BGP's default). The sender is on this link.
        let on_link: HashSet<(Mac, IpAddr)> = flows
            .iter()
            .filter(|f| f.key.proto == 6 && f.both_spoke())
            .flat_map(|f| {
                [Side::A, Side::B].into_iter().filter_map(move |side| {
                    let m = f.mac[side as usize]?;
                    matches!(f.ttl[side as usize], 1 | 255).then(|| (m, ip_of(&f.key.end(side).0)))
                })
            })
            .collect();
        let mut add = |ip: IpAddr, len: u8| {
            let IpAddr::V6(a) = ip else {
                // An IPv4 host address (the only ones learned).
                if !(ip.is_unspecified() || is_broadcast(&ip) || self.contains(&ip)) {
                    self.nets.push((ip, 32));
                }
                return;
            };
            if a.is_unspecified() || a.is_multicast() || is_local(&ip) || self.contains(&ip) {
                return;
            }
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len.min(128)))
            };
            let net = std::net::Ipv6Addr::from(u128::from(a) & mask);
            self.nets.push((IpAddr::V6(net), len));
        };
        for e in events {
            // An address a DHCP server of this network leased, and the routers it names, are
            // this network's, public or not.
            // (One sent to a relay, to port 67, is for a client on another network.)
            if let Message::Dhcp(m) = &e.message {
                if m.msg_type == Some(5) && e.dst_port == 68 {
                    for a in std::iter::once(m.your_addr).chain(m.routers.iter().copied()) {
                        add(IpAddr::V4(a), 32);
                    }
                }
            }
            // An ARP sender is on this link, whatever its address: ARP does not cross routers
            // (a LAN numbered from public space, a lab's 11.0.0.0/8). Not when its MAC shows
            // several addresses: a router asks from whichever of its own it likes (Linux's
            // default `arp_announce`), its WAN address among them; unless that address held a
            // routing session of this link (a router's interfaces to its neighbours).
            if let Message::Arp { mac, ip, .. } = &e.message {
                let a = IpAddr::V4(*ip);
                if claimable(ip)
                    && (arp_addresses.get(mac).is_some_and(|n| *n == 1)
                        || on_link.contains(&(*mac, a)))
                    && !arp_beyond.contains_key(&a)
                {
                    add(IpAddr::V4(*ip), 32);
                }
            }
            let Message::Ndp(m) = &e.message else {
                continue;
            };
            for p in &m.prefixes {
                // A short prefix would swallow the internet: a LAN's is a /64 (or a /56-/63
                // a router delegates further).
                if p.on_link && (48..=128).contains(&p.len) {
                    add(IpAddr::V6(p.prefix), p.len);
                }
            }
            if let Some(t) = m
                .target
                .filter(|_| m.kind == "neighbor-advertisement" || e.src.is_unspecified())
            {
                add(IpAddr::V6(t), 64);
            }
            if m.kind != "router-advertisement" {
                add(IpAddr::V6(e.src), 64);
            }
        }
        for f in flows {
            for side in [Side::A, Side::B] {
                let (Some(m), IpAddr::V6(a)) = (f.mac[side as usize], ip_of(&f.key.end(side).0))
                else {
                    continue;
                };
                let eui64 = [m[0] ^ 2, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]];
                if !is_group_mac(&m) && a.octets()[8..] == eui64 {
                    add(IpAddr::V6(a), 64);
                }
            }
        }
        // A sender of packets to the local network control block (224.0.0.0/24: OSPF, PIM,
        // VRRP, mDNS...), which no router passes on, is on this link, whatever its address (a
        // router's loopback address 1.1.1.1 in its PIM messages).
        for f in flows.iter().filter(|f| f.depth == 0) {
            let (to, from) = (f.key.end(f.initiator.other()).0, f.key.end(f.initiator).0);
            if let (IpAddr::V4(t), IpAddr::V4(a)) = (ip_of(&to), ip_of(&from)) {
                if in_control_block(t) && !a.is_unspecified() {
                    add(IpAddr::V4(a), 32);
                }
            }
        }
        // A station's global IPv6 addresses, with no router advertisement in the capture: a MAC
        // that sends from one /64 only (its SLAAC and privacy addresses), to and from a MAC that
        // forwards the traffic of at least two other /64s (the router, the internet behind it).
        // Most ISPs give homes global IPv6: without this, a dual-stack device's IPv6 half, and a
        // device with IPv6 alone, would be no device's.
        let mut prefixes: HashMap<Mac, HashSet<u64>> = HashMap::new();
        let mut peers: HashMap<Mac, HashSet<Mac>> = HashMap::new();
        for f in flows.iter().filter(|f| f.depth == 0) {
            for side in [Side::A, Side::B] {
                let (Some(m), IpAddr::V6(a)) = (f.mac[side as usize], ip_of(&f.key.end(side).0))
                else {
                    continue;
                };
                let ip = IpAddr::V6(a);
                if is_group_mac(&m) || is_local(&ip) || a.is_multicast() || a.is_unspecified() {
                    continue;
                }
                prefixes
                    .entry(m)
                    .or_default()
                    .insert((u128::from(a) >> 64) as u64);
                if let Some(other) = f.mac[side.other() as usize].filter(|o| *o != m) {
                    peers.entry(m).or_default().insert(other);
                }
            }
        }
        for (m, own) in &prefixes {
            let [p] = own.iter().copied().collect::<Vec<_>>()[..] else {
                continue;
            };
            let router = peers.get(m).into_iter().flatten().any(|g| {
                prefixes
                    .get(g)
                    .is_some_and(|s| s.iter().filter(|x| **x != p).count() >= 2)
            });
            if router {
                add(
                    IpAddr::V6(std::net::Ipv6Addr::from(u128::from(p) << 64)),
                    64,
                );
            }
        }
        let mut near = arp_near;
        let mut far: HashMap<IpAddr, IpAddr> = arp_beyond
            .into_iter()
            .filter(|(a, _)| self.contains(a))
            .collect();
        for f in flows {
            for side in [Side::A, Side::B] {
                let ip = ip_of(&f.key.end(side).0);
                let outer = f.outer[side as usize].map(|o| ip_of(&o));
                if let (true, Some(o)) = (f.depth > 0 && self.outer_on_internet(outer), outer) {
                    if self.contains(&ip) {
                        far.entry(ip).or_insert(o);
                    }
                } else if f.depth == 0 || outer.is_some() {
                    near.insert(ip);
                }
            }
        }
        far.retain(|a, _| !near.contains(a));
        self.far.extend(far);
    }

    /// The far end of the tunnel to the internet that address `a` lives beyond, if it does.
    pub fn beyond(&self, a: &IpAddr) -> Option<IpAddr> {
        self.far.get(a).copied()
    }

    /// Whether a tunnel packet's outer source (`via`) is on the internet.
    fn outer_on_internet(&self, via: Option<IpAddr>) -> bool {
        via.is_some_and(|o| !self.contains(&o))
    }
}

fn within(a: &IpAddr, net: &IpAddr, len: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            u32::from(*a) & mask == u32::from(*n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            u128::from(*a) & mask == u128::from(*n) & mask
        }
        _ => false,
    }
}

/// An address a host can hold on a link, as ARP claims it: not 0.0.0.0 (a probe's sender,
/// RFC 5227), loopback (the host itself, never on the wire), a group or the broadcast address.
fn claimable(ip: &Ipv4Addr) -> bool {
    !(ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() || ip.is_broadcast())
}

/// Addresses of this network rather than of the internet: private, link-local, unique local.
pub fn is_local(a: &IpAddr) -> bool {
    // Loopback is the capturing host itself, never the internet; nor is 0.0.0.0/8, "this host
    // on this network" (RFC 1122), which no packet is routed to.
    iotscope_packet::is_private(a)
        || a.is_loopback()
        || matches!(a, IpAddr::V4(v) if v.octets()[0] == 0)
}

/// A broadcast address: 255.255.255.255, or a local address ending in 255 (a local subnet's
/// broadcast address most often does; a public one ending in 255 can be any host's).
pub fn is_broadcast(a: &IpAddr) -> bool {
    matches!(a, IpAddr::V4(v) if v.is_broadcast() || (v.octets()[3] == 255 && is_local(a)))
}

/// A MAC no station sends from: a group (multicast, broadcast) address, or all zeros (the
/// Linux loopback interface's frames, and some tools' made-up headers).
pub(crate) fn is_group_mac(m: &Mac) -> bool {
    m[0] & 0x01 != 0 || *m == [0; 6]
}

/// An address of the local network control block (224.0.0.0/24: OSPF, PIM, VRRP, mDNS...),
/// whose packets no router passes on.
fn in_control_block(a: Ipv4Addr) -> bool {
    a.octets()[..3] == [224, 0, 0]
}

/// A router redundancy protocol's virtual MAC, shared by the routers of one group (the one
/// in charge sends from it, and forwards the hosts' packets with it): the protocol and the
/// group. VRRP for IPv4 and IPv6 (RFC 5798: 00-00-5E-00-01-{VRID}, 00-00-5E-00-02-{VRID}),
/// HSRP versions 1 and 2 (0000.0c07.acXX, 0000.0c9f.fXXX), GLBP (0007.b400.XXYY: group,
/// forwarder).
pub(crate) fn virtual_router(m: &Mac) -> Option<(&'static str, u16)> {
    match *m {
        [0, 0, 0x5e, 0, 1 | 2, g] => Some(("VRRP", u16::from(g))),
        [0, 0, 0x0c, 0x07, 0xac, g] => Some(("HSRP", u16::from(g))),
        [0, 0, 0x0c, 0x9f, h, l] if h & 0xf0 == 0xf0 => {
            Some(("HSRP", u16::from(h & 0x0f) << 8 | u16::from(l)))
        }
        [0, 0x07, 0xb4, 0, g, _] => Some(("GLBP", u16::from(g))),
        _ => None,
    }
}

/// The routing protocol side `side` of a flow speaks, which only routers do: a redundancy
/// group's advertisements, by IP protocol or port and the multicast group they go to (VRRP: IP
/// protocol 112 to 224.0.0.18 or ff02::12; HSRP: udp/1985 to 224.0.0.2 or 224.0.0.102, udp/2029
/// to ff02::66; GLBP: udp/3222 to 224.0.0.102), OSPF, EIGRP and PIM by their IP protocol (89,
/// 88, 103), and BGP, either end of a session that carried data both ways.
fn routing_protocol(f: &Flow, side: Side) -> Option<&'static str> {
    if f.app.app == App::Bgp && f.both_spoke() {
        return Some("BGP");
    }
    if side != f.initiator {
        return None;
    }
    let (to, port) = f.key.end(side.other());
    let group = match ip_of(&to) {
        IpAddr::V4(a) => in_control_block(a) && matches!(a.octets()[3], 2 | 18 | 102),
        IpAddr::V6(a) => matches!(a.segments(), [0xff02, 0, 0, 0, 0, 0, 0, 0x12 | 0x66]),
    };
    match (f.key.proto, port) {
        (89, _) => Some("OSPF"),
        (88, _) => Some("EIGRP"),
        (103, _) => Some("PIM"),
        _ if !group => None,
        (112, _) => Some("VRRP"),
        (17, 1985 | 2029) => Some("HSRP"),
        (17, 3222) => Some("GLBP"),
        _ => None,
    }
}

/// Hosts known only by an address (frames without MACs: a loopback or raw IP capture, a host
/// behind no router) are one host when an mDNS or LLMNR answer sent from one of their addresses
/// gives one name the others too: a host answers for its own name with all its addresses (IPv4
/// and IPv6). Their devices become one, under the first key.
fn merge_by_own_answers(by_key: &mut BTreeMap<DeviceKey, Device>, events: &[Event]) {
    let lone = |by_key: &BTreeMap<DeviceKey, Device>, a: &IpAddr| {
        by_key
            .get(&DeviceKey::Ip(*a))
            .is_some_and(|d| d.behind.is_none())
    };
    let mut groups: Vec<BTreeSet<IpAddr>> = Vec::new();
    for e in events {
        let Message::Dns(m) = &e.message else {
            continue;
        };
        if !m.response || !matches!(e.src_port, 5353 | 5355) {
            continue;
        }
        let src = ip_of(&e.src);
        let mut by_name: BTreeMap<&str, BTreeSet<IpAddr>> = BTreeMap::new();
        for r in &m.records {
            if let Some(a) = r.data.addr() {
                by_name.entry(r.name.as_str()).or_default().insert(a);
            }
        }
        for addrs in by_name.into_values() {
            if addrs.len() >= 2 && addrs.contains(&src) && addrs.iter().all(|a| lone(by_key, a)) {
                groups.push(addrs);
            }
        }
    }
    // Where a key already merged went.
    let mut moved: HashMap<DeviceKey, DeviceKey> = HashMap::new();
    for g in groups {
        let mut keys: Vec<DeviceKey> = g
            .iter()
            .map(|a| {
                let mut k = DeviceKey::Ip(*a);
                while let Some(to) = moved.get(&k) {
                    k = *to;
                }
                k
            })
            .filter(|k| by_key.contains_key(k))
            .collect();
        keys.sort();
        keys.dedup();
        let Some((first, rest)) = keys.split_first() else {
            continue;
        };
        for k in rest {
            let Some(other) = by_key.remove(k) else {
                continue;
            };
            moved.insert(*k, *first);
            if let Some(d) = by_key.get_mut(first) {
                d.absorb(other);
            }
        }
    }
}

/// The MAC an IPv6 link-local address's interface identifier was made from (modified EUI-64:
/// ff:fe in its middle, the universal/local bit flipped).
fn eui64_mac(ip: IpAddr) -> Option<Mac> {
    let IpAddr::V6(a) = ip else { return None };
    let o = a.octets();
    (a.segments()[0] & 0xffc0 == 0xfe80 && o[11] == 0xff && o[12] == 0xfe)
        .then(|| [o[8] ^ 2, o[9], o[10], o[13], o[14], o[15]])
        .filter(|m| !is_group_mac(m))
}

/// Builds the device inventory from flows and parser events.
/// The MACs of the flow with id `id` (what a message's `flow` names) as [client, server].
pub(crate) fn flow_macs(flows: &[Flow], index: &FlowIndex, id: u64) -> Option<[Option<Mac>; 2]> {
    let f = &flows[index.find(id)?];
    Some([
        f.mac[f.initiator as usize],
        f.mac[f.initiator.other() as usize],
    ])
}

/// The host name in a NetBIOS name (`NAS<20>`, as the parsers write it): its workstation's or
/// server's (suffixes 00 and 20), not a group's or the messenger's (03, often a person's).
fn host_netbios_name(name: &str) -> Option<&str> {
    let (name, 0x00 | 0x20) = iotscope_proto::iot::netbios_suffix(name)? else {
        return None;
    };
    let name = name.trim();
    (!name.is_empty() && !name.chars().any(|c| c.is_control())).then_some(name)
}

/// Whether side `side` of flow `f` sent to a group (multicast or broadcast): such packets
/// carry the TTL their program chose (SSDP's NOTIFY goes out with 4, 127 or 255, whatever the
/// system's default), which tells nothing of routers crossed.
fn to_group(f: &Flow, side: Side) -> bool {
    let to = ip_of(&f.key.end(side.other()).0);
    to.is_multicast() || is_broadcast(&to)
}

/// A TTL that no host starts with (32, 64, 128, 255), and above the tiny values link-local
/// protocols choose: the packet crossed at least one router.
fn decremented_ttl(ttl: u8) -> bool {
    ttl > 16 && !matches!(ttl, 32 | 64 | 128 | 255)
}

/// A TTL or hop limit one or two below a value hosts start with (32, 64, 128, 255): the packet
/// crossed a router or two since it was sent. (Link-local protocols choose tiny values, 1 for
/// IGMP, 2 or 4 for SSDP, which say nothing of routers.)
fn routed_ttl(ttl: u8) -> bool {
    matches!(ttl, 30 | 31 | 62 | 63 | 126 | 127 | 253 | 254)
}

pub fn devices(flows: &[Flow], events: &[Event], local: &Local) -> Vec<Device> {
    let mut by_key: BTreeMap<DeviceKey, Device> = BTreeMap::new();
    let mut by_ip: BTreeMap<IpAddr, DeviceKey> = BTreeMap::new();
    // The IPv4 addresses each MAC holds by its own word (ARP) or its DHCP server's (an ACK).
    let mut own: BTreeMap<Mac, BTreeSet<IpAddr>> = BTreeMap::new();
    for e in events {
        match &e.message {
            Message::Arp { mac, ip, .. } if claimable(ip) => {
                own.entry(*mac).or_default().insert(IpAddr::V4(*ip));
            }
            Message::Dhcp(m) if m.msg_type == Some(5) && !m.your_addr.is_unspecified() => {
                own.entry(m.client_mac)
                    .or_default()
                    .insert(IpAddr::V4(m.your_addr));
            }
            _ => {}
        }
    }
    // Two things of each address's station MAC (its frames' source, no group address):
    // - the MAC it first came from: a host's packets to itself over the loopback interface
    //   carry the all-zero MAC, and belong to the host;
    // - the local IPv4 addresses each MAC carried in packets that crossed a router (a TTL below
    //   every value hosts start with). Two or more make the MAC a router's, and each address a
    //   host of another subnet behind it (remote stations of a control network, a LAN's
    //   servers seen from a client's subnet), however many hops away.
    let mut station_of: HashMap<IpAddr, Mac> = HashMap::new();
    let mut routed_by: HashMap<Mac, BTreeSet<IpAddr>> = HashMap::new();
    // Each address's MAC on this link: the first that sent from it with a TTL a host starts with.
    let mut own_station: HashMap<IpAddr, Mac> = HashMap::new();
    // The local addresses each MAC sent from with a TTL a host starts with: from this link.
    let mut sent_from: HashMap<Mac, BTreeSet<IpAddr>> = HashMap::new();
    for f in flows {
        for side in [Side::A, Side::B] {
            let Some(m) = f.mac[side as usize].filter(|m| !is_group_mac(m)) else {
                continue;
            };
            let ip = ip_of(&f.key.end(side).0);
            station_of.entry(ip).or_insert(m);
            if matches!(f.ttl[side as usize], 32 | 64 | 128 | 255) {
                own_station.entry(ip).or_insert(m);
                if local.contains(&ip) && !ip.is_unspecified() {
                    sent_from.entry(m).or_default().insert(ip);
                }
            }
            if ip.is_ipv4()
                && !ip.is_unspecified()
                && local.contains(&ip)
                && decremented_ttl(f.ttl[side as usize])
                && !to_group(f, side)
            {
                routed_by.entry(m).or_default().insert(ip);
            }
        }
    }
    routed_by.retain(|_, a| a.len() >= 2);
    // A MAC that claims no address of its own and sends only from addresses that another MAC of
    // the same maker claims (by ARP or DHCP): one host answering from a second interface (a
    // gateway whose ARP comes from one port and its DNS answers from another, a cluster of
    // two). Its frames are that host's.
    let mut alias: HashMap<Mac, Mac> = HashMap::new();
    for (y, ips) in &sent_from {
        if own.contains_key(y) {
            continue;
        }
        let Some(maker) = vendor(y) else { continue };
        let mut owners = own
            .iter()
            .filter(|(x, a)| *x != y && ips.iter().all(|ip| a.contains(ip)));
        if let (Some((x, _)), None) = (owners.next(), owners.next()) {
            if vendor(x).as_deref() == Some(maker.as_str()) {
                alias.insert(*y, *x);
            }
        }
    }
    // Local addresses that only ever spoke to say a packet could not go on (an ICMP error of a
    // router, nothing sent to them): a router on the path beyond this link, no device of it.
    let mut path_router: HashMap<IpAddr, bool> = HashMap::new();
    for f in flows {
        for side in [Side::A, Side::B] {
            let ip = ip_of(&f.key.end(side).0);
            let icmp = f.icmp[side as usize];
            let only_errors = matches!(f.key.proto, 1 | 58)
                && icmp & icmp_kind::ROUTER_ERROR != 0
                && icmp & !(icmp_kind::ERROR | icmp_kind::ROUTER_ERROR) == 0
                && f.from(side.other()).packets == 0;
            if only_errors || f.from(side).packets > 0 || f.from(side.other()).packets > 0 {
                *path_router.entry(ip).or_insert(true) &= only_errors;
            }
        }
    }
    // MACs that both ends of one conversation between two local hosts came from: no station of
    // its own can be both ends, so each host is known by its address, reached through that MAC
    // (a bridge that rewrites the MACs of the hosts behind it, a mirror of a routed link).
    let two_ended: HashSet<Mac> = flows
        .iter()
        .filter_map(|f| {
            let m = f.mac[0].filter(|m| !is_group_mac(m) && f.mac[1] == Some(*m))?;
            let [a, b] = [Side::A, Side::B].map(|s| ip_of(&f.key.end(s).0));
            (a != b && local.contains(&a) && local.contains(&b)).then_some(m)
        })
        .collect();
    // The MACs that frames from internet addresses carry: the router's, on a LAN capture.
    // (flows, first frame) per MAC.
    let mut from_internet: BTreeMap<Mac, (u64, u64)> = BTreeMap::new();
    for f in flows {
        for side in [Side::A, Side::B] {
            let (addr, _) = f.key.end(side);
            let ip = ip_of(&addr);
            // The capturing host talking to itself: no device of the network, and no internet.
            if ip.is_loopback() {
                continue;
            }
            let unspecified = ip.is_unspecified();
            if !(local.contains(&ip) || unspecified) {
                // Frames from the internet that carry the local end's own MAC were not forwarded
                // by a router of their own: that MAC is no gateway to the internet.
                let own = f.mac[side as usize] == f.mac[side.other() as usize];
                if let Some(m) = f.mac[side as usize].filter(|m| !is_group_mac(m) && !own) {
                    let c = from_internet.entry(m).or_insert((0, f.first_frame));
                    c.0 += 1;
                    c.1 = c.1.min(f.first_frame);
                }
                continue;
            }
            // IGMP from 0.0.0.0 is a switch's or a Linux bridge's own querier (queries, and
            // Multicast Router Discovery on 224.0.0.106): the network's plumbing, no device. A
            // host of the network shows up by its other traffic.
            if unspecified && f.key.proto == 2 {
                continue;
            }
            // A side that sent nothing in this flow (a DHCP offer, a ping or an answer it never
            // returned) has no MAC of its own here: its address's station MAC elsewhere stands.
            let mac = f.mac[side as usize].or_else(|| {
                (f.from(side).packets == 0 && !unspecified)
                    .then(|| station_of.get(&ip).copied())
                    .flatten()
            });
            // The same host's packets forwarded on under a router's MAC (a capture on every
            // interface of a host that routes its containers: Linux's "any" sees each packet as
            // it came in on the container's link and as it leaves): the station that sent them
            // here with a TTL a host starts with.
            let copy_of = mac
                .filter(|m| !is_group_mac(m) && ip.is_ipv4() && routed_ttl(f.ttl[side as usize]))
                .and_then(|m| own_station.get(&ip).copied().filter(|s| *s != m));
            // A router beyond this link, whose errors a router of this link passed on.
            if copy_of.is_none()
                && path_router.get(&ip) == Some(&true)
                && decremented_ttl(f.ttl[side as usize])
                && !own_station.contains_key(&ip)
            {
                continue;
            }
            let key = match (mac, copy_of) {
                (_, Some(station)) => DeviceKey::Mac(station),
                // A local IPv4 address that its frames' MAC never claimed, in packets that
                // crossed a router: a host behind that MAC's router, a device of its own. When
                // the MAC claims no address at all, the packets must never have come from this
                // link (no TTL a host starts with) and be one or two below 64, 128 or 255:
                // some hosts start at 30 (Siemens PLCs), none at 63 or 127. (A host's
                // containers, whose packets its NAT forwards one hop down, come with the host's
                // own ARP.)
                (Some(m), None)
                    if !is_group_mac(&m)
                        && ip.is_ipv4()
                        && !unspecified
                        && (routed_ttl(f.ttl[side as usize])
                            && !to_group(f, side)
                            && match own.get(&m) {
                                Some(a) => !a.contains(&ip),
                                None => {
                                    f.ttl[side as usize] > 32
                                        && !sent_from.get(&m).is_some_and(|a| a.contains(&ip))
                                }
                            }
                            || routed_by.get(&m).is_some_and(|a| a.contains(&ip))
                            || two_ended.contains(&m)) =>
                {
                    let key = DeviceKey::Ip(ip);
                    by_key.entry(key).or_insert_with(|| Device::new(key)).behind = Some(m);
                    key
                }
                // A redundancy group's MAC sending from an address it never claimed by ARP
                // (the virtual address it answers for): one router of the group, from its own
                // address. Known by that address, or, for an IPv6 link-local one, by the MAC its
                // interface identifier was made from.
                (Some(m), None)
                    if virtual_router(&m).is_some()
                        && !unspecified
                        && !own.get(&m).is_some_and(|a| a.contains(&ip)) =>
                {
                    eui64_mac(ip).map_or(DeviceKey::Ip(ip), DeviceKey::Mac)
                }
                (Some(m), None) if !is_group_mac(&m) => {
                    DeviceKey::Mac(alias.get(&m).copied().unwrap_or(m))
                }
                (Some([0, 0, 0, 0, 0, 0]), None) if station_of.contains_key(&ip) => {
                    DeviceKey::Mac(station_of[&ip])
                }
                // A host that never sent a frame in this flow is known only by address.
                _ if unspecified || f.from(side).packets == 0 => continue,
                _ => DeviceKey::Ip(ip),
            };
            let d = by_key.entry(key).or_insert_with(|| Device::new(key));
            if !unspecified {
                d.addresses.insert(ip);
                by_ip.entry(ip).or_insert(key);
            }
            if let Some(p) = routing_protocol(f, side) {
                d.claim("routing-protocol", p, f.first_frame);
            }
            let (up, down) = (f.from(side), f.from(side.other()));
            d.packets_up += up.packets;
            d.bytes_up += up.bytes;
            d.packets_down += down.packets;
            d.bytes_down += down.bytes;
            d.first = d.first.min(f.first);
            d.last = d.last.max(f.last);
            d.flows += 1;
        }
    }
    // So that a message is given to the device that sent it even when its address also belonged
    // to another device.
    let index = FlowIndex::new(flows);
    for e in events {
        let src = ip_of(&e.src);
        // The device that sent the message, worked out only for the messages that tell
        // something of a device (most are answers and hellos that tell nothing here).
        macro_rules! sender {
            () => {
                match flow_macs(flows, &index, e.flow).and_then(|m| m[usize::from(!e.from_client)])
                {
                    Some(m)
                        if by_key
                            .get(&DeviceKey::Mac(m))
                            .is_some_and(|d| d.addresses.contains(&src)) =>
                    {
                        Some(DeviceKey::Mac(m))
                    }
                    _ => by_ip.get(&src).copied(),
                }
            };
        }
        // The device an address a message binds a name to belongs to: the sender, when it is
        // the sender's own address (an address that changed hands belongs to whoever sends
        // from it now), else the address's device.
        macro_rules! owner {
            ($a:expr) => {{
                let a: IpAddr = $a;
                (a == src)
                    .then(|| sender!())
                    .flatten()
                    .or_else(|| by_ip.get(&a).copied())
            }};
        }
        match &e.message {
            // A message a relay agent passed on (giaddr set) is about a client of another
            // subnet, which is no device of this link, and its server serves that subnet: the
            // relay, which sends the clients' requests on from its own address there, is the
            // router.
            Message::Dhcp(m) if !m.relay_addr.is_unspecified() => {
                let request = !matches!(m.msg_type, Some(2) | Some(5) | Some(6));
                if request && src == IpAddr::V4(m.relay_addr) {
                    if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                        d.claim("dhcp-relay", "relays DHCP for another subnet", e.frame);
                    }
                }
            }
            Message::Dhcp(m) => {
                if matches!(m.msg_type, Some(2) | Some(5)) {
                    // Offers and acks come from the network's DHCP server, which is its router
                    // only when it names itself so (option 3): a Pi-hole, a NAS or a server
                    // running dnsmasq hands out addresses and names the router that is.
                    let own = |a: &Ipv4Addr| m.is_own(src, *a);
                    let itself = m.names_itself_router(src);
                    if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                        let what = if itself {
                            "offers addresses, naming itself the router"
                        } else {
                            "offers addresses"
                        };
                        d.claim("dhcp-server", what, e.frame);
                    }
                    for r in m.routers.iter().filter(|a| !own(a)) {
                        if let Some(d) = owner!(IpAddr::V4(*r)).and_then(|k| by_key.get_mut(&k)) {
                            d.claim(
                                "dhcp-router",
                                "named the router by the DHCP server",
                                e.frame,
                            );
                        }
                    }
                }
                if m.client_mac == [0; 6] || is_group_mac(&m.client_mac) {
                    continue;
                }
                let key = DeviceKey::Mac(m.client_mac);
                let d = by_key.entry(key).or_insert_with(|| Device::new(key));
                if let Some(h) = &m.hostname {
                    d.claim("hostname", h, e.frame);
                }
                if let Some(v) = &m.vendor_class {
                    d.claim("dhcp-vendor-class", v, e.frame);
                }
                if !m.params.is_empty() {
                    let p: Vec<String> = m.params.iter().map(|x| x.to_string()).collect();
                    d.claim("dhcp-parameters", &p.join(","), e.frame);
                }
                if let Some(f) = &m.fqdn {
                    d.claim("dhcp-fqdn", f, e.frame);
                }
                let given = m.your_addr;
                if !given.is_unspecified() && m.msg_type == Some(5) {
                    d.addresses.insert(IpAddr::V4(given));
                }
            }
            // What a switch, router, access point, phone or server announces about itself on
            // its link (LLDP, CDP): its name, make and model, what it does, where it is managed.
            Message::Neighbor { mac, neighbor: n } => {
                if is_group_mac(mac) {
                    continue;
                }
                let key = DeviceKey::Mac(*mac);
                let d = by_key.entry(key).or_insert_with(|| Device::new(key));
                let p = n.protocol;
                for (what, v) in [
                    ("name", &n.name),
                    ("platform", &n.platform),
                    ("description", &n.description),
                ] {
                    if let Some(v) = v {
                        d.claim(&format!("{p}-{what}"), v, e.frame);
                    }
                }
                if !n.capabilities.is_empty() {
                    d.claim(
                        &format!("{p}-capabilities"),
                        &n.capabilities.join(", "),
                        e.frame,
                    );
                }
                if let Some(c) = n.med_class_name() {
                    d.claim("lldp-med-class", c, e.frame);
                }
                // Its management addresses on this network are its own, unless another host sent
                // from one or claims it (ARP, DHCP).
                for a in &n.addresses {
                    let held_elsewhere = by_ip.get(a).is_some_and(|k| *k != key)
                        || own.iter().any(|(m, ips)| m != mac && ips.contains(a));
                    if local.contains(a)
                        && !a.is_loopback()
                        && !a.is_unspecified()
                        && !a.is_multicast()
                        && !is_broadcast(a)
                        && !held_elsewhere
                    {
                        d.addresses.insert(*a);
                    }
                }
                d.first = d.first.min(e.ts);
                d.last = d.last.max(e.ts);
            }
            Message::Arp { mac, ip, .. } => {
                if is_group_mac(mac) || !claimable(ip) || !local.contains(&IpAddr::V4(*ip)) {
                    continue;
                }
                let ip = IpAddr::V4(*ip);
                let key = DeviceKey::Mac(*mac);
                let d = by_key.entry(key).or_insert_with(|| Device::new(key));
                d.addresses.insert(ip);
                d.first = d.first.min(e.ts);
                d.last = d.last.max(e.ts);
            }
            // An address a host claims on the link (duplicate address detection, from ::) or
            // answers for (a neighbour advertisement): its MAC holds it, as ARP tells for IPv4.
            Message::Ndp(m)
                if m.kind == "neighbor-advertisement"
                    || m.kind == "neighbor-solicitation" && e.src.is_unspecified() =>
            {
                let (Some(t), Some(mac)) = (m.target, m.sender) else {
                    continue;
                };
                let ip = IpAddr::V6(t);
                if is_group_mac(&mac) || mac == [0; 6] || !local.contains(&ip) {
                    continue;
                }
                let key = DeviceKey::Mac(mac);
                let d = by_key.entry(key).or_insert_with(|| Device::new(key));
                d.addresses.insert(ip);
                d.first = d.first.min(e.ts);
                d.last = d.last.max(e.ts);
            }
            Message::Dhcpv6(m) => {
                let Some(key) = sender!() else { continue };
                if let (Some(f), Some(d)) = (&m.fqdn, by_key.get_mut(&key)) {
                    d.claim("dhcpv6-fqdn", f, e.frame);
                }
            }
            Message::Dns(m) if !m.response && e.dst_port == 53 => {
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    // Reverse lookups ask who an address is, and a bare label (`local`, a
                    // search-list probe) names no server: neither is a host the device contacts.
                    for q in m.questions.iter().filter(|q| {
                        let n = q.name.trim_end_matches('.').to_ascii_lowercase();
                        n.contains('.')
                            && !n.ends_with(".in-addr.arpa")
                            && !n.ends_with(".ip6.arpa")
                    }) {
                        d.claim("contacts", &q.name.to_ascii_lowercase(), e.frame);
                    }
                }
            }
            Message::ClientHello(_) | Message::GquicHello(_) => {
                let sni = e
                    .message
                    .server_name()
                    .filter(|n| crate::endpoints::names_a_host(n));
                let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) else {
                    continue;
                };
                if let Some(sni) = sni {
                    d.claim("contacts", &sni.to_ascii_lowercase(), e.frame);
                }
                // A Google QUIC hello names the client as an HTTP User-Agent does ("Chrome/74
                // Android 8.0.0; BND-L21", "com.google.android.youtube Cronet/76").
                if let Message::GquicHello(h) = &e.message {
                    if let Some(ua) = &h.user_agent {
                        d.claim("user-agent", ua, e.frame);
                    }
                }
            }
            Message::Dns(m) if m.response && matches!(e.src_port, 5353 | 5355) => {
                // Services the announcer offers (mDNS PTR records of service types).
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    for r in &m.records {
                        if let RData::Ptr(target) = &r.data {
                            if r.name.starts_with('_') && !r.name.starts_with("_services.") {
                                // "Printer @ Host" is how macOS and CUPS name a printer that a
                                // computer shares: the announcer is the computer, not a printer.
                                let kind = if target.contains(" @ ") {
                                    "mdns-shared"
                                } else {
                                    "mdns-service"
                                };
                                d.claim(kind, &r.name.to_ascii_lowercase(), e.frame);
                            } else if target.starts_with('_') {
                                d.claim("mdns-service", &target.to_ascii_lowercase(), e.frame);
                            }
                        }
                    }
                }
                // A HomeKit accessory's TXT record gives its category (ci) and model (md).
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    for r in &m.records {
                        let RData::Txt(strings) = &r.data else {
                            continue;
                        };
                        if !r.name.to_ascii_lowercase().contains("._hap._tcp.") {
                            continue;
                        }
                        for t in strings {
                            if let Some(c) = t.strip_prefix("ci=") {
                                d.claim("hap-category", c, e.frame);
                            } else if let Some(md) = t.strip_prefix("md=") {
                                d.claim("hap-model", md, e.frame);
                            }
                        }
                    }
                }
                // Announcements: the names bound to the announcer's own addresses.
                for r in &m.records {
                    let Some(a) = r.data.addr() else { continue };
                    if let Some(d) = owner!(a).and_then(|k| by_key.get_mut(&k)) {
                        d.claim("mdns-name", &r.name, e.frame);
                    }
                }
            }
            // NetBIOS: a host registering (or refreshing) its names, or a positive answer to a
            // name query, binds each name to an address (NB records). A host's own names are
            // those of its workstation and server services (suffixes 00 and 20); group names
            // (workgroups, domains) and the messenger's (03, often the user's name) are not.
            Message::Dns(m)
                if e.src_port == 137
                    && m.rcode == 0
                    && (m.response && m.opcode == 0
                        || !m.response && matches!(m.opcode, 5 | 8 | 9 | 15)) =>
            {
                for r in &m.records {
                    let RData::Nb { group: false, addr } = r.data else {
                        continue;
                    };
                    let Some(name) = host_netbios_name(&r.name) else {
                        continue;
                    };
                    if let Some(d) = owner!(IpAddr::V4(addr)).and_then(|k| by_key.get_mut(&k)) {
                        d.claim("nbns-name", name, e.frame);
                    }
                }
            }
            // A NetBIOS datagram names its sender's host (a workstation or server name, not a
            // group's), at the address it gives.
            Message::NetbiosDatagram(n) => {
                let Some(name) = host_netbios_name(&n.source) else {
                    continue;
                };
                if let Some(d) = owner!(IpAddr::V4(n.source_addr)).and_then(|k| by_key.get_mut(&k))
                {
                    d.claim("nbns-name", name, e.frame);
                }
            }
            Message::HttpRequest(r) => {
                let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) else {
                    continue;
                };
                if let Some(ua) = &r.user_agent {
                    d.claim("user-agent", ua, e.frame);
                }
                // The server a request names, as a lookup or an SNI would (a device that reaches
                // its servers by address and names them only in Host).
                let host = r
                    .host
                    .as_deref()
                    .filter(|_| r.ssdp.is_none() && e.from_client)
                    .map(crate::endpoints::host_of)
                    .filter(|h| crate::endpoints::names_a_host(h));
                if let Some(h) = host {
                    d.claim("contacts", &h.to_ascii_lowercase(), e.frame);
                }
                if let Some(s) = r.ssdp.as_ref().and_then(|s| s.server.as_ref()) {
                    d.claim("ssdp-server", s, e.frame);
                }
                // What a device announces itself as (NOTIFY), not what it searches for.
                if r.method == "NOTIFY" {
                    if let Some(t) = r.ssdp.as_ref().and_then(|s| s.device_type()) {
                        d.claim("ssdp-type", t, e.frame);
                    }
                    if let Some(l) = r.ssdp.as_ref().and_then(|s| s.location.as_ref()) {
                        d.claim("ssdp-location", l, e.frame);
                    }
                }
            }
            // The name an MQTT client gives itself ("sensor-kitchen-01").
            Message::Mqtt(c) if e.from_client => {
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    d.claim("mqtt-client-id", &c.client_id, e.frame);
                }
            }
            // The endpoint name an LwM2M client registers with its server under (its serial
            // number, IMEI or model and number).
            Message::Coap(c) if e.from_client => {
                if let Some(ep) = c.lwm2m_endpoint() {
                    if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                        d.claim("lwm2m-endpoint", ep, e.frame);
                    }
                }
            }
            // What a host announces itself as over WS-Discovery (not what a search looks for).
            Message::Wsd(w) if w.announces() => {
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    for t in &w.types {
                        d.claim("wsd-type", t, e.frame);
                    }
                    for h in w.onvif("hardware") {
                        d.claim("onvif-hardware", &h, e.frame);
                    }
                    for n in w.onvif("name") {
                        d.claim("onvif-name", &n, e.frame);
                    }
                }
            }
            // A NAT-PMP or PCP answer comes from the gateway that maps its public ports.
            Message::NatPmp(n) if n.response && !e.from_client => {
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    let what = if n.pcp {
                        "answers PCP"
                    } else {
                        "answers NAT-PMP"
                    };
                    d.claim("nat-pmp-server", what, e.frame);
                }
            }
            // A Ubiquiti device's own announcement or answer: its name and model.
            Message::Ubnt(u) if !u.search => {
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    if let Some(n) = &u.hostname {
                        d.claim("ubnt-name", n, e.frame);
                    }
                    if let Some(m) = &u.model {
                        d.claim("ubnt-model", m, e.frame);
                    }
                }
            }
            // An SNMP agent's answers say what it is and what it is called (sysDescr, sysName).
            // A manager acknowledging an inform (from udp/162) echoes the inform's values.
            Message::Snmp(m) if !e.from_client && e.src_port != 162 => {
                if let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) {
                    if let Some(n) = &m.name {
                        d.claim("snmp-name", n, e.frame);
                    }
                    if let Some(t) = &m.description {
                        d.claim("snmp-description", t, e.frame);
                    }
                }
            }
            Message::HttpResponse(r) if r.ssdp.is_some() => {
                let Some(d) = sender!().and_then(|k| by_key.get_mut(&k)) else {
                    continue;
                };
                if let Some(s) = &r.server {
                    d.claim("ssdp-server", s, e.frame);
                }
                if let Some(t) = r.ssdp.as_ref().and_then(|s| s.device_type()) {
                    d.claim("ssdp-type", t, e.frame);
                }
            }
            _ => {}
        }
    }
    // A Tuya-based device broadcasts its discovery beacon (udp/6666 in clear, 6667 encrypted)
    // for the vendor's app to find it; the app listens and sends none.
    for f in flows {
        let (to, port) = f.key.end(f.initiator.other());
        if f.app.app != App::Tuya
            || f.key.proto != 17
            || matches!(f.app.by, By::Port | By::Nothing)
            || !matches!(port, 6666 | 6667)
            || !is_broadcast(&ip_of(&to))
        {
            continue;
        }
        let mac = f.mac[f.initiator as usize];
        if let Some(d) = mac.and_then(|m| by_key.get_mut(&DeviceKey::Mac(m))) {
            d.claim(
                "tuya-discovery",
                "broadcasts Tuya's device discovery",
                f.first_frame,
            );
        }
    }
    merge_by_own_answers(&mut by_key, events);
    // A redundancy group's own MAC (its shared address, claimed by ARP, or the gateway MAC
    // internet traffic comes with) is the group's routers, whichever is in charge.
    for d in by_key.values_mut() {
        if let DeviceKey::Mac(m) = d.key {
            if let Some((p, g)) = virtual_router(&m) {
                let frame = d.claims.first().map_or(0, |c| c.frame);
                d.claim("routing-protocol", &format!("{p} group {g}"), frame);
            }
        }
    }
    // The gateway: the MAC that most internet traffic comes from, when it carries at least half
    // of it and also holds a local address (a host of this network, not a tunnel's far end).
    let total: u64 = from_internet.values().map(|c| c.0).sum();
    if let Some((mac, (n, frame))) = from_internet
        .iter()
        .max_by_key(|(m, c)| (c.0, std::cmp::Reverse(**m)))
    {
        if 2 * n >= total {
            if let Some(d) = by_key.get_mut(&DeviceKey::Mac(*mac)) {
                d.claim(
                    "gateway",
                    "forwards traffic to and from the internet",
                    *frame,
                );
            }
        }
    }
    let mut out: Vec<Device> = by_key.into_values().collect();
    out.sort_by(|a, b| {
        (b.packets_up + b.packets_down)
            .cmp(&(a.packets_up + a.packets_down))
            .then(a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_networks_are_local_too() {
        let l = Local::new(&["203.0.113.0/24".into(), "2001:db8::/32".into()]).unwrap();
        assert!(l.contains(&"203.0.113.7".parse().unwrap()));
        assert!(!l.contains(&"203.0.114.7".parse().unwrap()));
        assert!(l.contains(&"2001:db8:1::5".parse().unwrap()));
        assert!(l.contains(&"192.168.0.1".parse().unwrap()));
        assert!(!l.contains(&"8.8.8.8".parse().unwrap()));
        assert!(Local::new(&["10.0.0.0/33".into()]).is_err());
        assert!(Local::new(&["nonsense".into()]).is_err());
    }

    #[test]
    fn arp_senders_are_on_the_link_unless_their_mac_shows_several_addresses() {
        let arp = |frame: u64, mac: Mac, ip: [u8; 4]| Event {
            frame,
            ts: 0,
            flow: frame,
            src: std::net::Ipv4Addr::from(ip).to_ipv6_mapped(),
            src_port: 0,
            dst: std::net::Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(),
            dst_port: 0,
            proto: 0,
            from_client: true,
            message: Message::Arp {
                mac,
                ip: ip.into(),
                via: None,
            },
        };
        let host = [2, 0, 0, 0, 0, 1];
        let router = [2, 0, 0, 0, 0, 2];
        let events = [
            // A host of a LAN numbered from public space.
            arp(0, host, [11, 0, 0, 2]),
            // A router asking from its LAN address and from its WAN address.
            arp(1, router, [10, 0, 0, 1]),
            arp(2, router, [61, 177, 172, 90]),
        ];
        let mut l = Local::new(&[]).unwrap();
        l.learn(&events, &[]);
        assert!(l.contains(&"11.0.0.2".parse().unwrap()));
        assert!(!l.contains(&"11.0.0.3".parse().unwrap()));
        assert!(!l.contains(&"61.177.172.90".parse().unwrap()));
        // 0.0.0.0/8 is this network's, never the internet.
        assert!(l.contains(&"0.234.154.214".parse().unwrap()));
    }
}
