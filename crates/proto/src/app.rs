//! Which application a flow carries, and the messages its first packets hold.
//!
//! [`AppState`] lives in each flow. [`AppState::inspect`] is shown the flow's packets until the
//! flow's application is known and its interesting messages are read; it labels the flow (by
//! content where the payload says, else by port, remembering which) and hands each message it
//! reads to a callback. TLS hellos that span segments are joined in a small per-flow buffer; all
//! else is read in place.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use crate::recent::Recent;

use serde::Serialize;

use crate::login::{self, Login, LoginState};
use crate::{
    cert, dhcp, dns, ftp, http, iot, ldap, ndp, ntp, quic, remote, snmp, socks, tftp, tls, vpn, wsd,
};

/// Application protocols iotscope names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    #[default]
    Unknown,
    Dns,
    Mdns,
    Llmnr,
    Nbns,
    Dhcp,
    Dhcpv6,
    Ntp,
    Tls,
    Quic,
    Http,
    Ssdp,
    Mqtt,
    Coap,
    Rtsp,
    Rtp,
    Stun,
    Sip,
    Ssh,
    Smb,
    Netbios,
    Telnet,
    Ftp,
    /// A file transfer on the data connection an FTP control connection announced.
    #[serde(rename = "ftp-data")]
    FtpData,
    Pop3,
    Imap,
    Smtp,
    Tplink,
    Tuya,
    Kalay,
    Tftp,
    /// Industrial and building control: Modbus/TCP, DNP3, IEC 60870-5-104, BACnet/IP. None of
    /// them authenticates the commands it carries.
    Modbus,
    Dnp3,
    Iec104,
    Bacnet,
    /// Siemens S7 PLCs' protocol (ISO-on-TCP, port 102), and EtherNet/IP (CIP, port 44818):
    /// industrial control, with no authentication of the commands either.
    S7comm,
    Enip,
    /// NAT-PMP and its successor PCP (UDP 5351): a device asks the router to forward a public
    /// port to it, as UPnP's AddPortMapping does.
    #[serde(rename = "nat-pmp")]
    NatPmp,
    /// DNSCrypt: DNS encrypted with the resolver's key, on UDP or TCP (often port 443).
    Dnscrypt,
    /// SNMP: device management; v1 and v2c send their community (a password) in clear.
    Snmp,
    /// VNC (RFB): a remote screen and keyboard.
    Vnc,
    /// Microsoft's Remote Desktop Protocol.
    Rdp,
    /// Log lines sent to a collector (RFC 3164, 5424), in clear on UDP.
    Syslog,
    /// WS-Discovery: Windows hosts, printers and ONVIF cameras announcing themselves.
    Wsd,
    /// LDAP: directory lookups and logins (a simple bind sends its password in clear).
    Ldap,
    /// Kerberos: tickets for a Windows domain or another realm (its secrets are encrypted).
    Kerberos,
    /// IRC: chat, and the command channel of many IoT bots (Gafgyt, Tsunami).
    Irc,
    /// DTLS: TLS over UDP (CoAPS, LwM2M, WebRTC media keys, VPN clients' data channels).
    Dtls,
    /// WireGuard: an encrypted VPN tunnel.
    Wireguard,
    /// OpenVPN: an encrypted VPN tunnel, over UDP or TCP.
    Openvpn,
    /// IPsec key exchange (IKE, on UDP 500 and 4500): it sets up an encrypted VPN tunnel.
    Ipsec,
    /// Ubiquiti's device discovery (UDP 10001): UniFi and airMAX gear saying what it is.
    #[serde(rename = "ubnt-discovery")]
    UbntDiscovery,
    /// BGP: routers exchanging routes (TCP 179).
    Bgp,
    /// MSNP: Microsoft's Messenger chat protocol (TCP 1863), in clear.
    Msnp,
    /// SOCKS 4 or 5: a proxy carrying its client's connection to another host (TCP 1080).
    Socks,
    /// Matter: the smart-home standard's messages between devices and their controllers (UDP
    /// or TCP 5540), encrypted once a session is set up.
    Matter,
}

impl App {
    /// The lowercase name used in output (as serialised). The analysis names every flow's
    /// service with it, so it is a table, not a formatted `Debug`.
    pub fn name(self) -> &'static str {
        match self {
            App::Unknown => "unknown",
            App::Dns => "dns",
            App::Mdns => "mdns",
            App::Llmnr => "llmnr",
            App::Nbns => "nbns",
            App::Dhcp => "dhcp",
            App::Dhcpv6 => "dhcpv6",
            App::Ntp => "ntp",
            App::Tls => "tls",
            App::Quic => "quic",
            App::Http => "http",
            App::Ssdp => "ssdp",
            App::Mqtt => "mqtt",
            App::Coap => "coap",
            App::Rtsp => "rtsp",
            App::Rtp => "rtp",
            App::Stun => "stun",
            App::Sip => "sip",
            App::Ssh => "ssh",
            App::Smb => "smb",
            App::Netbios => "netbios",
            App::Telnet => "telnet",
            App::Ftp => "ftp",
            App::FtpData => "ftp-data",
            App::Pop3 => "pop3",
            App::Imap => "imap",
            App::Smtp => "smtp",
            App::Tplink => "tplink",
            App::Tuya => "tuya",
            App::Kalay => "kalay",
            App::Tftp => "tftp",
            App::Modbus => "modbus",
            App::Dnp3 => "dnp3",
            App::Iec104 => "iec104",
            App::Bacnet => "bacnet",
            App::S7comm => "s7comm",
            App::Enip => "enip",
            App::NatPmp => "nat-pmp",
            App::Dnscrypt => "dnscrypt",
            App::Snmp => "snmp",
            App::Vnc => "vnc",
            App::Rdp => "rdp",
            App::Syslog => "syslog",
            App::Wsd => "wsd",
            App::Ldap => "ldap",
            App::Kerberos => "kerberos",
            App::Irc => "irc",
            App::Dtls => "dtls",
            App::Wireguard => "wireguard",
            App::Openvpn => "openvpn",
            App::Ipsec => "ipsec",
            App::UbntDiscovery => "ubnt-discovery",
            App::Bgp => "bgp",
            App::Msnp => "msnp",
            App::Socks => "socks",
            App::Matter => "matter",
        }
    }
}

/// The first line of a payload, without its line end (a command line: 64 bytes at most looked
/// at).
fn first_line(b: &[u8]) -> &[u8] {
    let b = &b[..b.len().min(64)];
    let end = memchr::memchr2(b'\r', b'\n', b).unwrap_or(b.len());
    &b[..end]
}

/// A client's request to switch its connection to TLS: SMTP's STARTTLS (RFC 3207), IMAP's
/// (after the command's tag, RFC 3501), POP3's STLS (RFC 2595), FTP's AUTH TLS or SSL (RFC 4217).
fn upgrade_request(app: App, b: &[u8]) -> bool {
    let line = first_line(b);
    match app {
        App::Smtp => line.eq_ignore_ascii_case(b"STARTTLS"),
        App::Imap => line
            .iter()
            .position(|&c| c == b' ')
            .is_some_and(|i| line[i + 1..].eq_ignore_ascii_case(b"STARTTLS")),
        App::Pop3 => line.eq_ignore_ascii_case(b"STLS"),
        App::Ftp => [&b"AUTH TLS"[..], b"AUTH SSL", b"AUTH TLS-C", b"AUTH TLS-P"]
            .iter()
            .any(|c| line.eq_ignore_ascii_case(c)),
        _ => false,
    }
}

/// The server's consent to a switch to TLS: SMTP 220, FTP 234, POP3 +OK, IMAP the tagged OK
/// (untagged lines may come first).
fn upgrade_accepted(app: App, b: &[u8]) -> bool {
    match app {
        App::Smtp => b.starts_with(b"220"),
        App::Ftp => b.starts_with(b"234"),
        App::Pop3 => b.starts_with(b"+OK"),
        App::Imap => b.split(|&c| c == b'\n').any(|l| {
            let mut words = l.split(|&c| c == b' ');
            words.next().is_some_and(|t| t != b"*" && !t.is_empty())
                && words.next().is_some_and(|w| w.eq_ignore_ascii_case(b"OK"))
        }),
        _ => false,
    }
}

/// The cleartext login protocols a TCP connection's first line fits, with their vote bits:
/// from the server, the greeting (FTP's and SMTP's `220`, POP3's `+OK`, IMAP's `* OK`); from the
/// client, its first command (FTP `USER`, `AUTH`, `FEAT`, `SYST`, `OPTS`; SMTP `EHLO`, `HELO`;
/// POP3 `USER`, `CAPA`, `AUTH`, `APOP`, `STLS`; IMAP a tag, then `LOGIN`, `CAPABILITY`,
/// `AUTHENTICATE`, `STARTTLS` or `ID`). A greeting and a command must agree.
fn line_protocols(b: &[u8], from_client: bool) -> impl Iterator<Item = (u16, App)> {
    const FTP: (u16, App) = (8, App::Ftp);
    const SMTP: (u16, App) = (10, App::Smtp);
    const POP3: (u16, App) = (12, App::Pop3);
    const IMAP: (u16, App) = (14, App::Imap);
    let line = b.split(|&c| c == b'\n').next().unwrap_or(b);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut words = line.split(|&c| c == b' ');
    let first = words.next().unwrap_or_default();
    let is = |w: &[u8], of: &[&[u8]]| of.iter().any(|o| w.eq_ignore_ascii_case(o));
    let fits: &[(u16, App)] = if !b.ends_with(b"\n") || line.len() > 512 {
        &[]
    } else if from_client {
        match first {
            w if is(w, &[b"EHLO", b"HELO"]) => &[SMTP],
            w if is(w, &[b"USER", b"AUTH"]) => &[FTP, POP3],
            w if is(w, &[b"FEAT", b"SYST", b"OPTS"]) => &[FTP],
            w if is(w, &[b"CAPA", b"APOP", b"STLS"]) => &[POP3],
            w if !w.is_empty()
                && w.iter().all(u8::is_ascii_alphanumeric)
                && words.next().is_some_and(|c| {
                    is(
                        c,
                        &[b"LOGIN", b"CAPABILITY", b"AUTHENTICATE", b"STARTTLS", b"ID"],
                    )
                }) =>
            {
                &[IMAP]
            }
            _ => &[],
        }
    } else if line.starts_with(b"220 ") || line.starts_with(b"220-") {
        &[FTP, SMTP]
    } else if line.starts_with(b"+OK") {
        &[POP3]
    } else if line.starts_with(b"* OK") || line.starts_with(b"* PREAUTH") {
        &[IMAP]
    } else {
        &[]
    };
    fits.iter().copied()
}

/// A TCP payload that is exactly one message behind a 4-byte length (Kerberos over TCP).
fn framed_once(b: &[u8]) -> bool {
    b.get(..4)
        .is_some_and(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize + 4 == b.len())
}

/// A datagram's DTLS records: CAPWAP's control channel (udp/5246, wireless controllers and their
/// access points) sends them behind a 4-byte preamble (version 0, type 1: DTLS follows).
fn capwap_dtls<'a>(p: &Packet<'a>) -> &'a [u8] {
    match p.payload {
        [1, 0, 0, 0, rest @ ..] if p.src_port == 5246 || p.dst_port == 5246 => rest,
        b => b,
    }
}

/// Reads one whole DTLS handshake message (its 12-byte header first): a hello or a certificate.
/// Returns true when the direction has nothing more to show (its certificate is read, or from
/// DTLS 1.3 on, encrypted). The certificate list is TLS's, read behind a TLS handshake header
/// made in `scratch`.
fn dtls_message(
    msg_type: u8,
    msg: &[u8],
    scratch: &mut Vec<u8>,
    emit: &mut dyn FnMut(Message),
) -> bool {
    match msg_type {
        1 => {
            if let Some(h) = tls::dtls_client_hello(msg) {
                emit(Message::ClientHello(tls::shared(h)));
            }
            true
        }
        2 => match tls::dtls_server_hello(msg) {
            Some(h) => {
                let encrypted_after = tls::tls_equivalent(h.selected_version) >= 0x0304;
                emit(Message::ServerHello(Box::new(h)));
                encrypted_after
            }
            None => false,
        },
        _ => {
            scratch.clear();
            scratch.push(msg_type);
            scratch.extend_from_slice(&msg[1..4]);
            scratch.extend_from_slice(&msg[tls::DTLS_HANDSHAKE..]);
            if let Some(c) = cert::leaf(scratch) {
                emit(Message::Certificate(c));
            }
            true
        }
    }
}

/// How a flow's application was decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    #[default]
    Nothing,
    /// The payload matched the protocol and the port is its usual one.
    Both,
    /// The payload matched, on an unusual port.
    Content,
    /// Only the port: no payload (short snap length, or none sent) or no match.
    Port,
    /// Another flow announced it (an FTP data connection, announced on its control connection).
    Control,
}

/// A message read from a flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Dns(Arc<dns::DnsMessage>),
    Dhcp(Box<dhcp::Dhcp>),
    Dhcpv6(Box<dhcp::Dhcpv6>),
    ClientHello(Arc<tls::ClientHello>),
    /// A Google QUIC client's hello (Q039-Q046), which is no TLS ClientHello.
    GquicHello(Box<quic::GquicHello>),
    ServerHello(Box<tls::ServerHello>),
    HttpRequest(Arc<http::HttpRequest>),
    HttpResponse(Arc<http::HttpResponse>),
    Ntp(Box<ntp::Ntp>),
    /// A login sent in clear (the password is never kept).
    Login(Box<Login>),
    /// The server's answer to the login before it on the flow.
    LoginAnswer(Box<login::LoginAnswer>),
    /// The leaf of the certificate chain a TLS server sent in clear.
    Certificate(Arc<cert::Certificate>),
    /// An MQTT client's CONNECT (the password is never kept).
    Mqtt(Box<iot::MqttConnect>),
    /// The line a server or client announces itself with (SSH version, FTP/SMTP/POP3/IMAP
    /// greeting).
    Banner(String),
    /// An FTP control connection announced a data connection (PORT, EPRT, PASV, EPSV).
    FtpData(crate::ftp::DataChannel),
    /// A TFTP read or write request.
    Tftp(Box<tftp::TftpRequest>),
    /// An MQTT broker's answer to CONNECT: its return code (0 accepted the client).
    MqttConnAck(u8),
    /// A CoAP request or response (not the bare acknowledgements, resets and pings).
    Coap(Box<crate::coap::Coap>),
    /// An SNMP message (a community is never kept, only whether one was sent).
    Snmp(Box<snmp::Snmp>),
    /// The security types a VNC server offers, or the one its client chose.
    VncSecurity(Box<remote::VncSecurity>),
    /// A WS-Discovery message.
    Wsd(Box<wsd::Wsd>),
    /// A Ubiquiti discovery message: a search, or a device saying what it is.
    Ubnt(Box<iot::UbntDiscovery>),
    /// An LDAP message (a bind's password is never kept, only whether one was sent).
    Ldap(Box<ldap::Ldap>),
    /// An IPv6 Neighbor Discovery message: a router's prefixes and resolvers, an address a host
    /// claims or answers for (reported once per sender, kind and address).
    Ndp(Box<ndp::Ndp>),
    /// A NAT-PMP or PCP request or answer: a port forwarded from the router's public address.
    NatPmp(Box<iot::NatPmp>),
    /// A NetBIOS datagram's header: the name and address of the host that sent it.
    NetbiosDatagram(Box<iot::NetbiosDatagram>),
    /// What a client asked a SOCKS proxy to reach.
    SocksRequest(Box<socks::Request>),
    /// What a host announced about itself by LLDP or CDP, from the MAC it sent from (reported
    /// once per MAC and protocol, and again when it changes).
    Neighbor {
        mac: [u8; 6],
        neighbor: Box<crate::neighbor::Neighbor>,
    },
    /// An ARP sender: this MAC holds this IPv4 address (reported once per pair).
    Arp {
        mac: [u8; 6],
        ip: std::net::Ipv4Addr,
        /// The source address of the tunnel packet that carried it, when it came in one.
        #[serde(skip_serializing_if = "Option::is_none")]
        via: Option<std::net::IpAddr>,
    },
}

