//! `iotscope report` as a user runs it: the terminal report, JSON, CSV, directories, redaction,
//! exit codes.

mod common;

use common::{iotscope, text};
use serde_json::Value;

fn path(p: std::path::PathBuf) -> String {
    p.to_str().unwrap().to_string()
}

const HUE: &str = "IoTSentinel__HueBridge__Setup-A-2-STA.pcap";

#[test]
fn the_terminal_report_reads_top_down() {
    let hue = path(iotscope_testdata::capture(HUE));
    let out = iotscope(&["report", &hue]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let at = |s: &str| t.find(s).unwrap_or_else(|| panic!("{s} missing:\n{t}"));
    // Network summary, then the device: verdict, findings, then the table of destinations.
    assert!(at("NETWORK") < at("PHILIPS-HUE"));
    assert!(at("PHILIPS-HUE") < at("Verdict: Needs attention."));
    assert!(at("Verdict:") < at("MEDIUM  cleartext-http"));
    assert!(at("MEDIUM  cleartext-http") < at("why it matters:"));
    assert!(at("why it matters:") < at("\n  talks to "));
    assert!(t.contains("bridge.meethue.com"));
    // Nothing on standard error when it is not a terminal (no progress indicator).
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let hue = path(iotscope_testdata::capture(HUE));
    // Its worst finding is medium.
    assert_eq!(
        iotscope(&["report", "--fail-on", "medium", &hue])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        iotscope(&["report", "--fail-on", "high", &hue])
            .status
            .code(),
        Some(0)
    );
    // The Hue bridge's link-local address is made from its MAC (EUI-64).
    let red =
        text(&iotscope(&["report", "--redact", &path(iotscope_testdata::capture(HUE))]).stdout);
    assert!(!red.contains("fe24:76ff"), "{red}");
    assert!(red.contains("fe80::217:88ff:fe00:"), "{red}");
    assert!(!red.contains("c6:2c:03:60:6a:64"));
    let telnet = path(iotscope_testdata::recorded("telnet-login.pcap"));
    assert_eq!(
        iotscope(&["report", "--fail-on", "high", &telnet])
            .status
            .code(),
        Some(1)
    );
    // A severity that does not exist is a usage error.
    let bad = iotscope(&["report", "--fail-on", "severe", &hue]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("expected info, low, medium or high"));
    let bad = iotscope(&["report", "--allow-country", "Germany", &hue]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("two-letter country code"));
}

#[test]
fn json_is_the_versioned_model() {
    let hue = path(iotscope_testdata::capture(HUE));
    let out = iotscope(&["report", "--format", "json", &hue]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "iotscope-report");
    assert_eq!(v["schema_version"], "1.19");
    assert_eq!(v["network"]["packets"], 1557);
    let dev = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["mac"] == "00:17:88:24:76:ff")
        .unwrap();
    assert_eq!(dev["kind"], "light/bridge");
    let f = &dev["findings"][0];
    for key in [
        "id", "severity", "title", "subject", "summary", "facts", "count", "first", "last",
        "frames",
    ] {
        assert!(!f[key].is_null(), "{key}");
    }
    // Every finding id used has its catalogue entry.
    let ids: Vec<&str> = v["catalogue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"cleartext-http"));
}

#[test]
fn csv_tables() {
    let hue = path(iotscope_testdata::capture(HUE));
    let out = iotscope(&["report", "--format", "csv", &hue]);
    let t = text(&out.stdout);
    assert!(t.starts_with("device,label,severity,id,"));
    assert!(t.contains(",medium,cleartext-http,"));
    let out = iotscope(&["report", "--format", "csv", "--table", "endpoints", &hue]);
    assert!(text(&out.stdout).contains("bridge.meethue.com,dns,"));
}

#[test]
fn a_directory_is_read_as_its_captures_in_order() {
    let dir = std::env::temp_dir().join(format!("iotscope-report-dir-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(iotscope_testdata::capture(HUE), dir.join("a.pcap")).unwrap();
    std::fs::copy(
        iotscope_testdata::recorded("http-poll.pcap"),
        dir.join("sub/b.pcap"),
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a capture").unwrap();
    let out = iotscope(&["report", "--format", "json", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].ends_with("a.pcap") && names[1].ends_with("b.pcap"));
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = iotscope(&["report", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no capture files"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_cut_capture_is_reported_up_to_the_cut() {
    let bytes = std::fs::read(iotscope_testdata::capture(HUE)).unwrap();
    let dir = std::env::temp_dir().join(format!("iotscope-report-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = iotscope(&["report", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cut.pcap: at byte "));
    let t = text(&out.stdout);
    assert!(
        t.contains("read stopped early") && t.contains("PHILIPS-HUE"),
        "{t}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn redaction_keeps_vendors_and_hides_the_owner() {
    let iphone = path(iotscope_testdata::capture("nDPI__iphone.pcap"));
    let plain = text(&iotscope(&["report", "--format", "json", &iphone]).stdout);
    assert!(plain.contains("Lucas"));
    let out = iotscope(&["report", "--format", "json", "--redact", &iphone]);
    assert!(out.status.success());
    let red = text(&out.stdout);
    let v: Value = serde_json::from_str(&red).unwrap();
    assert_eq!(v["redacted"], true);
    assert!(
        !red.to_lowercase().contains("lucas"),
        "a personal name is left"
    );
    for d in v["devices"].as_array().unwrap() {
        if let Some(mac) = d["mac"].as_str() {
            // The vendor prefix stays, the serial goes; a locally administered MAC goes whole.
            assert!(mac.contains(":xx:xx:"), "{mac}");
            if d["randomised_mac"] == true {
                assert!(mac.starts_with("xx:xx:xx:"), "{mac}");
            } else {
                let real = &plain[plain.find(&mac[..8]).unwrap()..][..17];
                assert!(!red.contains(real), "{real}");
            }
        }
    }
    // Stable: the same input gets the same pseudonyms.
    let again = text(&iotscope(&["report", "--format", "json", "--redact", &iphone]).stdout);
    assert_eq!(red, again);
    // A public address declared local (the owner's) is replaced too.
    let hue = path(iotscope_testdata::capture(HUE));
    let out = iotscope(&[
        "report",
        "--format",
        "json",
        "--redact",
        "--local",
        "74.125.34.157/32",
        &hue,
    ]);
    let red = text(&out.stdout);
    assert!(!red.contains("74.125.34.157"));
    assert!(red.contains("public-address-1"));
    // Identifiers inside host names and logins: the Aria's "GainSpanca9152" (its MAC ends
    // ca:91:52), the D-Link camera's "DCS-935L-B0C554255B0E" (its whole MAC), alexa's Android
    // ID, and the telnet user.
    for (file, secret) in [
        ("IoTSentinel__Aria__Setup-C-1-STA.pcap", "ca9152"),
        ("IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap", "b0c554255b0e"),
        ("nDPI__alexa-app.pcapng", "1c1335ec95a27318"),
    ] {
        let p = path(iotscope_testdata::capture(file));
        let plain = text(&iotscope(&["report", "--format", "json", &p]).stdout);
        assert!(plain.to_lowercase().contains(secret), "{file}");
        for format in ["json", "text", "html"] {
            let red = text(&iotscope(&["report", "--format", format, "--redact", &p]).stdout);
            assert!(!red.to_lowercase().contains(secret), "{file} {format}");
        }
    }
    let telnet = path(iotscope_testdata::recorded("telnet-login.pcap"));
    let red = text(&iotscope(&["report", "--redact", &telnet]).stdout);
    assert!(!red.contains("iotuser"), "{red}");
    assert!(red.contains("user1"));
}

#[test]
fn thresholds_a_user_can_change() {
    let ids = |args: &[&str]| -> Vec<String> {
        let out = iotscope(args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["findings"].as_array().unwrap().clone())
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let long = path(iotscope_testdata::recorded("long-tls.pcap"));
    assert!(ids(&["report", "-f", "json", &long]).contains(&"long-lived".into()));
    // The connection lasted 11 minutes: not long-lived by a one-hour standard.
    assert!(
        !ids(&["report", "-f", "json", "--long-lived", "3600", &long])
            .contains(&"long-lived".into())
    );
    let poll = path(iotscope_testdata::recorded("http-poll.pcap"));
    assert!(ids(&["report", "-f", "json", &poll]).contains(&"periodic".into()));
    // Eight polls: not a rhythm for someone who asks for nine.
    assert!(!ids(&["report", "-f", "json", "--min-beats", "9", &poll]).contains(&"periodic".into()));
}

#[test]
fn one_device_by_mac_address_or_name() {
    let hue = path(iotscope_testdata::capture(HUE));
    for sel in ["00:17:88:24:76:ff", "10.10.10.6", "philips-hue"] {
        let out = iotscope(&["report", "-f", "json", "--device", sel, &hue]);
        assert!(out.status.success(), "{sel}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let devs = v["devices"].as_array().unwrap();
        assert_eq!(devs.len(), 1, "{sel}");
        assert_eq!(devs[0]["id"], "00:17:88:24:76:ff");
        // The summary still speaks of the whole network.
        assert_eq!(v["network"]["devices"], 3);
    }
    let out = iotscope(&["report", "--device", "10.10.10.99", &hue]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no such device"));
}

#[test]
fn an_input_that_cannot_be_read_is_an_error_not_an_empty_report() {
    let out = iotscope(&["report", "/nonexistent/capture.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("capture.pcap"));
    // An empty capture is read fine: a report of nothing.
    let empty = path(iotscope_testdata::capture("tcpdump__empty.pcapng"));
    let out = iotscope(&["report", &empty]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("0 devices"));
}

#[test]
fn the_number_of_threads_changes_nothing() {
    // Every corpus capture as one timeline, whose time jumps back and forth between files: the
    // flow tables of several workers sweep at the moments one table would, and each (MAC,
    // address) pair of ARP is reported once.
    let captures = path(iotscope_testdata::capture("nDPI__iphone.pcap"))
        .rsplit_once('/')
        .unwrap()
        .0
        .to_string();
    let run = |args: &[&str], threads: &str| {
        let mut all = args.to_vec();
        all.extend(["--threads", threads, &captures]);
        let out = iotscope(&all);
        text(&out.stdout)
    };
    for args in [
        &["report", "--format", "json"][..],
        &["events", "--format", "json"],
        &["flows", "--by", "flow", "--format", "csv"],
    ] {
        let one = run(args, "1");
        assert!(one.len() > 10_000, "{args:?}");
        for threads in ["2", "3"] {
            assert!(one == run(args, threads), "{args:?} with {threads} threads");
        }
    }
}

#[test]
fn encrypted_wifi_is_named_with_what_to_do() {
    // Wireshark's wpa-Induction.pcap: radiotap + 802.11, 280 data frames under WPA.
    let wpa = path(iotscope_testdata::capture(
        "wireshark__wpa-Induction.pcap.gz",
    ));
    let out = iotscope(&["report", &wpa]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains("280 frames could not be decoded to the end (wlan-encrypted 280)."),
        "{t}"
    );
    assert!(t.contains("Decrypt the\n  capture first"), "{t}");
    // The advice on --local (for public addresses) does not apply.
    assert!(!t.contains("No local device"), "{t}");
    let out = iotscope(&["report", "--format", "json", &wpa]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["network"]["malformed_by_reason"],
        serde_json::json!([{"reason": "wlan-encrypted", "frames": 280}])
    );
    // The same capture decrypted: no such advice, and the stations' traffic is assessed.
    let dec = path(iotscope_testdata::capture(
        "wireshark__wpa-Induction-decrypted.pcap",
    ));
    let t = text(&iotscope(&["report", &dec]).stdout);
    assert!(!t.contains("Encrypted Wi-Fi"), "{t}");
    assert!(
        t.contains("MEDIUM  cleartext-http        en.wikipedia.org"),
        "{t}"
    );
}

#[test]
fn a_baseline_report_is_compared_and_a_wrong_one_refused() {
    let hue = path(iotscope_testdata::capture(HUE));
    let dir = std::env::temp_dir().join(format!("iotscope-cli-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("hue.json");
    let out = iotscope(&[
        "report",
        "--format",
        "json",
        "-o",
        &path(json.clone()),
        &hue,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Against its own report: no drift.
    let out = iotscope(&[
        "report",
        "--format",
        "json",
        "--baseline",
        &path(json.clone()),
        &hue,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["findings"].as_array().unwrap())
        .all(|f| f["id"] != "drift"));
    // Another network's devices are all new.
    let other = path(iotscope_testdata::capture("nDPI__iphone.pcap"));
    let out = iotscope(&["report", "--baseline", &path(json.clone()), &other]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("LOW     drift                 new device"));
    // A redacted report, or a file that is no report, is refused before the capture is read.
    let redacted = dir.join("redacted.json");
    let out = iotscope(&[
        "report",
        "--format",
        "json",
        "--redact",
        "-o",
        &path(redacted.clone()),
        &hue,
    ]);
    assert!(out.status.success());
    for (bad, says) in [
        (redacted, "a redacted report"),
        (
            iotscope_testdata::capture(HUE),
            "not an iotscope JSON report",
        ),
        (dir.join("missing.json"), "missing.json"),
    ] {
        let out = iotscope(&["report", "--baseline", &path(bad), &hue]);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains(says), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
    }
}
