//! The program's allocator: jemalloc, with the largest blocks mapped on their own.
//!
//! jemalloc rather than the C library's allocator: the packet path allocates nothing, but the
//! parsers' messages and the analysis after reading make millions of small allocations, most of
//! them kept to the end, and `report` spends a tenth less time on the benchmark input with the
//! same peak memory (figures in bench/README.md). mimalloc was faster still but committed memory
//! eagerly, above ndpiReader's for `flows`.
//!
//! A block of [`MAPPED_MIN`] or more is mapped by itself (on Linux), and growing it remaps its
//! pages (`mremap`) where jemalloc would allocate a new block and copy the old one into it. The
//! vectors of flow records and parser messages grow to tens of megabytes while a capture is read;
//! every copy wrote the whole vector into memory the kernel had to fault in and zero, page by
//! page, while the old block's pages stayed with the process. On the 300 MB benchmark input
//! `report` took 21 500 page faults instead of 26 000 and 4 % less time (bench/README.md).
//! Nothing is allocated per packet, and blocks this large are few: the cost of a system call
//! each is nothing beside the 256 pages of the smallest.
//!
//! A mapped block of [`HUGE`] or more asks for transparent huge pages (`MADV_HUGEPAGE`): one fault
//! then maps 2 MiB instead of 4 KiB. On the 2-core machine of bench/README.md a fault costs
//! about 1.3 us whatever it maps (16 MiB written: 5.3 ms in 4 KiB pages, 0.7 ms in huge ones),
//! and `report` on the benchmark input took 11 300 faults instead of 16 900. Where the system
//! gives no huge pages (`never`), the advice changes nothing; the blocks are large enough that a
//! partly used last huge page adds little to the peak memory.

use std::alloc::{GlobalAlloc, Layout};

use tikv_jemallocator::Jemalloc;

/// Blocks at least this large are mapped by themselves.
pub const MAPPED_MIN: usize = 1 << 20;

/// Mapped blocks at least this large ask for huge pages: the size of one on x86-64 and of the
/// usual (4 KiB-page) arm64 kernel; smaller blocks could not hold one.
pub const HUGE: usize = 2 << 20;

/// The allocator: jemalloc, and [`MAPPED_MIN`]-sized blocks and larger mapped on their own.
pub struct Allocator;

#[cfg(target_os = "linux")]
mod mapped {
    use super::*;

    /// Mappings are whole pages; 4 KiB is the smallest page of every Linux platform, and the
    /// alignment a mapping is sure to have.
    const PAGE: usize = 4096;

    /// Whether a block of this layout is mapped by itself. `dealloc` and `realloc` are given the
    /// layout the block was allocated with, so the answer for a block never changes.
    pub fn mapped(l: &Layout) -> bool {
        l.size() >= MAPPED_MIN && l.align() <= PAGE
    }

    fn pages(n: usize) -> usize {
        n.div_ceil(PAGE) * PAGE
    }

