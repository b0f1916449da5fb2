//! The pcap and pcapng record framing, as a state machine over a window of bytes.
//!
//! The rare blocks (pcap file header, pcapng section and interface headers, with their options)
//! are parsed with `pcap-parser`. The per-packet records (pcap record, pcapng EPB/SPB/PB) are read
//! here: `pcap-parser` collects every EPB's options into a fresh `Vec`, one allocation per packet
//! on captures that carry packet flags, and the packet path must not allocate.

use iotscope_packet::{LinkType, Nanos};

use crate::{ErrorKind, Format, Interface};

/// Largest record accepted; anything bigger is taken for corruption, not a packet.
/// (libpcap's largest snap length is 256 KiB; some link types go beyond, none near this.)
pub const MAX_RECORD: usize = 16 << 20;

const PCAP_HEADER_LEN: usize = 24;
const PCAP_RECORD_LEN: usize = 16;
/// A record header of the modified pcap format (Alexey Kuznetsov's patches to libpcap, which
/// old Red Hat and SuSE tcpdump builds wrote): the standard 16 bytes, then the interface index
/// (4), the protocol (2), the packet type (1) and a pad byte.
const MODIFIED_RECORD_LEN: usize = 24;
/// Its magic number, as read little-endian, from a little-endian file and from a big-endian one.
const MODIFIED_MAGIC: u32 = 0xA1B2_CD34;
const MODIFIED_MAGIC_SWAPPED: u32 = MODIFIED_MAGIC.swap_bytes();
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// A packet record found in the window: header fields and where its bytes are.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub ts: Nanos,
    pub origlen: u32,
    pub interface: u32,
    pub link: LinkType,
    /// Range of the packet bytes in the window.
    pub start: usize,
    pub len: usize,
}

/// What the parser found at the front of the window.
#[derive(Debug)]
pub enum Step {
    /// A packet; the record occupies `consumed` bytes of the window.
    Packet(Record, usize),
    /// A block that carries no packet (headers, statistics, name resolution...).
    Skip(usize),
    /// The window must hold at least this many bytes to go on.
    Need(usize),
    Error(ErrorKind),
}

#[derive(Clone, Copy, Debug, Default)]
enum State {
    #[default]
    Start,
    Pcap(Pcap),
    PcapNg {
        big_endian: bool,
    },
}

/// What a classic pcap file's header says about its records.
#[derive(Clone, Copy, Debug)]
struct Pcap {
    big_endian: bool,
    nanos: bool,
    link: LinkType,
    /// Snap length from the file header, for the record sanity check.
    snaplen: u32,
    /// Bytes of each record's header: 16, or 24 in the modified format.
    record_len: usize,
}

/// Format state for one capture stream.
#[derive(Debug, Default)]
pub struct Parser {
    state: State,
    /// Interfaces of the current pcapng section (one for pcap).
    pub section_interfaces: Vec<Interface>,
    /// Every interface seen in any section, in order.
    pub interfaces: Vec<Interface>,
    pub format: Option<Format>,
    pub sections: u32,
}

#[inline]
fn rd32(b: &[u8], at: usize, be: bool) -> u32 {
    // One 4-byte load and one bounds check (indexing each byte costs four of each).
    let a: [u8; 4] = b[at..at + 4].try_into().expect("4 bytes");
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

#[inline]
fn rd16(b: &[u8], at: usize, be: bool) -> u16 {
    let a: [u8; 2] = b[at..at + 2].try_into().expect("2 bytes");
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

/// Timestamp units per second from an interface's `if_tsresol`: 10^n, or 2^n when the top bit
/// is set. Written here because pcap-parser 0.17's `ts_resolution` compares the whole byte, top
/// bit included, with 63, and so refuses every power of two (gopacket's test902.pcapng uses 2^8).
fn ts_units(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n)
    }
}

/// Converts a pcapng timestamp in `units` per second to nanoseconds, plus an offset in seconds.
/// A time beyond what nanoseconds since 1970 hold (years before 1678 or after 2262: a corrupt
/// or made-up stamp) is held at the nearest one, short of `Nanos::MIN` and `Nanos::MAX`, which
/// the analysis keeps for "no time yet".
fn ng_time(raw: u64, units: u64, offset_s: i64) -> Nanos {
    let ns = if units == 1_000_000_000 {
        raw as i128
    } else {
        raw as i128 * 1_000_000_000 / units.max(1) as i128
    };
    (ns + offset_s as i128 * 1_000_000_000).clamp(i64::MIN as i128 + 1, i64::MAX as i128 - 1)
        as Nanos
}

