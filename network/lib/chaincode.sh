# shellcheck shell=bash
# Chaincode as a service with the v2 lifecycle. Each (chaincode, org) pair has its own package: a
# deterministic tarball of metadata.json (type ccaas, label) and code.tar.gz (connection.json with the
# org's server address). The package id depends only on those bytes, so the label carries a hash of the
# built code: a changed build gives new package ids, a new version and sequence + 1, and restarted servers.

cc_dir() { printf '%s/chaincode/%s\n' "$DATA_DIR" "$1"; }
cc_state() { printf '%s/chaincode/%s/deployed\n' "$DATA_DIR" "$1"; }
cc_server_name() { printf 'cc-%s.%s\n' "$1" "$2"; } # <cc> <org>

# Hash of what the chaincode servers run: the compiled chaincode and protocol, and the launch manifests.
cc_build_hash() {
  (
    cd "$REPO_DIR" || exit 1
    find dist/chaincode/src dist/protocol/src -type f -name '*.js' -print0 | sort -z | xargs -0 sha256sum
    sha256sum chaincode/packages/*/package.json
    # How peers reach the servers: instances deployed with a plaintext link get redeployed.
    printf 'link: mutual TLS\n'
  ) | sha256sum | cut -c1-12
}

cc_entry_check() { # <cc>
  local manifest="$REPO_DIR/chaincode/packages/$1/package.json" main
  [ -f "$manifest" ] || die "chaincode $1: launcher manifest $manifest is missing"
  main=$(jq -r '.main // empty' "$manifest")
  if [ -z "$main" ] || [ ! -f "$(dirname "$manifest")/$main" ]; then
    die "chaincode $1: entry point $(dirname "$manifest")/$main is not built (did tsc succeed?)"
  fi
}

# Writes the package of <cc> for <org> and prints its package id (label:sha256 of the tarball).
cc_package() { # <cc> <org> <label>
  local cc=$1 org=$2 label=$3 dir
  dir="$(cc_dir "$cc")/$org"
  rm -rf "$dir"
  mkdir -p "$dir/src"
  # Mutual TLS to the org's chaincode server. The peer's own client certificate and key are added by the
  # ccaas builder's release step on each peer, so no private key is ever part of a package.
  jq -cn --arg a "127.0.0.1:${CC_PORT[$cc/$org]}" --rawfile root "$(ca_cert "$org")" \
    '{address: $a, dial_timeout: "10s", tls_required: true, client_auth_required: true, root_cert: $root}' \
    >"$dir/src/connection.json"
  jq -cn --arg l "$label" '{type: "ccaas", label: $l}' >"$dir/src/metadata.json"
  local tar_opts=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=0644 --format=ustar)
  tar "${tar_opts[@]}" -C "$dir/src" -cf - connection.json | gzip -n >"$dir/src/code.tar.gz"
  tar "${tar_opts[@]}" -C "$dir/src" -cf - metadata.json code.tar.gz | gzip -n >"$dir/package.tgz"
  printf '%s:%s\n' "$label" "$(sha256sum "$dir/package.tgz" | cut -d' ' -f1)"
}

# Prints "<sequence> <version>" of the committed definition of <cc>, or "0 -" when there is none.
cc_committed() { # <cc>
  local out err
  err=$(mktemp)
  if out=$(peer_admin "${APP_ORGS[0]}" "" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$1" -O json 2>"$err"); then
    rm -f "$err"
    jq -r '"\(.sequence) \(.version)"' <<<"$out"
  elif grep -q "namespace $1 is not defined" "$err"; then
    rm -f "$err"
    printf '0 -\n'
  else
    out=$(cat "$err")
    rm -f "$err"
    die "querycommitted for chaincode $1 failed: $out"
  fi
}

cc_install() { # <cc> <org> <package id>
  local cc=$1 org=$2 id=$3 peer out
  for peer in ${ORG_PEERS[$org]}; do
    if peer_admin "$org" "$peer" lifecycle chaincode queryinstalled -O json 2>/dev/null |
      jq -e --arg id "$id" '.installed_chaincodes // [] | any(.package_id == $id)' >/dev/null; then
      continue
    fi
    out=$(peer_admin "$org" "$peer" lifecycle chaincode install "$(cc_dir "$cc")/$org/package.tgz" 2>&1) ||
      fail_node "$peer" "installing chaincode $cc failed: $out"
    info "$cc installed on $peer"
  done
}

# Definition flags shared by approve, checkcommitreadiness and commit.
cc_definition_args() { # <cc> <version> <sequence>
  local args=(-C "$CHANNEL" -n "$1" -v "$2" --sequence "$3")
  [ -z "${CC_POLICY[$1]}" ] || args+=(--signature-policy "${CC_POLICY[$1]}")
  printf '%s\n' "${args[@]}"
}

# Broadcasts that the ordering service may refuse while it elects a leader, or a peer while it connects.
TRANSIENT_ERRORS='SERVICE_UNAVAILABLE|no Raft leader|not leader|leader|connection refused|Unavailable|deadline exceeded|failed to connect|timed out|EOF'

cc_approve() { # <cc> <org> <version> <sequence> <package id or "">
  local cc=$1 org=$2 version=$3 seq=$4 id=$5 def out
  mapfile -t def < <(cc_definition_args "$cc" "$version" "$seq")
  if out=$(peer_admin "$org" "" lifecycle chaincode queryapproved -C "$CHANNEL" -n "$cc" --sequence "$seq" -O json 2>/dev/null) &&
    jq -e --arg v "$version" --arg id "$id" '.version == $v and ((.source.Type.LocalPackage.package_id // "") == $id)' \
      <<<"$out" >/dev/null; then
    return 0
  fi
  local args=(lifecycle chaincode approveformyorg "${def[@]}" --waitForEvent)
  [ -z "$id" ] || args+=(--package-id "$id")
  mapfile -t -O "${#args[@]}" args < <(orderer_args)
  out=$(retry_transient 60 "$TRANSIENT_ERRORS" peer_admin "$org" "" "${args[@]}" 2>&1) ||
    fail_node "${ORG_PEERS[$org]%% *}" "approving chaincode $cc (sequence $seq) for ${ORG_MSP[$org]} failed: $out"
  info "$cc v$version sequence $seq approved by ${ORG_MSP[$org]}${id:+ (package $id)}"
}

# Waits until every org's approval is visible on the first peer of every org (the commit's endorsers).
cc_wait_ready() { # <cc> <version> <sequence>
  local def org deadline=$((SECONDS + 60))
  mapfile -t def < <(cc_definition_args "$@")
  for org in "${APP_ORGS[@]}"; do
    until peer_admin "$org" "" lifecycle chaincode checkcommitreadiness "${def[@]}" -O json 2>/dev/null |
      jq -e '.approvals | all' >/dev/null; do
      ((SECONDS < deadline)) || fail_node "${ORG_PEERS[$org]%% *}" "approvals of chaincode $1 not visible after 60 s"
      sleep 0.3
    done
  done
}

cc_commit() { # <cc> <version> <sequence>
  local def args org peer out
  mapfile -t def < <(cc_definition_args "$@")
  args=(lifecycle chaincode commit "${def[@]}" --waitForEvent)
  mapfile -t -O "${#args[@]}" args < <(orderer_args)
  for org in "${APP_ORGS[@]}"; do
    peer=${ORG_PEERS[$org]%% *}
    args+=(--peerAddresses "$(peer_address "$peer")" --tlsRootCertFiles "$(ca_cert "$org")")
  done
  out=$(retry_transient 60 "$TRANSIENT_ERRORS" peer_admin "${APP_ORGS[0]}" "" "${args[@]}" 2>&1) ||
    fail_node "${ORG_PEERS[${APP_ORGS[0]}]%% *}" "committing chaincode $1 (sequence $3) failed: $out"
  info "$1 v$2 sequence $3 committed on $CHANNEL"
}

# Installs, approves and commits <cc> for the current build unless that build is what is committed.
cc_deploy() { # <cc> <hash>
  local cc=$1 hash=$2 org label seq version committed
  if [ "$(cc_state_get "$cc" version 2>/dev/null)" = "$hash" ]; then
    step "chaincode $cc build $hash is deployed (sequence $(cc_state_get "$cc" sequence))"
    return 0
  fi
  label="${cc}_$hash"
  declare -A ids=()
  mkdir -p "$(cc_dir "$cc")"
  for org in ${CC_ORGS[$cc]}; do
    ids[$org]=$(cc_package "$cc" "$org" "$label")
  done
  committed=$(cc_committed "$cc")
  read -r seq version <<<"$committed"
  if [ "$version" != "$hash" ]; then
    step "deploying chaincode $cc (build $hash, sequence $((seq + 1)))"
    seq=$((seq + 1))
    for org in ${CC_ORGS[$cc]}; do cc_install "$cc" "$org" "${ids[$org]}"; done
    for org in "${APP_ORGS[@]}"; do cc_approve "$cc" "$org" "$hash" "$seq" "${ids[$org]:-}"; done
    cc_wait_ready "$cc" "$hash" "$seq"
    cc_commit "$cc" "$hash" "$seq"
  else
    step "chaincode $cc build $hash is committed (sequence $seq)"
  fi
  {
    printf 'version=%s\nsequence=%s\n' "$hash" "$seq"
    for org in ${CC_ORGS[$cc]}; do printf 'package.%s=%s\n' "$org" "${ids[$org]}"; done
  } >"$(cc_state "$cc")"
}

cc_state_get() { # <cc> <key>
  local file
  file=$(cc_state "$1")
  [ -f "$file" ] || return 1
  sed -n "s/^$2=//p" "$file"
}

# ------------------------------------------------------------------------------------------- servers

# The environment of a chaincode server (also how a running server is checked for being current).
cc_server_env() { # <server node>
  local cc=${CC_OF_SERVER[$1]%/*} org=${CC_OF_SERVER[$1]#*/} id
  id=$(cc_state_get "$cc" "package.$org") || die "chaincode $cc is not deployed (no package id)"
  # The shim answers stub.getMspID() from CORE_PEER_LOCALMSPID: the org whose peers this server serves.
  printf 'CORE_PEER_LOCALMSPID=%s\n' "${ORG_MSP[$org]}"
  printf 'KYC_CHAINCODE_PACKAGE_ID=%s\n' "$id"
  # fabric-shim logs two info lines per transaction; warnings and errors are what an operator reads here, and
  # the peer logs every transaction already (docs/performance.md).
  printf 'CORE_CHAINCODE_LOGGING_LEVEL=WARNING\n'
}

