//! Reading captures into flow tables, on one thread or several.
//!
//! One thread reads and decodes every frame (it has to: the flow key decides which worker owns the
//! frame) and counts what it saw; the flow-table work is spread over `threads` workers by a
//! symmetric hash of the flow key, so both directions of a flow meet in one table. Workers get
//! small fixed-size summaries ([`Decoded`]) in recycled batches: nothing is allocated or copied
//! per packet. With one thread everything runs inline, without channels.

use std::path::PathBuf;

use crossbeam_channel::{bounded, Receiver, Sender};
use iotscope_packet::{decode, Decoded, LinkType, Malformed, Nanos, Net, Transport};
use iotscope_source::{Capture, Format, Frame, Interface, ReadError};
use serde::Serialize;

use crate::{Config, FlowKey, FlowOutput, FlowTable};

/// Frames per batch handed to a worker: large enough to amortise the channel, small enough to
/// keep the workers' caches warm.
const BATCH: usize = 1024;
/// Batches in flight per worker.
const IN_FLIGHT: usize = 8;

/// What was read from one input.
#[derive(Clone, Debug, Serialize)]
pub struct InputSummary {
    pub name: String,
    pub format: Option<String>,
    /// Link type name of each interface, in declaration order.
    pub interfaces: Vec<String>,
    pub sections: u32,
    pub frames: u64,
    /// The error that stopped reading, with the byte offset.
    pub error: Option<String>,
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
    link_counts: Vec<(LinkType, u64)>,
    #[serde(skip)]
    malformed_counts: [u64; MALFORMED_KINDS],
}

const MALFORMED_KINDS: usize = 9;
const MALFORMED: [Malformed; MALFORMED_KINDS] = [
    Malformed::UnsupportedLinkType,
    Malformed::LinkTruncated,
    Malformed::NotIp,
    Malformed::IpTruncated,
    Malformed::IpInvalid,
    Malformed::Ipv6Extension,
    Malformed::TcpTruncated,
    Malformed::TcpInvalid,
    Malformed::UdpTruncated,
];

impl Counters {
    fn count(&mut self, f: &Frame<'_>, d: &Decoded) {
        self.frames += 1;
        self.bytes_captured += f.data.len() as u64;
        self.bytes_wire += u64::from(f.origlen);
        self.first_ts.get_or_insert(f.ts);
        self.min_ts = Some(self.min_ts.map_or(f.ts, |t| t.min(f.ts)));
        self.max_ts = Some(self.max_ts.map_or(f.ts, |t| t.max(f.ts)));
        match self.link_counts.iter_mut().find(|(l, _)| *l == f.link) {
            Some((_, n)) => *n += 1,
            None => self.link_counts.push((f.link, 1)),
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

    fn finish(&mut self) {
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
    /// Worker threads for the flow tables (1 = all work on the calling thread).
    pub threads: usize,
}

/// One frame's worth of work for a flow table.
#[derive(Clone, Copy)]
struct Item {
    frame: u64,
    ts: Nanos,
    wire_len: u32,
    d: Decoded,
}

/// Where decoded frames go: straight into one table, or to the worker that owns the flow.
enum Dispatch {
    Inline(Box<FlowTable>),
    Workers {
        batches: Vec<Vec<Item>>,
        send: Vec<Sender<Vec<Item>>>,
        recycle: Receiver<Vec<Item>>,
    },
}

impl Dispatch {
    #[inline]
    fn push(&mut self, item: Item) {
        match self {
            Dispatch::Inline(t) => t.add(item.frame, item.ts, item.wire_len, &item.d),
            Dispatch::Workers {
                batches,
                send,
                recycle,
            } => {
                let n = batches.len();
                let w = if item.d.is_ip() {
                    FlowKey::of(&item.d).0.shard(n)
                } else if let Some((s, d)) = item.d.eth {
                    // Non-IP frames only feed the Ethernet table: spread them by address pair.
                    let pair = if s <= d { (s, d) } else { (d, s) };
                    (pair.0[5] as usize ^ pair.1[5] as usize) % n
                } else {
                    0
                };
                batches[w].push(item);
                if batches[w].len() == BATCH {
                    let fresh = recycle
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    let full = std::mem::replace(&mut batches[w], fresh);
                    // A worker only goes away when it panicked; the join below reports that.
                    let _ = send[w].send(full);
                }
            }
        }
    }
}

/// Reads `paths` in order, as one timeline, into flow tables.
pub fn run(paths: &[PathBuf], opts: &Options) -> Run {
    let threads = opts.threads.max(1);
    if threads == 1 {
        let mut dispatch = Dispatch::Inline(Box::new(FlowTable::new(opts.flow)));
        let (inputs, counters, errors) = read_all(paths, &mut dispatch);
        let Dispatch::Inline(table) = dispatch else {
            unreachable!()
        };
        return Run {
            inputs,
            counters,
            flows: table.finish(),
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
            let (tx, rx) = bounded::<Vec<Item>>(IN_FLIGHT);
            send.push(tx);
            let recycle = recycle_tx.clone();
            handles.push(scope.spawn(move || {
                let mut table = FlowTable::new(cfg);
                for mut batch in rx {
                    for it in &batch {
                        table.add(it.frame, it.ts, it.wire_len, &it.d);
                    }
                    batch.clear();
                    let _ = recycle.try_send(batch);
                }
                table.finish()
            }));
        }
        let batches = (0..threads).map(|_| Vec::with_capacity(BATCH)).collect();
        let mut dispatch = Dispatch::Workers {
            batches,
            send,
            recycle: recycle_rx,
        };
        let (inputs, counters, errors) = read_all(paths, &mut dispatch);
        let Dispatch::Workers { batches, send, .. } = dispatch else {
            unreachable!()
        };
        for (b, tx) in batches.into_iter().zip(&send) {
            let _ = tx.send(b);
        }
        drop(send);
        let parts = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        Run {
            inputs,
            counters,
            flows: FlowOutput::merge(parts),
            errors,
        }
    })
}

fn read_all(
    paths: &[PathBuf],
    dispatch: &mut Dispatch,
) -> (Vec<InputSummary>, Counters, Vec<ReadError>) {
    let mut counters = Counters::default();
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let mut summary = InputSummary {
            name: path.display().to_string(),
            format: None,
            interfaces: Vec::new(),
            sections: 0,
            frames: 0,
            error: None,
        };
        let result = Capture::open(path).and_then(|mut cap| {
            let mut frames = cap.frames();
            let r = read_one(&mut frames, &mut counters, dispatch, &mut summary.frames);
            summary.format = frames.format().map(|f: Format| f.to_string());
            summary.interfaces = frames
                .interfaces()
                .iter()
                .map(|i: &Interface| i.link.name())
                .collect();
            summary.sections = frames.sections();
            r
        });
        if let Err(e) = result {
            summary.error = Some(e.to_string());
            errors.push(e);
        }
        inputs.push(summary);
    }
    counters.finish();
    (inputs, counters, errors)
}

fn read_one(
    frames: &mut iotscope_source::Frames<'_>,
    counters: &mut Counters,
    dispatch: &mut Dispatch,
    read: &mut u64,
) -> Result<(), ReadError> {
    while let Some(f) = frames.next_frame()? {
        let d = decode(f.link, f.data);
        counters.count(&f, &d);
        *read += 1;
        dispatch.push(Item {
            frame: counters.frames - 1,
            ts: f.ts,
            wire_len: f.origlen,
            d,
        });
    }
    Ok(())
}