impl Parser {
    /// A parser that reads the records of the same classic pcap file from any record boundary,
    /// once this one has read the file header; `None` for pcapng (whose blocks depend on the
    /// interfaces declared before them) or before the header.
    pub fn resume(&self) -> Option<Parser> {
        matches!(self.state, State::Pcap(_)).then(|| Parser {
            state: self.state,
            section_interfaces: self.section_interfaces.clone(),
            interfaces: self.interfaces.clone(),
            format: self.format,
            sections: self.sections,
        })
    }

    /// Whether `w` likely starts at a record boundary of this classic pcap file: `n` records
    /// follow one another there (or reach the end of `w` exactly), each with a plausible header
    /// (a fraction of a second under one second, a captured length no longer than the snap length
    /// nor than the original length, and not 0, an original length no longer than any packet's),
    /// all within a day of the first. A guess: the caller must confirm it (see `Capture::split`).
    ///
    /// The bound on the original length matters: four bytes past a boundary, in a capture whose
    /// microseconds are small and whose packets were captured whole, the microseconds read as
    /// seconds, the captured length as the fraction, the original length as the captured one,
    /// and the records chain exactly as the true ones do; only the first bytes of each packet,
    /// read as its original length, are no length at all (a cut of the 300 MB bench file in 32
    /// parts landed there).
    /// `ends_file` says whether `w` ends where the file does: otherwise records that reach its
    /// end prove nothing.
    pub fn plausible_records(&self, w: &[u8], n: usize, ends_file: bool) -> bool {
        let State::Pcap(Pcap {
            big_endian: be,
            nanos,
            snaplen,
            record_len,
            ..
        }) = self.state
        else {
            return false;
        };
        let second = if nanos { 1_000_000_000 } else { 1_000_000 };
        let (mut at, mut first) = (0, None);
        for _ in 0..n {
            if at == w.len() {
                return ends_file;
            }
            let Some(h) = w.get(at..at + record_len) else {
                return false;
            };
            let (sec, frac) = (rd32(h, 0, be), rd32(h, 4, be));
            let (caplen, origlen) = (rd32(h, 8, be), rd32(h, 12, be));
            let first_sec = *first.get_or_insert(sec);
            if frac >= second
                || caplen == 0
                || caplen > origlen
                || origlen > MAX_ORIGLEN
                || caplen > snaplen.max(MAX_ORIGLEN)
                || sec.abs_diff(first_sec) > 86_400
            {
                return false;
            }
            at += record_len + caplen as usize;
        }
        true
    }

    /// The packet at the front of `w` when it is a classic pcap record that `w` holds whole and
    /// whose lengths hold (`None` leaves every other case to [`Parser::step`]): the reader's
    /// everyday case, answered in registers. Through `step`, whose answer other arms write to
    /// memory, the record went to memory a field at a time and was read back in wider words
    /// before the writes had landed, a stall at every record.
    #[inline(always)]
    pub fn packet(&self, w: &[u8]) -> Option<(Record, usize)> {
        match self.state {
            State::Pcap(p) => pcap_packet(w, p),
            _ => None,
        }
    }

    /// Looks at the front of `w` and says what is there.
    pub fn step(&mut self, w: &[u8]) -> Step {
        match self.state {
            State::Start => self.start(w),
            State::Pcap(p) => pcap_record(w, p),
            State::PcapNg { big_endian } => self.ng_block(w, big_endian),
        }
    }

