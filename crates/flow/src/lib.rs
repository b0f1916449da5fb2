//! Flows: the state kept between packets.
//!
//! A [`FlowTable`] is keyed by the bidirectional 5-tuple plus VLAN ([`FlowKey`]) and keeps, per
//! flow, who sent the first frame and who initiated, per-direction packets and bytes, first and
//! last time, TCP flags and state, and the handshake round-trip time. Flows end like a NetFlow
//! exporter's: on a new TCP connection reusing the ports, some time after FIN/RST, on an idle or an
//! active timeout, or by eviction when the table is full, so memory stays bounded on endless input.
//!
//! Every decision to end a flow is taken when a packet of that flow arrives (or when the table
//! sweeps flows that can no longer receive one under the same rules), so results do not depend on
//! how packets were spread over worker threads. The one exception is eviction, which depends on
//! each table's fill.
//!
//! [`conv`] folds flows into the conversation tables tshark prints (`-z conv,...`).

pub mod conv;
pub mod pipeline;

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use iotscope_packet::tunnel::{self, Tunnel};
use iotscope_packet::{tcp_flags, Addr, Decoded, Mac, Nanos, Net, Transport};
use iotscope_proto::app::{App, AppState, By, Message, Packet};
use iotscope_proto::{ftp, iot, neighbor};
use serde::Serialize;

use conv::Conversations;

/// The two sides of a flow key: `A` is the lower (address, port), `B` the higher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Side {
    A = 0,
    B = 1,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// The one flow key: both directions of a conversation map to the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    pub a: Addr,
    pub b: Addr,
    pub a_port: u16,
    pub b_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// False when the transport header could not be read (the ports are then 0).
    pub ports_known: bool,
    /// VLAN identifiers, outermost first.
    pub vlan: [u16; 2],
}

/// Hashed as five words rather than field by field: the derived hash feeds each field (and each
/// array's length) to the hasher separately, which was a twentieth of the per-packet work.
impl std::hash::Hash for FlowKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let (a, b) = (self.a.to_bits(), self.b.to_bits());
        h.write_u64(a as u64);
        h.write_u64((a >> 64) as u64);
        h.write_u64(b as u64);
        h.write_u64((b >> 64) as u64);
        h.write_u64(
            u64::from(self.a_port)
                | u64::from(self.b_port) << 16
                | u64::from(self.proto) << 32
                | u64::from(self.ports_known) << 40,
        );
        h.write_u32(u32::from(self.vlan[0]) | u32::from(self.vlan[1]) << 16);
    }
}

impl FlowKey {
    /// The key of a decoded IP packet and the side that sent it.
    #[inline]
    pub fn of(d: &Decoded) -> (FlowKey, Side) {
        let ports_known = matches!(d.transport, Transport::Tcp | Transport::Udp);
        let (sp, dp) = if ports_known {
            (d.src_port, d.dst_port)
        } else {
            (0, 0)
        };
        let src_first = (d.src, sp) <= (d.dst, dp);
        let (a, a_port, b, b_port, side) = if src_first {
            (d.src, sp, d.dst, dp, Side::A)
        } else {
            (d.dst, dp, d.src, sp, Side::B)
        };
        let key = FlowKey {
            a,
            b,
            a_port,
            b_port,
            proto: d.ip_proto,
            ports_known,
            vlan: d.vlan,
        };
        (key, side)
    }

    /// The address and port of one side.
    pub fn end(&self, s: Side) -> (Addr, u16) {
        match s {
            Side::A => (self.a, self.a_port),
            Side::B => (self.b, self.b_port),
        }
    }

    /// A hash that is the same for both directions and across runs, to spread flows over workers.
    pub fn shard(&self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let h = foldhash::fast::FixedState::with_seed(0x1075_c09e).hash_one(self);
        (h % n as u64) as usize
    }
}

/// Counters for one direction of a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DirStats {
    pub packets: u64,
    /// Bytes on the wire (frame lengths, as tshark counts them).
    pub bytes: u64,
    /// Transport payload bytes actually captured.
    pub payload_bytes: u64,
}

/// The rhythm of the initiator's payload-carrying packets inside one flow record: a heartbeat or
/// a poll over one kept-open connection (an MQTT keep-alive, a status line every minute over
/// TLS) shows here rather than as new flows. It keeps a running period: gaps within a tenth of
/// it are on the beat (their mean and spread are kept, by Welford's method), others (the
/// handshake, a burst of work, the close) are counted off the beat; before a rhythm is
/// established, each gap starts a new candidate. All in 16 bytes: a flow table holds hundreds of
/// thousands of these.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rhythm {
    /// Start of the last beat, milliseconds (wrapping).
    last_ms: u32,
    /// Beats counted, and gaps on the beat (saturating).
    beats: u16,
    on: u16,
    /// Mean of the gaps on the beat and the sum of their squared deviations, seconds.
    mean: f32,
    m2: f32,
}

impl PartialEq for Rhythm {
    fn eq(&self, o: &Rhythm) -> bool {
        (
            self.last_ms,
            self.beats,
            self.on,
            self.mean.to_bits(),
            self.m2.to_bits(),
        ) == (o.last_ms, o.beats, o.on, o.mean.to_bits(), o.m2.to_bits())
    }
}

impl Eq for Rhythm {}

impl Rhythm {
    /// Packets closer than this to the start of a beat belong to it (one message can take
    /// several segments).
    pub const BURST_MS: u32 = 500;
    /// A longer gap is an out-of-order timestamp, not a beat.
    const MAX_GAP_MS: u32 = 86_400_000;
    /// A gap within this share of the period is on the beat.
    const TOLERANCE: f32 = 0.1;

    fn beat(&mut self, ts: Nanos) {
        let ms = ts.div_euclid(1_000_000) as u32;
        if self.beats == 0 {
            self.last_ms = ms;
            self.beats = 1;
            return;
        }
        let gap = ms.wrapping_sub(self.last_ms);
        if !(Self::BURST_MS..=Self::MAX_GAP_MS).contains(&gap) {
            return;
        }
        self.last_ms = ms;
        self.beats = self.beats.saturating_add(1);
        let x = gap as f32 / 1000.0;
        if self.on > 0 && (x - self.mean).abs() <= Self::TOLERANCE * self.mean {
            self.on = self.on.saturating_add(1);
            let delta = x - self.mean;
            self.mean += delta / f32::from(self.on);
            self.m2 += delta * (x - self.mean);
        } else if self.on <= 1 {
            // No rhythm yet: this gap is the new candidate.
            (self.on, self.mean, self.m2) = (1, x, 0.0);
        }
    }

    /// Beats seen (payload packets more than [`Self::BURST_MS`] after the previous beat).
    pub fn beats(&self) -> u16 {
        self.beats
    }

    /// Gaps between beats, and how many of them were on the beat.
    pub fn gaps(&self) -> (u16, u16) {
        (self.beats.saturating_sub(1), self.on)
    }

    /// Mean and standard deviation of the gaps on the beat, in seconds.
    pub fn period(&self) -> Option<(f64, f64)> {
        if self.on == 0 {
            return None;
        }
        let var = f64::from(self.m2) / f64::from(self.on);
        Some((f64::from(self.mean), var.max(0.0).sqrt()))
    }
}

/// Where a TCP connection stands, as seen from the packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TcpState {
    /// The capture started after the handshake.
    #[default]
    Midstream,
    SynSent,
    SynReceived,
    Established,
    /// One side has sent FIN.
    Closing,
    /// Both sides sent FIN, or one sent RST.
    Closed,
}

/// TCP bookkeeping of a flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tcp {
    pub state: TcpState,
    /// First sequence number seen from each side (tshark's base sequence).
    pub base_seq: [Option<u32>; 2],
    pub fin: [bool; 2],
    pub rst: bool,
    /// When the first SYN, SYN/ACK and handshake-completing ACK were seen.
    pub syn_ts: Stamp,
    pub synack_ts: Stamp,
    pub ack_ts: Stamp,
}

/// A time that may not have happened yet, in 8 bytes rather than an `Option`'s 16: a flow table
/// holds hundreds of thousands of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp(Nanos);

impl Default for Stamp {
    fn default() -> Self {
        Stamp(Nanos::MIN)
    }
}

impl Stamp {
    pub fn get(self) -> Option<Nanos> {
        (self.0 != Nanos::MIN).then_some(self.0)
    }

    pub fn is_none(self) -> bool {
        self.0 == Nanos::MIN
    }

    pub fn is_some(self) -> bool {
        !self.is_none()
    }

    /// Records `t` unless a time is already there.
    fn set_once(&mut self, t: Nanos) {
        if self.is_none() {
            self.0 = t;
        }
    }
}

impl Tcp {
    /// Handshake round-trip time (SYN to the ACK of the SYN/ACK), when the whole handshake was seen.
    pub fn rtt(&self) -> Option<Nanos> {
        Some(self.ack_ts.get()? - self.syn_ts.get()?).filter(|r| *r >= 0)
    }
}

/// Why a flow record ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// Still open when the input ended.
    EndOfInput,
    /// Closed by FIN or RST and then quiet.
    Closed,
    /// A new connection (SYN with a new sequence number) reused the same addresses and ports.
    PortReuse,
    Idle,
    Active,
    /// Evicted because the table was full.
    Evicted,
}

