//! Reading captures into flow tables, on one thread or several.
//!
//! With several threads, a regular pcap file whose address-pair tables alone are wanted is cut
//! into parts that every thread reads and frames itself ([`split_run`]). Every frame's worker is
//! otherwise picked from a symmetric hash of its address pair ([`pair_hash`]), so both
//! directions of a flow, and all fragments of a datagram, meet in one table. Regular,
//! uncompressed files are read whole by every thread, which keeps its own frames and passes over
//! the others ([`replicated_run`]). Other inputs (standard input, pipes, compressed files) are
//! read once, by the calling thread, which only reads: it frames the records and hands each to
//! its worker, with the chunk the frames were read into (shared, not copied) and the frames'
//! positions in it, in recycled batches; workers decode, count and track flows. The tables are
//! merged at the end. Nothing is allocated or copied per packet. With one thread everything runs
//! inline, without channels.

use std::path::PathBuf;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender};
use iotscope_packet::link::{pair_hash, pair_hash_of};
use iotscope_packet::tunnel::{self, MAX_DEPTH};
use iotscope_packet::{decode, decode_to, Decoded, LinkType, Malformed, Nanos, Net, Transport};
use iotscope_source::{Bytes, Capture, Format, Frames, Interface, ReadError, Replica};
use serde::Serialize;

use crate::{Config, FlowOutput, FlowTable, SweepClock, ALL_LAYERS};

/// Frames per batch handed to a worker: large enough to amortise the channel, small enough to
/// keep the workers' caches warm.
const BATCH: usize = 1024;
/// Batches in flight per worker.
const IN_FLIGHT: usize = 8;
/// With worker threads, every batch goes out at least once per this much input.
const FLUSH_EVERY: u64 = 1 << 20;
/// How many frames ahead a worker asks for the headers it will read.
const PREFETCH_FRAMES: usize = 4;

/// What was read from one input.
#[derive(Clone, Debug, Serialize)]
pub struct InputSummary {
    pub name: String,
    pub format: Option<String>,
    /// Link type name of each interface, in declaration order.
    pub interfaces: Vec<String>,
    pub sections: u32,
    pub frames: u64,
    /// The time of its first frame: when the capture began.
    pub first_ts: Option<Nanos>,
    /// The error that stopped reading, with the byte offset.
    pub error: Option<String>,
}

impl InputSummary {
    /// What `frames` (done reading) says of input `path`, of which `n` frames were read.
    fn of(
        path: &std::path::Path,
        frames: &Frames,
        n: u64,
        first_ts: Option<Nanos>,
    ) -> InputSummary {
        InputSummary {
            name: path.display().to_string(),
            format: frames.format().map(|f: Format| f.to_string()),
            interfaces: frames
                .interfaces()
                .iter()
                .map(|i: &Interface| i.link.name())
                .collect(),
            sections: frames.sections(),
            frames: n,
            first_ts,
            error: None,
        }
    }
}

/// Counts of everything read, over all inputs.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    pub frames: u64,
    /// Bytes captured (what the file holds) and bytes on the wire (original lengths).
    pub bytes_captured: u64,
    pub bytes_wire: u64,
    /// Time of the first frame in capture order (tshark's reference for relative times).
    pub first_ts: Option<Nanos>,
    /// Earliest and latest frame time.
    pub min_ts: Option<Nanos>,
    pub max_ts: Option<Nanos>,
    /// Frames per link type.
    pub link_types: Vec<(String, u64)>,
    /// Frames per network layer: ipv4, ipv6, arp, other (non-IP EtherTypes), none.
    pub net: [u64; 5],
    /// IP frames per transport: tcp, udp, icmp, icmpv6, other protocols, none (fragments, cut).
    pub transport: [u64; 6],
    /// Frames that could not be decoded to the end, by reason name.
    pub malformed: Vec<(String, u64)>,
    #[serde(skip)]
    first_frame: u64,
    #[serde(skip)]
    link_counts: Vec<(LinkType, u64)>,
    #[serde(skip)]
    malformed_counts: [u64; MALFORMED_KINDS],
}

const MALFORMED_KINDS: usize = 10;
const MALFORMED: [Malformed; MALFORMED_KINDS] = [
    Malformed::UnsupportedLinkType,
    Malformed::LinkTruncated,
    Malformed::NotIp,
    Malformed::WlanEncrypted,
    Malformed::IpTruncated,
    Malformed::IpInvalid,
    Malformed::Ipv6Extension,
    Malformed::TcpTruncated,
    Malformed::TcpInvalid,
    Malformed::UdpTruncated,
];

