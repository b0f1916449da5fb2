//! Findings on real traffic: recorded programs (testdata/recorded, made by record.sh) for the
//! behaviours the corpus lacks, corpus captures for the rest, and the absence of findings where
//! the behaviour does not occur.

use std::collections::BTreeSet;
use std::path::PathBuf;

use iotscope_analyze::devices::Local;
use iotscope_analyze::findings::{self, explanation_for, FindingId, Severity};
use iotscope_flow::pipeline::{run, Options};
use iotscope_report::model::{DeviceReport, FindingReport, Report};
use iotscope_testdata::{capture, captures, recorded};

fn report_with(paths: &[PathBuf], allow: Option<&BTreeSet<String>>) -> Report {
    let r = run(paths, &Options::for_analysis());
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    iotscope_report::from_run(&r, &Local::new(&[]).unwrap(), allow, Default::default())
}

fn report(path: PathBuf) -> Report {
    report_with(&[path], None)
}

fn all(r: &Report) -> Vec<(&DeviceReport, &FindingReport)> {
    r.devices
        .iter()
        .flat_map(|d| d.findings.iter().map(move |f| (d, f)))
        .collect()
}

/// The device holding `address`.
fn holding<'a>(r: &'a Report, address: &str) -> &'a DeviceReport {
    r.devices
        .iter()
        .find(|d| d.addresses.iter().any(|a| a == address))
        .unwrap_or_else(|| panic!("no device holds {address}"))
}

/// The ids of the devices that hold `address`.
fn holders<'a>(r: &'a Report, address: &str) -> Vec<&'a str> {
    r.devices
        .iter()
        .filter(|d| d.addresses.iter().any(|a| a == address))
        .map(|d| d.id.as_str())
        .collect()
}

/// The server names in the TLS ClientHellos and the certificates' common names a capture
/// holds, in frame order (the capture read for analysis).
fn tls_names(path: PathBuf) -> (Vec<String>, Vec<String>) {
    let read = run(&[path], &Options::for_analysis());
    let (mut sni, mut certs) = (Vec::new(), Vec::new());
    for e in &read.flows.events {
        match &e.message {
            iotscope_proto::app::Message::ClientHello(h) => sni.extend(h.sni.clone()),
            iotscope_proto::app::Message::Certificate(c) => certs.extend(c.common_name.clone()),
            _ => {}
        }
    }
    (sni, certs)
}

/// The findings `id` of one device.
fn findings_of(d: &DeviceReport, id: FindingId) -> Vec<&FindingReport> {
    d.findings.iter().filter(|f| f.id == id).collect()
}

/// The device with MAC `mac`.
fn with_mac<'a>(r: &'a Report, mac: &str) -> &'a DeviceReport {
    r.devices
        .iter()
        .find(|d| d.mac.as_deref() == Some(mac))
        .unwrap_or_else(|| panic!("no device has MAC {mac}"))
}

fn of(r: &Report, id: FindingId) -> Vec<(&DeviceReport, &FindingReport)> {
    all(r).into_iter().filter(|(_, f)| f.id == id).collect()
}

fn fact<'a>(f: &'a FindingReport, label: &str) -> &'a str {
    f.facts
        .iter()
        .find(|x| x.label == label)
        .map_or("", |x| x.value.as_str())
}

/// The fixed test password of record.sh, in every form it crossed the wire.
const SECRETS: [&str; 3] = [
    "S3cretPassw0rd!",
    "UzNjcmV0UGFzc3cwcmQh",
    "AGlvdHVzZXIAUzNjcmV0UGFzc3cwcmQh",
];

#[test]
fn logins_in_clear_name_the_user_never_the_password() {
    // The logins each recording holds (record.sh: curl twice and fetchmail once for POP3 and
    // IMAP; AUTH PLAIN and AUTH LOGIN for SMTP; a wrong password, then the right one twice, for
    // SOCKS).
    for (file, protocol, logins) in [
        ("telnet-login.pcap", "telnet", 1),
        ("ftp-login.pcap", "ftp", 1),
        // vsftpd on tcp/2121: FTP by its greeting and its first command, not its port.
        ("ftp-altport.pcap", "ftp", 1),
        ("pop3-login.pcap", "pop3", 3),
        ("imap-login.pcap", "imap", 3),
        ("smtp-auth.pcap", "smtp", 2),
        ("http-basic.pcap", "http", 1),
        ("mqtt-login.pcap", "mqtt", 1),
        ("socks.pcap", "socks", 3),
    ] {
        let r = report(recorded(file));
        let creds = of(&r, FindingId::CleartextCredentials);
        assert_eq!(creds.len(), 1, "{file}");
        let (dev, f) = creds[0];
        assert_eq!(f.severity, Severity::High, "{file}");
        assert_eq!(fact(f, "protocol"), protocol, "{file}");
        assert_eq!(fact(f, "user"), "iotuser", "{file}");
        // Each login counted once (http-basic: the first request had no credentials and got
        // 401; only the second carried them).
        assert_eq!(f.count, logins, "{file}");
        assert!(dev.addresses.contains(&"10.99.0.2".to_string()), "{file}");
        assert!(!f.frames.is_empty());
        let json = serde_json::to_string(&r).unwrap();
        for s in SECRETS {
            assert!(
                !json.contains(s),
                "{file}: the password leaked into the report"
            );
        }
        let text = iotscope_report::terminal::render(&r);
        assert!(text.contains("cleartext-credentials"));
        assert!(!text.contains(SECRETS[0]));
    }
}

#[test]
fn telnet_is_unsafe_on_both_sides_and_an_exposed_service() {
    let r = report(recorded("telnet-login.pcap"));
    let unsafe_ = of(&r, FindingId::UnsafeProtocol);
    let subjects: BTreeSet<&str> = unsafe_.iter().map(|(_, f)| f.subject.as_str()).collect();
    assert_eq!(
        subjects,
        BTreeSet::from(["offers telnet on tcp/23", "uses telnet to 10.99.0.1"])
    );
    assert!(unsafe_.iter().all(|(_, f)| f.severity == Severity::High));
    let exposed = of(&r, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    let (server, f) = exposed[0];
    assert!(server.addresses.contains(&"10.99.0.1".to_string()));
    assert_eq!(f.subject, "tcp/23 telnet");
    assert_eq!(f.severity, Severity::Low, "a LAN client, not the internet");
    assert_eq!(fact(f, "clients on the LAN"), "10.99.0.2");
    // The verdict says it in words.
    assert_eq!(server.verdict.rating, "at risk");
    assert!(server.verdict.text.contains("offers telnet in clear"));
}

#[test]
fn a_client_polling_every_two_seconds_is_periodic() {
    let r = report(recorded("http-poll.pcap"));
    let p = of(&r, FindingId::Periodic);
    assert_eq!(p.len(), 1);
    let (dev, f) = p[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.count, 8, "8 runs of curl");
    assert_eq!(fact(f, "period"), "2.01 s");
    assert_eq!(fact(f, "beats"), "a new connection each time");
    assert_eq!(f.frames.len(), 8);
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].1.count, 8);
    assert_eq!(
        http[0].1.severity,
        Severity::Low,
        "the server is on the LAN"
    );
    assert_eq!(fact(http[0].1, "requests"), "GET /status.json");
    assert_eq!(fact(http[0].1, "content"), "application/json");
    assert!(of(&r, FindingId::CleartextCredentials).is_empty());
    assert!(of(&r, FindingId::LongLived).is_empty());
}

#[test]
fn dns_over_tls_to_the_local_resolver_is_only_noted() {
    let r = report(recorded("dot-dns.pcap"));
    let e = of(&r, FindingId::EncryptedDns);
    assert_eq!(e.len(), 1);
    assert_eq!(fact(e[0].1, "protocol"), "DNS over TLS");
    assert_eq!(e[0].1.count, 3, "three kdig +tls sessions");
    assert_eq!(
        e[0].1.severity,
        Severity::Info,
        "the resolver is the network's own"
    );
    assert!(of(&r, FindingId::DnsBypass).is_empty());
}

#[test]
fn a_device_that_ignores_the_network_resolver() {
    let r = report(recorded("bypass.pcap"));
    let client = holding(&r, "10.99.0.2");
    let find = |id: FindingId| -> Vec<&FindingReport> {
        client.findings.iter().filter(|f| f.id == id).collect()
    };
    // Plain DNS straight to 8.8.8.8.
    let bypass = find(FindingId::DnsBypass);
    assert_eq!(bypass.len(), 1);
    assert_eq!(bypass[0].subject, "8.8.8.8");
    assert_eq!(fact(bypass[0], "names asked"), "time.example.com");
    assert_eq!(fact(bypass[0], "network's resolver"), "10.99.0.1");
    // DNS over HTTPS to 1.1.1.1.
    let doh = find(FindingId::EncryptedDns);
    assert_eq!(doh.len(), 1);
    assert_eq!(fact(doh[0], "protocol"), "DNS over HTTPS");
    assert_eq!(doh[0].severity, Severity::Medium);
    // The firmware fetched from a hard-coded address, over plain HTTP.
    let fw = find(FindingId::Firmware);
    assert_eq!(fw.len(), 1);
    assert_eq!(fact(fw[0], "file"), "/firmware.bin");
    assert_eq!(fw[0].severity, Severity::Medium);
    let nodns = find(FindingId::NoDns);
    assert_eq!(nodns.len(), 1);
    assert!(fact(nodns[0], "addresses").starts_with("52.94.236.248 (Amazon"));
    assert_eq!(fact(nodns[0], "countries"), "US");
    // Not lowered although the device resolves over DoH: curl fetched
    // http://52.94.236.248/firmware.bin, so the Host header is the address and there was never
    // a lookup to hide.
    assert_eq!(nodns[0].severity, Severity::Low);
    assert_eq!(
        fact(nodns[0], "note"),
        "its URLs name the address itself: written into the device, or handed to it by a \
         server in a URL, not looked up"
    );
    // DoH to https://1.1.1.1/ has no name to put in SNI (RFC 6066 allows no addresses there):
    // not a TLS weakness.
    assert!(find(FindingId::TlsWeak).is_empty());
    let http = find(FindingId::CleartextHttp);
    let subjects: BTreeSet<&str> = http.iter().map(|f| f.subject.as_str()).collect();
    assert!(subjects.contains("52.94.236.248"), "{subjects:?}");
    assert!(subjects.contains("api.example.com"), "{subjects:?}");
    // The network's resolver itself is not accused of bypassing anything.
    let server = holding(&r, "10.99.0.1");
    assert!(server.findings.iter().all(|f| f.id != FindingId::DnsBypass));
}

#[test]
fn upnp_port_mapping_requests() {
    let r = report(recorded("upnp.pcap"));
    let u = of(&r, FindingId::Upnp);
    let mapping: Vec<_> = u
        .iter()
        .filter(|(_, f)| f.subject == "port mapping")
        .collect();
    assert_eq!(mapping.len(), 1);
    let (dev, f) = mapping[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.severity, Severity::High);
    // miniupnpc (frame 136) maps TCP 8080 of the router to 10.99.0.2:8080 with no lease limit,
    // then (frame 288) deletes it; its four Get* requests only read the table.
    assert_eq!(
        fact(f, "opened"),
        "TCP 8080 → 10.99.0.2:8080, until removed"
    );
    assert_eq!(fact(f, "closed"), "TCP 8080");
    assert_eq!(
        fact(f, "queries"),
        "GetGenericPortMappingEntry, GetSpecificPortMappingEntry"
    );
    assert_eq!(f.count, 2, "one mapping added, one deleted");
    assert!(u.iter().any(|(d, f)| f.subject == "looks for the router"
        && d.addresses.contains(&"10.99.0.2".to_string())));
    // The router announces itself, and said yes to the mapping (tshark: the 200 OK to frame
    // 136's AddPortMapping): it opens its ports at any device's word.
    assert!(u
        .iter()
        .any(|(d, f)| f.subject == "announces" && d.addresses.contains(&"10.99.0.1".to_string())));
    let (router, grants) = u
        .iter()
        .find(|(_, f)| f.subject == "grants port mappings")
        .expect("the router's side");
    assert!(router.addresses.contains(&"10.99.0.1".to_string()));
    assert_eq!(grants.severity, Severity::Medium);
    assert_eq!(fact(grants, "asked by"), "10.99.0.2");
    assert_eq!(
        fact(grants, "opened"),
        "TCP 8080 → 10.99.0.2:8080, until removed"
    );
    assert!(router
        .verdict
        .text
        .contains("it opens ports from the internet to any device that asks (UPnP)"));
}

#[test]
fn nat_pmp_port_mapping_requests() {
    // natpmpc asks miniupnpd for its public address, maps udp/8081 for an hour (granted,
    // frame 8), then removes the mapping (lifetime 0).
    let r = report(recorded("natpmp.pcap"));
    let u: Vec<_> = of(&r, FindingId::Upnp)
        .into_iter()
        .filter(|(_, f)| f.subject == "port mapping")
        .collect();
    assert_eq!(u.len(), 1, "{u:?}");
    let (dev, f) = u[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(fact(f, "protocol"), "NAT-PMP");
    assert_eq!(fact(f, "opened"), "udp 8081 → 10.99.0.2:8081, for 3600 s");
    assert_eq!(fact(f, "closed"), "udp 8081");
    assert_eq!(fact(f, "queries"), "public address");
    assert_eq!(f.count, 2, "one mapping added, one removed");
    assert!(
        dev.verdict.text.contains("open ports to it (NAT-PMP)"),
        "{}",
        dev.verdict.text
    );
    // Only a gateway answers NAT-PMP (frame 8's granted mapping came from 10.99.0.1), and it
    // granted the mapping.
    let gw = holding(&r, "10.99.0.1");
    assert_eq!(gw.kind, "router/ap");
    assert_eq!(
        gw.because.as_deref(),
        Some("nat-pmp-server=answers NAT-PMP")
    );
    let grants = findings_of(gw, FindingId::Upnp);
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].subject, "grants port mappings");
    assert_eq!(
        fact(grants[0], "opened"),
        "udp 8081 → 10.99.0.2:8081, for 3600 s"
    );
}

#[test]
fn a_connection_held_open_for_eleven_minutes_is_long_lived() {
    let r = report(recorded("long-tls.pcap"));
    let l = of(&r, FindingId::LongLived);
    assert_eq!(l.len(), 1);
    let (dev, f) = l[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(
        f.subject, "cloud.example.net",
        "named by the lookup before it"
    );
    assert!(fact(f, "connections").starts_with("open 11 min"));
    // Both sides sent FIN at 663 s, in the capture's last frames: the connection is over even
    // though its record was still in the table when the input ended.
    assert_eq!(fact(f, "state"), "closed before the capture ended");
    // openssl s_client sends no ALPN: TLS on 443 is not taken for HTTP.
    assert_eq!(fact(f, "service"), "tcp/443 tls");
    assert!(fact(f, "connections").ends_with(", closed"));
    assert!(dev
        .verdict
        .text
        .contains("keeps a connection open to cloud.example.net"));
    // Inside it, a line every 60 s: a heartbeat in one connection.
    let p = of(&r, FindingId::Periodic);
    assert_eq!(p.len(), 1);
    let f = p[0].1;
    assert_eq!(f.subject, "cloud.example.net");
    assert_eq!(fact(f, "beats"), "packets inside one connection");
    assert_eq!(fact(f, "period"), "1 min 0 s");
    assert_eq!(
        f.count, 12,
        "the 12 telemetry lines, not the handshake or the close"
    );
}

#[test]
fn the_hue_bridge() {
    let r = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    let hue = with_mac(&r, "00:17:88:24:76:ff");
    let ids: BTreeSet<FindingId> = hue.findings.iter().map(|f| f.id).collect();
    // It polls its cloud over plain HTTP, serves its API on port 80 and announces itself.
    assert!(ids.contains(&FindingId::CleartextHttp));
    assert!(ids.contains(&FindingId::ExposedService));
    assert!(ids.contains(&FindingId::Upnp));
    let poll = hue
        .findings
        .iter()
        .find(|f| f.id == FindingId::CleartextHttp && f.subject == "bridge.meethue.com")
        .unwrap();
    assert_eq!(poll.severity, Severity::Medium);
    assert!(fact(poll, "server").contains("Google"));
    // POST /queue/getmessage?duration=&interval=&sso=&i=&auth= every 2.27 s: an sso token and an
    // auth key in every URL, in clear.
    assert_eq!(
        fact(poll, "keys in URLs"),
        "parameters sso, auth sent in clear (values not shown)"
    );
    // Nothing it does not do.
    for id in [
        FindingId::CleartextCredentials,
        FindingId::UnsafeProtocol,
        FindingId::DnsBypass,
        FindingId::EncryptedDns,
        FindingId::LongLived,
        FindingId::TlsWeak,
    ] {
        assert!(!ids.contains(&id), "{id:?}");
    }
    assert_eq!(hue.verdict.rating, "needs attention");
    assert!(hue.verdict.text.contains("bridge.meethue.com"));
    assert!(
        hue.verdict.text.contains(
            "mostly with Google LLC (73 %) and Rackspace Ltd. (21 %), and none of those bytes is encrypted."
        ),
        "{}",
        hue.verdict.text
    );
    let ep = hue
        .endpoints
        .iter()
        .find(|e| e.name == "bridge.meethue.com")
        .unwrap();
    assert!(!ep.encrypted);
    assert_eq!(ep.named_by, "dns");
}

#[test]
fn tls_without_server_name_and_obsolete_versions() {
    let r = report(capture("IoTSentinel__D-LinkHomeHub__Setup-C-3-STA.pcap"));
    let weak = of(&r, FindingId::TlsWeak);
    assert!(!weak.is_empty());
    assert!(weak
        .iter()
        .any(|(_, f)| fact(f, "problems").contains("no server name (SNI) sent")));
    assert!(weak
        .iter()
        .any(|(_, f)| fact(f, "problems").contains("TLS 1.0 agreed")
            && f.severity == Severity::Medium));
}

#[test]
fn allowed_countries() {
    let path = capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    let allow = BTreeSet::from(["US".to_string()]);
    let r = report_with(&[path], Some(&allow));
    let c = of(&r, FindingId::Country);
    let countries: BTreeSet<&str> = c.iter().map(|(_, f)| f.subject.as_str()).collect();
    assert_eq!(countries, BTreeSet::from(["DE", "GB", "NL"]));
    assert!(c.iter().all(|(_, f)| f.severity == Severity::Medium));
    // The Aria scale talks only to Cloudflare (104.16.65.50, anycast): no country to check, and
    // the report says so instead of passing it silently.
    let aria = capture("IoTSentinel__Aria__Setup-C-1-STA.pcap");
    let r = report_with(&[aria], Some(&BTreeSet::from(["DE".to_string()])));
    let c = of(&r, FindingId::Country);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].1.subject, "anycast");
    assert_eq!(c[0].1.severity, Severity::Info);
    assert!(fact(c[0].1, "destinations").starts_with("www.fitbit.com (Cloudflare"));
    assert!(c[0]
        .0
        .verdict
        .text
        .contains("anycast, served from many places"));
}

/// What the corpus does not contain is not reported anywhere in it.
#[test]
fn no_false_findings_in_the_corpus() {
    for path in captures() {
        let r = report(path.clone());
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (d, f) in all(&r) {
            // The one cleartext login of these captures is nDPI's mqtt.pcap; the unsafe
            // protocols are the Ednet camera's TFTP (a_camera_fetching_a_script_over_tftp),
            // coap_mqtt's anonymous broker (an_mqtt_broker_that_takes_anonymous_clients), and
            // the control protocols of modbus.pcap and IEC104.pcap and the anonymous FTP of
            // ftp.pcap (captures_of_other_networks), and mqtt.pcap's MQTT without TLS to a broker
            // on the internet.
            // D-Link's setup apps log in to the camera and the hub over HNAP in plain HTTP
            // (passwords_and_keys_in_request_bodies). pcap-parser's smtp.pcap sends mail with
            // AUTH LOGIN in clear (a_router_beyond_the_link_that_only_sends_errors_is_no_device).
            let logins_there = [
                "nDPI__mqtt.pcap",
                "nDPI__imap.pcap",
                "npm_pcap-parser__smtp.pcap",
                "IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap",
                "IoTSentinel__D-LinkHomeHub__Setup-C-3-STA.pcap",
            ];
            if !logins_there.contains(&name.as_str()) {
                assert_ne!(f.id, FindingId::CleartextCredentials, "{name}: {}", d.label);
            }
            let unsafe_there = [
                "IoTSentinel__EdnetCam1__Setup-C-5-STA.pcap",
                "nDPI__coap_mqtt.pcap",
                "nDPI__modbus.pcap",
                "nDPI__s7comm.pcap",
                "nDPI__imap.pcap",
                "nDPI__IEC104.pcap",
                "nDPI__ftp.pcap",
                "nDPI__tftp.pcap",
                "nDPI__mqtt.pcap",
                "npm_pcap-parser__smtp.pcap",
            ];
            if !unsafe_there.contains(&name.as_str()) {
                assert_ne!(f.id, FindingId::UnsafeProtocol, "{name}: {}", d.label);
            }
            // A rhythm is a note, unless it beats to an address never looked up in a protocol
            // nothing reads: in these captures only lspping-fec-ldp's router, whose MPLS echo
            // replies (udp/3503, which iotscope does not read) go to 12.4.4.4's port 4786 once a
            // second, looks so.
            if name != "tcpdump__lspping-fec-ldp.pcap" {
                assert!(
                    f.id != FindingId::Periodic || f.severity == Severity::Info,
                    "{name}: {} {}",
                    d.label,
                    f.summary
                );
            }
            // The scans are synscan.pcap's (scans_of_ports_and_of_hosts) and trace.pcap's
            // (syns_that_carry_data_but_are_never_answered_are_a_scan_not_a_protocol).
            if !["nDPI__synscan.pcap", "pcap_inspector__trace.pcap"].contains(&name.as_str()) {
                assert_ne!(f.id, FindingId::Scan, "{name}: {} {}", d.label, f.summary);
            }
            // Nor was any taken from the internet side of a router. The exposures to the
            // internet are vnc.pcap's, a LAN host's VNC server reached by an internet address
            // through the router (vnc_from_the_internet), of10_7050q's OpenFlow controller
            // (a_connection_seen_from_its_middle_is_oriented_by_its_server_port), and
            // dns_fragmented's DNS server (2001:470:765b::a25:53, a virtual machine on the
            // capture's link), which answers Google's public resolvers: an authoritative server,
            // published on purpose, which is what the finding's remedy allows for.
            let exposed_there = [
                "nDPI__vnc.pcap",
                "tcpdump__of10_7050q.pcapng",
                "nDPI__dns_fragmented.pcap",
            ];
            assert!(
                !(f.id == FindingId::ExposedService
                    && f.severity == Severity::High
                    && !exposed_there.contains(&name.as_str())),
                "{name}: {} {}",
                d.label,
                f.summary
            );
        }
        // Every finding points at frames of the capture.
        for (_, f) in all(&r) {
            assert!(
                f.frames.iter().all(|n| *n >= 1 && *n <= r.network.packets),
                "{name}"
            );
        }
    }
}

