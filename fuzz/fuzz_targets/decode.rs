//! Any bytes as a frame on any supported link type: decoding must not panic, the payload it points
//! at must lie inside the frame (for the packets tunnels carry too), the reading thread's quick
//! test for tunnels must not miss one, and the flow table must accept the result. The same bytes
//! as an IPv4 packet, and the frame: the everyday header's and untagged Ethernet's own paths
//! must agree with the general one.
#![no_main]

use iotscope_flow::{Config, FlowTable};
use iotscope_packet::{decode, link::pair_hash, tunnel, LinkType};
use libfuzzer_sys::fuzz_target;

const LINKS: [u32; 17] = [0, 1, 101, 108, 113, 228, 229, 276, 147, 105, 127, 119, 163, 192, 9, 104, 239];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else { return };
    let link = LinkType::from_number(LINKS[sel as usize % LINKS.len()]);
    let d = decode(link, frame);
    let end = d.payload_offset as usize + d.payload_len as usize;
    assert!(end <= frame.len() || d.payload_len == 0);
    assert_eq!(d.payload(frame).len(), d.payload_len as usize);
    assert!(iotscope_packet::fast_ipv4_agrees(frame));
    assert!(iotscope_packet::decode_agrees(link, frame));
    let (_, may_tunnel) = pair_hash(link, frame);
    let mut layers = 1;
    let mut outer = d;
    while let Some((_, inner)) = tunnel::decode_inner(&outer, frame) {
        assert!(may_tunnel, "a tunnel the reading thread's test missed");
        let end = inner.payload_offset as usize + inner.payload_len as usize;
        assert!(end <= frame.len() || inner.payload_len == 0);
        layers += 1;
        if layers > tunnel::MAX_DEPTH {
            break;
        }
        outer = inner;
    }
    let mut table = FlowTable::new(Config { eth_conversations: true, ..Config::default() });
    table.add(0, 0, frame.len() as u32, &d, frame);
    table.add(1, 1, frame.len() as u32, &d, frame);
    let out = table.finish();
    assert!(out.flows.len() <= layers);
});
