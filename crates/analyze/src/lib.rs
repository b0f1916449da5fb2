//! Analysis: turning flows and parser events into knowledge.
//!
//! Passive DNS: which names each host resolved, through which CNAME chain, to which addresses,
//! for how long, and the names hosts announce for themselves over mDNS and LLMNR. Devices: the
//! local hosts, with vendor, names and fingerprints, each claim with its evidence.

pub mod behaviour;
pub mod devices;
pub mod endpoints;
pub mod findings;
pub mod identify;
pub mod passive_dns;
pub mod text;
