//! Turns the shipped range tables (`data/*.tsv.gz`, text that reviewers can diff) into fixed-size
//! little-endian records in `OUT_DIR`, which the library embeds and searches in place: the program
//! then starts without inflating or parsing a million lines.
//!
//! Record layouts: IPv4 `start u32, end u32, value u32` (12 bytes); IPv6 `start u128, end u128,
//! value u32` (36 bytes). A country code is its two ASCII bytes as a little-endian u32.
//!
//! The MAC vendor registry becomes `oui.bin`, records of `key u64, name offset u32, name length
//! u32` (16 bytes) sorted by key (the prefix's hex digit count << 40 | the prefix), and
//! `oui-names.bin`, the names one after the other. Plain bytes: a table of string pointers would
//! need a relocation per entry at every start of the program.
//!
//! The organisation names become `asn-names.bin`, records of `AS number u32, name offset u32,
//! name length u32` (12 bytes) sorted by number, and `asn-names.txt`, the names one after the
//! other. The cloud ranges become `cloud-v4.bin` and `cloud-v6.bin`, records of `start, end,
//! label u32` sorted by (start, end, label); they nest (a service's range inside its provider's),
//! so unlike the other tables they may overlap. `cloud-labels.txt` holds the labels, one
//! `provider<TAB>service<TAB>region` line each, numbered from 0 in order of first appearance.
//!
//! The towns (for distance bounds) become `cities.bin`, records of the country code's two ASCII
//! bytes, then latitude and longitude as f64 (18 bytes), in the order of the data file: the
//! program used to inflate and parse 68 000 lines at its first distance check, which was most of
//! a small capture's `report`. Each country's towns in whole degrees also become `cells.bin`,
//! records of the country code, then latitude and longitude rounded (i16 each, 6 bytes), each
//! cell once, sorted by country, latitude and longitude: the bounds between two countries
//! compare cells, and rounding and sorting them at the program's first distance check took most
//! of the time it spent on the towns.

use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

fn text(path: &Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open data file"))
        .read_to_string(&mut s)
        .expect("inflate data file");
    s
}

fn value(v: &str, country: bool) -> u32 {
    if country {
        let b = v.as_bytes();
        assert_eq!(b.len(), 2, "country code {v:?}");
        u32::from(b[0]) | u32::from(b[1]) << 8
    } else {
        v.parse().expect("AS number")
    }
}

fn convert(src: &Path, dst: &Path, v6: bool, country: bool) {
    let mut out = Vec::new();
    let mut last: Option<u128> = None;
    for l in text(src).lines() {
        let mut f = l.split('\t');
        let (Some(a), Some(b), Some(v)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (a, b) = if v6 {
            let a: Ipv6Addr = a.parse().expect("IPv6 address");
            let b: Ipv6Addr = b.parse().expect("IPv6 address");
            out.extend_from_slice(&u128::from(a).to_le_bytes());
            out.extend_from_slice(&u128::from(b).to_le_bytes());
            (u128::from(a), u128::from(b))
        } else {
            let a: Ipv4Addr = a.parse().expect("IPv4 address");
            let b: Ipv4Addr = b.parse().expect("IPv4 address");
            out.extend_from_slice(&u32::from(a).to_le_bytes());
            out.extend_from_slice(&u32::from(b).to_le_bytes());
            (u128::from(u32::from(a)), u128::from(u32::from(b)))
        };
        // Binary search needs sorted ranges that do not overlap.
        assert!(a <= b && last.is_none_or(|l| l < a), "{src:?}: {l}");
        last = Some(b);
        out.extend_from_slice(&value(v, country).to_le_bytes());
    }
    std::fs::write(dst, out).expect("write table");
}

fn oui(src: &Path, out: &Path) {
    let mut rows: Vec<(u64, &str)> = Vec::new();
    let t = text(src);
    for l in t.lines() {
        let Some((prefix, name)) = l.split_once('\t') else {
            continue;
        };
        let value = u64::from_str_radix(prefix, 16).expect("hex prefix");
        rows.push(((prefix.len() as u64) << 40 | value, name));
    }
    rows.sort_unstable();
    let rows = rows.into_iter().map(|(k, n)| (k.to_le_bytes().to_vec(), n));
    named_records(rows, &out.join("oui.bin"), &out.join("oui-names.bin"));
}

/// Writes records of `key, name offset u32, name length u32`, in the given (sorted) order, and
/// the names one after the other.
fn named_records<'a>(rows: impl Iterator<Item = (Vec<u8>, &'a str)>, records: &Path, names: &Path) {
    let (mut rec, mut text_out) = (Vec::new(), Vec::new());
    for (key, name) in rows {
        rec.extend_from_slice(&key);
        rec.extend_from_slice(&(text_out.len() as u32).to_le_bytes());
        rec.extend_from_slice(&(name.len() as u32).to_le_bytes());
        text_out.extend_from_slice(name.as_bytes());
    }
    std::fs::write(records, rec).expect("write table");
    std::fs::write(names, text_out).expect("write table");
}

