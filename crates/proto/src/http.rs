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
    pub ssdp: Option<Box<Ssdp>>,
    /// The SOAP action a UPnP control request invokes (`urn:...:WANIPConnection:1#AddPortMapping`).
    pub soap_action: Option<String>,
    /// The arguments of a port-mapping action, when its body came with the head.
    pub port_mapping: Option<Box<PortMapping>>,
    /// The body announced by Content-Length did not all arrive before the flow ended.
    pub body_cut: bool,
    /// Fields of the body's first segment (a form, XML or JSON) whose names say they carry a
    /// key, token, session or signature, and that hold a value ([`body_fields`]); the values are
    /// never kept. Password fields are told as a login instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub body_keys: Vec<String>,
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
    pub ssdp: Option<Box<Ssdp>>,
    /// The body announced by Content-Length did not all arrive before the flow ended.
    pub body_cut: bool,
    /// What the body's first bytes say it is, when it is a program: "ELF executable", "Windows
    /// executable", "script", or one of them "gzip-compressed" (whatever the Content-Type claims,
    /// or when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_kind: Option<&'static str>,
}

/// A program, by the magic bytes that start it: an ELF executable (Linux, the bots that infect
/// cameras and routers), a Windows executable (MZ and the usual DOS stub's next bytes), a Mach-O
/// binary (macOS, an executable or a library; a universal one starts `CAFEBABE` and a count of architectures), a Java
/// class (`CAFEBABE` and a class-file version, 45 and up: what a Log4Shell exploit makes its
/// victim fetch), a Java archive (a zip whose first entry is in `META-INF/`), a script (`#!`).
pub fn program_kind(body: &[u8]) -> Option<&'static str> {
    const MACH_O: [[u8; 4]; 4] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
    ];
    if body.starts_with(b"\x7fELF") {
        Some("ELF executable")
    } else if body.starts_with(b"MZ\x90\x00") || body.starts_with(b"MZP\x00") {
        Some("Windows executable")
    } else if let [0xca, 0xfe, 0xba, 0xbe, a, b, c, d, ..] = *body {
        // A universal Mach-O counts a few architectures; a class file's minor and major
        // versions read as a far larger number.
        match u32::from_be_bytes([a, b, c, d]) {
            1..=32 => Some("Mach-O binary"),
            _ if u16::from_be_bytes([c, d]) >= 45 => Some("Java class"),
            _ => None,
        }
    } else if body.len() >= 8 && MACH_O.iter().any(|m| body.starts_with(m)) {
        Some("Mach-O binary")
    } else if body.starts_with(b"PK\x03\x04") && body.get(30..39) == Some(b"META-INF/".as_slice()) {
        Some("Java archive")
    } else if body.starts_with(b"#!/") {
        Some("script")
    } else {
        None
    }
}

