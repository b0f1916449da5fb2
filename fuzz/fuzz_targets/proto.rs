//! Any bytes as application payloads: every parser must return a result or nothing, never panic.
//! The first bytes choose the transport, ports and direction; the rest is shown to a flow's
//! application inspector packet by packet, and to each parser directly.
#![no_main]

use iotscope_proto::app::{AppState, Packet};
use iotscope_proto::{
    cert, coap, dhcp, dns, ftp, http, iot, ldap, ndp, neighbor, ntp, quic, remote, snmp, tftp, tls, vpn,
    wsd,
};
use libfuzzer_sys::fuzz_target;

const PORTS: [u16; 45] = [
    53, 5353, 5355, 137, 67, 123, 443, 80, 1900, 1883, 5683, 554, 3478, 5060, 22, 23, 21, 110, 143,
    25, 9999, 6667, 32100, 69, 161, 40000, 5900, 3389, 514, 3702, 5684, 51820, 1194, 500, 4500,
    601, 10001, 20000, 5351, 102, 44818, 138, 179, 1863, 1080,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (head, body) = data.split_at(3);
    let tcp = head[0] & 1 == 0;
    let port = PORTS[head[1] as usize % PORTS.len()];
    let mut state = AppState::default();
    let seq = u32::from(head[2]) << 24;
    // Cut the body into packets, each behind a one-byte length (the rest of the body when it is
    // longer), alternating directions. (A separator byte would keep DTLS's 0xfe version bytes out.)
    let mut packets: Vec<&[u8]> = Vec::new();
    let mut rest = body;
    while let Some((&n, tail)) = rest.split_first() {
        let n = usize::from(n).min(tail.len());
        packets.push(&tail[..n]);
        rest = &tail[n..];
    }
    // Each direction's segments follow one another in its stream; with bit 1 of the first
    // byte set, every other pair of a direction's segments comes swapped (out of order).
    let mut next = [seq, seq ^ 0x5555_5555];
    let mut segments: Vec<(&[u8], bool, u32)> = Vec::new();
    for (i, payload) in packets.into_iter().enumerate() {
        let from_client = i % 2 == 0;
        let d = usize::from(!from_client);
        segments.push((payload, from_client, next[d]));
        next[d] = next[d].wrapping_add(payload.len() as u32);
    }
    if head[0] & 2 != 0 {
        for k in (0..segments.len().saturating_sub(2)).step_by(4) {
            segments.swap(k, k + 2);
        }
    }
    for (payload, from_client, seq) in segments {
        let (src_port, dst_port) = if from_client {
            (40000, port)
        } else {
            (port, 40000)
        };
        let p = Packet {
            payload,
            tcp,
            src_port,
            dst_port,
            from_client,
            seq,
            syn: false,
            ack: None,
        };
        state.inspect(&p, &mut |_, _| {});
    }
    state.flush(&mut |_, _| {});
    let parsed = dns::parse(body);
    // What the content test takes for DNS, the parser reads (a question at least).
    if dns::looks_like_dns(body) {
        assert!(parsed.is_ok_and(|m| m.questions.len() == 1), "{body:?}");
    }
    let _ = dhcp::parse(body);
    let _ = neighbor::lldp(body);
    let _ = neighbor::cdp(body);
    let _ = ntp::parse(body);
    let _ = http::request(body);
    let _ = http::response(body);
    let _ = tls::client_hello(body, tcp);
    let _ = tls::server_hello(body);
    let _ = cert::chain(body);
    let _ = cert::leaf(body);
    let _ = quic::open_initials(body, &mut |_, _| {});
    let _ = quic::gquic_hello(body);
    let _ = iot::mqtt_connect(body);
    let _ = iot::mqtt_connack(body);
    let _ = coap::parse(body).map(|m| (m.target(), m.lwm2m_endpoint().is_some()));
    let _ = iot::ubnt_discovery(body);
    let _ = iot::nat_pmp(body);
    let _ = iot::netbios_datagram(body);
    let _ = iot::control_protocol(body, |_| true);
    let _ = iot::netbios_name(&String::from_utf8_lossy(body));
    let _ = ftp::announcement(body, tcp);
    let _ = tftp::request(body);
    let _ = snmp::parse(body);
    let _ = wsd::parse(body);
    let _ = ldap::parse_all(body, 8);
    let _ = ndp::parse(body);
    let _ = iot::looks_like_kerberos(body);
    let _ = remote::rfb_version(body);
    let _ = remote::looks_like_tcp_syslog(body);
    let _ = tls::looks_like_dtls(body);
    tls::dtls_fragments(body, &mut |_| {});
    let _ = tls::dtls_client_hello(body);
    let _ = tls::dtls_server_hello(body);
    let _ = vpn::wireguard_message(body);
    let _ = vpn::looks_like_ike(body, tcp);
    let _ = vpn::openvpn_reset(body, tcp);
    let _ = http::gzipped_program_kind(body);
    // The bytes as the deflate data of a gzip member, for the inflater to read whatever they are.
    let gz = [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0][..], body].concat();
    let _ = http::gzipped_program_kind(&gz);
    let _ = http::program_kind(body);
    // A request body under each kind of content type, the multipart one's boundary taken
    // from the body's first bytes.
    let boundary = String::from_utf8_lossy(&body[..body.len().min(8)]).into_owned();
    let multipart = format!("multipart/form-data; boundary={boundary}");
    for ct in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/xml"),
        Some("application/json"),
        Some(multipart.as_str()),
    ] {
        let _ = http::body_fields(body, ct, |_, _| {});
    }
    let _ = remote::vnc_offer(body);
    let _ = remote::vnc_choice(body);
    let _ = remote::looks_like_rdp(body);
    let _ = remote::looks_like_syslog(body);
    let _ = iot::mqtt_framing(body);
    let _ = iot::netbios_name(&String::from_utf8_lossy(body));
    let mut buf = Vec::new();
    let _ = tls::handshake_messages(body, &mut buf, &mut |_| {});
});
