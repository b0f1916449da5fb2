//! SNMP (RFC 1157, 1901, 3412-3414): how routers, printers, cameras and NAS boxes are managed.
//! Versions 1 and 2c authenticate with a community string sent in clear in every message: it is
//! a password, and a write community gives control of the device. Version 3 names a user and can
//! authenticate and encrypt. Messages are read with the `snmp-parser` crate; what is kept is the
//! version, the kind of message, the v3 user and security level, whether a community was sent
//! (never its text), and the device's own description and name when an answer carries them.

use serde::Serialize;
use snmp_parser::asn1_rs::FromBer;
use snmp_parser::{
    ObjectSyntax, ScopedPduData, SecurityParameters, SnmpGenericMessage, SnmpMessage, SnmpPdu,
    VarBindValue,
};

/// One SNMP message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snmp {
    /// "1", "2c" or "3".
    pub version: &'static str,
    /// get-request, get-next-request, response, set-request, trap, get-bulk-request,
    /// inform-request, trap-v2, report; "encrypted" for a v3 message whose PDU is encrypted.
    pub pdu: &'static str,
    /// v1 and v2c: a community string was sent (its text, a password, is never kept).
    pub community: bool,
    /// The community is a factory default everyone tries (`public`, `private`): a scanner's
    /// guess rather than the network's secret.
    pub default_community: bool,
    /// A fingerprint of the community ([`crate::login::fingerprint`]), 0 without one: tells
    /// one community from another, never which.
    #[serde(skip)]
    pub secret: u64,
    /// v3: the user-based security model's user name (none in discovery messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// v3: the message is authenticated and encrypted ("authPriv"), authenticated only
    /// ("authNoPriv") or neither ("noAuthNoPriv").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<&'static str>,
    /// The agent's sysDescr.0 and sysName.0, when a response carries them in clear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Longest description or name kept (sysDescr is at most 255 octets).
const MAX_TEXT: usize = 255;

/// A quick test of the first bytes, before the parser: one BER SEQUENCE spanning the whole
/// datagram, starting with the version (INTEGER 0, 1 or 3), then a community (OCTET STRING) for
/// v1 and v2c or the header SEQUENCE for v3.
pub fn looks_like_snmp(b: &[u8]) -> bool {
    if b.first() != Some(&0x30) {
        return false;
    }
    let (len, at) = match b.get(1) {
        Some(&n) if n < 0x80 => (usize::from(n), 2),
        Some(0x81) => match b.get(2) {
            Some(&n) => (usize::from(n), 3),
            None => return false,
        },
        Some(0x82) => match b.get(2..4) {
            Some(n) => (usize::from(u16::from_be_bytes([n[0], n[1]])), 4),
            None => return false,
        },
        _ => return false,
    };
    if at + len != b.len() {
        return false;
    }
    matches!(
        b.get(at..at + 4),
        Some([0x02, 0x01, 0 | 1, 0x04] | [0x02, 0x01, 3, 0x30])
    )
}

/// Reads one message; None when the payload is not SNMP.
pub fn parse(b: &[u8]) -> Option<Snmp> {
    if !looks_like_snmp(b) {
        return None;
    }
    let (_, msg) = SnmpGenericMessage::from_ber(b).ok()?;
    Some(match msg {
        SnmpGenericMessage::V1(m) => community_message("1", &m),
        SnmpGenericMessage::V2(m) => community_message("2c", &m),
        SnmpGenericMessage::V3(m) => {
            let h = m.header_data;
            let security = match (h.is_authenticated(), h.is_encrypted()) {
                (true, true) => "authPriv",
                (true, false) => "authNoPriv",
                _ => "noAuthNoPriv",
            };
            let user = match &m.security_params {
                SecurityParameters::USM(u) => {
                    Some(text(u.msg_user_name.as_bytes())).filter(|u| !u.is_empty())
                }
                SecurityParameters::Raw(_) => None,
            };
            let (pdu, description, name) = match &m.data {
                ScopedPduData::Plaintext(s) => {
                    let (d, n) = system(&s.data);
                    (pdu_name(&s.data), d, n)
                }
                ScopedPduData::Encrypted(_) => ("encrypted", None, None),
            };
            Snmp {
                version: "3",
                pdu,
                community: false,
                default_community: false,
                secret: 0,
                user,
                security: Some(security),
                description,
                name,
            }
        }
    })
}

