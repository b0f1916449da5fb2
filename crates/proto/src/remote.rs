//! Remote desktops and remote logs, recognised by their first bytes: VNC (RFB, RFC 6143), RDP
//! (a TPKT carrying an X.224 connection request or confirm) and syslog (RFC 3164 and 5424).
//! For VNC the security types the server offers are read: "None" gives the screen and keyboard
//! to whoever connects, and classic "VNC Authentication" sends the whole session in clear.
//! The few fixed bytes each protocol begins with are tested here by hand: no crate reads them.

use serde::Serialize;

/// The 12-byte version line both sides of an RFB connection start with: `RFB 003.008\n`.
/// Returns the version as "3.8".
pub fn rfb_version(b: &[u8]) -> Option<String> {
    if b.len() != 12 || !b.starts_with(b"RFB ") || b[7] != b'.' || b[11] != b'\n' {
        return None;
    }
    let num = |x: &[u8]| -> Option<u32> {
        x.iter()
            .all(u8::is_ascii_digit)
            .then(|| x.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    Some(format!("{}.{}", num(&b[4..7])?, num(&b[8..11])?))
}

/// VNC security types: those a server offers, or the one a client chose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VncSecurity {
    /// Type numbers (RFC 6143 section 7.1.2 and IANA's registry).
    pub types: Vec<u8>,
    /// The client's choice (one type), not the server's offer.
    pub chosen: bool,
    /// Under VeNCrypt (19), the sub-type the client chose: 256 Plain (user and password in
    /// clear, no TLS), 257 TLSNone, 258 TLSVnc, 259 TLSPlain, 260 X509None, 261 X509Vnc,
    /// 262 X509Plain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vencrypt: Option<u32>,
}

/// A VeNCrypt sub-type's name.
pub fn vencrypt_name(t: u32) -> &'static str {
    match t {
        256 => "Plain",
        257 => "TLSNone",
        258 => "TLSVnc",
        259 => "TLSPlain",
        260 => "X509None",
        261 => "X509Vnc",
        262 => "X509Plain",
        _ => "other",
    }
}

/// The client's VeNCrypt sub-type choice (a 32-bit number), and for Plain the user name and
/// whether a password follows, when they share the segment: lengths of user and password (32
/// bits each), then both.
pub fn vencrypt_choice(b: &[u8]) -> Option<(u32, Option<(String, bool)>)> {
    let t = u32::from_be_bytes(b.get(..4)?.try_into().ok()?);
    if !(256..=262).contains(&t) {
        return None;
    }
    Some((t, plain_login(&b[4..])))
}

/// VeNCrypt Plain's credentials: user length, password length, user, password.
pub fn plain_login(b: &[u8]) -> Option<(String, bool)> {
    let ulen = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let plen = u32::from_be_bytes(b.get(4..8)?.try_into().ok()?) as usize;
    if ulen > 255 || b.len() != 8 + ulen + plen {
        return None;
    }
    let user = String::from_utf8_lossy(&b[8..8 + ulen]).into_owned();
    Some((user, plen > 0))
}

/// The server's second message: from RFB 3.7 on, a count and that many types (a count of 0 is a
/// refusal, followed by the reason); in 3.3 the one type the server decided, as 4 bytes, which
/// for VNC Authentication may share its segment with the 16-byte challenge.
pub fn vnc_offer(b: &[u8]) -> Option<VncSecurity> {
    match b {
        [0, 0, 0, t] if *t != 0 => Some(VncSecurity {
            types: vec![*t],
            chosen: false,
            vencrypt: None,
        }),
        [0, 0, 0, 2, challenge @ ..] if challenge.len() == 16 => Some(VncSecurity {
            types: vec![2],
            chosen: false,
            vencrypt: None,
        }),
        [n, types @ ..] if *n > 0 && usize::from(*n) == types.len() => Some(VncSecurity {
            types: types.to_vec(),
            chosen: false,
            vencrypt: None,
        }),
        _ => None,
    }
}

/// The client's second message in RFB 3.7 and later: the one type it chose.
pub fn vnc_choice(b: &[u8]) -> Option<VncSecurity> {
    match b {
        [t] if *t != 0 => Some(VncSecurity {
            types: vec![*t],
            chosen: true,
            vencrypt: None,
        }),
        _ => None,
    }
}

