//! docs/report-schema.md documents every field the JSON report holds, and nothing it does not.

use std::collections::BTreeSet;

use iotscope_analyze::devices::Local;
use iotscope_flow::pipeline::{run, Options};
use serde_json::Value;

fn paths(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.insert(p.clone());
                paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                // Lists of plain values are documented as the list itself.
                if x.is_object() {
                    paths(x, &format!("{at}[]"), out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_field_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report-schema.md"),
    )
    .unwrap();
    let mut seen = BTreeSet::new();
    for name in [
        "IoTSentinel__HueBridge__Setup-A-2-STA.pcap",
        "nDPI__nest_log_sink.pcap",
        "nDPI__iphone.pcap",
    ] {
        let r = run(
            &[iotscope_testdata::capture(name)],
            &Options::for_analysis(),
        );
        let model =
            iotscope_report::from_run(&r, &Local::new(&[]).unwrap(), None, Default::default());
        paths(&serde_json::to_value(&model).unwrap(), "", &mut seen);
    }
    let missing: Vec<&String> = seen
        .iter()
        .filter(|p| !doc.contains(&format!("`{p}`")))
        .collect();
    assert!(missing.is_empty(), "not documented: {missing:?}");
    // And the documented version is the one written.
    assert!(doc.contains(&format!("Schema **{}**", iotscope_report::SCHEMA_VERSION)));
    // Every catalogue id is documented.
    for e in iotscope_analyze::findings::CATALOGUE.iter() {
        assert!(
            doc.contains(&format!("| `{}` |", e.id.name())),
            "{:?}",
            e.id
        );
    }
}
