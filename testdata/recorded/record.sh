#!/usr/bin/env bash
# Record real traffic (cleartext logins, DNS, TLS, DTLS, VPN tunnels, UPnP, an
# HTTP upload) of real Debian servers and clients as pcap fixtures for
# iotscope's tests.
# Nothing here hand-crafts packets: every byte in the captures was sent by the
# programs named in README.md.
#
# Usage (as root):  testdata/recorded/record.sh [CAPTURE...]
#   CAPTURE is any of: telnet ftp ftp-altport ftp-modes pop3 imap smtp http-basic http-poll
#   dot-dns long-tls bypass upnp tls-weak inbound upload firmware-tls mqtt
#   snmp snmp-unanswered ldap starttls wsd vnc sweep grid udpscan udpsweep pingsweep dtls vpn
#   ipsec midstream site-tunnel socks http-proxy dns-tcp proxy-relay lldp
#   (default: all).  Each run regenerates the selected .pcap files.
#   long-tls alone takes about 11 minutes.
#
# Topology: two network namespaces joined by a veth pair,
#   iots-cli (10.99.0.2, veth-iots-c)  <---->  iots-srv (10.99.0.1, veth-iots-s)
# Servers run in iots-srv, clients in iots-cli, tcpdump listens on veth-iots-s.
# Some captures add more to this for their own duration only: public-looking
# addresses on iots-srv's or iots-cli's lo, a default or multicast route in
# iots-cli, a host route in iots-srv, a "WAN" veth pair inside iots-srv, a tun
# device at each end of a VPN tunnel (`vpn`, `ipsec`).
# Those addresses exist only inside the namespaces; no packet leaves them.
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
  miniupnpd-nftables nftables miniupnpc natpmpc
  mosquitto mosquitto-clients
  snmpd snmp
  slapd ldap-utils
  wsdd
  tigervnc-standalone-server vncsnapshot
  nmap traceroute iputils-ping
  libcoap3-bin
  microsocks tinyproxy
  openvpn wireguard-go wireguard-tools
  lldpd
  strongswan-charon strongswan-swanctl libcharon-extra-plugins
)

ALL_CAPTURES=(telnet ftp ftp-altport ftp-modes pop3 imap smtp http-basic http-poll dot-dns long-tls bypass upnp natpmp tls-weak inbound upload firmware-tls mqtt snmp snmp-unanswered ldap starttls wsd vnc sweep grid udpscan udpsweep pingsweep dtls vpn ipsec midstream site-tunnel socks http-proxy dns-tcp proxy-relay lldp)

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
  # wireguard-go's UAPI sockets (`vpn`), left behind if it was killed.
  rm -f "/var/run/wireguard/$VPN_WG_SRV_IF.sock" "/var/run/wireguard/$VPN_WG_CLI_IF.sock"
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
# The same for a client that resolves names with the C library: a private
# mount namespace where $WORK/resolv.conf (the resolver 10.99.0.1) is bind-
# mounted over /etc/resolv.conf.  Nothing on the host's /etc changes.
in_cli_resolv() {
  ip netns exec "$NS_C" unshare --uts --mount --propagation private \
    sh -c 'mount --bind "$0" /etc/resolv.conf && hostname "$1" && shift && exec "$@"' \
    "$WORK/resolv.conf" "$CLI_NAME" "$@"
}

write_resolv_conf() {
  printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$SRV_IP" >"$WORK/resolv.conf"
  chmod 644 "$WORK/resolv.conf"
}

# Start a foreground daemon in the server namespace; remember its pid.
start_server() {
  local name=$1; shift
  # in_srv spelled out as one simple command: run in the background like this,
  # $! is the daemon itself (ip netns exec, unshare and sh all exec), so
  # stop_servers stops the daemon.  (`in_srv ... &` would fork a subshell
  # for the function; $! would be that subshell, and killing it would leave
  # the daemon running, e.g. an old unbound still answering on 10.99.0.1:53.)
  ip netns exec "$NS_S" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$SRV_NAME" "$@" \
    >"$WORK/$name.out" 2>&1 &
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
# inetutils-telnetd (-h: no banner before the login prompt) on tcp/23, started
# by inetutils-inetd for each connection.
start_telnetd() {
  cat >"$WORK/inetd.conf" <<EOF
telnet stream tcp nowait root /usr/sbin/telnetd telnetd -h
EOF
  start_server inetd inetutils-inetd -d -p "$WORK/inetd.pid" "$WORK/inetd.conf"
  wait_listen tcp 23
}

record_telnet() {
  start_telnetd
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

# vsftpd on ADDRESS:PORT (21 by default) for the test account, with passive
# mode on and any EXTRA configuration lines: start_vsftpd ADDRESS [EXTRA] [PORT]
start_vsftpd() {
  mkdir -p /var/run/vsftpd/empty
  cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$1
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=/var/run/vsftpd/empty
ftpd_banner=iotscope-srv FTP service ready.
seccomp_sandbox=NO
pasv_enable=YES
listen_port=${3:-21}
${2:-}
EOF
  start_server vsftpd vsftpd "$WORK/vsftpd.conf"
  wait_listen tcp "${3:-21}"
}

record_ftp() {
  start_vsftpd "$SRV_IP" "xferlog_enable=YES
vsftpd_log_file=$WORK/vsftpd.log"
  cap_start ftp-login.pcap
  # One control connection: USER/PASS, LIST of the home directory, RETR hello.txt.
  in_cli curl -sS --fail "ftp://$TEST_USER:$TEST_PASS_URL@$SRV_IP/" \
    -o "$WORK/ftp-list.txt" "ftp://$TEST_USER:$TEST_PASS_URL@$SRV_IP/hello.txt" -o "$WORK/ftp-hello.txt"
  cap_stop
  grep -q hello.txt "$WORK/ftp-list.txt" || die "ftp LIST did not show hello.txt"
  grep -q 'hello from iotscope' "$WORK/ftp-hello.txt" || die "ftp RETR failed"
  stop_servers
}

# FTP on a port of its own (2121, as cameras and NAS boxes are often set up):
# nothing in the port says FTP, the greeting and the login do.
record_ftp_altport() {
  start_vsftpd "$SRV_IP" "" 2121
  cap_start ftp-altport.pcap
  in_cli curl -sS --fail "ftp://$TEST_USER:$TEST_PASS_URL@$SRV_IP:2121/hello.txt" -o "$WORK/ftp-alt.txt"
  cap_stop
  grep -q 'hello from iotscope' "$WORK/ftp-alt.txt" || die "ftp-altport: RETR failed"
  stop_servers
}

# FTP from a server on a public-looking address, in the four ways a data
# connection is agreed: EPSV and PASV (the client connects to the port the
# server names), EPRT and PORT (the server connects back, from port 20, to the
# port the client names).  Active mode is the case that matters: seen alone,
# it is a host on the internet opening a connection into the device.
record_ftp_modes() {
  cloud_up
  start_vsftpd "$PUB_CLOUD" "port_enable=YES
connect_from_port_20=YES"
  cap_start ftp-modes.pcap
  local url="ftp://$TEST_USER:$TEST_PASS_URL@$PUB_CLOUD/hello.txt" mode
  for mode in epsv pasv eprt port; do
    local opts=()
    case $mode in
      epsv) opts=(--ftp-pasv) ;;
      pasv) opts=(--ftp-pasv --disable-epsv) ;;
      eprt) opts=(--ftp-port -) ;;
      port) opts=(--ftp-port - --disable-eprt) ;;
    esac
    in_cli curl -sS --fail "${opts[@]}" "$url" -o "$WORK/ftp-$mode.txt" \
      || die "ftp-modes: $mode transfer failed"
    grep -q 'hello from iotscope' "$WORK/ftp-$mode.txt" || die "ftp-modes: $mode: wrong file"
    sleep 1
  done
  cap_stop
  stop_servers
  cloud_down
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
${DOVECOT_SSL:-ssl = no}
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

# Exim (Debian exim4-daemon-light) as a submission server that offers AUTH PLAIN
# and AUTH LOGIN, without TLS unless EXIM_TLS holds its certificate settings.
# Accepted mail stays queued in the temporary spool (queue_only) and is thrown
# away with it.
EXIM_TLS=
start_exim() {
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
${EXIM_TLS:-tls_advertise_hosts =}
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
  # The mail the clients send.
  cat >"$WORK/mail.txt" <<EOF
From: $TEST_USER@iotscope.test
To: alerts@iotscope.test
Subject: iotscope fixture

Door sensor opened.
EOF
}

record_smtp() {
  start_exim
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

# The same mail servers with TLS offered, and clients that insist on it: POP3's
# STLS, IMAP's and SMTP's STARTTLS (curl --ssl-reqd), each followed by a login
# that travels inside TLS. The certificate is self-signed; curl is told not to
# check it (-k).
record_starttls() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=mail.iotscope.test" -keyout "$WORK/mail.key" -out "$WORK/mail.pem" 2>/dev/null
  chmod 644 "$WORK/mail.key" "$WORK/mail.pem"
  ensure_account
  DOVECOT_SSL="ssl = yes
ssl_cert = <$WORK/mail.pem
ssl_key = <$WORK/mail.key" start_dovecot
  EXIM_TLS="tls_advertise_hosts = *
tls_certificate = $WORK/mail.pem
tls_privatekey = $WORK/mail.key" start_exim
  cap_start starttls.pcap
  in_cli curl -sS --fail -k --ssl-reqd --user "$TEST_USER:$TEST_PASS" "pop3://$SRV_IP/1" \
    -o "$WORK/stls-pop3.txt"
  in_cli curl -sS --fail -k --ssl-reqd --user "$TEST_USER:$TEST_PASS" "imap://$SRV_IP/INBOX;UID=1" \
    -o "$WORK/stls-imap.txt"
  in_cli curl -sS --fail -k --ssl-reqd "smtp://$SRV_IP/iotscope-cli" --user "$TEST_USER:$TEST_PASS" \
    --mail-from "$TEST_USER@iotscope.test" --mail-rcpt alerts@iotscope.test -T "$WORK/mail.txt"
  cap_stop
  stop_servers
  grep -q 'Temperature' "$WORK/stls-pop3.txt" || die "starttls: POP3 RETR failed"
  grep -q 'Temperature' "$WORK/stls-imap.txt" || die "starttls: IMAP FETCH failed"
}

# start_nginx [ADDR...]: nginx on $SRV_IP:80 and on each extra ADDR:80.
# NGINX_SERVER_EXTRA: more lines for its server block (empty unless a capture
# sets it for one call: NGINX_SERVER_EXTRA=... start_nginx ...).
NGINX_SERVER_EXTRA=
start_nginx() {
  local listen="listen $SRV_IP:80;" a
  for a in "$@"; do listen+=" listen $a:80;"; done
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
    $listen
    server_name $SRV_NAME;
    root $WORK/www;
    location /private/ {
      auth_basic "iotscope device";
      auth_basic_user_file $WORK/htpasswd;
    }
$NGINX_SERVER_EXTRA
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
  write_unbound_conf "$WORK/unbound.conf" <<EOF
  interface: $SRV_IP@53
  interface: $SRV_IP@853
  tls-port: 853
  tls-service-key: "$WORK/unbound.key"
  tls-service-pem: "$WORK/unbound.pem"
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

# A self-signed P-256 certificate: make_cert NAME SUBJECT SUBJECT_ALT_NAME
make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "$2" -addext "subjectAltName=$3" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.pem" 2>/dev/null
  chmod 644 "$WORK/$1.key" "$WORK/$1.pem"
}

# A self-signed P-256 certificate with a validity period in the past:
# make_expired_cert NAME SUBJECT SUBJECT_ALT_NAME STARTDATE ENDDATE
# (dates as YYYYMMDDHHMMSSZ).  OpenSSL 3.0's `req -x509` cannot set dates (its
# -not_before/-not_after came in 3.4), so `openssl ca -selfsign` signs the
# request with its own key, from a throwaway CA directory.
make_expired_cert() {
  local dir=$WORK/$1-ca
  rm -rf "$dir"
  mkdir -p "$dir/newcerts"
  : >"$dir/index.txt"
  echo 1000 >"$dir/serial"
  cat >"$dir/ca.cnf" <<EOF2
[ ca ]
default_ca = throwaway_ca
[ throwaway_ca ]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
default_md = sha256
policy = policy_cn
unique_subject = no
x509_extensions = server_ext
[ policy_cn ]
commonName = supplied
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = $3
EOF2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "$2" -keyout "$WORK/$1.key" -out "$dir/req.csr" 2>/dev/null
  openssl ca -batch -notext -selfsign -config "$dir/ca.cnf" -keyfile "$WORK/$1.key" \
    -in "$dir/req.csr" -out "$WORK/$1.pem" -startdate "$4" -enddate "$5" \
    >"$dir/ca.log" 2>&1 || { cat "$dir/ca.log" >&2; die "openssl ca -selfsign failed"; }
  chmod 644 "$WORK/$1.key" "$WORK/$1.pem"
}

# unbound answering from local-data only.  write_unbound_conf FILE then lines
# of extra "server:" settings on stdin.
write_unbound_conf() {
  {
    cat <<EOF2
server:
  verbosity: 1
  access-control: 10.99.0.0/24 allow
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  use-syslog: no
  logfile: ""
  module-config: "iterator"
EOF2
    cat
  } >"$1"
}

LONG_TLS_NAME=cloud.example.net
LONG_TLS_ROUNDS=12     # one line each way every 60 s, at about 1, 61, ..., 661 s
LONG_TLS_PERIOD=60

