//! The protocols smart-home devices speak besides the web ones: MQTT (the CONNECT names the
//! client and its user), CoAP, RTP/RTCP, the TP-Link smart-home protocol (an XOR autokey cipher
//! with a fixed first key, so its JSON is readable), Tuya's local protocol, NetBIOS names, and the
//! banners servers greet with (SSH version strings, FTP/SMTP/POP3/IMAP greetings).

use serde::Serialize;

/// An MQTT CONNECT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MqttConnect {
    /// 3 = 3.1, 4 = 3.1.1, 5 = 5.0.
    pub level: u8,
    pub client_id: String,
    pub user: Option<String>,
    /// A password was sent (never kept).
    pub password: bool,
    pub keep_alive: u16,
}

fn mqtt_str(b: &[u8], at: usize) -> Option<(String, usize)> {
    let n = usize::from(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    let s = b.get(at + 2..at + 2 + n)?;
    Some((String::from_utf8_lossy(s).into_owned(), at + 2 + n))
}

/// The return code of an MQTT CONNACK (the first bytes of a broker's stream): 0 accepted the
/// client (3.1.1: 0x20, length 2, flags, code; 5.0 adds properties after the code).
pub fn mqtt_connack(b: &[u8]) -> Option<u8> {
    match b {
        [0x20, len, flags, code, ..] if *len >= 2 && *flags & 0xfe == 0 => Some(*code),
        _ => None,
    }
}

/// Reads an MQTT CONNECT packet (the first bytes of a client's stream).
pub fn mqtt_connect(b: &[u8]) -> Option<MqttConnect> {
    if b.first()? >> 4 != 1 {
        return None;
    }
    // Remaining length: up to four 7-bit groups.
    let mut at = 1;
    while *b.get(at)? & 0x80 != 0 && at < 4 {
        at += 1;
    }
    at += 1;
    let (name, next) = mqtt_str(b, at)?;
    if name != "MQTT" && name != "MQIsdp" {
        return None;
    }
    let level = *b.get(next)?;
    let flags = *b.get(next + 1)?;
    let keep_alive = u16::from_be_bytes([*b.get(next + 2)?, *b.get(next + 3)?]);
    let mut at = next + 4;
    if level >= 5 {
        // Properties: a variable-length integer, then that many bytes.
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let x = *b.get(at)?;
            len |= usize::from(x & 0x7f) << shift;
            at += 1;
            shift += 7;
            if x & 0x80 == 0 || shift > 21 {
                break;
            }
        }
        at += len;
    }
    let (client_id, mut at) = mqtt_str(b, at)?;
    if flags & 0x04 != 0 {
        // Will properties (5.0), topic and message.
        if level >= 5 {
            let n = usize::from(*b.get(at)? & 0x7f);
            at += 1 + n;
        }
        at = mqtt_str(b, at)?.1;
        at = mqtt_str(b, at)?.1;
    }
    let user = if flags & 0x80 != 0 {
        mqtt_str(b, at).map(|(u, _)| u)
    } else {
        None
    };
    Some(MqttConnect {
        level,
        client_id,
        user,
        password: flags & 0x40 != 0,
        keep_alive,
    })
}

/// True when a TCP payload is exactly a sequence of well-formed MQTT control packets (valid type
/// and flags, remaining lengths adding up to the payload's length). Any packet type counts, so
/// connections captured after their CONNECT are recognised too.
pub fn mqtt_framing(b: &[u8]) -> bool {
    let mut at = 0;
    while at < b.len() {
        let kind = b[at] >> 4;
        let flags = b[at] & 0x0f;
        let flags_ok = match kind {
            3 => flags & 0x06 != 0x06,
            6 | 8 | 10 => flags == 2,
            1..=14 => flags == 0,
            _ => false,
        };
        if !flags_ok {
            return false;
        }
        let mut len = 0usize;
        let mut i = 1;
        loop {
            let Some(&x) = b.get(at + i) else {
                return false;
            };
            len |= usize::from(x & 0x7f) << (7 * (i - 1));
            i += 1;
            if x & 0x80 == 0 {
                break;
            }
            if i > 4 {
                return false;
            }
        }
        let body = &b[(at + i).min(b.len())..(at + i + len).min(b.len())];
        if body.len() == len && !mqtt_body_ok(kind, body) {
            return false;
        }
        at += i + len;
    }
    at == b.len() && !b.is_empty()
}

