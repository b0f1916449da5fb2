//! Logins sent in clear: telnet, FTP, POP3, IMAP, SMTP AUTH (HTTP Basic is read by the HTTP
//! parser). The result names the protocol, the method and the user; a password is only ever
//! noted as present, never kept: its bytes are skipped as they are read.
//!
//! Client commands are read line by line from a small fixed buffer per direction (telnet clients
//! send one character per packet), so following a login allocates nothing until it is reported.

use serde::Serialize;

/// A login seen in clear.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Login {
    /// telnet, ftp, pop3, imap, smtp, http.
    pub protocol: String,
    /// USER/PASS, LOGIN, AUTH PLAIN, AUTH LOGIN, Basic, prompt.
    pub method: String,
    pub user: Option<String>,
    /// A password (or a credential holding one) crossed the wire in clear.
    pub password: bool,
    /// A keyed hash of the password, to tell a client trying many passwords from one retrying
    /// the same (0 when not known). It is never written anywhere; the key is drawn anew in
    /// every run.
    #[serde(skip)]
    pub secret: u64,
}

/// How the method of a login found in an HTTP request body ends (`XML field AdminPassword in
/// the request body`), as against an Authorization header's (`Basic`).
pub const IN_REQUEST_BODY: &str = "in the request body";

/// Said in a body login's method when the password field held 32 hex digits or more: a hash or
/// an encryption of the password (D-Link's HNAP answers its challenge with an HMAC, and sends a
/// new password AES-encrypted), not the password itself.
pub const AS_DIGEST: &str = "(a hex digest)";

/// A value written as a digest: 32 hex digits or more (MD5's length and up), an even number.
pub fn is_hex_digest(v: &[u8]) -> bool {
    v.len() >= 32 && v.len() % 2 == 0 && v.iter().all(u8::is_ascii_hexdigit)
}

/// A keyed fingerprint of secret bytes ([`Login::secret`]): FNV-1a, then this run's random key.
pub fn fingerprint(b: &[u8]) -> u64 {
    keyed(b.iter().fold(FNV_START, |h, c| fnv(h, *c)))
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(h: u64, c: u8) -> u64 {
    (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
}

fn keyed(h: u64) -> u64 {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    KEY.get_or_init(Default::default).hash_one(h) | 1
}

/// The server's answer to a login: accepted or refused, with its reply in short ("530",
/// "-ERR", "NO", "535", "Login incorrect").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginAnswer {
    pub accepted: bool,
    pub reply: String,
}

/// Logins followed per connection: telnet's login and FTP let a client try again on the same
/// connection, and password guessers do.
const MAX_LOGINS: u8 = 16;

/// Which cleartext protocol a flow speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    None,
    Telnet,
    Ftp,
    Pop3,
    Imap,
    Smtp,
}

impl Kind {
    /// The protocol's name in a [`Login`]; None for no protocol.
    fn name(self) -> Option<&'static str> {
        Some(match self {
            Kind::Telnet => "telnet",
            Kind::Ftp => "ftp",
            Kind::Pop3 => "pop3",
            Kind::Imap => "imap",
            Kind::Smtp => "smtp",
            Kind::None => return None,
        })
    }
}

/// Longest command line kept; longer lines are cut (their tail is ignored).
const LINE: usize = 256;

/// What the next client line means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Expect {
    #[default]
    Command,
    /// telnet: the answer to a `login:` prompt.
    TelnetUser,
    /// telnet: the answer to a `Password:` prompt (never kept).
    TelnetPassword,
    /// AUTH PLAIN / AUTHENTICATE PLAIN waiting for its base64 credential line.
    PlainCredential,
    /// AUTH LOGIN waiting for the base64 user name, then the password.
    LoginUser,
    LoginPassword,
}

