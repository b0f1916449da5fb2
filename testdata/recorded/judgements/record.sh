#!/usr/bin/env bash
# Legitimate traffic that may look like iotscope's flood, password-guessing and
# program-download judgements, and malicious traffic made with other tools than
# testdata/recorded/infected's.
# Real programs only, in private network namespaces rvc-*; nothing leaves the machine:
# the "internet" addresses exist only on lo of rvc-gw, which forwards nothing.
#
# Usage (root): testdata/recorded/judgements/record.sh [SCENE...]   (default: all)
#   writes SCENE.pcap beside this script (OUT=dir to write elsewhere); the tests use some of them.
#
# LAN 10.96.1.0/24 on bridge rvc-br (namespace rvc-sw; tcpdump listens there)
#   rvc-dev 10.96.1.50  the client "device" (camera / mail client / script host / attacker)
#   rvc-srv 10.96.1.10  LAN server: vsftpd, dovecot (pop3/imap), inetutils telnetd, nginx,
#                       iperf3, UDP sinks (socat)
#   rvc-gw  10.96.1.1   router + resolver (dnsmasq); on its lo, public-looking hosts:
#           93.184.216.40 nginx, named dl.vendor-example.com by dnsmasq
#           45.90.12.34   nginx, bare address (never looked up)
#           61.177.172.90 .91 .92 .93 .94  "internet" clients (source addresses) for logins
#                         into the LAN server
# Account on rvc-srv: rvcuser / Rvc-Good-Pass9
set -euo pipefail
OUT=${OUT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}; mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/rvc-work.XXXX); chmod 755 "$WORK"
U=rvcuser; P='Rvc-Good-Pass9'
NSS=(rvc-sw rvc-dev rvc-srv rvc-gw)
PIDS=(); CAP_PID=
log() { printf '[rvc] %s\n' "$*" >&2; }
cleanup() {
  set +e
  [[ -n $CAP_PID ]] && { kill -INT "$CAP_PID"; wait "$CAP_PID"; }
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.5
  for ns in "${NSS[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT; trap 'exit 130' INT TERM

id "$U" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$U"
echo "$U:$P" | chpasswd
mkdir -p /home/$U/Maildir/{new,cur,tmp}
printf 'From: a@b\nSubject: t\n\nTemperature 21C\n' >/home/$U/Maildir/new/1.msg
chown -R $U: /home/$U/Maildir
# 250 small files for the FTP mirror
mkdir -p /home/$U/pics; for i in $(seq -w 1 250); do echo "snapshot $i" >/home/$U/pics/s$i.jpg; done
chown -R $U: /home/$U/pics

setup() {
  for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for ns in "${NSS[@]}"; do
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip -n rvc-sw link add rvc-br type bridge
  ip -n rvc-sw link set rvc-br up
  declare -A MAC=([dev]=e0:50:8b:22:00:50 [gw]=00:0e:c6:a2:00:01 [srv]=a4:14:37:22:00:10)
  for n in dev gw srv; do
    ip link add "rvc-$n-p" netns rvc-sw type veth peer name "rvc-$n" netns "rvc-$n"
    ip -n "rvc-$n" link set "rvc-$n" address "${MAC[$n]}"
    ip -n rvc-sw link set "rvc-$n-p" master rvc-br up
    ip -n "rvc-$n" link set "rvc-$n" up
    ip netns exec "rvc-$n" ethtool -K "rvc-$n" tx off tso off gso off gro off >/dev/null 2>&1 || true
  done
  ip -n rvc-gw addr add 10.96.1.1/24 dev rvc-gw
  ip -n rvc-srv addr add 10.96.1.10/24 dev rvc-srv
  ip -n rvc-dev addr add 10.96.1.50/24 dev rvc-dev
  ip -n rvc-dev route add default via 10.96.1.1
  ip -n rvc-srv route add default via 10.96.1.1
  for a in 93.184.216.40 45.90.12.34 61.177.172.90 61.177.172.91 61.177.172.92 61.177.172.93 61.177.172.94; do
    ip -n rvc-gw addr add "$a/32" dev lo
  done
  ip netns exec rvc-gw sysctl -q -w net.ipv4.ip_forward=0
  printf 'nameserver 10.96.1.1\n' >"$WORK/resolv.conf"; chmod 644 "$WORK/resolv.conf"
}
in_ns() { local ns=$1; shift
  ip netns exec "$ns" unshare --mount --propagation private \
    sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$WORK/resolv.conf" "$@"; }
dev() { in_ns rvc-dev "$@"; }
daemon() { local name=$1 ns=$2; shift 2
  ip netns exec "$ns" "$@" >"$WORK/$name.out" 2>&1 & PIDS+=($!); }
wait_listen() { local ns=$1 flag=$2 port=$3 i
  for i in $(seq 1 100); do ip netns exec "$ns" ss "$flag" "sport = :$port" | grep -q . && return 0; sleep 0.1; done
  tail "$WORK"/*.out >&2; log "nothing on $port in $ns"; exit 1; }

start_servers() {
  daemon dnsmasq rvc-gw dnsmasq -k -C /dev/null -u root --pid-file= --no-resolv --no-hosts \
    --bind-interfaces --listen-address=10.96.1.1 --interface=rvc-gw \
    --address=/dl.vendor-example.com/93.184.216.40 --address=/example-iot.test/10.96.1.10 \
    --address=/#/10.96.1.10 --cache-size=0
  wait_listen rvc-gw -Hlun 53
  # files
  mkdir -p "$WORK/www/chunked" "$WORK/www/gz"
  # A Debian package (an ar archive, no program by its first bytes), fetched from Debian.
  (cd "$WORK" && apt-get download -q ed >/dev/null 2>&1 && mv ed_*.deb www/ed.deb)
  tar czf "$WORK/www/src.tar.gz" -C /usr/share/doc ed 2>/dev/null || tar czf "$WORK/www/src.tar.gz" /etc/hostname
  cp /usr/bin/date "$WORK/www/camapp.AppImage"
  cp /usr/bin/date "$WORK/www/app"
  # A Windows executable: the launcher pip vendors (distlib's w64.exe).
  cp "$(python3 -c 'import os, pip._vendor.distlib as d; print(os.path.dirname(d.__file__))')/w64.exe" "$WORK/www/tool.exe"
  printf '#!/bin/sh\necho installing the vendor agent\nmkdir -p /opt/agent\n' >"$WORK/www/install.sh"
  cp /usr/bin/date "$WORK/www/chunked/app"; cp "$WORK/www/install.sh" "$WORK/www/chunked/install.sh"
  cp /usr/bin/date "$WORK/www/gz/app"
  chmod -R a+rX "$WORK/www"
  for inst in lan:10.96.1.10:rvc-srv pub:93.184.216.40:rvc-gw bare:45.90.12.34:rvc-gw; do
    IFS=: read -r nm addr ns <<<"$inst"
    mkdir -p "$WORK/nginx-$nm"
    cat >"$WORK/nginx-$nm/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $WORK/nginx-$nm/pid;
error_log $WORK/nginx-$nm/error.log; user root;
events { worker_connections 1024; }
http {
  access_log off; include /etc/nginx/mime.types; default_type application/octet-stream;
  types { text/plain sh; application/x-msdownload exe; application/octet-stream AppImage; }
  client_body_temp_path $WORK/nginx-$nm; proxy_temp_path $WORK/nginx-$nm; fastcgi_temp_path $WORK/nginx-$nm;
  uwsgi_temp_path $WORK/nginx-$nm; scgi_temp_path $WORK/nginx-$nm;
  server { listen $addr:80; root $WORK/www; keepalive_requests 1000;
    # the sub module drops Content-Length: the body goes out chunked
    location /chunked/ { sub_filter_types *; sub_filter 'zzqqzz' 'yy'; }
    location /gz/ { gzip on; gzip_types *; gzip_min_length 1; }
  }
}
EOF
    daemon "nginx-$nm" "$ns" nginx -c "$WORK/nginx-$nm/nginx.conf"
  done
  # LAN server
  mkdir -p /var/run/vsftpd/empty
  cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=10.96.1.10
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=/var/run/vsftpd/empty
seccomp_sandbox=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30004
max_per_ip=0
max_clients=0
delay_failed_login=0
max_login_fails=3
EOF
  daemon vsftpd rvc-srv vsftpd "$WORK/vsftpd.conf"
  mkdir -p "$WORK/dovecot-run"
  cat >"$WORK/dovecot.conf" <<EOF
protocols = pop3 imap
listen = 10.96.1.10
base_dir = $WORK/dovecot-run
state_dir = $WORK/dovecot-state
instance_name = rvc-dovecot
disable_plaintext_auth = no
ssl = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = $WORK/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
first_valid_uid = 100
passdb {
  driver = pam
  args = dovecot
}
userdb {
  driver = passwd
}
service anvil {
  chroot =
}
EOF
  daemon dovecot rvc-srv dovecot -F -c "$WORK/dovecot.conf"
  printf 'telnet stream tcp nowait root /usr/sbin/telnetd telnetd -h\n' >"$WORK/inetd.conf"
  daemon inetd rvc-srv inetutils-inetd -d -p "$WORK/inetd.pid" "$WORK/inetd.conf"
  daemon iperf3 rvc-srv iperf3 -s -B 10.96.1.10
  daemon sink-ts rvc-srv socat -u UDP-RECV:5004,bind=10.96.1.10 /dev/null
  daemon sink-rtp rvc-srv socat -u UDP-RECV:5006,bind=10.96.1.10 /dev/null
  daemon sink-log rvc-srv socat -u UDP-RECV:514,bind=10.96.1.10 /dev/null
  daemon sink-statsd rvc-srv socat -u UDP-RECV:8125,bind=10.96.1.10 /dev/null
  daemon sink-tcplog rvc-srv socat -u TCP-LISTEN:514,bind=10.96.1.10,reuseaddr,fork /dev/null
  daemon sink-tcplog601 rvc-srv socat -u TCP-LISTEN:601,bind=10.96.1.10,reuseaddr,fork /dev/null
  wait_listen rvc-srv -Hltn 21; wait_listen rvc-srv -Hltn 110; wait_listen rvc-srv -Hltn 143
  wait_listen rvc-srv -Hltn 23; wait_listen rvc-srv -Hltn 5201; wait_listen rvc-srv -Hltn 80
  wait_listen rvc-gw -Hltn 80
  # routes for "internet" clients logging into the LAN server: source from the public address
  ip -n rvc-gw route add 10.96.1.10/32 dev rvc-gw src 61.177.172.90
}
cap_start() {
  rm -f "$OUT/$1"
  for n in dev gw srv; do ip -n "rvc-$n" neigh flush dev "rvc-$n" 2>/dev/null || true; done
  : >"$WORK/tcpdump.log"
  ip netns exec rvc-sw tcpdump -i rvc-br -n -U -w "$OUT/$1" >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  for i in $(seq 1 100); do grep -q 'listening on' "$WORK/tcpdump.log" && break; sleep 0.1; done
  sleep 0.3; log "recording $1"
}
cap_stop() { sleep 1; kill -INT "$CAP_PID"; wait "$CAP_PID" || true; CAP_PID=; }
pwlist() { printf '%s\n' 123456 admin password rvcuser1 letmein qwerty 'Rvc-Good-Pas9' "$P" >"$WORK/pw.txt"; }

# ---- scene 1: legitimate high rates --------------------------------------------------
s_iperf_udp() { cap_start iperf3-udp.pcap; dev iperf3 -c 10.96.1.10 -u -b 3M -t 3 -l 1200 >/dev/null; cap_stop; }
s_iperf_tcp() { cap_start iperf3-tcp-p20.pcap; dev iperf3 -c 10.96.1.10 -P 20 -b 200K -t 2 >/dev/null; cap_stop; }
s_mpegts() { cap_start mpegts-udp.pcap
  dev ffmpeg -nostdin -loglevel error -re -f lavfi -i testsrc=size=640x360:rate=25 -t 4 \
    -c:v mpeg2video -b:v 2M -f mpegts 'udp://10.96.1.10:5004?pkt_size=1316'; cap_stop; }
s_rtp() { cap_start rtp-udp.pcap
  dev ffmpeg -nostdin -loglevel error -re -f lavfi -i testsrc=size=640x360:rate=25 -t 4 \
    -c:v mpeg2video -b:v 2M -f rtp 'rtp://10.96.1.10:5006'; cap_stop; }
s_ab() { cap_start ab-nginx.pcap; dev ab -q -n 500 -c 50 http://10.96.1.10/install.sh >/dev/null; cap_stop; }
s_aria() { cap_start aria2c-x16.pcap
  dev aria2c -q -x 16 -s 16 -k 1M --allow-overwrite=true -d "$WORK" -o big.bin http://10.96.1.10/app; cap_stop; }
s_dig() { cap_start dig-loop.pcap
  for i in $(seq 1 400); do echo "host$i.example-iot.test A"; done >"$WORK/names"
  dev dig @10.96.1.1 +tries=1 +time=1 -f "$WORK/names" >/dev/null; cap_stop; }
s_ping() { cap_start ping-flood.pcap; dev ping -q -f -c 500 10.96.1.10 >/dev/null; cap_stop
  cap_start ping-02.pcap; dev ping -q -i 0.2 -c 15 10.96.1.10 >/dev/null; cap_stop
  cap_start ping-fast-public.pcap; dev ping -q -i 0.01 -c 300 93.184.216.40 >/dev/null; cap_stop; }
s_logger() { cap_start syslog-burst.pcap
  # a shell script logging each line with logger (a new socket per message), then a
  # one-socket burst of 300 lines (logger -f)
  for i in $(seq 1 250); do dev logger -n 10.96.1.10 -P 514 -d -t camd "frame $i dropped"; done
  seq 1 300 | sed 's/^/sensor reading /' >"$WORK/lines"; dev logger -n 10.96.1.10 -P 514 -d -t camd -f "$WORK/lines"
  cap_stop; }
s_logger_tcp() { cap_start syslog-tcp.pcap
  # syslog over TCP (RFC 6587): octet-counted messages to 514, newline-ended ones (RFC 3164
  # format) to 601
  wait_listen rvc-srv -Hltn 514; wait_listen rvc-srv -Hltn 601
  dev logger -n 10.96.1.10 -P 514 -T --octet-count -t camd "motion detected in zone 2"
  dev logger -n 10.96.1.10 -P 601 -T --rfc3164 -t camd -f /etc/hostname
  cap_stop; }
s_statsd() { cap_start statsd.pcap
  # statsd metrics from a shell loop (nc -u -w0 per metric): one-way, unrecognised UDP
  for i in $(seq 1 250); do echo "cam.frames:$i|c" | dev nc -u -w0 10.96.1.10 8125; done; cap_stop; }
s_ftpmirror() { cap_start ftp-mirror.pcap
  dev lftp -u "$U,$P" -e "set ftp:passive-mode on; set net:max-retries 1; mirror --parallel=4 pics $WORK/mirror; quit" 10.96.1.10 >/dev/null 2>&1 || log "lftp rc $?"
  cap_stop; ls "$WORK/mirror" | wc -l >&2; }
s_waitfor() { cap_start waitfor-loop.pcap
  # a "wait-for-it" style start-up script polling a port until a service comes up
  for i in $(seq 1 250); do dev nc -z -w1 10.96.1.10 1883 || true; done; cap_stop; }

# ---- scene 2: legitimate logins ----------------------------------------------------
s_typo() { cap_start login-typo.pcap
  dev curl -s "ftp://$U:Rvc-Good-Pas9@10.96.1.10/" -o /dev/null || true
  dev curl -s "ftp://$U:rvc-good-pass9@10.96.1.10/" -o /dev/null || true
  dev curl -sS --fail "ftp://$U:$P@10.96.1.10/" -o /dev/null
  cap_stop; }
fmrc() { cat >"$WORK/fetchmailrc" <<EOF
poll 10.96.1.10 protocol $1 port $2 auth password
  user "$U" password "$3" keep fetchall sslproto '' mda "/bin/cat"
EOF
chmod 600 "$WORK/fetchmailrc"; rm -f "$WORK/.fetchids"; }
s_poll() { cap_start pop3-poll-20.pcap; fmrc pop3 110 "$P"
  for i in $(seq 1 20); do dev env HOME="$WORK" fetchmail --nosyslog -f "$WORK/fetchmailrc" >/dev/null 2>&1 || true; sleep 0.2; done
  cap_stop; }
s_stale() { cap_start imap-stale-password.pcap; fmrc imap 143 'Rvc-Old-Pass8'
  # a mail client whose saved password is out of date, polling 6 times with that same password
  for i in $(seq 1 6); do dev env HOME="$WORK" fetchmail --nosyslog -f "$WORK/fetchmailrc" >/dev/null 2>&1 || true; sleep 1; done
  cap_stop; }
s_typo_sessions() { cap_start telnet-typos-3-sessions.pcap
  # a person who mistypes twice in each of three telnet sessions, and gets in each time
  cat >"$WORK/tel.exp" <<'EOF'
set timeout 10
spawn telnet [lindex $argv 0]
foreach pw [list [lindex $argv 2] [lindex $argv 3] [lindex $argv 4]] {
  expect "login: " ; send "[lindex $argv 1]\r"
  expect "assword: " ; send "$pw\r"
}
expect "\\$ " ; send "exit\r"
expect eof
EOF
  for s in 1 2 3; do dev env TERM=vt100 expect -f "$WORK/tel.exp" 10.96.1.10 "$U" 'Rvc-Good-Pas9' 'rvc-Good-Pass9' "$P" >"$WORK/tel$s.log" 2>&1 || log "telnet $s failed"; sleep 2; done
  cap_stop; }
s_inbound_users() { cap_start ftp-internet-users.pcap
  # five different people on the internet, each mistyping their FTP password once
  for a in 90 91 92 93 94; do
    ip -n rvc-gw route replace 10.96.1.10/32 dev rvc-gw src 61.177.172.$a
    ip netns exec rvc-gw curl -s "ftp://$U:wrong$a@10.96.1.10/" -o /dev/null || true
    ip netns exec rvc-gw curl -s "ftp://$U:$P@10.96.1.10/" -o /dev/null || true
  done
  ip -n rvc-gw route replace 10.96.1.10/32 dev rvc-gw src 61.177.172.90
  cap_stop; }

# ---- scene 3: guessing with other tools ------------------------------------------------
s_hydra_ftp() { pwlist; cap_start hydra-ftp.pcap; dev hydra -l "$U" -P "$WORK/pw.txt" -t 2 -f ftp://10.96.1.10 >"$WORK/hydra.log" 2>&1 || true; cap_stop; }
s_hydra_inbound() { pwlist; cap_start hydra-ftp-from-internet.pcap
  ip netns exec rvc-gw hydra -l "$U" -P "$WORK/pw.txt" -t 2 -f ftp://10.96.1.10 >"$WORK/hydra2.log" 2>&1 || true; cap_stop; }
s_vpnprobe() { cap_start vpn-probe-from-internet.pcap
  # nmap's UDP probes of the VPN ports (its IKE and OpenVPN payloads) from an internet address:
  # nothing listens, the server answers with ICMP port unreachable
  ip netns exec rvc-gw nmap -n -Pn -sU -p 500,1194,4500,51820 --max-retries 1 10.96.1.10 >"$WORK/nmap-vpn.log" 2>&1 || true
  cap_stop; }
s_medusa() { pwlist; cap_start medusa-pop3.pcap; dev medusa -h 10.96.1.10 -u "$U" -P "$WORK/pw.txt" -M pop3 -t 1 -f >"$WORK/medusa.log" 2>&1 || true; cap_stop
  cap_start medusa-imap.pcap; dev medusa -h 10.96.1.10 -u "$U" -P "$WORK/pw.txt" -M imap -t 1 -f >"$WORK/medusa2.log" 2>&1 || true; cap_stop; }
s_ncrack() { pwlist; cap_start ncrack-telnet.pcap
  dev timeout 120 ncrack --user "$U" -P "$WORK/pw.txt" -f telnet://10.96.1.10 >"$WORK/ncrack.log" 2>&1 || true; cap_stop; }
s_patator() { pwlist; cap_start patator-ftp.pcap
  dev timeout 60 patator ftp_login host=10.96.1.10 user="$U" password=FILE0 0="$WORK/pw.txt" -x ignore:mesg='Login incorrect.' >"$WORK/patator.log" 2>&1 || true; cap_stop
  cap_start patator-pop3.pcap
  dev timeout 60 patator pop_login host=10.96.1.10 user="$U" password=FILE0 0="$WORK/pw.txt" >"$WORK/patator2.log" 2>&1 || true; cap_stop; }

# ---- scene 4: downloads ---------------------------------------------------------------
s_dl_named() { cap_start dl-named.pcap
  for f in ed.deb src.tar.gz camapp.AppImage tool.exe; do dev curl -sS --fail -o /dev/null "http://dl.vendor-example.com/$f"; done; cap_stop; }
s_dl_bare() { cap_start dl-bare-script.pcap; dev curl -sS --fail -o /dev/null http://45.90.12.34/install.sh; cap_stop
  cap_start dl-bare-exe.pcap; dev wget -q -O /dev/null http://45.90.12.34/tool.exe; cap_stop
  cap_start dl-bare-deb-targz.pcap; dev wget -q -O /dev/null http://45.90.12.34/ed.deb http://45.90.12.34/src.tar.gz; cap_stop; }
s_dl_chunked() { cap_start dl-chunked-elf.pcap; dev curl -sS --fail -o /dev/null http://45.90.12.34/chunked/app; cap_stop
  cap_start dl-gzip-elf.pcap; dev curl -sS --fail --compressed -o /dev/null http://45.90.12.34/gz/app; cap_stop; }
s_dl_lan() { cap_start dl-lan-elf.pcap; dev wget -q -O /dev/null http://10.96.1.10/app; cap_stop; }

ALL=(iperf_udp iperf_tcp mpegts rtp ab aria dig ping logger logger_tcp statsd ftpmirror waitfor typo poll stale typo_sessions inbound_users hydra_ftp hydra_inbound vpnprobe medusa ncrack patator dl_named dl_bare dl_chunked dl_lan)
setup; start_servers
for s in "${@:-${ALL[@]}}"; do "s_$s" || log "scene $s failed"; done