/// Registered ports of servers no parser reads, which a connection seen from its middle is
/// oriented by all the same: databases (MS SQL, Oracle, MySQL, PostgreSQL, Redis, MongoDB,
/// Elasticsearch, Memcached, InfluxDB), message brokers (AMQP, ActiveMQ, NATS, Kafka), PPTP,
/// RADIUS, OpenFlow, iperf3, Docker's and Kubernetes' APIs, X11, NFS.
const SERVER_PORTS: [u16; 24] = [
    1433, 1521, 3306, 5432, 6379, 27017, 9200, 11211, 8086, 5672, 61616, 4222, 9092, 1723, 1812,
    1813, 6633, 6653, 5201, 2375, 2376, 6443, 6000, 2049,
];

/// How much a port looks like a server's: 3 for a service the parsers know by its port, a
/// well-known port (under 1024) or a server's registered one ([`SERVER_PORTS`]), 1 for another
/// registered port, 0 for one from the range systems hand out to clients (32768 and up: Linux's
/// default starts there, Windows' and the IANA's at 49152).
pub fn service_rank(tcp: bool, port: u16) -> u8 {
    if port < 1024
        || SERVER_PORTS.contains(&port)
        || iotscope_proto::app::by_port(tcp, port, port) != App::Unknown
    {
        3
    } else if port < 32768 {
        1
    } else {
        0
    }
}

/// A flow whose first frame does not open it (a TCP segment without SYN, or a UDP datagram from a
/// service port to a client's port) began before the capture did. Its opener is then guessed
/// from the ports, as Zeek does: the side on the service port is the server. A SYN or SYN/ACK
/// settles it later either way.
fn orient(f: &mut Flow, side: Side, d: &Decoded, payload: &[u8]) {
    if !f.key.ports_known || d.fragment && !d.first_fragment {
        return;
    }
    let tcp = match d.transport {
        Transport::Tcp if d.tcp_flags & tcp_flags::SYN == 0 => true,
        Transport::Udp => false,
        _ => return,
    };
    // An RPC call comes from the client and a reply from the server, whatever their ports.
    let rpc = if tcp {
        iotscope_proto::app::onc_rpc_over_tcp(payload)
    } else {
        None
    };
    if let Some(call) = rpc {
        if !call {
            f.initiator = side.other();
        }
        return;
    }
    let (from, to) = (service_rank(tcp, d.src_port), service_rank(tcp, d.dst_port));
    // A UDP datagram is usually a request; only a reply to a client's port says otherwise. A TCP
    // segment from a service port to another port is an answer. Between ports that say nothing
    // (registered or client-range ones), a private address is the client of a public one: NAT
    // lets few connections in. Between two such private or two such public hosts, the lower
    // range is the client's.
    let reply = if tcp {
        let (src_private, dst_private) = (
            iotscope_packet::is_private(&iotscope_packet::ip_of(&d.src)),
            iotscope_packet::is_private(&iotscope_packet::ip_of(&d.dst)),
        );
        if (from == 3) != (to == 3) {
            from == 3
        } else if src_private != dst_private {
            dst_private
        } else {
            from > to
        }
    } else {
        from == 3 && to == 0
    };
    if reply {
        f.initiator = side.other();
    }
}

/// One flow record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub key: FlowKey,
    /// The side that sent the first frame of the record (tshark's address A).
    pub first_sender: Side,
    /// The side that opened the conversation: the SYN sender for TCP, else the first sender.
    pub initiator: Side,
    /// Counters of frames sent by side A and by side B.
    pub sent: [DirStats; 2],
    /// Earliest and latest frame time (captures are not always in time order).
    pub first: Nanos,
    pub last: Nanos,
    /// Time of the most recent frame in capture order, for timeouts.
    pub recent: Nanos,
    /// Index (0-based, over all inputs) of the first and last frame.
    pub first_frame: u64,
    pub last_frame: u64,
    /// How many tunnels deep the record's packets are: 0 for packets that are the frames
    /// themselves, 1 for packets a tunnel carries, and so on.
    pub depth: u8,
    /// The tunnel the record's packets are, when they carry packets of other flows.
    pub tunnel: Option<Tunnel>,
    /// For a record inside a tunnel: the outer source address of the first packet each side
    /// sent, which tells on which side of the tunnel that end lives.
    pub outer: [Option<Addr>; 2],
    /// Ethernet address of each side, from the first frame it sent.
    pub mac: [Option<Mac>; 2],
    /// IPv4 TTL or IPv6 hop limit of the first frame each side sent (0 before it sent one): a
    /// value just under 64, 128 or 255 says the sender is a router hop or more away.
    pub ttl: [u8; 2],
    pub tcp: Option<Tcp>,
    /// OR of the TCP flags each side sent.
    pub tcp_flags: [u8; 2],
    /// OR of the kinds of ICMP or ICMPv6 message each side sent ([`icmp_kind`]).
    pub icmp: [u8; 2],
    /// The rhythm of the initiator's packets.
    pub rhythm: Rhythm,
    /// The application and what the parsers know of the flow.
    pub app: AppState,
    pub end: EndReason,
}

/// A message an application parser read from a flow, with where and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Index of the frame that carried it.
    pub frame: u64,
    pub ts: Nanos,
    /// The flow record it belongs to ([`Flow::id`]); for ARP, which has none, the frame.
    pub flow: u64,
    /// Sender and receiver of the frame.
    pub src: Addr,
    pub src_port: u16,
    pub dst: Addr,
    pub dst_port: u16,
    /// IP protocol number.
    pub proto: u8,
    /// Sent by the side that opened the flow.
    pub from_client: bool,
    pub message: Message,
}

/// Where each flow record is among the records, kept in the order of [`FlowOutput::flows`] (by
/// first frame, then depth), found by its id ([`Flow::id`]): a binary search in their ids alone,
/// 8 bytes a record (a map by id cost its building, its memory and a hash a question; a search in
/// the records themselves a cache miss a step).
pub struct FlowIndex {
    /// Each record's id with its depth moved to the low byte: sorted as the records are.
    keys: Vec<u64>,
}

impl FlowIndex {
    pub fn new(flows: &[Flow]) -> FlowIndex {
        let keys: Vec<u64> = flows.iter().map(|f| order_key(f.id())).collect();
        debug_assert!(keys.is_sorted(), "flow records out of order");
        FlowIndex { keys }
    }

    /// Where the record with id `id` is.
    pub fn find(&self, id: u64) -> Option<usize> {
        self.keys.binary_search(&order_key(id)).ok()
    }
}

/// Where record `f` would be in a slice of records starting at address `start`
/// (`flows.as_ptr() as usize`), found from its address alone: nearly every record the analysis
/// asks about is one of the slice's. A record of another slice gives any index, so the caller
/// checks the record there (by address or by id) before trusting it.
pub fn slot_of(start: usize, f: &Flow) -> usize {
    (f as *const Flow as usize).wrapping_sub(start) / std::mem::size_of::<Flow>()
}

/// An id ([`Flow::id`]) as a number that orders by first frame, then depth: the first frame's
/// number is below 2^56 (the depth's bits), so the depth rotates into the low byte.
fn order_key(id: u64) -> u64 {
    id.rotate_left(8)
}

/// Where [`Flow::id`] keeps the depth.
const DEPTH_SHIFT: u32 = 56;

impl Flow {
    /// The record's identity, which [`Event::flow`] gives: its first frame's index, and its
    /// depth in the top byte (a tunnelled frame starts a record at every depth).
    pub fn id(&self) -> u64 {
        self.first_frame | u64::from(self.depth) << DEPTH_SHIFT
    }

    /// A TCP connection seen from its middle: opened before the capture began (neither its SYN
    /// nor its SYN/ACK is in it).
    pub fn begun_before_capture(&self) -> bool {
        self.tcp
            .is_some_and(|t| t.syn_ts.is_none() && t.synack_ts.is_none())
    }

    /// The first frame of the record with id `id` ([`Flow::id`]).
    pub fn first_frame_of(id: u64) -> u64 {
        id & ((1 << DEPTH_SHIFT) - 1)
    }

    /// The depth of the record with id `id` ([`Flow::id`]).
    pub fn depth_of(id: u64) -> u8 {
        (id >> DEPTH_SHIFT) as u8
    }

    /// The application, as the parsers named it; a tunnel no parser named is named by its kind
    /// (`vxlan`), found on its port or protocol number and its header.
    pub fn app_name(&self) -> Cow<'static, str> {
        match (self.app.app, self.tunnel) {
            (App::Unknown, Some(t)) => Cow::Borrowed(t.name()),
            _ => self.app.display(),
        }
    }

    fn new(key: FlowKey, side: Side, ts: Nanos, frame: u64, depth: u8) -> Flow {
        Flow {
            depth,
            tunnel: None,
            outer: [None; 2],
            key,
            first_sender: side,
            initiator: side,
            sent: [DirStats::default(); 2],
            first: ts,
            last: ts,
            recent: ts,
            first_frame: frame,
            last_frame: frame,
            mac: [None; 2],
            ttl: [0; 2],
            tcp: if key.proto == 6 && key.ports_known {
                Some(Tcp::default())
            } else {
                None
            },
            tcp_flags: [0; 2],
            icmp: [0; 2],
            rhythm: Rhythm::default(),
            app: AppState::default(),
            end: EndReason::EndOfInput,
        }
    }

    /// Total frames in both directions.
    pub fn packets(&self) -> u64 {
        self.sent[0].packets + self.sent[1].packets
    }

    /// Total wire bytes in both directions.
    pub fn bytes(&self) -> u64 {
        self.sent[0].bytes + self.sent[1].bytes
    }

    /// Counters of the frames the given side sent.
    pub fn from(&self, s: Side) -> &DirStats {
        &self.sent[s as usize]
    }

    /// Both sides sent payload: a conversation, not a probe or an unanswered request.
    pub fn both_spoke(&self) -> bool {
        self.sent.iter().all(|d| d.payload_bytes > 0)
    }

    /// Whether the flow's bytes are encrypted, None when that is not known (an application
    /// not recognised). ICMP, ICMPv6 and IGMP are the network's own messages, in clear.
    pub fn encrypted(&self) -> Option<bool> {
        if matches!(self.key.proto, 1 | 2 | 58) {
            Some(false)
        } else {
            self.app.encrypted()
        }
    }

    /// The flow's opener started an exchange of its own: not an answer or an announcement
    /// (ICMP errors, IGMP reports, a DHCP offer, mDNS or SSDP to a group), though a ping is one.
    pub fn opens_exchange(&self) -> bool {
        let to = iotscope_packet::ip_of(&self.key.end(self.initiator.other()).0);
        let echo = self.icmp[self.initiator as usize] & icmp_kind::ECHO_REQUEST != 0;
        let opens = match self.key.proto {
            1 | 58 => echo,
            2 => false,
            _ => !matches!(self.app.app, App::Dhcp | App::Dhcpv6),
        };
        opens && !to.is_multicast() && to != std::net::IpAddr::V4(std::net::Ipv4Addr::BROADCAST)
    }
}

