//! The first few bytes of a deflate stream (RFC 1951), for [`crate::http::gzipped_program_kind`].
//!
//! Written here rather than taken from miniz_oxide, which the tests compare it with: to inflate
//! eight bytes, miniz_oxide's core inflater builds its full lookup tables for every block (the
//! literal/length, distance and code-length codes, 1 024 entries and more each), some 30 000
//! instructions a gzip response on the benchmark input, where ordinary web traffic is full of
//! them. This decoder reads the code lengths through a 128-entry table and decodes the few
//! symbols it needs bit by bit from counts of code lengths (the canonical decoding of RFC 1951,
//! section 3.2.2), a fifth of the work. It stops at the first problem with what it has: a cut or
//! malformed stream gives fewer bytes, never an error.

/// Longest code of a deflate Huffman code.
const MAX_BITS: usize = 15;

/// Bits of the input, least significant first.
struct Bits<'a> {
    b: &'a [u8],
    at: usize,
    buf: u64,
    n: u32,
}

impl Bits<'_> {
    /// The next `k` bits (at most 32); None past the input's end.
    #[inline]
    fn take(&mut self, k: u32) -> Option<u32> {
        self.refill();
        if self.n < k {
            return None;
        }
        let v = (self.buf & ((1u64 << k) - 1)) as u32;
        self.buf >>= k;
        self.n -= k;
        Some(v)
    }

    #[inline]
    fn refill(&mut self) {
        if self.n > 56 {
            return;
        }
        // Eight bytes at once where there are eight, as many whole ones kept as fit.
        if let Some(w) = self.b.get(self.at..self.at + 8) {
            let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
            let k = (63 - self.n) / 8;
            self.buf = (self.buf | w << self.n) & ((1u64 << (self.n + 8 * k)) - 1);
            self.at += k as usize;
            self.n += 8 * k;
            return;
        }
        while self.n <= 56 && self.at < self.b.len() {
            self.buf |= u64::from(self.b[self.at]) << self.n;
            self.at += 1;
            self.n += 8;
        }
    }

    /// The next `k` bits without taking them, zeros past the input's end, and how many there are.
    #[inline]
    fn peek(&mut self, k: u32) -> (u32, u32) {
        self.refill();
        ((self.buf & ((1u64 << k) - 1)) as u32, self.n)
    }

    fn drop_bits(&mut self, k: u32) {
        self.buf >>= k;
        self.n -= k;
    }

    /// Skips to the next byte boundary.
    fn align(&mut self) {
        let k = self.n % 8;
        self.drop_bits(k);
    }
}

/// A canonical Huffman code as counts of codes of each length and symbols in code order.
struct Code<const N: usize> {
    count: [u16; MAX_BITS + 1],
    symbol: [u16; N],
}

