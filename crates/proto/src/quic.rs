//! QUIC Initial packets (v1, RFC 9001; v2, RFC 9369; drafts 22-32, and mvfst's): their
//! protection uses keys derived from the client's destination connection ID alone, so a passive
//! observer can remove it and read the CRYPTO frames, which carry the TLS ClientHello (server
//! name, ALPN, JA4 with the `q` prefix). Google QUIC's hellos are read too: in clear up to
//! Q046, and in Q050 from an Initial protected the same way with a salt of its own.
//!
//! Key derivation uses `hkdf`/`sha2`, packet and header protection `aes-gcm`/`aes`; the header and
//! frame layouts are read here (no crate reads Initial packets passively).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use serde::Serialize;
use sha2::Sha256;

pub const V1: u32 = 0x0000_0001;
pub const V2: u32 = 0x6b33_43cf;
/// IETF drafts 29 to 32 (0xff00001d-0xff000020), still sent by clients of 2020-2021 vintage: the
/// same key labels and packet types as v1, with a salt of their own.
const DRAFT_29: std::ops::RangeInclusive<u32> = 0xff00_001d..=0xff00_0020;
/// Drafts 23 to 28, with the salt they shared; Facebook's mvfst sent draft 27 as 0xfaceb002.
const DRAFT_23: std::ops::RangeInclusive<u32> = 0xff00_0017..=0xff00_001c;
const MVFST_27: u32 = 0xface_b002;
/// mvfst's experimental version, opened like its draft 27.
const MVFST_EXP: u32 = 0xface_b00e;
/// Draft 22, and Facebook's mvfst sending it as 0xfaceb001 (its apps' connections).
const DRAFT_22: u32 = 0xff00_0016;
const MVFST_22: u32 = 0xface_b001;

const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
const SALT_DRAFT_23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];
const SALT_DRAFT_22: [u8; 20] = [
    0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd,
    0x7a, 0x02, 0x64, 0x4a,
];
/// Google QUIC Q050, whose Initials are protected as draft 23's with this salt (Chromium's
/// `kQ050Salt`, as tshark opens them).
const SALT_Q050: [u8; 20] = [
    0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0,
    0xd3, 0xb5, 0x6b, 0x45,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// Packet protection keys of one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub key: [u8; 16],
    pub iv: [u8; 12],
    pub hp: [u8; 16],
}

/// TLS 1.3 HKDF-Expand-Label with an empty context.
fn expand_label(secret: &[u8], label: &str, out: &mut [u8]) -> Option<()> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(out.len() as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    hk.expand(&info, out).ok()
}

/// What a version's Initials are opened with: its salt, the prefix of its key labels, and the
/// long-header packet type of an Initial. The one list of the versions this module opens.
fn version(v: u32) -> Option<(&'static [u8; 20], &'static str, u8)> {
    Some(match v {
        V1 => (&SALT_V1, "quic", 0),
        V2 => (&SALT_V2, "quicv2", 1),
        v if DRAFT_29.contains(&v) => (&SALT_DRAFT_29, "quic", 0),
        v if v == MVFST_27 || v == MVFST_EXP || DRAFT_23.contains(&v) => {
            (&SALT_DRAFT_23, "quic", 0)
        }
        DRAFT_22 | MVFST_22 => (&SALT_DRAFT_22, "quic", 0),
        _ => return None,
    })
}

/// A version of the form 0x?a?a?a?a, which RFC 9000 (section 15) reserves for clients to force
/// version negotiation: no server speaks it, and the Initial is protected with the keys of the
/// version the client means to use next.
fn reserved(v: u32) -> bool {
    v & 0x0f0f_0f0f == 0x0a0a_0a0a
}

/// The versions whose keys may open an Initial sent with reserved version `v`: v1's and then
/// draft 29's (those of the clients that test negotiation); none for any other version.
fn openers(v: u32) -> &'static [u32] {
    const FORCED: [u32; 2] = [V1, 0xff00_001d];
    if reserved(v) {
        &FORCED
    } else {
        &[]
    }
}