/// When flows end. `None` disables a timeout.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// A flow quiet for this long ends; the next packet starts a new record.
    pub idle_timeout: Option<Nanos>,
    /// A flow older than this is cut into a new record (long connections report periodically).
    pub active_timeout: Option<Nanos>,
    /// A TCP flow closed by FIN/RST ends after this much quiet (late ACKs and retransmissions of
    /// the close still belong to it).
    pub closed_linger: Option<Nanos>,
    /// Most flows kept at once; beyond it the least recently active are evicted.
    pub max_flows: usize,
    /// Also build the Ethernet conversation table (address pairs), which needs one more lookup
    /// per frame.
    pub eth_conversations: bool,
    /// Build the IP address-pair table (`FlowOutput::addresses`) and keep no flow records: all
    /// that `flows --by ip|ipv6` prints, in memory bounded by the number of address pairs rather
    /// than of flows. Without `messages`, each packet goes straight into its row and no flow is
    /// tracked; with them (the parsers need flows), each record is folded in when it ends.
    pub fold_addresses: bool,
    /// Run the application parsers to the end and keep their messages as events (DNS answers,
    /// TLS hellos, HTTP heads...). Without it, flows still get their application label (from
    /// ports and the first payload bytes), which costs far less.
    pub messages: bool,
    /// Keep the parsers' messages as events (else they are counted in `TableStats::events` and
    /// dropped).
    pub keep_events: bool,
}

const SECOND: Nanos = 1_000_000_000;

impl Default for Config {
    /// NetFlow-like defaults: 5 minutes idle (IoT keep-alives are often 1-4 minutes apart, and a
    /// shorter idle timeout would cut their long-lived channels into pieces), 30 minutes active
    /// (Cisco's default), 10 s after a close, one million flows (a few hundred MB at most).
    fn default() -> Self {
        Config {
            idle_timeout: Some(300 * SECOND),
            active_timeout: Some(1800 * SECOND),
            closed_linger: Some(10 * SECOND),
            max_flows: 1_000_000,
            eth_conversations: false,
            fold_addresses: false,
            messages: false,
            keep_events: true,
        }
    }
}

impl Config {
    /// Default timeouts, with every parser run to the end and its messages kept as events.
    pub fn with_messages() -> Self {
        Config {
            messages: true,
            ..Config::default()
        }
    }

    /// No timeouts at all: flows end only on TCP port reuse, as tshark's conversations do.
    pub fn without_timeouts() -> Self {
        Config {
            idle_timeout: None,
            active_timeout: None,
            closed_linger: None,
            ..Config::default()
        }
    }
}

/// Kinds of ICMP and ICMPv6 message, as bits of [`Flow::icmp`].
pub mod icmp_kind {
    use iotscope_packet::Transport;

    pub const ECHO_REQUEST: u8 = 1;
    pub const ECHO_REPLY: u8 = 2;
    /// Destination unreachable, time exceeded, parameter problem (and ICMPv6's packet too big,
    /// source quench and redirect for IPv4): messages about another packet.
    pub const ERROR: u8 = 4;
    /// Everything else: router and neighbour discovery, timestamps, multicast listeners...
    pub const OTHER: u8 = 8;
    /// Set with [`ERROR`] for the errors a router sends about a packet it could not pass on
    /// (time exceeded, network or host unreachable, fragmentation needed, forbidden, redirect;
    /// ICMPv6's packet too big, no route), as against the destination's own refusal (port or
    /// protocol unreachable), which a host sends.
    pub const ROUTER_ERROR: u8 = 16;

    /// The kind of an ICMP (`Transport::Icmp`) or ICMPv6 message of type `t` and code `code`.
    pub fn of(transport: Transport, t: u8, code: u8) -> u8 {
        match (transport, t, code) {
            (Transport::Icmp, 8, _) | (Transport::Icmpv6, 128, _) => ECHO_REQUEST,
            (Transport::Icmp, 0, _) | (Transport::Icmpv6, 129, _) => ECHO_REPLY,
            (Transport::Icmp, 3, 2 | 3) | (Transport::Icmpv6, 1, 4) | (Transport::Icmpv6, 4, _) => {
                ERROR
            }
            (Transport::Icmp, 3 | 5 | 11, _) | (Transport::Icmpv6, 1..=3, _) => {
                ERROR | ROUTER_ERROR
            }
            (Transport::Icmp, 4 | 12, _) => ERROR,
            _ => OTHER,
        }
    }
}

/// Every layer of a frame, for [`FlowTable::add_layers`].
pub const ALL_LAYERS: u8 = u8::MAX;

/// Counters of the table's own work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableStats {
    /// IP frames accounted to flows.
    pub frames: u64,
    /// Records ended by eviction.
    pub evicted: u64,
    /// Most flows held at once.
    pub peak_flows: u64,
    /// Later IP fragments matched to the flow of their first fragment.
    pub fragments_matched: u64,
    /// Later IP fragments whose first fragment was not seen (kept in a port-less flow).
    pub fragments_unmatched: u64,
    /// Messages the application parsers read.
    pub events: u64,
    /// Packets found inside tunnels (each counted in its own flow as well as in the tunnel's).
    pub tunnelled: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FragKey {
    src: Addr,
    dst: Addr,
    id: u32,
    proto: u8,
}

/// When to sweep the flow table for flows that timed out: at the first frame, then whenever a
/// frame's time is a quarter of the shortest timeout past the last sweep (that bounds the extra
/// memory to that share), and at least [`SWEEP_FRAMES`] frames later. Kept apart from the table
/// so that the thread reading the input can keep the same schedule for the tables of all workers.
#[derive(Clone, Copy, Debug)]
pub struct SweepClock {
    next: Nanos,
    step: Option<Nanos>,
    /// Frames since the last sweep.
    frames: u64,
}

/// Fewest frames between two sweeps. Time decides sweeps, but in captures joined end to end
/// (mergecap of several days, or timestamps that jump back and forth) a frame can pass the next
/// sweep time every few frames, and each sweep walks the whole table: a tenth of all the work on
/// such input. At this spacing a sweep costs a few instructions per frame whatever the jumps, and
/// on steady input (a sweep every 2.5 s of traffic) it changes nothing below 1 600 frames/s.
pub const SWEEP_FRAMES: u64 = 4096;

impl SweepClock {
    pub fn new(cfg: &Config) -> SweepClock {
        let shortest = [cfg.idle_timeout, cfg.closed_linger]
            .into_iter()
            .flatten()
            .min();
        SweepClock {
            next: Nanos::MIN,
            step: shortest.map(|t| (t / 4).max(SECOND)),
            frames: SWEEP_FRAMES,
        }
    }

    /// Whether a frame at `ts` sweeps first (and when the next sweep is then due).
    #[inline]
    pub fn due(&mut self, ts: Nanos) -> bool {
        self.frames += 1;
        match self.step {
            Some(step) if ts >= self.next && self.frames >= SWEEP_FRAMES => {
                self.next = ts.saturating_add(step);
                self.frames = 0;
                true
            }
            _ => false,
        }
    }
}

/// How long a first fragment's ports are remembered for the fragments that follow it.
const FRAGMENT_LIFETIME: Nanos = 30 * SECOND;

type Hasher = foldhash::fast::RandomState;

/// Where ended flow records go: kept, or folded into the address-pair table at once when only
/// that table is wanted (`flows --by ip`), so that memory holds conversations, not records.
#[derive(Debug)]
enum Finished {
    Kept(Vec<Flow>),
    Folded(Conversations<Addr>),
}

impl Finished {
    fn push(&mut self, f: Flow) {
        match self {
            Finished::Kept(v) => v.push(f),
            Finished::Folded(t) => conv::fold_addresses(t, &f),
        }
    }
}