fn min_opt(a: Option<Nanos>, b: Option<Nanos>) -> Option<Nanos> {
    a.into_iter().chain(b).min()
}

fn max_opt(a: Option<Nanos>, b: Option<Nanos>) -> Option<Nanos> {
    a.into_iter().chain(b).max()
}

impl Counters {
    fn count(&mut self, it: &Item, caplen: usize, d: &Decoded) {
        self.frames += 1;
        self.bytes_captured += caplen as u64;
        self.bytes_wire += u64::from(it.wire_len);
        if self.first_ts.is_none() || it.frame < self.first_frame {
            self.first_ts = Some(it.ts);
            self.first_frame = it.frame;
        }
        self.min_ts = min_opt(self.min_ts, Some(it.ts));
        self.max_ts = max_opt(self.max_ts, Some(it.ts));
        match self.link_counts.iter_mut().find(|(l, _)| *l == it.link) {
            Some((_, n)) => *n += 1,
            None => self.link_counts.push((it.link, 1)),
        }
        self.net[match d.net {
            Net::Ipv4 => 0,
            Net::Ipv6 => 1,
            Net::Arp => 2,
            Net::Other => 3,
            Net::None => 4,
        }] += 1;
        if d.is_ip() {
            self.transport[match d.transport {
                Transport::Tcp => 0,
                Transport::Udp => 1,
                Transport::Icmp => 2,
                Transport::Icmpv6 => 3,
                Transport::Other => 4,
                Transport::None => 5,
            }] += 1;
        }
        if let Some(m) = d.malformed {
            if let Some(i) = MALFORMED.iter().position(|k| *k == m) {
                self.malformed_counts[i] += 1;
            }
        }
    }

    fn merge(&mut self, o: Counters) {
        self.frames += o.frames;
        self.bytes_captured += o.bytes_captured;
        self.bytes_wire += o.bytes_wire;
        if o.first_ts.is_some() && (self.first_ts.is_none() || o.first_frame < self.first_frame) {
            self.first_ts = o.first_ts;
            self.first_frame = o.first_frame;
        }
        self.min_ts = min_opt(self.min_ts, o.min_ts);
        self.max_ts = max_opt(self.max_ts, o.max_ts);
        for (l, n) in o.link_counts {
            match self.link_counts.iter_mut().find(|(x, _)| *x == l) {
                Some((_, m)) => *m += n,
                None => self.link_counts.push((l, n)),
            }
        }
        for i in 0..self.net.len() {
            self.net[i] += o.net[i];
        }
        for i in 0..self.transport.len() {
            self.transport[i] += o.transport[i];
        }
        for i in 0..MALFORMED_KINDS {
            self.malformed_counts[i] += o.malformed_counts[i];
        }
    }

    /// Renumbers the frames (see [`FlowOutput::renumber_frames`]).
    fn renumber_frames(&mut self, to: impl Fn(u64) -> u64) {
        self.first_frame = to(self.first_frame);
    }

    fn finish(&mut self) {
        self.link_counts.sort_by_key(|(l, _)| l.number());
        self.link_types = self
            .link_counts
            .iter()
            .map(|(l, n)| (l.name(), *n))
            .collect();
        self.malformed = MALFORMED
            .iter()
            .zip(self.malformed_counts)
            .filter(|(_, n)| *n > 0)
            .map(|(m, n)| (m.name().to_string(), n))
            .collect();
    }
}

/// The result of reading a set of captures.
#[derive(Debug)]
pub struct Run {
    pub inputs: Vec<InputSummary>,
    pub counters: Counters,
    pub flows: FlowOutput,
    /// Read errors, one per input that could not be read to its end.
    pub errors: Vec<ReadError>,
}

/// How to read.
#[derive(Clone, Debug)]
pub struct Options {
    pub flow: Config,
    /// Worker threads for decoding and flow tracking (1 = all work on the calling thread).
    pub threads: usize,
}

impl Options {
    /// Every parser run and its messages kept, on the calling thread: what the analysis and its
    /// tests read.
    pub fn for_analysis() -> Options {
        Options {
            flow: Config::with_messages(),
            threads: 1,
        }
    }
}