/// Whether a packet body has the shape its MQTT type requires: fixed lengths where the type has
/// one, and a topic that fits and reads as text where it carries one. Binary formats whose
/// messages happen to frame like MQTT (every BER message of LDAP or SNMP begins 0x30 and a length,
/// as a PUBLISH does) fail here.
fn mqtt_body_ok(kind: u8, body: &[u8]) -> bool {
    let topic_at = |at: usize| {
        let Some(n) = body.get(at..at + 2) else {
            return false;
        };
        let n = usize::from(u16::from_be_bytes([n[0], n[1]]));
        body.get(at + 2..at + 2 + n)
            .is_some_and(|t| n > 0 && t.iter().all(|&c| c >= 0x20 && c != 0x7f))
    };
    match kind {
        1 => body.get(..6) == Some(b"\x00\x04MQTT") || body.get(..8) == Some(b"\x00\x06MQIsdp"),
        2 | 4..=7 | 11 => body.len() >= 2,
        3 => topic_at(0),
        8 | 10 => topic_at(2),
        9 => body.len() >= 3,
        12 | 13 => body.is_empty(),
        _ => true,
    }
}

/// True for a plausible CoAP message (RFC 7252): version 1, token of at most 8 bytes, and a
/// request method or response class that exists.
pub fn looks_like_coap(b: &[u8]) -> bool {
    if b.len() < 4 || b[0] >> 6 != 1 || b[0] & 0x0f > 8 {
        return false;
    }
    let (class, detail) = (b[1] >> 5, b[1] & 0x1f);
    matches!(
        (class, detail),
        (0, 0..=7) | (2, 1..=5) | (4, 0..=15) | (5, 0..=5)
    )
}

/// A CoAP Empty message acknowledging or resetting one of the other side's (RFC 7252 4.2,
/// 4.3): four bytes, type ACK or RST, code 0.00. It answers; it is no message of its own.
pub fn coap_empty_answer(b: &[u8]) -> bool {
    b.len() == 4 && b[0] >> 6 == 1 && (b[0] >> 4) & 3 >= 2 && b[0] & 0x0f == 0 && b[1] == 0
}

/// RTP (version 2, a common payload type) or RTCP (packet types 200-204).
pub fn rtp_kind(b: &[u8]) -> Option<bool> {
    if b.len() < 12 || b[0] >> 6 != 2 {
        return None;
    }
    match b[1] {
        200..=204 => Some(false),
        pt if matches!(pt & 0x7f, 0..=34 | 96..=127) => Some(true),
        _ => None,
    }
}

/// Decrypts the TP-Link smart-home protocol (XOR autokey, first key 171) into `out`.
pub fn tplink_decrypt(b: &[u8], out: &mut Vec<u8>) {
    let mut key = 171u8;
    out.clear();
    for &c in b {
        out.push(c ^ key);
        key = c;
    }
}

/// Encrypts as a TP-Link client does, the inverse of [`tplink_decrypt`] (tests build messages
/// with it).
#[cfg(test)]
pub(crate) fn tplink_encrypt(plain: &[u8]) -> Vec<u8> {
    let mut key = 171u8;
    plain
        .iter()
        .map(|&c| {
            key ^= c;
            key
        })
        .collect()
}

/// True when `b` (a UDP payload, or a TCP payload after its 4-byte length) decrypts to JSON.
pub fn looks_like_tplink(b: &[u8], tcp: bool) -> bool {
    let b = if tcp { b.get(4..).unwrap_or(&[]) } else { b };
    b.len() >= 2 && b[0] ^ 171 == b'{' && (b[1] ^ b[0]) == b'"'
}

