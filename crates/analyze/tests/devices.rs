//! Devices on real captures: vendors against Wireshark's registry copy, and the IoT Sentinel
//! devices found with their names.

use iotscope_analyze::devices::{devices, vendor, Device, DeviceKey};
use iotscope_flow::pipeline::{run, Options};
use iotscope_flow::Config;

/// Letters and digits only, lowercase: registries differ in punctuation and case over the years.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn mac(s: &str) -> [u8; 6] {
    let v: Vec<u8> = s
        .split(':')
        .map(|x| u8::from_str_radix(x, 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

/// Prefixes whose name Wireshark's manuf file edits by hand, away from the IEEE registry iotscope
/// ships: 08:00:27 (IEEE: "PCS Systemtechnik GmbH", VirtualBox's prefix), 00:0A:00 (IEEE:
/// "MediaTek Inc"). The all-zero address is no vendor's.
const WIRESHARK_EDITS: [&str; 2] = ["08:00:27", "00:0a:00"];

#[test]
fn vendors_agree_with_wiresharks_registry() {
    let (mut compared, mut problems) = (0, Vec::new());
    for cap in iotscope_testdata::captures() {
        for line in iotscope_testdata::golden(&cap, "eth_vendors.tsv")
            .lines()
            .skip(1)
        {
            let f: Vec<&str> = line.split('\t').collect();
            let (m, full) = (mac(f[0]), f.get(2).copied().unwrap_or(""));
            if m[0] & 0x03 != 0
                || full.is_empty()
                || m == [0; 6]
                || WIRESHARK_EDITS.contains(&&f[0][..8])
            {
                // Group and locally administered addresses name no vendor.
                continue;
            }
            compared += 1;
            let ours = vendor(&m).unwrap_or_default();
            if norm(&ours) != norm(full) {
                problems.push(format!("{}: ours {ours:?}, Wireshark {full:?}", f[0]));
            }
        }
    }
    println!(
        "{} vendors compared, {} differ:\n{}",
        compared,
        problems.len(),
        problems.join("\n")
    );
    assert!(compared > 60);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn inventory(name: &str) -> Vec<Device> {
    let cap = iotscope_testdata::capture(name);
    let r = run(
        &[cap],
        &Options {
            flow: Config {
                messages: true,
                ..Config::default()
            },
            threads: 1,
        },
    );
    devices(&r.flows.flows, &r.flows.events)
}

fn device<'a>(inv: &'a [Device], m: &str) -> &'a Device {
    inv.iter()
        .find(|d| d.key == DeviceKey::Mac(mac(m)))
        .unwrap_or_else(|| panic!("{m} not found"))
}

#[test]
fn iot_sentinel_devices_are_found_with_vendor_and_names() {
    // The Hue bridge names itself over DHCP and mDNS; the Aria scale's Wi-Fi module over DHCP.
    let hue = inventory("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    let bridge = device(&hue, "00:17:88:24:76:ff");
    assert_eq!(bridge.vendor.as_deref(), Some("Philips Lighting BV"));
    assert!(
        bridge.names().contains(&"Philips-hue".to_string()),
        "{:?}",
        bridge.names()
    );
    assert!(bridge
        .addresses
        .iter()
        .any(|a| a.to_string() == "10.10.10.6"));
    assert!(!bridge.randomised);
    let aria = inventory("IoTSentinel__Aria__Setup-C-1-STA.pcap");
    let scale = device(&aria, "20:f8:5e:ca:91:52");
    assert_eq!(scale.names(), vec!["GainSpanca9152".to_string()]);
    assert!(scale
        .claims
        .iter()
        .any(|c| c.kind == "dhcp-parameters" && c.value == "1,3,6,15,66,67,13,44"));
    // Every device's traffic is accounted: what it sent plus what it received.
    assert!(aria.iter().all(|d| d.packets_up + d.packets_down > 0));
}
