# shellcheck shell=bash
# Crypto material, all from the orgs' fabric-ca servers (no cryptogen):
#   - every signing key (nodes, registrar, Admin, users) is generated inside SoftHSM2 by fabric-ca-client's
#     PKCS#11 BCCSP: node keys in the node's own token, the others in the org's `<org>-clients` token, so the
#     MSP keystores stay empty;
#   - TLS keys are files (Fabric loads TLS keys only from files), enrolled with the `tls` profile from a
#     separate client home that uses the software BCCSP, by identities of their own whose type (`tls`, or
#     `ccaas` for the chaincode link) is not a NodeOU: a TLS certificate is never a valid MSP identity, so
#     no file key can sign for an org (one CA per org issues both kinds of certificate).
# Layout under crypto-config/generated/<instance>/<org>/: ca/ca-cert.pem, msp/ (the org's channel MSP),
# nodes/<node>/{msp,tls}, users/<user>/msp (+ users/Admin/tls).

org_dir() { printf '%s/%s\n' "$CRYPTO_DIR" "$1"; }
node_msp() { printf '%s/%s/nodes/%s/msp\n' "$CRYPTO_DIR" "${NODE_ORG[$1]}" "$1"; }
node_tls() { printf '%s/%s/nodes/%s/tls\n' "$CRYPTO_DIR" "${NODE_ORG[$1]}" "$1"; }
user_msp() { printf '%s/%s/users/%s/msp\n' "$CRYPTO_DIR" "$1" "$2"; } # <org> <user>
user_tls() { printf '%s/%s/users/%s/tls\n' "$CRYPTO_DIR" "$1" "$2"; }
clients_token() { printf '%s-clients\n' "$1"; } # <org>
cc_server_tls() { printf '%s/%s/ccservers/%s/tls\n' "$CRYPTO_DIR" "${NODE_ORG[$1]}" "$1"; } # <cc server>

crypto_complete() { [ -f "$CRYPTO_DIR/.complete" ]; }

# Written by generate_crypto since TLS certificates have identities of their own. An instance without it
# was made before: its nodes' and Admins' TLS certificates carry the NodeOU of the identity (OU=peer,
# OU=orderer, OU=admin), so their file keys are valid MSP identities that bypass the HSM. Re-issuing them
# in place would need a channel configuration update per orderer (the consenters' TLS certificates are in
# the channel config), so such an instance keeps running as it is, with a warning: `clean`, then `up`.
TLS_IDENTITIES_MARKER=.tls-identities
tls_identities_separate() { [ -f "$CRYPTO_DIR/$TLS_IDENTITIES_MARKER" ]; }

warn_tls_identities() {
  crypto_complete && ! tls_identities_separate || return 0
  warn "instance $INSTANCE was created before TLS certificates had identities of their own: the TLS keys" \
    "of its peers, orderers and Admins (files) are valid MSP identities of their orgs and bypass the HSM." \
    "It still works. To fix it, create it again: network.sh clean && network.sh up (deletes its ledgers)."
}

