# shellcheck shell=bash
# The namespaced topology (`network.sh up --hosts`): each organisation on a host of its own, as a Linux
# network namespace `kl-<org>` with its own address and host name (<org>.kyc.lab, in /etc/netns/kl-<org>/
# hosts, which `ip netns exec` shows as /etc/hosts), joined by a bridge that lives in a namespace of its own
# (kl-bridge). Clients (the admin CLIs, health checks, tests) run in a namespace too: an org's own, or kl-ops.
#
# Safety, as a rule of these functions: the host gets a `blackhole` route for the whole lab subnet before any
# lab address exists, and teardown removes it last, so no packet for a lab address ever follows the host's
# default route. Nothing in the host's own namespace has a lab address or resolves a lab name.

HOSTS=false # the instance's topology: false = loopback (127.0.0.1), true = namespaces (instance.env HOSTS)
LAB_SUBNET=${KYC_LAB_SUBNET:-10.213.0.0/24}
LAB_DOMAIN=kyc.lab
LAB_BRIDGE_NS=kl-bridge
LAB_CLIENT_NS=kl-ops
LAB_OWNER_FILE="$NETWORK_DIR/data/.lab-owner"

lab_prefix() { printf '%s\n' "${LAB_SUBNET%.*}"; } # 10.213.0
lab_ns() { printf 'kl-%s\n' "$1"; }                 # <org or ops>
lab_state() { printf '%s/lab-addresses\n' "$DATA_DIR"; }

# Where others reach <org>'s processes, and where they listen.
org_host() { if $HOSTS; then printf '%s.%s\n' "$1" "$LAB_DOMAIN"; else printf '127.0.0.1\n'; fi; }
node_host() { org_host "${NODE_ORG[$1]}"; }
listen_host() { if $HOSTS; then printf '0.0.0.0\n'; else printf '127.0.0.1\n'; fi; }

# Runs <command...> on <org>'s host (its namespace), or here in the loopback topology.
in_org_ns() { # <org> <command...>
  local org=$1
  shift
  if $HOSTS; then ip netns exec "$(lab_ns "$org")" "$@"; else "$@"; fi
}
in_node_ns() { # <node> <command...>
  local node=$1
  shift
  in_org_ns "${NODE_ORG[$node]}" "$@"
}

lab_route_is_blackhole() {
  ip route show type blackhole "$LAB_SUBNET" 2>/dev/null | grep -q .
}

lab_ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

# The lab address of <name> (an org or ops), assigned once per instance and kept in network/data.
lab_address() { # <name>
  local file used n
  file=$(lab_state)
  if [ -f "$file" ] && grep -q "^$1 " "$file"; then
    sed -n "s/^$1 //p" "$file"
    return 0
  fi
  used=$(cut -d' ' -f2 "$file" 2>/dev/null | sed 's/.*\.//' | tr '\n' ' ')
  for ((n = 10; n < 250; n++)); do
    [[ " $used " == *" $n "* ]] || break
  done
  [ "$1" != ops ] || n=2
  printf '%s %s.%s\n' "$1" "$(lab_prefix)" "$n" >>"$file"
  printf '%s.%s\n' "$(lab_prefix)" "$n"
}

lab_hosts_file() { # prints the /etc/hosts of every lab namespace
  local name
  printf '127.0.0.1 localhost\n'
  for name in ops "${ORGS[@]}"; do
    printf '%s %s.%s\n' "$(lab_address "$name")" "$name" "$LAB_DOMAIN"
  done
}

