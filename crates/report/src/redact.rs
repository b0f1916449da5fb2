//! Pseudonyms for what identifies the owner, so a report can be posted on a forum.
//!
//! Replaced everywhere in the model (labels, facts, summaries, evidence): the serial part of
//! every device MAC (the vendor prefix stays: it says what the device is, not whose), also where
//! a host name carries it ("GainSpanca9152"), the owner's public addresses (device addresses
//! outside the private ranges), personal names inside device host names ("Johns-iPhone",
//! "iPhone-de-Maria"), Android IDs ("android-1c1335ec95a27318") and the user names of logins
//! seen in clear (but generic ones such as "admin"). The same input always gets
//! the same pseudonym, numbered in the order devices appear.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::Report;

/// Words that name a kind of personal device: the word before them (possessive, or the first word
/// of the name) or after "de"/"von"/"di" is taken for a person's name.
const DEVICE_WORDS: [&str; 26] = [
    "iphone",
    "ipad",
    "ipod",
    "mac",
    "macbook",
    "macbookpro",
    "macbookair",
    "imac",
    "watch",
    "galaxy",
    "pixel",
    "phone",
    "android",
    "laptop",
    "pc",
    "desktop",
    "tablet",
    "kindle",
    "echo",
    "surface",
    "thinkpad",
    "chromebook",
    "notebook",
    "qemu",
    "vm",
    "virtualbox",
];

fn is_device_word(w: &str) -> bool {
    let w = w.to_ascii_lowercase();
    DEVICE_WORDS.iter().any(|d| w == *d || w.starts_with(d))
}

/// Personal names found in a host name.
pub fn personal_names(host: &str) -> Vec<String> {
    let base = host.split('.').next().unwrap_or(host);
    let words: Vec<&str> = base
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (k, w) in words.iter().enumerate() {
        if !is_device_word(w) {
            continue;
        }
        // "Johns-iPhone", "John's iPhone", "john-s-iphone".
        if k >= 1 {
            let prev = words[k - 1];
            let name = if prev.eq_ignore_ascii_case("s") && k >= 2 {
                Some(words[k - 2])
            } else {
                prev.strip_suffix("'s")
                    .or_else(|| prev.strip_suffix("’s"))
                    .or_else(|| {
                        (prev.len() > 2 && prev.ends_with('s')).then(|| &prev[..prev.len() - 1])
                    })
                    .map(|_| prev)
                    // "maria-pc", "johanna-QEMU-Virtual-Machine": a first word of letters.
                    .or_else(|| {
                        (k == 1 && prev.len() >= 3 && prev.chars().all(char::is_alphabetic))
                            .then_some(prev)
                    })
            };
            if let Some(n) = name {
                if !is_device_word(n) {
                    out.push(n.to_string());
                }
            }
        }
        // "iPhone-de-Maria", "iPad-von-Jan".
        if k + 2 < words.len() && ["de", "von", "di", "van", "da"].contains(&words[k + 1]) {
            out.push(words[k + 2].to_string());
        }
    }
    out
}

/// A local IPv6 address whose interface identifier is EUI-64 (`ff:fe` in its middle), with the
/// MAC's serial bytes replaced by the device's pseudonym number.
fn eui64_hidden(a: &str, n: u32) -> Option<String> {
    let ip: std::net::Ipv6Addr = a.parse().ok()?;
    let mut b = ip.octets();
    if b[11] != 0xff || b[12] != 0xfe || is_public(a) {
        return None;
    }
    b[13] = 0;
    b[14] = 0;
    b[15] = n as u8;
    Some(std::net::Ipv6Addr::from(b).to_string())
}

/// The Android ID in an `android-<16 hex digits>` host name.
fn android_id(host: &str) -> Option<&str> {
    let base = host.split('.').next().unwrap_or(host);
    let id = base.get(8..)?;
    (base[..8].eq_ignore_ascii_case("android-")
        && id.len() == 16
        && id.bytes().all(|b| b.is_ascii_hexdigit()))
    .then_some(id)
}

/// A device address the owner's provider assigned (outside the private, link-local and
/// unique-local ranges): it identifies the owner.
fn is_public(a: &str) -> bool {
    a.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| !ip.is_loopback() && !iotscope_analyze::devices::is_local(&ip))
}