#[test]
fn several_captures_form_one_timeline() {
    let a = capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    let b = capture("IoTSentinel__Aria__Setup-C-1-STA.pcap");
    let one = report(a.clone());
    let two = report(b.clone());
    let both = report_with(&[a, b], None);
    assert_eq!(both.inputs.len(), 2);
    assert_eq!(
        both.network.packets,
        one.network.packets + two.network.packets
    );
    assert!(both.devices.len() >= one.devices.len().max(two.devices.len()));
}

#[test]
fn the_nest_keeps_a_channel_to_its_cloud() {
    let r = report(capture("nDPI__nest_log_sink.pcap"));
    let l = of(&r, FindingId::LongLived);
    assert_eq!(l.len(), 1);
    let f = l[0].1;
    assert!(f.subject.ends_with(".nest.com"), "{}", f.subject);
    // Five connections; the server closed four with FIN (frames 207, 480, 668, 742); the one
    // opened at 5214 s was still open when the capture ended.
    assert_eq!(f.count, 5);
    assert_eq!(fact(f, "state"), "1 of 5 still open when the capture ended");
    // Each connection's duration, bytes and end in one line, the four longest of the five
    // (the verdict names the longest): tshark conv,tcp, port 63349: 603 s, 3254 B up, 3040 B
    // down, closed by the server's FIN in frame 742, is the shortest and is left out.
    let conns: Vec<&str> = f
        .facts
        .iter()
        .filter(|x| x.label == "connections")
        .map(|x| x.value.as_str())
        .collect();
    assert_eq!(conns.len(), 4, "{conns:?}");
    assert!(
        conns.iter().any(|c| c.starts_with("open 30 min 0 s, ")),
        "{conns:?}"
    );
    assert!(
        !conns.iter().any(|c| c.starts_with("open 10 min 3 s, ")),
        "{conns:?}"
    );
    assert!(r.devices[0]
        .verdict
        .text
        .contains("the longest open 30 min 0 s"));
    assert!(fact(f, "server").contains("Amazon"));
}

#[test]
fn expired_mismatched_self_signed_and_obsolete_tls() {
    let r = report(recorded("tls-weak.pcap"));
    let weak = of(&r, FindingId::TlsWeak);
    let by = |subject: &str| -> &FindingReport {
        weak.iter()
            .find(|(_, f)| f.subject == subject)
            .unwrap_or_else(|| panic!("{subject}: {weak:?}"))
            .1
    };
    // Session 1: TLS 1.2, a self-signed certificate for device.example.com that expired on
    // 2021-01-01, offered to a client that asked for api.example.net.
    let api = by("api.example.net");
    assert_eq!(api.severity, Severity::Medium);
    let p = fact(api, "problems");
    for expected in [
        "certificate expired 2021-01-01 (device.example.com)",
        "certificate for device.example.com does not cover api.example.net",
        "self-signed certificate (device.example.com)",
        // Session 3 went to the same server without any server name.
        "no server name (SNI) sent",
    ] {
        assert!(p.contains(expected), "{expected} not in {p}");
    }
    assert!(fact(api, "server").starts_with("52.94.236.248 (Amazon"));
    // Session 2: TLS 1.0 on both sides.
    let legacy = by("legacy.example.net");
    let p = fact(legacy, "problems");
    assert!(
        p.contains("TLS 1.0 agreed") && p.contains("client offers at most TLS 1.0"),
        "{p}"
    );
    assert!(
        !p.contains("expired") && !p.contains("does not cover"),
        "{p}"
    );
    assert_eq!(weak.len(), 2);
}

#[test]
fn resolvers_the_dhcp_server_hands_out_are_the_networks() {
    // The router's DHCP ack names 168.95.1.1, 8.8.8.8, 168.95.192.1 and 8.8.4.4 as resolvers:
    // a device that asks 8.8.8.8 follows the network's settings.
    let r = report(capture("nDPI__1kxun.pcap"));
    assert!(of(&r, FindingId::DnsBypass).is_empty());
    // The same capture's POSTs to /getvkey carry a form field `cKey` (frame 484): a key by its
    // camel-case last word, named without its value.
    let http = of(&r, FindingId::CleartextHttp);
    assert!(
        http.iter()
            .any(|(_, f)| fact(f, "keys in request bodies (values not shown)") == "cKey"),
        "{http:?}"
    );
}

#[test]
fn services_reached_from_the_internet() {
    let r = report(recorded("inbound.pcap"));
    let camera = holding(&r, "10.99.0.1");
    let exposed: Vec<&FindingReport> = camera
        .findings
        .iter()
        .filter(|f| f.id == FindingId::ExposedService)
        .collect();
    let subjects: BTreeSet<&str> = exposed.iter().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects, BTreeSet::from(["tcp/23 telnet", "tcp/80 http"]));
    for f in &exposed {
        assert_eq!(f.severity, Severity::High, "{}", f.subject);
        assert!(fact(f, "clients on the internet").starts_with("45.33.32.156 ("));
    }
    // The web page was also fetched from the LAN; telnet only from the internet.
    let web = exposed.iter().find(|f| f.subject == "tcp/80 http").unwrap();
    assert_eq!(fact(web, "clients on the LAN"), "10.99.0.2");
    let telnet = exposed
        .iter()
        .find(|f| f.subject == "tcp/23 telnet")
        .unwrap();
    assert_eq!(fact(telnet, "clients on the LAN"), "");
    assert_eq!(camera.verdict.rating, "at risk");
    assert!(camera
        .verdict
        .text
        .contains("It accepts connections from the internet"));
    // Nobody logged in: no credentials were sent.
    assert!(of(&r, FindingId::CleartextCredentials).is_empty());
}

#[test]
fn the_verdict_says_what_a_device_does_on_the_lan() {
    let r = report(capture("nDPI__tuya_lp.pcap"));
    let tuya: Vec<&DeviceReport> = r
        .devices
        .iter()
        .filter(|d| d.vendor.as_deref() == Some("Tuya Smart Inc."))
        .collect();
    assert!(!tuya.is_empty());
    for d in tuya {
        assert!(
            d.verdict
                .text
                .contains("On the local network it uses Tuya's local protocol (broadcast)."),
            "{}",
            d.verdict.text
        );
    }
    let hue = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    let bridge = hue
        .devices
        .iter()
        .find(|d| d.label == "Philips-hue")
        .unwrap();
    assert!(bridge
        .verdict
        .text
        .contains("it uses mDNS (multicast) and SSDP (multicast)"));
}

#[test]
fn pings_of_a_public_host_and_lan_peers() {
    // The WeMo Link pings 4.2.2.2 (Level 3's old public resolver) to check it is online.
    let r = report(capture("IoTSentinel__WeMoLink__Setup-C-1-STA.pcap"));
    let c = of(&r, FindingId::ConnectivityCheck);
    assert!(
        c.iter()
            .any(|(_, f)| f.subject == "ping 4.2.2.2" && f.count >= 3),
        "{c:?}"
    );
    // A ping of the router is not a conversation between devices.
    assert!(of(&r, FindingId::LanPeer)
        .iter()
        .all(|(_, f)| fact(f, "services") != "icmp"));
    // curl on one namespace polling nginx on the other is.
    let r = report(recorded("http-poll.pcap"));
    let peers = of(&r, FindingId::LanPeer);
    assert_eq!(peers.len(), 1);
    assert_eq!(fact(peers[0].1, "services"), "tcp/80 http");
    assert_eq!(peers[0].1.count, 8);
}

#[test]
fn a_camera_uploading_clips_in_clear() {
    // Three 1 MB PUTs of video/mp4 to the name it resolved, and almost nothing back.
    let r = report(recorded("upload.pcap"));
    let up = of(&r, FindingId::Upload);
    assert_eq!(up.len(), 1);
    let (dev, f) = up[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.subject, "clips.example-cam.com");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(fact(f, "up"), "3.1 MB");
    assert!(fact(f, "server").starts_with("52.94.236.248 (Amazon"));
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1);
    assert_eq!(fact(http[0].1, "sent"), "video/mp4");
    assert_eq!(http[0].1.count, 3);
    // Video leaving the home in clear is the worst of it, and the verdict says so first.
    assert_eq!(http[0].1.severity, Severity::High);
    assert_eq!(fact(http[0].1, findings::MEDIA_IN_CLEAR), "video");
    assert!(
        dev.verdict
            .text
            .contains("it sends video unencrypted to clips.example-cam.com"),
        "{}",
        dev.verdict.text
    );
    assert!(dev
        .verdict
        .text
        .contains("it uploads 3.1 MB to clips.example-cam.com"));
    // Elsewhere nothing is a sink: the Hue bridge receives about as much as it sends.
    let hue = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    assert!(of(&hue, FindingId::Upload).is_empty());
}

#[test]
fn a_server_one_router_away_is_not_the_routers() {
    // nDPI's imap.pcap: the IMAP server 10.40.3.2 is on another subnet; its packets come with
    // TTL 127 through the MAC of an Extreme Networks router (00:04:96:27:c8:3a), which claims
    // no address of its own. The server is a device behind that router; the router offers no
    // IMAP.
    let r = report(capture("nDPI__imap.pcap"));
    let server = holding(&r, "10.40.3.2");
    assert_eq!(server.mac, None);
    assert_eq!(server.behind.as_deref(), Some("00:04:96:27:c8:3a"));
    assert!(server
        .findings
        .iter()
        .any(|f| f.subject == "offers imap on tcp/143"));
    assert!(!r
        .devices
        .iter()
        .any(|d| d.mac.as_deref() == Some("00:04:96:27:c8:3a")));
    // The client's login is in clear.
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    assert_eq!(fact(creds[0].1, "user"), "samir");
}

#[test]
fn hard_coded_addresses_and_probe_urls_in_the_corpus() {
    // The Xiaomi phone reaches AWS Frankfurt on tcp/5222 without ever looking the addresses up,
    // long after the capture began, with organisation and country. It looks names up over plain
    // HTTP (HTTPDNS, whose answers are not read), and no host of the capture sends any DNS on
    // port 53 (tshark -Y dns: nothing): every no-dns finding of it is info, and says why.
    // Its packets (192.168.2.100, TTL 63) come through a Belkin router's MAC, 60:38:e0:c5:35:a0,
    // which claims no address: the phone is behind that router.
    let r = report(capture("nDPI__xiaomi.pcap"));
    let phone = holding(&r, "192.168.2.100");
    assert_eq!(phone.mac, None);
    assert_eq!(phone.behind.as_deref(), Some("60:38:e0:c5:35:a0"));
    let no_dns = of(&r, FindingId::NoDns);
    let aws = no_dns
        .iter()
        .find(|(d, f)| d.id == phone.id && f.subject == "Amazon.com, Inc.")
        .expect("no-dns for the AWS addresses");
    assert_eq!(aws.1.severity, Severity::Info);
    assert_eq!(fact(aws.1, "countries"), "DE");
    assert!(fact(aws.1, "services").contains("tcp/5222"));
    assert!(fact(aws.1, "note").contains("HTTPDNS"));
    assert!(no_dns.len() > 2);
    // All but the HTTPDNS service itself, whose address the phone's URLs name (frame 49:
    // `Host: 203.107.1.65`): that address was written in, whatever DNS the capture holds.
    for (d, f) in &no_dns {
        let in_url = fact(f, "addresses").starts_with("203.107.1.65 ");
        let want = if in_url {
            Severity::Low
        } else {
            Severity::Info
        };
        assert_eq!(f.severity, want, "{}: {}", d.label, f.subject);
    }
    assert!(no_dns
        .iter()
        .any(|(_, f)| fact(f, "note").starts_with("no host in the capture looked up any name")));
    // Where DNS is seen, a hard-coded address stays low: WeMo Link's NTP servers, contacted by
    // address after its DHCP lease.
    let r = report(capture("IoTSentinel__WeMoLink__Setup-C-1-STA.pcap"));
    assert!(of(&r, FindingId::NoDns)
        .iter()
        .any(|(_, f)| f.severity == Severity::Low && f.subject == "SWITCH"));
    // The Android phone fetches Google's probe URL: a connectivity check, not a plain-HTTP
    // weakness.
    let r = report(capture("nDPI__alexa-app.pcapng"));
    assert!(of(&r, FindingId::ConnectivityCheck)
        .iter()
        .any(|(_, f)| f.subject == "connectivitycheck.android.com"));
    assert!(of(&r, FindingId::CleartextHttp)
        .iter()
        .all(|(_, f)| f.subject != "connectivitycheck.android.com"));
}

#[test]
fn ftp_data_connections_are_known_by_their_control_connection() {
    use iotscope_flow::Config;
    use iotscope_proto::app::{App, By};
    let path = recorded("ftp-modes.pcap");
    // With every parser, and with labels only (what `flows` does by default), on one thread and
    // on two: the four data connections are labelled, whichever side opened them.
    for (flow, threads) in [
        (Config::with_messages(), 1),
        (Config::default(), 1),
        (Config::with_messages(), 2),
    ] {
        let r = run(std::slice::from_ref(&path), &Options { flow, threads });
        let data: Vec<_> = r
            .flows
            .flows
            .iter()
            .filter(|f| f.app.app == App::FtpData)
            .collect();
        assert_eq!(data.len(), 4, "messages {}", flow.messages);
        assert!(data.iter().all(|f| f.app.by == By::Control));
        // PORT and EPRT: the server connects back from port 20.
        let server_opened = data
            .iter()
            .filter(|f| f.key.end(f.initiator).1 == 20)
            .count();
        assert_eq!(server_opened, 2);
        assert_eq!(
            r.flows
                .flows
                .iter()
                .filter(|f| f.app.app == App::Unknown)
                .count(),
            0
        );
    }
    let r = report(path);
    // The server opening a connection into the device is not an exposed service.
    assert!(of(&r, FindingId::ExposedService).is_empty());
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].1.count, 4);
    let unsafe_ = of(&r, FindingId::UnsafeProtocol);
    assert_eq!(unsafe_.len(), 1);
    assert_eq!(unsafe_[0].1.subject, "uses ftp to 52.94.236.248");
    let dev = creds[0].0;
    let server = dev
        .endpoints
        .iter()
        .find(|e| e.name == "52.94.236.248")
        .unwrap();
    assert!(server.services.contains(&"tcp ftp-data".to_string()));
}

#[test]
fn a_large_download_over_tls_from_the_vendor_cloud() {
    let r = report(recorded("firmware-tls.pcap"));
    let fw = of(&r, FindingId::Firmware);
    assert_eq!(fw.len(), 1);
    let (dev, f) = fw[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    // The server's certificate is self-signed (tshark: frame 12) and the device went on to
    // fetch 6 MB: whoever answered could have sent any image, as over plain HTTP.
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        fact(f, "certificate"),
        "self-signed certificate (fw.example-iot.com)"
    );
    assert!(
        dev.verdict.text.contains(
            "it downloads a 6.3 MB binary over HTTPS from fw.example-iot.com whose \
             certificate proves nothing"
        ),
        "{}",
        dev.verdict.text
    );
    assert!(explanation_for(f.id, &f.subject, &f.facts)
        .is_some_and(|w| w.contains("does not check who it talks to")));
    assert_eq!(
        f.subject, "fw.example-iot.com",
        "named by the lookup before it"
    );
    let down = fact(f, "downloaded");
    assert!(
        down.ends_with(" MB") && down.starts_with('6'),
        "6 000 000 bytes of image and the TLS and TCP overhead: {down}"
    );
    assert!(fact(f, "server").starts_with("52.94.236.248 (Amazon"));
    assert!(
        dev.verdict.text.contains(
            "to 1 destination in 1 country (US), all of it with Amazon.com, Inc., and all of those bytes are encrypted."
        ),
        "{}",
        dev.verdict.text
    );
    assert!(of(&r, FindingId::Upload).is_empty());
    assert!(of(&r, FindingId::NoDns).is_empty());
    // Uploads and small downloads are not firmware.
    for file in ["upload.pcap", "long-tls.pcap", "tls-weak.pcap"] {
        assert!(
            of(&report(recorded(file)), FindingId::Firmware).is_empty(),
            "{file}"
        );
    }
}

#[test]
fn a_sensor_publishing_over_mqtt_every_ten_seconds() {
    let r = report(recorded("mqtt-login.pcap"));
    // mosquitto_pub's client id, sensor-kitchen-01, is the only word on what it is.
    let sensor = holding(&r, "10.99.0.2");
    assert_eq!(
        (sensor.kind.as_str(), sensor.confidence.as_deref()),
        ("sensor", Some("low"))
    );
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    let (dev, f) = creds[0];
    assert_eq!(f.count, 1, "one CONNECT, counted once");
    assert_eq!(fact(f, "method"), "CONNECT");
    assert!(dev
        .verdict
        .text
        .contains("it sends an MQTT login in clear (user iotuser)"));
    // Six publishes on one connection, 10 s apart: a heartbeat inside the connection.
    let p = of(&r, FindingId::Periodic);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].1.count, 6);
    assert_eq!(fact(p[0].1, "period"), "10 s");
    assert_eq!(fact(p[0].1, "beats"), "packets inside one connection");
    assert_eq!(fact(p[0].1, "service"), "tcp/1883 mqtt");
    // The broker (a hub on the LAN) offers MQTT to the LAN.
    let exposed = of(&r, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].1.subject, "tcp/1883 mqtt");
    assert_eq!(exposed[0].1.severity, Severity::Low);
}

#[test]
fn an_api_key_in_a_url_path_is_noted_and_not_shown() {
    // The Hue app on the phone talks to the bridge's REST API, whose key is a path segment.
    let r = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    let phone_to_bridge = of(&r, FindingId::CleartextHttp)
        .into_iter()
        .find(|(_, f)| f.subject.starts_with("Philips-hue"))
        .map(|(_, f)| f)
        .unwrap();
    assert!(fact(phone_to_bridge, "requests").starts_with("GET /api/<key>"));
    assert_eq!(
        fact(phone_to_bridge, "keys in URLs"),
        "a key or token in the path, sent in clear (not shown)"
    );
    let key = "1cb60ac568eb6c76925713b5b2b28dc";
    assert!(!serde_json::to_string(&r).unwrap().contains(key));
    assert!(!iotscope_report::terminal::render(&r).contains(key));
    assert!(!iotscope_report::html::render(&r).contains(key));
}

#[test]
fn verdicts_at_the_edges() {
    // A share that rounds to 0 % is said to be under 1 %: the WeMo Insight plug's few bytes in
    // a protocol not recognised.
    let r = report(capture(
        "IoTSentinel__WeMoInsightSwitch__Setup-A-9-STA.pcap",
    ));
    let plug = with_mac(&r, "94:10:3e:41:c2:05");
    assert!(
        plug.verdict.text.contains(
            "98 % of those bytes are encrypted and under 1 % is in protocols iotscope cannot \
             read."
        ),
        "{}",
        plug.verdict.text
    );
    // FTP logins to two servers (10.99.0.1, then 52.94.236.248), from 10.99.0.2 in two
    // recordings: two devices (each recording's client has its own MAC), each naming its login
    // once in words.
    let r = report_with(
        &[recorded("ftp-login.pcap"), recorded("ftp-modes.pcap")],
        None,
    );
    let creds = of(&r, FindingId::CleartextCredentials);
    let subjects: BTreeSet<&str> = creds.iter().map(|(_, f)| f.subject.as_str()).collect();
    assert_eq!(
        subjects,
        BTreeSet::from(["ftp to 10.99.0.1", "ftp to 52.94.236.248"])
    );
    assert_ne!(creds[0].0.id, creds[1].0.id);
    for (dev, _) in creds {
        assert_eq!(
            dev.verdict
                .text
                .matches("it sends an FTP login in clear (user iotuser)")
                .count(),
            1,
            "{}",
            dev.verdict.text
        );
    }
}

/// The HomeMatic capture starts inside the plug's only connection (no SYN): 81.14.202.72:9292
/// sends first, to the plug's port 50756. The ports say who is the server, so the session is the
/// plug's own, to the internet, and its bytes are unrecognised rather than cleartext.
#[test]
fn a_connection_seen_from_its_middle_is_oriented_by_its_ports() {
    let r = report(capture("IoTSentinel__HomeMaticPlug__Setup-C-8-STA.pcap"));
    let plug = holding(&r, "10.10.10.89");
    assert_eq!(plug.endpoints.len(), 1);
    let e = &plug.endpoints[0];
    assert_eq!(e.name, "81.14.202.72");
    assert_eq!(e.services, vec!["tcp/9292 unknown".to_string()]);
    assert_eq!(e.inbound, 0);
    assert_eq!((e.bytes_up, e.bytes_down), (5043, 3027), "tshark conv,tcp");
    assert_eq!(e.bytes_unrecognised, 8070);
    assert!(plug
        .verdict
        .text
        .contains("all of those bytes are in protocols iotscope cannot read"));
    assert_eq!(r.network.unrecognised_share, Some(1.0));
    assert_eq!(r.network.encrypted_share, Some(0.0));
}

/// inbound.pcap: 45.33.32.156 opens a telnet and an HTTP connection to the device. The host is
/// one of the device's endpoints (so the verdict does not say nothing went to the internet), its
/// services are marked inbound, and there is no no-dns finding: it was never the device's to
/// look up.
#[test]
fn hosts_that_connect_to_a_device_are_among_its_endpoints() {
    let r = report(recorded("inbound.pcap"));
    let dev = holding(&r, "10.99.0.1");
    assert_eq!(dev.endpoints.len(), 1);
    let e = &dev.endpoints[0];
    assert_eq!(e.name, "45.33.32.156");
    assert_eq!(e.inbound, 2);
    assert_eq!(
        e.services,
        vec![
            "inbound tcp/23 telnet".to_string(),
            "inbound tcp/80 http".to_string()
        ]
    );
    // tshark -z conv,tcp ("<-" is B to A): the device sent 1084 + 673 bytes, the client
    // 1228 + 477.
    assert_eq!((e.bytes_up, e.bytes_down), (1757, 1705));
    assert!(!dev
        .verdict
        .text
        .contains("none of its traffic went to the internet"));
    assert!(dev
        .verdict
        .text
        .contains("accepts connections from the internet"));
    assert!(of(&r, FindingId::NoDns).is_empty());
    assert_eq!((r.network.endpoints, r.network.destinations), (1, 1));
}

