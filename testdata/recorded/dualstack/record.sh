#!/usr/bin/env bash
# Record a small dual-stack home network with real Debian programs (no
# hand-made packets), to test iotscope's IPv6 handling: a network's own global
# prefix, temporary addresses, names looked up from one address and used from another.
#
# Usage (as root): testdata/recorded/dualstack/record.sh [SECONDS] [MODE]   (default 130, MODE=https)
#   Output: dualstack.pcap beside this script (captured on the router's bridge)
#   MODE=mqtt (e.g. `record.sh 50 mqtt`): dualstack-mqtt.pcap instead; the plug publishes
#   MQTT in clear over IPv4 to mqtt.plugcloud.example (an A-only name) every 5 s, the
#   name resolved through the IPv6 RDNSS fd97::1 (query from a ULA address), no SNI / Host.
#
# Topology (all inside network namespaces made here; nothing leaves them):
#
#   rvb-plug  (24:0a:c4 Espressif)  rvb-plug0 ──rvb-plug1─┐
#   rvb-cam   (c0:56:e3 Hikvision)  rvb-cam0  ──rvb-cam1 ─┤ rvb-br0 (bridge in rvb-rt,
#   rvb-phone (f0:18:98 Apple)      rvb-phone0──rvb-phone1┘  ageing 0 = hub, tcpdump here)
#   rvb-rt: rvb-br0 3c:a6:2f (AVM) 10.97.0.1/24, fd97::1/64, 2a02:8071:97:10::1/64
#           dnsmasq: DHCPv4, DNS (A+AAAA), RA (ULA prefix slaac+DHCPv6, GUA prefix
#           ra-stateless), RDNSS fd97::1; chronyd NTP server on v4+v6.
#   rvb-rt rvb-rtwan 10.97.255.1/30, 2001:db8:97:ffff::1/64 <-> rvb-clwan (rvb-cloud)
#   rvb-cloud lo: 3.64.97.10 / 2a05:d014:97:a00::10  api.plugcloud.example
#                 3.64.97.20 / 2a05:d014:97:a00::20  push.phoneapp.example
#                 2a05:d014:97:a00::66               (bare address, no DNS name)
#   nginx in rvb-cloud: 80 and 443 (self-made cert) on all addresses.
#   The router forwards without NAT (v4 and v6); the cloud routes back.
#
# Behaviour:
#   plug:  udhcpc (hostname smart-plug), SLAAC + temporary (privacy) addresses
#          (temp_prefered_lft 90 s so they rotate), rdisc6 -> RDNSS -> resolv.conf,
#          HTTPS over v6 every 10 s and HTTP over v4 every 15 s to
#          api.plugcloud.example, chronyd client of fd97::1 (NTP over v6).
#   cam:   udhcpc (hostname garden-cam), SLAAC (EUI-64, no temp), avahi-daemon
#          announcing _http._tcp over v4+v6, nginx on [::]:80 and 0.0.0.0:80,
#          POSTs a snapshot every 15 s to http://[2a05:d014:97:a00::66]/upload.
#   phone: udhcpc (hostname Lucas-iPhone), SLAAC + temp, dhclient -6 (stateful
#          DHCPv6 address), avahi-daemon + avahi-browse/-resolve, fetches the
#          camera's page over v4, link-local and global v6, HTTPS to push.phoneapp.example.
set -euo pipefail