/// One frame: where it is in its chunk and what its record said.
#[derive(Clone, Copy)]
struct Item {
    frame: u64,
    ts: Nanos,
    wire_len: u32,
    link: LinkType,
    /// Offset in its chunk.
    start: usize,
    len: u32,
    /// The last sweep the reading thread's clock called for before this frame: its number and
    /// time. A worker that has not done it yet does it first.
    sweep: u32,
    sweep_at: Nanos,
    /// The frame's layers this worker tracks ([`FlowTable::add_layers`]): all of them, unless
    /// the frame is a tunnel packet whose inner packet belongs to another worker.
    layers: u8,
}

/// A worker's state: its flow table and its share of the counters.
struct Worker {
    table: FlowTable,
    counters: Counters,
    /// The last sweep done (with worker threads).
    sweep: u32,
}

impl Worker {
    fn new(cfg: Config) -> Worker {
        Worker {
            table: FlowTable::new(cfg),
            counters: Counters::default(),
            sweep: 0,
        }
    }

    #[inline]
    fn process(&mut self, it: &Item, data: &[u8]) {
        if it.sweep != self.sweep {
            self.sweep = it.sweep;
            self.table.sweep_at(it.sweep_at);
        }
        let mut d = Decoded::default();
        decode_to(it.link, data, &mut d);
        if it.layers & 1 != 0 {
            self.counters.count(it, data.len(), &d);
        }
        self.table
            .add_layers(it.frame, it.ts, it.wire_len, &d, data, it.layers);
    }
}

/// Frames of one chunk for one worker.
struct Batch {
    chunk: Arc<Bytes>,
    items: Vec<Item>,
}

/// Where frames go: straight to the one worker, in batches to the worker owning their hosts, or
/// to this thread's worker when it owns them.
enum Dispatch {
    Inline(Box<Worker>),
    /// One of `n` threads that each read every frame ([`replicated_run`]), keeping those a
    /// worker `me` would be handed ([`Dispatch::Workers`]) and passing over the others.
    Own {
        worker: Box<Worker>,
        me: usize,
        n: usize,
        sweeps: Sweeps,
    },
    Workers {
        sweeps: Sweeps,
        batches: Vec<Vec<Item>>,
        chunk: Arc<Bytes>,
        send: Vec<Sender<Batch>>,
        recycle: Receiver<Vec<Item>>,
    },
}

impl Dispatch {
    fn flush(&mut self, w: usize) {
        let Dispatch::Workers {
            batches,
            chunk,
            send,
            recycle,
            ..
        } = self
        else {
            return;
        };
        if batches[w].is_empty() {
            return;
        }
        let fresh = recycle
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let items = std::mem::replace(&mut batches[w], fresh);
        // A worker only goes away when it panicked; the join reports that.
        let _ = send[w].send(Batch {
            chunk: chunk.clone(),
            items,
        });
    }

    #[inline]
    fn push(&mut self, mut it: Item, current: &Arc<Bytes>, data: &[u8]) {
        match self {
            Dispatch::Inline(w) => w.process(&it, data),
            Dispatch::Own {
                worker,
                me,
                n,
                sweeps,
            } => {
                // The same sweeps, owners and layers as a reader handing the frames out.
                sweeps.stamp(&mut it);
                match owners(it.link, data, *n) {
                    (w, None) if w == *me => worker.process(&it, data),
                    (_, None) => {}
                    (_, Some((owners, count))) => {
                        if let Some(&(_, layers)) = owners[..count].iter().find(|(o, _)| o == me) {
                            it.layers = layers;
                            worker.process(&it, data);
                        }
                    }
                }
            }
            Dispatch::Workers {
                batches,
                chunk,
                sweeps,
                ..
            } => {
                sweeps.stamp(&mut it);
                if !Arc::ptr_eq(chunk, current) {
                    // The reader moved to a new chunk: the batches of the old one go out first.
                    for w in 0..batches.len() {
                        self.flush(w);
                    }
                    let Dispatch::Workers { chunk, .. } = self else {
                        return;
                    };
                    *chunk = current.clone();
                }
                let Dispatch::Workers { batches, .. } = self else {
                    return;
                };
                match owners(it.link, data, batches.len()) {
                    (w, None) => self.put(w, it),
                    (_, Some((owners, count))) => {
                        for &(w, layers) in &owners[..count] {
                            it.layers = layers;
                            self.put(w, it);
                        }
                    }
                }
            }
        }
    }

