//! DHCPv4 messages: what a client says about itself (host name, vendor class, parameter request
//! list, client identifier) and what the server gives it. Options are a plain TLV walk, written
//! here so a malformed option ends the walk with what was read instead of failing the message.

use std::net::Ipv4Addr;

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dhcp {
    /// Option 53: 1 discover, 2 offer, 3 request, 4 decline, 5 ack, 6 nak, 7 release, 8 inform.
    pub msg_type: Option<u8>,
    pub xid: u32,
    pub client_mac: [u8; 6],
    /// ciaddr and yiaddr.
    pub client_addr: Ipv4Addr,
    pub your_addr: Ipv4Addr,
    /// The relay agent's address (giaddr): set when a router passed the message on between a
    /// client of another subnet and the server.
    pub relay_addr: Ipv4Addr,
    pub hostname: Option<String>,
    pub vendor_class: Option<String>,
    /// Option 55, in order: a fingerprint of the client's DHCP stack.
    pub params: Vec<u8>,
    /// Option 61, hex.
    pub client_id: Option<String>,
    pub requested_addr: Option<Ipv4Addr>,
    pub lease_secs: Option<u32>,
    pub server_id: Option<Ipv4Addr>,
    /// Option 81 domain name.
    pub fqdn: Option<String>,
    /// Option 6: the DNS servers the network's DHCP server hands out.
    pub dns_servers: Vec<Ipv4Addr>,
    /// Option 3: the routers (default gateways).
    pub routers: Vec<Ipv4Addr>,
}

impl Dhcp {
    /// `a` is the server's own address: the one the message came from (`src`), or its server
    /// identifier (option 54).
    pub fn is_own(&self, src: std::net::IpAddr, a: Ipv4Addr) -> bool {
        std::net::IpAddr::V4(a) == src || self.server_id == Some(a)
    }

    /// A server's offer or ack names the server itself among the routers (option 3): the
    /// network's router hands out its addresses, as against a Pi-hole or a NAS that names the
    /// router that is.
    pub fn names_itself_router(&self, src: std::net::IpAddr) -> bool {
        self.routers.iter().any(|a| self.is_own(src, *a))
    }
}

const MAGIC: [u8; 4] = [99, 130, 83, 99];

/// The name of a message type.
pub fn type_name(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "other",
    }
}

fn addr(b: &[u8]) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::new(
        *b.first()?,
        *b.get(1)?,
        *b.get(2)?,
        *b.get(3)?,
    ))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches('\0')
        .to_string()
}

/// Parses a DHCPv4 message (the UDP payload).
pub fn parse(b: &[u8]) -> Option<Dhcp> {
    if b.len() < 240 || b[0] > 2 || b[236..240] != MAGIC {
        return None;
    }
    let mut d = Dhcp {
        msg_type: None,
        xid: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        client_mac: [0; 6],
        client_addr: addr(&b[12..16])?,
        your_addr: addr(&b[16..20])?,
        relay_addr: addr(&b[24..28])?,
        hostname: None,
        vendor_class: None,
        params: Vec::new(),
        client_id: None,
        requested_addr: None,
        lease_secs: None,
        server_id: None,
        fqdn: None,
        dns_servers: Vec::new(),
        routers: Vec::new(),
    };
    d.client_mac.copy_from_slice(&b[28..34]);
    let mut i = 240;
    while i < b.len() {
        let code = b[i];
        match code {
            0 => {
                i += 1;
                continue;
            }
            255 => break,
            _ => {}
        }
        let Some(&n) = b.get(i + 1) else { break };
        let Some(v) = b.get(i + 2..i + 2 + n as usize) else {
            break;
        };
        match code {
            53 => d.msg_type = v.first().copied(),
            12 => d.hostname = Some(text(v)),
            60 => d.vendor_class = Some(text(v)),
            55 => d.params = v.to_vec(),
            61 => d.client_id = Some(crate::tls::hex(v)),
            50 => d.requested_addr = addr(v),
            51 => {
                d.lease_secs = v
                    .get(..4)
                    .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
            }
            54 => d.server_id = addr(v),
            3 | 6 => {
                let list = v
                    .chunks_exact(4)
                    .map(|x| Ipv4Addr::new(x[0], x[1], x[2], x[3]));
                if code == 3 {
                    d.routers.extend(list);
                } else {
                    d.dns_servers.extend(list);
                }
            }
            81 if v.len() > 3 => d.fqdn = Some(text(&v[3..])),
            _ => {}
        }
        i += 2 + n as usize;
    }
    Some(d)
}

