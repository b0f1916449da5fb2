//! Link layers: where the network layer starts in a frame, and what the link layer says about it.
//!
//! Field offsets follow the smoltcp habit: each header's layout is a small `mod field` of named
//! ranges, and a length is checked once before the fields are read.

use crate::Mac;

/// The link type of a capture interface, from the tcpdump.org LINKTYPE registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    Null,
    /// Ethernet II / 802.3.
    Ethernet,
    /// Raw IPv4 or IPv6, no link header (LINKTYPE_RAW and the BSD DLT_RAW numbers).
    Raw,
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    Loop,
    /// Linux cooked capture v1.
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// Raw IPv4 only.
    Ipv4,
    /// Raw IPv6 only.
    Ipv6,
    /// IEEE 802.11 frames without a radio header.
    Ieee80211,
    /// IEEE 802.11 behind a radiotap header (monitor mode on Linux and macOS).
    Radiotap,
    /// IEEE 802.11 behind a Prism II monitor header.
    Prism,
    /// IEEE 802.11 behind an AVS monitor header.
    Avs,
    /// A Per-Packet Information header, in front of the link type it names.
    Ppi,
    /// PPP (with or without the HDLC address and control bytes).
    Ppp,
    /// Cisco HDLC: an EtherType after the address and control bytes.
    CHdlc,
    /// Linux netfilter logs (`tcpdump -i nflog`): the packets a firewall rule sent to NFLOG.
    Nflog,
    /// Any other link type, kept by number so it can be counted.
    Other(u32),
}

impl LinkType {
    /// Maps a LINKTYPE number as stored in pcap and pcapng headers.
    pub fn from_number(n: u32) -> LinkType {
        match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            // 12 and 14 are DLT_RAW on some BSDs and appear in files written there.
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            105 => LinkType::Ieee80211,
            127 => LinkType::Radiotap,
            119 => LinkType::Prism,
            163 => LinkType::Avs,
            192 => LinkType::Ppi,
            // 9 is PPP; 50 is PPP in HDLC-like framing, which starts with the same two bytes.
            9 | 50 => LinkType::Ppp,
            104 => LinkType::CHdlc,
            239 => LinkType::Nflog,
            276 => LinkType::LinuxSll2,
            n => LinkType::Other(n),
        }
    }

    /// The LINKTYPE number.
    pub fn number(self) -> u32 {
        match self {
            LinkType::Null => 0,
            LinkType::Ethernet => 1,
            LinkType::Raw => 101,
            LinkType::Loop => 108,
            LinkType::LinuxSll => 113,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::Ieee80211 => 105,
            LinkType::Radiotap => 127,
            LinkType::Prism => 119,
            LinkType::Avs => 163,
            LinkType::Ppi => 192,
            LinkType::Ppp => 9,
            LinkType::CHdlc => 104,
            LinkType::Nflog => 239,
            LinkType::LinuxSll2 => 276,
            LinkType::Other(n) => n,
        }
    }

    /// A short name: the encapsulation name of Wireshark's file library (`editcap -T help`).
    pub fn name(self) -> String {
        match self {
            LinkType::Null => "null".into(),
            LinkType::Ethernet => "ether".into(),
            LinkType::Raw => "rawip".into(),
            LinkType::Loop => "loop".into(),
            LinkType::LinuxSll => "linux-sll".into(),
            LinkType::LinuxSll2 => "linux-sll2".into(),
            LinkType::Ipv4 => "rawip4".into(),
            LinkType::Ipv6 => "rawip6".into(),
            LinkType::Ieee80211 => "ieee-802-11".into(),
            LinkType::Radiotap => "ieee-802-11-radiotap".into(),
            LinkType::Prism => "ieee-802-11-prism".into(),
            LinkType::Avs => "ieee-802-11-avs".into(),
            LinkType::Ppi => "ppi".into(),
            LinkType::Ppp => "ppp".into(),
            LinkType::CHdlc => "chdlc".into(),
            LinkType::Nflog => "nflog".into(),
            LinkType::Other(n) => format!("linktype-{n}"),
        }
    }
}

/// EtherType values this module acts on.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86dd;
    pub const PPPOE_DISCOVERY: u16 = 0x8863;
    pub const PPPOE_SESSION: u16 = 0x8864;
    pub const QINQ: u16 = 0x88a8;
    pub const QINQ_OLD: u16 = 0x9100;
    pub const QINQ_OLD2: u16 = 0x9200;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
}

