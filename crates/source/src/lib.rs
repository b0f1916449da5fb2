//! Sources: turn an input into frames.
//!
//! For now the one source is a capture file: pcap (microsecond or nanosecond, either byte order)
//! or pcapng (any number of sections and interfaces, each with its own link type and timestamp
//! resolution), recognised by magic number, optionally gzip-compressed, or read from standard
//! input. Regular files are memory-mapped and frames borrow from the map, so no packet is copied;
//! streams (stdin, gzip) are read through one reusable buffer.
//!
//! A read error names the file and the byte offset of the record that broke, after every frame
//! before it has been handed out.

mod parser;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use iotscope_packet::{LinkType, Nanos};
use serde::Serialize;

use parser::{Parser, Step, MAX_RECORD};

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pcap { nanos: bool, big_endian: bool },
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcap { nanos, big_endian } => write!(
                f,
                "pcap ({}-second timestamps, {}-endian)",
                if *nanos { "nano" } else { "micro" },
                if *big_endian { "big" } else { "little" }
            ),
            Format::PcapNg => write!(f, "pcapng"),
        }
    }
}

/// A capture interface: its link type and timestamp resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub link: LinkType,
    /// Timestamp units per second (1e6 for classic pcap, 1e9 for nanosecond pcap).
    pub units_per_sec: u64,
    /// Snap length, 0 when unlimited.
    pub snaplen: u32,
    /// pcapng `if_tsoffset`: seconds added to every timestamp of the interface.
    pub ts_offset: i64,
}

/// One captured frame, borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the epoch.
    pub ts: Nanos,
    /// Length of the frame on the wire (the captured bytes may be fewer).
    pub origlen: u32,
    /// Interface index within its pcapng section (0 for pcap).
    pub interface: u32,
    pub link: LinkType,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Byte offset of the frame's record in the (decompressed) input.
    pub offset: u64,
}

/// What went wrong reading an input.
#[derive(Debug)]
pub enum ErrorKind {
    Io(io::Error),
    /// The input is empty.
    Empty,
    /// The first four bytes are no capture magic number.
    NotACapture([u8; 4]),
    /// The input ends inside a record.
    Truncated {
        needed: usize,
        available: usize,
    },
    /// The framing is broken (impossible lengths, undeclared interfaces...).
    Corrupt(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Empty => write!(f, "the file is empty, not a capture"),
            ErrorKind::NotACapture(m) => write!(
                f,
                "not a pcap or pcapng capture (starts with {:02x} {:02x} {:02x} {:02x})",
                m[0], m[1], m[2], m[3]
            ),
            ErrorKind::Truncated { needed, available } => write!(
                f,
                "capture is cut off: the record here needs {needed} bytes but only {available} remain"
            ),
            ErrorKind::Corrupt(why) => write!(f, "corrupt capture: {why}"),
        }
    }
}

/// A read error, with the input's name and the byte offset where it happened.
#[derive(Debug)]
pub struct ReadError {
    pub file: String,
    pub offset: u64,
    pub kind: ErrorKind,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: at byte {}: {}", self.file, self.offset, self.kind)
    }
}

impl std::error::Error for ReadError {}

enum Input {
    Mapped(memmap2::Mmap),
    Stream(Box<dyn Read + Send>),
    Empty,
}

/// An opened capture.
pub struct Capture {
    name: String,
    input: Input,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const STREAM_BUF: usize = 1 << 20;

impl Capture {
    /// Opens a capture file, or standard input when `path` is `-`.
    pub fn open(path: &Path) -> Result<Capture, ReadError> {
        let name = path.display().to_string();
        let err = |e: io::Error| ReadError {
            file: name.clone(),
            offset: 0,
            kind: ErrorKind::Io(e),
        };
        if path.as_os_str() == "-" {
            return Ok(Capture {
                name: "<stdin>".into(),
                input: stream(Box::new(io::stdin())).map_err(err)?,
            });
        }
        let file = File::open(path).map_err(err)?;
        let meta = file.metadata().map_err(err)?;
        if !meta.is_file() {
            let input = stream(Box::new(file)).map_err(err)?;
            return Ok(Capture { name, input });
        }
        if meta.len() == 0 {
            return Ok(Capture {
                name,
                input: Input::Empty,
            });
        }
        // SAFETY: the map is read-only; a capture file changed by another process while it is
        // read can show inconsistent bytes, which the parser treats like any corrupt input.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(err)?;
        if map.starts_with(&GZIP_MAGIC) {
            drop(map);
            let input = File::open(path)
                .and_then(|f| stream(Box::new(f)))
                .map_err(err)?;
            return Ok(Capture { name, input });
        }
        Ok(Capture {
            name,
            input: Input::Mapped(map),
        })
    }

    /// Wraps any byte stream (tests, pipes).
    pub fn from_reader(name: &str, r: Box<dyn Read + Send>) -> Result<Capture, ReadError> {
        let input = stream(r).map_err(|e| ReadError {
            file: name.into(),
            offset: 0,
            kind: ErrorKind::Io(e),
        })?;
        Ok(Capture {
            name: name.into(),
            input,
        })
    }