/// A security type's name (IANA's RFB registry; RealVNC holds 5 to 15 and 128 to 255).
pub fn vnc_security_name(t: u8) -> &'static str {
    match t {
        1 => "None",
        2 => "VNC Authentication",
        5 => "RA2 (RealVNC)",
        6 => "RA2ne (RealVNC, no encryption)",
        129 => "RA2_256 (RealVNC)",
        130 => "RA2ne_256 (RealVNC, no encryption)",
        7..=15 | 128..=255 => "RealVNC",
        16 => "Tight",
        17 => "Ultra",
        18 => "TLS",
        19 => "VeNCrypt",
        20 => "SASL",
        21 => "MD5",
        22 => "xvp",
        30 => "Apple Remote Desktop",
        _ => "other",
    }
}

/// Whether a security type encrypts the session: None and VNC Authentication do not (only the
/// password check is protected), nor do RealVNC's "no encryption" types (6, 130) and Tight;
/// TLS and RealVNC's RA2 (5, 129) do. Others are not known: VeNCrypt (19) negotiates a
/// sub-type of its own, with TLS or without ("Plain" sends the password in clear), which is
/// not read.
pub fn vnc_encrypts(t: u8) -> Option<bool> {
    match t {
        1 | 2 | 6 | 16 | 130 => Some(false),
        5 | 18 | 129 => Some(true),
        _ => None,
    }
}

/// An RDP connection request (client) or confirm (server): TPKT version 3 whose length is the
/// segment's, carrying an X.224 TPDU whose length indicator fills the rest, of type CR (0xe0)
/// or CC (0xd0), whose variable part is RDP's: nothing, the client's `Cookie: mstshash=` line
/// or routing token, or an 8-byte negotiation request, response or failure (types 1, 2, 3).
/// ISO transport on other protocols (Siemens S7 on tcp/102) frames the same way but carries
/// COTP parameters (0xc0, 0xc1, 0xc2) there.
pub fn looks_like_rdp(b: &[u8]) -> bool {
    if !(b.len() >= 11
        && b[0] == 3
        && b[1] == 0
        && usize::from(u16::from_be_bytes([b[2], b[3]])) == b.len()
        && usize::from(b[4]) + 5 == b.len()
        && matches!(b[5], 0xe0 | 0xd0))
    {
        return false;
    }
    let rest = &b[11..];
    rest.is_empty()
        || rest.starts_with(b"Cookie: ")
        || matches!(rest, [1..=3, _, 8, 0, ..] if rest.len() >= 8)
}

/// Syslog over TCP (RFC 6587): each message behind its length in decimal and a space (octet
/// counting), or a bare message ended by a newline (non-transparent framing).
pub fn looks_like_tcp_syslog(b: &[u8]) -> bool {
    let digits = b.iter().take(6).take_while(|c| c.is_ascii_digit()).count();
    if (1..=5).contains(&digits) && b[0] != b'0' && b.get(digits) == Some(&b' ') {
        return looks_like_syslog(&b[digits + 1..]);
    }
    looks_like_syslog(b)
}