impl Message {
    /// The server name a client's hello asked for: a TLS or QUIC ClientHello's SNI, or a Google
    /// QUIC hello's SNI tag.
    pub fn server_name(&self) -> Option<&str> {
        match self {
            Message::ClientHello(h) => h.sni.as_deref(),
            Message::GquicHello(h) => h.sni.as_deref(),
            _ => None,
        }
    }
}

/// What the inspector needs to know about the packet besides its payload.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub payload: &'a [u8],
    pub tcp: bool,
    /// Ports of the sender and receiver.
    pub src_port: u16,
    pub dst_port: u16,
    /// Sent by the side that opened the flow.
    pub from_client: bool,
    /// TCP sequence number (0 for UDP).
    pub seq: u32,
    /// A TCP SYN: its sequence number is the one before the direction's first byte.
    pub syn: bool,
    /// The TCP acknowledgement number, when the ACK flag is set.
    pub ack: Option<u32>,
}

impl Packet<'_> {
    /// The application usually found on the flow's server port ([`by_server_port`]).
    fn port_app(&self) -> App {
        let (server, client) = if self.from_client {
            (self.dst_port, self.src_port)
        } else {
            (self.src_port, self.dst_port)
        };
        by_server_port(self.tcp, server, client)
    }
}

thread_local! {
    /// DNS, mDNS and LLMNR messages, NBNS messages (their names decoded), and SSDP heads read
    /// from datagrams seen before ([`Recent`]).
    static DNS: RefCell<Recent<dns::DnsMessage>> = RefCell::default();
    static NBNS: RefCell<Recent<dns::DnsMessage>> = RefCell::default();
    static SSDP: RefCell<Recent<Message>> = RefCell::default();
}

/// Payload packets looked at per direction before giving up on a flow that says nothing.
const INSPECT: u16 = 8;
/// Largest TLS handshake message joined across segments (certificate chains can be larger;
/// hellos are far smaller).
const MAX_JOIN: usize = 32 << 10;
/// Room a TLS join starts with: a hello, or a server's first flight with its certificates.
const JOIN_ROOM: usize = 8 << 10;

/// Payload packets per direction that content detection looks at.
const CONTENT_TRIES: u16 = 4;

/// HTTP messages read from one segment (pipelined requests, their responses): a bound on the
/// reader's recursion whatever the segment holds.
const MAX_PIPELINED: u8 = 32;

/// Payload packets a cleartext login is followed for.
const LOGIN_PACKETS: u16 = 400;

/// Longest HTTP head joined across segments.
const MAX_HEAD: usize = 16 << 10;

fn head_len(b: &[u8]) -> Option<usize> {
    // Built once: `memmem::find` builds its searcher at every call, which cost more than the
    // search in a short HTTP head.
    static HEAD_END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\r\n\r\n"));
    HEAD_END.find(b).map(|i| i + 4)
}

fn has_head_end(b: &[u8]) -> bool {
    head_len(b).is_some()
}

/// Notes what a response's body is when its first bytes say it is a program, compressed with gzip
/// or not. A chunked body starts with its first chunk's size line (hex digits, maybe extensions,
/// CRLF), stepped over.
fn sniff(m: &mut Message, body: &[u8]) {
    if let Message::HttpResponse(r) = m {
        let size_line = body
            .iter()
            .take(32)
            .position(|&c| c == b'\n')
            .filter(|&n| n > 1 && body[0].is_ascii_hexdigit() && body[n - 1] == b'\r');
        let data = match size_line {
            Some(n) => &body[n + 1..],
            None => body,
        };
        // (The message is not shared yet: nothing is copied.)
        let r = Arc::make_mut(r);
        r.body_kind = r
            .body_kind
            .or_else(|| http::program_kind(data).or_else(|| http::gzipped_program_kind(data)));
    }
}

/// Reads the first segment of a request's body for secrets ([`http::body_fields`]): a password
/// field with a value is a login (the first user-name field of the body names its user; the
/// password's fingerprint is kept, never its value), and the fields carrying a key or token are
/// named on the request.
fn body_secrets(m: &mut Message, body: &[u8], emit: &mut dyn FnMut(Message)) {
    use http::Secret;
    let Message::HttpRequest(r) = m else {
        return;
    };
    let mut passwords: Vec<(&[u8], &[u8])> = Vec::new();
    let mut user: Option<&[u8]> = None;
    let mut keys: Vec<String> = Vec::new();
    let kind = http::body_fields(body, r.content_type.as_deref(), |name, value| {
        let Ok(n) = std::str::from_utf8(name) else {
            return;
        };
        // A form's names may be escaped (`user%5Bpassword%5D`).
        let secret = http::secret_name(n).or_else(|| {
            n.contains('%')
                .then(|| http::secret_name(&http::percent_decode(n)))?
        });
        match secret {
            Some(Secret::Password)
                if passwords.len() < 4 && !passwords.iter().any(|(p, _)| *p == name) =>
            {
                passwords.push((name, value));
            }
            Some(Secret::User) => {
                user.get_or_insert(value);
            }
            // A key looks like one: long enough, with a digit, no spaces (a JSON map's
            // `"key": "temperature"` names no secret).
            Some(Secret::Key)
                if value.len() >= 8
                    && value.iter().any(u8::is_ascii_digit)
                    && !value.iter().any(u8::is_ascii_whitespace)
                    && keys.len() < 16
                    && !keys.iter().any(|k| k == n) =>
            {
                keys.push(n.to_string());
            }
            _ => {}
        }
    });
    Arc::make_mut(r).body_keys = keys;
    let (Some(kind), Some(&(_, value))) = (kind, passwords.first()) else {
        return;
    };
    let text = |b: &[u8]| {
        let t = String::from_utf8_lossy(b);
        if kind == "form" {
            http::percent_decode(&t.replace('+', " "))
        } else {
            t.into_owned()
        }
    };
    let user = user
        .map(|u| {
            text(u)
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect()
        })
        .filter(|u: &String| !u.is_empty());
    let names: Vec<String> = passwords.iter().map(|(n, _)| text(n)).collect();
    emit(Message::Login(Box::new(Login {
        protocol: "http".into(),
        method: format!(
            "{kind} {} {}{} {}",
            if names.len() == 1 { "field" } else { "fields" },
            names.join(", "),
            if login::is_hex_digest(value) {
                format!(" {}", login::AS_DIGEST)
            } else {
                String::new()
            },
            login::IN_REQUEST_BODY
        ),
        user,
        password: true,
        secret: login::fingerprint(value),
    })));
}

/// The whole lines of an HTTP head whose end the capture lost (the segments after a gap never
/// came, or the connection ended first), read as a head: the request line and every header
/// before the gap still say what was asked, and of whom (a Basic login among them). Emitted as
/// cut. The join's buffer is ended where its last line ends.
fn partial_head(mut head: Vec<u8>, emit: &mut dyn FnMut(Message)) {
    let Some(end) = memchr::memmem::rfind(&head, b"\r\n") else {
        return;
    };
    head.truncate(end + 2);
    head.extend_from_slice(b"\r\n");
    if let Some(r) = http::request(&head) {
        if let Some(login) = basic_login(&r) {
            emit(login);
        }
        emit(cut(Message::HttpRequest(Arc::new(r))));
    } else if let Some(r) = http::response(&head) {
        emit(cut(Message::HttpResponse(Arc::new(r))));
    }
}

/// The login an HTTP request's Basic authorisation is.
fn basic_login(r: &http::HttpRequest) -> Option<Message> {
    r.auth_scheme
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
        .then(|| {
            Message::Login(Box::new(Login {
                protocol: "http".into(),
                method: "Basic".into(),
                user: r.auth_user.clone(),
                password: true,
                secret: 0,
            }))
        })
}

/// Marks an HTTP message whose body did not arrive whole.
fn cut(mut m: Message) -> Message {
    match &mut m {
        Message::HttpRequest(r) => Arc::make_mut(r).body_cut = true,
        Message::HttpResponse(r) => Arc::make_mut(r).body_cut = true,
        _ => {}
    }
    m
}

/// An HTTP message whose body is still arriving.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Body {
    message: Message,
    /// Sequence number of the body's first byte.
    start: u32,
    length: u64,
    /// Body bytes received, each counted once.
    covered: u64,
    /// Received ranges (offsets in the body), merged; a few at most.
    ranges: Vec<(u64, u64)>,
}

/// Most separate ranges tracked for one body; past it the body counts as cut.
const MAX_RANGES: usize = 16;

impl Body {
    fn add(&mut self, from: u64, to: u64) {
        if to <= from || self.ranges.len() >= MAX_RANGES {
            return;
        }
        // Merged in place: the vector was sized for MAX_RANGES when the head was read.
        self.ranges.push((from, to));
        self.ranges.sort_unstable();
        let mut w = 0;
        for i in 1..self.ranges.len() {
            let (a, b) = self.ranges[i];
            if a <= self.ranges[w].1 {
                self.ranges[w].1 = self.ranges[w].1.max(b);
            } else {
                w += 1;
                self.ranges[w] = (a, b);
            }
        }
        self.ranges.truncate(w + 1);
        self.covered = self.ranges.iter().map(|(a, b)| b - a).sum();
    }
}

/// The later of two sequence positions.
fn later(a: Option<u32>, b: u32) -> u32 {
    match a {
        Some(a) if (a.wrapping_sub(b) as i32) > 0 => a,
        _ => b,
    }
}

/// A direction's partial TLS handshake or HTTP head.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Join {
    bytes: Vec<u8>,
    next_seq: u32,
    want: usize,
    /// Room to join handshake messages that span records.
    scratch: Vec<u8>,
    /// Segments seen past a gap: bytes the capture lost never come, and the join gives up.
    stalls: u8,
    /// QUIC CRYPTO data that came ahead of `want` (browsers send the ClientHello's pieces out
    /// of order on purpose): (offset, end) ranges, joined as the gap before them fills.
    ahead: Vec<(usize, usize)>,
}

/// Segments past a gap a join waits through for the missing bytes (a retransmission) before it
/// gives up and frees its buffers: a capture that dropped a packet would otherwise hold them until
/// the flow ends.
const MAX_STALLS: u8 = 8;

impl Join {
    fn new() -> Join {
        Join {
            bytes: Vec::new(),
            next_seq: 0,
            want: 0,
            scratch: Vec::new(),
            stalls: 0,
            ahead: Vec::new(),
        }
    }

    /// Bytes `off..end` of a stream that arrives in pieces, in any order, have arrived: `want`
    /// grows to the end of what has arrived from the start, taking in the pieces that came ahead
    /// of it once the gap before them is filled.
    fn fill(&mut self, off: usize, end: usize) {
        if off <= self.want {
            self.want = self.want.max(end);
            while let Some(k) = self.ahead.iter().position(|&(o, _)| o <= self.want) {
                let (_, e) = self.ahead.swap_remove(k);
                self.want = self.want.max(e);
            }
        } else if self.ahead.len() < 64 {
            self.ahead.push((off, end));
        }
    }

    /// A segment that does not continue the joined bytes: true when the join should give up.
    fn stalled(&mut self, seq: u32) -> bool {
        // Ahead of the next expected byte: a gap (a retransmission of older bytes is no stall).
        if (seq.wrapping_sub(self.next_seq) as i32) > 0 {
            self.stalls += 1;
        }
        self.stalls >= MAX_STALLS
    }
}

/// Per-flow application state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppState {
    pub app: App,
    pub by: By,
    seen: [u16; 2],
    done: bool,
    /// A message being joined across segments, per direction (a TLS hello or an HTTP head).
    tls: [Option<Box<Join>>; 2],
    tls_seen: [bool; 2],
    /// Handshake messages already reported per direction: 1 hello, 2 certificate; and on the
    /// client's side, 4 while its second flight (where a client certificate would be) is awaited.
    tls_emitted: [u8; 2],
    /// An HTTP message waiting for the end of its body, per direction.
    body: [Option<Box<Body>>; 2],
    /// A cleartext login being followed (telnet, FTP, POP3, IMAP, SMTP).
    login: Option<Box<LoginState>>,
    /// The login part of the flow is over (FTP control connections are still read for the data
    /// connections they announce).
    login_over: bool,
    /// Directions (bit 0 client, bit 1 server) that sent a payload framed exactly like MQTT;
    /// bits 2 and 3 the same for an OpenVPN reset whose layout could not be checked whole, bits 4
    /// and 5 for WireGuard's handshake initiation and response away from its port, bits 6 and 7
    /// for a SOCKS client's first message and its server's, bits 8 to 15 for the first lines of
    /// FTP, SMTP, POP3 and IMAP ([`line_protocols`]).
    votes: u16,
    /// VNC: whether the security type in use encrypts the session (None: not seen, or a type
    /// whose encryption is not known). STARTTLS and its kin: Some(true) once the switch
    /// succeeded. A proxy's tunnel (SOCKS, HTTP CONNECT): whether what it carries is TLS.
    session: Option<bool>,
    /// The client asked to switch to TLS (STARTTLS, LDAP's StartTLS...), or a proxy granted a
    /// tunnel (SOCKS, HTTP CONNECT).
    starttls: bool,
    /// VNC: the client speaks RFB 3.3, where the server alone decides the security type (the
    /// client's next message is its ClientInit, not a choice).
    rfb33: bool,
    /// VNC: 1 once the client chose VeNCrypt, 2 while its Plain credentials are awaited.
    vencrypt: u8,
    /// SOCKS 5: 1 once the server chose the user name and password method, 2 while the answer
    /// to the login is awaited.
    socks_auth: u8,
    /// HTTP: the client asked a proxy for a tunnel (CONNECT), not yet answered.
    connect: bool,
    /// HTTP: a request named a whole URL (`GET http://host/path`), which only a proxy is sent.
    via_proxy: bool,
    /// Labelling has seen enough packets.
    labelled: bool,
    /// For TLS and DTLS flows, the service the port says runs inside (mqtt on 8883, dns on 853,
    /// coap on 5684...).
    pub inner: App,
    /// Synchronisation source and sequence number of the last RTP-looking packet.
    rtp: Option<(u32, u16)>,
    /// TCP: where each direction's stream is ([`AppState::in_order`]).
    order: Order,
    /// TCP segments that came past a gap in their direction's stream, held until the bytes
    /// before them arrive.
    held: Option<Box<[Held; 2]>>,
    /// The parsers read this flow's packets (`inspect`), rather than only label it.
    reading: bool,
}

/// Positions in a TCP connection's two streams, in 17 bytes rather than four `Option<u32>`s' 32
/// (a flow table holds hundreds of thousands of flows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Order {
    /// The next byte of each direction's stream the parsers are owed, from the SYN or the first
    /// payload.
    next: [u32; 2],
    /// The highest acknowledgement number each direction sent (of the other's stream).
    acked: [u32; 2],
    /// Bits 0 and 1: `next` is known, per direction; bits 2 and 3: `acked` is.
    known: u8,
}

impl Order {
    fn next(&self, dir: usize) -> Option<u32> {
        (self.known & 1 << dir != 0).then_some(self.next[dir])
    }

    fn set_next(&mut self, dir: usize, seq: u32) {
        self.next[dir] = seq;
        self.known |= 1 << dir;
    }

    fn acked(&self, dir: usize) -> Option<u32> {
        (self.known & 4 << dir != 0).then_some(self.acked[dir])
    }

    /// Takes in an acknowledgement number `dir` sent, if it is the highest yet.
    fn ack(&mut self, dir: usize, ack: u32) {
        self.acked[dir] = later(self.acked(dir), ack);
        self.known |= 4 << dir;
    }
}

/// A direction's TCP segments held past a gap: (sequence number, payload).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Held {
    segments: Vec<(u32, HeldBytes)>,
    /// The ports of the held segments' sender and receiver.
    ports: (u16, u16),
    /// The latest gap given up on (its first byte and the byte after it): bytes that may yet
    /// come, late ([`AppState::late`]).
    gap: Option<(u32, u32)>,
}

impl Held {
    /// The bytes held.
    fn bytes(&self) -> usize {
        self.segments.iter().map(|(_, b)| b.0.len()).sum()
    }
}

