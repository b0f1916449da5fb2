//! Any bytes as a capture, all the way to the report: flows, every parser, the analysis, the
//! findings, redaction and every renderer must cope with whatever the packets say.
#![no_main]

use iotscope_analyze::devices::Local;
use iotscope_flow::{Config, FlowTable};
use iotscope_report::baseline::Baseline;
use iotscope_report::model::{build, Input, InputFile};
use iotscope_source::Capture;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut cap) = Capture::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    let mut table = FlowTable::new(Config {
        max_flows: 256,
        ..Config::with_messages()
    });
    let mut frames = cap.frames();
    let (mut n, mut first, mut last) = (0u64, None, None);
    while let Ok(Some(f)) = frames.next_frame() {
        let d = iotscope_packet::decode(f.link, f.data);
        table.add(n, f.ts, f.origlen, &d, f.data);
        first = Some(first.map_or(f.ts, |t: i64| t.min(f.ts)));
        last = Some(last.map_or(f.ts, |t: i64| t.max(f.ts)));
        n += 1;
    }
    let out = table.finish();
    let local = Local::new(&[]).unwrap();
    let allow = std::collections::BTreeSet::from(["US".to_string()]);
    let input = |baseline| Input {
        flows: &out.flows,
        events: &out.events,
        files: vec![InputFile {
            name: "fuzz".into(),
            format: None,
            frames: n,
            first_frame: 1,
            error: None,
            first_ts: first,
        }],
        packets: n,
        bytes: data.len() as u64,
        first,
        last,
        // Exercises the lines on undecoded frames (and their advice) in every format.
        malformed: vec![("wlan-encrypted".into(), n % 2), ("ip-truncated".into(), 1)],
        local: &local,
        allow_countries: Some(&allow),
        thresholds: Default::default(),
        baseline,
        // Two when the input's length is odd: the analysis's second thread too.
        threads: 1 + data.len() % 2,
    };
    let mut r = build(&input(None));
    let _ = iotscope_report::terminal::render(&r);
    let _ = iotscope_report::html::render(&r);
    let json = serde_json::to_string(&r).unwrap();
    // The report as the baseline of the same capture: drift against itself.
    let baseline: Baseline = serde_json::from_str(&json).unwrap();
    let again = build(&input(Some(&baseline)));
    let _ = iotscope_report::terminal::render(&again);
    for t in [
        iotscope_report::csv::Table::Findings,
        iotscope_report::csv::Table::Endpoints,
        iotscope_report::csv::Table::Devices,
    ] {
        let _ = iotscope_report::csv::render(&r, t);
    }
    iotscope_report::redact::redact(&mut r);
    let _ = iotscope_report::terminal::render(&r);
});
