//! Tunnels: the packet that an outer packet carries whole.
//!
//! tshark follows these tunnels and counts a tunnelled frame twice in its conversation tables: once
//! between the tunnel's ends, and once between the inner hosts (in the Ethernet table too, when
//! the tunnel carries Ethernet frames). [`decode_inner`] finds the inner packet the same way, so
//! that the flow table can track both. The tunnels followed, each on the port or protocol number
//! tshark 4.0 gives it by default:
//!
//! - IPv4 or IPv6 in IP (protocols 4 and 41: 6in4, 4in6 and their kin);
//! - GRE (protocol 47) carrying IPv4, IPv6, Ethernet (transparent bridging), ERSPAN types I-III,
//!   and PPTP's enhanced GRE carrying PPP;
//! - GTP-U G-PDUs (UDP 2152), VXLAN (UDP 4789), Geneve (UDP 6081), Teredo (UDP 3544), CAPWAP
//!   data (UDP 5247, carrying 802.11 or 802.3 frames) and TZSP (UDP 37008, the remote capture
//!   stream of MikroTik routers).
//!
//! IP fragments are not followed: without reassembly only the first fragment holds the inner
//! header, and counting that one would count the inner packet partly. No crate covers these
//! headers as a set (`etherparse` reads none of them), and each is a few fixed fields.

use crate::decode::{decode, decode_link, ipv6_ext, Decoded, Transport};
use crate::link::{self, LinkType};

/// A kind of tunnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tunnel {
    IpInIp,
    Gre,
    GtpU,
    Vxlan,
    Geneve,
    Teredo,
    Capwap,
    Tzsp,
}

impl Tunnel {
    /// A stable name.
    pub fn name(self) -> &'static str {
        match self {
            Tunnel::IpInIp => "ip-in-ip",
            Tunnel::Gre => "gre",
            Tunnel::GtpU => "gtp-u",
            Tunnel::Vxlan => "vxlan",
            Tunnel::Geneve => "geneve",
            Tunnel::Teredo => "teredo",
            Tunnel::Capwap => "capwap",
            Tunnel::Tzsp => "tzsp",
        }
    }
}

impl Tunnel {
    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Tunnel::IpInIp => "IP-in-IP",
            Tunnel::Gre => "GRE",
            Tunnel::GtpU => "GTP-U",
            Tunnel::Vxlan => "VXLAN",
            Tunnel::Geneve => "Geneve",
            Tunnel::Teredo => "Teredo",
            Tunnel::Capwap => "CAPWAP",
            Tunnel::Tzsp => "TZSP",
        }
    }
}

/// Tunnels inside tunnels are followed this deep.
pub const MAX_DEPTH: usize = 4;

const GTP_U: u16 = 2152;
const VXLAN: u16 = 4789;
const GENEVE: u16 = 6081;
const TEREDO: u16 = 3544;
const CAPWAP_DATA: u16 = 5247;
const TZSP: u16 = 37008;
const UDP_PORTS: [u16; 6] = [GTP_U, VXLAN, GENEVE, TEREDO, CAPWAP_DATA, TZSP];

/// Whether an IP packet (its header at the start of `ip`) might be a tunnel packet: a cheap test,
/// made on the reading thread for every frame, that [`decode_inner`] never contradicts (a packet
/// it says no to carries no tunnel; one it says yes to may still not).
pub(crate) fn may_carry(ip: &[u8]) -> bool {
    let (proto, rest) = match ip.first().map(|b| b >> 4) {
        Some(4) if ip.len() >= 20 => (ip[9], ip.get(usize::from(ip[0] & 0x0f) * 4..)),
        Some(6) if ip.len() >= 40 => (ip[6], ip.get(40..)),
        _ => return false,
    };
    match proto {
        4 | 41 | 47 => true,
        // IPv6 extension headers: what follows them might be.
        p if ipv6_ext::ALL.contains(&p) => true,
        17 => match rest {
            Some(u) if u.len() >= 4 => {
                UDP_PORTS.contains(&be16(u, 0)) || UDP_PORTS.contains(&be16(u, 2))
            }
            _ => false,
        },
        _ => false,
    }
}