/// A program compressed with gzip: a body sent with `Content-Encoding: gzip`, or a `.gz` file,
/// whose first inflated bytes are a program's ([`program_kind`]). Only the first eight bytes are
/// inflated ([`crate::deflate`]): a stream inflater would allocate its window and tables for every
/// gzip response, and ordinary web traffic is full of them.
pub fn gzipped_program_kind(body: &[u8]) -> Option<&'static str> {
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
    let n = crate::deflate::inflate_start(deflate, &mut out);
    Some(match program_kind(&out[..n.min(out.len())])? {
        "ELF executable" => "gzip-compressed ELF executable",
        "Windows executable" => "gzip-compressed Windows executable",
        "Mach-O binary" => "gzip-compressed Mach-O binary",
        "Java class" => "gzip-compressed Java class",
        "script" => "gzip-compressed script",
        _ => "gzip-compressed program",
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

impl Ssdp {
    /// What the device announces or answers as: the target, unless that is the device's own
    /// `uuid:` (UPnP sends one NOTIFY per root device, UUID and type), whose type is then the
    /// part of the USN after `::`, if any (`uuid:…::IntelUSBoverIP:1`).
    pub fn device_type(&self) -> Option<&str> {
        let t = self.target.as_deref()?;
        if !t.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("uuid:")) {
            return Some(t);
        }
        let (_, kind) = self.usn.as_deref()?.split_once("::")?;
        Some(kind).filter(|k| !k.is_empty())
    }
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
    // Each `key=value` (or bare `key`) as `key=`, in one pass over the bytes: splitting at every
    // `&` and `=` cost a searcher's setup for each, on every request.
    let (mut seg, mut key_end) = (0, None);
    for (i, c) in query.bytes().enumerate() {
        match c {
            b'=' if key_end.is_none() => key_end = Some(i),
            b'&' => {
                out.push_str(&query[seg..key_end.unwrap_or(i)]);
                out.push_str("=&");
                (seg, key_end) = (i + 1, None);
            }
            _ => {}
        }
    }
    out.push_str(&query[seg..key_end.unwrap_or(query.len())]);
    out.push('=');
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
        } else if is("authorization") || is("proxy-authorization") && h.auth.is_none() {
            // A proxy's login (Proxy-Authorization) crosses in clear the same way.
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
    request_head(b).map(|(r, _)| r)
}

/// The length of a head that httparse read whole, when it ends with an empty CRLF line: then no
/// earlier CRLF CRLF can be in it (an empty line would have ended it there), and it is what a
/// search for the first one finds.
fn crlf_head(b: &[u8], status: &httparse::Result<usize>) -> Option<usize> {
    match status {
        Ok(httparse::Status::Complete(n)) if b[..*n].ends_with(b"\r\n\r\n") => Some(*n),
        _ => None,
    }
}

/// [`request`], with the length of its head up to and with its first CRLF CRLF when the parse
/// found it (None: not known, not that there is none).
pub fn request_head(b: &[u8]) -> Option<(HttpRequest, Option<usize>)> {
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
            let head = crlf_head(b, &status);
            let r = build_request(b, m, p, req.version.unwrap_or(1), req.headers, complete);
            Some((r, head))
        }
        // One malformed header (a scanner's control byte, a NUL in a value) and httparse
        // rejects the head; the request line and the well-formed headers still say what was
        // asked, as tshark shows them.
        _ => {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let (m, p, v, n) = lenient_request(b, &mut headers)?;
            Some((build_request(b, m, p, v, &headers[..n], None), None))
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
    let ssdp = h.any_ssdp.then(|| {
        Box::new(Ssdp {
            location: h.location.clone(),
            server: h.server.clone(),
            ..h.ssdp.clone()
        })
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
            (Some(a), Some(n)) if a.contains("PortMapping") => {
                Some(Box::new(port_mapping(&b[n..])))
            }
            _ => None,
        },
        soap_action: h.soap_action,
        body_cut: false,
        body_keys: Vec::new(),
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
    response_head(b).map(|(r, _)| r)
}

/// [`response`], with the length of its head as [`request_head`] gives it.
pub fn response_head(b: &[u8]) -> Option<(HttpResponse, Option<usize>)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut headers);
    let status = res.parse(b);
    let code = res.code?;
    if status.is_err() && !matches!(status, Err(httparse::Error::TooManyHeaders)) {
        return None;
    }
    let head = crlf_head(b, &status);
    let h = read_headers(res.headers);
    let ssdp = h.any_ssdp.then(|| {
        Box::new(Ssdp {
            location: h.location.clone(),
            server: h.server.clone(),
            ..h.ssdp.clone()
        })
    });
    let r = HttpResponse {
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
    };
    Some((r, head))
}

/// The starts of HTTP/1 request lines and status lines that [`looks_like_http`] knows.
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

/// True when `b`, shorter than any of them, is the beginning of a request line or status line
/// (a client that writes its method first, in a segment of its own: `GET`, then the rest).
pub fn may_start_http(b: &[u8]) -> bool {
    starts_like_http(b) && STARTS.iter().any(|s| b.len() < s.len() && s.starts_with(b))
}

/// Whether `b`'s first byte is the first of one of [`STARTS`]: the test every TCP payload a flow
/// is labelled by goes through, decided for most of them (TLS records, binary protocols) by one
/// byte rather than twelve comparisons.
fn starts_like_http(b: &[u8]) -> bool {
    matches!(
        b.first(),
        Some(b'C' | b'D' | b'G' | b'H' | b'M' | b'N' | b'O' | b'P' | b'S')
    )
}