    fn start(&mut self, w: &[u8]) -> Step {
        if w.len() < 4 {
            return Step::Need(4);
        }
        let magic = [w[0], w[1], w[2], w[3]];
        match u32::from_le_bytes(magic) {
            m @ (0xA1B2_C3D4
            | 0xA1B2_3C4D
            | 0xD4C3_B2A1
            | 0x4D3C_B2A1
            | MODIFIED_MAGIC
            | MODIFIED_MAGIC_SWAPPED) => {
                if w.len() < PCAP_HEADER_LEN {
                    return Step::Need(PCAP_HEADER_LEN);
                }
                let modified = matches!(m, MODIFIED_MAGIC | MODIFIED_MAGIC_SWAPPED);
                // Version 2 is the only one defined since 1998: another is a format this reader
                // does not know (libpcap and Wireshark refuse it too), not one to guess at.
                let swapped = matches!(m, 0xD4C3_B2A1 | 0x4D3C_B2A1 | MODIFIED_MAGIC_SWAPPED);
                let major = rd16(w, 4, swapped);
                if major != 2 {
                    return Step::Error(ErrorKind::Corrupt(format!(
                        "pcap file header of version {major}.{}: only version 2 is defined",
                        rd16(w, 6, swapped)
                    )));
                }
                let (big_endian, nanos, network, snaplen) = if modified {
                    // The same file header as pcap's (pcap-parser does not know this magic).
                    let be = m == MODIFIED_MAGIC_SWAPPED;
                    (be, false, rd32(w, 20, be), rd32(w, 16, be))
                } else {
                    match pcap_parser::parse_pcap_header(w) {
                        Ok((_, h)) => (
                            h.is_bigendian(),
                            h.is_nanosecond_precision(),
                            h.network.0 as u32,
                            h.snaplen,
                        ),
                        Err(_) => {
                            return Step::Error(ErrorKind::Corrupt(
                                "invalid pcap file header".into(),
                            ))
                        }
                    }
                };
                // The upper bits of the field carry the FCS length, not the link type (the
                // mask Wireshark's reader applies too).
                let link = LinkType::from_number(network & LINKTYPE_MASK);
                self.format = Some(Format::Pcap {
                    nanos,
                    big_endian,
                    modified,
                });
                let iface = Interface {
                    link,
                    units_per_sec: if nanos { 1_000_000_000 } else { 1_000_000 },
                    snaplen,
                    ts_offset: 0,
                };
                self.section_interfaces = vec![iface.clone()];
                self.interfaces = vec![iface];
                self.sections = 1;
                self.state = State::Pcap(Pcap {
                    big_endian,
                    nanos,
                    link,
                    snaplen,
                    record_len: if modified {
                        MODIFIED_RECORD_LEN
                    } else {
                        PCAP_RECORD_LEN
                    },
                });
                Step::Skip(PCAP_HEADER_LEN)
            }
            SHB => {
                self.format = Some(Format::PcapNg);
                self.ng_block(w, false)
            }
            _ => Step::Error(ErrorKind::NotACapture(magic)),
        }
    }