/// Per-flow state of a cleartext login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginState {
    pub kind: Kind,
    line: [u8; LINE],
    len: usize,
    expect: Expect,
    user: Option<String>,
    /// Nothing more to read: a login was accepted, or too many were tried.
    pub done: bool,
    /// A login was reported and the server's answer is awaited.
    awaiting: bool,
    /// Logins reported on this connection.
    logins: u8,
    /// FNV state of the password being consumed (telnet, AUTH LOGIN), or of the last line's.
    secret: u64,
}

impl Default for LoginState {
    fn default() -> Self {
        LoginState {
            kind: Kind::None,
            line: [0; LINE],
            len: 0,
            expect: Expect::Command,
            user: None,
            done: false,
            awaiting: false,
            logins: 0,
            secret: FNV_START,
        }
    }
}

fn b64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// The user of a SASL PLAIN credential (authzid NUL authcid NUL password).
fn plain_user(cred: &str) -> Option<String> {
    let raw = b64(cred)?;
    let mut parts = raw.split(|b| *b == 0);
    let _authzid = parts.next()?;
    let user = parts.next()?;
    Some(String::from_utf8_lossy(user).into_owned())
}

/// The first word of an IMAP LOGIN argument (quoted or atom).
fn imap_arg(s: &str) -> Option<String> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('"') {
        rest.split('"').next().map(String::from)
    } else {
        s.split_whitespace().next().map(String::from)
    }
}

impl LoginState {
    /// A fresh state for a flow of `kind`.
    pub fn new(kind: Kind) -> LoginState {
        LoginState {
            kind,
            ..LoginState::default()
        }
    }

    fn login(&mut self, protocol: &str, method: &str, user: Option<String>) -> Login {
        self.awaiting = true;
        self.count_login();
        let secret = keyed(std::mem::replace(&mut self.secret, FNV_START));
        Login {
            protocol: protocol.into(),
            method: method.into(),
            user,
            password: true,
            secret,
        }
    }

    /// The FTP or POP3 user name sent with `USER` that no `PASS` followed, reported once, when
    /// the client's next command (or the connection's end) shows none is coming: the name crossed
    /// in clear, no password did. No answer is awaited for it (the server's answer to the name,
    /// a refusal most often, came before).
    pub fn user_alone(&mut self) -> Option<Login> {
        if !matches!(self.kind, Kind::Ftp | Kind::Pop3) {
            return None;
        }
        let protocol = self.kind.name()?;
        let user = self.user.take()?;
        self.count_login();
        Some(Login {
            protocol: protocol.into(),
            method: "USER".into(),
            user: Some(user),
            password: false,
            secret: 0,
        })
    }

    /// One more login reported; past [`MAX_LOGINS`] the connection is no longer followed.
    fn count_login(&mut self) {
        self.logins += 1;
        self.done = self.logins >= MAX_LOGINS;
    }

    /// Starts the fingerprint of a password line (`PASS x`, `a1 LOGIN user pw`, a SASL
    /// credential) from its text.
    fn secret_of(&mut self, text: &str) {
        self.secret = text.bytes().fold(FNV_START, fnv);
    }

    /// Reads bytes the server sent: telnet prompts, and the answer to a login.
    pub fn from_server(&mut self, b: &[u8]) -> Option<LoginAnswer> {
        if self.done && !self.awaiting {
            return None;
        }
        let answer = if self.awaiting { self.answer(b) } else { None };
        if let Some(a) = &answer {
            self.awaiting = false;
            // Once in, the client tries no more.
            self.done |= a.accepted;
        }
        if self.kind != Kind::Telnet || self.done {
            return answer;
        }
        let text = String::from_utf8_lossy(b).to_ascii_lowercase();
        let text = text.trim_end();
        if text.ends_with("password:") {
            self.expect = Expect::TelnetPassword;
            self.len = 0;
            self.secret = FNV_START;
        } else if text.ends_with("login:") || text.ends_with("username:") || text.ends_with("user:")
        {
            self.expect = Expect::TelnetUser;
            self.len = 0;
        }
        answer
    }

