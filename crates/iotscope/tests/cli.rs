//! The command line as a user runs it: formats, standard input, exit codes, error messages.

mod common;

use std::process::{Command, Stdio};

use common::{iotscope, text};

const ARIA: &str = "IoTSentinel__Aria__Setup-C-1-STA.pcap";

/// `flows --by tcp --format csv` on a test capture.
fn tcp_csv(capture: &str) -> std::process::Output {
    let cap = iotscope_testdata::capture(capture);
    iotscope(&[
        "flows",
        "--by",
        "tcp",
        "--format",
        "csv",
        cap.to_str().unwrap(),
    ])
}

#[test]
fn tcp_conversations_as_csv() {
    let out = tcp_csv(ARIA);
    assert!(out.status.success());
    // The same two connections tshark lists (testdata/golden/<capture>/conv_tcp.txt).
    assert_eq!(
        text(&out.stdout),
        "address_a,port_a,address_b,port_b,frames_a_to_b,bytes_a_to_b,frames_b_to_a,bytes_b_to_a,frames,bytes,rel_start,duration\n\
         10.10.10.123,62997,104.16.65.50,80,8,679,9,1724,17,2403,4.072599,0.480059\n\
         10.10.10.123,33635,104.16.65.50,80,7,592,6,1057,13,1649,4.565782,0.301770\n"
    );
}

#[test]
fn port_tables_show_the_vlan_when_there_is_one() {
    // xiaomi.pcap: some frames carry VLAN 208; the same addresses and ports on two VLANs are two
    // rows, so the table says which VLAN each is on.
    let out = tcp_csv("nDPI__xiaomi.pcap");
    assert!(out.status.success());
    let t = text(&out.stdout);
    assert!(
        t.starts_with("address_a,port_a,address_b,port_b,vlan,frames_a_to_b,"),
        "{t}"
    );
    assert!(
        t.contains("\n47.241.7.88,5222,10.52.151.160,39180,208,1,136,0,0,1,136,"),
        "{t}"
    );
}

/// What iotscope prints with `args`, given `file` as its standard input; it must succeed.
fn from_stdin(args: &[&str], file: &std::path::Path) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iotscope"))
        .args(args)
        .stdin(std::fs::File::open(file).unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert!(child.wait().unwrap().success(), "{args:?}");
    stdout
}

#[test]
fn json_rows_and_standard_input() {
    let cap = iotscope_testdata::capture(ARIA);
    let from_file = iotscope(&["flows", "--format", "json", cap.to_str().unwrap()]);
    let stdout = from_stdin(&["flows", "--format", "json", "-"], &cap);
    assert_eq!(text(&from_file.stdout), stdout);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 5);
    for r in rows {
        assert!(
            r.starts_with("{\"proto\":") && r.contains("\"end\":"),
            "{r}"
        );
    }
}

