#!/usr/bin/env bash
# Record real cleartext-login traffic of real Debian servers and clients as
# pcap fixtures for iotscope's tests.  Nothing here hand-crafts packets: every
# byte in the captures was sent by the programs named in README.md.
#
# Usage (as root):  testdata/recorded/record.sh [CAPTURE...]
#   CAPTURE is any of: telnet ftp pop3 imap smtp http-basic http-poll dot-dns
#   (default: all).  Each run regenerates the selected .pcap files.
#
# Topology: two network namespaces joined by a veth pair,
#   iots-cli (10.99.0.2, veth-iots-c)  <---->  iots-srv (10.99.0.1, veth-iots-s)
# Servers run in iots-srv, clients in iots-cli, tcpdump listens on veth-iots-s.
# The namespaces, the servers and the temporary files are removed on exit.
#
# Test account: user "iotuser", password "S3cretPassw0rd!" (fixed test
# strings; tests assert the password never shows up in iotscope's output).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$HERE}

TEST_USER=iotuser
TEST_PASS='S3cretPassw0rd!'
TEST_PASS_URL='S3cretPassw0rd%21'   # same password, URL-encoded for curl URLs

NS_S=iots-srv
NS_C=iots-cli
VETH_S=veth-iots-s
VETH_C=veth-iots-c
SRV_IP=10.99.0.1
CLI_IP=10.99.0.2
SRV_NAME=iotscope-srv
CLI_NAME=iotscope-cli

PACKAGES=(
  iproute2 util-linux procps ethtool tcpdump tshark openssl curl expect
  inetutils-inetd inetutils-telnetd inetutils-telnet
  vsftpd
  dovecot-core dovecot-pop3d dovecot-imapd fetchmail
  exim4-daemon-light
  nginx
  unbound knot-dnsutils
)

ALL_CAPTURES=(telnet ftp pop3 imap smtp http-basic http-poll dot-dns)

