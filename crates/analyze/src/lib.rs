//! Analysis: turning flows and parser events into knowledge.
//!
//! For now, passive DNS: which names each host resolved, through which CNAME chain, to which
//! addresses, for how long; and the names hosts announce for themselves over mDNS and LLMNR.

pub mod passive_dns;