#[test]
fn a_cut_capture_prints_what_was_read_then_fails_with_the_offset() {
    let bytes = std::fs::read(iotscope_testdata::capture(ARIA)).unwrap();
    let dir = std::env::temp_dir().join(format!("iotscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let out = iotscope(&["stats", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("cut.pcap: at byte ") && err.contains("capture is cut off"),
        "{err}"
    );
    let report = text(&out.stdout);
    assert!(
        report.contains("frames") && report.contains("error"),
        "{report}"
    );
}

#[test]
fn usage_errors_exit_2_and_help_explains_flags() {
    assert_eq!(iotscope(&["flows"]).status.code(), Some(2));
    assert_eq!(
        iotscope(&["flows", "--by", "nonsense", "x.pcap"])
            .status
            .code(),
        Some(2)
    );
    let help = text(&iotscope(&["flows", "--help"]).stdout);
    for flag in [
        "--by",
        "--format",
        "--threads",
        "--idle-timeout",
        "--no-timeouts",
        "--max-flows",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
}

/// Real clients logging in to real servers (testdata/recorded/record.sh): each login is reported
/// with its protocol, method and user, and the password appears in no output, in no format.
#[test]
fn cleartext_logins_are_reported_and_passwords_never_shown() {
    let expected = [
        ("telnet-login.pcap", vec!["telnet prompt user=iotuser"]),
        ("ftp-login.pcap", vec!["ftp USER/PASS user=iotuser"]),
        ("ftp-altport.pcap", vec!["ftp USER/PASS user=iotuser"]),
        (
            "pop3-login.pcap",
            vec![
                "pop3 AUTH PLAIN user=iotuser",
                "pop3 AUTH PLAIN user=iotuser",
                "pop3 USER/PASS user=iotuser",
            ],
        ),
        (
            "imap-login.pcap",
            vec![
                "imap AUTH PLAIN user=iotuser",
                "imap AUTH PLAIN user=iotuser",
                "imap LOGIN user=iotuser",
            ],
        ),
        (
            "smtp-auth.pcap",
            vec![
                "smtp AUTH PLAIN user=iotuser",
                "smtp AUTH LOGIN user=iotuser",
            ],
        ),
        ("http-basic.pcap", vec!["http Basic user=iotuser"]),
        ("mqtt-login.pcap", vec!["mqtt CONNECT user=iotuser"]),
        ("ftp-modes.pcap", vec!["ftp USER/PASS user=iotuser"; 4]),
        // A community (the password) once per flow: a v1 get and a v2c walk; v3 is no login.
        (
            "snmp.pcap",
            vec!["snmp community (v1) user=?", "snmp community (v2c) user=?"],
        ),
        // Two simple binds in clear (the wrong password, then the right one); the anonymous
        // bind is no login, the StartTLS and LDAPS binds are encrypted.
        (
            "ldap.pcap",
            vec!["ldap simple bind user=uid=iotuser,ou=people,dc=iotscope,dc=test"; 2],
        ),
        // POP3, IMAP and SMTP logins after STLS/STARTTLS: inside TLS, nothing to see.
        ("starttls.pcap", vec![]),
    ];
    // The password, and the encodings a client sends it in (base64 alone, SASL PLAIN, HTTP Basic).
    let secrets = [
        "S3cretPassw0rd!",
        "UzNjcmV0UGFzc3cwcmQh",
        "AGlvdHVzZXIAUzNjcmV0UGFzc3cwcmQh",
        "aW90dXNlcjpTM2NyZXRQYXNzdzByZCE=",
        // The wrong password of ldap.pcap's refused bind.
        "WrongPassw0rd!",
    ];
    for (file, logins) in expected {
        let cap = iotscope_testdata::recorded(file);
        let cap = cap.to_str().unwrap();
        let table = text(&iotscope(&["events", cap]).stdout);
        let found: Vec<String> = table
            .lines()
            .filter(|l| l.contains("cleartext-login"))
            .map(|l| {
                l.split("cleartext-login")
                    .nth(1)
                    .unwrap()
                    .split("  ")
                    .find(|s| !s.trim().is_empty())
                    .unwrap()
                    .trim()
                    .to_string()
            })
            .collect();
        assert_eq!(found, logins, "{file}");
        for cmd in ["events", "flows", "dns", "stats"] {
            for fmt in ["table", "csv", "json"] {
                let out = iotscope(&[cmd, "--format", fmt, cap]);
                let all = text(&out.stdout) + &text(&out.stderr);
                for s in secrets {
                    assert!(
                        !all.contains(s),
                        "{file}: `{cmd} --format {fmt}` shows a password form {s}"
                    );
                }
            }
        }
    }
}

/// A user name the server refuses before any password still crossed in clear: nDPI's
/// ftp_failed.pcap (vsftpd answers `USER hello` with 530, the client sends SYST and QUIT).
#[test]
fn a_user_name_refused_before_any_password_is_a_login_without_one() {
    let cap = iotscope_testdata::capture("nDPI__ftp_failed.pcap");
    let out = iotscope(&["events", "--format", "json", cap.to_str().unwrap()]);
    assert!(out.status.success());
    let logins: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["type"] == "cleartext-login")
        .collect();
    assert_eq!(logins.len(), 1, "{logins:?}");
    let (l, m) = (&logins[0], &logins[0]["message"]);
    assert_eq!(
        (&m["protocol"], &m["method"], &m["user"], &m["password"]),
        (
            &serde_json::json!("ftp"),
            &serde_json::json!("USER"),
            &serde_json::json!("hello"),
            &serde_json::json!(false)
        ),
        "{l}"
    );
    // Reported at the client's next command (SYST, frame 10), from the client.
    assert_eq!(l["frame"], 10, "{l}");
    assert_eq!(l["src_port"], 44724, "{l}");
    let table = text(&iotscope(&["events", cap.to_str().unwrap()]).stdout);
    assert!(
        table
            .lines()
            .any(|r| r.contains("ftp USER user=hello") && r.contains("no password sent")),
        "{table}"
    );
}

/// A Google QUIC hello in clear (nDPI's quic_q46_b.pcap, Q046, as tshark's gquic.tag fields
/// read it): an event with the server's name and the client's user agent, the endpoint named by
/// it, and the user agent telling what the client is.
#[test]
fn a_google_quic_hello_names_its_server_and_its_client() {
    let cap = iotscope_testdata::capture("nDPI__quic_q46_b.pcap");
    let cap = cap.to_str().unwrap();
    let events = text(&iotscope(&["events", "--format", "json", cap]).stdout);
    let hello: serde_json::Value = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "gquic-hello")
        .expect("a gquic-hello event");
    assert_eq!(hello["frame"], 1);
    assert_eq!(hello["message"]["version"], "Q046");
    assert_eq!(hello["message"]["sni"], "upload.youtube.com");
    let devices = text(&iotscope(&["devices", "--format", "json", cap]).stdout);
    let d: serde_json::Value = serde_json::from_str(devices.lines().next().unwrap()).unwrap();
    assert_eq!(d["kind"], "phone", "{d}");
    assert!(
        d["kind_because"]
            .as_str()
            .unwrap()
            .contains("com.google.android.youtube Cronet/76.0.3809.0"),
        "{d}"
    );
    let report = text(&iotscope(&["report", cap]).stdout);
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("upload.youtube.com")),
        "{report}"
    );
}

