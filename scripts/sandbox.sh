#!/usr/bin/env bash
# A sandbox of Docker hosts on this machine: the docker-machine VMs of the classic swarm
# tutorial, as dockerd instances that each live in their own network namespace (own
# hostname node1..nodeN, data dir and unix socket) and reach each other over one bridge.
#
#   scripts/sandbox.sh up      start NODES engines (idempotent: a running sandbox is reused)
#   scripts/sandbox.sh swarm   make node1 a manager and join the others as workers (docker CLI)
#   scripts/sandbox.sh down    stop every engine, remove namespaces, bridge, data
#   scripts/sandbox.sh env     print NODE<i>_SOCK / NODE<i>_ADDR lines for the running sandbox
#   scripts/sandbox.sh stop-node N   stop node N's engine (a host going away); `up` restarts it
#
# Settings (environment): SANDBOX_NAME (default flt, at most 8 characters; tests pick their
# own so they never touch a user's sandbox), NODES (default 3), SANDBOX_SUBNET (first three
# octets, default 10.210.0; node i gets .1i, the bridge .1), SANDBOX_TLS=1 (each engine
# also listens on tcp://ADDR:2376 with --tlsverify; CA and client material in /run/NAME/tls),
# SANDBOX_REGISTRY=HOST:PORT (a registry without TLS the engines may pull from and push to,
# as scripts/registry.sh starts one on the bridge).
#
# Nothing here touches the default engine at /var/run/docker.sock.
set -euo pipefail

name=${SANDBOX_NAME:-flt}
nodes=${NODES:-3}
subnet=${SANDBOX_SUBNET:-10.210.0}
image=${SANDBOX_IMAGE:-local/busybox:1}
run_dir=/run/$name
data_dir=/var/lib/$name
bridge=$name-br
docker_cli=${DOCKER_CLI:-docker}
tls=${SANDBOX_TLS:-0}
tls_dir=$run_dir/tls
registry=${SANDBOX_REGISTRY:-}

say() { printf 'sandbox[%s]: %s\n' "$name" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "${#name}" -le 8 ] || die "SANDBOX_NAME must be at most 8 characters (network interface names are short)"
[[ "$nodes" =~ ^[1-9][0-9]?$ ]] || die "NODES must be a number from 1 to 99"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces and dockerd)"
for tool in dockerd ip nsenter unshare iptables "$docker_cli"; do
  command -v "$tool" >/dev/null || die "$tool is missing; run scripts/setup.sh (or: apt-get install -y docker.io iproute2 iptables)"
done

ns_of() { echo "$name-node$1"; }
sock_of() { echo "$run_dir/node$1.sock"; }
addr_of() { echo "$subnet.$((10 + $1))"; }
engine() { local i=$1; shift; "$docker_cli" -H "unix://$(sock_of "$i")" "$@"; }
answers() { engine "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

bridge_up() {
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  # Once any dockerd runs on the host, FORWARD drops by default and bridged frames pass
  # through iptables, so nodes could not reach each other (swarm join would time out).
  iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT
}

namespace_up() {
  local i=$1 ns veth
  ns=$(ns_of "$i")
  veth=$name-v$i
  [ -e "/var/run/netns/$ns" ] || ip netns add "$ns"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$bridge" up
    ip -n "$ns" addr add "$(addr_of "$i")/24" dev eth0
  fi
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  # No default route on purpose: registry look-ups then fail at once instead of hanging
  # for a DNS time-out, and a node can only ever talk to its sandbox neighbours.
}

# A throw-away CA, one server certificate per node (for its IP) and one client certificate.
tls_material() {
  [ -e "$tls_dir/cert.pem" ] && return 0
  command -v openssl >/dev/null || die "openssl is missing (apt-get install -y openssl)"
  mkdir -p "$tls_dir" && chmod 700 "$tls_dir"
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes) i
  openssl req -x509 "${key[@]}" -keyout "$tls_dir/ca-key.pem" -out "$tls_dir/ca.pem" \
    -days 2 -subj "/CN=$name sandbox CA" 2>/dev/null
  sign() { # name subject extensions
    openssl req "${key[@]}" -keyout "$tls_dir/$1-key.pem" -out "$tls_dir/$1.csr" -subj "/CN=$2" 2>/dev/null
    openssl x509 -req -in "$tls_dir/$1.csr" -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca-key.pem" \
      -CAcreateserial -out "$tls_dir/$1-cert.pem" -days 2 -extfile <(printf '%s\n' "$3") 2>/dev/null
  }
  for i in $(seq 1 "$nodes"); do
    sign "node$i" "node$i" "subjectAltName=IP:$(addr_of "$i")
extendedKeyUsage=serverAuth"
  done
  sign client client "extendedKeyUsage=clientAuth"
  mv "$tls_dir/client-cert.pem" "$tls_dir/cert.pem"
  mv "$tls_dir/client-key.pem" "$tls_dir/key.pem"
}

tls_flags() {
  [ "$tls" = 1 ] || return 0
  printf "%s " -H "tcp://$(addr_of "$1"):2376" --tlsverify --tlscacert "$tls_dir/ca.pem" \
    --tlscert "$tls_dir/node$1-cert.pem" --tlskey "$tls_dir/node$1-key.pem"
}