/// A version whose Initial packets this module opens (a reserved one included).
pub fn is_known_version(v: u32) -> bool {
    version(v).is_some() || reserved(v)
}

/// The client's Initial keys for a version and destination connection ID.
pub fn client_keys(version_number: u32, dcid: &[u8]) -> Option<Keys> {
    let (salt, prefix, _) = version(version_number)?;
    keys_with(salt, prefix, dcid)
}

/// The client's Initial keys from a salt, the key labels' prefix and the connection ID.
fn keys_with(salt: &[u8; 20], prefix: &str, dcid: &[u8]) -> Option<Keys> {
    let (initial, _) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let mut client = [0u8; 32];
    expand_label(&initial, "client in", &mut client)?;
    let mut k = Keys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&client, &format!("{prefix} key"), &mut k.key)?;
    expand_label(&client, &format!("{prefix} iv"), &mut k.iv)?;
    expand_label(&client, &format!("{prefix} hp"), &mut k.hp)?;
    Some(k)
}

/// A variable-length integer (RFC 9000, 16); returns it and its length.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for x in &bytes[1..] {
        v = (v << 8) | u64::from(*x);
    }
    Some((v, len))
}

/// The CRYPTO frames of one decrypted Initial payload, as (offset, data).
fn crypto_frames(mut p: &[u8], out: &mut dyn FnMut(u64, &[u8])) -> Option<()> {
    while let Some(&t) = p.first() {
        match t {
            0x00 | 0x01 => p = &p[1..], // PADDING, PING
            0x02 | 0x03 => {
                // ACK: largest, delay, range count, first range, ranges, [ECN counts]
                let mut at = 1;
                let mut fields = 4;
                let mut i = 0;
                while i < fields {
                    let (v, n) = varint(p.get(at..)?)?;
                    at += n;
                    if i == 2 {
                        fields += 2 * v as usize;
                    }
                    i += 1;
                }
                if t == 0x03 {
                    for _ in 0..3 {
                        at += varint(p.get(at..)?)?.1;
                    }
                }
                p = p.get(at..)?;
            }
            0x06 => {
                let (off, a) = varint(p.get(1..)?)?;
                let (len, b) = varint(p.get(1 + a..)?)?;
                let start = 1 + a + b;
                let data = p.get(start..start + len as usize)?;
                out(off, data);
                p = &p[start + len as usize..];
            }
            0x1c => {
                // CONNECTION_CLOSE: nothing more to read.
                return Some(());
            }
            _ => return None,
        }
    }
    Some(())
}

/// Removes the protection of the client Initial packets in one UDP datagram and passes each
/// CRYPTO frame's (offset, data) to `out`. Returns the version when at least one packet opened.
pub fn open_initials(datagram: &[u8], out: &mut dyn FnMut(u64, &[u8])) -> Option<u32> {
    let mut rest = datagram;
    let mut opened = None;
    // A datagram may coalesce several long-header packets.
    while rest.len() > 7 && rest[0] & 0x80 != 0 {
        let number = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
        let Some((_, _, initial_type)) =
            version(number).or_else(|| openers(number).first().and_then(|v| version(*v)))
        else {
            return opened;
        };
        let dcid_len = usize::from(*rest.get(5)?);
        let dcid = rest.get(6..6 + dcid_len)?;
        let mut at = 6 + dcid_len;
        let scid_len = usize::from(*rest.get(at)?);
        at += 1 + scid_len;
        let is_initial = (rest[0] >> 4) & 3 == initial_type;
        if is_initial {
            let (token_len, n) = varint(rest.get(at..)?)?;
            at += n + token_len as usize;
        }
        let (len, n) = varint(rest.get(at..)?)?;
        at += n;
        let end = at.checked_add(len as usize)?;
        let packet = rest.get(..end)?;
        if is_initial {
            // Its own version's keys (none for a reserved one), then the openers'.
            for v in std::iter::once(number).chain(openers(number).iter().copied()) {
                if let Some(keys) = client_keys(v, dcid) {
                    if open_one(packet, at, &keys, &mut |p| crypto_frames(p, out)).is_some() {
                        opened = Some(number);
                        break;
                    }
                }
            }
        }
        rest = &rest[end..];
    }
    opened
}

