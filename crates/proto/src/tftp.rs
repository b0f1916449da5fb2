//! TFTP requests (RFC 1350): a read or write request names a file and a transfer mode, with no
//! user, no password and nothing to check what arrives. Devices use it to fetch firmware, boot
//! images and configuration scripts. Only the request is read; the transfer itself goes between
//! two other ports, which the request does not say.

use serde::Serialize;

/// A read (RRQ) or write (WRQ) request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TftpRequest {
    /// True for a write request (the client sends the file).
    pub write: bool,
    pub file: String,
    /// "octet", "netascii" or "mail" (lowercased).
    pub mode: String,
}

/// Longest file name accepted: a request fits one datagram, and RFC 1350 servers read 512 bytes.
const MAX_NAME: usize = 512;

/// Reads a request: opcode 1 or 2, a file name of printable characters ending in NUL, then one of
/// the three modes ending in NUL. Anything else (data, acknowledgements, errors, or a payload that
/// only starts like a request) is None. Options (RFC 2347) may follow; they are not read.
pub fn request(b: &[u8]) -> Option<TftpRequest> {
    let write = match b.get(..2)? {
        [0, 1] => false,
        [0, 2] => true,
        _ => return None,
    };
    let rest = &b[2..];
    let end = rest.iter().take(MAX_NAME + 1).position(|&c| c == 0)?;
    let name = &rest[..end];
    if name.is_empty() || !name.iter().all(|c| (0x20..0x7f).contains(c)) {
        return None;
    }
    let rest = &rest[end + 1..];
    let mode_end = rest.iter().take(9).position(|&c| c == 0)?;
    let mode = std::str::from_utf8(&rest[..mode_end])
        .ok()?
        .to_ascii_lowercase();
    if !matches!(mode.as_str(), "octet" | "netascii" | "mail") {
        return None;
    }
    Some(TftpRequest {
        write,
        file: String::from_utf8_lossy(name).into_owned(),
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_and_write_requests() {
        // The Ednet camera's request, byte for byte (IoT Sentinel EdnetCam1, frame 13): RRQ
        // /update.sh, octet, with the tsize option (RFC 2349).
        let rrq = b"\x00\x01/update.sh\x00octet\x00tsize\x000\x00";
        assert_eq!(
            request(rrq),
            Some(TftpRequest {
                write: false,
                file: "/update.sh".into(),
                mode: "octet".into()
            })
        );
        // A write request in netascii with an option after the mode (RFC 2347 blksize).
        let wrq = b"\x00\x02config.txt\x00NETASCII\x00blksize\x001428\x00";
        let r = request(wrq).unwrap();
        assert!(r.write);
        assert_eq!(
            (r.file.as_str(), r.mode.as_str()),
            ("config.txt", "netascii")
        );
    }

    #[test]
    fn other_packets_and_lookalikes_are_not_requests() {
        for b in [
            &b"\x00\x03\x00\x01data"[..],          // DATA block 1
            b"\x00\x04\x00\x01",                   // ACK
            b"\x00\x05\x00\x01File not found\x00", // ERROR
            b"\x00\x01\x00octet\x00",              // empty name
            b"\x00\x01a\x01b\x00octet\x00",        // control character in the name
            b"\x00\x01file\x00binary\x00",         // not a mode
            b"\x00\x01file\x00octet",              // mode not ended
            b"\x00\x01file",                       // name not ended
            b"\x00",
            b"",
        ] {
            assert_eq!(request(b), None, "{b:?}");
        }
    }
}
