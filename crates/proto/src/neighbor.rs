//! What a switch, router, access point, IP phone or server says about itself to its link: LLDP
//! (IEEE 802.1AB, EtherType 0x88cc) and CDP (Cisco, LLC/SNAP with OUI 00000c and PID 0x2000).
//! Both are lists of type-length-value fields; they are read here because no well-kept crate
//! reads them (those on crates.io are a toy or part of a whole capture framework).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// One announcement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Neighbor {
    /// "lldp" or "cdp".
    pub protocol: &'static str,
    /// The system name (LLDP) or device ID (CDP).
    pub name: Option<String>,
    /// The system description (LLDP) or software version (CDP): maker, model, firmware.
    pub description: Option<String>,
    /// The platform (CDP), or the maker and model of LLDP-MED's inventory.
    pub platform: Option<String>,
    /// The port it was sent from: its description, else its ID.
    pub port: Option<String>,
    /// The capabilities it has enabled: router, bridge, wlan-ap, telephone, station, repeater,
    /// docsis, other.
    pub capabilities: Vec<&'static str>,
    /// Addresses it is managed at.
    pub addresses: Vec<IpAddr>,
    /// Seconds a receiver keeps what it said (0: the sender is shutting down).
    pub ttl: Option<u16>,
    /// LLDP-MED's device type: 1 to 3 endpoint classes I to III (III: a communication device,
    /// an IP phone), 4 a network connectivity device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub med_class: Option<u8>,
}

impl Neighbor {
    /// What LLDP-MED's device type says, in words.
    pub fn med_class_name(&self) -> Option<&'static str> {
        Some(match self.med_class? {
            1 => "class I (generic endpoint)",
            2 => "class II (media endpoint)",
            3 => "class III (communication device)",
            4 => "network connectivity",
            _ => return None,
        })
    }
}

/// Longest text kept from one field, in characters.
const MAX_TEXT: usize = 256;
/// Most management addresses kept from one announcement.
const MAX_ADDRESSES: usize = 8;

/// A field's text: printable, trimmed, bounded; None when nothing is left.
fn text(b: &[u8]) -> Option<String> {
    // Cut by characters, not bytes: a cut inside one would show as U+FFFD.
    let s: String = String::from_utf8_lossy(b)
        .chars()
        .take(MAX_TEXT)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// LLDP's capability bits (IEEE 802.1AB table 8-4), in order.
const LLDP_CAPABILITIES: [&str; 8] = [
    "other",
    "repeater",
    "bridge",
    "wlan-ap",
    "router",
    "telephone",
    "docsis",
    "station",
];

/// An IPv4 or IPv6 address of 4 or 16 bytes.
fn address(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?))),
        _ => None,
    }
}

/// An LLDP data unit (the frame's payload after its EtherType). It must open with the chassis
/// ID, port ID and time to live, as the standard requires (Wireshark calls it malformed
/// otherwise); fields past a broken one are not read.
pub fn lldp(b: &[u8]) -> Option<Neighbor> {
    let mut n = Neighbor {
        protocol: "lldp",
        ..Neighbor::default()
    };
    let mut rest = b;
    let mut port_id = None;
    let (mut maker, mut model) = (None, None);
    // The standard's three first fields, in order: chassis ID, port ID, time to live.
    let mut mandatory = 0;
    while rest.len() >= 2 {
        let h = be16(rest);
        let (kind, len) = ((h >> 9) as u8, usize::from(h & 0x1ff));
        let Some(v) = rest.get(2..2 + len) else { break };
        rest = &rest[2 + len..];
        if mandatory < 3 {
            if usize::from(kind) != mandatory + 1 {
                return None;
            }
            mandatory += 1;
        }
        match kind {
            0 => break,
            // Port ID: its subtype, then the ID; a MAC (3) or an address (4) is no name.
            2 if len > 1 && !matches!(v[0], 3 | 4) => port_id = text(&v[1..]),
            3 if len >= 2 => n.ttl = Some(be16(v)),
            4 => n.port = text(v),
            5 => n.name = text(v),
            6 => n.description = text(v),
            7 if len >= 4 => {
                let enabled = be16(&v[2..]);
                n.capabilities = LLDP_CAPABILITIES
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| enabled & 1 << i != 0)
                    .map(|(_, c)| *c)
                    .collect();
            }
            // Management address: its length (with the subtype), the IANA address family
            // (1 IPv4, 2 IPv6), the address.
            8 if len >= 2 && n.addresses.len() < MAX_ADDRESSES => {
                let n_len = usize::from(v[0]);
                if n_len >= 1 && matches!(v[1], 1 | 2) {
                    if let Some(a) = v.get(2..1 + n_len).and_then(address) {
                        n.addresses.push(a);
                    }
                }
            }
            // LLDP-MED (TIA-1057, OUI 00-12-bb): its device type (1), and from its inventory the
            // maker (9) and the model (10).
            127 if len > 4 && v[..3] == [0x00, 0x12, 0xbb] => match v[3] {
                // LLDP-MED capabilities: what it can do (2 bytes), then its device type.
                1 if len >= 7 => n.med_class = Some(v[6]),
                9 => maker = text(&v[4..]),
                10 => model = text(&v[4..]),
                _ => {}
            },
            _ => {}
        }
    }
    if mandatory < 3 {
        return None;
    }
    // lldpd's words for a host that has no name.
    if n.name.as_deref().is_some_and(|s| s.contains("(none)")) {
        n.name = None;
    }
    if n.port.is_none() {
        n.port = port_id;
    }
    n.platform = match (maker, model) {
        (Some(a), Some(b)) if b.starts_with(&a) => Some(b),
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    };
    Some(n)
}

