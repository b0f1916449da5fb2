//! What kind of device a host is, from what it says about itself, with a confidence and the
//! claim that decided it. The rules are product knowledge written down once: mDNS service types
//! and SSDP device types that name a kind of device (high confidence), host names that carry a
//! product line's model prefix, and vendors that make one kind of device only (medium), the
//! cloud a device phones (low). When two rules of the same confidence disagree the answer is
//! `unknown`: never confidently wrong.

use serde::Serialize;

use crate::devices::Device;

/// Kinds of device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Camera,
    Doorbell,
    Lock,
    PlugSwitch,
    LightBridge,
    Thermostat,
    SpeakerAssistant,
    TvStreamer,
    Hub,
    Sensor,
    ScaleHealth,
    Printer,
    Nas,
    Phone,
    Computer,
    GameConsole,
    RouterAp,
    /// A smart-home device of a vendor or platform that makes many kinds (Tuya, Nest, eQ-3),
    /// its exact kind not known.
    SmartHome,
    Unknown,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Camera => "camera",
            Kind::Doorbell => "doorbell",
            Kind::Lock => "lock",
            Kind::PlugSwitch => "plug/switch",
            Kind::LightBridge => "light/bridge",
            Kind::Thermostat => "thermostat",
            Kind::SpeakerAssistant => "speaker/assistant",
            Kind::TvStreamer => "tv/streamer",
            Kind::Hub => "hub",
            Kind::Sensor => "sensor",
            Kind::ScaleHealth => "scale/health",
            Kind::Printer => "printer",
            Kind::Nas => "nas",
            Kind::Phone => "phone",
            Kind::Computer => "computer",
            Kind::GameConsole => "game console",
            Kind::RouterAp => "router/ap",
            Kind::SmartHome => "smart-home device",
            Kind::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// The verdict and what it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub kind: Kind,
    pub confidence: Option<Confidence>,
    /// The claim that decided, e.g. `ssdp-type=urn:Belkin:device:insight:1`.
    pub because: Option<String>,
}

