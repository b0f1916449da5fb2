//! Findings: what a person should know about a device, each derived from its traffic.
//!
//! The catalogue below is the one place a finding is declared: a stable id, the usual severity,
//! a title, why it matters in words a non-expert understands, and what to do. Detectors only
//! gather evidence (names, counts, times, frames) and pick the severity the evidence warrants.
//! What is not in the traffic is not claimed: a password is never kept, only that one was sent.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use hashbrown::{HashMap, HashSet};
use std::net::IpAddr;

use iotscope_flow::{icmp_kind, service_rank, Event, Flow, FlowIndex, Side};
use iotscope_intel::{doh_service, is_connectivity_check, looks_like_doh, public_resolver, Intel};
use iotscope_packet::{fmt_ip, fmt_mac, ip_of, Mac, Nanos};
use iotscope_proto::app::{App, By, Message};
use iotscope_proto::http::PortMapping;
use iotscope_proto::tls;
use serde::{Deserialize, Serialize};

use crate::behaviour::{Beacon, LongLived};
use crate::devices::{Device, Local};
use crate::endpoints::{names_a_host, proto_name, service, Endpoint, NamedBy, Namer, Naming};
use crate::text::{bytes, duration};

const SEC: Nanos = 1_000_000_000;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// A weakness that needs an unusual attacker or position.
    Low,
    /// A weakness an attacker on the network path can use.
    Medium,
    /// Secrets exposed, or the device opened to the internet.
    High,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
        ]
        .into_iter()
        .find(|v| v.name().eq_ignore_ascii_case(s))
    }
}

/// The closed list of findings (the order of [`CATALOGUE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingId {
    CleartextCredentials,
    UnsafeProtocol,
    Scan,
    Flood,
    ProgramDownload,
    ExposedService,
    Upnp,
    CleartextHttp,
    TlsWeak,
    EncryptedDns,
    DnsBypass,
    ForgedDns,
    Tunnel,
    Vpn,
    Drift,
    NoDns,
    Country,
    Firmware,
    Upload,
    LanPeer,
    LongLived,
    Periodic,
    ConnectivityCheck,
}

/// One entry of the catalogue.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: FindingId,
    /// The severity the finding usually has; the evidence can raise or lower it.
    pub severity: Severity,
    pub title: &'static str,
    /// Why it matters, for someone who is not a network engineer.
    pub explanation: &'static str,
    /// What the owner can do.
    pub remedy: &'static str,
}

/// Every finding iotscope can report.
pub static CATALOGUE: [Entry; 23] = [
    Entry {
        id: FindingId::CleartextCredentials,
        severity: Severity::High,
        title: "Credentials sent in clear",
        explanation: "A user name and password (or an SNMP community string, which is one) \
            crossed the network unencrypted. Anyone who can see this traffic (another device on \
            the Wi-Fi, the operator of a network on the path) can read the password and log in \
            as this user.",
        remedy: "Change the password, and use it only over an encrypted connection (HTTPS, SSH, \
            TLS-protected mail). If the device offers no encrypted login, keep it off untrusted \
            networks.",
    },
    Entry {
        id: FindingId::UnsafeProtocol,
        severity: Severity::High,
        title: "Unencrypted or unauthenticated protocol",
        explanation: "The device uses or offers a protocol that sends its logins and data in \
            clear, or that checks no one: anyone who can see the traffic can read it, and anyone \
            who can reach the service can use it. (Each finding says which protocol, and what \
            it exposes.)",
        remedy:
            "Turn the service off in the device's settings if it can be; otherwise block it at \
            the router and change any default password. Prefer SSH, SFTP and mail over TLS, and \
            SNMPv3 with authentication and privacy. Keep control protocols on a separate network \
            that only their controllers reach.",
    },
    Entry {
        id: FindingId::Scan,
        severity: Severity::High,
        title: "Scans other hosts",
        explanation: "The device tried many ports of one host, or one port on many hosts, and \
            most attempts got no answer or were refused: that is how a scanner or a worm looks \
            for services to break into (cameras and routers infected by Mirai sweep the internet \
            for telnet). A computer running a network scanner on purpose does the same.",
        remedy: "If the device is not a computer you use to scan on purpose, treat it as \
            compromised: disconnect it, reset it to factory settings, update its firmware and \
            change its passwords before it goes back on the network.",
    },
    Entry {
        id: FindingId::Flood,
        severity: Severity::High,
        title: "Floods a host",
        explanation: "The device sent a torrent of connection attempts, datagrams or pings to one \
            host, hundreds a second: a denial-of-service attack. Botnets of cameras and routers \
            (Mirai and its kin) are commanded to do exactly this; an ordinary program talks to a \
            host a few times a second at most.",
        remedy: "Treat the device as compromised: disconnect it, reset it to factory settings, \
            update its firmware and change its passwords before it goes back on the network.",
    },
    Entry {
        id: FindingId::ProgramDownload,
        severity: Severity::High,
        title: "Downloads a program over plain HTTP",
        explanation: "The device fetched a program (an executable for Linux, Windows or macOS, Java code, or a script) \
            over unencrypted HTTP: its first bytes say so, whatever its name or content type. \
            Anyone on the path could swap it for their own, which the device would then run. A \
            bot that has broken into a camera or router fetches its own binaries like this, from \
            a bare address it never looked up, for the device's processor (mirai.arm7, .mips, \
            .x86): that is rated high; from a server the device looked up by name (an update \
            fetched insecurely), medium.",
        remedy: "If the server is not the vendor's, treat the device as compromised: \
            disconnect it, reset it to factory settings, update its firmware and change its \
            passwords before it goes back on the network. If it is the vendor's, ask them to \
            sign their updates and serve them over HTTPS.",
    },
    Entry {
        id: FindingId::ExposedService,
        severity: Severity::Low,
        title: "Accepts inbound connections",
        explanation: "The device answered connections that others opened to it. Every listening \
            service is a door: from the LAN it lets any other device (a compromised one \
            included) talk to it; from the internet, anyone can.",
        remedy: "If the service is not needed, turn it off. A service reachable from the internet \
            should be closed at the router (remove port forwards, disable UPnP) unless you meant \
            to publish it.",
    },
    Entry {
        id: FindingId::Upnp,
        severity: Severity::Low,
        title: "UPnP",
        explanation: "UPnP lets devices announce themselves and ask the router to open ports from \
            the internet to them, without asking you. Its implementations have a long history of \
            flaws, and a port opened this way exposes the device to the whole internet.",
        remedy: "Disable UPnP on the router unless something you rely on needs it, and check the \
            router's list of port mappings.",
    },
    Entry {
        id: FindingId::CleartextHttp,
        severity: Severity::Medium,
        title: "Plain HTTP",
        explanation: "The device talked HTTP without encryption. Anyone on the path can read what \
            it sends and change what it receives; a parser bug in the device could turn a \
            tampered answer into control of the device.",
        remedy: "Nothing to change on the device itself in most cases; ask the vendor to move to \
            HTTPS. On the LAN, keep such devices on a separate network.",
    },
    Entry {
        id: FindingId::TlsWeak,
        severity: Severity::Medium,
        title: "Weak TLS",
        explanation: "The connection is encrypted, but in a way that does not prove who is on the \
            other side (a self-signed, expired or mismatched certificate), uses an obsolete \
            version of TLS, or leaves out the server name. A device that accepts such a \
            certificate may accept an attacker's too.",
        remedy: "Update the device's firmware; if the server is yours, give it a certificate from \
            a trusted authority and TLS 1.2 or newer.",
    },
    Entry {
        id: FindingId::EncryptedDns,
        severity: Severity::Medium,
        title: "Encrypted DNS around the local resolver",
        explanation:
            "The device looks names up over DNS-over-TLS, DNS-over-HTTPS or DNS-over-QUIC. \
            That protects the lookups from eavesdroppers, but also hides them from you: the \
            network's resolver, its filters and its logs are bypassed.",
        remedy: "If you filter or log DNS at home, block the public encrypted-DNS services at the \
            router or point the device at your resolver.",
    },
    Entry {
        id: FindingId::DnsBypass,
        severity: Severity::Medium,
        title: "DNS to another resolver",
        explanation: "The device sent plain DNS to a resolver other than the one the network \
            uses, on port 53 or another, or as web requests to an HTTP DNS service. Its lookups escape the \
            network's filters, and hard-coded resolvers are a common trait of devices that \
            ignore local settings.",
        remedy: "Redirect outgoing DNS (port 53) to your resolver at the router, or block it; \
            an HTTP DNS service can only be blocked by its address.",
    },
    Entry {
        id: FindingId::ForgedDns,
        severity: Severity::High,
        title: "Answers DNS in another host's name",
        explanation: "The device sent DNS answers from another host's address (the resolver its \
            neighbours asked), which it does not hold: the questions went to that host's hardware \
            address, the answers came from this device's. That is DNS spoofing: whoever answers \
            first decides where a name leads, so the neighbours' lookups can be sent to a server \
            of its choosing (a fake login page, a download of malware). Some ad blockers answer \
            for the router this way too, which is why it must have been set up on purpose.",
        remedy: "If you did not set this device up to answer for your resolver (an ad blocker \
            should be made the network's resolver in the router's DHCP settings instead), find \
            out what runs on it and treat it as compromised: reset it, change the passwords used \
            on the network, and check where the names it answered lead.",
    },
    Entry {
        id: FindingId::Tunnel,
        severity: Severity::Medium,
        title: "Tunnel",
        explanation: "The device wraps traffic inside other packets (Teredo, 6in4, GRE, VXLAN, \
            GTP and the like). What travels inside a tunnel to the internet passes the router's \
            firewall unseen by rules written for ordinary traffic, and a tunnel such as Teredo or \
            6in4 can make the device reachable from the internet over IPv6 behind a NAT that \
            would otherwise shield it. iotscope opens the tunnels it knows and reports the flows \
            inside them as well.",
        remedy: "If nobody set the tunnel up on purpose, turn it off on the device (Teredo and \
            6to4 are Windows and router options) or block it at the router (UDP port 3544 for \
            Teredo, IP protocols 41 and 47 for 6in4 and GRE).",
    },
    Entry {
        id: FindingId::Vpn,
        severity: Severity::Medium,
        title: "Encrypted VPN tunnel",
        explanation: "The device keeps an encrypted tunnel (WireGuard, OpenVPN, IPsec, or a \
            link into the Tor anonymity network) to another host. What it sends through the \
            tunnel, where to and how much, is hidden from this report and from the router's \
            firewall. The far end can reach into the network through it, as a vendor's remote \
            support channel does, and the device's traffic can leave the network from wherever \
            the tunnel ends; through Tor, from anywhere, unseen, which is what malware wants.",
        remedy: "If you did not set the tunnel up, find out who did: a vendor's support tunnel \
            can often be turned off in the device's settings. Otherwise block the far end's \
            address, or the VPN's port at the router (UDP 51820 for WireGuard, 1194 for \
            OpenVPN, UDP 500 and 4500 and IP protocol 50 for IPsec). A device that is no \
            computer of yours has no business on Tor: treat it as compromised.",
    },
    Entry {
        id: FindingId::Drift,
        severity: Severity::Low,
        title: "Changed since the baseline",
        explanation: "Compared with an earlier report of the same network (`--baseline`), the \
            device talks to destinations, countries or services it did not use before, sends \
            in clear what it used to encrypt, or has findings it did not have, or it is new on \
            the network. A firmware update, a new app feature or a change of cloud explains \
            most changes; a device taken over by someone else shows here too.",
        remedy: "Check that the change has a reason: an update you installed, a feature you \
            turned on. A new country, a protocol in clear or a new finding without one is worth \
            a closer look at that finding, and a question to the vendor.",
    },
    Entry {
        id: FindingId::NoDns,
        severity: Severity::Low,
        title: "Addresses contacted without a DNS lookup",
        explanation: "The device connected to internet addresses it never looked up. Hard-coded \
            addresses are how some devices reach peer-to-peer relays or fallback servers; they \
            cannot be moved, filtered by name, or checked against what the vendor documents.",
        remedy: "Check that the organisation and country are ones you expect for this device; \
            block them at the router if not.",
    },
    Entry {
        id: FindingId::Country,
        severity: Severity::Medium,
        title: "Destinations outside the allowed countries",
        explanation: "The device talks to servers registered in a country that is not on your \
            list of allowed countries.",
        remedy: "Check why the vendor uses servers there; block the addresses if they are not \
            needed.",
    },
    Entry {
        id: FindingId::Firmware,
        severity: Severity::Info,
        title: "Large download",
        explanation: "The device downloaded a large binary, most often a firmware or app update. \
            Over plain HTTP an attacker on the path could replace it unless the device checks a \
            signature.",
        remedy: "None when it comes over HTTPS from the vendor with a valid certificate. Over \
            plain HTTP, or over TLS with a certificate that proves nothing, ask the vendor whether \
            updates are signed.",
    },
    Entry {
        id: FindingId::Upload,
        severity: Severity::Low,
        title: "Sends more than it receives",
        explanation: "The device uploads much more than it downloads to this destination. For a \
            camera or a voice assistant that can be recordings; for a sensor it is unusual.",
        remedy: "Check that the destination and the volume match what the device is for, and \
            the vendor's privacy settings.",
    },
    Entry {
        id: FindingId::LanPeer,
        severity: Severity::Info,
        title: "Talks to other local devices",
        explanation: "Traffic between two devices of the network. Normal for hubs, speakers and \
            phone apps; from a device that has no reason to, it can be a scan or a compromised \
            device looking for others.",
        remedy: "If the two have no business together, put IoT devices on their own network.",
    },
    Entry {
        id: FindingId::LongLived,
        severity: Severity::Info,
        title: "Long-lived connection",
        explanation: "A connection held open for a long time: the channel a cloud service keeps \
            to a device so it can command it at any moment (how the phone app reaches it).",
        remedy: "Expected for cloud-managed devices; check that the destination is the vendor's.",
    },
    Entry {
        id: FindingId::Periodic,
        severity: Severity::Info,
        title: "Periodic connection",
        explanation: "The device contacts this destination on a timer: a heartbeat, a status \
            report or a poll.",
        remedy: "None; it describes the device's normal rhythm (a change in it is worth noticing).",
    },
    Entry {
        id: FindingId::ConnectivityCheck,
        severity: Severity::Info,
        title: "Connectivity check",
        explanation: "The device checks whether it is online, or how far a host is: it pings a \
            host on the internet (three echo requests or more), or fetches the address a \
            platform keeps for that purpose (captive-portal probes such as \
            connectivitycheck.gstatic.com or captive.apple.com). Harmless, but it tells the \
            host pinged when the device is up.",
        remedy: "None.",
    },
];

impl FindingId {
    pub fn entry(self) -> &'static Entry {
        &CATALOGUE[self as usize]
    }

    /// The stable id as text (`cleartext-http`).
    pub fn name(self) -> &'static str {
        match self {
            FindingId::CleartextCredentials => "cleartext-credentials",
            FindingId::UnsafeProtocol => "unsafe-protocol",
            FindingId::Scan => "scan",
            FindingId::Flood => "flood",
            FindingId::ProgramDownload => "program-download",
            FindingId::ExposedService => "exposed-service",
            FindingId::Upnp => "upnp",
            FindingId::CleartextHttp => "cleartext-http",
            FindingId::TlsWeak => "tls-weak",
            FindingId::EncryptedDns => "encrypted-dns",
            FindingId::DnsBypass => "dns-bypass",
            FindingId::ForgedDns => "forged-dns",
            FindingId::Tunnel => "tunnel",
            FindingId::Vpn => "vpn",
            FindingId::Drift => "drift",
            FindingId::NoDns => "no-dns",
            FindingId::Country => "country",
            FindingId::Firmware => "firmware",
            FindingId::Upload => "upload",
            FindingId::LanPeer => "lan-peer",
            FindingId::LongLived => "long-lived",
            FindingId::Periodic => "periodic",
            FindingId::ConnectivityCheck => "connectivity-check",
        }
    }
}

/// What each unsafe protocol exposes: the part of the unsafe-protocol explanation that concerns
/// one finding, by the protocol its subject names (`offers telnet on tcp/23`, `uses tftp to
/// ...`, `accepts mqtt clients without login on ...`).
const UNSAFE_WHY: [(&[&str], &str); 9] = [
    (
        &["telnet"],
        "Telnet sends its login and everything after it in clear, and telnet services on devices \
         are the first thing botnets such as Mirai try with factory passwords.",
    ),
    (
        &["ftp", "pop3", "imap", "smtp"],
        "FTP, POP3, IMAP and SMTP without TLS send logins and everything after them in clear: \
         the password, the mail, the files.",
    ),
    (
        &["tftp"],
        "TFTP has no login and no integrity at all: whoever answers in the server's place can \
         hand the device any file, such as the firmware or script it asked for.",
    ),
    (
        &["modbus", "dnp3", "iec104", "bacnet", "s7comm", "enip"],
        "The control protocols of industry and buildings (Modbus, DNP3, IEC 60870-5-104, BACnet, \
         Siemens S7, EtherNet/IP) check no one: whoever reaches the device can read its values \
         and send it commands.",
    ),
    (
        &["snmp"],
        "SNMP v1 and v2c, which manage routers, printers and cameras, send their community string \
         (a password, often the factory's) in clear in every message.",
    ),
    (
        &["mqtt", "coap"],
        "MQTT and CoAP without TLS to a server on the internet carry the device's messages to its \
         cloud, and the commands that come back, where anyone on the path can read and change \
         them.",
    ),
    (
        &["irc"],
        "IRC to a server on the internet is chat in clear, and the command channel of many bots \
         that infect cameras and routers.",
    ),
    (
        &["vnc"],
        "VNC shares a screen, its keyboard and its mouse: without encryption anyone on the path \
         watches the session, and without a password anyone who reaches the service takes \
         control.",
    ),
    (
        &["broker"],
        "An MQTT broker that accepts clients without a login lets anyone who reaches it publish \
         to its topics, commands to devices included.",
    ),
];

/// The part of the catalogue's explanation that concerns one finding, where the catalogue's
/// covers several cases: what the protocol of an unsafe-protocol finding exposes, and for a
/// tls-weak finding with no certificate problem (an old version, no server name), what those
/// mean. `None`: the catalogue's explanation as it stands.
pub fn explanation_for(id: FindingId, subject: &str, facts: &[Fact]) -> Option<&'static str> {
    match id {
        FindingId::UnsafeProtocol => {
            let mut words = subject.split(' ');
            let protocol = match (words.next(), words.next()) {
                (Some("accepts"), Some("mqtt")) => "broker",
                (_, Some(p)) => p,
                _ => return None,
            };
            UNSAFE_WHY
                .iter()
                .find(|(names, _)| names.contains(&protocol))
                .map(|(_, why)| *why)
        }
        FindingId::TlsWeak => {
            let certificate = facts
                .iter()
                .any(|f| f.label == "problems" && f.value.contains("certificate"));
            (!certificate).then_some(
                "The connection is encrypted, but with an obsolete version of TLS (1.0 and 1.1 \
                 have known weaknesses and get no fixes), with a weak cipher suite (RC4 and 3DES \
                 can be attacked, export-grade keys and anonymous or NULL suites protect \
                 nothing), or without the name of the server it wants (SNI): a client that names \
                 no server often checks no name in the certificate either, and shows an old TLS \
                 library. Where the server chose the old version or suite, the server is the one \
                 to fix.",
            )
        }
        FindingId::CleartextCredentials
            if facts.iter().any(|f| f.label == "password")
                && facts
                    .iter()
                    .filter(|f| f.label == "password")
                    .all(|f| f.value == DIGEST) =>
        {
            Some(
                "A login crossed the network unencrypted. The password itself did not: the \
                 device sent a hash or an encryption of it (D-Link's HNAP, for one, answers the \
                 server's challenge with one). But whoever sees the exchange can try passwords \
                 against it offline until one gives the same value, which finds a short or \
                 common password quickly, and a digest sent without a fresh challenge can be \
                 sent again to log in.",
            )
        }
        FindingId::CleartextHttp if facts.iter().any(|f| f.label == MEDIA_IN_CLEAR) => Some(
            "The device sent pictures, sound or video (a camera's clips or snapshots, a \
             recording) to the internet over HTTP without encryption. Anyone on the path (a \
             shared Wi-Fi, the internet provider, any network between here and the server) can \
             watch or listen to them, and replace what the server receives. Such a device \
             should not be trusted with rooms where privacy matters until the vendor encrypts \
             its uploads.",
        ),
        FindingId::Firmware if facts.iter().any(|f| f.label == "certificate") => Some(
            "The device downloaded a large binary, most often a firmware or app update, over TLS \
             from a server whose certificate proves nothing (self-signed, expired, or made out \
             to another name), and went on with the download: unless it pins that very \
             certificate, it does not check who it talks to. Anyone on the path could have \
             answered in the server's place and sent an image of their own, as over plain HTTP, \
             unless the device checks a signature on it.",
        ),
        FindingId::Tunnel
            if facts
                .iter()
                .any(|f| f.label == "tunnel" && f.value == "DNS") =>
        {
            Some(
                "The device's DNS questions carry data rather than names: long encoded labels, \
                 a new name each time, to one domain or one server. That is how tools such as \
                 dnscat2 and iodine, and malware, move files and commands through networks that \
                 let nothing else out: every resolver passes the questions on to the domain's \
                 own server. A security product checking file hashes by DNS looks the same.",
            )
        }
        _ => None,
    }
}

/// A labelled fact of a finding's evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// One finding about one device.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    /// The device's id (MAC, else address).
    pub device: String,
    /// What the finding is about: a name, an address, a service.
    pub subject: String,
    /// The evidence in one line.
    pub summary: String,
    pub facts: Vec<Fact>,
    /// Occurrences: requests, connections, logins, beats...
    pub count: u64,
    pub first: Nanos,
    pub last: Nanos,
    /// First frames (1-based, over all inputs) of supporting flows, at most [`MAX_FRAMES`].
    pub frames: Vec<u64>,
}

/// The fact of a cleartext-http finding that names what media the device sent in clear to the
/// internet ("video", "audio", "images").
pub const MEDIA_IN_CLEAR: &str = "sent in clear to the internet";

