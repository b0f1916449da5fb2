//! Any bytes as a capture file read in parts ([`Capture::split`]): the parts, read one after the
//! other, give the frames and the error of the whole file read at once, unless a part before the
//! last fails to end where the next one starts (a cut guessed wrong, which the caller detects that
//! way and answers by reading the file whole). Never a panic.
#![no_main]

use iotscope_source::{Capture, Frames};
use libfuzzer_sys::fuzz_target;

type Read = (Vec<(u64, i64, u32, Vec<u8>)>, Option<String>);

fn read(frames: &mut Frames<'_>, out: &mut Read) {
    loop {
        match frames.next_frame() {
            Ok(Some(f)) => out.0.push((f.offset, f.ts, f.origlen, f.data.to_vec())),
            Ok(None) => return,
            Err(e) => {
                out.1 = Some(e.to_string());
                return;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // One file per fuzzing process, in memory.
    let path = std::path::PathBuf::from(format!("/dev/shm/iotscope-fuzz-split-{}.pcap", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let Ok(mut cap) = Capture::open(&path) else {
        return;
    };
    let mut whole = (Vec::new(), None);
    read(&mut cap.frames(), &mut whole);
    for n in [2, 3, 7] {
        let Ok(cap) = Capture::open(&path) else {
            return;
        };
        // Every part, or none when the file is not split (a boundary not found).
        let Some(parts) = cap
            .split(n, 1)
            .and_then(|s| (0..s.parts()).map(|i| s.part(i)).collect::<Option<Vec<_>>>())
        else {
            continue;
        };
        let count = parts.len();
        let mut joined = (Vec::new(), None);
        let mut wrong = false;
        for (i, mut p) in parts.into_iter().enumerate() {
            read(&mut p, &mut joined);
            if joined.1.is_some() && i + 1 < count {
                wrong = true;
                break;
            }
        }
        if !wrong {
            assert_eq!(whole.1, joined.1, "{n} parts");
            assert!(whole.0 == joined.0, "{n} parts: frames differ");
        }
    }
});
