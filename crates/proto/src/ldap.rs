//! LDAP (RFC 4511): the directory printers, NAS boxes, cameras and office devices look users and
//! address books up in. A simple bind sends the user's DN and password in clear unless the
//! connection first switched to TLS (StartTLS) or runs on LDAPS (636, read as TLS). Messages are
//! read with the `ldap-parser` crate (rusticata, on the same asn1-rs as the SNMP and certificate
//! parsers); what is kept is the operation, the bind's DN and kind of authentication, the
//! search base, a response's result code and whether StartTLS was asked for. A password is never
//! kept, only whether one was sent.

use ldap_parser::ldap::{AuthenticationChoice, LdapMessage, ProtocolOp, ResultCode};
use ldap_parser::FromBer;
use serde::Serialize;

/// One LDAP message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ldap {
    /// The request's or response's message id (a response carries its request's).
    pub id: u32,
    /// bind-request, bind-response, search-request, search-result-entry, search-result-done,
    /// extended-request, extended-response, unbind-request, modify-request and so on.
    pub op: &'static str,
    /// A bind's name, a search's base object, a result entry's DN (empty for the root or an
    /// anonymous bind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dn: Option<String>,
    /// A bind's authentication: "anonymous", "unauthenticated" (a name without password, RFC
    /// 4513 5.1.2), "simple" (a password in clear) or "sasl MECHANISM".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// A response's result code, by its RFC 4511 name ("success", "invalidCredentials").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    /// An extended request for StartTLS (1.3.6.1.4.1.1466.20037), or the response to one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub starttls: bool,
}

/// A cleartext login an LDAP bind carries: the user (the DN, or a SASL PLAIN identity), the
/// method, and whether a password was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub user: Option<String>,
    pub method: &'static str,
    pub password: bool,
    /// The password's fingerprint ([`crate::login::fingerprint`]), never the password.
    pub secret: u64,
}

/// StartTLS's extended operation.
const STARTTLS: &str = "1.3.6.1.4.1.1466.20037";

/// Longest DN kept.
const MAX_DN: usize = 255;

/// A quick test of the first bytes, before the parser: a BER SEQUENCE, the message id (an
/// INTEGER of 1 to 4 bytes), then an operation's [APPLICATION n] tag (constructed 0x60-0x79, or
/// the primitive unbind 0x42, delete 0x4a and abandon 0x50). SNMP, also a SEQUENCE starting with
/// an INTEGER, follows it with a community string or a header SEQUENCE.
pub fn looks_like_ldap(b: &[u8]) -> bool {
    if b.first() != Some(&0x30) {
        return false;
    }
    let at = match b.get(1) {
        Some(&n) if n < 0x80 => 2,
        Some(&n @ 0x81..=0x84) => 2 + usize::from(n & 0x7f),
        _ => return false,
    };
    let Some(&[0x02, n]) = b.get(at..at + 2) else {
        return false;
    };
    if !(1..=4).contains(&n) {
        return false;
    }
    matches!(
        b.get(at + 2 + usize::from(n)),
        Some(0x60..=0x79 | 0x42 | 0x4a | 0x50)
    )
}

/// The messages at the start of a payload (a TCP segment may hold several; a message split over
/// segments is not joined, and reading stops at the first that does not parse). At most `max`.
pub fn parse_all(mut b: &[u8], max: usize) -> Vec<(Ldap, Option<Bind>)> {
    let mut out = Vec::new();
    while out.len() < max && looks_like_ldap(b) {
        let Ok((rest, m)) = LdapMessage::from_ber(b) else {
            break;
        };
        out.push(read(&m));
        b = rest;
    }
    out
}

/// The payload starts with a whole LDAP message (content detection: nothing is kept).
pub fn is_message(b: &[u8]) -> bool {
    looks_like_ldap(b) && LdapMessage::from_ber(b).is_ok()
}

fn text(s: &str) -> Option<String> {
    let s: String = s.chars().filter(|c| !c.is_control()).take(MAX_DN).collect();
    Some(s)
}