fn community_message(version: &'static str, m: &SnmpMessage<'_>) -> Snmp {
    let (description, name) = system(&m.pdu);
    Snmp {
        version,
        pdu: pdu_name(&m.pdu),
        community: true,
        default_community: matches!(m.community.as_str(), "public" | "private"),
        secret: crate::login::fingerprint(m.community.as_bytes()),
        user: None,
        security: None,
        description,
        name,
    }
}

fn pdu_name(p: &SnmpPdu<'_>) -> &'static str {
    let t = match p {
        SnmpPdu::Generic(g) => g.pdu_type.0,
        SnmpPdu::Bulk(_) => 5,
        SnmpPdu::TrapV1(_) => 4,
    };
    match t {
        0 => "get-request",
        1 => "get-next-request",
        2 => "response",
        3 => "set-request",
        4 => "trap",
        5 => "get-bulk-request",
        6 => "inform-request",
        7 => "trap-v2",
        8 => "report",
        _ => "unknown",
    }
}

/// sysDescr.0 (1.3.6.1.2.1.1.1.0) and sysName.0 (1.3.6.1.2.1.1.5.0) in a successful response.
fn system(p: &SnmpPdu<'_>) -> (Option<String>, Option<String>) {
    const SYS_DESCR: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 1, 0];
    const SYS_NAME: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 5, 0];
    let SnmpPdu::Generic(g) = p else {
        return (None, None);
    };
    // An error response echoes the request's values (a refused SET's would-be name): only a
    // successful answer tells what the agent holds.
    if g.pdu_type.0 != 2 || g.err.0 != 0 {
        return (None, None);
    }
    let (mut descr, mut name) = (None, None);
    for v in &g.var {
        let VarBindValue::Value(ObjectSyntax::String(s)) = &v.val else {
            continue;
        };
        if s.is_empty() {
            continue;
        }
        match v.oid.as_bytes() {
            SYS_DESCR => descr = Some(text(s)),
            SYS_NAME => name = Some(text(s)),
            _ => {}
        }
    }
    (descr, name)
}

/// The text of an OCTET STRING, cut to [`MAX_TEXT`] bytes, line breaks as spaces.
fn text(s: &[u8]) -> String {
    let s = &s[..s.len().min(MAX_TEXT)];
    String::from_utf8_lossy(s)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames 5 and 4 of testdata/recorded/snmp.pcap (net-snmp's snmpwalk and snmpd): a v2c
    /// get-next for the system group, and the v1 answer with sysDescr.0 and sysName.0. The
    /// community is the recording's test password.
    const GET_V2C: &str = "3030020101040f533363726574506173737730726421a11a020418f333b602010002\
        0100300c300a06062b06010201010500";
    const ANSWER_V1: &str = "30818f020100040f533363726574506173737730726421a2790204513948c202\
        0100020100306b304f06082b0601020101010004434c696e757820696f7473636f70652d7372762036\
        2e31382e34342d66632d7636363920233120534d5020505245454d50545f44594e414d494320403020\
        7838365f3634301806082b06010201010500040c696f7473636f70652d737276";

    fn bytes(hex: &str) -> Vec<u8> {
        let hex: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
        hex.chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn a_v2c_request_has_a_community_and_no_text_of_it() {
        let m = parse(&bytes(GET_V2C)).expect("snmp");
        assert_eq!(m.version, "2c");
        assert_eq!(m.pdu, "get-next-request");
        assert!(m.community);
        assert_eq!((&m.description, &m.name), (&None, &None));
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("S3cret"), "{json}");
    }

    #[test]
    fn an_answer_says_what_the_agent_is_and_its_name() {
        let m = parse(&bytes(ANSWER_V1)).expect("snmp");
        assert_eq!((m.version, m.pdu), ("1", "response"));
        assert_eq!(m.name.as_deref(), Some("iotscope-srv"));
        assert!(m
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with("Linux iotscope-srv 6.18")));
    }

    #[test]
    fn the_quick_test_wants_the_whole_datagram() {
        let get = bytes(GET_V2C);
        assert!(looks_like_snmp(&get));
        assert!(!looks_like_snmp(&get[..get.len() - 1]));
        let mut longer = get.clone();
        longer.push(0);
        assert!(!looks_like_snmp(&longer));
        assert!(parse(&longer).is_none());
        // Version 2 does not exist on the wire (2c is 1).
        let mut v = get;
        v[4] = 2;
        assert!(!looks_like_snmp(&v));
    }
}