OUT=${OUT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
DUR=${1:-130}
MODE=${2:-https}
WORK=$(mktemp -d /tmp/rvb-work.XXXXXX)
PCAP=$OUT/dualstack.pcap
[[ $MODE == mqtt ]] && PCAP=$OUT/dualstack-mqtt.pcap

NS_RT=rvb-rt NS_CL=rvb-cloud NS_PLUG=rvb-plug NS_CAM=rvb-cam NS_PHONE=rvb-phone
DEVS=(plug cam phone)
declare -A MAC=([plug]=24:0a:c4:97:00:10 [cam]=c0:56:e3:97:00:20 [phone]=f0:18:98:97:00:30)
MAC_RT=3c:a6:2f:97:00:01
GUA=2a02:8071:97:10 ULA=fd97:
C_PLUG4=3.64.97.10 C_PLUG6=2a05:d014:97:a00::10
C_PHONE4=3.64.97.20 C_PHONE6=2a05:d014:97:a00::20
C_BARE6=2a05:d014:97:a00::66

log() { printf '[record %(%T)T] %s\n' -1 "$*" >&2; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
PIDS=()
CAP_PID=
ALLNS="$NS_PLUG $NS_CAM $NS_PHONE $NS_RT $NS_CL"
cleanup() {
  set +e
  [[ -n $CAP_PID ]] && { kill -TERM "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; }
  CAP_PID=
  local p ns
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  PIDS=()
  for ns in $ALLNS; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  sleep 0.3
  for ns in $ALLNS; do ip netns del $ns 2>/dev/null; rm -rf /etc/netns/$ns; done
  return 0
}
trap 'cleanup; cp -r "$WORK" $OUT/last-run-logs 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
spawn() { ip netns exec "$@" & PIDS+=($!); }

# ------------------------------------------------------------------ network
cleanup
for ns in $ALLNS; do ip netns add $ns; nsx $ns ip link set lo up; done
nsx $NS_RT ip link add rvb-br0 type bridge
nsx $NS_RT ip link set rvb-br0 address $MAC_RT
# ageing_time 0: the bridge floods every frame, so tcpdump on rvb-br0 sees the
# LAN like a mirror port; no IGMP/MLD snooping (multicast reaches everyone).
nsx $NS_RT ip link set rvb-br0 type bridge stp_state 0 forward_delay 0 ageing_time 0 mcast_snooping 0
for d in "${DEVS[@]}"; do
  ip link add rvb-${d}0 type veth peer name rvb-${d}1
  ip link set rvb-${d}0 netns rvb-$d; ip link set rvb-${d}1 netns $NS_RT
  nsx $NS_RT sysctl -qw net.ipv6.conf.rvb-${d}1.disable_ipv6=1
  nsx $NS_RT ip link set rvb-${d}1 master rvb-br0
  nsx $NS_RT ip link set rvb-${d}1 up
  nsx rvb-$d ip link set rvb-${d}0 address ${MAC[$d]}
done
ip link add rvb-rtwan type veth peer name rvb-clwan
ip link set rvb-rtwan netns $NS_RT; ip link set rvb-clwan netns $NS_CL
nsx $NS_RT sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx $NS_RT ip addr add 10.97.0.1/24 dev rvb-br0
nsx $NS_RT ip -6 addr add ${ULA}:1/64 dev rvb-br0 nodad
nsx $NS_RT ip -6 addr add $GUA::1/64 dev rvb-br0 nodad
nsx $NS_RT ip link set rvb-br0 up
nsx $NS_RT ip addr add 10.97.255.1/30 dev rvb-rtwan
nsx $NS_RT ip -6 addr add 2001:db8:97:ffff::1/64 dev rvb-rtwan nodad
nsx $NS_RT ip link set rvb-rtwan up
nsx $NS_RT ip route add 3.64.97.0/24 via 10.97.255.2
nsx $NS_CL ip addr add 10.97.255.2/30 dev rvb-clwan
nsx $NS_CL ip -6 addr add 2001:db8:97:ffff::2/64 dev rvb-clwan nodad
nsx $NS_CL ip link set rvb-clwan up
nsx $NS_RT ip -6 route add 2a05:d014:97::/48 via 2001:db8:97:ffff::2
for a in $C_PLUG4 $C_PHONE4; do nsx $NS_CL ip addr add $a/32 dev lo; done
for a in $C_PLUG6 $C_PHONE6 $C_BARE6; do nsx $NS_CL ip -6 addr add $a/128 dev lo; done
nsx $NS_CL ip route add 10.97.0.0/24 via 10.97.255.1
nsx $NS_CL ip -6 route add $GUA::/64 via 2001:db8:97:ffff::1
nsx $NS_CL ip -6 route add ${ULA}:/64 via 2001:db8:97:ffff::1

# device IPv6 settings before the links come up
for d in plug phone; do
  nsx rvb-$d sysctl -qw net.ipv6.conf.rvb-${d}0.use_tempaddr=2 \
    net.ipv6.conf.rvb-${d}0.temp_prefered_lft=90 net.ipv6.conf.rvb-${d}0.temp_valid_lft=300
done
nsx $NS_CAM sysctl -qw net.ipv6.conf.rvb-cam0.use_tempaddr=0

# --------------------------------------------------------------- certificate
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -keyout "$WORK/cloud.key" -out "$WORK/cloud.crt" \
  -subj "/O=Example Cloud/CN=api.plugcloud.example" \
  -addext "subjectAltName=DNS:api.plugcloud.example,DNS:push.phoneapp.example" 2>/dev/null

# ------------------------------------------------------------------ servers
mkdir -p "$WORK/www-cloud" "$WORK/www-cam" "$WORK/ngx-cloud" "$WORK/ngx-cam"
mkdir -p "$WORK/www-cloud/api/v1"; echo '{"relay":"on","fw":"1.4.2"}' >"$WORK/www-cloud/api/v1/status"
echo ok >"$WORK/www-cloud/index.html"
echo '<html><title>Garden Cam</title><body>live</body></html>' >"$WORK/www-cam/index.html"
cat >"$WORK/nginx-cloud.conf" <<EOF
daemon off; pid $WORK/ngx-cloud/nginx.pid; error_log $WORK/ngx-cloud/err;
events {}
http { access_log off; client_body_temp_path $WORK/ngx-cloud;
  server { listen 80; listen [::]:80; listen 443 ssl; listen [::]:443 ssl;
    ssl_certificate $WORK/cloud.crt; ssl_certificate_key $WORK/cloud.key;
    root $WORK/www-cloud;
    location /upload { client_max_body_size 1m; return 201 "stored\n"; }
    location /api/v1/telemetry { return 204; } } }
EOF
cat >"$WORK/nginx-cam.conf" <<EOF
daemon off; pid $WORK/ngx-cam/nginx.pid; error_log $WORK/ngx-cam/err;
events {}
http { access_log off; client_body_temp_path $WORK/ngx-cam;
  server { listen 80; listen [::]:80; root $WORK/www-cam;
    location /snapshot.jpg { return 200 "jpegbytes\n"; } } }
EOF
spawn $NS_CL nginx -c "$WORK/nginx-cloud.conf"
printf 'user root\nallow_anonymous true\npersistence false\nlistener 1883\n' >"$WORK/mosq.conf"
[[ $MODE == mqtt ]] && spawn $NS_CL mosquitto -c "$WORK/mosq.conf" >"$WORK/mosq.log" 2>&1

dnsmasq_args=(-k -u root --conf-file=/dev/null --interface=rvb-br0 --bind-interfaces
  --no-resolv --no-hosts --pid-file="$WORK/dnsmasq.pid" --dhcp-leasefile="$WORK/dnsmasq.leases"
  --log-facility="$WORK/dnsmasq.log" --log-queries --log-dhcp
  --domain=home.lan --local=/home.lan/
  --dhcp-range=10.97.0.100,10.97.0.150,12h --dhcp-option=option:router,10.97.0.1
  --dhcp-option=option:dns-server,10.97.0.1 --dhcp-authoritative
  --enable-ra --ra-param=rvb-br0,10,600
  --dhcp-range=${ULA}:1000,${ULA}:1fff,slaac,64,12h
  --dhcp-range=$GUA::,ra-stateless,64,12h
  --dhcp-option=option6:dns-server,[${ULA}:1]
  --host-record=api.plugcloud.example,$C_PLUG4,$C_PLUG6
  --host-record=mqtt.plugcloud.example,$C_PLUG4
  --host-record=push.phoneapp.example,$C_PHONE4,$C_PHONE6
  --host-record=router.home.lan,10.97.0.1,${ULA}:1)
spawn $NS_RT dnsmasq "${dnsmasq_args[@]}"
cat >"$WORK/chrony-srv.conf" <<EOF
local stratum 8
allow all
cmdport 0
pidfile $WORK/chrony-srv.pid
EOF
spawn $NS_RT chronyd -x -d -f "$WORK/chrony-srv.conf" >"$WORK/chrony-srv.log" 2>&1
sleep 2

# ------------------------------------------------------------------ capture
rm -f "$PCAP"
nsx $NS_RT tcpdump -i rvb-br0 -s 0 -U -n -w "$PCAP" 2>"$WORK/tcpdump.log" &
CAP_PID=$!
sleep 1.5
T0=$(date +%s)
left() { echo $(( DUR - ($(date +%s) - T0) )); }

# links come up now: DAD, MLD reports, router solicitations happen naturally
for d in "${DEVS[@]}"; do nsx rvb-$d ip link set rvb-${d}0 up; done

cat >"$WORK/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; done ;;
esac
exit 0
EOF
chmod 755 "$WORK/udhcpc.script"
sleep 1
nsx $NS_PLUG udhcpc -i rvb-plug0 -f -q -n -t 5 -x hostname:smart-plug -V "ESP32-SmartPlug/1.4.2" -s "$WORK/udhcpc.script" >"$WORK/udhcpc-plug.log" 2>&1 & u1=$!
nsx $NS_CAM udhcpc -i rvb-cam0 -f -q -n -t 5 -x hostname:garden-cam -s "$WORK/udhcpc.script" >"$WORK/udhcpc-cam.log" 2>&1 & u2=$!
nsx $NS_PHONE udhcpc -i rvb-phone0 -f -q -n -t 5 -x hostname:Lucas-iPhone -s "$WORK/udhcpc.script" >"$WORK/udhcpc-phone.log" 2>&1 & u3=$!
wait $u1 $u2 $u3 || true
sleep 3

# resolv.conf per device (ip netns exec bind-mounts /etc/netns/NS/resolv.conf)
mkdir -p /etc/netns/$NS_PLUG /etc/netns/$NS_CAM /etc/netns/$NS_PHONE
nsx $NS_PLUG rdisc6 rvb-plug0 >"$WORK/rdisc6.out" 2>&1 || true
rdnss=$(sed -n 's/.*Recursive DNS server *: *//p' "$WORK/rdisc6.out" | head -1)
echo "nameserver ${rdnss:-${ULA}:1}" >/etc/netns/$NS_PLUG/resolv.conf
echo "nameserver 10.97.0.1" >/etc/netns/$NS_CAM/resolv.conf
printf 'nameserver %s\nnameserver 10.97.0.1\n' "${rdnss:-${ULA}:1}" >/etc/netns/$NS_PHONE/resolv.conf
log "RDNSS from RA: ${rdnss:-none}"

# phone: stateful DHCPv6
cat >"$WORK/dhclient6.sh" <<'EOF'
#!/bin/sh
case "$reason" in
  BOUND6|RENEW6|REBIND6) [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/128" dev "$interface" ;;
esac
exit 0
EOF
chmod 755 "$WORK/dhclient6.sh"
spawn $NS_PHONE dhclient -6 -d -sf "$WORK/dhclient6.sh" -lf "$WORK/dhclient6.leases" -pf "$WORK/dhclient6.pid" rvb-phone0 >"$WORK/dhclient6.log" 2>&1

# avahi in camera and phone, each with private /run and services dir
mkdir -p "$WORK/cam-services" "$WORK/empty-services"
cat >"$WORK/cam-services/http.service" <<'EOF'
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name replace-wildcards="yes">Garden Camera on %h</name>
  <service><type>_http._tcp</type><port>80</port><txt-record>path=/snapshot.jpg</txt-record></service>
</service-group>
EOF
avahi_ns() { # ns hostname ifname servicesdir tag [then]
  cat >"$WORK/$5-avahi.conf" <<EOF
[server]
host-name=$2
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=$3
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=yes
publish-a-on-ipv6=no
[reflector]
[rlimits]
EOF
  spawn "$1" sh -c "
    mount -t tmpfs rvbrun /run && mkdir -p /run/dbus /run/avahi-daemon
    mount --bind '$4' /etc/avahi/services
    dbus-daemon --system --nofork --nopidfile &
    sleep 1
    avahi-daemon --no-drop-root --no-chroot -f '$WORK/$5-avahi.conf' &
    ${6:-}
    wait
  "
}
avahi_ns $NS_CAM garden-cam rvb-cam0 "$WORK/cam-services" cam
spawn $NS_CAM nginx -c "$WORK/nginx-cam.conf"

CAM4=$(nsx $NS_CAM ip -4 -o addr show dev rvb-cam0 | awk '{print $4}' | cut -d/ -f1)
CAMLL=$(nsx $NS_CAM ip -6 -o addr show dev rvb-cam0 scope link | awk '{print $4}' | cut -d/ -f1)
CAMG=$(nsx $NS_CAM ip -6 -o addr show dev rvb-cam0 scope global | awk '$4 ~ /^2a02/ {print $4}' | cut -d/ -f1)
log "camera: $CAM4 $CAMLL $CAMG"
printf 'CAM4=%s\nCAMLL=%s\nCAMG=%s\n' "$CAM4" "$CAMLL" "$CAMG" >"$OUT/addresses.txt"
for d in "${DEVS[@]}"; do
  echo "== $d" >>"$OUT/addresses.txt"; nsx rvb-$d ip -o addr show dev rvb-${d}0 >>"$OUT/addresses.txt"
done

# plug: NTP over v6 to the router
cat >"$WORK/chrony-plug.conf" <<EOF
server ${ULA}:1 iburst minpoll 4 maxpoll 4
cmdport 0
pidfile $WORK/chrony-plug.pid
EOF
spawn $NS_PLUG timeout $(( $(left) - 5 )) chronyd -x -d -f "$WORK/chrony-plug.conf" >"$WORK/chrony-plug.log" 2>&1

# plug: HTTPS over v6 every 5 s, HTTP over v4 every 15 s (MODE=mqtt: MQTT over v4 every 5 s)
if [[ $MODE == mqtt ]]; then
spawn $NS_PLUG sh -c "
  end=\$(( \$(date +%s) + $(left) - 8 ))
  while [ \$(date +%s) -lt \$end ]; do
    mosquitto_pub -h mqtt.plugcloud.example -p 1883 -i smart-plug-7f3a -t plug/7f3a/power -m '{\"power_w\":42}'
    sleep 5
  done" >"$WORK/plug.log" 2>&1
else
spawn $NS_PLUG sh -c "
  end=\$(( \$(date +%s) + $(left) - 8 ))
  n=0
  while [ \$(date +%s) -lt \$end ]; do
    curl -6 -s --cacert '$WORK/cloud.crt' -A 'SmartPlug/1.4.2' -o /dev/null https://api.plugcloud.example/api/v1/status
    if [ \$((n % 3)) -eq 0 ]; then
      curl -4 -s -A 'SmartPlug/1.4.2' -o /dev/null -d '{\"power_w\":42}' http://api.plugcloud.example/api/v1/telemetry
    fi
    n=\$((n+1)); sleep 5
  done" >"$WORK/plug.log" 2>&1
fi

# camera: snapshot upload to a bare IPv6 address (no DNS), every 15 s
head -c 3000 /dev/urandom | base64 >"$WORK/snap.txt"
spawn $NS_CAM sh -c "
  end=\$(( \$(date +%s) + $(left) - 8 ))
  while [ \$(date +%s) -lt \$end ]; do
    curl -s -g -A 'GardenCam/2.0' -o /dev/null --data-binary @'$WORK/snap.txt' 'http://[$C_BARE6]/upload'
    sleep 15
  done" >"$WORK/cam.log" 2>&1

# phone: mDNS browse/resolve, then the camera's page over v4, link-local, global v6
avahi_ns $NS_PHONE lucas-iphone rvb-phone0 "$WORK/empty-services" phone \
  "sleep 4; avahi-browse -a -r -t -p >'$WORK/avahi-browse.out' 2>&1; avahi-resolve -6 -n garden-cam.local >>'$WORK/avahi-browse.out' 2>&1; avahi-resolve -4 -n garden-cam.local >>'$WORK/avahi-browse.out' 2>&1"
sleep 12
spawn $NS_PHONE sh -c "
  curl -s --cacert '$WORK/cloud.crt' -o /dev/null https://push.phoneapp.example/
  for i in 1 2 3 4 5 6; do
    curl -s -A 'HomeApp/3.2 (iPhone)' -o /dev/null http://$CAM4/snapshot.jpg
    curl -s -g -A 'HomeApp/3.2 (iPhone)' -o /dev/null 'http://[$CAMLL%rvb-phone0]/snapshot.jpg'
    curl -s -g -A 'HomeApp/3.2 (iPhone)' -o /dev/null 'http://[$CAMG]/snapshot.jpg'
    sleep 5
  done
  curl -s --cacert '$WORK/cloud.crt' -o /dev/null https://push.phoneapp.example/" >"$WORK/phone.log" 2>&1

l=$(left); [[ $l -gt 0 ]] && sleep $l
for d in "${DEVS[@]}"; do
  echo "== $d (end)" >>"$OUT/addresses.txt"; nsx rvb-$d ip -o addr show dev rvb-${d}0 >>"$OUT/addresses.txt"
done
sleep 1
kill -TERM "$CAP_PID"; wait "$CAP_PID" 2>/dev/null || true; CAP_PID=
chmod 644 "$PCAP"
log "wrote $PCAP ($(stat -c %s "$PCAP") bytes)"