/// The network line and the devices' verdicts count the same bytes: the summary's encrypted and
/// unrecognised shares are the sums over the devices' endpoint rows, on every capture.
#[test]
fn the_summary_agrees_with_the_devices() {
    for cap in captures()
        .into_iter()
        .chain(["inbound.pcap", "ftp-modes.pcap", "bypass.pcap"].map(recorded))
    {
        let r = report(cap.clone());
        // Destinations that never answered are only "tried", in the verdicts and the summary.
        let rows = r
            .devices
            .iter()
            .flat_map(|d| &d.endpoints)
            .filter(|e| e.answered());
        let countries: BTreeSet<&String> = rows
            .clone()
            .flat_map(|e| &e.by_address)
            .filter_map(|a| a.country.as_ref())
            .collect();
        assert_eq!(
            countries,
            r.network.countries.iter().collect::<BTreeSet<_>>(),
            "{cap:?}"
        );
        let total: u64 = rows.clone().map(|e| e.bytes_up + e.bytes_down).sum();
        let enc: u64 = rows.clone().map(|e| e.bytes_encrypted).sum();
        let unk: u64 = rows.clone().map(|e| e.bytes_unrecognised).sum();
        if total == 0 {
            assert_eq!(r.network.encrypted_share, None, "{cap:?}");
            continue;
        }
        let near = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        assert!(
            near(r.network.encrypted_share, enc as f64 / total as f64),
            "{cap:?}"
        );
        assert!(
            near(r.network.unrecognised_share, unk as f64 / total as f64),
            "{cap:?}"
        );
        for e in rows {
            assert!(e.bytes_encrypted + e.bytes_unrecognised <= e.bytes_up + e.bytes_down);
            assert_eq!(
                e.encrypted,
                e.bytes_encrypted > 0 && e.bytes_encrypted == e.bytes_up + e.bytes_down
            );
        }
    }
}

/// alexa-app: the phone's connection attempts to port 8080 of 10.201.126.241 (23 SYNs, never
/// answered) and of 192.168.11.1 (refused with RST) carried no HTTP at all: no cleartext-http,
/// no lan-peer. Its real plain HTTP (alexa.amazon.com, ecx.images-amazon.com) stays.
#[test]
fn connection_attempts_that_went_unanswered_talk_no_protocol() {
    let r = report(capture("nDPI__alexa-app.pcapng"));
    let http: Vec<&str> = of(&r, FindingId::CleartextHttp)
        .iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert_eq!(http, ["alexa.amazon.com", "ecx.images-amazon.com"]);
    assert!(of(&r, FindingId::LanPeer).is_empty());
    // The Hue bridge's phone: two of its 46 connections to the bridge were never answered.
    let r = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    let lan: Vec<u64> = of(&r, FindingId::LanPeer)
        .iter()
        .map(|(_, f)| f.count)
        .collect();
    assert_eq!(lan, [44]);
}

/// The D-Link home hub fetches its agent firmware with wget over plain HTTP from S3, which
/// labels it `binary/octet-stream` (frames 523-811: 253 504 bytes under
/// `/firmware/agent/DCH-G020/`): the body starts with `\x7fELF`, an executable the hub will
/// run, fetched from a name it looked up (medium: an insecure update, no sign of compromise).
/// Its firmware queries (`/router/firmware/query.aspx`, XML) are not downloads.
#[test]
fn a_firmware_image_served_by_s3_over_plain_http() {
    let r = report(capture("IoTSentinel__D-LinkHomeHub__Setup-C-3-STA.pcap"));
    assert!(of(&r, FindingId::Firmware).is_empty());
    let fw = of(&r, FindingId::ProgramDownload);
    assert_eq!(fw.len(), 1, "{fw:?}");
    let (d, f) = fw[0];
    assert_eq!(f.subject, "s3-us-west-2.amazonaws.com");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "program"), "ELF executable");
    assert!(fact(f, "file").contains("/firmware/agent/DCH-G020/"));
    assert!(fact(f, "file").ends_with("(ELF executable, 254 kB)"));
    assert_eq!(fact(f, "fetched by"), "Wget/1.13 (linux-uclibc)");
    assert_eq!(d.verdict.rating, "needs attention");
}

/// A compromised camera (testdata/recorded/infected): busybox wget fetches a dropper script and
/// two ELF executables from a bare address whose server sends no Content-Type, and another from
/// a second address as `application/octet-stream`. Each is a program by its first bytes; from
/// bare internet addresses, a sign of compromise.
#[test]
fn programs_fetched_from_bare_addresses_are_signs_of_compromise() {
    let r = report(recorded("infected/download-cnc.pcap"));
    let cam = with_mac(&r, "e0:50:8b:12:7f:2c");
    let got: Vec<&FindingReport> = cam
        .findings
        .iter()
        .filter(|f| f.id == FindingId::ProgramDownload)
        .collect();
    assert_eq!(got.len(), 2);
    let first = got.iter().find(|f| f.subject == "45.148.10.81").unwrap();
    assert_eq!(first.severity, Severity::High);
    assert_eq!(first.count, 3);
    assert_eq!(
        first.facts.iter().filter(|x| x.label == "file").count(),
        1,
        "one fact, its values in order of the files"
    );
    let files = fact(first, "file");
    assert!(
        files.contains("/bins/mirai.x86 (ELF executable, 122 kB)"),
        "{files}"
    );
    assert!(
        files.contains("/bins/mirai.arm7 (ELF executable, 36 kB)"),
        "{files}"
    );
    assert!(files.contains("/bins.sh (script, 110 B)"), "{files}");
    assert!(of(&r, FindingId::Firmware).is_empty());
    assert_eq!(cam.verdict.rating, "likely compromised");
    assert!(cam
        .verdict
        .text
        .contains("Signs of compromise: it downloads"));
    // The command channels go to addresses never looked up. The camera took its address from
    // DHCP in the capture, just before: no lookup can have come earlier, so the finding is not
    // lowered as one made at the start of a capture would be.
    let no_dns = cam
        .findings
        .iter()
        .find(|f| f.id == FindingId::NoDns && f.subject == "unknown network")
        .unwrap();
    assert_eq!(no_dns.severity, Severity::Low);
    assert!(fact(no_dns, "services").contains("tcp/6667 irc"));
    // IRC across the internet is in clear, and a bot's command channel.
    assert!(cam
        .findings
        .iter()
        .any(|f| f.id == FindingId::UnsafeProtocol
            && f.subject == "uses irc to 185.244.25.11"
            && f.severity == Severity::Medium));
    // tshark: a 2-byte payload to 185.244.25.10:48101 every 15 s (tcp.len > 0), a protocol
    // nothing reads, to an address never looked up: raised above a note, and on this device
    // told with the IRC session among the signs, not as weaknesses.
    let beat = findings_of(cam, FindingId::Periodic)
        .into_iter()
        .find(|f| f.subject == "185.244.25.10")
        .expect("the heartbeat");
    assert_eq!(beat.severity, Severity::Low);
    assert_eq!(fact(beat, "period"), "15 s");
    let signs = cam
        .verdict
        .text
        .split("Signs of compromise: ")
        .nth(1)
        .and_then(|t| t.split(". ").next())
        .unwrap();
    assert!(
        signs.contains("it talks IRC in clear to 185.244.25.11"),
        "{signs}"
    );
    assert!(
        signs.contains("a steady heartbeat every 15 s to 185.244.25.10"),
        "{signs}"
    );
}

/// The Ednet camera asks 12 times for /update.sh over TFTP from 192.168.1.13 (frames 13-26):
/// a script fetched with no login and nothing to check it, an unsafe protocol.
#[test]
fn a_camera_fetching_a_script_over_tftp() {
    let r = report(capture("IoTSentinel__EdnetCam1__Setup-C-5-STA.pcap"));
    let u = of(&r, FindingId::UnsafeProtocol);
    assert_eq!(u.len(), 1, "{u:?}");
    let (dev, f) = u[0];
    assert!(dev.addresses.contains(&"10.10.10.186".to_string()));
    assert_eq!(f.subject, "uses tftp to 192.168.1.13");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "files"), "reads /update.sh");
    assert_eq!(fact(f, "service"), "udp/69 tftp");
    assert_eq!(f.count, 12, "each request");
    assert_eq!(fact(f, "answer"), "none in the capture");
    assert_ne!(dev.verdict.rating, "behaves well");
}

/// A capture whose hosts all have public addresses has no local device to assess: the report
/// says so and how to name such a network, instead of printing nothing.
#[test]
fn a_capture_without_local_hosts_says_why_it_reports_nothing() {
    let r = report(capture("zeek__get-to-ssh-server.pcap"));
    assert!(r.devices.is_empty());
    let text = iotscope_report::terminal::render(&r);
    assert!(text.contains("No local device"), "{text}");
    assert!(text.contains("--local CIDR"), "{text}");
    // A network with devices does not get the note.
    let hue = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    assert!(!iotscope_report::terminal::render(&hue).contains("No local device"));
    // Packets with no IP at all (an ARP reply for the loopback address): nothing to name with
    // --local.
    let arp = report(capture("arp-scan__pkt-simple-response.pcap"));
    assert_eq!((arp.devices.len(), arp.network.flows), (0, 0));
    let text = iotscope_report::terminal::render(&arp);
    assert!(text.contains("carry no IP traffic"), "{text}");
    assert!(!text.contains("--local"), "{text}");
    // Nor IP, but announcements on the link (CDP from two IP phones): the phones are devices.
    let cdp = report(capture("ladvd__49.good.phone.pcap"));
    assert_eq!((cdp.devices.len(), cdp.network.flows), (2, 0));
    assert!(cdp.devices.iter().all(|d| d.kind == "phone"));
    assert!(!iotscope_report::terminal::render(&cdp).contains("No local device"));
}

/// An ARP reply whose sender claims 127.0.0.1 (arp-scan's test): loopback is the host itself,
/// never an address on the link, so it makes no device.
#[test]
fn an_arp_claim_of_loopback_makes_no_device() {
    let r = report(capture("arp-scan__pkt-simple-response.pcap"));
    assert!(r.devices.is_empty(), "{:?}", r.devices);
}

/// A NOTIFY's target `uuid:…` is the device's own identifier (UPnP sends one per root device),
/// not a type: the announcements of the Starcraft capture's router list only types, and no
/// identity claim is made of a UUID.
#[test]
fn an_ssdp_uuid_is_no_device_type() {
    let r = report(capture("nDPI__starcraft_battle.pcap"));
    let (dev, f) = all(&r)
        .into_iter()
        .find(|(_, f)| f.id == FindingId::Upnp && f.subject == "announces")
        .expect("the router's announcements");
    assert!(fact(f, "types").starts_with("upnp:rootdevice, urn:"));
    assert!(!fact(f, "types").contains("uuid:"));
    assert!(dev.evidence.iter().any(|e| e.starts_with("ssdp-type=urn:")));
    assert!(!dev.evidence.iter().any(|e| e.contains("=uuid:")));
}

/// The WeMo Insight plug, during its setup, routes a phone on its own Wi-Fi (10.22.22.2) to the
/// internet without NAT: the phone's SYNs carry the plug's MAC and TTL 63 (frames 30, 50, 60),
/// the plug's own TTL 64. The phone is a device of its own, behind the plug, named by the
/// lookups the plug made for it (graph.facebook.com at frame 58, the SYN at frame 60); its
/// attempts were never answered. The plug keeps only its own destinations.
#[test]
fn a_host_routed_through_a_plug_is_not_the_plug() {
    let r = report(capture(
        "IoTSentinel__WeMoInsightSwitch__Setup-A-9-STA.pcap",
    ));
    let plug = with_mac(&r, "94:10:3e:41:c2:05");
    assert!(!plug.addresses.contains(&"10.22.22.2".to_string()));
    assert!(plug.endpoints.iter().all(|e| !e.name.contains("facebook")));
    let phone = r
        .devices
        .iter()
        .find(|d| d.addresses == ["10.22.22.2"])
        .expect("the host behind the plug");
    assert_eq!(phone.mac, None);
    assert_eq!(phone.behind.as_deref(), Some("94:10:3e:41:c2:05"));
    let fb = phone
        .endpoints
        .iter()
        .find(|e| e.name == "graph.facebook.com")
        .expect("named by the plug's lookup");
    assert_eq!(fb.named_by, "dns");
    assert_eq!(fb.unanswered, fb.flows);
    assert!(phone.findings.iter().all(|f| f.id != FindingId::NoDns));
    // Its app retries decide.mixpanel.com every 2 s, never answered: periodic, and said so.
    let retry = phone
        .findings
        .iter()
        .find(|f| f.id == FindingId::Periodic)
        .expect("the retry loop");
    assert!(fact(retry, "answer").starts_with("none in the capture"));
    assert!(phone.verdict.text.contains("no answer is in the capture"));
}

/// The WeMo Link pings 4.2.2.2 in two bursts of four, one a second (5.5-8.5 s and 131.9-134.9 s):
/// a connectivity check, not a heartbeat.
#[test]
fn ping_bursts_are_no_heartbeat() {
    let r = report(capture("IoTSentinel__WeMoLink__Setup-C-1-STA.pcap"));
    assert!(of(&r, FindingId::Periodic)
        .iter()
        .all(|(_, f)| f.subject != "4.2.2.2"));
    let pings: Vec<u64> = of(&r, FindingId::ConnectivityCheck)
        .iter()
        .filter(|(_, f)| f.subject == "ping 4.2.2.2")
        .map(|(_, f)| f.count)
        .collect();
    assert_eq!(pings, [8]);
}

/// The D-Link camera's setup app drives it over HNAP (SOAP over plain HTTP): the finding names
/// the actions, among them Login (frames 177, 288) and SetDeviceSettings (frames 247, 326).
#[test]
fn soap_actions_in_clear_are_named() {
    let r = report(capture("IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap"));
    let f = of(&r, FindingId::CleartextHttp)
        .into_iter()
        .find(|(_, f)| f.subject.contains("10.10.10.37"))
        .expect("HNAP over HTTP")
        .1;
    let actions = fact(f, "SOAP actions");
    for a in ["Login", "SetDeviceSettings", "GetDeviceSettings"] {
        assert!(actions.contains(a), "{actions}");
    }
}

/// The same HNAP session logs in (`<Username>admin</Username><LoginPassword>9523…</LoginPassword>`,
/// frames 177 and 288) and changes the admin password (`<ChangePassword>true</ChangePassword>
/// <AdminPassword>e0ae…</AdminPassword>`, frames 247 and 326) in request bodies: a login in
/// clear, with its user and never its value. `ChangePassword` holds a flag, no password. Both
/// passwords went as hex digests (HNAP's HMAC answer to the server's challenge, and the new
/// password encrypted): medium, not the high of a password in clear, and said so.
/// Withings' scale posts its session and its keys in forms (`sessionid=4105-…`, `auth=00:24:…`,
/// `hash=06b4…`): named on its plain-HTTP finding, values left out.
#[test]
fn passwords_and_keys_in_request_bodies() {
    let r = report(capture("IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1, "{creds:?}");
    let f = creds[0].1;
    assert_eq!(f.severity, Severity::Medium);
    assert!(fact(f, "password").starts_with("sent as a hash or an encryption of it"));
    // Named as the client's other findings name the camera.
    assert_eq!(f.subject, "http to DCS-935L (10.10.10.37)");
    assert_eq!(f.count, 4);
    let method = fact(f, "method");
    assert!(
        method.contains("XML field LoginPassword (a hex digest) in the request body"),
        "{method}"
    );
    assert!(
        method.contains("XML field AdminPassword (a hex digest) in the request body"),
        "{method}"
    );
    assert!(!method.contains("ChangePassword"), "{method}");
    assert_eq!(fact(f, "user"), "admin");
    let json = serde_json::to_string(&r).unwrap();
    for secret in ["95236314F61B9D2DE1E530CF2CC70E0E", "e0ae6f28"] {
        assert!(!json
            .to_ascii_lowercase()
            .contains(&secret.to_ascii_lowercase()));
    }

    let r = report(capture("IoTSentinel__Withings__Setup-C-2-STA.pcap"));
    assert!(of(&r, FindingId::CleartextCredentials).is_empty());
    let f = of(&r, FindingId::CleartextHttp)
        .into_iter()
        .find(|(_, f)| f.subject.contains("withings"))
        .expect("Withings over HTTP")
        .1;
    let keys = fact(f, "keys in request bodies (values not shown)");
    for k in ["sessionid", "auth", "hash"] {
        assert!(keys.split(", ").any(|x| x == k), "{keys}");
    }
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("06b492f2"));
}

/// nDPI's log4j capture: a `${jndi:ldap://...}` User-Agent makes the web application at
/// 172.16.238.10 fetch `/Exploit.class` (`CAFEBABE`, class-file version 52) from the attacker's
/// 172.16.238.11 over plain HTTP, twice (frames 20 and 406): a program download, not just plain
/// HTTP.
#[test]
fn a_java_class_fetched_in_clear_is_a_program_download() {
    let r = report(capture("nDPI__log4j-webapp-exploit.pcap"));
    let d = of(&r, FindingId::ProgramDownload);
    assert_eq!(d.len(), 1, "{d:?}");
    let (dev, f) = d[0];
    assert!(dev.addresses.iter().any(|a| a == "172.16.238.10"));
    assert_eq!(f.subject, "172.16.238.11");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "program"), "Java class");
    assert!(fact(f, "file").starts_with("/Exploit.class (Java class"));
    assert!(dev
        .verdict
        .text
        .contains("it downloads a Java class over plain HTTP"));
}

/// nDPI's nest_log_sink: six connections to 35.174.82.237:11095 (tshark -z conv,tcp), five of
/// them open 10 minutes or more; the first (tcp/63340, frame 1) has no handshake in the capture,
/// so its 26 min 55 s are a lower bound. Four are listed, and the finding says of how many.
#[test]
fn long_lived_connections_say_what_is_listed_and_what_began_before() {
    let r = report(capture("nDPI__nest_log_sink.pcap"));
    let f = of(&r, FindingId::LongLived)
        .into_iter()
        .find(|(_, f)| f.subject.ends_with("production.nest.com"))
        .expect("long-lived to the Nest front end")
        .1;
    assert_eq!(f.count, 5);
    assert_eq!(fact(f, "listed"), "the 4 longest of 5 connections");
    let connections: String = f
        .facts
        .iter()
        .filter(|x| x.label == "connections")
        .map(|x| format!("{}\n", x.value))
        .collect();
    assert_eq!(connections.lines().count(), 4, "{connections}");
    assert!(connections.contains("open 26 min 55 s or more (its start is not in the capture)"));
    assert_eq!(connections.matches("or more").count(), 1, "{connections}");
    assert!(!connections.contains("open 10 min"), "{connections}");
}

/// "Why it matters" speaks of the finding at hand: the Ednet camera's TFTP finding explains TFTP,
/// not telnet or Modbus; alexa-app's TLS 1.0 (no certificate problem) is not blamed on a
/// certificate.
#[test]
fn explanations_fit_the_finding() {
    let r = report(capture("IoTSentinel__EdnetCam1__Setup-C-5-STA.pcap"));
    let (_, f) = of(&r, FindingId::UnsafeProtocol)[0];
    let why = explanation_for(f.id, &f.subject, &f.facts).expect("tftp's own");
    assert!(why.starts_with("TFTP has no login"), "{why}");
    let text = iotscope_report::terminal::render(&r);
    assert!(text.contains("TFTP has no login"));
    assert!(!text.contains("Mirai"));
    let r = report(capture("nDPI__alexa-app.pcapng"));
    let weak = of(&r, FindingId::TlsWeak);
    let (_, f) = weak
        .iter()
        .find(|(_, f)| fact(f, "problems").starts_with("TLS 1.0 agreed (the server's choice"))
        .expect("TLS 1.0 to pitangui");
    let why = explanation_for(f.id, &f.subject, &f.facts).expect("no certificate problem");
    assert!(why.contains("obsolete version of TLS"));
    assert!(!why.contains("self-signed"));
}

/// A host with only a global IPv6 address is assessed when its address's interface identifier
/// is the EUI-64 of its own MAC (nDPI's http_ipv6: 2a00:d40:1:3:7aac:c0ff:fea7:d4c from
/// 78:ac:c0:a7:0d:4c, SLAAC): only a host on the link sends with its own MAC. Hosts that nothing
/// places on the network are counted as not assessed (coap_mqtt's 2001:da8:... privacy address
/// talking CoAP to 2001:620:..., eight flows in all).
#[test]
fn global_ipv6_hosts_on_the_link_are_devices() {
    let r = report(capture("nDPI__http_ipv6.pcap"));
    assert_eq!(r.network.devices, 1);
    let d = with_mac(&r, "78:ac:c0:a7:0d:4c");
    assert!(d
        .addresses
        .iter()
        .any(|a| a == "2a00:d40:1:3:7aac:c0ff:fea7:d4c"));
    assert!(r.network.destinations > 0);
    assert_eq!(r.network.outside_flows, 0);
    let r = report(capture("nDPI__coap_mqtt.pcap"));
    assert_eq!(r.network.outside_flows, 8);
    let text = iotscope_report::terminal::render(&r);
    assert!(text.contains("8 flows not assessed"), "{text}");
}

/// One address, two names (nDPI's iphone: 17.253.105.202 answers `GET /hotspot-detect.html`
/// for Host captive.apple.com on tcp/80, frame 87, and TLS for SNI mesu.apple.com, frames 96 and
/// 98): each name is a row of its own, with its own service and encryption.
#[test]
fn names_sharing_an_address_are_destinations_of_their_own() {
    let r = report(capture("nDPI__iphone.pcap"));
    let rows: Vec<_> = r
        .devices
        .iter()
        .flat_map(|d| &d.endpoints)
        .filter(|e| e.addresses.iter().any(|a| a == "17.253.105.202"))
        .collect();
    let row = |n: &str| *rows.iter().find(|e| e.name == n).expect(n);
    assert_eq!(
        rows.len(),
        2,
        "{:?}",
        rows.iter().map(|e| &e.name).collect::<Vec<_>>()
    );
    assert_eq!(row("captive.apple.com").flows, 1);
    assert!(!row("captive.apple.com").encrypted);
    assert_eq!(row("mesu.apple.com").flows, 2);
    assert!(row("mesu.apple.com").encrypted);
}