record_long_tls() {
  make_cert cloud "/CN=$LONG_TLS_NAME" "DNS:$LONG_TLS_NAME"
  write_unbound_conf "$WORK/unbound.conf" <<EOF2
  interface: $SRV_IP@53
  local-zone: "example.net." static
  local-data: "$LONG_TLS_NAME. 300 IN A $SRV_IP"
EOF2
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  # openssl s_server -rev: a TLS echo server that answers every line it
  # receives with the same line reversed; it exits after one connection.
  start_server s_server openssl s_server -accept "$SRV_IP:443" -naccept 1 -rev \
    -cert "$WORK/cloud.pem" -key "$WORK/cloud.key"
  wait_listen udp 53
  wait_listen tcp 443
  write_resolv_conf
  cap_start long-tls.pcap
  # s_client resolves the name itself (getaddrinfo -> /etc/resolv.conf ->
  # 10.99.0.1), verifies the certificate against it, sends the SNI, and then
  # sends one telemetry line every 60 s on the same connection.  On the end of
  # its input it sends close_notify and closes.
  in_cli_resolv sh -c '
    rounds=$1 period=$2; shift 2
    { sleep 1
      i=1
      while [ "$i" -le "$rounds" ]; do
        echo "telemetry seq=$i temp=21.$i"
        [ "$i" -lt "$rounds" ] && sleep "$period"
        i=$((i + 1))
      done
      sleep 2
    } | exec "$@"' long-tls "$LONG_TLS_ROUNDS" "$LONG_TLS_PERIOD" \
    openssl s_client -connect "$LONG_TLS_NAME:443" -servername "$LONG_TLS_NAME" \
      -CAfile "$WORK/cloud.pem" -verify_hostname "$LONG_TLS_NAME" -verify_return_error \
      -nocommands -no_ign_eof \
    >"$WORK/s_client.log" 2>&1 || { cat "$WORK/s_client.log" >&2; die "openssl s_client failed"; }
  cap_stop
  local last="telemetry seq=$LONG_TLS_ROUNDS temp=21.$LONG_TLS_ROUNDS" rev='' k
  for ((k = ${#last} - 1; k >= 0; k--)); do rev+=${last:k:1}; done
  grep -qF "$rev" "$WORK/s_client.log" \
    || { cat "$WORK/s_client.log" >&2; die "no reversed echo for the last line"; }
  stop_servers
}

# Addresses that look public but exist only on iots-srv's lo, for `bypass`.
PUB_DNS=8.8.8.8
PUB_DOH=1.1.1.1
PUB_CLOUD=52.94.236.248

# For the duration of one capture: $PUB_CLOUD on iots-srv's lo, and a default
# route for iots-cli through iots-srv, so that the client reaches it.
cloud_up() {
  ip -n "$NS_S" addr add "$PUB_CLOUD/32" dev lo
  ip -n "$NS_C" route add default via "$SRV_IP" dev "$VETH_C"
}
cloud_down() {
  ip -n "$NS_C" route del default via "$SRV_IP" dev "$VETH_C"
  ip -n "$NS_S" addr del "$PUB_CLOUD/32" dev lo
}

record_bypass() {
  local a
  for a in "$PUB_DNS" "$PUB_DOH" "$PUB_CLOUD"; do
    ip -n "$NS_S" addr add "$a/32" dev lo
  done
  # The client reaches them through its default route, the server's veth.
  ip -n "$NS_C" route add default via "$SRV_IP" dev "$VETH_C"
  make_cert doh "/CN=doh.iotscope.test" "IP:$PUB_DOH"
  # One unbound: the network's resolver on 10.99.0.1:53, the same data on
  # 8.8.8.8:53, and DNS over HTTPS (HTTP/2, /dns-query) on 1.1.1.1:443.
  write_unbound_conf "$WORK/unbound.conf" <<EOF2
  interface: $SRV_IP@53
  interface: $PUB_DNS@53
  interface: $PUB_DOH@443
  https-port: 443
  tls-service-key: "$WORK/doh.key"
  tls-service-pem: "$WORK/doh.pem"
  local-zone: "example.com." static
  local-data: "api.example.com. 300 IN A $SRV_IP"
  local-data: "time.example.com. 300 IN A 192.0.2.123"
  local-data: "update.example.com. 300 IN A $SRV_IP"
EOF2
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  start_nginx "$PUB_CLOUD"
  printf '{"status":"ok","api":"v1"}\n' >"$WORK/www/status.json"
  printf '{"version":"1.4.2","url":"http://%s/firmware.bin"}\n' "$PUB_CLOUD" >"$WORK/www/latest.json"
  head -c 204800 /dev/urandom >"$WORK/www/firmware.bin"
  chmod a+r "$WORK/www/"*
  wait_listen udp 53
  wait_listen tcp 443
  write_resolv_conf
  cap_start bypass.pcap
  # a. Well behaved: getaddrinfo through the network's resolver, then HTTP.
  in_cli_resolv curl -sS --fail -o "$WORK/api.json" "http://api.example.com/status.json"
  sleep 2
  # b. Plain DNS straight to 8.8.8.8, ignoring the network's resolver.
  in_cli_resolv kdig @"$PUB_DNS" time.example.com A >"$WORK/kdig.log"
  sleep 2
  # c. DNS over HTTPS to 1.1.1.1, then HTTP to the name it resolved.
  in_cli_resolv curl -sS --fail --doh-url "https://$PUB_DOH/dns-query" --doh-insecure \
    -o "$WORK/latest.json" "http://update.example.com/latest.json"
  sleep 2
  # d. A hard-coded address, no DNS at all.
  in_cli_resolv curl -sS --fail -o "$WORK/firmware.dl" "http://$PUB_CLOUD/firmware.bin"
  cap_stop
  grep -q '"status":"ok"' "$WORK/api.json" || die "GET api.example.com failed"
  grep -q '192.0.2.123' "$WORK/kdig.log" || die "kdig @$PUB_DNS got no answer"
  grep -q '1.4.2' "$WORK/latest.json" || die "GET update.example.com via DoH failed"
  cmp -s "$WORK/www/firmware.bin" "$WORK/firmware.dl" || die "firmware download differs"
  stop_servers
  ip -n "$NS_C" route del default via "$SRV_IP" dev "$VETH_C"
  for a in "$PUB_DNS" "$PUB_DOH" "$PUB_CLOUD"; do
    ip -n "$NS_S" addr del "$a/32" dev lo
  done
}

# TLS a security report should flag, from the public-looking $PUB_CLOUD (on
# iots-srv's lo, reached through the client's default route, as in `bypass`).
TLS_WEAK_CERT_NAME=device.example.com   # the expired certificate's CN and SAN
TLS_WEAK_SNI=api.example.net            # what the client asks for in session 1
TLS_WEAK_LEGACY=legacy.example.net      # certificate and SNI of session 2
TLS_WEAK_PORT=443
TLS_WEAK_LEGACY_CIPHERS='DEFAULT:@SECLEVEL=0'   # OpenSSL 3 refuses TLS 1.0 above level 0
TLS_WEAK_SERVER_PID=

# tls_weak_server ARGS...: one `openssl s_server -rev` on $PUB_CLOUD:443 for a
# single connection (it exits after it); waits until it listens.
tls_weak_server() {
  start_server s_server openssl s_server -accept "$PUB_CLOUD:$TLS_WEAK_PORT" -naccept 1 -rev "$@"
  TLS_WEAK_SERVER_PID=${SERVER_PIDS[-1]}
  wait_listen tcp "$TLS_WEAK_PORT"
}

# Wait (at most 10 s) for the single-connection s_server to exit, so the next
# one can take the port.
tls_weak_server_done() {
  local i
  for i in $(seq 1 100); do
    kill -0 "$TLS_WEAK_SERVER_PID" 2>/dev/null || return 0
    sleep 0.1
  done
  cat "$WORK/s_server.out" >&2
  die "openssl s_server did not exit after its connection"
}

# tls_weak_session N LINE PROTOCOL CLIENT...: CLIENT (an openssl s_client
# command) sends LINE, gets it back reversed, and closes on the end of its
# input (close_notify).  PROTOCOL is what s_client must report (TLSv1.2, TLSv1).
tls_weak_session() {
  local n=$1 line=$2 proto=$3 log=$WORK/s_client-$1.log rev='' k
  shift 3
  { sleep 0.5; printf '%s\n' "$line"; sleep 1; } | "$@" >"$log" 2>&1 \
    || { cat "$log" >&2; die "tls-weak session $n: openssl s_client failed"; }
  for ((k = ${#line} - 1; k >= 0; k--)); do rev+=${line:k:1}; done
  grep -qF "$rev" "$log" || { cat "$log" >&2; die "tls-weak session $n: no reversed echo"; }
  grep -Eq "^ *Protocol *: $proto\$" "$log" \
    || { cat "$log" >&2; die "tls-weak session $n: protocol is not $proto"; }
}

record_tls_weak() {
  cloud_up
  # Session 1's certificate: self-signed, valid only during 2020, for a name
  # that is not the one the client asks for.
  make_expired_cert expired "/CN=$TLS_WEAK_CERT_NAME" "DNS:$TLS_WEAK_CERT_NAME" \
    20200101000000Z 20210101000000Z
  # Sessions 2 and 3: self-signed, valid from now on for 10 years.
  make_cert legacy "/CN=$TLS_WEAK_LEGACY" "DNS:$TLS_WEAK_LEGACY"
  write_unbound_conf "$WORK/unbound.conf" <<EOF2
  interface: $SRV_IP@53
  local-zone: "example.net." static
  local-data: "$TLS_WEAK_SNI. 300 IN A $PUB_CLOUD"
EOF2
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  wait_listen udp 53
  write_resolv_conf
  tls_weak_server -tls1_2 -cert "$WORK/expired.pem" -key "$WORK/expired.key"
  cap_start tls-weak.pcap
  # 1. TLS 1.2, expired self-signed certificate for device.example.com, SNI
  #    api.example.net.  s_client looks the name up with the C library
  #    (10.99.0.1 answers $PUB_CLOUD) and, by default, carries on after the
  #    verification errors.
  tls_weak_session 1 'status seq=1' 'TLSv1.2' in_cli_resolv \
    openssl s_client -connect "$TLS_WEAK_SNI:$TLS_WEAK_PORT" -servername "$TLS_WEAK_SNI" \
      -tls1_2 -nocommands -no_ign_eof
  tls_weak_server_done
  grep -q 'certificate has expired' "$WORK/s_client-1.log" \
    || { cat "$WORK/s_client-1.log" >&2; die "tls-weak session 1: certificate not reported expired"; }
  # 2. TLS 1.0 on both sides, straight to the address.
  tls_weak_server -tls1 -cipher "$TLS_WEAK_LEGACY_CIPHERS" \
    -cert "$WORK/legacy.pem" -key "$WORK/legacy.key"
  sleep 2
  tls_weak_session 2 'status seq=2' 'TLSv1' in_cli \
    openssl s_client -connect "$PUB_CLOUD:$TLS_WEAK_PORT" -servername "$TLS_WEAK_LEGACY" \
      -tls1 -cipher "$TLS_WEAK_LEGACY_CIPHERS" -nocommands -no_ign_eof
  tls_weak_server_done
  # 3. TLS 1.2 with no server_name extension at all.
  tls_weak_server -tls1_2 -cert "$WORK/legacy.pem" -key "$WORK/legacy.key"
  sleep 2
  tls_weak_session 3 'status seq=3' 'TLSv1.2' in_cli \
    openssl s_client -connect "$PUB_CLOUD:$TLS_WEAK_PORT" -noservername \
      -tls1_2 -nocommands -no_ign_eof
  tls_weak_server_done
  cap_stop
  stop_servers
  cloud_down
}

# UPnP IGD: miniupnpd's LAN side is veth-iots-s; its WAN side is a second veth
# pair that lives entirely inside iots-srv, with a public-looking address
# (miniupnpd refuses port forwarding on a private or reserved WAN address).
UPNP_WAN_IF=wan-iots
UPNP_WAN_PEER=wan-iots-peer
UPNP_WAN_IP=81.2.69.142
UPNP_HTTP_PORT=5000
UPNP_UUID=6d4f2b1a-3c5e-4f60-8a7b-9c0d1e2f3a4b

# miniupnpd's configuration, and the nftables table and chains it adds its rules to.
write_upnp_router_files() {
  cat >"$WORK/miniupnpd.conf" <<EOF2
ext_ifname=$UPNP_WAN_IF
listening_ip=$VETH_S
port=$UPNP_HTTP_PORT
ipv6_disable=yes
enable_natpmp=no
enable_upnp=yes
secure_mode=yes
system_uptime=no
notify_interval=600
uuid=$UPNP_UUID
friendly_name=iotscope-srv router
model_number=1
serial=IOTSCOPE0001
lease_file=$WORK/upnp.leases
allow 1024-65535 10.99.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF2
  # The nftables table and chains miniupnpd adds its rules to, as upstream's
  # netfilter_nft/scripts/nft_init.sh creates them with its default names
  # (Debian's /etc/miniupnpd/nft_init.sh needs iptables and writes to /tmp).
  cat >"$WORK/miniupnpd.nft" <<'EOF2'
table inet filter {
    chain forward {
        type filter hook forward priority 0;
        policy drop;
        jump miniupnpd
    }
    chain miniupnpd {
    }
    chain prerouting {
        type nat hook prerouting priority -100;
        policy accept;
        jump prerouting_miniupnpd
    }
    chain postrouting {
        type nat hook postrouting priority 100;
        policy accept;
        jump postrouting_miniupnpd
    }
    chain prerouting_miniupnpd {
    }
    chain postrouting_miniupnpd {
    }
}
EOF2
}

record_upnp() {
  ip link add "$UPNP_WAN_IF" netns "$NS_S" type veth peer name "$UPNP_WAN_PEER" netns "$NS_S"
  ip -n "$NS_S" addr add "$UPNP_WAN_IP/24" dev "$UPNP_WAN_IF"
  ip -n "$NS_S" link set "$UPNP_WAN_IF" up
  ip -n "$NS_S" link set "$UPNP_WAN_PEER" up
  # SSDP multicast from the client goes out on its veth.
  ip -n "$NS_C" route add 239.0.0.0/8 dev "$VETH_C"
  write_upnp_router_files
  ip netns exec "$NS_S" nft -f "$WORK/miniupnpd.nft"
  start_server miniupnpd miniupnpd -d -f "$WORK/miniupnpd.conf" -P "$WORK/miniupnpd.pid"
  wait_listen tcp "$UPNP_HTTP_PORT"
  wait_listen udp 1900
  sleep 1
  cap_start upnp.pcap
  # Each upnpc run discovers the IGD (SSDP M-SEARCH), fetches rootDesc.xml,
  # then sends its SOAP requests.
  in_cli upnpc -l >"$WORK/upnpc.log" 2>&1 || { cat "$WORK/upnpc.log" >&2; die "upnpc -l failed"; }
  sleep 1
  in_cli upnpc -a "$CLI_IP" 8080 8080 TCP >>"$WORK/upnpc.log" 2>&1 \
    || { cat "$WORK/upnpc.log" >&2; cat "$WORK/miniupnpd.out" >&2; die "upnpc -a failed"; }
  sleep 1
  in_cli upnpc -l >>"$WORK/upnpc.log" 2>&1 || { cat "$WORK/upnpc.log" >&2; die "upnpc -l failed"; }
  sleep 1
  in_cli upnpc -d 8080 TCP >>"$WORK/upnpc.log" 2>&1 || { cat "$WORK/upnpc.log" >&2; die "upnpc -d failed"; }
  cap_stop
  grep -q "ExternalIPAddress = $UPNP_WAN_IP" "$WORK/upnpc.log" \
    || { cat "$WORK/upnpc.log" >&2; die "upnpc did not get the external address"; }
  grep -q "TCP  8080->$CLI_IP:8080" "$WORK/upnpc.log" \
    || { cat "$WORK/upnpc.log" >&2; die "upnpc -l did not list the new mapping"; }
  stop_servers
  ip -n "$NS_C" route del 239.0.0.0/8 dev "$VETH_C"
  ip -n "$NS_S" link del "$UPNP_WAN_IF"
}

# NAT-PMP: the same router, miniupnpd with NAT-PMP (and PCP) on udp/5351 instead of UPnP;
# libnatpmp's natpmpc asks for the public address, maps udp/8081 for an hour, then removes
# the mapping (lifetime 0).
record_natpmp() {
  ip link add "$UPNP_WAN_IF" netns "$NS_S" type veth peer name "$UPNP_WAN_PEER" netns "$NS_S"
  ip -n "$NS_S" addr add "$UPNP_WAN_IP/24" dev "$UPNP_WAN_IF"
  ip -n "$NS_S" link set "$UPNP_WAN_IF" up
  ip -n "$NS_S" link set "$UPNP_WAN_PEER" up
  write_upnp_router_files
  sed -e 's/^enable_natpmp=no/enable_natpmp=yes/' -e 's/^enable_upnp=yes/enable_upnp=no/' \
    "$WORK/miniupnpd.conf" >"$WORK/miniupnpd-natpmp.conf"
  ip netns exec "$NS_S" nft delete table inet filter 2>/dev/null || true
  ip netns exec "$NS_S" nft -f "$WORK/miniupnpd.nft"
  start_server miniupnpd miniupnpd -d -f "$WORK/miniupnpd-natpmp.conf" -P "$WORK/miniupnpd.pid"
  wait_listen udp 5351
  sleep 1
  cap_start natpmp.pcap
  in_cli natpmpc -g "$SRV_IP" >"$WORK/natpmpc.log" 2>&1 \
    || { cat "$WORK/natpmpc.log" >&2; die "natpmpc failed"; }
  sleep 1
  in_cli natpmpc -g "$SRV_IP" -a 8081 8081 udp 3600 >>"$WORK/natpmpc.log" 2>&1 \
    || { cat "$WORK/natpmpc.log" >&2; cat "$WORK/miniupnpd.out" >&2; die "natpmpc -a failed"; }
  sleep 1
  in_cli natpmpc -g "$SRV_IP" -a 8081 8081 udp 0 >>"$WORK/natpmpc.log" 2>&1 \
    || { cat "$WORK/natpmpc.log" >&2; die "natpmpc -a (remove) failed"; }
  cap_stop
  grep -q "Mapped public port 8081 protocol UDP to local port 8081" "$WORK/natpmpc.log" \
    || { cat "$WORK/natpmpc.log" >&2; die "natpmpc did not map the port"; }
  stop_servers
  ip netns exec "$NS_S" nft delete table inet filter
  ip -n "$NS_S" link del "$UPNP_WAN_IF"
}

# A host on the internet reaching a LAN device through a router's port
# forward (DNAT without SNAT): the device sees the public source address.
# iots-cli plays the router and the internet host behind it: $INBOUND_SRC is
# on iots-cli's lo, its clients bind to it, and iots-srv (the camera) routes
# the answers to it via 10.99.0.2.  arp_announce=2 on the client's veth makes
# its ARP requests say 10.99.0.2, as a router forwarding the packets would.
INBOUND_SRC=45.33.32.156

record_inbound() {
  ip -n "$NS_C" addr add "$INBOUND_SRC/32" dev lo
  ip -n "$NS_S" route add "$INBOUND_SRC/32" via "$CLI_IP" dev "$VETH_S"
  ip netns exec "$NS_C" sysctl -q -w "net.ipv4.conf.$VETH_C.arp_announce=2"
  start_nginx
  cat >"$WORK/www/index.html" <<'EOF2'
<!DOCTYPE html>
<html><head><title>IP Camera</title></head>
<body><h1>IP Camera</h1><p><a href="/live">Live view</a> | <a href="/setup">Setup</a></p></body></html>
EOF2
  chmod a+r "$WORK/www/index.html"
  start_telnetd
  # Connect, wait for the login prompt, then leave without typing anything:
  # the telnet escape character (^]) and `quit` close the connection.
  cat >"$WORK/telnet-inbound.exp" <<'EOF2'
set timeout 30
set srv [lindex $argv 0]
set src [lindex $argv 1]
spawn telnet -b $src $srv
expect {
  "login: " {}
  timeout { puts stderr "no login prompt"; exit 1 }
}
send "\035"
expect {
  "telnet> " {}
  timeout { puts stderr "no telnet> prompt"; exit 1 }
}
send "quit\r"
expect eof
EOF2
  cap_start inbound.pcap
  # 1. The web UI, from the internet.
  local code
  code=$(in_cli curl -sS --interface "$INBOUND_SRC" -o "$WORK/inbound-1.html" -w '%{http_code}' \
    "http://$SRV_IP/")
  [[ $code == 200 ]] || die "inbound: GET / from $INBOUND_SRC: expected 200, got $code"
  sleep 2
  # 2. Telnet from the internet: the login prompt, then nothing.
  in_cli env TERM=vt100 LANG=C expect -f "$WORK/telnet-inbound.exp" "$SRV_IP" "$INBOUND_SRC" \
    >"$WORK/telnet-inbound.log" 2>&1 \
    || { cat "$WORK/telnet-inbound.log" >&2; die "inbound: telnet from $INBOUND_SRC failed"; }
  sleep 2
  # 3. Control: the same request from the LAN.
  code=$(in_cli curl -sS -o "$WORK/inbound-3.html" -w '%{http_code}' "http://$SRV_IP/")
  [[ $code == 200 ]] || die "inbound: GET / from $CLI_IP: expected 200, got $code"
  cap_stop
  cmp -s "$WORK/www/index.html" "$WORK/inbound-1.html" || die "inbound: page from $INBOUND_SRC differs"
  cmp -s "$WORK/www/index.html" "$WORK/inbound-3.html" || die "inbound: page from $CLI_IP differs"
  grep -q "$SRV_NAME login: " "$WORK/telnet-inbound.log" \
    || { cat "$WORK/telnet-inbound.log" >&2; die "inbound: no login prompt in the telnet log"; }
  stop_servers
  ip netns exec "$NS_C" sysctl -q -w "net.ipv4.conf.$VETH_C.arp_announce=0"
  ip -n "$NS_S" route del "$INBOUND_SRC/32" via "$CLI_IP" dev "$VETH_S"
  ip -n "$NS_C" addr del "$INBOUND_SRC/32" dev lo
}

# A camera uploading its recordings to the cloud: $UPLOAD_NAME resolves (on
# 10.99.0.1) to the public-looking $PUB_CLOUD, on iots-srv's lo and reached
# through the client's default route, as in `bypass`.  nginx takes each clip
# with a WebDAV PUT (dav_methods PUT), which reads the whole body into a file
# before it answers 201 Created.  (A POST to `return 201` is answered as soon
# as the request headers are in, before the body.)
UPLOAD_NAME=clips.example-cam.com
UPLOAD_CLIPS=3
UPLOAD_SIZE=1000000     # random bytes per clip
UPLOAD_RATE=30/m        # curl --rate: one transfer start every 2 s

record_upload() {
  cloud_up
  write_unbound_conf "$WORK/unbound.conf" <<EOF2
  interface: $SRV_IP@53
  local-zone: "example-cam.com." static
  local-data: "$UPLOAD_NAME. 300 IN A $PUB_CLOUD"
EOF2
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  NGINX_SERVER_EXTRA="    location /upload/ {
      client_max_body_size 5m;
      dav_methods PUT;
    }" start_nginx "$PUB_CLOUD"
  # The worker (not root) writes the clips here.
  mkdir -p "$WORK/www/upload"
  chmod 777 "$WORK/www/upload"
  local i args=()
  for ((i = 1; i <= UPLOAD_CLIPS; i++)); do
    head -c "$UPLOAD_SIZE" /dev/urandom >"$WORK/clip-$i.mp4"
    args+=(-T "$WORK/clip-$i.mp4" "http://$UPLOAD_NAME/upload/clip-$i.mp4")
  done
  chmod a+r "$WORK"/clip-*.mp4
  wait_listen udp 53
  write_resolv_conf
  cap_start upload.pcap
  # One curl: one lookup through the C library (10.99.0.1 answers $PUB_CLOUD),
  # then one PUT per clip on the same connection, started 2 s apart.
  local codes
  codes=$(in_cli_resolv curl -sS --fail --rate "$UPLOAD_RATE" -H 'Content-Type: video/mp4' \
    -w '%{http_code} ' "${args[@]}") || die "upload: curl failed"
  cap_stop
  [[ $codes == "201 201 201 " ]] || die "upload: expected 201 201 201, got '$codes'"
  for ((i = 1; i <= UPLOAD_CLIPS; i++)); do
    cmp -s "$WORK/clip-$i.mp4" "$WORK/www/upload/clip-$i.mp4" || die "upload: clip $i differs on the server"
  done
  stop_servers
  cloud_down
}

# A device downloading a firmware image over HTTPS from its vendor's cloud:
# one name lookup, then one TLS connection that brings 6 MB down.
FIRMWARE_NAME=fw.example-iot.com
FIRMWARE_SIZE=6000000
record_firmware_tls() {
  cloud_up
  make_cert firmware "/CN=$FIRMWARE_NAME" "DNS:$FIRMWARE_NAME"
  write_unbound_conf "$WORK/unbound.conf" <<EOF2
  interface: $SRV_IP@53
  local-zone: "example-iot.com." static
  local-data: "$FIRMWARE_NAME. 300 IN A $PUB_CLOUD"
EOF2
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  NGINX_SERVER_EXTRA="    listen $PUB_CLOUD:443 ssl;
    ssl_certificate $WORK/firmware.pem;
    ssl_certificate_key $WORK/firmware.key;" start_nginx
  mkdir -p "$WORK/www/fw"
  head -c "$FIRMWARE_SIZE" /dev/urandom >"$WORK/www/fw/plug-2.1.7.bin"
  chmod -R a+rX "$WORK/www/fw"
  wait_listen udp 53
  wait_listen tcp 443
  write_resolv_conf
  cap_start firmware-tls.pcap
  # At 2 MB/s, as a device on Wi-Fi would, and slow enough for tcpdump to keep every packet.
  in_cli_resolv curl -sS --fail --limit-rate 2M --cacert "$WORK/firmware.pem" \
    -o "$WORK/firmware.bin" "https://$FIRMWARE_NAME/fw/plug-2.1.7.bin" \
    || die "firmware-tls: download failed"
  cap_stop
  cmp -s "$WORK/firmware.bin" "$WORK/www/fw/plug-2.1.7.bin" || die "firmware-tls: the image differs"
  stop_servers
  cloud_down
}

# A device downloading a file over plain HTTP from a public address, with the
# capture started while the transfer is under way: no handshake and no request
# in the capture, only the body in flight (what a capture begun in the middle of
# a long download holds).
MIDSTREAM_SIZE=1500000
record_midstream() {
  cloud_up
  # The server sends at 500 kB/s (a client reading slowly would not do: the kernel's
  # buffers take megabytes at once), so the request and the first second of the body
  # go before tcpdump starts.
  NGINX_SERVER_EXTRA="    location /dl/ {
      limit_rate 500k;
    }" start_nginx "$PUB_CLOUD"
  mkdir -p "$WORK/www/dl"
  head -c "$MIDSTREAM_SIZE" /dev/urandom >"$WORK/www/dl/update.bin"
  chmod -R a+rX "$WORK/www/dl"
  in_cli curl -sS --fail -o "$WORK/midstream.bin" \
    "http://$PUB_CLOUD/dl/update.bin" &
  local pid=$!
  sleep 1.5
  cap_start midstream.pcap
  wait "$pid" || die "midstream: download failed"
  cap_stop
  cmp -s "$WORK/midstream.bin" "$WORK/www/dl/update.bin" || die "midstream: the file differs"
  stop_servers
  cloud_down
}

# A site-to-site VXLAN tunnel over the internet (GRE is not in every kernel; VXLAN is): from the
# client's side (10.99.0.2) to a peer at a public address (203.0.113.66 on iots-srv's lo), and
# through it a host of the other site, 172.28.2.3, numbered from private space like this
# network. The tunnel's own subnet is 172.30.0.0/24 (the client 172.30.0.1, the peer
# 172.30.0.2, which routes to the far host). The client fetches a page from the far host's web
# server, then pings it. Only the VXLAN datagrams cross the veth, where tcpdump listens.
SITE_PEER=203.0.113.66
SITE_FAR=172.28.2.3
record_site_tunnel() {
  ip -n "$NS_S" addr add "$SITE_PEER/32" dev lo
  ip -n "$NS_S" addr add "$SITE_FAR/32" dev lo
  ip -n "$NS_C" route add "$SITE_PEER/32" via "$SRV_IP" dev "$VETH_C"
  ip -n "$NS_C" link add vx-iots type vxlan id 42 local "$CLI_IP" remote "$SITE_PEER" dstport 4789
  ip -n "$NS_S" link add vx-iots type vxlan id 42 local "$SITE_PEER" remote "$CLI_IP" dstport 4789
  ip -n "$NS_C" addr add 172.30.0.1/24 dev vx-iots
  ip -n "$NS_S" addr add 172.30.0.2/24 dev vx-iots
  ip -n "$NS_C" link set vx-iots up
  ip -n "$NS_S" link set vx-iots up
  ip -n "$NS_C" route add 172.28.0.0/16 via 172.30.0.2 dev vx-iots
  start_nginx "$SITE_FAR"
  cap_start site-tunnel.pcap
  in_cli curl -sS --fail -o /dev/null "http://$SITE_FAR/status.json" || die "site-tunnel: the page did not come"
  in_cli ping -n -c 3 -i 0.2 "$SITE_FAR" >"$WORK/ping.log" 2>&1 || die "site-tunnel: ping: $(cat "$WORK/ping.log")"
  cap_stop
  stop_servers
  ip -n "$NS_C" link del vx-iots
  ip -n "$NS_S" link del vx-iots
  ip -n "$NS_C" route del "$SITE_PEER/32" via "$SRV_IP" dev "$VETH_C"
  ip -n "$NS_S" addr del "$SITE_FAR/32" dev lo
  ip -n "$NS_S" addr del "$SITE_PEER/32" dev lo
}

# DNS over TCP with an answer larger than a segment: unbound serves 24 TXT
# strings of 250 characters (about 6 kB) for config.iotscope.test, which kdig
# asks for over TCP (+tcp), as a resolver retries a truncated UDP answer; then a
# small A query on another TCP connection.
record_dns_tcp() {
  local txt='' i
  for i in $(seq -w 1 24); do
    txt+=" $(printf 'key%s=%0246d' "$i" 0)"   # no spaces inside: one string each, unquoted
  done
  write_unbound_conf "$WORK/unbound.conf" <<EOF
  interface: $SRV_IP@53
  local-zone: "iotscope.test." static
  local-data: "config.iotscope.test. 300 IN TXT$txt"
  local-data: "sensor.iotscope.test. 300 IN A 192.0.2.20"
EOF
  start_server unbound unbound -d -c "$WORK/unbound.conf"
  wait_listen tcp 53
  cap_start dns-tcp.pcap
  in_cli kdig +tcp @"$SRV_IP" config.iotscope.test TXT >"$WORK/kdig.log"
  in_cli kdig +tcp @"$SRV_IP" sensor.iotscope.test A >>"$WORK/kdig.log"
  cap_stop
  grep -q 'key24=' "$WORK/kdig.log" || die "dns-tcp: kdig got no TXT answer"
  grep -q '192.0.2.20' "$WORK/kdig.log" || die "dns-tcp: kdig got no A answer"
  stop_servers
}

# A SOCKS 5 proxy on the LAN (microsocks, user name and password required):
# a client that gives a wrong password is refused, then logs in and fetches a
# page over HTTPS through it (openssl's s_server with a certificate for
# sensor.iotscope.test, reached at the proxy's own address), then a page in
# plain HTTP (nginx, also on the proxy's own host).
SOCKS_PORT=1080
SOCKS_TLS_PORT=8443
record_socks() {
  make_cert socks-tls "/CN=sensor.iotscope.test" "DNS:sensor.iotscope.test"
  start_nginx 127.0.0.1
  start_server microsocks microsocks -i "$SRV_IP" -p "$SOCKS_PORT" -u "$TEST_USER" -P "$TEST_PASS"
  wait_listen tcp "$SOCKS_PORT"
  start_server s_server openssl s_server -accept "127.0.0.1:$SOCKS_TLS_PORT" -naccept 1 -www \
    -cert "$WORK/socks-tls.pem" -key "$WORK/socks-tls.key"
  wait_listen tcp "$SOCKS_TLS_PORT"
  cap_start socks.pcap
  if in_cli curl -sS -o /dev/null --max-time 5 --socks5 "$TEST_USER:wrong-password@$SRV_IP:$SOCKS_PORT" \
    "http://$SRV_IP/" 2>"$WORK/socks-refused.log"; then
    die "socks: a wrong password was accepted"
  fi
  in_cli curl -sS --fail -k -o "$WORK/socks-page.html" --max-time 10 \
    --socks5 "$TEST_USER:$TEST_PASS_URL@$SRV_IP:$SOCKS_PORT" \
    --resolve "sensor.iotscope.test:$SOCKS_TLS_PORT:127.0.0.1" \
    "https://sensor.iotscope.test:$SOCKS_TLS_PORT/" || die "socks: the page did not come"
  # And a page in plain HTTP through the proxy (nginx on the proxy's own 127.0.0.1).
  in_cli curl -sS --fail -o /dev/null --max-time 10 \
    --socks5 "$TEST_USER:$TEST_PASS_URL@$SRV_IP:$SOCKS_PORT" \
    --resolve "sensor.iotscope.test:80:127.0.0.1" \
    "http://sensor.iotscope.test/status.json" || die "socks: the plain page did not come"
  cap_stop
  stop_servers
}

# A device of the LAN made into a proxy for strangers, as residential-proxy
# malware makes of cameras and routers: microsocks on 10.99.0.1:1080 with no
# login; a client on the internet ($INBOUND_SRC) asks it for an HTTPS site on
# the internet ($RELAY_TARGET, openssl's s_server on the client namespace's
# lo, certificate for shop.example.net), which the device then connects to.
RELAY_TARGET=198.51.100.80
record_proxy_relay() {
  make_cert relay-tls "/CN=shop.example.net" "DNS:shop.example.net"
  ip -n "$NS_C" addr add "$INBOUND_SRC/32" dev lo
  ip -n "$NS_C" addr add "$RELAY_TARGET/32" dev lo
  ip -n "$NS_S" route add "$INBOUND_SRC/32" via "$CLI_IP" dev "$VETH_S"
  ip -n "$NS_S" route add "$RELAY_TARGET/32" via "$CLI_IP" dev "$VETH_S"
  ip netns exec "$NS_C" sysctl -q -w "net.ipv4.conf.$VETH_C.arp_announce=2"
  start_server microsocks microsocks -i "$SRV_IP" -p "$SOCKS_PORT"
  wait_listen tcp "$SOCKS_PORT"
  ip netns exec "$NS_C" openssl s_server -accept "$RELAY_TARGET:443" -naccept 1 -www \
    -cert "$WORK/relay-tls.pem" -key "$WORK/relay-tls.key" >"$WORK/relay-server.out" 2>&1 &
  local site=$! i
  for i in $(seq 1 100); do
    ip netns exec "$NS_C" ss -Hltn "sport = :443" | grep -q . && break
    sleep 0.1
  done
  cap_start proxy-relay.pcap
  in_cli curl -sS --fail -k -o /dev/null --max-time 10 --interface "$INBOUND_SRC" \
    --socks5 "$SRV_IP:$SOCKS_PORT" --resolve "shop.example.net:443:$RELAY_TARGET" \
    "https://shop.example.net/" || die "proxy-relay: the page did not come"
  cap_stop
  kill "$site" 2>/dev/null || true
  wait "$site" 2>/dev/null || true
  stop_servers
  ip -n "$NS_S" route del "$RELAY_TARGET/32" via "$CLI_IP" dev "$VETH_S"
  ip -n "$NS_S" route del "$INBOUND_SRC/32" via "$CLI_IP" dev "$VETH_S"
  ip -n "$NS_C" addr del "$RELAY_TARGET/32" dev lo
  ip -n "$NS_C" addr del "$INBOUND_SRC/32" dev lo
}

# An HTTP proxy on the LAN (tinyproxy, Basic authentication required): a
# client fetches a page over HTTPS through it (CONNECT, then TLS to
# sensor.iotscope.test, openssl's s_server on the proxy's own host), then a
# plain-HTTP page (a GET of the full URL, which the proxy fetches for it).
PROXY_PORT=8888
# tinyproxy's BasicAuth takes letters, digits and . _ - only: a password of its own.
PROXY_PASS='Pr0xy-Passw0rd'
record_http_proxy() {
  make_cert proxy-tls "/CN=sensor.iotscope.test" "DNS:sensor.iotscope.test"
  start_nginx
  cat >"$WORK/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port $PROXY_PORT
Listen $SRV_IP
Timeout 30
MaxClients 10
BasicAuth $TEST_USER $PROXY_PASS
ConnectPort $SOCKS_TLS_PORT
LogLevel Info
EOF
  # The proxy resolves the names its clients ask for: sensor.iotscope.test is its own host,
  # in an /etc/hosts of its own (mount namespace), as in_cli_hosts does for clients.
  printf '127.0.0.1 sensor.iotscope.test\n' >"$WORK/proxy-hosts"
  chmod 644 "$WORK/proxy-hosts"
  ip netns exec "$NS_S" unshare --uts --mount --propagation private \
    sh -c 'mount --bind "$0" /etc/hosts && hostname "$1" && shift && exec "$@"' \
    "$WORK/proxy-hosts" "$SRV_NAME" tinyproxy -d -c "$WORK/tinyproxy.conf" \
    >"$WORK/tinyproxy.out" 2>&1 &
  SERVER_PIDS+=($!)
  wait_listen tcp "$PROXY_PORT"
  start_server s_server openssl s_server -accept "127.0.0.1:$SOCKS_TLS_PORT" -naccept 1 -www \
    -cert "$WORK/proxy-tls.pem" -key "$WORK/proxy-tls.key"
  wait_listen tcp "$SOCKS_TLS_PORT"
  cap_start http-proxy.pcap
  in_cli curl -sS --fail -k -o "$WORK/proxy-page.html" --max-time 10 \
    -x "http://$TEST_USER:$PROXY_PASS@$SRV_IP:$PROXY_PORT" \
    --resolve "sensor.iotscope.test:$SOCKS_TLS_PORT:127.0.0.1" \
    "https://sensor.iotscope.test:$SOCKS_TLS_PORT/" || die "http-proxy: the HTTPS page did not come"
  in_cli curl -sS --fail -o /dev/null --max-time 10 \
    -x "http://$TEST_USER:$PROXY_PASS@$SRV_IP:$PROXY_PORT" \
    "http://$SRV_IP/status.json" || die "http-proxy: the plain page did not come"
  cap_stop
  stop_servers
}

# A sensor publishing a reading every 10 s to an MQTT broker on the LAN (a
# home hub), on one connection, logged in with a user name and password in
# clear: what most smart-home MQTT setups without TLS look like.
MQTT_ROUNDS=6
MQTT_PERIOD=10
record_mqtt() {
  mosquitto_passwd -c -b "$WORK/mosquitto.passwd" "$TEST_USER" "$TEST_PASS" 2>/dev/null
  chmod 644 "$WORK/mosquitto.passwd"
  cat >"$WORK/mosquitto.conf" <<EOF2
listener 1883 $SRV_IP
allow_anonymous false
password_file $WORK/mosquitto.passwd
persistence false
log_dest stderr
EOF2
  start_server mosquitto mosquitto -c "$WORK/mosquitto.conf"
  wait_listen tcp 1883
  cap_start mqtt-login.pcap
  # mosquitto_pub -l publishes each line it reads as one message, on one
  # connection that stays open until its input ends.
  in_cli sh -c '
    rounds=$1 period=$2; shift 2
    i=1
    while [ "$i" -le "$rounds" ]; do
      echo "{\"temp\":21.$i,\"seq\":$i}"
      [ "$i" -lt "$rounds" ] && sleep "$period"
      i=$((i + 1))
    done | exec "$@"' mqtt "$MQTT_ROUNDS" "$MQTT_PERIOD" \
    mosquitto_pub -h "$SRV_IP" -p 1883 -i sensor-kitchen-01 -u "$TEST_USER" -P "$TEST_PASS" \
      -k 60 -t home/kitchen/temperature -l \
    || die "mqtt: mosquitto_pub failed"
  cap_stop
  stop_servers
  grep -q "sensor-kitchen-01" "$WORK/mosquitto.out" || die "mqtt: the broker saw no client"
}

# net-snmp's agent on udp/161, asked by net-snmp's tools: a v1 get and a v2c walk of the
# system group with the read community (the test password), then a v3 get as user
# iotuser with authentication and privacy (SHA, AES; the same test password).
record_snmp() {
  mkdir -p "$WORK/snmp"
  chmod 755 "$WORK/snmp"
  cat >"$WORK/snmpd.conf" <<EOF2
agentAddress udp:$SRV_IP:161
rocommunity $TEST_PASS default
createUser $TEST_USER SHA "$TEST_PASS" AES "$TEST_PASS"
rouser $TEST_USER priv
sysName $SRV_NAME
sysLocation lab bench
sysContact admin@example.com
EOF2
  chmod 644 "$WORK/snmpd.conf"
  # -C: this file only; -f: in the foreground; the user database lives in $WORK.
  start_server snmpd env SNMP_PERSISTENT_DIR="$WORK/snmp" \
    snmpd -f -C -c "$WORK/snmpd.conf" -Lo -u root -g root
  wait_listen udp 161
  cap_start snmp.pcap
  in_cli snmpget -v1 -c "$TEST_PASS" -On "$SRV_IP" 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 \
    >"$WORK/snmp-v1.out" || die "snmp: v1 get failed"
  sleep 1
  in_cli snmpwalk -v2c -c "$TEST_PASS" -On "$SRV_IP" 1.3.6.1.2.1.1 \
    >"$WORK/snmp-v2c.out" || die "snmp: v2c walk failed"
  sleep 1
  in_cli snmpget -v3 -l authPriv -u "$TEST_USER" -a SHA -A "$TEST_PASS" -x AES -X "$TEST_PASS" \
    -On "$SRV_IP" 1.3.6.1.2.1.1.5.0 >"$WORK/snmp-v3.out" || die "snmp: v3 get failed"
  cap_stop
  stop_servers
  grep -q "$SRV_NAME" "$WORK/snmp-v1.out" || die "snmp: no sysName in the v1 answer"
  grep -q "$SRV_NAME" "$WORK/snmp-v3.out" || die "snmp: no sysName in the v3 answer"
}

# LDAP, as printers, NAS boxes and office devices look users up: OpenLDAP's slapd with one user,
# reached by the OpenLDAP tools. An anonymous search, a simple bind with a wrong password
# (invalidCredentials), one with the right password (both in clear), the same bind after
# StartTLS, and one on LDAPS (tcp/636). The certificate is self-signed; the clients are told
# not to check it.
# SNMP to a host whose agent is not running: the manager's own community (the test password)
# crosses the network in clear all the same; then a get with the factory default `public`, which
# a scanner tries everywhere. The host answers with ICMP port unreachable.
record_snmp_unanswered() {
  cap_start snmp-unanswered.pcap
  in_cli snmpget -v2c -c "$TEST_PASS" -r 0 -t 1 -On "$SRV_IP" 1.3.6.1.2.1.1.5.0 \
    >"$WORK/snmp-unanswered.out" 2>&1 && die "snmp-unanswered: an agent answered"
  sleep 1
  in_cli snmpget -v2c -c public -r 0 -t 1 -On "$SRV_IP" 1.3.6.1.2.1.1.5.0 \
    >>"$WORK/snmp-unanswered.out" 2>&1 && die "snmp-unanswered: an agent answered"
  cap_stop
}

record_ldap() {
  local base=dc=iotscope,dc=test dn
  dn="uid=$TEST_USER,ou=people,$base"
  mkdir -p "$WORK/ldap/db"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=ldap.iotscope.test" -keyout "$WORK/ldap/key.pem" -out "$WORK/ldap/cert.pem" 2>/dev/null
  cat >"$WORK/ldap/slapd.conf" <<EOF2
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $WORK/ldap/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile $WORK/ldap/cert.pem
TLSCertificateKeyFile $WORK/ldap/key.pem
database mdb
suffix "$base"
rootdn "cn=admin,$base"
directory $WORK/ldap/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
EOF2
  cat >"$WORK/ldap/data.ldif" <<EOF2
dn: $base
objectClass: dcObject
objectClass: organization
o: iotscope test
dc: iotscope

dn: ou=people,$base
objectClass: organizationalUnit
ou: people

dn: $dn
objectClass: inetOrgPerson
uid: $TEST_USER
cn: IoT User
sn: User
mail: $TEST_USER@iotscope.test
userPassword: $(slappasswd -s "$TEST_PASS")
EOF2
  slapadd -q -f "$WORK/ldap/slapd.conf" -l "$WORK/ldap/data.ldif" || die "ldap: slapadd failed"
  start_server slapd slapd -d 0 -f "$WORK/ldap/slapd.conf" -h "ldap://$SRV_IP/ ldaps://$SRV_IP/"
  wait_listen tcp 389
  wait_listen tcp 636
  cap_start ldap.pcap
  in_cli ldapsearch -x -H "ldap://$SRV_IP" -b "$base" "(uid=$TEST_USER)" cn mail \
    >"$WORK/ldap-anon.out" || die "ldap: anonymous search failed"
  sleep 1
  if in_cli ldapwhoami -x -H "ldap://$SRV_IP" -D "$dn" -w 'WrongPassw0rd!' >"$WORK/ldap-wrong.out" 2>&1; then
    die "ldap: a wrong password was accepted"
  fi
  sleep 1
  in_cli ldapwhoami -x -H "ldap://$SRV_IP" -D "$dn" -w "$TEST_PASS" \
    >"$WORK/ldap-bind.out" || die "ldap: simple bind failed"
  sleep 1
  in_cli env LDAPTLS_REQCERT=never ldapwhoami -x -ZZ -H "ldap://$SRV_IP" -D "$dn" -w "$TEST_PASS" \
    >"$WORK/ldap-starttls.out" || die "ldap: StartTLS bind failed"
  sleep 1
  in_cli env LDAPTLS_REQCERT=never ldapwhoami -x -H "ldaps://$SRV_IP" -D "$dn" -w "$TEST_PASS" \
    >"$WORK/ldap-ldaps.out" || die "ldap: LDAPS bind failed"
  cap_stop
  stop_servers
  grep -q "dn:$dn" "$WORK/ldap-bind.out" || die "ldap: whoami did not name the user"
  grep -q "mail: $TEST_USER@iotscope.test" "$WORK/ldap-anon.out" || die "ldap: the search found nothing"
}

# WS-Discovery, as Windows and Samba hosts, printers and ONVIF cameras announce themselves on
# udp/3702: wsdd (the Samba companion) in host mode on the server says Hello when it starts;
# a second wsdd in discovery mode on the client probes, gets the match, and fetches the
# host's metadata over HTTP (tcp/5357); the host says Bye when it stops.
record_wsd() {
  cap_start wsd.pcap
  start_server wsdd wsdd -4 -s -i "$VETH_S" -n WSD-HOST -w HOMELAB
  wait_listen tcp 5357
  sleep 2
  ip netns exec "$NS_C" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$CLI_NAME" \
    wsdd -4 -v -s -D -o -i "$VETH_C" >"$WORK/wsdd-client.out" 2>&1 &
  local client=$!
  sleep 6
  kill -TERM "$client" 2>/dev/null || true
  wait "$client" 2>/dev/null || true
  stop_servers
  cap_stop
  grep -qi "WSD-HOST" "$WORK/wsdd-client.out" || die "wsd: the client found no host: $(tail -n 5 "$WORK/wsdd-client.out")"
}

# What hosts announce on their link (LLDP, CDP): lldpd (1.0) on both ends. The server's plays a
# switch named lab-switch, its bridge and router capabilities switched on with lldpcli, and sends
# CDPv2 as well (-ccc); the client's is an LLDP-MED class III endpoint (-M 3, an IP phone) named
# desk-phone that switches its telephone capability on, then is renamed desk-phone-2: a phone
# booting on the wire. Both send every second (tx-interval 1).
record_lldp() {
  local sock_s=$WORK/lldpd-s.sock sock_c=$WORK/lldpd-c.sock
  cap_start lldp.pcap
  ip netns exec "$NS_S" unshare --uts sh -c 'hostname "$0" && exec "$@"' lab-switch \
    lldpd -d -ccc -I "$VETH_S" -u "$sock_s" >"$WORK/lldpd-s.out" 2>&1 &
  SERVER_PIDS+=($!)
  ip netns exec "$NS_C" unshare --uts sh -c 'hostname "$0" && exec "$@"' desk-phone \
    lldpd -d -M 3 -I "$VETH_C" -u "$sock_c" >"$WORK/lldpd-c.out" 2>&1 &
  SERVER_PIDS+=($!)
  local i
  for i in $(seq 1 50); do
    [[ -S $sock_s && -S $sock_c ]] && break
    sleep 0.1
  done
  ip netns exec "$NS_S" lldpcli -u "$sock_s" configure lldp tx-interval 1 >/dev/null
  ip netns exec "$NS_C" lldpcli -u "$sock_c" configure lldp tx-interval 1 >/dev/null
  sleep 2
  ip netns exec "$NS_S" lldpcli -u "$sock_s" configure system capabilities enabled bridge,router >/dev/null
  ip netns exec "$NS_C" lldpcli -u "$sock_c" configure system capabilities enabled telephone >/dev/null
  sleep 3
  ip netns exec "$NS_C" lldpcli -u "$sock_c" configure system hostname desk-phone-2 >/dev/null
  sleep 3
  stop_servers
  cap_stop
}

# Two TigerVNC servers (Xtigervnc, a virtual X display each) on the server: display :1 on
# tcp/5901 asks no password (security type None), display :2 on tcp/5902 asks the classic VNC
# password. vncsnapshot (an RFB 3.3 client) connects to each.
record_vnc() {
  printf '%s\n' "$TEST_PASS" | vncpasswd -f >"$WORK/vnc.passwd"
  chmod 600 "$WORK/vnc.passwd"
  start_server vnc1 Xtigervnc :1 -rfbport 5901 -localhost=0 -interface "$SRV_IP" \
    -SecurityTypes None -geometry 320x200 -depth 24
  start_server vnc2 Xtigervnc :2 -rfbport 5902 -localhost=0 -interface "$SRV_IP" \
    -SecurityTypes VncAuth -PasswordFile "$WORK/vnc.passwd" -geometry 320x200 -depth 24
  wait_listen tcp 5901
  wait_listen tcp 5902
  cap_start vnc.pcap
  # vncsnapshot then waits for a picture of the empty display that TigerVNC never sends: it is
  # stopped after 3 s, long after the handshake and the security type this capture is for.
  in_cli timeout 3 vncsnapshot -quiet -allowblank "$SRV_IP:1" "$WORK/vnc1.jpg" \
    >"$WORK/vncsnapshot1.out" 2>&1 || true
  sleep 1
  in_cli timeout 3 vncsnapshot -quiet -allowblank -passwd "$WORK/vnc.passwd" "$SRV_IP:2" \
    "$WORK/vnc2.jpg" >"$WORK/vncsnapshot2.out" 2>&1 || true
  cap_stop
  stop_servers
}

# The client in its own mount namespace where $WORK/hosts is bind-mounted over
# /etc/hosts: it finds the cloud's names there, with no DNS packet.  Nothing
# on the host's /etc changes.
in_cli_hosts() {
  ip netns exec "$NS_C" unshare --uts --mount --propagation private \
    sh -c 'mount --bind "$0" /etc/hosts && hostname "$1" && shift && exec "$@"' \
    "$WORK/hosts" "$CLI_NAME" "$@"
}

# DTLS as devices use it, with the servers on the public-looking $PUB_CLOUD (on
# iots-srv's lo, reached through the client's default route, as in `bypass`).
# libcoap's coap-server and coap-client (Debian's libcoap3-bin, the OpenSSL
# build: DTLS 1.2 with PKI and PSK) speak CoAP over DTLS (coaps, udp/5684);
# openssl s_server and s_client make one DTLS 1.2 and one DTLS 1.0 session on
# udp/4433.
DTLS_COAP_NAME=coap.example-iot.com     # the CoAP server's certificate and host name
DTLS_PSK_IDENTITY=sensor-kitchen-01     # the PSK identity (in clear in the handshake)
DTLS_PSK_HINT=iotscope-cloud            # the server's PSK identity hint
DTLS_OPENSSL_NAME=dtls.example-iot.com  # certificate and SNI of the DTLS 1.2 session
DTLS_LEGACY_NAME=legacy.example-iot.com # certificate and SNI of the DTLS 1.0 session
DTLS_PORT=4433
DTLS_PKI_ROUNDS=4       # coap-client runs in PKI mode, 3 s apart
DTLS_PKI_PERIOD=3
DTLS_PSK_GETS=4         # GETs in the PSK session, 1 s apart (coap-client -G)
DTLS_LEGACY_CIPHERS='DEFAULT:@SECLEVEL=0'   # OpenSSL 3 refuses DTLS 1.0 above level 0
DTLS_SERVER_PID=
DTLS_SERVER_IN=
DTLS_SERVER_FD=

# coap_get NAME ARGS...: one coap-client-openssl run (GETs of /time, whose
# answer is the server's clock, e.g. "Nov 23 01:00:46"), output in $WORK/NAME.
coap_get() {
  local name=$1
  shift
  in_cli_hosts coap-client-openssl -B 10 -m get "$@" >"$WORK/$name" 2>&1 \
    || { cat "$WORK/$name" >&2; die "dtls: coap-client ($name) failed"; }
  grep -Eq '[0-9]{2}:[0-9]{2}:[0-9]{2}' "$WORK/$name" \
    || { cat "$WORK/$name" >&2; die "dtls: coap-client ($name) got no time"; }
}

# dtls_server ARGS...: one `openssl s_server` on $PUB_CLOUD:$DTLS_PORT for a
# single DTLS session (it exits after it), reading what it sends from the FIFO
# $DTLS_SERVER_IN; waits until it listens.  (s_server has no -rev for DTLS.)
dtls_server() {
  start_server s_server sh -c 'exec "$@" <"$0"' "$DTLS_SERVER_IN" \
    openssl s_server -accept "$PUB_CLOUD:$DTLS_PORT" -naccept 1 "$@"
  DTLS_SERVER_PID=${SERVER_PIDS[-1]}
  wait_listen udp "$DTLS_PORT"
}

# dtls_session N LINE REPLY PROTOCOL CLIENT...: CLIENT (an openssl s_client
# command) sends LINE; 1 s after it started, the server is given REPLY to send
# back; the client closes (close_notify) on the end of its input.  PROTOCOL is
# what s_client must report (DTLSv1.2, DTLSv1).  Then waits (at most 10 s) for
# the single-session s_server to exit.
dtls_session() {
  local n=$1 line=$2 reply=$3 proto=$4 log=$WORK/dtls-client-$1.log client i
  shift 4
  { sleep 0.5; printf '%s\n' "$line"; sleep 1.5; } | "$@" >"$log" 2>&1 &
  client=$!
  sleep 1
  printf '%s\n' "$reply" >&"$DTLS_SERVER_FD"
  wait "$client" || { cat "$log" >&2; die "dtls session $n: openssl s_client failed"; }
  grep -qF "$reply" "$log" || { cat "$log" >&2; die "dtls session $n: no reply from the server"; }
  grep -Eq "^ *Protocol *: $proto\$" "$log" \
    || { cat "$log" >&2; die "dtls session $n: protocol is not $proto"; }
  for i in $(seq 1 100); do
    kill -0 "$DTLS_SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$DTLS_SERVER_PID" 2>/dev/null; then
    cat "$WORK/s_server.out" >&2
    die "dtls session $n: s_server did not exit"
  fi
  grep -qF "$line" "$WORK/s_server.out" \
    || { cat "$WORK/s_server.out" >&2; die "dtls session $n: the server did not get the line"; }
}

record_dtls() {
  cloud_up
  make_cert coap "/CN=$DTLS_COAP_NAME" "DNS:$DTLS_COAP_NAME"
  make_cert dtls "/CN=$DTLS_OPENSSL_NAME" "DNS:$DTLS_OPENSSL_NAME"
  make_cert dtls-legacy "/CN=$DTLS_LEGACY_NAME" "DNS:$DTLS_LEGACY_NAME"
  printf '127.0.0.1 localhost\n%s %s\n' "$PUB_CLOUD" "$DTLS_COAP_NAME" >"$WORK/hosts"
  chmod 644 "$WORK/hosts"
  # One coap-server for both: a certificate (-c/-j) and a pre-shared key (-k,
  # the test password) with an identity hint (-h).  It also listens on udp/5683
  # (CoAP without DTLS) and tcp/5683-5684, which no client here uses.
  start_server coap-server coap-server-openssl -A "$PUB_CLOUD" \
    -c "$WORK/coap.pem" -j "$WORK/coap.key" -k "$TEST_PASS" -h "$DTLS_PSK_HINT"
  wait_listen udp 5684
  cap_start dtls.pcap
  # a. PKI: a new DTLS session for each GET, 3 s apart, checking the server's
  #    certificate against itself (-C).  libcoap 4.3.1's coap-client sends the
  #    SNI "localhost" in PKI mode, whatever the URI's host.
  local i
  for ((i = 1; i <= DTLS_PKI_ROUNDS; i++)); do
    coap_get "coap-pki-$i.out" -C "$WORK/coap.pem" "coaps://$DTLS_COAP_NAME/time"
    if [[ $i -lt $DTLS_PKI_ROUNDS ]]; then sleep "$DTLS_PKI_PERIOD"; fi
  done
  sleep 3
  # b. PSK: one DTLS session, SNI the URI's host, four GETs 1 s apart.
  coap_get coap-psk.out -G "$DTLS_PSK_GETS" -u "$DTLS_PSK_IDENTITY" -k "$TEST_PASS" \
    "coaps://$DTLS_COAP_NAME/time"
  sleep 2
  # c. PSK to the bare address: coap-client sends the address itself as SNI.
  coap_get coap-psk-ip.out -u "$DTLS_PSK_IDENTITY" -k "$TEST_PASS" "coaps://$PUB_CLOUD/time"
  sleep 2
  # d. openssl: DTLS 1.2, SNI $DTLS_OPENSSL_NAME, a line each way.  The
  #    server's stdin is a FIFO this shell keeps open.
  DTLS_SERVER_IN=$WORK/s_server.in
  rm -f "$DTLS_SERVER_IN"
  mkfifo "$DTLS_SERVER_IN"
  exec {DTLS_SERVER_FD}<>"$DTLS_SERVER_IN"
  dtls_server -dtls1_2 -cert "$WORK/dtls.pem" -key "$WORK/dtls.key"
  dtls_session 1 'status seq=1' 'ok seq=1' 'DTLSv1.2' in_cli \
    openssl s_client -dtls1_2 -connect "$PUB_CLOUD:$DTLS_PORT" -servername "$DTLS_OPENSSL_NAME" \
      -nocommands -no_ign_eof
  sleep 2
  # e. The same with DTLS 1.0 (obsolete) on both sides, SNI $DTLS_LEGACY_NAME.
  dtls_server -dtls1 -cipher "$DTLS_LEGACY_CIPHERS" \
    -cert "$WORK/dtls-legacy.pem" -key "$WORK/dtls-legacy.key"
  dtls_session 2 'status seq=2' 'ok seq=2' 'DTLSv1' in_cli \
    openssl s_client -dtls1 -cipher "$DTLS_LEGACY_CIPHERS" -connect "$PUB_CLOUD:$DTLS_PORT" \
      -servername "$DTLS_LEGACY_NAME" -nocommands -no_ign_eof
  cap_stop
  exec {DTLS_SERVER_FD}>&-
  stop_servers
  cloud_down
}

# VPN tunnels that a device keeps to a server on the internet ($PUB_CLOUD, on
# iots-srv's lo, reached through the client's default route, as in `bypass`):
# OpenVPN over UDP/1194, then over TCP/443, then WireGuard over UDP/51820 (the
# userspace wireguard-go: this kernel may have no wireguard module).  Each end
# has a tun device in its namespace; ping sends a few echo requests through
# each tunnel to the server's end.
VPN_NAME=vpn.example-iot.com    # the OpenVPN server's certificate
VPN_CLIENT_CN=cam-frontdoor-01  # the OpenVPN client's certificate
VPN_PINGS=4
VPN_WG_SRV_IF=wg-iots-s
VPN_WG_CLI_IF=wg-iots-c
VPN_WG_PORT=51820
VPN_WG_KEEPALIVE=5              # the client's persistent keepalive, in seconds
VPN_WG_IDLE=17                  # seconds of quiet after the pings: 3 keepalives
VPN_CLIENT_PID=

# A CA, and the OpenVPN server's and client's certificates it signs (P-256),
# in $WORK/ovpn.
make_vpn_pki() {
  local dir=$WORK/ovpn n
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=iotscope VPN CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' \
    "$VPN_NAME" >"$dir/server.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
    >"$dir/client.ext"
  for n in server client; do
    local cn=$VPN_NAME
    [[ $n == client ]] && cn=$VPN_CLIENT_CN
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
      -keyout "$dir/$n.key" -out "$dir/$n.csr" 2>/dev/null
    openssl x509 -req -in "$dir/$n.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 3650 -sha256 -extfile "$dir/$n.ext" -out "$dir/$n.pem" 2>/dev/null \
      || die "vpn: signing the $n certificate failed"
  done
}

# write_ovpn_confs PROTO PORT: $WORK/ovpn/server-PROTO.conf, a TLS server
# (server mode, 10.8.0.0/24, no tls-auth: the TLS handshake is in the
# control channel as it is) on $PUB_CLOUD:PORT, and client-PROTO.conf.
write_ovpn_confs() {
  local proto=$1 port=$2 sproto=$1 cproto=$1 exit_notify=''
  if [[ $proto == tcp ]]; then
    sproto=tcp-server cproto=tcp-client
  else
    exit_notify='explicit-exit-notify 1'
  fi
  cat >"$WORK/ovpn/server-$proto.conf" <<EOF2
dev tun
proto $sproto
local $PUB_CLOUD
port $port
server 10.8.0.0 255.255.255.0
topology subnet
ca ca.pem
cert server.pem
key server.key
dh none
keepalive 10 60
disable-dco
verb 3
EOF2
  cat >"$WORK/ovpn/client-$proto.conf" <<EOF2
client
dev tun
proto $cproto
remote $PUB_CLOUD $port
nobind
ca ca.pem
cert client.pem
key client.key
remote-cert-tls server
verify-x509-name $VPN_NAME name
disable-dco
$exit_notify
verb 3
EOF2
}

# vpn_client NAME COMMAND...: start a tunnel client in the client namespace
# (in the background, its pid in $VPN_CLIENT_PID, its output in $WORK/NAME.out).
vpn_client() {
  local name=$1
  shift
  ip netns exec "$NS_C" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$CLI_NAME" "$@" \
    >"$WORK/$name.out" 2>&1 &
  VPN_CLIENT_PID=$!
  SERVER_PIDS+=("$VPN_CLIENT_PID")   # stopped with the servers if anything fails
}

vpn_client_stop() {
  kill -TERM "$VPN_CLIENT_PID" 2>/dev/null || true
  wait "$VPN_CLIENT_PID" 2>/dev/null || true
  VPN_CLIENT_PID=
}

# vpn_ping ADDRESS WHAT: $VPN_PINGS echo requests, 1 s apart, all answered.
vpn_ping() {
  in_cli ping -n -c "$VPN_PINGS" -i 1 -W 2 "$1" >"$WORK/ping-$2.log" 2>&1 \
    || { cat "$WORK/ping-$2.log" >&2; die "vpn: ping through $2 failed"; }
  grep -q "$VPN_PINGS received" "$WORK/ping-$2.log" \
    || { cat "$WORK/ping-$2.log" >&2; die "vpn: not every ping through $2 was answered"; }
}

# openvpn_session PROTO PORT: the OpenVPN server and client over PROTO/PORT,
# pings through the tunnel, then the client stops (SIGTERM) and the server.
openvpn_session() {
  local proto=$1 port=$2 i
  write_ovpn_confs "$proto" "$port"
  start_server "openvpn-server-$proto" openvpn --cd "$WORK/ovpn" --config "server-$proto.conf"
  if [[ $proto == tcp ]]; then wait_listen tcp "$port"; else wait_listen udp "$port"; fi
  vpn_client "openvpn-client-$proto" openvpn --cd "$WORK/ovpn" --config "client-$proto.conf"
  for i in $(seq 1 150); do
    grep -q 'Initialization Sequence Completed' "$WORK/openvpn-client-$proto.out" && break
    sleep 0.1
  done
  grep -q 'Initialization Sequence Completed' "$WORK/openvpn-client-$proto.out" \
    || { tail -n 20 "$WORK/openvpn-client-$proto.out" "$WORK/openvpn-server-$proto.out" >&2
         die "vpn: the OpenVPN $proto tunnel did not come up"; }
  sleep 0.5
  vpn_ping 10.8.0.1 "openvpn-$proto"
  sleep 0.5
  # Over UDP the client says it leaves (explicit-exit-notify); over TCP it closes.
  vpn_client_stop
  stop_servers
}

record_vpn() {
  cloud_up
  make_vpn_pki
  # WireGuard: fresh keys for each run.
  mkdir -p "$WORK/wg"
  chmod 700 "$WORK/wg"
  local end
  for end in server client; do
    (umask 077 && wg genkey >"$WORK/wg/$end.key")
    wg pubkey <"$WORK/wg/$end.key" >"$WORK/wg/$end.pub"
  done
  cap_start vpn.pcap
  # 1. OpenVPN over UDP/1194; 2. OpenVPN over TCP/443, the HTTPS port.
  openvpn_session udp 1194
  sleep 2
  openvpn_session tcp 443
  sleep 2
  # 3. WireGuard: one wireguard-go in each namespace (a tun device each; the
  #    UAPI sockets in /var/run/wireguard are named after the devices).  The
  #    server's end is up before the client learns its peer; setting the peer
  #    with a persistent keepalive starts the handshake at once.
  start_server wg-server env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wireguard-go -f "$VPN_WG_SRV_IF"
  vpn_client wg-client env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wireguard-go -f "$VPN_WG_CLI_IF"
  local i
  for i in $(seq 1 100); do
    [[ -S /var/run/wireguard/$VPN_WG_SRV_IF.sock && -S /var/run/wireguard/$VPN_WG_CLI_IF.sock ]] && break
    sleep 0.1
  done
  ip netns exec "$NS_S" wg set "$VPN_WG_SRV_IF" listen-port "$VPN_WG_PORT" \
    private-key "$WORK/wg/server.key" peer "$(cat "$WORK/wg/client.pub")" allowed-ips 10.66.0.2/32 \
    || die "vpn: wg set $VPN_WG_SRV_IF failed"
  ip -n "$NS_S" addr add 10.66.0.1/24 dev "$VPN_WG_SRV_IF"
  ip -n "$NS_S" link set "$VPN_WG_SRV_IF" up
  ip netns exec "$NS_C" wg set "$VPN_WG_CLI_IF" private-key "$WORK/wg/client.key" \
    || die "vpn: wg set $VPN_WG_CLI_IF failed"
  ip -n "$NS_C" addr add 10.66.0.2/24 dev "$VPN_WG_CLI_IF"
  ip -n "$NS_C" link set "$VPN_WG_CLI_IF" up
  wait_listen udp "$VPN_WG_PORT"
  ip netns exec "$NS_C" wg set "$VPN_WG_CLI_IF" peer "$(cat "$WORK/wg/server.pub")" \
    endpoint "$PUB_CLOUD:$VPN_WG_PORT" allowed-ips 10.66.0.0/24 \
    persistent-keepalive "$VPN_WG_KEEPALIVE" \
    || die "vpn: wg set $VPN_WG_CLI_IF peer failed"
  sleep 1
  vpn_ping 10.66.0.1 wireguard
  sleep "$VPN_WG_IDLE"
  ip netns exec "$NS_C" wg show "$VPN_WG_CLI_IF" >"$WORK/wg-show.out" 2>&1
  vpn_client_stop
  cap_stop
  grep -q 'latest handshake' "$WORK/wg-show.out" \
    || { cat "$WORK/wg-show.out" >&2; die "vpn: no WireGuard handshake"; }
  stop_servers
  cloud_down
}

# IPsec as a device keeps it to a server on the internet ($PUB_CLOUD, on iots-srv's lo,
# reached through the client's default route, as in `bypass`): strongSwan's charon in
# each namespace, IKEv2 with a pre-shared key (the test password, which never goes on the
# wire), tunnel mode, a virtual IP for the client from the server's pool, ping through the
# tunnel to the server's inner address.
# The ESP itself is strongSwan's userland kernel-libipsec (a TUN device, ipsec0, in each
# namespace), not the kernel's: a kernel built without ESP (CONFIG_INET_ESP unset, as on
# the machine these were recorded on: `ip xfrm state add ... proto esp` fails with
# "Requested type not found") still records the same capture.  The libipsec of Debian 12's
# strongSwan (5.9.8) sends ESP only inside UDP (raw ESP, IP protocol 50, came in 5.9.11),
# so it forces NAT traversal encapsulation: IKE_SA_INIT on udp/500, the rest of IKE on
# udp/4500 behind the 4-byte non-ESP marker, and ESP in UDP on udp/4500.  There is no
# ESP as IP protocol 50 in this capture.
# Each charon runs in a private mount namespace with its own directory bind-mounted over
# /run (charon's pid file is /var/run/charon.pid, fixed at build time), reads only its own
# strongswan.conf (STRONGSWAN_CONF) and is driven by swanctl over its own vici socket, all
# in $WORK/ipsec-END: nothing system-wide is read or written.
IPSEC_NAME=vpn.example-iot.com                # the server's IKE identity (FQDN)
IPSEC_CLIENT_ID=cam-frontdoor-01.example-iot.com
IPSEC_INNER=10.77.0.1                         # the server's inner address (on iots-srv's lo)
IPSEC_POOL=10.77.0.2-10.77.0.254              # the clients' virtual IPs
IPSEC_IKE=aes256-sha256-modp2048
IPSEC_ESP=aes256-sha256

# ipsec_ctl END COMMAND ARGS...: swanctl COMMAND for END's charon (srv or cli).
ipsec_ctl() {
  local dir=$WORK/ipsec-$1 cmd=$2
  shift 2
  STRONGSWAN_CONF=$dir/strongswan.conf swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@"
}

# ipsec_charon END: write $WORK/ipsec-END/strongswan.conf and start charon in END's
# namespace (srv: iots-srv, cli: iots-cli), stopped with the servers; its log is
# $WORK/charon-END.out.  Returns once it answers on its vici socket.
ipsec_charon() {
  local end=$1 dir=$WORK/ipsec-$1 ns=$NS_S host=$SRV_NAME i
  [[ $end == cli ]] && ns=$NS_C host=$CLI_NAME
  mkdir -p "$dir/run"
  # kernel-libipsec before kernel-netlink: the first IPsec backend loaded is the one used
  # (kernel-netlink still does the routes and addresses).
  cat >"$dir/strongswan.conf" <<EOF2
charon {
  load = random nonce aes sha1 sha2 hmac gmp kdf kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  retransmit_tries = 3
  plugins {
    socket-default {
      use_ipv6 = no
    }
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    stderr {
      time_format = %H:%M:%S
      default = 1
    }
  }
}
EOF2
  ip netns exec "$ns" unshare --uts --mount --propagation private \
    sh -c 'mount --bind "$0" /run && hostname "$1" && shift && exec "$@"' "$dir/run" "$host" \
    env STRONGSWAN_CONF="$dir/strongswan.conf" /usr/lib/ipsec/charon >"$WORK/charon-$end.out" 2>&1 &
  SERVER_PIDS+=($!)
  for i in $(seq 1 100); do
    ipsec_ctl "$end" --stats >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -n 20 "$WORK/charon-$end.out" >&2
  die "ipsec: charon in $ns did not start"
}

# ipsec_initiate IKE: bring up the client's connection IKE (and its CHILD_SA), and wait
# until it is up.
ipsec_initiate() {
  ipsec_ctl cli --initiate --ike "$1" --child cloud --timeout 20 >"$WORK/swanctl-$1.out" 2>&1 \
    || { cat "$WORK/swanctl-$1.out" >&2; tail -n 20 "$WORK/charon-srv.out" >&2
         die "ipsec: $1 did not come up"; }
}

record_ipsec() {
  [[ -c /dev/net/tun ]] || die "ipsec: no /dev/net/tun (kernel-libipsec needs a TUN device)"
  cloud_up
  ip -n "$NS_S" addr add "$IPSEC_INNER/32" dev lo
  mkdir -p "$WORK/ipsec-srv" "$WORK/ipsec-cli"
  # The server: any client that knows the key, a virtual IP from the pool, the server's
  # inner address behind the tunnel.
  cat >"$WORK/ipsec-srv/swanctl.conf" <<EOF2
connections {
  devices {
    version = 2
    local_addrs = $PUB_CLOUD
    pools = devices
    proposals = $IPSEC_IKE
    local {
      auth = psk
      id = $IPSEC_NAME
    }
    remote {
      auth = psk
    }
    children {
      devices {
        local_ts = $IPSEC_INNER/32
        mode = tunnel
        esp_proposals = $IPSEC_ESP
      }
    }
  }
}
pools {
  devices {
    addrs = $IPSEC_POOL
  }
}
secrets {
  ike-devices {
    id-server = $IPSEC_NAME
    id-client = $IPSEC_CLIENT_ID
    secret = "$TEST_PASS"
  }
}
EOF2
  # The client: `cloud` starts on udp/500 as IKE does; `cloud-4500` is udp/4500 to udp/4500
  # from the first packet (local_port and remote_port 4500: every IKE message behind the
  # non-ESP marker) with encap = yes, as a client that knows it is behind NAT does.
  local ike
  {
    echo 'connections {'
    for ike in cloud cloud-4500; do
      cat <<EOF2
  $ike {
    version = 2
    remote_addrs = $PUB_CLOUD
$( [[ $ike == cloud-4500 ]] && printf '    local_port = 4500\n    remote_port = 4500\n    encap = yes\n' )
    vips = 0.0.0.0
    proposals = $IPSEC_IKE
    local {
      auth = psk
      id = $IPSEC_CLIENT_ID
    }
    remote {
      auth = psk
      id = $IPSEC_NAME
    }
    children {
      cloud {
        remote_ts = $IPSEC_INNER/32
        mode = tunnel
        esp_proposals = $IPSEC_ESP
      }
    }
  }
EOF2
    done
    cat <<EOF2
}
secrets {
  ike-cloud {
    id = $IPSEC_NAME
    secret = "$TEST_PASS"
  }
}
EOF2
  } >"$WORK/ipsec-cli/swanctl.conf"
  chmod 600 "$WORK/ipsec-srv/swanctl.conf" "$WORK/ipsec-cli/swanctl.conf"
  ipsec_charon srv
  ipsec_charon cli
  local end
  for end in srv cli; do
    ipsec_ctl "$end" --load-all --file "$WORK/ipsec-$end/swanctl.conf" >"$WORK/swanctl-load-$end.out" 2>&1 \
      || { cat "$WORK/swanctl-load-$end.out" >&2; die "ipsec: swanctl --load-all ($end) failed"; }
  done
  wait_listen udp 500
  wait_listen udp 4500
  cap_start ipsec.pcap
  # 1. IKE_SA_INIT on udp/500, IKE_AUTH on udp/4500; pings; the CHILD_SA rekeyed
  #    (CREATE_CHILD_SA: new SPIs both ways); pings again; the client deletes the IKE SA.
  ipsec_initiate cloud
  sleep 0.5
  vpn_ping "$IPSEC_INNER" ipsec-1
  ipsec_ctl cli --rekey --child cloud >"$WORK/swanctl-rekey.out" 2>&1 \
    || { cat "$WORK/swanctl-rekey.out" >&2; die "ipsec: swanctl --rekey failed"; }
  sleep 1
  vpn_ping "$IPSEC_INNER" ipsec-1-rekeyed
  ipsec_ctl cli --terminate --ike cloud --timeout 10 >"$WORK/swanctl-terminate-1.out" 2>&1 \
    || { cat "$WORK/swanctl-terminate-1.out" >&2; die "ipsec: swanctl --terminate (cloud) failed"; }
  sleep 2
  # 2. The same over udp/4500 from the first packet.
  ipsec_initiate cloud-4500
  sleep 0.5
  vpn_ping "$IPSEC_INNER" ipsec-2
  ipsec_ctl cli --terminate --ike cloud-4500 --timeout 10 >"$WORK/swanctl-terminate-2.out" 2>&1 \
    || { cat "$WORK/swanctl-terminate-2.out" >&2; die "ipsec: swanctl --terminate (cloud-4500) failed"; }
  cap_stop
  stop_servers
  ip -n "$NS_S" addr del "$IPSEC_INNER/32" dev lo
  cloud_down
}

# ------------------------------------------------------------ verification --
# Count the packets of FILE matching a tshark display FILTER; need at least MIN.
expect_packets() {
  local file=$OUT/$1 filter=$2 min=$3 n
  n=$(tshark -r "$file" -Y "$filter" 2>/dev/null | wc -l)
  [[ $n -ge $min ]] || die "$1: expected >= $min packets matching '$filter', got $n"
}

# FILE must have no packet matching FILTER.
expect_no_packets() {
  local file=$OUT/$1 filter=$2 n
  n=$(tshark -r "$file" -Y "$filter" 2>/dev/null | wc -l)
  [[ $n -eq 0 ]] || die "$1: expected no packet matching '$filter', got $n"
}

# expect_packets with tshark first told to decode some traffic as a protocol:
# expect_packets_as FILE DECODE_AS FILTER MIN, DECODE_AS as for tshark's -d
# (tcp.port==443,openvpn: OpenVPN on the HTTPS port).
expect_packets_as() {
  local file=$OUT/$1 decode=$2 filter=$3 min=$4 n
  n=$(tshark -r "$file" -d "$decode" -Y "$filter" 2>/dev/null | wc -l)
  [[ $n -ge $min ]] || die "$1: expected >= $min packets matching '$filter' (with -d $decode), got $n"
}

# In the first packet of FILE matching FILTER, the Nth occurrence (from 1) of
# FIELD must match the extended regular expression RE.
expect_field() {
  local file=$OUT/$1 filter=$2 field=$3 occ=$4 re=$5 v
  v=$(tshark -r "$file" -Y "$filter" -T fields -E occurrence=a -E aggregator='|' -e "$field" 2>/dev/null \
    | awk -F'|' -v n="$occ" 'NR == 1 { print $n }')
  [[ $v =~ $re ]] || die "$1: $field #$occ of the first packet matching '$filter' is '$v', expected /$re/"
}

# The packets of FILE matching FILTER must span at least MIN seconds.
expect_span() {
  local file=$OUT/$1 filter=$2 min=$3 span
  span=$(tshark -r "$file" -Y "$filter" -T fields -e frame.time_relative 2>/dev/null \
    | awk 'NR == 1 { first = $1 } { last = $1 } END { printf "%d", last - first }')
  [[ $span -ge $min ]] || die "$1: packets matching '$filter' span ${span} s, expected >= $min s"
}

# The first packet of FILE matching FILTER_A must come before the first one
# matching FILTER_B.
expect_before() {
  local file=$OUT/$1 a=$2 b=$3 fa fb
  fa=$(tshark -r "$file" -Y "$a" -T fields -e frame.number 2>/dev/null | head -n 1)
  fb=$(tshark -r "$file" -Y "$b" -T fields -e frame.number 2>/dev/null | head -n 1)
  [[ -n $fa && -n $fb && $fa -lt $fb ]] \
    || die "$1: first '$a' (frame ${fa:-none}) is not before first '$b' (frame ${fb:-none})"
}

# The sum of FIELD over the packets of FILE matching FILTER must be between
# MIN and MAX.
expect_sum() {
  local file=$OUT/$1 filter=$2 field=$3 min=$4 max=$5 sum
  sum=$(tshark -r "$file" -Y "$filter" -T fields -e "$field" 2>/dev/null \
    | awk '{ s += $1 } END { printf "%d", s }')
  [[ $sum -ge $min && $sum -le $max ]] \
    || die "$1: sum of $field over '$filter' is $sum, expected $min..$max"
}

# The packets of FILE matching FILTER must hold at least MIN distinct values of FIELD.
expect_distinct() {
  local file=$OUT/$1 filter=$2 field=$3 min=$4 n
  n=$(tshark -r "$file" -Y "$filter" -T fields -e "$field" 2>/dev/null | awk 'NF' | sort -u | wc -l)
  [[ $n -ge $min ]] || die "$1: expected >= $min distinct $field over '$filter', got $n"
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
    ftp-altport) expect_packets ftp-altport.pcap 'tcp.port == 2121 && tcp.payload contains "USER iotuser"' 1
                expect_packets ftp-altport.pcap 'tcp.port == 2121 && tcp.payload contains "230 "' 1
                expect_no_packets ftp-altport.pcap 'tcp.port == 21' ;;
    ftp-modes)  # Four control connections, each followed by one data connection.
                expect_packets ftp-modes.pcap 'ftp.request.command == "PASS"' 4
                expect_packets ftp-modes.pcap 'ftp.request.command == "EPSV"' 1
                expect_packets ftp-modes.pcap 'ftp.request.command == "PASV"' 1
                expect_packets ftp-modes.pcap 'ftp.request.command == "EPRT"' 1
                expect_packets ftp-modes.pcap 'ftp.request.command == "PORT"' 1
                expect_packets ftp-modes.pcap 'ftp.response.code == 229' 1
                expect_packets ftp-modes.pcap 'ftp.response.code == 227' 1
                expect_packets ftp-modes.pcap 'ftp.request.command == "RETR"' 4
                expect_no_packets ftp-modes.pcap 'tcp.stream > 7'
                # Active mode: the server opens the data connection, from port 20.
                expect_packets ftp-modes.pcap 'ip.src == 52.94.236.248 && tcp.srcport == 20 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 2
                expect_packets ftp-modes.pcap 'ftp-data' 4 ;;
    http-proxy) # A CONNECT with a Basic proxy login, granted, then TLS to sensor.iotscope.test; then
                # a GET of a full URL through the proxy.
                expect_packets http-proxy.pcap 'http.request.method == "CONNECT" && http.proxy_authorization' 1
                expect_packets http-proxy.pcap 'http.response.code == 200 && tcp.srcport == 8888' 2
                expect_packets http-proxy.pcap 'tls.handshake.extensions_server_name == "sensor.iotscope.test"' 1
                expect_packets http-proxy.pcap 'http.request.method == "GET" && http.request.uri contains "status.json"' 1 ;;
    proxy-relay) # An internet client's SOCKS 5 CONNECT to the LAN device, then the device's own
                # TLS connection to the internet host it was asked for.
                expect_packets proxy-relay.pcap 'ip.src == 45.33.32.156 && socks.dstport == 443' 1
                expect_packets proxy-relay.pcap 'ip.src == 10.99.0.1 && ip.dst == 198.51.100.80 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_packets proxy-relay.pcap 'tls.handshake.extensions_server_name == "shop.example.net"' 1 ;;
    lldp)       # lab-switch (LLDP and CDPv2, then bridge and router), desk-phone (LLDP-MED class
                # III, then telephone, then renamed desk-phone-2).
                expect_packets lldp.pcap 'lldp.tlv.system.name == "lab-switch" && lldp.tlv.enable_system_cap.router == 1' 1
                expect_packets lldp.pcap 'cdp.deviceid == "lab-switch"' 1
                expect_packets lldp.pcap 'lldp.tlv.system.name == "desk-phone" && lldp.tlv.enable_system_cap.telephone == 1' 1
                expect_packets lldp.pcap 'lldp.tlv.system.name == "desk-phone-2"' 1
                expect_packets lldp.pcap 'lldp.media.subtype.class == 3' 1 ;;
    dns-tcp)    # Two DNS queries over TCP; the TXT answer spans several segments.
                expect_packets dns-tcp.pcap 'dns.flags.response == 1 && dns.qry.name == "config.iotscope.test" && dns.count.answers == 1' 1
                expect_packets dns-tcp.pcap 'tcp.srcport == 53 && tcp.len > 0 && !dns' 3
                expect_packets dns-tcp.pcap 'dns.a == 192.0.2.20' 1
                expect_no_packets dns-tcp.pcap 'udp' ;;
    socks)      # Three SOCKS 5 logins (user name and password), the first refused; TLS through the
                # second, to sensor.iotscope.test, and plain HTTP through the third.
                expect_packets socks.pcap 'socks.username == "iotuser"' 3
                expect_packets socks.pcap 'tcp.srcport == 1080 && tcp.len == 2 && tcp.payload == 01:00' 1
                expect_packets socks.pcap 'tls.handshake.extensions_server_name == "sensor.iotscope.test"' 1
                expect_packets socks.pcap 'tcp.dstport == 1080 && tcp.payload contains "GET /status.json"' 1 ;;
    site-tunnel) # Every frame is VXLAN between the two tunnel ends; inside, one HTTP fetch from the
                # far host, and three pings it answers.
                expect_no_packets site-tunnel.pcap '!vxlan && !arp'
                expect_packets site-tunnel.pcap 'vxlan && ip.src == 203.0.113.66 && ip.src == 172.28.2.3 && http.response.code == 200' 1
                expect_packets site-tunnel.pcap 'vxlan && ip.src == 172.28.2.3 && icmp.type == 0' 3 ;;
    midstream)  # One connection seen from its middle: no SYN, no request, the body from port 80.
                expect_no_packets midstream.pcap 'tcp.flags.syn == 1'
                expect_no_packets midstream.pcap 'http.request'
                expect_sum midstream.pcap 'ip.src == 52.94.236.248 && tcp.srcport == 80' tcp.len 300000 1200000 ;;
    firmware-tls) # The lookup, then one TLS connection with the name as SNI, 6 MB down.
                expect_packets firmware-tls.pcap 'ip.src == 10.99.0.1 && dns.qry.name == "fw.example-iot.com" && dns.a == 52.94.236.248' 1
                expect_before firmware-tls.pcap 'dns.a == 52.94.236.248' 'tcp.flags.syn == 1'
                expect_no_packets firmware-tls.pcap 'tcp.stream > 0'
                expect_packets firmware-tls.pcap 'tls.handshake.extensions_server_name == "fw.example-iot.com"' 1
                expect_no_packets firmware-tls.pcap 'http.request'
                expect_sum firmware-tls.pcap 'ip.src == 52.94.236.248 && tcp' tcp.len 6000000 6100000
                expect_sum firmware-tls.pcap 'ip.src == 10.99.0.2 && tcp' tcp.len 1 10000 ;;
    mqtt)       # One TCP connection: CONNECT with user and password, then 6 PUBLISHes 10 s apart.
                expect_no_packets mqtt-login.pcap 'tcp.stream > 0'
                expect_packets mqtt-login.pcap 'mqtt.msgtype == 1 && mqtt.clientid == "sensor-kitchen-01" && mqtt.username == "iotuser" && mqtt.passwd' 1
                expect_packets mqtt-login.pcap 'mqtt.msgtype == 2 && mqtt.conack.val == 0' 1
                expect_packets mqtt-login.pcap 'mqtt.msgtype == 3 && mqtt.topic == "home/kitchen/temperature"' 6
                expect_span mqtt-login.pcap 'mqtt.msgtype == 3' 45 ;;
    snmp-unanswered) expect_packets snmp-unanswered.pcap 'snmp.version == 1 && snmp.get_request_element' 2
                expect_packets snmp-unanswered.pcap 'icmp.type == 3 && icmp.code == 3' 2
                expect_no_packets snmp-unanswered.pcap 'snmp.get_response_element' ;;
    snmp)       # v1 get, v2c walk (one get-next per object of the system group), v3 get.
                expect_packets snmp.pcap 'snmp.version == 0 && snmp.get_request_element' 1
                expect_packets snmp.pcap 'snmp.version == 1 && snmp.get_next_request_element' 5
                expect_packets snmp.pcap 'snmp.msgVersion == 3 && snmp.msgUserName == "iotuser"' 2
                expect_packets snmp.pcap 'snmp.name == 1.3.6.1.2.1.1.1.0 && snmp.get_response_element' 2 ;;
    starttls)   # POP3 STLS, IMAP and SMTP STARTTLS accepted, then TLS; no login in clear.
                expect_packets starttls.pcap 'pop.request.command == "STLS"' 1
                expect_packets starttls.pcap 'imap.request.command == "STARTTLS"' 1
                expect_packets starttls.pcap 'smtp.command_line contains "STARTTLS"' 1   # tshark 4.0 reads the command as "STAR"
                expect_packets starttls.pcap 'tls.handshake.type == 1' 3
                expect_no_packets starttls.pcap 'pop.request.command == "USER" || pop.request.command == "AUTH" || imap.request.command == "LOGIN" || imap.request.command == "AUTHENTICATE" || smtp.req.command == "AUTH"' ;;
    ldap)       # Anonymous search; simple binds: wrong password, right one; StartTLS; LDAPS.
                expect_packets ldap.pcap 'ldap.protocolOp == 0 && ldap.simple == ""' 1
                expect_packets ldap.pcap 'ldap.protocolOp == 0 && ldap.name == "uid=iotuser,ou=people,dc=iotscope,dc=test" && ldap.simple' 2
                expect_packets ldap.pcap 'ldap.resultCode == 49' 1
                expect_packets ldap.pcap 'ldap.requestName == "1.3.6.1.4.1.1466.20037"' 1
                expect_packets ldap.pcap 'tcp.dstport == 636 && tls.handshake.type == 1' 1 ;;
    vnc)        # Display 1 decides None, display 2 VNC Authentication (RFB 3.3: one type).
                expect_packets vnc.pcap 'vnc.server_proto_ver' 2
                expect_packets vnc.pcap 'tcp.srcport == 5901 && vnc.server_security_type == 1' 1
                expect_packets vnc.pcap 'tcp.srcport == 5902 && vnc.server_security_type == 2' 1 ;;
    wsd)        # Hello, Probe, ProbeMatches, the metadata over HTTP, Bye.
                expect_packets wsd.pcap 'udp.dstport == 3702 && frame contains "discovery/Hello"' 1
                expect_packets wsd.pcap 'udp.dstport == 3702 && frame contains "discovery/Probe<"' 1
                expect_packets wsd.pcap 'frame contains "discovery/ProbeMatches"' 1
                expect_packets wsd.pcap 'tcp.dstport == 5357 && http.request.method == "POST"' 1
                expect_packets wsd.pcap 'udp.dstport == 3702 && frame contains "discovery/Bye"' 1 ;;
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
    long-tls)   expect_packets long-tls.pcap 'dns.flags.response == 1 && dns.qry.name == "cloud.example.net" && dns.a == 10.99.0.1' 1
                expect_packets long-tls.pcap 'tls.handshake.extensions_server_name == "cloud.example.net"' 1
                expect_packets long-tls.pcap 'tcp.port == 443 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_no_packets long-tls.pcap 'tcp.stream > 0'
                expect_packets long-tls.pcap 'ip.src == 10.99.0.2 && tls.app_data' 13
                expect_packets long-tls.pcap 'ip.src == 10.99.0.1 && tls.app_data' 13
                expect_span long-tls.pcap 'tcp.port == 443' 600 ;;
    bypass)     expect_packets bypass.pcap 'ip.dst == 10.99.0.1 && udp.dstport == 53 && dns.qry.name == "api.example.com"' 1
                expect_packets bypass.pcap 'http.host == "api.example.com" && http.request.uri == "/status.json"' 1
                expect_packets bypass.pcap 'ip.dst == 8.8.8.8 && udp.dstport == 53 && dns.qry.name == "time.example.com"' 1
                expect_packets bypass.pcap 'ip.src == 8.8.8.8 && dns.a == 192.0.2.123' 1
                expect_packets bypass.pcap 'ip.dst == 1.1.1.1 && tcp.dstport == 443 && tls.handshake.type == 1' 1
                expect_packets bypass.pcap 'http.host == "update.example.com" && http.request.uri == "/latest.json"' 1
                expect_no_packets bypass.pcap 'dns.qry.name == "update.example.com"'
                expect_packets bypass.pcap 'ip.dst == 52.94.236.248 && http.request.uri == "/firmware.bin"' 1
                expect_packets bypass.pcap 'ip.src == 52.94.236.248 && http.content_type == "application/octet-stream"' 1
                expect_no_packets bypass.pcap 'dns.a == 52.94.236.248' ;;
    natpmp)     expect_packets natpmp.pcap 'udp.dstport == 5351 && nat-pmp.opcode == 1' 2
                expect_packets natpmp.pcap 'udp.srcport == 5351 && nat-pmp.opcode == 129 && nat-pmp.result_code == 0' 2 ;;
    upnp)       expect_packets upnp.pcap 'ip.dst == 239.255.255.250 && udp.dstport == 1900 && http.request.method == "M-SEARCH"' 1
                expect_packets upnp.pcap 'ip.src == 10.99.0.1 && udp.srcport == 1900 && http.response.code == 200' 1
                expect_packets upnp.pcap 'tcp.dstport == 5000 && http.request.method == "GET" && http.request.uri == "/rootDesc.xml"' 1
                expect_packets upnp.pcap 'http.request.method == "POST" && http.request.line contains "#AddPortMapping"' 1
                expect_packets upnp.pcap 'http.request.method == "POST" && http.request.line contains "#DeletePortMapping"' 1 ;;
    tls-weak)   expect_packets tls-weak.pcap 'ip.dst == 10.99.0.1 && udp.dstport == 53 && dns.qry.name == "api.example.net"' 1
                expect_packets tls-weak.pcap 'ip.src == 10.99.0.1 && dns.qry.name == "api.example.net" && dns.a == 52.94.236.248' 1
                expect_packets tls-weak.pcap 'ip.dst == 52.94.236.248 && tcp.dstport == 443 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 3
                expect_no_packets tls-weak.pcap 'tcp.stream > 2'
                # 1: TLS 1.2, SNI api.example.net, expired self-signed certificate for device.example.com.
                expect_packets tls-weak.pcap 'tcp.stream == 0 && tls.handshake.type == 1 && tls.handshake.extensions_server_name == "api.example.net"' 1
                expect_packets tls-weak.pcap 'tcp.stream == 0 && tls.handshake.type == 2 && tls.handshake.version == 0x0303' 1
                expect_packets tls-weak.pcap 'tcp.stream == 0 && tls.handshake.type == 11 && x509sat.uTF8String == "device.example.com" && x509ce.dNSName == "device.example.com"' 1
                expect_field tls-weak.pcap 'tcp.stream == 0 && tls.handshake.type == 11' x509af.utcTime 1 '^2020-01-01 00:00:00'
                expect_field tls-weak.pcap 'tcp.stream == 0 && tls.handshake.type == 11' x509af.utcTime 2 '^(19[0-9]{2}|20[01][0-9]|202[01])-'
                # 2: TLS 1.0 agreed, SNI legacy.example.net.
                expect_packets tls-weak.pcap 'tcp.stream == 1 && tls.handshake.type == 1 && tls.handshake.version == 0x0301 && tls.handshake.extensions_server_name == "legacy.example.net"' 1
                expect_packets tls-weak.pcap 'tcp.stream == 1 && tls.handshake.type == 2 && tls.handshake.version == 0x0301' 1
                expect_packets tls-weak.pcap 'tcp.stream == 1 && tls.handshake.type == 11 && x509ce.dNSName == "legacy.example.net"' 1
                # 3: TLS 1.2 ClientHello without server_name.
                expect_packets tls-weak.pcap 'tcp.stream == 2 && tls.handshake.type == 1 && tls.handshake.version == 0x0303 && !tls.handshake.extensions_server_name' 1
                expect_no_packets tls-weak.pcap 'tcp.stream == 2 && tls.handshake.extensions_server_name'
                expect_packets tls-weak.pcap 'tcp.stream == 2 && tls.handshake.type == 2 && tls.handshake.version == 0x0303' 1
                expect_packets tls-weak.pcap 'tcp.stream == 2 && tls.handshake.type == 11 && x509ce.dNSName == "legacy.example.net"' 1 ;;
    dtls)       # CoAP over DTLS 1.2 on udp/5684: four PKI sessions (SNI "localhost"), one PSK
                # session by name, one by address; then openssl's DTLS 1.2 and 1.0 on udp/4433.
                # Every session: ClientHello, HelloVerifyRequest, ClientHello with the cookie.
                expect_packets dtls.pcap 'ip.dst == 52.94.236.248 && udp.dstport == 5684 && dtls.handshake.type == 1' 12
                expect_packets dtls.pcap 'ip.src == 52.94.236.248 && udp.srcport == 5684 && dtls.handshake.type == 3' 6
                expect_packets dtls.pcap 'udp.srcport == 5684 && dtls.handshake.type == 2 && dtls.handshake.version == 0xfefd' 6
                expect_no_packets dtls.pcap 'udp.srcport == 5684 && dtls.handshake.type == 2 && dtls.handshake.version != 0xfefd'
                expect_packets dtls.pcap 'udp.dstport == 5684 && dtls.handshake.type == 1 && dtls.handshake.extensions_server_name == "localhost"' 8
                expect_span dtls.pcap 'udp.dstport == 5684 && dtls.handshake.extensions_server_name == "localhost"' 9
                expect_packets dtls.pcap 'udp.srcport == 5684 && dtls.handshake.type == 11 && x509ce.dNSName == "coap.example-iot.com"' 4
                expect_packets dtls.pcap 'udp.dstport == 5684 && dtls.handshake.type == 1 && dtls.handshake.extensions_server_name == "coap.example-iot.com"' 2
                expect_packets dtls.pcap 'udp.dstport == 5684 && dtls.handshake.type == 1 && dtls.handshake.extensions_server_name == "52.94.236.248"' 2
                expect_packets dtls.pcap 'udp.dstport == 5684 && dtls.handshake.type == 16 && frame contains "sensor-kitchen-01"' 2
                expect_packets dtls.pcap 'ip.src == 10.99.0.2 && udp.dstport == 5684 && dtls.record.content_type == 23' 9
                expect_packets dtls.pcap 'ip.src == 52.94.236.248 && udp.srcport == 5684 && dtls.record.content_type == 23' 9
                expect_packets dtls.pcap 'udp.dstport == 4433 && dtls.handshake.type == 1 && dtls.handshake.version == 0xfefd && dtls.handshake.extensions_server_name == "dtls.example-iot.com"' 2
                expect_packets dtls.pcap 'udp.srcport == 4433 && dtls.handshake.type == 2 && dtls.handshake.version == 0xfefd' 1
                expect_packets dtls.pcap 'udp.srcport == 4433 && dtls.handshake.type == 11 && x509ce.dNSName == "dtls.example-iot.com"' 1
                expect_packets dtls.pcap 'udp.dstport == 4433 && dtls.handshake.type == 1 && dtls.handshake.version == 0xfeff && dtls.handshake.extensions_server_name == "legacy.example-iot.com"' 2
                expect_packets dtls.pcap 'udp.srcport == 4433 && dtls.handshake.type == 2 && dtls.handshake.version == 0xfeff' 1
                expect_packets dtls.pcap 'udp.srcport == 4433 && dtls.handshake.type == 11 && x509ce.dNSName == "legacy.example-iot.com"' 1
                expect_packets dtls.pcap 'udp.port == 4433 && dtls.record.content_type == 23' 4
                expect_no_packets dtls.pcap 'coap || dns || tcp' ;;
    vpn)        # OpenVPN over UDP/1194, then over TCP/443, then WireGuard over UDP/51820, all to
                # 52.94.236.248; the pings only inside the tunnels.
                expect_packets vpn.pcap 'ip.dst == 52.94.236.248 && udp.dstport == 1194 && openvpn.opcode == 0x07' 1
                expect_packets vpn.pcap 'ip.src == 52.94.236.248 && udp.srcport == 1194 && openvpn.opcode == 0x08' 1
                expect_packets vpn.pcap 'udp.dstport == 1194 && tls.handshake.type == 1' 1
                expect_packets vpn.pcap 'udp.port == 1194 && openvpn.opcode == 0x09' 8
                expect_packets vpn.pcap 'ip.dst == 52.94.236.248 && tcp.dstport == 443 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_no_packets vpn.pcap 'tcp.stream > 0'
                expect_packets_as vpn.pcap 'tcp.port==443,openvpn' 'tcp.dstport == 443 && openvpn.opcode == 0x07' 1
                expect_packets_as vpn.pcap 'tcp.port==443,openvpn' 'tcp.srcport == 443 && openvpn.opcode == 0x08' 1
                expect_packets_as vpn.pcap 'tcp.port==443,openvpn' 'tcp.dstport == 443 && tls.handshake.type == 1' 1
                expect_packets_as vpn.pcap 'tcp.port==443,openvpn' 'tcp.port == 443 && openvpn.opcode == 0x09' 8
                expect_packets vpn.pcap 'ip.dst == 52.94.236.248 && udp.dstport == 51820 && wg.type == 1' 1
                expect_packets vpn.pcap 'ip.src == 52.94.236.248 && udp.srcport == 51820 && wg.type == 2' 1
                expect_packets vpn.pcap 'wg.type == 4 && !wg.keepalive' 8
                expect_packets vpn.pcap 'ip.src == 10.99.0.2 && wg.keepalive' 4
                expect_span vpn.pcap 'wg.keepalive' 15
                expect_no_packets vpn.pcap 'icmp' ;;
    ipsec)      # IKEv2 (PSK) to 52.94.236.248, NAT traversal encapsulation forced: session 1
                # starts on udp/500 and moves to udp/4500, session 2 is udp/4500 to udp/4500
                # from its first packet; ESP only inside UDP, the pings only inside ESP.
                expect_packets ipsec.pcap 'ip.dst == 52.94.236.248 && udp.srcport == 500 && udp.dstport == 500 && isakmp.version == 0x20 && isakmp.exchangetype == 34 && isakmp.flags == 0x08' 1
                expect_packets ipsec.pcap 'ip.src == 52.94.236.248 && udp.srcport == 500 && isakmp.exchangetype == 34 && isakmp.flags == 0x20 && isakmp.notify.msgtype == 16388' 1
                expect_no_packets ipsec.pcap 'udp.port == 500 && isakmp.exchangetype != 34'
                expect_packets ipsec.pcap 'ip.dst == 52.94.236.248 && udp.srcport == 4500 && udp.dstport == 4500 && udpencap.non_esp_marker && isakmp.exchangetype == 34' 1
                expect_packets ipsec.pcap 'ip.src == 52.94.236.248 && udp.dstport == 4500 && udpencap.non_esp_marker && isakmp.exchangetype == 34' 1
                expect_packets ipsec.pcap 'udp.port == 4500 && udpencap.non_esp_marker && isakmp.exchangetype == 35' 4
                expect_packets ipsec.pcap 'udp.port == 4500 && isakmp.exchangetype == 36' 2
                expect_packets ipsec.pcap 'udp.port == 4500 && isakmp.exchangetype == 37' 6
                expect_packets ipsec.pcap 'ip.src == 10.99.0.2 && udp.dstport == 4500 && esp' 12
                expect_packets ipsec.pcap 'ip.src == 52.94.236.248 && udp.srcport == 4500 && esp' 12
                expect_distinct ipsec.pcap 'esp' esp.spi 6
                expect_no_packets ipsec.pcap 'ip.proto == 50 || icmp || dns || tcp' ;;
    pingsweep)  # One echo request to each of the 64 addresses; two answer.
                expect_packets pingsweep.pcap 'ip.src == 10.99.0.2 && icmp.type == 8' 64
                expect_packets pingsweep.pcap 'ip.dst == 10.99.0.2 && icmp.type == 0' 2
                expect_no_packets pingsweep.pcap 'tcp' ;;
    udpsweep)   # nmap's SNMP probe to udp/161 of each of the 64 addresses, none answered.
                expect_packets udpsweep.pcap 'ip.src == 10.99.0.2 && udp.dstport == 161 && snmp' 64
                expect_no_packets udpsweep.pcap 'udp && ip.dst == 10.99.0.2 && !dns' ;;
    udpscan)    # nmap's UDP probes of 33 ports of each of 2 addresses, then a traceroute to a
                # third, none answered; then pings a fourth answers.
                expect_packets udpscan.pcap 'ip.src == 10.99.0.2 && udp.dstport <= 30 && (ip.dst == 198.51.100.1 || ip.dst == 198.51.100.2)' 60
                expect_packets udpscan.pcap 'ip.src == 10.99.0.2 && udp.dstport == 69' 2
                expect_packets udpscan.pcap 'ip.dst == 198.51.100.200 && udp.dstport >= 33434' 20
                expect_packets udpscan.pcap 'ip.src == 198.51.100.250 && icmp.type == 0' 2
                expect_no_packets udpscan.pcap 'udp && ip.dst == 10.99.0.2 && !dns' ;;
    grid)       # One SYN to each of tcp/1-20 of each of the 32 addresses, none answered.
                expect_packets grid.pcap 'ip.src == 10.99.0.2 && tcp.dstport <= 20 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 640
                expect_no_packets grid.pcap 'tcp && ip.dst == 10.99.0.2'
                expect_no_packets grid.pcap 'tcp && !(ip.dst == 203.0.113.0/27)' ;;
    sweep)      # One SYN to tcp/23 of each of the 64 addresses, none answered.
                expect_packets sweep.pcap 'ip.src == 10.99.0.2 && tcp.dstport == 23 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 64
                expect_no_packets sweep.pcap 'tcp.srcport == 23'
                expect_no_packets sweep.pcap 'tcp && !(ip.dst == 198.51.100.0/26) && !(ip.src == 198.51.100.0/26)' ;;
    inbound)    # Three TCP connections: HTTP and telnet from 45.33.32.156, then HTTP from 10.99.0.2.
                expect_no_packets inbound.pcap 'tcp.stream > 2'
                expect_packets inbound.pcap 'tcp.stream == 0 && ip.src == 45.33.32.156 && ip.dst == 10.99.0.1 && tcp.dstport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_packets inbound.pcap 'tcp.stream == 0 && ip.src == 10.99.0.1 && ip.dst == 45.33.32.156 && tcp.srcport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 1' 1
                expect_packets inbound.pcap 'tcp.stream == 0 && ip.src == 45.33.32.156 && http.request.method == "GET" && http.request.uri == "/"' 1
                expect_packets inbound.pcap 'tcp.stream == 0 && ip.dst == 45.33.32.156 && http.response.code == 200 && http.content_type == "text/html"' 1
                expect_packets inbound.pcap 'tcp.stream == 1 && ip.src == 45.33.32.156 && ip.dst == 10.99.0.1 && tcp.dstport == 23 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_packets inbound.pcap 'tcp.stream == 1 && ip.src == 10.99.0.1 && ip.dst == 45.33.32.156 && tcp.srcport == 23 && tcp.flags.syn == 1 && tcp.flags.ack == 1' 1
                expect_packets inbound.pcap 'tcp.stream == 1 && ip.src == 10.99.0.1 && telnet.data contains "login:"' 1
                expect_no_packets inbound.pcap 'telnet.data contains "Password:"'
                expect_no_packets inbound.pcap 'ip.addr == 10.99.0.2 && tcp.port == 23'
                expect_packets inbound.pcap 'tcp.stream == 2 && ip.src == 10.99.0.2 && ip.dst == 10.99.0.1 && tcp.dstport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_packets inbound.pcap 'tcp.stream == 2 && ip.src == 10.99.0.2 && http.request.method == "GET" && http.request.uri == "/"' 1
                expect_packets inbound.pcap 'tcp.stream == 2 && ip.dst == 10.99.0.2 && http.response.code == 200' 1 ;;
    upload)     # The lookup, then one TCP connection with three 1 MB PUTs and their 201s.
                expect_packets upload.pcap 'ip.dst == 10.99.0.1 && udp.dstport == 53 && dns.qry.name == "clips.example-cam.com"' 1
                expect_packets upload.pcap 'ip.src == 10.99.0.1 && dns.qry.name == "clips.example-cam.com" && dns.a == 52.94.236.248' 1
                expect_before upload.pcap 'dns.qry.name == "clips.example-cam.com" && dns.a == 52.94.236.248' 'tcp.flags.syn == 1'
                expect_before upload.pcap 'dns.qry.name == "clips.example-cam.com"' 'http.request'
                expect_no_packets upload.pcap 'tcp.stream > 0'
                expect_no_packets upload.pcap 'tcp.flags.reset == 1'
                expect_packets upload.pcap 'ip.dst == 52.94.236.248 && tcp.dstport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
                expect_packets upload.pcap 'ip.dst == 52.94.236.248 && http.request.method == "PUT" && http.host == "clips.example-cam.com" && http.request.uri matches "^/upload/clip-[1-3]\\.mp4$" && http.content_type == "video/mp4" && http.content_length == 1000000' 3
                expect_no_packets upload.pcap 'http.request && !(http.request.method == "PUT")'
                expect_packets upload.pcap 'ip.src == 52.94.236.248 && http.response.code == 201' 3
                expect_no_packets upload.pcap 'http.response.code >= 300'
                expect_span upload.pcap 'http.request.method == "PUT"' 3
                # About 3 MB up, almost nothing down.
                expect_sum upload.pcap 'ip.src == 10.99.0.2 && tcp' tcp.len 3000000 3010000
                expect_sum upload.pcap 'ip.src == 52.94.236.248 && tcp' tcp.len 1 4000
                log "$(tshark -r "$OUT/upload.pcap" -q -z conv,tcp 2>/dev/null | grep '<->')" ;;
  esac
}