/// What the link layer of one frame says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// Ethernet source and destination, when the frame has an Ethernet header; the source and
    /// destination stations of an 802.11 data frame; the sender of a Linux cooked frame (its
    /// destination is not recorded: all zeros).
    pub eth: Option<(Mac, Mac)>,
    /// The addresses in `eth` come from another link header than Ethernet's (tshark counts
    /// 802.11 stations in its `wlan` conversations and cooked senders in none, never in `eth`).
    pub not_ethernet: bool,
    /// VLAN identifiers, outermost first, 0 where absent (two tags at most are kept).
    pub vlan: [u16; 2],
    /// The EtherType of the network layer (after VLAN tags and PPPoE), 0 for 802.3 frames.
    pub ethertype: u16,
    /// Offset of the network layer in the frame.
    pub offset: usize,
}

/// Why a link header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The frame ends inside the link header.
    Truncated,
    /// A link type this program does not decode.
    Unsupported,
    /// A raw-IP link whose first byte is neither IPv4 nor IPv6.
    NotIp,
    /// An 802.11 data frame whose body is encrypted (WEP, WPA): only its addresses can be read.
    Encrypted,
}

mod field {
    pub type Field = std::ops::Range<usize>;
    pub const ETH_DST: Field = 0..6;
    pub const ETH_SRC: Field = 6..12;
    pub const ETH_TYPE: Field = 12..14;
    pub const ETH_LEN: usize = 14;
    pub const VLAN_TCI: Field = 0..2;
    pub const VLAN_TYPE: Field = 2..4;
    pub const VLAN_LEN: usize = 4;
    pub const PPPOE_PROTO: Field = 6..8;
    pub const PPPOE_LEN: usize = 8;
    pub const SLL_HATYPE: Field = 2..4;
    pub const SLL_HALEN: Field = 4..6;
    pub const SLL_ADDR: Field = 6..14;
    pub const SLL_PROTO: Field = 14..16;
    pub const SLL_LEN: usize = 16;
    pub const SLL2_PROTO: Field = 0..2;
    pub const SLL2_HATYPE: Field = 8..10;
    pub const SLL2_HALEN: usize = 11;
    pub const SLL2_ADDR: Field = 12..20;
    pub const SLL2_LEN: usize = 20;
    pub const NULL_LEN: usize = 4;
    /// 802.11: frame control, and the addresses of a data frame.
    pub const WLAN_FC: Field = 0..2;
    pub const WLAN_ADDR1: Field = 4..10;
    pub const WLAN_ADDR2: Field = 10..16;
    pub const WLAN_ADDR3: Field = 16..22;
    pub const WLAN_ADDR4: Field = 24..30;
    pub const WLAN_LEN: usize = 24;
    pub const WLAN_ADDR4_LEN: usize = 6;
    pub const WLAN_QOS_LEN: usize = 2;
    pub const WLAN_HT_LEN: usize = 4;
    /// LLC with a SNAP header: DSAP AA, SSAP AA, UI, an OUI, then the EtherType.
    pub const SNAP_LEN: usize = 8;
    pub const SNAP_TYPE: Field = 6..8;
    pub const PRISM_LEN: usize = 144;
    pub const MPLS_LEN: usize = 4;
}

#[inline]
fn be16(b: &[u8], f: field::Field) -> u16 {
    u16::from_be_bytes([b[f.start], b[f.start + 1]])
}

/// Most VLAN tags followed before giving up (a loop guard; real frames carry one or two).
const MAX_TAGS: usize = 8;

