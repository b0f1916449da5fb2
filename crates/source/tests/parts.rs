//! A capture file read whole, read as a stream and read in parts ([`Capture::split`]) gives the
//! same frames, and the same error at the same offset when the file is cut.

use std::path::Path;

use iotscope_source::{Capture, Frames};

/// (offset, time, original length, link, bytes) of every frame, and the error that ended reading.
type Read = (Vec<(u64, i64, u32, String, Vec<u8>)>, Option<String>);

fn read(frames: &mut Frames<'_>, out: &mut Read) {
    loop {
        match frames.next_frame() {
            Ok(Some(f)) => out
                .0
                .push((f.offset, f.ts, f.origlen, f.link.name(), f.data.to_vec())),
            Ok(None) => return,
            Err(e) => {
                out.1 = Some(e.to_string());
                return;
            }
        }
    }
}

fn whole(path: &Path) -> Read {
    let mut out = (Vec::new(), None);
    read(&mut Capture::open(path).unwrap().frames(), &mut out);
    out
}

/// The same bytes from a reader that is no file (a pipe, standard input).
fn streamed(path: &Path) -> Read {
    let mut c = Capture::from_reader(
        &path.display().to_string(),
        Box::new(std::io::Cursor::new(std::fs::read(path).unwrap())),
    )
    .unwrap();
    let mut out = (Vec::new(), None);
    read(&mut c.frames(), &mut out);
    out
}

/// Every part of the file cut in `parts`; `None` when it is not split: too small, or a boundary
/// not found (the caller of `split` then reads the file whole).
fn cut(c: &Capture, parts: usize) -> Option<Vec<Frames<'_>>> {
    let s = c.split(parts, 1)?;
    (0..s.parts()).map(|i| s.part(i)).collect()
}

/// The parts one after the other; `None` when the file is not split, or when a part but the last
/// does not end cleanly, which proves a cut wrong (the caller of `split` then reads the file
/// whole).
fn in_parts(path: &Path, parts: usize) -> Option<Read> {
    let c = Capture::open(path).unwrap();
    let parts = cut(&c, parts)?;
    let n = parts.len();
    let mut out = (Vec::new(), None);
    for (i, mut p) in parts.into_iter().enumerate() {
        read(&mut p, &mut out);
        if out.1.is_some() && i + 1 < n {
            return None;
        }
    }
    Some(out)
}

#[test]
fn whole_streamed_and_in_parts_agree_on_every_capture() {
    let mut files = iotscope_testdata::captures();
    files.push(iotscope_testdata::recorded("upload.pcap"));
    files.push(iotscope_testdata::recorded("firmware-tls.pcap"));
    let mut split = 0;
    // Cuts proved wrong by the part before them (the file is then read whole): none, as
    // `plausible_records` has been made to hold. Before its bound on original lengths, 10 of
    // these 425 splits had one, four bytes past a true boundary.
    let mut wrong = Vec::new();
    for path in &files {
        let (w, s) = (whole(path), streamed(path));
        assert_eq!(w.1, s.1, "{}", path.display());
        assert!(w.0 == s.0, "{}: frames differ", path.display());
        for parts in [2, 3, 5, 8, 16, 32] {
            if cut(&Capture::open(path).unwrap(), parts).is_none() {
                continue;
            }
            let Some(p) = in_parts(path, parts) else {
                wrong.push(format!("{} in {parts}", path.display()));
                continue;
            };
            split += 1;
            assert_eq!(w.1, p.1, "{} in {parts}", path.display());
            assert_eq!(w.0.len(), p.0.len(), "{} in {parts}", path.display());
            assert!(w.0 == p.0, "{} in {parts}: frames differ", path.display());
        }
    }
    assert!(split >= 300, "{split}");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_cut_file_fails_where_a_stream_and_parts_do() {
    let src = iotscope_testdata::recorded("upload.pcap");
    let bytes = std::fs::read(&src).unwrap();
    let dir = std::env::temp_dir().join(format!("iotscope-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 24 bytes are the file header alone: a capture of no frames, not an error.
    for cut in [
        bytes.len() * 2 / 3,
        bytes.len() / 3,
        bytes.len() - 1,
        30,
        24,
        10,
    ] {
        let path = dir.join(format!("cut-{cut}.pcap"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let (w, s) = (whole(&path), streamed(&path));
        assert_eq!(w.1.is_some(), cut != 24, "cut at {cut}: {:?}", w.1);
        assert_eq!(w.1, s.1, "cut at {cut}");
        assert!(w.0 == s.0, "cut at {cut}: frames differ");
        if let Some(p) = in_parts(&path, 2) {
            assert_eq!(w.1, p.1, "cut at {cut}, in parts");
            assert!(w.0 == p.0, "cut at {cut}, in parts: frames differ");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