/// Supporting frames kept per finding.
pub const MAX_FRAMES: usize = 20;
/// Distinct values listed per fact before "and N more".
const MAX_VALUES: usize = 4;

/// Capture times before this (2001-01-01, in seconds) come from a clock that was never set:
/// devices without a battery-backed clock start at 1970-01-01 or 2000-01-01.
pub const UNSET_CLOCK_BEFORE: i64 = 978_307_200;
/// A lookup made before the capture began is invisible: a first contact this soon after the
/// start may have been resolved earlier (five minutes is a common TTL for device endpoints).
pub const DNS_GRACE: Nanos = 300 * SEC;
/// Upload to one destination that makes it worth a look, bytes (a sensor sends kilobytes).
pub const UPLOAD_MIN: u64 = 1 << 20;
/// Upload this many times the download marks a destination as a sink.
pub const UPLOAD_RATIO: u64 = 2;
/// Upload that is a lot for any home device, bytes (hours of video).
pub const UPLOAD_HIGH: u64 = 100 << 20;
/// A binary over plain HTTP at least this large is a download worth naming (firmware images
/// and update bundles; icons and configuration files are smaller).
pub const BINARY_HTTP_MIN: u64 = 64 << 10;
/// The same when only the content type says binary and the path names no update: a streaming
/// app's segments and a game's data files are binaries too, and firmware images are megabytes.
pub const BINARY_UNNAMED_MIN: u64 = 1 << 20;
/// File name endings of firmware images, update bundles and packages.
const FIRMWARE_SUFFIXES: [&str; 15] = [
    ".bin", ".img", ".fw", ".hex", ".zip", ".tar", ".gz", ".tgz", ".ota", ".pkg", ".rom", ".ipk",
    ".deb", ".apk", ".trx",
];
/// Media and web assets: a large one sent as `application/octet-stream` (video segments, an
/// image) is no firmware.
const MEDIA_SUFFIXES: [&str; 20] = [
    ".gif", ".jpg", ".jpeg", ".png", ".webp", ".svg", ".ico", ".mp4", ".m4s", ".m4v", ".m4a",
    ".ts", ".mp3", ".aac", ".webm", ".mkv", ".mov", ".woff", ".woff2", ".ttf",
];
/// An encrypted download this large in one connection is most likely an update.
pub const BIG_DOWNLOAD: u64 = 5 << 20;
/// Echo requests to one public host that make a connectivity probe rather than a one-off ping.
pub const MIN_PINGS: u64 = 3;

/// What the findings are computed from.
pub struct Input<'a> {
    pub flows: &'a [Flow],
    pub events: &'a [Event],
    pub devices: &'a [Device],
    pub endpoints: &'a [Endpoint],
    pub beacons: &'a [Beacon],
    pub long_lived: &'a [LongLived],
    pub local: &'a Local,
    pub namer: &'a Namer,
    pub intel: &'a Intel,
    /// Countries allowed (ISO codes, upper case); `None` reports no country finding.
    pub allow_countries: Option<&'a BTreeSet<String>>,
    /// Start of the capture.
    pub start: Nanos,
    /// With several inputs, where each begins: its first frame (1-based) and earliest time.
    pub starts: &'a [(u64, Nanos)],
}

impl Input<'_> {
    /// The start of the input that holds frame `frame` (1-based).
    fn start_of(&self, frame: u64) -> Nanos {
        let k = self.starts.partition_point(|s| s.0 <= frame);
        k.checked_sub(1)
            .and_then(|k| self.starts.get(k))
            .map_or(self.start, |s| s.1)
    }
}

/// Evidence being gathered for one finding.
struct Acc {
    severity: Severity,
    count: u64,
    first: Nanos,
    last: Nanos,
    frames: BTreeSet<u64>,
    facts: Vec<(String, BTreeSet<String>)>,
    summary: Option<String>,
    /// How many of the `count` occurrences showed each TLS problem.
    tally: BTreeMap<String, u64>,
}

impl Acc {
    fn new(severity: Severity) -> Acc {
        Acc {
            severity,
            count: 0,
            first: Nanos::MAX,
            last: Nanos::MIN,
            frames: BTreeSet::new(),
            facts: Vec::new(),
            summary: None,
            tally: BTreeMap::new(),
        }
    }

    fn at(&mut self, first: Nanos, last: Nanos, frame: u64) -> &mut Self {
        self.first = self.first.min(first);
        self.last = self.last.max(last);
        if self.frames.len() < MAX_FRAMES || frame < *self.frames.last().unwrap_or(&0) {
            self.frames.insert(frame);
            if self.frames.len() > MAX_FRAMES {
                self.frames.pop_last();
            }
        }
        self
    }

    /// Counts each flow of a scan's targets as an attempt, with its frame as evidence.
    /// Counts a scan's probes: the flows to its targets, but for TCP connections that talked (a
    /// login after the scan found the port is no probe).
    fn tries<K>(&mut self, targets: &BTreeMap<K, Vec<&Flow>>) {
        for f in targets
            .values()
            .flatten()
            .filter(|f| f.tcp.is_none() || silent(f))
        {
            self.count += 1;
            self.at(f.first, f.last, f.first_frame + 1);
        }
    }

    fn fact(&mut self, label: &str, value: impl AsRef<str> + Into<String>) -> &mut Self {
        if value.as_ref().is_empty() {
            return self;
        }
        match self.facts.iter_mut().find(|(l, _)| l == label) {
            // Most values come again on every flow of a finding: copied only when new.
            Some((_, v)) => {
                if !v.contains(value.as_ref()) {
                    v.insert(value.into());
                }
            }
            None => self
                .facts
                .push((label.to_string(), BTreeSet::from([value.into()]))),
        }
        self
    }

    fn raise(&mut self, s: Severity) -> &mut Self {
        self.severity = self.severity.max(s);
        self
    }

    fn values(&self, label: &str) -> Vec<&str> {
        self.facts
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

fn join_values(label: &str, v: &BTreeSet<String>) -> String {
    // Every TLS problem and SOAP action is worth reading; they are few.
    let max = if label == "problems" || label == "SOAP actions" {
        usize::MAX
    } else {
        MAX_VALUES
    };
    let mut s: Vec<&str> = v.iter().take(max).map(String::as_str).collect();
    let more = v.len().saturating_sub(max);
    let tail = format!("and {more} more");
    if more > 0 {
        s.push(&tail);
    }
    s.join(", ")
}

/// Findings gathered per (id, device, subject).
#[derive(Default)]
struct Findings {
    /// By (finding, device, subject); sorted when the findings are listed.
    map: HashMap<(FindingId, String, String), Acc>,
}

/// A finding's key, borrowed: the checks look up their finding for every flow and message, and
/// most lookups find it already there, so the key's strings are copied only for a new one.
/// It hashes as the owned key does (a tuple's and a struct's fields hash in order).
#[derive(Hash)]
struct KeyRef<'a>(FindingId, &'a str, &'a str);

impl hashbrown::Equivalent<(FindingId, String, String)> for KeyRef<'_> {
    fn equivalent(&self, k: &(FindingId, String, String)) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2
    }
}

impl Findings {
    fn get(&mut self, id: FindingId, device: &str, subject: &str, sev: Severity) -> &mut Acc {
        let key = KeyRef(id, device, subject);
        if !self.map.contains_key(&key) {
            self.map
                .insert((id, device.to_string(), subject.to_string()), Acc::new(sev));
        }
        self.map
            .get_mut(&key)
            .expect("the finding was just filed if it was not there")
    }
}

/// Where each address's device is, and what every flow is.
struct Index<'a> {
    /// The devices that held each address, with their ids.
    device_of: HashMap<IpAddr, Vec<(&'a Device, String)>>,
    /// The flows, in their order, and where each is by its id.
    flows: &'a [Flow],
    flow_index: FlowIndex,
    /// Short names of the devices and their main addresses ([`primary_address`]), by address.
    name_of: HashMap<IpAddr, (String, IpAddr)>,
    /// The named devices with several addresses, by the subject they are called by.
    several: HashMap<String, &'a Device>,
    /// The messages of each flow, in order: those of `flows[k]` are
    /// `flow_events[events_at[k]..events_at[k + 1]]`.
    flow_events: Vec<&'a Event>,
    events_at: Vec<u32>,
    /// [`Index::named`] and [`Index::described`] per address, written once: the checks run on
    /// every flow, and most flows go to a few servers.
    named_memo: RefCell<HashMap<IpAddr, String>>,
    described_memo: RefCell<HashMap<IpAddr, String>>,
    /// TFTP requests whose server answered from a port of its own: (client, its port, server).
    tftp_answered: HashSet<(IpAddr, u16, IpAddr)>,
    /// The cloud region of each address's endpoint, which a looked-up name may have given.
    region_of: HashMap<IpAddr, &'a str>,
    /// The busiest name of each (device address, its MAC, server address): where the endpoints
    /// count a flow that named nothing itself ([`crate::endpoints::busiest_by_address`]).
    endpoint_name: HashMap<(IpAddr, Option<Mac>, IpAddr), &'a str>,
    /// URLs hosts announced to the whole link (WS-Discovery's XAddrs, SSDP's LOCATION): the
    /// host and the path, which are public, whatever identifier the path holds.
    announced: HashSet<(IpAddr, &'a str)>,
}

/// The host (an address) and path of an `http://` URL, without a trailing `/`.
fn url_host_path(url: &str) -> Option<(IpAddr, &str)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = crate::endpoints::host_of(authority);
    let path = path.split(['?', '#']).next().unwrap_or("");
    Some((host.parse().ok()?, path.trim_end_matches('/')))
}

impl<'a> Index<'a> {
    fn new(i: &Input<'a>) -> Index<'a> {
        let mut device_of: HashMap<IpAddr, Vec<(&'a Device, String)>> = HashMap::new();
        let mut name_of = HashMap::new();
        let mut several = HashMap::new();
        for d in i.devices {
            // A named device is called by its name and its main address ([`primary_address`])
            // whichever address a flow reached: one device with
            // several addresses (dual stack, a new lease) is one subject, whose findings list
            // the addresses in their facts.
            let name = d.short_name().zip(primary_address(&d.addresses));
            if let (Some((n, a)), true) = (&name, d.addresses.len() > 1) {
                several.insert(format!("{n} ({a})"), d);
            }
            for a in &d.addresses {
                device_of.entry(*a).or_default().push((d, d.id()));
                if let Some(n) = &name {
                    name_of.entry(*a).or_insert_with(|| n.clone());
                }
            }
        }
        let tftp_answered = i
            .flows
            .iter()
            .filter(|f| f.app.app == App::Tftp && f.app.by == By::Control)
            .map(|f| {
                let ((c, port), (s, _)) = ends(f);
                (c, port, s)
            })
            .collect();
        // The messages grouped by flow in two passes (a vector per flow was 30 000 allocations
        // on the bench file): counted, then put in place, in their order within each flow.
        let flow_index = FlowIndex::new(i.flows);
        let owner: Vec<u32> = i
            .events
            .iter()
            .map(|e| flow_index.find(e.flow).map_or(u32::MAX, |k| k as u32))
            .collect();
        let mut events_at = vec![0u32; i.flows.len() + 1];
        for &k in owner.iter().filter(|&&k| k != u32::MAX) {
            events_at[k as usize + 1] += 1;
        }
        for k in 1..events_at.len() {
            events_at[k] += events_at[k - 1];
        }
        let mut next = events_at.clone();
        let mut flow_events = match i.events.first() {
            Some(e) => vec![e; events_at[i.flows.len()] as usize],
            None => Vec::new(),
        };
        for (e, &k) in i.events.iter().zip(&owner) {
            if k != u32::MAX {
                flow_events[next[k as usize] as usize] = e;
                next[k as usize] += 1;
            }
        }
        let region_of = i
            .endpoints
            .iter()
            .filter_map(|e| Some((e.addr, e.place.region.as_deref()?)))
            .collect();
        let endpoint_name = crate::endpoints::busiest_by_address(
            i.endpoints
                .iter()
                .enumerate()
                .filter(|(_, e)| e.name.is_some()),
        )
        .into_iter()
        .filter_map(|(key, k)| Some((key, i.endpoints[k].name.as_deref()?)))
        .collect();
        let mut announced = HashSet::new();
        for e in i.events {
            match &e.message {
                Message::Wsd(w) if w.announces() => {
                    announced.extend(w.xaddrs.iter().filter_map(|x| url_host_path(x)));
                }
                Message::HttpRequest(r) => {
                    if let Some(l) = r.ssdp.as_ref().and_then(|s| s.location.as_deref()) {
                        announced.extend(url_host_path(l));
                    }
                }
                Message::HttpResponse(r) => {
                    if let Some(l) = r.ssdp.as_ref().and_then(|s| s.location.as_deref()) {
                        announced.extend(url_host_path(l));
                    }
                }
                _ => {}
            }
        }
        announced.retain(|(_, p)| !p.is_empty());
        Index {
            device_of,
            name_of,
            several,
            flow_events,
            events_at,
            announced,
            flows: i.flows,
            flow_index,
            named_memo: RefCell::default(),
            described_memo: RefCell::default(),
            tftp_answered,
            region_of,
            endpoint_name,
        }
    }

    /// "Philips-hue (10.10.10.6)" for any address of a named device (its name and main
    /// address); the address alone otherwise.
    fn named(&self, a: IpAddr) -> String {
        self.named_memo
            .borrow_mut()
            .entry(a)
            .or_insert_with(|| match self.name_of.get(&a) {
                Some((n, main)) => format!("{n} ({main})"),
                None => a.to_string(),
            })
            .clone()
    }

    /// "Philips-hue (10.10.10.6)" for a named device's address `a` itself, whichever of its
    /// addresses it is: for facts that tell one connection.
    fn named_at(&self, a: IpAddr) -> String {
        match self.name_of.get(&a) {
            Some((n, _)) => format!("{n} ({a})"),
            None => a.to_string(),
        }
    }

    /// "Amazon.com, Inc., us-west-2, US": where an address is, in the region a looked-up name
    /// gave it if any.
    fn place(&self, i: &Input, a: IpAddr) -> String {
        where_is(i.intel, a, i.local, self.region_of.get(&a).copied())
    }

    /// "52.94.236.248 (Amazon.com, Inc., us-east-1, US)".
    fn described(&self, i: &Input, a: IpAddr) -> String {
        self.described_memo
            .borrow_mut()
            .entry(a)
            .or_insert_with(|| format!("{a} ({})", self.place(i, a)))
            .clone()
    }

    /// The device that sent from address `a` with source MAC `mac`.
    fn device_for(&self, a: IpAddr, mac: Option<Mac>) -> Option<&str> {
        let v = self.device_of.get(&a)?;
        v.iter()
            .find(|(d, _)| d.owns(a, mac))
            .or(v.first())
            .map(|(_, id)| id.as_str())
    }

    /// The device keyed by MAC `m`, if it holds an address.
    fn device_for_mac(&self, m: Mac) -> Option<&str> {
        let key = crate::devices::DeviceKey::Mac(m);
        self.device_of
            .values()
            .flatten()
            .find(|(d, _)| d.key == key)
            .map(|(_, id)| id.as_str())
    }

    /// The device at one side of flow `f`: its address and its MAC in the flow's frames.
    fn device_at(&self, f: &Flow, side: Side) -> Option<&str> {
        self.device_for(ip_of(&f.key.end(side).0), f.mac[side as usize])
    }

    /// The device that sent a parser's message (its flow tells the sender's MAC).
    fn sender(&self, e: &Event) -> Option<&str> {
        self.device_for(ip_of(&e.src), self.mac_of(e, e.from_client))
    }

    /// The device that received a parser's message.
    fn receiver(&self, e: &Event) -> Option<&str> {
        self.device_for(ip_of(&e.dst), self.mac_of(e, !e.from_client))
    }

    /// The MAC of the client (or the server) of a message's flow.
    fn mac_of(&self, e: &Event, client: bool) -> Option<Mac> {
        let f = self.flow(e.flow)?;
        let side = if client {
            f.initiator
        } else {
            f.initiator.other()
        };
        f.mac[side as usize]
    }

    /// A TFTP request that its server answered from a port of its own.
    fn answered_from_elsewhere(&self, f: &Flow) -> bool {
        f.app.app == App::Tftp && {
            let ((c, port), (s, _)) = ends(f);
            self.tftp_answered.contains(&(c, port, s))
        }
    }

    fn events(&self, f: &Flow) -> &[&'a Event] {
        // A flow of the slice (nearly every question) is found by its place in it, any other by
        // its id.
        let at = iotscope_flow::slot_of(self.flows.as_ptr() as usize, f);
        match self.flows.get(at) {
            Some(g) if std::ptr::eq(g, f) => self.events_at(at),
            _ => self.events_by_id(f.id()),
        }
    }

    /// The messages of the flow with id `id`, in order.
    fn events_by_id(&self, id: u64) -> &[&'a Event] {
        self.flow_index
            .find(id)
            .map_or(&[][..], |k| self.events_at(k))
    }

    /// The messages of `flows[k]`.
    fn events_at(&self, k: usize) -> &[&'a Event] {
        &self.flow_events[self.events_at[k] as usize..self.events_at[k + 1] as usize]
    }

    /// The flow with id `id`.
    fn flow(&self, id: u64) -> Option<&'a Flow> {
        self.flow_index.find(id).map(|k| &self.flows[k])
    }
}

/// The two ends of a flow: (client, server).
fn ends(f: &Flow) -> ((IpAddr, u16), (IpAddr, u16)) {
    let c = f.key.end(f.initiator);
    let s = f.key.end(f.initiator.other());
    ((ip_of(&c.0), c.1), (ip_of(&s.0), s.1))
}

fn is_unicast(a: IpAddr) -> bool {
    !(a.is_multicast() || a.is_unspecified() || crate::devices::is_broadcast(&a))
}

/// "Amazon, US" for an address, from the offline data.
/// "Organisation, region, country" of an address; `region` is one its name gave, which wins
/// over the address tables'.
fn where_is(intel: &Intel, a: IpAddr, local: &Local, region: Option<&str>) -> String {
    if local.contains(&a) {
        return "local network".into();
    }
    let mut p = crate::endpoints::place_of(intel, local, a);
    if let Some(r) = region {
        p.region = Some(r.to_string());
    }
    let mut parts = Vec::new();
    if let Some(o) = p.holder() {
        parts.push(o);
    }
    if let Some(r) = p.region {
        parts.push(r);
    }
    if let Some(c) = p.country {
        parts.push(c);
    } else if p.anycast {
        parts.push("anycast".into());
    }
    if parts.is_empty() {
        "unknown network".into()
    } else {
        parts.join(", ")
    }
}

fn tls_version(v: u16) -> &'static str {
    iotscope_proto::tls::version_name(v).unwrap_or("unknown version")
}

/// Does `pattern` (a certificate name, maybe `*.example.com`) cover `name`?
fn name_matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(rest) => n
            .split_once('.')
            .is_some_and(|(head, tail)| !head.is_empty() && tail == rest),
        None => p == n,
    }
}

