//! The report: the model every renderer reads, and the renderers.
//!
//! `model` turns flows and events into the per-device assessment (analysis, findings, verdicts);
//! `terminal`, `csv` and `html` render it; `redact` replaces what identifies the owner with
//! stable pseudonyms before a report is shared. JSON is the model serialised as is.

pub mod csv;
pub mod html;
pub mod model;
pub mod redact;
pub mod svg;
pub mod terminal;

pub use model::{build, from_run, Input, Report, SCHEMA_VERSION};
