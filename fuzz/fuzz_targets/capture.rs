//! Any bytes as a capture file: the reader must return frames or a clear error, never panic, and
//! every frame it returns goes through the decoder and a flow table.
#![no_main]

use iotscope_flow::{Config, FlowTable};
use iotscope_source::Capture;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut cap) = Capture::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec()))) else {
        return;
    };
    let mut table = FlowTable::new(Config { max_flows: 64, eth_conversations: true, ..Config::default() });
    let mut frames = cap.frames();
    let mut n = 0;
    while let Ok(Some(f)) = frames.next_frame() {
        // A frame lies within the input, unless the input is compressed.
        assert!(f.data.len() <= data.len() || data.starts_with(&[0x1f, 0x8b]));
        let d = iotscope_packet::decode(f.link, f.data);
        table.add(n, f.ts, f.origlen, &d, f.data);
        n += 1;
    }
    let _ = table.finish();
});
