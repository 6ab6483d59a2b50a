# shellcheck shell=bash
# Health of every process (operations /healthz for CAs, orderers and peers; TCP for chaincode servers) and
# the endpoint table printed by `up`.

node_endpoint() { # <node>
  case "${NODE_KIND[$1]}" in
    ca) ca_url "${NODE_ORG[$1]}" ;;
    ccserver) printf '127.0.0.1:%s\n' "${NODE_PORT[$1]}" ;; # its peer's host only
    *) printf '%s:%s\n' "$(node_host "$1")" "${NODE_PORT[$1]}" ;;
  esac
}

node_extra() { # <node>: admin / chaincode / operations endpoints
  case "${NODE_KIND[$1]}" in
    ca) printf 'ops %s' "$(ca_ops_url "${NODE_ORG[$1]}")" ;;
    orderer) printf 'admin %s  ops %s' "$(orderer_admin_address "$1")" "$(orderer_ops_url "$1")" ;;
    peer) printf 'cc 127.0.0.1:%s  ops %s' "${NODE_CC_PORT[$1]}" "$(peer_ops_url "$1")" ;;
    ccserver) printf 'package %s' "$(cc_state_get "${CC_OF_SERVER[$1]%/*}" "package.${NODE_ORG[$1]}" 2>/dev/null || echo -)" ;;
  esac
}

# Peers' and orderers' operations endpoints (TLS with the node's TLS certificate) answer /healthz and
# /version to anyone, but /metrics and /logspec only to a client certificate from the node's org CA
# (Fabric's "secure" handlers): network.sh shows the org Admin's TLS client certificate.
ops_url() { # <peer or orderer>
  if [ "${NODE_KIND[$1]}" = orderer ]; then orderer_ops_url "$1"; else peer_ops_url "$1"; fi
}

ops_get() { # <peer or orderer> <path>: asked on the node's own host
  local tls
  tls=$(user_tls "${NODE_ORG[$1]}" Admin)
  in_node_ns "$1" curl -fsS -m 2 --cacert "$(node_tls "$1")/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key" "$(ops_url "$1")$2"
}

# Monitoring's view: the node's Prometheus metrics are served (to the org's client certificate).
metrics_served() { # <peer or orderer>
  local out # not piped: grep -q would end curl early (SIGPIPE) and pipefail turn that into a failure
  out=$(ops_get "$1" /metrics 2>/dev/null) && grep -q '^# TYPE ' <<<"$out"
}

# Succeeds when <node> runs and answers its health check.
node_healthy() { # <node>
  node_running "$1" || return 1
  case "${NODE_KIND[$1]}" in
    ca) ca_ready "${NODE_ORG[$1]}" ;;
    orderer | peer) http_healthy "$1" "$(ops_url "$1")" "$(node_tls "$1")/ca.crt" ;;
    ccserver) tcp_open "${NODE_PORT[$1]}" "$1" ;;
  esac
}

node_check_name() { # <node>
  case "${NODE_KIND[$1]}" in
    ccserver) printf 'tls port' ;;
    ca) printf '/healthz' ;;
    *) printf '/healthz,/metrics' ;;
  esac
}

# The status table's check: health, and for peers and orderers also that monitoring can scrape them.
node_status_ok() { # <node>
  node_healthy "$1" || return 1
  case "${NODE_KIND[$1]}" in
    orderer | peer) metrics_served "$1" ;;
  esac
}

# Prints the status table; returns 1 when anything is down.
print_status() {
  local node state pid rc=0 fmt='%-18s %-9s %-8s %-24s %-17s %s\n'
  # shellcheck disable=SC2059
  printf "$fmt" NODE KIND PID ENDPOINT CHECK STATE
  while read -r node; do
    pid=$(node_pid "$node" || echo -)
    if node_status_ok "$node"; then
      state=healthy
    elif [ "$pid" = - ]; then
      state=DOWN
      rc=1
    else
      state=UNHEALTHY
      rc=1
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$node" "${NODE_KIND[$node]}" "$pid" "$(node_endpoint "$node")" "$(node_check_name "$node")" "$state"
  done < <(all_nodes)
  return "$rc"
}

print_endpoints() {
  local node fmt='%-18s %-9s %-24s %s\n'
  # shellcheck disable=SC2059
  printf "$fmt" NODE KIND ENDPOINT OTHER
  while read -r node; do
    # shellcheck disable=SC2059
    printf "$fmt" "$node" "${NODE_KIND[$node]}" "$(node_endpoint "$node")" "$(node_extra "$node")"
  done < <(all_nodes)
}

# The channel as each node sees it, so an operator sees a lagging or forked node at once: each orderer's
# height (`osnadmin channel list`) and whether it leads (its Raft or SmartBFT `is_leader` metric), each peer's height and current block hash (`peer channel getinfo` as its org's
# Admin). Returns 1 when the peers disagree.
print_ledger_status() {
  local node info height hash metric leader rc=0 fmt='%-18s %-9s %-8s %-7s %s\n'
  local -A seen_height=() seen_hash=()
  # shellcheck disable=SC2059
  printf "$fmt" NODE KIND HEIGHT LEADER "CURRENT BLOCK HASH (channel $CHANNEL)"
  for node in "${ORDERERS[@]}"; do
    height=$(osnadmin "$node" channel list --channelID "$CHANNEL" 2>/dev/null | sed -n 's/.*"height": *\([0-9]*\).*/\1/p')
    metric=$(ops_get "$node" /metrics 2>/dev/null || true)
    leader=$(metric_value "$metric" 'consensus_(etcdraft|BFT)_is_leader')
    case "$leader" in 1) leader=yes ;; 0) leader=no ;; *) leader=- ;; esac
    # shellcheck disable=SC2059
    printf "$fmt" "$node" orderer "${height:--}" "$leader" ''
  done
  for node in "${PEERS[@]}"; do
    info=$(peer_admin "${NODE_ORG[$node]}" "$node" channel getinfo -c "$CHANNEL" 2>/dev/null | sed -n 's/^Blockchain info: //p')
    height=$(sed -n 's/.*"height":\([0-9]*\).*/\1/p' <<<"$info")
    hash=$(sed -n 's/.*"currentBlockHash":"\([^"]*\)".*/\1/p' <<<"$info")
    seen_height[${height:-?}]=1
    seen_hash[${hash:-?}]=1
    # shellcheck disable=SC2059
    printf "$fmt" "$node" peer "${height:--}" '' "${hash:--}"
  done
  if [ "${#seen_height[@]}" -eq 1 ] && [ "${#seen_hash[@]}" -eq 1 ] && [ -z "${seen_height[?]:-}" ]; then
    step "peers agree: height ${!seen_height[*]}, one current block hash"
  else
    printf 'network.sh: the peers disagree on the height or the current block hash of %s (a node catching up shows this briefly)\n' "$CHANNEL" >&2
    rc=1
  fi
  return "$rc"
}

