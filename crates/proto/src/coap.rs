//! CoAP messages (RFC 7252) over UDP: the type, the method or response code, and the options
//! that say what a device asks for and from where (Uri-Host, Uri-Port, Uri-Path, Uri-Query,
//! Proxy-Uri), its content format and whether it observes a resource (RFC 7641).
//!
//! Written here rather than taken from `coap-lite`: that crate builds messages to send, so its
//! reader copies the payload and every option into allocations of their own and refuses
//! messages over 1 280 bytes, where a capture's reader wants a few options read in place from
//! any message. The option walk is a few lines.

use serde::Serialize;

/// Longest path, query or host kept (each is at most 255 bytes an option, RFC 7252 5.10, but a
/// message may repeat Uri-Path and Uri-Query options).
const MAX_TEXT: usize = 512;

/// A CoAP message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Coap {
    /// CON, NON, ACK or RST.
    pub msg_type: &'static str,
    /// The code as RFC 7252 writes it: "0.01" (GET), "2.05" (Content), "4.04" (Not Found).
    pub code: String,
    /// The request's method (GET, POST, PUT, DELETE, FETCH, PATCH, iPATCH); none in a response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    pub message_id: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_port: Option<u16>,
    /// The Uri-Path options joined: "/sensors/temp"; empty when the message has none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The Uri-Query options, in order ("ep=node1", "lt=300").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<String>,
    /// A request for a proxy: the whole URI it should fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_uri: Option<String>,
    /// Content-Format of the payload (0 text/plain, 40 link-format, 50 JSON, 60 CBOR...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_format: Option<u16>,
    /// Observe: 0 registers an observation, 1 ends it; in a notification, its sequence number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observe: Option<u32>,
    /// Bytes after the payload marker.
    pub payload_len: u32,
}

impl Coap {
    /// A request (class 0, not the empty message).
    pub fn is_request(&self) -> bool {
        self.method.is_some()
    }

    /// What the request asks for, as a URI without scheme and host: "/rd?ep=node1&lt=300".
    pub fn target(&self) -> String {
        let mut s = if self.path.is_empty() {
            "/".to_string()
        } else {
            self.path.clone()
        };
        for (i, q) in self.query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(q);
        }
        s
    }

    /// An LwM2M client's registration with its server (OMA LwM2M 1.x: POST /rd?ep=NAME&...): the
    /// endpoint name it registers under, which names the device (often its serial or IMEI).
    pub fn lwm2m_endpoint(&self) -> Option<&str> {
        if self.method != Some("POST") || self.path != "/rd" {
            return None;
        }
        self.query
            .iter()
            .find_map(|q| q.strip_prefix("ep="))
            .filter(|e| !e.is_empty())
    }
}

fn method_name(detail: u8) -> Option<&'static str> {
    Some(match detail {
        1 => "GET",
        2 => "POST",
        3 => "PUT",
        4 => "DELETE",
        5 => "FETCH",
        6 => "PATCH",
        7 => "iPATCH",
        _ => return None,
    })
}

/// An option's unsigned integer value (RFC 7252 3.2: big-endian, leading zeros dropped).
fn uint(v: &[u8]) -> Option<u32> {
    (v.len() <= 4).then(|| v.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)))
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(&v[..v.len().min(MAX_TEXT)]).into_owned()
}

/// Pushes `part` onto `s` after `sep`, as long as `s` stays within [`MAX_TEXT`].
fn append(s: &mut String, sep: char, part: &[u8]) {
    if s.len() + 1 + part.len() <= MAX_TEXT {
        s.push(sep);
        s.push_str(&String::from_utf8_lossy(part));
    }
}

/// An option's delta or length nibble with its extension bytes (RFC 7252 3.1): the value and the
/// bytes the extension took; 15 is reserved (the payload marker's).
fn extended(nibble: u8, b: &[u8]) -> Option<(usize, usize)> {
    match nibble {
        0..=12 => Some((usize::from(nibble), 0)),
        13 => Some((usize::from(*b.first()?) + 13, 1)),
        14 => Some((
            usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?])) + 269,
            2,
        )),
        _ => None,
    }
}

