//! Name bindings from DNS responses and mDNS announcements.
//!
//! A unicast DNS response binds, for the host that asked (the response's destination), the
//! question's name to the addresses at the end of its CNAME chain. An mDNS or LLMNR response
//! binds names to addresses for everyone on the link; its sender is usually the host announcing
//! itself.

use hashbrown::HashMap;
use std::net::IpAddr;

use iotscope_flow::Event;
use iotscope_packet::{ip_of, Nanos};
use iotscope_proto::app::Message;
use iotscope_proto::dns::{self, RData, Section};
use serde::Serialize;

/// How a binding was learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A response to this host's query.
    Dns,
    /// A multicast announcement or response (mDNS, LLMNR).
    Mdns,
}

/// One name resolved (or announced) at one time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameBinding {
    pub ts: Nanos,
    pub frame: u64,
    /// The flow of the message ([`Event::flow`]).
    #[serde(skip)]
    pub flow: u64,
    /// The host that asked (DNS), or that announced (mDNS).
    pub host: IpAddr,
    /// The resolver or announcer that answered.
    pub server: IpAddr,
    pub via: Via,
    /// The name asked for.
    pub name: String,
    /// Record type asked for (or announced).
    pub qtype: u16,
    /// Canonical names followed from `name`, in order.
    pub cnames: Vec<String>,
    /// Addresses at the end of the chain.
    pub addrs: Vec<IpAddr>,
    /// Smallest TTL along the chain, seconds.
    pub ttl: Option<u32>,
    /// Response code (0 = no error, 3 = no such name).
    pub rcode: u8,
}

fn is_multicast_dns(e: &Event) -> bool {
    matches!(e.src_port, 5353 | 5355) || matches!(e.dst_port, 5353 | 5355)
}

/// Follows the CNAME chain of `name` through the answer records; returns the chain, the final
/// addresses, and the smallest TTL seen.
fn resolve(m: &dns::DnsMessage, name: &str) -> (Vec<String>, Vec<IpAddr>, Option<u32>) {
    let answers: Vec<&dns::Record> = m
        .records
        .iter()
        .filter(|r| r.section == Section::Answer)
        .collect();
    let mut chain = Vec::new();
    let mut current = name.to_ascii_lowercase();
    let mut ttl: Option<u32> = None;
    // A chain longer than the number of records would be a loop.
    for _ in 0..=answers.len() {
        let next = answers.iter().find_map(|r| match &r.data {
            RData::Cname(t) if r.name.eq_ignore_ascii_case(&current) => Some((t.clone(), r.ttl)),
            _ => None,
        });
        let Some((target, t)) = next else { break };
        ttl = Some(ttl.map_or(t, |x| x.min(t)));
        chain.push(target.clone());
        current = target.to_ascii_lowercase();
    }
    let mut addrs = Vec::new();
    for r in &answers {
        if !r.name.eq_ignore_ascii_case(&current) {
            continue;
        }
        let Some(a) = r.data.addr() else { continue };
        ttl = Some(ttl.map_or(r.ttl, |x| x.min(r.ttl)));
        addrs.push(a);
    }
    (chain, addrs, ttl)
}

/// Every name binding in `events`, in frame order.
pub fn bindings(events: &[Event]) -> Vec<NameBinding> {
    let mut out = Vec::new();
    each_binding(events, true, |b| out.push(b));
    out
}

/// [`bindings`] one by one, in the same order, without those of multicast DNS unless
/// `with_mdns`: the names of a capture's endpoints are learned from them as they come, without
/// a vector of them all (the bench file's took 7 % of `report`'s page faults).
pub fn each_binding(events: &[Event], with_mdns: bool, mut out: impl FnMut(NameBinding)) {
    for e in events {
        let Message::Dns(m) = &e.message else {
            continue;
        };
        if !m.response {
            continue;
        }
        let multicast = is_multicast_dns(e);
        if multicast && !with_mdns {
            continue;
        }
        let (host, server) = if multicast {
            (ip_of(&e.src), ip_of(&e.src))
        } else {
            (ip_of(&e.dst), ip_of(&e.src))
        };
        let via = if multicast { Via::Mdns } else { Via::Dns };
        let binding = |name: String, qtype, cnames, addrs, ttl| NameBinding {
            ts: e.ts,
            frame: e.frame,
            flow: e.flow,
            host,
            server,
            via,
            name,
            qtype,
            cnames,
            addrs,
            ttl,
            rcode: m.rcode,
        };
        if !multicast || !m.questions.is_empty() {
            for q in &m.questions {
                let (cnames, addrs, ttl) = resolve(m, &q.name);
                out(binding(q.name.clone(), q.qtype, cnames, addrs, ttl));
            }
            if !multicast {
                continue;
            }
        }
        // Announcements: every name with an address record, once per message and type (an
        // mDNS host announces its A and AAAA records together).
        let mut by_name: HashMap<(String, u16), (Vec<IpAddr>, u32)> = HashMap::new();
        let mut order = Vec::new();
        for r in &m.records {
            let (a, t) = match r.data {
                RData::A(a) => (IpAddr::V4(a), dns::rtype::A),
                RData::Aaaa(a) => (IpAddr::V6(a), dns::rtype::AAAA),
                _ => continue,
            };
            if m.questions
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(&r.name))
            {
                continue;
            }
            let key = (r.name.clone(), t);
            let entry = by_name.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                (Vec::new(), r.ttl)
            });
            entry.0.push(a);
            entry.1 = entry.1.min(r.ttl);
        }
        for key in order {
            let (addrs, ttl) = by_name.remove(&key).unwrap_or_default();
            let (name, qtype) = key;
            out(binding(name, qtype, Vec::new(), addrs, Some(ttl)));
        }
    }
}