# The server speaks TLS and requires a client certificate from the org's CA (the peers' cc-client certs).
cc_server_start() { # <server node>
  local node=$1 cc=${CC_OF_SERVER[$1]%/*} org=${CC_OF_SERVER[$1]#*/} home tls
  home="$(cc_dir "$cc")/$org"
  tls=$(cc_server_tls "$node")
  mkdir -p "$home"
  cc_server_env "$node" >"$home/env"
  start_process "$node" "$home/env" "$REPO_DIR" node node_modules/fabric-shim/cli.js server \
    --chaincode-address "127.0.0.1:${NODE_PORT[$node]}" --chaincode-id "$(sed -n 's/^KYC_CHAINCODE_PACKAGE_ID=//p' "$home/env")" \
    --module-path "chaincode/packages/$cc" --chaincode-tls-cert-file "$tls/server.crt" \
    --chaincode-tls-key-file "$tls/server.key" --chaincode-tls-client-cacert-file "$tls/ca.crt"
}

# Succeeds when <server node> runs with the environment it should have now (package id included).
cc_server_current() { # <server node>
  local pid line
  pid=$(node_pid "$1") || return 1
  while read -r line; do
    grep -qszxF -- "$line" "/proc/$pid/environ" || return 1
  done < <(cc_server_env "$1")
}

cc_server_wait() { # <server node>
  wait_for_node "$1" 30 "listening TCP port ${NODE_PORT[$1]}" tcp_open "${NODE_PORT[$1]}" "$1"
}

# Starts missing servers and restarts those running another package than the committed one.
cc_servers_up() {
  local node stale=() start=()
  for node in "${CC_SERVERS[@]}"; do
    cc_server_current "$node" && continue
    start+=("$node")
    if node_running "$node"; then
      info "restarting $node (new package or settings)"
      stale+=("$node")
    fi
  done
  ((${#start[@]} > 0)) || return 0
  ((${#stale[@]} == 0)) || stop_nodes "${stale[@]}"
  for node in "${start[@]}"; do
    wait_ports_free "$node" 10
    cc_server_start "$node"
  done
  for node in "${start[@]}"; do
    cc_server_wait "$node"
    info "$node serving 127.0.0.1:${NODE_PORT[$node]}"
  done
}