/// The Redmi phone of xiaomi.pcap asks Alibaba Cloud's HTTPDNS (203.107.1.65,
/// `GET /164566/sign_d?host=appmarket.micloud.xiaomi.net...`, frame 49) for names over plain
/// HTTP: a lookup around the network's resolver, told once (not also as plain HTTP, nor as an
/// address never looked up: the service hands its address out to be written into apps).
#[test]
fn name_lookups_over_plain_http_bypass_the_resolver() {
    let r = report(capture("nDPI__xiaomi.pcap"));
    let b = of(&r, FindingId::DnsBypass);
    let f = b
        .iter()
        .find(|(_, f)| f.subject == "203.107.1.65")
        .expect("HTTPDNS")
        .1;
    assert_eq!(fact(f, "protocol"), "DNS over plain HTTP (HTTPDNS)");
    assert_eq!(f.severity, Severity::Medium);
    for (_, f) in all(&r) {
        let about_it = f.subject.contains("203.107.1.65")
            || f.facts.iter().any(|x| x.value.contains("203.107.1.65"));
        assert!(
            f.id == FindingId::DnsBypass || !about_it,
            "{:?} {}",
            f.id,
            f.subject
        );
    }
}

/// Two recordings read as one timeline, as a DHCP lease passing to another device would look:
/// 10.99.0.2 is the bypass client (MAC e2:16:cf:b1:b8:99) first, then the uploading camera
/// (0a:01:7e:51:69:4a). Each MAC keeps its own findings and endpoints, and the firmware fetched
/// by address at 04:45 is not named by the camera's lookup of clips.example-cam.com at 05:57.
#[test]
fn an_address_that_passes_to_another_device() {
    let r = report_with(&[recorded("bypass.pcap"), recorded("upload.pcap")], None);
    let by_mac = |m: &str| with_mac(&r, m);
    let client = by_mac("e2:16:cf:b1:b8:99");
    let camera = by_mac("0a:01:7e:51:69:4a");
    let ids =
        |d: &DeviceReport| -> BTreeSet<FindingId> { d.findings.iter().map(|f| f.id).collect() };
    assert!(ids(client).contains(&FindingId::DnsBypass));
    assert!(ids(client).contains(&FindingId::Firmware));
    assert!(!ids(client).contains(&FindingId::Upload));
    assert!(ids(camera).contains(&FindingId::Upload));
    assert!(!ids(camera).contains(&FindingId::DnsBypass));
    let fw = client
        .findings
        .iter()
        .find(|f| f.id == FindingId::Firmware)
        .unwrap();
    assert_eq!(fw.subject, "52.94.236.248");
    assert!(camera
        .endpoints
        .iter()
        .all(|e| e.name == "clips.example-cam.com"));
    assert!(client
        .endpoints
        .iter()
        .all(|e| e.name != "clips.example-cam.com"));
}

/// bypass.pcap cut after 120 000 bytes: the firmware's body (204 800 bytes announced) is only
/// partly in the file, so its size is the announced one, and said to be.
#[test]
fn a_download_cut_short_by_the_capture_gives_the_announced_size() {
    let data = std::fs::read(recorded("bypass.pcap")).unwrap();
    let path = std::env::temp_dir().join(format!("iotscope-cut-{}.pcap", std::process::id()));
    std::fs::write(&path, &data[..120_000]).unwrap();
    let r = run(std::slice::from_ref(&path), &Options::for_analysis());
    let _ = std::fs::remove_file(&path);
    assert_eq!(r.errors.len(), 1, "the cut is reported");
    let r = iotscope_report::from_run(&r, &Local::new(&[]).unwrap(), None, Default::default());
    let fw = of(&r, FindingId::Firmware);
    assert_eq!(fw.len(), 1);
    assert_eq!(
        fact(fw[0].1, "size"),
        "205 kB announced (the capture holds less)"
    );
}

/// Recordings read together, out of time order: each device is named by its own lookups. The
/// firmware-tls client looked up fw.example-iot.com 1 ms before its download; other recordings'
/// clients (same address, other MACs) looked up clips.example-cam.com and api.example.net for the
/// same server address. The ftp-modes client looked nothing up.
#[test]
fn lookups_name_only_their_own_devices_flows() {
    let r = report_with(
        &[
            recorded("upload.pcap"),
            recorded("tls-weak.pcap"),
            recorded("firmware-tls.pcap"),
            recorded("ftp-modes.pcap"),
        ],
        None,
    );
    let fw = of(&r, FindingId::Firmware);
    assert_eq!(fw.len(), 1);
    assert_eq!(fw[0].1.subject, "fw.example-iot.com");
    let ftp = of(&r, FindingId::CleartextCredentials);
    assert_eq!(ftp.len(), 1);
    let (dev, _) = ftp[0];
    assert!(
        dev.endpoints.iter().all(|e| e.named_by == "none"),
        "{:?}",
        dev.endpoints.iter().map(|e| &e.name).collect::<Vec<_>>()
    );
}

/// "Soon after the capture began" is measured from the file a flow is in: the HomeMatic
/// plug's session, under way when its capture started, keeps its lowered no-dns when read
/// after another capture.
#[test]
fn the_start_of_each_input_counts_for_its_own_flows() {
    let alone = report(capture("IoTSentinel__HomeMaticPlug__Setup-C-8-STA.pcap"));
    let after = report_with(
        &[
            capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"),
            capture("IoTSentinel__HomeMaticPlug__Setup-C-8-STA.pcap"),
        ],
        None,
    );
    let no_dns = |r: &Report| -> Vec<(String, Severity, String)> {
        of(r, FindingId::NoDns)
            .into_iter()
            .filter(|(d, _)| d.addresses.iter().any(|a| a == "10.10.10.89"))
            .map(|(_, f)| (f.subject.clone(), f.severity, fact(f, "note").to_string()))
            .collect()
    };
    assert_eq!(no_dns(&alone).len(), 1);
    assert_eq!(no_dns(&alone)[0].1, Severity::Info);
    assert_eq!(no_dns(&after), no_dns(&alone));
}

/// coap_mqtt: the broker at 192.168.56.101:17501 accepts client Bus41, which sends no user name
/// or password (CONNECT frame 31, CONNACK 0 in frame 33). The recorded mosquitto broker, which
/// takes a password, is not flagged.
#[test]
fn an_mqtt_broker_that_takes_anonymous_clients() {
    let r = report(capture("nDPI__coap_mqtt.pcap"));
    let u = of(&r, FindingId::UnsafeProtocol);
    assert_eq!(u.len(), 1, "{u:?}");
    let (dev, f) = u[0];
    assert!(dev.addresses.iter().any(|a| a == "192.168.56.101"));
    assert_eq!(f.subject, "accepts mqtt clients without login on tcp/17501");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "client ids"), "Bus41");
    let r = report(recorded("mqtt-login.pcap"));
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());
}

/// Findings from captures made elsewhere (nDPI's test data) of behaviours met on review.
#[test]
fn captures_of_other_networks() {
    // An anonymous FTP download (USER anonymous, frame 8): no account's secret crossed the wire,
    // so no cleartext-credentials; the connection's unsafe-protocol finding says how it logged in.
    let r = run(&[capture("nDPI__ftp.pcap")], &Options::for_analysis());
    let everything = Local::new(&["0.0.0.0/0".to_string()]).unwrap();
    let ftp = iotscope_report::from_run(&r, &everything, None, Default::default());
    assert!(of(&ftp, FindingId::CleartextCredentials).is_empty());
    let used: Vec<_> = of(&ftp, FindingId::UnsafeProtocol)
        .into_iter()
        .filter(|(_, f)| f.subject.starts_with("uses ftp"))
        .collect();
    assert_eq!(used.len(), 1);
    assert_eq!(
        fact(used[0].1, "login"),
        "anonymous (no account's password)"
    );

    // LDAP replies (BER: 0x30 and a length, which frames like an MQTT PUBLISH) on port 1389 of
    // a Log4Shell exploit are not MQTT, and the server's MAC comes from the cooked header.
    let r = report(capture("nDPI__log4j-webapp-exploit.pcap"));
    assert!(!r.devices.iter().any(|d| d
        .endpoints
        .iter()
        .any(|e| e.services.iter().any(|p| p.contains("mqtt")))));
    assert!(!all(&r).iter().any(|(_, f)| f.subject.contains("mqtt")));
    assert_eq!(
        holding(&r, "172.16.238.11").mac.as_deref(),
        Some("02:42:ac:10:ee:0b")
    );

    // A Modbus/TCP server (192.168.110.138:502) answers a client on the LAN: no login exists.
    let r = report(capture("nDPI__modbus.pcap"));
    let m = of(&r, FindingId::UnsafeProtocol);
    assert!(
        m.iter()
            .any(|(d, f)| d.addresses.iter().any(|a| a == "192.168.110.138")
                && f.subject == "offers modbus on tcp/502"),
        "{m:?}"
    );

    // A Siemens S7 PLC (192.168.1.40:102) answers an S7comm client: no login either. Its
    // packets start with TTL 30, as Siemens' stacks do: it is on this link, no router's.
    let r = report(capture("nDPI__s7comm.pcap"));
    assert_eq!(
        holding(&r, "192.168.1.40").mac.as_deref(),
        Some("00:1b:1b:23:eb:3b")
    );
    let m = of(&r, FindingId::UnsafeProtocol);
    assert!(
        m.iter()
            .any(|(d, f)| d.addresses.iter().any(|a| a == "192.168.1.40")
                && f.subject == "offers s7comm on tcp/102"
                && f.severity == Severity::Medium),
        "{m:?}"
    );

    // An MQTT client behind carrier-grade NAT (100.67.35.238) logs in to an Azure IoT hub in clear.
    let r = report(capture("nDPI__mqtt.pcap"));
    let c = of(&r, FindingId::CleartextCredentials);
    assert!(
        c.iter()
            .any(|(d, f)| d.addresses.iter().any(|a| a == "100.67.35.238")
                && fact(f, "protocol") == "mqtt"
                && f.severity == Severity::High),
        "{c:?}"
    );
}

#[test]
fn scans_of_ports_and_of_hosts() {
    // nmap's SYN scan of 1 000 ports of scanme.nmap.org (nDPI's synscan.pcap): one scan
    // finding, with the three ports that answered; and none of the services it touched without
    // a word (telnet, FTP, POP3, HTTP...) is said to be used.
    let r = report(capture("nDPI__synscan.pcap"));
    let scanner = holding(&r, "172.16.0.8");
    let s: Vec<&FindingReport> = scanner
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].id, FindingId::Scan);
    assert_eq!(s[0].subject, "ports of 64.13.134.52");
    assert_eq!(s[0].severity, Severity::High);
    assert_eq!(fact(s[0], "ports tried"), "1000");
    assert_eq!(fact(s[0], "ports that answered"), "22, 53, 80");
    assert!(scanner
        .verdict
        .text
        .contains("it scans 1000 ports of 64.13.134.52"));

    // nmap sweeping telnet over 64 internet addresses, none answering (record.sh sweep).
    let r = report(recorded("sweep.pcap"));
    let s = of(&r, FindingId::Scan);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].1.subject, "tcp/23 telnet on many hosts");
    assert_eq!(s[0].1.severity, Severity::High);
    assert_eq!(fact(s[0].1, "hosts tried"), "64");
    assert_eq!(fact(s[0].1, "hosts that accepted"), "0");
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());

    // nmap's SNMP probe to udp/161 of the same 64 addresses (record.sh udpsweep): a UDP sweep,
    // named by its transport, port and service.
    let r = report(recorded("udpsweep.pcap"));
    let s = of(&r, FindingId::Scan);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].1.subject, "udp/161 snmp on many hosts");
    assert_eq!(s[0].1.severity, Severity::High);
    assert_eq!(s[0].1.count, 64);
    assert_eq!(fact(s[0].1, "hosts tried"), "64");
    assert_eq!(fact(s[0].1, "hosts that answered"), "0");

    // nmap trying 20 ports on each of 32 internet addresses (record.sh grid): a port scan of
    // every host and a sweep of every port, reported as one scan of the hosts, not as 32 port
    // scans and 20 sweeps.
    let r = report(recorded("grid.pcap"));
    let s = of(&r, FindingId::Scan);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].1.subject, "ports of 32 hosts");
    assert_eq!(s[0].1.severity, Severity::High);
    assert_eq!(s[0].1.count, 640);
    assert_eq!(fact(s[0].1, "hosts tried"), "32");
    assert_eq!(
        fact(s[0].1, "targets"),
        "203.0.113.0 to 203.0.113.31, 32 addresses"
    );
    assert_eq!(fact(s[0].1, "on the internet"), "32");
    assert_eq!(fact(s[0].1, "ports tried"), "20");
    assert_eq!(fact(s[0].1, "ports that answered"), "none");
    let d = holding(&r, "10.99.0.2");
    assert!(
        d.verdict.text.contains(
            "Signs of compromise: it scans 20 ports of 32 hosts (32 on the internet), 0 answered."
        ),
        "{}",
        d.verdict.text
    );

    // nmap's UDP scan of 33 ports of two internet addresses, then a traceroute to a third (record.sh
    // udpscan). One UDP port scan; the TFTP and DNS probes among its datagrams use nothing, and
    // the traceroute's datagrams to 24 ports of 198.51.100.200 are no scan.
    let r = report(recorded("udpscan.pcap"));
    let s = of(&r, FindingId::Scan);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].1.subject, "udp ports of 2 hosts");
    assert_eq!(s[0].1.severity, Severity::High);
    assert_eq!(s[0].1.count, 66);
    assert_eq!(fact(s[0].1, "ports tried"), "33");
    assert_eq!(fact(s[0].1, "ports that answered"), "none");
    assert!(!fact(s[0].1, "target").contains("198.51.100.200"));
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());
    assert!(of(&r, FindingId::DnsBypass).is_empty());
    // The pings that 198.51.100.250 answered: a destination whose country no registry gives,
    // and that is no anycast network either.
    let d = holding(&r, "10.99.0.2");
    assert!(
        d.verdict
            .text
            .contains("talks to 1 destination, whose country is not known"),
        "{}",
        d.verdict.text
    );
}

#[test]
fn tunnels_are_findings_and_what_they_carry_is_read() {
    // nDPI's Teredo capture: a host keeps a Teredo tunnel (UDP 3544) to a server in Finland; the
    // IPv6 packets inside are flows of the IPv6 hosts.
    // Five Windows hosts of 10.112.16.0/24 (TTL 126: two hops from 128) reach it through a
    // firewall, whose MAC their frames carry: each is a device behind it, with its tunnel.
    let r = report(capture("nDPI__teredo.pcap"));
    let t = of(&r, FindingId::Tunnel);
    assert_eq!(t.len(), 5, "{t:?}");
    for (d, f) in t {
        assert!(d.id.starts_with("10.112.16."), "{}", d.id);
        assert_eq!(d.behind.as_deref(), Some("00:1b:17:00:01:15"));
        assert_eq!(f.subject, "Teredo to 194.136.28.76");
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(fact(f, "service"), "udp/3544 teredo");
        assert!(fact(f, "peer").contains("FI"), "{:?}", f.facts);
        assert!(
            d.verdict
                .text
                .contains("it carries traffic in a Teredo tunnel to 194.136.28.76"),
            "{}",
            d.verdict.text
        );
    }
    // The client's own address inside the tunnel is the client's: it wrapped those packets. The
    // server's link-local address only ever came out of the tunnel from its internet end: it is
    // the server's, of no device here.
    assert_eq!(
        holding(&r, "fe80::ffff:ffff:fffe").mac.as_deref(),
        Some("00:1b:17:00:01:15")
    );
    assert!(!r
        .devices
        .iter()
        .any(|d| d.addresses.iter().any(|a| a == "fe80::8000:f227:3d77:e3b3")));

    // A wireless controller and its access point on one LAN: CAPWAP is information, and the
    // 802.11 frames inside it (frame control swapped, Cisco style) are read down to DHCP.
    let r = report(capture("nDPI__capwap.pcap"));
    let t = of(&r, FindingId::Tunnel);
    assert!(!t.is_empty());
    assert!(t.iter().all(|(_, f)| f.severity == Severity::Info
        && f.subject.starts_with("CAPWAP to ")
        && fact(f, "service") == "udp/5247 capwap"));
    let ipad = holding(&r, "169.254.87.121");
    assert!(
        ipad.names.iter().any(|n| n == "kawai-iPad3"),
        "{:?}",
        ipad.names
    );

    // Without a tunnel, no such finding.
    for name in ["nDPI__iphone.pcap", "nDPI__synscan.pcap"] {
        assert!(of(&report(capture(name)), FindingId::Tunnel).is_empty());
    }
}

#[test]
fn a_ping_sweep_is_a_scan() {
    // record.sh pingsweep: nmap's echo requests to 64 internet addresses, two of which answer.
    let r = report(recorded("pingsweep.pcap"));
    let s = of(&r, FindingId::Scan);
    assert_eq!(s.len(), 1, "{s:?}");
    let (d, f) = s[0];
    assert_eq!(f.subject, "ping on many hosts");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.count, 64);
    assert_eq!(fact(f, "hosts tried"), "64");
    assert_eq!(fact(f, "hosts that answered"), "2");
    assert!(
        d.verdict.text.contains(
            "Signs of compromise: it scans 64 hosts with pings (64 on the internet), 2 answered"
        ),
        "{}",
        d.verdict.text
    );
    // Three pings or more to one host are a connectivity check; one to each of many is not.
    assert!(of(&r, FindingId::ConnectivityCheck).is_empty());
    // Pings now and then to a few hosts are no sweep: the corpus has plenty.
    for cap in captures() {
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let r = report(cap);
        assert!(
            !of(&r, FindingId::Scan)
                .iter()
                .any(|(_, f)| f.subject.starts_with("ping")),
            "{name}"
        );
    }
}

#[test]
fn tftp_answers_from_a_port_of_its_own() {
    // nDPI's TFTP capture: 192.168.0.253 reads rfc1350.txt from 192.168.0.10:69, and the server
    // sends the 49 blocks from port 3445: the transfer is the answer, and the server the one
    // that offers TFTP (it opened nothing).
    let r = report(capture("nDPI__tftp.pcap"));
    let server = holding(&r, "192.168.0.10");
    let subjects = |id: FindingId| -> Vec<&str> {
        server
            .findings
            .iter()
            .filter(|f| f.id == id)
            .map(|f| f.subject.as_str())
            .collect()
    };
    assert_eq!(
        subjects(FindingId::UnsafeProtocol),
        ["offers tftp on udp/69"]
    );
    assert_eq!(subjects(FindingId::ExposedService), ["udp/69 tftp"]);
    let client = holding(&r, "192.168.0.253");
    let uses = client
        .findings
        .iter()
        .find(|f| f.id == FindingId::UnsafeProtocol)
        .expect("the client uses tftp");
    assert!(
        uses.subject.starts_with("uses tftp to "),
        "{}",
        uses.subject
    );
    assert_eq!(fact(uses, "files"), "reads rfc1350.txt");
    assert_eq!(fact(uses, "answer"), "", "{:?}", uses.facts);
    assert!(!server.verdict.text.contains("only makes outbound"));
}

#[test]
fn what_a_flow_carries_decides_over_its_port() {
    // RTSP's requests use HTTP's methods; the version at the end of the line tells them apart.
    let r = report(capture("nDPI__rtsp.pcap"));
    assert!(of(&r, FindingId::CleartextHttp).is_empty());
    assert!(all(&r)
        .iter()
        .all(|(_, f)| !f.subject.contains("http") && !f.summary.contains("http")));

    // DNS on udp/8053 is DNS, and a lookup around the network's resolver.
    let r = report(capture("tcpdump__dns_udp_8053.pcap"));
    let b = of(&r, FindingId::DnsBypass);
    assert_eq!(b.len(), 1, "{:?}", all(&r));
    assert_eq!(fact(b[0].1, "port"), "udp/8053 (DNS's own is 53)");
    assert_eq!(fact(b[0].1, "names asked"), "www.tcpdump.org");
    assert!(of(&r, FindingId::NoDns).is_empty());
}

#[test]
fn one_host_using_both_resolvers_of_its_provider_bypasses_nothing() {
    // No DHCP in the capture, one laptop, Comcast's two resolvers: both are the network's.
    let r = report(capture("nDPI__anyconnect-vpn.pcap"));
    assert!(
        of(&r, FindingId::DnsBypass).is_empty(),
        "{:?}",
        of(&r, FindingId::DnsBypass)
    );
}

#[test]
fn a_lone_reset_from_a_server_is_no_attempt() {
    // Frame 8 of starcraft_battle.pcap is a RST from 80.239.186.26:443, the end of a connection
    // the client had opened before the capture: the client tried nothing.
    let r = report(capture("nDPI__starcraft_battle.pcap"));
    for d in &r.devices {
        assert!(
            !d.verdict.text.contains("80.239.186.26"),
            "{}",
            d.verdict.text
        );
        for e in &d.endpoints {
            assert!(
                !(e.unanswered > 0 && e.bytes_up == 0),
                "{} {}: {} unanswered, nothing sent",
                d.label,
                e.name,
                e.unanswered
            );
        }
    }
}

#[test]
fn a_connection_seen_from_its_middle_is_oriented_by_its_server_port() {
    // Four OpenFlow segments between 10.0.0.80:6633 and a public host's 57145, no handshake:
    // 6633 is OpenFlow's controller port, 57145 a client's. The controller on the LAN answers
    // a switch on the internet (a BT broadband address) that connected to it.
    let r = report(capture("tcpdump__of10_7050q.pcapng"));
    let exposed = of(&r, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1, "{:?}", all(&r));
    let (d, f) = exposed[0];
    assert!(d.addresses.iter().any(|a| a == "10.0.0.80"));
    assert_eq!(f.severity, Severity::High);
    assert!(f.subject.starts_with("tcp/6633"), "{}", f.subject);
    assert!(fact(f, "clients on the internet").starts_with("86.139.225.177"));
}

#[test]
fn certificate_status_checks_are_information_and_their_keys_masked() {
    // OCSP requests carry base64 in the path, percent-escaped (%2B, %3D) or not.
    let r = report(capture("nDPI__ocsp.pcapng"));
    let http = of(&r, FindingId::CleartextHttp);
    assert!(!http.is_empty());
    for (_, f) in http {
        let requests = fact(f, "requests");
        assert!(
            !requests.contains("%2B") && !requests.contains("%3D"),
            "{requests}"
        );
        // Masked (`<key>`), but no key: an OCSP request in the path is a certificate's serial, which
        // the finding does not call a secret.
        assert!(fact(f, "keys in URLs").is_empty(), "{}", f.subject);
        // Certificate status checks are signed by the authority: information.
        assert_eq!(f.severity, Severity::Info, "{}", f.subject);
        assert!(fact(f, "kind").starts_with("certificate status"));
    }
    assert!(of(&r, FindingId::ConnectivityCheck).is_empty());
}

