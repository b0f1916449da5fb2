#!/usr/bin/env python3
"""Check iotscope's compiled enrichment data (crates/intel/data/).

Python 3 standard library only. Validates the file formats (sorted,
non-overlapping ranges, canonical addresses, two-letter country codes, one
line per CIDR) and a few known facts, looked up the way the Rust side will:
binary search over the range files, longest-prefix match over cloud CIDRs.
Prints every check; exits 1 if any fails.

Usage: check.py [DATA_DIR]   (default: crates/intel/data next to this repo)
"""
from __future__ import annotations

import bisect
import gzip
import ipaddress
import re
import sys
from pathlib import Path

DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "crates" / "intel" / "data"
failures = 0


def report(ok: bool, what: str):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures += 1


def lines(name):
    with gzip.open(DATA / name, "rt", encoding="utf-8", newline="\n") as f:
        for line in f:
            yield line.rstrip("\n").split("\t")


class Ranges:
    """start/end/value table with binary search."""

    def __init__(self, name, version, value_re):
        cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        self.starts, self.ends, self.values = [], [], []
        bad = 0
        prev_end = -1
        for row in lines(name):
            s_txt, e_txt, v = row
            s, e = cls(s_txt), cls(e_txt)
            if str(s) != s_txt or str(e) != e_txt or int(s) > int(e) or int(s) <= prev_end \
                    or not re.fullmatch(value_re, v):
                bad += 1
            prev_end = int(e)
            self.starts.append(int(s))
            self.ends.append(int(e))
            self.values.append(v)
        report(bad == 0 and len(self.starts) > 0,
               f"{name}: {len(self.starts)} rows, sorted, non-overlapping, well-formed ({bad} bad)")

    def get(self, ip):
        n = int(ipaddress.ip_address(ip))
        i = bisect.bisect_right(self.starts, n) - 1
        if i >= 0 and self.ends[i] >= n:
            return self.values[i]
        return None


def main() -> int:
    asn = {4: Ranges("asn-v4.tsv.gz", 4, r"[0-9]+"), 6: Ranges("asn-v6.tsv.gz", 6, r"[0-9]+")}
    cc = {4: Ranges("country-v4.tsv.gz", 4, r"[A-Z]{2}"), 6: Ranges("country-v6.tsv.gz", 6, r"[A-Z]{2}")}

    names = {}
    bad = 0
    for row in lines("asn-names.tsv.gz"):
        if len(row) != 2 or not row[0].isdigit() or row[0] in names:
            bad += 1
            continue
        names[row[0]] = row[1]
    report(bad == 0 and len(names) > 0, f"asn-names.tsv.gz: {len(names)} ASNs, unique, well-formed ({bad} bad)")
    unnamed = {a for t in asn.values() for a in t.values} - names.keys()
    report(not unnamed, f"every ASN in the range files has a name ({len(unnamed)} without)")

    cloud = {}  # (version, prefixlen) -> {network int: (provider, service, region)}
    bad = 0
    count = 0
    prev = None
    for row in lines("cloud.tsv.gz"):
        count += 1
        if len(row) != 4 or not re.fullmatch(r"[a-z0-9]+", row[1]):
            bad += 1
            continue
        net = ipaddress.ip_network(row[0])
        key = (net.version, int(net.network_address), net.prefixlen)
        if str(net) != row[0] or (prev is not None and key <= prev):
            bad += 1
        prev = key
        cloud.setdefault((net.version, net.prefixlen), {})[int(net.network_address)] = tuple(row[1:])
    report(bad == 0 and count > 0, f"cloud.tsv.gz: {count} CIDRs, canonical, sorted, unique ({bad} bad)")

    def cloud_get(ip):
        a = ipaddress.ip_address(ip)
        bits = a.max_prefixlen
        n = int(a)
        net_cls = ipaddress.IPv4Network if a.version == 4 else ipaddress.IPv6Network
        for plen in range(bits, -1, -1):  # longest prefix first
            table = cloud.get((a.version, plen))
            if table:
                base = n >> (bits - plen) << (bits - plen)
                hit = table.get(base)
                if hit:
                    return (str(net_cls((base, plen))),) + hit
        return None

    def asn_of(ip):
        a = asn[ipaddress.ip_address(ip).version].get(ip)
        return a, names.get(a) if a else None

    def fact_asn(ip, want, name_part):
        a, n = asn_of(ip)
        report(a == str(want) and n is not None and name_part.lower() in n.lower(),
               f"{ip} -> AS{a} {n!r} (want AS{want}, name containing {name_part!r})")

    def fact_cc(ip, want):
        c = cc[ipaddress.ip_address(ip).version].get(ip)
        report(c == want, f"{ip} -> country {c} (want {want})")

    def fact_cloud(ip, provider, region=None, service=None):
        hit = cloud_get(ip)
        ok = hit is not None and hit[1] == provider
        if region is not None:
            ok = ok and hit[3] == region
        if service is not None:
            ok = ok and service in hit[2].split(",")
        want = provider + (f" region {region}" if region else "") + (f" service {service}" if service else "")
        report(ok, f"{ip} -> cloud {hit} (want {want})")

    def fact_none(ip):
        a, _ = asn_of(ip)
        c = cc[ipaddress.ip_address(ip).version].get(ip)
        h = cloud_get(ip)
        report(a is None and h is None,
               f"{ip} -> {'AS' + a if a else 'no ASN'}, country {c}, cloud {h} (want no ASN, no cloud)")

    fact_asn("8.8.8.8", 15169, "Google")
    fact_cc("8.8.8.8", "US")
    fact_asn("1.1.1.1", 13335, "Cloudflare")
    fact_asn("2001:4860:4860::8888", 15169, "Google")
    fact_asn("2606:4700:4700::1111", 13335, "Cloudflare")
    fact_cloud("52.94.0.1", "aws", region="us-east-1")
    fact_cloud("52.94.76.1", "aws")
    fact_cloud("104.16.0.1", "cloudflare")
    fact_cloud("2606:4700::1", "cloudflare")
    fact_cloud("34.64.32.1", "gcp")
    fact_none("10.1.2.3")
    fact_none("192.168.1.1")

    print(f"{failures} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