#[test]
fn events_inside_a_tunnel_name_their_flow_by_its_first_frame() {
    // nDPI's 6in4 capture: DNS over IPv6 inside IPv4. Each event's flow is the frame number of
    // its flow record's first frame, the same for the tunnel's record and the one inside it.
    let cap = iotscope_testdata::capture("nDPI__6in4tunnel.pcap");
    let out = iotscope(&["events", "--format", "csv", cap.to_str().unwrap()]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    let mut dns = 0;
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let (frame, flow): (u64, u64) = (c[1].parse().unwrap(), c[2].parse().unwrap());
        assert!(flow >= 1 && flow <= frame, "{line}");
        dns += usize::from(c[7] == "dns-query" && c[3].contains(':'));
    }
    assert!(dns >= 2, "{csv}");
}

#[test]
fn address_tables_from_a_file_in_parts_and_from_a_pipe_agree() {
    // Two threads read a large file in halves for the address tables; standard input cannot be
    // split, and nothing of it may be lost trying.
    let cap = iotscope_testdata::capture("nDPI__1kxun.pcap");
    for by in ["ip", "ipv6", "eth"] {
        let args = ["flows", "--by", by, "--threads", "2", "--format", "csv"];
        let mut with_file = args.to_vec();
        with_file.push(cap.to_str().unwrap());
        let from_file = text(&iotscope(&with_file).stdout);
        let one = text(&iotscope(&[&with_file[..4], &["1"], &with_file[5..]].concat()).stdout);
        assert_eq!(from_file, one, "{by}");
        let stdout = from_stdin(&[&args[..], &["-"]].concat(), &cap);
        assert_eq!(from_file, stdout, "{by}");
        assert!(from_file.lines().count() > 5, "{by}");
    }
}

/// Every event's message is an object in the NDJSON, the server greetings (a bare string
/// inside) and MQTT's CONNACK (a bare number) too.
#[test]
fn every_event_message_is_written_as_json() {
    for file in ["pop3-login.pcap", "mqtt-login.pcap"] {
        let cap = iotscope_testdata::recorded(file);
        let out = iotscope(&["events", "--format", "json", cap.to_str().unwrap()]);
        let mut kinds = Vec::new();
        for line in text(&out.stdout).lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["message"].is_object(), "{file}: {line}");
            kinds.push(v["type"].as_str().unwrap().to_string());
            if v["type"] == "banner" {
                assert!(!v["message"]["text"].as_str().unwrap().is_empty(), "{line}");
            }
        }
        assert!(
            kinds.iter().any(|k| k == "banner" || k == "mqtt-connack"),
            "{file}: {kinds:?}"
        );
    }
}