/// The LLC/SNAP header CDP comes behind: DSAP and SSAP AA, UI, Cisco's OUI, PID 0x2000.
pub const CDP_SNAP: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00];

/// A CDP message (after its LLC/SNAP header): version 1 or 2, TTL, checksum, then fields of a
/// 2-byte type and a 2-byte length that counts the field's own header. Without a device ID
/// (cut, or broken before it) it says nothing.
pub fn cdp(b: &[u8]) -> Option<Neighbor> {
    if b.len() < 4 || !matches!(b[0], 1 | 2) {
        return None;
    }
    let mut n = Neighbor {
        protocol: "cdp",
        ttl: Some(u16::from(b[1])),
        ..Neighbor::default()
    };
    let mut rest = &b[4..];
    while rest.len() >= 4 {
        let (kind, len) = (be16(rest), usize::from(be16(&rest[2..])));
        if len < 4 {
            break;
        }
        let Some(v) = rest.get(4..len) else { break };
        rest = &rest[len..];
        match kind {
            1 => n.name = text(v),
            // Addresses (2) and management addresses (0x16), often the same.
            2 | 0x16 if v.len() >= 4 => {
                for a in cdp_addresses(&v[4..]) {
                    if !n.addresses.contains(&a) && n.addresses.len() < MAX_ADDRESSES {
                        n.addresses.push(a);
                    }
                }
            }
            3 => n.port = text(v),
            4 if v.len() >= 4 => {
                let c = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
                for (bits, name) in [
                    (0x01, "router"),
                    (0x0e, "bridge"),
                    (0x10, "station"),
                    (0x40, "repeater"),
                    (0x80, "telephone"),
                ] {
                    if c & bits != 0 {
                        n.capabilities.push(name);
                    }
                }
            }
            5 => n.description = text(v),
            6 => n.platform = text(v),
            _ => {}
        }
    }
    // The device ID is the one field every CDP message carries.
    n.name.is_some().then_some(n)
}

/// CDP's address list: each a protocol type and length, the protocol (NLPID 0xcc for IPv4,
/// an LLC/SNAP header of EtherType 0x86dd for IPv6), an address length and the address.
fn cdp_addresses(mut b: &[u8]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    while b.len() >= 2 && out.len() < MAX_ADDRESSES {
        let plen = usize::from(b[1]);
        let Some(proto) = b.get(2..2 + plen) else {
            break;
        };
        let Some(alen) = b.get(2 + plen..4 + plen).map(be16) else {
            break;
        };
        let Some(a) = b.get(4 + plen..4 + plen + usize::from(alen)) else {
            break;
        };
        let ip = (proto == [0xcc] || proto.ends_with(&[0x86, 0xdd]))
            .then(|| address(a))
            .flatten();
        out.extend(ip);
        b = &b[4 + plen + usize::from(alen)..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(kind: u8, v: &[u8]) -> Vec<u8> {
        let h = u16::from(kind) << 9 | v.len() as u16;
        let mut out = h.to_be_bytes().to_vec();
        out.extend_from_slice(v);
        out
    }

    #[test]
    fn lldp_fields_and_their_bounds() {
        let mut b = tlv(1, &[4, 0, 1, 2, 3, 4, 5]);
        b.extend(tlv(2, &[5, b'g', b'e', b'0']));
        b.extend(tlv(3, &[0, 120]));
        b.extend(tlv(5, b"sw-core\x00"));
        b.extend(tlv(6, b"ProCurve J9280A Switch 2510G-48"));
        // Bridge and router possible, bridge enabled.
        b.extend(tlv(7, &[0, 0x14, 0, 0x04]));
        b.extend(tlv(8, &[5, 1, 10, 0, 0, 2, 2, 0, 0, 0, 1, 0]));
        b.extend(tlv(0, &[]));
        let n = lldp(&b).unwrap();
        assert_eq!(n.name.as_deref(), Some("sw-core"));
        assert_eq!(n.port.as_deref(), Some("ge0"));
        assert_eq!(n.capabilities, ["bridge"]);
        assert_eq!(n.addresses, [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))]);
        assert_eq!(n.ttl, Some(120));
        // Not opened by a chassis ID, port ID and TTL, or cut inside a field: nothing, or what
        // came before.
        assert!(lldp(&b[9..]).is_none());
        assert!(lldp(&b[..16]).is_none(), "cut in its time to live");
        let cut = lldp(&b[..b.len() - 20]).unwrap();
        assert_eq!(cut.name.as_deref(), Some("sw-core"));
        assert!(cut.addresses.is_empty());
    }

    #[test]
    fn cdp_rejects_a_field_shorter_than_its_header() {
        let mut b = vec![2, 180, 0, 0];
        b.extend_from_slice(&[0, 1, 0, 8]);
        b.extend_from_slice(b"abcd");
        b.extend_from_slice(&[0, 6, 0, 2]);
        let n = cdp(&b).unwrap();
        assert_eq!(n.name.as_deref(), Some("abcd"));
        assert!(cdp(&[3, 180, 0, 0]).is_none());
        assert!(cdp(&b[..4]).is_none(), "no device ID");
    }
}