/// Bytes held past a gap in one direction before the gap is given up as lost by the capture. A
/// sender retransmits a lost segment after three duplicate acknowledgements or a timeout, by
/// which time it may have sent the rest of its window: a new connection's initial window is ten
/// segments (RFC 6928), and sixteen full-size Ethernet segments cover it with room for the
/// acknowledgements' delay.
const MAX_HELD_BYTES: usize = 16 * 1460;
/// Segments held past a gap in one direction: the same window cut small (a sender that writes a
/// few bytes at a time), each held segment costing its own allocation.
const MAX_HELD: usize = 64;
/// Bytes held past gaps by all the flows of one thread together: a capture that lost a segment
/// in each of thousands of connections at once gives the newest gaps up rather than hold
/// without bound (at most 64 MiB a thread, when a direction holds 23 KiB at most).
const MAX_HELD_TOTAL: usize = 64 << 20;

thread_local! {
    /// Bytes of segments held past gaps by this thread's flows ([`HeldBytes`]).
    static HELD_TOTAL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A held segment's bytes, counted in this thread's [`HELD_TOTAL`] while they live.
#[derive(Debug, PartialEq, Eq)]
struct HeldBytes(Box<[u8]>);

impl HeldBytes {
    fn new(b: &[u8]) -> HeldBytes {
        HELD_TOTAL.with(|t| t.set(t.get() + b.len()));
        HeldBytes(b.into())
    }

    /// Whether `n` more bytes fit in this thread's budget.
    fn room(n: usize) -> bool {
        HELD_TOTAL.with(|t| t.get() + n <= MAX_HELD_TOTAL)
    }
}

impl Clone for HeldBytes {
    fn clone(&self) -> HeldBytes {
        HeldBytes::new(&self.0)
    }
}

impl Drop for HeldBytes {
    fn drop(&mut self) {
        HELD_TOTAL.with(|t| t.set(t.get().saturating_sub(self.0.len())));
    }
}

/// The application usually found on a port (either side's).
pub fn by_port(tcp: bool, a: u16, b: u16) -> App {
    let one = |p: u16| -> App {
        match (tcp, p) {
            (_, 53) => App::Dns,
            (false, 5353) => App::Mdns,
            (false, 5355) => App::Llmnr,
            (false, 137) => App::Nbns,
            (false, 138) | (true, 139) => App::Netbios,
            (false, 67 | 68) => App::Dhcp,
            (false, 546 | 547) => App::Dhcpv6,
            (false, 123) => App::Ntp,
            (true, 443 | 8443 | 853 | 993 | 995 | 465 | 8883 | 5223 | 5228) => App::Tls,
            (false, 443) => App::Quic,
            (true, 80 | 8080 | 8000 | 8008 | 49152..=49154) => App::Http,
            (false, 1900) => App::Ssdp,
            (true, 1883) => App::Mqtt,
            (false, 5683) => App::Coap,
            (false, 5684) => App::Dtls,
            (true, 554 | 8554) => App::Rtsp,
            (false, 3478 | 19302) => App::Stun,
            (_, 5060) => App::Sip,
            (true, 22) => App::Ssh,
            (true, 445) => App::Smb,
            (true, 23) => App::Telnet,
            (true, 21) => App::Ftp,
            (true, 110) => App::Pop3,
            (true, 143) => App::Imap,
            (true, 25 | 587) => App::Smtp,
            (_, 9999) => App::Tplink,
            (false, 6666 | 6667) | (true, 6668) => App::Tuya,
            (false, 10001 | 32100) => App::Kalay,
            (false, 69) => App::Tftp,
            (true, 502) => App::Modbus,
            (_, 20000) => App::Dnp3,
            (true, 2404) => App::Iec104,
            (false, 47808) => App::Bacnet,
            (true, 102) => App::S7comm,
            (_, 44818) => App::Enip,
            (false, 5351) => App::NatPmp,
            (false, 161 | 162) => App::Snmp,
            (true, 5900 | 5901) => App::Vnc,
            (true, 3389) => App::Rdp,
            (false, 514) | (true, 601) => App::Syslog,
            (true, 6514) => App::Tls,
            (false, 3702) => App::Wsd,
            (_, 389 | 3268) => App::Ldap,
            (true, 636 | 3269) => App::Tls,
            (_, 88) => App::Kerberos,
            (true, 6667) => App::Irc,
            (true, 6697) => App::Tls,
            (false, 51820) => App::Wireguard,
            (_, 1194) => App::Openvpn,
            (false, 500 | 4500) => App::Ipsec,
            (true, 179) => App::Bgp,
            (true, 1863) => App::Msnp,
            (true, 1080) => App::Socks,
            (_, 5540) => App::Matter,
            _ => App::Unknown,
        }
    };
    // The lower port is more likely the service; try it first.
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    match one(lo) {
        App::Unknown => one(hi),
        app => app,
    }
}

/// The application usually found on a flow's server port. The client's port is taken only where
/// it is a well-known UDP one (under 1024: NTP, DHCP, NetBIOS and IKE clients use their
/// service's port), or where the server's port is from the dynamic range (49152 and up) and the
/// client's is not (the flow was seen from its middle, and its sides guessed wrong). A client's
/// port is otherwise any the system handed out: a client on port 9999 is no TP-Link device, and
/// one on 49152 no UPnP web server. A TCP client under 1024 holds a reserved port (rsh, an NFS
/// mount), not its service's: an NFS client on 993 speaks no IMAP over TLS.
pub fn by_server_port(tcp: bool, server: u16, client: u16) -> App {
    match by_port(tcp, server, server) {
        App::Unknown if !tcp && client < 1024 || server >= 49152 && client < 49152 => {
            by_port(tcp, client, client)
        }
        app => app,
    }
}

/// The service usually carried in TLS on a port.
fn inside_tls(port: u16) -> Option<App> {
    Some(match port {
        443 | 8443 => App::Http,
        853 => App::Dns,
        993 => App::Imap,
        995 => App::Pop3,
        465 => App::Smtp,
        8883 => App::Mqtt,
        5061 => App::Sip,
        636 | 3269 => App::Ldap,
        6697 => App::Irc,
        6514 => App::Syslog,
        _ => return None,
    })
}

/// The service usually carried in DTLS on a port.
fn inside_dtls(port: u16) -> Option<App> {
    Some(match port {
        5684 => App::Coap,
        5061 => App::Sip,
        _ => return None,
    })
}

/// The service inside TLS as the client's ALPN offer names it; without an offer, the port's
/// service where the port is that service's own (853 DNS, 993 IMAP...), but not on 443 and 8443,
/// which carry MQTT, WebSockets and private protocols as often as HTTP.
fn inside_by_alpn(alpn: &[String], by_port: App) -> App {
    for a in alpn {
        let app = match a.as_str() {
            "http/1.1" | "http/1.0" | "h2" | "h3" => App::Http,
            s if s.starts_with("spdy/") || s.starts_with("h3-") => App::Http,
            "dot" | "doq" => App::Dns,
            "mqtt" | "x-amzn-mqtt-ca" => App::Mqtt,
            "imap" => App::Imap,
            "pop3" => App::Pop3,
            "sip/2" => App::Sip,
            _ => continue,
        };
        return app;
    }
    if alpn.is_empty() && by_port != App::Http {
        by_port
    } else {
        App::Unknown
    }
}

/// An RTSP status line (`RTSP/1.0 200 OK`) or request line (`OPTIONS rtsp://cam:8554/live
/// RTSP/1.0`: its methods are HTTP's, so the version at the end of the line tells them apart).
fn is_rtsp(b: &[u8]) -> bool {
    if b.starts_with(b"RTSP/1.") || b.starts_with(b"RTSP/2.") {
        return true;
    }
    // A request line is short; the URI of a camera's stream fits in a few hundred bytes.
    let head = &b[..b.len().min(1024)];
    let Some(end) = memchr::memchr2(b'\r', b'\n', head) else {
        return false;
    };
    let line = &head[..end];
    line.ends_with(b" RTSP/1.0") || line.ends_with(b" RTSP/2.0")
}

/// A DNSCrypt resolver's answers start with this fixed magic (behind a length on TCP); the
/// queries start with a magic of the resolver's certificate, which says nothing alone.
const DNSCRYPT_MAGIC: &[u8; 8] = b"r6fnvWj8";

/// A STUN message of RFC 3489, before RFC 5389 put a magic cookie in its header: the NAT-type
/// probes of older P2P and VoIP libraries (cameras' among them) and Zoom's reachability checks
/// still send it. Without the cookie the header says little, so the whole datagram must frame as
/// one: a Binding or Shared Secret request, response or error response, a length that is the
/// rest of the datagram, and attributes (type, length, value) that fill it exactly. At least one
/// attribute: a bare 20-byte header would match too much else.
fn classic_stun(b: &[u8]) -> bool {
    const TYPES: [u16; 6] = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112];
    let Some(h) = b.get(..20) else { return false };
    let kind = u16::from_be_bytes([h[0], h[1]]);
    let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if !TYPES.contains(&kind) || len == 0 || len % 4 != 0 || 20 + len != b.len() {
        return false;
    }
    let mut at = 20;
    while let Some(a) = b.get(at..at + 4) {
        // RFC 3489's attribute values are whole 4-byte words; RFC 5389 pads the others.
        at += 4 + usize::from(u16::from_be_bytes([a[2], a[3]])).div_ceil(4) * 4;
    }
    at == b.len()
}

/// The application a payload's first bytes reveal, when they do.
/// MSNP's first command on a connection, a line of its own: to the notification server the
/// versions the client speaks (`VER 1 MSNP8 CVR0`), to a switchboard its login (`USR 93
/// name@hotmail.com 1835953129.20013021`) or its answer to an invitation (`ANS 1 name ...`),
/// each with a transaction number; the server's reply repeats the command and the number.
fn looks_like_msnp(b: &[u8]) -> bool {
    // The command first, before any search for the line's end.
    if !matches!(b.get(..4), Some(b"VER " | b"USR " | b"ANS " | b"CVR ")) {
        return false;
    }
    let Some(line) = b
        .split(|c| *c == b'\n')
        .next()
        .filter(|l| l.len() < b.len())
    else {
        return false;
    };
    let mut words = line.trim_ascii_end().split(|c| *c == b' ');
    let (Some(cmd), Some(id), Some(_)) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    matches!(cmd, b"VER" | b"USR" | b"ANS" | b"CVR")
        && !id.is_empty()
        && id.iter().all(u8::is_ascii_digit)
        && (cmd != b"VER" || line.windows(5).any(|w| w == b" MSNP"))
}

