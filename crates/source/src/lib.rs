//! Sources: turn an input into frames.
//!
//! For now the one source is a capture file: pcap (microsecond or nanosecond, either byte order)
//! or pcapng (any number of sections and interfaces, each with its own link type and timestamp
//! resolution), recognised by magic number, optionally gzip-compressed, or read from standard
//! input. Every input is read into large reference-counted chunks. Frames borrow from the chunk,
//! so no packet is copied, and a frame can go to another thread with its chunk.
//!
//! A read error names the file and the byte offset of the record that broke, after every frame
//! before it has been handed out.

mod parser;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

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
    /// The file itself, when it is a regular, uncompressed file: parts of it can then be read
    /// apart ([`Capture::split`]).
    file: Option<Arc<File>>,
}

/// The bytes frames are read from: a chunk of the input read into memory, shared by reference
/// count between the reader and the threads that work on its frames.
pub type Bytes = Vec<u8>;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Size of one read: large enough that a read costs little per packet, small enough that what
/// the kernel has just copied is still in the core's cache when the records are read (on the
/// 300 MB bench file, `flows` took 0.040 s with 256 kB and 0.041 s with 1 MB reads, best of
/// eleven), and that memory stays low (a handful are in flight when worker threads hold some).
pub const CHUNK: usize = 256 << 10;

impl Capture {
    /// Opens a capture file, or standard input when `path` is `-`.
    ///
    /// Every input is read into chunks, a file too. Mapping a file copies nothing, but every page
    /// mapped must be entered in the page tables, faulted in and taken out again, which costs more
    /// than the kernel's copy into a chunk (on the 300 MB bench file, `flows` took 0.076 s mapped,
    /// 0.028 s of it in the kernel, and 0.057 s read), and the records are then read from a cache
    /// that the copy has just filled.
    pub fn open(path: &Path) -> Result<Capture, ReadError> {
        let name = path.display().to_string();
        let err = |e: io::Error| ReadError {
            file: name.clone(),
            offset: 0,
            kind: ErrorKind::Io(e),
        };
        if path.as_os_str() == "-" {
            let (input, _) = stream(Box::new(io::stdin())).map_err(err)?;
            return Ok(Capture {
                name: "<stdin>".into(),
                input,
                file: None,
            });
        }
        let file = File::open(path).map_err(err)?;
        let regular = file.metadata().map_err(err)?.is_file();
        let whole = file.try_clone().map_err(err)?;
        let (input, gzip) = stream(Box::new(file)).map_err(err)?;
        Ok(Capture {
            name,
            input,
            file: (regular && !gzip).then(|| Arc::new(whole)),
        })
    }

    /// Wraps any byte stream (tests, pipes).
    pub fn from_reader(name: &str, r: Box<dyn Read + Send>) -> Result<Capture, ReadError> {
        let (input, _) = stream(r).map_err(|e| ReadError {
            file: name.into(),
            offset: 0,
            kind: ErrorKind::Io(e),
        })?;
        Ok(Capture {
            name: name.into(),
            input,
            file: None,
        })
    }

    /// The name errors use for this input.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Starts reading frames.
    pub fn frames(&mut self) -> Frames<'_> {
        Frames::new(
            &self.name,
            Parser::default(),
            Box::new(self.input.as_mut()),
            0,
        )
    }
}

/// A capture file that several threads read whole at once, each from the start with frames of
/// its own ([`Replica::frames`]).
pub struct Replica {
    name: String,
    file: Arc<File>,
    len: u64,
}

impl Replica {
    /// `path` opened for several readers; `None` when it is not a regular, uncompressed file
    /// (standard input and pipes are read once; a compressed file would be inflated by every
    /// reader), or cannot be opened (reading it the usual way says why). Only the file is
    /// opened, no buffer read: a directory of captures may hold thousands. Every reader stops
    /// at the file's present length, so that all of them see the same frames of a file still
    /// being written.
    pub fn open(path: &Path) -> Option<Replica> {
        // Asked of the path before it is opened: opening a named pipe waits for its writer, and
        // closing it again would leave that writer with a broken pipe.
        if path.as_os_str() == "-" || !std::fs::metadata(path).ok()?.is_file() {
            return None;
        }
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut magic = [0u8; 2];
        let n = file.read_at(&mut magic, 0).ok()?;
        if n == magic.len() && magic == GZIP_MAGIC {
            return None;
        }
        Some(Replica {
            name: path.display().to_string(),
            file: Arc::new(file),
            len,
        })
    }

    /// The file's frames from its start, with positioned reads of its own.
    pub fn frames(&self) -> Frames<'_> {
        let whole = Part {
            file: self.file.clone(),
            at: 0,
            end: self.len,
        };
        Frames::new(&self.name, Parser::default(), Box::new(whole), 0)
    }
}

