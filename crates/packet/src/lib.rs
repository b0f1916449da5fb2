//! Frame decoding: link layer, IP and transport headers, read in place.
//!
//! [`decode`] turns one captured frame into a [`Decoded`] summary: a small `Copy` value holding the
//! addresses, ports, TCP fields and the *offsets* of the transport payload inside the frame. It
//! borrows nothing and allocates nothing, so it can travel to another thread beside the frame it
//! describes. Decoding stops at the first transport header: tunnels and the packets quoted inside
//! ICMP errors are not followed (the same choice tshark makes for its conversation tables).
//!
//! Link layers are read here (Ethernet, 802.1Q/QinQ, PPPoE, Linux SLL/SLL2, BSD null/loopback, raw
//! IP) because `etherparse` knows only some of them; IP and transport headers are read with
//! `etherparse`'s lax slices, which accept the cut-off packets a short snap length produces.

mod decode;
pub mod link;

pub use decode::{decode, tcp_flags, Decoded, Layer, Malformed, Net, Transport};
pub use link::LinkType;

/// One address type for the whole program: IPv4 addresses are stored as IPv4-mapped IPv6.
pub type Addr = std::net::Ipv6Addr;

/// A MAC address.
pub type Mac = [u8; 6];

/// Timestamps are nanoseconds since the Unix epoch, the one time type of the program.
pub type Nanos = i64;

/// Converts a stored address back to the address family it came from.
pub fn ip_of(a: &Addr) -> std::net::IpAddr {
    match a.to_ipv4_mapped() {
        Some(v4) => std::net::IpAddr::V4(v4),
        None => std::net::IpAddr::V6(*a),
    }
}

/// Formats a MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn fmt_mac(m: &Mac) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}