    /// The name errors use for this input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True when the input is memory-mapped, so frames can outlive the reader (see
    /// [`Frames::next_mapped`]).
    pub fn is_mapped(&self) -> bool {
        matches!(self.input, Input::Mapped(_))
    }

    /// Starts reading frames.
    pub fn frames(&mut self) -> Frames<'_> {
        let src = match &mut self.input {
            Input::Mapped(m) => Src::Slice {
                data: &m[..],
                at: 0,
            },
            Input::Empty => Src::Slice { data: &[], at: 0 },
            Input::Stream(r) => Src::Stream {
                r: r.as_mut(),
                buf: vec![0; STREAM_BUF],
                start: 0,
                end: 0,
                eof: false,
                base: 0,
            },
        };
        Frames {
            name: &self.name,
            parser: Parser::default(),
            src,
        }
    }
}

/// Reads from `r`, decompressing when it starts with the gzip magic.
fn stream(r: Box<dyn Read + Send>) -> io::Result<Input> {
    let mut br = BufReader::with_capacity(64 << 10, r);
    let head = br.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Input::Stream(Box::new(
            flate2::bufread::MultiGzDecoder::new(br),
        )))
    } else {
        Ok(Input::Stream(Box::new(br)))
    }
}

enum Src<'a> {
    Slice {
        data: &'a [u8],
        at: usize,
    },
    Stream {
        r: &'a mut (dyn Read + Send),
        buf: Vec<u8>,
        start: usize,
        end: usize,
        eof: bool,
        /// Input offset of `buf[0]`.
        base: u64,
    },
}

/// The frames of a capture, in file order.
pub struct Frames<'a> {
    name: &'a str,
    parser: Parser,
    src: Src<'a>,
}

impl<'a> Frames<'a> {
    /// The container format, once the header has been read.
    pub fn format(&self) -> Option<Format> {
        self.parser.format
    }

    /// Every interface declared so far, across sections.
    pub fn interfaces(&self) -> &[Interface] {
        &self.parser.all_interfaces
    }

    /// Number of pcapng sections read so far (1 for pcap).
    pub fn sections(&self) -> u32 {
        self.parser.sections
    }

    /// Input offset of the next unread byte.
    pub fn position(&self) -> u64 {
        match &self.src {
            Src::Slice { at, .. } => *at as u64,
            Src::Stream { start, base, .. } => base + *start as u64,
        }
    }

    fn error(&self, kind: ErrorKind) -> ReadError {
        ReadError {
            file: self.name.to_string(),
            offset: self.position(),
            kind,
        }
    }

    /// Finds the next packet record; returns it with its absolute start in the window source.
    fn advance(&mut self) -> Result<Option<(parser::Record, usize, u64)>, ReadError> {
        loop {
            let (window, offset) = match &self.src {
                Src::Slice { data, at } => (&data[*at..], *at as u64),
                Src::Stream {
                    buf,
                    start,
                    end,
                    base,
                    ..
                } => (&buf[*start..*end], base + *start as u64),
            };
            match self.parser.step(window) {
                Step::Packet(rec, used) => {
                    let abs = self.consume(used);
                    return Ok(Some((rec, abs, offset)));
                }
                Step::Skip(used) => {
                    self.consume(used);
                }
                Step::Need(n) => {
                    let have = window.len();
                    if n > MAX_RECORD + 64 {
                        return Err(self.error(ErrorKind::Corrupt(format!("record of {n} bytes"))));
                    }
                    if !self.fill(n).map_err(|e| self.error(ErrorKind::Io(e)))? {
                        let available = match &self.src {
                            Src::Slice { data, at } => data.len() - at,
                            Src::Stream { start, end, .. } => end - start,
                        };
                        if available == 0 && self.parser.format.is_some() {
                            return Ok(None);
                        }
                        if available == 0 && self.position() == 0 {
                            return Err(self.error(ErrorKind::Empty));
                        }
                        let _ = have;
                        return Err(self.error(ErrorKind::Truncated {
                            needed: n,
                            available,
                        }));
                    }
                }
                Step::Error(kind) => return Err(self.error(kind)),
            }
        }
    }

    /// Marks `n` window bytes as read; returns where they started in the source buffer.
    fn consume(&mut self, n: usize) -> usize {
        match &mut self.src {
            Src::Slice { at, .. } => {
                let s = *at;
                *at += n;
                s
            }
            Src::Stream { start, .. } => {
                let s = *start;
                *start += n;
                s
            }
        }
    }

