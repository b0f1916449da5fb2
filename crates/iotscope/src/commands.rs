//! The commands: run the pipeline with the user's options and print what it found.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use iotscope_analyze::devices::DeviceKey;
use iotscope_analyze::identify::identify;
use iotscope_analyze::{devices, passive_dns};
use iotscope_flow::conv::{self, Conversation};
use iotscope_flow::pipeline::{self, Options, Run};
use iotscope_flow::{Config, Flow};
use iotscope_packet::{fmt_mac, fmt_utc, ip_of, Addr, Nanos};
use iotscope_proto::app::{App, Message};
use iotscope_proto::dhcp;
use iotscope_proto::dns::{self, RData};
use serde_json::{json, Value};

use crate::table::{col, Column, Rows, Table};
use crate::{By, DevicesArgs, EndpointsArgs, FlowsArgs, Inputs, StatsArgs};

const NS: f64 = 1e9;

fn secs(s: f64) -> Option<Nanos> {
    (s > 0.0).then_some((s * NS) as Nanos)
}

fn options(a: &Inputs, eth: bool) -> Options {
    options_with(a, eth, false)
}

/// Options for commands that need the parsers' messages (`events`, `dns`).
pub fn options_with(a: &Inputs, eth: bool, messages: bool) -> Options {
    let mut flow = if a.no_timeouts {
        Config::without_timeouts()
    } else {
        Config {
            idle_timeout: secs(a.idle_timeout),
            active_timeout: secs(a.active_timeout),
            closed_linger: secs(a.closed_timeout),
            ..Config::default()
        }
    };
    flow.max_flows = a.max_flows.max(1);
    flow.eth_conversations = eth;
    flow.messages = messages || a.all_parsers;
    flow.keep_events = messages;
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8)
    });
    Options { flow, threads }
}

/// Prints read errors and turns them into the exit code: 2 when any input could not be read,
/// 130 when reading was stopped by Ctrl-C.
fn finish(run: &Run) -> ExitCode {
    for e in &run.errors {
        eprintln!("iotscope: {e}");
    }
    if run.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        read_error_code(&run.errors)
    }
}

/// The exit code of a run with read errors: 130, the shell's code for an interrupt, when reading
/// was stopped by Ctrl-C (what was read has still been reported); otherwise 2.
pub fn read_error_code(errors: &[iotscope_source::ReadError]) -> ExitCode {
    if errors.iter().any(iotscope_source::ReadError::is_stop) {
        ExitCode::from(130)
    } else {
        ExitCode::from(2)
    }
}

fn rel(t: Nanos, origin: Nanos) -> f64 {
    (t - origin) as f64 / NS
}

fn round(x: f64, digits: i32) -> Value {
    let p = 10f64.powi(digits);
    json!((x * p).round() / p)
}

static CONV_COLUMNS: [Column; 12] = [
    col("address_a", "Address A"),
    col("port_a", "Port A"),
    col("address_b", "Address B"),
    col("port_b", "Port B"),
    col("frames_a_to_b", "Frames A→B"),
    col("bytes_a_to_b", "Bytes A→B"),
    col("frames_b_to_a", "Frames B→A"),
    col("bytes_b_to_a", "Bytes B→A"),
    col("frames", "Frames"),
    col("bytes", "Bytes"),
    col("rel_start", "Rel Start"),
    col("duration", "Duration"),
];

/// Where the port tables put their VLAN column, for captures where a VLAN keeps two flows of
/// the same addresses and ports apart (tshark merges them; without the column the rows look
/// alike): after the addresses and ports.
const VLAN_AT: usize = 4;

/// A flow's VLAN identifiers as a cell: none, one, or outer.inner.
fn vlan_cell(vlan: [u16; 2]) -> Value {
    match vlan {
        [0, 0] => Value::Null,
        [v, 0] => json!(v),
        [o, i] => json!(format!("{o}.{i}")),
    }
}

fn conv_rows<K>(
    rows: Vec<Conversation<K>>,
    origin: Nanos,
    show: impl Fn(&K) -> (String, Value),
) -> Vec<Vec<Value>> {
    rows.into_iter()
        .map(|c| {
            let (a, pa) = show(&c.a);
            let (b, pb) = show(&c.b);
            let t = c.total();
            vec![
                json!(a),
                pa,
                json!(b),
                pb,
                json!(c.a_to_b.frames),
                json!(c.a_to_b.bytes),
                json!(c.b_to_a.frames),
                json!(c.b_to_a.bytes),
                json!(t.frames),
                json!(t.bytes),
                round(rel(c.first, origin), 6),
                round(rel(c.last, c.first), 6),
            ]
        })
        .collect()
}

