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
        hostname: None,
        vendor_class: None,
        params: Vec::new(),
        client_id: None,
        requested_addr: None,
        lease_secs: None,
        server_id: None,
        fqdn: None,
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
            61 => d.client_id = Some(v.iter().map(|x| format!("{x:02x}")).collect()),
            50 => d.requested_addr = addr(v),
            51 => {
                d.lease_secs = v
                    .get(..4)
                    .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
            }
            54 => d.server_id = addr(v),
            81 if v.len() > 3 => d.fqdn = Some(text(&v[3..])),
            _ => {}
        }
        i += 2 + n as usize;
    }
    Some(d)
}