/// Every finding for every device, most severe first within each device.
pub fn findings(i: &Input) -> Vec<Finding> {
    let ix = Index::new(i);
    let mut out = Findings::default();
    let resolvers = network_resolvers(i, &ix);
    let probes = scans(i, &ix, &mut out);
    let flooded = floods(i, &ix, &mut out);
    let encrypted_dns_users = flows_and_apps(i, &ix, &resolvers, &probes, &flooded, &mut out);
    credentials(i, &ix, &mut out);
    dns_bypass(i, &ix, &resolvers, &probes, &mut out);
    dns_tunnels(i, &ix, &mut out);
    forged_dns(i, &ix, &mut out);
    endpoint_findings(i, &ix, &encrypted_dns_users, &probes, &flooded, &mut out);
    dhcp_servers(&ix, i.events, &mut out);
    // Several rhythms to one destination (two services, or one at two periods) make one
    // finding: its summary tells the strongest, and how many beats there are in all.
    // Each beacon with its device (the ones of no device make no finding) and its subject: a
    // destination known only by its address, when that address is a device that named itself
    // (mDNS, DHCP), is called as the other findings call it (one subject for all its
    // addresses).
    let placed: Vec<(usize, &Beacon, &str, String)> = i
        .beacons
        .iter()
        .enumerate()
        .filter_map(|(k, b)| {
            let subject = match b.destination.name.parse::<IpAddr>() {
                Ok(a) => ix.named(a),
                Err(_) => b.destination.name.clone(),
            };
            Some((k, b, ix.device_for(b.device, b.mac)?, subject))
        })
        .collect();
    let mut rhythms: HashMap<(&str, &str), (usize, u64, usize)> = HashMap::new();
    for (k, b, dev, subject) in &placed {
        let (k, b) = (*k, *b);
        let r = rhythms.entry((dev, subject.as_str())).or_insert((k, 0, 0));
        if b.beats > i.beacons[r.0].beats {
            r.0 = k;
        }
        r.1 += b.beats as u64;
        r.2 += 1;
    }
    for (k, b, dev, subject) in &placed {
        let (k, b, dev) = (*k, *b, *dev);
        // Plain HTTP on a timer says so (its own rhythm: the name's HTTPS may beat apart).
        let http = (FindingId::CleartextHttp, dev.to_string(), subject.clone());
        if let Some(acc) = out
            .map
            .get_mut(&http)
            .filter(|_| b.destination.service.ends_with(" http"))
        {
            acc.fact("period", b.every());
        }
        // A steady beat to an address the device never looked up, in a protocol nothing here
        // reads, is what a bot's command channel looks like (and what some vendors' clouds do):
        // worth a look, where a beat to a named cloud in a known protocol is only a habit.
        let bare = !b.destination.named
            && b.destination
                .name
                .parse::<IpAddr>()
                .is_ok_and(|a| is_unicast(a) && !i.local.contains(&a));
        let hidden = bare && b.destination.service.ends_with(" unknown");
        let sev = if hidden {
            Severity::Low
        } else {
            Severity::Info
        };
        let acc = out.get(FindingId::Periodic, dev, subject, sev);
        acc.raise(sev);
        if hidden {
            acc.fact(
                "why it stands out",
                "an address never looked up, a protocol iotscope cannot read",
            );
        }
        acc.count += b.beats as u64;
        for f in &b.frames {
            acc.at(b.first, b.last, *f);
        }
        // UDP has no connections: its beats are datagrams of one flow, or new exchanges.
        let udp = b.destination.service.starts_with("udp");
        let beats = match (b.within, udp) {
            (true, false) => "packets inside one connection",
            (true, true) => "datagrams on one flow",
            (false, false) => "a new connection each time",
            (false, true) => "a new exchange each time",
        };
        // Inside one connection only its total is known: the handshake and the close are
        // shared out over the beats, so it is an average, and says so.
        let (per_beat, average) = if b.within {
            ("bytes per beat (connection average)", " on average")
        } else {
            ("bytes per beat", "")
        };
        let (_, _, n) = rhythms[&(dev, subject.as_str())];
        if n > 1 {
            // Several rhythms: each on a line of its own, so that a period keeps its jitter,
            // its size and its service.
            // A device's addresses beat apart: each rhythm says which.
            let at = match b.destination.name.parse::<IpAddr>() {
                Ok(a) if *subject != b.destination.name => format!(" at {a}"),
                _ => String::new(),
            };
            acc.fact(
                "rhythm",
                format!(
                    "{}{at} every {} ± {} · {} beats · {} per beat{average} · {beats}",
                    b.destination.service,
                    duration(b.period),
                    duration(b.jitter),
                    b.beats,
                    bytes(b.bytes_per_beat),
                ),
            );
        } else {
            acc.fact("beats", beats)
                .fact("service", b.destination.service.as_str())
                .fact("period", duration(b.period))
                .fact("jitter", duration(b.jitter))
                .fact(per_beat, bytes(b.bytes_per_beat));
        }
        if b.answered == 0 {
            acc.fact(
                "answer",
                "none in the capture: a connection attempt repeated, to a server that does not answer",
            );
        }
        for a in &b.addresses {
            acc.fact("addresses", a.to_string());
        }
        let (strongest, total, n) = rhythms[&(dev, subject.as_str())];
        if strongest == k {
            let others = if n > 1 {
                format!(" · {n} rhythms, {total} beats in all")
            } else {
                String::new()
            };
            acc.summary = Some(format!(
                "{} · {} · {} times · {} per beat{average}{others}",
                b.destination.service,
                b.every(),
                b.beats,
                bytes(b.bytes_per_beat)
            ));
        }
    }
    // The longest first: the connections listed, at most MAX_VALUES per finding, are the
    // longest ones, which the verdict's "longest open" names.
    let mut long: Vec<&LongLived> = i.long_lived.iter().collect();
    long.sort_by_key(|l| std::cmp::Reverse(l.duration()));
    for l in long {
        let Some(dev) = ix.device_for(l.device, l.mac) else {
            continue;
        };
        let acc = out.get(
            FindingId::LongLived,
            dev,
            &l.destination.name,
            Severity::Info,
        );
        acc.count += 1;
        acc.at(l.first, l.last, l.frame);
        let place = ix.place(i, l.server);
        let (open, up, down) = (
            duration(l.duration()),
            bytes(l.bytes_up),
            bytes(l.bytes_down),
        );
        // Each connection in one line, so that its duration, bytes and end stay together.
        let listed = acc.tally.get("listed").copied().unwrap_or(0) as usize;
        acc.fact("service", l.destination.service.as_str())
            .fact("server", format!("{} ({place})", l.server));
        if listed < MAX_VALUES {
            *acc.tally.entry("listed".into()).or_insert(0) += 1;
            acc.fact(
                "connections",
                format!(
                    "open {open}{}, {up} up, {down} down, {}",
                    if l.open_at_start {
                        " or more (its start is not in the capture)"
                    } else {
                        ""
                    },
                    if l.open_at_end {
                        "still open when the capture ended"
                    } else {
                        "closed"
                    }
                ),
            );
        }
        if l.open_at_end {
            acc.tally
                .entry("open".into())
                .and_modify(|n| *n += 1)
                .or_insert(1);
        }
        // The longest connection sums the finding up (it comes first).
        if acc.summary.is_none() {
            acc.summary = Some(format!(
                "{} → {} ({place}) · open {open}{} · {up} up, {down} down{}",
                l.destination.service,
                l.server,
                if l.open_at_start { " or more" } else { "" },
                if l.open_at_end {
                    " · still open at the end"
                } else {
                    ""
                }
            ));
        }
    }
    // Long-lived channels: the longest, and how many were still open at the end.
    for ((id, _, _), acc) in out.map.iter_mut() {
        if *id != FindingId::LongLived {
            continue;
        }
        let open = acc.tally.remove("open").unwrap_or(0);
        let state = match (open, acc.count) {
            (0, _) => "closed before the capture ended".to_string(),
            (o, n) if o == n => "still open when the capture ended".to_string(),
            (o, n) => format!("{o} of {n} still open when the capture ended"),
        };
        acc.fact("state", state);
        let listed = acc.tally.remove("listed").unwrap_or(0);
        if acc.count > listed {
            acc.fact(
                "listed",
                format!("the {listed} longest of {} connections", acc.count),
            );
        }
    }
    // A problem that only some of a name's connections showed says how many.
    for ((id, _, _), acc) in out.map.iter_mut() {
        if *id != FindingId::TlsWeak || acc.count < 2 {
            continue;
        }
        let count = acc.count;
        let tally = std::mem::take(&mut acc.tally);
        if let Some((_, values)) = acc.facts.iter_mut().find(|(l, _)| l == "problems") {
            *values = values
                .iter()
                .map(|p| match tally.get(p) {
                    Some(&n) if n < count => format!("{p} ({n} of {count} connections)"),
                    _ => p.clone(),
                })
                .collect();
        }
    }
    let mut entries: Vec<_> = out.map.into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut v: Vec<Finding> = entries
        .into_iter()
        .map(|((id, device, mut subject), acc)| {
            // A device of several addresses reached by only one of them is called by that one
            // (also inside a subject: "uses tftp to NAME (ADDRESS)").
            let called = ix
                .several
                .iter()
                .find(|(key, _)| subject.contains(key.as_str()));
            if let Some((key, d)) = called {
                let mut reached = d.addresses.iter().filter(|a| {
                    let a = a.to_string();
                    acc.facts
                        .iter()
                        .flat_map(|(_, v)| v)
                        .any(|v| mentions(v, &a))
                });
                if let (Some(a), None) = (reached.next(), reached.next()) {
                    if let Some(name) = d.short_name() {
                        subject = subject.replace(key.as_str(), &format!("{name} ({a})"));
                    }
                }
            }
            let summary = acc.summary.clone().unwrap_or_else(|| {
                acc.facts
                    .iter()
                    .map(|(l, v)| format!("{l}: {}", join_values(l, v)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            });
            Finding {
                id,
                severity: acc.severity,
                device,
                subject,
                summary,
                facts: acc
                    .facts
                    .iter()
                    .flat_map(|(l, v)| {
                        // A rhythm and a connection are each several figures that belong
                        // together: one fact each, not one list.
                        if matches!(l.as_str(), "rhythm" | "connections") {
                            v.iter()
                                .take(MAX_VALUES)
                                .map(|x| Fact {
                                    label: l.clone(),
                                    value: x.clone(),
                                })
                                .collect::<Vec<_>>()
                        } else {
                            vec![Fact {
                                label: l.clone(),
                                value: join_values(l, v),
                            }]
                        }
                    })
                    .collect(),
                count: acc.count,
                first: acc.first,
                last: acc.last,
                frames: acc.frames.into_iter().collect(),
            }
        })
        .collect();
    v.sort_by(|a, b| {
        a.device
            .cmp(&b.device)
            .then(b.severity.cmp(&a.severity))
            .then(a.id.cmp(&b.id))
            .then(a.first.cmp(&b.first))
    });
    v
}

/// The address a device with several is called by: a private or public IPv4 address before a
/// link-local or unspecified one, then a global IPv6 address, a unique-local one, a link-local
/// one (the lowest of the best kind).
fn primary_address(addresses: &BTreeSet<IpAddr>) -> Option<IpAddr> {
    let rank = |a: &IpAddr| match a {
        IpAddr::V4(v) if v.is_unspecified() || v.octets()[0] == 0 => 5,
        IpAddr::V4(v) if v.is_link_local() => 4,
        IpAddr::V4(_) => 0,
        IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80 => 3,
        IpAddr::V6(v) if v.segments()[0] & 0xfe00 == 0xfc00 => 2,
        IpAddr::V6(_) => 1,
    };
    addresses.iter().min_by_key(|a| rank(a)).copied()
}

/// Whether `text` holds the address `addr` as a whole ("192.168.0.1" is not in "192.168.0.13").
fn mentions(text: &str, addr: &str) -> bool {
    let part = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    text.match_indices(addr)
        .any(|(k, _)| !text[..k].ends_with(part) && !text[k + addr.len()..].starts_with(part))
}

/// The resolvers the network uses: those its DHCP server hands out and the DNS servers on the
/// local network that devices query; failing both, the one most devices use.
fn network_resolvers(i: &Input, ix: &Index) -> BTreeSet<IpAddr> {
    let mut users: BTreeMap<IpAddr, BTreeSet<IpAddr>> = BTreeMap::new();
    for f in i.flows {
        let (c, s) = ends(f);
        if f.app.app == App::Dns
            && s.1 == 53
            && ix.device_at(f, f.initiator).is_some()
            && is_unicast(s.0)
        {
            users.entry(s.0).or_default().insert(c.0);
        }
    }
    // The resolvers the network's DHCP server hands out are the network's, wherever they are;
    // so are those of DHCPv6 (advertise and reply, option 23) and of router advertisements
    // (RDNSS), which an IPv4 network's resolvers are found beside, not instead of.
    let mut handed: BTreeSet<IpAddr> = BTreeSet::new();
    let mut handed_v6: BTreeSet<IpAddr> = BTreeSet::new();
    for e in i.events {
        match &e.message {
            Message::Dhcp(m) if matches!(m.msg_type, Some(2) | Some(5)) => {
                handed.extend(m.dns_servers.iter().map(|a| IpAddr::V4(*a)));
            }
            Message::Dhcpv6(m) if matches!(m.msg_type, 2 | 7) => {
                handed_v6.extend(m.dns_servers.iter().map(|a| IpAddr::V6(*a)));
            }
            Message::Ndp(m) => handed_v6.extend(m.dns.iter().map(|a| IpAddr::V6(*a))),
            _ => {}
        }
    }
    let mut locals: BTreeSet<IpAddr> = users
        .keys()
        .filter(|a| i.local.contains(a))
        .copied()
        .collect();
    locals.extend(handed);
    if locals.is_empty() {
        // Else the resolvers the most devices use; a tie keeps them all: hosts are given two
        // (a primary and a secondary), and with one device in the capture, nothing tells which
        // of its resolvers the network gave it.
        let most = users.values().map(BTreeSet::len).max().unwrap_or(0);
        locals = users
            .iter()
            .filter(|(_, u)| u.len() == most)
            .map(|(a, _)| *a)
            .collect();
    }
    locals.extend(handed_v6);
    locals
}

/// An HTTP request that is a name lookup: HTTPDNS services (Alibaba Cloud `/<account>/d?host=`,
/// `/sign_d?host=`, Tencent DNSPod `/d?dn=`) and JSON resolvers (`/resolve?name=`) asked over
/// plain HTTP, around the network's resolver.
fn is_http_dns(uri: &str) -> bool {
    let Some((path, query)) = uri.split_once('?') else {
        return false;
    };
    let last = path.rsplit('/').next().unwrap_or("");
    let names = |n: &str| query.split('&').any(|kv| kv.split('=').next() == Some(n));
    match last {
        "d" | "sign_d" => names("host") || names("dn"),
        "resolve" => names("name"),
        _ => false,
    }
}

fn dns_bypass(
    i: &Input,
    ix: &Index,
    resolvers: &BTreeSet<IpAddr>,
    probes: &HashSet<u64>,
    out: &mut Findings,
) {
    for f in i.flows {
        // A scan's DNS probe that got no answer is no lookup.
        if probes.contains(&f.id()) {
            continue;
        }
        let (c, s) = ends(f);
        if f.app.app == App::Http && !i.local.contains(&s.0) {
            let lookups = ix
                .events(f)
                .iter()
                .filter(|e| matches!(&e.message, Message::HttpRequest(r) if is_http_dns(&r.uri)))
                .count() as u64;
            if let (Some(dev), true) = (ix.device_at(f, f.initiator), lookups > 0) {
                let acc = out.get(
                    FindingId::DnsBypass,
                    dev,
                    &s.0.to_string(),
                    Severity::Medium,
                );
                acc.count += lookups;
                acc.at(f.first, f.last, f.first_frame + 1)
                    .fact("resolver", ix.described(i, s.0))
                    .fact("protocol", "DNS over plain HTTP (HTTPDNS)");
                for r in resolvers {
                    acc.fact("network's resolver", r.to_string());
                }
            }
            continue;
        }
        // DNS on another port than 53 (found by its content) is no less a lookup, and the odd
        // port is worth saying.
        if f.app.app != App::Dns || !is_unicast(s.0) || resolvers.contains(&s.0) {
            continue;
        }
        // Only the port said DNS: what went to port 53 was no DNS message (a flood's filler, a
        // tunnel), or nothing at all.
        if f.app.by == By::Port {
            continue;
        }
        // A resolver of the network forwarding upstream is doing its job.
        if resolvers.contains(&c.0) {
            continue;
        }
        // With no resolver of the network known (none handed out, none queried on port 53), a
        // local server asked on another port may well be it (a router's resolver on an odd
        // port): nothing says the lookup went around anything.
        if resolvers.is_empty() && i.local.contains(&s.0) {
            continue;
        }
        // The side that opened the flow must have asked: a capture that holds only a resolver's
        // answer (its query before the capture began, or not captured) makes the resolver look
        // like the client.
        let asked = ix
            .events(f)
            .iter()
            .any(|e| matches!(&e.message, Message::Dns(m) if e.from_client && !m.response));
        if !asked {
            continue;
        }
        let Some(dev) = ix.device_at(f, f.initiator) else {
            continue;
        };
        let who = public_resolver(s.0)
            .map(|w| format!("{w} public resolver"))
            .unwrap_or_else(|| ix.place(i, s.0));
        let subject = s.0.to_string();
        let acc = out.get(FindingId::DnsBypass, dev, &subject, Severity::Medium);
        acc.at(f.first, f.last, f.first_frame + 1);
        acc.fact("resolver", format!("{} ({who})", s.0));
        if s.1 != 53 {
            acc.fact(
                "port",
                format!("{}/{} (DNS's own is 53)", proto_name(f.key.proto), s.1),
            );
        }
        for r in resolvers {
            acc.fact("network's resolver", r.to_string());
        }
        for e in ix.events(f) {
            if let Message::Dns(m) = &e.message {
                if !m.response {
                    acc.count += 1;
                    for q in &m.questions {
                        acc.fact("names asked", q.name.to_ascii_lowercase());
                    }
                }
            }
        }
    }
}

/// Logins and user names sent in clear.
fn credentials(i: &Input, ix: &Index, out: &mut Findings) {
    // The server's answers, per finding and client: the logins refused and its replies, the
    // users let in, the credentials tried, and the server's device and service.
    let mut tallies: BTreeMap<(String, String, IpAddr), Tally> = BTreeMap::new();
    // The communities each host sent that were no factory default (`public`, `private`), by
    // fingerprint: one or two are its network's; many are a scanner's dictionary.
    let mut communities: HashMap<IpAddr, HashSet<u64>> = HashMap::new();
    for e in i.events {
        if let Message::Snmp(m) = &e.message {
            if m.community && !m.default_community && e.from_client {
                communities
                    .entry(ip_of(&e.src))
                    .or_default()
                    .insert(m.secret);
            }
        }
    }
    for e in i.events {
        let (protocol, method, user, password, secret) = match &e.message {
            Message::Login(l) => (
                l.protocol.clone(),
                l.method.clone(),
                l.user.clone(),
                l.password,
                l.secret,
            ),
            // Basic authentication is a Login message of its own; other schemes (Digest) name
            // the user but send no password.
            Message::HttpRequest(r)
                if r.auth_user.is_some()
                    && !r
                        .auth_scheme
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case("basic")) =>
            {
                (
                    "http".into(),
                    r.auth_scheme.clone().unwrap_or_default(),
                    r.auth_user.clone(),
                    false,
                    0,
                )
            }
            _ => continue,
        };
        // Anonymous FTP (RFC 1635) gives no account's secret away: the unsafe-protocol finding
        // of the connection says it was used.
        if protocol == "ftp" && user.as_deref().is_some_and(is_anonymous) {
            continue;
        }
        // An SNMP request no agent answered is a probe (a scanner tries "public" everywhere):
        // the scan finding tells of it, and no account was used. A trap needs no answer: an
        // agent sending its community to its manager is the real thing; so does a community
        // of the network's own (no factory default, one of at most two the host sent), which
        // crossed the network in clear whether an agent answered or not.
        if protocol == "snmp"
            && !ix
                .flow(e.flow)
                .is_some_and(|f| crate::endpoints::answered(f) || snmp_trap(ix, f))
        {
            let own = e.from_client
                && communities
                    .get(&ip_of(&e.src))
                    .is_some_and(|c| c.len() <= 2 && c.contains(&secret));
            if !own {
                continue;
            }
        }
        let server = if e.from_client {
            ip_of(&e.dst)
        } else {
            ip_of(&e.src)
        };
        // The client's device, else the server's (a login to a device on the LAN).
        let (of_client, of_server) = if e.from_client {
            (ix.sender(e), ix.receiver(e))
        } else {
            (ix.receiver(e), ix.sender(e))
        };
        let Some(dev) = of_client.or(of_server) else {
            continue;
        };
        // The server as the connection's other findings call it (the name the client looked
        // up or sent, a local device's name), so that one server has one subject.
        let name = ix
            .flow(e.flow)
            .map(|f| View::new(i, ix, f))
            .filter(|v| v.s == server)
            .map_or_else(|| fmt_ip(&server), |v| v.name);
        let subject = format!("{protocol} to {name}");
        let acc = out.get(
            FindingId::CleartextCredentials,
            dev,
            &subject,
            Severity::High,
        );
        acc.count += 1;
        let (first, last) = span(e);
        acc.at(first, last, e.frame + 1);
        acc.fact("protocol", protocol.as_str())
            .fact("method", method.as_str());
        // SNMP v1 and v2c name no user: the community string is the whole credential.
        // A password field of a request body without a user field beside it (a new password
        // set) names no user, which is not a login without one.
        let body_only = protocol == "http" && !is_header_login(&method) && user.is_none();
        let user = user.unwrap_or_else(|| "(none)".into());
        if protocol != "snmp" && !body_only {
            acc.fact("user", user.as_str());
        }
        // A server that refused the login (a wrong password, or one no longer valid) still saw
        // it.
        if let Some(f) = ix.flow(e.flow) {
            let client = ip_of(if e.from_client { &e.src } else { &e.dst });
            let t = tallies
                .entry((dev.to_string(), subject.clone(), client))
                .or_default();
            // The credentials tried: a user and a password's fingerprint (each login counts
            // apart when the password's was not taken).
            let tried = (user.clone(), if secret == 0 { e.frame } else { secret });
            match login_answer(ix.events(f), e.frame, &protocol) {
                Some((false, reply)) => {
                    t.refused += 1;
                    t.replies.insert(reply);
                    t.tried.insert(tried);
                }
                Some((true, _)) => {
                    t.accepted.insert(user);
                }
                // A guesser may close before the server's answer (its failure delay).
                None => {
                    t.tried.insert(tried);
                }
            }
            t.by_device = of_client == Some(dev);
            t.client = ix.named_at(client);
            t.server = of_server.map(|s| (s.to_string(), service(f)));
        }
        acc.fact("server", ix.described(i, server)).fact(
            "password",
            match (password, protocol == "http" && !is_header_login(&method)) {
                // A web application may hash or encrypt a password field itself (D-Link's HNAP
                // answers a challenge): what crossed can still be replayed or cracked offline.
                (true, true) if method.contains(iotscope_proto::login::AS_DIGEST) => DIGEST,
                (true, true) => "sent in clear in a form field (not shown; even hashed by the application, a value in clear can be cracked offline)",
                (true, false) => "sent in clear (not shown)",
                (false, _) => "not seen",
            },
        );
    }
    // Refusals per finding, whatever the client.
    let mut refusals: BTreeMap<(String, String), (u64, BTreeSet<String>)> = BTreeMap::new();
    for ((dev, subject, _), t) in &tallies {
        let r = refusals.entry((dev.clone(), subject.clone())).or_default();
        r.0 += t.refused;
        r.1.extend(t.replies.iter().cloned());
    }
    for ((dev, subject), (n, replies)) in refusals {
        if n == 0 {
            continue;
        }
        if let Some(acc) = out
            .map
            .get_mut(&(FindingId::CleartextCredentials, dev, subject))
        {
            let replies: Vec<String> = replies.into_iter().collect();
            let count = acc.count;
            acc.fact(
                "refused",
                format!("{n} of {count} ({})", replies.join(", ")),
            );
        }
    }
    // Password guessing: one client trying many credentials on one server, some refused.
    for ((dev, subject, _), t) in tallies {
        let key = (FindingId::CleartextCredentials, dev, subject);
        if t.refused == 0 || (t.tried.len() as u64) < GUESSES || !out.map.contains_key(&key) {
            continue;
        }
        let then = if t.accepted.is_empty() {
            String::new()
        } else {
            let users: Vec<String> = t.accepted.into_iter().collect();
            format!(", then let in as {}", users.join(", "))
        };
        let guessing = format!(
            "{} credentials tried, {} refused{then}",
            t.tried.len(),
            t.refused
        );
        let said = format!("{}: {guessing}", t.client);
        // The server's side: someone guessed at its passwords, and maybe got in (its
        // exposed-service finding keeps its severity, which tells where the clients were).
        let told = t.server.is_some_and(|(sdev, service)| {
            out.map
                .get_mut(&(FindingId::ExposedService, sdev, service))
                .map(|acc| acc.fact("password guessing", said.as_str()))
                .is_some()
        });
        if let Some(acc) = out.map.get_mut(&key) {
            if t.by_device {
                // The device guessed: what an infected device does.
                acc.fact("guessing", guessing);
            } else if !told {
                // A device guessed at by a host that is not one of the network's devices,
                // whose service no finding tells: said on its logins' finding.
                acc.fact("password guessing", said);
            }
        }
    }
    // A login without a password proves less, and so does one whose password went only as a
    // digest (it can be replayed, and a weak password guessed from it, but it is not read).
    for ((id, _, _), acc) in out.map.iter_mut() {
        if *id == FindingId::CleartextCredentials
            && matches!(acc.values("password").as_slice(), ["not seen"] | [DIGEST])
        {
            acc.severity = Severity::Medium;
        }
    }
}

/// The time a finding made of a message covers: the message's own, which its frame shows,
/// not its connection's (which can run on for hours after a login).
fn span(e: &Event) -> (Nanos, Nanos) {
    (e.ts, e.ts)
}

/// The `password` fact of an HTTP login whose password field held a hex digest.
pub const DIGEST: &str = "sent as a hash or an encryption of it (not shown): whoever sees it can \
     replay it, and a weak password can be found from it offline";

/// Different credentials (user and password) one client tries on one server, most refused,
/// from which it is password guessing, not a mistyped password or two, nor a saved password
/// gone stale and retried: a person retypes once or twice; Mirai tries ten pairs per host.
const GUESSES: u64 = 5;

/// What the server answered one client's logins of one finding.
#[derive(Default)]
struct Tally {
    refused: u64,
    replies: BTreeSet<String>,
    /// Users let in.
    accepted: BTreeSet<String>,
    /// Credentials tried and not let in: (user, the password's fingerprint).
    tried: BTreeSet<(String, u64)>,
    /// The finding's device is the client.
    by_device: bool,
    /// The client by name.
    client: String,
    /// The server's device and the service, when the server is a device.
    server: Option<(String, String)>,
}

/// The server's answer to the login a flow's event at `frame` carried: whether it let the client
/// in, and its reply as said in the finding. An MQTT broker's CONNACK (0 accepts); the result
/// of the LDAP bind sent in that frame (matched by its message id); for telnet, FTP, POP3, IMAP
/// and SMTP the answer that came after the login and before the next one.
fn login_answer(events: &[&Event], frame: u64, protocol: &str) -> Option<(bool, String)> {
    match protocol {
        "mqtt" => events.iter().find_map(|x| match x.message {
            Message::MqttConnAck(code) => Some((code == 0, format!("CONNACK code {code}"))),
            _ => None,
        }),
        "ldap" => {
            let id = events.iter().find_map(|x| match &x.message {
                Message::Ldap(m) if x.frame == frame && m.op == "bind-request" => Some(m.id),
                _ => None,
            })?;
            events.iter().find_map(|x| match &x.message {
                Message::Ldap(m) if m.op == "bind-response" && m.id == id => {
                    m.result.map(|r| (r == "success", r.to_string()))
                }
                _ => None,
            })
        }
        _ => {
            // Events are in frame order: the first answer after this login, unless another
            // login comes first.
            for x in events.iter().filter(|x| x.frame > frame) {
                match &x.message {
                    Message::Login(_) => return None,
                    Message::LoginAnswer(a) => return Some((a.accepted, a.reply.clone())),
                    _ => {}
                }
            }
            None
        }
    }
}

/// An HTTP login made by an Authorization header (Basic, Digest), not by a field of a body.
fn is_header_login(method: &str) -> bool {
    !method.ends_with(iotscope_proto::login::IN_REQUEST_BODY)
}

/// The user names of anonymous FTP, whose password is by convention an e-mail address or nothing.
fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

/// One flow as the per-flow findings see it.
struct View<'a> {
    ix: &'a Index<'a>,
    f: &'a Flow,
    /// Client and server addresses, and the server's port.
    c: IpAddr,
    s: IpAddr,
    sport: u16,
    /// The devices at either end, when they are local devices.
    cdev: Option<&'a str>,
    sdev: Option<&'a str>,
    /// First frame, 1-based.
    frame: u64,
    naming: Option<Naming<'a>>,
    /// What the client called the server: the HTTP Host it asked for, else the name it
    /// resolved or sent, else the server device's name, else the address.
    name: String,
    app: App,
    server_public: bool,
}

