//! Known facts of the shipped data: well-known addresses map to their networks, countries and
//! clouds, in IPv4 and IPv6.

use iotscope_intel::{cdn_of_name, Intel};

fn place(a: &str) -> iotscope_intel::Place {
    Intel::get().place(a.parse().unwrap())
}

#[test]
fn google_and_cloudflare_resolvers() {
    let g = place("8.8.8.8");
    assert_eq!(g.asn, Some(15169));
    assert!(
        g.org
            .as_deref()
            .unwrap_or("")
            .to_lowercase()
            .contains("google"),
        "{g:?}"
    );
    // Public resolvers answer from everywhere: the registry's country is not where they are.
    assert!(g.anycast);
    assert_eq!(g.country, None);
    let c = place("1.1.1.1");
    assert_eq!(c.asn, Some(13335));
    assert_eq!(c.cdn.as_deref(), Some("cloudflare"));
    assert!(c.anycast);
    assert_eq!(c.country, None, "APNIC registered it for Australia");
    let g6 = place("2001:4860:4860::8888");
    assert_eq!(g6.asn, Some(15169));
    assert!(g6.anycast);
    // Cloudflare's whole network is anycast; a Google server that is no resolver is not.
    assert!(place("104.16.65.50").anycast);
    let www = place("142.250.185.78");
    assert!(!www.anycast, "{www:?}");
    assert!(www.country.is_some(), "{www:?}");
}

#[test]
fn aws_ranges_carry_provider_and_region() {
    // 52.94.0.0/22 is published by AWS for us-east-1.
    let a = place("52.94.0.1");
    assert_eq!(a.provider.as_deref(), Some("aws"), "{a:?}");
    assert!(a.region.is_some(), "{a:?}");
    // A private address is nobody's.
    assert_eq!(place("192.168.1.1"), iotscope_intel::Place::default());
}

#[test]
fn cdn_names() {
    assert_eq!(cdn_of_name("e1234.a.akamaiedge.net"), Some("akamai"));
    assert_eq!(
        cdn_of_name("d3gjecg2uu2eaq.cloudfront.net."),
        Some("cloudfront")
    );
    assert_eq!(
        cdn_of_name("www.fitbit.com.cdn.cloudflare.net"),
        Some("cloudflare")
    );
    assert_eq!(cdn_of_name("example.com"), None);
}

#[test]
fn distances_from_a_site() {
    use iotscope_intel::{Geo, Site};
    let geo = Geo::get();
    let berlin = Site::parse("52.52,13.40").unwrap();
    // Germany contains Berlin; the nearest US town is thousands of km away.
    assert!(geo.min_km(&berlin, "DE").unwrap() < 20.0);
    let us = geo.min_km(&berlin, "US").unwrap();
    assert!((5_000.0..7_500.0).contains(&us), "{us}");
    assert_eq!(geo.min_km(&Site::parse("de").unwrap(), "DE"), Some(0.0));
    let fr = geo.min_km(&Site::Country("DE".into()), "FR").unwrap();
    assert!(fr < 50.0, "neighbours touch: {fr}");
    assert!(Site::parse("95,0").is_err() && Site::parse("Germany").is_err());
}

#[test]
fn akamai_and_fastly_are_recognised_as_cdns() {
    // 2.16.0.0/23 is announced by Akamai (AS20940); 151.101.0.0/16 by Fastly (AS54113).
    let a = place("2.16.0.1");
    assert_eq!(
        (a.asn, a.cdn.as_deref()),
        (Some(20940), Some("akamai")),
        "{a:?}"
    );
    assert!(a.org.as_deref().unwrap_or("").contains("Akamai"));
    let f = place("151.101.1.1");
    assert_eq!(f.cdn.as_deref(), Some("fastly"), "{f:?}");
}

#[test]
fn mac_vendors_by_the_longest_assignment() {
    use iotscope_intel::mac_vendor;
    let v = |m: [u8; 6]| mac_vendor(&m);
    assert_eq!(v([0, 0, 0, 0, 0, 0]), Some("XEROX CORPORATION"));
    assert_eq!(v([0x50, 0xa6, 0xd8, 1, 2, 3]), Some("Apple, Inc."));
    // MA-M (28 bits) inside an MA-L block, MA-S (36 bits), CID, IAB.
    assert_eq!(
        v([0xb8, 0x4c, 0x87, 0x40, 0, 0]),
        Some("Blum Novotest GmbH")
    );
    assert_eq!(
        v([0x8c, 0x1f, 0x64, 0xaf, 0xa0, 0]),
        Some("DATA ELECTRONIC DEVICES, INC")
    );
    assert_eq!(
        v([0xea, 0x27, 0x01, 0, 0, 0]),
        Some("ACCE Technology Corp.")
    );
    assert_eq!(
        v([0x40, 0xd8, 0x55, 0x0d, 0x70, 0]),
        Some("Avant Technologies")
    );
    assert_eq!(
        v([0x00, 0x17, 0x88, 0x24, 0x76, 0xff]),
        Some("Philips Lighting BV")
    );
    assert_eq!(v([0x02, 0xff, 0xff, 0, 0, 0]), None);
}

#[test]
fn cloud_regions_named_in_host_names() {
    let i = iotscope_intel::Intel::get();
    let r = |p: &str, n: &str| i.region_in_name(p, n);
    assert_eq!(r("aws", "s3-us-west-2.amazonaws.com"), Some("us-west-2"));
    assert_eq!(
        r("aws", "a1b2.eu-central-1.elb.amazonaws.com"),
        Some("eu-central-1")
    );
    assert_eq!(r("aws", "ec2-54-1-2-3.compute-1.amazonaws.com"), None);
    // Between dots or dashes only, and only the provider's own regions.
    assert_eq!(r("aws", "xus-west-2.example.com"), None);
    assert_eq!(r("gcp", "s3-us-west-2.amazonaws.com"), None);
    assert_eq!(
        r("azure", "x.westeurope.cloudapp.azure.com"),
        Some("westeurope")
    );
}