/// The flow table. Finished records accumulate in a `Vec` (the cost is per flow, never per
/// packet), or are folded into conversations (see [`Config::fold_addresses`]).
pub struct FlowTable {
    cfg: Config,
    flows: HashMap<FlowKey, Flow, Hasher>,
    fragments: HashMap<FragKey, (u16, u16, Nanos), Hasher>,
    finished: Finished,
    /// Messages read by the application parsers, in frame order.
    pub events: Vec<Event>,
    /// Messages the parsers held back until their flow ended, which come after later frames'
    /// (put in order with the others at the end, [`FlowTable::finish`]).
    late: Vec<Event>,
    pub eth: Conversations<Mac>,
    pub stats: TableStats,
    /// (MAC, IPv4) pairs ARP has shown already.
    arp_seen: hashbrown::HashSet<(Mac, [u8; 4]), Hasher>,
    /// Neighbor Discovery messages reported: (kind, sender, what about).
    nd_seen: hashbrown::HashSet<(&'static str, Addr, Option<Addr>), Hasher>,
    /// The last LLDP or CDP announcement reported per MAC and protocol ([`announcement`]).
    neighbors_seen: HashMap<(Mac, &'static str), u64, Hasher>,
    sweeps: SweepClock,
    /// Sweeps are decided by the caller ([`FlowTable::sweep_at`]), not by this table's packets.
    external_sweeps: bool,
    /// Frames (outermost layers) since the table was last walked by a sweep.
    since_sweep: u64,
    /// The time of the latest sweep that waited (see [`FlowTable::sweep`]), if no walk came
    /// after it.
    deferred: Option<Nanos>,
    scratch: Vec<(Nanos, FlowKey)>,
    /// Listening ends (address, port) of FTP data connections their control connections
    /// announced, and of TFTP clients waiting for the server's answer from a new port, with the
    /// time the wait lapses and what will come.
    expected: Expected,
}

/// See [`FlowTable`]'s `expected`.
/// Announced flows, by the end they involve: until when, what they carry, and the address of the
/// end that must answer first (a TFTP server's; none for an FTP data connection).
type Expected = HashMap<(Addr, u16), (Nanos, App, Option<Addr>), Hasher>;

/// How long an announced FTP data connection or a TFTP answer is waited for (servers give up
/// after a minute or so; a client that announced a port connects at once).
const EXPECT_LIFETIME: Nanos = 120 * SECOND;
/// Most announced data connections waited for at once (one control connection announces one
/// at a time; this bounds what a flood of announcements can hold).
const MAX_EXPECTED: usize = 4096;

impl FlowTable {
    pub fn new(cfg: Config) -> FlowTable {
        FlowTable {
            cfg,
            flows: HashMap::with_capacity_and_hasher(1024, Hasher::default()),
            fragments: HashMap::with_hasher(Hasher::default()),
            finished: if cfg.fold_addresses {
                Finished::Folded(Conversations::default())
            } else {
                Finished::Kept(Vec::new())
            },
            events: Vec::new(),
            late: Vec::new(),
            eth: Conversations::default(),
            stats: TableStats::default(),
            arp_seen: hashbrown::HashSet::with_hasher(Hasher::default()),
            nd_seen: hashbrown::HashSet::with_hasher(Hasher::default()),
            neighbors_seen: HashMap::with_hasher(Hasher::default()),
            sweeps: SweepClock::new(&cfg),
            external_sweeps: false,
            since_sweep: 0,
            deferred: None,
            scratch: Vec::new(),
            expected: HashMap::with_hasher(Hasher::default()),
        }
    }

    /// Flows currently open.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Accounts one frame. `frame` is its index over all inputs, `wire_len` its length on the wire,
    /// `bytes` the captured frame `d` was decoded from (its payload goes to the parsers).
    pub fn add(&mut self, frame: u64, ts: Nanos, wire_len: u32, d: &Decoded, bytes: &[u8]) {
        self.add_layers(frame, ts, wire_len, d, bytes, ALL_LAYERS);
    }

    /// [`add`](Self::add) for some layers of a frame only: bit 0 of `layers` is the frame itself,
    /// bit `i` the packet `i` tunnels deep inside it. With worker threads, the layers of a
    /// tunnelled frame go to the workers that own their address pairs.
    pub fn add_layers(
        &mut self,
        frame: u64,
        ts: Nanos,
        wire_len: u32,
        d: &Decoded,
        bytes: &[u8],
        layers: u8,
    ) {
        if layers == 0 {
            return;
        }
        // Most frames carry no tunnel (TCP never does): the frame's own packet is accounted from
        // the caller's summary, never copied (a copy read fields in wider words than they had
        // just been written in, a stall on every UDP frame).
        let inner = if tunnel::may_tunnel(d) {
            tunnel::decode_inner(d, bytes)
        } else {
            None
        };
        if layers & 1 != 0 {
            let carries = inner.as_ref().map(|(t, _)| *t);
            self.add_layer(frame, ts, wire_len, d, bytes, (0, carries, None));
        }
        // The inner packets, when this table tracks any.
        let Some((t, mut layer)) = inner.filter(|_| layers >> 1 != 0) else {
            return;
        };
        // A tunnel's packet is also a packet of its own flow, as tshark counts it. A mirror's
        // copies were seen where it is: no tunnel carried them there.
        let mut outer = (!tunnel::mirrors(d, bytes, t)).then_some(d.src);
        for depth in 1..=tunnel::MAX_DEPTH {
            if layers >> depth == 0 {
                break;
            }
            let inner = if depth < tunnel::MAX_DEPTH {
                tunnel::decode_inner(&layer, bytes)
            } else {
                None
            };
            if layers & (1 << depth) != 0 {
                self.stats.tunnelled += 1;
                let carries = inner.map(|(t, _)| t);
                let at = (depth as u8, carries, outer);
                self.add_layer(frame, ts, wire_len, &layer, bytes, at);
            }
            match inner {
                Some((t, next)) => {
                    outer = (!tunnel::mirrors(&layer, bytes, t)).then_some(layer.src);
                    layer = next;
                }
                None => break,
            }
        }
    }

    /// Reports what a host announces about itself by LLDP or CDP, once per MAC, protocol and
    /// content: they repeat it every 30 or 60 seconds, and a phone or switch that boots during
    /// the capture changes its name and capabilities.
    #[cold]
    fn link_neighbor(&mut self, frame: u64, ts: Nanos, d: &Decoded, bytes: &[u8]) {
        let Some((mac, _)) = d.eth else { return };
        let b = d.payload(bytes);
        let n = match d.ethertype {
            0x88cc => neighbor::lldp(b),
            0 => b
                .strip_prefix(&neighbor::CDP_SNAP[..])
                .and_then(neighbor::cdp),
            // Behind an 802.11 frame's LLC/SNAP header, whose PID the link layer took for an
            // EtherType.
            0x2000 => neighbor::cdp(b),
            _ => None,
        };
        let Some(n) = n else { return };
        let said = announcement(&n);
        if mac[0] & 1 != 0 || self.neighbors_seen.insert((mac, n.protocol), said) == Some(said) {
            return;
        }
        self.events.push(Event {
            frame,
            ts,
            flow: frame,
            src: Addr::UNSPECIFIED,
            src_port: 0,
            dst: Addr::UNSPECIFIED,
            dst_port: 0,
            proto: 0,
            from_client: true,
            message: Message::Neighbor {
                mac,
                neighbor: Box::new(n),
            },
        });
        self.stats.events += 1;
        if !self.cfg.keep_events {
            self.drop_events();
        }
    }

    /// Reports a Neighbor Discovery message once per sender, kind and address.
    #[cold]
    fn neighbor_discovery(&mut self, frame: u64, ts: Nanos, d: &Decoded, bytes: &[u8]) {
        let end = (d.payload_offset + d.payload_len) as usize;
        let start = (d.payload_offset as usize).saturating_sub(8);
        let Some(mut m) = bytes.get(start..end).and_then(iotscope_proto::ndp::parse) else {
            return;
        };
        m.sender = d.eth.map(|e| e.0);
        if !self.nd_seen.insert((m.kind, d.src, m.about())) {
            return;
        }
        self.events.push(Event {
            frame,
            ts,
            flow: frame,
            src: d.src,
            src_port: 0,
            dst: d.dst,
            dst_port: 0,
            proto: 58,
            from_client: true,
            message: Message::Ndp(Box::new(m)),
        });
        self.stats.events += 1;
        if !self.cfg.keep_events {
            self.drop_events();
        }
    }

    /// Adds one layer of a frame: the frame itself (depth 0), or a packet `depth` tunnels deep in
    /// it, which leaves the sweep schedule alone (it counts frames, not layers); `carries` is the
    /// tunnel this layer is, when it carries another, and `outer` the source address of the
    /// layer that carried this one.
    fn add_layer(
        &mut self,
        frame: u64,
        ts: Nanos,
        wire_len: u32,
        d: &Decoded,
        bytes: &[u8],
        (depth, carries, outer): (u8, Option<Tunnel>, Option<Addr>),
    ) {
        // tshark's Ethernet conversations leave out 802.11 stations.
        if self.cfg.eth_conversations && !d.not_ethernet {
            if let Some((src, dst)) = d.eth {
                self.eth.add(src, dst, (frame, depth), ts, wire_len);
            }
        }
        if let (Some((mac, ip, target)), true) = (d.arp, self.cfg.messages) {
            // Which MAC holds which address: reported once per pair.
            if self.arp_seen.insert((mac, ip)) {
                let ip = std::net::Ipv4Addr::from(ip);
                self.events.push(Event {
                    frame,
                    ts,
                    flow: frame,
                    src: ip.to_ipv6_mapped(),
                    src_port: 0,
                    dst: std::net::Ipv4Addr::from(target).to_ipv6_mapped(),
                    dst_port: 0,
                    proto: 0,
                    from_client: true,
                    message: Message::Arp {
                        mac,
                        ip,
                        via: outer.map(|o| iotscope_packet::ip_of(&o)),
                    },
                });
                self.stats.events += 1;
                if !self.cfg.keep_events {
                    self.drop_events();
                }
            }
        }
        if self.cfg.messages && d.net == Net::Other && d.eth.is_some() {
            self.link_neighbor(frame, ts, d, bytes);
        }
        // IPv6 Neighbor Discovery (hop limit 255: nothing routed it) tells which prefixes and
        // addresses are on this link.
        if self.cfg.messages && d.ip_proto == 58 && d.ttl == 255 && matches!(d.icmp.0, 134..=136) {
            self.neighbor_discovery(frame, ts, d, bytes);
        }
        // Every frame counts for the sweep schedule, as with a clock that sees every frame.
        if depth == 0 {
            self.since_sweep += 1;
            if !self.external_sweeps && self.sweeps.due(ts) {
                self.sweep(ts);
            }
        }
        if !d.is_ip() {
            return;
        }
        self.stats.frames += 1;
        if let (Finished::Folded(t), false) = (&mut self.finished, self.cfg.messages) {
            // Only the address-pair table is wanted, and no parser needs a flow's state: the
            // packet goes straight into its row, as tshark counts it. A record would be folded
            // into the same row with the same counts, first frame and side A when it ended
            // (`folding_records_as_they_end_gives_the_same_address_table` holds the two equal).
            t.add(d.src, d.dst, (frame, depth), ts, wire_len);
            return;
        }
        let (mut key, mut side) = FlowKey::of(d);
        if d.fragment {
            self.match_fragment(d, ts, &mut key, &mut side);
        }
        let cfg = self.cfg;
        if self.flows.len() >= cfg.max_flows && !self.flows.contains_key(&key) {
            self.evict();
        }
        let open = self.flows.len() as u64;
        let mut created = true;
        let flow = match self.flows.entry(key) {
            Entry::Occupied(e) => {
                let f = e.into_mut();
                if let Some(reason) = ends_before(f, &cfg, side, ts, d) {
                    let mut old = std::mem::replace(f, Flow::new(key, side, ts, frame, depth));
                    old.end = reason;
                    close(&mut old, &mut self.late);
                    self.finished.push(old);
                } else {
                    created = false;
                }
                f
            }
            Entry::Vacant(v) => {
                let f = v.insert(Flow::new(key, side, ts, frame, depth));
                self.stats.peak_flows = self.stats.peak_flows.max(open + 1);
                f
            }
        };
        if created {
            orient(flow, side, d, d.payload(bytes));
            if !self.expected.is_empty() {
                take_expected(&mut self.expected, flow, d.transport, ts);
            }
        }
        update(flow, side, frame, ts, wire_len, d, bytes);
        if carries.is_some() {
            flow.tunnel = carries;
        }
        if flow.outer[side as usize].is_none() {
            flow.outer[side as usize] = outer;
        }
        if matches!(d.transport, Transport::Tcp | Transport::Udp) {
            if cfg.messages {
                if !flow.app.done() {
                    let before = self.events.len();
                    inspect(flow, side, frame, ts, d, bytes, &mut self.events);
                    let new = &self.events[before..];
                    self.stats.events += new.len() as u64;
                    for e in new {
                        if let Message::FtpData(ch) = &e.message {
                            expect(&mut self.expected, flow, ch, ts);
                        }
                    }
                    if !cfg.keep_events {
                        self.events.clear();
                        self.late.clear();
                    }
                }
            } else {
                if !flow.app.labelled() {
                    let p = packet(flow, side, d, bytes);
                    flow.app.label_in_order(&p);
                }
                if flow.app.app == App::Ftp && d.transport == Transport::Tcp {
                    ftp_control(&mut self.expected, flow, side, d, bytes, ts);
                }
            }
            // A TFTP server answers a request from a new port of its own (RFC 1350's transfer
            // identifier), to the port the request came from: that flow is the transfer.
            if flow.app.app == App::Tftp
                && flow.app.by != By::Control
                && d.transport == Transport::Udp
                && side == flow.initiator
            {
                let server = flow.key.end(side.other()).0;
                expect_at(
                    &mut self.expected,
                    flow.key.end(side),
                    (App::Tftp, Some(server)),
                    ts.saturating_add(EXPECT_LIFETIME),
                );
            }
        }
    }

    /// Later fragments carry no ports: give them the key of their first fragment.
    fn match_fragment(&mut self, d: &Decoded, ts: Nanos, key: &mut FlowKey, side: &mut Side) {
        let fk = FragKey {
            src: d.src,
            dst: d.dst,
            id: d.frag_id,
            proto: d.ip_proto,
        };
        if d.first_fragment {
            if key.ports_known {
                self.fragments.insert(fk, (d.src_port, d.dst_port, ts));
            }
            return;
        }
        match self.fragments.get(&fk) {
            Some(&(sp, dp, _)) => {
                let mut with_ports = *d;
                with_ports.src_port = sp;
                with_ports.dst_port = dp;
                with_ports.transport = if d.ip_proto == 6 {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                (*key, *side) = FlowKey::of(&with_ports);
                self.stats.fragments_matched += 1;
            }
            None => self.stats.fragments_unmatched += 1,
        }
    }

    /// From now on, flows are swept only when the caller says ([`FlowTable::sweep_at`]): a
    /// worker thread sweeps when a [`SweepClock`] that saw every frame says (the reading thread's,
    /// or its own when it reads every frame itself), at the same moments in the whole input as
    /// one table would, so that the thread count changes no flow.
    pub fn external_sweeps(&mut self) {
        self.external_sweeps = true;
    }

    /// Ends the flows that no packet can extend any more at time `now`.
    pub fn sweep_at(&mut self, now: Nanos) {
        if self.sweeps.step.is_some() {
            self.sweep(now);
        }
    }

    /// Ends the flows that no packet can extend any more under the timeout rules.
    fn sweep(&mut self, now: Nanos) {
        self.fragments
            .retain(|_, (_, _, t)| now.saturating_sub(*t) < FRAGMENT_LIFETIME);
        self.expected.retain(|_, (until, ..)| *until >= now);
        // A sweep walks every open flow. When they outnumber twice the frames since the last
        // walk (a scan leaves hundreds of thousands open, one packet each), the walk waits, so
        // that it costs at most two flow checks per frame. Only memory waits with it: a packet
        // of a flow that timed out ends that flow all the same ([`ends_before`]), and a table
        // halfway to its limit is walked at once, before it must evict. The records are the
        // same: a later walk ends what this one would have, for the same reason, and the last
        // one that waited is made at the end ([`FlowTable::finish`]).
        let open = self.flows.len();
        if open as u64 > 2 * self.since_sweep && open < self.cfg.max_flows / 2 {
            self.deferred = Some(now);
            return;
        }
        self.walk(now);
    }

    /// Drops the messages read so far, when they are counted and not kept
    /// ([`Config::keep_events`]).
    fn drop_events(&mut self) {
        self.events.clear();
        self.late.clear();
    }

    /// Ends every open flow that timed out at `now`.
    fn walk(&mut self, now: Nanos) {
        self.since_sweep = 0;
        self.deferred = None;
        let cfg = self.cfg;
        let finished = &mut self.finished;
        let late = &mut self.late;
        self.flows.retain(|_, f| match quiet_end(f, &cfg, now) {
            Some(reason) => {
                let mut f = f.clone();
                f.end = reason;
                close(&mut f, late);
                finished.push(f);
                false
            }
            None => true,
        });
    }

    /// Frees an eighth of the table, least recently active first.
    fn evict(&mut self) {
        self.scratch.clear();
        self.scratch
            .extend(self.flows.values().map(|f| (f.recent, f.key)));
        let n = (self.scratch.len() / 8).max(1);
        self.scratch.select_nth_unstable_by_key(n - 1, |(t, _)| *t);
        for (_, key) in self.scratch.drain(..n) {
            if let Some(mut f) = self.flows.remove(&key) {
                f.end = EndReason::Evicted;
                close(&mut f, &mut self.late);
                self.finished.push(f);
                self.stats.evicted += 1;
            }
        }
    }

    /// Ends every open flow (end of input) and returns all records, in order of first frame.
    pub fn finish(mut self) -> FlowOutput {
        if let Some(t) = self.deferred {
            self.walk(t);
        }
        for (_, mut f) in self.flows.drain() {
            close(&mut f, &mut self.late);
            self.finished.push(f);
        }
        let (mut flows, addresses) = match self.finished {
            Finished::Kept(v) => (v, Conversations::default()),
            Finished::Folded(t) => (Vec::new(), t),
        };
        flows.sort_unstable_by_key(|f| (f.first_frame, f.depth));
        // The messages flows held back until they ended, after the others (in frame order
        // already): the stable sort merges the two in about one pass (the whole, sorted with the
        // held-back messages in their places, was many short runs, 2 % of `report`). Ties keep
        // the order they were made in, as before: a message held back was made after every
        // other message of its frame.
        if !self.late.is_empty() {
            self.events.append(&mut self.late);
        }
        self.events
            .sort_by_key(|e| (e.frame, Flow::depth_of(e.flow)));
        FlowOutput {
            flows,
            events: self.events,
            eth: self.eth,
            addresses,
            stats: self.stats,
        }
    }
}

/// Everything a table produced.
#[derive(Debug, Default)]
pub struct FlowOutput {
    /// Flow records in order of their first frame.
    pub flows: Vec<Flow>,
    /// Parser messages in frame order.
    pub events: Vec<Event>,
    pub eth: Conversations<Mac>,
    /// The address-pair table of the records folded instead of kept
    /// ([`Config::fold_addresses`]).
    pub addresses: Conversations<Addr>,
    pub stats: TableStats,
}

impl FlowOutput {
    /// Renumbers the frames with `to`, which keeps their order: the output of parts of a file
    /// read apart, numbered by part ([`crate::pipeline`]), before the parts are joined.
    pub fn renumber_frames(&mut self, to: impl Fn(u64) -> u64) {
        for f in &mut self.flows {
            f.first_frame = to(f.first_frame);
            f.last_frame = to(f.last_frame);
        }
        for e in &mut self.events {
            e.frame = to(e.frame);
            // A flow's id keeps its depth above its first frame's number.
            let depth = u64::from(Flow::depth_of(e.flow)) << DEPTH_SHIFT;
            e.flow = to(Flow::first_frame_of(e.flow)) | depth;
        }
        self.eth.renumber_frames(&to);
        self.addresses.renumber_frames(&to);
    }

    /// Merges the outputs of several tables (one per worker thread).
    pub fn merge(parts: Vec<FlowOutput>) -> FlowOutput {
        let mut out = FlowOutput::default();
        let mut flows = Vec::with_capacity(parts.len());
        let mut events = Vec::with_capacity(parts.len());
        for p in parts {
            flows.push(p.flows);
            events.push(p.events);
            out.eth.merge(p.eth);
            out.addresses.merge(p.addresses);
            out.stats.frames += p.stats.frames;
            out.stats.evicted += p.stats.evicted;
            out.stats.peak_flows += p.stats.peak_flows;
            out.stats.fragments_matched += p.stats.fragments_matched;
            out.stats.fragments_unmatched += p.stats.fragments_unmatched;
            out.stats.events += p.stats.events;
            out.stats.tunnelled += p.stats.tunnelled;
        }
        // Each part is in order already (`finish`): merged, as one stable sort of the parts one
        // after the other would order them.
        out.flows = merge_sorted(flows, |f| (f.first_frame, f.depth));
        out.events = merge_sorted(events, |e| (e.frame, Flow::depth_of(e.flow)));
        // Each table reports a (MAC, address) pair of ARP once, and ARP frames of one host can go
        // to several workers: keep the first report of each pair, as one table would.
        let mut arp_seen = hashbrown::HashSet::with_hasher(Hasher::default());
        let before = out.events.len();
        let mut nd_seen = hashbrown::HashSet::with_hasher(Hasher::default());
        let mut neighbors_seen: HashMap<(Mac, &str), u64, Hasher> =
            HashMap::with_hasher(Hasher::default());
        out.events.retain(|e| match &e.message {
            Message::Arp { mac, ip, .. } => arp_seen.insert((*mac, *ip)),
            Message::Ndp(m) => nd_seen.insert((m.kind, e.src, m.about())),
            Message::Neighbor { mac, neighbor } => {
                let a = announcement(neighbor);
                neighbors_seen.insert((*mac, neighbor.protocol), a) != Some(a)
            }
            _ => true,
        });
        out.stats.events -= (before - out.events.len()) as u64;
        out
    }
}

/// The vectors, each sorted by `key`, merged into one sorted the same way, the elements of an
/// earlier vector first among equal keys (what a stable sort of them one after the other gives).
/// Merged two by two, each pair from the back into the first's own block, grown: every element
/// moves once a round, and only the second's elements need memory not yet written. Appending
/// every part to a new vector and sorting it took 22 ms of `report` on two threads (the bench
/// file's 51 000 flow records and 143 000 messages): 32 MB written to fresh pages, then a
/// sort's scratch space of half as much.
fn merge_sorted<T, K: Ord>(mut runs: Vec<Vec<T>>, key: impl Fn(&T) -> K) -> Vec<T> {
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        let mut it = runs.into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                merge_into(&mut a, b, &key);
            }
            next.push(a);
        }
        runs = next;
    }
    runs.pop().unwrap_or_default()
}