/// Tuya local protocol frames start with 0x000055aa (3.1-3.4) or 0x00006699 (3.5).
pub fn looks_like_tuya(b: &[u8]) -> bool {
    b.starts_with(&[0, 0, 0x55, 0xaa]) || b.starts_with(&[0, 0, 0x66, 0x99])
}

/// Decodes a NetBIOS first-level encoded name (32 letters 'A'..'P'), dropping padding, with its
/// suffix byte written as Wireshark does (`NAS<20>`: 00 a workstation, 20 a file server, 03 a
/// messenger, 1D/1E a master browser's, 1B a domain's); other names are returned unchanged.
pub fn netbios_name(encoded: &str) -> String {
    let label = encoded.split('.').next().unwrap_or(encoded);
    let b = label.as_bytes();
    if b.len() != 32 || !b.iter().all(|c| (b'A'..=b'P').contains(c)) {
        return encoded.to_string();
    }
    let raw: Vec<u8> = b
        .chunks(2)
        .map(|p| ((p[0] - b'A') << 4) | (p[1] - b'A'))
        .collect();
    format!(
        "{}<{:02x}>",
        String::from_utf8_lossy(&raw[..15]).trim_end(),
        raw[15]
    )
}

/// A NetBIOS datagram (RFC 1002, 4.4.2; udp/138): the name and address of the host that sent it
/// (a relay keeps them), and the name it is for. Windows' browser announces hosts this way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetbiosDatagram {
    /// `HOST<00>`, as [`netbios_name`] writes it.
    pub source: String,
    pub source_addr: std::net::Ipv4Addr,
    /// `WORKGROUP<1d>`.
    pub destination: String,
}

/// Reads a direct unique, direct group or broadcast NetBIOS datagram's header.
pub fn netbios_datagram(b: &[u8]) -> Option<NetbiosDatagram> {
    let h = b.get(..14)?;
    if !matches!(h[0], 0x10..=0x12) {
        return None;
    }
    let source_addr = std::net::Ipv4Addr::new(h[4], h[5], h[6], h[7]);
    let (source, used) = encoded_name(&b[14..])?;
    let (destination, _) = encoded_name(&b[14 + used..])?;
    Some(NetbiosDatagram {
        source,
        source_addr,
        destination,
    })
}

/// A NetBIOS name in its wire form (RFC 1002, 4.1: a 32-letter first label, then the scope's
/// labels up to an empty one), decoded, and the bytes it took.
fn encoded_name(b: &[u8]) -> Option<(String, usize)> {
    let first = b.get(1..33).filter(|_| b[0] == 32)?;
    let label = std::str::from_utf8(first).ok()?;
    let name = netbios_name(label);
    if name == label {
        return None;
    }
    let mut at = 33;
    loop {
        let n = usize::from(*b.get(at)?);
        if n == 0 {
            return Some((name, at + 1));
        }
        if n > 63 {
            return None;
        }
        at += 1 + n;
    }
}

/// A NetBIOS name as [`netbios_name`] writes it, split into the name and its suffix byte.
pub fn netbios_suffix(name: &str) -> Option<(&str, u8)> {
    let (n, rest) = name.rsplit_once('<')?;
    let hex = rest.strip_suffix('>')?;
    Some((n, u8::from_str_radix(hex, 16).ok()?))
}

/// A server's greeting line, for the protocols that announce themselves.
pub fn banner(b: &[u8]) -> Option<String> {
    let line = b.split(|c| *c == b'\n').next()?;
    let line = String::from_utf8_lossy(line)
        .trim_end_matches('\r')
        .to_string();
    (!line.is_empty() && line.len() <= 256 && line.chars().all(|c| !c.is_control())).then_some(line)
}

