#!/usr/bin/env python3
"""Compile the IEEE MAC address registries into crates/intel/data/oui.tsv.gz.

Input: the directory holding the registries' CSV exports (oui.csv, oui28.csv, oui36.csv, cid.csv,
iab.csv: the `data/` folder of the `oui-data` crate from crates.io). Output: one line per
assignment, `PREFIX<TAB>ORGANISATION`, PREFIX being 6 (MA-L, CID), 7 (MA-M) or 9 (MA-S, IAB)
upper-case hex digits, sorted. An assignment listed twice keeps its first listing, in the order
above (the crate's rule). Standard library only.

usage: oui.py CSV_DIR OUT_DIR
"""
import csv
import gzip
import sys
from pathlib import Path

FILES = ["oui.csv", "oui28.csv", "oui36.csv", "cid.csv", "iab.csv"]


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    seen: dict[str, str] = {}
    for name in FILES:
        with open(src / name, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                prefix = row["Assignment"].strip().upper()
                org = " ".join(row["Organization Name"].split())
                if len(prefix) not in (6, 7, 9) or not all(c in "0123456789ABCDEF" for c in prefix):
                    raise SystemExit(f"{name}: unexpected assignment {prefix!r}")
                if prefix not in seen and org:
                    seen[prefix] = org
    lines = [f"{p}\t{o}\n" for p, o in sorted(seen.items())]
    with gzip.GzipFile(out / "oui.tsv.gz", "wb", mtime=0) as g:
        g.write("".join(lines).encode("utf-8"))
    print(f"oui.tsv.gz: {len(lines)} assignments")


if __name__ == "__main__":
    main()