    fn put(&mut self, w: usize, it: Item) {
        let Dispatch::Workers { batches, .. } = self else {
            return;
        };
        batches[w].push(it);
        if batches[w].len() == BATCH {
            self.flush(w);
        }
    }

    fn flush_all(&mut self) {
        if let Dispatch::Workers { batches, .. } = self {
            for w in 0..batches.len() {
                self.flush(w);
            }
        }
    }
}

/// One sweep schedule for all the workers' tables, kept from every frame's time by a thread that
/// sees every frame: each frame carries the last sweep due before it.
struct Sweeps {
    clock: SweepClock,
    last: u32,
    at: Nanos,
}

impl Sweeps {
    fn new(cfg: &Config) -> Sweeps {
        Sweeps {
            clock: SweepClock::new(cfg),
            last: 0,
            at: 0,
        }
    }

    fn stamp(&mut self, it: &mut Item) {
        if self.clock.due(it.ts) {
            self.last += 1;
            self.at = it.ts;
        }
        (it.sweep, it.sweep_at) = (self.last, self.at);
    }
}

/// The worker of a frame among `n`, from its address pair; and when it is a tunnel packet whose
/// inner packets belong to others, every worker with the layers it tracks ([`tunnel_owners`]).
#[allow(clippy::type_complexity)]
fn owners(
    link: LinkType,
    data: &[u8],
    n: usize,
) -> (usize, Option<([(usize, u8); MAX_DEPTH + 1], usize)>) {
    let (hash, may_tunnel) = pair_hash(link, data);
    let w = (hash % n as u64) as usize;
    (
        w,
        may_tunnel
            .then(|| tunnel_owners(link, data, n, w))
            .flatten(),
    )
}

/// The workers that own the layers of a tunnel packet (worker `w` owning the frame itself), each
/// with the layers it tracks; `None` when `w` owns them all. The packet a tunnel carries goes to
/// the worker of its own address pair, where the same hosts' untunnelled packets, and the same
/// flow carried by other tunnel ends, also go.
fn tunnel_owners(
    link: LinkType,
    data: &[u8],
    n: usize,
    w: usize,
) -> Option<([(usize, u8); MAX_DEPTH + 1], usize)> {
    let mut owners = [(w, 1u8); MAX_DEPTH + 1];
    let mut count = 1;
    let mut outer = decode(link, data);
    for depth in 1..=MAX_DEPTH {
        let Some((_, inner)) = tunnel::decode_inner(&outer, data) else {
            break;
        };
        let owner = (pair_hash_of(&inner) % n as u64) as usize;
        match owners[..count].iter_mut().find(|(o, _)| *o == owner) {
            Some((_, layers)) => *layers |= 1 << depth,
            None => {
                owners[count] = (owner, 1 << depth);
                count += 1;
            }
        }
        outer = inner;
    }
    (count > 1).then_some((owners, count))
}

/// How far reading has got, for a progress indicator on another thread.
#[derive(Debug, Default)]
pub struct Progress {
    /// Frames read so far (updated every [`PROGRESS_EVERY`] frames).
    pub frames: std::sync::atomic::AtomicU64,
    /// Index of the input being read.
    pub input: std::sync::atomic::AtomicUsize,
}

/// Frames between updates of [`Progress`]: rare enough to cost nothing per packet.
pub const PROGRESS_EVERY: u64 = 1 << 14;

/// Reads `paths` in order, as one timeline, into flow tables.
pub fn run(paths: &[PathBuf], opts: &Options) -> Run {
    run_with_progress(paths, opts, None)
}