/// True when `b` starts like an HTTP/1 request line or status line.
pub fn looks_like_http(b: &[u8]) -> bool {
    if !starts_like_http(b) || !STARTS.iter().any(|s| b.starts_with(s)) {
        return false;
    }
    if b.starts_with(b"HTTP/1.") {
        return true;
    }
    // A request line ends with the version: other protocols share HTTP's verbs (NATS and
    // proxies' CONNECT, RTSP's OPTIONS). A line longer than the packet is given the benefit.
    let head = &b[..b.len().min(8192)];
    match memchr::memchr(b'\n', head) {
        Some(end) => {
            let line = head[..end].strip_suffix(b"\r").unwrap_or(&head[..end]);
            line.len() >= 9 && line[line.len() - 9..].starts_with(b" HTTP/1.")
        }
        None => true,
    }
}

/// What a field's name says it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    /// A password (or a hash of one standing in for it at login).
    Password,
    /// A key, token, session, signature or PIN: as good as a password while it is valid.
    Key,
    /// A user name, account or e-mail address that logs in.
    User,
}

/// Tells from a parameter or field name (`access_token`, `AdminPassword`, `user_name`) whether it
/// carries a secret or a login's user name. Only letters and digits count, in any case.
pub fn secret_name(name: &str) -> Option<Secret> {
    const PASSWORD_EXACT: [&str; 3] = ["pass", "pwd", "passphrase"];
    const PASSWORD_ENDINGS: [&str; 2] = ["password", "passwd"];
    const KEY_EXACT: [&str; 10] = [
        "auth",
        "key",
        "pin",
        "sso",
        "sid",
        "sig",
        "hash",
        "session",
        "secret",
        "signature",
    ];
    const KEY_ENDINGS: [&str; 6] = [
        "token",
        "secret",
        "apikey",
        "authkey",
        "sessionid",
        "signature",
    ];
    const USER_EXACT: [&str; 8] = [
        "user",
        "username",
        "userid",
        "login",
        "loginname",
        "account",
        "email",
        "adminuser",
    ];
    // The last 64 letters and digits: endings decide, and no name that long is an exact one.
    let mut buf = [0u8; 64];
    let mut n = 0;
    for c in name.bytes().filter(u8::is_ascii_alphanumeric) {
        if n == buf.len() {
            buf.copy_within(1.., 0);
            n -= 1;
        }
        buf[n] = c.to_ascii_lowercase();
        n += 1;
    }
    let bare = std::str::from_utf8(&buf[..n]).ok()?;
    if bare.is_empty() {
        None
    } else if PASSWORD_EXACT.contains(&bare) || PASSWORD_ENDINGS.iter().any(|e| bare.ends_with(e)) {
        Some(Secret::Password)
    } else if KEY_EXACT.contains(&bare)
        || KEY_ENDINGS.iter().any(|e| bare.ends_with(e))
        || last_word(name).eq_ignore_ascii_case("key")
    {
        Some(Secret::Key)
    } else if USER_EXACT.contains(&bare) {
        Some(Secret::User)
    } else {
        None
    }
}

/// The last word of a name, cut at `_`, `-`, `.` and at a camel-case hump: `Key` of `cKey`,
/// `key` of `app_key`, `monkey` of `monkey`.
fn last_word(name: &str) -> &str {
    let b = name
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .as_bytes();
    let mut start = b.len();
    while start > 0 && b[start - 1].is_ascii_alphanumeric() {
        start -= 1;
        if b[start].is_ascii_uppercase() && start > 0 && b[start - 1].is_ascii_lowercase() {
            break;
        }
    }
    // Cut at ASCII characters only, so `start` is a character boundary.
    &name[start..b.len()]
}

/// A value that says yes or no rather than holding a secret (`<ChangePassword>true`).
fn is_flag(v: &[u8]) -> bool {
    const FLAGS: [&[u8]; 10] = [
        b"true", b"false", b"yes", b"no", b"on", b"off", b"null", b"none", b"0", b"1",
    ];
    FLAGS.iter().any(|f| v.eq_ignore_ascii_case(f))
}