/// Opens one Initial packet whose packet number starts at `pn_offset`.
fn open_one(
    packet: &[u8],
    pn_offset: usize,
    k: &Keys,
    read: &mut dyn FnMut(&[u8]) -> Option<()>,
) -> Option<()> {
    let sample = packet.get(pn_offset + 4..pn_offset + 20)?;
    let hp = aes::Aes128::new_from_slice(&k.hp).ok()?;
    let mut mask = aes::Block::clone_from_slice(sample);
    hp.encrypt_block(&mut mask);
    let first = packet[0] ^ (mask[0] & 0x0f);
    let pn_len = usize::from(first & 3) + 1;
    // The header is authenticated as sent, with protection removed: copy it (one per Initial).
    let mut buf = packet.to_vec();
    buf[0] = first;
    let mut pn: u64 = 0;
    for i in 0..pn_len {
        buf[pn_offset + i] ^= mask[1 + i];
        pn = (pn << 8) | u64::from(buf[pn_offset + i]);
    }
    let mut nonce = k.iv;
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let (header, body) = buf.split_at_mut(pn_offset + pn_len);
    if body.len() < 16 {
        return None;
    }
    let (ct, tag) = body.split_at_mut(body.len() - 16);
    let cipher = Aes128Gcm::new_from_slice(&k.key).ok()?;
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(&nonce),
            header,
            ct,
            aes_gcm::Tag::from_slice(tag),
        )
        .ok()?;
    read(ct)
}

/// What a Google QUIC client says in its first packet: the versions before Q050 carry their
/// handshake in clear, a CHLO message of tag/value pairs (Chromium's `CryptoHandshakeMessage`) in
/// stream 1. Chrome and Android apps (through Google's Cronet library) spoke it before IETF
/// QUIC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GquicHello {
    /// The version tag ("Q043", "Q046"), when the packet's header states it (a client that
    /// already agreed a version leaves it out).
    pub version: Option<String>,
    /// The server's name (tag `SNI`).
    pub sni: Option<String>,
    /// The client's user agent (tag `UAID`).
    pub user_agent: Option<String>,
}

/// Longest CHLO tag table read: a client's names a dozen or two.
const GQUIC_MAX_TAGS: usize = 64;

/// The CHLO of a Google QUIC client's hello, when `b` is one: a version tag `Q0dd` where the
/// public header (Q039-Q043: flags, 8-byte connection ID) or the long header (Q046: first byte,
/// then the version) puts it, or a public header without one, then `CHLO` in the packet's first
/// bytes (after the packet
/// number, the 12-byte hash of an unencrypted packet and a STREAM frame's header), and a tag
/// table whose values the datagram holds. Q050 protects its Initial packets as IETF QUIC does,
/// with a salt of its own, and carries the CHLO in CRYPTO frames ([`q050_hello`]); the later
/// versions (T050, T051) speak TLS 1.3 and are not read here.
pub fn gquic_hello(b: &[u8]) -> Option<GquicHello> {
    match said(b)? {
        Said::Q050 => q050_hello(b),
        Said::Clear(version, sni, user_agent) => Some(GquicHello {
            version: version.map(|v| String::from_utf8_lossy(v).into_owned()),
            sni: sni.map(str::to_string),
            user_agent: user_agent.map(str::to_string),
        }),
    }
}

/// Whether `b` is a Google QUIC client's hello ([`gquic_hello`]), told without making one (what
/// labelling a flow by its content asks).
pub fn is_gquic_hello(b: &[u8]) -> bool {
    match said(b) {
        Some(Said::Q050) => q050_hello(b).is_some(),
        Some(Said::Clear(..)) => true,
        None => false,
    }
}

/// A Google QUIC hello as a datagram holds it.
enum Said<'a> {
    /// In clear (up to Q046): the version its header states, the server's name, the user agent.
    Clear(Option<&'a [u8]>, Option<&'a str>, Option<&'a str>),
    /// A Q050 Initial, to be opened ([`q050_hello`]).
    Q050,
}

