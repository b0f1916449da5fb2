//! One frame in, one [`Decoded`] summary out.

use etherparse::{ip_number, LaxIpSlice, TcpHeaderSlice, UdpHeaderSlice};

use crate::link::{self, ethertype, LinkError, LinkType};
use crate::{Addr, Mac};

/// The network layer a frame carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Net {
    /// No network layer could be found (unknown link type, or a broken link header).
    #[default]
    None,
    Ipv4,
    Ipv6,
    Arp,
    /// Any other EtherType (LLDP, 802.3 LLC, PPPoE discovery, EAPOL...).
    Other,
}

/// The transport layer, when the network layer is IP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Transport {
    /// No transport header: not IP, a later IP fragment, or a header cut off.
    #[default]
    None,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// Any other IP protocol, by its number in [`Decoded::ip_proto`].
    Other,
}

/// The layer at which decoding stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Link,
    Ip,
    Transport,
}

/// Why a frame could not be decoded to the end; counted by the caller, never fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Malformed {
    /// The capture's link type is not one this program decodes.
    UnsupportedLinkType,
    /// The frame ends inside its link header.
    LinkTruncated,
    /// A raw-IP link carrying something that is not IP.
    NotIp,
    /// An 802.11 data frame whose body is encrypted: the capture was not decrypted.
    WlanEncrypted,
    /// The IP header is cut off.
    IpTruncated,
    /// The IP header is invalid (version, header length).
    IpInvalid,
    /// An IPv6 extension header is cut off or invalid; the packet is counted at the IP layer.
    Ipv6Extension,
    /// The TCP header is cut off.
    TcpTruncated,
    /// The TCP data offset is below the 20-byte minimum.
    TcpInvalid,
    /// The UDP header is cut off.
    UdpTruncated,
}

impl Malformed {
    /// A stable name, used in `stats` output.
    pub fn name(self) -> &'static str {
        match self {
            Malformed::UnsupportedLinkType => "unsupported-link-type",
            Malformed::LinkTruncated => "link-truncated",
            Malformed::NotIp => "raw-link-not-ip",
            Malformed::WlanEncrypted => "wlan-encrypted",
            Malformed::IpTruncated => "ip-truncated",
            Malformed::IpInvalid => "ip-invalid",
            Malformed::Ipv6Extension => "ipv6-extension-invalid",
            Malformed::TcpTruncated => "tcp-truncated",
            Malformed::TcpInvalid => "tcp-invalid",
            Malformed::UdpTruncated => "udp-truncated",
        }
    }

    /// The layer at which decoding stopped.
    pub fn layer(self) -> Layer {
        match self {
            Malformed::UnsupportedLinkType
            | Malformed::LinkTruncated
            | Malformed::NotIp
            | Malformed::WlanEncrypted => Layer::Link,
            Malformed::IpTruncated | Malformed::IpInvalid | Malformed::Ipv6Extension => Layer::Ip,
            _ => Layer::Transport,
        }
    }
}

/// What one frame says, down to the transport header. Plain data: no borrow, no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Ethernet (source, destination) when the frame has an Ethernet header; the source and
    /// destination stations of an 802.11 data frame; the sender of a Linux cooked frame (whose
    /// destination is not recorded: all zeros).
    pub eth: Option<(Mac, Mac)>,
    /// `eth` comes from another link header than Ethernet's (802.11, Linux cooked).
    pub not_ethernet: bool,
    /// VLAN identifiers, outermost first, 0 where absent.
    pub vlan: [u16; 2],
    /// EtherType of the network layer (after VLAN and PPPoE), 0 when there is none.
    pub ethertype: u16,
    pub net: Net,
    /// IP source and destination (IPv4 as IPv4-mapped IPv6); unspecified when not IP.
    pub src: Addr,
    pub dst: Addr,
    /// IP protocol number of the transport header (after IPv6 extension headers).
    pub ip_proto: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// The IP payload is a fragment of a larger datagram.
    pub fragment: bool,
    /// This fragment holds the start of the datagram (and so its transport header).
    pub first_fragment: bool,
    /// IPv4 identification or IPv6 fragment identification, for matching fragments.
    pub frag_id: u32,
    pub transport: Transport,
    /// Transport ports; for ICMP and ICMPv6 the type and code are in `icmp`.
    pub src_port: u16,
    pub dst_port: u16,
    /// ICMP type and code.
    pub icmp: (u8, u8),
    /// TCP flags byte (CWR ECE URG ACK PSH RST SYN FIN).
    pub tcp_flags: u8,
    pub tcp_seq: u32,
    pub tcp_ack: u32,
    pub tcp_window: u16,
    /// Where the transport payload starts in the frame, and how many bytes of it were captured.
    pub payload_offset: u32,
    pub payload_len: u32,
    /// Why decoding stopped before the end, if it did.
    pub malformed: Option<Malformed>,
    /// ARP over Ethernet for IPv4: the sender's hardware and protocol address (which MAC says it
    /// holds which address), and the target protocol address.
    pub arp: Option<(Mac, [u8; 4], [u8; 4])>,
}