#[test]
fn loopback_is_neither_a_device_nor_the_internet() {
    // tcpdump's LISP capture: 192.168.0.105 sends to 127.0.0.1 in frames whose source MAC is
    // all zeros. The sender is a device known by its address; the loopback address is none, and
    // no internet host.
    let r = report(capture("tcpdump__lisp_eid_notify.pcap"));
    let ids: Vec<&str> = r.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["192.168.0.105"]);
    assert_eq!(r.network.endpoints, 0);
    for (d, f) in all(&r) {
        assert!(
            !f.subject.contains("127.0.0.1"),
            "{}: {}",
            d.label,
            f.subject
        );
    }
    let v = &r.devices[0].verdict.text;
    assert!(
        v.contains("none of its traffic went to the internet"),
        "{v}"
    );
    assert!(!v.contains("127.0.0.1"), "{v}");
}

#[test]
fn flows_captured_from_the_server_side_only_go_to_the_addresses_name() {
    // nDPI's pps.pcap: the PC asks 202.108.14.219 for `Host: msg.71.am` nine times; two more
    // connections to it hold only the server's replies (frames 1402, 1404, 1406: the PC's
    // frames, and so its MAC, are not in the capture). They are msg.71.am's, as the endpoint
    // counts them: no plain-HTTP finding of their own, no missing lookup.
    let r = report(capture("nDPI__pps.pcap"));
    let pc = with_mac(&r, "00:1c:42:8e:70:31");
    let about = |f: &&FindingReport| {
        f.subject.contains("202.108.14.219") || f.subject.contains("China Unicom")
    };
    assert!(
        !pc.findings.iter().any(|f| about(&f)),
        "{:?}",
        pc.findings.iter().filter(about).collect::<Vec<_>>()
    );
    let http = pc
        .findings
        .iter()
        .find(|f| f.id == FindingId::CleartextHttp && f.subject == "msg.71.am")
        .expect("msg.71.am");
    assert!(fact(http, "server").contains("202.108.14.219"));
    let rows: Vec<&str> = pc
        .endpoints
        .iter()
        .filter(|e| e.addresses.iter().any(|a| a == "202.108.14.219"))
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(rows, ["msg.71.am"]);
}

#[test]
fn dns_over_quic_and_https_beyond_the_best_known_resolvers() {
    // nDPI's DoQ capture: AdGuard's resolver on the draft port 784, ALPN doq-i00.
    let r = report(capture("nDPI__doq_adguard.pcapng"));
    let enc = of(&r, FindingId::EncryptedDns);
    assert_eq!(enc.len(), 1, "{enc:?}");
    assert_eq!(enc[0].1.subject, "AdGuard (DNS over QUIC)");
    assert_eq!(enc[0].1.severity, Severity::Medium);
    // dnscrypt-proxy probing DoH resolvers: known by name (Cloudflare), by address (Quad9's
    // 9.9.9.10, sent as dns10.quad9.net), and by their names' shape (doh.*, dns.*).
    let r = report(capture("nDPI__dnscrypt-v2-doh.pcap"));
    let subjects: BTreeSet<&str> = of(&r, FindingId::EncryptedDns)
        .into_iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    for s in [
        "Cloudflare (DNS over HTTPS)",
        "Quad9 (DNS over HTTPS)",
        "CZ.NIC (DNS over HTTPS)",
        "doh.libredns.gr",
        "doh.powerdns.org",
        "fi.doh.dns.snopyta.org",
        "dns.aa.net.uk",
    ] {
        assert!(subjects.contains(s), "{s}: {subjects:?}");
    }
    for (_, f) in of(&r, FindingId::EncryptedDns) {
        assert_eq!(fact(f, "protocol"), "DNS over HTTPS", "{}", f.subject);
        // A name's shape is weaker evidence than a resolver the data knows: low, and the
        // verdict says the device contacts it, not that it resolves names with it.
        let by_shape = !f.subject.contains("(DNS over");
        assert_eq!(
            f.severity,
            if by_shape {
                Severity::Low
            } else {
                Severity::Medium
            },
            "{}",
            f.subject
        );
        assert_eq!(!fact(f, "known by").is_empty(), by_shape, "{}", f.subject);
    }
}

#[test]
fn dns_that_carries_data_is_a_tunnel() {
    // dnscat2 in direct mode: 150 queries whose hex labels carry a session, straight to the
    // tunnel's server; the resolver that answers is that server.
    let r = report(capture("nDPI__dns_exfiltration.pcap"));
    let t = of(&r, FindingId::Tunnel);
    assert_eq!(t.len(), 1, "{t:?}");
    let (d, f) = t[0];
    assert!(d.addresses.iter().any(|a| a == "192.168.220.56"));
    assert_eq!(f.subject, "DNS to 192.168.203.167");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.count, 150);
    assert_eq!(fact(f, "names carrying data"), "150 distinct");
    assert_eq!(fact(f, "query types"), "CNAME, MX, TXT");
    assert!(fact(f, "example").starts_with("dnscat."));
    // iodine through the LAN's resolver: NULL queries under one domain, short labels of base32
    // in its handshake and pings, then labels of raw bytes.
    let r = report(capture("nDPI__dns-tunnel-iodine.pcap"));
    let t = of(&r, FindingId::Tunnel);
    assert_eq!(t.len(), 1, "{t:?}");
    let (d, f) = t[0];
    assert_eq!(d.addresses, ["10.0.2.30"]);
    assert_eq!(f.subject, "DNS to pirate.sea");
    assert_eq!(fact(f, "names carrying data"), "222 distinct");
    assert_eq!(fact(f, "query types"), "NULL");
    assert_eq!(d.verdict.rating, "needs attention");
    // Ordinary lookups are no tunnel: none in the corpus, where thousands of names are asked.
    for path in captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "nDPI__dns_exfiltration.pcap" || name == "nDPI__dns-tunnel-iodine.pcap" {
            continue;
        }
        let r = report(path);
        assert!(
            !of(&r, FindingId::Tunnel)
                .iter()
                .any(|(_, f)| fact(f, "tunnel") == "DNS"),
            "{name}"
        );
    }
}

#[test]
fn dnscrypt_is_encrypted_dns_on_any_port() {
    // nDPI's DNSCrypt capture: a client fetches the certificates of public DNSCrypt resolvers
    // (plain TXT queries for 2.dnscrypt-cert.<provider>, on udp/443, 8443, 553...) and sends them
    // encrypted queries, whose answers start with the resolver magic.
    let r = report(capture("nDPI__dnscrypt-v1-and-resolver-pings.pcap"));
    let enc = of(&r, FindingId::EncryptedDns);
    assert!(enc.len() >= 30, "{}", enc.len());
    assert!(enc
        .iter()
        .all(|(_, f)| fact(f, "protocol") == "DNSCrypt" && f.severity == Severity::Medium));
    // Its certificate queries are DNSCrypt's, no plain lookups around the resolver, and
    // nothing of it is taken for QUIC. A resolver is set by its address: no lookup is missing.
    assert!(of(&r, FindingId::DnsBypass).is_empty());
    assert!(
        of(&r, FindingId::NoDns).is_empty(),
        "{:?}",
        of(&r, FindingId::NoDns)
    );
    for d in &r.devices {
        for e in &d.endpoints {
            assert!(
                e.services.iter().all(|s| !s.ends_with(" quic")),
                "{}: {:?}",
                e.name,
                e.services
            );
        }
    }
}

#[test]
fn hosts_of_another_subnet_are_not_their_router() {
    // nDPI's IEC104 capture: a control station talks IEC 60870-5-104 to two outstations,
    // 10.175.211.1 and .3, whose frames arrive through a router (its MAC, TTL 125: three hops
    // from 128). Two routed addresses on one MAC make it a router's: each outstation is a
    // device behind it, and the one that offers IEC 104, not the router.
    let r = report(capture("nDPI__IEC104.pcap"));
    for a in ["10.175.211.1", "10.175.211.3"] {
        let d = holding(&r, a);
        assert_eq!(d.id, a);
        assert_eq!(d.behind.as_deref(), Some("00:12:00:c6:4a:c0"));
        let offers: Vec<&str> = d
            .findings
            .iter()
            .filter(|f| f.id == FindingId::UnsafeProtocol)
            .map(|f| f.subject.as_str())
            .collect();
        assert_eq!(offers, ["offers iec104 on tcp/2404"]);
    }
    assert!(r
        .devices
        .iter()
        .all(|d| d.mac.as_deref() != Some("00:12:00:c6:4a:c0")));
    // Redacted, the router's MAC is hidden like a device's.
    let mut r = r;
    iotscope_report::redact::redact(&mut r);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("00:12:00:c6:4a:c0"));
    assert!(!iotscope_report::terminal::render(&r).contains("00:12:00:c6:4a:c0"));
}

/// snmpget to a host with no agent (record.sh): the manager's own community crossed the
/// network in clear all the same; the factory default `public` that follows is a probe.
#[test]
fn an_snmp_community_of_the_networks_own_counts_unanswered() {
    let r = report(recorded("snmp-unanswered.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1, "{creds:?}");
    let (dev, f) = creds[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.subject, "snmp to 10.99.0.1");
    assert_eq!(f.count, 1, "public is no login");
    assert_eq!(fact(f, "method"), "community (v2c)");
    let json = serde_json::to_string(&r).unwrap();
    for secret in SECRETS {
        assert!(!json.contains(secret));
    }
    // No agent answered: nothing offers or uses SNMP.
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());
}

/// net-snmp's agent asked by its tools (record.sh): a v1 get and a v2c walk with the read
/// community, then a v3 get with authentication and privacy.
#[test]
fn snmp_communities_in_clear_and_v3_left_alone() {
    let r = report(recorded("snmp.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    let (dev, f) = creds[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.subject, "snmp to iotscope-srv (10.99.0.1)");
    // One community per flow, not per message: the walk's 38 messages count once.
    assert_eq!(f.count, 2);
    assert_eq!(fact(f, "method"), "community (v1), community (v2c)");
    assert!(f.facts.iter().all(|x| x.label != "user"));
    assert!(dev
        .verdict
        .text
        .contains("it sends an SNMP community (a password) in clear"));
    // The agent offers v1 and v2c; the manager uses them. The v3 flow adds nothing.
    let unsafe_ = of(&r, FindingId::UnsafeProtocol);
    let subjects: BTreeSet<&str> = unsafe_.iter().map(|(_, f)| f.subject.as_str()).collect();
    assert_eq!(
        subjects,
        BTreeSet::from([
            "offers snmp on udp/161",
            "uses snmp to iotscope-srv (10.99.0.1)"
        ])
    );
    for (_, f) in &unsafe_ {
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.count, 2, "{}", f.subject);
        assert_eq!(
            fact(f, "versions"),
            "v1 (community in clear), v2c (community in clear)"
        );
    }
    // The agent's name comes from its own answers (sysName.0).
    let agent = holding(&r, "10.99.0.1");
    assert_eq!(agent.names, ["iotscope-srv"]);
    let json = serde_json::to_string(&r).unwrap();
    for s in SECRETS {
        assert!(!json.contains(s), "the community leaked into the report");
    }
    assert!(!iotscope_report::terminal::render(&r).contains(SECRETS[0]));
}

/// OpenLDAP's slapd reached by its tools (record.sh): an anonymous search, a simple bind with a
/// wrong password and one with the right password, both in clear, then a bind after StartTLS
/// and one on LDAPS, both encrypted.
#[test]
fn ldap_simple_binds_in_clear_and_tls_binds_left_alone() {
    let r = report(recorded("ldap.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    let (dev, f) = creds[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.subject, "ldap to 10.99.0.1");
    assert_eq!(f.count, 2);
    assert_eq!(fact(f, "method"), "simple bind");
    assert_eq!(fact(f, "user"), "uid=iotuser,ou=people,dc=iotscope,dc=test");
    // The server's answer to the wrong password.
    assert_eq!(fact(f, "refused"), "1 of 2 (invalidCredentials)");
    // LDAP is no unsafe protocol by itself: the logins are the finding.
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());
    let exposed: BTreeSet<&str> = of(&r, FindingId::ExposedService)
        .iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert_eq!(
        exposed,
        BTreeSet::from(["tcp/389 ldap", "tcp/636 tls/ldap"])
    );
    // The connection that switched by StartTLS counts as encrypted, its hellos read.
    let run = run(&[recorded("ldap.pcap")], &Options::for_analysis());
    let switched: Vec<&iotscope_flow::Flow> = run
        .flows
        .flows
        .iter()
        .filter(|f| f.app.upgraded())
        .collect();
    assert_eq!(switched.len(), 1);
    assert_eq!(switched[0].app.encrypted(), Some(true));
    assert!(run.flows.events.iter().any(|e| e.flow == switched[0].id()
        && matches!(e.message, iotscope_proto::app::Message::ClientHello(_))));
    let json = serde_json::to_string(&r).unwrap();
    for s in SECRETS.iter().chain(&["WrongPassw0rd!"]) {
        assert!(!json.contains(s), "a password leaked into the report");
    }
}

/// Dovecot and Exim offering TLS, and curl insisting on it (record.sh): POP3's STLS, IMAP's and
/// SMTP's STARTTLS, each followed by a login inside TLS. Nothing is in clear once the switch is
/// accepted: no unsafe-protocol, no credentials, and the connections count as encrypted.
#[test]
fn starttls_makes_mail_safe() {
    let r = report(recorded("starttls.pcap"));
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());
    assert!(of(&r, FindingId::CleartextCredentials).is_empty());
    let client = holding(&r, "10.99.0.2");
    assert!(
        client.verdict.text.contains("No weakness was seen"),
        "{}",
        client.verdict.text
    );
    // The switch is read from the first packets even with the parsers off: flows keep their
    // port's label instead of being taken for TLS.
    let labels_only = Options {
        flow: iotscope_flow::Config::default(),
        threads: 1,
    };
    let run = run(&[recorded("starttls.pcap")], &labels_only);
    assert_eq!(run.flows.flows.len(), 3);
    for f in &run.flows.flows {
        if f.key.proto == 6 {
            assert!(f.app.upgraded(), "{:?}", f.app.app);
            assert_eq!(f.app.encrypted(), Some(true));
            assert!(matches!(f.app.app.name(), "pop3" | "imap" | "smtp"));
        }
    }
}

/// nDPI's vnc.pcap: a LAN host's RealVNC server on tcp/6900, reached twice from an internet
/// address. The server offers seven security types; the client chooses RealVNC's 13, whose
/// encryption iotscope does not know, so neither an unsafe-protocol finding nor a share of
/// cleartext is claimed; the exposure to the internet is high.
#[test]
fn vnc_from_the_internet() {
    let r = report(capture("nDPI__vnc.pcap"));
    let server = holding(&r, "192.168.2.110");
    let exposed = of(&r, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].1.subject, "tcp/6900 vnc");
    assert_eq!(exposed[0].1.severity, Severity::High);
    assert_eq!(exposed[0].1.count, 2);
    assert!(of(&r, FindingId::UnsafeProtocol).is_empty());
    assert!(server
        .verdict
        .text
        .contains("all of those bytes are in protocols iotscope cannot read"));
}

/// nDPI's rdp.pcap and syslog.pcapng: Remote Desktop counts as encrypted (TLS after the X.224
/// exchange), and syslog senders only send.
#[test]
fn rdp_and_syslog_are_named() {
    let r = report(capture("nDPI__rdp.pcap"));
    let exposed = of(&r, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].1.subject, "tcp/3389 rdp");
    assert_eq!(exposed[0].1.severity, Severity::Low);
    let r = report(capture("nDPI__syslog.pcapng"));
    assert!(!r.devices.is_empty());
    for d in &r.devices {
        assert!(
            d.verdict.text.contains("it uses syslog"),
            "{}",
            d.verdict.text
        );
        assert!(d.findings.is_empty(), "{}: {:?}", d.label, d.findings);
    }
    // Syslog over TCP (util-linux logger: octet-counted to 514, newline-ended to 601): the
    // collector accepts it, the sender uses it.
    let r = report(recorded("judgements/syslog-tcp.pcap"));
    let exposed: Vec<&str> = of(&r, FindingId::ExposedService)
        .into_iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert_eq!(exposed, ["tcp/514 syslog", "tcp/601 syslog"]);
    assert!(holding(&r, "10.96.1.50")
        .verdict
        .text
        .contains("it uses syslog"));
}

/// wsdd, Samba's WS-Discovery daemon, announcing a host and answering another wsdd's search
/// (record.sh wsd): the host is a computer by the type it announces (pub:Computer); answering
/// searches on udp/3702 is discovery, not an exposed service; the metadata over HTTP is.
#[test]
fn ws_discovery_says_what_a_host_is() {
    let r = report(recorded("wsd.pcap"));
    let host = holding(&r, "10.99.0.1");
    assert_eq!(host.kind, "computer");
    assert_eq!(host.because.as_deref(), Some("wsd-type=pub:Computer"));
    // The searcher's Probe names the type it looks for, not what the searcher is.
    assert_eq!(holding(&r, "10.99.0.2").kind, "unknown");
    let exposed = of(&r, FindingId::ExposedService);
    let subjects: Vec<&str> = exposed.iter().map(|(_, f)| f.subject.as_str()).collect();
    assert_eq!(subjects, ["tcp/5357 http"]);
    assert!(host
        .verdict
        .text
        .contains("it uses WS-Discovery (multicast)"));
    // The metadata request's path is the UUID the host announced in its XAddrs to the whole
    // link (tshark: the XAddrs element of frame 1, http.request.uri of frame 20): no key.
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1);
    assert_eq!(
        fact(http[0].1, "requests"),
        "POST /48814ecb-8769-5531-a104-c977449c77ec"
    );
    assert_eq!(fact(http[0].1, "keys in URLs"), "");
}

/// A smart plug on a LAN behind a router (record.sh in testdata/recorded/home): it takes its
/// address from dnsmasq by DHCP, giving its name and vendor class, resolves its broker through
/// a CNAME, and keeps two MQTT-over-TLS connections open: a command channel pinged every 20 s
/// and telemetry published every 5 s.
#[test]
fn a_plug_with_two_rhythms_to_one_broker() {
    let r = report(recorded("home/dhcp-mqtts.pcap"));
    let plug = with_mac(&r, "24:0a:c4:5e:36:71");
    // What it says it is: its DHCP vendor class names a plug.
    assert_eq!(plug.kind, "plug/switch");
    assert_eq!(plug.confidence.as_deref(), Some("low"));
    assert_eq!(
        plug.because.as_deref(),
        Some("dhcp-vendor-class=ESP32-SmartPlug/1.4.2")
    );
    // Everything sent to its MAC counts, the DHCP offers and acknowledgement and the server's
    // ping included, which it never answered (tshark: eth.dst == 24:0a:c4:5e:36:71 && !arp,
    // 68 frames, 9203 bytes).
    assert_eq!((plug.packets_down, plug.bytes_down), (68, 9203));
    // Two rhythms to one name: each on its own line, its figures together.
    let p = of(&r, FindingId::Periodic);
    assert_eq!(p.len(), 1);
    let rhythms: Vec<&str> = p[0]
        .1
        .facts
        .iter()
        .filter(|f| f.label == "rhythm")
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(rhythms.len(), 2, "{rhythms:?}");
    assert!(rhythms
        .iter()
        .any(|x| x.starts_with("tcp/8883 tls/mqtt every 20 s")
            && x.contains("· 8 beats · 729 B per beat on average")));
    assert!(rhythms
        .iter()
        .any(|x| x.starts_with("tcp/8883 tls/mqtt every 5.00 s")
            && x.contains("· 29 beats · 365 B per beat on average")));
    assert!(p[0].1.facts.iter().all(|f| f.label != "period"));
}

/// The same plug and broker in TLS 1.2 and in TLS 1.3 (record.sh in testdata/recorded/home):
/// 1.2 shows the broker's self-signed certificate, a tls-weak finding; 1.3 encrypts it, and the
/// verdict does not read as a clean bill without saying that no certificate could be checked.
#[test]
fn tls_1_3_hides_the_certificate_and_the_verdict_says_so() {
    const HIDDEN: &str = "Its servers' certificates were not visible (TLS 1.3 encrypts them)";
    let old = report(recorded("home/dhcp-mqtts.pcap"));
    let plug = with_mac(&old, "24:0a:c4:5e:36:71");
    assert!(plug
        .findings
        .iter()
        .any(|f| f.id == FindingId::TlsWeak && fact(f, "problems").contains("self-signed")));
    assert!(!plug.verdict.text.contains(HIDDEN), "{}", plug.verdict.text);
    let new = report(recorded("home/dhcp-mqtts-tls13.pcap"));
    let plug = with_mac(&new, "24:0a:c4:5e:36:71");
    assert!(plug.findings.iter().all(|f| f.id != FindingId::TlsWeak));
    assert!(plug.verdict.text.contains(HIDDEN), "{}", plug.verdict.text);
    // A device with no TLS at all is not told about certificates.
    let router = with_mac(&new, "00:0d:b9:47:11:02");
    assert!(!router.verdict.text.contains("certificates"));
}

/// A HomeKit camera announced over mDNS by avahi (record.sh in testdata/recorded/home): its
/// TXT record's category (ci=17) says camera, above the Raspberry Pi it runs on.
#[test]
fn a_homekit_accessory_says_what_it_is() {
    let r = report(recorded("home/mdns.pcap"));
    let cam = with_mac(&r, "b8:27:eb:4c:21:9a");
    assert_eq!(cam.kind, "camera");
    assert_eq!(cam.because.as_deref(), Some("hap-category=17"));
    assert_eq!(cam.names, ["living-room-cam.local"]);
}

/// dnsmasq on a Raspberry Pi leasing addresses, its offers naming another host the router
/// (record.sh in testdata/recorded/home, `dhcp-pihole`): the Pi is no router, the host its
/// offers name is, and the device's pings to it are exchanges of its own, in clear.
#[test]
fn a_dhcp_server_is_the_router_only_when_its_offers_say_so() {
    let r = report(recorded("home/dhcp-pihole.pcap"));
    let pi = with_mac(&r, "b8:27:eb:4c:21:9a");
    assert_eq!(pi.kind, "computer");
    assert!(pi
        .evidence
        .iter()
        .any(|e| e.starts_with("dhcp-server=offers addresses (")));
    // Handing out addresses while naming another host the router (tshark: dhcp.option.router
    // 192.168.18.1 and dhcp.option.domain_name_server 192.168.18.50 in the offer and the ack
    // from b8:27:eb:4c:21:9a) is said: a Pi-hole, or a rogue server.
    let dhcp = findings_of(pi, FindingId::ExposedService)
        .into_iter()
        .find(|f| f.subject == "udp/67 dhcp")
        .expect("the Pi's DHCP service");
    assert_eq!(dhcp.severity, Severity::Low);
    assert_eq!(fact(dhcp, "router it names"), "192.168.18.1");
    assert_eq!(fact(dhcp, "resolvers it names"), "192.168.18.50");
    assert_eq!(fact(dhcp, "leases"), "192.168.18.139 to 24:0a:c4:5e:36:71");
    assert!(fact(dhcp, "note").contains("Pi-hole"));
    let router = holding(&r, "192.168.18.1");
    assert_eq!(router.kind, "router/ap");
    assert_eq!(
        router.because.as_deref(),
        Some("dhcp-router=named the router by the DHCP server")
    );
    let dev = with_mac(&r, "24:0a:c4:5e:36:71");
    assert!(
        dev.verdict
            .text
            .contains("It only makes outbound connections"),
        "{}",
        dev.verdict.text
    );
    // Pings are the network's own messages, in clear: not bytes of a protocol iotscope cannot
    // read (the WeMo Link's connectivity checks to 4.2.2.2).
    let wemo = report(capture("IoTSentinel__WeMoLink__Setup-C-1-STA.pcap"));
    let ping = wemo
        .devices
        .iter()
        .flat_map(|d| &d.endpoints)
        .find(|e| e.name == "4.2.2.2")
        .expect("the pings to 4.2.2.2");
    assert_eq!(ping.services, ["icmp"]);
    assert_eq!((ping.bytes_unrecognised, ping.bytes_encrypted), (0, 0));
}

