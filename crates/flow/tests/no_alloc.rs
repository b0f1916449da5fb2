//! The packet path allocates nothing per packet: reading a frame, decoding it, accounting it to a
//! flow that exists already and showing it to the parsers makes no allocation at all, unless the
//! frame carries a message a parser reads (a DNS answer, a TLS hello, an HTTP head: the names it
//! keeps are output, and a message split over segments gets one buffer when it starts). New
//! flows cost amortised table growth and each read chunk one buffer: per flow and per chunk.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use iotscope_flow::{Config, FlowTable};
use iotscope_source::Capture;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// Reads the whole capture through `table`. Returns the frames read, the allocations made by the
/// reader, and the allocations made for frames from which no parser read a message.
fn pass(bytes: &[u8], table: &mut FlowTable) -> (u64, u64, u64) {
    let mut cap =
        Capture::from_reader("t", Box::new(std::io::Cursor::new(bytes.to_vec()))).unwrap();
    let mut frames = cap.frames();
    let (mut reading, mut silent, mut n) = (0, 0, 0);
    loop {
        let at = allocs();
        let Some(f) = frames.next_frame().unwrap() else {
            break;
        };
        reading += allocs() - at;
        let events = table.events.len();
        let at = allocs();
        let d = iotscope_packet::decode(f.link, f.data);
        table.add(n, f.ts, f.origlen, &d, f.data);
        let payload = d.payload(f.data);
        let starts_message = iotscope_proto::http::looks_like_http(payload)
            || iotscope_proto::tls::looks_like_tls(payload);
        if table.events.len() == events && !starts_message {
            silent += allocs() - at;
        }
        n += 1;
    }
    (n, reading, silent)
}

#[test]
fn frames_of_known_flows_allocate_nothing() {
    for name in [
        "nDPI__alexa-app.pcapng",
        "IoTSentinel__HueBridge__Setup-A-2-STA.pcap",
        "nDPI__1kxun.pcap",
    ] {
        let bytes = std::fs::read(iotscope_testdata::capture(name)).unwrap();
        let mut table = FlowTable::new(Config {
            eth_conversations: true,
            messages: true,
            ..Config::without_timeouts()
        });
        let (frames, _, _) = pass(&bytes, &mut table);
        // Second pass over the same frames: every flow exists, so a frame may allocate only when
        // a parser reads a message from it; the reader allocates its chunk and the pcapng header
        // blocks' options, a constant whatever the number of frames.
        let (again, reading, silent) = pass(&bytes, &mut table);
        assert_eq!(again, frames);
        assert!(frames > 1000, "{name}: {frames}");
        assert_eq!(
            silent, 0,
            "{name}: frames without a message allocated {silent} times"
        );
        assert!(
            reading <= 8,
            "{name}: the reader allocated {reading} times for {frames} frames"
        );
    }
}