/// TCP flag bits.
pub mod tcp_flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

impl Default for Decoded {
    fn default() -> Self {
        Decoded {
            eth: None,
            not_ethernet: false,
            vlan: [0; 2],
            ethertype: 0,
            net: Net::None,
            src: Addr::UNSPECIFIED,
            dst: Addr::UNSPECIFIED,
            ip_proto: 0,
            ttl: 0,
            fragment: false,
            first_fragment: false,
            frag_id: 0,
            transport: Transport::None,
            src_port: 0,
            dst_port: 0,
            icmp: (0, 0),
            tcp_flags: 0,
            tcp_seq: 0,
            tcp_ack: 0,
            tcp_window: 0,
            payload_offset: 0,
            payload_len: 0,
            malformed: None,
            arp: None,
        }
    }
}

impl Decoded {
    /// True when the frame carries IPv4 or IPv6.
    pub fn is_ip(&self) -> bool {
        matches!(self.net, Net::Ipv4 | Net::Ipv6)
    }

    /// The captured transport payload, given the frame this summary was made from.
    pub fn payload<'a>(&self, frame: &'a [u8]) -> &'a [u8] {
        let start = self.payload_offset as usize;
        frame
            .get(start..start + self.payload_len as usize)
            .unwrap_or(&[])
    }
}

/// Decodes one frame captured on a `link` interface.
pub fn decode(link: LinkType, frame: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    decode_to(link, frame, &mut d);
    d
}

/// [`decode`] into `d`, a default summary (`Decoded::default()`, made once by the caller): what
/// the packet path calls. A summary built in a local and returned is copied out, and the copy
/// reads in wide words fields that were just written a byte at a time, before the writes have
/// landed: a stall on every frame, a fifth of `flows`' time in `decode`.
#[inline]
pub fn decode_to(link: LinkType, frame: &[u8], d: &mut Decoded) {
    debug_assert!(
        *d == Decoded::default(),
        "decode_to wants a default summary"
    );
    // Untagged Ethernet carrying an everyday IPv4 header, most frames of most captures, without
    // the general link parser: the same summary, read from the same bytes.
    if link == LinkType::Ethernet && frame.len() >= 34 && frame[12..14] == [0x08, 0x00] {
        d.ethertype = ethertype::IPV4;
        if fast_ipv4(d, &frame[14..], 14) {
            let (src, dst) = d.eth.insert(([0; 6], [0; 6]));
            link::ethernet_macs_to(frame, src, dst);
            return;
        }
        *d = Decoded::default();
    }
    decode_into(d, link::parse(link, frame), frame);
}

/// Decodes one frame whose link header has been read.
pub(crate) fn decode_link(link: Result<link::Link, LinkError>, frame: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    decode_into(&mut d, link, frame);
    d
}