impl<const N: usize> Code<N> {
    /// The code of these code lengths (0: symbol unused); None when they are over-subscribed.
    fn new(lengths: &[u8]) -> Option<Self> {
        let mut count = [0u16; MAX_BITS + 1];
        for &l in lengths {
            count[usize::from(l)] += 1;
        }
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return None;
            }
        }
        let mut offs = [0u16; MAX_BITS + 2];
        for l in 1..=MAX_BITS {
            offs[l + 1] = offs[l] + count[l];
        }
        let mut symbol = [0u16; N];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[usize::from(offs[usize::from(l)])] = s as u16;
                offs[usize::from(l)] += 1;
            }
        }
        count[0] = 0;
        Some(Code { count, symbol })
    }

    /// The next symbol, a bit at a time (codes are sent most significant bit first).
    fn decode(&self, bits: &mut Bits<'_>) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..=MAX_BITS {
            code |= bits.take(1)? as i32;
            let count = i32::from(self.count[len]);
            if code - first < count {
                return self.symbol.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// The code-length code as a table of its 7-bit codes (RFC 1951's are 7 bits at most): entry
/// `bits` holds the symbol and length of the code those bits start with.
struct LengthTable([(u8, u8); 128]);

impl LengthTable {
    fn new(lengths: &[u8; 19]) -> Option<LengthTable> {
        let code = Code::<19>::new(lengths)?;
        let mut table = [(0u8, 0u8); 128];
        let (mut next, mut at) = (0u32, 0usize);
        for len in 1..=7u32 {
            for _ in 0..code.count[len as usize] {
                let sym = code.symbol[at] as u8;
                at += 1;
                // The code read least significant bit first.
                let rev = next.reverse_bits() >> (32 - len);
                let mut i = rev as usize;
                while i < 128 {
                    table[i] = (sym, len as u8);
                    i += 1 << len;
                }
                next += 1;
            }
            next <<= 1;
        }
        Some(LengthTable(table))
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Option<u8> {
        let (peeked, have) = bits.peek(7);
        let (sym, len) = self.0[peeked as usize];
        if len == 0 || u32::from(len) > have {
            return None;
        }
        bits.drop_bits(u32::from(len));
        Some(sym)
    }
}

/// Base lengths and extra bits of length symbols 257 to 285.
const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distances and extra bits of distance symbols 0 to 29.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Order in which the code-length code's lengths are sent.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Inflates the start of raw deflate data into `out`, as far as it fills `out` or the data
/// allows; returns how many bytes were written.
pub fn inflate_start(data: &[u8], out: &mut [u8]) -> usize {
    let mut bits = Bits {
        b: data,
        at: 0,
        buf: 0,
        n: 0,
    };
    let mut n = 0;
    let _ = blocks(&mut bits, out, &mut n);
    n
}

/// Blocks until `out` is full, the last block ends, or the data stops making sense.
fn blocks(bits: &mut Bits<'_>, out: &mut [u8], n: &mut usize) -> Option<()> {
    while *n < out.len() {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                bits.align();
                let len = bits.take(16)?;
                let nlen = bits.take(16)?;
                if len != !nlen & 0xffff {
                    return None;
                }
                for _ in 0..len {
                    if *n == out.len() {
                        return Some(());
                    }
                    out[*n] = bits.take(8)? as u8;
                    *n += 1;
                }
            }
            1 => {
                let mut lengths = [0u8; 288 + 30];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..288].fill(8);
                lengths[288..].fill(5);
                codes(bits, &lengths, out, n)?;
            }
            2 => {
                let nlen = bits.take(5)? as usize + 257;
                let ndist = bits.take(5)? as usize + 1;
                let ncode = bits.take(4)? as usize + 4;
                if nlen > 286 || ndist > 30 {
                    return None;
                }
                let mut cl = [0u8; 19];
                for &i in &CL_ORDER[..ncode] {
                    cl[i] = bits.take(3)? as u8;
                }
                let table = LengthTable::new(&cl)?;
                let mut lengths = [0u8; 288 + 30];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = table.decode(bits)?;
                    let (value, times) = match sym {
                        0..=15 => (sym, 1),
                        16 => (*lengths[..i].last()?, 3 + bits.take(2)? as usize),
                        17 => (0, 3 + bits.take(3)? as usize),
                        _ => (0, 11 + bits.take(7)? as usize),
                    };
                    if i + times > nlen + ndist {
                        return None;
                    }
                    lengths[i..i + times].fill(value);
                    i += times;
                }
                // The distance lengths follow the literal/length ones in the code's own places.
                lengths.copy_within(nlen..nlen + ndist, 288);
                lengths[nlen..288].fill(0);
                lengths[288 + ndist..].fill(0);
                codes(bits, &lengths, out, n)?;
            }
            _ => return None,
        }
        if last {
            break;
        }
    }
    Some(())
}

