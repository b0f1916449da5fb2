//! Sources: turn an input into frames.
//!
//! For now the one source is a capture file: pcap (microsecond or nanosecond, either byte order)
//! or pcapng (any number of sections and interfaces, each with its own link type and timestamp
//! resolution), recognised by magic number, optionally gzip-compressed, or read from standard
//! input. An uncompressed capture file is memory-mapped; any other input is read into large
//! reference-counted chunks. Frames borrow from the mapping or the chunk, so no packet is copied,
//! and a frame can go to another thread with its chunk.
//!
//! A read error names the file and the byte offset of the record that broke, after every frame
//! before it has been handed out.

mod parser;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use iotscope_packet::{LinkType, Nanos};
use serde::Serialize;

use parser::{Parser, Step, MAX_RECORD};

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pcap {
        nanos: bool,
        big_endian: bool,
        /// The "modified" pcap of old Linux tcpdump builds (magic 0xa1b2cd34): each record
        /// header carries 8 more bytes (interface index, protocol, packet type).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        modified: bool,
    },
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pcap {
                nanos,
                big_endian,
                modified,
            } => write!(
                f,
                "{}pcap ({}second timestamps, {}-endian)",
                if *modified { "modified " } else { "" },
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
    /// Reading was stopped on request ([`request_stop`]: Ctrl-C) before the input ended.
    Stopped,
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
            ErrorKind::Stopped => write!(f, "reading stopped by an interrupt (Ctrl-C)"),
        }
    }
}

/// Set once a stop is requested; readers look at it between frames.
static STOP: AtomicBool = AtomicBool::new(false);

/// Asks every reader to stop at its next frame, as if its input had ended there, with an
/// [`ErrorKind::Stopped`] error (what an interrupt handler calls: live input piped from a capture
/// program never ends by itself, and what was read still gets reported).
pub fn request_stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Whether [`request_stop`] was called.
#[inline]
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// A read error, with the input's name and the byte offset where it happened.
#[derive(Debug)]
pub struct ReadError {
    pub file: String,
    pub offset: u64,
    pub kind: ErrorKind,
}

impl ReadError {
    /// Reading was stopped on request ([`request_stop`]), not by the input.
    pub fn is_stop(&self) -> bool {
        matches!(self.kind, ErrorKind::Stopped)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            // The file could not be opened or read from its start: no offset to give.
            ErrorKind::Io(_) if self.offset == 0 => write!(f, "{}: {}", self.file, self.kind),
            _ => write!(f, "{}: at byte {}: {}", self.file, self.offset, self.kind),
        }
    }
}

impl std::error::Error for ReadError {}

/// An opened capture.
pub struct Capture {
    name: String,
    input: Box<dyn Read + Send>,
    /// The whole file, when it is an uncompressed file that could be mapped.
    mapped: Option<Arc<Bytes>>,
}