impl<'a> View<'a> {
    fn new(i: &'a Input, ix: &'a Index, f: &'a Flow) -> View<'a> {
        let ((c, _), (s, sport)) = ends(f);
        let (cdev, sdev) = (
            ix.device_at(f, f.initiator),
            ix.device_at(f, f.initiator.other()),
        );
        let naming = i.namer.of_flow(f);
        // The host a request names is what it addressed (several names can share an address).
        // A proxy is not the host its clients ask it to reach.
        let proxied = f.app.proxied();
        let host = ix.events(f).iter().find_map(|e| match &e.message {
            Message::HttpRequest(r) if r.ssdp.is_none() && !proxied => r
                .host
                .as_deref()
                .map(|h| crate::endpoints::host_of(h).to_ascii_lowercase())
                .filter(|h| h.parse::<IpAddr>().is_err() && !h.is_empty()),
            _ => None,
        });
        let name = match (host, &naming) {
            (Some(h), _) => h,
            (None, Some(n)) => n.name.to_ascii_lowercase(),
            // A local server without a name is called by its device's name.
            (None, None) if sdev.is_some() => ix.named(s),
            // A flow in which the client said nothing that was captured (only the server's
            // replies were) is its address's busiest destination, as the endpoints count it.
            // One whose client spoke and named nothing usable (SNI `localhost`) keeps the
            // address: what it reached is not known to be that name's server.
            (None, None) if f.from(f.initiator).payload_bytes == 0 => {
                match ix.endpoint_name.get(&(c, f.mac[f.initiator as usize], s)) {
                    Some(n) => n.to_ascii_lowercase(),
                    None => fmt_ip(&s),
                }
            }
            (None, None) => fmt_ip(&s),
        };
        View {
            ix,
            f,
            c,
            s,
            sport,
            cdev,
            sdev,
            frame: f.first_frame + 1,
            naming,
            name,
            app: f.app.app,
            server_public: !i.local.contains(&s) && is_unicast(s),
        }
    }

    /// "52.94.236.248 (Amazon.com, Inc., us-east-1, US)".
    fn server(&self, i: &Input) -> String {
        self.ix.described(i, self.s)
    }
}

/// Findings read flow by flow. Returns the devices seen using encrypted DNS.
fn flows_and_apps(
    i: &Input,
    ix: &Index,
    resolvers: &BTreeSet<IpAddr>,
    probes: &HashSet<u64>,
    flooded: &HashSet<u64>,
    out: &mut Findings,
) -> BTreeSet<IpAddr> {
    let mut encrypted_dns = BTreeSet::new();
    for f in i.flows {
        let v = View::new(i, ix, f);
        // A scan's probe that got nothing back used nothing: a UDP scan sends a TFTP request to
        // port 69 of every host, and the scan finding says so.
        let probe = probes.contains(&f.id());
        plain_http(i, ix, &v, out);
        if !probe {
            unsafe_protocol(i, ix, &v, out);
        }
        anonymous_mqtt(i, ix, &v, out);
        // An FTP data connection was announced by its control connection, which is reported on
        // its own (in active mode it is the server that connects to the device); a TFTP transfer
        // by its request.
        if f.app.by != By::Control {
            inbound(i, &v, resolvers, out);
        }
        if !probe && encrypted_dns_flow(i, &v, out) {
            encrypted_dns.insert(v.c);
        }
        // TLS, and the cleartext protocols that switched to it (STARTTLS).
        // A Tor link's certificate names no server on purpose: not a weakness of TLS.
        let tor = v.app == App::Tls && is_tor_link(ix, f);
        let mut doubt = None;
        if (matches!(v.app, App::Tls | App::Quic | App::Dtls) || f.app.upgraded()) && !tor {
            if let Some(dev) = v.cdev.or(v.sdev) {
                let resolved = v.naming.as_ref().is_some_and(|n| n.by == NamedBy::Dns);
                doubt = tls_checks(i, ix, f, dev, &v.name, resolved, v.server_public, out);
            }
        }
        downloads(i, ix, &v, doubt.as_deref(), out);
        tunnel(i, ix, &v, out);
        vpn(i, ix, &v, tor, out);
        // A flood's pings check nothing.
        if !flooded.contains(&f.id()) {
            connectivity(i, &v, out);
        }
        lan_peer(ix, &v, out);
    }
    // One ping is not a probe.
    out.map.retain(|(id, _, subject), acc| {
        !(*id == FindingId::ConnectivityCheck
            && subject.starts_with("ping ")
            && acc.count < MIN_PINGS)
    });
    // Connection totals of encrypted DNS.
    for ((id, _, _), acc) in out.map.iter_mut() {
        if *id == FindingId::EncryptedDns {
            acc.facts.retain(|(l, _)| l != "connections");
            let n = acc.count;
            acc.fact("connections", n.to_string());
        }
    }
    upnp(i, ix, out);
    encrypted_dns
}

/// Distinct ports of one host a device must try, most of them in vain, to be scanning it: a
/// client talks to a handful of a server's ports (web, mail, a control and a data port), not
/// twenty, and it talks on them.
pub const SCAN_PORTS: usize = 20;
/// Distinct hosts a device must try on one port, most of them in vain, none of them named by a
/// lookup, SNI or Host: a device that cycles through a vendor's list of hard-coded servers tries
/// a few, not thirty.
pub const SCAN_HOSTS: usize = 30;
/// Share of the attempts that carried no data (unanswered, refused, or a bare handshake) for
/// the tries to count as a scan: a scan finds few open doors, and uses none.
pub const SCAN_SILENT: f64 = 0.8;

/// UDP ports that traceroute sends its probes to (33434 and up, one per hop and try): a path
/// being traced is not a port scan, though the destination answers none of them.
const TRACEROUTE_PORTS: std::ops::RangeInclusive<u16> = 33434..=33534;

/// Port scans and address sweeps, per device and transport: TCP connection attempts (a SYN
/// seen), UDP datagrams and pings (ICMP and ICMPv6 echo requests) from a device, per target host
/// over ports and per port over hosts.
/// Returns the ids ([`Flow::id`]) of the scans' probes that got nothing back: they used nothing,
/// and make no other finding.
fn scans(i: &Input, ix: &Index, out: &mut Findings) -> HashSet<u64> {
    // Per device: each host's ports, and each port's hosts, with the flows that tried them.
    type Tried<'f, K> = BTreeMap<K, Vec<&'f Flow>>;
    // The hosts of a port by hash: a sweep of the internet tries hundreds of thousands once
    // each, and a map built from them sorted at once costs less than one built in their order.
    type Targets<'f> = (
        BTreeMap<IpAddr, Tried<'f, u16>>,
        HashMap<u16, HashMap<IpAddr, Vec<&'f Flow>>>,
    );
    let mut by_device: BTreeMap<(&str, u8), Targets> = BTreeMap::new();
    let mut probes = HashSet::new();
    // Each attempt: device, transport, host, port, whether a lookup named the host.
    let mut attempts: Vec<(&str, u8, IpAddr, u16, bool, &Flow)> = Vec::new();
    for f in i.flows {
        let (s, port) = f.key.end(f.initiator.other());
        let host = ip_of(&s);
        // Pings: an ICMP or ICMPv6 echo request (its flow has no ports: port 0 stands for it).
        let echo = matches!(f.key.proto, 1 | 58)
            && f.icmp[f.initiator as usize] & icmp_kind::ECHO_REQUEST != 0;
        let tried = match f.key.proto {
            6 => f.tcp.is_some_and(|t| t.syn_ts.is_some()),
            // Multicast and broadcast datagrams are meant for many hosts and answered by few.
            17 => is_unicast(host) && !TRACEROUTE_PORTS.contains(&port),
            1 | 58 => echo && is_unicast(host),
            _ => false,
        };
        if !(f.key.ports_known || echo) || !tried {
            continue;
        }
        let Some(dev) = ix.device_at(f, f.initiator) else {
            continue;
        };
        // A sweep tries addresses nobody named: a device cycling through the addresses its
        // lookups returned (a CDN's, with the internet blocked) is no worm.
        let named = i.namer.of_flow(f).is_some();
        attempts.push((dev, f.key.proto, host, port, named, f));
    }
    // Only a host tried at least SCAN_PORTS times can have had that many ports tried, and only
    // a port tried that often unnamed can have been swept: the others are not filed (a sweep of
    // the internet tries hundreds of thousands of hosts once each).
    let mut per_host: HashMap<(&str, u8, IpAddr), usize> = HashMap::new();
    let mut per_port: HashMap<(&str, u8, u16), usize> = HashMap::new();
    for &(dev, proto, host, port, named, _) in &attempts {
        *per_host.entry((dev, proto, host)).or_default() += 1;
        if !named {
            *per_port.entry((dev, proto, port)).or_default() += 1;
        }
    }
    for (dev, proto, host, port, named, f) in attempts {
        let many_ports = per_host[&(dev, proto, host)] >= SCAN_PORTS;
        let many_hosts = !named && per_port[&(dev, proto, port)] >= SCAN_HOSTS;
        if !(many_ports || many_hosts) {
            continue;
        }
        let (ports_of, hosts_on) = by_device.entry((dev, proto)).or_default();
        if many_ports {
            ports_of
                .entry(host)
                .or_default()
                .entry(port)
                .or_default()
                .push(f);
        }
        if many_hosts {
            hosts_on
                .entry(port)
                .or_default()
                .entry(host)
                .or_default()
                .push(f);
        }
    }
    for ((dev, proto), (ports_of, hosts_on)) in by_device {
        let proto_name = proto_name(proto);
        // TCP subjects name no transport, as they did before UDP was looked at.
        let ports_word = if proto == 6 { "ports" } else { "udp ports" };
        // Port scans: every host whose ports the device tried, in one finding, so that a scan of
        // a whole network reads as one scan and not as one per host.
        let mut scanned_hosts: BTreeMap<IpAddr, Vec<u16>> = BTreeMap::new();
        for (host, ports) in &ports_of {
            if let Some(open) = scanned(ports, SCAN_PORTS) {
                scanned_hosts.insert(*host, open);
            }
        }
        if !scanned_hosts.is_empty() {
            let internet = scanned_hosts
                .keys()
                .filter(|h| !i.local.contains(h))
                .count();
            let sev = scan_severity(internet);
            let ports: BTreeSet<u16> = scanned_hosts
                .keys()
                .flat_map(|h| ports_of[h].keys().copied())
                .collect();
            let answered: Vec<String> = scanned_hosts
                .iter()
                .flat_map(|(h, open)| open.iter().map(move |p| (h, p)))
                .map(|(h, p)| match scanned_hosts.len() {
                    1 => p.to_string(),
                    _ => format!("{h}:{p}"),
                })
                .collect();
            let (subject, whom) = match scanned_hosts.keys().next() {
                Some(h) if scanned_hosts.len() == 1 => {
                    (format!("{ports_word} of {h}"), h.to_string())
                }
                _ => {
                    let n = scanned_hosts.len();
                    (
                        format!("{ports_word} of {n} hosts"),
                        format!("{n} hosts ({internet} on the internet)"),
                    )
                }
            };
            let acc = out.get(FindingId::Scan, dev, &subject, sev);
            for h in scanned_hosts.keys() {
                acc.tries(&ports_of[h]);
                probes.extend(
                    ports_of[h]
                        .values()
                        .flatten()
                        .filter(|f| silent(f))
                        .map(|f| f.id()),
                );
            }
            // A few targets by name; many by their span, lowest and highest address (the list
            // of values would sort them as text, 10.0.0.10 before 10.0.0.2).
            match (
                scanned_hosts.keys().next(),
                scanned_hosts.keys().next_back(),
            ) {
                (Some(lo), Some(hi)) if scanned_hosts.len() > MAX_VALUES => {
                    acc.fact(
                        "targets",
                        format!("{lo} to {hi}, {} addresses", scanned_hosts.len()),
                    );
                }
                _ => {
                    for h in scanned_hosts.keys() {
                        acc.fact("target", ix.described(i, *h));
                    }
                }
            }
            if scanned_hosts.len() > 1 {
                acc.fact("hosts tried", scanned_hosts.len().to_string())
                    .fact("on the internet", internet.to_string());
            }
            acc.fact("ports tried", ports.len().to_string()).fact(
                "ports that answered",
                if answered.is_empty() {
                    "none".to_string()
                } else {
                    answered.join(", ")
                },
            );
            acc.summary = Some(format!(
                "{} {ports_word} of {whom}, {} answered",
                ports.len(),
                answered.len()
            ));
        }
        // Sweeps: ports tried on many hosts, leaving out the hosts a port scan already counts
        // (a grid of ports over hosts is one scan), all such ports in one finding.
        let mut swept: BTreeMap<u16, (Tried<IpAddr>, Vec<IpAddr>)> = BTreeMap::new();
        for (port, hosts) in hosts_on {
            let hosts: Tried<IpAddr> = hosts
                .into_iter()
                .filter(|(h, _)| !scanned_hosts.contains_key(h))
                .collect();
            if let Some(answered) = scanned(&hosts, SCAN_HOSTS) {
                swept.insert(port, (hosts, answered));
            }
        }
        if swept.is_empty() {
            continue;
        }
        probes.extend(
            swept
                .values()
                .flat_map(|(tried, _)| tried.values().flatten())
                .filter(|f| silent(f))
                .map(|f| f.id()),
        );
        let hosts: BTreeSet<IpAddr> = swept
            .values()
            .flat_map(|(h, _)| h.keys().copied())
            .collect();
        let answered: BTreeSet<IpAddr> = swept
            .values()
            .flat_map(|(_, a)| a.iter().copied())
            .collect();
        // Hosts that refused every port they were tried on (a TCP reset): they are there.
        let refused: BTreeSet<IpAddr> = swept
            .values()
            .flat_map(|(tried, _)| tried.iter())
            .filter(|(h, fs)| !answered.contains(h) && fs.iter().any(|f| refused(f)))
            .map(|(h, _)| *h)
            .collect();
        let internet = hosts.iter().filter(|h| !i.local.contains(h)).count();
        let sev = scan_severity(internet);
        // "udp/161", or "tcp/23 telnet" when the port names a service; "ping" for echo requests.
        let ping = matches!(proto, 1 | 58);
        let port_name = |port: u16| match iotscope_proto::app::by_port(proto == 6, port, port) {
            _ if ping => "ping".to_string(),
            App::Unknown => format!("{proto_name}/{port}"),
            app => format!("{proto_name}/{port} {}", app.name()),
        };
        let (subject, what) = match swept.keys().next() {
            Some(p) if swept.len() == 1 => (
                format!("{} on many hosts", port_name(*p)),
                format!("{proto_name}/{p}"),
            ),
            _ => {
                let n = swept.len();
                (
                    format!("{n} {proto_name} ports on many hosts"),
                    format!("{n} {proto_name} ports"),
                )
            }
        };
        let acc = out.get(FindingId::Scan, dev, &subject, sev);
        for (port, (tried, _)) in &swept {
            acc.tries(tried);
            if swept.len() > 1 {
                acc.fact("ports", port_name(*port));
            }
        }
        // A TCP port that answered accepted the connection: it is open.
        let answer = if proto == 6 { "accepted" } else { "answered" };
        acc.fact("hosts tried", hosts.len().to_string())
            .fact("on the internet", internet.to_string())
            .fact(&format!("hosts that {answer}"), answered.len().to_string());
        if !refused.is_empty() {
            acc.fact("hosts that refused", refused.len().to_string());
        }
        let whom = if ping {
            format!("{} hosts with pings", hosts.len())
        } else {
            format!("{what} on {} hosts", hosts.len())
        };
        let refusals = match refused.len() {
            0 => String::new(),
            n => format!(", {n} refused"),
        };
        acc.summary = Some(format!(
            "{whom} ({internet} on the internet), {} {answer}{refusals}",
            answered.len()
        ));
    }
    probes
}

/// A scan reaching into the internet is the worm's kind (high); one of the local network only,
/// an inventory or an attacker already inside (medium).
fn scan_severity(targets_on_internet: usize) -> Severity {
    if targets_on_internet > 0 {
        Severity::High
    } else {
        Severity::Medium
    }
}

/// Whether a device's attempts on each of several targets (ports of a host, or hosts on a port)
/// make a scan: at least `min` targets, at least [`SCAN_SILENT`] of them without a word back.
/// Returns the targets that answered.
fn scanned<K: Copy>(targets: &BTreeMap<K, Vec<&Flow>>, min: usize) -> Option<Vec<K>> {
    if targets.len() < min {
        return None;
    }
    let quiet = targets
        .values()
        .filter(|fs| fs.iter().all(|f| silent(f)))
        .count();
    if (quiet as f64) < SCAN_SILENT * targets.len() as f64 {
        return None;
    }
    Some(
        targets
            .iter()
            .filter(|(_, fs)| fs.iter().any(|f| crate::endpoints::answered(f)))
            .map(|(k, _)| *k)
            .collect(),
    )
}

/// A TCP connection attempt the server refused: a reset, and no SYN/ACK.
fn refused(f: &Flow) -> bool {
    f.tcp.is_some_and(|t| t.synack_ts.is_none())
        && f.tcp_flags[f.initiator.other() as usize] & iotscope_packet::tcp_flags::RST != 0
}

/// A probe that got nothing back: a TCP attempt that carried no data either way (unanswered,
/// refused, or a bare handshake), or a datagram never answered.
fn silent(f: &Flow) -> bool {
    match f.tcp {
        Some(_) => !talked(f),
        None => !crate::endpoints::answered(f),
    }
}

/// Something was said on the flow: data from either side (for TCP), or a datagram answered.
/// Connection attempts that went unanswered or were refused, and handshakes closed without a
/// byte (a port scan's half-open probes), talked no protocol at all. Nor did SYNs that carried
/// data but were never answered (scanners pad their probes): data before a handshake is no
/// session of any protocol.
fn talked(f: &Flow) -> bool {
    let data = f.sent[0].payload_bytes + f.sent[1].payload_bytes > 0;
    match f.tcp {
        Some(_) => data && !unanswered_syns(f),
        None => f.from(f.initiator).payload_bytes > 0 || crate::endpoints::answered(f),
    }
}