/// One block's symbols, decoded with the literal/length lengths `lengths[..288]` and the
/// distance lengths `lengths[288..]`, until the block ends or `out` is full.
fn codes(bits: &mut Bits<'_>, lengths: &[u8; 318], out: &mut [u8], n: &mut usize) -> Option<()> {
    let lit = Code::<288>::new(&lengths[..288])?;
    // Built only when a match comes (most programs' first bytes are literals).
    let mut dist: Option<Code<30>> = None;
    while *n < out.len() {
        let sym = lit.decode(bits)?;
        match sym {
            0..=255 => {
                out[*n] = sym as u8;
                *n += 1;
            }
            256 => return Some(()),
            _ => {
                let s = usize::from(sym - 257);
                let len =
                    usize::from(*LEN_BASE.get(s)?) + bits.take(u32::from(LEN_EXTRA[s]))? as usize;
                if dist.is_none() {
                    dist = Some(Code::<30>::new(&lengths[288..])?);
                }
                let d = usize::from(dist.as_ref()?.decode(bits)?);
                let distance =
                    usize::from(*DIST_BASE.get(d)?) + bits.take(u32::from(DIST_EXTRA[d]))? as usize;
                if distance > *n {
                    return None;
                }
                for _ in 0..len {
                    if *n == out.len() {
                        return Some(());
                    }
                    out[*n] = out[*n - distance];
                    *n += 1;
                }
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};

    /// What miniz_oxide inflates of the same data into `len` bytes.
    fn miniz(data: &[u8], len: usize) -> Vec<u8> {
        let mut d = DecompressorOxide::default();
        let mut out = vec![0u8; len];
        let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
            | inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        let n = decompress(&mut d, data, &mut out, 0, flags).2;
        out.truncate(n);
        out
    }

    fn ours(data: &[u8], len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        let n = inflate_start(data, &mut out);
        out.truncate(n);
        out
    }

    /// Inputs of every kind a deflater treats differently: random bytes (stored blocks), short
    /// text (fixed codes), longer text and repeats (dynamic codes, matches from the first bytes).
    fn samples() -> Vec<Vec<u8>> {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut v: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"#!/bin/sh\necho hi\n".to_vec(),
            [&b"\x7fELF\x02\x01\x01"[..], &[0u8; 4000]].concat(),
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".repeat(50),
            b"<!DOCTYPE html><html><head><title>x</title></head><body>".repeat(40),
        ];
        for len in [3usize, 8, 9, 100, 1000, 70_000] {
            v.push((0..len).map(|_| rand() as u8).collect());
            v.push((0..len).map(|_| b"abcab"[rand() as usize % 5]).collect());
        }
        v
    }

    #[test]
    fn the_first_bytes_are_miniz_oxides_for_every_level_and_cut() {
        use std::io::Write;
        let mut compared = 0;
        for s in samples() {
            for level in 0..=9 {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
                e.write_all(&s).unwrap();
                let z = e.finish().unwrap();
                for want in [1usize, 8, 64] {
                    assert_eq!(
                        ours(&z, want),
                        miniz(&z, want),
                        "level {level}, {want} bytes of {:?}",
                        &s[..s.len().min(16)]
                    );
                    assert_eq!(ours(&z, want), s[..s.len().min(want)]);
                    compared += 1;
                }
                // Cut anywhere in its first bytes: never more than the data holds, and what
                // comes out is the start of the input.
                for cut in 0..z.len().min(40) {
                    let got = ours(&z[..cut], 8);
                    assert!(s.starts_with(&got), "cut {cut} at level {level}");
                }
            }
        }
        assert!(compared > 300);
    }

    #[test]
    fn malformed_data_gives_what_it_can() {
        // A block type 3 (reserved), a stored block whose length check fails, over-subscribed
        // code lengths, a distance before the start.
        assert_eq!(ours(&[0b111], 8), b"");
        assert_eq!(ours(&[0b001, 5, 0, 5, 0, b'x'], 8), b"");
        assert_eq!(ours(&[0xff; 64], 8).len(), 0);
        let mut seed = 7u32;
        for _ in 0..2000 {
            let junk: Vec<u8> = (0..32)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = ours(&junk, 8);
        }
    }
}
