//! The terminal report: the verdict first, then the findings by severity with why they matter
//! and what to do, then the table of destinations.

use std::fmt::Write;

use iotscope_analyze::findings::{explanation_for, FindingId, Severity};
use iotscope_analyze::text::{bytes, duration};

use crate::model::{CatalogueEntry, DeviceReport, Report};

/// Width text is wrapped to.
const WIDTH: usize = 100;
/// Destinations listed per device before "and N more".
const MAX_ROWS: usize = 15;

fn wrap(text: &str, indent: usize, first_indent: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut width = WIDTH - first_indent;
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line.clear();
            width = WIDTH - indent;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// What the report could not assess, and why: hosts seen only receiving (a capture of one
/// direction), no local host at all, flows with no host of this network at either end. One
/// sentence each, for the terminal and the HTML report.
pub fn coverage(n: &crate::model::Network) -> Vec<String> {
    let mut out = Vec::new();
    if n.receive_only_count > 0 {
        let more = n.receive_only_count as usize - n.receive_only.len();
        out.push(format!(
            "{} of this network only received data from the internet and never sent a packet \
             ({}{}): the capture may hold one direction only (a capture filter, or a mirror port \
             copying one way), and what {} sent cannot be assessed.",
            plural(n.receive_only_count as usize, "host", "hosts"),
            n.receive_only.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            if n.receive_only_count == 1 {
                "it"
            } else {
                "they"
            }
        ));
    }
    // With encrypted Wi-Fi the reason is the encryption, said with the undecoded frames.
    let encrypted_wifi = n
        .malformed_by_reason
        .iter()
        .any(|r| r.reason == "wlan-encrypted");
    if n.devices == 0 && n.packets > 0 && !encrypted_wifi && n.receive_only_count == 0 {
        // Say why rather than show an empty report.
        out.push(if n.flows == 0 {
            "No local device: these packets carry no IP traffic (only link-layer frames, such as \
             ARP, spanning tree or 802.11 management), and only hosts that send IP or announce \
             themselves by LLDP or CDP are assessed."
                .to_string()
        } else if n.outside_flows == 0 {
            "No local device: no host of this network sent a packet that makes it one (the \
             capture may hold one direction only, or the capturing host talking to itself)."
                .to_string()
        } else {
            "No local device: no host of these packets has a private, link-local or unique-local \
             address, and only such hosts are assessed. If this network uses public addresses, \
             name it with --local CIDR (for example --local 203.0.113.0/24)."
                .to_string()
        });
    }
    let direct = n.outside_flows.saturating_sub(n.outside_tunnelled);
    if n.devices > 0 && direct > 0 {
        out.push(format!(
            "{} not assessed: no host of this network at either end (a LAN of public addresses \
             nothing in the capture placed here? name it with --local CIDR).",
            plural(direct as usize, "flow", "flows")
        ));
    }
    if n.outside_tunnelled > 0 {
        out.push(format!(
            "{} inside tunnels not assessed: neither end is a host of this network (the tunnels \
             themselves are, as flows of the devices at their ends).",
            plural(n.outside_tunnelled as usize, "flow", "flows")
        ));
    }
    out
}

/// What the report says of frames it could not decode: how many and why, and what to do when a
/// whole kind of frame was out of reach (encrypted Wi-Fi, a link type not decoded).
pub fn undecoded(n: &crate::model::Network) -> Vec<String> {
    if n.malformed_frames == 0 {
        return Vec::new();
    }
    let reasons: Vec<String> = n
        .malformed_by_reason
        .iter()
        .map(|r| format!("{} {}", r.reason, r.frames))
        .collect();
    let mut out = vec![if reasons.is_empty() {
        format!(
            "{} frames could not be decoded to the end.",
            n.malformed_frames
        )
    } else {
        format!(
            "{} frames could not be decoded to the end ({}).",
            n.malformed_frames,
            reasons.join(", ")
        )
    }];
    let of = |reason: &str| {
        n.malformed_by_reason
            .iter()
            .find(|r| r.reason == reason)
            .map_or(0, |r| r.frames)
    };
    if of("wlan-encrypted") > 0 {
        out.push(
            "Encrypted Wi-Fi frames (WPA or WEP) hide everything but the stations' addresses. \
             Decrypt the capture first (Wireshark, with the network's passphrase as an IEEE 802.11 \
             decryption key, then export the decrypted packets), or capture on the wired side of \
             the access point."
                .to_string(),
        );
    }
    if of("unsupported-link-type") > 0 {
        out.push(
            "Some frames are of a link type iotscope does not decode (`iotscope stats` names it); \
             their traffic is missing from this report."
                .to_string(),
        );
    }
    out
}

fn pad(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len >= n {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        if len > n {
            t.push('…');
        } else {
            t = s.to_string();
        }
        t
    } else {
        format!("{s}{}", " ".repeat(n - len))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders the whole report.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let files: Vec<&str> = r.inputs.iter().map(|i| i.name.as_str()).collect();
    let n = &r.network;
    let _ = writeln!(
        o,
        "iotscope report {}\n{} · {} · {}{}",
        files.join(" "),
        duration((n.duration_s * 1e9) as i64),
        plural(n.packets as usize, "packet", "packets"),
        plural(n.devices, "device", "devices"),
        match (&n.first, &n.last) {
            (Some(a), Some(b)) =>
                format!(" · {} → {}", &a[..19.min(a.len())], &b[..19.min(b.len())]),
            _ => String::new(),
        }
    );
    for i in &r.inputs {
        if let Some(e) = &i.error {
            let _ = writeln!(o, "! {}: read stopped early: {e}", i.name);
        }
    }
    // Frame numbers run across the inputs: say where each file's start.
    if r.inputs.len() > 1 {
        let ranges: Vec<String> = r
            .inputs
            .iter()
            .filter(|i| i.frames > 0)
            .map(|i| {
                format!(
                    "{}-{} {}",
                    i.first_frame,
                    i.first_frame + i.frames - 1,
                    i.name.rsplit('/').next().unwrap_or(&i.name)
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "{}",
            wrap(
                &format!("frames, counted across the inputs: {}", ranges.join(", ")),
                2,
                0
            )
        );
    }
    if r.redacted {
        let _ = writeln!(
            o,
            "(redacted: MAC serials, public addresses and personal names replaced)"
        );
    }
    let _ = writeln!(o, "\nNETWORK");
    // Shown only when something went to the internet; unrecognised bytes are named apart.
    let enc = match (n.encrypted_share, n.unrecognised_share) {
        (Some(e), Some(u)) if u > 0.0 => format!(
            " · {} of internet traffic encrypted, {} unrecognised",
            percent(e),
            percent(u)
        ),
        (Some(e), _) => format!(" · {} of internet traffic encrypted", percent(e)),
        _ => String::new(),
    };
    let places = if n.endpoints == 0 && n.tried > 0 {
        format!(
            "no answer from the internet ({} tried)",
            plural(n.tried, "destination", "destinations")
        )
    } else if n.endpoints == 0 {
        "nothing on the internet".to_string()
    } else {
        format!(
            "{} ({}) on the internet {}",
            plural(n.destinations, "destination", "destinations"),
            plural(n.endpoints, "address", "addresses"),
            // Anycast addresses, and addresses the offline tables do not place, have none.
            if n.countries.is_empty() {
                "of unknown country".to_string()
            } else {
                format!("in {}", plural(n.countries.len(), "country", "countries"))
            },
        )
    };
    let _ = writeln!(
        o,
        "  {} ({} IoT) · {places}{enc}",
        plural(n.devices, "device", "devices"),
        n.iot_devices,
    );
    let f = &n.findings;
    let mark = if f.high > 0 { "!" } else { " " };
    let _ = write!(
        o,
        "{mark} {} high · {} medium · {} low · {} info findings",
        f.high, f.medium, f.low, f.info
    );
    if let Some(w) = &n.worst_device {
        let _ = write!(o, "        worst device: {w}");
    }
    o.push('\n');
    if !n.countries.is_empty() {
        let _ = writeln!(
            o,
            "  countries (most traffic first): {}",
            n.countries.join(", ")
        );
    }
    for line in coverage(n).into_iter().chain(undecoded(n)) {
        let _ = writeln!(o, "  {}", wrap(&line, 2, 2));
    }
    for d in &r.devices {
        device(&mut o, d, &r.catalogue);
    }
    // Packet-made strings carry no escape sequence to the reader's terminal.
    crate::visible(&o).into_owned()
}

fn device(o: &mut String, d: &DeviceReport, cat: &[CatalogueEntry]) {
    let who = match (&d.vendor, &d.mac, &d.behind) {
        (Some(v), Some(m), _) => format!("{v} {m}"),
        (None, Some(m), _) if d.randomised_mac => format!("locally administered MAC {m}"),
        (None, Some(m), _) => m.clone(),
        (_, None, Some(r)) => format!("behind the router {r}"),
        _ => "no MAC seen".to_string(),
    };
    let kind = match &d.confidence {
        Some(c) => format!("type {}, confidence {c}", d.kind),
        None => "type unknown".to_string(),
    };
    let _ = writeln!(o, "\n{}  ({who})  {kind}", d.label.to_uppercase());
    // A host that answered for a whole subnet (ARP spoofing, a proxy) can hold hundreds of
    // addresses: the first few, and how many more, wrapped like the rest.
    const SHOWN_ADDRESSES: usize = 6;
    let addresses = match d.addresses.len() {
        0 => "no address seen".to_string(),
        n if n > SHOWN_ADDRESSES => format!(
            "{} and {} more",
            d.addresses[..SHOWN_ADDRESSES].join(", "),
            n - SHOWN_ADDRESSES
        ),
        _ => d.addresses.join(", "),
    };
    let line = format!(
        "{addresses} · {} flow{} · {} up, {} down",
        d.flows,
        if d.flows == 1 { "" } else { "s" },
        bytes(d.bytes_up),
        bytes(d.bytes_down)
    );
    let _ = writeln!(o, "  {}", wrap(&line, 2, 2));
    if let Some(b) = &d.because {
        let _ = writeln!(o, "  identified by: {}", wrap(b, 2, 17));
    }
    if !d.same_host.is_empty() {
        let _ = writeln!(
            o,
            "  same host as: {}",
            wrap(&d.same_host.join(", "), 2, 16)
        );
    }
    let _ = writeln!(o, "\n  Verdict: {}", wrap(&d.verdict.text, 2, 11));
    if !d.findings.is_empty() {
        o.push('\n');
    }
    let mut explained: Vec<(FindingId, Option<&str>)> = Vec::new();
    for f in &d.findings {
        let sev = f.severity.name().to_uppercase();
        let _ = writeln!(
            o,
            "  {} {} {}",
            pad(&sev, 7),
            pad(f.id.name(), 21),
            f.subject
        );
        // One fact a line, cut to the width (the JSON has them whole); the ones that explain
        // (TLS problems, notes) are wrapped instead.
        for (k, fact) in f.facts.iter().enumerate() {
            // A label said once over the lines that share it (each connection of a channel).
            let repeated = k > 0 && f.facts[k - 1].label == fact.label;
            let line = format!("{}: {}", fact.label, fact.value);
            let text = if matches!(
                fact.label.as_str(),
                "problems"
                    | "note"
                    | "SOAP actions"
                    | "connections"
                    | "answer"
                    | "rhythm"
                    | "new destinations"
                    | "new services"
                    | "new findings"
                    | "no longer all encrypted"
                    | "also"
                    | "also new"
                    | "destinations not seen again"
                    | "new device"
                    | "password"
                    | "why it stands out"
            ) {
                wrap(&line, 34 + fact.label.chars().count(), 32)
            } else {
                cut(&line, WIDTH - 32)
            };
            let text = match text.strip_prefix(&format!("{}:", fact.label)) {
                Some(rest) if repeated => format!("{}{rest}", " ".repeat(fact.label.len() + 1)),
                _ => text,
            };
            let _ = writeln!(o, "{}{text}", " ".repeat(32));
        }
        let when = if f.first == f.last || f.last.is_empty() {
            format!("at {}", short(&f.first))
        } else {
            format!("first {}, last {}", short(&f.first), short(&f.last))
        };
        let frames: Vec<String> = f.frames.iter().take(6).map(|x| x.to_string()).collect();
        // A change since the baseline happens once: no count.
        let count = if f.id == FindingId::Drift {
            String::new()
        } else {
            format!("{} · ", plural(f.count as usize, "time", "times"))
        };
        let _ = writeln!(
            o,
            "{}{}{}{}",
            " ".repeat(32),
            count,
            when,
            if frames.is_empty() {
                String::new()
            } else {
                format!(" · frames {}", frames.join(", "))
            }
        );
        // The catalogue text once per device and finding kind.
        let why = explanation_for(f.id, &f.subject, &f.facts);
        if f.severity >= Severity::Low && !explained.contains(&(f.id, why)) {
            explained.push((f.id, why));
            if let Some(c) = cat.iter().find(|c| c.id == f.id) {
                let _ = writeln!(
                    o,
                    "{}why it matters: {}",
                    " ".repeat(32),
                    wrap(why.unwrap_or(&c.explanation), 48, 48)
                );
                let _ = writeln!(
                    o,
                    "{}what to do:     {}",
                    " ".repeat(32),
                    wrap(&c.remedy, 48, 48)
                );
            }
        }
    }
    if d.endpoints.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n  {} {} {} {} {:>6}  up/down",
        pad("talks to", 34),
        pad("via", 12),
        pad("where", 34),
        pad("how", 22),
        "flows"
    );
    for e in d.endpoints.iter().take(MAX_ROWS) {
        let via = match e.named_by.as_str() {
            "dns" if !e.cnames.is_empty() => "DNS+CNAME".to_string(),
            "dns" => "DNS".into(),
            // A TLS, DTLS or QUIC client hello's server name (Google QUIC's too).
            "sni" => "SNI".into(),
            "host" => "HTTP Host".into(),
            _ => "no lookup".into(),
        };
        let mut place = Vec::new();
        if let Some(c) = &e.cloud {
            place.push(match &e.region {
                Some(r) => format!("{c} {r}"),
                None => c.clone(),
            });
        } else if let Some(org) = &e.org {
            place.push(org.clone());
        }
        if let Some(c) = &e.cdn {
            if !place.iter().any(|p| p.to_lowercase().contains(c)) {
                place.push(c.clone());
            }
        }
        // The country survives a long organisation name: the name is shortened, not it.
        let edge = e.nearer_than.as_ref().map(|c| format!("edge, not {c}"));
        let country = match (&e.country, e.anycast, &edge) {
            (Some(c), _, _) => c.as_str(),
            (None, true, _) => "anycast",
            (None, false, Some(x)) => x.as_str(),
            (None, false, None) => "?",
        };
        let who = if place.is_empty() {
            "?".to_string()
        } else {
            place.join(", ")
        };
        let place = format!(
            "{} · {country}",
            cut(
                &who,
                34usize.saturating_sub(3 + country.chars().count()).max(4)
            )
        );
        let how = if !e.tls.is_empty() {
            e.tls.join("/")
        } else {
            let mut names: Vec<String> = Vec::new();
            for s in &e.services {
                // A service of the device that the host connected to: "← TELNET".
                let (arrow, s) = match s.strip_prefix("inbound ") {
                    Some(rest) => ("← ", rest),
                    None => ("", s.as_str()),
                };
                let name = match s.split_once(' ') {
                    // An unrecognised application is named by its port.
                    Some((port, "unknown")) => format!("{arrow}{port}"),
                    Some((_, app)) => format!("{arrow}{}", app.to_uppercase()),
                    None => format!("{arrow}{}", s.to_uppercase()),
                };
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            names.join(", ")
        };
        let how = match &e.periodic {
            Some(p) => format!("{how} {}", p.replace("every ", "↻")),
            None => how,
        };
        let _ = writeln!(
            o,
            "  {} {} {} {} {:>6}  {}/{}",
            // A long name keeps its start (the service) and its end (whose it is).
            pad(&cut_middle(&e.name, 34), 34),
            pad(&via, 12),
            pad(&place, 34),
            pad(&how, 22),
            e.flows,
            bytes(e.bytes_up),
            bytes(e.bytes_down)
        );
    }
    let unlisted = d.unlisted.as_ref().map_or(0, |u| u.destinations as usize);
    if d.endpoints.len() + unlisted > MAX_ROWS {
        let more = d.endpoints.len().saturating_sub(MAX_ROWS) + unlisted;
        let _ = writeln!(o, "  and {more} more");
    }
    if d.endpoints.iter().any(|e| e.inbound > 0) {
        let _ = writeln!(o, "  ← a service of this device that the host connected to");
    }
}

/// The text, shortened to `n` characters with an ellipsis.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A host name shortened to `n` characters in its middle, where the least telling part of a
/// long name is: its first label names the service ("prod1-nat-xbcs-net…", "mobileanalytics…")
/// and its end the network that serves it ("…elb.amazonaws.com").
fn cut_middle(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        return s.to_string();
    }
    let head = (n - 1) * 2 / 5;
    let tail = n - 1 - head;
    s.chars()
        .take(head)
        .chain(std::iter::once('…'))
        .chain(s.chars().skip(len - tail))
        .collect()
}

/// "11-20 00:00:41" from a full UTC time.
fn short(t: &str) -> String {
    t.get(5..19).unwrap_or(t).to_string()
}

/// A share (0 to 1) as a whole percentage that never rounds something to nothing or to all.
pub fn percent(x: f64) -> String {
    match x * 100.0 {
        p if p <= 0.0 => "0 %".into(),
        p if p < 1.0 => "under 1 %".into(),
        p if p >= 100.0 => "100 %".into(),
        p if p > 99.0 => "over 99 %".into(),
        // Down, as the verdicts count: 98.8 % is 98 % in both places.
        p => format!("{:.0} %", p.floor()),
    }
}
