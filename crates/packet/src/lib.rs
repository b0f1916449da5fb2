//! Frame decoding: link layer, IP and transport headers, read in place.
//!
//! [`decode`] turns one captured frame into a [`Decoded`] summary: a small `Copy` value holding the
//! addresses, ports, TCP fields and the *offsets* of the transport payload inside the frame. It
//! borrows nothing and allocates nothing, so it can travel to another thread beside the frame it
//! describes. Decoding stops at the first transport header; [`tunnel::decode_inner`] then finds the
//! packet a tunnel carries (IP in IP, GRE, GTP-U, VXLAN, Geneve, Teredo, CAPWAP, TZSP), which tshark
//! counts in its conversation tables beside the outer one. The packets quoted inside ICMP errors are
//! not followed (nor are they by tshark's tables).
//!
//! Link layers are read here (Ethernet, 802.1Q/QinQ, PPPoE, Linux SLL/SLL2, BSD null/loopback, raw
//! IP) because `etherparse` knows only some of them; IP and transport headers are read with
//! `etherparse`'s lax slices, which accept the cut-off packets a short snap length produces.

mod decode;
pub mod link;
pub mod tunnel;

pub use decode::{decode, decode_to, tcp_flags, Decoded, Layer, Malformed, Net, Transport};
#[doc(hidden)]
pub use decode::{decode_agrees, fast_ipv4_agrees};
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

/// An address of a local network rather than of the internet: private, link-local, unique local,
/// and the shared space of carrier-grade NAT (100.64.0.0/10, RFC 6598: the subscriber's side of
/// an ISP's NAT, and the addresses overlay networks such as Tailscale give their hosts).
pub fn is_private(a: &std::net::IpAddr) -> bool {
    match a {
        std::net::IpAddr::V4(v) => {
            v.is_private()
                || v.is_link_local()
                || (v.octets()[0] == 100 && v.octets()[1] & 0xc0 == 64)
        }
        std::net::IpAddr::V6(v) => {
            let s = v.segments()[0];
            (s & 0xffc0) == 0xfe80 || (s & 0xfe00) == 0xfc00
        }
    }
}

/// An address as its `Display` writes it. The analysis writes tens of thousands (servers named by
/// their address, facts): an IPv4 address's `Display` goes through the formatting machinery for
/// each of its four numbers, 1 500 instructions an address; its digits are written here directly.
pub fn fmt_ip(a: &std::net::IpAddr) -> String {
    match a {
        std::net::IpAddr::V4(v) => {
            let mut s = String::with_capacity(15);
            for (k, &o) in v.octets().iter().enumerate() {
                if k > 0 {
                    s.push('.');
                }
                if o >= 100 {
                    s.push(char::from(b'0' + o / 100));
                }
                if o >= 10 {
                    s.push(char::from(b'0' + o / 10 % 10));
                }
                s.push(char::from(b'0' + o % 10));
            }
            s
        }
        std::net::IpAddr::V6(v) => v.to_string(),
    }
}

/// Formats a MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn fmt_mac(m: &Mac) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// The proleptic Gregorian date (year, month, day) of a day count since 1970-01-01 (Howard
/// Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats nanoseconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn fmt_utc(t: Nanos) -> String {
    let secs = t.div_euclid(1_000_000_000);
    let frac = t.rem_euclid(1_000_000_000) / 1000;
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{frac:06}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for a in 0..=255u8 {
            for b in [0u8, 1, 9, 10, 99, 100, 199, 255] {
                let v4 = std::net::IpAddr::from([a, b, 255 - a, b / 3]);
                assert_eq!(super::fmt_ip(&v4), v4.to_string());
            }
        }
        let v6: std::net::IpAddr = "fe80::217:88ff:fe24:76ff".parse().unwrap();
        assert_eq!(super::fmt_ip(&v6), v6.to_string());
    }

    #[test]
    fn civil_dates() {
        use super::civil_from_days as c;
        assert_eq!(c(0), (1970, 1, 1));
        assert_eq!(c(-1), (1969, 12, 31));
        assert_eq!(c(11_016), (2000, 2, 29));
        assert_eq!(c(16_917), (2016, 4, 26));
        assert_eq!(
            super::fmt_utc(1_461_682_309_500_000_000),
            "2016-04-26 14:51:49.500000"
        );
    }
}