/// libcoap's client polling a CoAP server every 4 s, then observing a resource for 20 s
/// (record.sh in testdata/recorded/home): the server's notifications every second, which the
/// client only acknowledges with empty messages, are the server's rhythm, not the client's.
#[test]
fn coap_acknowledgements_are_no_heartbeat() {
    let r = report(recorded("home/coap.pcap"));
    let p = of(&r, FindingId::Periodic);
    assert_eq!(p.len(), 1);
    assert_eq!(fact(p[0].1, "period"), "4.01 s");
    assert_eq!(fact(p[0].1, "service"), "udp/5683 coap");
    // What the client asked the server for (tshark: coap.code 1 and 3 in frames 12 to 94,
    // coap.opt.uri_path_recon), each once; the multicast discovery has no server.
    let server = holding(&r, "192.168.18.50");
    let exposed = findings_of(server, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(
        fact(exposed[0], "requests"),
        "GET /.well-known/core, GET /example_data, GET /time, PUT /example_data"
    );
}

/// CoAP requests to a public server (nDPI's coap_mqtt.pcap, whose client is named local with
/// `--local`): an unsafe-protocol finding says what was asked.
#[test]
fn coap_requests_to_the_internet_are_said() {
    let local = Local::new(&["2001:da8::/32".into()]).unwrap();
    let read = run(&[capture("nDPI__coap_mqtt.pcap")], &Options::for_analysis());
    let r = iotscope_report::from_run(&read, &local, None, Default::default());
    let coap: Vec<_> = of(&r, FindingId::UnsafeProtocol)
        .into_iter()
        .filter(|(_, f)| f.subject.contains("coap"))
        .collect();
    assert_eq!(coap.len(), 1);
    let f = coap[0].1;
    assert_eq!(f.subject, "uses coap to 2001:620:8:35d9::10");
    // tshark: the four methods to /, then a GET whose Uri-Query is "=\xff" (facts show four).
    assert_eq!(
        fact(f, "requests"),
        "DELETE /, GET /, GET /?=\u{fffd}, POST /, and 1 more"
    );
}

/// MQTT 3.1, 3.1.1 and 5 logins in clear to mosquitto with a password file, one with a wrong
/// password (record.sh in testdata/recorded/home): every login counts, the refused one is said.
#[test]
fn mqtt_logins_refused_are_said() {
    let r = report(recorded("home/mqtt-login.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    let f = creds[0].1;
    assert_eq!(f.count, 5);
    assert_eq!(fact(f, "user"), "plug-7f3a");
    // tshark: mqtt.conack.val == 5 in frame 74, answering frame 72's CONNECT.
    assert_eq!(fact(f, "refused"), "1 of 5 (CONNACK code 5)");
}

/// Two TigerVNC displays reached by vncsnapshot, an RFB 3.3 client (record.sh vnc): the one
/// that asks no password is high, the one with the classic VNC password medium; the client's
/// ClientInit after the server's decision is no choice of its own.
#[test]
fn vnc_without_a_password_and_with_the_classic_one() {
    let r = report(recorded("vnc.pcap"));
    let server = holding(&r, "10.99.0.1");
    let offers: Vec<(&str, Severity, &str)> = server
        .findings
        .iter()
        .filter(|f| f.id == FindingId::UnsafeProtocol)
        .map(|f| (f.subject.as_str(), f.severity, fact(f, "security")))
        .collect();
    assert_eq!(
        offers,
        [
            (
                "offers vnc on tcp/5901",
                Severity::High,
                "None: no password, anyone gets the screen"
            ),
            (
                "offers vnc on tcp/5902",
                Severity::Medium,
                "VNC Authentication: weak password, session in clear"
            ),
        ]
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("S3cretPa"));
}

/// curl polling nginx on another LAN device every 3 s (record.sh in testdata/recorded/home):
/// the timer is named as the plain-HTTP finding names that device, and that finding says it.
#[test]
fn a_lan_timer_is_named_as_its_device() {
    let r = report(recorded("home/lan-cam.pcap"));
    let http = of(&r, FindingId::CleartextHttp);
    let periodic = of(&r, FindingId::Periodic);
    assert_eq!(http.len(), 1);
    assert_eq!(periodic.len(), 1);
    assert_eq!(http[0].1.subject, periodic[0].1.subject);
    assert!(http[0].1.subject.ends_with("(192.168.18.50)"));
    assert_eq!(fact(http[0].1, "period"), "every 3.02 s ± 1 ms");
}

/// A dual-stack home (testdata/recorded/dualstack/record.sh): the router advertises a global
/// prefix beside a ULA one; the plug takes temporary addresses that rotate while it polls its
/// cloud over HTTPS on IPv6 every 5 s and over HTTP on IPv4 every 15 s; the camera uploads to a
/// bare IPv6 address; the phone fetches the camera's page by its IPv4, link-local and global
/// addresses (`Host: [v6]`).
#[test]
fn a_dual_stack_networks_own_prefix_is_not_the_internet() {
    let r = report(recorded("dualstack/dualstack.pcap"));
    // Learned from the router's advertisements: the devices' global addresses are theirs.
    let plug = with_mac(&r, "24:0a:c4:97:00:10");
    assert!(plug
        .addresses
        .iter()
        .any(|a| a.starts_with("2a02:8071:97:10:")));
    assert_eq!(r.network.destinations, 3);
    // The camera's upload to a bare IPv6 address, with its own subject (no cut `[v6`).
    let cam = with_mac(&r, "c0:56:e3:97:00:20");
    let http: Vec<&FindingReport> = cam
        .findings
        .iter()
        .filter(|f| f.id == FindingId::CleartextHttp)
        .collect();
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].subject, "2a05:d014:97:a00::66");
    assert_eq!(http[0].severity, Severity::Medium);
    assert!(cam.findings.iter().any(|f| f.id == FindingId::NoDns));
    for (_, f) in all(&r) {
        assert!(!f.subject.contains('['), "{}", f.subject);
    }
    // The phone reached the camera by its IPv4, link-local and global addresses: one device,
    // so one finding of each kind, named by the camera's name and first address, whose facts
    // list the three addresses; the verdict names the camera once.
    let phone = with_mac(&r, "f0:18:98:97:00:30");
    for id in [
        FindingId::CleartextHttp,
        FindingId::LanPeer,
        FindingId::Periodic,
    ] {
        let on_cam: Vec<&FindingReport> = phone
            .findings
            .iter()
            .filter(|f| f.id == id && f.subject.starts_with("garden-cam"))
            .collect();
        assert_eq!(on_cam.len(), 1, "{id:?}");
        assert_eq!(on_cam[0].subject, "garden-cam (10.97.0.112)");
        assert_eq!(on_cam[0].count, 18, "{id:?}: 6 fetches by each address");
    }
    let http = phone
        .findings
        .iter()
        .find(|f| f.id == FindingId::CleartextHttp)
        .unwrap();
    let servers: Vec<&str> = http
        .facts
        .iter()
        .filter(|x| x.label == "server")
        .map(|x| x.value.as_str())
        .collect();
    for a in [
        "10.97.0.112",
        "fe80::c256:e3ff:fe97:20",
        "2a02:8071:97:10:c256:e3ff:fe97:20",
    ] {
        assert!(servers.iter().any(|s| s.contains(a)), "{a} in {servers:?}");
    }
    assert!(
        phone
            .verdict
            .text
            .contains("it talks plain HTTP to garden-cam (10.97.0.112)."),
        "{}",
        phone.verdict.text
    );
    // One HTTPS rhythm of 21 beats across the plug's temporary addresses; the plain-HTTP
    // finding tells only its own (15 s) rhythm.
    let periodic = plug
        .findings
        .iter()
        .find(|f| f.id == FindingId::Periodic && f.subject == "api.plugcloud.example")
        .unwrap();
    let rhythms: Vec<&str> = periodic
        .facts
        .iter()
        .filter(|x| x.label == "rhythm")
        .map(|x| x.value.as_str())
        .collect();
    assert_eq!(rhythms.len(), 2, "{rhythms:?}");
    assert!(rhythms
        .iter()
        .any(|x| x.starts_with("tcp/443") && x.contains(" 21 beats")));
    let plain = plug
        .findings
        .iter()
        .find(|f| f.id == FindingId::CleartextHttp)
        .unwrap();
    assert!(
        fact(plain, "period").starts_with("every 15 s"),
        "{}",
        fact(plain, "period")
    );
    // The phone's DHCPv6 address, which it only claimed in duplicate address detection, is
    // its own; the camera says what it is in its host name ("garden-cam").
    let phone = with_mac(&r, "f0:18:98:97:00:30");
    assert!(phone.addresses.contains(&"fd97::13dd".to_string()));
    assert_eq!(cam.kind, "camera");
    // Redacted, the network's prefix and the cut forms of it appear nowhere.
    let mut red = r.clone();
    iotscope_report::redact::redact(&mut red);
    let json = serde_json::to_string(&red).unwrap();
    assert!(!json.contains("2a02:8071:97:10"));
}

/// The plug resolves its broker's name through the router's IPv6 resolver from a ULA address,
/// then connects over IPv4: its device looked the name up, so the broker is named and no
/// no-dns finding is raised.
#[test]
fn a_name_looked_up_from_one_address_names_the_devices_others() {
    let r = report(recorded("dualstack/dualstack-mqtt.pcap"));
    let plug = with_mac(&r, "24:0a:c4:97:00:10");
    assert!(plug
        .findings
        .iter()
        .all(|f| !(f.id == FindingId::NoDns && f.summary.contains("3.64.97.10"))));
    assert!(plug
        .endpoints
        .iter()
        .any(|e| e.name == "mqtt.plugcloud.example"));
    // MQTT without TLS across the internet: its messages, and commands back, in clear.
    let mqtt = plug
        .findings
        .iter()
        .find(|f| f.id == FindingId::UnsafeProtocol)
        .unwrap();
    assert_eq!(mqtt.subject, "uses mqtt to mqtt.plugcloud.example");
    assert_eq!(mqtt.severity, Severity::Medium);
}

/// The compromised camera's scans and floods (testdata/recorded/infected): nmap's 520 SYNs to
/// tcp/23 and 2323 over 260 hosts (3 accept, 4 refuse); the six telnet logins that followed are
/// no probes. Its DHCP vendor class `hi3518-ipcam` says camera.
#[test]
fn a_scan_counts_its_probes_and_its_refusals() {
    let r = report(recorded("infected/scan-brute.pcap"));
    let cam = with_mac(&r, "e0:50:8b:12:7f:2c");
    assert_eq!(cam.kind, "camera");
    let s = of(&r, FindingId::Scan);
    assert_eq!(s.len(), 1, "{s:?}");
    let f = s[0].1;
    assert_eq!(f.count, 520);
    assert_eq!(fact(f, "hosts tried"), "260");
    assert_eq!(fact(f, "hosts that accepted"), "3");
    assert_eq!(fact(f, "hosts that refused"), "4");
    assert_eq!(cam.verdict.rating, "likely compromised");
    // Two of the internet hosts it tried refused: not "no answer".
    assert!(
        cam.verdict.text.contains("which refused or never answered"),
        "{}",
        cam.verdict.text
    );
}

/// hping3's UDP flood sends 2400 datagrams of filler to udp/53 of a web server: no DNS message
/// in any of them, so no dns-bypass. The lookups sent straight to 8.8.8.8 are one.
#[test]
fn datagrams_to_port_53_that_hold_no_dns_are_no_bypass() {
    let r = report(recorded("infected/dns-flood.pcap"));
    let subjects: Vec<&str> = of(&r, FindingId::DnsBypass)
        .iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert_eq!(subjects, ["8.8.8.8"]);
}

/// The compromised camera tries six telnet logins on a neighbour, one connection each: five
/// answered "Login incorrect", the sixth let in (a shell prompt). That is password guessing:
/// a sign of compromise on the guesser, and told on the neighbour's telnet service.
#[test]
fn password_guessing_is_told_on_both_sides() {
    let r = report(recorded("infected/scan-brute.pcap"));
    let cam = with_mac(&r, "e0:50:8b:12:7f:2c");
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    let f = creds[0].1;
    assert_eq!(f.count, 6);
    assert_eq!(fact(f, "refused"), "5 of 6 (\"incorrect\")");
    assert_eq!(
        fact(f, "guessing"),
        "5 credentials tried, 5 refused, then let in as rvaadmin"
    );
    assert!(cam
        .verdict
        .text
        .contains("it guesses telnet passwords on Hangzhou Hikvision Digital Technology Co.,Ltd. (10.98.1.10) (5 credentials tried"));
    let victim = holding(&r, "10.98.1.10");
    let telnet = victim
        .findings
        .iter()
        .find(|f| f.id == FindingId::ExposedService && f.subject == "tcp/23 telnet")
        .unwrap();
    assert_eq!(
        fact(telnet, "password guessing"),
        "IPCAM-7F2C (10.98.1.50): 5 credentials tried, 5 refused, then let in as rvaadmin"
    );
    // Its clients were on the LAN: the finding keeps its severity.
    assert_eq!(telnet.severity, Severity::Low);
    assert!(victim
        .verdict
        .text
        .contains("someone guessed at its tcp/23 telnet passwords"));
    // A single accepted login is no guessing (record.sh telnet).
    let r = report(recorded("telnet-login.pcap"));
    let f = of(&r, FindingId::CleartextCredentials)[0].1;
    assert_eq!(fact(f, "refused"), "");
    assert_eq!(fact(f, "guessing"), "");
}

/// hping3's three floods of one host (testdata/recorded/infected/dns-flood.pcap): 1500 SYNs to
/// tcp/80, 2400 datagrams of filler to udp/53, 300 pings, each in a second or three. Each is a
/// flood (a sign of compromise), and none is an upload or a connectivity check.
#[test]
fn floods_are_told_apart_from_uploads_and_pings() {
    let r = report(recorded("infected/dns-flood.pcap"));
    let cam = with_mac(&r, "e0:50:8b:12:7f:2c");
    let floods: BTreeSet<(&str, &str)> = cam
        .findings
        .iter()
        .filter(|f| f.id == FindingId::Flood)
        .map(|f| (f.subject.as_str(), fact(f, "attempts")))
        .collect();
    assert_eq!(
        floods,
        BTreeSet::from([
            ("SYN flood to 93.184.216.34", "1500"),
            ("UDP flood to 93.184.216.34", "2400"),
            ("ping flood to 93.184.216.34", "300"),
        ])
    );
    assert!(of(&r, FindingId::Upload).is_empty());
    assert!(of(&r, FindingId::ConnectivityCheck).is_empty());
    assert_eq!(cam.verdict.rating, "likely compromised");
}

/// Legitimate traffic that looks like the judgements of a compromised device
/// (testdata/recorded/judgements): logins mistyped by several people, a stale saved password
/// retried, a typo or two, an FTP mirror's data connections, a video stream and metrics over
/// UDP on the LAN, a fast ping of an internet host. None of it is guessing, a flood, or a sign
/// of compromise.
#[test]
fn legitimate_traffic_is_no_sign_of_compromise() {
    for file in [
        "ftp-internet-users.pcap",
        "imap-stale-password.pcap",
        "login-typo.pcap",
        "ftp-mirror.pcap",
        "mpegts-udp.pcap",
        "statsd.pcap",
        "ping-fast-public.pcap",
    ] {
        let r = report(recorded(&format!("judgements/{file}")));
        for (d, f) in all(&r) {
            assert_ne!(
                d.verdict.rating, "likely compromised",
                "{file}: {}",
                d.label
            );
            assert_ne!(f.id, FindingId::Flood, "{file}: {}", f.subject);
            for label in ["guessing", "password guessing"] {
                assert_eq!(fact(f, label), "", "{file}: {} {}", d.label, f.subject);
            }
        }
    }
}

/// Attacks made with other tools (testdata/recorded/judgements): hydra guessing FTP passwords
/// from the internet (the LAN server is the victim, not compromised), medusa on POP3 (the
/// server refuses STLS: the logins stay in clear), ncrack on telnet (it closes before the
/// server answers), an ELF executable served chunked from a bare address.
#[test]
fn attacks_made_with_other_tools() {
    let r = report(recorded("judgements/hydra-ftp-from-internet.pcap"));
    let server = holding(&r, "10.96.1.10");
    assert_ne!(server.verdict.rating, "likely compromised");
    assert!(server
        .findings
        .iter()
        .any(|f| f.id == FindingId::ExposedService
            && fact(f, "password guessing").starts_with("61.177.172.90: ")));
    for file in ["medusa-pop3.pcap", "ncrack-telnet.pcap"] {
        let r = report(recorded(&format!("judgements/{file}")));
        let guesser = holding(&r, "10.96.1.50");
        assert_eq!(guesser.verdict.rating, "likely compromised", "{file}");
        let creds = of(&r, FindingId::CleartextCredentials);
        assert!(
            creds.iter().any(|(_, f)| !fact(f, "guessing").is_empty()),
            "{file}: {creds:?}"
        );
    }
    let r = report(recorded("judgements/dl-chunked-elf.pcap"));
    let dl = of(&r, FindingId::ProgramDownload);
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].1.severity, Severity::High);
    assert_eq!(fact(dl[0].1, "program"), "ELF executable");
    // The same program sent gzip-compressed (nginx's gzip, curl --compressed): it is inflated
    // enough to be seen. A compressed archive (a .tar.gz) and a Debian package are no programs.
    let r = report(recorded("judgements/dl-gzip-elf.pcap"));
    let dl = of(&r, FindingId::ProgramDownload);
    assert_eq!(dl.len(), 1);
    assert_eq!(dl[0].1.severity, Severity::High);
    assert_eq!(fact(dl[0].1, "program"), "gzip-compressed ELF executable");
    let r = report(recorded("judgements/dl-bare-deb-targz.pcap"));
    assert!(of(&r, FindingId::ProgramDownload).is_empty());
}

#[test]
fn dtls_handshakes_are_read_and_checked_like_tls() {
    // record.sh's dtls.pcap: libcoap's coaps client with a certificate (4 sessions, SNI
    // `localhost`) and with a PSK, then openssl's DTLS 1.2 and DTLS 1.0 sessions on udp/4433, all
    // to a self-signed server on a cloud address.
    let r = report(recorded("dtls.pcap"));
    let dev = holding(&r, "10.99.0.2");
    let tls: Vec<_> = of(&r, FindingId::TlsWeak)
        .into_iter()
        .map(|(_, f)| (f.subject.as_str(), fact(f, "problems")))
        .collect();
    // The obsolete version, from both hellos (tshark: ServerHello 0xfeff, cipher 0xc00a).
    assert!(tls.contains(&(
        "legacy.example-iot.com",
        "DTLS 1.0 agreed, client offers at most DTLS 1.0, self-signed certificate (legacy.example-iot.com)"
    )), "{tls:?}");
    assert!(tls.contains(&(
        "dtls.example-iot.com",
        "self-signed certificate (dtls.example-iot.com)"
    )));
    // `localhost` names no server on the internet: neither the finding nor the endpoint.
    assert!(tls.contains(&(
        "52.94.236.248",
        "self-signed certificate (coap.example-iot.com)"
    )));
    assert!(!tls
        .iter()
        .any(|(s, p)| s.contains("localhost") || p.contains("localhost")));
    // Each server name the client sent is a destination of its own, though one address serves
    // them all; the sessions that named `localhost` (no server on the internet) and the PSK ones
    // named none, and go to the busiest name of the address.
    let names: BTreeSet<&str> = dev.endpoints.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "coap.example-iot.com",
            "dtls.example-iot.com",
            "legacy.example-iot.com"
        ])
    );
    assert!(dev
        .endpoints
        .iter()
        .all(|e| e.addresses == ["52.94.236.248"]));
    // All but an ICMP port-unreachable that follows a client's exit is encrypted.
    let encrypted: u64 = dev.endpoints.iter().map(|e| e.bytes_encrypted).sum();
    assert!(encrypted > 18_000, "{encrypted}");
    let tls_of = |n: &str| &dev.endpoints.iter().find(|e| e.name == n).unwrap().tls;
    assert_eq!(tls_of("legacy.example-iot.com"), &["DTLS 1.0"]);
    assert_eq!(tls_of("dtls.example-iot.com"), &["DTLS 1.2"]);
    assert!(dev
        .endpoints
        .iter()
        .any(|e| e.services.iter().any(|s| s == "udp/5684 dtls/coap")));
    // PSK sessions carry no certificate and prove nothing wrong; no VPN here.
    assert!(of(&r, FindingId::Vpn).is_empty());

    // nDPI's captures: a DTLS 1.0 game relay's certificate, and a certificate chain sent in
    // fragments over two datagrams (tshark shows the same leaves).
    for name in ["nDPI__dtls2.pcap", "nDPI__dtls_certificate_fragments.pcap"] {
        let run = run(&[capture(name)], &Options::for_analysis());
        let certs: Vec<String> = run
            .flows
            .events
            .iter()
            .filter_map(|e| match &e.message {
                iotscope_proto::app::Message::Certificate(c) => c.common_name.clone(),
                _ => None,
            })
            .collect();
        let want = if name.contains("fragments") {
            "*.opera-mini.net"
        } else {
            "*.relay.ros.rockstargames.com"
        };
        assert_eq!(certs, [want], "{name}");
    }
}

