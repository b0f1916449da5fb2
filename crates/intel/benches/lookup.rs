//! Lookups per second over the shipped tables (run: `cargo bench -p iotscope-intel`). Prints a
//! rate; asserts nothing.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use iotscope_intel::Intel;

fn main() {
    let t = Instant::now();
    let intel = Intel::get();
    println!("load: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    // A fixed pseudo-random walk over the IPv4 space.
    let mut x: u32 = 0x9e37_79b9;
    let n = 2_000_000;
    let mut found = 0u64;
    let t = Instant::now();
    for _ in 0..n {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let p = intel.place(IpAddr::V4(Ipv4Addr::from(x)));
        found += u64::from(p.asn.is_some());
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} lookups in {:.3} s: {:.2} M lookups/s ({found} with an AS)",
        s,
        n as f64 / s / 1e6
    );
}
