//! HTTP/1.x request and response heads (also SSDP, which is HTTP over UDP), read with `httparse`.
//! Query values are dropped from URIs (they often carry tokens and identifiers); an Authorization
//! header keeps its scheme and, for Basic, the user name, never the password.

use serde::Serialize;

/// Most headers read from one head; the rest are ignored.
const MAX_HEADERS: usize = 64;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpRequest {
    pub method: String,
    /// The request target with query values removed (`/a?x=&y=`).
    pub uri: String,
    pub version: u8,
    pub host: Option<String>,
    pub user_agent: Option<String>,
    /// Authorization scheme (`Basic`, `Bearer`, `Digest`...).
    pub auth_scheme: Option<String>,
    /// The user name of Basic authorization (the password is never kept).
    pub auth_user: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    /// SSDP headers, for M-SEARCH and NOTIFY.
    pub ssdp: Option<Ssdp>,
    /// The SOAP action a UPnP control request invokes (`urn:...:WANIPConnection:1#AddPortMapping`).
    pub soap_action: Option<String>,
    /// The arguments of a port-mapping action, when its body came with the head.
    pub port_mapping: Option<PortMapping>,
    /// The body announced by Content-Length did not all arrive before the flow ended.
    pub body_cut: bool,
}

/// The arguments of a UPnP IGD port-mapping action (`NewExternalPort`, `NewProtocol`...), as
/// sent; absent ones are None.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PortMapping {
    pub external_port: Option<String>,
    pub protocol: Option<String>,
    pub internal_client: Option<String>,
    pub internal_port: Option<String>,
    /// Seconds; 0 means until removed.
    pub lease_s: Option<String>,
    /// The one internet host allowed in (empty: any host).
    pub remote_host: Option<String>,
}

/// The text of `<tag>...</tag>` in a SOAP body: short, printable values only.
fn xml_value(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find('<')?;
    let v = body[start..start + len].trim();
    (v.len() <= 64 && v.chars().all(|c| !c.is_control())).then(|| v.to_string())
}