/// Decodes the packet that the tunnel packet `d` (decoded from `frame`) carries, with offsets in
/// `frame`; `None` when `d` is not a tunnel packet or its tunnel header does not hold.
pub fn decode_inner(d: &Decoded, frame: &[u8]) -> Option<(Tunnel, Decoded)> {
    let (tunnel, link, at) = inner_link(d, frame)?;
    let bytes = frame.get(at..)?;
    let mut inner = match (tunnel, link) {
        (Tunnel::Capwap, LinkType::Ieee80211) => decode_link(link::capwap_wlan(bytes), bytes),
        _ => decode(link, bytes),
    };
    inner.payload_offset += at as u32;
    if inner.eth.is_none() && crate::is_private(&crate::ip_of(&d.src)) {
        // A packet without a link header of its own (IP in IP, GTP-U, Teredo) that a local host
        // wrapped was sent by that host: it gets the frame's MACs (not counted in the Ethernet
        // table again). One that came in from an internet host's tunnel end gets none: the
        // frame's sender is then the router, which did not send it.
        inner.eth = d.eth;
        inner.not_ethernet = true;
    }
    Some((tunnel, inner))
}

/// Whether tunnel packet `d` (decoded from `frame`, carrying a `tunnel`) is a switch's or a
/// sensor's copy of traffic it saw (ERSPAN over GRE, TZSP) rather than traffic it carries:
/// the packets inside were seen on the sender's network, not sent through it.
pub fn mirrors(d: &Decoded, frame: &[u8], tunnel: Tunnel) -> bool {
    match tunnel {
        Tunnel::Tzsp => true,
        Tunnel::Gre => {
            let p = d.payload(frame);
            p.len() >= 4 && matches!(be16(p, 2), 0x88be | 0x22eb)
        }
        _ => false,
    }
}

/// Whether packet `d` can be a tunnel's at all (an unfragmented IP packet of UDP or of another
/// IP protocol than TCP and ICMP): false spares the caller [`decode_inner`].
#[inline]
pub fn may_tunnel(d: &Decoded) -> bool {
    d.is_ip() && !d.fragment && matches!(d.transport, Transport::Udp | Transport::Other)
}

