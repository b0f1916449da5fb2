//! Numbers in words a reader takes in at a glance: "1.1 MB", "5 min 2 s", "2 d 4 h".

use iotscope_packet::Nanos;

/// Bytes in SI units with three significant figures at most.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1000.0 {
            break;
        }
        v /= 1000.0;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// A duration with its two largest units ("2 d 4 h", "5 min 0 s", "2.01 s", "35 ms").
pub fn duration(t: Nanos) -> String {
    let t = t.max(0);
    let secs = t as f64 / 1e9;
    if secs < 1.0 {
        return format!("{:.0} ms", secs * 1e3);
    }
    if secs < 60.0 {
        return if secs < 10.0 {
            format!("{secs:.2} s")
        } else {
            format!("{secs:.0} s")
        };
    }
    let s = secs.round() as u64;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d} d {h} h")
    } else if h > 0 {
        format!("{h} h {m} min")
    } else {
        format!("{m} min {sec} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_100_000), "1.1 MB");
        assert_eq!(bytes(612_000), "612 kB");
        assert_eq!(duration(35_000_000), "35 ms");
        assert_eq!(duration(2_010_000_000), "2.01 s");
        assert_eq!(duration(300_000_000_000), "5 min 0 s");
        assert_eq!(duration((2 * 86_400 + 4 * 3600) * 1_000_000_000), "2 d 4 h");
    }
}
