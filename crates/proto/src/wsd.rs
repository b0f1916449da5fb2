//! WS-Discovery (SOAP over UDP, port 3702, multicast 239.255.255.250 and ff02::c): how Windows
//! and Samba hosts, network printers and scanners, and ONVIF cameras announce themselves (Hello,
//! Bye) and answer searches (ProbeMatches, ResolveMatches). The device types (`Types`), its
//! ONVIF scopes (`onvif://www.onvif.org/hardware/...`: the camera's model and name) and the
//! addresses of its metadata service (`XAddrs`) say what it is. The XML is read with quick-xml.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

/// One WS-Discovery message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Wsd {
    /// The last part of the action URI: Hello, Bye, Probe, ProbeMatches, Resolve,
    /// ResolveMatches.
    pub action: String,
    /// Qualified type names (`wsdp:Device`, `pub:Computer`, `dn:NetworkVideoTransmitter`): for
    /// a Probe, the types searched for; otherwise the sender's own.
    pub types: Vec<String>,
    /// Scope URIs (ONVIF cameras list their type, hardware model, name and location here).
    pub scopes: Vec<String>,
    /// Where the sender's metadata service answers.
    pub xaddrs: Vec<String>,
}

/// Most list items kept from one message.
const MAX_ITEMS: usize = 32;
/// Longest item kept.
const MAX_ITEM: usize = 256;

impl Wsd {
    /// The message is about its sender (not a search for others).
    pub fn announces(&self) -> bool {
        matches!(
            self.action.as_str(),
            "Hello" | "Bye" | "ProbeMatches" | "ResolveMatches"
        )
    }

    /// An ONVIF scope's value (`hardware`, `name`, `type`, `location/city`...), URL-decoded.
    pub fn onvif(&self, key: &str) -> Vec<String> {
        self.scopes
            .iter()
            .filter_map(|s| {
                let rest = s.strip_prefix("onvif://www.onvif.org/")?;
                let value = rest.strip_prefix(key)?.strip_prefix('/')?;
                (!value.is_empty()).then(|| crate::http::percent_decode(value))
            })
            .collect()
    }
}

/// The first bytes of a WS-Discovery message: an XML document or a SOAP envelope that names the
/// discovery namespace early (both the 2005 draft and the 2009 OASIS standard).
pub fn looks_like_wsd(b: &[u8]) -> bool {
    let head = &b[..b.len().min(1024)];
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    head[start..].starts_with(b"<")
        && head
            .windows(b"/discovery".len())
            .any(|w| w.eq_ignore_ascii_case(b"/discovery"))
        && head.windows(b"Envelope".len()).any(|w| w == b"Envelope")
}

/// Reads a message; None when the payload is not WS-Discovery XML with an action.
pub fn parse(b: &[u8]) -> Option<Wsd> {
    if !looks_like_wsd(b) {
        return None;
    }
    let mut reader = Reader::from_reader(b);
    let mut out = Wsd::default();
    // The element whose text is being read, and that text so far.
    let mut inside: Option<&'static str> = None;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                inside = match e.local_name().as_ref() {
                    b"Action" => Some("Action"),
                    b"Types" => Some("Types"),
                    b"Scopes" => Some("Scopes"),
                    b"XAddrs" => Some("XAddrs"),
                    _ => None,
                };
                text.clear();
            }
            Ok(Event::Text(t)) if inside.is_some() => {
                text.push_str(&t.decode().ok()?);
            }
            Ok(Event::GeneralRef(r)) if inside.is_some() => {
                text.push(match r.as_ref() {
                    b"amp" => '&',
                    b"lt" => '<',
                    b"gt" => '>',
                    b"quot" => '"',
                    b"apos" => '\'',
                    _ => '?',
                });
            }
            Ok(Event::End(_)) => {
                let items = || {
                    text.split_ascii_whitespace()
                        .filter(|s| s.len() <= MAX_ITEM)
                        .take(MAX_ITEMS)
                        .map(str::to_string)
                };
                match inside.take() {
                    Some("Action") => {
                        let action = text.trim();
                        out.action = action
                            .rsplit('/')
                            .next()
                            .unwrap_or(action)
                            .chars()
                            .take(64)
                            .collect();
                    }
                    Some("Types") => out.types.extend(items()),
                    Some("Scopes") => out.scopes.extend(items()),
                    Some("XAddrs") => out.xaddrs.extend(items()),
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            // A datagram cut short or not well formed: what was read so far stands.
            Err(_) => break,
        }
    }
    for v in [&mut out.types, &mut out.scopes, &mut out.xaddrs] {
        v.truncate(MAX_ITEMS);
    }
    (!out.action.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onvif_scopes_are_decoded() {
        let w = Wsd {
            action: "ProbeMatches".into(),
            scopes: vec![
                "onvif://www.onvif.org/type/video_encoder".into(),
                "onvif://www.onvif.org/hardware/DS-2CD2032-I".into(),
                "onvif://www.onvif.org/name/Front%20Door".into(),
                "onvif://www.onvif.org/name/".into(),
            ],
            ..Wsd::default()
        };
        assert_eq!(w.onvif("hardware"), ["DS-2CD2032-I"]);
        assert_eq!(w.onvif("name"), ["Front Door"]);
        assert!(w.announces());
        assert_eq!(crate::http::percent_decode("100%"), "100%");
        assert_eq!(crate::http::percent_decode("a%2"), "a%2");
    }

    #[test]
    fn not_xml_is_not_wsd() {
        assert!(parse(b"M-SEARCH * HTTP/1.1\r\n").is_none());
        assert!(parse(b"<?xml version=\"1.0\"?><a>no envelope</a>").is_none());
    }
}