/// [`run`], reporting how far it has got in `progress`.
pub fn run_with_progress(paths: &[PathBuf], opts: &Options, progress: Option<&Progress>) -> Run {
    let threads = opts.threads.max(1);
    if let [path] = paths {
        if let Some(run) = split_run(path, opts, threads, progress) {
            return run;
        }
    }
    if threads > 1 {
        if let Some(run) = replicated_run(paths, opts, threads, progress) {
            return run;
        }
    }
    if threads == 1 {
        let mut dispatch = Dispatch::Inline(Box::new(Worker::new(opts.flow)));
        let (inputs, errors) = read_all(
            paths.iter().map(|p| Source::Path(p)),
            &mut dispatch,
            progress,
        );
        let Dispatch::Inline(w) = dispatch else {
            unreachable!()
        };
        let mut counters = w.counters;
        counters.finish();
        return Run {
            inputs,
            counters,
            flows: w.table.finish(),
            errors,
        };
    }
    let mut cfg = opts.flow;
    cfg.max_flows = (cfg.max_flows / threads).max(1);
    let (recycle_tx, recycle_rx) = bounded::<Vec<Item>>(threads * IN_FLIGHT * 2);
    std::thread::scope(|scope| {
        let mut send = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..threads {
            let (tx, rx) = bounded::<Batch>(IN_FLIGHT);
            send.push(tx);
            let recycle = recycle_tx.clone();
            handles.push(scope.spawn(move || {
                let mut w = Worker::new(cfg);
                w.table.external_sweeps();
                for Batch { chunk, mut items } in rx {
                    for (i, it) in items.iter().enumerate() {
                        // The frames were read on another core: ask for the headers of one a few
                        // places ahead, so that its cache misses overlap this frame's work.
                        if let Some(next) = items.get(i + PREFETCH_FRAMES) {
                            let s = next.start;
                            let e = s + (next.len as usize).min(128);
                            iotscope_source::prefetch(&chunk[s..e]);
                        }
                        let s = it.start;
                        w.process(it, &chunk[s..s + it.len as usize]);
                    }
                    items.clear();
                    let _ = recycle.try_send(items);
                }
                (w.table.finish(), w.counters)
            }));
        }
        let batches = (0..threads).map(|_| Vec::with_capacity(BATCH)).collect();
        let mut dispatch = Dispatch::Workers {
            sweeps: Sweeps::new(&cfg),
            batches,
            chunk: Arc::new(Bytes::new()),
            send,
            recycle: recycle_rx,
        };
        let (inputs, errors) = read_all(
            paths.iter().map(|p| Source::Path(p)),
            &mut dispatch,
            progress,
        );
        dispatch.flush_all();
        drop(dispatch);
        let mut counters = Counters::default();
        let mut parts = Vec::new();
        for h in handles {
            let (flows, c) = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            parts.push(flows);
            counters.merge(c);
        }
        counters.finish();
        Run {
            inputs,
            counters,
            flows: FlowOutput::merge(parts),
            errors,
        }
    })
}

/// Parts of a file at least this large are read on threads of their own ([`split_run`]).
pub const SPLIT_MIN_PART: usize = 1 << 20;
/// A file is cut into this many parts per thread, taken in turn by whichever thread is free: with
/// one part per thread, the threads ended up to 3 ms apart on the 300 MB bench file (about 18
/// ms each), the one that started late or was interrupted holding up the end. Two threads used
/// 1.59 CPUs with 4 parts each, 1.69 with 8 and 1.75-1.83 with 16 (30 runs each).
const PARTS_PER_THREAD: usize = 16;
/// Frames of part `i` of a file read in parts are numbered from `i << PART_SHIFT` on, until the
/// parts are joined: room for 2^40 frames a part, below a flow id's depth bits (56 on).
const PART_SHIFT: u32 = 40;
/// The most parts a file is cut into, whatever the threads: their numbers stay below the depth
/// bits.
const MAX_PARTS: usize = 1 << 12;

