#!/usr/bin/env bash
# Record smart-home behaviours from real Debian programs, each in network
# namespaces, as test captures for iotscope.  Nothing leaves the machine:
# every address (including the "public" cloud ones) lives only inside
# namespaces made here, and the namespaces are torn down on exit.
#
# Usage (as root): testdata/recorded/home/record.sh [SCENARIO...]
#   SCENARIOS: dhcp-mqtts coap mdns ntp mqtt-login lan-cam dhcp-pihole   (default: all)
#   Output: testdata/recorded/home/<scenario>.pcap
#   MQTT_TLS13=1 ./record.sh dhcp-mqtts  records pcaps/dhcp-mqtts-tls13.pcap
#   instead (broker allowed TLS 1.3, so its certificate is not visible).
#
# Topology (one LAN behind a router, one "cloud"):
#
#   ioth-d1 (device, 24:0a:c4 Espressif)  d1-eth ──┐
#   ioth-d2 (LAN peer, b8:27:eb RPi)      d2-eth ──┤ br0 in ioth-sw  (capture on a port)
#   ioth-rt (router 192.168.18.1)         rt-lan ──┘
#   ioth-rt rt-wan 10.255.0.1/30  <──>  cloud-eth 10.255.0.2/30 ioth-cloud
#     cloud hosts on ioth-cloud's lo: 52.29.100.10 (eu-broker.example-iot.com)
#                                    3.120.50.7   (mqtt.plugcloud.example)
#   The router forwards without NAT; the cloud routes 192.168.18.0/24 back.
#   dnsmasq on the router is DHCP server and DNS resolver (no upstream).
set -euo pipefail

OUT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/iotscope-home.XXXXXX)

PACKAGES=(iproute2 tcpdump openssl dnsmasq-base udhcpc mosquitto mosquitto-clients libcoap3-bin
  avahi-daemon avahi-utils chrony ntpsec-ntpdate nginx curl openssh-server openssh-client socat)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  # The packages' own services are not started: every daemon runs inside a namespace below.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
fi

NS_SW=ioth-sw NS_RT=ioth-rt NS_CL=ioth-cloud NS_D1=ioth-d1 NS_D2=ioth-d2
MAC_D1=24:0a:c4:5e:36:71    # Espressif
MAC_D2=b8:27:eb:4c:21:9a    # Raspberry Pi Foundation
MAC_RT=00:0d:b9:47:11:02    # PC Engines
RT_IP=192.168.18.1 D1_IP=192.168.18.101 D2_IP=192.168.18.50
BROKER_TLS=52.29.100.10 BROKER_PLAIN=3.120.50.7