/// [`decode_link`] into `d`, a default summary.
fn decode_into(d: &mut Decoded, link: Result<link::Link, LinkError>, frame: &[u8]) {
    let l = match link {
        Ok(l) => l,
        Err(e) => {
            d.malformed = Some(match e {
                LinkError::Truncated => Malformed::LinkTruncated,
                LinkError::Unsupported => Malformed::UnsupportedLinkType,
                LinkError::NotIp => Malformed::NotIp,
                LinkError::Encrypted => Malformed::WlanEncrypted,
            });
            return;
        }
    };
    d.eth = l.eth;
    d.not_ethernet = l.not_ethernet;
    d.vlan = l.vlan;
    d.ethertype = l.ethertype;
    let rest = &frame[l.offset..];
    match l.ethertype {
        ethertype::IPV4 | ethertype::IPV6 => ip(d, rest, l.offset),
        ethertype::ARP => {
            d.net = Net::Arp;
            d.arp = arp_sender(rest);
        }
        _ => {
            d.net = Net::Other;
            // What follows the link header (LLDP, 802.3 LLC...) is the payload.
            d.payload_offset = l.offset as u32;
            d.payload_len = rest.len() as u32;
        }
    }
}

/// The sender of an Ethernet/IPv4 ARP packet: hardware type 1, protocol 0x0800, lengths 6 and 4.
fn arp_sender(b: &[u8]) -> Option<(Mac, [u8; 4], [u8; 4])> {
    let h = b.get(..28)?;
    if h[0..2] != [0, 1] || h[2..4] != [8, 0] || h[4] != 6 || h[5] != 4 {
        return None;
    }
    let mut mac = [0u8; 6];
    mac.copy_from_slice(&h[8..14]);
    Some((
        mac,
        [h[14], h[15], h[16], h[17]],
        [h[24], h[25], h[26], h[27]],
    ))
}

/// An IPv4 header of the everyday kind, read by hand: version 4, a header length of at least 20
/// bytes that the frame holds, a total length between the header's and the frame's (what
/// follows it is link padding), no authentication header. Its transport header is read as
/// [`ip`] reads it. `false` leaves the packet to [`ip`], which reads every other case.
///
/// Written here because it was most of the decoding time: `etherparse`'s lax slice checks and
/// records much that such a header never needs (its length sources, extension headers). With
/// [`decode`]'s own path for untagged Ethernet, `flows` on the benchmark input's first 100 000
/// frames went from 105 M to 87 M instructions (callgrind) for the same output. The `decode`
/// fuzz target and a test over every capture's frames compare both paths with the general one.
#[inline]
fn fast_ipv4(d: &mut Decoded, bytes: &[u8], offset: usize) -> bool {
    let Some(h) = bytes.get(..20) else {
        return false;
    };
    let ihl = usize::from(h[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let proto = h[9];
    if h[0] >> 4 != 4 || ihl < 20 || total < ihl || total > bytes.len() || proto == 51 {
        return false;
    }
    d.net = Net::Ipv4;
    // IPv4-mapped by hand: `Ipv4Addr::to_ipv6_mapped` made this function too large to be
    // inlined into `decode` (80.1 M to 81.7 M instructions on the benchmark's first 100 000
    // frames).
    let mut a = [0u8; 16];
    a[10] = 0xff;
    a[11] = 0xff;
    a[12..].copy_from_slice(&h[12..16]);
    d.src = Addr::from(a);
    a[12..].copy_from_slice(&h[16..20]);
    d.dst = Addr::from(a);
    d.ttl = h[8];
    d.frag_id = u32::from(u16::from_be_bytes([h[4], h[5]]));
    let flags_offset = u16::from_be_bytes([h[6], h[7]]);
    d.first_fragment = flags_offset & 0x1fff == 0;
    d.fragment = flags_offset & 0x3fff != 0;
    d.ip_proto = proto;
    if d.fragment && !d.first_fragment {
        return true;
    }
    transport(d, &bytes[ihl..total], offset + ihl);
    true
}

/// Compares [`decode`] with the general path (the link parser, then etherparse for IP) on one
/// frame (tests and fuzzing).
#[doc(hidden)]
pub fn decode_agrees(link: LinkType, frame: &[u8]) -> bool {
    decode(link, frame) == decode_link(link::parse(link, frame), frame)
}

/// Compares [`fast_ipv4`] with the general path on one IP packet (tests and fuzzing).
#[doc(hidden)]
pub fn fast_ipv4_agrees(bytes: &[u8]) -> bool {
    let mut fast = Decoded {
        ethertype: ethertype::IPV4,
        ..Decoded::default()
    };
    let mut slow = fast;
    if !fast_ipv4(&mut fast, bytes, 0) {
        return true;
    }
    general_ip(&mut slow, bytes, 0);
    fast == slow
}

fn ip(d: &mut Decoded, bytes: &[u8], offset: usize) {
    if d.ethertype == ethertype::IPV4 && fast_ipv4(d, bytes, offset) {
        return;
    }
    general_ip(d, bytes, offset);
}

fn general_ip(d: &mut Decoded, bytes: &[u8], offset: usize) {
    d.net = if d.ethertype == ethertype::IPV4 {
        Net::Ipv4
    } else {
        Net::Ipv6
    };
    let (ip, ext_err) = match LaxIpSlice::from_slice(bytes) {
        Ok(r) => r,
        Err(etherparse::err::ip::LaxHeaderSliceError::Len(_)) => {
            d.malformed = Some(Malformed::IpTruncated);
            return;
        }
        Err(etherparse::err::ip::LaxHeaderSliceError::Content(_)) => {
            d.malformed = Some(Malformed::IpInvalid);
            return;
        }
    };
    match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            d.net = Net::Ipv4;
            d.src = h.source_addr().to_ipv6_mapped();
            d.dst = h.destination_addr().to_ipv6_mapped();
            d.ttl = h.ttl();
            d.frag_id = u32::from(h.identification());
            d.first_fragment = h.fragments_offset().value() == 0;
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            d.net = Net::Ipv6;
            d.src = h.source_addr();
            d.dst = h.destination_addr();
            d.ttl = h.hop_limit();
            d.first_fragment = true;
            if v6.is_payload_fragmented() {
                if let Some((id, first)) = ipv6_fragment(bytes) {
                    d.frag_id = id;
                    d.first_fragment = first;
                }
            }
        }
    }
    let payload = ip.payload();
    d.ip_proto = payload.ip_number.0;
    d.fragment = payload.fragmented;
    // Where the transport header starts in the frame: the payload is a sub-slice of `bytes`.
    let t_off = offset + (payload.payload.as_ptr() as usize - bytes.as_ptr() as usize);
    if ext_err.is_some() {
        d.malformed = Some(Malformed::Ipv6Extension);
        return;
    }
    if d.fragment && !d.first_fragment {
        return;
    }
    transport(d, payload.payload, t_off);
}