/// Reads a CoAP message; `None` for anything that is not one (wrong version, a reserved token
/// length, a code of a class that does not exist, a broken option, an empty message with
/// content). An Empty message (code 0.00: a bare acknowledgement, a reset or a ping) is read too.
pub fn parse(b: &[u8]) -> Option<Coap> {
    if b.len() < 4 || b[0] >> 6 != 1 {
        return None;
    }
    let msg_type = ["CON", "NON", "ACK", "RST"][usize::from(b[0] >> 4 & 3)];
    let tkl = usize::from(b[0] & 0x0f);
    let (class, detail) = (b[1] >> 5, b[1] & 0x1f);
    if tkl > 8 || !matches!(class, 0 | 2 | 4 | 5) {
        return None;
    }
    let mut m = Coap {
        msg_type,
        code: format!("{class}.{detail:02}"),
        method: if class == 0 {
            method_name(detail)
        } else {
            None
        },
        message_id: u16::from_be_bytes([b[2], b[3]]),
        uri_host: None,
        uri_port: None,
        path: String::new(),
        query: Vec::new(),
        proxy_uri: None,
        content_format: None,
        observe: None,
        payload_len: 0,
    };
    // Requests with a code no method has (0.08-0.31) are not read.
    if class == 0 && detail != 0 && m.method.is_none() {
        return None;
    }
    let mut pos = 4 + tkl;
    if pos > b.len() {
        return None;
    }
    if b[1] == 0 {
        // An Empty message is only its header (RFC 7252 4.1: anything else is a format error).
        return (pos == b.len() && tkl == 0).then_some(m);
    }
    let mut number = 0usize;
    while pos < b.len() {
        let head = b[pos];
        if head == 0xff {
            // The payload marker is followed by a payload, never by nothing (RFC 7252 3).
            let len = b.len() - pos - 1;
            if len == 0 {
                return None;
            }
            m.payload_len = len as u32;
            break;
        }
        let (delta, d_len) = extended(head >> 4, &b[pos + 1..])?;
        let (len, l_len) = extended(head & 0x0f, &b[pos + 1 + d_len..])?;
        let start = pos + 1 + d_len + l_len;
        let value = b.get(start..start.checked_add(len)?)?;
        number += delta;
        match number {
            3 => m.uri_host = Some(text(value)),
            6 => m.observe = uint(value),
            7 => m.uri_port = uint(value).and_then(|p| u16::try_from(p).ok()),
            11 => append(&mut m.path, '/', value),
            12 => m.content_format = uint(value).and_then(|c| u16::try_from(c).ok()),
            15 if m.query.len() < 32 => m.query.push(text(value)),
            35 => m.proxy_uri = Some(text(value)),
            _ => {}
        }
        pos = start + len;
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rfc_examples() {
        // RFC 7252 appendix A's first exchange: a confirmable GET of /temperature (token-less),
        // answered by a piggybacked 2.05 Content with "22.3 C".
        let mut get = vec![0x40, 0x01, 0x7d, 0x34, 0xbb];
        get.extend_from_slice(b"temperature");
        let m = parse(&get).unwrap();
        assert_eq!(
            (m.msg_type, m.method, m.code.as_str(), m.message_id),
            ("CON", Some("GET"), "0.01", 0x7d34)
        );
        assert_eq!(m.path, "/temperature");
        assert_eq!(m.target(), "/temperature");
        let mut content = vec![0x60, 0x45, 0x7d, 0x34, 0xff];
        content.extend_from_slice(b"22.3 C");
        let r = parse(&content).unwrap();
        assert_eq!(
            (r.msg_type, r.method, r.code.as_str()),
            ("ACK", None, "2.05")
        );
        assert_eq!(r.payload_len, 6);
        assert!(!r.is_request());
    }

    #[test]
    fn reads_options_with_extended_deltas_and_lengths() {
        // Uri-Host (3) "node.example", Uri-Path (11) "rd", Content-Format (12) 40, Uri-Query
        // (15) "ep=" + 20 bytes: a length past 12 takes an extension byte; Proxy-Uri (35) needs
        // a delta extension.
        let mut b = vec![0x42, 0x02, 0x00, 0x07, 0xaa, 0xbb];
        b.push(0x3c);
        b.extend_from_slice(b"node.example");
        b.push(0x82);
        b.extend_from_slice(b"rd");
        b.extend_from_slice(&[0x11, 40]);
        b.extend_from_slice(&[0x3d, 20 - 13]);
        b.extend_from_slice(b"ep=urn:imei:35000001");
        b.extend_from_slice(&[0xd2, 35 - 15 - 13]);
        b.extend_from_slice(b"x:");
        let m = parse(&b).unwrap();
        assert_eq!(m.uri_host.as_deref(), Some("node.example"));
        assert_eq!(m.path, "/rd");
        assert_eq!(m.content_format, Some(40));
        assert_eq!(m.query, ["ep=urn:imei:35000001"]);
        assert_eq!(m.proxy_uri.as_deref(), Some("x:"));
        assert_eq!(m.lwm2m_endpoint(), Some("urn:imei:35000001"));
        assert_eq!(m.target(), "/rd?ep=urn:imei:35000001");
    }

    #[test]
    fn refuses_what_is_not_coap() {
        assert!(parse(&[0x40, 0x01, 0x00]).is_none()); // short
        assert!(parse(&[0x80, 0x01, 0x00, 0x01]).is_none()); // version 2
        assert!(parse(&[0x49, 0x01, 0x00, 0x01]).is_none()); // token length 9
        assert!(parse(&[0x40, 0x21, 0x00, 0x01]).is_none()); // class 1
        assert!(parse(&[0x40, 0x08, 0x00, 0x01]).is_none()); // no such method
        assert!(parse(&[0x40, 0x01, 0x00, 0x01, 0xff]).is_none()); // marker, no payload
        assert!(parse(&[0x40, 0x01, 0x00, 0x01, 0xb5, b'a']).is_none()); // option cut
        assert!(parse(&[0x40, 0x01, 0x00, 0x01, 0xf1, 0]).is_none()); // delta 15
        assert!(parse(&[0x41, 0x00, 0x00, 0x01, 0x00]).is_none()); // empty with a token
        let ping = parse(&[0x40, 0x00, 0x12, 0x34]).unwrap();
        assert_eq!(
            (ping.msg_type, ping.code.as_str(), ping.method),
            ("CON", "0.00", None)
        );
    }
}
