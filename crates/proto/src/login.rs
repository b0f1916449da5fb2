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
}

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
    /// A login was reported: later lines are not read.
    pub done: bool,
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
        self.done = true;
        Login {
            protocol: protocol.into(),
            method: method.into(),
            user,
            password: true,
        }
    }

    /// Reads bytes the server sent (telnet prompts).
    pub fn from_server(&mut self, b: &[u8]) {
        if self.kind != Kind::Telnet || self.done {
            return;
        }
        let text = String::from_utf8_lossy(b).to_ascii_lowercase();
        let text = text.trim_end();
        if text.ends_with("password:") {
            self.expect = Expect::TelnetPassword;
            self.len = 0;
        } else if text.ends_with("login:") || text.ends_with("username:") || text.ends_with("user:")
        {
            self.expect = Expect::TelnetUser;
            self.len = 0;
        }
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
                // A password line is consumed without being stored.
                if self.expect != Expect::TelnetPassword && self.expect != Expect::LoginPassword {
                    self.line[self.len] = c;
                }
                self.len += 1;
            }
        }
        None
    }

    fn line_done(&mut self, line: &str) -> Option<Login> {
        let proto = match self.kind {
            Kind::Telnet => "telnet",
            Kind::Ftp => "ftp",
            Kind::Pop3 => "pop3",
            Kind::Imap => "imap",
            Kind::Smtp => "smtp",
            Kind::None => return None,
        };
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
                let user = plain_user(line);
                return Some(self.login(proto, "AUTH PLAIN", user));
            }
            Expect::LoginUser => {
                self.user = b64(line).map(|u| String::from_utf8_lossy(&u).into_owned());
                self.expect = Expect::LoginPassword;
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
                    self.user = words.get(1).map(|s| s.to_string());
                } else if upper.starts_with("PASS") {
                    let user = self.user.take();
                    return Some(self.login(proto, "USER/PASS", user));
                } else if upper.starts_with("AUTH PLAIN") {
                    return self.sasl_plain(proto, words.get(2));
                }
            }
            Kind::Imap => {
                // "<tag> LOGIN user pass" / "<tag> AUTHENTICATE PLAIN [cred]"
                let cmd = words.get(1).map(|w| w.to_ascii_uppercase());
                match cmd.as_deref() {
                    Some("LOGIN") => {
                        let rest = line.splitn(3, char::is_whitespace).nth(2).unwrap_or("");
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