log() { printf '[record] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, daemons, useradd)"

# ---------------------------------------------------------------- packages --
install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "installing: ${missing[*]}"
  # Do not let the packages' maintainer scripts start their system-wide
  # services: every daemon is started below, inside the server namespace.
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  [[ $own_policy -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# ----------------------------------------------------------- test account --
ensure_account() {
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash --comment 'iotscope test user' "$TEST_USER"
  fi
  echo "$TEST_USER:$TEST_PASS" | chpasswd
  local home
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  # A file to download over FTP and a mail to fetch over POP3/IMAP.
  printf 'hello from iotscope ftp fixture\n' >"$home/hello.txt"
  rm -rf "$home/Maildir"
  mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
  cat >"$home/Maildir/new/1700000000.M1P1.$SRV_NAME" <<EOF
Return-Path: <sensor@iotscope.test>
From: sensor@iotscope.test
To: $TEST_USER@iotscope.test
Subject: iotscope fixture mail
Date: Tue, 14 Nov 2023 22:13:20 +0000
Message-ID: <fixture-1@iotscope.test>

Temperature 21.5 C.
EOF
  chown -R "$TEST_USER:" "$home/hello.txt" "$home/Maildir"
}

# ---------------------------------------------------------------- network --
WORK=
CAP_PID=
SERVER_PIDS=()

stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}

cleanup() {
  set +e
  if [[ -n $CAP_PID ]]; then kill -INT "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; fi
  stop_servers
  # Anything a server forked (telnetd/login children, dovecot helpers...)
  # lives in the namespace: kill exactly those processes.
  local pid
  for pid in $(ip netns pids "$NS_S" 2>/dev/null) $(ip netns pids "$NS_C" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null
  done
  ip netns del "$NS_S" 2>/dev/null
  ip netns del "$NS_C" 2>/dev/null
  [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
}

setup_network() {
  # Leftovers from an interrupted run.
  ip netns del "$NS_S" 2>/dev/null || true
  ip netns del "$NS_C" 2>/dev/null || true
  ip link del "$VETH_S" 2>/dev/null || true

  ip netns add "$NS_S"
  ip netns add "$NS_C"
  local ns
  for ns in "$NS_S" "$NS_C"; do
    # No IPv6 router solicitations / MLD chatter in the captures.
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
  done
  ip link add "$VETH_S" netns "$NS_S" type veth peer name "$VETH_C" netns "$NS_C"
  ip -n "$NS_S" addr add "$SRV_IP/24" dev "$VETH_S"
  ip -n "$NS_C" addr add "$CLI_IP/24" dev "$VETH_C"
  ip -n "$NS_S" link set "$VETH_S" up
  ip -n "$NS_C" link set "$VETH_C" up
  # Real checksums and MTU-sized segments in the capture (no offload artefacts).
  ip netns exec "$NS_S" ethtool -K "$VETH_S" tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$NS_C" ethtool -K "$VETH_C" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

# Run a command in the server namespace, with its own UTS namespace so that
# banners and prompts show $SRV_NAME instead of this machine's host name.
in_srv() { ip netns exec "$NS_S" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$SRV_NAME" "$@"; }
in_cli() { ip netns exec "$NS_C" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$CLI_NAME" "$@"; }

# Start a foreground daemon in the server namespace; remember its pid.
start_server() {
  local name=$1; shift
  in_srv "$@" >"$WORK/$name.out" 2>&1 &
  SERVER_PIDS+=($!)
}

# Wait until something listens on PORT (tcp|udp) in the server namespace.
# Checked with ss, so no probe connection ends up in a capture.
wait_listen() {
  local proto=$1 port=$2 i flag=-Hltn
  [[ $proto == udp ]] && flag=-Hlun
  for i in $(seq 1 100); do
    if ip netns exec "$NS_S" ss $flag "sport = :$port" | grep -q .; then return 0; fi
    sleep 0.1
  done
  log "server outputs:"; tail -n 20 "$WORK"/*.out >&2 || true
  die "nothing listening on $proto/$port in $NS_S"
}

cap_start() {
  local file=$OUT/$1
  rm -f "$file"
  # Fresh ARP caches: every capture starts with address resolution.
  ip -n "$NS_S" neigh flush dev "$VETH_S" 2>/dev/null || true
  ip -n "$NS_C" neigh flush dev "$VETH_C" 2>/dev/null || true
  : >"$WORK/tcpdump.log"
  ip netns exec "$NS_S" tcpdump -i "$VETH_S" -n -U -Z root -w "$file" >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  local i
  for i in $(seq 1 100); do
    grep -q 'listening on' "$WORK/tcpdump.log" && break
    sleep 0.1
  done
  grep -q 'listening on' "$WORK/tcpdump.log" || die "tcpdump did not start: $(cat "$WORK/tcpdump.log")"
  sleep 0.5
}

cap_stop() {
  sleep 1   # let the last FIN/ACKs through
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  CAP_PID=
  log "$(tail -n 3 "$WORK/tcpdump.log" | tr '\n' ' ')"
}

# ---------------------------------------------------------------- captures --
record_telnet() {
  cat >"$WORK/inetd.conf" <<EOF
telnet stream tcp nowait root /usr/sbin/telnetd telnetd -h
EOF
  start_server inetd inetutils-inetd -d -p "$WORK/inetd.pid" "$WORK/inetd.conf"
  wait_listen tcp 23
  cat >"$WORK/telnet.exp" <<'EOF'
set timeout 30
set srv [lindex $argv 0]
set user [lindex $argv 1]
set pass [lindex $argv 2]
# Type like a person: one character at a time.
set send_slow {1 0.05}
spawn telnet $srv
expect {
  "login: " {}
  timeout { puts stderr "no login prompt"; exit 1 }
}
send -s "$user\r"
expect {
  "Password:" {}
  timeout { puts stderr "no password prompt"; exit 1 }
}
send -s "$pass\r"
expect {
  -re {\$ $} {}
  "Login incorrect" { puts stderr "login failed"; exit 1 }
  timeout { puts stderr "no shell prompt"; exit 1 }
}
send -s "echo hello\r"
expect "echo hello\r\n"
expect {
  "hello\r\n" {}
  timeout { puts stderr "no echo output"; exit 1 }
}
expect -re {\$ $}
send -s "exit\r"
expect eof
EOF
  cap_start telnet-login.pcap
  in_cli env TERM=vt100 LANG=C expect -f "$WORK/telnet.exp" "$SRV_IP" "$TEST_USER" "$TEST_PASS" \
    >"$WORK/telnet-client.log" 2>&1 || { cat "$WORK/telnet-client.log" >&2; die "telnet session failed"; }
  cap_stop
  stop_servers
}

record_ftp() {
  mkdir -p /var/run/vsftpd/empty
  cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$SRV_IP
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=/var/run/vsftpd/empty
ftpd_banner=iotscope-srv FTP service ready.
seccomp_sandbox=NO
xferlog_enable=YES
vsftpd_log_file=$WORK/vsftpd.log
pasv_enable=YES
EOF
  start_server vsftpd vsftpd "$WORK/vsftpd.conf"
  wait_listen tcp 21
  cap_start ftp-login.pcap
  # One control connection: USER/PASS, LIST of the home directory, RETR hello.txt.
  in_cli curl -sS --fail "ftp://$TEST_USER:$TEST_PASS_URL@$SRV_IP/" \
    -o "$WORK/ftp-list.txt" "ftp://$TEST_USER:$TEST_PASS_URL@$SRV_IP/hello.txt" -o "$WORK/ftp-hello.txt"
  cap_stop
  grep -q hello.txt "$WORK/ftp-list.txt" || die "ftp LIST did not show hello.txt"
  grep -q 'hello from iotscope' "$WORK/ftp-hello.txt" || die "ftp RETR failed"
  stop_servers
}

start_dovecot() {
  mkdir -p "$WORK/dovecot-run"
  cat >"$WORK/dovecot.conf" <<EOF
protocols = pop3 imap
listen = $SRV_IP
base_dir = $WORK/dovecot-run
state_dir = $WORK/dovecot-state
instance_name = iotscope-dovecot
hostname = $SRV_NAME
login_greeting = iotscope-srv mail ready.
disable_plaintext_auth = no
ssl = no
auth_mechanisms = plain login
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
  start_server dovecot dovecot -F -c "$WORK/dovecot.conf"
  wait_listen tcp 110
  wait_listen tcp 143
}

# fetchmail with "auth password": cleartext USER/PASS (POP3) or LOGIN (IMAP).
run_fetchmail() {
  local proto=$1 port=$2
  cat >"$WORK/fetchmailrc" <<EOF
poll $SRV_IP protocol $proto port $port auth password
  user "$TEST_USER" password "$TEST_PASS" keep fetchall sslproto '' mda "/bin/cat"
EOF
  chmod 600 "$WORK/fetchmailrc"
  rm -f "$WORK/.fetchids"
  in_cli env HOME="$WORK" fetchmail --nosyslog -f "$WORK/fetchmailrc" --pidfile "$WORK/fetchmail.pid" \
    >"$WORK/fetchmail-$proto.log" 2>&1 || { cat "$WORK/fetchmail-$proto.log" >&2; die "fetchmail $proto failed"; }
  grep -q 'Temperature' "$WORK/fetchmail-$proto.log" || die "fetchmail $proto fetched no mail"
}

record_pop3() {
  ensure_account   # fresh, unread Maildir
  start_dovecot
  cap_start pop3-login.pcap
  # curl: CAPA, AUTH PLAIN (SASL), LIST, then RETR 1 on a second connection.
  in_cli curl -sS --fail --user "$TEST_USER:$TEST_PASS" "pop3://$SRV_IP/" -o "$WORK/pop3-list.txt"
  in_cli curl -sS --fail --user "$TEST_USER:$TEST_PASS" "pop3://$SRV_IP/1" -o "$WORK/pop3-msg.txt"
  # fetchmail: classic USER/PASS, STAT, UIDL, RETR (kept on the server).
  run_fetchmail pop3 110
  cap_stop
  grep -q 'Temperature' "$WORK/pop3-msg.txt" || die "pop3 RETR via curl failed"
  stop_servers
}

record_imap() {
  ensure_account
  start_dovecot
  cap_start imap-login.pcap
  # curl default: CAPABILITY, AUTHENTICATE PLAIN, SELECT INBOX, FETCH 1.
  in_cli curl -sS --fail --user "$TEST_USER:$TEST_PASS" "imap://$SRV_IP/INBOX;UID=1" -o "$WORK/imap-msg.txt"
  # curl: LIST of the mailboxes on a second connection.
  in_cli curl -sS --fail --user "$TEST_USER:$TEST_PASS" "imap://$SRV_IP/" -o "$WORK/imap-list.txt"
  # fetchmail: plain IMAP LOGIN command, SELECT, FETCH (kept on the server).
  run_fetchmail imap 143
  cap_stop
  grep -q 'Temperature' "$WORK/imap-msg.txt" || die "imap FETCH failed"
  stop_servers
}

record_smtp() {
  # Exim (Debian exim4-daemon-light) as a submission server that offers
  # AUTH PLAIN and AUTH LOGIN without TLS.  Accepted mail stays queued in the
  # temporary spool (queue_only) and is thrown away with it.
  local hash exim_user
  hash=$(openssl passwd -6 "$TEST_PASS")
  exim_user=$(exim4 -bP exim_user | sed 's/.*= *//')
  mkdir -p "$WORK/exim-spool" "$WORK/exim-log"
  chown "$exim_user:" "$WORK/exim-spool" "$WORK/exim-log"
  cat >"$WORK/exim.conf" <<EOF
primary_hostname = $SRV_NAME
qualify_domain = iotscope.test
local_interfaces = $SRV_IP
daemon_smtp_ports = 25
spool_directory = $WORK/exim-spool
log_file_path = $WORK/exim-log/%slog
keep_environment =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
auth_advertise_hosts = *
queue_only = true
smtp_banner = \$smtp_active_hostname ESMTP iotscope test relay
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept authenticated = *
  deny message = authentication required

begin routers
blackhole:
  driver = redirect
  data = :blackhole:

begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{\$auth2}{$TEST_USER}}{crypteq{\$auth3}{\\N$hash\\N}}}}
  server_set_id = \$auth2
login_server:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and{{eq{\$auth1}{$TEST_USER}}{crypteq{\$auth2}{\\N$hash\\N}}}}
  server_set_id = \$auth1
EOF
  start_server exim exim4 -C "$WORK/exim.conf" -bdf
  wait_listen tcp 25
  cat >"$WORK/mail.txt" <<EOF
From: $TEST_USER@iotscope.test
To: alerts@iotscope.test
Subject: iotscope fixture

Door sensor opened.
EOF
  cap_start smtp-auth.pcap
  in_cli curl -sS --fail "smtp://$SRV_IP/iotscope-cli" --user "$TEST_USER:$TEST_PASS" \
    --login-options 'AUTH=PLAIN' --mail-from "$TEST_USER@iotscope.test" --mail-rcpt alerts@iotscope.test \
    -T "$WORK/mail.txt"
  in_cli curl -sS --fail "smtp://$SRV_IP/iotscope-cli" --user "$TEST_USER:$TEST_PASS" \
    --login-options 'AUTH=LOGIN' --mail-from "$TEST_USER@iotscope.test" --mail-rcpt alerts@iotscope.test \
    -T "$WORK/mail.txt"
  cap_stop
  stop_servers
}

start_nginx() {
  mkdir -p "$WORK/www/private" "$WORK/nginx-tmp"
  printf 'top secret sensor config\n' >"$WORK/www/private/config.txt"
  printf '{"status":"ok","temperature":21.5,"uptime":12345}\n' >"$WORK/www/status.json"
  chmod -R a+rX "$WORK/www"
  # htpasswd entry made with openssl (apr1 = Apache MD5 crypt, which nginx reads).
  printf '%s:%s\n' "$TEST_USER" "$(openssl passwd -apr1 "$TEST_PASS")" >"$WORK/htpasswd"
  chmod 644 "$WORK/htpasswd"
  cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 64; }
http {
  access_log $WORK/nginx-access.log;
  client_body_temp_path $WORK/nginx-tmp/body;
  proxy_temp_path $WORK/nginx-tmp/proxy;
  fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
  scgi_temp_path $WORK/nginx-tmp/scgi;
  types { application/json json; text/plain txt; text/html html; }
  default_type application/octet-stream;
  server {
    listen $SRV_IP:80;
    server_name $SRV_NAME;
    root $WORK/www;
    location /private/ {
      auth_basic "iotscope device";
      auth_basic_user_file $WORK/htpasswd;
    }
  }
}
EOF
  start_server nginx nginx -c "$WORK/nginx.conf"
  wait_listen tcp 80
}

record_http_basic() {
  start_nginx
  cap_start http-basic.pcap
  # First without credentials (401), then with Basic credentials (200).
  local code
  code=$(in_cli curl -sS -o /dev/null -w '%{http_code}' "http://$SRV_IP/private/config.txt")
  [[ $code == 401 ]] || die "expected 401, got $code"
  code=$(in_cli curl -sS -o "$WORK/http-private.txt" -w '%{http_code}' --basic \
    --user "$TEST_USER:$TEST_PASS" "http://$SRV_IP/private/config.txt")
  [[ $code == 200 ]] || die "expected 200, got $code"
  cap_stop
  stop_servers
}

record_http_poll() {
  start_nginx
  cap_start http-poll.pcap
  local i
  for i in 1 2 3 4 5 6 7 8; do
    in_cli curl -sS --fail -o /dev/null "http://$SRV_IP/status.json"
    if [[ $i -lt 8 ]]; then sleep 2; fi
  done
  cap_stop
  stop_servers
}

record_dot_dns() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=dns.iotscope.test" -keyout "$WORK/unbound.key" -out "$WORK/unbound.pem" 2>/dev/null
  cat >"$WORK/unbound.conf" <<EOF
server:
  verbosity: 1
  interface: $SRV_IP@53
  interface: $SRV_IP@853
  tls-port: 853
  tls-service-key: "$WORK/unbound.key"
  tls-service-pem: "$WORK/unbound.pem"
  access-control: 10.99.0.0/24 allow
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  use-syslog: no
  logfile: ""
  module-config: "iterator"
  local-zone: "example.org." static
  local-data: "example.org. 3600 IN A 192.0.2.10"
  local-data: "example.org. 3600 IN AAAA 2001:db8::10"
  local-data: "sensor.example.org. 300 IN A 192.0.2.20"
  local-data: "example.org. 3600 IN TXT \"iotscope fixture\""
EOF
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  wait_listen tcp 853
  wait_listen udp 53
  cap_start dot-dns.pcap
  # Plain DNS over UDP.
  in_cli kdig @"$SRV_IP" example.org A >"$WORK/kdig.log"
  in_cli kdig @"$SRV_IP" sensor.example.org A >>"$WORK/kdig.log"
  # DNS over TLS (opportunistic, self-signed certificate), one connection each.
  in_cli kdig +tls @"$SRV_IP" example.org A >>"$WORK/kdig.log"
  in_cli kdig +tls @"$SRV_IP" example.org AAAA >>"$WORK/kdig.log"
  in_cli kdig +tls @"$SRV_IP" sensor.example.org A >>"$WORK/kdig.log"
  cap_stop
  grep -q '192.0.2.20' "$WORK/kdig.log" || die "kdig got no answer"
  grep -q 'TLS session' "$WORK/kdig.log" || die "kdig did not use TLS"
  stop_servers
}

# ------------------------------------------------------------ verification --
# Count the packets of FILE matching a tshark display FILTER; need at least MIN.
expect_packets() {
  local file=$OUT/$1 filter=$2 min=$3 n
  n=$(tshark -r "$file" -Y "$filter" 2>/dev/null | wc -l)
  [[ $n -ge $min ]] || die "$1: expected >= $min packets matching '$filter', got $n"
}

verify() {
  case $1 in
    telnet)     expect_packets telnet-login.pcap 'telnet.data contains "login:"' 1
                expect_packets telnet-login.pcap 'telnet.data contains "Password:"' 1
                expect_packets telnet-login.pcap 'telnet.data contains "hello"' 1 ;;
    ftp)        expect_packets ftp-login.pcap 'ftp.request.command == "USER"' 1
                expect_packets ftp-login.pcap 'ftp.request.command == "PASS"' 1
                expect_packets ftp-login.pcap 'ftp.response.code == 230' 1
                expect_packets ftp-login.pcap 'ftp.request.command == "RETR"' 1 ;;
    pop3)       expect_packets pop3-login.pcap 'pop.request.command == "AUTH"' 2
                expect_packets pop3-login.pcap 'pop.request.command == "PASS"' 1 ;;
    imap)       expect_packets imap-login.pcap 'imap.request.command == "AUTHENTICATE"' 2
                expect_packets imap-login.pcap 'imap.request.command == "LOGIN"' 1 ;;
    smtp)       expect_packets smtp-auth.pcap 'smtp.req.command == "AUTH"' 2
                expect_packets smtp-auth.pcap 'smtp.response.code == 235' 2 ;;
    http-basic) expect_packets http-basic.pcap 'http.response.code == 401' 1
                expect_packets http-basic.pcap 'http.authorization' 1
                expect_packets http-basic.pcap 'http.response.code == 200' 1 ;;
    http-poll)  expect_packets http-poll.pcap 'http.request.uri == "/status.json"' 8
                expect_packets http-poll.pcap 'tcp.flags.syn == 1 && tcp.flags.ack == 0' 8 ;;
    dot-dns)    expect_packets dot-dns.pcap 'udp.port == 53 && dns.flags.response == 1' 2
                expect_packets dot-dns.pcap 'tcp.port == 853 && tls.handshake.type == 1' 3 ;;
  esac
}

# -------------------------------------------------------------------- main --
main() {
  local wanted=("$@") c
  [[ ${#wanted[@]} -eq 0 ]] && wanted=("${ALL_CAPTURES[@]}")
  for c in "${wanted[@]}"; do
    [[ " ${ALL_CAPTURES[*]} " == *" $c "* ]] || die "unknown capture '$c' (known: ${ALL_CAPTURES[*]})"
  done

  install_packages
  ensure_account
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  WORK=$(mktemp -d /tmp/iotscope-record.XXXXXX)
  chmod 755 "$WORK"   # daemons drop privileges and still read their files here
  setup_network

  for c in "${wanted[@]}"; do
    log "recording $c"
    "record_${c//-/_}"
    verify "$c"
  done
  log "done:"
  (cd "$OUT" && ls -l -- *.pcap >&2)
}

main "$@"