/// How far past each even cut [`Capture::split`] looks for a record boundary.
const SPLIT_SEARCH: usize = 1 << 20;
/// Records that must follow one another for a cut to be taken for a record boundary.
const SPLIT_RECORDS: usize = 16;
/// Bytes read past the search range, for the records that must follow a cut found near its end.
const SPLIT_MARGIN: usize = SPLIT_RECORDS * (24 + parser::MAX_ORIGLEN as usize);
/// Bytes read after an even cut, one window after the other until a record boundary is found (or
/// the file's end): the last holds the whole search range and the records that must follow a
/// boundary found at its end, as large as any packet's.
const SPLIT_WINDOWS: [usize; 4] = [64 << 10, 256 << 10, 1 << 20, SPLIT_SEARCH + SPLIT_MARGIN];

/// `n` bytes of `file` from offset `from`, read into `buf` (grown as needed).
fn window<'b>(file: &File, buf: &'b mut Vec<u8>, from: usize, n: usize) -> Option<&'b [u8]> {
    if buf.len() < n {
        buf.resize(n, 0);
    }
    file.read_exact_at(&mut buf[..n], from as u64).ok()?;
    Some(&buf[..n])
}

/// One part of a file, read with positioned reads (the parts of a file are read on several
/// threads at once, each at its own offset).
struct Part {
    file: Arc<File>,
    at: u64,
    end: u64,
}

impl Read for Part {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.at) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl Capture {
    /// Splits a classic pcap file into `parts` readers of about equal size, each part at least
    /// `min_part` bytes, to be read on as many threads: the first from the file's start, each
    /// other from a likely record boundary ([`Parser::plausible_records`]), each to the next one's
    /// start. `None` when the input is not such a file or is too small.
    ///
    /// The boundaries are looked for when the parts are taken ([`Split::part`]), on the threads
    /// that read them: looking for the 31 cuts of the 300 MB bench file before any thread started
    /// took 0.4-1.1 ms (a positioned read each, and a search past the first window for some),
    /// while the threads waited.
    ///
    /// A cut is a guess. The reader of the part before it confirms it: a part that ends cleanly
    /// (its last record ends exactly where the next part starts) proves that a record starts
    /// there, since the records of a file are found one after the other from its start. A part
    /// that does not end cleanly (an error) means the guess, or the file, is wrong, and the
    /// caller must read the file again in one piece.
    pub fn split(&self, parts: usize, min_part: usize) -> Option<Split<'_>> {
        let file = self.file.as_ref()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if parts < 2 || len < parts * min_part.max(1) {
            return None;
        }
        let mut buf = Vec::new();
        let mut header = Parser::default();
        let Step::Skip(first) = header.step(window(file, &mut buf, 0, 4096.min(len))?) else {
            return None;
        };
        let resumed = header.resume()?;
        Some(Split {
            name: &self.name,
            file,
            len,
            first,
            resumed,
            cuts: (0..parts).map(|_| OnceLock::new()).collect(),
        })
    }
}

/// A classic pcap file cut into parts ([`Capture::split`]), each found when it is taken.
pub struct Split<'a> {
    name: &'a str,
    file: &'a Arc<File>,
    len: usize,
    /// Where the first record starts, past the file's header.
    first: usize,
    /// The parser that read the file's header, to start every part but the first.
    resumed: Parser,
    /// The record boundary taken after each even cut (the first entry unused), once looked for:
    /// `None` inside when none was found.
    cuts: Vec<OnceLock<Option<usize>>>,
}

impl<'a> Split<'a> {
    /// How many parts the file is cut into.
    pub fn parts(&self) -> usize {
        self.cuts.len()
    }