/// Reads the port-mapping arguments of a SOAP body.
fn port_mapping(body: &[u8]) -> PortMapping {
    let body = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    PortMapping {
        external_port: xml_value(&body, "NewExternalPort"),
        protocol: xml_value(&body, "NewProtocol"),
        internal_client: xml_value(&body, "NewInternalClient"),
        internal_port: xml_value(&body, "NewInternalPort"),
        lease_s: xml_value(&body, "NewLeaseDuration"),
        remote_host: xml_value(&body, "NewRemoteHost"),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HttpResponse {
    pub status: u16,
    pub reason: String,
    pub version: u8,
    pub server: Option<String>,
    pub content_type: Option<String>,
    pub content_length: Option<u64>,
    pub location: Option<String>,
    pub ssdp: Option<Ssdp>,
    /// The body announced by Content-Length did not all arrive before the flow ended.
    pub body_cut: bool,
    /// What the body's first bytes say it is, when it is a program: "ELF executable", "Windows
    /// executable", "script", or one of them "gzip-compressed" (whatever the Content-Type claims,
    /// or when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_kind: Option<&'static str>,
}

/// A program, by the magic bytes that start it: an ELF executable (Linux, the bots that infect
/// cameras and routers), a Windows executable (MZ and the usual DOS stub's next bytes), a script
/// (`#!`).
pub fn program_kind(body: &[u8]) -> Option<&'static str> {
    if body.starts_with(b"\x7fELF") {
        Some("ELF executable")
    } else if body.starts_with(b"MZ\x90\x00") || body.starts_with(b"MZP\x00") {
        Some("Windows executable")
    } else if body.starts_with(b"#!/") {
        Some("script")
    } else {
        None
    }
}

/// A program compressed with gzip: a body sent with `Content-Encoding: gzip`, or a `.gz` file,
/// whose first inflated bytes are a program's ([`program_kind`]). Only the bytes at hand are
/// inflated, eight bytes' worth, by one inflater per thread: `GzDecoder` would allocate a read
/// buffer and an inflater for every gzip response, and ordinary web traffic is full of them.
/// miniz_oxide's core inflater is used rather than flate2's stream: into a small buffer, the
/// stream inflates all the input it is given into its own 32 KiB window and copies eight bytes
/// out of it, while the core one stops when the eight bytes are there.
pub fn gzipped_program_kind(body: &[u8]) -> Option<&'static str> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use std::cell::RefCell;
    thread_local! {
        static INFLATE: RefCell<Box<DecompressorOxide>> = RefCell::new(Box::default());
    }
    // RFC 1952: magic, method 8 (deflate), flags, time, extra flags, system; then the optional
    // extra field, name, comment and header checksum the flags announce.
    let [0x1f, 0x8b, 8, flags, ..] = *body else {
        return None;
    };
    let mut at = 10;
    if flags & 4 != 0 {
        let n = usize::from(u16::from_le_bytes([*body.get(at)?, *body.get(at + 1)?]));
        at += 2 + n;
    }
    for bit in [8, 16] {
        if flags & bit != 0 {
            at += body.get(at..)?.iter().position(|&c| c == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    let deflate = body.get(at..)?;
    let mut out = [0u8; 8];
    let n = INFLATE.with(|d| {
        let mut d = d.borrow_mut();
        d.init();
        let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        decompress(&mut d, deflate, &mut out, 0, flags).2
    });
    Some(match program_kind(&out[..n.min(out.len())])? {
        "ELF executable" => "gzip-compressed ELF executable",
        "Windows executable" => "gzip-compressed Windows executable",
        _ => "gzip-compressed script",
    })
}

/// The SSDP headers of a discovery message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ssdp {
    /// Search target (M-SEARCH, responses) or notification type (NOTIFY).
    pub target: Option<String>,
    /// ssdp:alive, ssdp:byebye, ssdp:update (NOTIFY).
    pub nts: Option<String>,
    pub usn: Option<String>,
    pub location: Option<String>,
    pub server: Option<String>,
}

fn text(v: &[u8]) -> String {
    match std::str::from_utf8(v) {
        Ok(s) => s.trim().to_string(),
        Err(_) => String::from_utf8_lossy(v).trim().to_string(),
    }
}

/// Removes the values of a query string, keeping the names.
pub fn strip_query(uri: &str) -> String {
    let Some((path, query)) = uri.split_once('?') else {
        return uri.to_string();
    };
    let mut out = String::with_capacity(uri.len() + 1);
    out.push_str(path);
    out.push('?');
    for (k, kv) in query.split('&').enumerate() {
        if k > 0 {
            out.push('&');
        }
        out.push_str(kv.split('=').next().unwrap_or(""));
        out.push('=');
    }
    out
}

fn basic_user(credentials: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(credentials.trim())
        .ok()?;
    let s = String::from_utf8_lossy(&raw);
    Some(s.split_once(':').map_or(s.as_ref(), |(u, _)| u).to_string())
}

struct Heads {
    host: Option<String>,
    user_agent: Option<String>,
    auth: Option<(String, Option<String>)>,
    content_type: Option<String>,
    content_length: Option<u64>,
    server: Option<String>,
    location: Option<String>,
    ssdp: Ssdp,
    any_ssdp: bool,
    soap_action: Option<String>,
}

fn read_headers(hs: &[httparse::Header<'_>]) -> Heads {
    let mut h = Heads {
        host: None,
        user_agent: None,
        auth: None,
        content_type: None,
        content_length: None,
        server: None,
        location: None,
        ssdp: Ssdp::default(),
        any_ssdp: false,
        soap_action: None,
    };
    for x in hs {
        let name = x.name.as_bytes();
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        // Values are turned into text only for the headers kept.
        let v = || text(x.value);
        if is("host") {
            h.host = Some(v());
        } else if is("user-agent") {
            h.user_agent = Some(v());
        } else if is("authorization") {
            let v = v();
            let (scheme, rest) = v.split_once(' ').unwrap_or((v.as_str(), ""));
            let user = scheme
                .eq_ignore_ascii_case("basic")
                .then(|| basic_user(rest))
                .flatten();
            h.auth = Some((scheme.to_string(), user));
        } else if is("content-type") {
            h.content_type = Some(v());
        } else if is("content-length") {
            h.content_length = std::str::from_utf8(x.value)
                .ok()
                .and_then(|s| s.trim().parse().ok());
        } else if is("server") {
            h.server = Some(v());
        } else if is("location") {
            h.location = Some(v());
        } else if is("st") || is("nt") {
            h.ssdp.target = Some(v());
            h.any_ssdp = true;
        } else if is("nts") {
            h.ssdp.nts = Some(v());
            h.any_ssdp = true;
        } else if is("soapaction") {
            h.soap_action = Some(v().trim_matches('"').to_string());
        } else if is("usn") {
            h.ssdp.usn = Some(v());
            h.any_ssdp = true;
        }
    }
    h
}

/// Reads a request head; a head cut before its end still yields what was read.
pub fn request(b: &[u8]) -> Option<HttpRequest> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let status = req.parse(b);
    // A cut head leaves the headers unfilled; re-read with fewer to keep the request line.
    match (req.method, req.path, &status) {
        (Some(m), Some(p), Ok(_) | Err(httparse::Error::TooManyHeaders)) => {
            let complete = match status {
                Ok(httparse::Status::Complete(n)) => Some(n),
                _ => None,
            };
            Some(build_request(
                b,
                m,
                p,
                req.version.unwrap_or(1),
                req.headers,
                complete,
            ))
        }
        // One malformed header (a scanner's control byte, a NUL in a value) and httparse
        // rejects the head; the request line and the well-formed headers still say what was
        // asked, as tshark shows them.
        _ => {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let (m, p, v, n) = lenient_request(b, &mut headers)?;
            Some(build_request(b, m, p, v, &headers[..n], None))
        }
    }
}

fn build_request(
    b: &[u8],
    method: &str,
    path: &str,
    version: u8,
    headers: &[httparse::Header<'_>],
    complete: Option<usize>,
) -> HttpRequest {
    let h = read_headers(headers);
    let ssdp = h.any_ssdp.then(|| Ssdp {
        location: h.location.clone(),
        server: h.server.clone(),
        ..h.ssdp.clone()
    });
    HttpRequest {
        method: method.to_string(),
        uri: strip_query(path),
        version,
        host: h.host,
        user_agent: h.user_agent,
        auth_scheme: h.auth.as_ref().map(|a| a.0.clone()),
        auth_user: h.auth.and_then(|a| a.1),
        content_type: h.content_type,
        content_length: h.content_length,
        ssdp,
        port_mapping: match (&h.soap_action, complete) {
            (Some(a), Some(n)) if a.contains("PortMapping") => Some(port_mapping(&b[n..])),
            _ => None,
        },
        soap_action: h.soap_action,
        body_cut: false,
    }
}

/// A request head read line by line, leaving out the header lines that are not `name: value`
/// with a token for a name. The request line must be whole: `METHOD path HTTP/1.x`.
fn lenient_request<'b>(
    b: &'b [u8],
    headers: &mut [httparse::Header<'b>; MAX_HEADERS],
) -> Option<(&'b str, &'b str, u8, usize)> {
    let mut lines = b
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = std::str::from_utf8(lines.next()?).ok()?;
    // The path may hold spaces (an exploit's shell command): the method is the first word and
    // the version the last.
    let (method, rest) = first.split_once(' ')?;
    let (path, version) = rest.rsplit_once(' ')?;
    let version = match version {
        "HTTP/1.0" => 0,
        "HTTP/1.1" => 1,
        _ => return None,
    };
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
    };
    if !token(method) || path.is_empty() {
        return None;
    }
    let mut n = 0;
    for line in lines {
        if line.is_empty() || n == MAX_HEADERS {
            break;
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(&line[..colon]) else {
            continue;
        };
        if !token(name) {
            continue;
        }
        headers[n] = httparse::Header {
            name,
            value: line[colon + 1..].trim_ascii(),
        };
        n += 1;
    }
    Some((method, path, version, n))
}

/// Reads a response head.
pub fn response(b: &[u8]) -> Option<HttpResponse> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let status = res.parse(b);
    let code = res.code?;
    if status.is_err() && !matches!(status, Err(httparse::Error::TooManyHeaders)) {
        return None;
    }
    let h = read_headers(res.headers);
    let ssdp = h.any_ssdp.then(|| Ssdp {
        location: h.location.clone(),
        server: h.server.clone(),
        ..h.ssdp.clone()
    });
    Some(HttpResponse {
        status: code,
        reason: res.reason.unwrap_or("").to_string(),
        version: res.version.unwrap_or(1),
        server: h.server,
        content_type: h.content_type,
        content_length: h.content_length,
        location: h.location,
        ssdp,
        body_cut: false,
        body_kind: None,
    })
}

/// True when `b` starts like an HTTP/1 request line or status line.
pub fn looks_like_http(b: &[u8]) -> bool {
    const STARTS: [&[u8]; 12] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"HTTP/1.",
        b"NOTIFY ",
        b"M-SEARCH ",
        b"SUBSCRIBE ",
    ];
    if !STARTS.iter().any(|s| b.starts_with(s)) {
        return false;
    }
    if b.starts_with(b"HTTP/1.") {
        return true;
    }
    // A request line ends with the version: other protocols share HTTP's verbs (NATS and
    // proxies' CONNECT, RTSP's OPTIONS). A line longer than the packet is given the benefit.
    let head = &b[..b.len().min(8192)];
    match head.iter().position(|&c| c == b'\n') {
        Some(end) => {
            let line = head[..end].strip_suffix(b"\r").unwrap_or(&head[..end]);
            line.len() >= 9 && line[line.len() - 9..].starts_with(b" HTTP/1.")
        }
        None => true,
    }
}

/// A URL's `%20` and the like decoded (an OCSP request sent by GET in a path, an ONVIF scope's
/// spaces); an escape that is none is kept as it is.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod gzip_tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8], name: Option<&str>) -> Vec<u8> {
        let mut b = flate2::GzBuilder::new();
        if let Some(n) = name {
            b = b.filename(n).comment("built by a test");
        }
        let mut e = b.write(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn programs_are_seen_through_gzip() {
        let elf = [&b"\x7fELF\x02\x01\x01"[..], &[0u8; 200]].concat();
        assert_eq!(
            gzipped_program_kind(&gzip(&elf, None)),
            Some("gzip-compressed ELF executable")
        );
        // With a file name and a comment in the header, and cut after a few bytes.
        let z = gzip(b"#!/bin/sh\necho hi\n", Some("install.sh"));
        assert_eq!(gzipped_program_kind(&z), Some("gzip-compressed script"));
        assert_eq!(gzipped_program_kind(&z[..12]), None);
        // Text is no program; nor is a body that only starts like gzip.
        assert_eq!(gzipped_program_kind(&gzip(b"<html></html>", None)), None);
        assert_eq!(gzipped_program_kind(&[0x1f, 0x8b, 8, 0xff]), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_keeps_user_not_password_and_drops_query_values() {
        let r = request(
            b"GET /api/v1/data?token=abc&id=7 HTTP/1.1\r\nHost: weather.example\r\n\
              User-Agent: thermo/2.1\r\nAuthorization: Basic aW90dXNlcjpTM2NyZXRQYXNzdzByZCE=\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.uri, "/api/v1/data?token=&id=");
        assert_eq!(r.host.as_deref(), Some("weather.example"));
        assert_eq!(r.auth_scheme.as_deref(), Some("Basic"));
        assert_eq!(r.auth_user.as_deref(), Some("iotuser"));
        assert!(!format!("{r:?}").contains("S3cret"));
    }

    #[test]
    fn ssdp_notify_and_response() {
        let n = request(
            b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n\
              NTS: ssdp:alive\r\nLOCATION: http://10.0.0.5:49153/setup.xml\r\nSERVER: Linux/2.6 UPnP/1.0\r\n\
              USN: uuid:Socket-1_0::upnp:rootdevice\r\n\r\n",
        )
        .unwrap();
        let s = n.ssdp.unwrap();
        assert_eq!(s.nts.as_deref(), Some("ssdp:alive"));
        assert_eq!(
            s.location.as_deref(),
            Some("http://10.0.0.5:49153/setup.xml")
        );
        let r = response(b"HTTP/1.1 200 OK\r\nSERVER: lighttpd\r\nST: ssdp:all\r\n\r\n").unwrap();
        assert_eq!((r.status, r.server.as_deref()), (200, Some("lighttpd")));
        assert!(looks_like_http(b"M-SEARCH * HTTP/1.1\r\n"));
        // A scanner's header with a control byte (Nikto), a NUL in a value: the request line
        // and the good headers are kept.
        let r = request(
            b"GET /cgi-bin/test.cgi HTTP/1.0\r\nNikto: \x1f\r\nHost: 10.0.0.5\r\n\
              Content-type:\0Application/xml\r\nUser-Agent: Mozilla/5.00 (Nikto)\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (r.method.as_str(), r.uri.as_str()),
            ("GET", "/cgi-bin/test.cgi")
        );
        assert_eq!(r.host.as_deref(), Some("10.0.0.5"));
        assert_eq!(r.user_agent.as_deref(), Some("Mozilla/5.00 (Nikto)"));
        assert!(request(b"GET / RTSP/1.0\r\nCSeq: \x01\r\n\r\n").is_none());
        // NATS's CONNECT is no proxy request; a request line cut by the packet's end may be.
        assert!(!looks_like_http(b"CONNECT {\"verbose\":false}\r\n"));
        assert!(looks_like_http(
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n"
        ));
        assert!(looks_like_http(b"GET /a-very-long-path"));
    }

    #[test]
    fn upnp_soap_action() {
        // The head miniupnpc's upnpc sends to create a port mapping.
        let r = request(
            b"POST /ctl/IPConn HTTP/1.1\r\nHost: 10.99.0.1:5000\r\n\
              Content-Type: text/xml\r\n\
              SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"\r\n\
              Content-Length: 600\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            r.soap_action.as_deref(),
            Some("urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping")
        );
        // The body did not come with the head: no arguments to read.
        assert_eq!(r.port_mapping, Some(PortMapping::default()));
    }

    #[test]
    fn upnp_port_mapping_arguments() {
        // upnp.pcap frame 136: miniupnpc's AddPortMapping, head and body in one segment.
        let r = request(
            b"POST /ctl/IPConn HTTP/1.1\r\nHost: 10.99.0.1:5000\r\nContent-Length: 591\r\n\
              Content-Type: text/xml\r\n\
              SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:2#AddPortMapping\"\r\n\r\n\
              <?xml version=\"1.0\"?>\n<s:Envelope><s:Body><u:AddPortMapping>\
              <NewRemoteHost></NewRemoteHost><NewExternalPort>8080</NewExternalPort>\
              <NewProtocol>TCP</NewProtocol><NewInternalPort>8080</NewInternalPort>\
              <NewInternalClient>10.99.0.2</NewInternalClient><NewEnabled>1</NewEnabled>\
              <NewPortMappingDescription>libminiupnpc</NewPortMappingDescription>\
              <NewLeaseDuration>0</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>",
        )
        .unwrap();
        let m = r.port_mapping.unwrap();
        assert_eq!(m.external_port.as_deref(), Some("8080"));
        assert_eq!(m.protocol.as_deref(), Some("TCP"));
        assert_eq!(m.internal_client.as_deref(), Some("10.99.0.2"));
        assert_eq!(m.internal_port.as_deref(), Some("8080"));
        assert_eq!(m.lease_s.as_deref(), Some("0"));
        assert_eq!(m.remote_host.as_deref(), Some(""));
    }
}
