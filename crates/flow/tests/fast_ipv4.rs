//! Untagged Ethernet and the everyday IPv4 header are read by paths of their own
//! (`decode::decode`, `decode::fast_ipv4`): on every frame of every capture, and on each IPv4
//! packet cut short or with its lengths changed, they must give what the general path (the link
//! parser, etherparse's lax slice) gives, or leave the packet to it.

use iotscope_packet::{decode_agrees, fast_ipv4_agrees, link, LinkType};
use iotscope_source::Capture;

#[test]
fn the_fast_ipv4_path_agrees_with_the_general_one() {
    let mut files = iotscope_testdata::captures();
    for dir in ["", "home", "infected", "dualstack", "judgements"] {
        if let Ok(rd) = std::fs::read_dir(iotscope_testdata::recorded(dir)) {
            files.extend(
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng")),
            );
        }
    }
    let mut compared = 0u64;
    for path in &files {
        let Ok(mut cap) = Capture::open(path) else {
            continue;
        };
        let mut frames = cap.frames();
        while let Ok(Some(f)) = frames.next_frame() {
            assert!(
                decode_agrees(f.link, f.data),
                "{}: frame at {}",
                path.display(),
                f.offset
            );
            for cut in [14, 20, 33, 34, 40, 54] {
                assert!(decode_agrees(f.link, &f.data[..cut.min(f.data.len())]));
            }
            let Ok(l) = link::parse(f.link, f.data) else {
                continue;
            };
            if l.ethertype != link::ethertype::IPV4 && f.link != LinkType::Ipv4 {
                continue;
            }
            let ip = &f.data[l.offset..];
            assert!(
                fast_ipv4_agrees(ip),
                "{}: frame at {}",
                path.display(),
                f.offset
            );
            compared += 1;
            // Cut, and with the total length and the header length changed.
            for cut in [0, 1, 19, 20, 21, 33, 40, 60] {
                assert!(fast_ipv4_agrees(&ip[..cut.min(ip.len())]));
            }
            if ip.len() >= 20 {
                let mut b = ip.to_vec();
                for total in [0u16, 19, 20, 24, 40, 0xffff] {
                    b[2..4].copy_from_slice(&total.to_be_bytes());
                    assert!(fast_ipv4_agrees(&b), "{}: total {total}", path.display());
                }
                b[2..4].copy_from_slice(&ip[2..4]);
                for ihl in [0u8, 4, 6, 15] {
                    b[0] = 0x40 | ihl;
                    assert!(fast_ipv4_agrees(&b), "{}: ihl {ihl}", path.display());
                }
            }
        }
    }
    assert!(compared > 50_000, "{compared} IPv4 packets compared");
}