static FLOW_COLUMNS: [Column; 18] = [
    col("proto", "Proto"),
    col("client", "Client"),
    col("client_port", "Port"),
    col("server", "Server"),
    col("server_port", "Port"),
    col("vlan", "VLAN"),
    col("app", "App"),
    col("app_by", "By"),
    col("packets_up", "Pkts →"),
    col("bytes_up", "Bytes →"),
    col("packets_down", "Pkts ←"),
    col("bytes_down", "Bytes ←"),
    col("rel_start", "Rel Start"),
    col("duration", "Duration"),
    col("tcp_state", "TCP state"),
    col("rtt_ms", "RTT ms"),
    col("end", "End"),
    col("first_frame", "Frame"),
];

/// Protocol names for the flow table (IANA keywords for the common ones).
fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        2 => "igmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        47 => "gre".into(),
        50 => "esp".into(),
        58 => "icmpv6".into(),
        103 => "pim".into(),
        112 => "vrrp".into(),
        132 => "sctp".into(),
        n => n.to_string(),
    }
}

fn enum_name<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn flow_row(f: &Flow, origin: Nanos) -> Vec<Value> {
    let c = f.initiator;
    let (ca, cp) = f.key.end(c);
    let (sa, sp) = f.key.end(c.other());
    let port = |p: u16| {
        if f.key.ports_known {
            json!(p)
        } else {
            Value::Null
        }
    };
    let vlan = vlan_cell(f.key.vlan);
    let tcp = f.tcp.as_ref();
    vec![
        json!(proto_name(f.key.proto)),
        json!(ip_of(&ca).to_string()),
        port(cp),
        json!(ip_of(&sa).to_string()),
        port(sp),
        vlan,
        json!(f.app_name()),
        // A tunnel is found by its port or protocol number and its header.
        match (f.app.app, f.tunnel) {
            (App::Unknown, Some(_)) => json!("both"),
            _ => enum_name(&f.app.by),
        },
        json!(f.from(c).packets),
        json!(f.from(c).bytes),
        json!(f.from(c.other()).packets),
        json!(f.from(c.other()).bytes),
        round(rel(f.first, origin), 6),
        round(rel(f.last, f.first), 6),
        tcp.map_or(json!(""), |t| enum_name(&t.state)),
        tcp.and_then(|t| t.rtt())
            .map_or(json!(""), |r| round(r as f64 / 1e6, 3)),
        enum_name(&f.end),
        json!(f.first_frame + 1),
    ]
}

fn addr_cell(a: &Addr) -> (String, Value) {
    (ip_of(a).to_string(), Value::Null)
}

pub fn flows(a: &FlowsArgs) -> io::Result<ExitCode> {
    let mut opts = options(&a.read, a.by == By::Eth);
    // The address-pair tables need no flow records (see `Config::fold_addresses`).
    opts.flow.fold_addresses = matches!(a.by, By::Ip | By::Ipv6);
    let mut run = pipeline::run(&a.read.paths()?, &opts);
    let origin = run.counters.first_ts.unwrap_or(0);
    let folded = std::mem::take(&mut run.flows.addresses);
    let flows = &run.flows.flows;
    let flow_rows = |i: usize| flow_row(&flows[i], origin);
    let (ends, counts) = CONV_COLUMNS.split_at(VLAN_AT);
    let vlan_columns: Vec<Column> = [ends, &[col("vlan", "VLAN")], counts].concat();
    let table = match a.by {
        By::Flow => Table {
            columns: &FLOW_COLUMNS,
            rows: Rows::Made(flows.len(), &flow_rows),
        },
        By::Eth => {
            let rows = run.flows.eth.clone().into_sorted();
            Table {
                columns: &CONV_COLUMNS,
                rows: Rows::Held(conv_rows(rows, origin, |m| (fmt_mac(m), Value::Null))),
            }
        }
        By::Ip | By::Ipv6 => Table {
            columns: &CONV_COLUMNS,
            rows: Rows::Held(conv_rows(
                conv::by_address(flows, folded, a.by == By::Ipv6),
                origin,
                addr_cell,
            )),
        },
        By::Tcp | By::Udp => {
            let proto = if a.by == By::Tcp { 6 } else { 17 };
            let rows = conv::by_port(flows, proto);
            // Each row is one flow record, known by its first frame and side A (a tunnelled
            // frame starts a record for the tunnel and one for what it carries).
            let vlans: std::collections::HashMap<_, [u16; 2]> = flows
                .iter()
                .filter(|f| f.key.proto == proto && f.key.vlan != [0, 0])
                .map(|f| ((f.first_frame, f.key.end(f.first_sender)), f.key.vlan))
                .collect();
            let cells: Vec<Value> = if vlans.is_empty() {
                Vec::new()
            } else {
                rows.iter()
                    .map(|c| {
                        let vlan = vlans.get(&(c.first_frame, c.a)).copied();
                        vlan_cell(vlan.unwrap_or_default())
                    })
                    .collect()
            };
            let mut out = conv_rows(rows, origin, |(ad, p)| (ip_of(ad).to_string(), json!(p)));
            if cells.is_empty() {
                Table {
                    columns: &CONV_COLUMNS,
                    rows: Rows::Held(out),
                }
            } else {
                for (row, vlan) in out.iter_mut().zip(cells) {
                    row.insert(VLAN_AT, vlan);
                }
                Table {
                    columns: &vlan_columns,
                    rows: Rows::Held(out),
                }
            }
        }
    };
    write_table(&table, a.read.format)?;
    Ok(finish(&run))
}

