# shellcheck shell=bash
# Orderers: one process per orderer with its own FABRIC_CFG_PATH (PKCS#11 BCCSP on the orderer's token),
# channel participation API on the TLS admin endpoint (mutual TLS, OrdererOrg's CA), no system channel.

orderer_home() { printf '%s/%s\n' "$DATA_DIR" "$1"; }
orderer_address() { printf '%s:%s\n' "$(node_host "$1")" "${NODE_PORT[$1]}"; }
orderer_admin_address() { printf '127.0.0.1:%s\n' "${NODE_ADMIN_PORT[$1]}"; }
orderer_ops_url() { printf 'https://127.0.0.1:%s\n' "${NODE_OPS_PORT[$1]}"; }

# The orderer logs its whole configuration, the HSM PIN included, once at start ("Orderer config values",
# logger orderer.common.server); that logger is kept at WARNING (last term: it wins over any user spec).
ORDERER_QUIET_LOGGERS=orderer.common.server=warning

write_orderer_env() { # <orderer>
  local node=$1 org=${NODE_ORG[$1]} home tls
  home=$(orderer_home "$node")
  tls=$(node_tls "$node")
  write_fabric_config orderer.yaml "$home/config" "$node"
  mkdir -p "$home/ledger" "$home/consensus/wal" "$home/consensus/snapshot"
  cat >"$home/env" <<EOT
FABRIC_CFG_PATH=$home/config
FABRIC_LOGGING_SPEC=${KYC_ORDERER_LOGGING_SPEC:-INFO}:$ORDERER_QUIET_LOGGERS
FABRIC_LOGGING_FORMAT=$LOG_FORMAT
ORDERER_GENERAL_LISTENADDRESS=$(listen_host)
ORDERER_GENERAL_LISTENPORT=${NODE_PORT[$node]}
ORDERER_GENERAL_LOCALMSPID=${ORG_MSP[$org]}
ORDERER_GENERAL_LOCALMSPDIR=$(node_msp "$node")
ORDERER_GENERAL_BOOTSTRAPMETHOD=none
ORDERER_GENERAL_TLS_ENABLED=true
ORDERER_GENERAL_TLS_CERTIFICATE=$tls/server.crt
ORDERER_GENERAL_TLS_PRIVATEKEY=$tls/server.key
ORDERER_GENERAL_TLS_ROOTCAS=[$tls/ca.crt]
ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=$tls/server.crt
ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=$tls/server.key
ORDERER_FILELEDGER_LOCATION=$home/ledger
ORDERER_CONSENSUS_WALDIR=$home/consensus/wal
ORDERER_CONSENSUS_SNAPDIR=$home/consensus/snapshot
ORDERER_CHANNELPARTICIPATION_ENABLED=true
ORDERER_ADMIN_LISTENADDRESS=$(orderer_admin_address "$node")
ORDERER_ADMIN_TLS_ENABLED=true
ORDERER_ADMIN_TLS_CERTIFICATE=$tls/server.crt
ORDERER_ADMIN_TLS_PRIVATEKEY=$tls/server.key
ORDERER_ADMIN_TLS_ROOTCAS=[$tls/ca.crt]
ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
ORDERER_ADMIN_TLS_CLIENTROOTCAS=[$tls/ca.crt]
ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:${NODE_OPS_PORT[$node]}
ORDERER_OPERATIONS_TLS_ENABLED=true
ORDERER_OPERATIONS_TLS_CERTIFICATE=$tls/server.crt
ORDERER_OPERATIONS_TLS_PRIVATEKEY=$tls/server.key
ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED=false
ORDERER_OPERATIONS_TLS_CLIENTROOTCAS=[$tls/ca.crt]
ORDERER_METRICS_PROVIDER=prometheus
EOT
}

orderer_start() { # <orderer>
  write_orderer_env "$1"
  start_process "$1" "$(orderer_home "$1")/env" "$(orderer_home "$1")" "$BIN_DIR/orderer"
}

orderer_wait() { # <orderer>
  wait_for_node "$1" 60 "healthy /healthz" http_healthy "$1" "$(orderer_ops_url "$1")" "$(node_tls "$1")/ca.crt"
}

# Runs `osnadmin <args...>` against <orderer>'s admin endpoint as OrdererOrg's Admin (TLS client cert).
osnadmin() { # <orderer> <args...>
  local node=$1 org=${NODE_ORG[$1]} tls
  shift
  tls=$(user_tls "$org" Admin)
  in_node_ns "$node" "$BIN_DIR/osnadmin" "$@" -o "$(orderer_admin_address "$node")" --ca-file "$(ca_cert "$org")" \
    --client-cert "$tls/client.crt" --client-key "$tls/client.key"
}

# A channel orders transactions only once its consenters have a leader (Raft elects one seconds after a
# start); /healthz is green before that, so `up` waits on the consensus metrics, Raft's or SmartBFT's
# (read with OrdererOrg's Admin TLS client certificate: /metrics needs one).
ordering_has_leader() { # <channel>
  local node out
  for node in "${ORDERERS[@]}"; do
    out=$(ops_get "$node" /metrics 2>/dev/null) || continue
    if grep -Eq "^consensus_(etcdraft|BFT)_is_leader\{channel=\"$1\"\} 1" <<<"$out"; then
      return 0
    fi
  done
  return 1
}

wait_for_ordering() { # <channel>
  local tries=0
  until ordering_has_leader "$1"; do
    ((tries < 240)) || fail_node "${ORDERERS[0]}" "no orderer became leader of channel $1 within 120 s"
    sleep 0.5
    tries=$((tries + 1))
  done
}