/// IPv6 extension headers (their next-header numbers).
pub(crate) mod ipv6_ext {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const AUTH: u8 = 51;
    pub const DEST_OPTS: u8 = 60;
    pub const MOBILITY: u8 = 135;
    pub const HIP: u8 = 139;
    pub const SHIM6: u8 = 140;
    pub const ALL: [u8; 8] = [
        HOP_BY_HOP, ROUTING, FRAGMENT, AUTH, DEST_OPTS, MOBILITY, HIP, SHIM6,
    ];
}

/// Finds the IPv6 fragment header: its identification and whether it holds the datagram's start.
///
/// Walked here rather than with `etherparse`'s extension iterator, which fuzzing showed reading out
/// of bounds (etherparse 0.21, `Ipv6ExtensionSliceIter` over a lax slice).
fn ipv6_fragment(ip: &[u8]) -> Option<(u32, bool)> {
    use ipv6_ext::*;
    let mut next = *ip.get(6)?;
    let mut off = 40usize;
    loop {
        let h = ip.get(off..off + 8)?;
        match next {
            FRAGMENT => {
                let offset = u16::from_be_bytes([h[2], h[3]]) >> 3;
                let id = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                return Some((id, offset == 0));
            }
            AUTH => off += (usize::from(h[1]) + 2) * 4,
            HOP_BY_HOP | ROUTING | DEST_OPTS | MOBILITY | HIP | SHIM6 => {
                off += (usize::from(h[1]) + 1) * 8
            }
            _ => return None,
        }
        next = h[0];
    }
}