static STATS_COLUMNS: [Column; 2] = [col("item", "What"), col("value", "Value")];

pub fn stats(a: &StatsArgs) -> io::Result<ExitCode> {
    let run = pipeline::run(&a.read.paths()?, &options(&a.read, false));
    let c = &run.counters;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut put = |k: &str, v: Value| rows.push(vec![json!(k), v]);
    for i in &run.inputs {
        put("capture", json!(i.name));
        put(
            "  format",
            json!(i.format.clone().unwrap_or_else(|| "unknown".into())),
        );
        put("  interfaces", json!(i.interfaces.join(", ")));
        if i.sections > 1 {
            put("  sections", json!(i.sections));
        }
        put("  frames", json!(i.frames));
        if let Some(e) = &i.error {
            put("  error", json!(e));
        }
    }
    put("frames", json!(c.frames));
    put("bytes captured", json!(c.bytes_captured));
    put("bytes on the wire", json!(c.bytes_wire));
    if let (Some(lo), Some(hi)) = (c.min_ts, c.max_ts) {
        put("first frame time", json!(format!("{} UTC", fmt_utc(lo))));
        put("last frame time", json!(format!("{} UTC", fmt_utc(hi))));
        put("span seconds", round((hi - lo) as f64 / NS, 6));
    }
    for (l, n) in &c.link_types {
        put(&format!("link {l}"), json!(n));
    }
    for (name, n) in ["ipv4", "ipv6", "arp", "other", "undecoded"]
        .iter()
        .zip(c.net)
    {
        if n > 0 {
            put(&format!("network {name}"), json!(n));
        }
    }
    for (name, n) in ["tcp", "udp", "icmp", "icmpv6", "other", "none"]
        .iter()
        .zip(c.transport)
    {
        if n > 0 {
            put(&format!("transport {name}"), json!(n));
        }
    }
    for (reason, n) in &c.malformed {
        put(&format!("undecodable {reason}"), json!(n));
    }
    let fs = &run.flows.stats;
    put("flows", json!(run.flows.flows.len()));
    put("flows evicted", json!(fs.evicted));
    if a.read.all_parsers {
        put("parser messages", json!(fs.events));
    }
    if fs.tunnelled > 0 {
        put("tunnelled packets", json!(fs.tunnelled));
    }
    if fs.fragments_matched + fs.fragments_unmatched > 0 {
        put("fragments matched", json!(fs.fragments_matched));
        put("fragments unmatched", json!(fs.fragments_unmatched));
    }
    print(&STATS_COLUMNS, rows, a.read.format, &run)
}

static EVENT_COLUMNS: [Column; 10] = [
    col("rel_time", "Time"),
    col("frame", "Frame"),
    col("flow", "Flow"),
    col("src", "Source"),
    col("src_port", "Port"),
    col("dst", "Destination"),
    col("dst_port", "Port"),
    col("type", "Type"),
    col("summary", "What"),
    col("detail", "Detail"),
];