/// A DHCPv6 message: what a client says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dhcpv6 {
    /// 1 solicit, 2 advertise, 3 request, 5 renew, 7 reply, 11 information-request...
    pub msg_type: u8,
    /// Client DUID (option 1), hex.
    pub duid: Option<String>,
    /// Client FQDN (option 39).
    pub fqdn: Option<String>,
    /// Vendor class (option 16): enterprise number and the class strings.
    pub vendor: Option<(u32, Vec<String>)>,
    /// Options requested (option 6, in order): a fingerprint of the client's stack.
    pub requested: Vec<u16>,
    /// Addresses a server assigns (IA_NA's IA Address options, option 3 holding 5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<std::net::Ipv6Addr>,
    /// Resolvers a server hands out (option 23).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<std::net::Ipv6Addr>,
}

/// The name of a DHCPv6 message type.
pub fn v6_type_name(t: u8) -> &'static str {
    match t {
        1 => "solicit",
        2 => "advertise",
        3 => "request",
        4 => "confirm",
        5 => "renew",
        6 => "rebind",
        7 => "reply",
        8 => "release",
        9 => "decline",
        10 => "reconfigure",
        11 => "information-request",
        12 => "relay-forward",
        13 => "relay-reply",
        _ => "other",
    }
}

/// Parses a DHCPv6 message (the UDP payload of ports 546/547). Relay messages are not unwrapped.
pub fn parse_v6(b: &[u8]) -> Option<Dhcpv6> {
    let msg_type = *b.first()?;
    if !(1..=13).contains(&msg_type) || b.len() < 4 {
        return None;
    }
    let mut d = Dhcpv6 {
        msg_type,
        duid: None,
        fqdn: None,
        vendor: None,
        requested: Vec::new(),
        addresses: Vec::new(),
        dns_servers: Vec::new(),
    };
    let v6 = |c: &[u8]| -> Option<std::net::Ipv6Addr> {
        let a: [u8; 16] = c.get(..16)?.try_into().ok()?;
        Some(std::net::Ipv6Addr::from(a))
    };
    let mut i = if msg_type >= 12 { 34 } else { 4 };
    while i + 4 <= b.len() {
        let code = u16::from_be_bytes([b[i], b[i + 1]]);
        let n = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let Some(v) = b.get(i + 4..i + 4 + n) else {
            break;
        };
        match code {
            1 => d.duid = Some(crate::tls::hex(v)),
            6 => {
                d.requested = v
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect()
            }
            16 if v.len() >= 4 => {
                let enterprise = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
                let mut classes = Vec::new();
                let mut j = 4;
                while j + 2 <= v.len() {
                    let m = usize::from(u16::from_be_bytes([v[j], v[j + 1]]));
                    let Some(s) = v.get(j + 2..j + 2 + m) else {
                        break;
                    };
                    classes.push(String::from_utf8_lossy(s).into_owned());
                    j += 2 + m;
                }
                d.vendor = Some((enterprise, classes));
            }
            // IA_NA: IAID, T1, T2, then options; an IA Address (5) starts with the address.
            3 if v.len() >= 12 => {
                let mut j = 12;
                while j + 4 <= v.len() && d.addresses.len() < 8 {
                    let c = u16::from_be_bytes([v[j], v[j + 1]]);
                    let m = usize::from(u16::from_be_bytes([v[j + 2], v[j + 3]]));
                    let Some(o) = v.get(j + 4..j + 4 + m) else {
                        break;
                    };
                    if c == 5 {
                        d.addresses.extend(v6(o));
                    }
                    j += 4 + m;
                }
            }
            23 => d.dns_servers = v.chunks_exact(16).take(8).filter_map(v6).collect(),
            39 if v.len() > 1 => {
                // Flags, then the name as DNS labels.
                let mut labels = Vec::new();
                let mut j = 1;
                while let Some(&len) = v.get(j) {
                    if len == 0 {
                        break;
                    }
                    let Some(l) = v.get(j + 1..j + 1 + len as usize) else {
                        break;
                    };
                    labels.push(String::from_utf8_lossy(l).into_owned());
                    j += 1 + len as usize;
                }
                d.fqdn = Some(labels.join("."));
            }
            _ => {}
        }
        i += 4 + n;
    }
    Some(d)
}