/// One pcap file read in parts on `threads` threads, each thread with its own flow table, the
/// tables merged at the end; `None` when that cannot be done, and the file is read as usual.
///
/// Only when the address-pair tables are all that is wanted (`Config::fold_addresses`, no
/// parsers): a flow that crosses a cut becomes a record on each side, and only frame and byte
/// counts per pair of addresses (and per pair of MACs) are the same whatever the cuts. A reading
/// thread that hands frames to workers is the bottleneck of two threads; with parts, every thread
/// frames its own.
fn split_run(
    path: &std::path::Path,
    opts: &Options,
    threads: usize,
    progress: Option<&Progress>,
) -> Option<Run> {
    if threads < 2 || !opts.flow.fold_addresses || opts.flow.messages {
        return None;
    }
    // Only a regular file can be split, and opened again when it cannot be: opening standard
    // input or a pipe reads from it, and what was read would be lost.
    let len = match std::fs::metadata(path) {
        Ok(m) if m.is_file() && path.as_os_str() != "-" => m.len(),
        _ => return None,
    };
    let cap = Capture::open(path).ok()?;
    // As many parts as the file holds of at least `SPLIT_MIN_PART`, up to `PARTS_PER_THREAD` a
    // thread and `MAX_PARTS` in all.
    let n = usize::try_from(len / SPLIT_MIN_PART as u64)
        .unwrap_or(usize::MAX)
        .min(threads.saturating_mul(PARTS_PER_THREAD))
        .min(MAX_PARTS)
        .max(threads.min(MAX_PARTS));
    let split = cap.split(n, SPLIT_MIN_PART)?;
    let mut cfg = opts.flow;
    cfg.max_flows = (cfg.max_flows / threads).max(1);
    // Each thread takes the next part not yet taken until none is left, into one table of its
    // own; the calling thread is one of them (one thread fewer to start). The frames of part `i`
    // are numbered from `i << PART_SHIFT` on: a thread takes its parts in file order, so the
    // numbers keep the order of the frames, and once every part has been read they become the
    // frames' numbers in the file. A part whose boundaries cannot be found stops every thread:
    // the file is read whole instead.
    let next = AtomicUsize::new(0);
    let unfound = AtomicBool::new(false);
    let work = || {
        let mut dispatch = Dispatch::Inline(Box::new(Worker::new(cfg)));
        let mut done = Vec::new();
        // One chunk for every part the thread reads.
        let mut chunk = Arc::default();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= split.parts() || unfound.load(Ordering::Relaxed) {
                break;
            }
            let Some(mut frames) = split.part(i) else {
                unfound.store(true, Ordering::Relaxed);
                break;
            };
            frames.read_into(std::mem::take(&mut chunk));
            let start = (i as u64) << PART_SHIFT;
            let (mut n, mut first) = (start, None);
            let shown = if i == 0 { progress } else { None };
            let r = read_one(&mut frames, &mut dispatch, (&mut n, &mut first), shown);
            let n = n - start;
            done.push((i, r, n, InputSummary::of(path, &frames, n, first)));
            chunk = frames.take_chunk();
        }
        let Dispatch::Inline(w) = dispatch else {
            unreachable!()
        };
        (done, w)
    };
    let (done, workers): (Vec<_>, Vec<_>) = on_threads(threads, |_| work()).into_iter().unzip();
    let mut done: Vec<_> = done.into_iter().flatten().collect();
    if unfound.into_inner() {
        return None;
    }
    done.sort_by_key(|(i, ..)| *i);
    // Every part but the last must end cleanly, where the next one starts: that proves each cut
    // was a record boundary (see `Capture::split`); an error there means a cut was wrong, and
    // the file is read again. After a stop on request (Ctrl-C) nothing is read again (the reads
    // would stop at once): everything read is reported, the start of the file up to the first
    // part that stopped and what the other threads had read of the parts after it, whose cuts
    // no part before them confirmed and whose frames are numbered as if the parts between had
    // been read whole. The one error reported is the first in file order.
    let stopped = done
        .iter()
        .position(|(_, r, ..)| r.as_ref().is_err_and(ReadError::is_stop))
        .unwrap_or(done.len());
    if done[..stopped.min(done.len() - 1)]
        .iter()
        .any(|(_, r, ..)| r.is_err())
    {
        return None;
    }
    // Where each part's frames start in the file.
    let mut starts = Vec::with_capacity(done.len());
    let mut frames = 0;
    for (_, _, n, _) in &done {
        starts.push(frames);
        frames += n;
    }
    let mask = (1 << PART_SHIFT) - 1;
    let to = |f: u64| starts[(f >> PART_SHIFT) as usize] + (f & mask);
    let mut counters = Counters::default();
    let mut outputs = Vec::new();
    for w in workers {
        let Worker {
            table,
            counters: mut c,
            ..
        } = *w;
        c.renumber_frames(to);
        counters.merge(c);
        let mut out = table.finish();
        out.renumber_frames(to);
        outputs.push(out);
    }
    let errors: Vec<ReadError> = done
        .iter_mut()
        .find_map(|(_, r, ..)| std::mem::replace(r, Ok(())).err())
        .into_iter()
        .collect();
    let mut input = done.into_iter().next()?.3;
    input.frames = frames;
    input.error = errors.first().map(|e| e.to_string());
    counters.finish();
    Some(Run {
        inputs: vec![input],
        counters,
        flows: FlowOutput::merge(outputs),
        errors,
    })
}

