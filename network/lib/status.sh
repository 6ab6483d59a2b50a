# shellcheck shell=bash
# Health of every process (operations /healthz for CAs, orderers and peers; TCP for chaincode servers) and
# the endpoint table printed by `up`.

node_endpoint() { # <node>
  case "${NODE_KIND[$1]}" in
    ca) ca_url "${NODE_ORG[$1]}" ;;
    *) printf '127.0.0.1:%s\n' "${NODE_PORT[$1]}" ;;
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

# Succeeds when <node> runs and answers its health check.
node_healthy() { # <node>
  node_running "$1" || return 1
  case "${NODE_KIND[$1]}" in
    ca) ca_ready "${NODE_ORG[$1]}" ;;
    orderer) http_healthy "$(orderer_ops_url "$1")" ;;
    peer) http_healthy "$(peer_ops_url "$1")" ;;
    ccserver) tcp_open "${NODE_PORT[$1]}" ;;
  esac
}

node_check_name() { # <node>
  case "${NODE_KIND[$1]}" in
    ccserver) printf 'tcp' ;;
    *) printf '/healthz' ;;
  esac
}

# Prints the status table; returns 1 when anything is down.
print_status() {
  local node state pid rc=0 fmt='%-18s %-9s %-8s %-24s %-8s %s\n'
  # shellcheck disable=SC2059
  printf "$fmt" NODE KIND PID ENDPOINT CHECK STATE
  while read -r node; do
    pid=$(node_pid "$node" || echo -)
    if node_healthy "$node"; then
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