/// A TCP flow of connection attempts only: its opener sent SYNs (never an ACK, so no
/// handshake it saw answered), and nothing came back.
fn unanswered_syns(f: &Flow) -> bool {
    use iotscope_packet::tcp_flags::{ACK, SYN};
    let flags = f.tcp_flags[f.initiator as usize];
    flags & SYN != 0 && flags & ACK == 0 && f.from(f.initiator.other()).packets == 0
}

/// Payload bytes on an HTTP port, in a connection older than the capture, for its bytes to be
/// taken as HTTP without a head seen: more than keep-alives and a stray segment (a few hundred
/// bytes), a body in flight.
const MID_STREAM_BODY: u64 = 16 << 10;

/// Plain HTTP from a device: the server, what was asked, sent and received.
fn plain_http(i: &Input, ix: &Index, v: &View, out: &mut Findings) {
    // A connectivity probe is plain HTTP by design; it has its own finding.
    let Some(dev) = v.cdev else {
        return;
    };
    // HTTP, or HTTP in clear through a SOCKS proxy (told by its messages, below).
    if !matches!(v.app, App::Http | App::Socks) {
        return;
    }
    // A proxy's tunnel that carried TLS: its CONNECT named the destination, as an SNI does, and
    // the rest was encrypted.
    if v.f.app.upgraded() {
        return;
    }
    if !talked(v.f) {
        return;
    }
    // Labelled by its port, with payload that never looked like HTTP (a keep-alive byte on a
    // connection older than the capture): no HTTP was seen.
    let http_seen = ix.events(v.f).iter().any(|e| {
        matches!(
            &e.message,
            Message::HttpRequest(_) | Message::HttpResponse(_)
        )
    });
    if v.app == App::Socks && !http_seen {
        return;
    }
    // A connection older than the capture that carries a body in flight (a download under
    // way when the capture began) is plain HTTP all the same: its request went before.
    let payload: u64 = v.f.sent.iter().map(|d| d.payload_bytes).sum();
    let unseen = v.f.app.by == By::Port && !http_seen && payload > 0;
    let mid_stream = unseen && v.f.begun_before_capture() && payload >= MID_STREAM_BODY;
    if unseen && !mid_stream {
        return;
    }
    if is_connectivity_check(&v.name) {
        return;
    }
    // Name lookups over plain HTTP (HTTPDNS) are told by their dns-bypass finding, in clear.
    let mut requests = ix.events(v.f).iter().filter_map(|e| match &e.message {
        Message::HttpRequest(r) if r.ssdp.is_none() => Some(r),
        _ => None,
    });
    if requests.next().is_some_and(|r| is_http_dns(&r.uri)) && requests.all(|r| is_http_dns(&r.uri))
    {
        return;
    }
    // Certificate status checks (OCSP, CRLs) and the fetches of an issuer's certificate that a
    // certificate names (its AIA) are plain HTTP by design: what they carry is signed by the
    // certificate authority. They show only which certificate was checked. Every message is one
    // (a GET whose answer says so counts), and at least one says so.
    let mut said = false;
    // An answer of plain bytes is one only after a request for a signed file.
    let mut asked_signed = false;
    let status_check = ix.events(v.f).iter().all(|e| match &e.message {
        Message::HttpRequest(r) if r.ssdp.is_none() => {
            let path = r.uri.split('?').next().unwrap_or("");
            let ocsp = r
                .content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("application/ocsp-request"))
                || r.method == "GET" && is_ocsp_get(path);
            let file = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
            let signed_file = r.method == "GET"
                && [".crl", ".crt", ".cer", ".p7c"]
                    .iter()
                    .any(|x| file.ends_with(x));
            said |= ocsp || signed_file;
            asked_signed = ocsp || signed_file;
            ocsp || signed_file || r.method == "GET" && r.content_type.is_none()
        }
        Message::HttpResponse(r) if r.ssdp.is_none() => {
            let status = r.content_type.as_deref().is_some_and(|c| {
                [
                    "ocsp-response",
                    "pkix-crl",
                    "pkix-cert",
                    "x-x509-ca-cert",
                    "pkcs7-mime",
                ]
                .iter()
                .any(|x| c.contains(x))
            });
            said |= status;
            // Servers send certificates as plain bytes too (Microsoft's `/pki/certs/*.crt`):
            // after a request for one, that answer neither says nor denies.
            status
                || asked_signed
                    && r.content_type
                        .as_deref()
                        .is_none_or(|c| c.starts_with("application/octet-stream"))
        }
        _ => true,
    }) && said;
    let sev = if status_check {
        Severity::Info
    } else if v.server_public {
        Severity::Medium
    } else {
        Severity::Low
    };
    let subject = if v.sport == 80 {
        v.name.clone()
    } else {
        format!("{}:{}", v.name, v.sport)
    };
    let acc = out.get(FindingId::CleartextHttp, dev, &subject, sev);
    acc.raise(sev);
    acc.fact("server", v.server(i));
    if status_check {
        acc.fact(
            "kind",
            "certificate status or issuer (OCSP, CRL, CA certificate): signed, nothing secret",
        );
    }
    let mut requests = 0;
    for e in ix.events(v.f) {
        match &e.message {
            Message::HttpRequest(r) if r.ssdp.is_none() => {
                requests += 1;
                // The evidence is the requests' frames, where Wireshark shows them.
                acc.at(v.f.first, v.f.last, e.frame + 1);
                if v.f.app.proxied() {
                    if let Some(h) = &r.host {
                        acc.fact("hosts through the proxy", h.as_str());
                    }
                }
                // A path the server announced to the whole link (its WS-Discovery or UPnP
                // address) holds a public identifier, not a key.
                let path = r.uri.split('?').next().unwrap_or("").trim_end_matches('/');
                let public = ix.announced.iter().any(|(a, p)| {
                    *a == v.s
                        && path
                            .strip_prefix(p)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                });
                let (uri, secret) = if public {
                    (r.uri.clone(), false)
                } else {
                    mask_path_secrets(&r.uri)
                };
                acc.fact("requests", [r.method.as_str(), &uri].join(" "));
                // An OCSP request in the path is the certificate's serial, not a key.
                if secret && !is_ocsp_get(r.uri.split('?').next().unwrap_or("")) {
                    acc.fact(
                        "keys in URLs",
                        "a key or token in the path, sent in clear (not shown)",
                    );
                }
                // A SOAP API in clear (UPnP control, D-Link's HNAP): what was invoked.
                if let Some(a) = &r.soap_action {
                    let action = a.rsplit(['#', '/']).find(|x| !x.is_empty()).unwrap_or(a);
                    acc.fact("SOAP actions", action.to_string());
                }
                let params = secret_params(&r.uri);
                if !params.is_empty() {
                    acc.fact(
                        "keys in URLs",
                        format!(
                            "{} {} sent in clear (values not shown)",
                            if params.len() == 1 {
                                "parameter"
                            } else {
                                "parameters"
                            },
                            params.join(", ")
                        ),
                    );
                }
                for k in &r.body_keys {
                    acc.fact("keys in request bodies (values not shown)", k.as_str());
                }
                if let Some(ua) = &r.user_agent {
                    acc.fact("user agent", ua.as_str());
                }
                // What the device itself sends in clear.
                if let Some(ct) = &r.content_type {
                    let ct = ct.split(';').next().unwrap_or("").trim();
                    acc.fact("sent", ct.to_string());
                    // Pictures, sound or video (a camera's clips, a doorbell's snapshots, a
                    // speaker's recordings) leaving the home in clear: anyone on the path can
                    // watch or listen.
                    let media = [
                        ("video/", "video"),
                        ("audio/", "audio"),
                        ("image/", "images"),
                    ]
                    .iter()
                    .find(|(prefix, _)| ct.to_ascii_lowercase().starts_with(prefix));
                    if let (Some((_, what)), true) = (media, v.server_public) {
                        acc.raise(Severity::High).fact(MEDIA_IN_CLEAR, *what);
                    }
                }
            }
            Message::HttpResponse(r) if r.ssdp.is_none() => {
                if let Some(ct) = &r.content_type {
                    let ct = ct.split(';').next().unwrap_or("").trim();
                    acc.fact("content", ct.to_string());
                }
                if let Some(sv) = &r.server {
                    acc.fact("server software", sv.as_str());
                }
            }
            _ => {}
        }
    }
    if requests == 0 {
        acc.at(v.f.first, v.f.last, v.frame);
    }
    if mid_stream {
        acc.fact(
            "requests",
            format!(
                "none seen: a transfer of {} begun before the capture",
                crate::text::bytes(payload)
            ),
        );
    }
    acc.count += requests.max(1);
}

/// Whether a URL path ends in an OCSP request sent by GET (RFC 6960, appendix A.1): the DER of
/// the request in base64, percent-escaped, as the last segment. DER starts with a SEQUENCE whose
/// length is the rest of the bytes, which words and keys almost never decode to.
pub fn is_ocsp_get(path: &str) -> bool {
    use base64::Engine;
    let Some(last) = path.rsplit('/').find(|s| !s.is_empty()) else {
        return false;
    };
    if last.len() < 20 || !last.starts_with('M') {
        return false;
    }
    let text = iotscope_proto::http::percent_decode(last);
    let trimmed = text.trim_end_matches('=');
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed));
    let Ok(der) = der else {
        return false;
    };
    // SEQUENCE, with a short or a one- or two-byte long length.
    let (len, head) = match der.get(1) {
        Some(&n) if n < 0x80 => (usize::from(n), 2),
        Some(0x81) => (der.get(2).map_or(0, |&n| usize::from(n)), 3),
        Some(0x82) => (
            der.get(2..4)
                .map_or(0, |b| usize::from(b[0]) << 8 | usize::from(b[1])),
            4,
        ),
        _ => return false,
    };
    der[0] == 0x30 && len > 0 && head + len == der.len()
}

/// The query parameters of a URL whose names say they carry a secret: a token, key, password,
/// signature or session. Their values are never kept (the parser strips them); the names are
/// the evidence.
pub fn secret_params(uri: &str) -> Vec<&str> {
    use iotscope_proto::http::{secret_name, Secret};
    let Some((_, query)) = uri.split_once('?') else {
        return Vec::new();
    };
    let mut out: Vec<&str> = Vec::new();
    for name in query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap_or(""))
    {
        if matches!(secret_name(name), Some(Secret::Password | Secret::Key)) && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

/// A URL path with the segments that look like keys or tokens replaced by `<key>`, and whether
/// there were any. Many device APIs carry their access key in the path rather than in a header
/// (the Hue bridge's `/api/<username>/...`); in clear, it is as good as a password. A segment is
/// taken for a key when it is long and made of hex digits (with dashes: UUIDs), or long, in the
/// base64url alphabet, and mixes letters and digits; words, file names and numbers are not.
pub fn mask_path_secrets(uri: &str) -> (String, bool) {
    let (path, query) = match uri.find('?') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let mut secret = false;
    let mut masked = String::with_capacity(uri.len());
    for (k, seg) in path.split('/').enumerate() {
        if k > 0 {
            masked.push('/');
        }
        // A segment too short for a key (16 hex digits, or 20 characters of a token) is kept
        // without a look at its bytes: most of a path's are.
        let b = seg.as_bytes();
        if b.len() < 16 {
            masked.push_str(seg);
            continue;
        }
        // One walk over the segment's bytes (every test is of ASCII classes; any other byte
        // fails them all).
        let (mut hex_digits, mut hex_only, mut token_only) = (0, true, true);
        let (mut digit, mut alpha, mut escapes_ok) = (false, false, true);
        for (j, &c) in b.iter().enumerate() {
            hex_digits += usize::from(c.is_ascii_hexdigit());
            hex_only &= c.is_ascii_hexdigit() || c == b'-';
            token_only &=
                c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'+' | b'=' | b'%');
            digit |= c.is_ascii_digit();
            alpha |= c.is_ascii_alphabetic();
            // Base64 and URL-safe base64, percent-escaped or not (`%2B` for `+`, `%3D` for `=`):
            // every `%` starts an escape of two hex digits.
            if c == b'%' {
                escapes_ok &= b
                    .get(j + 1..j + 3)
                    .is_some_and(|e| e.iter().all(u8::is_ascii_hexdigit));
            }
        }
        let hex = hex_digits >= 16 && hex_only;
        let token = b.len() >= 20 && escapes_ok && token_only && digit && alpha;
        if hex || token {
            secret = true;
            masked.push_str("<key>");
        } else {
            masked.push_str(seg);
        }
    }
    masked.push_str(query);
    (masked, secret)
}

/// Telnet, FTP and mail without TLS: on the device that offers it and the one that uses it.
fn unsafe_protocol(i: &Input, ix: &Index, v: &View, out: &mut Findings) {
    let f = v.f;
    // Switched to TLS by STARTTLS before anything secret was said.
    if f.app.upgraded() {
        return;
    }
    let vnc_offers = vnc_security(ix, f, true);
    let vnc_uses = vnc_security(ix, f, false);
    let sev = match v.app {
        App::Telnet => Severity::High,
        App::Ftp | App::Pop3 | App::Imap | App::Smtp | App::Tftp => Severity::Medium,
        // Control protocols without any authentication: whoever reaches the device commands it.
        App::Modbus | App::Dnp3 | App::Iec104 | App::Bacnet | App::S7comm | App::Enip => {
            Severity::Medium
        }
        // SNMP v1 and v2c: a community in clear, no integrity (v3 alone is left alone).
        App::Snmp => Severity::Medium,
        // VNC without a password, or with classic VNC authentication (the session in clear):
        // the server by what it offers, the client by what it chose (below).
        App::Vnc if vnc_offers.is_some() || vnc_uses.is_some() => Severity::Medium,
        // A device's messages to its cloud, and the commands that come back, in clear across
        // the internet (on the LAN, a hub's broker in clear is the usual setup).
        App::Mqtt | App::Coap if v.server_public => Severity::Medium,
        // IRC across the internet: chat in clear, and the command channel of many IoT bots;
        // Messenger's MSNP in clear too.
        App::Irc | App::Msnp if v.server_public => Severity::Medium,
        _ => return,
    };
    let versions = snmp_versions(ix, f);
    if v.app == App::Snmp && versions.is_empty() {
        return;
    }
    // A TFTP transfer is reported with the request that started it.
    if f.app.by == By::Control && v.app == App::Tftp {
        return;
    }
    // A connection refused (RST) or never answered offers and uses nothing: a port scan
    // touches every service without talking any of them.
    if !talked(f) {
        return;
    }
    // A TFTP server answers from a port of its own: the transfer flow is the answer.
    let answered = crate::endpoints::answered(f) || ix.answered_from_elsewhere(f);
    let (sev_offers, sev_uses) = match v.app {
        App::Vnc => (
            vnc_offers.as_ref().map(|x| x.0),
            vnc_uses.as_ref().map(|x| x.0),
        ),
        _ => (Some(sev), Some(sev)),
    };
    if let (Some(dev), true, Some(sev)) = (v.sdev, answered, sev_offers) {
        let subject = format!(
            "offers {} on {}/{}",
            v.app.name(),
            proto_name(f.key.proto),
            v.sport
        );
        let acc = out.get(FindingId::UnsafeProtocol, dev, &subject, sev);
        acc.raise(sev);
        acc.count += 1;
        acc.at(f.first, f.last, v.frame)
            .fact("clients", fmt_ip(&v.c));
        for ver in &versions {
            acc.fact("versions", format!("v{ver} (community in clear)"));
        }
        if let Some((_, what)) = &vnc_offers {
            acc.fact("security", what.as_str());
        }
    }
    // A broadcast (BACnet's Who-Is, a TFTP client looking for any server) has no server; an
    // SNMP request no agent answered is a probe (the scan finding tells of a sweep).
    let probe = v.app == App::Snmp && !answered && !snmp_trap(ix, f);
    if let (Some(dev), true, false, Some(sev)) = (v.cdev, is_unicast(v.s), probe, sev_uses) {
        let subject = format!("uses {} to {}", v.app.name(), v.name);
        let acc = out.get(FindingId::UnsafeProtocol, dev, &subject, sev);
        acc.raise(sev);
        acc.at(f.first, f.last, v.frame)
            .fact("server", v.server(i))
            .fact("service", service(f));
        for ver in &versions {
            acc.fact("versions", format!("v{ver} (community in clear)"));
        }
        if let Some((_, what)) = &vnc_uses {
            acc.fact("security", what.as_str());
        }
        // TFTP repeats a request until answered: each request counts (a connection otherwise),
        // and silence is worth saying.
        let mut requests = 0;
        for e in ix.events(f) {
            match &e.message {
                Message::Tftp(r) => {
                    requests += 1;
                    let what = if r.write { "writes" } else { "reads" };
                    acc.fact("files", format!("{what} {}", r.file));
                }
                Message::Login(l)
                    if l.protocol == "ftp" && l.user.as_deref().is_some_and(is_anonymous) =>
                {
                    acc.fact("login", "anonymous (no account's password)");
                }
                // What a CoAP client asks its server for, and the name an LwM2M client
                // registers under (often its serial number or IMEI), readable on the way.
                Message::Coap(c) if e.from_client => {
                    if let Some(m) = c.method {
                        acc.fact("requests", format!("{m} {}", c.target()));
                    }
                    if let Some(ep) = c.lwm2m_endpoint() {
                        acc.fact("registers as", ep);
                    }
                }
                _ => {}
            }
        }
        acc.count += requests.max(1);
        if !answered {
            acc.fact("answer", "none in the capture");
        }
    }
}

/// How a VNC connection was secured, when that makes it unsafe: the type the client chose, else
/// the server's offer. "None" lets anyone take the screen and keyboard (high); classic VNC
/// authentication is a DES challenge on an 8-character password, and the session itself is
/// not encrypted (medium). Other types (TLS, VeNCrypt, RealVNC's RA2...) raise nothing.
fn vnc_security(ix: &Index, f: &Flow, server: bool) -> Option<(Severity, String)> {
    if f.app.app != App::Vnc {
        return None;
    }
    let (mut offered, mut chosen, mut sub) = (None, None, None);
    for e in ix.events(f) {
        if let Message::VncSecurity(s) = &e.message {
            if s.chosen {
                chosen = s.types.first().copied();
                sub = s.vencrypt.or(sub);
            } else {
                offered = Some(s.types.clone());
            }
        }
    }
    // VeNCrypt's sub-types: Plain sends the password and the session in clear; TLSNone and
    // X509None encrypt a session nobody had to log in to.
    match sub {
        Some(256) => {
            return Some((
                Severity::High,
                "VeNCrypt Plain: password and session in clear".to_string(),
            ))
        }
        Some(257 | 260) => {
            return Some((
                Severity::High,
                "VeNCrypt without a password: anyone gets the screen".to_string(),
            ))
        }
        _ => {}
    }
    let none = (
        Severity::High,
        "None: no password, anyone gets the screen".to_string(),
    );
    let classic = (
        Severity::Medium,
        "VNC Authentication: weak password, session in clear".to_string(),
    );
    // A server that offers None lets anyone in, whatever this client chose; the client's own
    // session is what it chose.
    match (chosen, offered.as_deref()) {
        (_, Some(types)) if server && types.contains(&1) => Some(none),
        (Some(1), _) => Some(none),
        (Some(2), _) => Some(classic),
        (Some(_), _) => None,
        (None, Some([2])) => Some(classic),
        _ => None,
    }
}

/// The flow carries an SNMP trap or inform: an agent's message to its manager, which needs no
/// answer to have been sent for real.
fn snmp_trap(ix: &Index, f: &Flow) -> bool {
    ix.events(f).iter().any(|x| {
        matches!(&x.message, Message::Snmp(m)
            if matches!(m.pdu, "trap" | "trap-v2" | "inform-request"))
    })
}

/// The SNMP versions of a flow that send a community ("1", "2c"), in the order seen.
fn snmp_versions(ix: &Index, f: &Flow) -> Vec<&'static str> {
    let mut out = Vec::new();
    if f.app.app != App::Snmp {
        return out;
    }
    for e in ix.events(f) {
        if let Message::Snmp(m) = &e.message {
            if m.community && !out.contains(&m.version) {
                out.push(m.version);
            }
        }
    }
    out
}

/// An MQTT broker on a device that accepted a client which gave no user name or password:
/// anyone who reaches it can publish to its topics, commands included.
fn anonymous_mqtt(i: &Input, ix: &Index, v: &View, out: &mut Findings) {
    let (Some(dev), App::Mqtt) = (v.sdev, v.app) else {
        return;
    };
    let mut anonymous: Option<&str> = None;
    let mut accepted = false;
    for e in ix.events(v.f) {
        match &e.message {
            Message::Mqtt(c) if c.user.is_none() && !c.password => {
                anonymous = Some(c.client_id.as_str());
            }
            Message::MqttConnAck(0) => accepted = true,
            _ => {}
        }
    }
    let (Some(client_id), true) = (anonymous, accepted) else {
        return;
    };
    let f = v.f;
    // Reached from the internet, the broker is anyone's.
    let sev = if i.local.contains(&v.c) {
        Severity::Medium
    } else {
        Severity::High
    };
    let subject = format!(
        "accepts mqtt clients without login on {}/{}",
        proto_name(f.key.proto),
        v.sport
    );
    let acc = out.get(FindingId::UnsafeProtocol, dev, &subject, sev);
    acc.raise(sev).count += 1;
    acc.at(f.first, f.last, v.frame)
        .fact("clients", fmt_ip(&v.c))
        .fact("client ids", client_id.to_string());
}

