//! `iotscope report`: the per-device assessment, with a progress indicator while reading.

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use iotscope_analyze::behaviour::Thresholds;
use iotscope_analyze::devices::Local;
use iotscope_flow::pipeline::{self, Progress};
use iotscope_report::csv::Table;
use iotscope_report::{csv, html, redact, terminal};

use crate::commands::{options_with, read_error_code};
use crate::{CsvTable, ReportArgs, ReportFormat};

/// Shows frames read and the rate on standard error, redrawn in place, until `done`.
fn show_progress(p: &Progress, done: &AtomicBool, names: &[String]) {
    let start = Instant::now();
    let mut shown = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(200));
        let t = start.elapsed().as_secs_f64();
        // Short runs finish before an indicator would help.
        if t < 1.0 || done.load(Ordering::Relaxed) {
            continue;
        }
        let frames = p.frames.load(Ordering::Relaxed);
        let i = p.input.load(Ordering::Relaxed);
        let name = names.get(i).map_or("", |s| s.as_str());
        eprint!(
            "\r\x1b[Kreading {}/{} {name} · {} frames · {:.0} k frames/s",
            i + 1,
            names.len(),
            frames,
            frames as f64 / t / 1e3
        );
        shown = true;
    }
    if shown {
        eprint!("\r\x1b[K");
    }
}

pub fn report(a: &ReportArgs) -> io::Result<ExitCode> {
    let local = Local::new(&a.input.local).map_err(io::Error::other)?;
    let allow: Option<BTreeSet<String>> = (!a.allow_country.is_empty()).then(|| {
        a.allow_country
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .collect()
    });
    if let Some(bad) = allow
        .iter()
        .flatten()
        .find(|c| c.len() != 2 || !c.chars().all(|x| x.is_ascii_alphabetic()))
    {
        return Err(io::Error::other(format!(
            "--allow-country {bad}: expected a two-letter country code (DE, US...)"
        )));
    }
    // Read before the capture, so that a wrong file is told at once.
    let baseline = match &a.baseline {
        Some(p) => Some(iotscope_report::baseline::Baseline::load(p).map_err(io::Error::other)?),
        None => None,
    };
    let paths = a.input.paths()?;
    let opts = options_with(&a.input, false, true);
    let progress = Progress::default();
    let done = AtomicBool::new(false);
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let run = std::thread::scope(|s| {
        if std::io::stderr().is_terminal() && !a.quiet {
            s.spawn(|| show_progress(&progress, &done, &names));
        }
        let run = pipeline::run_with_progress(&paths, &opts, Some(&progress));
        done.store(true, Ordering::Relaxed);
        run
    });
    // Nothing could be read at all: there is nothing to report on, but a program reading the
    // JSON still gets a document, whose inputs say what went wrong (the exit status is 2).
    if run.counters.frames == 0
        && !run.errors.is_empty()
        && run.errors.len() == paths.len()
        && a.format != ReportFormat::Json
    {
        for e in &run.errors {
            eprintln!("iotscope: {e}");
        }
        return Ok(read_error_code(&run.errors));
    }
    for e in &run.errors {
        eprintln!("iotscope: {e} (the report covers what was read before)");
    }
    let show = std::io::stderr().is_terminal() && !a.quiet && run.counters.frames > 1_000_000;
    if show {
        eprint!(
            "\r\x1b[Kanalysing {} flows and {} parser messages",
            run.flows.flows.len(),
            run.flows.events.len()
        );
    }
    let thresholds = Thresholds {
        long_lived: (a.long_lived * 1e9) as i64,
        min_beats: a.min_beats,
    };
    let mut model = iotscope_report::from_run_on(
        &run,
        &local,
        allow.as_ref(),
        thresholds,
        baseline.as_ref(),
        opts.threads,
    );
    if show {
        eprint!("\r\x1b[K");
    }
    if !a.device.is_empty() {
        let wanted = |d: &iotscope_report::model::DeviceReport| {
            a.device.iter().any(|w| {
                d.id.eq_ignore_ascii_case(w)
                    || d.label.eq_ignore_ascii_case(w)
                    || d.addresses.iter().any(|x| x == w)
                    || d.names.iter().any(|n| n.eq_ignore_ascii_case(w))
            })
        };
        model.devices.retain(wanted);
        if model.devices.is_empty() {
            return Err(io::Error::other(format!(
                "--device {}: no such device (the MAC, an address or a name `iotscope devices` lists)",
                a.device.join(", ")
            )));
        }
    }
    if a.redact {
        redact::redact(&mut model);
    }
    let to = |e: io::Error| match &a.output {
        Some(p) => io::Error::new(e.kind(), format!("{}: {e}", p.display())),
        None => e,
    };
    let out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(std::fs::File::create(p).map_err(to)?),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    match a.format {
        ReportFormat::Text => out.write_all(terminal::render(&model).as_bytes()),
        // Written as it is made: the document of a large capture runs to megabytes, which a
        // string would hold twice over while it grew.
        ReportFormat::Json => serde_json::to_writer_pretty(&mut out, &model)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
        ReportFormat::Html => out.write_all(html::render(&model).as_bytes()),
        ReportFormat::Csv => {
            let table = match a.table {
                CsvTable::Findings => Table::Findings,
                CsvTable::Endpoints => Table::Endpoints,
                CsvTable::Devices => Table::Devices,
            };
            out.write_all(csv::render(&model, table).as_bytes())
        }
    }
    .and_then(|()| out.flush())
    .map_err(to)?;
    if !run.errors.is_empty() {
        return Ok(read_error_code(&run.errors));
    }
    let worst = model
        .devices
        .iter()
        .flat_map(|d| d.findings.iter().map(|f| f.severity))
        .max();
    // Freeing millions of small allocations one by one takes longer than the exit that frees
    // them all at once.
    std::mem::forget(model);
    std::mem::forget(run);
    Ok(match (a.fail_on, worst) {
        (Some(limit), Some(w)) if w >= limit => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}
