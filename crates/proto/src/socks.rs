//! SOCKS 4, 4a (no RFC; the protocol's own description) and 5 (RFC 1928, with RFC 1929's
//! user name and password): a proxy that connects its client to a host and then carries the
//! connection's bytes as they are. Written by hand: the handshake is a few fixed-layout
//! messages, and no crate reads them from captured bytes.
//!
//! Each function reads one message whole and checks every length it holds against the bytes it
//! came in, so that binary data of another protocol is not taken for SOCKS by chance.

/// A client's first message: a SOCKS 4 or 4a request (CONNECT or BIND: version 4, command 1 or
/// 2, port, IPv4 address, a user id ending in a zero byte, and for 4a an address 0.0.0.x
/// followed by a host name ending in a zero byte), or a SOCKS 5 greeting (version 5, then the
/// count of the authentication methods it offers and the methods).
pub fn client_first(b: &[u8]) -> bool {
    match *b {
        [4, 1 | 2, _, _, a, b1, c, d, ref rest @ ..] => {
            // The user id, then for 4a the host name, each ended by a zero byte.
            let four_a = a == 0 && b1 == 0 && c == 0 && d != 0;
            let strings = rest.iter().filter(|&&x| x == 0).count();
            let want = if four_a { 2 } else { 1 };
            rest.last() == Some(&0)
                && strings == want
                && rest.len() <= 512
                && rest
                    .iter()
                    .all(|&x| x == 0 || x.is_ascii_graphic() || x == b' ')
        }
        [5, n, ref methods @ ..] => {
            n >= 1
                && methods.len() == usize::from(n)
                // The methods RFC 1928 assigns (no authentication, GSSAPI, user name and
                // password, and those IANA added since), or private ones.
                && methods.iter().all(|&m| m <= 0x0a || (0x80..=0xfe).contains(&m))
        }
        _ => false,
    }
}

/// A server's first message: a SOCKS 4 reply (a zero byte, the result 90 to 93, port and
/// address), or a SOCKS 5 method choice (version 5 and the chosen method, 255 for none).
pub fn server_first(b: &[u8]) -> bool {
    match *b {
        [0, r, _, _, _, _, _, _] => (0x5a..=0x5d).contains(&r),
        [5, m] => m <= 0x0a || m >= 0x80,
        _ => false,
    }
}

/// The length a SOCKS 5 address takes, behind its type byte: IPv4, a name behind its length,
/// IPv6. None for an unknown type.
fn address_len(b: &[u8]) -> Option<usize> {
    match *b {
        [1, ..] => Some(1 + 4),
        [3, n, ..] if n > 0 => Some(2 + usize::from(n)),
        [4, ..] => Some(1 + 16),
        _ => None,
    }
}

/// A SOCKS 5 request (version 5, CONNECT, BIND or UDP ASSOCIATE, a reserved zero, the address
/// and the port), or a SOCKS 4 request: after it, the proxy carries the client's connection.
pub fn request(b: &[u8]) -> bool {
    match *b {
        [5, 1..=3, 0, ref rest @ ..] => address_len(rest).is_some_and(|n| rest.len() == n + 2),
        [4, ..] => client_first(b),
        _ => false,
    }
}

/// What a client asked a SOCKS proxy for: the command, and the host (a name, or an address
/// as text) and port to reach.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    /// 4 (also 4a) or 5.
    pub version: u8,
    /// `connect`, `bind` or `udp-associate`.
    pub command: &'static str,
    pub host: String,
    pub port: u16,
}

/// Reads a request ([`request`]) for what it asks to reach.
pub fn target(b: &[u8]) -> Option<Request> {
    if !request(b) {
        return None;
    }
    let command = match b[1] {
        1 => "connect",
        2 => "bind",
        _ => "udp-associate",
    };
    let (version, host, port) = match b[0] {
        4 => {
            let port = u16::from_be_bytes([b[2], b[3]]);
            let ip = std::net::Ipv4Addr::new(b[4], b[5], b[6], b[7]);
            // 4a: 0.0.0.x, then the name after the user id.
            let host = if b[4..7] == [0, 0, 0] && b[7] != 0 {
                let mut strings = b[8..].split(|&c| c == 0);
                let _user = strings.next();
                String::from_utf8_lossy(strings.next()?).into_owned()
            } else {
                ip.to_string()
            };
            (4, host, port)
        }
        _ => {
            let a = &b[3..];
            let n = address_len(a)?;
            let port = u16::from_be_bytes([b[3 + n], b[4 + n]]);
            let host = match a[0] {
                1 => std::net::Ipv4Addr::new(a[1], a[2], a[3], a[4]).to_string(),
                3 => String::from_utf8_lossy(&a[2..n]).into_owned(),
                _ => {
                    let mut x = [0u8; 16];
                    x.copy_from_slice(&a[1..17]);
                    std::net::Ipv6Addr::from(x).to_string()
                }
            };
            (5, host, port)
        }
    };
    Some(Request {
        version,
        command,
        host,
        port,
    })
}