/// An IRC client's registration (`NICK name`, `USER user mode * :real name`, `CAP LS`) or a
/// server's first line (`:irc.example.net 001 nick :Welcome`, `:server NOTICE * :*** Looking
/// up your hostname`, `NOTICE AUTH :...`). FTP's `USER name` has no real name after " :".
pub fn looks_like_irc(b: &[u8]) -> bool {
    // A line of at most 512 bytes (RFC 1459), ended within the payload.
    let head = &b[..b.len().min(513)];
    let Some(end) = memchr::memchr2(b'\r', b'\n', head) else {
        return false;
    };
    let word = |w: &[u8]| w.len() > 1 && w.iter().all(|c| c.is_ascii_graphic());
    // The first five words, in place (content detection runs on every flow's first payloads).
    let mut words: [&[u8]; 5] = [&[]; 5];
    for (slot, w) in words.iter_mut().zip(head[..end].split(|&c| c == b' ')) {
        *slot = w;
    }
    match words {
        [b"NICK", nick, ..] => word(nick),
        [b"USER", u, _, _, real] => word(u) && real.starts_with(b":"),
        [b"CAP", b"LS", ..] => true,
        [b"NOTICE", b"AUTH", ..] => true,
        [server, what, ..] if server.starts_with(b":") && word(server) => {
            what == b"NOTICE" || (what.len() == 3 && what.iter().all(u8::is_ascii_digit))
        }
        _ => false,
    }
}

/// A Kerberos message (RFC 4120) exactly as long as the payload: an [APPLICATION n] tag of
/// AS-REQ, AS-REP, TGS-REQ, TGS-REP or KRB-ERROR whose length covers the rest, a SEQUENCE, and
/// the protocol version 5 first ([1] in requests, [0] in replies and errors).
pub fn looks_like_kerberos(b: &[u8]) -> bool {
    if !matches!(b.first(), Some(0x6a..=0x6d | 0x7e)) {
        return false;
    }
    // The outer length, then the SEQUENCE's.
    let outer = |b: &[u8]| -> Option<(usize, usize)> {
        match *b.get(1)? {
            n if n < 0x80 => Some((usize::from(n), 2)),
            n @ 0x81..=0x83 => {
                let k = usize::from(n & 0x7f);
                let len = b
                    .get(2..2 + k)?
                    .iter()
                    .fold(0usize, |a, &x| a << 8 | usize::from(x));
                Some((len, 2 + k))
            }
            _ => None,
        }
    };
    let Some((len, at)) = outer(b) else {
        return false;
    };
    if at + len != b.len() || b.get(at) != Some(&0x30) {
        return false;
    }
    let Some((_, inner)) = outer(&b[at..]) else {
        return false;
    };
    let pvno = &b[at + inner..];
    let request = matches!(b[0], 0x6a | 0x6c);
    let tag = if request { 0xa1 } else { 0xa0 };
    pvno.starts_with(&[tag, 0x03, 0x02, 0x01, 0x05])
}

/// A Ubiquiti discovery message (UDP port 10001): UniFi and airMAX devices answer a search, or
/// announce themselves every few seconds, with what they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UbntDiscovery {
    /// Protocol version, 1 or 2.
    pub version: u8,
    /// A search carries nothing; an answer or announcement says what the device is.
    pub search: bool,
    /// The name the device was given.
    pub hostname: Option<String>,
    /// Its model: the short platform code ("UGW3", "U7PG2") or the long model name.
    pub model: Option<String>,
    pub firmware: Option<String>,
}

/// Longest text value kept from a discovery message.
const UBNT_MAX_TEXT: usize = 64;