# Generates everything the instance needs, org by org in parallel. Idempotence is all-or-nothing: an
# instance whose crypto did not finish is wiped and created again by `up` (reset_incomplete_instance).
generate_crypto() {
  local org node pids=() failed=()
  hsm_init_config
  mkdir -p "$DATA_DIR/enroll"
  chmod 700 "$DATA_DIR/enroll"
  for org in "${ORGS[@]}"; do
    hsm_init_token "$(clients_token "$org")"
  done
  for node in "${ORDERERS[@]}" "${PEERS[@]}"; do
    hsm_init_token "$node"
  done
  for org in "${ORGS[@]}"; do
    crypto_org "$org" &
    pids+=($!)
  done
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || failed+=("${ORGS[i]}")
  done
  rm -rf "$DATA_DIR/enroll"
  if ((${#failed[@]} > 0)); then
    for org in "${failed[@]}"; do
      printf 'network.sh: enrolling %s identities failed; fabric-ca-client output (%s):\n' "$org" \
        "$(log_file "enroll.$org")" >&2
      tail -n 15 "$(log_file "enroll.$org")" | sed 's/^/    | /' >&2
    done
    fail_node "ca.${failed[0]}" "crypto generation failed"
  fi
  printf 'TLS certificates are enrolled by identities of type tls/ccaas (not NodeOUs)\n' \
    >"$CRYPTO_DIR/$TLS_IDENTITIES_MARKER"
  touch "$CRYPTO_DIR/.complete"
}

crypto_org() { # <org>  (runs in a subshell)
  local org=$1 user node log
  log=$(log_file "enroll.$org")
  : >"$log"
  mkdir -p "$(org_dir "$org")/ca"
  cp "$(ca_home "$org")/ca-cert.pem" "$(ca_cert "$org")"
  write_org_msp "$org"
  enroll_identity "$org" registrar "$(<"$(ca_home "$org")/registrar.password")" "$(clients_token "$org")" \
    "$(user_msp "$org" registrar)" >>"$log" 2>&1
  info "[$org] registrar enrolled (key in HSM token $(clients_token "$org"))"
  for user in ${ORG_USERS[$org]}; do
    register_and_enroll "$org" "$user" "${USER_TYPE[$org/$user]}" "${USER_ATTRS[$org/$user]}" \
      "$(clients_token "$org")" "$(user_msp "$org" "$user")" >>"$log" 2>&1
    # Admins also get a TLS client certificate (files): osnadmin, operations /metrics, mutual-TLS clients.
    [ "${USER_TYPE[$org/$user]}" != admin ] ||
      register_tls_identity "$org" "$user-tls" tls "$user" "$(user_tls "$org" "$user")" client >>"$log" 2>&1
    info "[$org] $user (${USER_TYPE[$org/$user]}${USER_ATTRS[$org/$user]:+, ${USER_ATTRS[$org/$user]}}) enrolled"
  done
  for node in "${ORDERERS[@]}" "${PEERS[@]}"; do
    [ "${NODE_ORG[$node]}" = "$org" ] || continue
    register_and_enroll "$org" "${NODE_ENROLL_ID[$node]}" "${NODE_KIND[$node]}" "" "$node" \
      "$(node_msp "$node")" >>"$log" 2>&1
    register_tls_identity "$org" "${NODE_ENROLL_ID[$node]}-tls" tls "127.0.0.1,localhost,$node$($HOSTS && printf ',%s' "$(node_host "$node")")" \
      "$(node_tls "$node")" server >>"$log" 2>&1
    info "[$org] $node enrolled (key in HSM token $node; TLS key file, identity ${NODE_ENROLL_ID[$node]}-tls)"
  done
  crypto_cc_tls "$org"
}

# The peer–chaincode link (chaincode as a service) is mutual TLS: each chaincode server has a server
# certificate (ccservers/<server>/tls/server.*) and each peer a client certificate (nodes/<peer>/tls/
# cc-client.*), both from the org's CA with the `tls` profile. Their type `ccaas` is not a NodeOU, so
# neither is ever a valid MSP identity of the org: their keys are files.
cc_tls_missing() { # <org>: prints the chaincode servers and peers of <org> that lack their certificate
  local node
  for node in "${CC_SERVERS[@]}"; do
    [ "${NODE_ORG[$node]}" != "$1" ] || [ -f "$(cc_server_tls "$node")/server.key" ] || printf '%s\n' "$node"
  done
  for node in ${ORG_PEERS[$1]:-}; do
    [ -f "$(node_tls "$node")/cc-client.key" ] || printf '%s\n' "$node"
  done
}

crypto_cc_tls() { # <org>  (the org's registrar must be enrolled)
  local org=$1 node log
  log=$(log_file "enroll.$org")
  while read -r node; do
    if [ "${NODE_KIND[$node]}" = ccserver ]; then
      register_tls_identity "$org" "$node" ccaas "127.0.0.1,localhost,$node" "$(cc_server_tls "$node")" server >>"$log" 2>&1 ||
        return 1
      info "[$org] $node: chaincode server TLS certificate"
    else
      register_tls_identity "$org" "${NODE_ENROLL_ID[$node]}-ccclient" ccaas "$node" "$(node_tls "$node")" cc-client \
        >>"$log" 2>&1 ||
        return 1
      info "[$org] $node: chaincode client TLS certificate"
    fi
  done < <(cc_tls_missing "$org")
}

# An instance made before the chaincode link had TLS lacks those certificates: issue them (CAs running).
ensure_cc_tls() {
  local org missing=()
  for org in "${ORGS[@]}"; do
    [ -z "$(cc_tls_missing "$org")" ] || missing+=("$org")
  done
  ((${#missing[@]} > 0)) || return 0
  step "issuing the TLS certificates of the peer–chaincode link"
  mkdir -p "$DATA_DIR/enroll"
  for org in "${missing[@]}"; do
    crypto_cc_tls "$org" || fail_node "ca.$org" "issuing chaincode TLS certificates failed (log $(log_file "enroll.$org"))"
  done
  rm -rf "$DATA_DIR/enroll"
}

# The org's channel MSP: root CA (also the TLS root: one CA issues both) and NodeOUs. TLS certificates
# chain to the same root but have no NodeOU, so the MSP refuses them as identities.
write_org_msp() { # <org>
  local msp
  msp="$(org_dir "$1")/msp"
  mkdir -p "$msp/cacerts" "$msp/tlscacerts"
  cp "$(ca_cert "$1")" "$msp/cacerts/ca.pem"
  cp "$(ca_cert "$1")" "$msp/tlscacerts/ca.pem"
  write_node_ous "$msp"
}

write_node_ous() { # <msp dir>
  local ou
  {
    printf 'NodeOUs:\n  Enable: true\n'
    for ou in Client Peer Admin Orderer; do
      printf '  %sOUIdentifier:\n    Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: %s\n' \
        "$ou" "${ou,,}"
    done
  } >"$1/config.yaml"
}

# A fabric-ca-client home: PKCS#11 BCCSP on <token> (or the software BCCSP when <token> is empty).
client_home() { # <org> <token or empty>
  local home="$DATA_DIR/enroll/$1/${2:-software}"
  if [ ! -f "$home/fabric-ca-client-config.yaml" ]; then
    mkdir -p "$home"
    if [ -n "$2" ]; then
      (umask 077 && hsm_ca_client_bccsp_yaml "$2" >"$home/fabric-ca-client-config.yaml")
    else
      printf 'bccsp:\n  default: SW\n  sw:\n    hash: SHA2\n    security: 256\n' >"$home/fabric-ca-client-config.yaml"
    fi
  fi
  printf '%s\n' "$home"
}

ca_client() { # <org> <home> <fabric-ca-client args...>
  local org=$1 home=$2
  shift 2
  # On the org's own host in the namespaced topology, where its CA answers on 127.0.0.1.
  in_org_ns "$org" "$BIN_DIR/fabric-ca-client" "$@" --home "$home" --caname "${ORG_CA_NAME[$org]}" \
    --tls.certfiles "$(ca_cert "$org")"
}

# Registers <id> (random secret) and enrolls it with its key in <token>.
register_and_enroll() { # <org> <id> <type> <attrs> <token> <msp dir>
  local org=$1 id=$2 type=$3 attrs=$4 secret registrar_home
  secret=$(rand_hex 16)
  registrar_home=$(client_home "$org" "$(clients_token "$org")")
  local args=(register -u "$(ca_url "$org")" --mspdir "$(user_msp "$org" registrar)"
    --id.name "$id" --id.secret "$secret" --id.type "$type")
  [ -z "$attrs" ] || args+=(--id.attrs "$attrs")
  ca_client "$org" "$registrar_home" "${args[@]}"
  enroll_identity "$org" "$id" "$secret" "$5" "$6"
}

# Registers a TLS-only identity <id> of <type> (`tls`, or `ccaas` for the chaincode link; never a NodeOU, so
# the certificate, OU=<type>, is no valid MSP identity) with one enrollment, and enrolls its TLS certificate
# as <dir>/<kind>.crt/.key.
register_tls_identity() { # <org> <id> <type> <hosts> <dir> <kind>
  local org=$1 id=$2 secret
  case "$3" in client | peer | admin | orderer) die "a TLS identity must not have the NodeOU type $3" ;; esac
  secret=$(rand_hex 16)
  ca_client "$org" "$(client_home "$org" "$(clients_token "$org")")" register -u "$(ca_url "$org")" \
    --mspdir "$(user_msp "$org" registrar)" --id.name "$id" --id.secret "$secret" --id.type "$3" \
    --id.maxenrollments 1 || return 1
  enroll_tls "$org" "$id" "$secret" "$4" "$5" "$6"
}

# Enrolls <id> with its key generated in <token>, then tidies the MSP: cacerts/ca.pem, NodeOUs, no Idemix.
enroll_identity() { # <org> <id> <secret> <token> <msp dir>
  local org=$1 id=$2 secret=$3 msp=$5 home
  home=$(client_home "$org" "$4")
  ca_client "$org" "$home" enroll -u "https://$id:$secret@127.0.0.1:${NODE_PORT[ca.$org]}" --mspdir "$msp" \
    --csr.cn "$id"
  rm -rf "$msp/cacerts" "$msp/user" "$msp/IssuerPublicKey" "$msp/IssuerRevocationPublicKey"
  mkdir -p "$msp/cacerts"
  cp "$(ca_cert "$org")" "$msp/cacerts/ca.pem"
  write_node_ous "$msp"
  if [ -n "$(ls -A "$msp/keystore" 2>/dev/null)" ]; then
    echo "enroll of $id left a key file in $msp/keystore: the PKCS#11 BCCSP was not used" >&2
    return 1
  fi
}

# A TLS certificate (profile `tls`, SANs <hosts>) with a file key, as <kind>.crt/<kind>.key + ca.crt.
enroll_tls() { # <org> <id> <secret> <hosts> <tls dir> <server|client>
  local org=$1 id=$2 secret=$3 hosts=$4 dir=$5 kind=$6 tmp home
  tmp="$DATA_DIR/enroll/$org/tls-$id"
  rm -rf "$tmp"
  home=$(client_home "$org" "")
  ca_client "$org" "$home" enroll -u "https://$id:$secret@127.0.0.1:${NODE_PORT[ca.$org]}" \
    --mspdir "$tmp" --enrollment.profile tls --csr.cn "$id" --csr.hosts "$hosts"
  mkdir -p "$dir"
  cp "$tmp/signcerts/cert.pem" "$dir/$kind.crt"
  (umask 077 && cp "$tmp"/keystore/*_sk "$dir/$kind.key")
  cp "$(ca_cert "$org")" "$dir/ca.crt"
  rm -rf "$tmp"
}