/// A server's answer to a request: Some(true) when it granted it (SOCKS 5 reply 0, SOCKS 4
/// result 90), Some(false) when it refused, None when the bytes are no answer.
pub fn reply(b: &[u8]) -> Option<bool> {
    match *b {
        [5, r, 0, ref rest @ ..] if r <= 8 => {
            (address_len(rest)? + 2 == rest.len()).then_some(r == 0)
        }
        [0, r, _, _, _, _, _, _] if (0x5a..=0x5d).contains(&r) => Some(r == 0x5a),
        _ => None,
    }
}

/// RFC 1929's sub-negotiation: version 1, the user name and the password, each behind its
/// length. Returns both; the password's bytes are for a fingerprint only, never kept.
pub fn user_password(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let [1, ulen, ref rest @ ..] = *b else {
        return None;
    };
    let ulen = usize::from(ulen);
    let user = rest.get(..ulen)?;
    let plen = usize::from(*rest.get(ulen)?);
    let pass = rest.get(ulen + 1..)?;
    (ulen > 0 && pass.len() == plen).then_some((user, pass))
}

/// The server's answer to RFC 1929's sub-negotiation: Some(true) when it accepted the login.
pub fn user_password_status(b: &[u8]) -> Option<bool> {
    match *b {
        [1, s] => Some(s == 0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socks4_connect_and_grant() {
        // ja4plus' socks-https-example.pcap: CONNECT to 93.184.216.119:443, user id empty.
        let req = [4, 1, 0x01, 0xbb, 93, 184, 216, 119, 0];
        assert!(client_first(&req));
        assert!(request(&req));
        let grant = [0, 0x5a, 0x01, 0xbb, 93, 184, 216, 119];
        assert!(server_first(&grant));
        assert_eq!(reply(&grant), Some(true));
        assert_eq!(reply(&[0, 0x5b, 0, 0, 0, 0, 0, 0]), Some(false));
        // SOCKS 4a: 0.0.0.1 and the host name after the user id.
        let mut a = vec![4, 1, 0, 80, 0, 0, 0, 1];
        a.extend_from_slice(b"bob\0example.com\0");
        assert!(client_first(&a));
        // Not without the zero bytes that end the strings, nor with binary bytes in them.
        assert!(!client_first(&[4, 1, 0, 80, 1, 2, 3, 4]));
        assert!(!client_first(&[4, 1, 0, 80, 1, 2, 3, 4, 0xc3, 0]));
        assert!(!client_first(&[4, 1, 0, 80, 0, 0, 0, 1, b'x', 0]));
    }

    #[test]
    fn targets() {
        let t = target(&[4, 1, 0x01, 0xbb, 93, 184, 216, 119, 0]).unwrap();
        assert_eq!(
            (t.version, t.command, t.host.as_str(), t.port),
            (4, "connect", "93.184.216.119", 443)
        );
        let mut a = vec![4, 1, 0, 80, 0, 0, 0, 1];
        a.extend_from_slice(b"bob\0example.com\0");
        assert_eq!(target(&a).unwrap().host, "example.com");
        let mut req = vec![5, 1, 0, 3, 11];
        req.extend_from_slice(b"example.com");
        req.extend_from_slice(&[1, 187]);
        let t = target(&req).unwrap();
        assert_eq!(
            (t.version, t.host.as_str(), t.port),
            (5, "example.com", 443)
        );
        let mut v6 = vec![5, 3, 0, 4];
        v6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v6.extend_from_slice(&[0; 11]);
        v6.extend_from_slice(&[1, 0, 53]);
        let t = target(&v6).unwrap();
        assert_eq!(
            (t.command, t.host.as_str(), t.port),
            ("udp-associate", "2001:db8::1", 53)
        );
        assert_eq!(target(&[5, 1, 0, 1, 10, 0, 0, 1, 0]), None);
    }

    #[test]
    fn socks5_handshake() {
        assert!(client_first(&[5, 2, 0, 2]));
        assert!(!client_first(&[5, 2, 0]));
        assert!(!client_first(&[5, 1, 0x30]));
        assert!(server_first(&[5, 2]));
        assert!(server_first(&[5, 0xff]));
        assert!(!server_first(&[5, 2, 0]));
        let (u, p) = user_password(b"\x01\x05alice\x06s3cret").unwrap();
        assert_eq!((u, p), (&b"alice"[..], &b"s3cret"[..]));
        assert_eq!(user_password(b"\x01\x05alice\x07s3cret"), None);
        assert_eq!(user_password(b"\x01\x05ali"), None);
        assert_eq!(user_password_status(&[1, 0]), Some(true));
        assert_eq!(user_password_status(&[1, 1]), Some(false));
        let mut req = vec![5, 1, 0, 3, 11];
        req.extend_from_slice(b"example.com");
        req.extend_from_slice(&[1, 187]);
        assert!(request(&req));
        assert!(!request(&req[..req.len() - 1]));
        assert!(request(&[5, 1, 0, 1, 10, 0, 0, 1, 0, 80]));
        assert_eq!(reply(&[5, 0, 0, 1, 10, 0, 0, 1, 0, 80]), Some(true));
        assert_eq!(reply(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]), Some(false));
        assert_eq!(reply(&[5, 0, 0, 1, 10, 0, 0, 1, 0]), None);
        assert_eq!(reply(&[5, 0, 0, 9, 1, 2]), None);
    }
}