/// What a datagram says of a Google QUIC hello ([`gquic_hello`]), read in place.
fn said(b: &[u8]) -> Option<Said<'_>> {
    let version_at = |at: usize| {
        b.get(at..at + 4)
            .filter(|v| v[0] == b'Q' && v[1..].iter().all(u8::is_ascii_digit))
    };
    let version = match b.first()? {
        // Long header (fixed bit, long form): Q046.
        f if f & 0xc0 == 0xc0 => Some(version_at(1)?),
        // Public header with the version and an 8-byte connection ID: Q039-Q043.
        f if f & 0x09 == 0x09 && f & 0x80 == 0 => Some(version_at(9)?),
        // The same without the version, once the client has agreed one (its hello again, or
        // a new connection to a server it knows): the CHLO and its table must say the rest.
        f if f & 0x89 == 0x08 => None,
        _ => return None,
    };
    if version == Some(&b"Q050"[..]) {
        return Some(Said::Q050);
    }
    if version.is_some_and(|v| v >= &b"Q050"[..]) {
        return None;
    }
    let head = &b[..b.len().min(96)];
    let at = memchr::memmem::find(head, b"CHLO")? + 4;
    let (sni, user_agent) = chlo_tags(b, at)?;
    // Without a version in the header, a table that names no server is taken for chance.
    if version.is_none() && sni.is_none() {
        return None;
    }
    Some(Said::Clear(version, sni, user_agent))
}

/// A Q050 client's Initial packet opened (its header laid out as IETF QUIC's long header), and
/// the CHLO at the start of its CRYPTO data read.
fn q050_hello(b: &[u8]) -> Option<GquicHello> {
    if (b[0] >> 4) & 3 != 0 {
        return None;
    }
    let dcid_len = usize::from(*b.get(5)?);
    let dcid = b.get(6..6 + dcid_len)?;
    let mut at = 6 + dcid_len;
    at += 1 + usize::from(*b.get(at)?);
    let (token_len, n) = varint(b.get(at..)?)?;
    at = at
        .checked_add(n)?
        .checked_add(usize::try_from(token_len).ok()?)?;
    let (len, n) = varint(b.get(at..)?)?;
    at += n;
    let packet = b.get(..at.checked_add(usize::try_from(len).ok()?)?)?;
    let keys = keys_with(&SALT_Q050, "quic", dcid)?;
    let mut hello = None;
    open_one(packet, at, &keys, &mut |p| {
        // Its first frame: a CRYPTO frame as IETF QUIC lays it out, under Google QUIC's type
        // number (0x08), from offset 0.
        let (0x08, rest) = p.split_first().map(|(t, r)| (*t, r))? else {
            return None;
        };
        let (0, n) = varint(rest)? else { return None };
        let (len, m) = varint(&rest[n..])?;
        let data = rest.get(n + m..(n + m).checked_add(usize::try_from(len).ok()?)?)?;
        let (sni, user_agent) = chlo_tags(data, data.strip_prefix(b"CHLO").map(|_| 4)?)?;
        hello = Some(GquicHello {
            version: Some("Q050".into()),
            sni: sni.map(str::to_string),
            user_agent: user_agent.map(str::to_string),
        });
        Some(())
    })?;
    hello
}