/// An ONC RPC message over TCP (RFC 5531: NFS, its mount and lock daemons, the portmapper) at
/// the start of `b`: `Some(true)` for a call, `Some(false)` for a reply. The record mark's
/// length, then a call's RPC version 2 and a small program version, or a reply's status and
/// verifier, must all be sane: a call says which side is the client when a connection is seen
/// from its middle (an NFS client binds a port under 1024, which looks like a server's).
pub fn onc_rpc_over_tcp(b: &[u8]) -> Option<bool> {
    let word = |i: usize| {
        b.get(4 * i..4 * i + 4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
    };
    let len = word(0)? & 0x7fff_ffff;
    if !(24..=1 << 24).contains(&len) {
        return None;
    }
    match word(2)? {
        // Call: RPC version 2, a program, its version, a procedure, then the credential's
        // flavour (AUTH_NONE, AUTH_SYS, AUTH_SHORT, AUTH_DH, RPCSEC_GSS) and length.
        0 => (word(3)? == 2
            && (1..=10).contains(&word(5)?)
            && word(6)? < 1 << 16
            && matches!(word(7)?, 0..=3 | 6)
            && word(8)? <= 400)
            .then_some(true),
        // Reply: accepted (a verifier of a known flavour, then an accept status) or denied.
        1 => match word(3)? {
            0 => (matches!(word(4)?, 0..=3 | 6) && word(5)? <= 400).then_some(false),
            1 => (word(4)? <= 1).then_some(false),
            _ => None,
        },
        _ => None,
    }
}

fn by_content(p: &Packet<'_>) -> Option<App> {
    let b = p.payload;
    let at = if p.tcp { 2 } else { 0 };
    if !p.from_client && b.get(at..at + 8) == Some(DNSCRYPT_MAGIC) {
        return Some(App::Dnscrypt);
    }
    if p.tcp {
        if tls::looks_like_tls(b) {
            return Some(App::Tls);
        }
        if b.starts_with(b"SSH-") {
            return Some(App::Ssh);
        }
        // BGP (RFC 4271): a marker of sixteen 0xff bytes, the message's length (19 to 4096)
        // and its type (OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH).
        if b.len() >= 19 && b[..16].iter().all(|x| *x == 0xff) && (1..=5).contains(&b[18]) {
            let len = u16::from_be_bytes([b[16], b[17]]);
            if (19..=4096).contains(&len) {
                return Some(App::Bgp);
            }
        }
        if looks_like_msnp(b) {
            return Some(App::Msnp);
        }
        // DNS over TCP on a port of its own (a resolver on 8053, a forwarder's upstream): the
        // 2-byte length, then a message that passes the UDP test. A query is whole in its
        // segment; a long response may go on in the next.
        if let (Some(&[h, l]), Some(rest)) = (b.get(..2), b.get(2..)) {
            let n = usize::from(u16::from_be_bytes([h, l]));
            let whole = n == rest.len();
            let started = n > rest.len() && b.get(4).is_some_and(|f| f & 0x80 != 0);
            if (whole || started) && dns::looks_like_dns(rest) {
                return Some(App::Dns);
            }
        }
        if remote::rfb_version(b).is_some() {
            return Some(App::Vnc);
        }
        if remote::looks_like_rdp(b) {
            return Some(App::Rdp);
        }
        if is_rtsp(b) {
            return Some(App::Rtsp);
        }
        if http::looks_like_http(b) {
            return Some(App::Http);
        }
        // MQTT CONNECT: fixed header 0x10, then "MQTT" or "MQIsdp" as protocol name.
        if b.first() == Some(&0x10)
            && (b.windows(4).take(8).any(|w| w == b"MQTT")
                || b.windows(6).take(8).any(|w| w == b"MQIsdp"))
        {
            return Some(App::Mqtt);
        }
        if b.len() >= 8 && (b[4..8] == *b"\xffSMB" || b[4..8] == *b"\xfeSMB") {
            return Some(App::Smb);
        }
        if b.get(4..).is_some_and(iot::looks_like_kerberos) && framed_once(b) {
            return Some(App::Kerberos);
        }
        if b.starts_with(b"INVITE sip:")
            || b.starts_with(b"SIP/2.0")
            || b.starts_with(b"REGISTER sip:")
        {
            return Some(App::Sip);
        }
        if iot::looks_like_irc(b) {
            return Some(App::Irc);
        }
        // TP-Link's Kasa over TCP: a length, then the autokeyed JSON.
        if (p.src_port == 9999 || p.dst_port == 9999) && iot::looks_like_tplink(b, true) {
            return Some(App::Tplink);
        }
        if vpn::openvpn_reset(b, true).is_some_and(|r| r.exact) {
            return Some(App::Openvpn);
        }
        if remote::looks_like_tcp_syslog(b) {
            return Some(App::Syslog);
        }
    }
    // LDAP on TCP, and CLDAP on UDP (Windows clients finding their domain controller). A BER
    // SEQUENCE also frames like an MQTT PUBLISH: the whole message must parse.
    if ldap::is_message(b) {
        return Some(App::Ldap);
    }
    if let Some(app) = iot::control_protocol(b, |x| p.src_port == x || p.dst_port == x) {
        return Some(app);
    }
    if !p.tcp {
        // Kalay's P2P also uses 10001: Ubiquiti's messages are told by their framing.
        if (p.src_port == 10001 || p.dst_port == 10001) && iot::ubnt_discovery(b).is_some() {
            return Some(App::UbntDiscovery);
        }
        if (p.src_port == 5351 || p.dst_port == 5351) && iot::nat_pmp(b).is_some() {
            return Some(App::NatPmp);
        }
        if b.len() >= 20 && b[4..8] == [0x21, 0x12, 0xa4, 0x42] && b[0] & 0xc0 == 0 {
            return Some(App::Stun);
        }
        if classic_stun(b) {
            return Some(App::Stun);
        }
        // Google QUIC on a port of its own: a client hello in clear says so.
        if quic::is_gquic_hello(b) {
            return Some(App::Quic);
        }
        // HTTP over UDP is SSDP: announcements and searches on 1900, and the answers to a
        // search, which a device may send from a port of its own to the searcher's.
        if http::looks_like_http(b)
            && (p.src_port == 1900
                || p.dst_port == 1900
                || b.starts_with(b"M-SEARCH")
                || b.starts_with(b"NOTIFY")
                || b.starts_with(b"HTTP/1."))
        {
            return Some(App::Ssdp);
        }
        if b.starts_with(b"INVITE sip:")
            || b.starts_with(b"SIP/2.0")
            || b.starts_with(b"REGISTER sip:")
            || b.starts_with(b"OPTIONS sip:")
        {
            return Some(App::Sip);
        }
        if iot::looks_like_tuya(b) {
            return Some(App::Tuya);
        }
        if tftp::request(b).is_some() {
            return Some(App::Tftp);
        }
        if snmp::parse(b).is_some() {
            return Some(App::Snmp);
        }
        if wsd::looks_like_wsd(b) {
            return Some(App::Wsd);
        }
        if remote::looks_like_syslog(b) {
            return Some(App::Syslog);
        }
        if iot::looks_like_kerberos(b) {
            return Some(App::Kerberos);
        }
        // DNS on a port of its own (a resolver on 5353 or 8053, a DNSCrypt server's certificate
        // query on 443): the multicast and NetBIOS kinds keep their port's name.
        // DNSCrypt begins with a plain query for the resolver's certificate (TXT
        // "2.dnscrypt-cert.<provider>"), padded: often an IP fragment, whose datagram the
        // packet does not hold whole (so the DNS test below, which wants the end, fails).
        if b.get(4..6) == Some(&[0, 1])
            && b.get(12..28).is_some_and(|n| {
                n[0] == 1
                    && n[1] == b'2'
                    && n[2] == 13
                    && n[3..].eq_ignore_ascii_case(b"dnscrypt-cert")
            })
        {
            return Some(App::Dnscrypt);
        }
        if dns::looks_like_dns(b) {
            let by_port = by_port(false, p.src_port, p.dst_port);
            return Some(match by_port {
                App::Mdns | App::Llmnr | App::Nbns => by_port,
                _ => App::Dns,
            });
        }
        let port = |x: u16| p.src_port == x || p.dst_port == x;
        if (port(5683) || port(5684)) && iot::looks_like_coap(b) {
            return Some(App::Coap);
        }
        if port(9999) && iot::looks_like_tplink(b, false) {
            return Some(App::Tplink);
        }

        if tls::looks_like_dtls(capwap_dtls(p)) {
            return Some(App::Dtls);
        }
        // WireGuard on its port; elsewhere its data says too little, and its handshake is
        // wanted from both sides (see `label`).
        if port(51820) && vpn::wireguard_message(b).is_some() {
            return Some(App::Wireguard);
        }
        if (port(500) && vpn::looks_like_ike(b, false))
            || (port(4500) && vpn::looks_like_ike(b, true))
        {
            return Some(App::Ipsec);
        }
        if vpn::openvpn_reset(b, false).is_some_and(|r| r.exact) {
            return Some(App::Openvpn);
        }

        // QUIC long header with the fixed bit, in a padded datagram (client Initials are at
        // least 1200 bytes), of a version whose Initials can be opened.
        if b.len() >= 1200
            && b[0] & 0xc0 == 0xc0
            && quic::is_known_version(u32::from_be_bytes([b[1], b[2], b[3], b[4]]))
        {
            return Some(App::Quic);
        }
    }
    None
}

impl AppState {
    /// Hands over what is still held back (an HTTP message whose body never completed), when the
    /// flow ends.
    /// `emit` gets whether the message came from the client, and the message.
    pub fn flush(&mut self, emit: &mut dyn FnMut(bool, Message)) {
        // Segments held past a gap that never filled: the bytes the capture lost before them are
        // not coming.
        if self.held.is_some() {
            for dir in 0..2 {
                if self.reading {
                    self.release(dir, true, &mut |s, q| {
                        s.read(q, &mut |m| emit(dir == 0, m));
                    });
                } else {
                    self.release(dir, true, &mut |s, q| {
                        s.label(q);
                    });
                }
            }
            self.held = None;
        }
        for (dir, b) in self.body.iter_mut().enumerate() {
            if let Some(b) = b.take() {
                emit(dir == 0, cut(b.message));
            }
        }
        // An FTP or POP3 user name that no password followed before the end.
        if let Some(l) = self.login.as_mut().and_then(|s| s.user_alone()) {
            emit(true, Message::Login(Box::new(l)));
        }
        // An HTTP head still being joined when the flow ended: its whole lines so far.
        if self.app == App::Http && !self.starttls {
            for (dir, j) in self.tls.iter_mut().enumerate() {
                if let Some(j) = j.take() {
                    partial_head(j.bytes, &mut |m| emit(dir == 0, m));
                }
            }
        }
        if self.port_label_refuted() {
            self.app = App::Unknown;
            self.by = By::Nothing;
        }
        // The record is over: its reassembly buffers are not needed by anyone any more (a flow
        // table holds thousands of ended records until the input ends).
        self.tls = [None, None];
        self.login = None;
        self.done = true;
    }

    /// The port named a protocol whose framing content recognises, and the payload never showed
    /// it: another program on a shared port (RTP's media ports run through DNP3's 20000, a
    /// test server listens on TP-Link's 9999). Control protocols (Modbus, DNP3, IEC 104, BACnet,
    /// S7, EtherNet/IP) and TP-Link's Kasa own no port. With no payload seen (a short snap
    /// length, a handshake alone), the port stands.
    fn port_label_refuted(&self) -> bool {
        matches!(
            self.app,
            App::Modbus
                | App::Dnp3
                | App::Iec104
                | App::Bacnet
                | App::S7comm
                | App::Enip
                | App::Tplink
        ) && self.by == By::Port
            && self.seen != [0, 0]
    }

    /// True once the flow needs no more inspection.
    pub fn done(&self) -> bool {
        self.done
    }

    /// Looks at one packet of the flow; `emit` receives every message read.
    /// Labels the flow from its ports and the first payload bytes of each direction, and says
    /// whether this packet's payload is worth showing to the parsers.
    pub fn label(&mut self, p: &Packet<'_>) -> bool {
        if self.by == By::Nothing && self.seen == [0, 0] {
            // The port speaks first; the payload may correct it below.
            let port_app = p.port_app();
            if port_app != App::Unknown {
                self.app = port_app;
                self.by = By::Port;
                if port_app == App::Dtls {
                    self.inner = inside_dtls(p.src_port)
                        .or(inside_dtls(p.dst_port))
                        .unwrap_or_default();
                }
            }
        }
        if p.payload.is_empty() || self.done {
            return false;
        }
        let dir = usize::from(!p.from_client);
        self.seen[dir] = self.seen[dir].saturating_add(1);
        // STARTTLS and its kin: asked by the client, accepted by the server (LDAP's StartTLS is
        // an LDAP message, read with the others in `inspect`).
        if p.tcp
            && self.session.is_none()
            && matches!(self.app, App::Smtp | App::Imap | App::Pop3 | App::Ftp)
        {
            if p.from_client && upgrade_request(self.app, p.payload) {
                self.starttls = true;
            } else if !p.from_client && self.starttls {
                // The server's next words accept the switch or refuse it (the client may go
                // on in clear).
                if upgrade_accepted(self.app, p.payload) {
                    self.session = Some(true);
                } else {
                    self.starttls = false;
                }
            }
        }
        // Content decides from the first payloads of each direction; later ones are data.
        // After STARTTLS the TLS records are the protocol's own connection, not a new label.
        if !matches!(self.by, By::Content | By::Both | By::Control)
            && !self.starttls
            && self.seen[dir] <= CONTENT_TRIES
        {
            let port_app = || p.port_app();
            if let Some(app) = by_content(p) {
                self.by = if app == port_app() {
                    By::Both
                } else {
                    By::Content
                };
                self.app = app;
                if app == App::Tls {
                    self.inner = inside_tls(p.src_port)
                        .or(inside_tls(p.dst_port))
                        .unwrap_or_default();
                } else if app == App::Dtls {
                    self.inner = inside_dtls(p.src_port)
                        .or(inside_dtls(p.dst_port))
                        .unwrap_or_default();
                }
            } else if !p.tcp && self.app == App::Unknown && self.rtp_like(p.payload) {
                self.app = App::Rtp;
                self.by = By::Content;
            } else if p.tcp && iot::mqtt_framing(p.payload) {
                // MQTT seen mid-connection: payloads framed exactly like MQTT packets in both
                // directions (one direction alone is too easy to match by chance: the binary
                // WebSocket frames a server sends, 0x82 and a length, frame like SUBSCRIBE).
                self.vote(0, dir, App::Mqtt, port_app());
            } else if !p.tcp
                && self.seen[dir] == 1
                && vpn::wireguard_message(p.payload) == Some(if p.from_client { 1 } else { 2 })
            {
                // A WireGuard handshake on a port of its own: the initiation, then the response.
                self.vote(4, dir, App::Wireguard, port_app());
            } else if self.seen[dir] == 1
                && vpn::openvpn_reset(p.payload, p.tcp).is_some_and(|r| r.client == p.from_client)
            {
                // An OpenVPN reset whose fields tls-crypt hides: the client's and then the
                // server's, each as its side's first payload.
                self.vote(2, dir, App::Openvpn, port_app());
            } else if p.tcp
                && self.seen[dir] == 1
                && if p.from_client {
                    socks::client_first(p.payload)
                } else {
                    socks::server_first(p.payload)
                }
            {
                // A SOCKS request or greeting, then the proxy's grant or method choice: each
                // is short and binary, so both sides must show theirs.
                self.vote(6, dir, App::Socks, port_app());
            } else if p.tcp && self.seen[dir] == 1 {
                // FTP or mail on a port of its own: the server's greeting, then the client's
                // first command, each a line of text anyone could send alone.
                for (shift, app) in line_protocols(p.payload, p.from_client) {
                    self.vote(shift, dir, app, port_app());
                }
            }
        }
        if self.seen[0].min(self.seen[1]) > CONTENT_TRIES
            || self.seen[0].max(self.seen[1]) > 4 * CONTENT_TRIES
        {
            // Labelling alone has seen enough; `inspect` decides for itself when parsing is done.
            self.labelled = true;
        }
        true
    }

    /// One direction's evidence for `app` (vote bits `shift` and `shift + 1`): with both
    /// directions', the flow is `app`.
    fn vote(&mut self, shift: u16, dir: usize, app: App, port_app: App) {
        self.votes |= 1 << (shift + dir as u16);
        if (self.votes >> shift) & 3 == 3 {
            self.by = if port_app == app {
                By::Both
            } else {
                By::Content
            };
            self.app = app;
        }
    }

    /// RTP has no fixed port and a short header: a flow is taken for RTP when two packets carry
    /// the same synchronisation source with sequence numbers a few apart, or for RTCP when a
    /// control packet's length field matches the payload.
    fn rtp_like(&mut self, b: &[u8]) -> bool {
        match iot::rtp_kind(b) {
            Some(false) => usize::from(u16::from_be_bytes([b[2], b[3]])) * 4 + 4 <= b.len(),
            Some(true) => {
                let seq = u16::from_be_bytes([b[2], b[3]]);
                let ssrc = u32::from_be_bytes([b[8], b[9], b[10], b[11]]);
                let seen = self.rtp.replace((ssrc, seq));
                seen.is_some_and(|(s, q)| s == ssrc && (1..=10).contains(&seq.wrapping_sub(q)))
            }
            None => false,
        }
    }

    /// The label shown for the flow: the application, and for TLS the service inside when the
    /// port names one (`tls/dns` is DNS over TLS).
    pub fn display(&self) -> Cow<'static, str> {
        match self.display_parts() {
            (app, None) => Cow::Borrowed(app),
            (app, Some(inner)) => Cow::Owned([app, "/", inner].concat()),
        }
    }

    /// [`AppState::display`] in its two parts, the second one only for a service inside another
    /// ("tls" and "http" for "tls/http"), for callers that write them into a string of their own.
    pub fn display_parts(&self) -> (&'static str, Option<&'static str>) {
        match (self.app, self.inner) {
            // A proxy's service is the proxy, whatever it carries.
            _ if self.proxied() => (self.app.name(), None),
            (_, App::Unknown) => (self.app.name(), None),
            (app, inner) => (app.name(), Some(inner.name())),
        }
    }

    /// Whether what the flow carries is encrypted: Some(true) for TLS, QUIC, DTLS, SSH, DNSCrypt,
    /// RDP (TLS or its own RC4 layer), Kerberos and the VPN tunnels, Some(false) for the
    /// cleartext protocols, None when it cannot be told (an unrecognised application, VNC whose
    /// security type was not seen).
    pub fn encrypted(&self) -> Option<bool> {
        match self.app {
            // A VPN or DTLS port alone (a client's port can be 51820) proves nothing either way.
            App::Dtls | App::Wireguard | App::Openvpn | App::Ipsec if self.by == By::Port => None,
            // Matter is known by its port alone: its messages are encrypted once a session is
            // set up, its session setup is not, and nothing here reads which is which.
            App::Matter => None,
            App::Tls
            | App::Quic
            | App::Ssh
            | App::Dnscrypt
            | App::Rdp
            | App::Kerberos
            | App::Dtls
            | App::Wireguard
            | App::Openvpn
            | App::Ipsec => Some(true),
            App::Unknown => None,
            App::Vnc => self.session,
            // In clear until STARTTLS succeeds (LDAP, mail, FTP).
            _ => Some(self.session.unwrap_or(false)),
        }
    }

    /// The connection switched to TLS after a STARTTLS (or LDAP's StartTLS, POP3's STLS, FTP's
    /// AUTH TLS) that the server accepted.
    pub fn upgraded(&self) -> bool {
        self.starttls && self.session == Some(true)
    }

    /// The flow goes to a proxy (SOCKS; HTTP once a CONNECT was granted, or a request named a
    /// whole URL): the names its client sends are of the hosts beyond the proxy, and the
    /// answers it passes on are theirs.
    pub fn proxied(&self) -> bool {
        self.app == App::Socks || self.app == App::Http && (self.starttls || self.via_proxy)
    }

    /// Labels the flow as announced by another one (an FTP data connection): nothing in it is
    /// read.
    pub fn announced(&mut self, app: App) {
        self.app = app;
        self.by = By::Control;
        self.labelled = true;
        self.done = true;
    }

    /// True once labelling needs no more packets (parsers may still want them).
    pub fn labelled(&self) -> bool {
        self.labelled || self.done
    }

    /// Looks at one packet of the flow, TCP segments put in the order of their stream first
    /// ([`AppState::in_order`]); `emit` receives every message read, and whether the client
    /// sent it (a segment held past a gap may be handed over at a packet of the other side,
    /// whose acknowledgement showed the gap's bytes lost by the capture).
    pub fn inspect(&mut self, p: &Packet<'_>, emit: &mut dyn FnMut(bool, Message)) {
        self.reading = true;
        if p.tcp {
            self.in_order(p, &mut |s, q| {
                let client = q.from_client;
                s.read(q, &mut |m| emit(client, m));
            });
        } else {
            self.read(p, &mut |m| emit(p.from_client, m));
        }
    }

    /// Labels the flow from a packet ([`AppState::label`]), with TCP segments put in order first
    /// as [`AppState::inspect`] does, so that a flow is labelled from the same bytes whether its
    /// messages are read or not.
    pub fn label_in_order(&mut self, p: &Packet<'_>) {
        if p.tcp {
            self.in_order(p, &mut |s, q| {
                s.label(q);
            });
            if self.labelled() {
                self.held = None;
            }
        } else {
            self.label(p);
        }
    }

    /// Hands a TCP segment's new bytes to `f` in the order of the stream, each byte once, as
    /// Wireshark's reassembly of out-of-order segments and Zeek's reassembler do:
    /// - a retransmission's bytes already handed over are dropped (a partial one is cut to its
    ///   new bytes);
    /// - a segment past a gap is held until the missing bytes come, then handed over after them,
    ///   at the packet that filled the gap (Wireshark reports a reassembled message at the frame
    ///   that completed it). Holding copies the segment: the only payload copied on the packet
    ///   path, and only for segments that arrive out of order;
    /// - a gap more than [`MAX_HELD`] segments or [`MAX_HELD_BYTES`] wait on is taken for bytes
    ///   the capture lost: what was held is handed over in order, past the hole, and the parsers'
    ///   own checks see the gap. So is a gap that the other side acknowledges, before the segment
    ///   past it came or after: its bytes reached the receiver, and only the capture missed them
    ///   (Zeek's content gap).
    ///
    /// A direction's stream starts after its SYN, or at its first payload when the capture began
    /// after the handshake.
    #[inline]
    fn in_order<F: FnMut(&mut AppState, &Packet<'_>)>(&mut self, p: &Packet<'_>, f: &mut F) {
        let dir = usize::from(!p.from_client);
        if let Some(ack) = p.ack {
            self.order.ack(dir, ack);
        }
        // Nearly every segment: the next bytes of its stream, or none, with nothing held.
        if self.held.is_none() && !p.syn {
            if p.payload.is_empty() {
                return f(self, p);
            }
            if self.order.next(dir) == Some(p.seq) {
                self.order
                    .set_next(dir, p.seq.wrapping_add(p.payload.len() as u32));
                return f(self, p);
            }
        }
        self.out_of_order(p, f);
    }

    /// [`AppState::in_order`] for the segments that need more than passing on.
    #[inline(never)]
    fn out_of_order(&mut self, p: &Packet<'_>, f: &mut dyn FnMut(&mut AppState, &Packet<'_>)) {
        let dir = usize::from(!p.from_client);
        if let Some(ack) = p.ack {
            if let (Some(held), Some(next)) = (&self.held, self.order.next(1 - dir)) {
                if !held[1 - dir].segments.is_empty() && (ack.wrapping_sub(next) as i32) > 0 {
                    self.release(1 - dir, true, f);
                }
            }
        }
        let seq = if p.syn {
            let first = p.seq.wrapping_add(1);
            if self.order.next(dir).is_none() {
                self.order.set_next(dir, first);
            }
            first
        } else {
            p.seq
        };
        let len = p.payload.len() as u32;
        if len == 0 {
            return f(self, p);
        }
        let Some(next) = self.order.next(dir) else {
            self.order.set_next(dir, seq.wrapping_add(len));
            return f(self, &Packet { seq, ..*p });
        };
        // Past a gap the other side has acknowledged already: lost by the capture, nothing to
        // wait for. So with this thread's budget for held bytes spent.
        let lost = self
            .order
            .acked(1 - dir)
            .is_some_and(|a| (a.wrapping_sub(next) as i32) > 0)
            || !HeldBytes::room(p.payload.len());
        if (seq.wrapping_sub(next) as i32) > 0 && lost {
            self.held.get_or_insert_with(Default::default)[dir].gap = Some((next, seq));
            self.deliver(dir, seq, p.payload, p, f);
        } else if (seq.wrapping_sub(next) as i32) > 0 {
            let held = self.held.get_or_insert_with(Default::default);
            let h = &mut held[dir];
            // The same segment again (retransmitted before the gap filled) is held once.
            if !h
                .segments
                .iter()
                .any(|(s, b)| *s == seq && b.0.len() >= p.payload.len())
            {
                h.segments.push((seq, HeldBytes::new(p.payload)));
                h.ports = (p.src_port, p.dst_port);
            }
            if h.segments.len() > MAX_HELD || h.bytes() > MAX_HELD_BYTES {
                self.release(dir, true, f);
            }
        } else {
            if self.held.is_some() {
                self.late(dir, &Packet { seq, ..*p }, f);
            }
            self.deliver(dir, seq, p.payload, p, f);
            if self.held.is_some() {
                self.release(dir, false, f);
            }
        }
        if self.done {
            self.held = None;
        }
    }

    /// Hands over the bytes of a segment that the stream has not had yet.
    fn deliver(
        &mut self,
        dir: usize,
        seq: u32,
        payload: &[u8],
        like: &Packet<'_>,
        f: &mut dyn FnMut(&mut AppState, &Packet<'_>),
    ) {
        let next = self.order.next(dir).unwrap_or(seq);
        let end = seq.wrapping_add(payload.len() as u32);
        if (end.wrapping_sub(next) as i32) <= 0 {
            return;
        }
        let skip = if (seq.wrapping_sub(next) as i32) < 0 {
            next.wrapping_sub(seq) as usize
        } else {
            0
        };
        self.order.set_next(dir, end);
        let q = Packet {
            payload: &payload[skip..],
            seq: seq.wrapping_add(skip as u32),
            syn: false,
            ..*like
        };
        f(self, &q);
    }

    /// Hands over the held segments of a direction that the stream has now reached, or all of
    /// them in order when `give_up` (the gap before them is not coming).
    fn release(
        &mut self,
        dir: usize,
        give_up: bool,
        f: &mut dyn FnMut(&mut AppState, &Packet<'_>),
    ) {
        while let (Some(held), Some(next)) = (self.held.as_mut(), self.order.next(dir)) {
            let h = &mut held[dir];
            let first =
                (0..h.segments.len()).min_by_key(|&k| h.segments[k].0.wrapping_sub(next) as i32);
            let Some(k) = first else { break };
            if !give_up && (h.segments[k].0.wrapping_sub(next) as i32) > 0 {
                break;
            }
            let (seq, bytes) = h.segments.swap_remove(k);
            if (seq.wrapping_sub(next) as i32) > 0 {
                h.gap = Some((next, seq));
            }
            let like = Packet {
                payload: &[],
                tcp: true,
                src_port: h.ports.0,
                dst_port: h.ports.1,
                from_client: dir == 0,
                seq,
                syn: false,
                ack: None,
            };
            self.deliver(dir, seq, &bytes.0, &like, f);
        }
        if self
            .held
            .as_ref()
            .is_some_and(|h| h.iter().all(|d| d.segments.is_empty() && d.gap.is_none()))
        {
            self.held = None;
        }
    }

    /// Hands over the part of a segment that fills the gap a direction's stream was given up on,
    /// when it comes after all (a capture whose frames are out of time order, as captures of
    /// two interfaces merged are, shows an acknowledgement before the bytes it acknowledges).
    /// The parsers get those bytes after the ones that followed them, rather than never.
    fn late(&mut self, dir: usize, p: &Packet<'_>, f: &mut dyn FnMut(&mut AppState, &Packet<'_>)) {
        let Some(h) = self.held.as_mut() else { return };
        let Some((start, end)) = h[dir].gap else {
            return;
        };
        let len = p.payload.len() as u32;
        let from = start.wrapping_sub(p.seq);
        let to = end.wrapping_sub(p.seq);
        // The gap's first bytes must be in the segment (one that starts inside the gap is the
        // rest of a part already handed over, or a retransmission).
        if from >= len || (to.wrapping_sub(from) as i32) <= 0 {
            return;
        }
        h[dir].gap = None;
        let to = to.min(len);
        let q = Packet {
            payload: &p.payload[from as usize..to as usize],
            seq: start,
            syn: false,
            ..*p
        };
        f(self, &q);
    }

    /// Reads a packet whose bytes come in the order of its stream.
    fn read(&mut self, p: &Packet<'_>, emit: &mut dyn FnMut(Message)) {
        if !self.label(p) {
            return;
        }
        let dir = usize::from(!p.from_client);
        // SOCKS 4 away from its port: the request is the client's first message, read before
        // the proxy's grant labels the flow (a SOCKS 5 request comes after the greeting's
        // answer). The analysis takes it only from a flow that turned out to be SOCKS.
        if self.app != App::Socks
            && p.tcp
            && p.from_client
            && self.seen[0] == 1
            && p.payload.first() == Some(&4)
        {
            if let Some(t) = socks::target(p.payload) {
                emit(Message::SocksRequest(Box::new(t)));
            }
        }
        match self.app {
            // A cleartext protocol switched to TLS (STARTTLS): its hellos and certificate are
            // read like any TLS connection's.
            _ if self.upgraded() => {
                self.login = None;
                self.login_over = true;
                // The protocol's own answer that accepted the switch is not TLS yet; a record
                // begun is followed into the segments that carry the rest of it.
                if p.tcp && (self.tls[dir].is_some() || matches!(p.payload.first(), Some(20..=23)))
                {
                    self.tls(p, dir, emit);
                }
            }
            App::Dns | App::Mdns | App::Llmnr => {
                if p.tcp {
                    self.dns_tcp(p, dir, emit);
                } else if let Some(m) = DNS.with_borrow_mut(|c| {
                    c.get_or_read(p.payload, |b| dns::parse(b).ok(), dns::DnsMessage::weight)
                }) {
                    self.by = if self.by == By::Port {
                        By::Both
                    } else {
                        self.by
                    };
                    emit(Message::Dns(m));
                }
                // Every message of a name-service flow is worth reading.
                return;
            }
            // Its certificate queries and their answers are plain DNS, read as such; the rest is
            // encrypted (the resolver's answers start with its magic, the queries look random).
            App::Dnscrypt => {
                if !p.tcp && p.payload.get(..8) != Some(DNSCRYPT_MAGIC) {
                    if let Ok(m) = dns::parse(p.payload) {
                        if !m.questions.is_empty() {
                            emit(Message::Dns(Arc::new(m)));
                        }
                    }
                }
                return;
            }
            App::Nbns => {
                let read = |b: &[u8]| {
                    let mut m = dns::parse(b).ok()?;
                    for q in &mut m.questions {
                        q.name = iot::netbios_name(&q.name);
                    }
                    for r in &mut m.records {
                        r.name = iot::netbios_name(&r.name);
                    }
                    Some(m)
                };
                let weight = dns::DnsMessage::weight;
                if let Some(m) = NBNS.with_borrow_mut(|c| c.get_or_read(p.payload, read, weight)) {
                    self.by = By::Both;
                    emit(Message::Dns(m));
                }
                return;
            }
            App::Mqtt if p.tcp && p.from_client && self.seen[0] == 1 => {
                if let Some(c) = iot::mqtt_connect(p.payload) {
                    // A CONNECT that names a user is a login in clear, with or without password.
                    if c.password || c.user.is_some() {
                        let l = Login {
                            protocol: "mqtt".into(),
                            method: "CONNECT".into(),
                            user: c.user.clone(),
                            password: c.password,
                            secret: 0,
                        };
                        emit(Message::Login(Box::new(l)));
                    }
                    emit(Message::Mqtt(Box::new(c)));
                }
            }
            App::Mqtt if p.tcp && !p.from_client && self.seen[1] == 1 => {
                if let Some(code) = iot::mqtt_connack(p.payload) {
                    emit(Message::MqttConnAck(code));
                }
            }
            App::Ssh if self.seen[dir] == 1 => {
                if let Some(line) = p
                    .payload
                    .starts_with(b"SSH-")
                    .then(|| iot::banner(p.payload))
                    .flatten()
                {
                    emit(Message::Banner(line));
                }
            }
            App::Dhcp => {
                if let Some(d) = dhcp::parse(p.payload) {
                    self.by = By::Both;
                    emit(Message::Dhcp(Box::new(d)));
                }
                return;
            }
            App::Dhcpv6 => {
                if let Some(d) = dhcp::parse_v6(p.payload) {
                    self.by = By::Both;
                    emit(Message::Dhcpv6(Box::new(d)));
                }
                return;
            }
            App::Ssdp => {
                let read = |b: &[u8]| match http::request(b) {
                    Some(r) => Some(Message::HttpRequest(Arc::new(r))),
                    None => http::response(b).map(|r| Message::HttpResponse(Arc::new(r))),
                };
                // A head's texts are copies of its bytes' (twice them: a room to spare).
                let weight = |_: &Message| 2 * p.payload.len();
                if let Some(m) = SSDP.with_borrow_mut(|c| c.get_or_read(p.payload, read, weight)) {
                    if matches!(*m, Message::HttpRequest(_)) {
                        self.by = By::Both;
                    }
                    emit(Message::clone(&m));
                }
                return;
            }
            // (Code 0.00, the bare acknowledgements, resets and pings, are not read.)
            App::Coap if !p.tcp && p.payload.get(1).is_some_and(|&c| c != 0) => {
                if let Some(m) = crate::coap::parse(p.payload) {
                    self.by = By::Both;
                    emit(Message::Coap(Box::new(m)));
                }
            }
            App::Ntp => {
                if let Some(n) = ntp::parse(p.payload) {
                    self.by = By::Both;
                    emit(Message::Ntp(Box::new(n)));
                }
            }
            App::Snmp if !p.tcp => {
                if let Some(m) = snmp::parse(p.payload) {
                    // The community is the password of v1 and v2c: one login per flow.
                    if m.community && !self.login_over {
                        self.login_over = true;
                        emit(Message::Login(Box::new(Login {
                            protocol: "snmp".into(),
                            method: format!("community (v{})", m.version),
                            user: None,
                            password: true,
                            secret: m.secret,
                        })));
                    }
                    emit(Message::Snmp(Box::new(m)));
                }
            }
            App::Vnc if p.tcp => {
                if self.seen[dir] == 1 {
                    if let Some(v) = remote::rfb_version(p.payload) {
                        if p.from_client {
                            self.rfb33 = v == "3.3";
                        }
                        let line = String::from_utf8_lossy(&p.payload[..11]).into_owned();
                        emit(Message::Banner(line));
                    }
                } else if self.seen[dir] == 2 && !(p.from_client && self.rfb33) {
                    let security = if p.from_client {
                        remote::vnc_choice(p.payload)
                    } else {
                        remote::vnc_offer(p.payload)
                    };
                    if let Some(s) = security {
                        // The client's choice decides; a server's single type (RFB 3.3 decides
                        // on the server) stands until then.
                        if s.chosen || s.types.len() == 1 && self.session.is_none() {
                            self.session = remote::vnc_encrypts(s.types[0]);
                        }
                        if s.chosen && s.types == [19] {
                            self.vencrypt = 1;
                        }
                        emit(Message::VncSecurity(Box::new(s)));
                    }
                } else if p.from_client && self.vencrypt > 0 {
                    // VeNCrypt: the client's version (its 3rd message), then its sub-type, and
                    // for Plain the user and password, in the same segment or the next.
                    let plain = if self.vencrypt == 2 {
                        self.vencrypt = 0;
                        remote::plain_login(p.payload)
                    } else if let Some((t, creds)) = remote::vencrypt_choice(p.payload) {
                        self.session = Some(!matches!(t, 256));
                        self.vencrypt = if t == 256 && creds.is_none() { 2 } else { 0 };
                        emit(Message::VncSecurity(Box::new(remote::VncSecurity {
                            types: vec![19],
                            chosen: true,
                            vencrypt: Some(t),
                        })));
                        creds
                    } else {
                        None
                    };
                    if let Some((user, password)) = plain {
                        emit(Message::Login(Box::new(Login {
                            protocol: "vnc".into(),
                            method: "VeNCrypt Plain".into(),
                            user: Some(user),
                            password,
                            secret: 0,
                        })));
                    }
                }
            }
            App::Ldap => {
                // Binds come first; a few messages per packet are enough (search results can be
                // many).
                for (m, bind) in ldap::parse_all(p.payload, 4) {
                    if let Some(b) = bind {
                        emit(Message::Login(Box::new(Login {
                            protocol: "ldap".into(),
                            method: b.method.into(),
                            user: b.user,
                            password: b.password,
                            secret: b.secret,
                        })));
                    }
                    if m.op == "extended-request" && m.starttls {
                        self.starttls = true;
                    }
                    // The answer to StartTLS: accepted, what follows is TLS, read as such;
                    // refused, the connection goes on in clear.
                    let answer = self.starttls && m.op == "extended-response";
                    let switched = answer && m.result == Some("success");
                    self.starttls &= !answer || switched;
                    emit(Message::Ldap(Box::new(m)));
                    if switched {
                        self.session = Some(true);
                        return;
                    }
                }
            }
            App::Wsd if !p.tcp => {
                if let Some(w) = wsd::parse(p.payload) {
                    emit(Message::Wsd(Box::new(w)));
                }
            }
            App::NatPmp if !p.tcp => {
                if let Some(m) = iot::nat_pmp(p.payload) {
                    emit(Message::NatPmp(Box::new(m)));
                }
            }
            App::Netbios if !p.tcp => {
                if let Some(d) = iot::netbios_datagram(p.payload) {
                    self.by = By::Both;
                    emit(Message::NetbiosDatagram(Box::new(d)));
                }
            }
            App::UbntDiscovery if !p.tcp => {
                if let Some(u) = iot::ubnt_discovery(p.payload) {
                    emit(Message::Ubnt(Box::new(u)));
                }
            }
            App::Tftp if p.from_client => {
                if let Some(r) = tftp::request(p.payload) {
                    emit(Message::Tftp(Box::new(r)));
                }
            }
            App::Http => {
                // A proxy's tunnel (CONNECT granted): the client's first bytes through it say
                // whether it carries TLS; HTTP in clear inside is read as HTTP.
                if self.starttls && self.session.is_none() {
                    if p.from_client || tls::looks_like_tls(p.payload) {
                        self.tunnel_opened(p, dir, emit);
                    }
                    if self.session != Some(false) {
                        return;
                    }
                }
                // Every request and response head of an HTTP flow counts: keep reading.
                self.http(p, dir, emit);
                return;
            }
            App::Socks if p.tcp => {
                self.socks(p, dir, emit);
                // A connection in clear through the proxy: every HTTP head in it counts.
                if self.session == Some(false) {
                    return;
                }
            }
            App::Tls if p.tcp => self.tls(p, dir, emit),
            App::Quic if !p.tcp && p.from_client => self.quic(p, emit),
            App::Dtls if !p.tcp => self.dtls(p, dir, emit),
            App::Telnet | App::Ftp | App::Pop3 | App::Imap | App::Smtp if p.tcp => {
                if self.app == App::Ftp {
                    if let Some(ch) = ftp::announcement(p.payload, p.from_client) {
                        emit(Message::FtpData(ch));
                    }
                }
                if self.login_over {
                    return;
                }
                let kind = match self.app {
                    App::Telnet => login::Kind::Telnet,
                    App::Ftp => login::Kind::Ftp,
                    App::Pop3 => login::Kind::Pop3,
                    App::Imap => login::Kind::Imap,
                    _ => login::Kind::Smtp,
                };
                let state = self
                    .login
                    .get_or_insert_with(|| Box::new(LoginState::new(kind)));
                if p.from_client {
                    if let Some(l) = state.from_client(p.payload) {
                        emit(Message::Login(Box::new(l)));
                    }
                } else {
                    if self.seen[1] == 1 && self.app != App::Telnet {
                        if let Some(line) = iot::banner(p.payload) {
                            emit(Message::Banner(line));
                        }
                    }
                    if let Some(a) = state.from_server(p.payload) {
                        emit(Message::LoginAnswer(Box::new(a)));
                    }
                }
                // A login can come after many packets (telnet sends a character per packet).
                if !state.done && self.seen[0] + self.seen[1] < LOGIN_PACKETS {
                    return;
                }
                self.login = None;
                self.login_over = true;
                // A control connection announces data connections until it closes.
                self.done = self.app != App::Ftp;
                return;
            }
            _ => {}
        }
        if self.seen[0] >= INSPECT && self.seen[1] >= INSPECT
            || self.seen[0] + self.seen[1] >= 4 * INSPECT
            || self.tls_seen[0] && self.tls_seen[1]
        {
            self.done = true;
            self.tls = [None, None];
        }
    }

    /// DNS over TCP: messages behind their 2-byte length, one after another, joined across
    /// segments. The bytes come in the order of the stream (`in_order`); where the capture lost
    /// some, the message they belonged to is skipped to its end by its length, and when the
    /// boundaries themselves are lost nothing is read until a segment starts with a message
    /// again (never a message made of the middle of another). Per direction, the join's `bytes`
    /// are the start of a message whose end is to come, `next_seq` the stream's position after
    /// the last byte read, `want` the bytes still to skip of a message the capture cut, and
    /// `stalls` 1 while the boundaries are lost.
    fn dns_tcp(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message)) {
        // The first bytes read of a direction that the capture lost bytes of before them: no
        // boundary is known.
        let lost_before = self.held.as_ref().is_some_and(|h| h[dir].gap.is_some());
        let mut j = self.tls[dir].take().unwrap_or_else(|| {
            let mut j = Box::new(Join::new());
            j.next_seq = p.seq;
            j.stalls = u8::from(lost_before);
            j
        });
        let ahead = p.seq.wrapping_sub(j.next_seq) as i32;
        if ahead < 0 {
            // The late bytes of a gap already given up: their message is gone.
            self.tls[dir] = Some(j);
            return;
        }
        if ahead > 0 {
            let lost = ahead as usize;
            if j.stalls == 0 && j.bytes.len() >= 2 {
                // Lost inside the message being joined: skip to its end.
                let total = 2 + usize::from(u16::from_be_bytes([j.bytes[0], j.bytes[1]]));
                match total.checked_sub(j.bytes.len() + lost) {
                    Some(left) => j.want = left,
                    None => j.stalls = 1,
                }
            } else if j.stalls == 0 && j.bytes.is_empty() && lost <= j.want {
                j.want -= lost;
            } else {
                j.stalls = 1;
            }
            j.bytes.clear();
        }
        j.next_seq = p.seq.wrapping_add(p.payload.len() as u32);
        let mut data = p.payload;
        let skip = j.want.min(data.len());
        data = &data[skip..];
        j.want -= skip;
        if j.stalls != 0 {
            // Lost in step: a segment that starts with a message behind its length takes it up
            // again, and so does a message after a segment of its length alone (clients often
            // write the two bytes first).
            let lone_length = j.bytes.len() == 2;
            if data.len() >= 14 && dns::looks_like_dns(&data[2..]) {
                j.bytes.clear();
            } else if !(lone_length && dns::looks_like_dns(data)) {
                j.bytes.clear();
                if data.len() == 2 {
                    j.bytes.extend_from_slice(data);
                }
                self.tls[dir] = Some(j);
                return;
            }
            j.stalls = 0;
        }
        let joined: Vec<u8>;
        let data: &[u8] = if j.bytes.is_empty() {
            data
        } else {
            j.bytes.extend_from_slice(data);
            joined = std::mem::take(&mut j.bytes);
            &joined
        };
        let mut rest = data;
        while rest.len() >= 2 {
            let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            let Some(msg) = rest.get(2..2 + n) else { break };
            if let Ok(m) = dns::parse(msg) {
                if self.by == By::Port {
                    self.by = By::Both;
                }
                emit(Message::Dns(Arc::new(m)));
            }
            rest = &rest[2 + n..];
        }
        // The start of a message whose end is still to come: joined up to the largest a join
        // holds, skipped past beyond that.
        j.bytes.clear();
        if rest.len() >= 2 {
            let total = 2 + usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            if total > MAX_JOIN {
                j.want = total - rest.len();
                rest = &[];
            }
        }
        j.bytes.extend_from_slice(rest);
        self.tls[dir] = Some(j);
    }

    /// The client's first bytes through a proxy's tunnel (SOCKS, HTTP CONNECT): TLS is read
    /// from there as after STARTTLS ([`AppState::upgraded`]); anything else is in clear. When the
    /// capture lost the client's first bytes, the server's TLS handshake says it as well.
    fn tunnel_opened(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message)) {
        let tls = tls::looks_like_tls(p.payload);
        self.session = Some(tls);
        if tls {
            self.tls(p, dir, emit);
        }
    }

    /// A SOCKS handshake: a login in clear (RFC 1929) and its answer, then the proxy's grant,
    /// after which the client's first bytes say whether the connection it carries is TLS (read
    /// then as STARTTLS's is) or in clear.
    fn socks(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message)) {
        let b = p.payload;
        // The connection the proxy carries, once granted: TLS is read from the upgraded arm of
        // `inspect`; HTTP in clear is read as HTTP.
        if self.starttls {
            if self.session.is_none() && (p.from_client || tls::looks_like_tls(p.payload)) {
                self.tunnel_opened(p, dir, emit);
            }
            if self.session == Some(false) {
                self.http(p, dir, emit);
            }
            return;
        }
        if !p.from_client {
            if self.seen[1] == 1 && b == [5, 2] {
                self.socks_auth = 1;
            } else if let Some(granted) = socks::reply(b) {
                self.starttls = granted;
            } else if let Some(accepted) = socks::user_password_status(b) {
                if self.socks_auth == 2 {
                    self.socks_auth = 0;
                    emit(Message::LoginAnswer(Box::new(login::LoginAnswer {
                        accepted,
                        reply: format!("status {}", b[1]),
                    })));
                }
            }
        } else if let Some(t) = socks::target(b) {
            emit(Message::SocksRequest(Box::new(t)));
        } else if self.socks_auth == 1 {
            if let Some((user, pass)) = socks::user_password(b) {
                self.socks_auth = 2;
                emit(Message::Login(Box::new(Login {
                    protocol: "socks".into(),
                    method: "USER/PASS".into(),
                    user: Some(String::from_utf8_lossy(user).into_owned()),
                    password: !pass.is_empty(),
                    secret: login::fingerprint(pass),
                })));
            }
        }
    }

    /// Opens client Initial packets and gathers their CRYPTO data until the ClientHello is whole.
    fn quic(&mut self, p: &Packet<'_>, emit: &mut dyn FnMut(Message)) {
        if self.tls_seen[0] {
            return;
        }
        // Google's own QUIC, whose first versions said their hello in clear.
        if let Some(h) = quic::gquic_hello(p.payload) {
            emit(Message::GquicHello(Box::new(h)));
            self.tls_seen[0] = true;
            self.tls[0] = None;
            return;
        }
        let j = self.tls[0].get_or_insert_with(|| {
            let mut j = Box::new(Join::new());
            j.bytes.reserve(4096);
            j
        });
        let opened = quic::open_initials(p.payload, &mut |off, data| {
            let (off, end) = (off as usize, off as usize + data.len());
            if end > MAX_JOIN {
                return;
            }
            if j.bytes.len() < end {
                j.bytes.resize(end, 0);
            }
            j.bytes[off..end].copy_from_slice(data);
            j.fill(off, end);
        });
        if opened.is_some() {
            self.by = if self.by == By::Port {
                By::Both
            } else {
                self.by
            };
        }
        let have = &j.bytes[..j.want.min(j.bytes.len())];
        if have.len() >= 4 && have[0] == 1 {
            let n = tls::be24(&have[1..]);
            if have.len() >= 4 + n {
                if let Some(h) = tls::client_hello(&have[..4 + n], true) {
                    emit(Message::ClientHello(tls::shared(h)));
                }
                self.tls_seen[0] = true;
                self.tls[0] = None;
            }
        }
    }

    /// Reads HTTP heads, joining a head split over several segments.
    fn http(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message)) {
        self.http_at(p, dir, emit, 0);
    }

    /// [`AppState::http`], for a segment whose first `depth` messages were read already (several
    /// pipelined requests, or their responses, in one segment).
    fn http_at(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message), depth: u8) {
        if let Some(b) = self.body[dir].as_mut() {
            // Body bytes count in any order (segments come out of order); retransmissions once.
            let off = u64::from(p.seq.wrapping_sub(b.start));
            if off < b.length {
                // The body's first bytes, once (a retransmission brings them again).
                if off == 0 && b.ranges.first().is_none_or(|r| r.0 > 0) {
                    sniff(&mut b.message, p.payload);
                    let n = p.payload.len().min(b.length as usize);
                    body_secrets(&mut b.message, &p.payload[..n], emit);
                }
                b.add(off, (off + p.payload.len() as u64).min(b.length));
                if b.covered >= b.length {
                    if let Some(b) = self.body[dir].take() {
                        emit(b.message);
                    }
                }
                return;
            }
            if off >= 1 << 31 {
                // Before the body: a retransmission of the head or of earlier data.
                return;
            }
            // Past the announced body: the body is as complete as it will get.
            if let Some(b) = self.body[dir].take() {
                let done = b.covered >= b.length;
                emit(if done { b.message } else { cut(b.message) });
            }
        }
        let joined: Option<Vec<u8>> = match self.tls[dir].as_mut() {
            Some(j) => {
                if p.seq != j.next_seq {
                    if j.stalled(p.seq) {
                        if let Some(j) = self.tls[dir].take() {
                            partial_head(j.bytes, emit);
                        }
                    }
                    return;
                }
                j.bytes.extend_from_slice(p.payload);
                j.next_seq = p.seq.wrapping_add(p.payload.len() as u32);
                if !has_head_end(&j.bytes) {
                    if j.bytes.len() > MAX_HEAD {
                        self.tls[dir] = None;
                    }
                    return;
                }
                self.tls[dir].take().map(|j| j.bytes)
            }
            None => {
                if !http::looks_like_http(p.payload) && !http::may_start_http(p.payload) {
                    return;
                }
                if !has_head_end(p.payload) && p.payload.len() < MAX_HEAD {
                    let mut j = Box::new(Join {
                        bytes: Vec::with_capacity(MAX_HEAD + 1500),
                        next_seq: 0,
                        want: 0,
                        scratch: Vec::new(),
                        stalls: 0,
                        ahead: Vec::new(),
                    });
                    j.bytes.extend_from_slice(p.payload);
                    j.next_seq = p.seq.wrapping_add(p.payload.len() as u32);
                    self.tls[dir] = Some(j);
                    return;
                }
                None
            }
        };
        let head = joined.as_deref().unwrap_or(p.payload);
        let (message, length, head_end) = if let Some((r, head_end)) = http::request_head(head) {
            if let Some(login) = basic_login(&r) {
                emit(login);
            }
            let n = r.content_length.unwrap_or(0);
            self.connect = r.method == "CONNECT";
            self.via_proxy |= http::absolute_host(&r.uri).is_some();
            (Message::HttpRequest(Arc::new(r)), n, head_end)
        } else if let Some((r, head_end)) = http::response_head(head) {
            let n = r.content_length.unwrap_or(0);
            // The proxy opened the tunnel: what follows is the client's connection, not HTTP.
            if std::mem::take(&mut self.connect) && (200..300).contains(&r.status) {
                self.starttls = true;
            }
            (Message::HttpResponse(Arc::new(r)), n, head_end)
        } else {
            return;
        };
        let mut message = message;
        // Like tshark, a message is reported with the frame that completes its body.
        let body_here = head_end
            .or_else(|| head_len(head))
            .map_or(0, |h| head.len() - h) as u64;
        if body_here > 0 {
            let body = &head[head.len() - body_here as usize..];
            sniff(&mut message, body);
            // A pipelined request after the body is not of it.
            body_secrets(&mut message, &body[..body.len().min(length as usize)], emit);
        }
        if body_here >= length {
            emit(message);
            // Pipelined: the segment goes on with the next message, read as a segment of its own
            // (its last bytes; a bounded number of them).
            let extra = (body_here - length) as usize;
            let rest = &head[head.len() - extra..];
            if extra > 0
                && depth < MAX_PIPELINED
                && (http::looks_like_http(rest) || http::may_start_http(rest))
            {
                let q = Packet {
                    payload: rest,
                    seq: p
                        .seq
                        .wrapping_add(p.payload.len() as u32)
                        .wrapping_sub(extra as u32),
                    ..*p
                };
                self.http_at(&q, dir, emit, depth + 1);
            }
        } else {
            // The body starts where the head ends, in the sequence space of this segment.
            let start = p
                .seq
                .wrapping_add(p.payload.len() as u32)
                .wrapping_sub(body_here as u32);
            let mut b = Body {
                message,
                start,
                length,
                covered: 0,
                ranges: Vec::with_capacity(MAX_RANGES + 1),
            };
            b.add(0, body_here);
            self.body[dir] = Some(Box::new(b));
        }
    }

    /// Reads a DTLS handshake's ClientHello, ServerHello and certificate, which may come in
    /// fragments, over several datagrams (a certificate chain is larger than a datagram) and
    /// more than once (a flight is resent when its answer is lost; a client sends its hello again
    /// with the cookie of a HelloVerifyRequest).
    fn dtls(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message)) {
        if self.tls_seen[dir] {
            return;
        }
        let mut emitted = self.tls_emitted[dir];
        let mut finished = false;
        let mut give_up = false;
        let mut join = self.tls[dir].take();
        let encrypted = tls::dtls_fragments(capwap_dtls(p), &mut |fr| {
            // Each side's hello and certificate, whichever side the capture saw first (a CAPWAP
            // controller may speak before the access point opens its session).
            let bit = match fr.msg_type {
                1 | 2 => 1,
                11 => 2,
                // ServerHelloDone: no certificate is coming, unless one is still being joined
                // (a datagram of the flight was lost or came late, and is sent again).
                14 => {
                    finished |= join.as_ref().is_none_or(|j| j.bytes.is_empty());
                    return;
                }
                _ => return,
            };
            if emitted & bit != 0 || fr.length > MAX_JOIN || fr.data.is_empty() {
                return;
            }
            if fr.offset == 0 && fr.data.len() == fr.length {
                // Whole in one fragment: read in place.
                emitted |= bit;
                finished |= dtls_message(fr.msg_type, fr.raw, &mut Vec::new(), emit);
                return;
            }
            // Fragments are joined in a buffer laid out as one whole DTLS message (offset 0,
            // fragment length the message's); `next_seq` holds the message sequence number
            // being joined. Another message, or the same one announced with another length,
            // starts the buffer again, a few times at most.
            let j = join.get_or_insert_with(|| Box::new(Join::new()));
            let same = !j.bytes.is_empty()
                && j.next_seq == u32::from(fr.message_seq)
                && j.bytes[0] == fr.msg_type
                && j.bytes.len() == tls::DTLS_HANDSHAKE + fr.length;
            if !same {
                if !j.bytes.is_empty() {
                    j.stalls += 1;
                    if j.stalls >= MAX_STALLS {
                        give_up = true;
                        return;
                    }
                }
                j.bytes.clear();
                j.bytes.extend_from_slice(&fr.raw[..tls::DTLS_HANDSHAKE]);
                j.bytes.resize(tls::DTLS_HANDSHAKE + fr.length, 0);
                j.bytes[6..9].fill(0);
                j.bytes[9..12].copy_from_slice(&fr.raw[1..4]);
                j.next_seq = u32::from(fr.message_seq);
                j.want = 0;
                j.ahead.clear();
            }
            let (off, end) = (fr.offset, fr.offset + fr.data.len());
            if end > fr.length {
                return;
            }
            j.bytes[tls::DTLS_HANDSHAKE + off..tls::DTLS_HANDSHAKE + end].copy_from_slice(fr.data);
            j.fill(off, end);
            if j.want < fr.length {
                return;
            }
            emitted |= bit;
            let mut whole = std::mem::take(&mut j.bytes);
            finished |= dtls_message(fr.msg_type, &whole, &mut j.scratch, emit);
            whole.clear();
            j.bytes = whole;
            j.want = 0;
        });
        self.tls_emitted[dir] = emitted;
        if encrypted || finished || give_up {
            self.tls_seen[dir] = true;
        } else {
            self.tls[dir] = join;
        }
    }

    /// Reads the first handshake message of a direction, joining segments when needed.
    fn tls(&mut self, p: &Packet<'_>, dir: usize, emit: &mut dyn FnMut(Message)) {
        if self.tls_seen[dir] {
            return;
        }
        let mut join = self.tls[dir].take();
        if let Some(j) = join.as_mut() {
            if p.seq != j.next_seq {
                // Out of order or retransmitted: only in-order bytes are joined.
                if j.stalled(p.seq) {
                    self.tls_seen[dir] = true;
                } else {
                    self.tls[dir] = join;
                }
                return;
            }
            j.bytes.extend_from_slice(p.payload);
            j.next_seq = p.seq.wrapping_add(p.payload.len() as u32);
        }
        let mut scratch = join
            .as_mut()
            .map(|j| std::mem::take(&mut j.scratch))
            .unwrap_or_default();
        let stream: &[u8] = join.as_ref().map_or(p.payload, |j| &j.bytes);
        // A server may warn before its hello (an alert "unrecognized name" for an SNI it does
        // not serve): short alert records ahead of the handshake are stepped over.
        let mut stream = stream;
        // And in the client's second flight, a ChangeCipherSpec (TLS 1.3's middlebox
        // compatibility) ahead of a second ClientHello.
        let second_flight = self.tls_emitted[dir] & 4 != 0;
        while let [t @ (20 | 21), 3, _, hi, lo, ..] = *stream {
            if t == 20 && !second_flight {
                break;
            }
            let n = usize::from(u16::from_be_bytes([hi, lo]));
            match stream.get(5 + n..) {
                Some(rest) if n <= 32 => stream = rest,
                _ => break,
            }
        }
        // Only a warning so far: the hello may come in the next segment.
        if stream.is_empty() && join.is_none() {
            return;
        }
        if stream.first() != Some(&22) {
            self.tls_seen[dir] = true;
            return;
        }
        let emitted = &mut self.tls_emitted[dir];
        let mut finished = false;
        let mut read_hello = false;
        let mut offered: Option<Vec<String>> = None;
        let other_record = tls::handshake_messages(stream, &mut scratch, &mut |m| match m[0] {
            // A ClientHello again where the second flight was awaited: the answer to a server's
            // HelloRetryRequest (a key share it did not take; the first one retransmitted never
            // comes here, `in_order` drops it). Nothing more is read.
            1 if *emitted & 4 != 0 => {
                finished = true;
                if let Some(h) = tls::client_hello(m, false) {
                    emit(Message::ClientHello(tls::shared(h)));
                }
            }
            1 if *emitted & 1 == 0 => {
                *emitted |= 1;
                finished = true;
                read_hello = true;
                if let Some(h) = tls::client_hello(m, false) {
                    offered = Some(h.alpn.clone());
                    emit(Message::ClientHello(tls::shared(h)));
                }
            }
            2 if *emitted & 1 == 0 => {
                *emitted |= 1;
                if let Some(h) = tls::server_hello(m) {
                    // From TLS 1.3 on, the certificate is encrypted.
                    finished |= h.selected_version >= 0x0304;
                    emit(Message::ServerHello(Box::new(h)));
                }
            }
            11 if *emitted & 2 == 0 => {
                *emitted |= 2;
                finished = true;
                if let Some(c) = cert::leaf(m) {
                    emit(Message::Certificate(c));
                }
            }
            // ServerHelloDone: no certificate is coming from the server; ClientKeyExchange:
            // none came from the client.
            14 | 16 => finished = true,
            _ => {}
        });
        if let Some(alpn) = offered {
            self.inner = inside_by_alpn(&alpn, self.inner);
        }
        if finished || other_record || stream.len() >= MAX_JOIN {
            // A client that authenticates with a certificate (TLS 1.2 and older: mutual TLS to
            // a cloud's MQTT broker, a VPN) sends it in clear in its second flight, after the
            // server's: once the ClientHello is read, the client's next flight is looked at.
            if dir == 0 && self.tls_emitted[0] == 1 && !other_record {
                self.tls_emitted[0] |= 4;
                return;
            }
            self.tls_seen[dir] = true;
            return;
        }
        // Not all there yet: keep joining this direction's first bytes.
        // Room for a hello and a certificate chain of a few kB, the usual; a longer one grows
        // the buffer (a reservation of the largest message joined, for every handshake, cost
        // more in the allocator than the joining).
        let mut j = join.unwrap_or_else(|| {
            let mut j = Box::new(Join::new());
            j.bytes.reserve((2 * p.payload.len()).max(JOIN_ROOM));
            j.bytes.extend_from_slice(p.payload);
            j.next_seq = p.seq.wrapping_add(p.payload.len() as u32);
            j
        });
        j.scratch = scratch;
        self.tls[dir] = Some(j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unhex as hex;

    #[test]
    fn classic_stun_is_told_by_its_framing() {
        // Zoom's client and server (nDPI's zoom.pcap, frames 49 and 81, udp/3479): RFC 3489
        // messages with attributes of Zoom's own.
        let request = hex("00010018c15dae63585d14392e582c260403bf30010100143132333435363738393031323334353637383900");
        let answer = hex("0002000cc15dae63585d14392e582c260403bf30010300080001ff7550b4dcef");
        assert!(classic_stun(&request) && classic_stun(&answer));
        // The same with a byte more or less, or no attribute at all, is not one.
        assert!(!classic_stun(&request[..request.len() - 1]));
        let mut longer = answer.clone();
        longer.push(0);
        assert!(!classic_stun(&longer));
        assert!(!classic_stun(&answer[..20]));
        // Skype's obfuscated stream (nDPI's skype_no_unknown.pcap, frame 1822) is no STUN.
        let skype = hex("b0abbf1bebea0bc8df43e1efc080e88d5b442ccad51f1f12952dbbe3e1842c4bfc331fec3881cbe70a527091bbfbc46d53e839160f");
        assert!(!classic_stun(&skype));
    }

    #[test]
    fn the_server_port_labels_a_flow_not_the_clients() {
        // A client's port handed out by the system says nothing (nDPI's mssql_tds: a client on
        // 9999 of an SQL server).
        assert_eq!(by_server_port(true, 1433, 9999), App::Unknown);
        assert_eq!(by_server_port(true, 1433, 49152), App::Unknown);
        assert_eq!(by_server_port(true, 8883, 9999), App::Tls);
        // A client on a well-known port speaks its service (NTP, DHCP, IKE clients).
        assert_eq!(by_server_port(false, 40000, 123), App::Ntp);
        assert_eq!(by_server_port(false, 67, 68), App::Dhcp);
        // A flow seen from its middle, its sides guessed wrong: the server's "port" is a
        // client's.
        assert_eq!(by_server_port(true, 51000, 1883), App::Mqtt);
        assert_eq!(by_server_port(true, 20000, 1080), App::Dnp3);
        // A TCP client on a reserved port (an NFS mount from 993) is no IMAPS server.
        assert_eq!(by_server_port(true, 2049, 993), App::Unknown);
    }

    #[test]
    fn rpc_calls_and_replies_are_told_apart() {
        // tcpdump's nfs-write-verf-cookie: an NFSv3 WRITE call and its reply.
        let call = hex("80000090056495690000000000000002000186a30000000300000007000000010000002c005a96160000000d63656e746f7337325f62617365000000");
        let reply = hex("800000a0056495690000000100000000000000000000000000000000000000000000000100000000000000005b7fc7de1bbc13485b7fc7de1ba84c06");
        assert_eq!(onc_rpc_over_tcp(&call), Some(true));
        assert_eq!(onc_rpc_over_tcp(&reply), Some(false));
        assert_eq!(
            onc_rpc_over_tcp(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            None
        );
        assert_eq!(onc_rpc_over_tcp(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), None);
    }

    #[test]
    fn rtsp_requests_are_not_http() {
        assert!(is_rtsp(
            b"OPTIONS rtsp://10.2.2.2:8554/ RTSP/1.0\r\nCSeq: 1\r\n\r\n"
        ));
        assert!(is_rtsp(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n"));
        assert!(!is_rtsp(b"GET /stream HTTP/1.1\r\nHost: cam\r\n\r\n"));
        // A line cut before its end says nothing.
        assert!(!is_rtsp(b"DESCRIBE rtsp://10.2.2.2:8554/live RTS"));
    }

    #[test]
    fn names_are_the_serialised_names() {
        let all = [
            App::Unknown,
            App::Dns,
            App::Mdns,
            App::Llmnr,
            App::Nbns,
            App::Dhcp,
            App::Dhcpv6,
            App::Ntp,
            App::Tls,
            App::Quic,
            App::Http,
            App::Ssdp,
            App::Mqtt,
            App::Coap,
            App::Rtsp,
            App::Rtp,
            App::Stun,
            App::Sip,
            App::Ssh,
            App::Smb,
            App::Netbios,
            App::Telnet,
            App::Ftp,
            App::FtpData,
            App::Pop3,
            App::Imap,
            App::Smtp,
            App::Tplink,
            App::Tuya,
            App::Kalay,
            App::Tftp,
            App::Modbus,
            App::Dnp3,
            App::Iec104,
            App::Bacnet,
            App::S7comm,
            App::Enip,
            App::NatPmp,
            App::Dnscrypt,
            App::Snmp,
            App::Vnc,
            App::Rdp,
            App::Syslog,
            App::Wsd,
            App::Ldap,
            App::Kerberos,
            App::Irc,
            App::UbntDiscovery,
            App::Bgp,
            App::Msnp,
            App::Socks,
            App::Matter,
        ];
        for a in all {
            assert_eq!(serde_json::to_value(a).unwrap(), a.name(), "{a:?}");
        }
    }

    fn udp(payload: &[u8], from_client: bool) -> Packet<'_> {
        Packet {
            payload,
            tcp: false,
            src_port: 40000,
            dst_port: 40002,
            from_client,
            seq: 0,
            syn: false,
            ack: None,
        }
    }

    #[test]
    fn rtp_needs_two_packets_of_one_source() {
        let mut a = AppState::default();
        let p1 = [0x80, 0x60, 0, 10, 0, 0, 0, 0, 9, 9, 9, 9, 1, 2];
        let p2 = [0x80, 0x60, 0, 11, 0, 0, 0, 160, 9, 9, 9, 9, 3, 4];
        a.label(&udp(&p1, true));
        assert_eq!(a.app, App::Unknown);
        a.label(&udp(&p2, true));
        assert_eq!((a.app, a.by), (App::Rtp, By::Content));
        // Another source, or a jump in sequence numbers, is not a stream.
        let mut b = AppState::default();
        b.label(&udp(&p1, true));
        b.label(&udp(
            &[0x80, 0x60, 0, 90, 0, 0, 0, 0, 8, 8, 8, 8, 1, 2],
            true,
        ));
        assert_eq!(b.app, App::Unknown);
    }

    #[test]
    fn login_protocols_are_told_by_greeting_and_first_command() {
        fn tcp(payload: &[u8], from_client: bool) -> Packet<'_> {
            Packet {
                payload,
                tcp: true,
                src_port: if from_client { 40000 } else { 2121 },
                dst_port: if from_client { 2121 } else { 40000 },
                from_client,
                seq: 1,
                syn: false,
                ack: None,
            }
        }
        let label = |server: &[u8], client: &[u8]| {
            let mut a = AppState::default();
            a.label(&tcp(server, false));
            a.label(&tcp(client, true));
            (a.app, a.by)
        };
        let agreeing: [(&[u8], &[u8], App); 4] = [
            (b"220 (vsFTPd 3.0.3)\r\n", b"USER anonymous\r\n", App::Ftp),
            (b"220 mail ESMTP\r\n", b"EHLO cam\r\n", App::Smtp),
            (b"+OK Dovecot ready.\r\n", b"USER bob\r\n", App::Pop3),
            (b"* OK IMAP4rev1\r\n", b"a1 LOGIN bob x\r\n", App::Imap),
        ];
        for (server, client, app) in agreeing {
            assert_eq!(label(server, client), (app, By::Content), "{app:?}");
        }
        // Either side alone, or a greeting and a command that disagree, is no protocol.
        assert_eq!(label(b"220 ready\r\n", b"GET / HTTP/1.0\r\n").0, App::Http);
        assert_eq!(label(b"+OK\r\n", b"EHLO x\r\n").0, App::Unknown);
        assert_eq!(label(b"hello\r\n", b"USER x\r\n").0, App::Unknown);
    }

    #[test]
    fn a_port_label_the_payload_never_showed_ends_unknown() {
        // Kasa's autokeyed JSON over TCP, after its length.
        let plain = br#"{"system":{"get_sysinfo":{}}}"#;
        let mut kasa = (plain.len() as u32).to_be_bytes().to_vec();
        kasa.extend(iot::tplink_encrypt(plain));
        let on_9999 = |payload| Packet {
            payload,
            tcp: true,
            src_port: 50000,
            dst_port: 9999,
            from_client: true,
            seq: 1,
            syn: false,
            ack: None,
        };
        let mut a = AppState::default();
        a.label(&on_9999(&kasa));
        a.flush(&mut |_, _| {});
        assert_eq!((a.app, a.by), (App::Tplink, By::Both));
        // Text on the same port is another program's: the port's word falls at the end.
        let mut b = AppState::default();
        b.label(&on_9999(b"hello"));
        assert_eq!((b.app, b.by), (App::Tplink, By::Port));
        b.flush(&mut |_, _| {});
        assert_eq!((b.app, b.by), (App::Unknown, By::Nothing));
        // A connection that carried nothing keeps its port's label (a snap length, a probe).
        let mut c = AppState::default();
        c.label(&on_9999(b""));
        c.flush(&mut |_, _| {});
        assert_eq!((c.app, c.by), (App::Tplink, By::Port));
        // DNP3's port label falls the same way to a payload without its start bytes (RTP).
        let mut d = AppState::default();
        d.label(&Packet {
            dst_port: 20000,
            ..on_9999(&[0x80, 0x60, 0, 10, 0, 0, 0, 0, 9, 9, 9, 9])
        });
        d.flush(&mut |_, _| {});
        assert_eq!(d.app, App::Unknown);
    }

    #[test]
    fn tls_on_a_service_port_names_the_service_inside() {
        let mut a = AppState::default();
        let hello = [22, 3, 1, 0, 5, 1, 0, 0, 1, 0];
        let p = Packet {
            payload: &hello,
            tcp: true,
            src_port: 50000,
            dst_port: 853,
            from_client: true,
            seq: 1,
            syn: false,
            ack: None,
        };
        a.label(&p);
        assert_eq!(a.display(), "tls/dns");
    }

    #[test]
    fn the_client_hello_says_what_runs_inside_tls() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // curl offers h2 and http/1.1; AWS IoT's MQTT over 443 says so; DoT on 853.
        assert_eq!(
            inside_by_alpn(&v(&["h2", "http/1.1"]), App::Http),
            App::Http
        );
        assert_eq!(
            inside_by_alpn(&v(&["x-amzn-mqtt-ca"]), App::Http),
            App::Mqtt
        );
        assert_eq!(inside_by_alpn(&v(&["dot"]), App::Dns), App::Dns);
        // No offer: a dedicated port keeps its service, 443 proves nothing (long-tls.pcap's
        // openssl s_client to a line-echo server sends none).
        assert_eq!(inside_by_alpn(&[], App::Dns), App::Dns);
        assert_eq!(inside_by_alpn(&[], App::Http), App::Unknown);
        // An offer of something else is not HTTP, whatever the port.
        assert_eq!(inside_by_alpn(&v(&["acme-tls/1"]), App::Http), App::Unknown);
    }

    /// A DTLS record holding one handshake fragment.
    fn dtls_fragment(msg_type: u8, length: usize, seq: u16, offset: usize, data: &[u8]) -> Vec<u8> {
        let be24 = |n: usize| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let mut b = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&((12 + data.len()) as u16).to_be_bytes());
        b.push(msg_type);
        b.extend_from_slice(&be24(length));
        b.extend_from_slice(&seq.to_be_bytes());
        b.extend_from_slice(&be24(offset));
        b.extend_from_slice(&be24(data.len()));
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn dtls_fragments_that_disagree_on_their_message_start_it_again() {
        // The same message sequence number announced first as 100 bytes long, then as 5000 with
        // a fragment at 1000: the second fragment must not be written into the first's buffer.
        let mut a = AppState::default();
        let packets = [
            dtls_fragment(1, 100, 0, 0, &[7; 10]),
            dtls_fragment(1, 5000, 0, 1000, &[7; 100]),
            // Empty fragments join nothing.
            dtls_fragment(1, 30000, 1, 0, &[]),
        ];
        for b in &packets {
            let p = Packet {
                payload: b,
                tcp: false,
                src_port: 40000,
                dst_port: 5684,
                from_client: true,
                seq: 0,
                syn: false,
                ack: None,
            };
            a.inspect(&p, &mut |_, _| {});
        }
        assert_eq!(a.app, App::Dtls);
        // A fragment that restarts the join over and over is given up on.
        for k in 0..2 * MAX_STALLS as u16 {
            let b = dtls_fragment(11, 20000, k + 2, 0, &[1; 8]);
            let p = Packet {
                payload: &b,
                tcp: false,
                src_port: 5684,
                dst_port: 40000,
                from_client: false,
                seq: 0,
                syn: false,
                ack: None,
            };
            a.inspect(&p, &mut |_, _| {});
        }
        assert!(a.tls_seen[1] && a.tls[1].is_none());
    }

    #[test]
    fn a_join_past_a_lost_segment_gives_up_and_frees_its_buffers() {
        // A handshake record announcing 2000 bytes, of which only the first 100 arrive; then the
        // next segment is lost and later ones keep coming.
        let mut head = vec![22, 3, 3, 0x07, 0xd0, 2, 0, 0x07, 0xcc];
        head.resize(100, 0);
        let mut a = AppState::default();
        fn seg(payload: &[u8], seq: u32) -> Packet<'_> {
            Packet {
                payload,
                tcp: true,
                src_port: 443,
                dst_port: 50000,
                from_client: false,
                seq,
                syn: false,
                ack: None,
            }
        }
        let data = [0u8; 100];
        a.read(&seg(&head, 1000), &mut |_| {});
        assert!(a.tls[1].is_some(), "waiting for the rest of the record");
        // A retransmission of older bytes is no stall.
        for _ in 0..20 {
            a.read(&seg(&data, 900), &mut |_| {});
        }
        assert!(a.tls[1].is_some());
        // Segments past the gap (1100..1200 never came).
        for k in 0..u32::from(MAX_STALLS) {
            a.read(&seg(&data, 1200 + 100 * k), &mut |_| {});
        }
        assert!(a.tls[1].is_none(), "the buffers are freed");
        assert!(a.tls_seen[1]);
    }

    /// A segment of a TCP flow from client port 40000 to server port `server`.
    fn tcp_seg(
        server: u16,
        payload: &[u8],
        from_client: bool,
        seq: u32,
        ack: Option<u32>,
    ) -> Packet<'_> {
        Packet {
            payload,
            tcp: true,
            src_port: if from_client { 40000 } else { server },
            dst_port: if from_client { server } else { 40000 },
            from_client,
            seq,
            syn: false,
            ack,
        }
    }

    /// A segment of an HTTP flow (client 40000 to server 80).
    fn http_seg(payload: &[u8], from_client: bool, seq: u32, ack: Option<u32>) -> Packet<'_> {
        tcp_seg(80, payload, from_client, seq, ack)
    }

    /// The URIs of the requests read, and whether the client sent each message.
    fn requests(a: &mut AppState, p: &Packet<'_>, out: &mut Vec<(String, bool)>) {
        a.inspect(p, &mut |client, m| {
            if let Message::HttpRequest(r) = m {
                out.push((r.uri.clone(), client));
            }
        });
    }

    #[test]
    fn segments_out_of_order_are_read_in_the_order_of_their_stream() {
        let head = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        // The first request in two pieces, the second whole.
        let (one, rest) = head.split_at(10);
        let (two, three) = rest.split_at(18);
        assert!(three.starts_with(b"GET /b"));
        let mut a = AppState::default();
        let mut got = Vec::new();
        // The SYN says where the stream starts (byte 101); the third piece comes first, the
        // second twice, the first last.
        let syn = Packet {
            syn: true,
            ..http_seg(&[], true, 100, None)
        };
        requests(&mut a, &syn, &mut got);
        requests(&mut a, &http_seg(three, true, 129, None), &mut got);
        requests(&mut a, &http_seg(two, true, 111, None), &mut got);
        requests(&mut a, &http_seg(two, true, 111, None), &mut got);
        assert!(got.is_empty(), "nothing is read past the gap: {got:?}");
        requests(&mut a, &http_seg(one, true, 101, None), &mut got);
        assert_eq!(got, [("/a".into(), true), ("/b".into(), true)]);
        assert!(a.held.is_none(), "nothing is left held");
        // A retransmission of the whole is not read again.
        requests(&mut a, &http_seg(head, true, 101, None), &mut got);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn a_method_sent_alone_and_pipelined_requests_are_read() {
        // A client that writes its method in a segment of its own, then the rest.
        let mut a = AppState::default();
        let mut got = Vec::new();
        requests(&mut a, &http_seg(b"POST", true, 1, None), &mut got);
        let rest = b" /api/push HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok";
        requests(&mut a, &http_seg(rest, true, 5, None), &mut got);
        assert_eq!(got, [("/api/push".into(), true)]);
        // Three requests in one segment (pipelining), the second with a body.
        let three = b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPUT /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n\r\n";
        let mut a = AppState::default();
        let mut got = Vec::new();
        requests(&mut a, &http_seg(three, true, 1, None), &mut got);
        let uris: Vec<&str> = got.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(uris, ["/1", "/2", "/3"]);
    }

    #[test]
    fn a_gap_the_receiver_acknowledges_is_given_up_at_once() {
        // The client's first ten bytes never reach the capture; the server acknowledges them.
        let head = b"xxxxxxxxxxGET /c HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut a = AppState::default();
        let mut got = Vec::new();
        let syn = Packet {
            syn: true,
            ..http_seg(&[], true, 0, None)
        };
        requests(&mut a, &syn, &mut got);
        requests(&mut a, &http_seg(&head[10..], true, 11, None), &mut got);
        // An acknowledgement up to the hole (a duplicate acknowledgement) is no proof of loss.
        requests(&mut a, &http_seg(&[], false, 1, Some(1)), &mut got);
        assert!(got.is_empty());
        requests(&mut a, &http_seg(&[], false, 1, Some(11)), &mut got);
        assert_eq!(
            got,
            [("/c".into(), true)],
            "read at the server's packet, as the client's"
        );
        assert!(a.held.as_ref().is_some_and(|h| h[0].segments.is_empty()));
        // The hole's bytes come late after all: handed over, and nothing else again.
        requests(&mut a, &http_seg(head, true, 1, None), &mut got);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn segments_held_past_a_gap_are_bounded() {
        let mut a = AppState::default();
        let mut got = Vec::new();
        requests(&mut a, &http_seg(b"GET /", true, 1, None), &mut got);
        // Full-size segments past a hole at byte 6 that never fills.
        let big = [b'a'; 1460];
        for k in 0..=MAX_HELD as u32 {
            requests(
                &mut a,
                &http_seg(&big, true, 100 + 1460 * k, None),
                &mut got,
            );
            let h = a.held.as_ref().map_or(0, |h| h[0].bytes());
            assert!(h <= MAX_HELD_BYTES, "{h} bytes held");
        }
        assert!(
            a.held.as_ref().is_none_or(|h| h[0].segments.is_empty()),
            "given up once the bound is reached"
        );
        assert_eq!(a.order.next(0), Some(100 + 1460 * (MAX_HELD as u32 + 1)));
    }

    #[test]
    fn dns_over_tcp_skips_a_message_the_capture_cut_and_invents_none() {
        // A query for a long name, behind its length, then a query for "a".
        let mut long = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for _ in 0..3 {
            long.push(50);
            long.extend_from_slice(&[b'x'; 50]);
        }
        long.extend_from_slice(&[0, 0, 1, 0, 1]);
        let short = [0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1];
        let mut stream = Vec::new();
        for m in [&long[..], &short[..]] {
            stream.extend_from_slice(&(m.len() as u16).to_be_bytes());
            stream.extend_from_slice(m);
        }
        let split = 2 + long.len();
        let seg = |from: usize, to: usize, ack: Option<u32>| {
            tcp_seg(53, &stream[from..to], true, 1 + from as u32, ack)
        };
        let names = |a: &mut AppState, p: &Packet<'_>, out: &mut Vec<String>| {
            a.inspect(p, &mut |_, m| {
                if let Message::Dns(d) = m {
                    out.extend(d.questions.iter().map(|q| q.name.clone()));
                }
            })
        };
        let server_ack = |ack: u32| tcp_seg(53, &[], false, 1, Some(ack));
        let syn = Packet {
            syn: true,
            seq: 0,
            ..seg(0, 0, None)
        };
        // The long query's middle (bytes 60..120) never reaches the capture; the server
        // acknowledges past it.
        let mut a = AppState::default();
        let mut got = Vec::new();
        names(&mut a, &syn, &mut got);
        names(&mut a, &seg(0, 60, None), &mut got);
        names(&mut a, &seg(120, split, None), &mut got);
        names(&mut a, &server_ack(1 + split as u32), &mut got);
        names(&mut a, &seg(split, stream.len(), None), &mut got);
        assert_eq!(got, ["a"], "the cut message skipped, the next one read");
        // Its first bytes never reach the capture: nothing is read from its middle; the next
        // message, which starts a segment, is.
        let mut a = AppState::default();
        let mut got = Vec::new();
        names(&mut a, &syn, &mut got);
        names(&mut a, &seg(40, split, None), &mut got);
        names(&mut a, &server_ack(1 + split as u32), &mut got);
        names(&mut a, &seg(split, stream.len(), None), &mut got);
        assert_eq!(got, ["a"]);
    }

    #[test]
    fn dns_over_tcp_reads_every_message_of_a_segment() {
        // Two queries for "a" (type A), each behind its 2-byte length.
        let q = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 0, 0, 1, 0, 1];
        let mut seg = Vec::new();
        for _ in 0..2 {
            seg.extend_from_slice(&(q.len() as u16).to_be_bytes());
            seg.extend_from_slice(&q);
        }
        let mut a = AppState::default();
        let p = Packet {
            payload: &seg,
            tcp: true,
            src_port: 50000,
            dst_port: 53,
            from_client: true,
            seq: 1,
            syn: false,
            ack: None,
        };
        let mut n = 0;
        a.inspect(&p, &mut |_, m| {
            assert!(matches!(m, Message::Dns(ref d) if d.questions[0].name == "a"));
            n += 1;
        });
        assert_eq!(n, 2);
    }

    #[test]
    fn port_label_is_corrected_by_content() {
        let mut a = AppState::default();
        let p = Packet {
            payload: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            tcp: true,
            src_port: 50000,
            dst_port: 443,
            from_client: true,
            seq: 1,
            syn: false,
            ack: None,
        };
        a.label(&p);
        assert_eq!((a.app, a.by), (App::Http, By::Content));
    }

    #[test]
    fn bgp_and_msnp_are_told_by_their_first_bytes_on_any_port() {
        let label = |payload: &[u8], from_client: bool| {
            let mut a = AppState::default();
            a.label(&Packet {
                payload,
                tcp: true,
                src_port: 40000,
                dst_port: 50000,
                from_client,
                seq: 1,
                syn: false,
                ack: None,
            });
            a.app
        };
        // A KEEPALIVE: the marker, length 19, type 4.
        let mut keepalive = vec![0xff; 16];
        keepalive.extend_from_slice(&[0, 19, 4]);
        assert_eq!(label(&keepalive, true), App::Bgp);
        keepalive[18] = 9;
        assert_eq!(label(&keepalive, true), App::Unknown);
        // A switchboard login and its answer (ja4plus's suspectemployeechat.dmp), and the
        // notification server's version exchange.
        assert_eq!(
            label(
                b"USR 93 tesla_brian@hotmail.com 1835953129.20013021.2623242\r\n",
                true
            ),
            App::Msnp
        );
        assert_eq!(
            label(b"USR 93 OK tesla_brian@hotmail.com Brian\r\n", false),
            App::Msnp
        );
        assert_eq!(label(b"VER 1 MSNP8 CVR0\r\n", true), App::Msnp);
        // Not without the protocol's name, a transaction number, or a whole line.
        assert_eq!(label(b"VER 1 HTTP\r\n", true), App::Unknown);
        assert_eq!(label(b"USR x name\r\n", true), App::Unknown);
        assert_eq!(label(b"USR 93 name", true), App::Unknown);
    }
}