fn list<T: ToString>(v: impl IntoIterator<Item = T>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The parts that are present, separated by spaces.
fn present<const N: usize>(parts: [Option<String>; N]) -> String {
    parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// A message's type name and a one-line summary for the table.
fn describe(m: &Message) -> (&'static str, String, String) {
    match m {
        Message::Dns(d) => {
            // Every question: mDNS probes and browsers ask several in one message.
            let qs = d
                .questions
                .iter()
                .map(|q| format!("{} {}", dns::type_name(q.qtype), q.name))
                .collect::<Vec<_>>()
                .join(", ");
            if d.response {
                let answers: Vec<String> = d
                    .records
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(a.to_string()),
                        RData::Aaaa(a) => Some(a.to_string()),
                        RData::Cname(c) => Some(format!("CNAME {c}")),
                        RData::Ptr(p) => Some(format!("PTR {p}")),
                        RData::Srv { target, port, .. } => Some(format!("SRV {target}:{port}")),
                        _ => None,
                    })
                    .collect();
                let rcode = match d.rcode {
                    0 => String::new(),
                    1 => " FORMERR".to_string(),
                    2 => " SERVFAIL".to_string(),
                    3 => " NXDOMAIN".to_string(),
                    4 => " NOTIMP".to_string(),
                    5 => " REFUSED".to_string(),
                    n => format!(" rcode {n}"),
                };
                ("dns-response", format!("{qs}{rcode}"), answers.join(" "))
            } else {
                ("dns-query", qs, String::new())
            }
        }
        Message::Dhcp(d) => (
            "dhcp",
            format!(
                "{} {}",
                dhcp::type_name(d.msg_type.unwrap_or(0)),
                fmt_mac(&d.client_mac)
            ),
            present([
                d.hostname.as_ref().map(|h| format!("hostname={h}")),
                d.vendor_class.as_ref().map(|v| format!("vendor={v}")),
                (!d.params.is_empty()).then(|| format!("params={}", list(&d.params))),
                (d.your_addr != std::net::Ipv4Addr::UNSPECIFIED)
                    .then(|| format!("yiaddr={}", d.your_addr)),
                (!d.routers.is_empty()).then(|| format!("router={}", list(&d.routers))),
                (!d.dns_servers.is_empty()).then(|| format!("dns={}", list(&d.dns_servers))),
            ]),
        ),
        Message::ClientHello(h) => (
            "tls-client-hello",
            h.sni.clone().unwrap_or_else(|| "(no SNI)".into()),
            format!("alpn={} ja3={} ja4={}", h.alpn.join(","), h.ja3, h.ja4),
        ),
        Message::GquicHello(h) => (
            "gquic-hello",
            h.sni.clone().unwrap_or_else(|| "(no SNI)".into()),
            format!(
                "version={}{}",
                h.version.as_deref().unwrap_or("?"),
                h.user_agent
                    .as_deref()
                    .map(|u| format!(" ua={u}"))
                    .unwrap_or_default()
            ),
        ),
        Message::ServerHello(h) => (
            "tls-server-hello",
            format!(
                "version {:#06x} cipher {:#06x}",
                h.selected_version, h.cipher
            ),
            h.alpn
                .clone()
                .map(|a| format!("alpn={a}"))
                .unwrap_or_default(),
        ),
        Message::HttpRequest(r) => (
            if r.ssdp.is_some() || r.method == "M-SEARCH" || r.method == "NOTIFY" {
                "ssdp-request"
            } else {
                "http-request"
            },
            // A path is shown after its host; a proxy's request names the host itself (the
            // absolute URL of a GET, the authority of a CONNECT).
            if r.uri.starts_with('/') || r.uri == "*" {
                format!("{} {}{}", r.method, r.host.as_deref().unwrap_or(""), r.uri)
            } else {
                format!("{} {}", r.method, r.uri)
            },
            present([
                r.user_agent.as_ref().map(|u| format!("ua={u}")),
                r.auth_scheme.as_ref().map(|a| format!("auth={a}")),
                r.ssdp
                    .as_ref()
                    .and_then(|s| s.target.clone())
                    .map(|t| format!("target={t}")),
                r.ssdp
                    .as_ref()
                    .and_then(|s| s.server.clone())
                    .map(|t| format!("server={t}")),
            ]),
        ),
        Message::HttpResponse(r) => (
            if r.ssdp.is_some() {
                "ssdp-response"
            } else {
                "http-response"
            },
            format!("{} {}", r.status, r.reason),
            present([
                r.server.as_ref().map(|s| format!("server={s}")),
                r.content_type.as_ref().map(|c| format!("type={c}")),
                r.content_length.map(|c| format!("length={c}")),
            ]),
        ),
        Message::Login(l) => (
            "cleartext-login",
            format!(
                "{} {} user={}",
                l.protocol,
                l.method,
                l.user.as_deref().unwrap_or("?")
            ),
            if l.password {
                "password sent in clear (not shown)".into()
            } else {
                "no password sent".into()
            },
        ),
        Message::Certificate(c) => (
            "tls-certificate",
            c.common_name.clone().unwrap_or_else(|| c.subject.clone()),
            format!(
                "issuer={} valid={}..{} key={}{}{}",
                c.issuer,
                &fmt_utc(c.not_before * 1_000_000_000)[..10],
                &fmt_utc(c.not_after * 1_000_000_000)[..10],
                c.key,
                if c.self_signed { " self-signed" } else { "" },
                if c.san.is_empty() {
                    String::new()
                } else {
                    format!(" san={}", c.san.join(","))
                }
            ),
        ),
        Message::Mqtt(c) => (
            "mqtt-connect",
            format!(
                "client={} user={}",
                c.client_id,
                c.user.as_deref().unwrap_or("")
            ),
            format!(
                "level {} keep-alive {}s{}",
                c.level,
                c.keep_alive,
                if c.password {
                    " password sent (not shown)"
                } else {
                    ""
                }
            ),
        ),
        Message::Banner(b) => ("banner", b.clone(), String::new()),
        Message::FtpData(ch) => (
            "ftp-data-channel",
            format!(
                "{} port {}",
                if ch.active { "active" } else { "passive" },
                ch.port
            ),
            ch.addr.map(|a| format!("address {a}")).unwrap_or_default(),
        ),
        Message::Neighbor { mac, neighbor: n } => (
            n.protocol,
            format!(
                "{} at {}",
                n.name.as_deref().unwrap_or("(no name)"),
                fmt_mac(mac)
            ),
            present([
                n.platform.as_ref().map(|p| format!("platform={p}")),
                (!n.capabilities.is_empty()).then(|| format!("caps={}", n.capabilities.join(","))),
                (!n.addresses.is_empty()).then(|| format!("address={}", list(&n.addresses))),
                n.port.as_ref().map(|p| format!("port={p}")),
                n.description.as_ref().map(|d| format!("description={d}")),
            ]),
        ),
        Message::Arp { mac, ip, .. } => (
            "arp",
            format!("{} is at {}", ip, fmt_mac(mac)),
            String::new(),
        ),
        Message::Dhcpv6(d) => (
            "dhcpv6",
            dhcp::v6_type_name(d.msg_type).to_string(),
            present([
                d.fqdn.as_ref().map(|f| format!("fqdn={f}")),
                d.vendor
                    .as_ref()
                    .map(|(e, c)| format!("vendor={e}:{}", c.join(","))),
                (!d.requested.is_empty()).then(|| format!("requested={}", list(&d.requested))),
                (!d.addresses.is_empty()).then(|| format!("address={}", list(&d.addresses))),
                (!d.dns_servers.is_empty()).then(|| format!("dns={}", list(&d.dns_servers))),
                d.duid.as_ref().map(|u| format!("duid={u}")),
            ]),
        ),
        Message::Ntp(n) => (
            "ntp",
            format!("v{} mode {}", n.version, n.mode),
            if n.reference.is_empty() {
                // A client's request, or a server not synchronised: no reference to name.
                format!("stratum {}", n.stratum)
            } else {
                format!("stratum {} ref {}", n.stratum, n.reference)
            },
        ),
        Message::Coap(c) => (
            if c.is_request() {
                "coap-request"
            } else {
                "coap-response"
            },
            match c.method {
                Some(m) => format!("{} {m} {}", c.msg_type, c.target()),
                None => format!("{} {}", c.msg_type, c.code),
            },
            present([
                c.uri_host.as_ref().map(|h| format!("host={h}")),
                c.uri_port.map(|p| format!("port={p}")),
                c.proxy_uri.as_ref().map(|u| format!("proxy-uri={u}")),
                c.content_format.map(|f| format!("format={f}")),
                c.observe.map(|o| format!("observe={o}")),
                (c.payload_len > 0).then(|| format!("payload={}", c.payload_len)),
            ]),
        ),
        Message::MqttConnAck(code) => (
            "mqtt-connack",
            if *code == 0 {
                "accepted".to_string()
            } else {
                format!("refused (code {code})")
            },
            String::new(),
        ),
        Message::Tftp(r) => (
            "tftp-request",
            format!("{} {}", if r.write { "write" } else { "read" }, r.file),
            format!("mode={}", r.mode),
        ),
        Message::VncSecurity(v) => (
            if v.chosen {
                "vnc-security-chosen"
            } else {
                "vnc-security-offered"
            },
            v.types
                .iter()
                .map(|&t| format!("{} ({t})", iotscope_proto::remote::vnc_security_name(t)))
                .collect::<Vec<_>>()
                .join(", "),
            v.vencrypt
                .map(|t| {
                    format!(
                        "sub-type {} ({t})",
                        iotscope_proto::remote::vencrypt_name(t)
                    )
                })
                .unwrap_or_default(),
        ),
        Message::Wsd(w) => (
            "wsd",
            format!(
                "{}{}",
                w.action,
                if w.types.is_empty() {
                    String::new()
                } else {
                    format!(" {}", w.types.join(" "))
                }
            ),
            present([
                (!w.xaddrs.is_empty()).then(|| format!("xaddrs={}", w.xaddrs.join(","))),
                (!w.scopes.is_empty()).then(|| format!("scopes={}", w.scopes.join(","))),
            ]),
        ),
        Message::NatPmp(m) => (
            if m.pcp { "pcp" } else { "nat-pmp" },
            format!(
                "{}{}",
                if m.map {
                    "map"
                } else if m.pcp {
                    "announce"
                } else {
                    "public address"
                },
                if m.response { " answer" } else { " request" }
            ),
            present([
                m.protocol
                    .as_ref()
                    .map(|p| format!("{p} {} -> {}", m.external_port, m.internal_port)),
                m.map.then(|| format!("lifetime={} s", m.lifetime)),
                m.result.map(|r| format!("result={r}")),
            ]),
        ),
        Message::SocksRequest(r) => (
            "socks-request",
            format!("{} {}:{}", r.command, r.host, r.port),
            format!("SOCKS {}", r.version),
        ),
        Message::NetbiosDatagram(d) => (
            "netbios-datagram",
            format!("{} -> {}", d.source, d.destination),
            format!("source address {}", d.source_addr),
        ),
        Message::Ubnt(u) => (
            "ubnt-discovery",
            if u.search {
                format!("search (v{})", u.version)
            } else {
                format!(
                    "v{} {}",
                    u.version,
                    u.hostname.as_deref().unwrap_or("(no name)")
                )
            },
            present([
                u.model.as_ref().map(|m| format!("model={m}")),
                u.firmware.as_ref().map(|f| format!("firmware={f}")),
            ]),
        ),
        Message::Snmp(s) => (
            "snmp",
            format!(
                "v{} {}{}",
                s.version,
                s.pdu,
                s.user
                    .as_deref()
                    .map(|u| format!(" user={u}"))
                    .unwrap_or_default()
            ),
            present([
                s.community
                    .then(|| "community sent in clear (not shown)".to_string()),
                s.security.map(|l| format!("security={l}")),
                s.name.as_ref().map(|n| format!("sysName={n}")),
                s.description.as_ref().map(|d| format!("sysDescr={d}")),
            ]),
        ),
        Message::LoginAnswer(a) => (
            "login-answer",
            if a.accepted { "accepted" } else { "refused" }.to_string(),
            format!("reply={}", a.reply),
        ),
        Message::Ndp(n) => (
            "ndp",
            format!(
                "{}{}",
                n.kind,
                n.target.map(|t| format!(" {t}")).unwrap_or_default()
            ),
            present([
                (!n.prefixes.is_empty()).then(|| {
                    let p: Vec<String> = n
                        .prefixes
                        .iter()
                        .map(|p| {
                            format!(
                                "{}/{}{}{}",
                                p.prefix,
                                p.len,
                                if p.on_link { " on-link" } else { "" },
                                if p.autonomous { " slaac" } else { "" }
                            )
                        })
                        .collect();
                    format!("prefixes={}", p.join(","))
                }),
                (!n.dns.is_empty()).then(|| format!("rdnss={}", list(&n.dns))),
                n.mac
                    .map(|m| format!("mac={}", iotscope_packet::fmt_mac(&m))),
            ]),
        ),
        Message::Ldap(l) => (
            "ldap",
            format!("{} id={}", l.op, l.id),
            present([
                l.dn.as_ref().map(|d| format!("dn=\"{d}\"")),
                l.auth.as_ref().map(|a| format!("auth={a}")),
                (l.auth.as_deref() == Some("simple"))
                    .then(|| "password sent in clear (not shown)".to_string()),
                l.result.map(|r| format!("result={r}")),
                l.starttls.then(|| "starttls".to_string()),
            ]),
        ),
    }
}

