//! Messages read again from the same bytes: a device announces itself by mDNS and SSDP every few
//! seconds, with the same datagram each time, asks the same names again and again, and meets the
//! same servers' certificates. The message read from some bytes is kept, per thread and shared,
//! for the next time exactly the same bytes come, which are then not read again, and whose event
//! holds the same message rather than a copy.
//!
//! The bytes are compared whole (a hash alone could confuse two messages), and the cache is
//! bounded: past [`MAX_HELD`] bytes held, the bytes and what was read of them (a small datagram
//! can make a large message: DNS compression repeats a long name in every record), it starts
//! afresh.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Bytes a thread keeps per kind of message: datagrams, and the messages read of them.
const MAX_HELD: usize = 4 << 20;
/// Longest datagram kept by default (larger ones are read every time).
const MAX_BYTES: usize = 4096;

/// Messages by the hash of their bytes, with the bytes.
type ByHash<T> = HashMap<u64, Vec<(Box<[u8]>, Arc<T>)>, foldhash::fast::FixedState>;

/// Messages of one kind, by the bytes they were read from.
pub struct Recent<T> {
    by_hash: ByHash<T>,
    held: usize,
    /// The most bytes a message kept was read from.
    max_bytes: usize,
}

impl<T> Default for Recent<T> {
    /// For datagrams.
    fn default() -> Self {
        Recent::up_to(MAX_BYTES)
    }
}

impl<T> Recent<T> {
    /// Keeps the messages read from at most `max_bytes` bytes.
    pub fn up_to(max_bytes: usize) -> Self {
        Recent {
            by_hash: ByHash::default(),
            held: 0,
            max_bytes,
        }
    }

    /// The message `read` makes of `bytes`, the one read before from the same bytes if any; None when `read` makes none (that is not kept). `weigh` tells about how many
    /// bytes a message holds.
    pub fn get_or_read(
        &mut self,
        bytes: &[u8],
        read: impl FnOnce(&[u8]) -> Option<T>,
        weigh: impl FnOnce(&T) -> usize,
    ) -> Option<Arc<T>> {
        if bytes.len() > self.max_bytes {
            return read(bytes).map(Arc::new);
        }
        let hash = foldhash::fast::FixedState::with_seed(29).hash_one(bytes);
        if let Some(m) = self
            .by_hash
            .get(&hash)
            .and_then(|v| v.iter().find(|(b, _)| **b == *bytes))
        {
            return Some(m.1.clone());
        }
        let m = Arc::new(read(bytes)?);
        let weight = bytes.len() + weigh(&m);
        if weight > MAX_HELD / 16 {
            // Too large to keep, however often it comes.
            return Some(m);
        }
        if self.held + weight > MAX_HELD {
            self.by_hash.clear();
            self.held = 0;
        }
        self.held += weight;
        (self.by_hash.entry(hash).or_default()).push((bytes.into(), m.clone()));
        Some(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_give_the_same_message_read_once() {
        let mut r: Recent<String> = Recent::default();
        let mut reads = 0;
        let mut read = |b: &[u8]| {
            reads += 1;
            Some(String::from_utf8_lossy(b).into_owned())
        };
        let a = r.get_or_read(b"hello", &mut read, String::len).unwrap();
        let b = r.get_or_read(b"hello", &mut read, String::len).unwrap();
        let c = r.get_or_read(b"hellp", &mut read, String::len).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*c, "hellp");
        assert_eq!(reads, 2);
        // Nothing read, nothing kept: the next time is read again.
        let mut tries = 0;
        for _ in 0..2 {
            let none = r.get_or_read(
                b"bad",
                |_| {
                    tries += 1;
                    None::<String>
                },
                String::len,
            );
            assert!(none.is_none());
        }
        assert_eq!(tries, 2);
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let mut r: Recent<usize> = Recent::default();
        // Each message weighs forty times its datagram (the amplification a DNS name's
        // compression allows): what is held, datagrams and messages, stays bounded.
        for i in 0..(4 * MAX_HELD / 1000) {
            let bytes = vec![(i % 251) as u8; 1000 + i % 7];
            let mut b = bytes.clone();
            b.extend_from_slice(&i.to_le_bytes());
            assert_eq!(
                *r.get_or_read(&b, |b| Some(b.len()), |n| 40 * n).unwrap(),
                b.len()
            );
            assert!(r.held <= MAX_HELD);
        }
        // A datagram larger than any kept is read every time, and so is a message too large.
        let big = vec![1u8; MAX_BYTES + 1];
        let x = r.get_or_read(&big, |b| Some(b.len()), |_| 0).unwrap();
        let y = r.get_or_read(&big, |b| Some(b.len()), |_| 0).unwrap();
        assert!(!Arc::ptr_eq(&x, &y));
        let heavy = |_: &usize| MAX_HELD;
        let x = r.get_or_read(b"small", |b| Some(b.len()), heavy).unwrap();
        let y = r.get_or_read(b"small", |b| Some(b.len()), heavy).unwrap();
        assert!(!Arc::ptr_eq(&x, &y));
    }
}
