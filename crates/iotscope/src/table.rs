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
pub struct Column {
    pub key: &'static str,
    pub title: &'static str,
}

pub const fn col(key: &'static str, title: &'static str) -> Column {
    Column { key, title }
}

/// Rows of values under a set of columns.
pub struct Table {
    pub columns: &'static [Column],
    pub rows: Vec<Vec<Value>>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        // Times and durations: fixed decimals keep the column readable.
        Value::Number(n) if n.is_f64() => format!("{:.6}", n.as_f64().unwrap_or_default()),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Table {
    pub fn write(&self, fmt: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
        match fmt {
            OutputFormat::Table => self.write_text(out),
            OutputFormat::Csv => {
                let head: Vec<_> = self.columns.iter().map(|c| c.key).collect();
                writeln!(out, "{}", head.join(","))?;
                for r in &self.rows {
                    let cells: Vec<_> = r.iter().map(|v| csv_field(&text(v))).collect();
                    writeln!(out, "{}", cells.join(","))?;
                }
                Ok(())
            }
            OutputFormat::Json => {
                for r in &self.rows {
                    let obj: serde_json::Map<String, Value> = self
                        .columns
                        .iter()
                        .zip(r)
                        .map(|(c, v)| (c.key.to_string(), v.clone()))
                        .collect();
                    serde_json::to_writer(&mut *out, &obj)?;
                    writeln!(out)?;
                }
                Ok(())
            }
        }
    }

    fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(text).collect())
            .collect();
        let mut width: Vec<usize> = self
            .columns
            .iter()
            .map(|c| c.title.chars().count())
            .collect();
        for r in &cells {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        // Numbers align right, text left (a column holding any number is numeric).
        let mut numeric = vec![false; self.columns.len()];
        for r in &self.rows {
            for (n, v) in numeric.iter_mut().zip(r) {
                *n |= v.is_number();
            }
        }
        let line = |vals: &[String]| {
            let mut s = String::new();
            for (i, v) in vals.iter().enumerate() {
                let pad = width[i].saturating_sub(v.chars().count());
                if i > 0 {
                    s.push_str("  ");
                }
                if numeric[i] {
                    s.extend(std::iter::repeat_n(' ', pad));
                    s.push_str(v);
                } else {
                    s.push_str(v);
                    if i + 1 < vals.len() {
                        s.extend(std::iter::repeat_n(' ', pad));
                    }
                }
            }
            s
        };
        let titles: Vec<String> = self.columns.iter().map(|c| c.title.to_string()).collect();
        writeln!(out, "{}", line(&titles).trim_end())?;
        for r in &cells {
            writeln!(out, "{}", line(r).trim_end())?;
        }
        Ok(())
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
            rows: vec![vec![json!("a,b"), json!(5)], vec![json!("c"), json!(123)]],
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