/// Captures that are all regular, uncompressed files, read whole by every one of `threads`
/// threads at once ([`Replica`]), each thread keeping in a table of its own the frames
/// the reader of [`Dispatch::Workers`] would hand its worker, in the same batches' order, and
/// passing over the others once framed and hashed; `None` when an input cannot be read more than
/// once, and it is read once and handed out.
///
/// One reader was the bottleneck of two threads: it copied the file out of the page cache into
/// chunks the other core had just read (their cache lines moving between the cores), framed and
/// hashed every frame and handed it out, 88 ms of CPU on the 300 MB bench file against 72 and
/// 53 ms for the two workers of `report`. Reading is a small part of the work when the parsers
/// run (`flows` alone reads, frames and tracks the file in 31 ms on one thread, `report`'s
/// reading takes 150 ms): every thread doing it, on its own core and cache, costs less than
/// handing frames between threads. The flows and messages are the same as the workers' (the
/// same frames reach the same tables in the same order, with the same sweeps).
fn replicated_run(
    paths: &[PathBuf],
    opts: &Options,
    threads: usize,
    progress: Option<&Progress>,
) -> Option<Run> {
    if paths.is_empty() {
        return None;
    }
    let replicas: Vec<Replica> = paths
        .iter()
        .map(|p| Replica::open(p))
        .collect::<Option<_>>()?;
    let mut cfg = opts.flow;
    cfg.max_flows = (cfg.max_flows / threads).max(1);
    let work = |me: usize| {
        let mut worker = Worker::new(cfg);
        worker.table.external_sweeps();
        let mut dispatch = Dispatch::Own {
            worker: Box::new(worker),
            me,
            n: threads,
            sweeps: Sweeps::new(&cfg),
        };
        let sources = paths
            .iter()
            .zip(&replicas)
            .map(|(p, r)| Source::Replica(p, r));
        let shown = if me == 0 { progress } else { None };
        let (inputs, errors) = read_all(sources, &mut dispatch, shown);
        let Dispatch::Own { worker, .. } = dispatch else {
            unreachable!()
        };
        let Worker {
            table, counters, ..
        } = *worker;
        (inputs, errors, table.finish(), counters)
    };
    let mut done = on_threads(threads, work);
    // Every thread read the same frames and met the same errors (after a stop on request, each
    // stopped where it was): the first thread's summaries and errors stand for all.
    let (inputs, errors, ..) = &mut done[0];
    let (inputs, errors) = (std::mem::take(inputs), std::mem::take(errors));
    let mut counters = Counters::default();
    let mut parts = Vec::new();
    for (_, _, flows, c) in done {
        counters.merge(c);
        parts.push(flows);
    }
    counters.finish();
    Some(Run {
        inputs,
        counters,
        flows: FlowOutput::merge(parts),
        errors,
    })
}