# Captures FILE while COMMAND... runs, with NET routed from the client through the server
# namespace, which forwards nothing: no probe into NET is answered.
with_dead_route() {
  local net=$1 file=$2
  shift 2
  ip -n "$NS_C" route add "$net" via "$SRV_IP" dev "$VETH_C"
  cap_start "$file"
  "$@"
  cap_stop
  ip -n "$NS_C" route del "$net" via "$SRV_IP" dev "$VETH_C"
}

# nmap from the client, without host discovery or retries.
scan_from_client() {
  in_cli nmap -n -Pn --max-retries 0 "$@" >"$WORK/nmap.log" 2>&1 \
    || die "nmap: $(tail -n 5 "$WORK/nmap.log")"
}

# nmap's SYN scan of telnet over 64 addresses of 198.51.100.0/26 (TEST-NET-2, an internet range
# that exists nowhere), from the client: what a worm such as Mirai sends from an infected
# camera.
SWEEP_NET=198.51.100.0/26
record_sweep() {
  with_dead_route "$SWEEP_NET" sweep.pcap \
    scan_from_client -sS -p 23 --host-timeout 10s "$SWEEP_NET"
}

# A scan of 20 ports on each of 32 internet addresses (TEST-NET-3): a grid that is both a port
# scan of every host and a sweep of every port.
GRID_NET=203.0.113.0/27
record_grid() {
  with_dead_route "$GRID_NET" grid.pcap \
    scan_from_client -sS -p 1-20 --min-rate 200 "$GRID_NET"
}

