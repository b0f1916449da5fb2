//! The report: the model every renderer reads, and the renderers.
//!
//! `model` turns flows and events into the per-device assessment (analysis, findings, verdicts);
//! `terminal`, `csv` and `html` render it; `redact` replaces what identifies the owner with
//! stable pseudonyms before a report is shared. JSON is the model serialised as is.

pub mod baseline;
pub mod csv;
pub mod html;
pub mod model;
pub mod redact;
pub mod svg;
pub mod terminal;

pub use model::{build, from_run, from_run_on, Input, Report, SCHEMA_VERSION};

use std::borrow::Cow;

/// Text fit for a terminal or a spreadsheet: control characters (escape sequences that would
/// recolour, clear or retitle the reader's terminal, NULs, the C1 range) as `\x1b`-style
/// escapes, line breaks kept. Host names, HTTP heads and user agents come from the packets,
/// which anyone on the network writes.
pub fn visible(s: &str) -> Cow<'_, str> {
    let hidden = |c: char| c != '\n' && (c.is_control() || ('\u{80}'..='\u{9f}').contains(&c));
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(super::visible("plain\nline"), "plain\nline");
        assert_eq!(
            super::visible("Johns-iPhone\u{1b}[31mRED\u{1b}]0;T\u{7}\0\u{9b}"),
            "Johns-iPhone\\x1b[31mRED\\x1b]0;T\\x07\\x00\\x9b"
        );
    }
}