/// Bytes frames are read from: a chunk read into memory, or a mapped file.
pub enum Bytes {
    Heap(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Heap(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl Bytes {
    fn heap(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Bytes::Heap(v) => Some(v),
            Bytes::Mapped(_) => None,
        }
    }
}

/// How far ahead of the record being read a mapped file is fetched into the cache. Each record's
/// length says where the next one starts, so without it every record header is a wait on memory;
/// fetching ahead turns the walk into a stream.
const PREFETCH_AHEAD: usize = 8 << 10;
/// Pages of a mapped file are given back in steps of at least this much (see
/// [`Frames::release_before`]).
const RELEASE_STEP: usize = 256 << 10;

/// Maps `f` when it is a regular, uncompressed, non-empty file; `None` leaves it to plain reads.
fn map(f: &File) -> Option<Bytes> {
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the mapping is read-only and private. Its bytes change only if another program
    // rewrites or truncates the capture while it is being read (a truncation ends the process with
    // SIGBUS), the same hazard every tool that maps its input accepts.
    let m = unsafe { memmap2::Mmap::map(f) }.ok()?;
    if m.starts_with(&GZIP_MAGIC) {
        return None;
    }
    let _ = m.advise(memmap2::Advice::Sequential);
    Some(Bytes::Mapped(m))
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Size of one read: large enough that a read costs little per packet, small enough that memory
/// stays low (a handful are in flight when worker threads hold some).
pub const CHUNK: usize = 1 << 20;

impl Capture {
    /// Opens a capture file, or standard input when `path` is `-`.
    ///
    /// An uncompressed file is memory-mapped: the reading thread then copies nothing (reading it
    /// into chunks costs a copy of every byte in the kernel, the largest single cost of `flows`).
    /// Compressed files, pipes and anything that cannot be mapped are read in chunks.
    pub fn open(path: &Path) -> Result<Capture, ReadError> {
        let name = path.display().to_string();
        let err = |e: io::Error| ReadError {
            file: name.clone(),
            offset: 0,
            kind: ErrorKind::Io(e),
        };
        if path.as_os_str() == "-" {
            let input = stream(Box::new(io::stdin())).map_err(err)?;
            return Ok(Capture {
                name: "<stdin>".into(),
                input,
                mapped: None,
            });
        }
        let file = File::open(path).map_err(err)?;
        if let Some(m) = map(&file) {
            return Ok(Capture {
                name,
                input: Box::new(io::empty()),
                mapped: Some(Arc::new(m)),
            });
        }
        let input = stream(Box::new(file)).map_err(err)?;
        Ok(Capture {
            name,
            input,
            mapped: None,
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
            mapped: None,
        })
    }

    /// The name errors use for this input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Starts reading frames.
    pub fn frames(&mut self) -> Frames<'_> {
        let (chunk, end) = match &self.mapped {
            Some(m) => (m.clone(), m.len()),
            None => (Arc::new(Bytes::Heap(Vec::new())), 0),
        };
        Frames {
            name: &self.name,
            parser: Parser::default(),
            r: self.input.as_mut(),
            chunk,
            start: 0,
            end,
            eof: self.mapped.is_some(),
            base: 0,
            pool: Vec::new(),
            fetched: 0,
            released: 0,
            release_step: RELEASE_STEP,
        }
    }
}

/// Pages of a part read on a thread of its own are given back in steps of this much. Giving
/// pages back while another thread of the process runs interrupts that thread's core (its cached
/// address translations must go): on the 300 MB bench file, two threads took 0.064 s with
/// 256 KB steps and 0.055 s with 4 MB steps, with 16 MiB resident instead of 12.
const SPLIT_RELEASE_STEP: usize = 4 << 20;
/// How far past each even cut [`Capture::split`] looks for a record boundary.
const SPLIT_SEARCH: usize = 1 << 20;
/// Records that must follow one another for a cut to be taken for a record boundary.
const SPLIT_RECORDS: usize = 16;

impl Capture {
    /// Splits a memory-mapped classic pcap file into `parts` readers of about equal size, each
    /// part at least `min_part` bytes, to be read on as many threads: the first from the file's
    /// start, each other from a likely record boundary ([`Parser::plausible_records`]), each to the
    /// next one's start. `None` when the file is not such a file, is too small, or no boundary
    /// was found.
    ///
    /// A cut is a guess. The reader of the part before it confirms it: a part that ends cleanly
    /// (its last record ends exactly where the next part starts) proves that a record starts
    /// there, since the records of a file are found one after the other from its start. A part
    /// that does not end cleanly (an error) means the guess, or the file, is wrong, and the
    /// caller must read the file again in one piece.
    pub fn split(&self, parts: usize, min_part: usize) -> Option<Vec<Frames<'_>>> {
        let m = self.mapped.as_ref()?;
        let len = m.len();
        if parts < 2 || len < parts * min_part.max(1) {
            return None;
        }
        let mut header = Parser::default();
        let Step::Skip(at) = header.step(m) else {
            return None;
        };
        let resumed = header.resume()?;
        let mut starts = vec![at];
        for i in 1..parts {
            let even = len / parts * i;
            let cut = (even..(even + SPLIT_SEARCH).min(len))
                .find(|&o| resumed.plausible_records(&m[o..], SPLIT_RECORDS))?;
            if cut <= *starts.last()? {
                return None;
            }
            starts.push(cut);
        }
        let ends = starts.iter().skip(1).copied().chain([len]);
        let frames = starts
            .iter()
            .zip(ends)
            .enumerate()
            .map(|(i, (&start, end))| Frames {
                name: &self.name,
                // The first part reads the file header itself, as a whole read does.
                parser: if i == 0 {
                    Parser::default()
                } else {
                    resumed.resume().expect("a pcap parser resumes")
                },
                // Nothing is read from a mapped file. An empty reader has no size, so leaking
                // a box of one allocates nothing.
                r: Box::leak(Box::new(io::empty())),
                chunk: m.clone(),
                start: if i == 0 { 0 } else { start },
                end,
                eof: true,
                base: 0,
                pool: Vec::new(),
                fetched: start,
                // Pages are given back from the first whole page of the part on.
                released: (start + 4095) & !4095,
                release_step: SPLIT_RELEASE_STEP,
            })
            .collect();
        Some(frames)
    }
}

/// Reads from `r`, decompressing when it starts with the gzip magic.
fn stream(r: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let mut br = BufReader::with_capacity(64 << 10, r);
    let head = br.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(br)))
    } else {
        // The buffered reader passes large reads straight through to the file.
        Ok(Box::new(br))
    }
}

