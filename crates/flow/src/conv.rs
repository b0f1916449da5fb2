//! Conversation tables: frames and bytes per pair of endpoints, as `tshark -z conv,...` counts.
//!
//! A conversation's side A is the sender of its first frame (in capture order); its start and end
//! are the earliest and latest frame times. Address-pair tables (eth, ip, ipv6) merge every flow
//! between two addresses; port tables (tcp, udp) have one row per flow record, so with timeouts
//! off they match tshark's `tcp.stream` / `udp.stream`.

use std::hash::Hash;

use hashbrown::HashMap;
use iotscope_packet::{Addr, Nanos};
use serde::Serialize;

use crate::{Flow, Side};

/// Frames and bytes in one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    pub frames: u64,
    pub bytes: u64,
}

impl std::ops::AddAssign for Count {
    fn add_assign(&mut self, o: Count) {
        self.frames += o.frames;
        self.bytes += o.bytes;
    }
}

/// One row of a conversation table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation<K> {
    pub a: K,
    pub b: K,
    pub a_to_b: Count,
    pub b_to_a: Count,
    pub first: Nanos,
    pub last: Nanos,
    /// Index of the conversation's first frame, which decides which side is A.
    pub first_frame: u64,
    /// How many tunnels deep that frame's packet of the conversation was (0: the frame itself):
    /// of a tunnelled frame, the tunnel's conversation comes first, as in tshark.
    pub depth: u8,
}

impl<K> Conversation<K> {
    pub fn total(&self) -> Count {
        let mut c = self.a_to_b;
        c += self.b_to_a;
        c
    }
}

/// Conversations keyed by an unordered pair of endpoints.
#[derive(Clone, Debug)]
pub struct Conversations<K> {
    map: HashMap<(K, K), Conversation<K>, foldhash::fast::RandomState>,
    /// The frames of the latest run of frames between one pair, not yet in `map`. Packets come
    /// in runs (three in four frames of a capture usually have the addresses of the frame before
    /// them), and a run is added to its row once, instead of hashing the pair for every frame.
    /// Rows are sums, so adding a run at once gives the same row as adding its frames one by one.
    run: Option<Conversation<K>>,
}

impl<K> Default for Conversations<K> {
    fn default() -> Self {
        Conversations {
            map: HashMap::with_hasher(Default::default()),
            run: None,
        }
    }
}

impl<K: Copy + Ord + Hash> Conversations<K> {
    /// Adds one frame from `src` to `dst`, its packet `depth` tunnels deep.
    #[inline]
    pub fn add(&mut self, src: K, dst: K, (frame, depth): (u64, u8), ts: Nanos, bytes: u32) {
        let one = Count {
            frames: 1,
            bytes: u64::from(bytes),
        };
        if let Some(r) = &mut self.run {
            // Frames come in capture order, so the run's first frame stays its first.
            let way = if (r.a, r.b) == (src, dst) {
                Some(&mut r.a_to_b)
            } else if (r.a, r.b) == (dst, src) {
                Some(&mut r.b_to_a)
            } else {
                None
            };
            if let Some(c) = way {
                *c += one;
                r.first = r.first.min(ts);
                r.last = r.last.max(ts);
                return;
            }
        }
        self.end_run();
        self.run = Some(Conversation {
            a: src,
            b: dst,
            a_to_b: one,
            b_to_a: Count::default(),
            first: ts,
            last: ts,
            first_frame: frame,
            depth,
        });
    }

    /// Adds the pending run of frames to its row.
    fn end_run(&mut self) {
        if let Some(r) = self.run.take() {
            let at = (r.first_frame, r.depth);
            self.add_counts(r.a, r.b, r.a_to_b, r.b_to_a, at, r.first, r.last);
        }
    }