/// The server name and user agent of a CHLO's tag table, which starts at `at` in `b` (after the
/// `CHLO` tag), its values after it.
fn chlo_tags(b: &[u8], at: usize) -> Option<(Option<&str>, Option<&str>)> {
    let n = usize::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    if n == 0 || n > GQUIC_MAX_TAGS {
        return None;
    }
    let table = b.get(at + 4..at + 4 + 8 * n)?;
    let values = &b[at + 4 + 8 * n..];
    let (mut sni, mut user_agent, mut start) = (None, None, 0usize);
    for entry in table.chunks_exact(8) {
        let end = u32::from_le_bytes(entry[4..8].try_into().ok()?) as usize;
        if end < start {
            return None;
        }
        // A value past this datagram (a hello of two packets) is passed over.
        let text = values
            .get(start..end)
            .and_then(|v| std::str::from_utf8(v).ok())
            .filter(|v| !v.is_empty() && v.bytes().all(|c| c.is_ascii_graphic() || c == b' '));
        match &entry[..4] {
            b"SNI\0" => sni = text,
            b"UAID" => user_agent = text,
            _ => {}
        }
        start = end;
    }
    Some((sni, user_agent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unhex as hex;

    #[test]
    fn gquic_hellos_are_read_only_whole_and_before_q050() {
        // nDPI's quic_q43.pcap, frame 1 (1350 bytes): public header with version Q043, packet
        // number, hash, STREAM frame, CHLO of 24 tags. Whole, it names dns.google.com (as
        // tshark's gquic.tag.sni: tests/tshark_fields.rs compares every test capture's).
        let whole = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/captures/nDPI__quic_q43.pcap"
        ))
        .unwrap();
        // A pcap file header, a record header, Ethernet, IPv4 and UDP headers come first.
        let udp = &whole[24 + 16 + 14 + 20 + 8..][..1350];
        let h = gquic_hello(udp).unwrap();
        assert_eq!(
            (h.version.as_deref(), h.sni.as_deref()),
            (Some("Q043"), Some("dns.google.com"))
        );
        // Its first 64 bytes hold the CHLO's start but not its tag table: no hello.
        assert_eq!(gquic_hello(&udp[..64]), None);
        // The same packet saying Q050 in its public header is no Q050 Initial (those have IETF
        // QUIC's long header and are protected): not read. Without a version in its header, the
        // name it gives still makes it one.
        let mut q050 = udp.to_vec();
        q050[9..13].copy_from_slice(b"Q050");
        assert_eq!(gquic_hello(&q050), None);
        let mut no_version = udp.to_vec();
        no_version[0] = 0x0c;
        assert_eq!(
            gquic_hello(&no_version).and_then(|h| h.sni).as_deref(),
            Some("dns.google.com")
        );
        // An IETF long header (version 1) is no Google QUIC.
        let mut ietf = udp.to_vec();
        ietf[0] = 0xc3;
        ietf[1..5].copy_from_slice(&[0, 0, 0, 1]);
        assert_eq!(gquic_hello(&ietf), None);
    }

    /// RFC 9001 Appendix A.1, RFC 9369 Appendix A.1 and draft 29: client Initial keys for DCID
    /// 0x8394c8f03e515708.
    #[test]
    fn rfc_initial_keys() {
        let dcid = hex("8394c8f03e515708");
        let v1 = client_keys(V1, &dcid).unwrap();
        assert_eq!(v1.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(v1.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(v1.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
        let v2 = client_keys(V2, &dcid).unwrap();
        assert_eq!(v2.key.to_vec(), hex("8b1a0bc121284290a29e0971b5cd045d"));
        assert_eq!(v2.iv.to_vec(), hex("91f73e2351d8fa91660e909f"));
        assert_eq!(v2.hp.to_vec(), hex("45b95e15235d6f45a6b19cbcb0294ba9"));
        // draft-ietf-quic-tls-29 Appendix A.1.
        let d29 = client_keys(0xff00_001d, &dcid).unwrap();
        assert_eq!(d29.key.to_vec(), hex("175257a31eb09dea9366d8bb79ad80ba"));
        assert_eq!(d29.iv.to_vec(), hex("6b26114b9cba2b63a9e8dd4f"));
        // Drafts before 22 and Google's own versions (T051) are not opened.
        assert_eq!(client_keys(0xff00_0015, &dcid), None);
        assert_eq!(client_keys(0x5430_3531, &dcid), None);
    }

    #[test]
    fn varints() {
        // RFC 9000 A.1 examples.
        assert_eq!(
            varint(&hex("c2197c5eff14e88c")),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(varint(&hex("9d7f3e7d")), Some((494_878_333, 4)));
        assert_eq!(varint(&hex("7bbd")), Some((15_293, 2)));
        assert_eq!(varint(&hex("25")), Some((37, 1)));
        assert_eq!(varint(&hex("7b")), None);
    }
}
