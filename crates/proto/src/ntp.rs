//! NTP headers: version, mode, stratum and reference of a time exchange.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ntp {
    pub version: u8,
    /// 3 client, 4 server, 5 broadcast...
    pub mode: u8,
    pub stratum: u8,
    /// Reference identifier: a four-letter code for stratum 1, an IPv4 address (or an IPv6
    /// hash) for higher strata.
    pub reference: String,
}

/// Parses an NTP header (the UDP payload of port 123 traffic).
pub fn parse(b: &[u8]) -> Option<Ntp> {
    if b.len() < 48 {
        return None;
    }
    let version = (b[0] >> 3) & 7;
    let mode = b[0] & 7;
    if !(1..=4).contains(&version) || mode == 0 {
        return None;
    }
    let stratum = b[1];
    let r = &b[12..16];
    let reference = if stratum <= 1 {
        r.iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as char)
            .collect()
    } else {
        format!("{}.{}.{}.{}", r[0], r[1], r[2], r[3])
    };
    Some(Ntp {
        version,
        mode,
        stratum,
        reference,
    })
}