/// Reads the link header of `frame` captured on a `link` interface.
pub fn parse(link: LinkType, frame: &[u8]) -> Result<Link, LinkError> {
    match link {
        LinkType::Ethernet => ethernet(frame),
        LinkType::Raw => raw(frame, 0),
        LinkType::Ipv4 => Ok(Link {
            ethertype: ethertype::IPV4,
            ..Link::default()
        }),
        LinkType::Ipv6 => Ok(Link {
            ethertype: ethertype::IPV6,
            ..Link::default()
        }),
        LinkType::Null | LinkType::Loop => {
            if frame.len() < field::NULL_LEN {
                return Err(LinkError::Truncated);
            }
            let raw4 = [frame[0], frame[1], frame[2], frame[3]];
            // DLT_NULL is in the writer's byte order, DLT_LOOP in network order; a family number
            // is small, so whichever reading gives a small value is the right one.
            let family = if link == LinkType::Loop || raw4[0] == 0 && raw4[1] == 0 {
                u32::from_be_bytes(raw4)
            } else {
                u32::from_le_bytes(raw4)
            };
            let ethertype = match family {
                2 => ethertype::IPV4,
                // AF_INET6 differs by system: Linux, NetBSD/OpenBSD, FreeBSD, macOS.
                10 | 24 | 28 | 30 => ethertype::IPV6,
                _ => 0,
            };
            Ok(Link {
                ethertype,
                offset: field::NULL_LEN,
                ..Link::default()
            })
        }
        LinkType::LinuxSll => {
            if frame.len() < field::SLL_LEN {
                return Err(LinkError::Truncated);
            }
            let sender = cooked_sender(
                be16(frame, field::SLL_HATYPE),
                be16(frame, field::SLL_HALEN),
                &frame[field::SLL_ADDR],
            );
            after_ethertype(frame, be16(frame, field::SLL_PROTO), field::SLL_LEN, sender)
        }
        LinkType::LinuxSll2 => {
            if frame.len() < field::SLL2_LEN {
                return Err(LinkError::Truncated);
            }
            let sender = cooked_sender(
                be16(frame, field::SLL2_HATYPE),
                u16::from(frame[field::SLL2_HALEN]),
                &frame[field::SLL2_ADDR],
            );
            after_ethertype(
                frame,
                be16(frame, field::SLL2_PROTO),
                field::SLL2_LEN,
                sender,
            )
        }
        LinkType::Ieee80211 => wlan(frame, 0),
        LinkType::Radiotap => radiotap(frame),
        LinkType::Prism => {
            // A fixed-size header.
            wlan(frame, field::PRISM_LEN)
        }
        LinkType::Avs => {
            // Version 1 or 2, then the header length, in network order.
            let len = frame.get(4..8).ok_or(LinkError::Truncated)?;
            let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
            wlan(frame, len)
        }
        LinkType::Ppi => {
            // Version, flags, header length and the link type behind it, little-endian.
            let h = frame.get(0..8).ok_or(LinkError::Truncated)?;
            let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
            let inner = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
            let rest = frame.get(len..).ok_or(LinkError::Truncated)?;
            let mut l = match LinkType::from_number(inner) {
                LinkType::Ppi => return Err(LinkError::Unsupported),
                t => parse(t, rest)?,
            };
            l.offset += len;
            Ok(l)
        }
        LinkType::Ppp => ppp(frame),
        LinkType::CHdlc => chdlc(frame),
        LinkType::Nflog => nflog(frame),
        LinkType::Other(_) => Err(LinkError::Unsupported),
    }
}

/// Linux NFLOG: an address family, a version and a group, then type-length-value attributes
/// padded to 4 bytes, one of which (type 9) holds the logged packet. The attributes' length and
/// type are in the capturing host's byte order: a type that reads large one way is read the other.
fn nflog(frame: &[u8]) -> Result<Link, LinkError> {
    const PAYLOAD: u16 = 9;
    let h = frame.get(..4).ok_or(LinkError::Truncated)?;
    let ethertype = match h[0] {
        2 => ethertype::IPV4,
        10 => ethertype::IPV6,
        _ => return Err(LinkError::NotIp),
    };
    let mut at = 4;
    loop {
        let tlv = frame.get(at..at + 4).ok_or(LinkError::Truncated)?;
        let (mut len, mut kind) = (
            u16::from_le_bytes([tlv[0], tlv[1]]),
            u16::from_le_bytes([tlv[2], tlv[3]]),
        );
        if kind > 0xff {
            (len, kind) = (be16(tlv, 0..2), be16(tlv, 2..4));
        }
        if kind == PAYLOAD {
            return Ok(Link {
                ethertype,
                offset: at + 4,
                ..Link::default()
            });
        }
        if len < 4 {
            return Err(LinkError::Truncated);
        }
        at += (usize::from(len) + 3) & !3;
    }
}

