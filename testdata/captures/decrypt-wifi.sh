#!/bin/bash
# Makes wireshark__wpa-Induction-decrypted.pcap from wireshark__wpa-Induction.pcap.gz: the same WPA
# capture with its data frames decrypted by airdecap-ng (Debian package aircrack-ng) with the
# network's published passphrase (SSID Coherer, passphrase Induction, as Wireshark's own decryption
# tests use them). -l keeps the 802.11 headers; the radiotap headers are dropped, so the result is
# link type 105 (IEEE 802.11).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v airdecap-ng >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q aircrack-ng
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gunzip -c wireshark__wpa-Induction.pcap.gz > "$tmp/wpa-Induction.pcap"
airdecap-ng -l -e Coherer -p Induction "$tmp/wpa-Induction.pcap"
mv "$tmp/wpa-Induction-dec.pcap" wireshark__wpa-Induction-decrypted.pcap
