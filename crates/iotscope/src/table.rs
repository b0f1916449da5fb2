//! Tabular output shared by every command: an aligned text table, CSV, or NDJSON (one JSON object
//! per line, keys as in the CSV header).

use std::io::{self, Write};

use clap::ValueEnum;
use serde_json::Value;

/// Output format, the same choice on every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for reading.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// Newline-delimited JSON: one object per row.
    Json,
}

/// A column: its machine key (CSV header, JSON key) and its title in the text table.
#[derive(Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
}

pub const fn col(key: &'static str, title: &'static str) -> Column {
    Column { key, title }
}

/// Rows of values under a set of columns.
pub struct Table<'a> {
    pub columns: &'a [Column],
    pub rows: Rows<'a>,
}

/// A table's rows: held, or made one at a time when written (a table of every flow of a large
/// capture is not held twice).
pub enum Rows<'a> {
    Held(Vec<Vec<Value>>),
    Made(usize, &'a dyn Fn(usize) -> Vec<Value>),
}

impl Rows<'_> {
    /// Calls `f` on each row in order.
    fn each(&self, mut f: impl FnMut(&[Value]) -> io::Result<()>) -> io::Result<()> {
        match self {
            Rows::Held(rows) => rows.iter().try_for_each(|r| f(r)),
            Rows::Made(n, make) => (0..*n).try_for_each(|i| f(&make(i))),
        }
    }
}

fn text(v: &Value) -> String {
    let mut s = String::new();
    write_text(v, &mut s);
    s
}

/// A cell's text, written into `s` (a buffer reused from cell to cell).
fn write_text(v: &Value, s: &mut String) {
    use std::fmt::Write as _;
    match v {
        Value::Null => {}
        // Packet-made strings reach a terminal or a spreadsheet: no control characters.
        Value::String(x) => s.push_str(&iotscope_report::visible(x)),
        // Times and durations: fixed decimals keep the column readable.
        Value::Number(n) if n.is_f64() => {
            let _ = write!(s, "{:.6}", n.as_f64().unwrap_or_default());
        }
        Value::Number(n) => {
            let _ = write!(s, "{n}");
        }
        other => {
            let _ = write!(s, "{other}");
        }
    }
}

/// Width of a cell's text in characters.
fn text_width(v: &Value, buf: &mut String) -> usize {
    match v {
        Value::String(x) => iotscope_report::visible(x).chars().count(),
        other => {
            buf.clear();
            write_text(other, buf);
            buf.chars().count()
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Table<'_> {
    pub fn write(&self, fmt: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
        match fmt {
            OutputFormat::Table => self.write_text(out),
            OutputFormat::Csv => {
                let head: Vec<_> = self.columns.iter().map(|c| c.key).collect();
                writeln!(out, "{}", head.join(","))?;
                self.rows.each(|r| {
                    let cells: Vec<_> = r.iter().map(|v| csv_field(&text(v))).collect();
                    writeln!(out, "{}", cells.join(","))
                })
            }
            OutputFormat::Json => self.rows.each(|r| {
                let obj: serde_json::Map<String, Value> = self
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| (c.key.to_string(), v.clone()))
                    .collect();
                serde_json::to_writer(&mut *out, &obj)?;
                writeln!(out)
            }),
        }
    }

    /// Two passes over the rows, one for the column widths and one to write, so that no second
    /// copy of a large table is held as text.
    fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut buf = String::new();
        let mut width: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.title.chars().count())
            .collect();
        // Numbers align right, text left (a column holding any number is numeric).
        let mut numeric = vec![false; self.columns.len()];
        self.rows.each(|r| {
            for ((w, n), v) in width.iter_mut().zip(numeric.iter_mut()).zip(r) {
                *w = (*w).max(text_width(v, &mut buf));
                *n |= v.is_number();
            }
            Ok(())
        })?;
        let last = self.columns.len().saturating_sub(1);
        // One cell into the line: numbers padded on the left, text on the right (but the last).
        let put = |line: &mut String, i: usize, cell: &str| {
            let pad = width[i].saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if numeric[i] {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i < last {
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
        };
        let mut line = String::new();
        for (i, c) in self.columns.iter().enumerate() {
            put(&mut line, i, c.title);
        }
        writeln!(out, "{}", line.trim_end())?;
        self.rows.each(|r| {
            line.clear();
            for (i, v) in r.iter().enumerate() {
                buf.clear();
                write_text(v, &mut buf);
                put(&mut line, i, &buf);
            }
            writeln!(out, "{}", line.trim_end())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static COLS: [Column; 2] = [col("name", "Name"), col("n", "Count")];

    fn render(fmt: OutputFormat) -> String {
        let t = Table {
            columns: &COLS,
            rows: Rows::Held(vec![
                vec![json!("a,b"), json!(5)],
                vec![json!("c"), json!(123)],
            ]),
        };
        let mut out = Vec::new();
        t.write(fmt, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn three_formats() {
        assert_eq!(
            render(OutputFormat::Table),
            "Name  Count\na,b       5\nc       123\n"
        );
        assert_eq!(render(OutputFormat::Csv), "name,n\n\"a,b\",5\nc,123\n");
        assert_eq!(
            render(OutputFormat::Json),
            "{\"name\":\"a,b\",\"n\":5}\n{\"name\":\"c\",\"n\":123}\n"
        );
    }
}