/// `work(0)` to `work(threads - 1)`, each on a thread of its own, the calling thread doing the
/// first; the results in that order.
fn on_threads<T: Send>(threads: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let work = &work;
    std::thread::scope(|scope| {
        let caller = current_cpu();
        let others: Vec<_> = (1..threads)
            .map(|me| {
                scope.spawn(move || {
                    leave_cpu(caller);
                    work(me)
                })
            })
            .collect();
        let_others_run();
        let mut done = vec![work(0)];
        for h in others {
            done.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        done
    })
}

/// The CPU the calling thread runs on, if known.
fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu takes no argument and only returns a number.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Moves the calling thread to another CPU than `cpu` (when it is on it and another is allowed),
/// then allows it every CPU it was allowed before. A new thread starts on its parent's CPU more
/// often than not here, and the idle CPU took up to a scheduler tick (4 ms) to take it over: in
/// one run of `perf sched` out of two on the 2-core machine of bench/README.md the threads shared
/// one CPU for 4 ms, a fifth of the run. Excluding the CPU from the thread's allowed set moves it
/// at once; allowing it again leaves it where it is. The `libc` calls are used directly: the
/// affinity crates pin a thread to one core and have no way to leave one out.
fn leave_cpu(cpu: Option<usize>) {
    #[cfg(target_os = "linux")]
    {
        let Some(cpu) = cpu.filter(|&c| c < libc::CPU_SETSIZE as usize) else {
            return;
        };
        if current_cpu() != Some(cpu) {
            return;
        }
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: the sets are plain bit arrays of the size given to the calls, which only read
        // or write them; 0 names the calling thread.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut allowed) != 0
                || !libc::CPU_ISSET(cpu, &allowed)
            {
                return;
            }
            let mut others = allowed;
            libc::CPU_CLR(cpu, &mut others);
            if libc::CPU_COUNT(&others) == 0 || libc::sched_setaffinity(0, size, &others) != 0 {
                return;
            }
            libc::sched_setaffinity(0, size, &allowed);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

/// Gives the CPU to a thread just started on it, if any, which then leaves it ([`leave_cpu`]).
fn let_others_run() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_yield takes no argument.
    unsafe {
        libc::sched_yield();
    }
}

/// Where an input's frames come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// A path, opened when its turn comes.
    Path(&'a std::path::Path),
    /// A file every thread reads whole ([`replicated_run`]).
    Replica(&'a std::path::Path, &'a Replica),
}

fn read_all<'a>(
    sources: impl Iterator<Item = Source<'a>>,
    dispatch: &mut Dispatch,
    progress: Option<&Progress>,
) -> (Vec<InputSummary>, Vec<ReadError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut frame_no = 0u64;
    for (n, source) in sources.enumerate() {
        if let Some(p) = progress {
            p.input.store(n, std::sync::atomic::Ordering::Relaxed);
        }
        let path = match source {
            Source::Path(p) | Source::Replica(p, _) => p,
        };
        let mut summary = InputSummary {
            name: path.display().to_string(),
            format: None,
            interfaces: Vec::new(),
            sections: 0,
            frames: 0,
            first_ts: None,
            error: None,
        };
        let mut read = |frames: &mut Frames<'_>| {
            let before = frame_no;
            let mut first = None;
            let r = read_one(frames, dispatch, (&mut frame_no, &mut first), progress);
            summary = InputSummary::of(path, frames, frame_no - before, first);
            r
        };
        let result = match source {
            Source::Path(p) => Capture::open(p).and_then(|mut cap| read(&mut cap.frames())),
            Source::Replica(_, r) => read(&mut r.frames()),
        };
        let stopped = result.as_ref().is_err_and(ReadError::is_stop);
        if let Err(e) = result {
            summary.error = Some(e.to_string());
            errors.push(e);
        }
        inputs.push(summary);
        // The inputs after one stopped on request are not opened. (One that ended by itself
        // first, as a pipe does when tcpdump gets the same Ctrl-C, leaves the next one to stop
        // at its first frame.)
        if stopped {
            break;
        }
    }
    (inputs, errors)
}

/// Reads every frame of one input into `dispatch`; `frame_no` counts them on over the inputs,
/// and `first_ts` gets the time of this input's first.
fn read_one(
    frames: &mut Frames<'_>,
    dispatch: &mut Dispatch,
    (frame_no, first_ts): (&mut u64, &mut Option<Nanos>),
    progress: Option<&Progress>,
) -> Result<(), ReadError> {
    let mut next_flush = FLUSH_EVERY;
    loop {
        if *frame_no % PROGRESS_EVERY == 0 {
            if let Some(p) = progress {
                p.frames
                    .store(*frame_no, std::sync::atomic::Ordering::Relaxed);
            }
        }
        // Live input piped from a capture program ends only when asked to.
        if iotscope_source::stop_requested() {
            return Err(frames.stopped());
        }
        let (mut it, at) = match frames.next_frame()? {
            None => return Ok(()),
            Some(f) => {
                if first_ts.is_none() {
                    *first_ts = Some(f.ts);
                }
                let it = Item {
                    frame: *frame_no,
                    ts: f.ts,
                    wire_len: f.origlen,
                    link: f.link,
                    start: 0,
                    len: f.data.len() as u32,
                    sweep: 0,
                    sweep_at: 0,
                    layers: ALL_LAYERS,
                };
                (it, f.data.as_ptr() as usize)
            }
        };
        *frame_no += 1;
        let chunk = frames.chunk();
        let start = at - chunk.as_ptr() as usize;
        it.start = start;
        dispatch.push(it, chunk, &chunk[start..start + it.len as usize]);
        // Batches that fill slowly (a quiet host's frames) go out at least this often, so that
        // no frame far behind the reader is still waiting.
        if let Dispatch::Workers { .. } = dispatch {
            let pos = frames.position();
            if pos >= next_flush {
                dispatch.flush_all();
                next_flush = pos + FLUSH_EVERY;
            }
        }
    }
}