    fn ng_block(&mut self, w: &[u8], be: bool) -> Step {
        if w.len() < 12 {
            return Step::Need(12);
        }
        let mut be = be;
        let block_type = rd32(w, 0, be);
        if block_type == SHB {
            // A new section may change byte order: the magic after the length says which.
            be = match u32::from_le_bytes([w[8], w[9], w[10], w[11]]) {
                BYTE_ORDER_MAGIC => false,
                m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
                _ => {
                    return Step::Error(ErrorKind::Corrupt(
                        "pcapng section header with an invalid byte-order magic".into(),
                    ))
                }
            };
        }
        let len = rd32(w, 4, be) as usize;
        if len < 12 || len % 4 != 0 || len > MAX_RECORD {
            return Step::Error(ErrorKind::Corrupt(format!(
                "pcapng block of type {block_type:#x} has an invalid length {len}"
            )));
        }
        if w.len() < len {
            return Step::Need(len);
        }
        let block = &w[..len];
        if rd32(block, len - 4, be) as usize != len {
            return Step::Error(ErrorKind::Corrupt(format!(
                "pcapng block of type {block_type:#x}: trailing length differs from leading length {len}"
            )));
        }
        match block_type {
            SHB => {
                if pcap_parser::pcapng::parse_sectionheaderblock(block).is_err() {
                    return Step::Error(ErrorKind::Corrupt("invalid pcapng section header".into()));
                }
                // Version 1.0 (1.2, which some writers put, means the same); another is a format
                // this reader does not know, as libpcap and Wireshark say too.
                let (major, minor) = (rd16(block, 12, be), rd16(block, 14, be));
                if major != 1 || !matches!(minor, 0 | 2) {
                    return Step::Error(ErrorKind::Corrupt(format!(
                        "pcapng section header of version {major}.{minor}: only 1.0 is defined"
                    )));
                }
                self.state = State::PcapNg { big_endian: be };
                self.section_interfaces.clear();
                self.sections += 1;
                Step::Skip(len)
            }
            IDB => {
                let parsed = if be {
                    pcap_parser::pcapng::parse_interfacedescriptionblock_be(block)
                } else {
                    pcap_parser::pcapng::parse_interfacedescriptionblock_le(block)
                };
                let Ok((_, idb)) = parsed else {
                    return Step::Error(ErrorKind::Corrupt(
                        "invalid pcapng interface description".into(),
                    ));
                };
                let Some(units) = ts_units(idb.if_tsresol) else {
                    return Step::Error(ErrorKind::Corrupt(format!(
                        "pcapng interface with an invalid timestamp resolution {:#x}",
                        idb.if_tsresol
                    )));
                };
                let iface = Interface {
                    link: LinkType::from_number(idb.linktype.0 as u32),
                    units_per_sec: units,
                    snaplen: idb.snaplen,
                    ts_offset: idb.if_tsoffset,
                };
                self.section_interfaces.push(iface.clone());
                self.interfaces.push(iface);
                Step::Skip(len)
            }
            EPB | PB => self.ng_packet(block, block_type, be),
            SPB => {
                if len < 16 {
                    return Step::Error(ErrorKind::Corrupt(
                        "pcapng simple packet block too short".into(),
                    ));
                }
                let Some(iface) = self.section_interfaces.first() else {
                    return Step::Error(ErrorKind::Corrupt(
                        "pcapng simple packet block before any interface description".into(),
                    ));
                };
                let origlen = rd32(block, 8, be);
                let mut caplen = (origlen as usize).min(len - 16);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                let rec = Record {
                    ts: 0,
                    origlen,
                    interface: 0,
                    link: iface.link,
                    start: 12,
                    len: caplen,
                };
                Step::Packet(rec, len)
            }
            _ => Step::Skip(len),
        }
    }

    fn ng_packet(&self, block: &[u8], block_type: u32, be: bool) -> Step {
        let len = block.len();
        if len < 32 {
            return Step::Error(ErrorKind::Corrupt("pcapng packet block too short".into()));
        }
        let (if_id, ts_at) = if block_type == EPB {
            (rd32(block, 8, be), 12)
        } else {
            (u32::from(rd16(block, 8, be)), 12)
        };
        let Some(iface) = self.section_interfaces.get(if_id as usize) else {
            return Step::Error(ErrorKind::Corrupt(format!(
                "pcapng packet on interface {if_id}, which this section has not described"
            )));
        };
        let raw = (u64::from(rd32(block, ts_at, be)) << 32) | u64::from(rd32(block, ts_at + 4, be));
        let caplen = rd32(block, 20, be) as usize;
        let origlen = rd32(block, 24, be);
        if caplen > len - 32 {
            return Step::Error(ErrorKind::Corrupt(format!(
                "pcapng packet of {caplen} captured bytes in a block of {len}"
            )));
        }
        let rec = Record {
            ts: ng_time(raw, iface.units_per_sec, iface.ts_offset),
            origlen,
            interface: if_id,
            link: iface.link,
            start: 28,
            len: caplen,
        };
        Step::Packet(rec, len)
    }
}

#[cold]
fn too_long(caplen: usize, snaplen: u32) -> Step {
    Step::Error(ErrorKind::Corrupt(format!(
        "pcap record claims {caplen} captured bytes (the file header's snap length is {snaplen})"
    )))
}

/// The longest original length [`Parser::plausible_records`] takes for a packet's: an IPv4 or
/// IPv6 packet (65 535 bytes) with any link header, or a segment offloaded in one piece (Linux
/// captures of offloaded TCP hold up to 256 kB).
pub(crate) const MAX_ORIGLEN: u32 = 262_144;

/// The link type's bits of a pcap header's link-type field.
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

