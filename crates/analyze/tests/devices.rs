//! Devices on real captures: vendors against Wireshark's registry copy, and the IoT Sentinel
//! devices found with their names.

use iotscope_analyze::devices::{devices, vendor, Device, DeviceKey};
use iotscope_flow::pipeline::{run, Options};

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
/// "MediaTek Inc"), 00:00:00 (IEEE: "XEROX CORPORATION", which Wireshark words as "Officially
/// Xerox, but 0:0:0:0:0:0 is more common"), 00:04:00 (IEEE: "LEXMARK INTERNATIONAL, INC.",
/// Wireshark: "Lexmark (Print Server)"). The all-zero address is no vendor's.
const WIRESHARK_EDITS: [&str; 4] = ["08:00:27", "00:0a:00", "00:00:00", "00:04:00"];

/// Prefixes the IEEE registry renamed after Wireshark 4.0's copy was made: (prefix, the name
/// Wireshark 4.0 prints, the registry's name now). Technicolor took the name Vantiva in 2023.
const RENAMED: [(&str, &str, &str); 5] = [
    (
        "c4:ea:1d",
        "Technicolor Delivery Technologies Belgium NV",
        "Vantiva Technologies Belgium",
    ),
    (
        "10:13:31",
        "Technicolor Delivery Technologies Belgium NV",
        "Vantiva Technologies Belgium",
    ),
    (
        "a4:91:b1",
        "Technicolor Delivery Technologies Belgium NV",
        "Vantiva Technologies Belgium",
    ),
    // CommScope bought ARRIS in 2019, and the registry moved ARRIS's blocks to its name.
    ("2c:7e:81", "ARRIS Group, Inc.", "Commscope"),
    // Wireshark's manuf words this block by the company's head office; the registry by its name.
    (
        "00:04:96",
        "Extreme Networks Headquarters",
        "Extreme Networks, Inc.",
    ),
];

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
            let renamed = RENAMED
                .iter()
                .any(|(p, then, now)| f[0].starts_with(p) && full == *then && ours == *now);
            if norm(&ours) != norm(full) && !renamed {
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
    let r = run(&[cap], &Options::for_analysis());
    devices(&r.flows.flows, &r.flows.events, &Default::default())
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

/// Each IoT Sentinel capture is one device's setup; the folder it came from names the model
/// (testdata/captures/INDEX.md). Its MAC is the device's own, found by its vendor prefix.
const SENTINEL: [(&str, &str, &str); 13] = [
    ("Aria", "20:f8:5e:ca:91:52", "scale/health"),
    ("D-LinkCam", "b0:c5:54:25:5b:0e", "camera"),
    ("D-LinkHomeHub", "1c:5f:2b:aa:fd:4e", "hub"),
    ("EdimaxCam1", "74:da:38:80:7a:08", "camera"),
    ("EdnetCam1", "3c:49:37:03:17:db", "camera"),
    ("HomeMaticPlug", "00:1a:22:05:c4:2e", "plug/switch"),
    ("HueBridge", "00:17:88:24:76:ff", "light/bridge"),
    ("Lightify", "84:18:26:7b:5f:6b", "light/bridge"),
    ("TP-LinkPlugHS110", "50:c7:bf:00:c7:03", "plug/switch"),
    ("WeMoInsightSwitch", "94:10:3e:41:c2:05", "plug/switch"),
    ("WeMoLink", "94:10:3e:cd:37:65", "light/bridge"),
    ("Withings", "00:24:e4:24:80:2a", "scale/health"),
    ("iKettle2", "5c:cf:7f:06:d9:02", "unknown"),
];

#[test]
fn iot_sentinel_device_types_are_right_or_unknown() {
    use iotscope_analyze::identify::identify;
    let mut right = 0;
    let mut table = Vec::new();
    for (model, m, truth) in SENTINEL {
        let file = iotscope_testdata::captures()
            .into_iter()
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("IoTSentinel__{model}__"))
            })
            .unwrap();
        let inv = inventory(file.file_name().unwrap().to_str().unwrap());
        let d = device(&inv, m);
        assert!(d.vendor.is_some(), "{model}: no vendor");
        let id = identify(d);
        let got = id.kind.name();
        table.push(format!(
            "{model:18} {m}  {:30} {got:13} {:?} {}",
            d.vendor.clone().unwrap_or_default(),
            id.confidence,
            id.because.clone().unwrap_or_default()
        ));
        // Right, or honestly unknown, or a smart-home device of a kind not known (each of these
        // is one); never another kind.
        assert!(
            got == truth || got == "unknown" || got == "smart-home device",
            "{model}: {got} (truth {truth}) because {:?}",
            id.because
        );
        right += usize::from(got == truth);
    }
    println!(
        "{right} of {} IoT Sentinel devices identified\n{}",
        SENTINEL.len(),
        table.join("\n")
    );
    assert!(right >= 9, "only {right} identified");
}