    /// Adds frames exchanged by `x` and `y`, the first of them (number `frame`, `depth` tunnels
    /// deep) sent by `x`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_counts(
        &mut self,
        x: K,
        y: K,
        x_to_y: Count,
        y_to_x: Count,
        (frame, depth): (u64, u8),
        first: Nanos,
        last: Nanos,
    ) {
        let pair = if x <= y { (x, y) } else { (y, x) };
        let c = self.map.entry(pair).or_insert_with(|| Conversation {
            a: x,
            b: y,
            a_to_b: Count::default(),
            b_to_a: Count::default(),
            first,
            last,
            first_frame: frame,
            depth,
        });
        if (frame, depth) < (c.first_frame, c.depth) {
            // This contribution starts earlier: its first sender becomes side A.
            if c.a != x {
                std::mem::swap(&mut c.a, &mut c.b);
                std::mem::swap(&mut c.a_to_b, &mut c.b_to_a);
            }
            c.first_frame = frame;
            c.depth = depth;
        }
        if c.a == x {
            c.a_to_b += x_to_y;
            c.b_to_a += y_to_x;
        } else {
            c.a_to_b += y_to_x;
            c.b_to_a += x_to_y;
        }
        c.first = c.first.min(first);
        c.last = c.last.max(last);
    }

    /// Renumbers the frames (see [`crate::FlowOutput::renumber_frames`]).
    pub fn renumber_frames(&mut self, to: impl Fn(u64) -> u64) {
        self.end_run();
        for c in self.map.values_mut() {
            c.first_frame = to(c.first_frame);
        }
    }

    /// Adds every conversation of `other`.
    pub fn merge(&mut self, mut other: Conversations<K>) {
        other.end_run();
        for (_, c) in other.map {
            let at = (c.first_frame, c.depth);
            self.add_counts(c.a, c.b, c.a_to_b, c.b_to_a, at, c.first, c.last);
        }
    }

    pub fn len(&self) -> usize {
        let pending = self.run.as_ref().is_some_and(|r| {
            let pair = if r.a <= r.b { (r.a, r.b) } else { (r.b, r.a) };
            !self.map.contains_key(&pair)
        });
        self.map.len() + usize::from(pending)
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.run.is_none()
    }

    /// The rows, busiest first (by frames, then by first frame), as tshark lists them.
    pub fn into_sorted(mut self) -> Vec<Conversation<K>> {
        self.end_run();
        let mut v: Vec<_> = self.map.into_values().collect();
        sort_rows(&mut v);
        v
    }
}

fn sort_rows<K>(v: &mut [Conversation<K>]) {
    v.sort_by(|x, y| {
        y.total()
            .frames
            .cmp(&x.total().frames)
            .then(x.first_frame.cmp(&y.first_frame))
            .then(x.depth.cmp(&y.depth))
    });
}

fn counts(f: &Flow) -> (Side, Count, Count) {
    let s = f.first_sender;
    let c = |d: &crate::DirStats| Count {
        frames: d.packets,
        bytes: d.bytes,
    };
    (s, c(f.from(s)), c(f.from(s.other())))
}

/// The IP version of a stored address. (A v4-mapped address inside a real IPv6 header would be
/// taken for IPv4; such packets are not seen on real networks.)
pub fn is_v4(a: &Addr) -> bool {
    a.to_ipv4_mapped().is_some()
}

/// Adds one flow record to an address-pair table.
pub fn fold_addresses(t: &mut Conversations<Addr>, f: &Flow) {
    let (s, mut fwd, mut rev) = counts(f);
    let x = f.key.end(s).0;
    let y = f.key.end(s.other()).0;
    if x == y {
        // A host talking to itself (loopback): tshark counts every frame as A to B.
        fwd += rev;
        rev = Count::default();
    }
    t.add_counts(x, y, fwd, rev, (f.first_frame, f.depth), f.first, f.last);
}

/// The address-pair table of one IP version (`tshark -z conv,ip` or `conv,ipv6`), from flow
/// records and the records already folded into `folded`.
pub fn by_address(
    flows: &[Flow],
    folded: Conversations<Addr>,
    v6: bool,
) -> Vec<Conversation<Addr>> {
    let mut t = folded;
    for f in flows {
        fold_addresses(&mut t, f);
    }
    let mut rows = t.into_sorted();
    rows.retain(|c| is_v4(&c.a) != v6);
    rows
}

/// The port table of one transport protocol (`tshark -z conv,tcp` or `conv,udp`): a row per flow.
pub fn by_port(flows: &[Flow], proto: u8) -> Vec<Conversation<(Addr, u16)>> {
    let mut rows: Vec<_> = flows
        .iter()
        .filter(|f| f.key.proto == proto && f.key.ports_known)
        .map(|f| {
            let (s, fwd, rev) = counts(f);
            Conversation {
                a: f.key.end(s),
                b: f.key.end(s.other()),
                a_to_b: fwd,
                b_to_a: rev,
                first: f.first,
                last: f.last,
                first_frame: f.first_frame,
                depth: f.depth,
            }
        })
        .collect();
    sort_rows(&mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_frame_decides_side_a_even_when_merged_late() {
        let mut t = Conversations::default();
        t.add(2u8, 1u8, (5, 0), 50, 100);
        t.add(1u8, 2u8, (7, 0), 40, 10);
        let mut other = Conversations::default();
        other.add(1u8, 2u8, (3, 0), 60, 1);
        t.merge(other);
        let rows = t.into_sorted();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.a, r.b, r.first_frame), (1, 2, 3));
        assert_eq!(
            r.a_to_b,
            Count {
                frames: 2,
                bytes: 11
            }
        );
        assert_eq!(
            r.b_to_a,
            Count {
                frames: 1,
                bytes: 100
            }
        );
        assert_eq!((r.first, r.last), (40, 60));
    }
}
