//! IPv6 Neighbor Discovery (RFC 4861): what tells a dual-stack network's own global prefix from
//! the internet. A router's advertisement lists the prefixes that are on the link (Prefix
//! Information, flag L) and the resolvers it hands out (RDNSS, RFC 8106); a host checking that
//! an address is free (duplicate address detection: a solicitation from `::`), and every
//! neighbour advertisement, name an address that lives on the link. Neighbor Discovery is only
//! valid with a hop limit of 255 (nothing routed it), which the caller checks.
//!
//! etherparse reads the ICMPv6 header but not these messages' options, so they are read here.

use std::net::Ipv6Addr;

use serde::Serialize;

/// A prefix a router advertised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prefix {
    pub prefix: Ipv6Addr,
    pub len: u8,
    /// Flag L: addresses in the prefix are on the link.
    pub on_link: bool,
    /// Flag A: hosts make their own addresses in it (SLAAC).
    pub autonomous: bool,
}

/// A Neighbor Discovery message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ndp {
    /// "router-advertisement", "neighbor-solicitation" or "neighbor-advertisement".
    pub kind: &'static str,
    /// A solicitation's or advertisement's target address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Ipv6Addr>,
    /// A router advertisement's prefixes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<Prefix>,
    /// A router advertisement's resolvers (RDNSS).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<Ipv6Addr>,
    /// The source's or target's link-layer address option (an Ethernet MAC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<[u8; 6]>,
    /// The frame's Ethernet source (filled in by the caller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<[u8; 6]>,
}

impl Ndp {
    /// What the message is about: its target, else a router's first prefix. A sender's
    /// messages of one kind about one address are reported once.
    pub fn about(&self) -> Option<Ipv6Addr> {
        self.target.or(self.prefixes.first().map(|p| p.prefix))
    }
}

/// Most prefixes and resolvers kept from one advertisement.
const MAX_ITEMS: usize = 8;

fn addr(b: &[u8]) -> Option<Ipv6Addr> {
    let a: [u8; 16] = b.get(..16)?.try_into().ok()?;
    Some(Ipv6Addr::from(a))
}

/// Reads an ICMPv6 message (from its type byte) of type 134, 135 or 136; None for any other
/// type, or when the message is cut.
pub fn parse(icmp: &[u8]) -> Option<Ndp> {
    let (kind, options_at, target) = match *icmp.first()? {
        134 => ("router-advertisement", 16, None),
        135 => ("neighbor-solicitation", 24, Some(addr(icmp.get(8..)?)?)),
        136 => ("neighbor-advertisement", 24, Some(addr(icmp.get(8..)?)?)),
        _ => return None,
    };
    let mut out = Ndp {
        kind,
        target,
        prefixes: Vec::new(),
        dns: Vec::new(),
        mac: None,
        sender: None,
    };
    let mut rest = icmp.get(options_at..)?;
    // Options: type, length in units of 8 bytes (0 is invalid), data.
    while let [t, n, ..] = *rest {
        let len = usize::from(n) * 8;
        if len == 0 || len > rest.len() {
            break;
        }
        let opt = &rest[..len];
        match t {
            // Source or target link-layer address: an Ethernet MAC in a one-unit option.
            1 | 2 if len == 8 => out.mac = opt[2..8].try_into().ok(),
            3 if len == 32 && out.prefixes.len() < MAX_ITEMS => {
                if let Some(prefix) = addr(&opt[16..]) {
                    out.prefixes.push(Prefix {
                        prefix,
                        len: opt[2].min(128),
                        on_link: opt[3] & 0x80 != 0,
                        autonomous: opt[3] & 0x40 != 0,
                    });
                }
            }
            25 if len >= 24 => {
                for a in opt[8..].chunks_exact(16).take(MAX_ITEMS - out.dns.len()) {
                    out.dns.extend(addr(a));
                }
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_types_and_cut_messages_are_nothing() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[128, 0, 0, 0, 0, 0, 0, 0]), None);
        // A solicitation too short to hold its target.
        assert_eq!(parse(&[135, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0x80]), None);
    }
}