/// A pcap record header's four words (seconds, fraction, captured and original length), from one
/// 16-byte load, swapped at once when big-endian; `None` when `w` is shorter.
#[inline(always)]
fn pcap_words(w: &[u8], be: bool) -> Option<[u32; 4]> {
    let h = w.get(..16)?;
    let mut words = [0u32; 4];
    for (k, x) in words.iter_mut().enumerate() {
        *x = u32::from_le_bytes([h[4 * k], h[4 * k + 1], h[4 * k + 2], h[4 * k + 3]]);
    }
    if be {
        for x in &mut words {
            *x = x.swap_bytes();
        }
    }
    Some(words)
}

/// A record longer than both the snap length and any sane packet means the framing is lost.
#[inline(always)]
fn too_long_for(caplen: usize, snaplen: u32) -> bool {
    caplen > MAX_RECORD || caplen > snaplen.max(MAX_ORIGLEN) as usize
}

/// See [`Parser::packet`].
#[inline(always)]
fn pcap_packet(w: &[u8], p: Pcap) -> Option<(Record, usize)> {
    let Pcap {
        big_endian: be,
        nanos,
        link,
        snaplen,
        record_len,
    } = p;
    if w.len() < record_len {
        return None;
    }
    let [sec, frac, caplen, origlen] = pcap_words(w, be)?;
    let caplen = caplen as usize;
    let total = record_len + caplen;
    if too_long_for(caplen, snaplen) || w.len() < total {
        return None;
    }
    let frac_ns = if nanos {
        i64::from(frac)
    } else {
        i64::from(frac) * 1000
    };
    let rec = Record {
        ts: i64::from(sec) * 1_000_000_000 + frac_ns,
        origlen,
        interface: 0,
        link,
        start: record_len,
        len: caplen,
    };
    Some((rec, total))
}

fn pcap_record(w: &[u8], p: Pcap) -> Step {
    if let Some((rec, total)) = pcap_packet(w, p) {
        return Step::Packet(rec, total);
    }
    if w.len() < p.record_len {
        return Step::Need(p.record_len);
    }
    let Some([_, _, caplen, _]) = pcap_words(w, p.big_endian) else {
        return Step::Need(p.record_len.max(16));
    };
    let caplen = caplen as usize;
    if too_long_for(caplen, p.snaplen) {
        return too_long(caplen, p.snaplen);
    }
    Step::Need(p.record_len + caplen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_times_beyond_nanoseconds_are_held_short_of_the_sentinels() {
        assert_eq!(ng_time(1_500_000, 1_000_000, 0), 1_500_000_000);
        assert_eq!(ng_time(3, 1, -1), 2_000_000_000);
        // Year 4139 in microseconds (a fuzzed capture's frame).
        assert_eq!(
            ng_time(68_500_000_000_000_000, 1_000_000, 0),
            Nanos::MAX - 1
        );
        assert_eq!(ng_time(0, 1, i64::MIN), Nanos::MIN + 1);
    }

    #[test]
    fn modified_pcap_in_either_byte_order() {
        // The file header, then one record: 24 bytes of header (the last 8 the interface index,
        // protocol and packet type), then 3 bytes of packet.
        for be in [false, true] {
            let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
            let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
            let mut f = Vec::new();
            f.extend_from_slice(&w32(MODIFIED_MAGIC));
            f.extend_from_slice(&w16(2));
            f.extend_from_slice(&w16(4));
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&w32(65535));
            f.extend_from_slice(&w32(1));
            f.extend_from_slice(&w32(1_700_000_000));
            f.extend_from_slice(&w32(250_000));
            f.extend_from_slice(&w32(3));
            f.extend_from_slice(&w32(60));
            f.extend_from_slice(&[0; 8]);
            f.extend_from_slice(&[0xaa, 0xbb, 0xcc]);
            let mut p = Parser::default();
            assert!(matches!(p.step(&f), Step::Skip(24)), "{be}");
            assert_eq!(
                p.format,
                Some(Format::Pcap {
                    nanos: false,
                    big_endian: be,
                    modified: true
                })
            );
            let Step::Packet(rec, n) = p.step(&f[24..]) else {
                panic!("no record ({be})");
            };
            assert_eq!((rec.start, rec.len, n, rec.origlen), (24, 3, 27, 60));
            assert_eq!(rec.ts, 1_700_000_000_250_000_000);
            // A record header cut short, then a record whose packet is cut short.
            assert!(matches!(p.step(&f[24..40]), Step::Need(24)));
            assert!(matches!(p.step(&f[24..49]), Step::Need(27)));
        }
    }
}