fn transport(d: &mut Decoded, bytes: &[u8], offset: usize) {
    let (header_len, transport) = match etherparse::IpNumber(d.ip_proto) {
        ip_number::TCP => match TcpHeaderSlice::from_slice(bytes) {
            Ok(t) => {
                d.src_port = t.source_port();
                d.dst_port = t.destination_port();
                d.tcp_seq = t.sequence_number();
                d.tcp_ack = t.acknowledgment_number();
                d.tcp_window = t.window_size();
                d.tcp_flags = bytes[13];
                (t.slice().len(), Transport::Tcp)
            }
            Err(etherparse::err::tcp::HeaderSliceError::Len(_)) => {
                // Cut by a short snap length: the ports (and what else fits) still place the
                // packet in its connection.
                d.malformed = Some(Malformed::TcpTruncated);
                if bytes.len() < 4 {
                    return;
                }
                d.src_port = u16::from_be_bytes([bytes[0], bytes[1]]);
                d.dst_port = u16::from_be_bytes([bytes[2], bytes[3]]);
                if bytes.len() >= 8 {
                    d.tcp_seq = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
                }
                if bytes.len() >= 12 {
                    d.tcp_ack = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
                }
                if bytes.len() >= 14 {
                    d.tcp_flags = bytes[13];
                }
                (bytes.len(), Transport::Tcp)
            }
            Err(etherparse::err::tcp::HeaderSliceError::Content(_)) => {
                d.malformed = Some(Malformed::TcpInvalid);
                return;
            }
        },
        ip_number::UDP => match UdpHeaderSlice::from_slice(bytes) {
            Ok(u) => {
                d.src_port = u.source_port();
                d.dst_port = u.destination_port();
                (8, Transport::Udp)
            }
            Err(_) => {
                d.malformed = Some(Malformed::UdpTruncated);
                if bytes.len() < 4 {
                    return;
                }
                d.src_port = u16::from_be_bytes([bytes[0], bytes[1]]);
                d.dst_port = u16::from_be_bytes([bytes[2], bytes[3]]);
                (bytes.len(), Transport::Udp)
            }
        },
        ip_number::ICMP | ip_number::IPV6_ICMP => {
            if bytes.len() >= 2 {
                d.icmp = (bytes[0], bytes[1]);
            }
            let t = if d.ip_proto == ip_number::ICMP.0 {
                Transport::Icmp
            } else {
                Transport::Icmpv6
            };
            (bytes.len().min(8), t)
        }
        _ => (0, Transport::Other),
    };
    d.transport = transport;
    d.payload_offset = (offset + header_len) as u32;
    d.payload_len = (bytes.len() - header_len) as u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet, IPv4 192.168.1.2 -> 93.184.216.34, TCP 51000 -> 443 SYN, seq 1, one option byte pad.
    const SYN: [u8; 58] = [
        // ethernet: dst, src, type
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
        // ipv4: ver/ihl, tos, total len 44, id 0x1234, flags DF, ttl 64, proto 6, checksum
        0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 192, 168, 1, 2, 93,
        184, 216, 34,
        // tcp: ports, seq 1, ack 0, offset 6 words, flags SYN, window 65535, csum, urg
        0xc7, 0x38, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        // mss option
        0x02, 0x04, 0x05, 0xb4,
    ];

    #[test]
    fn ethernet_ipv4_tcp_syn() {
        let d = decode(LinkType::Ethernet, &SYN);
        assert_eq!(d.malformed, None);
        assert_eq!(d.net, Net::Ipv4);
        assert_eq!(d.transport, Transport::Tcp);
        assert_eq!(crate::ip_of(&d.src).to_string(), "192.168.1.2");
        assert_eq!(crate::ip_of(&d.dst).to_string(), "93.184.216.34");
        assert_eq!((d.src_port, d.dst_port), (51000, 443));
        assert_eq!(d.tcp_flags, tcp_flags::SYN);
        assert_eq!(d.tcp_seq, 1);
        assert_eq!((d.payload_offset, d.payload_len), (58, 0));
        assert_eq!(d.ttl, 64);
    }

    #[test]
    fn cut_inside_tcp_header_keeps_ports() {
        // A 54-byte snap length cuts this SYN's options: ports, sequence and flags remain.
        let d = decode(LinkType::Ethernet, &SYN[..50]);
        assert_eq!(
            (d.net, d.ip_proto, d.transport),
            (Net::Ipv4, 6, Transport::Tcp)
        );
        assert_eq!(
            (d.src_port, d.dst_port, d.tcp_flags, d.tcp_seq),
            (51000, 443, tcp_flags::SYN, 1)
        );
        assert_eq!(
            (d.payload_len, d.malformed),
            (0, Some(Malformed::TcpTruncated))
        );
        // Cut before the ports: the packet is still counted at the IP layer.
        let d = decode(LinkType::Ethernet, &SYN[..36]);
        assert_eq!((d.transport, d.ip_proto), (Transport::None, 6));
    }

    #[test]
    fn bad_ihl_is_invalid() {
        let mut f = SYN;
        f[14] = 0x43;
        assert_eq!(
            decode(LinkType::Ethernet, &f).malformed,
            Some(Malformed::IpInvalid)
        );
    }

    #[test]
    fn later_fragment_has_no_ports() {
        let mut f = SYN;
        f[20] = 0x00; // flags 0, offset 0x0010 (128 bytes)
        f[21] = 0x10;
        let d = decode(LinkType::Ethernet, &f);
        assert!(d.fragment && !d.first_fragment);
        assert_eq!(d.frag_id, 0x1234);
        assert_eq!(d.transport, Transport::None);
        assert_eq!(d.malformed, None);
    }

    #[test]
    fn ipv6_fragment_after_hop_by_hop() {
        let mut f = vec![0x60, 0, 0, 0, 0, 24, 0, 64];
        f.extend_from_slice(&[0; 32]);
        // hop-by-hop (next: fragment, 8 bytes), fragment (next: udp, offset 2, M, id 0xabcd)
        f.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        f.extend_from_slice(&[17, 0, 0x00, 0x11, 0, 0, 0xab, 0xcd]);
        f.extend_from_slice(&[0; 8]);
        let d = decode(LinkType::Raw, &f);
        assert!(d.fragment && !d.first_fragment);
        assert_eq!(d.frag_id, 0xabcd);
        assert_eq!(d.ip_proto, 17);
    }

    /// Found by fuzzing: an IPv6 packet whose fragment header claims more than the frame holds.
    /// etherparse's extension iterator read past the end of this frame.
    #[test]
    fn fuzz_ipv6_fragment_past_the_end() {
        let hex = "3333000000161c5f2baafd4e86dd6000000001c62c03606a6408004500002849f500000111cd25c000\
                   24000100ff0200000000010000000100b56d06080000000000000001ba0024e424802a080045000028\
                   00060000ff06d4f60a0a0a15";
        let clean: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
        let f: Vec<u8> = (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(f.len(), 94);
        let d = decode(LinkType::Ethernet, &f);
        assert_eq!(d.net, Net::Ipv6);
        assert!(d.fragment);
    }

    #[test]
    fn raw_ipv6_udp() {
        let mut f = vec![0x60, 0, 0, 0, 0, 12, 17, 255];
        f.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb]);
        f.extend_from_slice(&[0x14, 0xe9, 0x14, 0xe9, 0, 12, 0, 0, 1, 2, 3, 4]);
        let d = decode(LinkType::Raw, &f);
        assert_eq!((d.net, d.transport), (Net::Ipv6, Transport::Udp));
        assert_eq!((d.src_port, d.dst_port), (5353, 5353));
        assert_eq!(d.payload(&f), &[1, 2, 3, 4]);
        assert_eq!(d.ttl, 255);
    }

    #[test]
    fn arp_and_unknown_link() {
        let mut f = [0u8; 42];
        f[12] = 0x08;
        f[13] = 0x06;
        assert_eq!(decode(LinkType::Ethernet, &f).net, Net::Arp);
        // A request from 00:1a:22:05:c4:2e for 10.10.10.1, sent from 10.10.10.89.
        f[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
        f[22..28].copy_from_slice(&[0x00, 0x1a, 0x22, 0x05, 0xc4, 0x2e]);
        f[28..32].copy_from_slice(&[10, 10, 10, 89]);
        f[38..42].copy_from_slice(&[10, 10, 10, 1]);
        let d = decode(LinkType::Ethernet, &f);
        let sender = [0x00, 0x1a, 0x22, 0x05, 0xc4, 0x2e];
        assert_eq!(d.arp, Some((sender, [10, 10, 10, 89], [10, 10, 10, 1])));
        let d = decode(LinkType::Other(147), &f);
        assert_eq!(d.malformed, Some(Malformed::UnsupportedLinkType));
    }
}
