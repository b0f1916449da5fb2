//! A stop on request (Ctrl-C) while a file is read in parts: one error, the stop, whatever the
//! number of parts, and no second read of the file. (A test binary of its own: the stop is
//! process-wide.)

use iotscope_flow::pipeline::{run, Options};
use iotscope_flow::Config;

#[test]
fn a_stop_while_reading_parts_is_one_error() {
    // 6 MB: six parts on two threads.
    let path = iotscope_testdata::recorded("firmware-tls.pcap");
    let flow = Config {
        fold_addresses: true,
        ..Config::default()
    };
    let whole = run(std::slice::from_ref(&path), &Options { flow, threads: 2 });
    assert!(whole.errors.is_empty());
    assert!(whole.inputs[0].frames > 1000);
    iotscope_source::request_stop();
    let stopped = run(std::slice::from_ref(&path), &Options { flow, threads: 2 });
    assert_eq!(stopped.errors.len(), 1, "{:?}", stopped.errors);
    assert!(stopped.errors[0].is_stop());
    let input = &stopped.inputs[0];
    assert!(
        input.error.as_deref().is_some_and(|e| e.contains("Ctrl-C")),
        "{input:?}"
    );
    // Every part stops before its first frame.
    assert_eq!(input.frames, 0);
    assert_eq!(stopped.counters.frames, 0);
}