/// The frames of a capture, in file order.
///
/// Bytes are read into a chunk shared by reference count: a frame's bytes can be handed to another
/// thread by cloning [`Frames::chunk`] and keeping the frame's range, without copying. When more
/// bytes are needed and another thread still holds the current chunk, the unread tail moves to a
/// free chunk from a small pool (at most one partial record is copied per chunk).
pub struct Frames<'a> {
    name: &'a str,
    parser: Parser,
    r: &'a mut (dyn Read + Send),
    chunk: Arc<Bytes>,
    start: usize,
    end: usize,
    eof: bool,
    /// Input offset of `chunk[0]`.
    base: u64,
    pool: Vec<Arc<Bytes>>,
    /// In a mapped file: how far it has been fetched ahead, and given back behind.
    fetched: usize,
    released: usize,
    /// Pages are given back in steps of at least this much.
    release_step: usize,
}

/// Chunks kept for reuse; beyond this, chunks still held elsewhere are simply dropped.
const POOL: usize = 64;

impl Frames<'_> {
    /// The container format, once the header has been read.
    pub fn format(&self) -> Option<Format> {
        self.parser.format
    }

    /// Every interface declared so far, across sections.
    pub fn interfaces(&self) -> &[Interface] {
        &self.parser.interfaces
    }

    /// Number of pcapng sections read so far (1 for pcap).
    pub fn sections(&self) -> u32 {
        self.parser.sections
    }

    /// Input offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.base + self.start as u64
    }

    /// The chunk holding the frame returned last (its bytes lie inside it).
    pub fn chunk(&self) -> &Arc<Bytes> {
        &self.chunk
    }

    /// The error that says reading stopped here on request ([`request_stop`]).
    pub fn stopped(&self) -> ReadError {
        self.error(ErrorKind::Stopped)
    }

    fn error(&self, kind: ErrorKind) -> ReadError {
        ReadError {
            file: self.name.to_string(),
            offset: self.position(),
            kind,
        }
    }

    /// Finds the next packet record; returns it with its start in the chunk and input offset.
    fn advance(&mut self) -> Result<Option<(parser::Record, usize, u64)>, ReadError> {
        loop {
            let window = &self.chunk[self.start..self.end];
            match self.parser.step(window) {
                Step::Packet(rec, used) => {
                    let at = self.start;
                    self.start += used;
                    return Ok(Some((rec, at, self.base + at as u64)));
                }
                Step::Skip(used) => self.start += used,
                Step::Need(n) => {
                    if n > MAX_RECORD + 64 {
                        return Err(self.error(ErrorKind::Corrupt(format!("record of {n} bytes"))));
                    }
                    if !self.fill(n).map_err(|e| self.error(ErrorKind::Io(e)))? {
                        let available = self.end - self.start;
                        if available == 0 && self.parser.format.is_some() {
                            return Ok(None);
                        }
                        if available == 0 && self.position() == 0 {
                            return Err(self.error(ErrorKind::Empty));
                        }
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

    /// Makes the window hold at least `n` bytes; false when the input ends first.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        let want = n.max(CHUNK);
        let tail = self.end - self.start;
        if let Some(buf) = Arc::get_mut(&mut self.chunk)
            .and_then(Bytes::heap)
            .filter(|b| b.len() >= want)
        {
            // Nobody else holds the chunk: move the partial record to its front.
            buf.copy_within(self.start..self.end, 0);
        } else {
            let free = self.pool.iter().position(|c| Arc::strong_count(c) == 1);
            let mut next = match free {
                Some(i) => self.pool.swap_remove(i),
                None => Arc::new(Bytes::Heap(Vec::new())),
            };
            let buf = Arc::get_mut(&mut next)
                .and_then(Bytes::heap)
                .expect("a free chunk has one owner");
            if buf.len() < want {
                buf.resize(want, 0);
            }
            buf[..tail].copy_from_slice(&self.chunk[self.start..self.end]);
            let old = std::mem::replace(&mut self.chunk, next);
            if self.pool.len() < POOL && !old.is_empty() {
                self.pool.push(old);
            }
        }
        self.base += self.start as u64;
        self.end = tail;
        self.start = 0;
        let buf = Arc::get_mut(&mut self.chunk)
            .and_then(Bytes::heap)
            .expect("the current chunk has one owner");
        while self.end < n && !self.eof {
            match self.r.read(&mut buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end >= n)
    }

    /// Keeps a mapped file streaming into the cache ahead of the reader.
    #[inline]
    fn stream_mapped(&mut self) {
        let Bytes::Mapped(m) = &*self.chunk else {
            return;
        };
        let ahead = (self.start + PREFETCH_AHEAD).min(self.end);
        while self.fetched < ahead {
            prefetch(&m[self.fetched..self.fetched + 1]);
            self.fetched += 64;
        }
    }

    /// Gives back the pages of a mapped file that lie wholly before input offset `offset`: the
    /// caller is done with every frame there. They stay in the page cache, and come back (read
    /// from the file again) if anything still touches them, so this only keeps resident memory
    /// from growing with the file. Does nothing for inputs read into chunks.
    #[inline]
    pub fn release_before(&mut self, offset: u64) {
        let Bytes::Mapped(m) = &*self.chunk else {
            return;
        };
        let upto = (offset.min(self.position()) as usize) & !(4096 - 1);
        if upto < self.released + self.release_step {
            return;
        }
        // SAFETY: the mapping is read-only and file-backed, so no page in it was ever written:
        // a page given back is read again from the file if anything touches it later.
        let _ = unsafe {
            m.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.released,
                upto - self.released,
            )
        };
        self.released = upto;
    }

    /// The next frame, or `None` at the clean end of the input.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, ReadError> {
        self.stream_mapped();
        let Some((rec, at, offset)) = self.advance()? else {
            return Ok(None);
        };
        let from = at + rec.start;
        Ok(Some(Frame {
            ts: rec.ts,
            origlen: rec.origlen,
            interface: rec.interface,
            link: rec.link,
            data: &self.chunk[from..from + rec.len],
            offset,
        }))
    }
}

/// Asks for the cache lines holding `b` (nothing on other architectures): the bytes arrive while
/// the caller works on something else.
#[inline(always)]
pub fn prefetch(b: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in b.chunks(64) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch never faults and reads nothing the program sees; the address is
        // inside the slice anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = b;
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

    type ReadAll = (Vec<(Nanos, u32, Vec<u8>)>, Option<ReadError>);

    fn read_all(c: &mut Capture) -> ReadAll {
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
