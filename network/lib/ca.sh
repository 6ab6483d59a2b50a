# shellcheck shell=bash
# One fabric-ca-server per org on 127.0.0.1 with TLS, an operations endpoint (/healthz, Prometheus) and a
# bootstrap admin `registrar` whose random password is stored 0600 in the CA's home.

ca_home() { printf '%s/ca.%s\n' "$DATA_DIR" "$1"; }                  # <org>
ca_cert() { printf '%s/%s/ca/ca-cert.pem\n' "$CRYPTO_DIR" "$1"; }     # <org>: root of both ecerts and TLS
ca_url() { printf 'https://%s:%s\n' "$(org_host "$1")" "${NODE_PORT[ca.$1]}"; } # <org>
ca_ops_url() { printf 'http://127.0.0.1:%s\n' "${NODE_OPS_PORT[ca.$1]}"; }

# Initialises the CA home once (keys, self-signed root, bootstrap admin), then starts the server.
ca_start() { # <org>
  local org=$1 node="ca.$1" home
  home=$(ca_home "$org")
  if [ ! -f "$home/fabric-ca-server-config.yaml" ]; then
    # A new CA would have a new root that the existing crypto and channel do not trust.
    [ ! -f "$(ca_cert "$org")" ] || die "$node: $home is missing but the org's crypto exists; run network.sh clean, then up"
    mkdir -p "$home"
    chmod 700 "$home"
    local password out
    password=$(rand_hex 16)
    write_secret "$home/registrar.password" "$password"
    # The bootstrap password is on the command line only for this short `init`; `start` reads the config.
    # shellcheck disable=SC2046 # ca_flags prints one flag or value per line, none with spaces
    out=$("$BIN_DIR/fabric-ca-server" init -b "registrar:$password" --home "$home" $(ca_flags "$org") \
      --port "${NODE_PORT[$node]}" --ca.name "${ORG_CA_NAME[$org]}" --csr.cn "$node" 2>&1) ||
      die "fabric-ca-server init failed for $node: $(tail -n 5 <<<"$out")"
    chmod 600 "$home/fabric-ca-server-config.yaml"
  fi
  cat >"$home/env" <<EOF
FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS=127.0.0.1:${NODE_OPS_PORT[$node]}
FABRIC_CA_SERVER_METRICS_PROVIDER=prometheus
EOF
  # shellcheck disable=SC2046 # ca_flags prints one flag or value per line, none with spaces
  start_process "$node" "$home/env" "$home" "$BIN_DIR/fabric-ca-server" start --home "$home" $(ca_flags "$org") \
    --port "${NODE_PORT[$node]}" --ca.name "${ORG_CA_NAME[$org]}" --csr.cn "$node"
}

# Listen address and the names of the CA's TLS certificate (its org's host name in the namespaced topology).
ca_flags() { # <org>
  local hosts=127.0.0.1,localhost
  ! $HOSTS || hosts+=",$(org_host "$1")"
  printf '%s\n' --address "$(listen_host)" --tls.enabled --csr.hosts "$hosts"
}

ca_ready() { # <org>
  http_healthy "ca.$1" "$(ca_ops_url "$1")" && tcp_open "${NODE_PORT[ca.$1]}" "ca.$1"
}

ca_wait() { # <org>
  wait_for_node "ca.$1" 30 "healthy /healthz" ca_ready "$1"
}