    /// Makes the window hold at least `n` bytes; false when the input ends first.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        match &mut self.src {
            Src::Slice { data, at } => Ok(data.len() - *at >= n),
            Src::Stream {
                r,
                buf,
                start,
                end,
                eof,
                base,
            } => {
                if *end - *start >= n {
                    return Ok(true);
                }
                // Move the partial record to the front: at most one record is copied per refill.
                buf.copy_within(*start..*end, 0);
                *base += *start as u64;
                *end -= *start;
                *start = 0;
                if buf.len() < n {
                    buf.resize(n.next_power_of_two(), 0);
                }
                while *end < n && !*eof {
                    match r.read(&mut buf[*end..]) {
                        Ok(0) => *eof = true,
                        Ok(k) => *end += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(*end >= n)
            }
        }
    }

    /// The next frame, or `None` at the clean end of the input.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, ReadError> {
        let Some((rec, abs, offset)) = self.advance()? else {
            return Ok(None);
        };
        let data = match &self.src {
            Src::Slice { data, .. } => &data[abs + rec.start..abs + rec.start + rec.len],
            Src::Stream { buf, .. } => &buf[abs + rec.start..abs + rec.start + rec.len],
        };
        Ok(Some(Frame {
            ts: rec.ts,
            origlen: rec.origlen,
            interface: rec.interface,
            link: rec.link,
            data,
            offset,
        }))
    }

    /// For a memory-mapped capture: the next frame, borrowed from the map rather than from this
    /// reader, so frames can be handed to other threads. Streams answer `None` (use
    /// [`Frames::next_frame`]).
    pub fn next_mapped(&mut self) -> Option<Result<Option<Frame<'a>>, ReadError>> {
        let Src::Slice { data, .. } = self.src else {
            return None;
        };
        Some(self.advance().map(|r| {
            r.map(|(rec, abs, offset)| Frame {
                ts: rec.ts,
                origlen: rec.origlen,
                interface: rec.interface,
                link: rec.link,
                data: &data[abs + rec.start..abs + rec.start + rec.len],
                offset,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_bytes(be: bool, nanos: bool) -> Vec<u8> {
        let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut f = Vec::new();
        f.extend(w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
        f.extend(w16(2));
        f.extend(w16(4));
        f.extend(w32(0));
        f.extend(w32(0));
        f.extend(w32(65535));
        f.extend(w32(1));
        for i in 0..3u32 {
            f.extend(w32(1_700_000_000 + i));
            f.extend(w32(500));
            f.extend(w32(4));
            f.extend(w32(60));
            f.extend([i as u8; 4]);
        }
        f
    }

    fn read_all(c: &mut Capture) -> (Vec<(Nanos, u32, Vec<u8>)>, Option<ReadError>) {
        let mut fr = c.frames();
        let mut out = Vec::new();
        loop {
            match fr.next_frame() {
                Ok(Some(f)) => out.push((f.ts, f.origlen, f.data.to_vec())),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn pcap_all_variants() {
        for be in [false, true] {
            for nanos in [false, true] {
                let bytes = pcap_bytes(be, nanos);
                let mut c = Capture::from_reader("t", Box::new(io::Cursor::new(bytes))).unwrap();
                let (frames, err) = read_all(&mut c);
                assert!(err.is_none());
                assert_eq!(frames.len(), 3);
                let frac = if nanos { 500 } else { 500_000 };
                assert_eq!(frames[1].0, 1_700_000_001_000_000_000 + frac);
                assert_eq!(frames[2].1, 60);
                assert_eq!(frames[2].2, vec![2; 4]);
            }
        }
    }

    #[test]
    fn truncated_keeps_what_was_read() {
        let mut bytes = pcap_bytes(false, false);
        bytes.truncate(bytes.len() - 2);
        let mut c = Capture::from_reader("cut.pcap", Box::new(io::Cursor::new(bytes))).unwrap();
        let (frames, err) = read_all(&mut c);
        assert_eq!(frames.len(), 2);
        let err = err.unwrap();
        assert_eq!(err.offset, 24 + 2 * 20);
        assert!(matches!(
            err.kind,
            ErrorKind::Truncated {
                needed: 20,
                available: 18
            }
        ));
        assert!(err
            .to_string()
            .starts_with("cut.pcap: at byte 64: capture is cut off"));
    }

    #[test]
    fn not_a_capture_and_empty() {
        let mut c =
            Capture::from_reader("x", Box::new(io::Cursor::new(b"hello world".to_vec()))).unwrap();
        assert!(matches!(
            read_all(&mut c).1.unwrap().kind,
            ErrorKind::NotACapture(_)
        ));
        let mut c = Capture::from_reader("x", Box::new(io::Cursor::new(Vec::new()))).unwrap();
        assert!(matches!(read_all(&mut c).1.unwrap().kind, ErrorKind::Empty));
    }

    #[test]
    fn gzip_is_transparent() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&pcap_bytes(false, true)).unwrap();
        let bytes = gz.finish().unwrap();
        let mut c = Capture::from_reader("t.gz", Box::new(io::Cursor::new(bytes))).unwrap();
        let (frames, err) = read_all(&mut c);
        assert!(err.is_none());
        assert_eq!(frames.len(), 3);
    }
}
