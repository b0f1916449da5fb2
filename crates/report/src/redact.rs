//! Pseudonyms for what identifies the owner, so a report can be posted on a forum.
//!
//! Replaced everywhere in the model (labels, facts, summaries, evidence): the serial part of
//! every device MAC (the vendor prefix stays: it says what the device is, not whose), the
//! owner's public addresses (device addresses outside the private ranges), and personal names
//! inside device host names ("Johns-iPhone", "iPhone-de-Maria"). The same input always gets
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

/// A device address the owner's provider assigned (outside the private, link-local and
/// unique-local ranges): it identifies the owner.
fn is_public(a: &str) -> bool {
    a.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| !ip.is_loopback() && !iotscope_analyze::devices::is_local(&ip))
}

/// Replaces identifying strings in the whole report.
pub fn redact(r: &mut Report) {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let (mut macs, mut people, mut publics) = (0, 0, 0);
    for d in &r.devices {
        if let Some(m) = &d.mac {
            if !map.contains_key(m) && m.len() == 17 {
                macs += 1;
                map.insert(m.clone(), format!("{}:xx:xx:{macs:02x}", &m[..8]));
            }
        }
        for a in &d.addresses {
            if is_public(a) && !map.contains_key(a) {
                publics += 1;
                map.insert(a.clone(), format!("public-address-{publics}"));
            }
        }
        for n in &d.names {
            for p in personal_names(n) {
                if !map.contains_key(&p) {
                    people += 1;
                    map.insert(p.clone(), format!("person{people}"));
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