# A UDP port scan of two internet addresses (TEST-NET-2), and a traceroute to a third: both send
# datagrams to many ports of a host that answers none of them.
# Then two pings that a fourth address answers: an internet host in no country's registry.
udp_probes() {
  scan_from_client -sU -p 1-30,69,123,161 --min-rate 100 198.51.100.1 198.51.100.2
  in_cli traceroute -n -q 1 -w 0.2 -m 24 198.51.100.200 >"$WORK/traceroute.log" 2>&1 || true
  ip -n "$NS_S" addr add 198.51.100.250/32 dev lo
  in_cli ping -n -c 2 -i 0.2 198.51.100.250 >"$WORK/ping.log" 2>&1 || die "ping: $(cat "$WORK/ping.log")"
  ip -n "$NS_S" addr del 198.51.100.250/32 dev lo
}
record_udpscan() {
  with_dead_route 198.51.100.0/24 udpscan.pcap udp_probes
}

# nmap's UDP sweep of SNMP over 64 internet addresses (TEST-NET-2), as a worm or an inventory
# tool looking for devices with a default community string sends it.
record_udpsweep() {
  with_dead_route "$SWEEP_NET" udpsweep.pcap \
    scan_from_client -sU -p 161 --min-rate 100 "$SWEEP_NET"
}

ping_sweep() {
  in_cli nmap -n -sn -PE --max-retries 0 --min-rate 100 "$SWEEP_NET" >"$WORK/nmap.log" 2>&1 \
    || die "nmap: $(tail -n 5 "$WORK/nmap.log")"
}

# nmap's ping sweep (ICMP echo requests only) of 64 internet addresses (TEST-NET-2), two of
# which answer: the host discovery a scanner, or a worm, makes before it tries any port.
record_pingsweep() {
  ip -n "$NS_S" addr add 198.51.100.7/32 dev lo
  ip -n "$NS_S" addr add 198.51.100.40/32 dev lo
  with_dead_route "$SWEEP_NET" pingsweep.pcap ping_sweep
  ip -n "$NS_S" addr del 198.51.100.7/32 dev lo
  ip -n "$NS_S" addr del 198.51.100.40/32 dev lo
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