/// Cisco HDLC: address and control bytes, then an EtherType.
fn chdlc(frame: &[u8]) -> Result<Link, LinkError> {
    if frame.len() < 4 {
        return Err(LinkError::Truncated);
    }
    after_ethertype(frame, be16(frame, 2..4), 4, Link::default())
}

/// PPP: the HDLC address and control bytes (FF 03) may be there or not, and the protocol may be
/// one byte (protocol-field compression: an odd first byte) or two.
fn ppp(frame: &[u8]) -> Result<Link, LinkError> {
    // Some PPP links are written with Cisco HDLC framing (address 0x0f or 0x8f, control 0), as
    // tshark recognises too.
    if let [0x0f | 0x8f, 0x00, ..] = *frame {
        return chdlc(frame);
    }
    let start = if frame.starts_with(&[0xff, 0x03]) {
        2
    } else {
        0
    };
    let first = *frame.get(start).ok_or(LinkError::Truncated)?;
    let (proto, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        let b = frame.get(start..start + 2).ok_or(LinkError::Truncated)?;
        (u16::from_be_bytes([b[0], b[1]]), 2)
    };
    let ethertype = match proto {
        0x0021 => ethertype::IPV4,
        0x0057 => ethertype::IPV6,
        0x0281 => ethertype::MPLS,
        0x0283 => ethertype::MPLS_MULTICAST,
        _ => 0,
    };
    after_ethertype(frame, ethertype, start + len, Link::default())
}

/// Radiotap: a little-endian header whose length is its third and fourth bytes. A frame may end
/// with its 4-byte checksum; it is left on: the IP header's lengths end the packet before it.
fn radiotap(frame: &[u8]) -> Result<Link, LinkError> {
    let h = frame.get(0..4).ok_or(LinkError::Truncated)?;
    if h[0] != 0 {
        return Err(LinkError::Unsupported);
    }
    let len = usize::from(u16::from_le_bytes([h[2], h[3]]));
    wlan(frame, len)
}

/// An 802.11 frame starting at `offset`. Data frames give their source and destination stations
/// (which of the four address fields hold them depends on the To-DS and From-DS bits) and, when
/// their body is not encrypted, the EtherType of its LLC/SNAP header. Management and control
/// frames, and data frames without a body (null functions), carry no network layer.
fn wlan(frame: &[u8], offset: usize) -> Result<Link, LinkError> {
    wlan_fc(frame, offset, false)
}

/// An 802.11 frame carried by CAPWAP. Cisco's controllers send its frame control field with its
/// two bytes swapped, and tshark reads it so by default; a field whose protocol version (the two
/// low bits, always 0) is not 0 as sent is read swapped.
pub(crate) fn capwap_wlan(frame: &[u8]) -> Result<Link, LinkError> {
    let swapped = frame.first().is_some_and(|b| b & 3 != 0);
    wlan_fc(frame, 0, swapped)
}