/// Merges `b` into `a`, both sorted by `key`, `a`'s elements first among equal keys.
fn merge_into<T, K: Ord>(a: &mut Vec<T>, mut b: Vec<T>, key: &impl Fn(&T) -> K) {
    let (n, m) = (a.len(), b.len());
    a.reserve(m);
    // SAFETY: `a` has room for `n + m` elements. Each step moves one element, bit for bit, from
    // `a[i - 1]` or `b[j - 1]` to `a[i + j - 1]` (the counts after the step), a slot at or past
    // `a`'s elements not yet moved (`a[..i]`, j being at least 1 for an element of `a`) and never
    // read again: every element ends in exactly one slot of `a[..n + m]`. Neither vector owns
    // its elements meanwhile (lengths 0: should `key` panic, they are leaked, never dropped
    // twice); `b`'s block is freed without dropping any, and `a` owns all `n + m` at the end.
    unsafe {
        let (pa, pb) = (a.as_mut_ptr(), b.as_ptr());
        a.set_len(0);
        b.set_len(0);
        let (mut i, mut j) = (n, m);
        while j > 0 {
            let from_a = i > 0 && key(&*pa.add(i - 1)) > key(&*pb.add(j - 1));
            let src = if from_a {
                i -= 1;
                pa.add(i).cast_const()
            } else {
                j -= 1;
                pb.add(j)
            };
            std::ptr::copy_nonoverlapping(src, pa.add(i + j), 1);
        }
        a.set_len(n + m);
    }
}

