//! Reading real captures end to end: what capinfos says about them, truncated and compressed
//! inputs, and several inputs as one timeline.

use std::io::Write;
use std::path::{Path, PathBuf};

use iotscope_flow::pipeline::{run, Options, Run};
use iotscope_flow::Config;
use iotscope_source::ErrorKind;

fn read(paths: &[PathBuf], threads: usize) -> Run {
    run(
        paths,
        &Options {
            flow: Config::without_timeouts(),
            threads,
        },
    )
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iotscope-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// capinfos prints times as seconds with 6 or 9 decimals; ours are nanoseconds.
fn secs_to_ns(s: &str) -> i64 {
    let (int, frac) = s.split_once('.').unwrap();
    let frac = format!("{frac:0<9}");
    int.parse::<i64>().unwrap() * 1_000_000_000 + frac.parse::<i64>().unwrap()
}

/// `t` cut to the decimal places capinfos printed in `s`: it prints as many as the file's
/// timestamp resolution holds whole (2 for 1/256 s: 0.1953125 is printed 0.19).
fn at_precision_of(t: i64, s: &str) -> i64 {
    let places = s.split_once('.').map_or(0, |(_, frac)| frac.len().min(9));
    let unit = 10i64.pow(9 - places as u32);
    t.div_euclid(unit) * unit
}

#[test]
fn frames_times_and_link_types_match_capinfos() {
    for path in iotscope_testdata::captures() {
        // capinfos -T -m -r -c -E -t -a -e -S: name, file type, encapsulation, packets, first, last
        let golden = iotscope_testdata::golden(&path, "capinfos.txt");
        let f: Vec<&str> = golden.lines().next().unwrap().split(',').collect();
        let r = read(std::slice::from_ref(&path), 1);
        assert!(r.errors.is_empty(), "{}: {:?}", path.display(), r.errors);
        let c = &r.counters;
        assert_eq!(c.frames.to_string(), f[3], "{}: frames", path.display());
        let format = r.inputs[0].format.clone().unwrap();
        let want_format = match f[1] {
            "pcap" => "pcap (microsecond",
            "nsecpcap" => "pcap (nanosecond",
            "modpcap" => "modified pcap (microsecond",
            "pcapng" => "pcapng",
            other => panic!("unexpected capinfos file type {other}"),
        };
        assert!(
            format.starts_with(want_format),
            "{}: {format} vs {}",
            path.display(),
            f[1]
        );
        if c.frames > 0 {
            assert_eq!(
                c.min_ts.map(|t| at_precision_of(t, f[4])),
                Some(secs_to_ns(f[4])),
                "{}: first time",
                path.display()
            );
            assert_eq!(
                c.max_ts.map(|t| at_precision_of(t, f[5])),
                Some(secs_to_ns(f[5])),
                "{}: last time",
                path.display()
            );
            let links: Vec<&str> = c.link_types.iter().map(|(l, _)| l.as_str()).collect();
            assert_eq!(links, vec![f[2]], "{}: link types", path.display());
        }
    }
}

#[test]
fn a_cut_capture_reports_everything_before_the_cut_and_where_it_broke() {
    let src = iotscope_testdata::capture("IoTSentinel__Aria__Setup-C-1-STA.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let whole = read(std::slice::from_ref(&src), 1);
    // Cut in the middle of the file: some records are whole, one is cut, the rest are gone.
    let cut_at = bytes.len() / 2;
    let cut = tmp("cut.pcap");
    std::fs::write(&cut, &bytes[..cut_at]).unwrap();
    for threads in [1, 2] {
        let r = read(std::slice::from_ref(&cut), threads);
        assert_eq!(r.errors.len(), 1);
        let e = &r.errors[0];
        assert_eq!(e.file, cut.display().to_string());
        let ErrorKind::Truncated { needed, available } = e.kind else {
            panic!("{e}")
        };
        // The error points at the start of the cut record: exactly the bytes before it were read.
        assert_eq!(e.offset as usize + available, cut_at);
        assert!(needed > available);
        // Every whole record before the cut was counted, in frames and in flows.
        let frames = r.counters.frames;
        assert!(frames > 10 && frames < whole.counters.frames, "{frames}");
        let in_flows: u64 = r.flows.flows.iter().map(|f| f.packets()).sum();
        assert_eq!(in_flows, r.flows.stats.frames);
        assert_eq!(r.inputs[0].frames, frames);
        let msg = e.to_string();
        assert!(
            msg.contains("cut.pcap: at byte") && msg.contains("cut off"),
            "{msg}"
        );
    }
}

#[test]
fn garbage_and_empty_inputs_are_clear_errors() {
    let junk = tmp("junk.pcap");
    std::fs::write(&junk, b"this is not a capture at all").unwrap();
    let empty = tmp("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let missing = tmp("missing.pcap");
    let r = read(&[junk, empty, missing], 1);
    let kinds: Vec<String> = r.errors.iter().map(|e| e.kind.to_string()).collect();
    assert_eq!(r.errors.len(), 3, "{kinds:?}");
    assert!(kinds[0].starts_with("not a pcap or pcapng capture"));
    assert!(kinds[1].contains("empty"));
    assert!(kinds[2].contains("No such file"));
}

/// A header of a version no reader knows is refused, as libpcap and Wireshark refuse it (their
/// test files), with the version named: a format that may differ is not read as if it did not.
#[test]
fn capture_formats_of_unknown_versions_are_refused() {
    let r = read(
        &[
            iotscope_testdata::refused("pcap-invalid-version-1.pcap"),
            iotscope_testdata::refused("pcapng-invalid-vers-1.pcapng"),
            iotscope_testdata::refused("pcapng-invalid-vers-2.pcapng"),
        ],
        1,
    );
    let kinds: Vec<String> = r.errors.iter().map(|e| e.kind.to_string()).collect();
    assert_eq!(
        kinds,
        [
            "corrupt capture: pcap file header of version 1.4: only version 2 is defined",
            "corrupt capture: pcapng section header of version 0.1: only 1.0 is defined",
            "corrupt capture: pcapng section header of version 1.1: only 1.0 is defined",
        ]
    );
    assert!(r.errors.iter().all(|e| e.offset == 0));
}

fn gzip(src: &Path, dst: &Path) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(src).unwrap()).unwrap();
    std::fs::write(dst, gz.finish().unwrap()).unwrap();
}

#[test]
fn gzip_and_misnamed_captures_read_the_same() {
    let src = iotscope_testdata::capture("nDPI__upnp.pcap"); // a pcapng named .pcap
    let gz = tmp("upnp.cap.gz");
    gzip(&src, &gz);
    let plain = read(&[src], 1);
    let packed = read(&[gz], 2);
    assert!(packed.errors.is_empty(), "{:?}", packed.errors);
    assert_eq!(packed.inputs[0].format.as_deref(), Some("pcapng"));
    assert_eq!(plain.flows.flows, packed.flows.flows);
    assert_eq!(plain.counters.frames, 14);
}

#[test]
fn several_captures_form_one_timeline() {
    let a = iotscope_testdata::capture("IoTSentinel__Aria__Setup-C-1-STA.pcap");
    let b = iotscope_testdata::capture("IoTSentinel__Withings__Setup-C-2-STA.pcap");
    let both = read(&[a.clone(), b.clone()], 2);
    let (ra, rb) = (read(&[a], 1), read(&[b], 1));
    assert_eq!(
        both.counters.frames,
        ra.counters.frames + rb.counters.frames
    );
    assert_eq!(both.inputs.len(), 2);
    // Frame numbers continue across inputs, and a flow seen in both (the DHCP broadcast) is one.
    let last = both.flows.flows.iter().map(|f| f.last_frame).max();
    let last_b = rb.flows.flows.iter().map(|f| f.last_frame).max().unwrap();
    assert_eq!(last, Some(ra.counters.frames + last_b));
    let spanning = both
        .flows
        .flows
        .iter()
        .filter(|f| f.first_frame < 50 && f.last_frame >= 50)
        .count();
    assert!(spanning >= 1);
    assert!(both.flows.flows.len() < ra.flows.flows.len() + rb.flows.flows.len());
}

#[test]
fn multi_interface_pcapng_and_qinq_pppoe() {
    let multi = read(
        &[iotscope_testdata::capture(
            "zeek__pcapng-multi-interface.pcapng",
        )],
        1,
    );
    assert!(
        multi.inputs[0].interfaces.len() >= 2,
        "{:?}",
        multi.inputs[0]
    );
    let q = read(
        &[iotscope_testdata::capture("zeek__pppoe-over-qinq.pcap")],
        1,
    );
    assert_eq!(
        q.counters.net[0] + q.counters.net[1],
        86,
        "every frame is IP inside QinQ + PPPoE"
    );
    assert!(q
        .flows
        .flows
        .iter()
        .all(|f| f.key.vlan[0] != 0 && f.key.vlan[1] != 0));
}

/// The same capture as if taken with a snap length of `snap` bytes (`tcpdump -s`): every record
/// keeps its original length and loses the bytes past `snap`. (Only for classic little-endian
/// microsecond pcap, the format of the captures used here.)
fn cut_to_snaplen(src: &Path, snap: usize, dst: &Path) {
    let b = std::fs::read(src).unwrap();
    assert_eq!(
        &b[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian pcap expected"
    );
    let mut out = b[..24].to_vec();
    out[16..20].copy_from_slice(&(snap as u32).to_le_bytes());
    let mut i = 24;
    while i + 16 <= b.len() {
        let caplen = u32::from_le_bytes(b[i + 8..i + 12].try_into().unwrap()) as usize;
        let keep = caplen.min(snap);
        out.extend_from_slice(&b[i..i + 8]);
        out.extend_from_slice(&(keep as u32).to_le_bytes());
        out.extend_from_slice(&b[i + 12..i + 16]);
        out.extend_from_slice(&b[i + 16..i + 16 + keep]);
        i += 16 + caplen;
    }
    std::fs::write(dst, out).unwrap();
}

#[test]
fn headers_only_captures_keep_their_flows_and_get_port_labels() {
    let src = iotscope_testdata::capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    // 64 bytes: Ethernet and an IPv6 header with one 8-byte extension or the UDP ports fit; TCP
    // headers with options and nearly all payloads are cut.
    let cut = tmp("hue-s64.pcap");
    cut_to_snaplen(&src, 64, &cut);
    let full = read(std::slice::from_ref(&src), 1);
    let short = read(std::slice::from_ref(&cut), 1);
    assert!(short.errors.is_empty());
    let counts = |r: &Run| {
        r.flows
            .flows
            .iter()
            .map(|f| (f.key, f.packets(), f.bytes()))
            .collect::<Vec<_>>()
    };
    let (a, b) = (counts(&full), counts(&short));
    let diff: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).take(3).collect();
    assert!(
        a.len() == b.len() && diff.is_empty(),
        "flows differ with a short snap length ({} vs {}): {diff:?}",
        a.len(),
        b.len()
    );
    use iotscope_proto::app::{App, By};
    let mut by_port = 0;
    for (f, s) in full.flows.flows.iter().zip(&short.flows.flows) {
        if f.key.proto != 6 {
            continue;
        }
        // With no payload left, a TCP flow's label can only come from its port, and says so.
        assert_ne!(s.app.by, By::Content, "{:?}", s.key);
        assert_ne!(s.app.by, By::Both, "{:?}", s.key);
        if f.app.app != App::Unknown && s.app.app == f.app.app {
            assert_eq!(s.app.by, By::Port);
            by_port += 1;
        }
    }
    assert!(by_port >= 10, "only {by_port} TCP flows labelled by port");
}

/// Two captures of other days read out of time order (the Aria's from August, then the D-Link
/// camera's from April): the DHCP broadcasts both send from 0.0.0.0:68 are two records, not one
/// spanning four months, with one thread or two.
#[test]
fn a_frame_far_older_than_its_record_starts_a_new_one() {
    let files = [
        iotscope_testdata::capture("IoTSentinel__Aria__Setup-C-1-STA.pcap"),
        iotscope_testdata::capture("IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap"),
    ];
    for threads in [1, 2] {
        let r = run(
            &files,
            &Options {
                flow: Config::default(),
                threads,
            },
        );
        let dhcp: Vec<_> = r
            .flows
            .flows
            .iter()
            .filter(|f| {
                f.key.end(iotscope_flow::Side::A).1 == 68
                    || f.key.end(iotscope_flow::Side::B).1 == 68
            })
            .collect();
        assert!(dhcp.len() >= 2, "{threads}");
        for f in dhcp {
            assert!(f.last - f.first < 86_400_000_000_000, "{threads}: {f:?}");
        }
    }
}

/// With the address-pair tables alone wanted (`flows --by ip|ipv6|eth`), two threads read a large
/// pcap file in parts, each thread framing its own: the tables, the counts and the errors are
/// those of one thread, on every capture large enough to be split, whole and cut short.
#[test]
fn files_read_in_parts_give_what_one_thread_gives() {
    let big: Vec<PathBuf> = iotscope_testdata::captures()
        .into_iter()
        .chain([
            iotscope_testdata::recorded("upload.pcap"),
            iotscope_testdata::recorded("firmware-tls.pcap"),
        ])
        .filter(|p| {
            iotscope_source::Capture::open(p)
                .unwrap()
                .split(2, iotscope_flow::pipeline::SPLIT_MIN_PART)
                .is_some()
        })
        .collect();
    assert!(big.len() >= 2, "{big:?}");
    // Files of several MB are cut in more parts than there are threads (one per MB, up to 16 a
    // thread), which the threads take in turn.
    let most = big
        .iter()
        .map(|p| {
            std::fs::metadata(p).unwrap().len() / iotscope_flow::pipeline::SPLIT_MIN_PART as u64
        })
        .max();
    assert!(most >= Some(6), "{most:?}");
    // The largest, cut short inside its second half: the error and what came before it.
    let whole = big.last().unwrap().clone();
    let bytes = std::fs::read(&whole).unwrap();
    let cut = tmp("split-cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 9 / 10]).unwrap();
    let flow = Config {
        fold_addresses: true,
        ..Config::default()
    };
    for path in big.iter().chain([&cut]) {
        let read = |threads| run(std::slice::from_ref(path), &Options { flow, threads });
        let (one, mut two) = (read(1), read(2));
        let (a, b) = (&one.counters, &two.counters);
        assert_eq!(
            (a.frames, a.bytes_wire, a.first_ts, a.min_ts, a.max_ts),
            (b.frames, b.bytes_wire, b.first_ts, b.min_ts, b.max_ts),
            "{}",
            path.display()
        );
        assert_eq!((a.net, a.transport), (b.net, b.transport));
        assert_eq!(one.inputs[0].frames, two.inputs[0].frames);
        assert_eq!(one.inputs[0].error, two.inputs[0].error);
        assert_eq!(one.flows.flows.len(), 0);
        let eth = std::mem::take(&mut two.flows.eth).into_sorted();
        assert_eq!(
            one.flows.eth.clone().into_sorted(),
            eth,
            "{}",
            path.display()
        );
        let ip = std::mem::take(&mut two.flows.addresses).into_sorted();
        assert_eq!(
            one.flows.addresses.clone().into_sorted(),
            ip,
            "{}",
            path.display()
        );
    }
    let r = run(std::slice::from_ref(&cut), &Options { flow, threads: 2 });
    assert_eq!(r.errors.len(), 1);
}

/// Parsers on: every thread reads every file whole and keeps the frames of the address pairs
/// that are its own, tunnels' inner packets by theirs. Records and messages are one thread's, in
/// its order: several inputs as one timeline, tunnels, a capture cut short (its error once), and
/// a compressed one (read once, its frames handed out).
#[test]
fn threads_that_each_read_every_frame_find_what_one_thread_finds() {
    let cut = tmp("threads-cut.pcap");
    let whole = std::fs::read(iotscope_testdata::recorded("firmware-tls.pcap")).unwrap();
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let gz = tmp("threads.pcap.gz");
    gzip(
        &iotscope_testdata::capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap"),
        &gz,
    );
    let sets = [
        vec![
            iotscope_testdata::capture("IoTSentinel__Aria__Setup-C-1-STA.pcap"),
            iotscope_testdata::capture("IoTSentinel__Withings__Setup-C-2-STA.pcap"),
        ],
        vec![
            iotscope_testdata::capture("nDPI__4in6tunnel.pcap"),
            iotscope_testdata::capture("nDPI__6in4tunnel.pcap"),
            iotscope_testdata::recorded("site-tunnel.pcap"),
        ],
        vec![cut],
        vec![gz],
    ];
    for paths in &sets {
        let read = |threads| {
            run(
                paths,
                &Options {
                    flow: Config::with_messages(),
                    threads,
                },
            )
        };
        let one = read(1);
        assert!(!one.flows.events.is_empty(), "{paths:?}");
        for threads in [2, 3] {
            let many = read(threads);
            assert_eq!(many.flows.flows, one.flows.flows, "{paths:?} {threads}");
            assert_eq!(many.flows.events, one.flows.events, "{paths:?} {threads}");
            let (a, b) = (&one.counters, &many.counters);
            assert_eq!(
                (a.frames, a.bytes_wire, a.first_ts, a.net, a.transport),
                (b.frames, b.bytes_wire, b.first_ts, b.net, b.transport),
                "{paths:?} {threads}"
            );
            let summary = |r: &Run| {
                r.inputs
                    .iter()
                    .map(|i| (i.frames, i.error.clone(), i.first_ts))
                    .collect::<Vec<_>>()
            };
            assert_eq!(summary(&many), summary(&one), "{paths:?} {threads}");
            assert_eq!(many.errors.len(), one.errors.len());
        }
    }
}

/// A part whose boundary cannot be found (the firmware recording with more than the search range
/// of zeros written over it from one even cut on: no record starts there) stops the threads, and
/// the file is read whole: what one thread reads, up to the damage and its error.
#[test]
fn a_part_without_a_boundary_is_read_whole() {
    let mut bytes = std::fs::read(iotscope_testdata::recorded("firmware-tls.pcap")).unwrap();
    let parts = bytes.len() / iotscope_flow::pipeline::SPLIT_MIN_PART;
    let even = bytes.len() / parts * (parts / 2);
    bytes[even..even + (5 << 20) / 4].fill(0);
    let damaged = tmp("split-unfound.pcap");
    std::fs::write(&damaged, &bytes).unwrap();
    let cap = iotscope_source::Capture::open(&damaged).unwrap();
    let split = cap
        .split(parts, iotscope_flow::pipeline::SPLIT_MIN_PART)
        .unwrap();
    assert!(split.part(parts / 2).is_none());
    let flow = Config {
        fold_addresses: true,
        ..Config::default()
    };
    let read = |threads| run(std::slice::from_ref(&damaged), &Options { flow, threads });
    let (one, two) = (read(1), read(2));
    assert!(one.counters.frames > 0);
    assert_eq!(one.counters.frames, two.counters.frames);
    assert_eq!(one.counters.bytes_wire, two.counters.bytes_wire);
    assert_eq!(one.inputs[0].error, two.inputs[0].error);
    assert!(one.inputs[0].error.is_some());
    assert_eq!(
        one.flows.addresses.clone().into_sorted(),
        two.flows.addresses.clone().into_sorted()
    );
}

#[test]
fn dns_over_tcp_answers_longer_than_a_segment_are_joined() {
    // record.sh dns-tcp: unbound's TXT answer of about 6 kB comes in five segments (tshark
    // reassembles it in frame 12); a small A answer follows on another connection.
    let r = run(
        &[iotscope_testdata::recorded("dns-tcp.pcap")],
        &Options::for_analysis(),
    );
    let answers: Vec<(u64, &iotscope_proto::dns::DnsMessage)> = r
        .flows
        .events
        .iter()
        .filter_map(|e| match &e.message {
            iotscope_proto::app::Message::Dns(m) if m.response => Some((e.frame, &**m)),
            _ => None,
        })
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    let (frame, txt) = answers[0];
    assert_eq!(frame + 1, 12);
    assert_eq!(txt.questions[0].name, "config.iotscope.test");
    assert!(!txt.incomplete);
    let strings = txt
        .records
        .iter()
        .find_map(|rec| match &rec.data {
            iotscope_proto::dns::RData::Txt(s) => Some(s),
            _ => None,
        })
        .expect("the TXT record");
    assert_eq!(strings.len(), 24);
    assert!(strings[23].starts_with("key24="));
    assert_eq!(answers[1].1.questions[0].name, "sensor.iotscope.test");
}

/// A connection seen from its middle is oriented by what it says before its ports: an NFS
/// client on reserved port 993 sends the RPC call, so it is the client, and it speaks no TLS.
/// A port a vendor's protocol uses labels nothing when the payload is another program's
/// (tcpflow's test: plain text on tcp/9999 is not TP-Link's protocol).
#[test]
fn content_orients_and_contradicts_port_labels() {
    let r = run(
        &[iotscope_testdata::capture(
            "tcpdump__nfs-write-verf-cookie.pcapng",
        )],
        &Options::for_analysis(),
    );
    let [f] = &r.flows.flows[..] else {
        panic!("one flow expected")
    };
    assert_eq!(f.key.end(f.initiator).1, 993);
    assert_eq!(f.key.end(f.initiator.other()).1, 2049);
    assert_eq!(f.app.app, iotscope_proto::app::App::Unknown);

    let r = run(
        &[iotscope_testdata::capture("tcpflow__flow_test.pcap")],
        &Options::for_analysis(),
    );
    assert_eq!(r.flows.flows.len(), 3);
    for f in &r.flows.flows {
        assert_eq!(f.key.end(f.initiator.other()).1, 9999);
        assert_eq!(f.app.app, iotscope_proto::app::App::Unknown);
    }
}

/// A TFTP server answers from a port of its own: the flow it opens to the request's port is the
/// transfer. A scanner's other probes from that port (record.sh udpscan: nmap sends a TFTP read
/// among probes to 1-30, 123 and 161 of two hosts, from one port, and nothing answers) are none,
/// whichever of them comes first and however many threads read the capture.
#[test]
fn a_scanners_probes_after_a_tftp_request_are_no_transfer() {
    let path = iotscope_testdata::recorded("udpscan.pcap");
    let mut seen = Vec::new();
    for threads in [1, 2] {
        let r = run(
            std::slice::from_ref(&path),
            &Options {
                threads,
                ..Options::for_analysis()
            },
        );
        let mut tftp: Vec<(u16, u16)> = r
            .flows
            .flows
            .iter()
            .filter(|f| f.app_name() == "tftp")
            .map(|f| {
                (
                    f.key.a_port.min(f.key.b_port),
                    f.key.a_port.max(f.key.b_port),
                )
            })
            .collect();
        tftp.sort_unstable();
        // The two requests, to port 69 of each host, and nothing else.
        assert_eq!(tftp.len(), 2, "{threads}: {tftp:?}");
        assert!(tftp.iter().all(|&(lo, _)| lo == 69), "{threads}: {tftp:?}");
        seen.push(tftp);
    }
    assert_eq!(seen[0], seen[1]);
}