/// How a rule matches a claim's value.
#[derive(Clone, Copy)]
enum Match {
    Exact(&'static str),
    Prefix(&'static str),
    Contains(&'static str),
    Suffix(&'static str),
    /// The domain or a name under it (`ring.com`, `api.ring.com`; not `spring.com`).
    Domain(&'static str),
    /// One of the value's words (split at anything not a letter or digit): "cam" in
    /// "garden-cam", not in "camden".
    Word(&'static str),
}

impl Match {
    fn hit(self, v: &str) -> bool {
        let v = v.to_ascii_lowercase();
        match self {
            Match::Exact(p) => v == p,
            Match::Prefix(p) => v.starts_with(p),
            Match::Contains(p) => v.contains(p),
            Match::Suffix(p) => v.ends_with(p) || v.ends_with(&format!("{p}.")),
            Match::Domain(p) => {
                let v = v.strip_suffix('.').unwrap_or(&v);
                v.strip_suffix(p)
                    .is_some_and(|head| head.is_empty() || head.ends_with('.'))
            }
            Match::Word(p) => v
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == p),
        }
    }
}

use Confidence::{High, Low, Medium};
use Kind::*;
use Match::{Contains, Domain, Exact, Prefix, Suffix, Word};

/// (claim kind, match on its lowercase value, device kind, confidence)
const RULES: &[(&str, Match, Kind, Confidence)] = &[
    // The network's own DHCP server, when its offers name itself the router, and the router
    // another DHCP server's offers name.
    (
        "dhcp-server",
        Contains("naming itself the router"),
        RouterAp,
        High,
    ),
    ("dhcp-router", Prefix(""), RouterAp, High),
    // A DHCP relay agent: the router of the subnets it relays for.
    ("dhcp-relay", Prefix(""), RouterAp, High),
    // The host that internet traffic passes through.
    ("gateway", Prefix(""), RouterAp, High),
    // A host that speaks a routing protocol (BGP, OSPF, a redundancy group's VRRP or HSRP),
    // and a redundancy group's shared address.
    ("routing-protocol", Prefix(""), RouterAp, High),
    // Only the gateway answers NAT-PMP and PCP (RFC 6886, RFC 6887): it maps its own public
    // ports.
    ("nat-pmp-server", Prefix(""), RouterAp, High),
    // SSDP device types (UPnP forum and vendor namespaces).
    (
        "ssdp-type",
        Contains(":device:internetgatewaydevice:"),
        RouterAp,
        High,
    ),
    ("ssdp-type", Contains("networkcamera"), Camera, High),
    (
        "ssdp-type",
        Prefix("urn:belkin:device:controllee"),
        PlugSwitch,
        High,
    ),
    (
        "ssdp-type",
        Prefix("urn:belkin:device:insight"),
        PlugSwitch,
        High,
    ),
    (
        "ssdp-type",
        Prefix("urn:belkin:device:lightswitch"),
        PlugSwitch,
        High,
    ),
    (
        "ssdp-type",
        Prefix("urn:belkin:device:dimmer"),
        PlugSwitch,
        High,
    ),
    (
        "ssdp-type",
        Prefix("urn:belkin:device:bridge"),
        LightBridge,
        High,
    ),
    (
        "ssdp-type",
        Prefix("urn:belkin:device:sensor"),
        Sensor,
        High,
    ),
    (
        "ssdp-type",
        Contains(":device:zoneplayer:"),
        SpeakerAssistant,
        High,
    ),
    (
        "ssdp-type",
        Prefix("urn:dial-multiscreen-org:device:dial"),
        TvStreamer,
        High,
    ),
    // A DIAL server (the service a phone's app casts to) is a TV or a streaming stick.
    (
        "ssdp-type",
        Prefix("urn:dial-multiscreen-org:service:dial"),
        TvStreamer,
        Medium,
    ),
    ("ssdp-type", Contains(":device:printer:"), Printer, High),
    // Office printers' UPnP servers and descriptions: Ricoh's Aficio line, and BMLinks, the
    // Japanese business-machine makers' profile (its description is bmlinks/ddf.xml).
    ("ssdp-server", Contains("aficio"), Printer, Medium),
    ("ssdp-location", Contains("/bmlinks/"), Printer, Medium),
    // Windows announces its UPnP host as Microsoft-Windows-NT/5.1 (XP) or Microsoft-Windows/10.0.
    ("ssdp-server", Prefix("microsoft-windows"), Computer, Low),
    (
        "ssdp-type",
        Prefix("urn:roku-com:device:player"),
        TvStreamer,
        High,
    ),
    // mDNS service types.
    ("mdns-service", Prefix("_hue._tcp"), LightBridge, High),
    ("mdns-service", Prefix("_googlecast._tcp"), TvStreamer, High),
    // Google Cast's groups of speakers and screens.
    ("mdns-service", Prefix("_googlezone._tcp"), TvStreamer, Low),
    ("mdns-service", Prefix("_amzn-wplay._tcp"), TvStreamer, High),
    ("mdns-service", Prefix("_airplay._tcp"), TvStreamer, High),
    (
        "mdns-service",
        Prefix("_raop._tcp"),
        SpeakerAssistant,
        Medium,
    ),
    (
        "mdns-service",
        Prefix("_spotify-connect._tcp"),
        SpeakerAssistant,
        High,
    ),
    (
        "mdns-service",
        Prefix("_sonos._tcp"),
        SpeakerAssistant,
        High,
    ),
    ("mdns-service", Prefix("_ipp._tcp"), Printer, High),
    ("mdns-service", Prefix("_ipps._tcp"), Printer, High),
    ("mdns-service", Prefix("_printer._tcp"), Printer, High),
    (
        "mdns-service",
        Prefix("_pdl-datastream._tcp"),
        Printer,
        High,
    ),
    ("mdns-service", Prefix("_nest-cam"), Camera, High),
    // A live video stream offered on the LAN (RTSP): what IP cameras and recorders announce.
    ("mdns-service", Prefix("_rtsp._tcp"), Camera, Medium),
    // Matter: a device waiting to be set up announces itself as commissionable; a device set up
    // announces its operational service, as controllers (phones, hubs, TVs) may too.
    ("mdns-service", Prefix("_matterc._udp"), SmartHome, Medium),
    ("mdns-service", Prefix("_matter._tcp"), SmartHome, Low),
    // A device that shares another's printer ("Printer @ Host") is a computer.
    ("mdns-shared", Prefix(""), Computer, Medium),
    // Host names that carry a product line's model prefix.
    // ("hostname" rules read every name a host goes by: DHCP, mDNS, NetBIOS; see `identify`.)
    ("hostname", Prefix("philips-hue"), LightBridge, Medium),
    ("hostname", Prefix("lightify"), LightBridge, Medium),
    ("hostname", Prefix("dcs-"), Camera, Medium),
    ("hostname", Prefix("dch-g"), Hub, Medium),
    ("hostname", Prefix("hs1"), PlugSwitch, Medium),
    ("hostname", Prefix("hs2"), PlugSwitch, Medium),
    ("hostname", Prefix("wemo"), PlugSwitch, Medium),
    ("hostname", Prefix("chromecast"), TvStreamer, Medium),
    ("hostname", Prefix("google-home"), SpeakerAssistant, Medium),
    ("hostname", Prefix("sonos"), SpeakerAssistant, Medium),
    ("hostname", Prefix("android-"), Phone, Medium),
    // Apple names its devices "<owner>'s iPhone" (host name "Lucas-iPhone"), so anywhere in
    // the name.
    ("hostname", Contains("iphone"), Phone, Medium),
    ("hostname", Contains("ipad"), Phone, Medium),
    ("hostname", Prefix("galaxy-"), Phone, Medium),
    // Windows' default names ("DESKTOP-4F2K9QL", "LAPTOP-…") and a person's own
    // ("johns-laptop").
    ("hostname", Word("desktop"), Computer, Medium),
    ("hostname", Word("laptop"), Computer, Medium),
    // Windows 7's and 8's default name: the user's, then "-PC".
    ("hostname", Suffix("-pc"), Computer, Medium),
    // MacBook Pro, shortened as macOS users name them ("MBPro", "MBP-de-Lucas").
    ("hostname", Prefix("mbp"), Computer, Medium),
    // TP-Link's managed switches name themselves by model (TL-SG108E, TL-SG116E).
    ("hostname", Prefix("tl-sg"), RouterAp, Medium),
    ("hostname", Contains("macbook"), Computer, Medium),
    // Laptop lines that name their owners' machines (Fujitsu's LIFEBOOK, Lenovo's ThinkPad),
    // and a virtual machine's default name (Ubuntu's installer under QEMU: "…-QEMU-Virtual-
    // Machine").
    ("hostname", Contains("lifebook"), Computer, Medium),
    ("hostname", Contains("thinkpad"), Computer, Medium),
    ("hostname", Contains("virtual-machine"), Computer, Medium),
    ("hostname", Contains("xbox"), GameConsole, Medium),
    ("hostname", Prefix("nintendo"), GameConsole, Medium),
    ("hostname", Contains("imac"), Computer, Medium),
    // A HomeKit accessory's own category (HAP specification, accessory categories). A bridge
    // (2) bridges anything (the Hue bridge says 2): the weakest word.
    ("hap-category", Exact("2"), Hub, Low),
    ("hap-category", Exact("5"), LightBridge, High),
    ("hap-category", Exact("6"), Lock, High),
    ("hap-category", Exact("7"), PlugSwitch, High),
    ("hap-category", Exact("8"), PlugSwitch, High),
    ("hap-category", Exact("9"), Thermostat, High),
    ("hap-category", Exact("10"), Sensor, High),
    ("hap-category", Exact("17"), Camera, High),
    ("hap-category", Exact("18"), Doorbell, High),
    ("hap-category", Exact("26"), SpeakerAssistant, High),
    ("hap-category", Exact("31"), TvStreamer, High),
    // A name a device gave itself that says what it is ("kitchen-plug", "ESP32-SmartPlug"):
    // weak, a person may name anything anything.
    ("hostname", Contains("plug"), PlugSwitch, Low),
    ("hostname", Contains("camera"), Camera, Low),
    ("hostname", Contains("ipcam"), Camera, Low),
    ("hostname", Word("cam"), Camera, Low),
    ("hostname", Contains("webcam"), Camera, Low),
    ("hostname", Contains("doorbell"), Doorbell, Low),
    ("hostname", Contains("thermostat"), Thermostat, Low),
    ("dhcp-vendor-class", Contains("plug"), PlugSwitch, Low),
    ("dhcp-vendor-class", Contains("camera"), Camera, Low),
    ("dhcp-vendor-class", Contains("ipcam"), Camera, Low),
    // What an MQTT client calls itself, when it names a kind of device.
    ("mqtt-client-id", Contains("sensor"), Sensor, Low),
    ("mqtt-client-id", Contains("thermostat"), Thermostat, Low),
    ("mqtt-client-id", Contains("camera"), Camera, Low),
    ("mqtt-client-id", Contains("plug"), PlugSwitch, Low),
    // WS-Discovery device types: ONVIF's video transmitter is a camera; WSD printers and
    // scanners; Windows computers and Samba servers announce pub:Computer.
    ("wsd-type", Suffix("networkvideotransmitter"), Camera, High),
    ("wsd-type", Suffix("printdevicetype"), Printer, High),
    ("wsd-type", Suffix("scandevicetype"), Printer, Medium),
    ("wsd-type", Suffix(":computer"), Computer, Medium),
    // An SNMP agent's sysDescr, as printers and network gear word it.
    ("snmp-description", Contains("jetdirect"), Printer, Medium),
    ("snmp-description", Contains("laserjet"), Printer, Medium),
    ("snmp-description", Prefix("brother nc-"), Printer, Medium),
    ("snmp-description", Prefix("routeros"), RouterAp, Medium),
    ("snmp-description", Prefix("cisco ios"), RouterAp, Medium),
    ("snmp-description", Contains("edgeos"), RouterAp, Medium),
    // What a host announces on its link by LLDP or CDP that it does. A phone says so; switches,
    // routers and access points too, but a Linux server with a bridge or forwarding on says
    // "bridge, router" as well: a medium word.
    ("lldp-capabilities", Word("telephone"), Phone, High),
    ("cdp-capabilities", Word("telephone"), Phone, High),
    ("lldp-capabilities", Word("router"), RouterAp, Medium),
    ("lldp-capabilities", Contains("wlan-ap"), RouterAp, Medium),
    ("lldp-capabilities", Word("bridge"), RouterAp, Medium),
    ("cdp-capabilities", Word("router"), RouterAp, Medium),
    ("cdp-capabilities", Word("bridge"), RouterAp, Medium),
    // LLDP-MED's device type: class III is a communication device (an IP phone).
    (
        "lldp-med-class",
        Contains("communication device"),
        Phone,
        High,
    ),
    (
        "lldp-med-class",
        Exact("network connectivity"),
        RouterAp,
        Medium,
    ),
    // The model a Ubiquiti device announces: gateways (UGW, USG, UDM, UXG), access points (UAP,
    // U6, U7, the "U7PG2" codes of UniFi APs), switches (USW), cameras (UVC).
    ("ubnt-model", Prefix("ugw"), RouterAp, High),
    ("ubnt-model", Prefix("usg"), RouterAp, High),
    ("ubnt-model", Prefix("udm"), RouterAp, High),
    ("ubnt-model", Prefix("uxg"), RouterAp, High),
    ("ubnt-model", Prefix("uap"), RouterAp, High),
    ("ubnt-model", Prefix("u6"), RouterAp, High),
    ("ubnt-model", Prefix("u7"), RouterAp, High),
    ("ubnt-model", Prefix("usw"), RouterAp, Medium),
    ("ubnt-model", Prefix("uvc"), Camera, High),
    // The description a UPnP device announces names the camera's own document.
    ("ssdp-location", Contains("ipcam"), Camera, Medium),
    ("hostname", Prefix("raspberrypi"), Computer, Medium),
    // dhcpcd names the system on a chip: Raspberry Pis' Broadcom BCM2835 to BCM2712.
    ("dhcp-vendor-class", Contains(":bcm27"), Computer, Medium),
    ("dhcp-vendor-class", Contains(":bcm283"), Computer, Medium),
    ("dhcp-vendor-class", Prefix("android-dhcp"), Phone, Medium),
    ("dhcp-vendor-class", Prefix("msft "), Computer, Medium),
    ("dhcp-vendor-class", Prefix("withings"), ScaleHealth, Medium),
    // Dalvik is Android's runtime: phones, but also emulators on computers and boxes on Android.
    ("user-agent", Prefix("dalvik/"), Phone, Low),
    // Android apps' HTTP libraries name the platform (ksoap2-android, okhttp's "Android" builds).
    ("user-agent", Contains("android"), Phone, Low),
    // ... except where the string names a television or a streamer, which run Android too:
    // Android TV and Google TV ("DeviceType/AndroidTV"), the Cast runtime ("CrKey/1.56"), Sony's
    // BRAVIA sets, Samsung's ("SMART-TV; Linux; Tizen"), LG's webOS ("Web0S") and the HbbTV
    // browsers of broadcast TVs.
    ("user-agent", Contains("androidtv"), TvStreamer, Medium),
    ("user-agent", Contains("crkey/"), TvStreamer, Medium),
    ("user-agent", Contains("bravia"), TvStreamer, Medium),
    ("user-agent", Contains("smart-tv"), TvStreamer, Medium),
    ("user-agent", Contains("smarttv"), TvStreamer, Medium),
    ("user-agent", Contains("web0s"), TvStreamer, Medium),
    ("user-agent", Contains("hbbtv/"), TvStreamer, Medium),
    // UniFi access points, switches and gateways report to their controller as "AirControl
    // Agent" (POST /inform).
    ("user-agent", Prefix("aircontrol agent"), RouterAp, Medium),
    // ... and except the Android emulator, whose system images are named generic_x86 or sdk_gphone:
    // a computer.
    ("user-agent", Contains("generic_x86"), Computer, Medium),
    ("user-agent", Contains("sdk_gphone"), Computer, Medium),
    ("user-agent", Prefix("withings"), ScaleHealth, Medium),
    // Browsers and apps name Apple's phones and tablets ("Mozilla/5.0 (iPhone; CPU iPhone OS
    // 10_2 like Mac OS X)", "Netflix/9.0 iPhone9,3 iOS/10.2"), Macs and current Windows. Older
    // Windows strings ("MSIE 6.0; Windows NT 5.1") are left out: cheap cameras and recorders
    // send them from firmware.
    ("user-agent", Contains("iphone"), Phone, Low),
    ("user-agent", Contains("ipad"), Phone, Low),
    ("user-agent", Contains("(macintosh;"), Computer, Low),
    // (Only a desktop browser's platform: an Xbox says "Windows NT 10.0; Win64; x64; Xbox".)
    (
        "user-agent",
        Contains("windows nt 10.0; win64; x64)"),
        Computer,
        Low,
    ),
    (
        "user-agent",
        Contains("windows nt 10.0; win64; x64; rv:"),
        Computer,
        Low,
    ),
    // Vendors that make one kind of device only.
    ("vendor", Prefix("philips lighting"), LightBridge, Medium),
    ("vendor", Prefix("signify"), LightBridge, Medium),
    ("vendor", Prefix("withings"), ScaleHealth, Medium),
    ("vendor", Prefix("sonos"), SpeakerAssistant, Medium),
    ("vendor", Prefix("roku"), TvStreamer, Medium),
    ("vendor", Prefix("raspberry pi"), Computer, Medium),
    // Cameras and recorders only (an NVR is told apart by nothing here).
    ("vendor", Prefix("hangzhou hikvision"), Camera, Medium),
    ("vendor", Prefix("prama hikvision"), Camera, Medium),
    ("vendor", Prefix("zhejiang dahua"), Camera, Medium),
    // Consoles and their controllers' adapters.
    ("vendor", Prefix("nintendo"), GameConsole, Medium),
    (
        "vendor",
        Prefix("sony interactive entertainment"),
        GameConsole,
        Medium,
    ),
    // Smart-home vendors of many kinds of device (thermostats, cameras, plugs, sensors).
    ("vendor", Prefix("nest labs"), SmartHome, Medium),
    ("vendor", Prefix("eq-3"), SmartHome, Medium),
    ("vendor", Prefix("tuya"), SmartHome, Medium),
    // Espressif's Wi-Fi chips run most cheap plugs, bulbs and sensors, and hobby boards too.
    ("vendor", Prefix("espressif"), SmartHome, Low),
    // Tuya's platform runs the devices of hundreds of brands: one that announces itself for
    // the Tuya app to find is one of them, whoever made its Wi-Fi module.
    ("tuya-discovery", Prefix(""), SmartHome, Medium),
    // The cloud a device contacts (weak: a phone's app contacts it too).
    ("contacts", Domain("meethue.com"), LightBridge, Low),
    ("contacts", Domain("withings.net"), ScaleHealth, Low),
    ("contacts", Domain("fitbit.com"), ScaleHealth, Low),
    ("contacts", Domain("ring.com"), Doorbell, Low),
    ("contacts", Domain("august.com"), Lock, Low),
    // Clouds of camera makers that make nothing else (Blink's is Immedia Semiconductor's).
    ("contacts", Domain("immedia-semi.com"), Camera, Low),
    ("contacts", Domain("arlo.com"), Camera, Low),
    ("contacts", Domain("wyzecam.com"), Camera, Low),
    ("contacts", Domain("dropcam.com"), Camera, Low),
    ("contacts", Domain("ezvizlife.com"), Camera, Low),
    ("contacts", Domain("ecobee.com"), Thermostat, Low),
    // The firmware server of Yamaha's AV receivers and MusicCast speakers (whose network module
    // carries its Wi-Fi chip maker's MAC).
    (
        "contacts",
        Domain("avpro.global.yamaha.com"),
        SpeakerAssistant,
        Low,
    ),
];

/// Decides what kind of device `d` is.
pub fn identify(d: &Device) -> Identity {
    let mut best: Option<(Confidence, Kind, String)> = None;
    let mut generic: Option<(Confidence, String)> = None;
    let mut conflict = false;
    let vendor = d.vendor.clone().unwrap_or_default();
    let claims = d
        .claims
        .iter()
        .map(|c| (c.kind.as_str(), c.value.as_str()))
        .chain(std::iter::once(("vendor", vendor.as_str())));
    // A computer that shares a printer ("Printer @ Host") announces the printer's service types
    // as its own: they say nothing of what the computer is.
    let shared: Vec<&str> = d
        .claims
        .iter()
        .filter(|c| c.kind == "mdns-shared")
        .map(|c| c.value.as_str())
        .collect();
    for (kind, value) in claims {
        if kind == "mdns-service" && shared.contains(&value) {
            continue;
        }
        // A host's name says the same whoever carried it: DHCP (option 12, its FQDN options),
        // mDNS, NetBIOS (where a Windows PC often gives its name and nothing else).
        let host_name = matches!(
            kind,
            "hostname" | "mdns-name" | "nbns-name" | "dhcp-fqdn" | "dhcpv6-fqdn"
        );
        for &(rule_kind, m, device, conf) in RULES {
            let applies = rule_kind == kind || rule_kind == "hostname" && host_name;
            if !applies || value.is_empty() || !m.hit(value) {
                continue;
            }
            // `smart-home device` is what any more precise kind also is: it decides only when
            // no precise rule matched, and conflicts with none.
            if device == SmartHome {
                if generic.as_ref().is_none_or(|(c, _)| conf > *c) {
                    generic = Some((conf, format!("{kind}={value}")));
                }
                continue;
            }
            match &best {
                Some((c, k, _)) if *c > conf || (*c == conf && *k == device) => {}
                Some((c, _, _)) if *c == conf => conflict = true,
                _ => {
                    best = Some((conf, device, format!("{kind}={value}")));
                    conflict = false;
                }
            }
        }
    }
    if best.is_none() {
        best = generic.map(|(conf, because)| (conf, SmartHome, because));
    }
    match best {
        Some((conf, kind, because)) if !conflict => Identity {
            kind,
            confidence: Some(conf),
            because: Some(because),
        },
        _ => Identity {
            kind: Unknown,
            confidence: None,
            because: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{Claim, DeviceKey};

    fn kind_of(claims: &[(&str, &str)]) -> (Kind, Option<Confidence>) {
        let mut d = Device::new(DeviceKey::Mac([0x02, 0, 0, 0, 0, 1]));
        for (k, v) in claims {
            d.claims.insert(Claim {
                kind: k.to_string(),
                value: v.to_string(),
                frame: 1,
            });
        }
        let id = identify(&d);
        (id.kind, id.confidence)
    }

    #[test]
    fn televisions_and_streamers_on_android_are_not_phones() {
        // User-Agents of a Sony TV, an NVIDIA Android TV box and two UniFi access points on one
        // home network (ja4plus's http1.pcapng, not shipped: its licence is unclear), and of a
        // phone's app (nDPI's capture of a Xiaomi phone).
        assert_eq!(
            kind_of(&[(
                "user-agent",
                "Dalvik/2.1.0 (Linux; U; Android 8.0.0; BRAVIA 2015 Build/OPR2.170623.027.S16)"
            )]),
            (TvStreamer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[(
                "user-agent",
                "Mozilla/5.0 (Linux; Android 11.0; Build/RQ1A.210105.003) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/92.0.4515.159 Safari/537.36 CrKey/1.56.500000 DeviceType/AndroidTV"
            )]),
            (TvStreamer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[(
                "user-agent",
                "Dalvik/2.1.0 (Linux; U; Android 10; Redmi Note 9 Pro MIUI/V12.0.3.0.QJZMIXM)"
            )]),
            (Phone, Some(Low))
        );
        assert_eq!(
            kind_of(&[("user-agent", "AirControl Agent v1.0")]),
            (RouterAp, Some(Medium))
        );
    }

    #[test]
    fn a_hosts_name_says_the_same_whoever_carried_it() {
        // Names as Windows and macOS announce them over NetBIOS (nDPI's telegram, wechat and
        // zoom captures), and a switch's DHCP host name (teams).
        assert_eq!(
            kind_of(&[("nbns-name", "DESKTOP-RB5T12G")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("nbns-name", "GIOVANNI-PC")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("nbns-name", "LUCAS-IMAC")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("mdns-name", "MBPro.local")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("hostname", "TL-SG116E")]),
            (RouterAp, Some(Medium))
        );
        // "pc" inside a word is no Windows default name.
        assert_eq!(kind_of(&[("nbns-name", "NPCSERVER")]).0, Unknown);
    }

    #[test]
    fn a_persons_laptop_and_an_rtsp_service_say_what_they_are() {
        // avahi announcing "johns-laptop.local", and a camera's `_rtsp._tcp` service.
        assert_eq!(
            kind_of(&[("mdns-name", "johns-laptop.local")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("hostname", "LAPTOP-8H2KQ1")]),
            (Computer, Some(Medium))
        );
        assert_eq!(kind_of(&[("hostname", "laptopia")]).0, Unknown);
        assert_eq!(
            kind_of(&[("mdns-service", "_rtsp._tcp.local")]),
            (Camera, Some(Medium))
        );
    }

    #[test]
    fn a_camera_makers_cloud_names_a_camera_weakly() {
        // A Blink camera's only server in pcap-doctor's dns-mdns fixture.
        assert_eq!(
            kind_of(&[("contacts", "rest-hw-u044.immedia-semi.com")]),
            (Camera, Some(Low))
        );
        assert_eq!(kind_of(&[("contacts", "arlo.com.")]), (Camera, Some(Low)));
        // A name that only ends with the same letters is another domain.
        assert_eq!(kind_of(&[("contacts", "carlo.com")]).0, Unknown);
        assert_eq!(kind_of(&[("contacts", "spring.com")]).0, Unknown);
        // A Yamaha receiver fetching its firmware (ja4plus' http1.pcapng, "Network_Module/1.0
        // (RX-A8A)").
        assert_eq!(
            kind_of(&[("contacts", "avpro.global.yamaha.com")]),
            (SpeakerAssistant, Some(Low))
        );
        assert_eq!(kind_of(&[("contacts", "www.yamaha.com")]).0, Unknown);
    }

    #[test]
    fn consoles_cameras_laptops_and_virtual_machines_by_maker_and_name() {
        // Values as outside captures show them: nDPI's nintendo capture (the console's MAC
        // vendor), Hikvision MACs, nDPI's 1kxun (NetBIOS "SANJI-LIFEBOOK-LH531") and Zeek's mdns
        // ("JOHANNA-QEMU-VIRTUAL-MACHINE.local").
        assert_eq!(
            kind_of(&[("vendor", "Nintendo Co.,Ltd")]),
            (GameConsole, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("vendor", "Hangzhou Hikvision Digital Technology Co.,Ltd.")]),
            (Camera, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("nbns-name", "SANJI-LIFEBOOK-LH531")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("mdns-name", "JOHANNA-QEMU-VIRTUAL-MACHINE.local")]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("hostname", "XboxOne")]),
            (GameConsole, Some(Medium))
        );
    }

    #[test]
    fn matter_devices_by_their_mdns_services() {
        assert_eq!(
            kind_of(&[("mdns-service", "_matterc._udp.local")]),
            (SmartHome, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("mdns-service", "_matter._tcp.local")]),
            (SmartHome, Some(Low))
        );
        // A controller's own service is no accessory's.
        assert_eq!(
            kind_of(&[("mdns-service", "_matterd._udp.local")]).0,
            Unknown
        );
    }

    #[test]
    fn dial_servers_printers_raspberry_pis_and_windows() {
        // Values as outside captures show them (nDPI's anyconnect-vpn and teams, Wireshark's
        // logistics_multicast, nDPI's skype).
        assert_eq!(
            kind_of(&[("ssdp-type", "urn:dial-multiscreen-org:service:dial:1")]),
            (TvStreamer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("ssdp-server", "LPUX/1.3 UPnP/1.0 Aficio SP 6330N/1.0")]),
            (Printer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[("ssdp-location", "http://10.1.1.5:80/bmlinks/ddf.xml")]),
            (Printer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[(
                "dhcp-vendor-class",
                "dhcpcd-6.10.1:Linux-4.9.57-v7+:armv7l:BCM2835"
            )]),
            (Computer, Some(Medium))
        );
        assert_eq!(
            kind_of(&[(
                "ssdp-server",
                "Microsoft-Windows-NT/5.1 UPnP/1.0 UPnP-Device-Host/1.0"
            )]),
            (Computer, Some(Low))
        );
        // A phone searching for DIAL servers says nothing of itself.
        assert_eq!(
            kind_of(&[("ssdp-search", "urn:dial-multiscreen-org:service:dial:1")]).0,
            Unknown
        );
    }
}