/// Reads a Ubiquiti discovery message: a version (1 or 2), a command, a length that counts the
/// rest, and type-length-value fields that fill it exactly. A search is the four header bytes
/// alone. The field numbers (3 firmware, 11 host name, 12 platform, 20 model) are those the
/// devices send; others are stepped over.
pub fn ubnt_discovery(b: &[u8]) -> Option<UbntDiscovery> {
    let [version @ (1 | 2), command, hi, lo, ..] = *b else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len != b.len() - 4 || command > 0x0f {
        return None;
    }
    let text = |v: &[u8]| {
        let t: String = String::from_utf8_lossy(v)
            .chars()
            .filter(|c| !c.is_control())
            .take(UBNT_MAX_TEXT)
            .collect();
        (!t.trim().is_empty()).then(|| t.trim().to_string())
    };
    let mut out = UbntDiscovery {
        version,
        search: len == 0,
        hostname: None,
        model: None,
        firmware: None,
    };
    let mut at = 4;
    while at < b.len() {
        let kind = b[at];
        let n = usize::from(u16::from_be_bytes([*b.get(at + 1)?, *b.get(at + 2)?]));
        let value = b.get(at + 3..at + 3 + n)?;
        match kind {
            0x03 => out.firmware = text(value),
            0x0b => out.hostname = text(value),
            // The long model name, when sent, says more than the platform code.
            0x0c if out.model.is_none() => out.model = text(value),
            0x14 => out.model = text(value).or(out.model.take()),
            _ => {}
        }
        at += 3 + n;
    }
    Some(out)
}

/// Industrial and building-control protocols on their registered ports, confirmed by their
/// framing: Modbus/TCP's MBAP header (protocol 0, a length that counts the rest), DNP3's start
/// bytes 05 64, an IEC 60870-5-104 APCI (68 and the APDU's length), a BACnet/IP BVLC (81 and the
/// message's length).
pub fn control_protocol(b: &[u8], port: impl Fn(u16) -> bool) -> Option<crate::app::App> {
    use crate::app::App;
    let be16 = |at: usize| {
        b.get(at..at + 2)
            .map(|x| usize::from(u16::from_be_bytes([x[0], x[1]])))
    };
    if port(502) && b.len() >= 8 && b[2..4] == [0, 0] && be16(4) == Some(b.len() - 6) {
        return Some(App::Modbus);
    }
    if port(20000) && b.len() >= 10 && b[..2] == [0x05, 0x64] {
        return Some(App::Dnp3);
    }
    if port(2404) && b.len() >= 6 && b[0] == 0x68 && usize::from(b[1]) + 2 <= b.len() {
        return Some(App::Iec104);
    }
    if port(47808) && b.len() >= 4 && b[0] == 0x81 && be16(2) == Some(b.len()) {
        return Some(App::Bacnet);
    }
    // S7comm (Siemens S7 PLCs): a TPKT (03 00, a length within the segment) around a COTP data
    // unit (length 2, type F0) whose payload starts with S7's protocol id (32; 72 for
    // S7comm-plus). A COTP connection request alone could be any ISO-on-TCP service.
    if port(102)
        && b.len() >= 8
        && b[..2] == [0x03, 0x00]
        && be16(2).is_some_and(|n| (8..=b.len()).contains(&n))
        && b[4] == 2
        && b[5] == 0xf0
        && matches!(b[7], 0x32 | 0x72)
    {
        return Some(App::S7comm);
    }
    // EtherNet/IP (CIP over TCP and UDP 44818): a 24-byte encapsulation header whose
    // little-endian length counts the rest, with one of the commands the specification defines.
    if port(44818) && b.len() >= 24 {
        let command = u16::from_le_bytes([b[0], b[1]]);
        let length = usize::from(u16::from_le_bytes([b[2], b[3]]));
        if length == b.len() - 24
            && matches!(
                command,
                0x0000
                    | 0x0004
                    | 0x0063
                    | 0x0064
                    | 0x0065
                    | 0x0066
                    | 0x006f
                    | 0x0070
                    | 0x0072
                    | 0x0073
            )
        {
            return Some(App::Enip);
        }
    }
    None
}

