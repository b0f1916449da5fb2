#!/bin/bash
# Regenerates the peer outputs the tests compare against, from the captures in ../captures.
# Needs tshark 4.0 and capinfos (Debian: apt-get install tshark). The tests themselves need neither.
#   conv_<by>.txt  tshark -n -q -z conv,<by>  for eth, ip, ipv6, tcp, udp
#   capinfos.txt   capinfos -T -r -a -e -c -s -E -t (tab-separated: packets, size, encapsulation...)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
caps="$here/../captures"
tshark --version | head -1 > "$here/TOOLS.txt"
for f in "$caps"/*.pcap "$caps"/*.pcapng; do
  name=$(basename "$f")
  out="$here/$name"; mkdir -p "$out"
  for by in eth ip ipv6 tcp udp; do
    tshark -n -r "$f" -q -z "conv,$by" > "$out/conv_$by.txt" 2>/dev/null || true
  done
  (cd "$caps" && capinfos -T -m -r -c -E -t -a -e -S "$name") > "$out/capinfos.txt" 2>/dev/null || true
done