    /// The frames of part `i`, from the record boundary after its even cut to the next part's.
    /// `None` when either boundary cannot be found, or they are not in order: the file must then
    /// be read whole, as when a part does not end cleanly.
    pub fn part(&self, i: usize) -> Option<Frames<'a>> {
        let (start, end) = (self.cut(i)?, self.cut(i + 1)?);
        if end <= start {
            return None;
        }
        // The first part reads the file header itself, as a whole read does.
        let (start, parser) = if i == 0 {
            (0, Parser::default())
        } else {
            (start, self.resumed.resume()?)
        };
        let part = Part {
            file: self.file.clone(),
            at: start as u64,
            end: end as u64,
        };
        Some(Frames::new(self.name, parser, Box::new(part), start as u64))
    }

    /// Where part `i` starts (the file's end for `i` = the number of parts). A part's reader asks
    /// for its own start and its end, the next part's start, which the thread that takes the next
    /// part at about the same time asks for too: a boundary not yet found is looked for by every
    /// thread that asks, the first answer kept (the search gives the same answer every time). One
    /// thread waiting for the other's search (`OnceLock::get_or_init`) slept on a futex up to 4
    /// times a run, the search being sometimes long (a window past the first).
    fn cut(&self, i: usize) -> Option<usize> {
        match i {
            0 => Some(self.first),
            i if i >= self.cuts.len() => Some(self.len),
            i => match self.cuts[i].get() {
                Some(&cut) => cut,
                None => {
                    let cut = self.search(i);
                    // Another thread's answer, if it came first, is the same.
                    let _ = self.cuts[i].set(cut);
                    cut
                }
            },
        }
    }

    /// The record boundary after the `i`-th even cut.
    fn search(&self, i: usize) -> Option<usize> {
        let (file, len) = (self.file, self.len);
        let even = len / self.cuts.len() * i;
        // One buffer per thread for every window it reads, zeroed once as far as it grows (a
        // buffer per search zeroed 2.4 M instructions' worth on the bench file, in both threads).
        thread_local! {
            static WINDOW: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        // A record boundary is almost always found in the first few kB after the even cut, and
        // the records that must follow it in a few more: small windows first (the whole range,
        // read and searched for every cut, took 2 ms of 32 cuts).
        WINDOW.with_borrow_mut(|buf| {
            let mut reached_end = false;
            SPLIT_WINDOWS.iter().find_map(|&n| {
                if reached_end {
                    return None;
                }
                reached_end = even + n >= len;
                let w = window(file, buf, even, n.min(len - even))?;
                let ends_file = even + w.len() == len;
                (0..SPLIT_SEARCH.min(w.len()))
                    .find(|&o| {
                        self.resumed
                            .plausible_records(&w[o..], SPLIT_RECORDS, ends_file)
                    })
                    .map(|o| even + o)
            })
        })
    }
}

/// Reads from `r`, decompressing when it starts with the gzip magic (then also true).
fn stream(r: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let mut br = BufReader::with_capacity(64 << 10, r);
    let head = br.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok((Box::new(flate2::bufread::MultiGzDecoder::new(br)), true))
    } else {
        // The buffered reader passes large reads straight through to the file.
        Ok((Box::new(br), false))
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
    r: Box<dyn Read + Send + 'a>,
    chunk: Arc<Bytes>,
    start: usize,
    end: usize,
    eof: bool,
    /// Input offset of `chunk[0]`.
    base: u64,
    pool: Vec<Arc<Bytes>>,
}

/// Chunks kept for reuse; beyond this, chunks still held elsewhere are simply dropped.
const POOL: usize = 64;

impl<'a> Frames<'a> {
    /// Frames read from `r` by `parser`, the first byte of `r` being input offset `base`.
    fn new(name: &'a str, parser: Parser, r: Box<dyn Read + Send + 'a>, base: u64) -> Frames<'a> {
        Frames {
            name,
            parser,
            r,
            chunk: Arc::new(Bytes::new()),
            start: 0,
            end: 0,
            eof: false,
            base,
            pool: Vec::new(),
        }
    }

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

    /// The chunk the frames were read into, for other frames to read into
    /// ([`Frames::read_into`]): a thread that reads a file's parts one after the other (see
    /// [`Capture::split`]) allocated and zeroed a chunk for each, 8 MB on the bench file.
    pub fn take_chunk(&mut self) -> Arc<Bytes> {
        std::mem::take(&mut self.chunk)
    }

    /// Reads into `chunk` (from [`Frames::take_chunk`]) rather than into a chunk of its own, before
    /// the first frame; nothing is done after it, or when another owner holds `chunk`.
    pub fn read_into(&mut self, mut chunk: Arc<Bytes>) {
        if self.start == 0 && self.end == 0 && Arc::get_mut(&mut chunk).is_some() {
            self.chunk = chunk;
        }
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
            if let Some((rec, used)) = self.parser.packet(window) {
                let at = self.start;
                self.start += used;
                return Ok(Some((rec, at, self.base + at as u64)));
            }
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
        if let Some(buf) = Arc::get_mut(&mut self.chunk).filter(|b| b.len() >= want) {
            // Nobody else holds the chunk: move the partial record to its front.
            buf.copy_within(self.start..self.end, 0);
        } else {
            let free = self.pool.iter().position(|c| Arc::strong_count(c) == 1);
            let mut next = match free {
                Some(i) => self.pool.swap_remove(i),
                None => Arc::new(Bytes::new()),
            };
            let buf = Arc::get_mut(&mut next).expect("a free chunk has one owner");
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
        let buf = Arc::get_mut(&mut self.chunk).expect("the current chunk has one owner");
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

    /// The next frame, or `None` at the clean end of the input.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, ReadError> {
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
