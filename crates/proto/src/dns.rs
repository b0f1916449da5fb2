//! DNS messages (also mDNS, LLMNR): header, questions and every record of the three answer
//! sections, with names decompressed.
//!
//! Written here rather than taken from a crate because captures cut by a short snap length are
//! common: this parser keeps what it read before the cut (the questions of a truncated response,
//! say) instead of rejecting the whole message, and it bounds name decompression explicitly
//! (pointers must go backwards, at most 255 bytes of name) so hostile messages cannot loop.

use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// A parsed DNS message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    /// Response code (0 no error, 2 server failure, 3 name error...).
    pub rcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub questions: Vec<Question>,
    /// Records of the answer, authority and additional sections, in order.
    pub records: Vec<Record>,
    /// True when the message ended (or broke) before all the records its header announced.
    pub incomplete: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Question {
    pub name: String,
    pub qtype: u16,
    /// Class without the mDNS "unicast response" bit.
    pub qclass: u16,
}

/// Which section a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub section: Section,
    pub name: String,
    pub rtype: u16,
    /// Time to live, seconds.
    pub ttl: u32,
    pub data: RData,
}

/// Record data for the types this program uses; others keep only their length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "UPPERCASE")]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    Ptr(String),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Txt(Vec<String>),
    /// SVCB/HTTPS (RFC 9460): priority and target; parameters are not kept.
    Svcb {
        priority: u16,
        target: String,
    },
    /// NetBIOS name service (RFC 1002): the first address a name is bound to, and whether it is
    /// a group's name (a workgroup, a domain) rather than one host's.
    Nb {
        group: bool,
        addr: Ipv4Addr,
    },
    Other {
        len: u16,
    },
}

/// Record types by number.
impl RData {
    /// The address an A or AAAA record gives.
    pub fn addr(&self) -> Option<std::net::IpAddr> {
        match *self {
            RData::A(a) => Some(a.into()),
            RData::Aaaa(a) => Some(a.into()),
            _ => None,
        }
    }
}

pub mod rtype {
    pub const A: u16 = 1;
    pub const CNAME: u16 = 5;
    /// Any bytes (RFC 1035's experimental NULL record): what DNS tunnels ask for.
    pub const NULL: u16 = 10;
    pub const PTR: u16 = 12;
    pub const TXT: u16 = 16;
    pub const AAAA: u16 = 28;
    pub const SRV: u16 = 33;
    /// NetBIOS NB (RFC 1002); DNS's NIMLOC, which nothing sends.
    pub const NB: u16 = 32;
    pub const SVCB: u16 = 64;
    pub const HTTPS: u16 = 65;
}

/// The usual mnemonic of a record type.
pub fn type_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        10 => "NULL".into(),
        12 => "PTR".into(),
        13 => "HINFO".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        29 => "LOC".into(),
        33 => "SRV".into(),
        35 => "NAPTR".into(),
        39 => "DNAME".into(),
        41 => "OPT".into(),
        43 => "DS".into(),
        46 => "RRSIG".into(),
        47 => "NSEC".into(),
        48 => "DNSKEY".into(),
        50 => "NSEC3".into(),
        51 => "NSEC3PARAM".into(),
        52 => "TLSA".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        99 => "SPF".into(),
        251 => "IXFR".into(),
        252 => "AXFR".into(),
        255 => "ANY".into(),
        256 => "URI".into(),
        257 => "CAA".into(),
        n => format!("TYPE{n}"),
    }
}

/// Why a message could not be read at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsError {
    /// Shorter than the 12-byte header.
    Short,
    /// A question could not be read (so this is probably not DNS).
    BadQuestion,
}

/// Longest name in presentation form, per RFC 1035.
const MAX_NAME: usize = 255;
/// Most records read from one message; real messages have far fewer.
const MAX_RECORDS: usize = 256;