log() { printf '[record %(%T)T] %s\n' -1 "$*" >&2; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

PIDS=()
CAP_PID=
cleanup() {
  set +e
  [[ -n $CAP_PID ]] && { kill -TERM "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; }
  CAP_PID=
  local p ns
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  PIDS=()
  for ns in $NS_D1 $NS_D2 $NS_RT $NS_CL $NS_SW; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  sleep 0.3
  for ns in $NS_D1 $NS_D2 $NS_RT $NS_CL $NS_SW; do ip netns del $ns 2>/dev/null; done
  return 0
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

spawn() { ip netns exec "$@" & PIDS+=($!); }

# ----------------------------------------------------------------- network
mkveth() { # name-a ns-a name-b ns-b
  ip link add "$1" type veth peer name "$3"
  ip link set "$1" netns "$2"; ip link set "$3" netns "$4"
}
net_up() {
  cleanup
  for ns in $NS_SW $NS_RT $NS_CL $NS_D1 $NS_D2; do
    ip netns add $ns; nsx $ns ip link set lo up
  done
  # the switch is a switch: its ports have no addresses and send nothing
  nsx $NS_SW sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  nsx $NS_SW ip link add br0 type bridge
  nsx $NS_SW ip link set br0 type bridge stp_state 0 forward_delay 0
  nsx $NS_SW ip link set br0 up
  # Snooping would drop multicast that nobody joined with IGMP yet.
  echo 0 | nsx $NS_SW tee /sys/class/net/br0/bridge/multicast_snooping >/dev/null || true
  mkveth d1-eth $NS_D1 sw-d1 $NS_SW
  mkveth d2-eth $NS_D2 sw-d2 $NS_SW
  mkveth rt-lan $NS_RT sw-rt $NS_SW
  mkveth rt-wan $NS_RT cloud-eth $NS_CL
  for p in sw-d1 sw-d2 sw-rt; do
    nsx $NS_SW ip link set $p master br0; nsx $NS_SW ip link set $p up
  done
  nsx $NS_D1 ip link set d1-eth address $MAC_D1
  nsx $NS_D2 ip link set d2-eth address $MAC_D2
  nsx $NS_RT ip link set rt-lan address $MAC_RT
  nsx $NS_RT ip addr add $RT_IP/24 dev rt-lan; nsx $NS_RT ip link set rt-lan up
  nsx $NS_RT ip addr add 10.255.0.1/30 dev rt-wan; nsx $NS_RT ip link set rt-wan up
  nsx $NS_RT sysctl -qw net.ipv4.ip_forward=1
  nsx $NS_RT ip route add $BROKER_TLS/32 via 10.255.0.2
  nsx $NS_RT ip route add $BROKER_PLAIN/32 via 10.255.0.2
  nsx $NS_CL ip addr add 10.255.0.2/30 dev cloud-eth; nsx $NS_CL ip link set cloud-eth up
  nsx $NS_CL ip addr add $BROKER_TLS/32 dev lo
  nsx $NS_CL ip addr add $BROKER_PLAIN/32 dev lo
  nsx $NS_CL ip route add 192.168.18.0/24 via 10.255.0.1
  nsx $NS_D1 ip link set d1-eth up
  nsx $NS_D2 ip link set d2-eth up
}
static_d1() { nsx $NS_D1 ip addr add $D1_IP/24 dev d1-eth; nsx $NS_D1 ip route add default via $RT_IP; }
static_d2() { nsx $NS_D2 ip addr add $D2_IP/24 dev d2-eth; nsx $NS_D2 ip route add default via $RT_IP; }

capture_start() { # port file
  rm -f "$2"
  ip netns exec $NS_SW tcpdump -i "$1" -s 0 -U -w "$2" 2>"$WORK/tcpdump.log" &
  CAP_PID=$!
  sleep 1.5
}
capture_stop() {
  sleep 1
  kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; CAP_PID=
  chmod 644 "$1"
  log "wrote $1 ($(stat -c %s "$1") bytes)"
}

dnsmasq_start() { # extra args...
  rm -f "$WORK/dnsmasq.leases"
  spawn $NS_RT dnsmasq -k -u root --conf-file=/dev/null --interface=rt-lan --bind-interfaces \
    --no-resolv --no-hosts --pid-file="$WORK/dnsmasq.pid" --dhcp-leasefile="$WORK/dnsmasq.leases" \
    --log-facility="$WORK/dnsmasq.log" --log-queries --log-dhcp \
    --domain=home.lan --local=/home.lan/ \
    --cname=mqtt.example-iot.com,eu-broker.example-iot.com \
    --host-record=eu-broker.example-iot.com,$BROKER_TLS \
    --host-record=mqtt.plugcloud.example,$BROKER_PLAIN \
    --host-record=router.home.lan,$RT_IP \
    "$@"
  sleep 1
}

# A minimal udhcpc hook: configures the address and route, and writes the DNS
# servers to $RESOLV_OUT when that is set.
udhcpc_script() {
  cat >"$WORK/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; done
    if [ -n "$RESOLV_OUT" ]; then
      : >"$RESOLV_OUT"; for d in $dns; do echo "nameserver $d" >>"$RESOLV_OUT"; done
    fi ;;
esac
exit 0
EOF
  chmod 755 "$WORK/udhcpc.script"
}

# ----------------------------------------------------- certificates, configs
make_cert() {
  [[ -s $WORK/broker.crt ]] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -keyout "$WORK/broker.key" -out "$WORK/broker.crt" \
    -subj "/O=Example IoT/CN=eu-broker.example-iot.com" \
    -addext "subjectAltName=DNS:eu-broker.example-iot.com,DNS:mqtt.example-iot.com" 2>/dev/null
}

# ------------------------------------------------------------- scenarios
# 1. DHCP (hostname + vendor class) from dnsmasq, DNS (CNAME) through it,
#    then an MQTT-over-TLS 1.2 (self-signed certificate) telemetry connection publishing every 5 s and a
#    second TLS command channel that only sends MQTT PINGREQ every 20 s, for
#    about 150 s; the cloud sends one command down the channel half way.
sc_dhcp_mqtts() {
  local pcap=$OUT/dhcp-mqtts.pcap
  net_up; make_cert
  cat >"$WORK/mosq-tls.conf" <<EOF
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest stdout
listener 8883 $BROKER_TLS
certfile $WORK/broker.crt
keyfile $WORK/broker.key
listener 1883 127.0.0.1
EOF
  # The broker speaks at most TLS 1.2, as many embedded-grade brokers and
  # stacks still do (mosquitto's tls_version is only a minimum): its
  # certificate then crosses the wire in clear, where a reader of the capture can check it.
  cat >"$WORK/openssl-tls12.cnf" <<'EOF'
openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MaxProtocol = TLSv1.2
EOF
  # MQTT_TLS13=1 lets the broker negotiate TLS 1.3 (certificate encrypted).
  local sslconf=$WORK/openssl-tls12.cnf
  [[ ${MQTT_TLS13:-0} == 1 ]] && { sslconf=/dev/null; pcap=$OUT/dhcp-mqtts-tls13.pcap; }
  OPENSSL_CONF=$sslconf \
  spawn $NS_CL mosquitto -c "$WORK/mosq-tls.conf" >"$WORK/mosq-tls.log" 2>&1
  dnsmasq_start --dhcp-range=192.168.18.100,192.168.18.150,12h --dhcp-option=option:router,$RT_IP \
    --dhcp-option=option:dns-server,$RT_IP --dhcp-authoritative
  udhcpc_script
  capture_start sw-d1 "$pcap"
  # Everything the device does runs in one mount namespace whose
  # /etc/resolv.conf is the one DHCP gave it.
  RESOLV_OUT=$WORK/d1-resolv.conf WORK=$WORK BROKER=mqtt.example-iot.com \
  nsx $NS_D1 sh -c '
    set -e
    udhcpc -i d1-eth -f -q -n -t 5 -x hostname:kitchen-plug -V "ESP32-SmartPlug/1.4.2" \
      -s "$WORK/udhcpc.script" >"$WORK/udhcpc.log" 2>&1
    mount --bind "$RESOLV_OUT" /etc/resolv.conf
    # command channel: subscribe, keepalive 20 s, nothing else to send
    mosquitto_sub -h "$BROKER" -p 8883 --cafile "$WORK/broker.crt" -i kitchen-plug-cmd -k 20 \
      -t devices/kitchen-plug/cmd -q 1 >"$WORK/sub.out" 2>&1 &
    sub=$!
    sleep 2
    # telemetry: one TLS connection, a line every 5 s
    (for i in $(seq 1 28); do
       printf "{\"seq\":%d,\"power_w\":%d.%d,\"relay\":\"on\"}\n" $i $((40 + i % 7)) $((i % 10)); sleep 5
     done) | mosquitto_pub -h "$BROKER" -p 8883 --cafile "$WORK/broker.crt" -i kitchen-plug-tele -k 60 \
        -t devices/kitchen-plug/telemetry -q 0 -l &
    pub=$!
    sleep 70
    echo command >"$WORK/cmd.flag"
    wait $pub
    sleep 12
    kill $sub; wait $sub 2>/dev/null || true
  ' &
  local dev=$!
  # half way, the cloud sends one command down the channel
  while [[ ! -e $WORK/cmd.flag ]]; do sleep 1; done; rm -f "$WORK/cmd.flag"
  nsx $NS_CL mosquitto_pub -h 127.0.0.1 -p 1883 -t devices/kitchen-plug/cmd -q 1 -m '{"relay":"off"}'
  wait $dev
  capture_stop "$pcap"
  cleanup
}

# 2. CoAP on the LAN: a hub (d1) asks a libcoap server (d2) for its resource
#    directory, reads /time, polls /time every 4 s eight times, observes /time
#    for 20 s, PUTs a value, and sends one multicast discovery.
sc_coap() {
  local pcap=$OUT/coap.pcap
  net_up; static_d1; static_d2
  nsx $NS_D1 ip route add 224.0.0.0/4 dev d1-eth
  nsx $NS_D2 ip route add 224.0.0.0/4 dev d2-eth
  spawn $NS_D2 coap-server-notls -p 5683 -g 224.0.1.187 -G d2-eth -d 5 -v 3
  sleep 1
  capture_start sw-d1 "$pcap"
  local C=coap-client-notls S=coap://$D2_IP
  nsx $NS_D1 $C -m get "$S/.well-known/core" >"$WORK/coap.out" 2>&1
  nsx $NS_D1 $C -m get "$S/time" >>"$WORK/coap.out" 2>&1
  for i in $(seq 1 8); do nsx $NS_D1 $C -m get "$S/time" >>"$WORK/coap.out" 2>&1; sleep 4; done
  nsx $NS_D1 $C -m get -s 20 "$S/time" >>"$WORK/coap.out" 2>&1
  nsx $NS_D1 $C -m put -e 'brightness=42' "$S/example_data" >>"$WORK/coap.out" 2>&1 || true
  nsx $NS_D1 $C -m get "$S/example_data" >>"$WORK/coap.out" 2>&1 || true
  nsx $NS_D1 $C -N -m get -B 3 "coap://224.0.1.187/.well-known/core" >>"$WORK/coap.out" 2>&1 || true
  capture_stop "$pcap"
  cleanup
}

# 3. mDNS: d2 ("living-room-cam") runs avahi-daemon announcing _http._tcp
#    and _hap._tcp; d1 ("hub-browser") runs avahi-daemon + avahi-browse.
avahi_ns() { # ns hostname servicesdir tag [browse]
  local ns=$1 host=$2 svc=$3 tag=$4
  cat >"$WORK/$tag-avahi.conf" <<EOF
[server]
host-name=$host
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=${ns#ioth-}-eth
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
EOF
  # private /run/dbus, /run/avahi-daemon and /etc/avahi/services for this namespace
  spawn "$ns" sh -c "
    mount -t tmpfs iothrun /run && mkdir -p /run/dbus /run/avahi-daemon
    mount --bind '$svc' /etc/avahi/services
    dbus-daemon --system --nofork --nopidfile &
    sleep 1
    avahi-daemon --no-drop-root --no-chroot -f '$WORK/$tag-avahi.conf' &
    ${5:-}
    wait
  "
}
sc_mdns() {
  local pcap=$OUT/mdns.pcap
  net_up; static_d1; static_d2
  mkdir -p "$WORK/cam-services" "$WORK/empty-services"
  cat >"$WORK/cam-services/http.service" <<'EOF'
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name replace-wildcards="yes">Living Room Camera on %h</name>
  <service><type>_http._tcp</type><port>80</port><txt-record>path=/live</txt-record></service>
</service-group>
EOF
  cat >"$WORK/cam-services/hap.service" <<'EOF'
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>LivingRoomCam 4C219A</name>
  <service><type>_hap._tcp</type><port>51826</port>
    <txt-record>c#=2</txt-record><txt-record>ff=0</txt-record><txt-record>id=4C:21:9A:11:22:33</txt-record>
    <txt-record>md=LivingRoomCam</txt-record><txt-record>s#=1</txt-record><txt-record>sf=1</txt-record>
    <txt-record>ci=17</txt-record><txt-record>sh=q1w2eQ==</txt-record>
  </service>
</service-group>
EOF
  capture_start sw-d2 "$pcap"
  avahi_ns $NS_D2 living-room-cam "$WORK/cam-services" cam
  sleep 8
  avahi_ns $NS_D1 hub-browser "$WORK/empty-services" hub \
    "sleep 5; avahi-browse -a -r -t -p >'$WORK/avahi-browse.out' 2>&1; sleep 3; avahi-resolve -n living-room-cam.local >>'$WORK/avahi-browse.out' 2>&1"
  sleep 25
  capture_stop "$pcap"
  cleanup
}

# 4. NTP: chronyd on the router serves time (local stratum 8, never touches
#    the clock); the device runs ntpdate -q once, then a chronyd client
#    (-x: does not touch the clock) polling every 16 s for ~100 s.
sc_ntp() {
  local pcap=$OUT/ntp.pcap
  net_up; static_d1
  cat >"$WORK/chrony-srv.conf" <<EOF
local stratum 8
allow 192.168.18.0/24
bindaddress $RT_IP
cmdport 0
pidfile $WORK/chrony-srv.pid
EOF
  cat >"$WORK/chrony-cli.conf" <<EOF
server $RT_IP iburst minpoll 4 maxpoll 4
cmdport 0
pidfile $WORK/chrony-cli.pid
EOF
  spawn $NS_RT chronyd -x -d -f "$WORK/chrony-srv.conf" >"$WORK/chrony-srv.log" 2>&1
  sleep 2
  capture_start sw-d1 "$pcap"
  nsx $NS_D1 ntpdate -q $RT_IP >"$WORK/ntpdate.out" 2>&1 || true
  sleep 3
  nsx $NS_D1 timeout 100 chronyd -x -d -f "$WORK/chrony-cli.conf" >"$WORK/chrony-cli.log" 2>&1 || true
  capture_stop "$pcap"
  cleanup
}

# 5. MQTT in clear with user name and password to a cloud broker: MQTT 3.1,
#    3.1.1 and 5 logins, one with a wrong password, and a subscriber that
#    stays for 45 s with keepalive 10 s.
sc_mqtt_login() {
  local pcap=$OUT/mqtt-login.pcap
  net_up; static_d1
  : >"$WORK/mosq.passwd"
  mosquitto_passwd -b "$WORK/mosq.passwd" plug-7f3a 'Hunter2-mqtt!' 2>/dev/null
  cat >"$WORK/mosq-plain.conf" <<EOF
user root
per_listener_settings false
allow_anonymous false
password_file $WORK/mosq.passwd
persistence false
log_dest stdout
listener 1883 $BROKER_PLAIN
EOF
  spawn $NS_CL mosquitto -c "$WORK/mosq-plain.conf" >"$WORK/mosq-plain.log" 2>&1
  dnsmasq_start
  echo "nameserver $RT_IP" >"$WORK/d1-resolv.conf"
  capture_start sw-d1 "$pcap"
  WORK=$WORK nsx $NS_D1 sh -c '
    mount --bind "$WORK/d1-resolv.conf" /etc/resolv.conf
    H=mqtt.plugcloud.example
    mosquitto_sub -h $H -V mqttv311 -u plug-7f3a -P "Hunter2-mqtt!" -i plug-7f3a-sub -k 10 -t "plug/7f3a/#" -W 45 >"$WORK/sub2.out" 2>&1 &
    sleep 3
    mosquitto_pub -h $H -V mqttv31 -u plug-7f3a -P "Hunter2-mqtt!" -i plug-7f3a-a -t plug/7f3a/state -m on
    sleep 2
    mosquitto_pub -h $H -V mqttv5 -u plug-7f3a -P "Hunter2-mqtt!" -i plug-7f3a-b -t plug/7f3a/state -m off
    sleep 2
    mosquitto_pub -h $H -V mqttv311 -u plug-7f3a -P "wrong-password" -i plug-7f3a-c -t plug/7f3a/state -m x || true
    sleep 2
    mosquitto_pub -h $H -V mqttv311 -u plug-7f3a -P "Hunter2-mqtt!" -i plug-7f3a-d -t plug/7f3a/state -m on
    wait
  '
  capture_stop "$pcap"
  cleanup
}

# 6. A LAN camera (d2) with nginx on 80 and sshd on 22; a phone (d1) fetches
#    its page every 3 s ten times with curl and logs in over ssh once (key).
sc_lan_cam() {
  local pcap=$OUT/lan-cam.pcap
  net_up; static_d1; static_d2
  mkdir -p "$WORK/www" "$WORK/ssh"
  echo '<html><title>IPCam</title><body>live</body></html>' >"$WORK/www/index.html"
  cat >"$WORK/nginx.conf" <<EOF
daemon off; pid $WORK/nginx.pid; error_log $WORK/nginx.err;
events {}
http { access_log off; server { listen $D2_IP:80; root $WORK/www;
  location /snapshot { return 200 "jpegbytes\n"; } } }
EOF
  [[ -s $WORK/ssh/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/host_ed25519"
  [[ -s $WORK/ssh/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/client_ed25519"
  cp "$WORK/ssh/client_ed25519.pub" "$WORK/ssh/authorized_keys"; chmod 600 "$WORK/ssh/authorized_keys"
  cat >"$WORK/sshd.conf" <<EOF
ListenAddress $D2_IP
HostKey $WORK/ssh/host_ed25519
PidFile $WORK/sshd.pid
AuthorizedKeysFile $WORK/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
  spawn $NS_D2 nginx -c "$WORK/nginx.conf"
  # sshd wants /run/sshd: give it a private /run in its mount namespace
  spawn $NS_D2 sh -c "mount -t tmpfs iothrun /run && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -f '$WORK/sshd.conf'"
  sleep 1
  capture_start sw-d2 "$pcap"
  for i in $(seq 1 10); do
    nsx $NS_D1 curl -s -A 'HomeApp/3.2 (Android 13)' -o /dev/null "http://$D2_IP/snapshot"; sleep 3
  done
  nsx $NS_D1 ssh -i "$WORK/ssh/client_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes root@$D2_IP 'uname -s' >"$WORK/ssh.out" 2>&1 || true
  capture_stop "$pcap"
  cleanup
}

# 7. A DHCP server that is not the router (a Pi-hole or a home server running
#    dnsmasq): dnsmasq on the other device (d2) leases the device an address,
#    naming the router (192.168.18.1) in option 3 and itself as resolver; the
#    device then pings the router three times and asks the resolver one name.
sc_dhcp_pihole() {
  local pcap=$OUT/dhcp-pihole.pcap
  net_up; static_d2
  rm -f "$WORK/pihole.leases"
  spawn $NS_D2 dnsmasq -k -u root --conf-file=/dev/null --interface=d2-eth --bind-interfaces \
    --no-resolv --no-hosts --pid-file="$WORK/pihole.pid" --dhcp-leasefile="$WORK/pihole.leases" \
    --log-facility="$WORK/pihole.log" --log-dhcp \
    --host-record=router.home.lan,$RT_IP \
    --dhcp-range=192.168.18.100,192.168.18.150,12h --dhcp-option=option:router,$RT_IP \
    --dhcp-option=option:dns-server,$D2_IP --dhcp-authoritative
  sleep 1
  udhcpc_script
  capture_start sw-d1 "$pcap"
  nsx $NS_D1 udhcpc -i d1-eth -f -q -n -t 5 -x hostname:hall-sensor -s "$WORK/udhcpc.script" \
    >"$WORK/udhcpc.log" 2>&1
  nsx $NS_D1 ping -c 3 -i 1 $RT_IP >"$WORK/ping.log" 2>&1
  nsx $NS_D1 busybox nslookup router.home.lan $D2_IP >"$WORK/nslookup.log" 2>&1 || true
  capture_stop "$pcap"
  cleanup
}

ALL=(dhcp-mqtts coap mdns ntp mqtt-login lan-cam dhcp-pihole)
[[ $# -gt 0 ]] && ALL=("$@")
for s in "${ALL[@]}"; do
  log "scenario $s"
  "sc_${s//-/_}"
done
log done