engine_up() {
  local i=$1 ns
  ns=$(ns_of "$i")
  if answers "$i"; then return 0; fi
  mkdir -p "$run_dir" "$data_dir/node$i"
  rm -f "$(sock_of "$i")"
  # `ip netns exec` would hide the cgroup mounts dockerd needs; nsenter enters only the
  # network namespace, unshare gives the node its own hostname.
  nsenter --net="/var/run/netns/$ns" unshare --uts sh -c "hostname node$i; exec setsid dockerd \
      --data-root '$data_dir/node$i' --exec-root '$run_dir/node$i' \
      -H 'unix://$(sock_of "$i")' $(tls_flags "$i") ${registry:+--insecure-registry "$registry"} \
      --pidfile '$run_dir/node$i.pid' --bridge none \
      --containerd-namespace '$name-node$i' --containerd-plugins-namespace '$name-node$i-plugins' \
      >'$run_dir/node$i.log' 2>&1" </dev/null &
}

wait_for_engine() {
  local i=$1 tries=0
  until answers "$i"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 120 ]; then
      tail -n 20 "$run_dir/node$i.log" >&2 || true
      die "node$i did not answer on $(sock_of "$i") within 60 s (log: $run_dir/node$i.log)"
    fi
    sleep 0.5
  done
}

cmd_up() {
  say "starting $nodes engines on bridge $bridge ($subnet.0/24)"
  bridge_up
  [ "$tls" = 1 ] && tls_material
  local i pid
  for i in $(seq 1 "$nodes"); do namespace_up "$i"; engine_up "$i"; done
  for i in $(seq 1 "$nodes"); do wait_for_engine "$i"; done
  local loads=()
  for i in $(seq 1 "$nodes"); do
    DOCKER_CLI=$docker_cli "$(dirname "$0")/import-image.sh" "unix://$(sock_of "$i")" "$image" & loads+=($!)
  done
  # Only the image loads: a bare `wait` would also wait for the engines themselves.
  for pid in "${loads[@]}"; do wait "$pid"; done
  for i in $(seq 1 "$nodes"); do say "node$i: $(addr_of "$i") unix://$(sock_of "$i")"; done
}

cmd_swarm() {
  local i token
  if [ "$(engine 1 info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    engine 1 swarm init --advertise-addr "$(addr_of 1)" --listen-addr "$(addr_of 1):2377" >/dev/null
  fi
  token=$(engine 1 swarm join-token -q worker)
  for i in $(seq 2 "$nodes"); do
    if [ "$(engine "$i" info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
      engine "$i" swarm join --token "$token" --advertise-addr "$(addr_of "$i")" \
        --listen-addr "$(addr_of "$i"):2377" "$(addr_of 1):2377" >/dev/null
    fi
  done
  say "swarm: node1 manages $nodes nodes"
}

stop_pid() {
  local pid=$1 tries=0
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 30 ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
    sleep 0.5
  done
}

cmd_down() {
  local ns pid i
  for pidfile in "$run_dir"/node*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    [ -n "$pid" ] && stop_pid "$pid"
  done
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$name-node[0-9]+$" || true); do
    # Whatever still runs in the namespace (containerd, shims, task processes) goes too.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  for i in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^$name-v[0-9]+$" || true); do
    ip link del "$i" 2>/dev/null || true
  done
  # Mounts left behind by killed engines (overlay layers, netns handles) block removal.
  awk -v a="$data_dir" -v b="$run_dir" '$2 ~ "^"a"/" || $2 ~ "^"b"/" {print $2}' /proc/mounts |
    sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge"; fi
  while iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; do
    iptables -D FORWARD -i "$bridge" -o "$bridge" -j ACCEPT
  done
  rm -rf "$run_dir" "$data_dir"
  say "removed"
}

cmd_stop_node() {
  local i=$1 pid
  pid=$(cat "$run_dir/node$i.pid" 2>/dev/null || true)
  [ -n "$pid" ] || die "node$i has no running engine"
  stop_pid "$pid"
  say "node$i: engine stopped"
}

cmd_env() {
  local i
  for i in $(seq 1 "$nodes"); do
    echo "NODE${i}_SOCK=unix://$(sock_of "$i")"
    echo "NODE${i}_ADDR=$(addr_of "$i")"
    [ -e "$tls_dir/cert.pem" ] && echo "NODE${i}_TLS_URL=tcp://$(addr_of "$i"):2376"
  done
  [ -e "$tls_dir/cert.pem" ] && echo "TLS_DIR=$tls_dir"
  return 0
}

case "${1:-}" in
  up) cmd_up ;;
  swarm) cmd_swarm ;;
  down) cmd_down ;;
  env) cmd_env ;;
  stop-node) cmd_stop_node "${2:?usage: $0 stop-node N}" ;;
  *) echo "usage: $0 up|swarm|down|env|stop-node N  (SANDBOX_NAME, NODES, SANDBOX_SUBNET)" >&2; exit 2 ;;
esac