/// True when a UDP payload is a DNS query or response beyond reasonable doubt, read in place
/// (it runs on the first packets of every unlabelled flow): opcode QUERY, one question whose
/// name is plain labels of visible characters, class IN, CH or ANY; a query carries nothing
/// else but an EDNS OPT record, and ends where that ends.
pub fn looks_like_dns(b: &[u8]) -> bool {
    let Some(flags) = be16(b, 2) else {
        return false;
    };
    let count = |i: usize| be16(b, 4 + 2 * i).unwrap_or(u16::MAX);
    let response = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xf;
    // Z must be zero; a query sets no answer bits (AA, RA) and no response code.
    if opcode != 0 || flags & 0x0040 != 0 || count(0) != 1 {
        return false;
    }
    if !response && (flags & 0x0480 != 0 || flags & 0xf != 0) {
        return false;
    }
    if response && flags & 0xf > 5 {
        return false;
    }
    // The question's name: at offset 12 nothing comes before it, so no compression.
    let mut at = 12;
    loop {
        let Some(&len) = b.get(at) else {
            return false;
        };
        if len == 0 {
            at += 1;
            break;
        }
        if len > 63 || at + 1 + usize::from(len) > 12 + 255 {
            return false;
        }
        let Some(label) = b.get(at + 1..at + 1 + usize::from(len)) else {
            return false;
        };
        if !label.iter().all(u8::is_ascii_graphic) {
            return false;
        }
        at += 1 + usize::from(len);
    }
    let (Some(qtype), Some(qclass)) = (be16(b, at), be16(b, at + 2)) else {
        return false;
    };
    if qtype == 0 || !matches!(qclass, 1 | 3 | 255) {
        return false;
    }
    let end = at + 4;
    if response {
        return true;
    }
    match (count(1), count(2), count(3)) {
        (0, 0, 0) => end == b.len(),
        // EDNS: the root name, type OPT (41), then its data to the end.
        (0, 0, 1) => {
            b.get(end) == Some(&0)
                && be16(b, end + 1) == Some(41)
                && be16(b, end + 9).is_some_and(|n| end + 11 + usize::from(n) == b.len())
        }
        _ => false,
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

impl DnsMessage {
    /// About how many bytes the message holds, its names and texts with their records'.
    pub(crate) fn weight(&self) -> usize {
        let data = |d: &RData| match d {
            RData::Cname(n) | RData::Ptr(n) => n.len(),
            RData::Srv { target, .. } | RData::Svcb { target, .. } => target.len(),
            RData::Txt(t) => t.iter().map(|x| x.len() + 24).sum(),
            _ => 0,
        };
        let questions: usize = self.questions.iter().map(|q| 32 + q.name.len()).sum();
        let records: usize = (self.records.iter())
            .map(|r| std::mem::size_of::<Record>() + r.name.len() + data(&r.data))
            .sum();
        std::mem::size_of::<Self>() + questions + records
    }
}

/// Reads a possibly compressed name at `pos`; returns it and the position after it.
fn name(msg: &[u8], pos: usize) -> Option<(String, usize)> {
    // Names are kept with their message: each is written into a buffer of the thread's and
    // copied out at its own length, not grown in place with room to spare.
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(256));
    }
    SCRATCH.with(|s| {
        let mut out = s.borrow_mut();
        out.clear();
        let next = name_into(msg, pos, &mut out)?;
        // Every label was put in as UTF-8 (printable ASCII, checked UTF-8, or escapes), so this
        // check, once per name on mostly ASCII bytes, cannot fail; it is kept rather than an
        // unchecked conversion because it costs little.
        let text = std::str::from_utf8(&out).ok()?;
        Some((text.to_owned(), next))
    })
}

/// [`name`], written into `out` (empty on entry) as UTF-8 bytes.
fn name_into(msg: &[u8], pos: usize, out: &mut Vec<u8>) -> Option<usize> {
    let mut at = pos;
    let mut end = None;
    // Every pointer must go strictly backwards, so following them always terminates.
    let mut limit = pos;
    loop {
        let len = *msg.get(at)? as usize;
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    let next = end.unwrap_or(at + 1);
                    if out.is_empty() {
                        out.extend_from_slice(b"<Root>");
                    }
                    return Some(next);
                }
                let label = msg.get(at + 1..at + 1 + len)?;
                if !out.is_empty() {
                    out.push(b'.');
                }
                // Copied whole, as is: printable ASCII (nearly every label: one test of its
                // bytes, no walk over its characters, and without an early exit, which lets it
                // test many bytes at once), or UTF-8 without control characters (mDNS instance
                // names hold spaces and non-ASCII letters). Anything else is escaped.
                if label
                    .iter()
                    .fold(true, |ok, &c| ok & (c.wrapping_sub(0x20) < 0x5f))
                {
                    out.extend_from_slice(label);
                } else {
                    match std::str::from_utf8(label) {
                        Ok(text) if !text.chars().any(char::is_control) => {
                            out.extend_from_slice(label)
                        }
                        _ => {
                            for &c in label {
                                if (0x20..0x7f).contains(&c) {
                                    out.push(c);
                                } else {
                                    let _ = write!(out, "\\{c:03}");
                                }
                            }
                        }
                    }
                }
                if out.len() > MAX_NAME * 4 {
                    return None;
                }
                at += 1 + len;
            }
            0xc0 => {
                let target = (usize::from(be16(msg, at)?)) & 0x3fff;
                if target >= limit {
                    return None;
                }
                end.get_or_insert(at + 2);
                limit = target;
                at = target;
            }
            _ => return None,
        }
    }
}