/// Inbound connections a device accepted, from the LAN or from the internet.
fn inbound(i: &Input, v: &View, resolvers: &BTreeSet<IpAddr>, out: &mut Findings) {
    let Some(dev) = v.sdev else { return };
    let f = v.f;
    let accepted = match f.tcp {
        // A handshake answered, or a connection seen from its middle in which both sides spoke,
        // whose server port is more a server's than the client's: between two client ports (or
        // two service ports) the roles are a guess from whoever sent first.
        Some(t) => {
            t.syn_ts.is_some() && t.synack_ts.is_some()
                || t.syn_ts.is_none()
                    && t.synack_ts.is_none()
                    && f.both_spoke()
                    && service_rank(true, v.sport) > service_rank(true, ends(f).0 .1)
        }
        // UDP: the device answered on a service port (discovery protocols answer everyone).
        None => {
            f.key.proto == 17
                && f.key.ports_known
                && (f.from(f.initiator.other()).packets > 0 || v.ix.answered_from_elsewhere(f))
                && !matches!(
                    v.app,
                    App::Mdns
                        | App::Llmnr
                        | App::Nbns
                        | App::Netbios
                        | App::Dhcp
                        | App::Dhcpv6
                        | App::Ssdp
                        | App::Wsd
                        | App::Unknown
                )
                && v.sport < 49152
                // A datagram session whose handshake the "server" opened (a CAPWAP controller
                // heard before its access point's DTLS hello): the roles are the other way.
                && !v.ix.events(f).iter().any(|e| {
                    !e.from_client && matches!(e.message, Message::ClientHello(_))
                })
        }
    };
    if !accepted || !is_unicast(v.s) || v.c == v.s {
        return;
    }
    let from_internet = !i.local.contains(&v.c);
    // The network's resolver answering the LAN is doing its job, and a host serving the LAN
    // its time is too, whether or not it was recognised as the router (routers run both).
    let resolving = v.app == App::Ntp || v.app == App::Dns && resolvers.contains(&v.s);
    let sev = if from_internet {
        Severity::High
    } else if resolving {
        Severity::Info
    } else {
        Severity::Low
    };
    let acc = out.get(FindingId::ExposedService, dev, &service(f), sev);
    acc.raise(sev).at(f.first, f.last, v.frame);
    acc.count += 1;
    if from_internet {
        acc.fact("clients on the internet", v.ix.described(i, v.c));
    } else {
        acc.fact("clients on the LAN", fmt_ip(&v.c));
    }
    // What the service says it is (an SSH or FTP server's greeting, an HTTP Server header).
    for e in v.ix.events(f) {
        match &e.message {
            Message::Banner(b) if !e.from_client => {
                acc.fact("server software", b.as_str());
            }
            // (A proxy passes on the Server header of the server it fetched from.)
            Message::HttpResponse(r) if !e.from_client && !f.app.proxied() => {
                if let Some(s) = &r.server {
                    acc.fact("server software", s.as_str());
                }
            }
            // What CoAP clients ask the device for.
            Message::Coap(c) if e.from_client => {
                if let Some(m) = c.method {
                    acc.fact("requests", format!("{m} {}", c.target()));
                }
            }
            // A proxy: the hosts its clients asked it to reach (a SOCKS 4 request is read
            // before the flow is known to be SOCKS: only a SOCKS flow's counts).
            Message::SocksRequest(r) if f.app.app == App::Socks => {
                acc.fact("reached through it", format!("{}:{}", r.host, r.port));
            }
            // A CONNECT names host and port; a GET through the proxy, a whole URL.
            Message::HttpRequest(r) if f.app.proxied() => {
                let target = if r.method == "CONNECT" {
                    Some(r.uri.as_str())
                } else {
                    iotscope_proto::http::absolute_host(&r.uri)
                };
                if let Some(t) = target {
                    acc.fact("reached through it", t);
                }
            }
            _ => {}
        }
    }
}

/// DNS over TLS, QUIC or HTTPS. True when the flow is one.
fn encrypted_dns_flow(i: &Input, v: &View, out: &mut Findings) -> bool {
    let f = v.f;
    // The protocol the client asked for (ALPN): `dot` and `doq` (its drafts `doq-i00`...) say
    // DNS on any port; DoQ also ran on 784 and 8853 before RFC 9250 gave it 853.
    let alpn_says = |p: &str| {
        v.ix.events(f).iter().any(|e| match &e.message {
            Message::ClientHello(h) => h.alpn.iter().any(|a| {
                a.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
            }),
            _ => false,
        })
    };
    let known = || {
        v.naming
            .as_ref()
            .is_some_and(|n| doh_service(n.name).is_some())
            || public_resolver(v.s).is_some()
    };
    // A name shaped like a resolver's says less than a resolver the data knows.
    let shaped = || !known() && v.naming.as_ref().is_some_and(|n| looks_like_doh(n.name));
    let named_doh = || known() || shaped();
    let kind = match (v.app, f.app.inner, f.key.proto, v.sport) {
        (App::Dnscrypt, ..) => "DNSCrypt",
        (_, App::Dns, 6, _) | (App::Tls, _, 6, 853) => "DNS over TLS",
        (App::Quic, _, 17, 853 | 784 | 8853) | (App::Quic, App::Dns, 17, _) => "DNS over QUIC",
        (App::Quic, ..) if alpn_says("doq") => "DNS over QUIC",
        (App::Tls, ..) if alpn_says("dot") => "DNS over TLS",
        (App::Tls | App::Quic | App::Http, _, _, 443) if named_doh() => "DNS over HTTPS",
        _ => return false,
    };
    let Some(dev) = v.cdev else { return false };
    // A resolver that never answered resolved nothing (one QUIC Initial to 8.8.8.8:443).
    if !crate::endpoints::answered(f) {
        return false;
    }
    let https_by_shape = kind == "DNS over HTTPS" && shaped();
    let sev = if !v.server_public {
        Severity::Info
    } else if https_by_shape {
        Severity::Low
    } else {
        Severity::Medium
    };
    let operator = v
        .naming
        .as_ref()
        .and_then(|n| doh_service(n.name))
        .or_else(|| public_resolver(v.s));
    let subject = operator.map_or_else(|| v.name.clone(), |o| format!("{o} ({kind})"));
    let acc = out.get(FindingId::EncryptedDns, dev, &subject, sev);
    acc.raise(sev).at(f.first, f.last, v.frame);
    acc.count += 1;
    acc.fact("protocol", kind).fact("server", v.server(i));
    if v.naming.is_some() {
        acc.fact("name", v.name.as_str());
    }
    if https_by_shape {
        acc.fact("known by", "the server's name, shaped like a resolver's");
    }
    true
}

/// Large downloads: binaries over plain HTTP, big transfers inside TLS or QUIC.
/// Programs and large binaries a device fetched. `doubt` is what leaves the identity of the
/// flow's TLS server unproven (a self-signed, expired or mismatched certificate), if anything.
fn downloads(i: &Input, ix: &Index, v: &View, doubt: Option<&str>, out: &mut Findings) {
    let Some(dev) = v.cdev else { return };
    let f = v.f;
    let down = f.from(f.initiator.other()).bytes;
    if v.app == App::Http {
        let (mut uri, mut ua) = (None, None);
        for e in ix.events(f) {
            match &e.message {
                Message::HttpRequest(r) => {
                    uri = Some(r.uri.clone());
                    ua = r.user_agent.clone();
                }
                Message::HttpResponse(r) if r.ssdp.is_none() && r.body_kind.is_some() => {
                    // A program, by its first bytes: whatever its size, name or type.
                    let kind = r.body_kind.unwrap_or_default();
                    // High from a bare address on the internet, as bots fetch their binaries;
                    // from a server the device looked up (a vendor's update, insecurely
                    // fetched) or on the LAN, and for scripts, medium.
                    let bare = v.name.parse::<IpAddr>().is_ok();
                    let sev = if !kind.ends_with("script") && v.server_public && bare {
                        Severity::High
                    } else {
                        Severity::Medium
                    };
                    let file = uri.as_deref().map(|u| mask_path_secrets(u).0);
                    let acc = out.get(FindingId::ProgramDownload, dev, &v.name, sev);
                    acc.raise(sev);
                    acc.count += 1;
                    // A chunked body announces no length.
                    let size = r
                        .content_length
                        .map(|n| format!(", {}", bytes(n)))
                        .unwrap_or_default();
                    acc.at(f.first, f.last, v.frame)
                        .fact("program", kind)
                        .fact(
                            "file",
                            format!("{} ({kind}{size})", file.unwrap_or_default()),
                        )
                        .fact("server", v.server(i));
                    if let Some(ua) = ua.as_deref() {
                        acc.fact("fetched by", ua);
                    }
                }
                Message::HttpResponse(r) if r.ssdp.is_none() => {
                    let ct = r.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
                    let size = r.content_length.unwrap_or(0);
                    let path = uri.as_deref().unwrap_or("").to_ascii_lowercase();
                    let path = path.split('?').next().unwrap_or("");
                    // A document (text, JSON, XML) is not an image, whatever its path says.
                    let document = ct.starts_with("text/")
                        || ct.contains("json")
                        || ct.contains("xml")
                        || ct.contains("html");
                    // The path names an image or an update.
                    let named = FIRMWARE_SUFFIXES.iter().any(|x| path.ends_with(x))
                        || !document
                            && path
                                .split('/')
                                .any(|seg| seg.contains("firmware") || seg == "fw");
                    // "binary/octet-stream" is what S3 serves by default.
                    let binary = ct.starts_with("application/octet-stream")
                        || ct.starts_with("binary/")
                        || ct.starts_with("application/x-")
                        || ct.starts_with("application/zip");
                    let media = MEDIA_SUFFIXES.iter().any(|x| path.ends_with(x))
                        || ct.starts_with("image/")
                        || ct.starts_with("video/")
                        || ct.starts_with("audio/");
                    let min = if named {
                        BINARY_HTTP_MIN
                    } else {
                        BINARY_UNNAMED_MIN
                    };
                    if (named || binary) && !media && size >= min && r.status == 200 {
                        // Medium when the path says it is an update; a binary by its type alone
                        // (a video chunk, an app's data file) may be anything.
                        let sev = if named {
                            Severity::Medium
                        } else {
                            Severity::Low
                        };
                        let file = uri.as_deref().map(|u| mask_path_secrets(u).0);
                        let acc = out.get(FindingId::Firmware, dev, &v.name, sev);
                        acc.raise(sev);
                        acc.count += 1;
                        acc.at(f.first, f.last, v.frame)
                            .fact("over", "plain HTTP")
                            .fact("file", file.unwrap_or_default())
                            .fact(
                                "size",
                                if r.body_cut {
                                    format!("{} announced (the capture holds less)", bytes(size))
                                } else {
                                    bytes(size)
                                },
                            )
                            .fact("content type", ct.as_str())
                            .fact("server", v.server(i));
                    }
                }
                _ => {}
            }
        }
    } else if v.server_public && down >= BIG_DOWNLOAD && matches!(v.app, App::Tls | App::Quic) {
        // Over TLS whose certificate proves no one's identity, a device that took the image
        // could have been sent anyone's, as over plain HTTP.
        let sev = if doubt.is_some() {
            Severity::Medium
        } else {
            Severity::Info
        };
        let acc = out.get(FindingId::Firmware, dev, &v.name, sev);
        acc.raise(sev);
        acc.count += 1;
        acc.at(f.first, f.last, v.frame)
            .fact("over", f.app.display())
            .fact("downloaded", bytes(down))
            .fact("server", v.server(i));
        if let Some(doubt) = doubt {
            acc.fact("certificate", doubt);
        }
    }
}

/// Attempts (TCP connections that carried nothing from the client, UDP datagrams no parser
/// recognised, pings) from one device to one host, within [`FLOOD_WINDOW`] or in one flow,
/// from which they are a flood. A program that talks to a host opens a few connections a
/// second at most; the flood commands of IoT bots (Mirai's SYN, UDP and ICMP attacks, hping3)
/// send thousands.
const FLOOD_MIN: u64 = 200;
/// The window in which [`FLOOD_MIN`] new attempts (each flow a new source port) make a flood.
const FLOOD_WINDOW: Nanos = 10_000_000_000;
/// Attempts per second in one flow (a ping flood, a UDP flood from one socket) that make it a
/// flood, once it holds [`FLOOD_MIN`]: a ping a second is a check, and a person testing a link
/// sends a hundred at most (`ping -i 0.01`); the attacks send as fast as they can.
const FLOOD_RATE: f64 = 200.0;

/// Floods: one finding per device and target. Returns the ids of their flows, which make no
/// upload or connectivity-check finding.
fn floods(i: &Input, ix: &Index, out: &mut Findings) -> HashSet<u64> {
    // Per (device, client, target, protocol): each flow's start, end, attempts, port, id and
    // first frame.
    type Shot = (Nanos, Nanos, u64, u16, u64, u64);
    // Grouped by hash, then only the groups that can be floods are sorted: a scan or a worm's
    // sweep makes hundreds of thousands of groups of one flow each.
    let mut groups: HashMap<(&str, IpAddr, IpAddr, u8), Vec<Shot>> = HashMap::new();
    for f in i.flows {
        let (c, s) = ends(f);
        if !is_unicast(s.0) {
            continue;
        }
        let sent = f.from(f.initiator);
        let back = f.from(f.initiator.other());
        // On the LAN, one-way datagrams are a stream's (a camera's video to a recorder,
        // metrics to a collector, a link test): only floods of internet hosts are judged by
        // them.
        let public = !i.local.contains(&s.0);
        let attempts = match f.key.proto {
            // A connection attempt in which nothing was said either way (an FTP data connection
            // announced on its control connection is a transfer).
            6 if f.tcp.is_some_and(|t| t.syn_ts.is_some())
                && sent.payload_bytes == 0
                && back.payload_bytes == 0
                && f.app.by != By::Control =>
            {
                1
            }
            // Datagrams no parser recognised, hardly answered: a video stream, a game or a
            // vendor's protocol is answered or acknowledged.
            17 if public
                && !matches!(f.app.by, By::Content | By::Both | By::Control)
                && back.packets * 100 <= sent.packets =>
            {
                sent.packets
            }
            1 | 58 if f.icmp[f.initiator as usize] & icmp_kind::ECHO_REQUEST != 0 => sent.packets,
            _ => continue,
        };
        let Some(dev) = ix.device_at(f, f.initiator) else {
            continue;
        };
        groups
            .entry((dev, c.0, s.0, f.key.proto))
            .or_default()
            .push((f.first, f.last, attempts, s.1, f.id(), f.first_frame + 1));
    }
    // One flow alone, fast enough.
    let fast = |&(first, last, n, ..): &Shot| {
        n >= FLOOD_MIN && n as f64 / ((last - first).max(1_000_000) as f64 / 1e9) >= FLOOD_RATE
    };
    // Many flows need FLOOD_MIN / 2 of them (the window's test below).
    let mut groups: Vec<_> = groups
        .into_iter()
        .filter(|(_, shots)| shots.len() as u64 * 2 >= FLOOD_MIN || shots.iter().any(fast))
        .collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut flooded = HashSet::new();
    for ((dev, _client, target, proto), mut shots) in groups {
        shots.sort_unstable_by_key(|x| x.0);
        let single = shots.iter().any(fast);
        // Or many new flows in a window, to a few ports (a port scan tries each port once).
        // The window's ports are counted as it slides: a full port scan of one host holds tens
        // of thousands of flows in it.
        let mut many = false;
        let mut lo = 0;
        let mut sum = 0;
        let mut in_window: HashMap<u16, u32> = HashMap::new();
        for hi in 0..shots.len() {
            sum += shots[hi].2;
            *in_window.entry(shots[hi].3).or_default() += 1;
            while shots[hi].0 - shots[lo].0 > FLOOD_WINDOW {
                sum -= shots[lo].2;
                if let Some(n) = in_window.get_mut(&shots[lo].3) {
                    *n -= 1;
                    if *n == 0 {
                        in_window.remove(&shots[lo].3);
                    }
                }
                lo += 1;
            }
            let flows = hi - lo + 1;
            if sum >= FLOOD_MIN && flows as u64 * 2 >= FLOOD_MIN && flows >= 3 * in_window.len() {
                many = true;
                break;
            }
        }
        if !(single || many) {
            continue;
        }
        let attempts: u64 = shots.iter().map(|x| x.2).sum();
        let first = shots[0].0;
        let last = shots.iter().map(|x| x.1).max().unwrap_or(first);
        let secs = ((last - first).max(1_000_000) as f64) / 1e9;
        let ports: BTreeSet<u16> = shots.iter().map(|x| x.3).collect();
        let (flood, what) = match proto {
            6 => ("SYN flood", "connection attempts"),
            17 => ("UDP flood", "datagrams"),
            _ => ("ping flood", "echo requests"),
        };
        let to = match (proto, ports.len()) {
            (1 | 58, _) => String::new(),
            (_, 1) => format!(
                " to {}/{}",
                proto_name(proto),
                ports.iter().next().unwrap_or(&0)
            ),
            (_, n) => format!(" to {n} {} ports", proto_name(proto)),
        };
        // An attack on the internet is what a botnet's device does; a burst at a LAN host (a
        // program waiting for a port, a test) is worth a look, no more.
        let sev = if i.local.contains(&target) {
            Severity::Medium
        } else {
            Severity::High
        };
        let subject = format!("{flood} to {}", ix.named(target));
        let acc = out.get(FindingId::Flood, dev, &subject, sev);
        acc.count += attempts;
        for s in &shots {
            acc.at(s.0, s.1, s.5);
            flooded.insert(s.4);
        }
        acc.fact("target", ix.described(i, target))
            .fact("what", format!("{what}{to}"))
            .fact("attempts", attempts.to_string())
            .fact(
                "rate",
                format!(
                    "{:.0} per second over {}",
                    attempts as f64 / secs,
                    duration((last - first).max(0))
                ),
            );
    }
    flooded
}

/// A DNS query name label this long, of letters and digits mixed, is data rather than a name:
/// host names people choose are shorter, and the longest generated ones (Azure storage
/// accounts, 24) stay under it, while a tunnel packs each label as full as it can (63).
const TUNNEL_LABEL: usize = 28;
/// Distinct such names one device sends under one domain (or, with no domain, to one server)
/// before its lookups are a tunnel: a few are a unique-name test (a DoH check, a CDN probe), a
/// tunnel's session runs to hundreds.
const TUNNEL_NAMES: usize = 20;

/// Where a query name's data sits: the registered domain it goes to (`example.com`,
/// `example.co.uk`), and the part below it. A name whose last label is no top-level domain
/// (letters only: dnscat2's direct mode ends in hex) has no domain; all of it is data.
fn tunnel_domain(name: &str) -> (&str, &str) {
    let name = name.trim_end_matches('.');
    let labels: Vec<&str> = name.split('.').collect();
    let Some(tld) = labels.last() else {
        return ("", name);
    };
    if labels.len() < 3
        || tld.is_empty()
        || tld.len() > 24
        || !tld.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return ("", name);
    }
    // A country's second level (co.uk, com.au) takes one label more.
    let keep = if tld.len() == 2 && labels[labels.len() - 2].len() <= 3 {
        3
    } else {
        2
    };
    if labels.len() <= keep {
        return ("", name);
    }
    let cut: usize = labels[..labels.len() - keep]
        .iter()
        .map(|l| l.len() + 1)
        .sum();
    (&name[cut..], &name[..cut - 1])
}

/// Whether the part of a query name below its domain carries data: letters and digits mixed
/// (hex, base32, base64) in a label of [`TUNNEL_LABEL`] characters or more, or in labels of six
/// or more that add up to more than a long label (data cut into short labels). Reverse lookups
/// (`ip6.arpa`'s 32 one-digit labels) are no data. So are labels of raw bytes (iodine's
/// Base128 and raw encodings, read as `\NNN` escapes or as letters beyond ASCII): host names
/// are ASCII, international ones included (punycode).
fn carries_data(sub: &str) -> bool {
    let mixed = |l: &str| {
        l.bytes().any(|b| b.is_ascii_digit())
            && l.bytes().any(|b| b.is_ascii_alphabetic())
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let binary = |l: &str| !l.is_ascii() || l.contains('\\');
    let mut total = 0;
    for l in sub.split('.') {
        if l.len() >= 6 && (mixed(l) || binary(l)) {
            if l.len() >= TUNNEL_LABEL {
                return true;
            }
            total += l.len();
        }
    }
    total >= TUNNEL_LABEL + 4
}

/// DNS used as a tunnel (dnscat2, iodine, dns2tcp, and malware exfiltrating over DNS): many
/// distinct query names from one device whose labels carry data, under one domain (whose
/// name server is the tunnel's far end) or sent straight to one server. A `tunnel` finding of
/// the kind `DNS`.
fn dns_tunnels(i: &Input, ix: &Index, out: &mut Findings) {
    struct Group<'e> {
        names: HashSet<&'e str>,
        all: HashSet<&'e str>,
        queries: u64,
        types: BTreeSet<u16>,
        first: Nanos,
        last: Nanos,
        frames: Vec<u64>,
        server: IpAddr,
        example: &'e str,
    }
    // Keyed by (device, domain, server when there is no domain).
    let mut groups: HashMap<(&str, &str, Option<IpAddr>), Group> = HashMap::new();
    for e in i.events {
        let Message::Dns(m) = &e.message else {
            continue;
        };
        if m.response || m.opcode != 0 || matches!(e.dst_port, 5353 | 5355 | 137) {
            continue;
        }
        let Some(dev) = ix.sender(e) else { continue };
        for q in &m.questions {
            let (domain, sub) = tunnel_domain(&q.name);
            let server = ip_of(&e.dst);
            let key = (dev, domain, domain.is_empty().then_some(server));
            let g = groups.entry(key).or_insert_with(|| Group {
                names: HashSet::new(),
                all: HashSet::new(),
                queries: 0,
                types: BTreeSet::new(),
                first: e.ts,
                last: e.ts,
                frames: Vec::new(),
                server,
                example: q.name.as_str(),
            });
            // Bounded: past a few thousand names the finding is made, and a busy resolver's
            // ordinary lookups stay few per domain.
            if g.all.len() < 4096 {
                g.all.insert(q.name.as_str());
            }
            // NULL records (type 10) hold any bytes and serve nothing else: iodine asks for them
            // with short labels of data (its pings and polls) as well as long ones.
            let null = q.qtype == iotscope_proto::dns::rtype::NULL && !sub.is_empty();
            if carries_data(sub) || null {
                g.queries += 1;
                g.types.insert(q.qtype);
                g.first = g.first.min(e.ts);
                g.last = g.last.max(e.ts);
                if g.frames.len() < 8 {
                    g.frames.push(e.frame + 1);
                }
                if g.names.len() < 4096 {
                    if g.names.is_empty() || q.name.len() > g.example.len() {
                        g.example = q.name.as_str();
                    }
                    g.names.insert(q.name.as_str());
                }
            }
        }
    }
    let mut found: Vec<_> = groups
        .into_iter()
        .filter(|(_, g)| g.names.len() >= TUNNEL_NAMES && 2 * g.names.len() >= g.all.len())
        .collect();
    found.sort_by_key(|(k, _)| *k);
    for ((dev, domain, _), g) in found {
        let peer = if domain.is_empty() {
            ix.named(g.server)
        } else {
            domain.to_string()
        };
        let subject = format!("DNS to {peer}");
        let acc = out.get(FindingId::Tunnel, dev, &subject, Severity::Medium);
        acc.raise(Severity::Medium);
        acc.count += g.queries;
        for &fr in &g.frames {
            acc.at(g.first, g.last, fr);
        }
        let types: Vec<String> = g
            .types
            .iter()
            .map(|t| iotscope_proto::dns::type_name(*t))
            .collect();
        let example: String = g.example.chars().take(80).collect();
        acc.fact("tunnel", "DNS")
            .fact("names carrying data", format!("{} distinct", g.names.len()))
            .fact("query types", types.join(", "))
            .fact("example", example)
            .fact("resolver", ix.described(i, g.server));
    }
}

