//! Server certificates (TLS 1.2 and earlier send them in clear): who the certificate names, who
//! signed it, for which names, until when, and whether it signed itself. Read with `x509-parser`.

use std::sync::Arc;

use crate::recent::Recent;

use serde::Serialize;
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

/// What the leaf certificate of a chain says, and the chain's length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    /// Subject common name, when there is one.
    pub common_name: Option<String>,
    /// DNS names of the subjectAltName extension.
    pub san: Vec<String>,
    /// Validity, seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// Issuer and subject are the same name and no other certificate signed it.
    pub self_signed: bool,
    /// Public key: "RSA 2048", "EC P-256", "Ed25519"...
    pub key: String,
    /// Certificates in the chain the server sent.
    pub chain_len: usize,
    pub serial: String,
}

/// The certificates (DER) in a Certificate handshake message (type 11, with its 4-byte header,
/// the TLS 1.2 layout).
pub fn chain(msg: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let Some(list) = msg.get(7..) else { return out };
    let mut i = 0;
    while i + 3 <= list.len() {
        let n = crate::tls::be24(&list[i..]);
        let Some(der) = list.get(i + 3..i + 3 + n) else {
            break;
        };
        out.push(der);
        i += 3 + n;
    }
    out
}

fn key_name(spki: &SubjectPublicKeyInfo<'_>) -> String {
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(ec)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| match oid.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_string(),
                    "1.3.132.0.34" => "P-384".to_string(),
                    "1.3.132.0.35" => "P-521".to_string(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| format!("{} bits", ec.key_size()));
            format!("EC {curve}")
        }
        Ok(PublicKey::DSA(_)) => "DSA".into(),
        Ok(PublicKey::GostR3410(_)) | Ok(PublicKey::GostR3410_2012(_)) => "GOST".into(),
        _ => match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.3.101.112" => "Ed25519".into(),
            "1.3.101.113" => "Ed448".into(),
            other => other.to_string(),
        },
    }
}

thread_local! {
    /// Certificates read before, by the bytes of the message that carried them: a device meets
    /// the same few servers again and again.
    static SEEN: std::cell::RefCell<Recent<Certificate>> =
        std::cell::RefCell::new(Recent::up_to(MAX_CHAIN));
}

/// Longest certificate message whose leaf is kept for the next time it comes.
const MAX_CHAIN: usize = 32 << 10;

/// Reads the leaf of the certificate chain in a Certificate handshake message (with its 4-byte
/// header, as [`chain`] takes it); a message met again is not read again, and its events share
/// the certificate.
pub fn leaf(msg: &[u8]) -> Option<Arc<Certificate>> {
    let weigh = |c: &Certificate| {
        let names: usize = c.san.iter().map(|n| n.len() + 24).sum();
        std::mem::size_of::<Certificate>() + c.subject.len() + c.issuer.len() + names
    };
    SEEN.with_borrow_mut(|seen| seen.get_or_read(msg, |m| parse_leaf(&chain(m)), weigh))
}

fn parse_leaf(chain: &[&[u8]]) -> Option<Certificate> {
    let (_, c) = X509Certificate::from_der(chain.first()?).ok()?;
    // The last CN is the most specific (as tshark and browsers read it). A string type that
    // x509-parser does not decode (T61String, which old CAs still issue) is read as text.
    let common_name = c.subject().iter_common_name().last().map(|cn| {
        cn.as_str()
            .map(String::from)
            .unwrap_or_else(|_| String::from_utf8_lossy(cn.as_slice()).into_owned())
    });
    let mut san = Vec::new();
    if let Ok(Some(ext)) = c.subject_alternative_name() {
        for n in &ext.value.general_names {
            if let GeneralName::DNSName(d) = n {
                san.push(d.to_string());
            }
        }
    }
    let same_name = c.subject().as_raw() == c.issuer().as_raw();
    let keys_differ = match (
        c.get_extension_unique(&oid_registry::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER),
        c.get_extension_unique(&oid_registry::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER),
    ) {
        (Ok(Some(a)), Ok(Some(s))) => match (a.parsed_extension(), s.parsed_extension()) {
            (
                ParsedExtension::AuthorityKeyIdentifier(a),
                ParsedExtension::SubjectKeyIdentifier(s),
            ) => a.key_identifier.as_ref().is_some_and(|k| k.0 != s.0),
            _ => false,
        },
        _ => false,
    };
    Some(Certificate {
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        common_name,
        san,
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),
        self_signed: same_name && !keys_differ,
        key: key_name(c.public_key()),
        chain_len: chain.len(),
        serial: c.raw_serial_as_string(),
    })
}
