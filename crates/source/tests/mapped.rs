//! A mapped capture file and the same file read in chunks give the same frames, and the same
//! error at the same offset when the file is cut.

use std::path::Path;

use iotscope_source::Capture;

/// (offset, time, original length, link, bytes) of every frame, and the error that ended reading.
type Read = (Vec<(u64, i64, u32, String, Vec<u8>)>, Option<String>);

fn read(mut c: Capture) -> Read {
    let mut frames = c.frames();
    let mut out = Vec::new();
    loop {
        match frames.next_frame() {
            Ok(Some(f)) => out.push((f.offset, f.ts, f.origlen, f.link.name(), f.data.to_vec())),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

fn both(path: &Path) -> (Read, Read) {
    (
        read(Capture::open(path).unwrap()),
        read(
            Capture::from_reader(
                &path.display().to_string(),
                Box::new(std::fs::File::open(path).unwrap()),
            )
            .unwrap(),
        ),
    )
}

#[test]
fn mapped_and_read_agree_on_every_capture() {
    let mut files = iotscope_testdata::captures();
    files.push(iotscope_testdata::recorded("upload.pcap"));
    for path in &files {
        let (mapped, read) = both(path);
        assert_eq!(mapped.1, read.1, "{}", path.display());
        assert_eq!(mapped.0.len(), read.0.len(), "{}", path.display());
        assert!(mapped.0 == read.0, "{}: frames differ", path.display());
    }
}

#[test]
fn a_cut_mapped_file_fails_where_a_read_one_does() {
    let src = iotscope_testdata::recorded("upload.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let dir = std::env::temp_dir().join(format!("iotscope-mapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 24 bytes are the file header alone: a capture of no frames, not an error.
    for cut in [bytes.len() / 3, bytes.len() - 1, 30, 24, 10] {
        let path = dir.join(format!("cut-{cut}.pcap"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let (mapped, read) = both(&path);
        assert_eq!(
            mapped.1.is_some(),
            cut != 24,
            "cut at {cut}: {:?}",
            mapped.1
        );
        assert_eq!(mapped.1, read.1, "cut at {cut}");
        assert!(mapped.0 == read.0, "cut at {cut}: frames differ");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