# The value of the first sample of a metric (ERE on its name) for this channel, or nothing.
metric_value() { # <metrics text> <name ERE>
  grep -E "^($2)\{[^}]*channel=\"$CHANNEL\"[^}]*\} " <<<"$1" | head -n1 | awk '{print $2}' || true
}

# Waits until every peer knows every other peer of the channel through gossip: the gateway's endorsement
# plans (service discovery) see only peers known this way, so a transaction that needs several
# organisations fails ("no combination of peers") until then. Warns, not fails, after <timeout> seconds.
wait_for_gossip() { # <timeout seconds>
  local deadline=$((SECONDS + $1)) peer want=$((${#PEERS[@]} - 1)) known lagging
  while :; do
    lagging=()
    for peer in "${PEERS[@]}"; do
      known=$(metric_value "$(ops_get "$peer" /metrics 2>/dev/null || true)" gossip_membership_total_peers_known)
      ((${known:-0} >= want)) || lagging+=("$peer(${known:-0})")
    done
    if ((${#lagging[@]} == 0)); then
      info "every peer knows the other $want peers of $CHANNEL (gossip)"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      warn "after $1 s some peers still know fewer than $want peers of $CHANNEL: ${lagging[*]}" \
        "(transactions that need several organisations may fail until they do)"
      return 0
    fi
    sleep 1
  done
}