fn rdata(msg: &[u8], rtype: u16, start: usize, len: usize) -> Option<RData> {
    let body = msg.get(start..start + len)?;
    Some(match rtype {
        rtype::A if len == 4 => RData::A(Ipv4Addr::new(body[0], body[1], body[2], body[3])),
        rtype::AAAA if len == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(body);
            RData::Aaaa(Ipv6Addr::from(a))
        }
        rtype::CNAME => RData::Cname(name(msg, start)?.0),
        rtype::PTR => RData::Ptr(name(msg, start)?.0),
        rtype::SRV => RData::Srv {
            priority: be16(body, 0)?,
            weight: be16(body, 2)?,
            port: be16(body, 4)?,
            target: name(msg, start + 6)?.0,
        },
        rtype::TXT => {
            let mut strings = Vec::new();
            let mut i = 0;
            while i < body.len() {
                let n = body[i] as usize;
                let s = body.get(i + 1..i + 1 + n)?;
                strings.push(String::from_utf8_lossy(s).into_owned());
                i += 1 + n;
            }
            RData::Txt(strings)
        }
        rtype::SVCB | rtype::HTTPS => RData::Svcb {
            priority: be16(body, 0)?,
            target: name(msg, start + 2)?.0,
        },
        rtype::NB if len >= 6 && len % 6 == 0 => RData::Nb {
            group: body[0] & 0x80 != 0,
            addr: Ipv4Addr::new(body[2], body[3], body[4], body[5]),
        },
        _ => RData::Other { len: len as u16 },
    })
}

