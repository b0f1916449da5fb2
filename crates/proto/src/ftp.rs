//! FTP data channels: where the control connection says the next file will flow.
//!
//! FTP moves files over a second TCP connection whose port is agreed on the control connection:
//! in passive mode the server announces it (`227` for PASV, `229` for EPSV) and the client
//! connects; in active mode the client announces it (`PORT`, `EPRT`) and the server connects back.
//! Without reading these lines, an active-mode transfer looks like a server on the internet
//! opening a connection into the device. RFC 959 (PORT, PASV) and RFC 2428 (EPRT, EPSV).

use std::net::IpAddr;

use serde::Serialize;

/// A data connection announced on an FTP control connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DataChannel {
    /// The address written in the announcement, when it has one (EPSV names only a port; behind
    /// NAT the written address is often a private one: the flow table uses the control
    /// connection's own addresses).
    pub addr: Option<IpAddr>,
    pub port: u16,
    /// Active mode (PORT, EPRT): the server connects to the client. Passive (PASV, EPSV): the
    /// client connects to the server.
    pub active: bool,
}

/// Reads a data channel announcement from one control-connection payload: a client command
/// (`PORT h1,h2,h3,h4,p1,p2`, `EPRT |1|addr|port|`) or a server reply (`227 ... (h1,..,p2)`,
/// `229 ... (|||port|)`). Commands and replies this short arrive in one segment.
pub fn announcement(payload: &[u8], from_client: bool) -> Option<DataChannel> {
    let line = payload.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?.trim_end();
    if from_client {
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        if cmd.eq_ignore_ascii_case("PORT") {
            let (addr, port) = six_numbers(arg.trim())?;
            return Some(DataChannel {
                addr: Some(addr),
                port,
                active: true,
            });
        }
        if cmd.eq_ignore_ascii_case("EPRT") {
            let (addr, port) = extended(arg.trim())?;
            return Some(DataChannel {
                addr,
                port,
                active: true,
            });
        }
        return None;
    }
    let inside = |l: &str| -> Option<String> {
        let open = l.find('(')?;
        let close = open + l[open..].find(')')?;
        Some(l[open + 1..close].to_string())
    };
    if let Some(rest) = line.strip_prefix("227") {
        // Some servers leave out the parentheses: take the first run of digits and commas.
        let numbers = inside(rest).or_else(|| {
            let start = rest.find(|c: char| c.is_ascii_digit())?;
            let s = &rest[start..];
            let end = s
                .find(|c: char| !(c.is_ascii_digit() || c == ','))
                .unwrap_or(s.len());
            Some(s[..end].to_string())
        })?;
        let (addr, port) = six_numbers(&numbers)?;
        return Some(DataChannel {
            addr: Some(addr),
            port,
            active: false,
        });
    }
    if let Some(rest) = line.strip_prefix("229") {
        let (addr, port) = extended(&inside(rest)?)?;
        return Some(DataChannel {
            addr,
            port,
            active: false,
        });
    }
    None
}

/// `h1,h2,h3,h4,p1,p2`: an IPv4 address and a port as six decimal bytes.
fn six_numbers(s: &str) -> Option<(IpAddr, u16)> {
    let mut n = [0u8; 6];
    let mut parts = s.split(',');
    for x in &mut n {
        *x = parts.next()?.trim().parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    let port = u16::from_be_bytes([n[4], n[5]]);
    (port != 0).then(|| (IpAddr::from([n[0], n[1], n[2], n[3]]), port))
}

/// `<d>proto<d>addr<d>port<d>` with any printable delimiter; the address may be empty (EPSV).
fn extended(s: &str) -> Option<(Option<IpAddr>, u16)> {
    let d = s.chars().next()?;
    if !(d.is_ascii_graphic()) || d.is_ascii_alphanumeric() {
        return None;
    }
    let mut f = s[d.len_utf8()..].split(d);
    let proto = f.next()?;
    let addr = f.next()?;
    let port: u16 = f.next()?.parse().ok()?;
    if port == 0 {
        return None;
    }
    let addr = match proto {
        "" if addr.is_empty() => None,
        "1" | "2" => Some(addr.parse().ok()?),
        _ => return None,
    };
    Some((addr, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(addr: Option<&str>, port: u16, active: bool) -> Option<DataChannel> {
        Some(DataChannel {
            addr: addr.map(|a| a.parse().unwrap()),
            port,
            active,
        })
    }

    #[test]
    fn the_four_announcements() {
        assert_eq!(
            announcement(b"PORT 10,99,0,2,195,80\r\n", true),
            ch(Some("10.99.0.2"), 50000, true)
        );
        assert_eq!(
            announcement(b"EPRT |1|10.99.0.2|41234|\r\n", true),
            ch(Some("10.99.0.2"), 41234, true)
        );
        assert_eq!(
            announcement(b"eprt |2|fd00::2|41234|\r\n", true),
            ch(Some("fd00::2"), 41234, true)
        );
        assert_eq!(
            announcement(b"227 Entering Passive Mode (10,99,0,1,117,48).\r\n", false),
            ch(Some("10.99.0.1"), 30000, false)
        );
        assert_eq!(
            announcement(b"227 Entering Passive Mode 10,99,0,1,117,48\r\n", false),
            ch(Some("10.99.0.1"), 30000, false)
        );
        assert_eq!(
            announcement(b"229 Entering Extended Passive Mode (|||31000|)\r\n", false),
            ch(None, 31000, false)
        );
    }

    #[test]
    fn other_lines_and_nonsense() {
        for (b, c) in [
            (&b"USER iotuser\r\n"[..], true),
            (b"PORT 1,2,3\r\n", true),
            (b"PORT 1,2,3,4,0,0\r\n", true),
            (b"PORT 1,2,3,4,5,6,7\r\n", true),
            (b"PORT 300,2,3,4,5,6\r\n", true),
            (b"EPRT |3|x|1|\r\n", true),
            (b"EPRT |1|notanaddress|21|\r\n", true),
            (b"EPRT a1a1.2.3.4a5a\r\n", true),
            (b"229 Entering Extended Passive Mode (|||0|)\r\n", false),
            (b"229 (|||99999|)\r\n", false),
            (b"229 no parentheses\r\n", false),
            (b"227 (\r\n", false),
            (b"230 Login successful.\r\n", false),
            (b"\xff\xfe227 (", false),
            (b"", false),
        ] {
            assert_eq!(announcement(b, c), None, "{:?}", String::from_utf8_lossy(b));
        }
        // A reply is not read as a command, nor a command as a reply.
        assert_eq!(announcement(b"PORT 10,99,0,2,195,80\r\n", false), None);
        assert_eq!(announcement(b"227 (10,99,0,1,117,48)\r\n", true), None);
    }
}