# One namespace with its veth on the bridge, its address and its hosts file.
lab_host_up() { # <name>
  local name=$1 ns veth address
  ns=$(lab_ns "$name")
  veth="kv-$name"
  ((${#veth} <= 15)) || die "namespaced topology: organisation name '$name' is too long for an interface name (12 characters at most)"
  address=$(lab_address "$name")
  lab_ns_exists "$ns" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  if ! ip -n "$LAB_BRIDGE_NS" link show "$veth" >/dev/null 2>&1; then
    # Both ends are created directly in their namespaces: the host's own namespace never holds either.
    ip link add "$veth" netns "$LAB_BRIDGE_NS" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$LAB_BRIDGE_NS" link set "$veth" master br0 up
  ip -n "$ns" addr show dev eth0 | grep -q "inet $address/" || ip -n "$ns" addr add "$address/${LAB_SUBNET#*/}" dev eth0
  ip -n "$ns" link set eth0 up
}

# Creates (or completes) the lab for every organisation of the topology, route first.
lab_up() {
  $HOSTS || return 0
  [ "$(id -u)" = 0 ] || die "the namespaced topology needs root (ip netns)"
  command -v ip >/dev/null || die "the namespaced topology needs iproute2's ip (run network/install.sh)"
  if [ -f "$LAB_OWNER_FILE" ] && [ "$(cat "$LAB_OWNER_FILE")" != "$INSTANCE" ] && lab_ns_exists "$LAB_BRIDGE_NS"; then
    die "the lab namespaces belong to instance $(cat "$LAB_OWNER_FILE"); stop it (network.sh down) first"
  fi
  printf '%s' "$INSTANCE" >"$LAB_OWNER_FILE"
  # 1. The route, before any lab address exists.
  lab_route_is_blackhole || ip route add blackhole "$LAB_SUBNET"
  lab_route_is_blackhole || die "could not install the blackhole route for $LAB_SUBNET"
  # 2. The bridge, in its own namespace.
  lab_ns_exists "$LAB_BRIDGE_NS" || ip netns add "$LAB_BRIDGE_NS"
  ip -n "$LAB_BRIDGE_NS" link set lo up
  ip -n "$LAB_BRIDGE_NS" link show br0 >/dev/null 2>&1 || ip -n "$LAB_BRIDGE_NS" link add br0 type bridge
  ip -n "$LAB_BRIDGE_NS" link set br0 up
  # 3. One host per organisation, and one for clients.
  local name hosts
  hosts=$(lab_hosts_file)
  for name in ops "${ORGS[@]}"; do
    lab_host_up "$name"
    mkdir -p "/etc/netns/$(lab_ns "$name")"
    printf '%s\n' "$hosts" >"/etc/netns/$(lab_ns "$name")/hosts"
    chmod 644 "/etc/netns/$(lab_ns "$name")/hosts"
  done
}

# Removes one organisation's host (its processes must have stopped).
lab_host_down() { # <name>
  local ns
  ns=$(lab_ns "$1")
  ! lab_ns_exists "$ns" || ip netns del "$ns"
  rm -rf "/etc/netns/$ns"
  if [ -f "$(lab_state)" ]; then sed -i "/^$1 /d" "$(lab_state)"; fi
}

# Removes every lab namespace, then the route (last).
lab_down() {
  [ -f "$LAB_OWNER_FILE" ] && [ "$(cat "$LAB_OWNER_FILE")" = "$INSTANCE" ] || return 0
  local ns pids
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^kl-'); do
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [ -z "$pids" ] || die "processes still run in namespace $ns (pids $pids); the lab is kept"
    ip netns del "$ns"
    rm -rf "/etc/netns/$ns"
  done
  ! lab_route_is_blackhole || ip route del blackhole "$LAB_SUBNET"
  rm -f "$LAB_OWNER_FILE"
  info "lab namespaces removed; blackhole route for $LAB_SUBNET removed last"
}

# Cuts (down) or restores (up) the link of <org>'s host to the bridge: the host keeps running, unreachable.
lab_link() { # <org> <up|down>
  $HOSTS || die "link: instance $INSTANCE is not namespaced (network.sh up --hosts)"
  ip -n "$LAB_BRIDGE_NS" link set "kv-$1" "$2"
}