#[test]
fn vpn_tunnels_are_findings() {
    // record.sh's vpn.pcap: OpenVPN 2.6 over udp/1194 and tcp/443, and wireguard-go on
    // udp/51820, from 10.99.0.2 to a cloud address.
    let r = report(recorded("vpn.pcap"));
    let v: Vec<_> = of(&r, FindingId::Vpn)
        .into_iter()
        .map(|(_, f)| (f.subject.as_str(), f.severity, fact(f, "service")))
        .collect();
    assert_eq!(
        v,
        [
            (
                "OpenVPN to 52.94.236.248",
                Severity::Medium,
                "tcp/443 openvpn, udp/1194 openvpn"
            ),
            (
                "WireGuard to 52.94.236.248",
                Severity::Medium,
                "udp/51820 wireguard"
            ),
        ]
    );
    let dev = holding(&r, "10.99.0.2");
    assert!(
        dev.verdict
            .text
            .contains("it keeps an encrypted WireGuard tunnel to 52.94.236.248"),
        "{}",
        dev.verdict.text
    );
    assert!(dev.endpoints.iter().all(|e| e.encrypted));

    // record.sh's ipsec.pcap: strongSwan's IKEv2 (udp/500, then 4500 behind the non-ESP
    // marker) and ESP in UDP, then a session on 4500 from its start: one IPsec tunnel.
    let r = report(recorded("ipsec.pcap"));
    let v = of(&r, FindingId::Vpn);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].1.subject, "IPsec to 52.94.236.248");
    assert_eq!(v[0].1.count, 2);
    assert_eq!(fact(v[0].1, "service"), "udp/4500 ipsec, udp/500 ipsec");

    // nmap's probes of the VPN ports (its IKE and OpenVPN payloads) from an internet address,
    // answered by ICMP port unreachable: no tunnel, and the ICMP errors are no pings.
    let r = report(recorded("judgements/vpn-probe-from-internet.pcap"));
    let server = holding(&r, "10.96.1.10");
    assert!(server.findings.is_empty(), "{:?}", server.findings);

    // nDPI's captures: OpenVPN on tcp/443 and on udp/13680 (no port of its own), WireGuard.
    let r = report(capture("nDPI__openvpn.pcap"));
    let v = of(&r, FindingId::Vpn);
    assert_eq!(v.len(), 3, "{v:?}");
    assert!(v.iter().all(|(_, f)| fact(f, "vpn") == "OpenVPN"));
    let r = report(capture("nDPI__wireguard.pcap"));
    let v = of(&r, FindingId::Vpn);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1.subject, "WireGuard to 139.162.192.157");
    // Cisco AnyConnect: its tunnel is DTLS in OpenSSL's pre-standard version (0x0100), beside
    // the TLS connection that set it up (which is no tunnel).
    let r = report(capture("nDPI__anyconnect-vpn.pcap"));
    let v = of(&r, FindingId::Vpn);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].1.subject, "Cisco AnyConnect to 8.37.102.91");
    assert_eq!(fact(v[0].1, "service"), "udp/443 dtls");

    // No tunnel, no finding: DTLS, QUIC, a camera's P2P and plain IoT traffic.
    for name in [
        "nDPI__dtls2.pcap",
        "nDPI__quic-v2.pcapng",
        "nDPI__iphone.pcap",
        "IoTSentinel__EdimaxCam1__Setup-A-3-STA.pcap",
    ] {
        assert!(
            of(&report(capture(name)), FindingId::Vpn).is_empty(),
            "{name}"
        );
    }
    for c in captures() {
        let name = c.file_name().unwrap().to_string_lossy().to_string();
        if ["openvpn", "wireguard", "anyconnect", "tor"]
            .iter()
            .any(|x| name.contains(x))
        {
            continue;
        }
        assert!(of(&report(c), FindingId::Vpn).is_empty(), "{name}");
    }
}

/// A report written as JSON and read back as a baseline, as `--baseline` reads it.
fn as_baseline(r: &Report, name: &str) -> iotscope_report::baseline::Baseline {
    let dir = std::env::temp_dir().join(format!("iotscope-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(r).unwrap()).unwrap();
    iotscope_report::baseline::Baseline::load(&path).unwrap()
}

fn report_against(path: PathBuf, base: &iotscope_report::baseline::Baseline) -> Report {
    let r = run(&[path], &Options::for_analysis());
    iotscope_report::from_run_on(
        &r,
        &Local::new(&[]).unwrap(),
        None,
        Default::default(),
        Some(base),
        1,
    )
}

#[test]
fn drift_from_a_baseline_report() {
    // A capture compared with its own report changes nothing.
    for name in [
        "IoTSentinel__HueBridge__Setup-A-2-STA.pcap",
        "nDPI__iphone.pcap",
        "IoTSentinel__D-LinkHomeHub__Setup-C-3-STA.pcap",
    ] {
        let base = as_baseline(&report(capture(name)), "self.json");
        let r = report_against(capture(name), &base);
        assert!(of(&r, FindingId::Drift).is_empty(), "{name}");
    }

    // record.sh's dtls.pcap and vpn.pcap were recorded in one run, from the same client (one
    // MAC): the device that spoke CoAPS now keeps VPN tunnels to the same address.
    let before = report(recorded("dtls.pcap"));
    let base = as_baseline(&before, "before.json");
    let r = report_against(recorded("vpn.pcap"), &base);
    let client = holding(&r, "10.99.0.2");
    assert_eq!(
        Some(client.id.as_str()),
        before
            .devices
            .iter()
            .find(|d| d.addresses.iter().any(|a| a == "10.99.0.2"))
            .map(|d| d.id.as_str())
    );
    let drift = of(&r, FindingId::Drift);
    assert_eq!(drift.len(), 1, "{drift:?}");
    let (d, f) = drift[0];
    assert_eq!(d.id, client.id);
    assert_eq!(f.subject, "since before.json");
    // The same address, named by the TLS server name before: no new destination.
    assert_eq!(fact(f, "new destinations"), "");
    assert_eq!(
        fact(f, "new services"),
        "tcp/443 openvpn, udp/1194 openvpn, udp/51820 wireguard"
    );
    assert!(fact(f, "new findings").starts_with("vpn OpenVPN to 52.94.236.248 (medium)"));
    // New medium findings make the drift medium. The destination is the same address: not gone.
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "destinations not seen again"), "");
    assert!(!f.frames.is_empty());
    assert!(
        client.verdict.text.contains(
            "Since the baseline report: new services: tcp/443 openvpn, udp/1194 openvpn, \
             udp/51820 wireguard; new findings: vpn OpenVPN to 52.94.236.248 (medium)"
        ),
        "{}",
        client.verdict.text
    );
    // The change is told apart from the weaknesses, and weighs nothing in the rating.
    assert!(!client.verdict.text.contains("Weaknesses: it changed"));
    assert!(client.verdict.text.starts_with("Needs attention."));
    assert!(r.catalogue.iter().any(|e| e.id == FindingId::Drift));

    // A TLS problem the baseline did not have (here taken out of the earlier report: as if the
    // server had offered TLS 1.2 then) is a change, though the finding's server and severity
    // are the same.
    let mut earlier = report(recorded("dtls.pcap"));
    for d in &mut earlier.devices {
        for f in d
            .findings
            .iter_mut()
            .filter(|f| f.subject == "legacy.example-iot.com")
        {
            for x in f.facts.iter_mut().filter(|x| x.label == "problems") {
                x.value = "self-signed certificate (legacy.example-iot.com)".into();
            }
        }
    }
    let r = report_against(
        recorded("dtls.pcap"),
        &as_baseline(&earlier, "earlier.json"),
    );
    let drift = of(&r, FindingId::Drift);
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        fact(drift[0].1, "new findings"),
        "tls-weak legacy.example-iot.com (medium)"
    );

    // Every device of another network is new.
    let base = as_baseline(&report(capture("nDPI__iphone.pcap")), "other.json");
    let r = report_against(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"), &base);
    let drift = of(&r, FindingId::Drift);
    assert_eq!(drift.len(), r.devices.len());
    assert!(drift
        .iter()
        .all(|(_, f)| f.subject == "new device" && f.severity == Severity::Low));
}

/// A classic pcap cut in two at the middle of its time span (as `editcap -B/-A` cuts it): each
/// half is the capture's own records.
fn halves(path: PathBuf, dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian microsecond pcap"
    );
    let (head, mut rest) = bytes.split_at(24);
    let mut records: Vec<(f64, &[u8])> = Vec::new();
    while rest.len() >= 16 {
        let u32_at = |i: usize| u32::from_le_bytes(rest[i..i + 4].try_into().unwrap());
        let t = f64::from(u32_at(0)) + f64::from(u32_at(4)) / 1e6;
        let n = 16 + u32_at(8) as usize;
        records.push((t, &rest[..n]));
        rest = &rest[n..];
    }
    let (lo, hi) = records
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), r| (a.min(r.0), b.max(r.0)));
    let mid = lo + (hi - lo) / 2.0;
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let mut out = Vec::new();
    for (tag, first_half) in [("a", true), ("b", false)] {
        let mut v = head.to_vec();
        for (t, r) in &records {
            if (*t < mid) == first_half {
                v.extend_from_slice(r);
            }
        }
        let p = dir.join(format!("{stem}-{tag}.pcap"));
        std::fs::write(&p, v).unwrap();
        out.push(p);
    }
    (out[0].clone(), out[1].clone())
}

#[test]
fn drift_is_not_the_same_behaviour_seen_again() {
    // The second half of a device's capture against a report of its first half: what the same
    // firmware does again is no drift, whatever names, NTP pool servers or labels it came under.
    let dir = std::env::temp_dir().join(format!("iotscope-halves-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        // NTP from the pool's rotating servers, tried unanswered in the first half.
        "IoTSentinel__TP-LinkPlugHS110__Setup-A-5-STA.pcap",
        // The same TLS 1.0 server, reached under two names.
        "IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap",
        // A relay handed out at another address of the same network.
        "IoTSentinel__WeMoLink__Setup-C-1-STA.pcap",
    ] {
        let (a, b) = halves(capture(name), &dir);
        let base = as_baseline(&report(a), "first-half.json");
        let r = report_against(b, &base);
        let drift: Vec<_> = of(&r, FindingId::Drift)
            .into_iter()
            .filter(|(_, f)| f.subject != "new device")
            .collect();
        assert!(drift.is_empty(), "{name}: {drift:?}");
    }
    // The D-Link hub's second half: after setup it downloads its agent (an ELF) over plain HTTP
    // from S3 and moves to relays in Germany: a change, medium for its new findings.
    let (a, b) = halves(
        capture("IoTSentinel__D-LinkHomeHub__Setup-C-3-STA.pcap"),
        &dir,
    );
    let base = as_baseline(&report(a), "first-half.json");
    let r = report_against(b, &base);
    let hub = r.devices.iter().find(|d| d.label == "dchg.local").unwrap();
    let drift: Vec<&FindingReport> = hub
        .findings
        .iter()
        .filter(|f| f.id == FindingId::Drift)
        .collect();
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].severity, Severity::Medium);
    assert!(
        fact(drift[0], "new findings").starts_with("program-download s3-us-west-2.amazonaws.com")
    );
    assert!(fact(drift[0], "new destinations").contains("r0801.dch.dlink.com (DE)"));
}

#[test]
fn a_tor_client_keeps_tunnels_not_weak_tls() {
    // nDPI's tor.pcap: a Tor client's links to five relays. Their random certificate names
    // match no server name on purpose; that is Tor, not a TLS weakness.
    let r = report(capture("nDPI__tor.pcap"));
    let tor: BTreeSet<&str> = of(&r, FindingId::Vpn)
        .iter()
        .filter(|(_, f)| fact(f, "vpn") == "Tor")
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert_eq!(
        tor,
        BTreeSet::from([
            "Tor to 38.229.70.53",
            "Tor to 46.59.52.31",
            "Tor to 62.210.137.230",
            "Tor to 91.143.93.242",
            "Tor to 212.83.155.250",
        ])
    );
    for (_, f) in of(&r, FindingId::Vpn) {
        assert_eq!(f.severity, Severity::Medium, "{}", f.subject);
    }
    let weak: Vec<&str> = of(&r, FindingId::TlsWeak)
        .iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert!(weak.iter().all(|s| !s.starts_with("www.")), "{weak:?}");
    // Ordinary TLS beside it (Microsoft's, with a real certificate) is no Tor.
    assert_eq!(of(&r, FindingId::Vpn).len(), 5);
}

#[test]
fn a_ubiquiti_gateway_says_what_it_is() {
    // nDPI's ubntac2.pcap: a UniFi Security Gateway's discovery announcements on udp/10001,
    // which Kalay's P2P port would otherwise name.
    let r = report(capture("nDPI__ubntac2.pcap"));
    let d = with_mac(&r, "80:2a:a8:8d:69:2c");
    assert_eq!(d.kind, "router/ap");
    assert_eq!(d.because.as_deref(), Some("ubnt-model=UGW3"));
    assert!(d.names.iter().any(|n| n == "ubnt"), "{:?}", d.names);
    assert!(
        d.verdict
            .text
            .contains("it uses Ubiquiti's discovery protocol (broadcast)"),
        "{}",
        d.verdict.text
    );
    assert!(!d.verdict.text.contains("kalay"), "{}", d.verdict.text);
}

#[test]
fn syns_that_carry_data_but_are_never_answered_are_a_scan_not_a_protocol() {
    // Two scans of 501 ports that nothing answers, one with 22 bytes in every SYN; and SYNs
    // with text to tcp/21 (FTP) of a third host, also unanswered.
    let r = report(capture("pcap_inspector__trace.pcap"));
    let scans: Vec<&str> = of(&r, FindingId::Scan)
        .iter()
        .map(|(_, f)| f.subject.as_str())
        .collect();
    assert!(scans.contains(&"ports of 192.168.5.5"), "{scans:?}");
    assert!(scans.contains(&"ports of 192.168.1.10"), "{scans:?}");
    // No handshake, no session: neither SMTP, FTP nor DNS over TLS was used.
    for id in [FindingId::UnsafeProtocol, FindingId::EncryptedDns] {
        assert!(of(&r, id).is_empty(), "{id:?}: {:?}", of(&r, id));
    }
}

#[test]
fn a_plain_http_download_seen_from_its_middle_is_cleartext_http() {
    // curl fetches 1.5 MB from nginx on a public address at 500 kB/s; tcpdump starts 1.5 s in:
    // no handshake and no request in the capture, only the body from port 80.
    let r = report(recorded("midstream.pcap"));
    let h = of(&r, FindingId::CleartextHttp);
    assert_eq!(h.len(), 1, "{h:?}");
    let (dev, f) = h[0];
    assert!(dev.addresses.contains(&"10.99.0.2".to_string()));
    assert_eq!(f.subject, "52.94.236.248");
    assert_eq!(f.severity, Severity::Medium);
    assert!(
        fact(f, "requests").starts_with("none seen: a transfer of"),
        "{:?}",
        f.facts
    );
    assert!(
        !dev.verdict.text.contains("No weakness"),
        "{}",
        dev.verdict.text
    );
}

#[test]
fn hosts_beyond_a_tunnel_to_the_internet_are_another_sites() {
    // A VXLAN tunnel from 10.99.0.2 to 203.0.113.66; through it, curl and ping reach 172.28.2.3,
    // a private address of the other site, and 172.30.0.2, the far end's tunnel address.
    let r = report(recorded("site-tunnel.pcap"));
    let held: Vec<&String> = r.devices.iter().flat_map(|d| &d.addresses).collect();
    for far in ["172.28.2.3", "172.30.0.2"] {
        assert!(
            !held.contains(&&far.to_string()),
            "{far} is a device: {held:?}"
        );
    }
    // The near end of the tunnel is this network's: its device fetched the page.
    let near = holding(&r, "172.30.0.1");
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1, "{http:?}");
    assert_eq!(http[0].0.id, near.id);
    assert_eq!(
        fact(http[0].1, "server"),
        "172.28.2.3 (the site beyond the tunnel to 203.0.113.66)"
    );
    // One tunnel, whichever end sent: both directions are one finding, on the host at this end.
    let t = of(&r, FindingId::Tunnel);
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(t[0].1.subject, "VXLAN with 203.0.113.66");
    assert!(holding(&r, "10.99.0.2").id == t[0].0.id);
    // Nothing was inbound: no service of any device was reached from beyond the tunnel.
    assert!(of(&r, FindingId::ExposedService).is_empty());
    // Each end sent on its own flow: the far end answered, nothing was only tried.
    let dev = holding(&r, "10.99.0.2");
    assert!(
        !dev.verdict.text.contains("no answer"),
        "{}",
        dev.verdict.text
    );
    assert_eq!(r.network.outside_tunnelled, 0);
}

#[test]
fn a_capture_of_one_direction_says_so() {
    // A firewall's log of four DNS answers from the internet to 10.0.0.20: nothing 10.0.0.20 sent
    // is in it, so it is no device, and the report says why instead of looking idle.
    let r = report(capture("tcpdump__nflog.pcap"));
    assert!(r.devices.is_empty());
    assert_eq!(r.network.receive_only, ["10.0.0.20"]);
    assert_eq!(r.network.receive_only_count, 1);
    let text = iotscope_report::terminal::render(&r);
    assert!(text.contains("one direction only"), "{text}");
    assert!(!text.contains("No local device"), "{text}");
    // The HTML report says it too.
    assert!(iotscope_report::html::render(&r).contains("one direction only"));
    // Hosts that also sent are not listed, whatever else they received; nor is a host that
    // left the network, whose servers were still closing its connections (nDPI's android:
    // 192.168.2.17 only gets FIN retransmissions and TLS alerts from 17.248.176.75, tshark
    // `ip.dst==192.168.2.17`).
    for name in [
        "nDPI__iphone.pcap",
        "nDPI__teredo.pcap",
        "nDPI__android.pcap",
    ] {
        assert_eq!(
            report(capture(name)).network.receive_only_count,
            0,
            "{name}"
        );
    }
}

#[test]
fn a_group_address_ttl_says_nothing_of_routers() {
    // The router 192.168.0.1 announces itself by SSDP with TTL 127, from its own MAC: a TTL its
    // SSDP program chose for the multicast group, not a hop crossed. It is its own device,
    // keyed by its MAC, and no host behind another one.
    let r = report(capture("ja4plus__dns.cap"));
    let router = holding(&r, "192.168.0.1");
    assert_eq!(router.mac.as_deref(), Some("00:13:46:0b:22:ba"));
    assert_eq!(router.behind, None);
    assert_eq!(router.kind, "router/ap");
    assert_eq!(
        r.devices.len(),
        2,
        "{:?}",
        r.devices.iter().map(|d| &d.id).collect::<Vec<_>>()
    );
}

#[test]
fn a_host_seen_again_as_it_is_routed_on_is_one_device() {
    // A Kubernetes node captured on every interface: the pod 172.16.166.133 sends from its own
    // MAC with TTL 64, and each packet is seen again as the node routes it out under Calico's
    // ee:ee:ee:ee:ee:ee with TTL 63. One pod, one device, keyed by its own MAC.
    let r = report(capture("pypacker__mqtt_over_linuxcc.pcap"));
    assert_eq!(holders(&r, "172.16.166.133"), ["82:a2:82:c5:2f:78"]);
    // Pods of other nodes, which arrive only routed, are still hosts behind the node.
    assert_eq!(
        holding(&r, "172.16.192.90").behind.as_deref(),
        Some("ee:ee:ee:ee:ee:ee")
    );
}

#[test]
fn hosts_are_named_by_the_netbios_datagrams_they_send() {
    // Windows' browser announcements (udp/138) in nDPI's netbios capture: tshark reads the source
    // names NVR9<20> from 10.0.5.9 and BOWIE<20> from 10.0.5.93, to VIGILANT_GROUP<1d>.
    let r = report(capture("nDPI__netbios.pcap"));
    assert!(holding(&r, "10.0.5.9").names.contains(&"NVR9".to_string()));
    assert!(holding(&r, "10.0.5.93")
        .names
        .contains(&"BOWIE".to_string()));
    // The group a datagram is for names nobody.
    assert!(!r
        .devices
        .iter()
        .any(|d| d.names.iter().any(|n| n == "VIGILANT_GROUP")));
}

#[test]
fn a_router_beyond_the_link_that_only_sends_errors_is_no_device() {
    // 192.168.1.1 answers four of the client's segments to the internet with ICMP
    // fragmentation-needed, through the NETGEAR router's MAC with TTL 63, and sends nothing
    // else: a router on the path beyond the link, not a host behind the NETGEAR.
    let r = report(capture("npm_pcap-parser__smtp.pcap"));
    assert!(holders(&r, "192.168.1.1").is_empty());
    let netgear = with_mac(&r, "00:1f:33:d9:81:60");
    assert_eq!(netgear.addresses, ["10.10.1.1"]);
    assert_eq!(netgear.kind, "router/ap");
    // The client's mail in clear is still told, with the server's name.
    let (d, f) = of(&r, FindingId::CleartextCredentials)
        .into_iter()
        .next()
        .expect("the SMTP login");
    assert_eq!(d.addresses, ["10.10.1.4"]);
    assert_eq!(f.subject, "smtp to mail.patriots.in");
}

#[test]
fn a_socks_proxy_is_named_and_the_tls_it_carries_is_read() {
    // Three HTTPS connections through a SOCKS 4 proxy on the LAN: the service is SOCKS, and the
    // TLS inside it is read as a connection's own (a certificate that does not cover the name).
    let r = report(capture("ja4plus__socks-https-example.pcap"));
    let proxy = holding(&r, "10.180.156.249");
    let exposed = findings_of(proxy, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].subject, "tcp/1080 socks");
    // What its clients asked it to reach: an address (SOCKS 4), then a name (SOCKS 4a).
    assert_eq!(
        fact(exposed[0], "reached through it"),
        "93.184.216.119:443, www.example.com:443"
    );
    // SOCKS 4a on a port of its own: the request comes before the grant that tells SOCKS by
    // content, and is still read.
    let r4 = report(capture("ja4plus__socks4-https.pcap"));
    let exposed = findings_of(holding(&r4, "10.0.0.2"), FindingId::ExposedService);
    assert_eq!(exposed[0].subject, "tcp/9901 socks");
    assert_eq!(fact(exposed[0], "reached through it"), "login.live.com:443");
    let client = holding(&r, "10.180.156.185");
    let tls = findings_of(client, FindingId::TlsWeak)[0];
    assert_eq!(tls.subject, "www.example.com");
    assert!(
        fact(tls, "problems")
            .contains("certificate for gp1.wac.edgecastcdn.net does not cover www.example.com"),
        "{}",
        fact(tls, "problems")
    );
    // SOCKS 5 with a login (record.sh socks): the proxy is named by its address, not by the
    // name of the host the client reached through it, and the refused login is counted.
    let r = report(recorded("socks.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    let f = creds[0].1;
    assert_eq!(f.subject, "socks to 10.99.0.1");
    assert_eq!(fact(f, "refused"), "1 of 3 (status 2)");
    // The plain HTTP it carried is cleartext-http, with the host the client asked for.
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].1.subject, "10.99.0.1:1080");
    assert_eq!(
        fact(http[0].1, "hosts through the proxy"),
        "sensor.iotscope.test"
    );
    assert_eq!(fact(http[0].1, "requests"), "GET /status.json");
    let proxy = holding(&r, "10.99.0.1");
    assert_eq!(
        fact(
            findings_of(proxy, FindingId::ExposedService)[0],
            "reached through it"
        ),
        "127.0.0.1:80, 127.0.0.1:8443"
    );
    assert_eq!(
        tls_names(recorded("socks.pcap")).0,
        ["sensor.iotscope.test"]
    );
}