fn names(src: &Path, out: &Path) {
    let mut rows: Vec<(u32, &str)> = Vec::new();
    let t = text(src);
    for l in t.lines() {
        let Some((asn, name)) = l.split_once('\t') else {
            continue;
        };
        rows.push((asn.parse().expect("AS number"), name));
    }
    rows.sort_unstable();
    rows.dedup_by_key(|r| r.0);
    let rows = rows.into_iter().map(|(k, n)| (k.to_le_bytes().to_vec(), n));
    named_records(rows, &out.join("asn-names.bin"), &out.join("asn-names.txt"));
}

/// "a.b.c.d/n" or "x::/n" as its first and last address, and whether it is IPv6.
fn cidr(s: &str) -> (u128, u128, bool) {
    let (a, n) = s.split_once('/').expect("CIDR");
    let n: u32 = n.parse().expect("prefix length");
    let (a, bits, v6) = match a.parse::<Ipv4Addr>() {
        Ok(a) => (u128::from(u32::from(a)), 32, false),
        Err(_) => (
            u128::from(a.parse::<Ipv6Addr>().expect("address")),
            128,
            true,
        ),
    };
    assert!(n <= bits, "{s}");
    let host = if n == bits {
        0
    } else {
        (1u128 << (bits - n)) - 1
    };
    (a & !host, a | host, v6)
}

fn clouds(src: &Path, out: &Path) {
    let mut labels: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let (mut v4, mut v6) = (Vec::new(), Vec::new());
    for l in text(src).lines() {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() < 4 {
            continue;
        }
        let label = format!("{}\t{}\t{}", f[1], f[2], f[3]);
        let id = *index.entry(label.clone()).or_insert_with(|| {
            labels.push(label);
            (labels.len() - 1) as u32
        });
        let (a, b, is_v6) = cidr(f[0]);
        if is_v6 {
            v6.push((a, b, id));
        } else {
            v4.push((a, b, id));
        }
    }
    v4.sort_unstable();
    v6.sort_unstable();
    for (name, rows, bytes) in [("cloud-v4.bin", v4, 4), ("cloud-v6.bin", v6, 16)] {
        let mut o = Vec::new();
        for (a, b, id) in rows {
            o.extend_from_slice(&a.to_le_bytes()[..bytes]);
            o.extend_from_slice(&b.to_le_bytes()[..bytes]);
            o.extend_from_slice(&id.to_le_bytes());
        }
        std::fs::write(out.join(name), o).expect("write table");
    }
    std::fs::write(out.join("cloud-labels.txt"), labels.join("\n")).expect("write table");
}

fn cities(src: &Path, dst: &Path, cells_dst: &Path) {
    let mut out = Vec::new();
    let mut cells: Vec<([u8; 2], i16, i16)> = Vec::new();
    for l in text(src).lines() {
        let mut f = l.split('\t');
        let (Some(cc), Some(lat), Some(lon)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let (Ok(lat), Ok(lon)) = (lat.parse::<f64>(), lon.parse::<f64>()) else {
            continue;
        };
        let cc = cc.as_bytes();
        assert_eq!(cc.len(), 2, "country code {cc:?}");
        out.extend_from_slice(cc);
        out.extend_from_slice(&lat.to_le_bytes());
        out.extend_from_slice(&lon.to_le_bytes());
        assert!(
            lat.abs() <= 90.0 && lon.abs() <= 180.0,
            "town at {lat} {lon}"
        );
        cells.push(([cc[0], cc[1]], lat.round() as i16, lon.round() as i16));
    }
    std::fs::write(dst, out).expect("write cities.bin");
    cells.sort_unstable();
    cells.dedup();
    let mut o = Vec::with_capacity(6 * cells.len());
    for (cc, lat, lon) in cells {
        o.extend_from_slice(&cc);
        o.extend_from_slice(&lat.to_le_bytes());
        o.extend_from_slice(&lon.to_le_bytes());
    }
    std::fs::write(cells_dst, o).expect("write cells.bin");
}

fn main() {
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let oui_src = Path::new("data/oui.tsv.gz");
    println!("cargo:rerun-if-changed={}", oui_src.display());
    oui(oui_src, Path::new(&out));
    let data = Path::new("data");
    for f in ["asn-names.tsv.gz", "cloud.tsv.gz", "cities.tsv.gz"] {
        println!("cargo:rerun-if-changed={}", data.join(f).display());
    }
    names(&data.join("asn-names.tsv.gz"), Path::new(&out));
    clouds(&data.join("cloud.tsv.gz"), Path::new(&out));
    cities(
        &data.join("cities.tsv.gz"),
        &Path::new(&out).join("cities.bin"),
        &Path::new(&out).join("cells.bin"),
    );
    for (name, v6, country) in [
        ("asn-v4", false, false),
        ("asn-v6", true, false),
        ("country-v4", false, true),
        ("country-v6", true, true),
    ] {
        let src = data.join(format!("{name}.tsv.gz"));
        println!("cargo:rerun-if-changed={}", src.display());
        convert(
            &src,
            &Path::new(&out).join(format!("{name}.bin")),
            v6,
            country,
        );
    }
    println!("cargo:rerun-if-changed=build.rs");
}