/// DNS answers sent in another host's name: answers from the address of a resolver on this
/// network whose frames come from a MAC other than the address's own (the one ARP shows for it,
/// else the one that sends most of its flows), of another maker (a host's second port is of the
/// same one), that routes no internet host's packets and that ARP never showed holding the
/// address, where neither MAC is a virtual router's. One `forged-dns` finding per forging device
/// and address.
fn forged_dns(i: &Input, ix: &Index, out: &mut Findings) {
    // Per address: the MACs ARP shows for it, and the flows each MAC sent from it.
    let mut arp: HashMap<IpAddr, HashSet<Mac>> = HashMap::new();
    for e in i.events {
        if let Message::Arp { mac, ip, .. } = &e.message {
            arp.entry(IpAddr::V4(*ip)).or_default().insert(*mac);
        }
    }
    let mut sent: HashMap<IpAddr, HashMap<Mac, usize>> = HashMap::new();
    // MACs that carry internet hosts' packets: routers, which pass on the answers of resolvers
    // beyond them (a capture made at two points sees them from two MACs).
    let mut routers: HashSet<Mac> = HashSet::new();
    for f in i.flows.iter().filter(|f| f.depth == 0) {
        for side in [Side::A, Side::B] {
            if let Some(m) = f.mac[side as usize].filter(|m| !crate::devices::is_group_mac(m)) {
                let a = ip_of(&f.key.end(side).0);
                if !i.local.contains(&a) {
                    routers.insert(m);
                }
                *sent.entry(a).or_default().entry(m).or_default() += 1;
            }
        }
    }
    let owner = |a: &IpAddr| -> Option<Mac> {
        match arp.get(a) {
            Some(macs) if macs.len() == 1 => macs.iter().next().copied(),
            _ => sent
                .get(a)?
                .iter()
                .max_by_key(|(m, n)| (**n, **m))
                .map(|(m, _)| *m),
        }
    };
    for e in i.events {
        let Message::Dns(m) = &e.message else {
            continue;
        };
        if !m.response || e.src_port != 53 || e.from_client {
            continue;
        }
        let resolver = ip_of(&e.src);
        // A resolver on this network, answered for by a MAC that routes nothing.
        if !i.local.contains(&resolver) {
            continue;
        }
        let (Some(by), Some(own)) = (ix.mac_of(e, false), owner(&resolver)) else {
            continue;
        };
        // A MAC that ARP shows holding the address is one of its host's (a host with two ports
        // on one LAN answers from either).
        let holds = arp.get(&resolver).is_some_and(|macs| macs.contains(&by));
        if by == own
            || holds
            || routers.contains(&by)
            || crate::devices::virtual_router(&by).is_some()
            || crate::devices::virtual_router(&own).is_some()
            || crate::devices::vendor(&by).is_some_and(|v| Some(v) == crate::devices::vendor(&own))
        {
            continue;
        }
        // The forger is the device of the MAC that sent the answer.
        let Some(dev) = ix.device_for_mac(by) else {
            continue;
        };
        let subject = format!("answers as {resolver}");
        let acc = out.get(FindingId::ForgedDns, dev, &subject, Severity::High);
        acc.raise(Severity::High);
        acc.count += 1;
        acc.at(e.ts, e.ts, e.frame + 1);
        acc.fact(
            "address's own MAC",
            format!(
                "{}{}",
                iotscope_packet::fmt_mac(&own),
                crate::devices::vendor(&own)
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default()
            ),
        )
        .fact("answered for", ip_of(&e.dst).to_string());
        for q in &m.questions {
            acc.fact("names answered", q.name.to_ascii_lowercase());
        }
        for a in m.records.iter().filter_map(|r| r.data.addr()) {
            acc.fact("addresses given", a.to_string());
        }
    }
}

/// Connectivity probes: pings of public hosts, fetches of well-known probe URLs.
fn connectivity(i: &Input, v: &View, out: &mut Findings) {
    let Some(dev) = v.cdev else { return };
    let f = v.f;
    // Echo requests: a device's ICMP errors (port unreachable to a scanner) are no pings.
    let pings = matches!(f.key.proto, 1 | 58)
        && f.icmp[f.initiator as usize] & icmp_kind::ECHO_REQUEST != 0
        && v.server_public;
    let probe = is_connectivity_check(&v.name)
        || v.naming
            .as_ref()
            .is_some_and(|n| is_connectivity_check(n.name));
    if !(pings || probe) {
        return;
    }
    let subject = if pings {
        format!("ping {}", v.name)
    } else {
        v.name.clone()
    };
    let acc = out.get(FindingId::ConnectivityCheck, dev, &subject, Severity::Info);
    acc.count += if pings {
        f.from(f.initiator).packets
    } else {
        1
    };
    acc.at(f.first, f.last, v.frame)
        .fact("server", v.server(i))
        .fact("service", service(f));
}

/// A flow whose packets carry other packets: one finding per device, tunnel and far end. A
/// tunnel across the internet is a medium finding; one between local hosts (an access point and
/// its controller, a lab's overlay network) is information.
fn tunnel(i: &Input, ix: &Index, v: &View, out: &mut Findings) {
    if let Some(kind) = v.f.tunnel {
        tunnel_finding(i, ix, v, FindingId::Tunnel, "tunnel", kind.label(), out);
    }
}

/// A tunnel's finding (`tunnel` or `vpn`): on the device at either end, named by the kind and
/// the far end, medium when the far end is on the internet.
fn tunnel_finding(
    i: &Input,
    ix: &Index,
    v: &View,
    id: FindingId,
    label: &str,
    kind: &str,
    out: &mut Findings,
) {
    let f = v.f;
    // VXLAN and Geneve send each way from a port of their own to the other end's well-known
    // port: the far end's datagrams are a flow of their own, and the same tunnel.
    let each_way = matches!(
        f.tunnel,
        Some(iotscope_packet::tunnel::Tunnel::Vxlan | iotscope_packet::tunnel::Tunnel::Geneve)
    );
    let (dev, peer, dir) = match (v.cdev, v.sdev) {
        (Some(d), _) => (d, v.s, "to"),
        (None, Some(d)) => (d, v.c, "from"),
        (None, None) => return,
    };
    let dir = if each_way { "with" } else { dir };
    let public = !i.local.contains(&peer) && is_unicast(peer);
    let severity = if public {
        Severity::Medium
    } else {
        Severity::Info
    };
    let subject = format!("{kind} {dir} {}", ix.named(peer));
    let acc = out.get(id, dev, &subject, severity);
    acc.count += 1;
    acc.at(f.first, f.last, v.frame)
        .fact(label, kind)
        .fact("peer", ix.described(i, peer))
        .fact("service", service(f));
}

/// An encrypted VPN tunnel: WireGuard, OpenVPN, IPsec's key exchange, or its ESP packets (IP
/// protocol 50), Cisco AnyConnect's DTLS. One finding per device, kind and far end.
fn vpn(i: &Input, ix: &Index, v: &View, tor: bool, out: &mut Findings) {
    let f = v.f;
    // OpenSSL's pre-standard DTLS version (0x0100) is spoken only by Cisco AnyConnect and its
    // open clients (OpenConnect), for the tunnel's data.
    let anyconnect = || {
        ix.events(f).iter().any(|e| match &e.message {
            Message::ClientHello(h) => h.version == 0x0100,
            Message::ServerHello(h) => h.version == 0x0100,
            _ => false,
        })
    };
    let kind = match (v.app, f.key.proto) {
        (App::Wireguard, _) => "WireGuard",
        (App::Openvpn, _) => "OpenVPN",
        (App::Ipsec, _) | (_, 50) => "IPsec",
        (App::Dtls, _) if anyconnect() => "Cisco AnyConnect",
        (App::Tls, _) if tor => "Tor",
        _ => return,
    };
    // A tunnel has both ends sending on it: a scanner's probe of a VPN port (nmap sends IKE
    // and OpenVPN resets) is answered by nothing, or by an ICMP error on another flow.
    let two_way = match f.key.proto {
        6 | 17 => f.both_spoke(),
        _ => f.sent[0].packets > 0 && f.sent[1].packets > 0,
    };
    // A port alone is the server's VPN port, not a client's port that happens to be one (51820
    // is in the range systems hand out to clients).
    let port_ok = f.app.by != By::Port || matches!(v.sport, 51820 | 1194 | 500 | 4500);
    if two_way && port_ok {
        tunnel_finding(i, ix, v, FindingId::Vpn, "vpn", kind, out);
    }
}

/// The random part of a host name of the shape Tor puts in its TLS links: "www.", random
/// base32 characters (a to z, 2 to 7; 8 to 20 of them in today's Tor, from 6 to 21 in the
/// older links of nDPI's tor.pcap), and `tld` (".com" or ".net").
fn tor_like<'a>(name: &'a str, tld: &str) -> Option<&'a str> {
    name.strip_prefix("www.")
        .and_then(|r| r.strip_suffix(tld))
        .filter(|m| {
            (6..=21).contains(&m.len())
                && m.bytes()
                    .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
        })
}

/// A Tor link (a client to its guard relay, or between relays), told by the names Tor makes
/// up for it: the client asks for a random `www.<x>.com`, and the relay's link certificate is
/// for a random `www.<y>.net`, issued by a random `www.<z>.com`. No web server's certificate
/// is issued by such a name, and the certificate is seen in TLS 1.2 only.
fn is_tor_link(ix: &Index, f: &Flow) -> bool {
    let cn = |dn: &str| {
        dn.split(',')
            .filter_map(|rdn| rdn.trim().strip_prefix("CN="))
            .next_back()
            .map(str::to_string)
    };
    let mut sni = false;
    let mut cert = false;
    for e in ix.events(f) {
        match &e.message {
            Message::ClientHello(h) if e.from_client => {
                sni = h
                    .sni
                    .as_deref()
                    .is_some_and(|n| tor_like(n, ".com").is_some());
            }
            Message::Certificate(c) if !e.from_client => {
                let subject = c.common_name.clone().or_else(|| cn(&c.subject));
                let issuer = cn(&c.issuer);
                // Two names made up apart.
                cert = match (
                    subject.as_deref().and_then(|n| tor_like(n, ".net")),
                    issuer.as_deref().and_then(|n| tor_like(n, ".com")),
                ) {
                    (Some(a), Some(b)) => a != b,
                    _ => false,
                };
            }
            _ => {}
        }
    }
    sni && cert
}

/// Device to device (pings and name, address and time services are plumbing).
fn lan_peer(ix: &Index, v: &View, out: &mut Findings) {
    let (Some(a), Some(b)) = (v.cdev, v.sdev) else {
        return;
    };
    let f = v.f;
    let plumbing = matches!(f.key.proto, 1 | 58)
        || matches!(
            v.app,
            App::Dns
                | App::Mdns
                | App::Llmnr
                | App::Nbns
                | App::Netbios
                | App::Dhcp
                | App::Dhcpv6
                | App::Ssdp
                | App::Wsd
                | App::Ntp
        );
    if a == b || plumbing || !is_unicast(v.s) || !talked(f) {
        return;
    }
    let acc = out.get(FindingId::LanPeer, a, &ix.named(v.s), Severity::Info);
    acc.count += 1;
    // A device keyed by its address is named once.
    let peer = if b == fmt_ip(&v.s) {
        b.to_string()
    } else {
        format!("{b} ({})", v.s)
    };
    acc.at(f.first, f.last, v.frame)
        .fact("peer", peer)
        .fact("services", service(f));
}

#[allow(clippy::too_many_arguments)]
fn tls_checks(
    i: &Input,
    ix: &Index,
    f: &Flow,
    dev: &str,
    name: &str,
    resolved: bool,
    server_public: bool,
    out: &mut Findings,
) -> Option<String> {
    let mut problems: Vec<(Severity, String)> = Vec::new();
    let mut sni: Option<String> = None;
    let mut saw_hello = false;
    // The frames that show the problems (the hello, the certificate), 1-based: the evidence.
    let mut frames: Vec<u64> = Vec::new();
    let mut hello_frame = None;
    // The best version the client's hello offered.
    let mut offered: Option<u16> = None;
    for e in ix.events(f) {
        let before = problems.len();
        match &e.message {
            Message::ClientHello(h) if e.from_client => {
                saw_hello = true;
                hello_frame = Some(e.frame + 1);
                sni = h.sni.clone();
                // The highest version offered, compared as TLS (DTLS 1.0 is TLS 1.1).
                let best = h
                    .versions
                    .iter()
                    .copied()
                    .filter(|v| tls::version_name(*v).is_some())
                    .max_by_key(|v| tls::tls_equivalent(*v))
                    .unwrap_or(h.max_version);
                // A hello that carries TLS_FALLBACK_SCSV (RFC 7507) is a retry at a lower
                // version after an attempt at the client's best failed: it says what the client
                // fell back to, not the most it can do (the version agreed, if any, is below).
                let fallback = h.ciphers.contains(&tls::FALLBACK_SCSV);
                if best != 0 && !fallback {
                    offered = Some(best);
                }
                if tls::tls_equivalent(best) < 0x0303 && best != 0 && !fallback {
                    problems.push((
                        Severity::Medium,
                        format!("client offers at most {}", tls_version(best)),
                    ));
                }
            }
            Message::ServerHello(h) => {
                let v = if h.selected_version != 0 {
                    h.selected_version
                } else {
                    h.version
                };
                if tls::tls_equivalent(v) < 0x0303 {
                    // The server's choice, when the client offered better: the server is the
                    // one to update.
                    let chose = match offered {
                        Some(best) if tls::tls_equivalent(best) > tls::tls_equivalent(v) => {
                            format!(
                                " (the server's choice: the client offered {})",
                                tls_version(best)
                            )
                        }
                        _ => String::new(),
                    };
                    problems.push((
                        Severity::Medium,
                        format!("{} agreed{chose}", tls_version(v)),
                    ));
                }
                if let Some((broken, why)) = tls::weak_cipher(h.cipher) {
                    let sev = if broken {
                        Severity::High
                    } else {
                        Severity::Medium
                    };
                    problems.push((sev, format!("weak cipher suite agreed: {why}")));
                }
            }
            // The server's certificate; a client's (mutual TLS) is the device's own identity.
            Message::Certificate(c) if !e.from_client => {
                let shown = c.common_name.clone().unwrap_or_else(|| c.subject.clone());
                if c.self_signed {
                    let sev = if server_public {
                        Severity::Medium
                    } else {
                        Severity::Low
                    };
                    problems.push((sev, format!("self-signed certificate ({shown})")));
                }
                let when = f.first / SEC;
                // A capture's clock that was never set (devices start at 1970 or 2000-01-01)
                // or that runs ahead of this machine's makes every certificate look not yet
                // valid, or expired: its dates are not checked then.
                let clock_set = when >= UNSET_CLOCK_BEFORE
                    && std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .is_ok_and(|now| when <= now.as_secs() as i64 + 86_400);
                if clock_set && c.not_after < when {
                    problems.push((
                        Severity::Medium,
                        format!(
                            "certificate expired {} ({shown})",
                            iotscope_packet::fmt_utc(c.not_after * SEC)
                                .split(' ')
                                .next()
                                .unwrap_or("")
                        ),
                    ));
                } else if clock_set && c.not_before > when {
                    problems.push((
                        Severity::Medium,
                        format!("certificate not yet valid ({shown})"),
                    ));
                }
                if let Some(sni) = sni.as_deref().filter(|n| names_a_host(n)) {
                    let names: Vec<&String> = c.san.iter().chain(c.common_name.iter()).collect();
                    if !names.is_empty() && !names.iter().any(|p| name_matches(p, sni)) {
                        let sev = if server_public {
                            Severity::Medium
                        } else {
                            Severity::Low
                        };
                        problems
                            .push((sev, format!("certificate for {shown} does not cover {sni}")));
                    }
                }
            }
            _ => {}
        }
        if problems.len() > before {
            frames.push(e.frame + 1);
        }
    }
    // A client that reached the server by a name it looked up could have sent that name; one
    // that connected to a bare address had none to send (SNI carries no addresses, RFC 6066):
    // that is the no-dns finding's business.
    if saw_hello && sni.is_none() && resolved && server_public && f.app.app == App::Tls {
        problems.push((Severity::Low, "no server name (SNI) sent".into()));
        frames.extend(hello_frame);
    }
    if problems.is_empty() {
        return None;
    }
    // What leaves the server's identity unproven: its certificate's first problem.
    let doubt = problems
        .iter()
        .map(|(_, p)| p)
        .find(|p| p.contains("certificate"))
        .cloned();
    // The name the client asked this server for is what its certificate answers to.
    let subject = match sni.as_deref() {
        Some(n) if names_a_host(n) => n.to_ascii_lowercase(),
        _ => name.to_string(),
    };
    let acc = out.get(FindingId::TlsWeak, dev, &subject, Severity::Info);
    acc.count += 1;
    if frames.is_empty() {
        frames.push(f.first_frame + 1);
    }
    for frame in frames {
        acc.at(f.first, f.last, frame);
    }
    problems.sort();
    problems.dedup();
    for (sev, p) in problems {
        *acc.tally.entry(p.clone()).or_default() += 1;
        acc.raise(sev).fact("problems", p);
    }
    let (s, _) = ends(f).1;
    acc.fact("server", ix.described(i, s));
    doubt
}

fn upnp(i: &Input, ix: &Index, out: &mut Findings) {
    // The NAT-PMP and PCP mappings a router granted, per flow (by result 0).
    let granted: HashSet<u64> = i
        .events
        .iter()
        .filter(|e| {
            matches!(&e.message, Message::NatPmp(m) if m.response && m.map && m.result == Some(0))
        })
        .map(|e| e.flow)
        .collect();
    for e in i.events {
        if let Message::NatPmp(m) = &e.message {
            if !m.response {
                nat_pmp_request(ix, e, m, granted.contains(&e.flow), out);
            }
            continue;
        }
        // Only SOAP requests and SSDP heads concern UPnP: the sender is looked up for them
        // alone.
        let upnp = match &e.message {
            Message::HttpRequest(r) => r.soap_action.is_some() || r.ssdp.is_some(),
            Message::HttpResponse(r) => r.ssdp.is_some(),
            _ => false,
        };
        if !upnp {
            continue;
        }
        let Some(dev) = ix.sender(e) else { continue };
        let (first, last) = span(e);
        match &e.message {
            Message::HttpRequest(r) => {
                if let Some(action) = &r.soap_action {
                    let verb = action.rsplit('#').next().unwrap_or(action).to_string();
                    if verb.contains("PortMapping") {
                        // Adding a mapping opens the router to the internet; deleting one closes
                        // it again; the rest only read the table.
                        let (sev, label) = if verb.starts_with("Add") {
                            (Severity::High, "opened")
                        } else if verb.starts_with("Delete") {
                            (Severity::Low, "closed")
                        } else {
                            (Severity::Low, "queries")
                        };
                        let acc = out.get(FindingId::Upnp, dev, "port mapping", sev);
                        acc.raise(sev).at(first, last, e.frame + 1);
                        acc.fact("router", format!("{}:{}", ip_of(&e.dst), e.dst_port));
                        if label == "queries" {
                            acc.fact("queries", verb);
                            continue;
                        }
                        acc.count += 1;
                        let none = PortMapping::default();
                        let m = r.port_mapping.as_deref().unwrap_or(&none);
                        acc.fact(label, mapping_text(label, m));
                        // The router that said yes: its UPnP opens it to the internet at any
                        // device's word.
                        let said_yes = ix.events_by_id(e.flow).iter().any(|a| {
                            a.frame > e.frame
                                && matches!(&a.message,
                                    Message::HttpResponse(h) if (200..300).contains(&h.status))
                        });
                        if label == "opened" && said_yes {
                            grants(ix, e, "UPnP", mapping_text(label, m), out);
                        }
                    }
                    continue;
                }
                let Some(ssdp) = &r.ssdp else { continue };
                let target = ssdp.target.as_deref().unwrap_or_default();
                if r.method.eq_ignore_ascii_case("NOTIFY") {
                    let acc = out.get(FindingId::Upnp, dev, "announces", Severity::Low);
                    acc.count += 1;
                    acc.at(first, last, e.frame + 1);
                    if let Some(t) = ssdp.device_type() {
                        acc.fact("types", t);
                    }
                    if let Some(s) = &ssdp.server {
                        acc.fact("server", s.as_str());
                    }
                    if let Some(l) = &ssdp.location {
                        acc.fact("description", l.as_str());
                    }
                } else if target.contains("InternetGatewayDevice")
                    || target.contains("WANIPConnection")
                    || target.contains("WANPPPConnection")
                {
                    let acc = out.get(FindingId::Upnp, dev, "looks for the router", Severity::Low);
                    acc.count += 1;
                    acc.at(first, last, e.frame + 1).fact("searches", target);
                }
            }
            Message::HttpResponse(r) => {
                let Some(ssdp) = &r.ssdp else { continue };
                let acc = out.get(FindingId::Upnp, dev, "announces", Severity::Low);
                acc.count += 1;
                acc.at(first, last, e.frame + 1);
                if let Some(t) = ssdp.device_type() {
                    acc.fact("types", t);
                }
                if let Some(s) = &ssdp.server {
                    acc.fact("server", s.as_str());
                }
                if let Some(l) = &ssdp.location {
                    acc.fact("description", l.as_str());
                }
            }
            _ => {}
        }
    }
}