    /// The server's answer to the login just reported, when these bytes hold it.
    fn answer(&self, b: &[u8]) -> Option<LoginAnswer> {
        let text = String::from_utf8_lossy(&b[..b.len().min(1024)]);
        let reply = |accepted: bool, reply: &str| {
            Some(LoginAnswer {
                accepted,
                reply: reply.to_string(),
            })
        };
        // The first line that is an answer (not a continuation or an untagged line).
        for line in text.lines() {
            let line = line.trim();
            match self.kind {
                Kind::Ftp => {
                    if line.starts_with("230") {
                        return reply(true, "230");
                    } else if line.starts_with("530") {
                        return reply(false, "530");
                    }
                }
                Kind::Smtp => {
                    if line.starts_with("235") {
                        return reply(true, "235");
                    } else if line.starts_with("535") || line.starts_with("454") {
                        return reply(false, &line[..3]);
                    }
                }
                Kind::Pop3 => {
                    if line.starts_with("+OK") {
                        return reply(true, "+OK");
                    } else if line.starts_with("-ERR") {
                        return reply(false, "-ERR");
                    }
                }
                Kind::Imap => {
                    let mut w = line.split_whitespace();
                    let tag = w.next().unwrap_or("*");
                    if tag != "*" && tag != "+" {
                        match w.next().map(str::to_ascii_uppercase).as_deref() {
                            Some("OK") => return reply(true, "OK"),
                            Some(r @ ("NO" | "BAD")) => return reply(false, r),
                            _ => {}
                        }
                    }
                }
                Kind::Telnet | Kind::None => {}
            }
        }
        if self.kind != Kind::Telnet {
            return None;
        }
        // Telnet has no status codes: the words of a refusal, a new login prompt, or else a
        // shell's prompt or a greeting.
        let low = text.to_ascii_lowercase();
        let refused = [
            "incorrect",
            "failed",
            "denied",
            "invalid",
            "bad password",
            "wrong",
        ]
        .iter()
        .find(|w| low.contains(*w));
        if let Some(w) = refused {
            return reply(false, &format!("\"{w}\""));
        }
        let end = low.trim_end();
        if end.ends_with("login:") || end.ends_with("username:") || end.ends_with("password:") {
            return reply(false, "asked again");
        }
        if end.ends_with(['$', '#', '>', '%'])
            || low.contains("last login")
            || low.contains("welcome")
        {
            return reply(true, "a shell");
        }
        None
    }

