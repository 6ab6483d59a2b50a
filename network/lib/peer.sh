# shellcheck shell=bash
# Peers: one process per peer with its own FABRIC_CFG_PATH (PKCS#11 BCCSP on the peer's token) and env
# overrides; and the org admin's `peer` CLI (PKCS#11 BCCSP on the org's clients token).

peer_home() { printf '%s/%s\n' "$DATA_DIR" "$1"; }
peer_address() { printf '%s:%s\n' "$(node_host "$1")" "${NODE_PORT[$1]}"; }
peer_ops_url() { printf 'https://127.0.0.1:%s\n' "${NODE_OPS_PORT[$1]}"; }

# The peer logs its whole configuration, the HSM PIN included, once at start (logger nodeCmd: "Peer config
# with combined core.yaml settings ..."); that logger is kept at WARNING (last term: it wins).
PEER_QUIET_LOGGERS=nodeCmd=warning

# Gossip bootstrap: another peer of the same org (itself when it is alone).
peer_bootstrap() { # <peer>
  local other
  for other in ${ORG_PEERS[${NODE_ORG[$1]}]}; do
    [ "$other" = "$1" ] || {
      peer_address "$other"
      return 0
    }
  done
  peer_address "$1"
}

write_peer_env() { # <peer>
  local peer=$1 org=${NODE_ORG[$1]} home tls
  home=$(peer_home "$peer")
  tls=$(node_tls "$peer")
  write_fabric_config core.yaml "$home/config" "$peer"
  mkdir -p "$home/ledger" "$home/snapshots"
  # RECONNECTBACKOFFTHRESHOLD: the longest pause between a peer's attempts to reach the orderers again; Fabric's
  # default grows, doubling from 100 ms, to an hour. After a 15 s link cut the bank caught up in 11 to 50 s
  # (test/integration/namespaces.test.ts): a stream the cut left open waits on TCP's own retransmissions.
  # SKIPPULLINGINVALID…: an invalid transaction changes no state, so its private data is never pulled from
  # other peers. A resubmitted transaction (same id, docs/services.md "Retries") commits once; its copies are
  # DUPLICATE_TXID, their private data is gone from every transient store, and pulling it stalled the bank's
  # peers' commits (measured with ./kyc chaos; docs/operations.md "Faults").
  cat >"$home/env" <<EOF
FABRIC_CFG_PATH=$home/config
FABRIC_LOGGING_SPEC=${KYC_PEER_LOGGING_SPEC:-INFO}:$PEER_QUIET_LOGGERS
FABRIC_LOGGING_FORMAT=$LOG_FORMAT
CORE_PEER_ID=$peer
CORE_PEER_LOCALMSPID=${ORG_MSP[$org]}
CORE_PEER_MSPCONFIGPATH=$(node_msp "$peer")
CORE_PEER_ADDRESS=$(peer_address "$peer")
CORE_PEER_LISTENADDRESS=$(listen_host):${NODE_PORT[$peer]}
CORE_PEER_CHAINCODEADDRESS=127.0.0.1:${NODE_CC_PORT[$peer]}
CORE_PEER_CHAINCODELISTENADDRESS=127.0.0.1:${NODE_CC_PORT[$peer]}
CORE_PEER_GOSSIP_ENDPOINT=$(peer_address "$peer")
CORE_PEER_GOSSIP_EXTERNALENDPOINT=$(peer_address "$peer")
CORE_PEER_GOSSIP_BOOTSTRAP=$(peer_bootstrap "$peer")
CORE_PEER_FILESYSTEMPATH=$home/ledger
CORE_LEDGER_SNAPSHOTS_ROOTDIR=$home/snapshots
CORE_LEDGER_HISTORY_ENABLEHISTORYDATABASE=true
CORE_PEER_TLS_ENABLED=true
CORE_PEER_TLS_CERT_FILE=$tls/server.crt
CORE_PEER_TLS_KEY_FILE=$tls/server.key
CORE_PEER_TLS_ROOTCERT_FILE=$tls/ca.crt
CORE_PEER_LIMITS_CONCURRENCY_GATEWAYSERVICE=2500
CORE_PEER_GOSSIP_PVTDATA_SKIPPULLINGINVALIDTRANSACTIONSDURINGCOMMIT=true
CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD=5s
CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:${NODE_OPS_PORT[$peer]}
CORE_OPERATIONS_TLS_ENABLED=true
CORE_OPERATIONS_TLS_CERT_FILE=$tls/server.crt
CORE_OPERATIONS_TLS_KEY_FILE=$tls/server.key
CORE_OPERATIONS_TLS_CLIENTAUTHREQUIRED=false
CORE_OPERATIONS_TLS_CLIENTROOTCAS_FILES=$tls/ca.crt
KYC_CCAAS_CLIENT_CERT=$tls/cc-client.crt
KYC_CCAAS_CLIENT_KEY=$tls/cc-client.key
CORE_METRICS_PROVIDER=prometheus
CORE_VM_ENDPOINT=
EOF
  # Go's pprof for profiling (docs/performance.md): only when asked, on loopback, at the operations port + 1000.
  if [ "${KYC_PEER_PPROF:-}" = 1 ]; then
    local ops_port=${NODE_OPS_PORT[$peer]}
    printf 'CORE_PEER_PROFILE_ENABLED=true\nCORE_PEER_PROFILE_LISTENADDRESS=127.0.0.1:%s\n' \
      $((ops_port + 1000)) >>"$home/env"
  fi
}

peer_start() { # <peer>
  write_peer_env "$1"
  start_process "$1" "$(peer_home "$1")/env" "$(peer_home "$1")" "$BIN_DIR/peer" node start
}

peer_wait() { # <peer>
  wait_for_node "$1" 60 "healthy /healthz" http_healthy "$1" "$(peer_ops_url "$1")" "$(node_tls "$1")/ca.crt"
}

# ------------------------------------------------------------------------------------------ admin CLI

# Runs `peer <args...>` as <org>'s Admin against <peer> (default: the org's first peer).
peer_admin() { # <org> <peer or ""> <peer CLI args...>
  local org=$1 peer=${2:-}
  shift 2
  [ -n "$peer" ] || peer=${ORG_PEERS[$org]%% *}
  local cfg="$DATA_DIR/cli/$org"
  [ -f "$cfg/core.yaml" ] || write_fabric_config core.yaml "$cfg" "$(clients_token "$org")"
  # The org's Admin works from the org's own host (its namespace in the namespaced topology).
  in_org_ns "$org" env -i "PATH=$PATH" "HOME=${HOME:-/root}" "SOFTHSM2_CONF=$SOFTHSM2_CONF" FABRIC_CFG_PATH="$cfg" FABRIC_LOGGING_SPEC=ERROR \
    CORE_PEER_LOCALMSPID="${ORG_MSP[$org]}" CORE_PEER_MSPCONFIGPATH="$(user_msp "$org" Admin)" \
    CORE_PEER_ADDRESS="$(peer_address "$peer")" CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$(ca_cert "$org")" \
    "$BIN_DIR/peer" "$@"
}

# Arguments that point a peer CLI command at the ordering service (any orderer; TLS root of OrdererOrg).
orderer_args() {
  printf '%s\n' -o "$(orderer_address "${ORDERERS[0]}")" --tls --cafile "$(ca_cert "${NODE_ORG[${ORDERERS[0]}]}")"
}
