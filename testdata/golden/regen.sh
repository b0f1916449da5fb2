#!/bin/bash
# Regenerates the peer outputs the tests compare against, from the captures in ../captures.
# Needs tshark 4.0 and capinfos (Debian: apt-get install tshark). The tests themselves need neither.
#   conv_<by>.txt  tshark -n -q -z conv,<by>  for eth, ip, ipv6, tcp, udp
#   capinfos.txt   capinfos -T -r -a -e -c -s -E -t (tab-separated: packets, size, encapsulation...)
# Application-layer field dumps (tshark -n -T fields -E header=y -E separator=/t -E occurrence=a
# -E aggregator=,): one line per matching frame, a header line with the field names, empty cell when
# the field is absent, repeated occurrences joined with ',' (except tls_cert.tsv: '|', because
# certificate name strings contain commas). Field names checked against `tshark -G fields` (4.0.17):
#   dns.tsv        dns || mdns || llmnr (all three use the dns.* fields); ip.fragment (ipv6.fragment) lists the
#                  frames of a datagram tshark reassembled from IP fragments (shown on its last)
#   tls.tsv        ClientHello/ServerHello, also those carried in QUIC CRYPTO frames (tshark decrypts
#                  QUIC Initials). renamed: tls.handshake.extensions_supported_version ->
#                  tls.handshake.extensions.supported_version
#   tls_cert.tsv   Certificate messages. x509af.notBefore/notAfter/subject/issuer only hold CHOICE
#                  indexes (0) in 4.0, so the values come from x509af.utcTime/generalizedTime (notBefore,
#                  notAfter per cert, in order) and x509if.oid (attribute types, issuer RDNs then subject
#                  RDNs per cert) with the value fields per string type (x509sat.CountryName,
#                  printableString, uTF8String, teletexString, IA5String) -- the type split loses the
#                  pairing of OID and value across columns. tls.handshake.certificate_length: one per cert.
#   dtls.tsv       DTLS ClientHellos (a client sends its hello again after a HelloVerifyRequest, with
#                  the server's cookie: tshark lists both, with the same JA3)
#   quic.tsv       quic: quic.version repeats once per coalesced QUIC packet; ja3 is tshark's JA3 of the
#                  QUIC ClientHello.
#   dhcp.tsv       dhcp.option.client_id does not exist: an Ethernet-type client identifier (option 61)
#                  shows up as a second dhcp.hw.mac_addr; other types in dhcp.client_id. Added
#                  dhcp.fqdn.name (option 81).
#   dhcpv6.tsv     dhcpv6.client_fqdn does not exist in 4.0: option 39's name is dhcpv6.client_domain.
#   http.tsv       http.request || http.response, minus SSDP (udp.port 1900).
#   http_default.tsv  the same with out-of-order reassembly off (Wireshark's default): where the
#                  capture lost a segment for good, reassembly with it on waits for the hole forever
#                  and reports nothing after it on that connection. Kept only where it differs.
#   ssdp.tsv       udp.port 1900. tshark has no NT/ST/USN/NTS fields: they are in http.unknown_header
#                  ("NT: upnp:rootdevice\r\n" with a literal backslash-r-backslash-n). ssdp is the
#                  protocol field (prints "ssdp").
#   neighbor.tsv, coap.tsv, gquic.tsv: kept only for captures that have such frames.
#   gquic.tsv      Google QUIC client hellos (gquic.tag == "CHLO"): the version the header states
#                  (gquic.version; quic.version for Q050, whose Initial has IETF QUIC's long header),
#                  the SNI and UAID tags.
#   neighbor.tsv   lldp || cdp: names, descriptions, CDP platform, management addresses (CDP's are
#                  in cdp.nrgyz.ip_address and cdp.nrgyz.ipv6_address in 4.0, whatever TLV holds
#                  them), enabled capabilities (LLDP) and capabilities (CDP) as bit masks
#   ntp.tsv        ntp
#   coap.tsv       coap (coap.opt.uri_path once per Uri-Path option;
#                  coap.opt.uri_port is read whatever its length, which RFC 7252 limits to 2 bytes)
#   protocols.tsv  every frame: frame.protocols, the dissector stack (eth:ethertype:ip:udp:dns ...)
# ndpi_flows.txt   ndpiReader (nDPI 4.2) -q -v 2 -w: the test-result format (no timings), summary plus
#                  one line per flow with its detected protocol, host/SNI, JA3 etc.
# The field dumps are made with tshark's TCP reassembly of out-of-order segments on
# (-o tcp.reassemble_out_of_order:TRUE; Wireshark's default is off, and then it reads nothing past a
# segment that came early), as iotscope puts a flow's segments in order before its parsers read them.
# Times are printed in UTC (TZ=UTC) so the dumps do not depend on the machine's zone.
# With arguments (capture file names in ../captures), only those are regenerated.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
caps="$here/../captures"
shopt -s nullglob
if [ $# -gt 0 ]; then
  files=(); for n in "$@"; do files+=("$caps/$(basename "$n")"); done
else
  files=("$caps"/*.pcap "$caps"/*.pcapng "$caps"/*.pcap.gz "$caps"/*.cap)
fi
tshark --version | head -1 > "$here/TOOLS.txt"
echo "ndpiReader ($(ndpiReader -h 2>/dev/null | grep -m1 -o 'nDPI [0-9.]*')), Debian libndpi-bin $(dpkg-query -W -f '${Version}' libndpi-bin 2>/dev/null)" >> "$here/TOOLS.txt"

# tsv OUT FILTER AGG FIELD...  (FILTER may be empty: every frame)
tsv() {
  local out=$1 filter=$2 agg=$3; shift 3
  local args=() e
  if [ -n "$filter" ]; then args+=(-Y "$filter"); fi
  for e in "$@"; do args+=(-e "$e"); done
  TZ=UTC tshark -n -r "$f" -o "tcp.reassemble_out_of_order:${ooo:-TRUE}" -T fields -E header=y \
    -E separator=/t -E occurrence=a -E "aggregator=$agg" "${args[@]}" > "$out" 2>/dev/null || true
}
for f in "${files[@]}"; do
  name=$(basename "$f")
  out="$here/$name"; mkdir -p "$out"
  for by in eth ip ipv6 tcp udp; do
    tshark -n -r "$f" -q -z "conv,$by" > "$out/conv_$by.txt" 2>/dev/null || true
  done
  (cd "$caps" && capinfos -T -m -r -c -E -t -a -e -S "$name") > "$out/capinfos.txt" 2>/dev/null || true

  tsv "$out/dns.tsv" "dns || mdns || llmnr" , frame.number frame.time_epoch \
    ip.src ipv6.src udp.srcport tcp.srcport ip.dst ipv6.dst udp.dstport tcp.dstport \
    dns.id dns.flags.response dns.flags.rcode dns.qry.name dns.qry.type dns.resp.name dns.resp.type \
    dns.resp.ttl dns.a dns.aaaa dns.cname dns.ptr.domain_name dns.srv.target dns.srv.port dns.txt \
    ip.fragment ipv6.fragment
  tsv "$out/tls.tsv" "tls.handshake.type == 1 || tls.handshake.type == 2" , frame.number \
    ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport tls.handshake.type tls.handshake.version \
    tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str tls.handshake.ja3 \
    tls.handshake.ja3_full tls.handshake.ja3s tls.handshake.ciphersuite \
    tls.handshake.extensions.supported_version
  tsv "$out/tls_cert.tsv" "tls.handshake.type == 11" '|' frame.number tls.handshake.certificate_length \
    x509af.serialNumber x509if.oid x509sat.CountryName x509sat.printableString x509sat.uTF8String \
    x509sat.teletexString x509sat.IA5String x509ce.dNSName x509af.utcTime x509af.generalizedTime
  tsv "$out/quic.tsv" "quic" , frame.number quic.version tls.handshake.extensions_server_name \
    tls.handshake.extensions_alpn_str tls.handshake.ja3
  tsv "$out/dtls.tsv" "dtls.handshake.type == 1" , frame.number dtls.handshake.version \
    dtls.handshake.extensions_server_name dtls.handshake.ja3 dtls.handshake.ja3_full
  tsv "$out/dhcp.tsv" "dhcp" , frame.number eth.src dhcp.hw.mac_addr dhcp.option.dhcp \
    dhcp.option.hostname dhcp.option.vendor_class_id dhcp.option.request_list_item \
    dhcp.option.requested_ip_address dhcp.ip.your dhcp.option.ip_address_lease_time dhcp.client_id \
    dhcp.fqdn.name
  tsv "$out/dhcpv6.tsv" "dhcpv6" , frame.number dhcpv6.msgtype dhcpv6.duid.bytes dhcpv6.client_domain \
    dhcpv6.vendorclass.data
  tsv "$out/http.tsv" "(http.request || http.response) && !(udp.port == 1900)" , frame.number \
    ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport http.request.method http.host \
    http.request.uri \
    http.user_agent http.authorization http.response.code http.server http.content_type \
    http.content_length
  ooo=FALSE tsv "$out/http_default.tsv" "(http.request || http.response) && !(udp.port == 1900)" , \
    frame.number ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport http.request.method \
    http.host http.request.uri http.user_agent http.authorization http.response.code http.server \
    http.content_type http.content_length
  if cmp -s "$out/http.tsv" "$out/http_default.tsv"; then rm "$out/http_default.tsv"; fi
  tsv "$out/ssdp.tsv" "udp.port == 1900" , frame.number ip.src ipv6.src http.request.method \
    http.request.uri http.response.code http.server http.location http.user_agent ssdp \
    http.unknown_header
  tsv "$out/neighbor.tsv" "lldp || cdp" , frame.number eth.src lldp.tlv.system.name cdp.deviceid \
    cdp.platform lldp.tlv.system.desc cdp.software_version lldp.mgn.addr.ip4 lldp.mgn.addr.ip6 \
    cdp.nrgyz.ip_address cdp.nrgyz.ipv6_address lldp.tlv.enable_system_cap cdp.capabilities
  tsv "$out/ntp.tsv" "ntp" , frame.number ntp.flags.vn ntp.flags.mode ntp.stratum ntp.refid
  tsv "$out/protocols.tsv" "" , frame.number frame.protocols
  tsv "$out/coap.tsv" "coap" , frame.number coap.type coap.code coap.mid coap.opt.uri_host \
    coap.opt.uri_port coap.opt.uri_path coap.opt.uri_query coap.opt.ctype coap.opt.observe
  tsv "$out/gquic.tsv" "gquic.tag == \"CHLO\"" , frame.number udp.srcport gquic.version \
    quic.version gquic.tag.sni gquic.tag.uaid
  # Kept only where the capture has any.
  for t in neighbor coap gquic; do
    if [ "$(wc -l < "$out/$t.tsv")" -le 1 ]; then rm "$out/$t.tsv"; fi
  done

  ndpiReader -i "$f" -q -v 2 -w "$out/ndpi_flows.txt" > /dev/null 2>&1 || true
done

# Vendors of every source MAC, as Wireshark's manuf file (/usr/share/wireshark/manuf, from the IEEE
# registries) names them: eth_vendors.tsv = MAC, Wireshark's short name, its full name.
for f in "${files[@]}"; do
  name=$(basename "$f")
  tshark -n -r "$f" -T fields -e eth.src 2>/dev/null | sort -u | python3 -c '
import sys
table = {}
for line in open("/usr/share/wireshark/manuf", encoding="utf-8", errors="replace"):
    if line.startswith("#") or not line.strip():
        continue
    parts = line.rstrip("\n").split("\t")
    prefix, short = parts[0], parts[1] if len(parts) > 1 else ""
    full = parts[2] if len(parts) > 2 else short
    bits = 24
    if "/" in prefix:
        prefix, b = prefix.split("/")
        bits = int(b)
    hexs = prefix.replace(":", "").replace("-", "").upper()
    table[(hexs[: bits // 4], bits)] = (short, full)
print("mac\tshort\tfull")
# A frame with a tunnel carrying Ethernet has two sources, joined by a comma.
macs = sorted({m for line in sys.stdin for m in line.strip().split(",") if m})
for mac in macs:
    h = mac.replace(":", "").upper()
    hit = None
    for bits in (36, 28, 24):
        hit = table.get((h[: bits // 4], bits))
        if hit:
            break
    short, full = hit if hit else ("", "")
    print(f"{mac}\t{short}\t{full}")
' > "$here/$name/eth_vendors.tsv"
done