fn wlan_fc(frame: &[u8], offset: usize, swapped: bool) -> Result<Link, LinkError> {
    let w = frame.get(offset..).ok_or(LinkError::Truncated)?;
    let fc = w.get(field::WLAN_FC).ok_or(LinkError::Truncated)?;
    let fc = if swapped {
        [fc[1], fc[0]]
    } else {
        [fc[0], fc[1]]
    };
    let (kind, subtype, flags) = ((fc[0] >> 2) & 3, fc[0] >> 4, fc[1]);
    const DATA: u8 = 2;
    if kind != DATA {
        return Ok(Link {
            offset: frame.len(),
            ..Link::default()
        });
    }
    let (to_ds, from_ds) = (flags & 0x01 != 0, flags & 0x02 != 0);
    let mut len = field::WLAN_LEN;
    if to_ds && from_ds {
        len += field::WLAN_ADDR4_LEN;
    }
    // QoS data frames (subtype bit 3) carry a QoS control field, whose bit 7 says the body is
    // an A-MSDU; the order bit on them announces an HT control field after it.
    let qos = (subtype & 0x08 != 0).then_some(len);
    if qos.is_some() {
        len += field::WLAN_QOS_LEN;
        if flags & 0x80 != 0 {
            len += field::WLAN_HT_LEN;
        }
    }
    let hdr = w.get(..len).ok_or(LinkError::Truncated)?;
    let mac = |f: field::Field| {
        let mut m = [0u8; 6];
        m.copy_from_slice(&hdr[f]);
        m
    };
    let (src, dst) = match (to_ds, from_ds) {
        (false, false) => (mac(field::WLAN_ADDR2), mac(field::WLAN_ADDR1)),
        (true, false) => (mac(field::WLAN_ADDR2), mac(field::WLAN_ADDR3)),
        (false, true) => (mac(field::WLAN_ADDR3), mac(field::WLAN_ADDR1)),
        (true, true) => (mac(field::WLAN_ADDR4), mac(field::WLAN_ADDR3)),
    };
    let link = Link {
        eth: Some((src, dst)),
        not_ethernet: true,
        ..Link::default()
    };
    // The stations, and no network layer.
    let bodiless = Link {
        offset: frame.len(),
        ..link
    };
    // Null function frames (subtype bit 2) carry no body.
    if subtype & 0x04 != 0 {
        return Ok(bodiless);
    }
    if flags & 0x40 != 0 {
        return Err(LinkError::Encrypted);
    }
    // An A-MSDU holds several subframes, each with a header of its own: not read.
    if qos.is_some_and(|at| hdr[at] & 0x80 != 0) {
        return Ok(bodiless);
    }
    let body = offset + len;
    match frame.get(body..body + field::SNAP_LEN) {
        Some(llc) if llc[..3] == [0xaa, 0xaa, 0x03] => after_ethertype(
            frame,
            be16(llc, field::SNAP_TYPE),
            body + field::SNAP_LEN,
            link,
        ),
        Some(_) => Ok(Link {
            offset: body,
            ..link
        }),
        None if frame.len() <= body => Ok(bodiless),
        None => Err(LinkError::Truncated),
    }
}

/// A Linux cooked header names the frame's sender (the host itself for outgoing frames): on an
/// Ethernet-like interface (ARPHRD_ETHER, 1) with a 6-byte address, that is its MAC.
fn cooked_sender(hatype: u16, halen: u16, addr: &[u8]) -> Link {
    if hatype != 1 || halen != 6 {
        return Link::default();
    }
    let mut src = [0u8; 6];
    src.copy_from_slice(&addr[..6]);
    Link {
        eth: Some((src, [0; 6])),
        not_ethernet: true,
        ..Link::default()
    }
}

fn raw(frame: &[u8], offset: usize) -> Result<Link, LinkError> {
    let ethertype = match frame.get(offset).map(|b| b >> 4) {
        Some(4) => ethertype::IPV4,
        Some(6) => ethertype::IPV6,
        Some(_) => return Err(LinkError::NotIp),
        None => return Err(LinkError::Truncated),
    };
    Ok(Link {
        ethertype,
        offset,
        ..Link::default()
    })
}

/// The (source, destination) MACs of a frame that holds a whole Ethernet header.
fn ethernet_macs(frame: &[u8]) -> (Mac, Mac) {
    let (mut src, mut dst) = ([0; 6], [0; 6]);
    ethernet_macs_to(frame, &mut src, &mut dst);
    (src, dst)
}

/// [`ethernet_macs`] written where they are kept (the packet path's summary): built apart and
/// copied, they are read back in wider words than they were written in, a stall.
#[inline]
pub(crate) fn ethernet_macs_to(frame: &[u8], src: &mut Mac, dst: &mut Mac) {
    dst.copy_from_slice(&frame[field::ETH_DST]);
    src.copy_from_slice(&frame[field::ETH_SRC]);
}

fn ethernet(frame: &[u8]) -> Result<Link, LinkError> {
    if frame.len() < field::ETH_LEN {
        return Err(LinkError::Truncated);
    }
    let link = Link {
        eth: Some(ethernet_macs(frame)),
        ..Link::default()
    };
    after_ethertype(frame, be16(frame, field::ETH_TYPE), field::ETH_LEN, link)
}