/// Calls `f` with each (name, value) field of a request body that has a non-empty value which is
/// no yes/no flag, and returns the body's kind: `form` (`a=1&b=2`), `XML` (leaf elements
/// `<Name>value</Name>`, SOAP included; a namespace prefix is dropped from the name) or `JSON`
/// (`"name": "value"` string members, at any depth). Other bodies give `None` and no call. Only
/// what is at hand is read: a field cut at the end of the segment still counts.
///
/// Written here: the body is the first segment of an untrusted request, often cut, and only names
/// and the presence of values are wanted; a full XML or JSON parser would reject a cut document.
pub fn body_fields<'b>(
    body: &'b [u8],
    content_type: Option<&str>,
    mut f: impl FnMut(&'b [u8], &'b [u8]),
) -> Option<&'static str> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let text = body.trim_ascii_start();
    let mut field = |name: &'b [u8], value: &'b [u8]| {
        let v = value.trim_ascii();
        // A masked value (`********`) stands in for none.
        let masked = v.iter().all(|&c| c == b'*');
        if !name.is_empty() && !v.is_empty() && !is_flag(v) && !masked {
            f(name, v);
        }
    };
    // A form sent with no type, or as plain text: `name=value&...` on one line.
    let untyped_form = (ct.is_empty() || ct.starts_with("text/plain")) && {
        let line = text
            .split(|&c| c == b'\r' || c == b'\n')
            .next()
            .unwrap_or(b"");
        let name = line.split(|&c| c == b'=').next().unwrap_or(b"");
        line.contains(&b'=')
            && !name.is_empty()
            && name
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || b"_-.[]%".contains(c))
            && line.iter().all(|c| c.is_ascii_graphic())
    };
    if ct.contains("x-www-form-urlencoded") || untyped_form {
        for kv in body.split(|&c| c == b'&') {
            let mut parts = kv.splitn(2, |&c| c == b'=');
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            field(name.trim_ascii(), value);
        }
        return Some("form");
    }
    if ct.starts_with("multipart/form-data") {
        // RFC 7578: parts after `--boundary` lines, each with a Content-Disposition naming
        // its field; a part with a filename is a file, not a field.
        let boundary = content_type
            .unwrap_or("")
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"'))
            .filter(|b| !b.is_empty())?;
        let mut delimiter = b"--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        let finder = memchr::memmem::Finder::new(&delimiter);
        let starts: Vec<usize> = finder.find_iter(body).collect();
        for (k, &at) in starts.iter().enumerate() {
            let part =
                &body[at + delimiter.len()..starts.get(k + 1).copied().unwrap_or(body.len())];
            let Some(head_end) = memchr::memmem::find(part, b"\r\n\r\n") else {
                continue;
            };
            let head = &part[..head_end];
            let Some(n) = memchr::memmem::find(head, b"name=\"") else {
                continue;
            };
            let name = &head[n + 6..];
            let name = &name[..memchr::memchr(b'"', name).unwrap_or(name.len())];
            // `filename="..."` holds `name="` too: a file's part is no field.
            if memchr::memmem::find(head, b"filename").is_some() {
                continue;
            }
            let value = &part[head_end + 4..];
            let value = value.strip_suffix(b"\r\n").unwrap_or(value);
            field(name, value);
        }
        return Some("multipart form");
    }
    if ct.contains("json") || text.starts_with(b"{") {
        json_strings(text, &mut field);
        return Some("JSON");
    }
    if ct.contains("xml") || text.starts_with(b"<") {
        let mut at = 0;
        while let Some(open) = memchr::memchr(b'<', &text[at..]) {
            let start = at + open + 1;
            let Some(close) = memchr::memchr(b'>', &text[start..]) else {
                break;
            };
            let tag = &text[start..start + close];
            at = start + close + 1;
            if tag.is_empty() || matches!(tag[0], b'/' | b'?' | b'!') || tag.ends_with(b"/") {
                continue;
            }
            let name_end = tag
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .unwrap_or(tag.len());
            let name = &tag[..name_end];
            let local = match memchr::memrchr(b':', name) {
                Some(k) => &name[k + 1..],
                None => name,
            };
            let value_end = memchr::memchr(b'<', &text[at..]).map_or(text.len(), |k| at + k);
            let value = &text[at..value_end];
            // A template's leaf that repeats its own name (`<AdminPassword>AdminPassword<`)
            // holds no value. In a form or JSON, `password=password` is a real, weak password.
            if !value.trim_ascii().eq_ignore_ascii_case(local) {
                field(local, value);
            }
        }
        return Some("XML");
    }
    None
}