/// A NAT-PMP (RFC 6886) or PCP (RFC 6887) message, on UDP 5351: a device asking the router for
/// its public address, or to forward a public port to it, and the router's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NatPmp {
    /// PCP (version 2) rather than NAT-PMP (version 0).
    pub pcp: bool,
    /// The router's answer rather than the device's request.
    pub response: bool,
    /// A mapping: a public port forwarded to the device (NAT-PMP's map requests, PCP's MAP).
    /// Otherwise a question of the public address (NAT-PMP) or an announcement (PCP).
    pub map: bool,
    /// "udp" or "tcp" (PCP: also "any" for protocol 0; another number as is).
    pub protocol: Option<String>,
    pub internal_port: u16,
    /// The public port asked for, or given in the answer.
    pub external_port: u16,
    /// Seconds the mapping is asked for or given (0 removes it).
    pub lifetime: u32,
    /// The answer's result code (0 success).
    pub result: Option<u16>,
}

/// Reads a NAT-PMP or PCP message; each has a fixed layout per version and opcode, and the
/// reserved fields of a request are zero.
pub fn nat_pmp(b: &[u8]) -> Option<NatPmp> {
    let be16 = |at: usize| b.get(at..at + 2).map(|x| u16::from_be_bytes([x[0], x[1]]));
    let be32 = |at: usize| {
        b.get(at..at + 4)
            .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
    };
    let proto_name = |n: u8| match n {
        0 => "any".to_string(),
        6 => "tcp".to_string(),
        17 => "udp".to_string(),
        n => n.to_string(),
    };
    match (*b.first()?, *b.get(1)?) {
        // NAT-PMP: the public address asked (2 bytes) and told (12).
        (0, op @ (0 | 128)) if b.len() == if op == 0 { 2 } else { 12 } => Some(NatPmp {
            pcp: false,
            response: op == 128,
            map: false,
            protocol: None,
            internal_port: 0,
            external_port: 0,
            lifetime: 0,
            result: if op == 128 { be16(2) } else { None },
        }),
        // A mapping asked (opcode 1 UDP, 2 TCP: 12 bytes, reserved zero) and answered (128 +
        // opcode, 16 bytes: the same fields after the result code and the router's epoch).
        (0, op @ (1 | 2 | 129 | 130))
            if op < 128 && b.len() == 12 && b[2..4] == [0, 0] || op > 128 && b.len() == 16 =>
        {
            let response = op > 128;
            let at = if response { 8 } else { 4 };
            Some(NatPmp {
                pcp: false,
                response,
                map: true,
                protocol: Some(proto_name(if op & 0x7f == 1 { 17 } else { 6 })),
                internal_port: be16(at)?,
                external_port: be16(at + 2)?,
                lifetime: be32(at + 4)?,
                result: if response { be16(2) } else { None },
            })
        }
        // PCP: a 24-byte header, options in 4-byte units; MAP (opcode 1) carries a nonce, the
        // protocol and the ports, at the same place in a request and an answer.
        (2, r_op) if b.len() >= 24 && b.len() % 4 == 0 && b.len() <= 1100 => {
            let response = r_op & 0x80 != 0;
            let op = r_op & 0x7f;
            if op > 2 || (!response && b[2..4] != [0, 0]) {
                return None;
            }
            let map = op == 1 && b.len() >= 60;
            Some(NatPmp {
                pcp: true,
                response,
                map,
                protocol: map.then(|| proto_name(b[36])),
                internal_port: if map { be16(40)? } else { 0 },
                external_port: if map { be16(42)? } else { 0 },
                lifetime: be32(4)?,
                result: response.then(|| u16::from(b[3])),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nat_pmp_and_pcp_mappings() {
        // nDPI's skype.pcap frame 1620: NAT-PMP, map UDP 13021 to 13021 for an hour.
        let req = [0, 1, 0, 0, 0x32, 0xdd, 0x32, 0xdd, 0, 0, 0x0e, 0x10];
        let m = nat_pmp(&req).unwrap();
        assert!(!m.pcp && !m.response && m.map);
        assert_eq!(m.protocol.as_deref(), Some("udp"));
        assert_eq!(
            (m.internal_port, m.external_port, m.lifetime),
            (13021, 13021, 3600)
        );
        // Its answer, success, TCP.
        let mut ans = vec![0, 130, 0, 0, 0, 0, 0, 9];
        ans.extend_from_slice(&[0x1f, 0x90, 0xc3, 0x50, 0, 0, 0x0e, 0x10]);
        let a = nat_pmp(&ans).unwrap();
        assert!(a.response && a.map && a.result == Some(0));
        assert_eq!((a.internal_port, a.external_port), (8080, 50000));
        // The public address asked.
        assert!(!nat_pmp(&[0, 0]).unwrap().map);
        // PCP MAP request: header, nonce, protocol 6, ports 22 -> 2222, lifetime 7200.
        let mut pcp = vec![2, 1, 0, 0, 0, 0, 0x1c, 0x20];
        pcp.extend_from_slice(&[0; 16]);
        pcp.extend_from_slice(&[7; 12]);
        pcp.extend_from_slice(&[6, 0, 0, 0, 0, 22, 0x08, 0xae]);
        pcp.extend_from_slice(&[0; 16]);
        let p = nat_pmp(&pcp).unwrap();
        assert!(p.pcp && p.map && !p.response);
        assert_eq!(p.protocol.as_deref(), Some("tcp"));
        assert_eq!(
            (p.internal_port, p.external_port, p.lifetime),
            (22, 2222, 7200)
        );
        // Wrong lengths, versions, non-zero reserved bytes: none; and no cut prefix reads.
        let mut bad = req;
        bad[2] = 1;
        for b in [&req[..11], &[1, 1][..], &bad[..], &pcp[..30]] {
            assert!(nat_pmp(b).is_none(), "{b:02x?}");
        }
        for n in 0..pcp.len() {
            let _ = nat_pmp(&pcp[..n]);
        }
    }

    #[test]
    fn s7comm_and_ethernet_ip_framing() {
        let any = |_| true;
        // nDPI's s7comm.pcap: TPKT, COTP DT, S7 job "setup communication".
        let s7 = [
            0x03, 0x00, 0x00, 0x19, 0x02, 0xf0, 0x80, 0x32, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x08, 0x00, 0x00, 0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0,
        ];
        assert_eq!(control_protocol(&s7, any), Some(crate::app::App::S7comm));
        // A COTP connection request alone says nothing yet.
        let cr = [
            0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a,
        ];
        assert_eq!(control_protocol(&cr, any), None);
        // EtherNet/IP RegisterSession: command 0x65, 4 bytes of data.
        let mut enip = vec![0x65, 0x00, 0x04, 0x00];
        enip.extend_from_slice(&[0; 20]);
        enip.extend_from_slice(&[1, 0, 0, 0]);
        assert_eq!(control_protocol(&enip, any), Some(crate::app::App::Enip));
        enip[2] = 5;
        assert_eq!(control_protocol(&enip, any), None);
        // Only on their ports.
        assert_eq!(control_protocol(&s7, |p| p == 502), None);
    }

    #[test]
    fn ubiquiti_discovery() {
        // nDPI's ubntac2.pcap frame 1: a UniFi Security Gateway's announcement (version 2,
        // command 6), cut after its platform field and with the length fixed to match.
        let mut b = vec![0x02, 0x06, 0x00, 0x00];
        b.extend_from_slice(&[0x02, 0x00, 0x0a]);
        b.extend_from_slice(&[0x80, 0x2a, 0xa8, 0x8d, 0x69, 0x2b, 0xc0, 0xa8, 0x02, 0x15]);
        b.extend_from_slice(&[0x0a, 0x00, 0x04, 0x00, 0x00, 0xde, 0x60]);
        b.extend_from_slice(b"\x0b\x00\x04ubnt\x0c\x00\x04UGW3");
        let n = (b.len() - 4) as u16;
        b[2..4].copy_from_slice(&n.to_be_bytes());
        let d = ubnt_discovery(&b).unwrap();
        assert_eq!(d.version, 2);
        assert!(!d.search);
        assert_eq!(d.hostname.as_deref(), Some("ubnt"));
        assert_eq!(d.model.as_deref(), Some("UGW3"));
        // A search: the header alone.
        assert!(ubnt_discovery(&[0x01, 0x00, 0x00, 0x00]).unwrap().search);
        // A length that does not match, a field past the end, another version: none.
        for bad in [&b[..b.len() - 1], &b[..6]] {
            let mut x = bad.to_vec();
            let n = (x.len() - 4) as u16;
            x[2..4].copy_from_slice(&n.to_be_bytes());
            assert!(ubnt_discovery(&x).is_none(), "{x:02x?}");
        }
        let mut v3 = b.clone();
        v3[0] = 3;
        assert!(ubnt_discovery(&v3).is_none());
        for n in 0..b.len() {
            assert!(ubnt_discovery(&b[..n]).is_none(), "{n}");
        }
    }

    #[test]
    fn connack_return_codes() {
        // nDPI__coap_mqtt.pcap frame 33: the broker accepts client Bus41.
        assert_eq!(mqtt_connack(&[0x20, 0x02, 0x00, 0x00]), Some(0));
        // Refused: bad user name or password (3.1.1 code 4).
        assert_eq!(mqtt_connack(&[0x20, 0x02, 0x00, 0x04]), Some(4));
        assert_eq!(mqtt_connack(&[0x30, 0x02, 0x00, 0x00]), None);
        assert_eq!(mqtt_connack(&[0x20, 0x02, 0x00]), None);
        assert_eq!(mqtt_connack(&[0x20, 0x02, 0x07, 0x00]), None);
    }

    #[test]
    fn mqtt_connect_names_client_and_user() {
        // CONNECT, MQTT 3.1.1, flags user+password+clean, keep-alive 60, "dev1", "bob", "pw"
        let mut p = vec![0x10, 0];
        p.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', 4, 0xc2, 0, 60]);
        p.extend_from_slice(&[
            0, 4, b'd', b'e', b'v', b'1', 0, 3, b'b', b'o', b'b', 0, 2, b'p', b'w',
        ]);
        p[1] = (p.len() - 2) as u8;
        let c = mqtt_connect(&p).unwrap();
        assert_eq!(
            (
                c.level,
                c.client_id.as_str(),
                c.user.as_deref(),
                c.password,
                c.keep_alive
            ),
            (4, "dev1", Some("bob"), true, 60)
        );
    }

    #[test]
    fn tplink_and_netbios() {
        let plain = br#"{"system":{"get_sysinfo":{}}}"#;
        let enc = tplink_encrypt(plain);
        assert!(looks_like_tplink(&enc, false));
        let mut back = Vec::new();
        tplink_decrypt(&enc, &mut back);
        assert_eq!(back, plain);
        assert_eq!(netbios_name("EOEBFDCACACACACACACACACACACACAAA"), "NAS<00>");
        assert_eq!(netbios_suffix("NAS<20>"), Some(("NAS", 0x20)));
        assert_eq!(netbios_suffix("nas.local"), None);
        assert!(looks_like_coap(&[0x40, 0x01, 0x12, 0x34]));
        assert_eq!(
            rtp_kind(&[0x80, 0x00, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]),
            Some(true)
        );
        assert_eq!(
            rtp_kind(&[0x80, 200, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]),
            Some(false)
        );
        assert!(mqtt_framing(&[0xc0, 0x00]));
        assert!(mqtt_framing(&[0x40, 0x02, 0x00, 0x02, 0xd0, 0x00]));
        assert!(!mqtt_framing(&[0x82, 0xa5, 0x7f, 0x2f]));
        assert!(!mqtt_framing(&[0xc0, 0x01]));
        assert!(!looks_like_coap(&[0x40, 0x25, 0x12, 0x34]));
    }
}