/// Follows VLAN tags and PPPoE from an EtherType found at the end of a link header.
fn after_ethertype(
    frame: &[u8],
    mut ethertype: u16,
    mut offset: usize,
    mut link: Link,
) -> Result<Link, LinkError> {
    let mut tags = 0;
    loop {
        match ethertype {
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD | ethertype::QINQ_OLD2
                if tags < MAX_TAGS =>
            {
                let tag = frame
                    .get(offset..offset + field::VLAN_LEN)
                    .ok_or(LinkError::Truncated)?;
                if tags < 2 {
                    link.vlan[tags] = be16(tag, field::VLAN_TCI) & 0x0fff;
                }
                tags += 1;
                ethertype = be16(tag, field::VLAN_TYPE);
                offset += field::VLAN_LEN;
            }
            ethertype::MPLS | ethertype::MPLS_MULTICAST => {
                // Labels of 4 bytes until the one marked bottom of stack; then IP, told by its
                // version nibble (anything else, a pseudowire, is not followed).
                loop {
                    let label = frame
                        .get(offset..offset + field::MPLS_LEN)
                        .ok_or(LinkError::Truncated)?;
                    offset += field::MPLS_LEN;
                    if label[2] & 1 == 1 {
                        break;
                    }
                }
                ethertype = match frame.get(offset).map(|b| b >> 4) {
                    Some(4) => ethertype::IPV4,
                    Some(6) => ethertype::IPV6,
                    _ => 0,
                };
                break;
            }
            ethertype::PPPOE_SESSION => {
                let h = frame
                    .get(offset..offset + field::PPPOE_LEN)
                    .ok_or(LinkError::Truncated)?;
                ethertype = match be16(h, field::PPPOE_PROTO) {
                    0x0021 => ethertype::IPV4,
                    0x0057 => ethertype::IPV6,
                    _ => 0,
                };
                offset += field::PPPOE_LEN;
                break;
            }
            // Values up to 1500 are an 802.3 length, not a type: LLC follows, never IP here.
            t if t <= 1500 => {
                ethertype = 0;
                break;
            }
            _ => break,
        }
    }
    link.ethertype = ethertype;
    link.offset = offset;
    Ok(link)
}

/// A hash of the frame's network address pair (IP addresses, else Ethernet addresses), the same in
/// both directions, read without a full decode. It decides which worker thread owns a frame: every
/// frame between two hosts, fragments included, goes to the same worker.
pub fn pair_hash(link: LinkType, frame: &[u8]) -> (u64, bool) {
    // Untagged Ethernet, most frames of most captures, without the general link parser (this runs
    // on the reading thread for every frame). It reads the same bytes the general path would.
    let (x, y) = match (link, frame.get(12..14)) {
        (LinkType::Ethernet, Some([0x08, 0x00])) if frame.len() >= 34 => {
            (mix(&frame[26..30]), mix(&frame[30..34]))
        }
        (LinkType::Ethernet, Some([0x86, 0xdd])) if frame.len() >= 54 => {
            (mix(&frame[22..38]), mix(&frame[38..54]))
        }
        _ => return pair_hash_parsed(link, frame),
    };
    (finish(x, y), crate::tunnel::may_carry(&frame[14..]))
}

fn pair_hash_parsed(link: LinkType, frame: &[u8]) -> (u64, bool) {
    let Ok(l) = parse(link, frame) else {
        return (0, false);
    };
    let ip = &frame[l.offset..];
    // Decoding reads the IP version from the packet, whatever the link said: so does the test.
    let ip_layer = matches!(l.ethertype, ethertype::IPV4 | ethertype::IPV6);
    let may_tunnel = ip_layer && crate::tunnel::may_carry(ip);
    let (x, y) = match l.ethertype {
        ethertype::IPV4 if ip.len() >= 20 => (mix(&ip[12..16]), mix(&ip[16..20])),
        ethertype::IPV6 if ip.len() >= 40 => (mix(&ip[8..24]), mix(&ip[24..40])),
        _ => match l.eth {
            Some((s, d)) => (mix(&s), mix(&d)),
            None => return (0, may_tunnel),
        },
    };
    (finish(x, y), may_tunnel)
}

/// The hash [`pair_hash`] gives a frame with the addresses of `d` (a packet found in a tunnel).
pub fn pair_hash_of(d: &crate::Decoded) -> u64 {
    let (x, y) = match d.net {
        crate::Net::Ipv4 => (mix(&d.src.octets()[12..]), mix(&d.dst.octets()[12..])),
        crate::Net::Ipv6 => (mix(&d.src.octets()), mix(&d.dst.octets())),
        _ => match d.eth {
            Some((s, t)) => (mix(&s), mix(&t)),
            None => return 0,
        },
    };
    finish(x, y)
}

