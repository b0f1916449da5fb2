//! The packet path allocates nothing per packet: reading a frame, decoding it and accounting it to
//! a flow that exists already makes no allocation at all. (New flows cost amortised table growth,
//! and each read chunk one buffer, so those are counted per flow and per chunk, never per packet.)

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

/// Reads the whole capture through `table`; returns (frames, allocations made while reading).
fn pass(bytes: &[u8], table: &mut FlowTable) -> (u64, u64) {
    let mut cap =
        Capture::from_reader("t", Box::new(std::io::Cursor::new(bytes.to_vec()))).unwrap();
    let mut frames = cap.frames();
    let before = allocs();
    let mut n = 0;
    while let Some(f) = frames.next_frame().unwrap() {
        let d = iotscope_packet::decode(f.link, f.data);
        table.add(n, f.ts, f.origlen, &d);
        n += 1;
    }
    (n, allocs() - before)
}

#[test]
fn known_flows_cost_no_allocation_per_packet() {
    for name in [
        "nDPI__alexa-app.pcapng",
        "IoTSentinel__HueBridge__Setup-A-2-STA.pcap",
        "nDPI__1kxun.pcap",
    ] {
        let bytes = std::fs::read(iotscope_testdata::capture(name)).unwrap();
        let mut table = FlowTable::new(Config {
            eth_conversations: true,
            ..Config::without_timeouts()
        });
        let (frames, first) = pass(&bytes, &mut table);
        let flows = table.len() as u64;
        // First pass: allocations grow with flows and chunks, not with packets.
        assert!(
            first < flows / 2 + 64,
            "{name}: {first} allocations for {flows} flows, {frames} frames"
        );
        // Second pass over the same frames: every flow exists, so nothing may allocate but the
        // reader's chunk buffer and the pcapng header blocks' options: a constant, whatever the
        // number of packets.
        let (again, second) = pass(&bytes, &mut table);
        assert_eq!(again, frames);
        assert!(frames > 1000, "{name}: {frames}");
        assert!(
            second <= 8,
            "{name}: {second} allocations while re-reading {frames} frames"
        );
    }
}