/// Ends a flow record: messages its parsers still held back become events.
fn close(f: &mut Flow, out: &mut Vec<Event>) {
    let (flow, frame, ts, key, client) = (f.id(), f.last_frame, f.recent, f.key, f.initiator);
    f.app.flush(&mut |from_client, message| {
        let (src, dst) = if from_client {
            (client, client.other())
        } else {
            (client.other(), client)
        };
        let ((src, src_port), (dst, dst_port)) = (key.end(src), key.end(dst));
        out.push(Event {
            frame,
            ts,
            flow,
            src,
            src_port,
            dst,
            dst_port,
            proto: key.proto,
            from_client,
            message,
        });
    });
}

/// What an LLDP or CDP announcement says, but for its time to live (which counts down to a
/// shutdown's 0), as a hash: a host's announcements are reported when it changes.
fn announcement(n: &neighbor::Neighbor) -> u64 {
    use std::hash::{Hash, Hasher as _};
    // A hasher with fixed keys: the same announcement must hash the same in every table.
    let mut h = std::hash::DefaultHasher::new();
    let neighbor::Neighbor {
        protocol,
        name,
        description,
        platform,
        port,
        capabilities,
        addresses,
        ttl: _,
        med_class,
    } = n;
    (
        protocol,
        name,
        description,
        platform,
        port,
        capabilities,
        addresses,
        med_class,
    )
        .hash(&mut h);
    h.finish()
}

/// Reads an FTP control connection's packet for the data connection it may announce.
#[cold]
#[inline(never)]
fn ftp_control(
    expected: &mut Expected,
    flow: &Flow,
    side: Side,
    d: &Decoded,
    bytes: &[u8],
    ts: Nanos,
) {
    let p = packet(flow, side, d, bytes);
    if let Some(ch) = ftp::announcement(p.payload, p.from_client) {
        expect(expected, flow, &ch, ts);
    }
}

/// Remembers the data connection an FTP control flow announced: its listening end is the
/// control connection's server in passive mode and its client in active mode. The addresses the
/// control connection really uses are the ones the data connection will use where this capture
/// was taken (the address written in the announcement is often a private one behind NAT).
fn expect(expected: &mut Expected, control: &Flow, ch: &ftp::DataChannel, ts: Nanos) {
    let listener = if ch.active {
        control.initiator
    } else {
        control.initiator.other()
    };
    let until = ts.saturating_add(EXPECT_LIFETIME);
    expect_at(
        expected,
        (control.key.end(listener).0, ch.port),
        (App::FtpData, None),
        until,
    );
}

/// Waits until `until` for a flow to or from `end` that carries `app`, and, when `from` is
/// given, that this address opened.
fn expect_at(
    expected: &mut Expected,
    end: (Addr, u16),
    (app, from): (App, Option<Addr>),
    until: Nanos,
) {
    if expected.len() >= MAX_EXPECTED && !expected.contains_key(&end) {
        let now = until.saturating_sub(EXPECT_LIFETIME);
        expected.retain(|_, (t, ..)| *t >= now);
        if expected.len() >= MAX_EXPECTED {
            return;
        }
    }
    expected.insert(end, (until, app, from));
}

/// Labels a new flow that another one announced: an FTP data connection (TCP) its control
/// connection announced, either end of which may be the listening one (the first packet seen
/// is not always the SYN); a TFTP transfer (UDP), whose client is the end that sent the
/// request, though the server's answer comes first: a flow the client opened, or one with
/// another host, is none (a scanner's probes to other ports from the same port are not).
#[cold]
#[inline(never)]
fn take_expected(expected: &mut Expected, f: &mut Flow, transport: Transport, ts: Nanos) {
    for side in [Side::A, Side::B] {
        let end = f.key.end(side);
        let Some(&(until, app, from)) = expected.get(&end) else {
            continue;
        };
        let opener = f.key.end(side.other()).0;
        if from.is_some_and(|a| a != opener || f.initiator == side) {
            continue;
        }
        let fits = match app {
            App::FtpData => transport == Transport::Tcp,
            App::Tftp => transport == Transport::Udp,
            _ => false,
        };
        if !fits {
            continue;
        }
        expected.remove(&end);
        if until >= ts {
            f.app.announced(app);
            if app == App::Tftp {
                f.initiator = side;
            }
            return;
        }
    }
}