#[test]
fn a_gateway_answering_from_a_second_mac_is_one_device() {
    // The Meraki gateway 172.16.224.1 answers ARP from 68:3a:1e:20:05:cc and DNS from
    // e0:cb:bc:90:9e:29, a MAC of the same maker that claims no address: one device.
    let r = report(capture("ja4plus__latest.pcapng"));
    assert_eq!(holders(&r, "172.16.224.1"), ["68:3a:1e:20:05:cc"]);
    let gw = with_mac(&r, "68:3a:1e:20:05:cc");
    assert_eq!(gw.kind, "router/ap");
    assert!(
        gw.findings
            .iter()
            .any(|f| f.id == FindingId::ExposedService && f.subject == "udp/53 dns"),
        "{:?}",
        gw.findings.iter().map(|f| &f.subject).collect::<Vec<_>>()
    );
}

#[test]
fn an_http_proxys_tunnel_is_read_as_the_tls_it_carries() {
    // CONNECT through an HTTP proxy, then TLS: the CONNECT names only the destination (as an
    // SNI would) and the rest is encrypted, so there is no cleartext-http; the proxy is not
    // named after the destination; the TLS inside is read.
    let r = report(capture("ja4plus__https-connect.pcap"));
    assert!(of(&r, FindingId::CleartextHttp).is_empty());
    let proxy = holding(&r, "10.9.8.7");
    let exposed = findings_of(proxy, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].subject, "tcp/8080 http");
    let client = holding(&r, "10.11.12.13");
    let peer = findings_of(client, FindingId::LanPeer)[0];
    assert!(peer.subject.ends_with("(10.9.8.7)"), "{}", peer.subject);
    assert_eq!(
        tls_names(capture("ja4plus__https-connect.pcap")).1,
        ["lfoup01-b.cloudsink.net"]
    );
    let read = run(
        &[capture("ja4plus__https-connect.pcap")],
        &Options::for_analysis(),
    );
    assert_eq!(read.flows.flows[0].app.encrypted(), Some(true));
    // tinyproxy with a login (record.sh http-proxy): a CONNECT whose tunnel carried TLS and a
    // GET of a whole URL, each with Proxy-Authorization. Both logins are told (never the
    // password), only the GET is plain HTTP, and the proxy is not credited with the Server
    // header of the server it fetched from.
    let r = report(recorded("http-proxy.pcap"));
    let creds = of(&r, FindingId::CleartextCredentials);
    assert_eq!(creds.len(), 1);
    assert_eq!(creds[0].1.count, 2);
    assert_eq!(fact(creds[0].1, "user"), "iotuser");
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].1.count, 1);
    assert_eq!(
        fact(http[0].1, "requests"),
        "GET http://10.99.0.1/status.json"
    );
    let proxy = holding(&r, "10.99.0.1");
    let exposed = findings_of(proxy, FindingId::ExposedService)[0];
    assert_eq!(exposed.subject, "tcp/8888 http");
    assert_eq!(fact(exposed, "server software"), "");
    assert_eq!(
        fact(exposed, "reached through it"),
        "10.99.0.1, sensor.iotscope.test:8443"
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("Pr0xy-Passw0rd"));
    assert_eq!(
        tls_names(recorded("http-proxy.pcap")).0,
        ["sensor.iotscope.test"]
    );
}

#[test]
fn a_device_relaying_strangers_connections_is_likely_compromised() {
    // record.sh proxy-relay: a client on the internet asks the LAN device's SOCKS service for an
    // HTTPS site on the internet, and the device connects there itself.
    let r = report(recorded("proxy-relay.pcap"));
    let dev = holding(&r, "10.99.0.1");
    let exposed = findings_of(dev, FindingId::ExposedService);
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].subject, "tcp/1080 socks");
    assert_eq!(exposed[0].severity, Severity::High);
    assert_eq!(fact(exposed[0], "reached through it"), "198.51.100.80:443");
    assert_eq!(dev.verdict.rating, "likely compromised");
    assert!(
        dev.verdict.text.contains(
            "Signs of compromise: it relays connections from the internet to other hosts \
             (tcp/1080 socks: 198.51.100.80:443)"
        ),
        "{}",
        dev.verdict.text
    );
    // A proxy its owner's LAN clients use is an exposed service, not a sign of compromise.
    let lan = report(capture("ja4plus__socks-https-example.pcap"));
    assert_eq!(
        holding(&lan, "10.180.156.249").verdict.rating,
        "mostly fine"
    );
}

#[test]
fn a_fallback_hello_says_nothing_of_the_most_a_client_offers() {
    // nDPI's tls_alert: a TLS 1.0 hello that carries TLS_FALLBACK_SCSV is a retry below the
    // client's best (RFC 7507), and the server refused it: no session, no weakness of the client.
    let r = report(capture("nDPI__tls_alert.pcap"));
    // The hello was read: its SNI is a name the client contacts.
    let client = holding(&r, "192.168.1.192");
    assert_eq!(
        client.evidence,
        ["contacts=www.google-analytics.com (frame 4)"]
    );
    assert!(of(&r, FindingId::TlsWeak).is_empty());
}

#[test]
fn a_stations_global_ipv6_addresses_are_its_own() {
    // nDPI's quic_interop_V: a dual-stack host with no router advertisement in the capture.
    // Its MAC sends from one /64 to the router's, which forwards a dozen others: the host's
    // IPv6 half is its own, not "outside flows".
    let r = report(capture("nDPI__quic_interop_V.pcapng"));
    let d = holding(&r, "192.168.1.128");
    assert_eq!(
        d.addresses,
        ["192.168.1.128", "2001:b07:ac9:d5ae:a4d3:fe47:691e:807d"]
    );
    assert_eq!(r.network.outside_flows, 0);
    assert!(d
        .endpoints
        .iter()
        .any(|e| e.addresses.iter().any(|a| a.contains(':'))));
}

#[test]
fn reverse_lookups_and_bare_labels_are_no_contacts() {
    // nDPI's starcraft_battle: a PC looks up the names of addresses (in-addr.arpa) besides the
    // servers it contacts; only the servers are evidence of what it talks to.
    let r = report(capture("nDPI__starcraft_battle.pcap"));
    let contacts: Vec<&String> = r
        .devices
        .iter()
        .flat_map(|d| &d.evidence)
        .filter(|e| e.starts_with("contacts="))
        .collect();
    assert!(!contacts.is_empty());
    for c in contacts {
        let name = c["contacts=".len()..].split(' ').next().unwrap_or("");
        assert!(name.contains('.') && !name.ends_with(".arpa"), "{c}");
    }
}

#[test]
fn dns_answers_in_the_routers_name_from_another_host_are_forged() {
    // nDPI's telegram: the iMac asks the router (192.168.1.1, at its MAC) and a Raspberry Pi
    // answers in the router's name with a LAN address, as DNS spoofing does.
    let r = report(capture("nDPI__telegram.pcap"));
    let forged = of(&r, FindingId::ForgedDns);
    assert_eq!(forged.len(), 1, "{forged:?}");
    let (d, f) = forged[0];
    assert_eq!(d.mac.as_deref(), Some("00:80:8f:9a:ae:bd"));
    assert_eq!(f.subject, "answers as 192.168.1.1");
    assert_eq!(f.severity, Severity::High);
    assert!(fact(f, "address's own MAC").starts_with("10:13:31:f1:39:76"));
    assert_eq!(fact(f, "addresses given"), "192.168.1.157");
    assert_eq!(f.frames, [390, 708]);
    // A router passing on the answers of the resolvers beyond it forges nothing: no other
    // capture has the finding.
    for path in captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name != "nDPI__telegram.pcap" {
            assert!(of(&report(path), FindingId::ForgedDns).is_empty(), "{name}");
        }
    }
}

/// A lookup over TCP to a resolver on port 8053 (tcpdump's test capture): DNS by its content,
/// as on UDP. The name it binds is read, and the resolver is a bypass on tcp/8053, not an
/// address contacted without a lookup.
#[test]
fn dns_over_tcp_on_a_port_of_its_own_is_dns() {
    let r = report(capture("tcpdump__dns_tcp_8053.pcap"));
    let bypass = of(&r, FindingId::DnsBypass);
    assert_eq!(bypass.len(), 1);
    assert_eq!(fact(bypass[0].1, "port"), "tcp/8053 (DNS's own is 53)");
    assert_eq!(fact(bypass[0].1, "names asked"), "www.tcpdump.org");
    assert!(of(&r, FindingId::NoDns).is_empty());
}

/// A redundancy group's virtual MAC is shared by its routers: seven VRRP routers sending from
/// the groups' MACs are seven routers, known by their own addresses (IPv6 ones by the MAC their
/// link-local address was made from), not one "device" of IANA holding seven addresses. The
/// office LAN's two active HSRP gateways are two routers.
#[test]
fn routers_of_a_redundancy_group_are_told_apart() {
    let r = report(capture("tcpdump__vrrp.pcap"));
    for n in 91..=97 {
        let d = holding(&r, &format!("10.0.0.{n}"));
        assert_eq!(d.addresses.len(), 1, "{}", d.id);
        assert_eq!(d.kind, "router/ap", "{}", d.id);
    }
    let v6 = holding(&r, "fe80::d6ca:6dff:fe65:d45c");
    assert_eq!(v6.mac.as_deref(), Some("d4:ca:6d:65:d4:5c"));
    assert_eq!(v6.kind, "router/ap");
    assert!(r.devices.iter().all(|d| !d
        .mac
        .as_deref()
        .is_some_and(|m| m.starts_with("00:00:5e:00:0"))));

    let r = report(capture("wireshark__logistics_multicast.pcapng"));
    let a = holding(&r, "172.28.154.124");
    let b = holding(&r, "172.28.156.253");
    assert_ne!(a.id, b.id);
    assert_eq!(
        (a.kind.as_str(), b.kind.as_str()),
        ("router/ap", "router/ap")
    );
}

/// A router with four addresses on one link, in BGP sessions with a neighbour on each (tcpdump's
/// bgp-4byte-asn: one MAC answers ARP for all four, its sessions come with TTL 1, external
/// BGP's default). Its addresses are this link's, not the internet's: its neighbours accept
/// BGP from the LAN (low), not from "clients on the internet" in China and Australia (high),
/// and every BGP speaker is a router.
#[test]
fn a_routers_addresses_on_the_link_are_not_the_internet() {
    let r = report(capture("tcpdump__bgp-4byte-asn.pcap"));
    let router = with_mac(&r, "02:01:00:01:00:00");
    for a in ["1.0.0.2", "1.0.2.2", "1.0.3.1", "1.0.4.1"] {
        assert!(router.addresses.iter().any(|x| x == a), "{a}");
    }
    assert!(all(&r).iter().all(|(_, f)| f.severity < Severity::Medium));
    assert_eq!(of(&r, FindingId::ExposedService).len(), 4);
    assert!(r.devices.iter().all(|d| d.kind == "router/ap"));
}

/// DHCP passed on by a relay agent (tcpdump's dhcp-rfc4388): the client it asks for is on
/// other subnets, no device of this link; the relay, which sends the requests on from its own
/// address there, is the router, and the server of those subnets is not.
#[test]
fn a_dhcp_relay_is_the_router_and_its_clients_are_not_here() {
    let r = report(capture("tcpdump__dhcp-rfc4388.pcap"));
    assert!(r
        .devices
        .iter()
        .all(|d| d.mac.as_deref() != Some("5a:4f:34:b1:af:66")));
    assert_eq!(with_mac(&r, "74:83:ef:07:d0:a9").kind, "router/ap");
    assert_ne!(with_mac(&r, "a6:82:4b:c9:a1:a7").kind, "router/ap");
}

/// Frames without MACs (tcpflow's local2, a null link type): a host known only by its
/// addresses is one device when its own mDNS answer gives its name both of them, not two
/// "Mucha.local" devices that split its traffic.
#[test]
fn a_host_without_a_mac_is_one_device_by_its_own_answer() {
    let r = report(capture("tcpflow__local2.pcap"));
    let d = holding(&r, "192.168.1.12");
    assert!(d.addresses.iter().any(|a| a == "fe80::e6ce:8fff:fe05:ebda"));
    assert_eq!(r.devices.len(), 1);
}

/// An HTTP request head whose last segment the capture lost (Wireshark's tcp-badsegments): its
/// whole lines still say what was asked and of whom, as tshark reads them.
#[test]
fn an_http_head_cut_by_a_gap_keeps_its_whole_lines() {
    let r = report(capture("wireshark__tcp-badsegments.pcap"));
    let http = of(&r, FindingId::CleartextHttp);
    assert_eq!(http.len(), 1);
    assert_eq!(http[0].1.subject, "localhost");
}

/// A server that answered faster than light could come back from the country its registry
/// names is a nearer edge: that country is dropped, and said (`nearer_than`). The site is voted
/// on by the servers of networks that sit where they are registered. The Hue bridge's capture:
/// Rackspace in GB answers in 14 and 15 ms, Google's bridge.meethue.com ("US") in 37 ms, and
/// the nearest US town is over 4 000 km from any British one. The iPhone's: only Apple and
/// Akamai servers, which vote together; Akamai's "AR", "BR" and "JP" answer in 34-38 ms, as its
/// "NL" and "IT" do.
#[test]
fn countries_the_round_trips_rule_out_are_dropped() {
    let edges = |file: &str| -> Vec<(String, String)> {
        let r = report(capture(file));
        r.devices
            .iter()
            .flat_map(|d| &d.endpoints)
            .filter_map(|e| {
                assert!(e.nearer_than.is_none() || e.country.is_none(), "{e:?}");
                Some((e.name.clone(), e.nearer_than.clone()?))
            })
            .collect()
    };
    assert_eq!(
        edges("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"),
        [("bridge.meethue.com".to_string(), "US".to_string())]
    );
    let hue = report(capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"));
    assert!(!hue.network.countries.iter().any(|c| c == "US"));
    let ruled_out: BTreeSet<String> = edges("nDPI__iphone.pcap")
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        ruled_out,
        BTreeSet::from(["AR", "BR", "JP", "US"].map(String::from))
    );
    let iphone = report(capture("nDPI__iphone.pcap"));
    for kept in ["NL", "IT"] {
        assert!(iphone.network.countries.iter().any(|c| c == kept), "{kept}");
    }
    // Captures whose servers all fit one place, or that measured no round trip, keep every
    // registered country.
    for file in [
        "IoTSentinel__Aria__Setup-C-1-STA.pcap",
        "IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap",
        "nDPI__nest_log_sink.pcap",
    ] {
        assert!(edges(file).is_empty(), "{file}");
    }
}

/// chronyd on the router serving the LAN its time (record.sh in testdata/recorded/home): time
/// for the LAN is a note, whether or not the host was recognised as the router.
#[test]
fn a_time_server_for_the_lan_is_a_note() {
    let r = report(recorded("home/ntp.pcap"));
    let ntp: Vec<&FindingReport> = of(&r, FindingId::ExposedService)
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| f.subject == "udp/123 ntp")
        .collect();
    assert!(!ntp.is_empty());
    assert!(ntp.iter().all(|f| f.severity == Severity::Info), "{ntp:?}");
}

/// Cipher suites the server agreed to that protect little: ja4plus's socks-https-example
/// reaches www.example.com through a SOCKS proxy, and the server picks RC4 (tshark:
/// tls.handshake.ciphersuite 0x0005 in the ServerHellos of frames 9, 39 and 72). In nDPI's
/// alexa-app, TLS 1.0 was the server's choice where the client offered TLS 1.2 (frames 203,
/// 227 and 233, tls.handshake.version 0x0301): the server is the one to fix.
#[test]
fn weak_cipher_suites_and_old_versions_the_server_chose() {
    let r = report(capture("ja4plus__socks-https-example.pcap"));
    let weak: Vec<&str> = of(&r, FindingId::TlsWeak)
        .into_iter()
        .map(|(_, f)| fact(f, "problems"))
        .collect();
    assert!(
        weak.iter()
            .any(|p| p.contains("weak cipher suite agreed: RC4 (TLS_RSA_WITH_RC4_128_SHA)")),
        "{weak:?}"
    );
    let r = report(capture("nDPI__alexa-app.pcapng"));
    let chosen = of(&r, FindingId::TlsWeak)
        .into_iter()
        .filter(|(_, f)| {
            fact(f, "problems")
                .contains("TLS 1.0 agreed (the server's choice: the client offered TLS 1.2)")
        })
        .count();
    assert!(chosen >= 2, "{chosen}");
    // No suite of the corpus's own captures is weak but those.
    for path in captures() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "ja4plus__socks-https-example.pcap" {
            continue;
        }
        for (_, f) in of(&report(path.clone()), FindingId::TlsWeak) {
            assert!(!fact(f, "problems").contains("cipher"), "{name}: {f:?}");
        }
    }
}

/// A Linux bridge's own IGMP frames from 0.0.0.0 (tshark: `ip.src==0.0.0.0 && igmp`, from
/// 32:18:bb:d5:af:e8 in infected/download-cnc, a query from 06:6e:9b:68:d0:87 in home/mdns) are
/// the network's plumbing: no device. The camera's own DHCP from 0.0.0.0 still makes it one.
#[test]
fn a_bridges_igmp_querier_is_no_device() {
    let r = report(recorded("infected/download-cnc.pcap"));
    assert!(r
        .devices
        .iter()
        .all(|d| !d.id.contains("32:18:bb:d5:af:e8")));
    with_mac(&r, "e0:50:8b:12:7f:2c");
    let r = report(recorded("home/mdns.pcap"));
    assert!(r
        .devices
        .iter()
        .all(|d| !d.id.contains("06:6e:9b:68:d0:87")));
}

/// The WeMo Insight plug, while it is set up, routes its own access point's network onto the
/// LAN: the phone at 10.22.22.2 reaches the internet through it, its frames carrying the plug's
/// MAC (tshark: `ip.src==10.22.22.2` from 94:10:3e:41:c2:05, TTL 63). The plug's verdict says
/// so; a router's would not need to.
#[test]
fn a_device_that_routes_hosts_behind_it_is_told() {
    let r = report(capture(
        "IoTSentinel__WeMoInsightSwitch__Setup-A-9-STA.pcap",
    ));
    let plug = with_mac(&r, "94:10:3e:41:c2:05");
    assert!(
        plug.verdict
            .text
            .contains("It forwards the traffic of 10.22.22.2 (a host behind it) onto this network"),
        "{}",
        plug.verdict.text
    );
    for d in r.devices.iter().filter(|d| d.kind == "router/ap") {
        assert!(
            !d.verdict.text.contains("It forwards the traffic"),
            "{}",
            d.label
        );
    }
}

/// A long endpoint name keeps its first label (the service) and its end (the network) in the
/// terminal's table: the WeMo's NAT-traversal server behind Amazon's load balancer.
#[test]
fn long_endpoint_names_are_cut_in_the_middle() {
    let r = report(capture(
        "IoTSentinel__WeMoInsightSwitch__Setup-A-9-STA.pcap",
    ));
    let full = r
        .devices
        .iter()
        .flat_map(|d| &d.endpoints)
        .find(|e| e.name.starts_with("prod1-nat-xbcs-") && e.name.ends_with(".elb.amazonaws.com"))
        .map(|e| e.name.clone())
        .expect("the load balancer's name");
    assert!(full.chars().count() > 34, "{full}");
    let text = iotscope_report::terminal::render(&r);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("prod1-nat-xbc"))
        .unwrap_or_else(|| panic!("no row for {full}"));
    let shown = row.split_whitespace().next().unwrap();
    assert_eq!(shown.chars().count(), 34, "{shown}");
    assert!(
        shown.contains('…') && shown.ends_with(".elb.amazonaws.com"),
        "{shown}"
    );
}

/// nDPI's iphone.pcap: Luca's iMac shares its connection. Its bridge (c6:2c:03:60:6a:64, a
/// locally administered MAC, the DHCP server and router) and its Wi-Fi (d8:30:62:56:00:1c) both
/// bind Lucas-iMac.local over mDNS (tshark: `mdns && eth.src == …`, both answer for the same
/// name and services): one host, said on both devices.
#[test]
fn one_host_with_two_interfaces_is_told_as_one() {
    let r = report(capture("nDPI__iphone.pcap"));
    let bridge = with_mac(&r, "c6:2c:03:60:6a:64");
    let wifi = with_mac(&r, "d8:30:62:56:00:1c");
    assert_eq!(bridge.same_host, vec![wifi.id.clone()]);
    assert_eq!(wifi.same_host, vec![bridge.id.clone()]);
    assert_eq!(bridge.kind, "router/ap");
    assert!(
        bridge.verdict.text.contains(
            "It is the same host as Lucas-iMac (d8:30:62:56:00:1c), through another network \
             interface: both announce Lucas-iMac.local over mDNS, so the computer is what routes \
             this network"
        ),
        "{}",
        bridge.verdict.text
    );
    assert!(wifi
        .verdict
        .text
        .contains("same host as Lucas-iMac.local (c6:2c:03:60:6a:64)"));
    // The phone on the same link announces a name of its own.
    let phone = with_mac(&r, "c4:61:8b:35:82:a9");
    assert!(phone.same_host.is_empty());
}

/// The analysis on two or three threads (the devices and the names apart, the devices' reports
/// in halves) writes the report one thread writes, read on as many threads.
#[test]
fn the_analysis_on_several_threads_writes_the_same_report() {
    let paths = [
        capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"),
        capture("IoTSentinel__D-LinkHomeHub__Setup-C-3-STA.pcap"),
        capture("nDPI__iphone.pcap"),
    ];
    let json = |threads: usize| {
        let r = run(
            &paths,
            &Options {
                threads,
                ..Options::for_analysis()
            },
        );
        let report = iotscope_report::from_run_on(
            &r,
            &Local::new(&[]).unwrap(),
            None,
            Default::default(),
            None,
            threads,
        );
        assert!(report.devices.len() > 2);
        serde_json::to_string(&report).unwrap()
    };
    let one = json(1);
    for threads in [2, 3] {
        assert!(json(threads) == one, "{threads} threads");
    }
}