/// Prints rows under `columns` in the chosen format, then reports the run's read errors as the
/// exit code.
fn print(
    columns: &'static [Column],
    rows: Vec<Vec<Value>>,
    fmt: crate::table::OutputFormat,
    run: &Run,
) -> io::Result<ExitCode> {
    write_table(
        &Table {
            columns,
            rows: Rows::Held(rows),
        },
        fmt,
    )?;
    Ok(finish(run))
}

/// Writes a table to standard output in the chosen format.
fn write_table(t: &Table, fmt: crate::table::OutputFormat) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    t.write(fmt, &mut out)?;
    out.flush()
}

pub fn events(a: &StatsArgs) -> io::Result<ExitCode> {
    let run = pipeline::run(&a.read.paths()?, &options_with(&a.read, false, true));
    let origin = run.counters.first_ts.unwrap_or(0);
    let events = &run.flows.events;
    if a.read.format == crate::table::OutputFormat::Json {
        // NDJSON with the whole message, not only the table's summary.
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        for e in events {
            let (kind, _, _) = describe(&e.message);
            let mut obj = serde_json::Map::new();
            obj.insert("type".into(), json!(kind));
            obj.insert("ts".into(), json!(e.ts));
            obj.insert("rel_time".into(), round(rel(e.ts, origin), 6));
            obj.insert("frame".into(), json!(e.frame + 1));
            obj.insert("flow".into(), json!(Flow::first_frame_of(e.flow) + 1));
            obj.insert("src".into(), json!(ip_of(&e.src).to_string()));
            obj.insert("src_port".into(), json!(e.src_port));
            obj.insert("dst".into(), json!(ip_of(&e.dst).to_string()));
            obj.insert("dst_port".into(), json!(e.dst_port));
            obj.insert("from_client".into(), json!(e.from_client));
            // Serde's internal tag cannot wrap a bare string or number: those messages are
            // written as objects of their own.
            let mut body = match &e.message {
                Message::Banner(text) => json!({ "text": text }),
                Message::MqttConnAck(code) => json!({ "return_code": code }),
                m => serde_json::to_value(m).unwrap_or(Value::Null),
            };
            if let Some(m) = body.as_object_mut() {
                m.remove("kind");
            }
            obj.insert("message".into(), body);
            serde_json::to_writer(&mut out, &obj)?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(finish(&run));
    }
    let rows = events
        .iter()
        .map(|e| {
            let (kind, summary, detail) = describe(&e.message);
            vec![
                round(rel(e.ts, origin), 6),
                json!(e.frame + 1),
                json!(Flow::first_frame_of(e.flow) + 1),
                json!(ip_of(&e.src).to_string()),
                json!(e.src_port),
                json!(ip_of(&e.dst).to_string()),
                json!(e.dst_port),
                json!(kind),
                json!(summary),
                json!(detail),
            ]
        })
        .collect();
    print(&EVENT_COLUMNS, rows, a.read.format, &run)
}

static DNS_COLUMNS: [Column; 11] = [
    col("rel_time", "Time"),
    col("frame", "Frame"),
    col("host", "Host"),
    col("via", "Via"),
    col("name", "Name"),
    col("type", "Type"),
    col("cnames", "CNAME chain"),
    col("addresses", "Addresses"),
    col("ttl", "TTL"),
    col("rcode", "Rcode"),
    col("server", "Server"),
];

pub fn dns(a: &StatsArgs) -> io::Result<ExitCode> {
    let run = pipeline::run(&a.read.paths()?, &options_with(&a.read, false, true));
    let origin = run.counters.first_ts.unwrap_or(0);
    let json_lists = a.read.format == crate::table::OutputFormat::Json;
    let rows = passive_dns::bindings(&run.flows.events)
        .into_iter()
        .map(|b| {
            let chain = if json_lists {
                json!(b.cnames)
            } else {
                json!(b.cnames.join(" → "))
            };
            let addrs: Vec<String> = b.addrs.iter().map(|a| a.to_string()).collect();
            let addrs = if json_lists {
                json!(addrs)
            } else {
                json!(addrs.join(","))
            };
            vec![
                round(rel(b.ts, origin), 6),
                json!(b.frame + 1),
                json!(b.host.to_string()),
                enum_name(&b.via),
                json!(b.name),
                json!(dns::type_name(b.qtype)),
                chain,
                addrs,
                b.ttl.map_or(Value::Null, |t| json!(t)),
                json!(b.rcode),
                json!(b.server.to_string()),
            ]
        })
        .collect();
    print(&DNS_COLUMNS, rows, a.read.format, &run)
}

static DEVICE_COLUMNS: [Column; 16] = [
    col("device", "Device"),
    col("vendor", "Vendor"),
    col("kind", "Kind"),
    col("confidence", "Confidence"),
    col("kind_because", "Because"),
    col("names", "Names"),
    col("addresses", "Addresses"),
    col("first", "First seen"),
    col("last", "Last seen"),
    col("packets_up", "Pkts ↑"),
    col("bytes_up", "Bytes ↑"),
    col("packets_down", "Pkts ↓"),
    col("bytes_down", "Bytes ↓"),
    col("flows", "Flows"),
    col("randomised_mac", "Random MAC"),
    col("evidence", "Evidence"),
];

pub fn devices(a: &DevicesArgs) -> io::Result<ExitCode> {
    let run = pipeline::run(&a.read.paths()?, &options_with(&a.read, false, true));
    let json = a.read.format == crate::table::OutputFormat::Json;
    let time = |t: Nanos| {
        if t == Nanos::MAX || t == Nanos::MIN {
            Value::Null
        } else {
            json!(fmt_utc(t))
        }
    };
    let mut local = devices::Local::new(&a.read.local).map_err(io::Error::other)?;
    local.learn(&run.flows.events, &run.flows.flows);
    let rows = devices::devices(&run.flows.flows, &run.flows.events, &local)
        .into_iter()
        .map(|d| {
            let key = match d.key {
                DeviceKey::Mac(m) => fmt_mac(&m),
                DeviceKey::Ip(ip) => ip.to_string(),
            };
            let addrs: Vec<String> = d.addresses.iter().map(|x| x.to_string()).collect();
            let evidence: Vec<String> = d
                .claims
                .iter()
                .map(|c| format!("{}={} (frame {})", c.kind, c.value, c.frame))
                .collect();
            let list = |v: Vec<String>, sep: &str| if json { json!(v) } else { json!(v.join(sep)) };
            let id = identify(&d);
            vec![
                json!(key),
                d.vendor.clone().map_or(Value::Null, |v| json!(v)),
                json!(id.kind.name()),
                id.confidence.map_or(Value::Null, |c| enum_name(&c)),
                id.because.map_or(Value::Null, |b| json!(b)),
                list(d.names(), ","),
                list(addrs, ","),
                time(d.first),
                time(d.last),
                json!(d.packets_up),
                json!(d.bytes_up),
                json!(d.packets_down),
                json!(d.bytes_down),
                json!(d.flows),
                json!(d.randomised),
                if a.evidence || json {
                    list(evidence, "; ")
                } else {
                    Value::Null
                },
            ]
        })
        .collect();
    print(&DEVICE_COLUMNS, rows, a.read.format, &run)
}

static ENDPOINT_COLUMNS: [Column; 19] = [
    col("device", "Device"),
    col("address", "Address"),
    col("name", "Name"),
    col("named_by", "Named by"),
    col("cnames", "CNAME chain"),
    col("org", "Organisation"),
    col("asn", "AS"),
    col("provider", "Cloud"),
    col("region", "Region"),
    col("cdn", "CDN"),
    col("country", "Country"),
    col("services", "Services"),
    col("rtt_ms", "RTT ms"),
    col("location_check", "Location check"),
    col("flows", "Flows"),
    col("bytes_up", "Bytes ↑"),
    col("bytes_down", "Bytes ↓"),
    col("first", "First seen"),
    col("last", "Last seen"),
];

pub fn endpoints(a: &EndpointsArgs) -> io::Result<ExitCode> {
    let site = a
        .site
        .as_deref()
        .map(iotscope_intel::Site::parse)
        .transpose()
        .map_err(io::Error::other)?;
    let run = pipeline::run(&a.read.paths()?, &options_with(&a.read, false, true));
    let json = a.read.format == crate::table::OutputFormat::Json;
    let intel = iotscope_intel::Intel::get();
    let opt = |v: Option<String>| v.map_or(Value::Null, |s| json!(s));
    let mut local = devices::Local::new(&a.read.local).map_err(io::Error::other)?;
    local.learn(&run.flows.events, &run.flows.flows);
    let rows = iotscope_analyze::endpoints::endpoints(
        &run.flows.flows,
        &run.flows.events,
        intel,
        &local,
        site.as_ref(),
    )
    .into_iter()
    .map(|e| {
        let list = |v: Vec<String>, sep: &str| if json { json!(v) } else { json!(v.join(sep)) };
        let (cdn, service) = (e.cdn(), e.cloud());
        vec![
            json!(e.device.to_string()),
            json!(e.addr.to_string()),
            opt(e.name.clone()),
            enum_name(&e.named_by),
            list(e.cnames.clone(), " → "),
            opt(e.place.org.clone()),
            e.place.asn.map_or(Value::Null, |n| json!(n)),
            opt(service),
            opt(e.place.region.clone()),
            opt(cdn),
            opt(e.place.country.clone()),
            list(e.services.iter().cloned().collect(), ", "),
            e.rtt_ms.map_or(Value::Null, |r| round(r, 3)),
            e.location.as_ref().map_or(Value::Null, |c| {
                let cc = e.place.country.as_deref().unwrap_or("?");
                json!(if c.edge {
                    format!(
                        "edge: {:.1} ms is at most {:.0} km; {cc} is at least {:.0} km away",
                        c.rtt_ms, c.max_km, c.country_km
                    )
                } else {
                    format!(
                        "ok: {:.0} km reachable, {cc} at {:.0} km",
                        c.max_km, c.country_km
                    )
                })
            }),
            json!(e.flows),
            json!(e.bytes_up),
            json!(e.bytes_down),
            json!(fmt_utc(e.first)),
            json!(fmt_utc(e.last)),
        ]
    })
    .collect();
    print(&ENDPOINT_COLUMNS, rows, a.read.format, &run)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc() {
        assert_eq!(super::fmt_utc(0), "1970-01-01 00:00:00.000000");
        assert_eq!(
            super::fmt_utc(1_461_682_309_056_506_000),
            "2016-04-26 14:51:49.056506"
        );
        assert_eq!(super::fmt_utc(-1_000), "1969-12-31 23:59:59.999999");
    }
}