/// A NAT-PMP or PCP request: a mapping asked for opens the router to the internet like UPnP's
/// AddPortMapping (high when the router granted it, medium when no grant was seen: refused,
/// unanswered, or its answer not captured); a zero lifetime removes one; the rest (the public
/// address asked, PCP's announcements) only query the router.
fn nat_pmp_request(
    ix: &Index,
    e: &Event,
    m: &iotscope_proto::iot::NatPmp,
    granted: bool,
    out: &mut Findings,
) {
    let Some(dev) = ix.sender(e) else { return };
    let (first, last) = span(e);
    let protocol = if m.pcp { "PCP" } else { "NAT-PMP" };
    let (sev, label) = match (m.map, m.lifetime, granted) {
        (true, 0, _) => (Severity::Low, "closed"),
        (true, _, true) => (Severity::High, "opened"),
        (true, _, false) => (Severity::Medium, "asked to open"),
        (false, ..) => (Severity::Low, "queries"),
    };
    let acc = out.get(FindingId::Upnp, dev, "port mapping", sev);
    acc.raise(sev).at(first, last, e.frame + 1);
    acc.fact("router", format!("{}:{}", ip_of(&e.dst), e.dst_port));
    acc.fact("protocol", protocol);
    if label == "queries" {
        acc.fact("queries", if m.pcp { "announce" } else { "public address" });
        return;
    }
    acc.count += 1;
    let mapping = PortMapping {
        external_port: Some(m.external_port.to_string()),
        protocol: m.protocol.clone(),
        internal_client: Some(ip_of(&e.src).to_string()),
        internal_port: Some(m.internal_port.to_string()),
        lease_s: Some(m.lifetime.to_string()),
        remote_host: None,
    };
    acc.fact(label, mapping_text(label, &mapping));
    if label == "opened" {
        grants(ix, e, protocol, mapping_text(label, &mapping), out);
    }
}

/// The hosts that hand out addresses (DHCP offers and acks, RFC 2131): a service of the LAN
/// that every device trusts for its router and its resolvers. The router doing it is the usual
/// setup (info); another host doing it is a Pi-hole or a server on purpose, or a rogue server
/// that can send every device's traffic and lookups its way (low, said so).
fn dhcp_servers(ix: &Index, events: &[Event], out: &mut Findings) {
    for e in events {
        let Message::Dhcp(m) = &e.message else {
            continue;
        };
        // Relayed answers come from the relay agent, whose own finding this is not.
        if !matches!(m.msg_type, Some(2) | Some(5)) || !m.relay_addr.is_unspecified() {
            continue;
        }
        let Some(dev) = ix.sender(e) else { continue };
        let itself = m.names_itself_router(ip_of(&e.src));
        let sev = if itself {
            Severity::Info
        } else {
            Severity::Low
        };
        let (first, last) = span(e);
        let acc = out.get(FindingId::ExposedService, dev, "udp/67 dhcp", sev);
        acc.raise(sev).at(first, last, e.frame + 1);
        acc.count += 1;
        if !m.your_addr.is_unspecified() {
            acc.fact(
                "leases",
                format!("{} to {}", m.your_addr, fmt_mac(&m.client_mac)),
            );
        }
        for r in &m.routers {
            acc.fact("router it names", r.to_string());
        }
        for d in &m.dns_servers {
            acc.fact("resolvers it names", d.to_string());
        }
        if !itself {
            acc.fact(
                "note",
                "a host other than the router it names hands out addresses: if it is not your \
                 Pi-hole or server, it can send every device's traffic and lookups its way",
            );
        }
    }
}

/// The router's side of a mapping it granted (`e` is the request): it opens ports to the
/// internet for any device of the LAN that asks, which is what UPnP IGD and NAT-PMP are for, and
/// what malware on one device uses to be reached.
fn grants(ix: &Index, e: &Event, protocol: &str, mapping: String, out: &mut Findings) {
    let Some(router) = ix.receiver(e) else { return };
    let (first, last) = span(e);
    let acc = out.get(
        FindingId::Upnp,
        router,
        "grants port mappings",
        Severity::Medium,
    );
    acc.raise(Severity::Medium).at(first, last, e.frame + 1);
    acc.count += 1;
    acc.fact("protocol", protocol)
        .fact("asked by", ip_of(&e.src).to_string())
        .fact("opened", mapping);
}

/// A port mapping as the `upnp` finding tells it: `TCP 8080` when closed, `TCP 8080 →
/// 10.99.0.2:8080, until removed` (or `for 3600 s`, `only from` a host) when opened or asked.
fn mapping_text(label: &str, m: &PortMapping) -> String {
    let or_q = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let mut what = format!("{} {}", or_q(&m.protocol), or_q(&m.external_port));
    if label != "closed" {
        what.push_str(&format!(
            " → {}:{}",
            or_q(&m.internal_client),
            or_q(&m.internal_port)
        ));
        match m.lease_s.as_deref() {
            Some("0") => what.push_str(", until removed"),
            Some(s) => what.push_str(&format!(", for {s} s")),
            None => {}
        }
        if let Some(h) = m.remote_host.as_deref().filter(|h| !h.is_empty()) {
            what.push_str(&format!(", only from {h}"));
        }
    }
    what
}

/// Findings about where a device's endpoints are: no lookup, countries, upload volume.
fn endpoint_findings(
    i: &Input,
    ix: &Index,
    encrypted_dns: &BTreeSet<IpAddr>,
    probes: &HashSet<u64>,
    flooded: &HashSet<u64>,
    out: &mut Findings,
) {
    // A scan's unanswered probes, per (scanner, target): the scan finding tells them, and a
    // worm's sweep of random addresses is not thousands of hard-coded destinations.
    let mut probed: HashMap<(IpAddr, IpAddr), u64> = HashMap::new();
    if !probes.is_empty() {
        for f in i.flows.iter().filter(|f| probes.contains(&f.id())) {
            let (c, s) = ends(f);
            *probed.entry((c.0, s.0)).or_default() += 1;
        }
    }
    // What a device flooded it did not upload.
    let flood_targets: BTreeSet<(IpAddr, IpAddr)> = i
        .flows
        .iter()
        .filter(|f| flooded.contains(&f.id()))
        .map(|f| {
            let (c, s) = ends(f);
            (c.0, s.0)
        })
        .collect();
    // Hosts that look names up over plain HTTP (HTTPDNS), with their HTTPDNS servers. Their
    // answers are not read here, so their lookups are as unseen as encrypted ones; and the
    // servers, reached by an address the service hands out to be written into apps, are told
    // by the dns-bypass finding, not as addresses never looked up.
    let http_dns_servers: BTreeSet<(IpAddr, IpAddr)> = i
        .events
        .iter()
        .filter(|e| matches!(&e.message, Message::HttpRequest(r) if is_http_dns(&r.uri)))
        .map(|e| (ip_of(&e.src), ip_of(&e.dst)))
        .collect();
    let http_dns: BTreeSet<IpAddr> = http_dns_servers.iter().map(|(c, _)| *c).collect();
    // No host looked any name up, while several reached the internet: the capture misses the
    // network's DNS (taken where it does not pass, or filtered), and a missing lookup says
    // nothing. (One device alone that resolved nothing may well use hard-coded addresses.)
    let dns_seen = i
        .events
        .iter()
        .any(|e| matches!(&e.message, Message::Dns(_)) && (e.src_port == 53 || e.dst_port == 53));
    let talkers = i
        .endpoints
        .iter()
        .filter(|e| e.flows > e.inbound)
        .filter_map(|e| ix.device_for(e.device, e.mac))
        .collect::<BTreeSet<&str>>()
        .len();
    let blind = !dns_seen && talkers >= 2;
    // no-dns findings lowered because their first contact came soon after the capture began.
    let mut early_keys: BTreeSet<(String, String)> = BTreeSet::new();
    // When each address was handed out in the capture (a DHCP ACK to a client that held no
    // address: not a renewal, whose client kept its lookups): a device that only got its
    // address then had looked nothing up before.
    let mut leased: HashMap<IpAddr, Nanos> = HashMap::new();
    for e in i.events {
        if let Message::Dhcp(m) = &e.message {
            if m.msg_type == Some(5)
                && !m.your_addr.is_unspecified()
                && m.client_addr.is_unspecified()
            {
                leased.entry(IpAddr::V4(m.your_addr)).or_insert(e.ts);
            }
        }
    }
    // (client, server) pairs where an HTTP request named the server by its address: the URL
    // itself holds the address, so no lookup was ever needed.
    let mut by_address: BTreeSet<(IpAddr, IpAddr)> = BTreeSet::new();
    for e in i.events {
        if let Message::HttpRequest(r) = &e.message {
            let host = r.host.as_deref().unwrap_or("");
            let bare = crate::endpoints::host_of(host);
            if bare.parse::<IpAddr>().ok() == Some(ip_of(&e.dst)) {
                by_address.insert((ip_of(&e.src), ip_of(&e.dst)));
            }
        }
    }
    for e in i.endpoints {
        let Some(dev) = ix.device_for(e.device, e.mac) else {
            continue;
        };
        // Written only for the endpoints that make a finding: a scan has hundreds of thousands.
        let place = || where_is(i.intel, e.addr, i.local, e.place.region.as_deref());
        let shown = || e.name.clone().unwrap_or_else(|| e.addr.to_string());
        let frame = e.frame;
        // Services that are DNS (DNSCrypt too: a resolver is set by its address) or pings have
        // their own findings.
        let only_dns_or_ping = || {
            e.services.iter().all(|s| {
                s.starts_with("icmp")
                    || s.ends_with(" dns")
                    || s.ends_with(" dnscrypt")
                    || s.contains("/53 ")
                    || s.contains("/853 ")
                    || s.contains("tls/dns")
            })
        };
        // Hosts that only connected to the device were never the device's to look up.
        let opened = e.flows - e.inbound;
        let only_probed = probed
            .get(&(e.device, e.addr))
            .is_some_and(|&n| n >= opened);
        if e.named_by == NamedBy::None
            && opened > 0
            && !only_probed
            && !only_dns_or_ping()
            && public_resolver(e.addr).is_none()
            && !http_dns_servers.contains(&(e.device, e.addr))
        {
            let org = e.place.holder().unwrap_or_else(|| "unknown network".into());
            let in_url = by_address.contains(&(e.device, e.addr));
            let leased_here = leased.get(&e.device).is_some_and(|t| *t <= e.first);
            let early = e.first - i.start_of(e.frame) < DNS_GRACE && !in_url && !leased_here;
            let unseen = encrypted_dns.contains(&e.device) || http_dns.contains(&e.device);
            let sev = if ((unseen || blind) && !in_url) || early {
                Severity::Info
            } else {
                Severity::Low
            };
            let acc = out.get(FindingId::NoDns, dev, &org, sev);
            acc.severity = acc.severity.max(sev);
            acc.count += opened;
            acc.at(e.first, e.last, frame)
                .fact("addresses", format!("{} ({})", e.addr, place()));
            for s in e.services.iter().filter(|s| !s.starts_with("inbound ")) {
                acc.fact("services", s.as_str());
            }
            if let Some(c) = &e.place.country {
                acc.fact("countries", c.as_str());
            }
            if in_url {
                acc.fact(
                    "note",
                    "its URLs name the address itself: written into the device, or handed to \
                     it by a server in a URL, not looked up",
                );
            } else if encrypted_dns.contains(&e.device) {
                acc.fact(
                    "note",
                    "the device uses encrypted DNS, so its lookups cannot be seen",
                );
            } else if http_dns.contains(&e.device) {
                acc.fact(
                    "note",
                    "the device looks names up over HTTP (HTTPDNS), whose answers are not read \
                     here",
                );
            } else if blind {
                acc.fact(
                    "note",
                    "no host in the capture looked up any name: it misses the network's DNS \
                     (taken where DNS does not pass, or filtered), so lookups cannot be judged",
                );
            } else if early {
                // Written once per finding below, from its earliest contact.
                early_keys.insert((dev.to_string(), org.clone()));
            }
        }
        // An anycast address is served from many places: no country can be checked, and the
        // user who asked for the check is told so.
        if i.allow_countries.is_some() && e.place.anycast {
            let acc = out.get(FindingId::Country, dev, "anycast", Severity::Info);
            acc.count += e.flows;
            acc.at(e.first, e.last, frame)
                .fact("destinations", format!("{} ({})", shown(), place()))
                .fact(
                    "note",
                    "anycast addresses are served from many places: their country cannot be checked",
                );
        }
        if let (Some(allowed), Some(cc)) = (i.allow_countries, &e.place.country) {
            if !allowed.contains(&cc.to_ascii_uppercase()) {
                let acc = out.get(FindingId::Country, dev, cc, Severity::Medium);
                acc.count += e.flows;
                acc.at(e.first, e.last, frame)
                    .fact("destinations", format!("{} ({})", shown(), place()));
            }
        }
        if e.bytes_up >= UPLOAD_MIN
            && e.bytes_up >= UPLOAD_RATIO * e.bytes_down
            && !flood_targets.contains(&(e.device, e.addr))
        {
            let sev = if e.bytes_up >= UPLOAD_HIGH {
                Severity::Medium
            } else {
                Severity::Low
            };
            let acc = out.get(FindingId::Upload, dev, &shown(), sev);
            acc.count += e.flows;
            acc.at(e.first, e.last, frame)
                .fact("up", bytes(e.bytes_up))
                .fact("down", bytes(e.bytes_down))
                .fact("server", format!("{} ({})", e.addr, place()));
        }
    }
    for (dev, org) in early_keys {
        let key = (FindingId::NoDns, dev, org);
        if let Some(acc) = out.map.get_mut(&key) {
            if acc.values("note").is_empty() {
                let began = i.start_of(acc.frames.first().copied().unwrap_or(0));
                let after = duration(acc.first - began);
                acc.fact(
                    "note",
                    format!(
                        "first contact {after} after the capture began; a lookup made before \
                         it would not be seen"
                    ),
                );
            }
        }
    }
    // Country totals.
    for ((id, dev, cc), acc) in out.map.iter_mut() {
        if *id != FindingId::Country {
            continue;
        }
        let (mut up, mut down) = (0, 0);
        for e in i.endpoints {
            let here = if cc == "anycast" {
                e.place.anycast
            } else {
                e.place.country.as_ref() == Some(cc)
            };
            if ix.device_for(e.device, e.mac) == Some(dev.as_str()) && here {
                up += e.bytes_up;
                down += e.bytes_down;
            }
        }
        acc.facts.retain(|(l, _)| l != "bytes up/down");
        acc.fact("bytes up/down", format!("{}/{}", bytes(up), bytes(down)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names_that_carry_data() {
        // dnscat2 in direct mode (nDPI's dns_exfiltration.pcap): no domain, hex labels.
        let n = "dnscat.f97c01f5006c798b8d6e990002e3772bc8";
        assert_eq!(tunnel_domain(n), ("", n));
        assert!(carries_data(n));
        // Data cut into short hex labels under a domain.
        let (d, sub) = tunnel_domain("5f465360.5d76c566.3a5d81f4.820cbc7b.tunnel.example");
        assert_eq!(
            (d, sub),
            ("tunnel.example", "5f465360.5d76c566.3a5d81f4.820cbc7b")
        );
        assert!(carries_data(sub));
        // iodine's Base128 labels (nDPI's dns-tunnel-iodine.pcap), bytes beyond ASCII escaped.
        let (d, sub) = tunnel_domain(r"rdfed4\198\236xl\195\224\2394\218Uxl.pirate.sea");
        assert_eq!(d, "pirate.sea");
        assert!(carries_data(sub));
        assert_eq!(tunnel_domain("a.b.example.co.uk").0, "example.co.uk");
        // Names people and CDNs choose, reverse lookups: no data.
        for n in [
            "r3---sn-4g5e6nsz.googlevideo.com",
            "e1234.dscb.akamaiedge.net",
            "mystorageaccount2024.blob.core.windows.net",
            "b.a.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.8.b.d.0.1.0.0.2.ip6.arpa",
            "951c558a-5e07-47ca.example.com",
        ] {
            assert!(!carries_data(tunnel_domain(n).1), "{n}");
        }
    }

    #[test]
    fn name_lookups_over_http() {
        // xiaomi.pcap: Alibaba Cloud HTTPDNS at 203.107.1.65 (values stripped by the parser).
        assert!(is_http_dns("/164566/sign_d?host=&sdk=&t=&s="));
        assert!(is_http_dns("/119/d?dn=&ttl="));
        assert!(is_http_dns("/resolve?name=&type="));
        assert!(!is_http_dns("/d"));
        assert!(!is_http_dns("/api/d?id="));
        assert!(!is_http_dns("/download?host="));
    }

    #[test]
    fn query_parameters_named_for_secrets() {
        // The Aria scale's registration and the Hue bridge's message queue (values stripped).
        assert_eq!(
            secret_params("/scale/register?serialNumber=&token=&ssid="),
            ["token"]
        );
        assert_eq!(
            secret_params("/queue/getmessage?duration=&interval=&sso=&i=&auth="),
            ["sso", "auth"]
        );
        assert_eq!(
            secret_params("/x?access_token=&API-Key=&user_password=&X-Amz-Signature="),
            [
                "access_token",
                "API-Key",
                "user_password",
                "X-Amz-Signature"
            ]
        );
        for none in [
            "/status",
            "/a?page=&lang=",
            "/a?keyword=&monkey=",
            "/a?",
            "/a?=&&",
        ] {
            assert!(secret_params(none).is_empty(), "{none}");
        }
    }

    #[test]
    fn keys_in_url_paths_are_masked_and_words_are_not() {
        for (uri, masked, secret) in [
            (
                "/api/1cb60ac568eb6c76925713b5b2b28dc/lights/1/state",
                "/api/<key>/lights/1/state",
                true,
            ),
            (
                "/v1/devices/2f402f80-da50-11e1-9b23-00178824a6ff/status?auth=",
                "/v1/devices/<key>/status?auth=",
                true,
            ),
            ("/cb/aZ3kQ9xT7mN2pL5vR8wY1sD4", "/cb/<key>", true),
            (
                "/DcpRequestHandler/index.ashx",
                "/DcpRequestHandler/index.ashx",
                false,
            ),
            ("/fw/plug-2.1.7.bin", "/fw/plug-2.1.7.bin", false),
            // An OCSP request in the path: base64, percent-escaped.
            (
                "/VA/MFEwTzBNMEswSTAJBgUrDgMCGgUABBSw4x5v4bTlizjN%2BQ6tk%3D",
                "/VA/<key>",
                true,
            ),
            (
                "/a%zz_long_enough_to_be_a_token_1",
                "/a%zz_long_enough_to_be_a_token_1",
                false,
            ),
            (
                "/queue/getmessage?duration=&sso=",
                "/queue/getmessage?duration=&sso=",
                false,
            ),
            ("/status/1234567890", "/status/1234567890", false),
            (
                "/a_very_long_word_without_digits",
                "/a_very_long_word_without_digits",
                false,
            ),
            ("/", "/", false),
            ("", "", false),
        ] {
            assert_eq!(
                mask_path_secrets(uri),
                (masked.to_string(), secret),
                "{uri}"
            );
        }
    }

    #[test]
    fn ocsp_requests_in_the_path_are_told_from_keys() {
        // GETs of OCSP requests from nDPI's pps.pcap and ocsp.pcapng (a Windows client).
        for path in [
            "/ocsp/MEkwRzBFMEMwQTAJBgUrDgMCGgUABBTy4Gr5hYodjXCbSRkjeqm1Gih%2BZAQUSt0GFhu89mi1dvWBtrtiGrpagS8CCEYrFXkq2ugz",
            "/VA/AUTH-ROOT/MFEwTzBNMEswSTAJBgUrDgMCGgUABBSw4x5v4bTlizjNRmTdkYSy7q0R9gQUUtiIOsifeGbtifN7OHCUyQICNtACEEWXMtjzGMt1k6L0aA%2BQ6tk%3D",
            "/VA/AUTH-ROOT/MEkwRzBFMEMwQTAJBgUrDgMCGgUABBSw4x5v4bTlizjNRmTdkYSy7q0R9gQUUtiIOsifeGbtifN7OHCUyQICNtACCEmBpuNTz9ql",
        ] {
            assert!(is_ocsp_get(path), "{path}");
            // Cut short, the DER's length no longer matches.
            assert!(!is_ocsp_get(&path[..path.len() - 8]), "{path}");
        }
        for path in [
            "/api/MkZ3kQ9xT7mN2pL5vR8wY1sD4aZ3kQ9xT7",
            "/cb/aZ3kQ9xT7mN2pL5vR8wY1sD4",
            "/Manifest/files/index.json",
            "/",
            "",
            "/M%zz0000000000000000000000",
        ] {
            assert!(!is_ocsp_get(path), "{path}");
        }
    }

    #[test]
    fn the_catalogue_is_in_enum_order_and_names_match_the_json() {
        for (k, e) in CATALOGUE.iter().enumerate() {
            assert_eq!(e.id as usize, k, "{:?}", e.id);
            assert_eq!(e.id.entry().id, e.id);
            assert_eq!(
                serde_json::to_string(&e.id).unwrap(),
                format!("\"{}\"", e.id.name())
            );
            assert!(!e.explanation.is_empty() && !e.remedy.is_empty());
        }
        assert_eq!(Severity::parse("Medium"), Some(Severity::Medium));
        assert_eq!(Severity::parse("severe"), None);
        assert!(Severity::High > Severity::Medium && Severity::Low > Severity::Info);
    }

    #[test]
    fn certificate_names() {
        assert!(name_matches("*.example.com", "api.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(name_matches("Example.COM", "example.com"));
    }
}
