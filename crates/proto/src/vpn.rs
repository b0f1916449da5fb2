//! VPN tunnels by their handshakes: WireGuard, OpenVPN and IPsec's key exchange (IKE). What they
//! carry is encrypted; that a device keeps one, and to whom, is what can be told.

/// WireGuard's message types, each of a fixed size but the data (whitepaper §5.4): handshake
/// initiation (148 bytes), response (92), cookie reply (64), transport data (16 bytes of header,
/// then the encrypted packet padded to 16 bytes, then a 16-byte tag: a multiple of 16, 32 at
/// least for a keepalive). Every message starts with its type and three zero bytes. Returns the
/// type.
pub fn wireguard_message(b: &[u8]) -> Option<u8> {
    let [t, 0, 0, 0, ..] = *b else { return None };
    let ok = match t {
        1 => b.len() == 148,
        2 => b.len() == 92,
        3 => b.len() == 64,
        4 => b.len() >= 32 && b.len() % 16 == 0,
        _ => false,
    };
    ok.then_some(t)
}

/// An IKE message (RFC 7296 for IKEv2, RFC 2408 for IKEv1), alone in the datagram: a non-zero
/// initiator SPI, a known next payload, version 1.0 or 2.0, a known exchange type, and a length
/// that is the datagram's. With NAT traversal (`natt`: port 4500), IKE follows four zero bytes,
/// which tell it from ESP there (RFC 3948).
pub fn looks_like_ike(b: &[u8], natt: bool) -> bool {
    let h = match b {
        [0, 0, 0, 0, rest @ ..] if natt && rest.len() >= 28 => rest,
        _ if natt => return false,
        _ => b,
    };
    if h.len() < 28 || h[..8] == [0; 8] {
        return false;
    }
    let exchange_ok = match h[17] {
        0x10 => matches!(h[18], 1..=5 | 32 | 33),
        0x20 => matches!(h[18], 34..=37 | 43),
        _ => false,
    };
    let length = u32::from_be_bytes([h[24], h[25], h[26], h[27]]) as usize;
    exchange_ok && h[16] <= 53 && length == h.len()
}

/// What an OpenVPN hard reset (the first packet of each side) shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenvpnReset {
    /// Sent by the client (P_CONTROL_HARD_RESET_CLIENT), else the server's answer.
    pub client: bool,
    /// Its whole layout checks out (the zero fields where they belong), which no other protocol
    /// matches by chance; else only the fields `tls-crypt` leaves in clear do (packet id 1 and a
    /// time), and both sides' resets are wanted.
    pub exact: bool,
}

/// Earliest time a `tls-crypt` reset can carry (2017-11, before OpenVPN 2.4 shipped it widely):
/// a random field passes below it.
const TLS_CRYPT_EPOCH: u32 = 0x5a00_0000;

/// Sizes of the HMAC, packet id and time that `tls-auth` puts in every control packet: none,
/// then MD5, SHA-1, SHA-256, SHA-384 and SHA-512 HMACs with the 8 bytes that follow them.
const AUTH_SIZES: [usize; 6] = [0, 24, 28, 40, 56, 72];

/// An OpenVPN hard reset packet, over UDP or (`tcp`) behind TCP's two-byte length. The opcode is
/// the top five bits of the first byte, the key id (0 in a reset) the low three: 1, 7 and 10 are
/// the client's resets, 2 and 8 the server's. After the 8-byte session id and the optional
/// `tls-auth` fields, a client's reset has an empty acknowledgement list and message id 0; a
/// server's acknowledges the client's message 0 and names the client's session. OpenVPN 2.6 adds
/// a 6-byte early-negotiation field at the end.
pub fn openvpn_reset(b: &[u8], tcp: bool) -> Option<OpenvpnReset> {
    let b = if tcp {
        let n = usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?]));
        b.get(2..2 + n)?
    } else {
        b
    };
    let first = *b.first()?;
    if first & 7 != 0 {
        return None;
    }
    let client = match first >> 3 {
        1 | 7 | 10 => true,
        2 | 8 => false,
        _ => return None,
    };
    if !(14..=1500).contains(&b.len()) {
        return None;
    }
    let zeros = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(|&c| c == 0));
    let exact = AUTH_SIZES.iter().any(|&n| {
        let at = 9 + n;
        let (fixed, ok) = if client {
            (at + 5, zeros(at..at + 5))
        } else {
            (
                at + 17,
                b.get(at) == Some(&1) && zeros(at + 1..at + 5) && zeros(at + 13..at + 17),
            )
        };
        ok && (b.len() == fixed || b.len() == fixed + 6)
    });
    // tls-crypt: the session id, then the packet id (1 for a reset) and the time in clear, then
    // a 32-byte tag and the encrypted rest.
    let tls_crypt = b.len() >= 54
        && b[9..13] == [0, 0, 0, 1]
        && u32::from_be_bytes([b[13], b[14], b[15], b[16]]) >= TLS_CRYPT_EPOCH;
    if !exact && !tls_crypt {
        return None;
    }
    Some(OpenvpnReset { client, exact })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_zero_fields_decide() {
        let mut init = vec![0u8; 148];
        init[0] = 1;
        assert_eq!(wireguard_message(&init), Some(1));
        init[1] = 1;
        assert_eq!(wireguard_message(&init), None);
        let mut data = vec![0u8; 48];
        data[0] = 4;
        assert_eq!(wireguard_message(&data), Some(4));
        data.push(0);
        assert_eq!(wireguard_message(&data), None);

        // A client reset without tls-auth: opcode 7, session id, no acks, message id 0.
        let mut reset = vec![0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0];
        assert_eq!(
            openvpn_reset(&reset, false),
            Some(OpenvpnReset {
                client: true,
                exact: true
            })
        );
        reset[12] = 9;
        assert_eq!(openvpn_reset(&reset, false), None);
        // tls-crypt: packet id 1 and a time in clear, the rest encrypted.
        let mut crypt = vec![0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0x67, 0, 0, 0];
        crypt.resize(60, 0xa5);
        assert_eq!(openvpn_reset(&crypt, false).map(|r| r.exact), Some(false));
        crypt[13] = 0x20;
        assert_eq!(openvpn_reset(&crypt, false), None);
        // Key id 1 is no reset.
        reset[0] = 0x39;
        assert_eq!(openvpn_reset(&reset, false), None);
        // Over TCP, the length comes first and must fit.
        let mut framed = vec![0, 14, 0x38, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0];
        assert!(openvpn_reset(&framed, true).is_some_and(|r| r.exact && r.client));
        framed[1] = 15;
        assert_eq!(openvpn_reset(&framed, true), None);

        let mut ike = vec![0u8; 28];
        ike[0] = 0xaa;
        ike[16] = 33;
        ike[17] = 0x20;
        ike[18] = 34;
        ike[27] = 28;
        assert!(looks_like_ike(&ike, false));
        // On 4500, IKE comes behind four zero bytes; without them it is ESP.
        assert!(!looks_like_ike(&ike, true));
        let mut natt = vec![0u8; 4];
        natt.extend_from_slice(&ike);
        natt[31] = 28;
        assert!(looks_like_ike(&natt, true));
        ike[27] = 29;
        assert!(!looks_like_ike(&ike, false));
    }
}