/// Shows a packet to the flow's application parsers.
fn packet<'a>(f: &Flow, side: Side, d: &Decoded, bytes: &'a [u8]) -> Packet<'a> {
    Packet {
        payload: d.payload(bytes),
        tcp: d.transport == Transport::Tcp,
        src_port: d.src_port,
        dst_port: d.dst_port,
        from_client: side == f.initiator,
        seq: d.tcp_seq,
        syn: d.tcp_flags & tcp_flags::SYN != 0,
        ack: (d.tcp_flags & tcp_flags::ACK != 0).then_some(d.tcp_ack),
    }
}

/// Shows a packet to the flow's application parsers, keeping what they read as events.
fn inspect(
    f: &mut Flow,
    side: Side,
    frame: u64,
    ts: Nanos,
    d: &Decoded,
    bytes: &[u8],
    out: &mut Vec<Event>,
) {
    let p = packet(f, side, d, bytes);
    let flow = f.id();
    let mut emit = |from_client: bool, message: Message| {
        // A message of the other side: a segment it sent past a gap, handed over at this
        // packet's acknowledgement.
        let (src, src_port, dst, dst_port) = if from_client == p.from_client {
            (d.src, d.src_port, d.dst, d.dst_port)
        } else {
            (d.dst, d.dst_port, d.src, d.src_port)
        };
        out.push(Event {
            frame,
            ts,
            flow,
            src,
            src_port,
            dst,
            dst_port,
            proto: d.ip_proto,
            from_client,
            message,
        })
    };
    f.app.inspect(&p, &mut emit);
}

/// Whether the packet about to be added starts a new record, and why the old one ends.
fn ends_before(f: &Flow, cfg: &Config, side: Side, ts: Nanos, d: &Decoded) -> Option<EndReason> {
    if let Some(tcp) = &f.tcp {
        // tshark's rule for a new stream: a SYN without ACK whose sequence number differs from
        // the first one seen from that side.
        let syn_only = d.tcp_flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN;
        if syn_only && tcp.base_seq[side as usize].is_some_and(|s| s != d.tcp_seq) {
            return Some(EndReason::PortReuse);
        }
    }
    // A frame far older than the record's latest (captures of other times read together, out
    // of order) does not continue it: the record ended as idle, from the frame's point of view.
    if cfg
        .idle_timeout
        .is_some_and(|idle| f.recent.saturating_sub(ts) > idle)
    {
        let closed = f.tcp.is_some_and(|t| t.state == TcpState::Closed);
        return Some(if closed {
            EndReason::Closed
        } else {
            EndReason::Idle
        });
    }
    quiet_end(f, cfg, ts).or_else(|| {
        let active = cfg.active_timeout?;
        (ts.saturating_sub(f.first) > active).then_some(EndReason::Active)
    })
}

/// Whether a flow has been quiet long enough at time `now` to have ended.
fn quiet_end(f: &Flow, cfg: &Config, now: Nanos) -> Option<EndReason> {
    let quiet = now.saturating_sub(f.recent);
    if let (Some(linger), Some(tcp)) = (cfg.closed_linger, &f.tcp) {
        if tcp.state == TcpState::Closed && quiet > linger {
            return Some(EndReason::Closed);
        }
    }
    let idle = cfg.idle_timeout?;
    (quiet > idle).then_some(EndReason::Idle)
}