fn read(m: &LdapMessage<'_>) -> (Ldap, Option<Bind>) {
    let mut out = Ldap {
        id: m.message_id.0,
        op: "",
        dn: None,
        auth: None,
        result: None,
        starttls: false,
    };
    let mut bind = None;
    out.op = match &m.protocol_op {
        ProtocolOp::BindRequest(r) => {
            let dn = r.name.0.as_ref();
            out.dn = text(dn);
            let user = (!dn.is_empty()).then(|| dn.chars().take(MAX_DN).collect::<String>());
            match &r.authentication {
                AuthenticationChoice::Simple(p) if !p.is_empty() => {
                    out.auth = Some("simple".into());
                    bind = Some(Bind {
                        user,
                        method: "simple bind",
                        password: true,
                        secret: crate::login::fingerprint(p),
                    });
                }
                AuthenticationChoice::Simple(_) => {
                    out.auth = Some(
                        if dn.is_empty() {
                            "anonymous"
                        } else {
                            "unauthenticated"
                        }
                        .into(),
                    );
                }
                AuthenticationChoice::Sasl(s) => {
                    let mech = s.mechanism.0.as_ref();
                    out.auth = Some(format!(
                        "sasl {}",
                        mech.chars().take(40).collect::<String>()
                    ));
                    // SASL PLAIN (RFC 4616): authzid NUL authcid NUL password, in clear.
                    if mech.eq_ignore_ascii_case("PLAIN") {
                        if let Some(c) = &s.credentials {
                            let mut parts = c.split(|&x| x == 0);
                            let (_, authcid, pass) = (parts.next(), parts.next(), parts.next());
                            bind = Some(Bind {
                                user: authcid.filter(|u| !u.is_empty()).map(|u| {
                                    String::from_utf8_lossy(u).chars().take(MAX_DN).collect()
                                }),
                                method: "SASL PLAIN",
                                password: pass.is_some_and(|p| !p.is_empty()),
                                secret: crate::login::fingerprint(pass.unwrap_or_default()),
                            });
                        }
                    }
                }
            }
            "bind-request"
        }
        ProtocolOp::BindResponse(r) => {
            out.result = Some(result_name(r.result.result_code));
            "bind-response"
        }
        ProtocolOp::UnbindRequest => "unbind-request",
        ProtocolOp::SearchRequest(r) => {
            out.dn = text(&r.base_object.0);
            "search-request"
        }
        ProtocolOp::SearchResultEntry(r) => {
            out.dn = text(&r.object_name.0);
            "search-result-entry"
        }
        ProtocolOp::SearchResultDone(r) => {
            out.result = Some(result_name(r.result_code));
            "search-result-done"
        }
        ProtocolOp::SearchResultReference(_) => "search-result-reference",
        ProtocolOp::ModifyRequest(r) => {
            out.dn = text(&r.object.0);
            "modify-request"
        }
        ProtocolOp::ModifyResponse(r) => {
            out.result = Some(result_name(r.result.result_code));
            "modify-response"
        }
        ProtocolOp::AddRequest(r) => {
            out.dn = text(&r.entry.0);
            "add-request"
        }
        ProtocolOp::AddResponse(r) => {
            out.result = Some(result_name(r.result_code));
            "add-response"
        }
        ProtocolOp::DelRequest(dn) => {
            out.dn = text(&dn.0);
            "del-request"
        }
        ProtocolOp::DelResponse(r) => {
            out.result = Some(result_name(r.result_code));
            "del-response"
        }
        ProtocolOp::ModDnRequest(r) => {
            out.dn = text(&r.entry.0);
            "moddn-request"
        }
        ProtocolOp::ModDnResponse(r) => {
            out.result = Some(result_name(r.result_code));
            "moddn-response"
        }
        ProtocolOp::CompareRequest(r) => {
            out.dn = text(&r.entry.0);
            "compare-request"
        }
        ProtocolOp::CompareResponse(r) => {
            out.result = Some(result_name(r.result_code));
            "compare-response"
        }
        ProtocolOp::AbandonRequest(_) => "abandon-request",
        ProtocolOp::ExtendedRequest(r) => {
            out.starttls = r.request_name.0 == STARTTLS;
            "extended-request"
        }
        ProtocolOp::ExtendedResponse(r) => {
            out.result = Some(result_name(r.result.result_code));
            out.starttls = r.response_name.as_ref().is_some_and(|n| n.0 == STARTTLS);
            "extended-response"
        }
        ProtocolOp::IntermediateResponse(_) => "intermediate-response",
    };
    (out, bind)
}

/// A result code's RFC 4511 name.
fn result_name(c: ResultCode) -> &'static str {
    match c.0 {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        5 => "compareFalse",
        6 => "compareTrue",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        13 => "confidentialityRequired",
        14 => "saslBindInProgress",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "other code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_snmp_and_short_input() {
        // An SNMP v2c get: SEQUENCE, INTEGER 1, then the community string.
        let snmp = [
            0x30, 0x0b, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c',
        ];
        assert!(!looks_like_ldap(&snmp));
        assert!(!looks_like_ldap(&[0x30]));
        assert!(!looks_like_ldap(&[]));
        assert!(parse_all(&[0x30, 0x05, 0x02, 0x01, 0x01, 0x60, 0x00], 4).is_empty());
    }
}
