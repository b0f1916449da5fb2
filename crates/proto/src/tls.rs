//! TLS handshakes: the ClientHello (server name, ALPN, versions, cipher suites, extensions, JA3
//! and JA4 fingerprints) and the ServerHello (version and cipher chosen), over TCP, QUIC or
//! DTLS (the datagram TLS of CoAPS, LwM2M, WebRTC and VPN clients).
//!
//! The hello messages are framed by `tls-parser`. Their extension block is walked here, because
//! fingerprints need every extension's type number in wire order, GREASE values included, even
//! for extensions `tls-parser` would decode into a variant without its number or reject.

use md5::{Digest, Md5};
use serde::Serialize;
use sha2::Sha256;
use tls_parser::{TlsMessage, TlsMessageHandshake};

/// What a ClientHello says.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ClientHello {
    /// The legacy version field (0x0303 for TLS 1.2 and 1.3).
    pub version: u16,
    /// Highest version offered in supported_versions, else the legacy version.
    pub max_version: u16,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub ciphers: Vec<u16>,
    /// Extension type numbers in wire order.
    pub extensions: Vec<u16>,
    pub groups: Vec<u16>,
    pub point_formats: Vec<u8>,
    pub sig_algs: Vec<u16>,
    pub versions: Vec<u16>,
    /// The JA3 string and its MD5 (as tshark's `tls.handshake.ja3_full` and `ja3`).
    pub ja3_full: String,
    pub ja3: String,
    /// JA4 (TLS client fingerprint, the BSD-licensed part of the JA4+ suite).
    pub ja4: String,
}

/// What a ServerHello says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerHello {
    pub version: u16,
    /// The negotiated version: supported_versions when present (TLS 1.3), else `version`.
    pub selected_version: u16,
    pub cipher: u16,
    pub extensions: Vec<u16>,
    pub alpn: Option<String>,
}

/// GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa.
/// The cipher suite value a client adds to a hello that retries a handshake at a lower version
/// than its best (RFC 7507's TLS_FALLBACK_SCSV).
pub const FALLBACK_SCSV: u16 = 0x5600;

/// What makes a cipher suite a server agreed to weak, if anything, and how badly: no
/// encryption (NULL), no server authentication (anonymous key exchange), export-grade keys,
/// single DES or RC2 (broken outright), RC4 (RFC 7465 forbids it) and 3DES (64-bit blocks,
/// Sweet32), from tls-parser's table of IANA suites. `true` with the reason: broken outright.
pub fn weak_cipher(id: u16) -> Option<(bool, String)> {
    use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherKx, TlsCipherSuite};
    let c = TlsCipherSuite::from_id(id)?;
    let why = |broken: bool, what: &str| Some((broken, format!("{what} ({})", c.name)));
    if c.enc == TlsCipherEnc::Null {
        return why(true, "no encryption");
    }
    if c.au == TlsCipherAu::Null && !matches!(c.kx, TlsCipherKx::Psk | TlsCipherKx::Tls13) {
        return why(true, "no server authentication");
    }
    if c.name.contains("EXPORT") {
        return why(true, "export-grade keys");
    }
    match c.enc {
        TlsCipherEnc::Des | TlsCipherEnc::Rc2 => why(true, "a broken cipher"),
        TlsCipherEnc::Rc4 => why(false, "RC4"),
        TlsCipherEnc::TripleDes => why(false, "3DES"),
        _ => None,
    }
}

pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// Extension numbers used below.
mod ext {
    pub const SERVER_NAME: u16 = 0;
    pub const SUPPORTED_GROUPS: u16 = 10;
    pub const EC_POINT_FORMATS: u16 = 11;
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    pub const ALPN: u16 = 16;
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// The 24-bit big-endian number that starts `b` (a handshake message's or certificate's length;
/// `b` holds three bytes at least).
pub(crate) fn be24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The (type, body) pairs of an extension block.
fn extensions(mut b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let t = u16::from_be_bytes([b[0], b[1]]);
        let n = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let Some(body) = b.get(4..4 + n) else { break };
        out.push((t, body));
        b = &b[4 + n..];
    }
    out
}