/// A file that is no capture at all: the JSON report is still a document, whose input says what
/// went wrong, and the exit status says it failed; the terminal report is only the error.
#[test]
fn a_report_on_nothing_readable_still_writes_its_json() {
    let readme = iotscope_testdata::root().join("captures/INDEX.md");
    let out = iotscope(&["report", "--format", "json", readme.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = r["inputs"][0]["error"].as_str().unwrap();
    assert!(error.contains("not a pcap or pcapng capture"), "{error}");
    assert_eq!(r["network"]["devices"], 0);
    let out = iotscope(&["report", readme.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// avahi browsing and announcing, chronyd serving time (testdata/recorded/home): a message's
/// every question is listed, an announcement of A and AAAA records gives a binding per type,
/// and a client's NTP request names no reference.
#[test]
fn events_and_bindings_show_whole_messages() {
    let cap = iotscope_testdata::recorded("home/mdns.pcap");
    let cap = cap.to_str().unwrap();
    let events = text(&iotscope(&["events", "--format", "csv", cap]).stdout);
    // Frame 71 asks for both service types (tshark: dns.count.queries == 2).
    let frame71 = events
        .lines()
        .find(|l| l.split(',').nth(1) == Some("71"))
        .expect("frame 71");
    assert!(
        frame71.contains("PTR _http._tcp.local") && frame71.contains("PTR _hap._tcp.local"),
        "{frame71}"
    );
    let dns = text(&iotscope(&["dns", "--format", "csv", cap]).stdout);
    let rows: Vec<&str> = dns
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("27"))
        .collect();
    assert!(
        rows.iter().any(|l| l.contains(",A,,192.168.18.50,")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|l| l.contains(",AAAA,,fe80::ba27:ebff:fe4c:219a,")),
        "{rows:?}"
    );
    let cap = iotscope_testdata::recorded("home/ntp.pcap");
    let ntp = text(&iotscope(&["events", cap.to_str().unwrap()]).stdout);
    assert!(ntp.contains("stratum 8 ref 127.127.1.1"));
    assert!(
        !ntp.lines().any(|l| l.trim_end().ends_with(" ref")),
        "{ntp}"
    );
}

/// Whether process `pid` has a handler for SIGINT (bit 1 of `SigCgt` in its status).
#[cfg(target_os = "linux")]
fn catches_sigint(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|m| m & (1 << 1) != 0)
}

/// Live traffic piped in from a capture program never ends by itself: Ctrl-C stops the reading,
/// and what was read is still reported, with the interrupt said on standard error and in the
/// exit code (130).
#[test]
#[cfg(target_os = "linux")]
fn ctrl_c_on_a_live_pipe_reports_what_was_read() {
    use std::io::Write;
    let bytes = std::fs::read(iotscope_testdata::capture(ARIA)).unwrap();
    // The pcap header and the records, cut at record boundaries.
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        records.push(&bytes[at..at + 16 + len]);
        at += 16 + len;
    }
    assert!(records.len() > 20);
    let mut child = Command::new(env!("CARGO_BIN_EXE_iotscope"))
        .args(["report", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&bytes[..24]).unwrap();
    for r in &records[..10] {
        stdin.write_all(r).unwrap();
    }
    stdin.flush().unwrap();
    // The signal must come after the handler is in place, or it would end the process at once.
    for tries in 0.. {
        if catches_sigint(child.id()) {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "iotscope ended early");
        if tries == 6000 {
            let _ = child.kill();
            panic!("iotscope never installed a handler for SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // Records go on arriving, slowly, as from a capture program whose pipe stays open: the
    // reader, waiting on the pipe, wakes for each, and stops at the first it finds the stop at.
    let mut written = 10;
    for r in &records[10..] {
        if child.try_wait().unwrap().is_some() || stdin.write_all(r).is_err() {
            break;
        }
        written += 1;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Had it not stopped by the last record, the end of input ends it (and the test fails).
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("<stdin>: at byte ") && err.contains("stopped by an interrupt (Ctrl-C)"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &report["inputs"][0];
    let frames = input["frames"].as_u64().unwrap();
    // The signal may come before the first frames were read, never after the last written.
    assert!(
        frames <= written && frames < records.len() as u64,
        "{input}"
    );
    assert!(
        input["error"].as_str().unwrap().contains("Ctrl-C"),
        "{input}"
    );
}
