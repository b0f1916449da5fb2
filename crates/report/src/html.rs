//! The self-contained HTML report (to be written).

use crate::model::Report;

/// Renders the report as one HTML file.
pub fn render(r: &Report) -> String {
    let _ = r;
    String::new()
}