fn update(
    f: &mut Flow,
    side: Side,
    frame: u64,
    ts: Nanos,
    wire_len: u32,
    d: &Decoded,
    bytes: &[u8],
) {
    let s = side as usize;
    let dir = &mut f.sent[s];
    dir.packets += 1;
    dir.bytes += u64::from(wire_len);
    dir.payload_bytes += u64::from(d.payload_len);
    f.tcp_flags[s] |= d.tcp_flags;
    if matches!(d.transport, Transport::Icmp | Transport::Icmpv6) {
        f.icmp[s] |= icmp_kind::of(d.transport, d.icmp.0, d.icmp.1);
    }
    // The initiator's own messages beat; a CoAP client's empty acknowledgements of the
    // server's notifications answer the server's rhythm, as TCP's bare ACKs do.
    if side == f.initiator
        && d.payload_len > 0
        && !(f.app.app == App::Coap && iot::coap_empty_answer(d.payload(bytes)))
    {
        f.rhythm.beat(ts);
    }
    f.first = f.first.min(ts);
    f.last = f.last.max(ts);
    f.recent = ts;
    f.last_frame = frame;
    if f.mac[s].is_none() {
        f.mac[s] = d.eth.map(|(src, _)| src);
    }
    if f.ttl[s] == 0 && d.is_ip() {
        f.ttl[s] = d.ttl;
    }
    let Some(tcp) = &mut f.tcp else { return };
    if d.transport != Transport::Tcp {
        return;
    }
    let flags = d.tcp_flags;
    let syn = flags & tcp_flags::SYN != 0;
    let ack = flags & tcp_flags::ACK != 0;
    if tcp.base_seq[s].is_none() {
        tcp.base_seq[s] = Some(d.tcp_seq);
    }
    if syn && !ack {
        if tcp.syn_ts.is_none() {
            tcp.syn_ts.set_once(ts);
            f.initiator = side;
        }
        if tcp.state == TcpState::Midstream {
            tcp.state = TcpState::SynSent;
        }
    } else if syn && ack {
        if tcp.synack_ts.is_none() {
            tcp.synack_ts.set_once(ts);
            if tcp.syn_ts.is_none() {
                // The SYN was not captured: the SYN/ACK's receiver initiated.
                f.initiator = side.other();
            }
        }
        if matches!(tcp.state, TcpState::Midstream | TcpState::SynSent) {
            tcp.state = TcpState::SynReceived;
        }
    } else if ack && side == f.initiator && tcp.state == TcpState::SynReceived {
        tcp.ack_ts.set_once(ts);
        tcp.state = TcpState::Established;
    }
    if flags & tcp_flags::RST != 0 {
        tcp.rst = true;
        tcp.state = TcpState::Closed;
    } else if flags & tcp_flags::FIN != 0 {
        tcp.fin[s] = true;
        tcp.state = if tcp.fin[0] && tcp.fin[1] {
            TcpState::Closed
        } else {
            TcpState::Closing
        };
    } else if tcp.state == TcpState::Midstream && d.payload_len > 0 {
        tcp.state = TcpState::Established;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rhythm_of_a_heartbeat_inside_one_connection() {
        const S: Nanos = 1_000_000_000;
        let mut r = Rhythm::default();
        // Handshake at 0 s (two segments 10 ms apart: one beat), first line at 1 s, then a
        // line every 60 s (two segments each), an out-of-order stamp, and the close 2 s after
        // the last line.
        r.beat(0);
        r.beat(S / 100);
        r.beat(S);
        for k in 1..=11 {
            r.beat(S + k * 60 * S);
            r.beat(S + k * 60 * S + S / 50);
        }
        r.beat(S / 2);
        r.beat(S + 11 * 60 * S + 2 * S);
        assert_eq!(r.beats(), 14);
        // 13 gaps: 1 s, eleven of 60 s (one starts the rhythm, ten follow it), 2 s.
        assert_eq!(r.gaps(), (13, 11));
        let (mean, sd) = r.period().unwrap();
        assert!((mean - 60.0).abs() < 1e-3 && sd < 1e-3, "{mean} {sd}");
        assert_eq!(Rhythm::default().period(), None);
    }

    use super::*;

    #[test]
    fn records_are_found_by_id_in_the_order_of_first_frame_then_depth() {
        // Ids as records are ordered: a frame's record at depth 1 after its own, before the next
        // frame's (the ids themselves order every depth-1 record after every depth-0 one).
        let ids: Vec<u64> = [(3, 0), (5, 0), (5, 1), (5, 2), (6, 0), (1 << 40, 1)]
            .iter()
            .map(|&(frame, depth): &(u64, u64)| frame | depth << DEPTH_SHIFT)
            .collect();
        let index = FlowIndex {
            keys: ids.iter().map(|&id| order_key(id)).collect(),
        };
        assert!(index.keys.is_sorted());
        for (k, &id) in ids.iter().enumerate() {
            assert_eq!(index.find(id), Some(k));
        }
        assert_eq!(index.find(4), None);
        assert_eq!(index.find(3 | 1 << DEPTH_SHIFT), None);
    }

    #[test]
    fn sorted_runs_merge_as_a_stable_sort_of_them_one_after_the_other() {
        // Owned elements (a double drop or a leak would show under Miri or a sanitizer), keys
        // that repeat within and across runs, runs of every length including none.
        let runs: Vec<Vec<(u8, String)>> = vec![
            vec![
                (1, "a0".into()),
                (3, "a1".into()),
                (3, "a2".into()),
                (9, "a3".into()),
            ],
            vec![],
            vec![(0, "c0".into()), (3, "c1".into()), (10, "c2".into())],
            vec![(3, "d0".into())],
            vec![
                (2, "e0".into()),
                (2, "e1".into()),
                (3, "e2".into()),
                (4, "e3".into()),
            ],
        ];
        let mut want: Vec<(u8, String)> = runs.iter().flatten().cloned().collect();
        want.sort_by_key(|x| x.0);
        assert_eq!(merge_sorted(runs, |x| x.0), want);
        assert!(merge_sorted(Vec::<Vec<u8>>::new(), |x| *x).is_empty());
        assert_eq!(
            merge_sorted(vec![vec![2u8, 5], vec![1, 7]], |x| *x),
            [1, 2, 5, 7]
        );
    }
    use iotscope_packet::{Net, Transport};

    fn tcp(src: [u8; 4], sp: u16, dst: [u8; 4], dp: u16, flags: u8, seq: u32) -> Decoded {
        Decoded {
            net: Net::Ipv4,
            src: std::net::Ipv4Addr::from(src).to_ipv6_mapped(),
            dst: std::net::Ipv4Addr::from(dst).to_ipv6_mapped(),
            ip_proto: 6,
            transport: Transport::Tcp,
            src_port: sp,
            dst_port: dp,
            tcp_flags: flags,
            tcp_seq: seq,
            ..Decoded::default()
        }
    }

    const C: [u8; 4] = [192, 168, 1, 9];
    const S: [u8; 4] = [10, 0, 0, 1];
    const SYN: u8 = tcp_flags::SYN;
    const SYNACK: u8 = tcp_flags::SYN | tcp_flags::ACK;
    const ACK: u8 = tcp_flags::ACK;
    const MS: Nanos = 1_000_000;

    #[test]
    fn handshake_rtt_initiator_and_directions() {
        let mut t = FlowTable::new(Config::default());
        t.add(0, 0, 74, &tcp(C, 5000, S, 443, SYN, 100), &[]);
        t.add(1, 20 * MS, 74, &tcp(S, 443, C, 5000, SYNACK, 900), &[]);
        t.add(2, 21 * MS, 66, &tcp(C, 5000, S, 443, ACK, 101), &[]);
        let out = t.finish();
        assert_eq!(out.flows.len(), 1);
        let f = &out.flows[0];
        let (caddr, cport) = f.key.end(f.initiator);
        assert_eq!(
            (iotscope_packet::ip_of(&caddr).to_string(), cport),
            ("192.168.1.9".into(), 5000)
        );
        assert_eq!(f.from(f.initiator).packets, 2);
        assert_eq!(f.from(f.initiator).bytes, 140);
        assert_eq!(f.from(f.initiator.other()).packets, 1);
        assert_eq!(f.tcp.unwrap().rtt(), Some(21 * MS));
        assert_eq!(f.tcp.unwrap().state, TcpState::Established);
    }

    #[test]
    fn new_syn_splits_like_tshark_and_retransmitted_syn_does_not() {
        let mut t = FlowTable::new(Config::without_timeouts());
        t.add(0, 0, 74, &tcp(C, 5000, S, 80, SYN, 100), &[]);
        t.add(1, MS, 74, &tcp(C, 5000, S, 80, SYN, 100), &[]); // retransmission
        t.add(
            2,
            2 * MS,
            60,
            &tcp(S, 80, C, 5000, tcp_flags::RST | ACK, 0),
            &[],
        );
        t.add(3, 3 * MS, 74, &tcp(C, 5000, S, 80, SYN, 555), &[]); // new connection
        let out = t.finish();
        assert_eq!(out.flows.len(), 2);
        assert_eq!(out.flows[0].packets(), 3);
        assert_eq!(out.flows[0].end, EndReason::PortReuse);
        assert_eq!(out.flows[1].packets(), 1);
    }

    #[test]
    fn idle_and_closed_timeouts() {
        let mut t = FlowTable::new(Config::default());
        t.add(0, 0, 60, &tcp(C, 1, S, 2, ACK, 1), &[]);
        t.add(1, 301 * SECOND, 60, &tcp(C, 1, S, 2, ACK, 2), &[]);
        t.add(
            2,
            302 * SECOND,
            60,
            &tcp(C, 1, S, 2, tcp_flags::RST, 3),
            &[],
        );
        t.add(
            3,
            305 * SECOND,
            60,
            &tcp(S, 2, C, 1, tcp_flags::RST, 3),
            &[],
        ); // late, within linger
        t.add(4, 330 * SECOND, 60, &tcp(S, 2, C, 1, ACK, 4), &[]); // after linger: new record
        let out = t.finish();
        let ends: Vec<_> = out.flows.iter().map(|f| (f.packets(), f.end)).collect();
        assert_eq!(
            ends,
            vec![
                (1, EndReason::Idle),
                (3, EndReason::Closed),
                (1, EndReason::EndOfInput)
            ]
        );
    }

    #[test]
    fn eviction_keeps_the_table_bounded() {
        let cfg = Config {
            max_flows: 16,
            ..Config::without_timeouts()
        };
        let mut t = FlowTable::new(cfg);
        for i in 0..100u16 {
            t.add(
                u64::from(i),
                i64::from(i),
                60,
                &tcp(C, 1000 + i, S, 80, SYN, 1),
                &[],
            );
            assert!(t.len() <= 16);
        }
        let out = t.finish();
        assert_eq!(out.flows.len(), 100);
        assert_eq!(out.stats.evicted, 84);
        assert!(out
            .flows
            .iter()
            .take(50)
            .all(|f| f.end == EndReason::Evicted));
    }

    /// A sweep of many hosts keeps them all open within the idle timeout, so the table's walks
    /// for timed-out flows wait ([`FlowTable::sweep`]). Waiting must change no record: each
    /// host's packets form the records the idle timeout alone gives, whether its old flow was
    /// still in the table when it came back (ended by the packet) or swept (ended by a walk).
    #[test]
    fn deferred_sweeps_leave_the_records_of_a_sweep_unchanged() {
        use std::collections::BTreeMap;
        const HOSTS: u32 = 100_000;
        let host = |i: u32| [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        // One SYN per host, 10 ms apart (1 000 s in all): 30 000 hosts within any idle timeout,
        // against 7 500 frames between sweeps. Every 7th of the first 60 000 hosts is probed
        // again 350 s later (past the idle timeout: a new record), every 11th host 100 s later
        // (the same record).
        let mut packets: Vec<(Nanos, u32)> = Vec::new();
        for i in 0..HOSTS {
            let t = i64::from(i) * 10 * MS;
            packets.push((t, i));
            if i % 7 == 0 && i < 60_000 {
                packets.push((t + 350 * SECOND, i));
            }
            if i % 11 == 0 {
                packets.push((t + 100 * SECOND, i));
            }
        }
        packets.sort();
        let mut t = FlowTable::new(Config::default());
        let mut waited = false;
        let mut frame = 0u64;
        let mut times: BTreeMap<u32, Vec<(u64, Nanos)>> = BTreeMap::new();
        for &(ts, i) in &packets {
            t.add(frame, ts, 60, &tcp(C, 40000, host(i), 23, SYN, 7), &[]);
            times.entry(i).or_default().push((frame, ts));
            waited |= t.deferred.is_some();
            frame += 1;
        }
        // Much later, a second sweep of other hosts brings the next walk due while the first
        // one's flows are still in the table; that walk waits for the end of the input.
        const LATER: u32 = 4_000;
        for k in 0..LATER {
            let ts = 3000 * SECOND + i64::from(k) * MS;
            t.add(frame, ts, 60, &tcp(C, 40001, host(k), 80, SYN, 7), &[]);
            waited |= t.deferred.is_some();
            frame += 1;
        }
        assert!(waited, "no walk waited: the test does not test deferral");
        // The last walk waits too: the records depend on the one `finish` makes.
        assert!(t.deferred.is_some(), "the last sweep did not wait");
        let out = t.finish();
        // What the idle timeout alone gives: a host's packets split where they are more than
        // the timeout apart; every record of the sweep ends idle.
        let idle = Config::default().idle_timeout.unwrap();
        let mut want: Vec<(u64, u64, EndReason)> = Vec::new();
        for seen in times.values() {
            let mut first = seen[0];
            let mut n = 0;
            let mut prev = seen[0].1;
            for &(f, ts) in seen {
                if ts - prev > idle {
                    want.push((first.0, n, EndReason::Idle));
                    first = (f, ts);
                    n = 0;
                }
                n += 1;
                prev = ts;
            }
            want.push((first.0, n, EndReason::Idle));
        }
        // The second sweep is within the idle timeout when the input ends.
        let later = packets.len() as u64;
        want.extend((0..u64::from(LATER)).map(|k| (later + k, 1, EndReason::EndOfInput)));
        want.sort_by_key(|w| w.0);
        let got: Vec<(u64, u64, EndReason)> = out
            .flows
            .iter()
            .map(|f| (f.first_frame, f.packets(), f.end))
            .collect();
        assert_eq!(got.len(), want.len());
        // The first record that differs, rather than 120 000 of them.
        let wrong = got.iter().zip(&want).find(|(g, w)| g != w);
        assert_eq!(wrong, None, "(got, want)");
    }

    #[test]
    fn a_connection_seen_from_its_middle_is_oriented_by_its_ports() {
        // nDPI's mssql_tds.pcap frame 35: a segment from the client's port 9999 (TP-Link's, by
        // port alone) to MS SQL's 1433. Both are servers' ports: the sender is the client.
        let mut t = FlowTable::new(Config::default());
        t.add(0, 0, 60, &tcp(C, 9999, S, 1433, ACK, 1), &[]);
        // A server's answer from its registered port: the receiver opened the connection.
        t.add(1, MS, 60, &tcp(S, 3306, C, 40000, ACK, 1), &[]);
        let out = t.finish();
        let server_ports: Vec<u16> = out
            .flows
            .iter()
            .map(|f| f.key.end(f.initiator.other()).1)
            .collect();
        assert_eq!(server_ports, [1433, 3306]);
    }

    #[test]
    fn shard_is_symmetric() {
        let d = tcp(C, 5000, S, 443, SYN, 1);
        let r = tcp(S, 443, C, 5000, SYNACK, 1);
        for n in 1..8 {
            assert_eq!(FlowKey::of(&d).0.shard(n), FlowKey::of(&r).0.shard(n));
        }
    }
}