    /// A new mapping of at least `size` bytes, zeroed; null when there is no memory.
    pub fn map(size: usize) -> *mut u8 {
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches no
        // memory of the program.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                pages(size),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            huge(p, size);
            p.cast()
        }
    }

    /// Asks for huge pages in a block of [`HUGE`] bytes or more. Advice only: a kernel without
    /// them, or that refuses, leaves the block as it was, so the answer is not looked at.
    fn huge(p: *mut libc::c_void, size: usize) {
        if size >= HUGE {
            // SAFETY: the range is one mapping of this module's, of `pages(size)` bytes; the
            // advice changes how its pages are backed, never their contents.
            unsafe { libc::madvise(p, pages(size), libc::MADV_HUGEPAGE) };
        }
    }

    /// # Safety
    /// `p` is a block [`map`] returned for `size` bytes, not yet unmapped.
    pub unsafe fn unmap(p: *mut u8, size: usize) {
        // SAFETY: the caller's promise; the pages are the block's alone.
        unsafe { libc::munmap(p.cast(), pages(size)) };
    }

    /// The block moved or grown to `new` bytes, its contents kept; null (the block untouched)
    /// when there is no memory.
    ///
    /// # Safety
    /// As for [`unmap`]; after a non-null return only the new block is valid.
    pub unsafe fn remap(p: *mut u8, old: usize, new: usize) -> *mut u8 {
        // SAFETY: the caller's promise; the kernel moves the block's pages (or fails and leaves
        // them), and nothing else refers to them.
        let q = unsafe { libc::mremap(p.cast(), pages(old), pages(new), libc::MREMAP_MAYMOVE) };
        if q == libc::MAP_FAILED {
            std::ptr::null_mut()
        } else {
            // A block grown past HUGE (the advice of one already past it moves with it).
            if old < HUGE {
                huge(q, new);
            }
            q.cast()
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod mapped {
    use super::*;

    pub fn mapped(_: &Layout) -> bool {
        false
    }

    pub fn map(_: usize) -> *mut u8 {
        std::ptr::null_mut()
    }

    pub unsafe fn unmap(_: *mut u8, _: usize) {}

    pub unsafe fn remap(_: *mut u8, _: usize, _: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
}

use mapped::{map, mapped, remap, unmap};

// SAFETY: every block comes from jemalloc or from its own mapping, which one decided by its
// layout alone ([`mapped`]), so each is freed, grown or shrunk by the one that made it; mappings
// are page-aligned (no mapped layout asks for more) and zeroed.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if mapped(&l) {
            return map(l.size());
        }
        // SAFETY: the caller's promises are jemalloc's.
        unsafe { Jemalloc.alloc(l) }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if mapped(&l) {
            return map(l.size());
        }
        // SAFETY: as for `alloc`.
        unsafe { Jemalloc.alloc_zeroed(l) }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if mapped(&l) {
            // SAFETY: a block of a mapped layout was mapped by `alloc` or `realloc`.
            unsafe { unmap(p, l.size()) };
        } else {
            // SAFETY: any other block is jemalloc's.
            unsafe { Jemalloc.dealloc(p, l) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        // SAFETY: the caller promises a valid size for the alignment.
        let new = unsafe { Layout::from_size_align_unchecked(size, l.align()) };
        match (mapped(&l), mapped(&new)) {
            // SAFETY: a jemalloc block stays with jemalloc.
            (false, false) => unsafe { Jemalloc.realloc(p, l, size) },
            // SAFETY: a mapped block, mapped for `l.size()` bytes.
            (true, true) => unsafe { remap(p, l.size(), size) },
            // Across the threshold: a block of the other kind, the contents copied.
            _ => {
                // SAFETY: `new` is a valid layout of non-zero size (the caller's promise).
                let q = unsafe { self.alloc(new) };
                if !q.is_null() {
                    // SAFETY: both blocks hold at least the bytes copied, and are distinct; the
                    // old one is freed with the layout it was allocated with.
                    unsafe {
                        std::ptr::copy_nonoverlapping(p, q, l.size().min(size));
                        self.dealloc(p, l);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_bytes_across_the_threshold_and_when_remapped() {
        let a = Allocator;
        let small = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: every block is used within its size and freed with its layout.
        unsafe {
            let p = a.alloc(small);
            assert!(!p.is_null());
            for i in 0..1000 {
                *p.add(i) = i as u8;
            }
            // Up past the threshold, then grown while mapped, then back down.
            let sizes = [MAPPED_MIN + 1, 3 * MAPPED_MIN + 17, 2 * MAPPED_MIN, 500];
            let (mut p, mut size) = (p, 1000);
            for n in sizes {
                let q = a.realloc(p, Layout::from_size_align(size, 8).unwrap(), n);
                assert!(!q.is_null());
                for i in 0..size.min(n).min(1000) {
                    assert_eq!(*q.add(i), i as u8, "byte {i} after {size} -> {n}");
                }
                // The new bytes can be written to their end.
                *q.add(n - 1) = 1;
                (p, size) = (q, n);
            }
            a.dealloc(p, Layout::from_size_align(size, 8).unwrap());
            let z = Layout::from_size_align(2 * MAPPED_MIN, 64).unwrap();
            let p = a.alloc_zeroed(z);
            assert!(!p.is_null() && (p as usize) % 64 == 0);
            assert!((0..z.size()).step_by(4093).all(|i| *p.add(i) == 0));
            a.dealloc(p, z);
        }
    }

    /// The flags the kernel shows for the mapping that holds `p` (`VmFlags` of /proc/self/smaps).
    #[cfg(target_os = "linux")]
    fn vm_flags(p: *const u8) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            // A mapping's first line starts with its range, "start-end" in hex.
            let range = line
                .split_whitespace()
                .next()
                .and_then(|r| r.split_once('-'));
            if let Some((Ok(a), Ok(b))) =
                range.map(|(a, b)| (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)))
            {
                inside = (a..b).contains(&(p as usize));
            } else if let Some(flags) = line.strip_prefix("VmFlags:").filter(|_| inside) {
                return Some(flags.to_string());
            }
        }
        None
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn blocks_of_a_huge_page_or_more_ask_for_huge_pages() {
        // A kernel built without transparent huge pages refuses the advice, as it may.
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            return;
        }
        let a = Allocator;
        let small = Layout::from_size_align(MAPPED_MIN, 8).unwrap();
        let big = Layout::from_size_align(2 * HUGE, 8).unwrap();
        // SAFETY: the blocks are only looked up in the process's map, and freed with their layout.
        unsafe {
            let p = a.alloc(small);
            let flags = vm_flags(p).expect("a mapped block is a mapping of its own");
            assert!(!flags.split_whitespace().any(|f| f == "hg"), "{flags}");
            // Grown past HUGE by a remap, it asks for them too.
            let q = a.realloc(p, small, big.size());
            assert!(!q.is_null());
            let flags = vm_flags(q).unwrap();
            assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
            a.dealloc(q, big);
            let p = a.alloc(big);
            let flags = vm_flags(p).unwrap();
            assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
            a.dealloc(p, big);
        }
    }
}