/// A syslog message: `<PRI>` (facility * 8 + severity, at most 191, no leading zero) followed by
/// printable text, as far as the first line goes.
pub fn looks_like_syslog(b: &[u8]) -> bool {
    let Some(rest) = b.strip_prefix(b"<") else {
        return false;
    };
    let Some(end) = rest.iter().take(4).position(|&c| c == b'>') else {
        return false;
    };
    let digits = &rest[..end];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return false;
    }
    let pri = digits
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let text = &rest[end + 1..];
    // Senders end a line with a newline, a NUL, or nothing (RFC 3164's relays with a NUL).
    let line = text
        .split(|&c| c == b'\n' || c == 0)
        .next()
        .unwrap_or_default();
    let head = &line[..line.len().min(64)];
    pri <= 191
        && head.len() >= 8
        && head
            .iter()
            .all(|&c| c == b'\t' || (0x20..0x7f).contains(&c) || c >= 0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfb_version_lines() {
        assert_eq!(rfb_version(b"RFB 003.008\n").as_deref(), Some("3.8"));
        assert_eq!(rfb_version(b"RFB 004.001\n").as_deref(), Some("4.1"));
        assert_eq!(rfb_version(b"RFB 003.008"), None);
        assert_eq!(rfb_version(b"RFB 00x.008\n"), None);
    }

    #[test]
    fn security_offers_and_choices() {
        // nDPI's vnc.pcap, frames 6 and 7: RealVNC offers seven types, VNC Authentication
        // (2) last; the client chooses 13 (RA2).
        assert_eq!(
            vnc_offer(&[7, 13, 133, 5, 129, 6, 130, 2]).unwrap().types,
            vec![13, 133, 5, 129, 6, 130, 2]
        );
        assert_eq!(vnc_choice(&[13]).unwrap().types, vec![13]);
        assert_eq!(vnc_offer(&[0, 0, 0, 2]).unwrap().types, vec![2]);
        assert!(vnc_offer(&[0, 0, 0, 12, b'n', b'o']).is_none());
        assert!(vnc_offer(&[3, 1, 2]).is_none());
        // Xtigervnc answering an RFB 3.3 client (vncsnapshot): the type it decided, VNC
        // Authentication, and its 16-byte challenge in one segment.
        let tiger = [
            0, 0, 0, 2, 0x42, 0x59, 0x05, 0xe6, 0x78, 0x24, 0x97, 0x56, 0xac, 0xd4, 0x91, 0xd8,
            0xd5, 0x78, 0xcf, 0x35,
        ];
        assert_eq!(vnc_offer(&tiger).unwrap().types, vec![2]);
        assert_eq!(vnc_choice(&[1]).unwrap().types, vec![1]);
        assert!(vnc_choice(&[1, 2]).is_none());
    }

    #[test]
    fn rdp_and_not_iso_transport() {
        // nDPI's rdp.pcap, frames 4 and 5: the client's request with a negotiation request
        // (protocols 0x0b) and the server's confirm with its response (TLS).
        let req = [
            3, 0, 0, 0x13, 0x0e, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0x0b, 0, 0, 0,
        ];
        let cc = [
            3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 8, 0, 0, 0,
        ];
        assert!(looks_like_rdp(&req));
        assert!(looks_like_rdp(&cc));
        // nDPI's s7comm.pcap, frame 1: Siemens S7's connection request (COTP with its TSAPs
        // and TPDU size) frames the same way.
        let s7 = [
            3, 0, 0, 0x16, 0x11, 0xe0, 0, 0, 0, 7, 0, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 0x0a,
        ];
        assert!(!looks_like_rdp(&s7));
    }

    #[test]
    fn vencrypt_plain_names_the_user() {
        // TigerVNC's viewer choosing VeNCrypt Plain (256) and sending user "alice" with a
        // 13-byte password in the same segment.
        let mut b = vec![0, 0, 1, 0, 0, 0, 0, 5, 0, 0, 0, 13];
        b.extend_from_slice(b"alice");
        b.extend_from_slice(&[b'x'; 13]);
        assert_eq!(
            vencrypt_choice(&b),
            Some((256, Some(("alice".to_string(), true))))
        );
        assert_eq!(vencrypt_choice(&[0, 0, 1, 1]), Some((257, None)));
        assert_eq!(vencrypt_choice(&[0, 0, 0, 2]), None);
    }

    #[test]
    fn syslog_over_tcp() {
        // RFC 6587: octet counting (util-linux logger -T --octet-count), or a bare line.
        assert!(looks_like_tcp_syslog(
            b"115 <13>1 2026-11-23T01:24:09.402691+00:00 vm camd - - motion detected"
        ));
        assert!(looks_like_tcp_syslog(b"<13>Nov 23 01:24:09 vm camd: vm\n"));
        assert!(!looks_like_tcp_syslog(b"115 hello there, not syslog"));
        assert!(!looks_like_tcp_syslog(
            b"0115 <13>leading zero in the count"
        ));
    }

    #[test]
    fn syslog_lines() {
        // nDPI's syslog.pcapng, frame 1 (a Cisco switch's RFC 3164 line).
        assert!(looks_like_syslog(
            b"<189>30: *Sep 22 13:34:49.195: %SYS-5-CONFIG_I: Configured from console by console"
        ));
        assert!(looks_like_syslog(
            b"<14>1 2026-11-22T10:00:00Z host app - - - hello"
        ));
        // tcpdump's syslog_udp.pcap, frame 1: logger's line ends in a NUL.
        assert!(looks_like_syslog(
            b"<5>Sep 12 19:16:12 through logger: test message 21\0"
        ));
        assert!(!looks_like_syslog(b"<192>too high a priority"));
        assert!(!looks_like_syslog(b"<013>leading zero"));
        assert!(!looks_like_syslog(b"<html><body>"));
        assert!(!looks_like_syslog(b"<1>\x00\x01\x02binary data"));
    }
}