    /// Reads bytes the client sent; returns a login when one completes.
    pub fn from_client(&mut self, b: &[u8]) -> Option<Login> {
        if self.done || self.kind == Kind::None {
            return None;
        }
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            i += 1;
            // Telnet option negotiation (IAC ...) is not text.
            if self.kind == Kind::Telnet && c == 0xff {
                i += if b.get(i).is_some_and(|x| (0xfb..=0xfe).contains(x)) {
                    2
                } else {
                    1
                };
                continue;
            }
            if c == b'\r' || c == b'\n' || c == 0 {
                if self.len > 0 || self.expect == Expect::TelnetPassword {
                    let line =
                        String::from_utf8_lossy(&self.line[..self.len.min(LINE)]).into_owned();
                    // The buffer may have held a credential: it is cleared after every line.
                    self.line[..self.len.min(LINE)].fill(0);
                    self.len = 0;
                    if let Some(l) = self.line_done(&line) {
                        return Some(l);
                    }
                }
                continue;
            }
            if self.len < LINE {
                // A password line is consumed without being stored (only fingerprinted).
                if self.expect != Expect::TelnetPassword && self.expect != Expect::LoginPassword {
                    self.line[self.len] = c;
                } else {
                    self.secret = fnv(self.secret, c);
                }
                self.len += 1;
            }
        }
        None
    }

    fn line_done(&mut self, line: &str) -> Option<Login> {
        let proto = self.kind.name()?;
        match self.expect {
            Expect::TelnetUser => {
                self.user = Some(line.trim().to_string());
                self.expect = Expect::Command;
                return None;
            }
            Expect::TelnetPassword => {
                let user = self.user.take();
                return Some(self.login(proto, "prompt", user));
            }
            Expect::PlainCredential => {
                self.expect = Expect::Command;
                self.secret_of(line);
                let user = plain_user(line);
                return Some(self.login(proto, "AUTH PLAIN", user));
            }
            Expect::LoginUser => {
                self.user = b64(line).map(|u| String::from_utf8_lossy(&u).into_owned());
                self.expect = Expect::LoginPassword;
                self.secret = FNV_START;
                return None;
            }
            Expect::LoginPassword => {
                self.expect = Expect::Command;
                let user = self.user.take();
                return Some(self.login(proto, "AUTH LOGIN", user));
            }
            Expect::Command => {}
        }
        let upper = line.to_ascii_uppercase();
        let words: Vec<&str> = line.split_whitespace().collect();
        match self.kind {
            Kind::Ftp | Kind::Pop3 => {
                if upper.starts_with("USER ") {
                    // A name sent before, that no password followed, crossed in clear all the
                    // same.
                    let before = self.user_alone();
                    self.user = words.get(1).map(|s| s.to_string());
                    return before;
                } else if upper.starts_with("PASS") {
                    self.secret_of(line.get(4..).unwrap_or(""));
                    let user = self.user.take();
                    return Some(self.login(proto, "USER/PASS", user));
                } else if upper.starts_with("AUTH PLAIN") {
                    return self.sasl_plain(proto, words.get(2));
                } else {
                    // Another command after USER: the server refused the name (FTP 530, POP3
                    // -ERR) or the client gave up before a password.
                    return self.user_alone();
                }
            }
            Kind::Imap => {
                // "<tag> LOGIN user pass" / "<tag> AUTHENTICATE PLAIN [cred]"
                let cmd = words.get(1).map(|w| w.to_ascii_uppercase());
                match cmd.as_deref() {
                    Some("LOGIN") => {
                        let rest = line.splitn(3, char::is_whitespace).nth(2).unwrap_or("");
                        self.secret_of(rest);
                        let user = imap_arg(rest);
                        return Some(self.login(proto, "LOGIN", user));
                    }
                    Some("AUTHENTICATE")
                        if words
                            .get(2)
                            .is_some_and(|m| m.eq_ignore_ascii_case("PLAIN")) =>
                    {
                        return self.sasl_plain(proto, words.get(3));
                    }
                    _ => {}
                }
            }
            Kind::Smtp => {
                if upper.starts_with("AUTH PLAIN") {
                    return self.sasl_plain(proto, words.get(2));
                } else if upper.starts_with("AUTH LOGIN") {
                    match words.get(2) {
                        Some(u) => {
                            self.user = b64(u).map(|u| String::from_utf8_lossy(&u).into_owned());
                            self.expect = Expect::LoginPassword;
                        }
                        None => self.expect = Expect::LoginUser,
                    }
                }
            }
            Kind::Telnet | Kind::None => {}
        }
        None
    }

    fn sasl_plain(&mut self, proto: &str, inline: Option<&&str>) -> Option<Login> {
        match inline {
            Some(cred) => {
                self.secret_of(cred);
                let user = plain_user(cred);
                Some(self.login(proto, "AUTH PLAIN", user))
            }
            None => {
                self.expect = Expect::PlainCredential;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_auth_login_never_keeps_the_password() {
        let mut s = LoginState {
            kind: Kind::Smtp,
            ..LoginState::default()
        };
        assert_eq!(s.from_client(b"EHLO x\r\nAUTH LOGIN\r\n"), None);
        assert_eq!(s.from_client(b"aW90dXNlcg==\r\n"), None);
        let l = s.from_client(b"UzNjcmV0UGFzc3cwcmQh\r\n").unwrap();
        assert_eq!(
            (l.user.as_deref(), l.method.as_str(), l.password),
            (Some("iotuser"), "AUTH LOGIN", true)
        );
        assert!(!format!("{s:?}").contains("UzNjcmV0"));
    }

    #[test]
    fn telnet_char_by_char() {
        let mut s = LoginState {
            kind: Kind::Telnet,
            ..LoginState::default()
        };
        s.from_server(b"\r\nhost login: ");
        for c in b"bob\r" {
            assert_eq!(s.from_client(&[*c]), None);
        }
        s.from_server(b"Password: ");
        for c in b"hunter2" {
            assert_eq!(s.from_client(&[*c]), None);
        }
        let l = s.from_client(b"\r\n").unwrap();
        assert_eq!(l.user.as_deref(), Some("bob"));
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn answers_to_logins() {
        let mut s = LoginState::new(Kind::Telnet);
        s.from_server(b"host login: ");
        s.from_client(b"root\r\n");
        s.from_server(b"Password: ");
        assert!(s.from_client(b"xc3511\r\n").is_some());
        // An echoed line end says nothing yet; the refusal and the new prompt do.
        assert_eq!(s.from_server(b"\r\n"), None);
        let a = s.from_server(b"Login incorrect\r\nhost login: ").unwrap();
        assert!(!a.accepted);
        // The client tries again on the same connection.
        s.from_client(b"admin\r\n");
        s.from_server(b"Password: ");
        assert!(s.from_client(b"admin\r\n").is_some());
        assert!(s.from_server(b"Last login: Sun\r\n$ ").unwrap().accepted);
        assert!(s.done);

        let mut s = LoginState::new(Kind::Ftp);
        s.from_client(b"USER bob\r\n");
        assert_eq!(s.from_server(b"331 Password required\r\n"), None);
        assert!(s.from_client(b"PASS x\r\n").is_some());
        let a = s.from_server(b"530 Login incorrect.\r\n").unwrap();
        assert_eq!((a.accepted, a.reply.as_str()), (false, "530"));

        // A name the server refuses before any password (nDPI's ftp_failed.pcap: "530 This FTP
        // server is anonymous only."), then another command: the name alone crossed in clear.
        let mut s = LoginState::new(Kind::Ftp);
        assert_eq!(s.from_client(b"USER hello\r\n"), None);
        assert_eq!(
            s.from_server(b"530 This FTP server is anonymous only.\r\n"),
            None
        );
        let l = s.from_client(b"SYST\r\n").unwrap();
        assert_eq!(
            (l.method.as_str(), l.user.as_deref(), l.password),
            ("USER", Some("hello"), false)
        );
        assert_eq!(s.from_client(b"QUIT\r\n"), None);
        // Or the connection ends after the name; a name a password followed is one login.
        let mut s = LoginState::new(Kind::Pop3);
        s.from_client(b"USER ann\r\n");
        assert_eq!(s.user_alone().unwrap().user.as_deref(), Some("ann"));
        s.from_client(b"USER bob\r\n");
        assert!(s.from_client(b"PASS x\r\n").unwrap().password);
        assert_eq!(s.user_alone(), None);

        let mut s = LoginState::new(Kind::Imap);
        assert!(s.from_client(b"a1 LOGIN bob pw\r\n").is_some());
        let a = s.from_server(b"* CAPABILITY IMAP4rev1\r\na1 NO [AUTHENTICATIONFAILED] no\r\n");
        assert_eq!(a.map(|a| (a.accepted, a.reply)), Some((false, "NO".into())));
    }

    #[test]
    fn imap_login_and_plain() {
        let mut s = LoginState {
            kind: Kind::Imap,
            ..LoginState::default()
        };
        let l = s.from_client(b"a1 LOGIN \"iotuser\" \"pw\"\r\n").unwrap();
        assert_eq!(l.user.as_deref(), Some("iotuser"));
        let mut s = LoginState {
            kind: Kind::Imap,
            ..LoginState::default()
        };
        // "\0iotuser\0pw"
        let l = s
            .from_client(b"A001 AUTHENTICATE PLAIN AGlvdHVzZXIAcHc=\r\n")
            .unwrap();
        assert_eq!(
            (l.user.as_deref(), l.method.as_str()),
            (Some("iotuser"), "AUTH PLAIN")
        );
    }
}