#[test]
fn no_device_in_the_corpus_is_confidently_contradictory() {
    use iotscope_analyze::identify::{identify, Kind};
    // The routers of the IoT Sentinel lab hand out addresses: they are routers, never anything else.
    let inv = inventory("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    let router = device(&inv, "00:b5:6d:06:08:ba");
    assert_eq!(identify(router).kind, Kind::RouterAp);
}

#[test]
fn arp_gives_addresses_to_hosts_that_send_no_ip() {
    // In the HomeMatic capture the router only answers ARP: it is a device with its address.
    let inv = inventory("IoTSentinel__HomeMaticPlug__Setup-C-8-STA.pcap");
    let router = device(&inv, "00:b5:6d:06:08:ba");
    assert!(
        router
            .addresses
            .iter()
            .any(|a| a.to_string() == "10.10.10.1"),
        "{:?}",
        router.addresses
    );
    assert_eq!(
        router.packets_up + router.packets_down,
        0,
        "no IP traffic of its own"
    );
}

#[test]
fn the_gateway_is_the_host_internet_traffic_comes_through() {
    use iotscope_analyze::identify::{identify, Kind};
    // No DHCP in this capture: the access point (a PC) is known by the traffic it forwards.
    let inv = inventory("IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap");
    let gw = device(&inv, "28:b2:bd:c3:41:79");
    let id = identify(gw);
    assert_eq!(id.kind, Kind::RouterAp);
    assert_eq!(
        id.because.as_deref(),
        Some("gateway=forwards traffic to and from the internet")
    );
    // At most one gateway per capture, and never a device that only talks to the internet.
    for cap in iotscope_testdata::captures() {
        let r = run(std::slice::from_ref(&cap), &Options::for_analysis());
        let inv = devices(&r.flows.flows, &r.flows.events, &Default::default());
        let gateways: Vec<&Device> = inv
            .iter()
            .filter(|d| d.claims.iter().any(|c| c.kind == "gateway"))
            .collect();
        assert!(gateways.len() <= 1, "{}", cap.display());
        for d in gateways {
            assert_ne!(identify(d).kind, Kind::Camera, "{}", cap.display());
        }
    }
    let cam = device(&inv, "b0:c5:54:25:5b:0e");
    assert_eq!(identify(cam).kind, Kind::Camera);
}

#[test]
fn user_agents_that_name_android_and_its_emulator() {
    use iotscope_analyze::identify::{identify, Confidence, Kind};
    // The D-Link camera is set up from an LG phone whose app sends `ksoap2-android`.
    let cam = inventory("IoTSentinel__D-LinkCam__Setup-A-2-STA.pcap");
    let phone = identify(device(&cam, "bc:f5:ac:f4:c0:9d"));
    assert_eq!(
        (phone.kind, phone.confidence),
        (Kind::Phone, Some(Confidence::Low))
    );
    assert!(phone.because.unwrap().contains("ksoap2-android"));
    // In 1kxun a PC runs the Android emulator (sdk_gphone_x86, generic_x86): a computer.
    let lan = inventory("nDPI__1kxun.pcap");
    let emulator = identify(device(&lan, "9c:b6:d0:d3:e3:33"));
    assert_eq!(emulator.kind, Kind::Computer);
}

#[test]
fn apple_host_names_and_a_camera_description() {
    use iotscope_analyze::identify::{identify, Kind};
    // iphone.pcap: DHCP host names "Lucas-iPhone" (frames 29, 35) and "Lucas-iMac": Apple puts
    // the owner's name first, so the model word is looked for anywhere in the name.
    let inv = inventory("nDPI__iphone.pcap");
    assert_eq!(
        identify(device(&inv, "c4:61:8b:35:82:a9")).kind,
        Kind::Phone
    );
    assert_eq!(
        identify(device(&inv, "d8:30:62:56:00:1c")).kind,
        Kind::Computer
    );
    // The Edimax camera announces http://.../IPCamDesc.xml as its UPnP description.
    let cam = inventory("IoTSentinel__EdimaxCam1__Setup-A-3-STA.pcap");
    let id = identify(device(&cam, "74:da:38:80:7a:08"));
    assert_eq!(id.kind, Kind::Camera);
    assert!(id.because.unwrap().contains("IPCamDesc.xml"));
}

#[test]
fn wifi_stations_are_devices_and_a_shared_printer_is_not_theirs() {
    use iotscope_analyze::identify::{identify, Kind};
    // wpa-Induction, decrypted by airdecap-ng (802.11 headers kept): the stations' MACs come from
    // the data frames' address fields (from the AP: source in address 3; to it: address 2).
    let inv = inventory("wireshark__wpa-Induction-decrypted.pcap");
    let imac = device(&inv, "00:0d:93:82:36:3a");
    assert!(imac
        .addresses
        .iter()
        .any(|a| a.to_string() == "192.168.0.50"));
    let router = device(&inv, "00:0c:41:82:b2:53");
    assert!(router
        .addresses
        .iter()
        .any(|a| a.to_string() == "192.168.0.1"));
    // Frame 120: the iMac announces "Okidata OL400e @ Karen's iMac._ipp._tcp.local", a printer it
    // shares; it is a computer (its name says iMac), not a printer.
    assert!(imac
        .claims
        .iter()
        .any(|c| c.kind == "mdns-shared" && c.value == "_ipp._tcp.local"));
    assert_eq!(identify(imac).kind, Kind::Computer);
    // A PPI header in front of 802.11 (libpcap's http_PPI.pcap): the station asking DNS.
    let inv = inventory("libpcap__http_PPI.pcap");
    assert!(device(&inv, "00:14:a5:cb:6e:1a")
        .addresses
        .iter()
        .any(|a| a.to_string() == "192.168.1.132"));
}

#[test]
fn tuya_beacons_and_smart_home_vendors_make_smart_home_devices() {
    use iotscope_analyze::identify::{identify, Kind};
    // nDPI's tuya_lp: each of the 13 hosts broadcasts Tuya's discovery beacon to udp/6667,
    // whether its Wi-Fi module is Tuya's own or Espressif's.
    let inv = inventory("nDPI__tuya_lp.pcap");
    assert_eq!(inv.len(), 13);
    for d in &inv {
        let id = identify(d);
        assert_eq!(id.kind, Kind::SmartHome, "{:?}", d.vendor);
        assert_eq!(
            id.because.as_deref(),
            Some("tuya-discovery=broadcasts Tuya's device discovery")
        );
    }
    // A Nest device and an eQ-3 (HomeMatic) plug, by their makers alone.
    let nest = inventory("nDPI__nest_log_sink.pcap");
    let id = identify(device(&nest, "18:b4:30:26:34:40"));
    assert_eq!(
        (id.kind, id.because.as_deref()),
        (Kind::SmartHome, Some("vendor=Nest Labs Inc."))
    );
    let plug = inventory("IoTSentinel__HomeMaticPlug__Setup-C-8-STA.pcap");
    let id = identify(device(&plug, "00:1a:22:05:c4:2e"));
    assert_eq!(id.kind, Kind::SmartHome);
}

#[test]
fn netbios_names_from_a_hosts_own_answers_not_from_questions_or_groups() {
    // netbios.pcap: 10.0.4.24 answers a query for its name GUNNAR<00> (frame 69), 10.0.5.1 for
    // GURU<00> (frame 107). Hosts that only asked for names, and the workgroup VIGILANT_GROUP
    // in GUNNAR's NBSTAT answer, name no one. 10.0.5.9 and 10.0.5.93 send browser
    // announcements (NetBIOS datagrams, frames 20 and 113) as NVR9<20> and BOWIE<20>.
    let inv = inventory("nDPI__netbios.pcap");
    assert_eq!(device(&inv, "00:1c:c4:10:79:0f").names(), ["GUNNAR"]);
    assert_eq!(device(&inv, "ec:a8:6b:f4:60:77").names(), ["GURU"]);
    assert_eq!(device(&inv, "00:30:48:b0:b1:94").names(), ["NVR9"]);
    assert_eq!(device(&inv, "00:30:48:b0:b1:a6").names(), ["BOWIE"]);
    let named: Vec<String> = inv.iter().flat_map(|d| d.names()).collect();
    assert_eq!(named.len(), 4, "{named:?}");
    // dos_win98_smb_netbeui.pcap: a Windows 98 host registers MDJR98 (<00>, <20>, and <03>,
    // the messenger's), the group WORKGROUP<00>, and its user's messenger name: only its own
    // host name names it.
    let inv = inventory("nDPI__dos_win98_smb_netbeui.pcap");
    assert_eq!(device(&inv, "00:50:56:33:78:9e").names(), ["MDJR98"]);
}

#[test]
fn lldp_and_cdp_name_switches_routers_and_phones() {
    use iotscope_analyze::identify::{identify, Confidence, Kind};
    // Two Cisco IP phones say over CDP that they are phones, and where they are managed.
    let inv = inventory("ladvd__49.good.phone.pcap");
    let phone = device(&inv, "00:1b:53:48:9e:e0");
    assert_eq!(phone.names(), ["SEP001B53489EE0"]);
    assert!(phone
        .addresses
        .iter()
        .any(|a| a.to_string() == "10.10.33.97"));
    assert!(phone
        .claims
        .iter()
        .any(|c| c.kind == "cdp-platform" && c.value == "Cisco IP Phone 7912"));
    let id = identify(phone);
    assert_eq!(
        (id.kind, id.confidence),
        (Kind::Phone, Some(Confidence::High))
    );
    // A switch (LLDP-MED, a bridge) and a router (CDP) are network gear, at medium confidence:
    // a Linux server with a bridge says "bridge" too.
    for (capture, m, name) in [
        (
            "ladvd__43.good.lldpmed.pcap",
            "00:13:21:57:ca:7f",
            "ProCurve Switch 2600-8-PWR",
        ),
        (
            "ladvd__46.good.2811.pcap",
            "00:1a:6d:f5:0d:50",
            "c2811.ttttrnal.lottlloou.nl",
        ),
    ] {
        let inv = inventory(capture);
        let d = device(&inv, m);
        assert_eq!(d.names(), [name]);
        let id = identify(d);
        assert_eq!(
            (id.kind, id.confidence),
            (Kind::RouterAp, Some(Confidence::Medium)),
            "{capture}"
        );
    }
    // lldpd on a host with no name, and no capability but "station": no name, no kind.
    let inv = inventory("ladvd__53.good.ipv6.pcap");
    let bmc = device(&inv, "00:25:90:05:9a:46");
    assert!(bmc.names().is_empty());
    assert_eq!(identify(bmc).kind, Kind::Unknown);
}

#[test]
fn lldpd_announcements_name_a_switch_and_a_phone_that_is_renamed() {
    use iotscope_analyze::identify::{identify, Confidence, Kind};
    // Recorded: lldpd as a switch (LLDP and CDP) and as an LLDP-MED phone renamed mid-capture.
    let cap = iotscope_testdata::recorded("lldp.pcap");
    let r = run(&[cap], &Options::for_analysis());
    let inv = devices(&r.flows.flows, &r.flows.events, &Default::default());
    // Sent every second, each host's announcements are reported when they change, not each time.
    let said: Vec<_> = r
        .flows
        .events
        .iter()
        .filter_map(|e| match &e.message {
            iotscope_proto::app::Message::Neighbor { mac, neighbor } => Some((
                *mac,
                iotscope_proto::neighbor::Neighbor {
                    ttl: None,
                    ..(**neighbor).clone()
                },
            )),
            _ => None,
        })
        .collect();
    assert!(said.len() >= 5, "{said:?}");
    for (k, a) in said.iter().enumerate() {
        assert!(!said[..k].contains(a), "reported twice: {a:?}");
    }
    let named = |n: &str| {
        inv.iter()
            .find(|d| d.names().iter().any(|x| x == n))
            .unwrap_or_else(|| panic!("no device named {n}"))
    };
    let phone = named("desk-phone");
    assert!(
        phone.names().contains(&"desk-phone-2".to_string()),
        "the new name too"
    );
    assert!(phone
        .claims
        .iter()
        .any(|c| c.kind == "lldp-med-class" && c.value == "class III (communication device)"));
    assert!(phone.addresses.iter().any(|a| a.to_string() == "10.99.0.2"));
    let id = identify(phone);
    assert_eq!(
        (id.kind, id.confidence),
        (Kind::Phone, Some(Confidence::High))
    );
    // The switch said "station" first, then "bridge, router": both announcements are read.
    let switch = named("lab-switch");
    let caps: Vec<&str> = switch
        .claims
        .iter()
        .filter(|c| c.kind == "lldp-capabilities")
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(caps, ["bridge, router", "station"]);
    let id = identify(switch);
    assert_eq!(
        (id.kind, id.confidence),
        (Kind::RouterAp, Some(Confidence::Medium))
    );
    assert_eq!(inv.len(), 2);
}