/// A list of u16 after a length prefix of `prefix` bytes.
fn u16_list(body: &[u8], prefix: usize) -> Vec<u16> {
    body.get(prefix..)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// Names in an ALPN body (2-byte list length, then 1-byte-prefixed names).
fn alpn_names(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 2;
    while let Some(&n) = body.get(i) {
        let Some(s) = body.get(i + 1..i + 1 + n as usize) else {
            break;
        };
        out.push(String::from_utf8_lossy(s).into_owned());
        i += 1 + n as usize;
    }
    out
}

/// The host name of a server_name body (the first entry of type host_name).
fn sni_name(body: &[u8]) -> Option<String> {
    let mut i = 2;
    while i + 3 <= body.len() {
        let kind = body[i];
        let n = usize::from(be16(body, i + 1)?);
        let name = body.get(i + 3..i + 3 + n)?;
        if kind == 0 {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        i += 3 + n;
    }
    None
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes` (a table, not one `format!` per byte: fingerprints are made for every
/// TLS connection, DHCP's identifiers for every message).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// Numbers joined by `sep`, in decimal.
fn join_dec(v: impl Iterator<Item = u16>, sep: char, out: &mut String) {
    // itoa rather than `write!`: a JA3 string holds some fifty numbers, and the formatting
    // machinery cost a fifth of reading a new ClientHello.
    let mut digits = itoa::Buffer::new();
    for (i, x) in v.enumerate() {
        if i > 0 {
            out.push(sep);
        }
        out.push_str(digits.format(x));
    }
}

/// Numbers as four hex digits, joined by commas.
fn join_hex4(v: impl Iterator<Item = u16>, out: &mut String) {
    for (i, x) in v.enumerate() {
        if i > 0 {
            out.push(',');
        }
        for shift in [12, 8, 4, 0] {
            out.push(HEX[usize::from((x >> shift) & 15)] as char);
        }
    }
}

/// True for the DTLS versions: 1.0 (0xfeff), 1.2 (0xfefd), 1.3 (0xfefc), and OpenSSL's
/// pre-standard DTLS 1.0 (0x0100, "DTLS1_BAD_VER"), which Cisco AnyConnect still speaks.
pub fn is_dtls_version(v: u16) -> bool {
    matches!(v, 0xfeff | 0xfefd | 0xfefc | 0x0100)
}

/// The TLS version a DTLS version is built on (DTLS 1.0 is TLS 1.1, 1.2 is 1.2, 1.3 is 1.3); a
/// TLS version as it is. Version checks compare these.
pub fn tls_equivalent(v: u16) -> u16 {
    match v {
        0xfeff | 0x0100 => 0x0302,
        0xfefd => 0x0303,
        0xfefc => 0x0304,
        v => v,
    }
}

/// The name of an SSL, TLS or DTLS version (None for a number that is none of them).
pub fn version_name(v: u16) -> Option<&'static str> {
    Some(match v {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0xfeff => "DTLS 1.0",
        0xfefd => "DTLS 1.2",
        0xfefc => "DTLS 1.3",
        0x0100 => "DTLS 1.0 (pre-standard)",
        _ => return None,
    })
}

/// JA4's two-character version code.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First 12 hex digits of the SHA-256 of `s`, or twelve zeros for an empty list (JA4's rule).
fn ja4_hash(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    hex(&Sha256::digest(s.as_bytes()))[..12].to_string()
}

/// The JA4 fingerprint of a ClientHello; `transport` is its first letter: `t` (TCP), `q` (QUIC)
/// or `d` (DTLS).
pub fn ja4(h: &ClientHello, transport: char) -> String {
    let ciphers: Vec<u16> = h
        .ciphers
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let exts: Vec<u16> = h
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let alpn = match h.alpn.first().map(|a| a.as_bytes()) {
        Some([]) | None => "00".to_string(),
        Some(a) => {
            let (f, l) = (a[0], a[a.len() - 1]);
            if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() {
                format!("{}{}", f as char, l as char)
            } else {
                let x = hex(a);
                format!("{}{}", &x[..1], &x[x.len() - 1..])
            }
        }
    };
    let a = format!(
        "{}{}{}{:02}{:02}{}",
        transport,
        ja4_version(h.max_version),
        if h.sni.is_some() { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        alpn
    );
    let mut sorted_c = ciphers.clone();
    sorted_c.sort_unstable();
    let mut b_in = String::with_capacity(5 * sorted_c.len());
    join_hex4(sorted_c.iter().copied(), &mut b_in);
    let b = ja4_hash(&b_in);
    let mut sorted_e: Vec<u16> = exts
        .into_iter()
        .filter(|e| *e != ext::SERVER_NAME && *e != ext::ALPN)
        .collect();
    sorted_e.sort_unstable();
    let mut c_in = String::with_capacity(5 * (sorted_e.len() + h.sig_algs.len()) + 1);
    join_hex4(sorted_e.iter().copied(), &mut c_in);
    let sigs: Vec<u16> = h
        .sig_algs
        .iter()
        .copied()
        .filter(|s| !is_grease(*s))
        .collect();
    if !sigs.is_empty() {
        c_in.push('_');
        join_hex4(sigs.iter().copied(), &mut c_in);
    }
    let c = ja4_hash(&c_in);
    format!("{a}_{b}_{c}")
}

type Prints = (String, String, String);

thread_local! {
    static PRINTS: std::cell::RefCell<std::collections::HashMap<u64, Prints>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Hellos already made, by their hash (see [`shared`]).
type Hellos = std::collections::HashMap<u64, Vec<std::sync::Arc<ClientHello>>>;

thread_local! {
    static HELLOS: std::cell::RefCell<Hellos> = std::cell::RefCell::new(Hellos::new());
}

/// Most distinct hellos a thread keeps for [`shared`].
const HELLOS_KEPT: usize = 1024;

/// `h`, or a hello equal to it made before: a client's connections repeat the same hello (the
/// same name, the same offer), and their events then hold one.
pub fn shared(h: ClientHello) -> std::sync::Arc<ClientHello> {
    use std::hash::BuildHasher;
    let key = foldhash::fast::FixedState::with_seed(17).hash_one(&h);
    HELLOS.with_borrow_mut(|kept| {
        if let Some(same) = kept.get(&key).and_then(|v| v.iter().find(|x| ***x == h)) {
            return same.clone();
        }
        if kept.len() >= HELLOS_KEPT {
            kept.clear();
        }
        let h = std::sync::Arc::new(h);
        kept.entry(key).or_default().push(h.clone());
        h
    })
}

/// Reads a ClientHello handshake message (type 1, with its 4-byte header); `quic` when it came
/// in QUIC's CRYPTO frames.
pub fn client_hello(msg: &[u8], quic: bool) -> Option<ClientHello> {
    let (_, parsed) = tls_parser::parse_tls_message_handshake(msg).ok()?;
    let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) = parsed else {
        return None;
    };
    let ciphers = ch.ciphers.iter().map(|c| c.0).collect();
    Some(hello(
        ch.version.0,
        ciphers,
        ch.ext.unwrap_or(&[]),
        if quic { 'q' } else { 't' },
    ))
}

/// Reads a DTLS ClientHello: the whole message, with its 12-byte DTLS handshake header (fragment
/// offset 0, fragment length the message's).
pub fn dtls_client_hello(msg: &[u8]) -> Option<ClientHello> {
    use tls_parser::{DTLSMessage, DTLSMessageHandshakeBody};
    let (_, DTLSMessage::Handshake(m)) = tls_parser::parse_dtls_message_handshake(msg).ok()? else {
        return None;
    };
    let DTLSMessageHandshakeBody::ClientHello(ch) = m.body else {
        return None;
    };
    let ciphers = ch.ciphers.iter().map(|c| c.0).collect();
    Some(hello(ch.version.0, ciphers, ch.ext.unwrap_or(&[]), 'd'))
}

/// A ClientHello from its version, cipher suites and extension block; `transport` as for
/// [`ja4`].
fn hello(version: u16, ciphers: Vec<u16>, ext: &[u8], transport: char) -> ClientHello {
    let mut h = ClientHello {
        version,
        max_version: version,
        sni: None,
        alpn: Vec::new(),
        ciphers,
        extensions: Vec::with_capacity(24),
        groups: Vec::new(),
        point_formats: Vec::new(),
        sig_algs: Vec::new(),
        versions: Vec::new(),
        ja3_full: String::new(),
        ja3: String::new(),
        ja4: String::new(),
    };
    for (t, body) in extensions(ext) {
        h.extensions.push(t);
        match t {
            ext::SERVER_NAME => h.sni = sni_name(body),
            ext::ALPN => h.alpn = alpn_names(body),
            ext::SUPPORTED_GROUPS => h.groups = u16_list(body, 2),
            ext::EC_POINT_FORMATS => h.point_formats = body.get(1..).unwrap_or(&[]).to_vec(),
            ext::SIGNATURE_ALGORITHMS => h.sig_algs = u16_list(body, 2),
            ext::SUPPORTED_VERSIONS => h.versions = u16_list(body, 1),
            _ => {}
        }
    }
    // Highest as TLS counts (DTLS numbers count down: 1.3 is 0xfefc, 1.2 0xfefd).
    if let Some(v) = h
        .versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max_by_key(|v| tls_equivalent(*v))
    {
        h.max_version = v;
    }
    // The fingerprints depend only on these fields; clients repeat them connection after
    // connection, so they are computed once per distinct hello (per thread).
    let key = {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut st = foldhash::fast::FixedState::with_seed(13).build_hasher();
        (
            h.version,
            &h.ciphers,
            &h.extensions,
            &h.groups,
            &h.point_formats,
        )
            .hash(&mut st);
        (
            &h.sig_algs,
            &h.versions,
            h.alpn.first(),
            h.sni.is_some(),
            transport,
        )
            .hash(&mut st);
        st.finish()
    };
    if let Some((full, ja3, ja4)) = PRINTS.with(|c| c.borrow().get(&key).cloned()) {
        (h.ja3_full, h.ja3, h.ja4) = (full, ja3, ja4);
        return h;
    }
    let mut full = String::with_capacity(256);
    join_dec(std::iter::once(h.version), '-', &mut full);
    for part in [&h.ciphers, &h.extensions, &h.groups] {
        full.push(',');
        join_dec(
            part.iter().copied().filter(|x| !is_grease(*x)),
            '-',
            &mut full,
        );
    }
    full.push(',');
    join_dec(
        h.point_formats.iter().map(|p| u16::from(*p)),
        '-',
        &mut full,
    );
    h.ja3 = hex(&Md5::digest(full.as_bytes()));
    h.ja3_full = full;
    h.ja4 = ja4(&h, transport);
    PRINTS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 1024 {
            c.clear();
        }
        c.insert(key, (h.ja3_full.clone(), h.ja3.clone(), h.ja4.clone()));
    });
    h
}

/// Reads a ServerHello handshake message (type 2, with its 4-byte header).
pub fn server_hello(msg: &[u8]) -> Option<ServerHello> {
    let (_, parsed) = tls_parser::parse_tls_message_handshake(msg).ok()?;
    let TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)) = parsed else {
        return None;
    };
    Some(server_hello_of(
        sh.version.0,
        sh.cipher.0,
        sh.ext.unwrap_or(&[]),
    ))
}

/// Reads a DTLS ServerHello: the whole message, with its 12-byte DTLS handshake header.
pub fn dtls_server_hello(msg: &[u8]) -> Option<ServerHello> {
    use tls_parser::{DTLSMessage, DTLSMessageHandshakeBody};
    let (_, DTLSMessage::Handshake(m)) = tls_parser::parse_dtls_message_handshake(msg).ok()? else {
        return None;
    };
    let DTLSMessageHandshakeBody::ServerHello(sh) = m.body else {
        return None;
    };
    Some(server_hello_of(
        sh.version.0,
        sh.cipher.0,
        sh.ext.unwrap_or(&[]),
    ))
}

fn server_hello_of(version: u16, cipher: u16, ext: &[u8]) -> ServerHello {
    let mut h = ServerHello {
        version,
        selected_version: version,
        cipher,
        extensions: Vec::new(),
        alpn: None,
    };
    for (t, body) in extensions(ext) {
        h.extensions.push(t);
        match t {
            ext::SUPPORTED_VERSIONS => {
                if let Some(v) = be16(body, 0) {
                    h.selected_version = v;
                }
            }
            ext::ALPN => h.alpn = alpn_names(body).into_iter().next(),
            _ => {}
        }
    }
    h
}

/// Calls `f` with each complete handshake message (4-byte header included) at the start of a
/// byte stream of TLS records, as sent on one direction of a TCP connection from its first byte.
/// Messages spanning several records are joined in `buf`; a message cut by the end of `stream` is
/// not passed. Returns true when a record of another type follows the handshake records (from
/// there on, the handshake is encrypted or over).
pub fn handshake_messages(stream: &[u8], buf: &mut Vec<u8>, f: &mut dyn FnMut(&[u8])) -> bool {
    let mut i = 0;
    let mut records = 0;
    let mut first: &[u8] = &[];
    buf.clear();
    while i + 5 <= stream.len() && stream[i] == 22 {
        let n = usize::from(u16::from_be_bytes([stream[i + 3], stream[i + 4]]));
        let body = &stream[i + 5..(i + 5 + n).min(stream.len())];
        match records {
            0 => first = body,
            1 => {
                buf.extend_from_slice(first);
                buf.extend_from_slice(body);
            }
            _ => buf.extend_from_slice(body),
        }
        records += 1;
        i += 5 + n;
    }
    let other_record = i + 5 <= stream.len() && stream[i] != 22;
    let joined: &[u8] = if records > 1 { buf } else { first };
    let mut k = 0;
    while k + 4 <= joined.len() {
        let n = be24(&joined[k + 1..]);
        if k + 4 + n > joined.len() {
            break;
        }
        f(&joined[k..k + 4 + n]);
        k += 4 + n;
    }
    other_record
}

/// True when `stream` starts like a TLS handshake record (content type 22, version 3.x).
pub fn looks_like_tls(stream: &[u8]) -> bool {
    stream.len() >= 6
        && stream[0] == 22
        && stream[1] == 3
        && stream[2] <= 4
        && (stream[5] == 1 || stream[5] == 2)
}

/// Bytes needed before the first handshake message of `stream` is whole (None if not TLS).
pub fn first_message_len(stream: &[u8]) -> Option<usize> {
    if stream.len() < 9 || stream[0] != 22 {
        return None;
    }
    let n = be24(&stream[6..]);
    // The message plus one 5-byte record header for every 16 KiB record it spans.
    Some(n + 4 + 5 * (n + 4).div_ceil(16384))
}

/// One handshake fragment of a DTLS datagram.
pub struct DtlsFragment<'a> {
    pub msg_type: u8,
    /// The whole message's length, and the message's sequence number in its direction.
    pub length: usize,
    pub message_seq: u16,
    /// Where this fragment's bytes go in the message, and the bytes.
    pub offset: usize,
    pub data: &'a [u8],
    /// The fragment with its 12-byte handshake header (the whole message when `offset` is 0
    /// and `data` holds `length` bytes).
    pub raw: &'a [u8],
}

/// DTLS record header length: type, version, epoch, 48-bit sequence number, length.
const DTLS_RECORD: usize = 13;
/// DTLS handshake header length: type, length, message sequence, fragment offset and length.
pub const DTLS_HANDSHAKE: usize = 12;

/// True when a datagram starts like a DTLS record: a known version, a length that fits, and
/// either a handshake in the clear (epoch 0) whose first fragment fits its record, or an
/// encrypted record (epoch 1 and up) that fills the datagram exactly (data sent before the
/// capture began).
pub fn looks_like_dtls(b: &[u8]) -> bool {
    if b.len() < DTLS_RECORD || !is_dtls_version(u16::from_be_bytes([b[1], b[2]])) {
        return false;
    }
    let epoch = u16::from_be_bytes([b[3], b[4]]);
    let n = usize::from(u16::from_be_bytes([b[11], b[12]]));
    if DTLS_RECORD + n > b.len() {
        return false;
    }
    match b[0] {
        22 if epoch == 0 => {
            let Some(h) = b.get(DTLS_RECORD..DTLS_RECORD + DTLS_HANDSHAKE) else {
                return false;
            };
            let (len, off, frag) = (be24(&h[1..]), be24(&h[6..]), be24(&h[9..]));
            // ClientHello, ServerHello or HelloVerifyRequest: the first message of a handshake.
            matches!(h[0], 1..=3) && DTLS_HANDSHAKE + frag <= n && off + frag <= len
        }
        20..=23 if epoch > 0 => DTLS_RECORD + n == b.len() && n > 0,
        _ => false,
    }
}

/// Calls `f` with each handshake fragment of epoch 0 in a DTLS datagram (records follow one
/// another; a record may hold several fragments). Returns true when the datagram also holds a
/// record of a later epoch or a DTLS 1.3 encrypted record: from there on the handshake is
/// encrypted.
pub fn dtls_fragments(datagram: &[u8], f: &mut dyn FnMut(DtlsFragment<'_>)) -> bool {
    let mut rest = datagram;
    while let [t, v1, v0, e1, e0, ..] = *rest {
        // DTLS 1.3's unified header (0b001 in the first bits) carries encrypted records only.
        if t & 0xe0 == 0x20 {
            return true;
        }
        if rest.len() < DTLS_RECORD || !is_dtls_version(u16::from_be_bytes([v1, v0])) {
            return false;
        }
        let n = usize::from(u16::from_be_bytes([rest[11], rest[12]]));
        let Some(body) = rest.get(DTLS_RECORD..DTLS_RECORD + n) else {
            return false;
        };
        if u16::from_be_bytes([e1, e0]) != 0 {
            return true;
        }
        if t == 22 {
            let mut m = body;
            while m.len() >= DTLS_HANDSHAKE {
                let frag = be24(&m[9..]);
                let Some(data) = m.get(DTLS_HANDSHAKE..DTLS_HANDSHAKE + frag) else {
                    break;
                };
                f(DtlsFragment {
                    msg_type: m[0],
                    length: be24(&m[1..]),
                    message_seq: u16::from_be_bytes([m[4], m[5]]),
                    offset: be24(&m[6..]),
                    data,
                    raw: &m[..DTLS_HANDSHAKE + frag],
                });
                m = &m[DTLS_HANDSHAKE + frag..];
            }
        }
        rest = &rest[DTLS_RECORD + n..];
    }
    false
}