/// The `"name": "value"` string members of JSON text, however deep; escapes are stepped over,
/// not decoded (names with escapes are rare, and values are never kept).
fn json_strings<'b>(b: &'b [u8], f: &mut impl FnMut(&'b [u8], &'b [u8])) {
    // The string starting after the quote at `from`: its contents and the index after it.
    let string = |from: usize| -> Option<(&'b [u8], usize)> {
        let mut k = from;
        while k < b.len() {
            match b[k] {
                b'\\' => k += 2,
                b'"' => return Some((&b[from..k], k + 1)),
                _ => k += 1,
            }
        }
        None
    };
    let skip_ws = |mut k: usize| {
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        k
    };
    let mut at = 0;
    while let Some(q) = memchr::memchr(b'"', &b[at..]) {
        let Some((name, after)) = string(at + q + 1) else {
            // Cut inside a string: what follows it is not there.
            return;
        };
        at = after;
        let k = skip_ws(after);
        if b.get(k) != Some(&b':') {
            continue;
        }
        let k = skip_ws(k + 1);
        if b.get(k) == Some(&b'"') {
            // A value cut at the end of the segment still arrived in part.
            let (value, next) = string(k + 1).unwrap_or((&b[k + 1..], b.len()));
            f(name, value);
            at = next;
        } else {
            at = k;
        }
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
    fn java_classes_and_mach_o_are_programs() {
        // A class file of Java 8 (major 52), and a universal Mach-O with two architectures.
        assert_eq!(
            program_kind(b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x1f"),
            Some("Java class")
        );
        assert_eq!(
            program_kind(b"\xca\xfe\xba\xbe\x00\x00\x00\x02\x01\x00"),
            Some("Mach-O binary")
        );
        assert_eq!(program_kind(b"\xca\xfe\xba\xbe\x00\x00"), None);
        assert_eq!(
            program_kind(b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"),
            Some("Mach-O binary")
        );
        let mut jar = b"PK\x03\x04".to_vec();
        jar.extend([0u8; 26]);
        jar.extend(b"META-INF/MANIFEST.MF");
        assert_eq!(program_kind(&jar), Some("Java archive"));
        jar[30..39].copy_from_slice(b"word/docs");
        assert_eq!(program_kind(&jar), None);
    }

    #[test]
    fn a_query_keeps_its_keys_and_loses_its_values() {
        // What splitting at every `&`, then at the first `=`, gives.
        let reference = |q: &str| {
            q.split('&')
                .map(|kv| format!("{}=", kv.split('=').next().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("&")
        };
        for q in [
            "",
            "&",
            "=",
            "&&",
            "a",
            "a=1",
            "a=1&b",
            "a=1&&b=2=3",
            "=x&y=",
            "a==b&c",
            "pw=s3cr3t&user=bob&x",
            "ä=ö&ü&ß=1",
            "a&b&c&",
        ] {
            assert_eq!(
                strip_query(&format!("/p?{q}")),
                format!("/p?{}", reference(q)),
                "{q}"
            );
        }
        assert_eq!(strip_query("/no/query"), "/no/query");
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

/// The host (with its port, if any) of a request URI in absolute form (`http://host:8080/path`),
/// which a client sends only to a proxy; None for a path.
pub fn absolute_host(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))?;
    rest.split(['/', '?']).next().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_start_passes_the_first_byte_gate() {
        for start in STARTS {
            assert!(
                starts_like_http(start),
                "{}",
                String::from_utf8_lossy(start)
            );
            assert!(may_start_http(&start[..1]));
        }
        assert!(!starts_like_http(b"\x16\x03\x01"));
        assert!(!looks_like_http(b"get / HTTP/1.1\r\n"));
    }

    #[test]
    fn secret_fields_of_forms_xml_and_json_bodies() {
        let fields = |b: &[u8], ct: Option<&str>| {
            let mut v: Vec<(String, String)> = Vec::new();
            let kind = body_fields(b, ct, |n, x| {
                v.push((
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(x).into_owned(),
                ))
            });
            (kind, v)
        };
        let (kind, v) = fields(
            b"action=new&auth=00:24:e4:24:80:2a&hash=06b4&empty=&flag=true",
            Some("application/x-www-form-urlencoded"),
        );
        assert_eq!(kind, Some("form"));
        let names: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["action", "auth", "hash"]);
        // SOAP, namespaces and attributes, a flag, an empty element, and a cut at the end.
        let (kind, v) = fields(
            b"<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"x\"><soap:Body><Login xmlns=\"y\">\
              <Username>admin</Username><ChangePassword>true</ChangePassword><Password></Password>\
              <h:LoginPassword a=\"1\">ABCD1234</h:LoginPassword><Empty/><Cut>par",
            Some("text/xml; charset=utf-8"),
        );
        assert_eq!(kind, Some("XML"));
        assert_eq!(
            v,
            [
                ("Username".into(), "admin".into()),
                ("LoginPassword".into(), "ABCD1234".into()),
                ("Cut".into(), "par".into()),
            ]
        );
        let (kind, v) = fields(
            br#"{"user": {"email":"a@b.c", "pass\"word": "x", "n": 5}, "token":"abc123def4"#,
            None,
        );
        assert_eq!(kind, Some("JSON"));
        let names: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["email", "pass\\\"word", "token"]);
        assert_eq!(fields(b"\x00\x01binary", None), (None, Vec::new()));
        // A form with no type, a masked value; a password that is the word "password" is one
        // (a login form's weak default), but an XML leaf that repeats its name is a template's.
        let (kind, v) = fields(b"User=7&Password=9949154254&pin=****&pwd=pwd", None);
        assert_eq!(kind, Some("form"));
        let names: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["User", "Password", "pwd"]);
        let (kind, v) = fields(
            b"<Login><AdminPassword>AdminPassword</AdminPassword><Pin>1234</Pin></Login>",
            None,
        );
        assert_eq!(kind, Some("XML"));
        let names: Vec<&str> = v.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Pin"]);
        assert_eq!(fields(b"hello world = text", Some("text/plain")).0, None);
        // A multipart form: fields by their parts' names, a file's part left out, cut at the end.
        let (kind, v) = fields(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\nadmin\r\n\
              --XyZ\r\nContent-Disposition: form-data; name=\"fw\"; filename=\"a.bin\"\r\n\r\n\
              \x7fELF\r\n--XyZ\r\nContent-Disposition: form-data; name=\"passwd\"\r\n\r\nhunter2",
            Some("multipart/form-data; boundary=XyZ"),
        );
        assert_eq!(kind, Some("multipart form"));
        assert_eq!(
            v,
            [
                ("login".into(), "admin".into()),
                ("passwd".into(), "hunter2".into())
            ]
        );

        assert_eq!(secret_name("AdminPassword"), Some(Secret::Password));
        assert_eq!(secret_name("user_passwd"), Some(Secret::Password));
        assert_eq!(secret_name("access_token"), Some(Secret::Key));
        assert_eq!(secret_name("Username"), Some(Secret::User));
        assert_eq!(secret_name("passwordPolicy"), None);
        assert_eq!(secret_name("cKey"), Some(Secret::Key));
        assert_eq!(secret_name("app_key"), Some(Secret::Key));
        assert_eq!(secret_name("deviceKey"), Some(Secret::Key));
        assert_eq!(secret_name("monkey"), None);
        assert_eq!(secret_name("keyboard"), None);
        assert_eq!(secret_name("temperature"), None);
    }

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
        // A proxy's login, as curl -x http://iotuser:…@proxy sends it with a CONNECT.
        let c = request(
            b"CONNECT sensor.example:443 HTTP/1.1\r\nHost: sensor.example:443\r\n\
              Proxy-Authorization: Basic aW90dXNlcjpTM2NyZXRQYXNzdzByZCE=\r\n\r\n",
        )
        .unwrap();
        assert_eq!(c.auth_scheme.as_deref(), Some("Basic"));
        assert_eq!(c.auth_user.as_deref(), Some("iotuser"));
        assert_eq!(
            absolute_host("http://10.99.0.1/status.json"),
            Some("10.99.0.1")
        );
        assert_eq!(
            absolute_host("https://cam.example:8443?x=1"),
            Some("cam.example:8443")
        );
        assert_eq!(absolute_host("/status.json"), None);
        assert_eq!(absolute_host("http:///x"), None);
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
        assert_eq!(r.port_mapping, Some(Box::default()));
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
