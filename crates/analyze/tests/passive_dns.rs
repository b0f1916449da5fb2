//! Name bindings on real captures: a unicast answer through a CNAME chain, and mDNS
//! announcements.

use iotscope_analyze::passive_dns::{bindings, Via};
use iotscope_flow::pipeline::{run, Options};

fn bind(name: &str) -> Vec<iotscope_analyze::passive_dns::NameBinding> {
    let cap = iotscope_testdata::capture(name);
    let r = run(&[cap], &Options::for_analysis());
    bindings(&r.flows.events)
}

#[test]
fn cname_chain_and_addresses_of_the_asking_host() {
    // tshark: frame 13 answers www.fitbit.com with CNAME www.fitbit.com.cdn.cloudflare.net,
    // A 104.16.66.50 and 104.16.65.50, TTL 156 (testdata/golden/.../dns.tsv).
    let b = bind("IoTSentinel__Aria__Setup-C-1-STA.pcap");
    assert_eq!(b.len(), 1);
    let b = &b[0];
    assert_eq!(
        (b.host.to_string(), b.server.to_string()),
        ("10.10.10.123".into(), "10.10.10.1".into())
    );
    assert_eq!(b.name, "www.fitbit.com");
    assert_eq!(
        b.cnames,
        vec!["www.fitbit.com.cdn.cloudflare.net".to_string()]
    );
    let addrs: Vec<String> = b.addrs.iter().map(|a| a.to_string()).collect();
    assert_eq!(addrs, vec!["104.16.66.50", "104.16.65.50"]);
    assert_eq!((b.ttl, b.via, b.frame + 1), (Some(156), Via::Dns, 13));
}

#[test]
fn mdns_announcements_bind_the_announcers_names() {
    let b = bind("zeek__mdns.pcap");
    let announced: Vec<_> = b
        .iter()
        .filter(|x| x.via == Via::Mdns && !x.addrs.is_empty())
        .collect();
    assert!(!announced.is_empty());
    for a in &announced {
        assert!(a.name.ends_with(".local"), "{}", a.name);
        // An announcer binds its own name: the sender is the host.
        assert_eq!(a.host, a.server);
    }
}