/// Replaces identifying strings in the whole report.
pub fn redact(r: &mut Report) {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let (mut macs, mut people, mut publics, mut ids, mut users) = (0, 0, 0, 0, 0);
    for d in &r.devices {
        if let Some(m) = &d.mac {
            if !map.contains_key(m) && m.len() == 17 {
                macs += 1;
                // A locally administered MAC has no vendor prefix to keep: all of it is random.
                let keep = if d.randomised_mac {
                    "xx:xx:xx"
                } else {
                    &m[..8]
                };
                map.insert(m.clone(), format!("{keep}:xx:xx:{macs:02x}"));
            }
        }
        // The router a host sits behind: a MAC like any other.
        if let Some(m) = d.behind.as_ref().filter(|m| m.len() == 17) {
            if !map.contains_key(m) {
                macs += 1;
                map.insert(m.clone(), format!("{}:xx:xx:{macs:02x}", &m[..8]));
            }
        }
        // The serial in host names: "GainSpanca9152" ends with the MAC's last three bytes,
        // "DCS-935L-B0C554255B0E" holds the whole MAC.
        if let Some(m) = d.mac.as_deref().filter(|m| m.len() == 17) {
            let hex: String = m.chars().filter(|c| *c != ':').collect();
            let n = macs;
            for (from, to) in [
                (hex.clone(), format!("{}xxxx{n:02x}", &hex[..6])),
                (hex[6..].to_string(), format!("xxxx{n:02x}")),
            ] {
                for v in [from.to_ascii_lowercase(), from.to_ascii_uppercase()] {
                    map.entry(v).or_insert_with(|| to.clone());
                }
            }
        }
        for a in &d.addresses {
            // An IPv6 interface identifier made from the MAC (EUI-64: ...:0217:88ff:fe24:76ff)
            // carries the whole MAC: its last three bytes go, the address stays an address.
            if let Some(hidden) = eui64_hidden(a, macs) {
                map.entry(a.clone()).or_insert(hidden);
            }
            if is_public(a) && !map.contains_key(a) {
                publics += 1;
                map.insert(a.clone(), format!("public-address-{publics}"));
            }
        }
        for n in &d.names {
            // "android-1c1335ec95a27318": the Android ID, unique to the device for good.
            if let Some(id) = android_id(n) {
                if !map.contains_key(id) {
                    ids += 1;
                    map.insert(id.to_string(), format!("id{ids}"));
                }
            }
            for p in personal_names(n) {
                if !map.contains_key(&p) {
                    people += 1;
                    map.insert(p.clone(), format!("person{people}"));
                }
            }
        }
    }
    // Hosts of the network that only received (a capture of one direction) are the owner's too.
    for a in &r.network.receive_only {
        if is_public(a) && !map.contains_key(a) {
            publics += 1;
            map.insert(a.clone(), format!("public-address-{publics}"));
        }
    }
    // User names of logins seen in clear, but for the generic ones ("admin", "root"), which
    // identify nobody and appear in paths and words the report must keep.
    for f in r.devices.iter().flat_map(|d| &d.findings) {
        for x in f.facts.iter().filter(|x| x.label == "user") {
            for u in x.value.split(", ") {
                let generic = [
                    "admin",
                    "root",
                    "user",
                    "guest",
                    "anonymous",
                    "ftp",
                    "(none)",
                ]
                .contains(&u.to_ascii_lowercase().as_str());
                if u.len() >= 3 && !generic && !map.contains_key(u) {
                    users += 1;
                    map.insert(u.to_string(), format!("user{users}"));
                }
            }
        }
    }
    // Longest first, so a name inside a longer one is not half replaced.
    let mut pairs: Vec<(String, String)> = map.into_iter().collect();
    pairs.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    let Ok(mut v) = serde_json::to_value(&*r) else {
        return;
    };
    walk(&mut v, &pairs);
    if let Ok(mut out) = serde_json::from_value::<Report>(v) {
        out.redacted = true;
        *r = out;
    }
}

fn replace_all(s: &str, pairs: &[(String, String)]) -> String {
    let mut out = s.to_string();
    for (from, to) in pairs {
        if out.contains(from.as_str()) {
            out = out.replace(from.as_str(), to);
        }
        // Host names are often lower-cased on the way (DNS, SNI).
        let low = from.to_lowercase();
        if low != *from && out.contains(low.as_str()) {
            out = out.replace(low.as_str(), &to.to_lowercase());
        }
    }
    out
}

fn walk(v: &mut Value, pairs: &[(String, String)]) {
    match v {
        Value::String(s) => *s = replace_all(s, pairs),
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, pairs)),
        Value::Object(o) => o.values_mut().for_each(|x| walk(x, pairs)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::personal_names;

    #[test]
    fn names_in_host_names() {
        assert_eq!(personal_names("Johns-iPhone"), ["Johns"]);
        assert_eq!(personal_names("Marias-MacBook-Pro.local"), ["Marias"]);
        assert_eq!(personal_names("iPhone-de-Maria"), ["Maria"]);
        assert_eq!(personal_names("john-s-ipad"), ["john"]);
        assert!(personal_names("XL824-thermostat").is_empty());
        assert!(personal_names("Philips-hue").is_empty());
        assert!(personal_names("android-4f2a9c").is_empty());
        assert_eq!(
            personal_names("johanna-QEMU-Virtual-Machine.local"),
            ["johanna"]
        );
        assert_eq!(personal_names("maria-pc"), ["maria"]);
        assert!(personal_names("living-room-echo").is_empty());
        assert!(personal_names("ESP-4F2A9C").is_empty());
    }
}