fn finish(x: u64, y: u64) -> u64 {
    // XOR is symmetric; the final multiply spreads the bits for a modulo.
    let h = x ^ y;
    (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

fn mix(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for chunk in bytes.chunks(4) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from(u32::from_le_bytes(w)))
            .wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_qinq_pppoe() {
        // dst, src, 0x88a8 tag 10, 0x8100 tag 20, PPPoE session, PPP IPv4, then one byte of IP.
        let f = [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14,
            0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00, 0x21, 0x45,
        ];
        let l = parse(LinkType::Ethernet, &f).unwrap();
        assert_eq!(l.eth, Some(([6, 7, 8, 9, 10, 11], [0, 1, 2, 3, 4, 5])));
        assert_eq!(l.vlan, [10, 20]);
        assert_eq!(l.ethertype, ethertype::IPV4);
        assert_eq!(l.offset, 30);
    }

    #[test]
    fn null_both_byte_orders() {
        let le = [2, 0, 0, 0, 0x45];
        let be = [0, 0, 0, 30, 0x60];
        assert_eq!(
            parse(LinkType::Null, &le).unwrap().ethertype,
            ethertype::IPV4
        );
        assert_eq!(
            parse(LinkType::Null, &be).unwrap().ethertype,
            ethertype::IPV6
        );
        assert_eq!(parse(LinkType::Null, &[2, 0]), Err(LinkError::Truncated));
    }

    #[test]
    fn truncated_vlan_and_llc() {
        let f = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00];
        assert_eq!(parse(LinkType::Ethernet, &f), Err(LinkError::Truncated));
        let llc = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x00, 0x26, 0x42, 0x42];
        assert_eq!(parse(LinkType::Ethernet, &llc).unwrap().ethertype, 0);
    }

    #[test]
    fn pair_hash_is_symmetric() {
        let mut f = [0u8; 34];
        f[12] = 0x08;
        f[14] = 0x45;
        f[26..30].copy_from_slice(&[10, 0, 0, 1]);
        f[30..34].copy_from_slice(&[10, 0, 0, 2]);
        let mut r = f;
        r[26..30].copy_from_slice(&[10, 0, 0, 2]);
        r[30..34].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(
            pair_hash(LinkType::Ethernet, &f).0,
            pair_hash(LinkType::Ethernet, &r).0
        );
        r[33] = 3;
        assert_ne!(
            pair_hash(LinkType::Ethernet, &f).0,
            pair_hash(LinkType::Ethernet, &r).0
        );
    }

    #[test]
    fn pair_hash_shortcut_reads_what_the_parser_reads() {
        let mut v4 = [0u8; 34];
        v4[12] = 0x08;
        v4[14] = 0x45;
        v4[26..34].copy_from_slice(&[192, 168, 1, 20, 52, 94, 236, 248]);
        let mut v6 = [0u8; 54];
        v6[12..14].copy_from_slice(&[0x86, 0xdd]);
        v6[14] = 0x60;
        for (i, b) in v6[22..54].iter_mut().enumerate() {
            *b = i as u8 * 7;
        }
        for f in [&v4[..], &v6[..]] {
            let h = pair_hash(LinkType::Ethernet, f);
            assert_eq!(h, pair_hash_parsed(LinkType::Ethernet, f));
            assert_ne!(h.0, 0);
        }
        // Too short for the shortcut: the parser decides (and finds nothing to hash).
        assert_eq!(
            pair_hash(LinkType::Ethernet, &v4[..30]),
            pair_hash_parsed(LinkType::Ethernet, &v4[..30])
        );
    }

    #[test]
    fn sll2_and_raw() {
        let mut f = [0u8; 21];
        f[0] = 0x86;
        f[1] = 0xdd;
        f[20] = 0x60;
        let l = parse(LinkType::LinuxSll2, &f).unwrap();
        assert_eq!((l.ethertype, l.offset), (ethertype::IPV6, 20));
        assert_eq!(
            parse(LinkType::Raw, &[0x45]).unwrap().ethertype,
            ethertype::IPV4
        );
        assert_eq!(parse(LinkType::Raw, &[0x15]), Err(LinkError::NotIp));
        assert_eq!(
            parse(LinkType::Other(147), &[0]),
            Err(LinkError::Unsupported)
        );
    }
}
