//! Application parsers: what the packets say above the transport layer.
//!
//! Each parser reads a payload in place and returns a typed message; the flow stage decides which
//! packets to show them (the first ones of each flow) and turns the messages into events.

pub mod app;
pub mod cert;
pub mod coap;
mod deflate;
pub mod dhcp;
pub mod dns;
pub mod ftp;
pub mod http;
pub mod iot;
pub mod ldap;
pub mod login;
pub mod ndp;
pub mod neighbor;
pub mod ntp;
pub mod quic;
mod recent;
pub mod remote;
pub mod snmp;
pub mod socks;
pub mod tftp;
pub mod tls;
pub mod vpn;
pub mod wsd;

/// The bytes a hex dump stands for: the tests' payloads, copied from real captures and RFCs.
#[cfg(test)]
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
