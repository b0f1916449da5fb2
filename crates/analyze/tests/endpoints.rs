//! Endpoints on real captures: how much of each device's outbound traffic goes to a named
//! endpoint, and every unnamed endpoint explained by the traffic (the device never resolved it).

use iotscope_analyze::endpoints::{endpoints, NamedBy};
use iotscope_analyze::passive_dns::bindings;
use iotscope_flow::pipeline::{run, Options};
use iotscope_intel::Intel;

#[test]
fn unnamed_endpoints_were_never_resolved_by_their_device() {
    let mut table = Vec::new();
    for cap in iotscope_testdata::captures() {
        let r = run(std::slice::from_ref(&cap), &Options::for_analysis());
        let binds = bindings(&r.flows.events);
        if binds.is_empty() {
            continue;
        }
        let eps = endpoints(
            &r.flows.flows,
            &r.flows.events,
            Intel::get(),
            &Default::default(),
            None,
        );
        let total: u64 = eps.iter().map(|e| e.bytes_up).sum();
        let named: u64 = eps
            .iter()
            .filter(|e| e.named_by != NamedBy::None)
            .map(|e| e.bytes_up)
            .sum();
        // Hosts that only connected to the device are not named by its lookups.
        for e in eps
            .iter()
            .filter(|e| e.named_by == NamedBy::None && e.inbound < e.flows)
        {
            let resolved = binds
                .iter()
                .any(|b| b.host == e.device && b.addrs.contains(&e.addr));
            assert!(
                !resolved,
                "{}: {} -> {} is unnamed but was resolved",
                cap.display(),
                e.device,
                e.addr
            );
        }
        for e in eps.iter().filter(|e| e.named_by == NamedBy::Dns) {
            let resolved = binds
                .iter()
                .any(|b| b.host == e.device && b.addrs.contains(&e.addr));
            assert!(
                resolved,
                "{}: {} -> {} named by DNS without a binding",
                cap.display(),
                e.device,
                e.addr
            );
        }
        let share = if total == 0 {
            100.0
        } else {
            100.0 * named as f64 / total as f64
        };
        table.push(format!(
            "{:50} {:>5.1} % of {} outbound bytes named",
            cap.file_name().unwrap().to_string_lossy(),
            share,
            total
        ));
    }
    println!("{}", table.join("\n"));
    assert!(table.len() >= 10);
}

#[test]
fn the_hue_bridge_talks_to_philips_through_google() {
    let cap = iotscope_testdata::capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    let r = run(&[cap], &Options::for_analysis());
    let eps = endpoints(
        &r.flows.flows,
        &r.flows.events,
        Intel::get(),
        &Default::default(),
        None,
    );
    let e = eps
        .iter()
        .find(|e| e.name.as_deref() == Some("bridge.meethue.com"))
        .expect("bridge.meethue.com");
    assert_eq!(e.device.to_string(), "10.10.10.6");
    assert_eq!(e.named_by, NamedBy::Dns);
    assert_eq!(
        e.cnames,
        vec!["ghs-svc-https-c157.ghs-ssl.googlehosted.com".to_string()]
    );
    assert_eq!(e.place.asn, Some(15169));
}

#[test]
fn round_trips_too_short_for_the_registered_country_mark_an_edge() {
    use iotscope_intel::Site;
    // The IoT Sentinel lab is in Darmstadt, Germany. Google's address is registered in the US, yet
    // the Hue bridge's handshakes with it take a few milliseconds: too short to cross the
    // Atlantic, so it answered from a nearby edge. A German address measured from Germany is not
    // flagged.
    let cap = iotscope_testdata::capture("IoTSentinel__HueBridge__Setup-A-2-STA.pcap");
    let r = run(&[cap], &Options::for_analysis());
    let site = Site::parse("49.87,8.65").unwrap();
    let eps = endpoints(
        &r.flows.flows,
        &r.flows.events,
        Intel::get(),
        &Default::default(),
        Some(&site),
    );
    let google = eps
        .iter()
        .find(|e| e.name.as_deref() == Some("bridge.meethue.com"))
        .unwrap();
    let check = google.location.as_ref().expect("a TCP handshake was seen");
    assert_eq!(google.place.country.as_deref(), Some("US"));
    assert!(check.edge, "{check:?}");
    assert!(check.max_km < check.country_km);
    for e in eps
        .iter()
        .filter(|e| e.place.country.as_deref() == Some("DE"))
    {
        if let Some(c) = &e.location {
            assert!(!c.edge, "{} {c:?}", e.addr);
        }
    }
}
