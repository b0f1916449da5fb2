//! Application labels against ndpiReader 4.2's, flow by flow, on every test capture
//! (`testdata/golden/<capture>/ndpi_flows.txt`, made by `testdata/golden/regen.sh`).
//!
//! nDPI names a flow `MASTER.APP` (`TLS.Amazon`): the master protocol is compared. Labels that
//! name a service rather than a protocol (`AmazonAWS`, `Google`, `NestLogSink`, found by address
//! lists) have no counterpart in iotscope's protocol labels and are left out, as are ICMP and IGMP
//! (iotscope does not label them), and so are flows that carried no payload either way. Every remaining disagreement is explained in
//! `docs/ndpi-agreement.md`, which this test keeps honest: it fails if the agreement rate falls
//! below the one recorded there or a disagreement appears that the document does not list.

use std::collections::{BTreeMap, BTreeSet};

use iotscope_flow::pipeline::{run, Options};
use iotscope_flow::Config;
use iotscope_packet::ip_of;

/// nDPI master protocol names and the iotscope label each corresponds to.
fn ours_for(ndpi: &str) -> Option<&'static str> {
    Some(match ndpi {
        "HTTP" | "HTTP_Proxy" | "HTTP_Connect" => "http",
        "DNS" => "dns",
        "MDNS" => "mdns",
        "LLMNR" => "llmnr",
        "NetBIOS" => "netbios",
        "DHCP" => "dhcp",
        "DHCPV6" => "dhcpv6",
        "NTP" => "ntp",
        "TLS" => "tls",
        "QUIC" => "quic",
        "SSDP" => "ssdp",
        "MQTT" => "mqtt",
        "COAP" => "coap",
        "RTSP" => "rtsp",
        "RTP" | "RTCP" => "rtp",
        "STUN" => "stun",
        "SIP" => "sip",
        "SSH" => "ssh",
        "SMBv1" | "SMBv23" => "smb",
        "Telnet" => "telnet",
        "FTP_CONTROL" => "ftp",
        "POP3" => "pop3",
        "IMAP" => "imap",
        "SMTP" => "smtp",
        "TPLINK_SHP" => "tplink",
        "TuyaLP" => "tuya",
        "TFTP" => "tftp",
        "DNScrypt" => "dnscrypt",
        "SNMP" => "snmp",
        "VNC" => "vnc",
        "RDP" => "rdp",
        "Syslog" => "syslog",
        "WSD" => "wsd",
        "LDAP" => "ldap",
        "Kerberos" => "kerberos",
        "IRC" => "irc",
        "DTLS" => "dtls",
        "WireGuard" => "wireguard",
        "OpenVPN" => "openvpn",
        "IPsec" => "ipsec",
        "UBNTAC2" => "ubnt-discovery",
        "Modbus" => "modbus",
        "DNP3" => "dnp3",
        "IEC60870" => "iec104",
        "BACnet" => "bacnet",
        "s7comm" => "s7comm",
        "EthernetIP" => "enip",
        "BGP" => "bgp",
        "SOCKS" => "socks",
        "Unknown" => "unknown",
        _ => return None,
    })
}

/// iotscope names NBNS (137) apart from the other NetBIOS services; nDPI calls both NetBIOS.
fn same(ours: &str, theirs: &str) -> bool {
    ours == theirs || (theirs == "netbios" && ours == "nbns")
}

type Key = (String, BTreeSet<String>);

/// An "addr:port" as iotscope prints it (nDPI shortens a single zero group of an IPv6 address
/// with "::", which RFC 5952 reserves for longer runs).
fn endpoint(s: &str) -> String {
    let s = s.replace(['[', ']'], "");
    let Some((addr, port)) = s.rsplit_once(':') else {
        return s;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(a) => format!("{a}:{port}"),
        Err(_) => s.clone(),
    }
}

#[test]
fn labels_agree_with_ndpi() {
    let explained =
        std::fs::read_to_string(iotscope_testdata::root().join("../docs/ndpi-agreement.md"))
            .expect("docs/ndpi-agreement.md");
    let mut compared = 0;
    let mut agreed = 0;
    let mut disagreements = Vec::new();
    for cap in iotscope_testdata::captures() {
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let r = run(
            std::slice::from_ref(&cap),
            &Options {
                flow: Config::without_timeouts(),
                threads: 1,
            },
        );
        let mut ours: BTreeMap<Key, String> = BTreeMap::new();
        // Flows that carried no payload either way (a scan's SYNs, refused connections) have no
        // application to compare: both tools can only guess one from the port, from tables of
        // their own.
        let mut empty: BTreeSet<Key> = BTreeSet::new();
        for f in &r.flows.flows {
            let proto = match f.key.proto {
                6 => "TCP",
                17 => "UDP",
                _ => continue,
            };
            let ends: BTreeSet<String> = [
                f.key.end(iotscope_flow::Side::A),
                f.key.end(iotscope_flow::Side::B),
            ]
            .iter()
            .map(|(a, p)| format!("{}:{p}", ip_of(a)))
            .collect();
            let key = (proto.to_string(), ends);
            if f.sent[0].payload_bytes + f.sent[1].payload_bytes == 0 {
                empty.insert(key);
                continue;
            }
            ours.entry(key)
                .or_insert_with(|| f.app.app.name().to_string());
        }
        for line in iotscope_testdata::golden(&cap, "ndpi_flows.txt").lines() {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() < 5
                || !t[0].chars().all(|c| c.is_ascii_digit())
                || !matches!(t[1], "TCP" | "UDP")
            {
                continue;
            }
            let Some(label) = line
                .split("[proto: ")
                .nth(1)
                .and_then(|x| x.split(']').next())
            else {
                continue;
            };
            let full = label.split('/').nth(1).unwrap_or("");
            let master = full.split('.').next().unwrap_or("");
            let Some(theirs) = ours_for(master) else {
                continue;
            };
            let key: Key = (
                t[1].to_string(),
                [endpoint(t[2]), endpoint(t[4])].into_iter().collect(),
            );
            if empty.contains(&key) && !ours.contains_key(&key) {
                continue;
            }
            let mine = ours
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "(no flow)".into());
            compared += 1;
            if same(&mine, theirs) {
                agreed += 1;
            } else {
                disagreements.push(format!(
                    "{name} {} {} <-> {}: iotscope {mine}, nDPI {full}",
                    t[1], t[2], t[4]
                ));
            }
        }
    }
    let rate = 100.0 * agreed as f64 / compared as f64;
    println!("{agreed} of {compared} flows agree ({rate:.1} %)");
    for d in &disagreements {
        println!("{d}");
    }
    let unexplained: Vec<&String> = disagreements
        .iter()
        .filter(|d| !explained.contains(d.as_str()))
        .collect();
    assert!(compared > 700, "only {compared} flows compared");
    assert!(rate >= 97.0, "agreement fell to {rate:.1} %");
    assert!(
        unexplained.is_empty(),
        "disagreements not explained in docs/ndpi-agreement.md:\n{}",
        unexplained
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