/// Parses one DNS message (for DNS over TCP, without its 2-byte length prefix).
pub fn parse(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::Short);
    }
    let flags = be16(msg, 2).unwrap_or(0);
    let counts: [usize; 4] =
        std::array::from_fn(|i| usize::from(be16(msg, 4 + 2 * i).unwrap_or(0)));
    let mut m = DnsMessage {
        id: be16(msg, 0).unwrap_or(0),
        response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0xf) as u8,
        rcode: (flags & 0xf) as u8,
        authoritative: flags & 0x0400 != 0,
        truncated: flags & 0x0200 != 0,
        questions: Vec::new(),
        records: Vec::new(),
        incomplete: false,
    };
    // Sized from the counts at once (a message is kept, and most hold one question and a few
    // records, for which growing from empty would reserve four), no larger than the bytes can
    // hold: a question takes at least 5 bytes, a record 11.
    let room = msg.len().saturating_sub(12);
    let questions = counts[0].min(MAX_RECORDS).min(room / 5);
    let records = (counts[1..].iter().sum::<usize>())
        .min(MAX_RECORDS)
        .min(room / 11);
    m.questions.reserve_exact(questions);
    m.records.reserve_exact(records);
    let mut pos = 12;
    for _ in 0..counts[0].min(MAX_RECORDS) {
        let Some((qname, next)) = name(msg, pos) else {
            if m.questions.is_empty() {
                return Err(DnsError::BadQuestion);
            }
            m.incomplete = true;
            return Ok(m);
        };
        let (Some(qtype), Some(qclass)) = (be16(msg, next), be16(msg, next + 2)) else {
            m.incomplete = true;
            return Ok(m);
        };
        m.questions.push(Question {
            name: qname,
            qtype,
            qclass: qclass & 0x7fff,
        });
        pos = next + 4;
    }
    let sections = [
        (Section::Answer, counts[1]),
        (Section::Authority, counts[2]),
        (Section::Additional, counts[3]),
    ];
    for (section, count) in sections {
        for _ in 0..count {
            if m.records.len() >= MAX_RECORDS {
                m.incomplete = true;
                return Ok(m);
            }
            let parsed = (|| {
                let (rname, next) = name(msg, pos)?;
                let rtype = be16(msg, next)?;
                let ttl = be32(msg, next + 4)?;
                let len = usize::from(be16(msg, next + 8)?);
                let data = rdata(msg, rtype, next + 10, len)?;
                Some((
                    Record {
                        section,
                        name: rname,
                        rtype,
                        ttl,
                        data,
                    },
                    next + 10 + len,
                ))
            })();
            match parsed {
                Some((r, next)) => {
                    m.records.push(r);
                    pos = next;
                }
                None => {
                    m.incomplete = true;
                    return Ok(m);
                }
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_is_told_by_its_content() {
        let mut query = vec![0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        query.extend_from_slice(b"\x03www\x07tcpdump\x03org\x00\x00\x01\x00\x01");
        assert!(looks_like_dns(&query));
        assert!(looks_like_dns(RESPONSE));
        // With an EDNS OPT record (payload size 1232, no options).
        let mut edns = query.clone();
        edns[11] = 1;
        edns.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
        assert!(looks_like_dns(&edns));
        // Trailing bytes, a second question, a label of binary or an opcode other than QUERY:
        // not a DNS query.
        let mut trailing = query.clone();
        trailing.push(0);
        assert!(!looks_like_dns(&trailing));
        let mut two = query.clone();
        two[5] = 2;
        assert!(!looks_like_dns(&two));
        let mut binary = query.clone();
        binary[13] = 0x01;
        assert!(!looks_like_dns(&binary));
        let mut notify = query.clone();
        notify[2] = 0x20;
        assert!(!looks_like_dns(&notify));
        for n in 0..query.len() {
            assert!(!looks_like_dns(&query[..n]), "{n}");
        }
    }

    /// A response for www.example.com: CNAME to example.edgekey.net (compressed), then an A record.
    const RESPONSE: &[u8] = &[
        0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0,
        0, // header: id, flags, 1 question, 2 answers
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0,
        0, 1, 0, 1, // A IN
        0xc0, 12, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 18, // CNAME, ttl 3600, 18 bytes
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 7, b'e', b'd', b'g', b'e', b'k', b'e', b'y',
        0xc0, 24, // "com", by a pointer into the question
        0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34, // A for the CNAME target
    ];

    #[test]
    fn response_with_compressed_cname_chain() {
        let m = parse(RESPONSE).unwrap();
        assert!(m.response && !m.incomplete);
        assert_eq!(m.id, 0x1234);
        assert_eq!(m.questions[0].name, "www.example.com");
        assert_eq!(m.records.len(), 2);
        assert_eq!(
            m.records[0].data,
            RData::Cname("example.edgekey.com".into())
        );
        assert_eq!(m.records[0].ttl, 3600);
        assert_eq!(m.records[1].name, "example.edgekey.com");
        assert_eq!(m.records[1].data, RData::A(Ipv4Addr::new(93, 184, 216, 34)));
    }

    #[test]
    fn pointer_loops_and_forward_pointers_are_rejected() {
        let mut m = RESPONSE.to_vec();
        // Make the CNAME's pointer point at itself.
        m[45 + 16] = 0xc0;
        m[45 + 17] = 45 + 16;
        let parsed = parse(&m).unwrap();
        assert!(parsed.incomplete);
        assert_eq!(parsed.records.len(), 0);
        let lone = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12];
        assert_eq!(parse(&lone), Err(DnsError::BadQuestion));
    }

    #[test]
    fn cut_message_keeps_the_question() {
        let m = parse(&RESPONSE[..40]).unwrap();
        assert_eq!(m.questions.len(), 1);
        assert!(m.incomplete);
        assert_eq!(parse(&RESPONSE[..11]), Err(DnsError::Short));
    }

    #[test]
    fn record_types_are_named_as_dig_and_tshark_name_them() {
        // DNSSEC answers (DNSKEY, RRSIG) are common enough to read by name; an unassigned
        // number keeps RFC 3597's generic form.
        let named = [
            (48, "DNSKEY"),
            (46, "RRSIG"),
            (43, "DS"),
            (50, "NSEC3"),
            (257, "CAA"),
        ];
        for (n, name) in named {
            assert_eq!(type_name(n), name);
        }
        assert_eq!(type_name(65280), "TYPE65280");
    }
}