/// The tunnel, the inner packet's link type and its offset in `frame`.
fn inner_link(d: &Decoded, frame: &[u8]) -> Option<(Tunnel, LinkType, usize)> {
    if !may_tunnel(d) {
        return None;
    }
    let start = d.payload_offset as usize;
    let p = d.payload(frame);
    let (tunnel, link, len) = match d.transport {
        Transport::Other => match d.ip_proto {
            4 => (Tunnel::IpInIp, LinkType::Ipv4, 0),
            41 => (Tunnel::IpInIp, LinkType::Ipv6, 0),
            47 => {
                let (link, len) = gre(p)?;
                (Tunnel::Gre, link, len)
            }
            _ => return None,
        },
        Transport::Udp => {
            // tshark tries the lower port's protocol first, and a well-known lower port (below
            // 1024) is a service of its own: DNS from a client that happened to get port 37008
            // is DNS, whatever its bytes look like.
            let (lo, hi) = (d.src_port.min(d.dst_port), d.src_port.max(d.dst_port));
            over_udp(lo, p).or_else(|| (lo >= 1024).then(|| over_udp(hi, p)).flatten())?
        }
        _ => return None,
    };
    if len >= p.len() {
        return None;
    }
    Some((tunnel, link, start + len))
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// By IP version nibble, for tunnels that do not say what they carry.
fn by_version(b: &[u8]) -> Option<LinkType> {
    match b.first()? >> 4 {
        4 => Some(LinkType::Ipv4),
        6 => Some(LinkType::Ipv6),
        _ => None,
    }
}

/// GRE (RFC 2784, 2890) and PPTP's enhanced GRE (RFC 2637): the inner link and header length.
fn gre(b: &[u8]) -> Option<(LinkType, usize)> {
    let h = b.get(..4)?;
    let (flags, version, proto) = (h[0], h[1] & 7, be16(h, 2));
    let (checksum, routing, key, seq) = (
        flags & 0x80 != 0,
        flags & 0x40 != 0,
        flags & 0x20 != 0,
        flags & 0x10 != 0,
    );
    if routing {
        // Source routing (RFC 1701) is obsolete; its entries are not walked.
        return None;
    }
    match version {
        0 => {
            let len = 4 + 4 * (usize::from(checksum) + usize::from(key) + usize::from(seq));
            let link = match proto {
                0x0800 => LinkType::Ipv4,
                0x86dd => LinkType::Ipv6,
                0x6558 => LinkType::Ethernet,
                // ERSPAN type II has a sequence number and an 8-byte header; type I has neither.
                0x88be if seq => return Some((LinkType::Ethernet, len + 8)),
                0x88be => LinkType::Ethernet,
                // ERSPAN type III: 12 bytes, and an 8-byte platform subheader when O is set.
                0x22eb => {
                    let e = b.get(len..len + 12)?;
                    let sub = if e[11] & 1 != 0 { 8 } else { 0 };
                    return Some((LinkType::Ethernet, len + 12 + sub));
                }
                _ => return None,
            };
            Some((link, len))
        }
        // Enhanced GRE: key present (payload length and call id), sequence and acknowledgement
        // numbers when flagged.
        1 if proto == 0x880b && key => {
            let ack = h[1] & 0x80 != 0;
            let len = 8 + 4 * (usize::from(seq) + usize::from(ack));
            Some((LinkType::Ppp, len))
        }
        _ => None,
    }
}

/// A tunnel over UDP port `port`: the tunnel, inner link and header length.
fn over_udp(port: u16, b: &[u8]) -> Option<(Tunnel, LinkType, usize)> {
    match port {
        GTP_U => {
            let len = gtp_u(b)?;
            Some((Tunnel::GtpU, by_version(b.get(len..)?)?, len))
        }
        VXLAN => {
            // The I flag says the network identifier is valid.
            (b.len() >= 8 && b[0] & 0x08 != 0).then_some((Tunnel::Vxlan, LinkType::Ethernet, 8))
        }
        GENEVE => {
            let h = b.get(..8)?;
            if h[0] >> 6 != 0 {
                return None;
            }
            let len = 8 + usize::from(h[0] & 0x3f) * 4;
            let link = match be16(h, 2) {
                0x6558 => LinkType::Ethernet,
                0x0800 => LinkType::Ipv4,
                0x86dd => LinkType::Ipv6,
                _ => return None,
            };
            Some((Tunnel::Geneve, link, len))
        }
        TEREDO => {
            let len = teredo(b)?;
            (b.get(len)? >> 4 == 6).then_some((Tunnel::Teredo, LinkType::Ipv6, len))
        }
        CAPWAP_DATA => capwap(b).map(|(link, len)| (Tunnel::Capwap, link, len)),
        TZSP => tzsp(b).map(|(link, len)| (Tunnel::Tzsp, link, len)),
        _ => None,
    }
}

/// A GTP-U G-PDU (3GPP TS 29.281): the length of its header and extension headers.
fn gtp_u(b: &[u8]) -> Option<usize> {
    let h = b.get(..8)?;
    // Version 1, protocol type GTP, message type 255 (a user packet).
    if h[0] >> 5 != 1 || h[0] & 0x10 == 0 || h[1] != 0xff {
        return None;
    }
    if h[0] & 0x07 == 0 {
        return Some(8);
    }
    // Sequence number, N-PDU number and next extension type follow when any of E, S, PN is set.
    let mut len = 12;
    let mut next = *b.get(11)?;
    if h[0] & 0x04 == 0 {
        return Some(len);
    }
    while next != 0 {
        // Each extension: a length in 4-byte units, its content, and the next type last.
        let units = usize::from(*b.get(len)?);
        if units == 0 {
            return None;
        }
        len += units * 4;
        next = *b.get(len - 1)?;
    }
    Some(len)
}

/// Teredo (RFC 4380): the length of the authentication and origin indication headers before the
/// IPv6 packet.
fn teredo(b: &[u8]) -> Option<usize> {
    let mut len = 0;
    if b.get(..2)? == [0, 1] {
        // Authentication: client id length, authentication value length, nonce, confirmation.
        let h = b.get(..4)?;
        len += 4 + usize::from(h[2]) + usize::from(h[3]) + 9;
    }
    if b.get(len..len + 2)? == [0, 0] {
        len += 8;
    }
    Some(len)
}

/// CAPWAP data (RFC 5415): the inner link and header length of an unfragmented data packet.
fn capwap(b: &[u8]) -> Option<(LinkType, usize)> {
    let h = b.get(..8)?;
    // Preamble: version 0, type 0 (a CAPWAP header follows; 1 would be DTLS).
    if h[0] != 0 {
        return None;
    }
    let len = usize::from(h[1] >> 3) * 4;
    let wbid = (h[2] >> 1) & 0x1f;
    let native = h[2] & 1 != 0;
    let fragment = h[3] & 0x80 != 0;
    if len < 8 || fragment {
        return None;
    }
    match (native, wbid) {
        // T set: the wireless binding's native frames; binding 1 is IEEE 802.11.
        (true, 1) => Some((LinkType::Ieee80211, len)),
        (true, _) => None,
        (false, _) => Some((LinkType::Ethernet, len)),
    }
}

/// TZSP: the inner link and the length of the header and its tagged fields.
fn tzsp(b: &[u8]) -> Option<(LinkType, usize)> {
    let h = b.get(..4)?;
    // Version 1; types 0 and 1 (received and transmitted) carry a packet.
    if h[0] != 1 || h[1] > 1 {
        return None;
    }
    let link = match be16(h, 2) {
        1 => LinkType::Ethernet,
        18 => LinkType::Ieee80211,
        119 => LinkType::Prism,
        127 => LinkType::Avs,
        _ => return None,
    };
    let mut at = 4;
    loop {
        match *b.get(at)? {
            0 => at += 1,
            1 => return Some((link, at + 1)),
            _ => at += 2 + usize::from(*b.get(at + 1)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: an IPv4 packet (IP in IP) on a link that says IPv6, too short for the
    /// address hash. Decoding goes by the packet's version and finds the tunnel; the reading
    /// thread's test must say so too.
    #[test]
    fn fuzz_short_ipv4_on_an_ipv6_link() {
        let f = [
            0x45, 0x00, 0x45, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x09, 0xfb, 0xff, 0xf5, 0x5a, 0x2f,
        ];
        let d = decode(LinkType::Ipv6, &f);
        assert!(decode_inner(&d, &f).is_some());
        assert!(crate::link::pair_hash(LinkType::Ipv6, &f).1);
    }

    #[test]
    fn gre_header_lengths() {
        // Key and sequence number, carrying IPv4.
        assert_eq!(
            gre(&[0x30, 0, 0x08, 0x00, 0, 0, 0, 1, 0, 0, 0, 2]),
            Some((LinkType::Ipv4, 12))
        );
        // Transparent Ethernet bridging with a checksum.
        assert_eq!(
            gre(&[0x80, 0, 0x65, 0x58, 0, 0, 0, 0]),
            Some((LinkType::Ethernet, 8))
        );
        // ERSPAN type II: a sequence number, then its own 8-byte header.
        assert_eq!(
            gre(&[0x10, 0, 0x88, 0xbe, 0, 0, 0, 7]),
            Some((LinkType::Ethernet, 16))
        );
        // ERSPAN type III with the platform subheader (O flag).
        let mut e3 = vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 7];
        e3.extend_from_slice(&[0; 11]);
        e3.push(1);
        assert_eq!(gre(&e3), Some((LinkType::Ethernet, 28)));
        // PPTP: version 1, key, sequence and acknowledgement numbers, PPP inside.
        assert_eq!(
            gre(&[0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]),
            Some((LinkType::Ppp, 16))
        );
        // Source routing is not followed; neither is an unknown protocol.
        assert_eq!(gre(&[0x40, 0, 0x08, 0x00]), None);
        assert_eq!(gre(&[0, 0, 0x12, 0x34]), None);
    }

    #[test]
    fn gtp_u_extension_headers() {
        // G-PDU with E set: next extension type 0x85 (PDU session), one 4-byte extension.
        let h = [0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0, 0, 0];
        assert_eq!(gtp_u(&h), Some(16));
        // No optional fields.
        assert_eq!(gtp_u(&[0x30, 0xff, 0, 0, 0, 0, 0, 1]), Some(8));
        // Echo request (type 1) carries no user packet; GTP version 2 is control only.
        assert_eq!(gtp_u(&[0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(gtp_u(&[0x48, 0xff, 0, 0, 0, 0, 0, 1]), None);
        // An extension of length 0 would never end.
        assert_eq!(
            gtp_u(&[0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0]),
            None
        );
    }

    #[test]
    fn tzsp_tags_and_capwap_fragments() {
        // Received Ethernet frame, a padding tag, a 2-byte RSSI tag, then the end tag.
        assert_eq!(
            tzsp(&[1, 0, 0, 1, 0, 10, 2, 0xff, 0xd0, 1, 0xaa]),
            Some((LinkType::Ethernet, 10))
        );
        // Version 2, or a configuration message, carry no packet.
        assert_eq!(tzsp(&[2, 0, 0, 1, 1]), None);
        assert_eq!(tzsp(&[1, 4, 0, 1, 1]), None);
        // CAPWAP data: HLEN 2 words, binding 802.11, native frame; then the same fragmented.
        let mut h = [0, 0x10, 0x03, 0, 0, 0, 0, 0];
        assert_eq!(capwap(&h), Some((LinkType::Ieee80211, 8)));
        h[3] = 0x80;
        assert_eq!(capwap(&h), None);
    }
}
