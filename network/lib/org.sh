# shellcheck shell=bash
# A growing consortium: organisations join (and leave) the running channel, and their roles are consortium
# state on the ledger (the kyc contract's FoundConsortium / ProposeRoleChange / ApproveRoleChange).
#   - The channel change is a config update computed with Fabric's configtxlator and signed by a majority of
#     the existing organisations' Admins, each with the key in its own HSM token (the Application group's
#     Admins policy is MAJORITY Admins: fewer signatures are refused by the orderer).
#   - The role change is proposed by one organisation's Admin and approved by others until a majority of
#     the organisations holding a role have signed it; the contract applies it then, and not before.
# In this lab one operator holds every Admin's HSM token; in a real consortium each organisation runs its
# own `signconfigtx` and approval (docs/network.md, "Adding an organisation").

# Each added organisation gets a block of 200 ports from 11200 (KYC_PORT_OFFSET is added like everywhere).
ORG_PORT_BASE=11000
ORG_PORT_BLOCK=200
ORG_MAX_ADDED=9

org_work_dir() { printf '%s/orgs/%s\n' "$DATA_DIR" "$1"; } # <org>

# The organisations holding a role, in topology order (the voters of the consortium and the channel's
# application organisations).
role_orgs() {
  local org
  for org in "${APP_ORGS[@]}"; do
    [ -z "${ORG_ROLE[$org]}" ] || printf '%s\n' "$org"
  done
}

# The first majority of <orgs...>: who signs on behalf of the consortium.
majority_of() { # <org>...
  local n=$# need
  need=$((n / 2 + 1))
  printf '%s\n' "${@:1:need}"
}

# Who approves a role change about <org>: a majority of the organisations active on the ledger now (the
# contract's voters), the others first and <org> itself only when the others are too few.
role_change_signers() { # <org>
  local org=$1 msp status voter voters=() others=() need
  while read -r msp _ status; do
    [ "$status" = active ] || continue
    voter=$(org_of_msp "$msp") || die "the ledger names $msp, which is not an organisation of instance $INSTANCE"
    voters+=("$voter")
  done < <(consortium_members)
  need=$((${#voters[@]} / 2 + 1))
  for msp in "${voters[@]}"; do [ "$msp" = "$org" ] || others+=("$msp"); done
  [[ " ${voters[*]} " != *" $org "* ]] || others+=("$org")
  printf '%s\n' "${others[@]:0:need}"
}

# ------------------------------------------------------------------------------------- the overlay

added_orgs_json() {
  if [ -f "$ADDED_ORGS_FILE" ]; then cat "$ADDED_ORGS_FILE"; else printf '{"orgs":{},"peers":[],"servers":{},"services":[]}\n'; fi
}

org_is_added() { # <org>
  added_orgs_json | jq -e --arg o "$1" '.orgs | has($o)' >/dev/null
}

# The lowest free port block of the instance's added organisations.
free_org_slot() {
  local used slot
  used=$(added_orgs_json | jq -r '[.orgs[].slot] | map(tostring) | join(" ")')
  for ((slot = 1; slot <= ORG_MAX_ADDED; slot++)); do
    [[ " $used " == *" $slot "* ]] || {
      printf '%s\n' "$slot"
      return 0
    }
  done
  die "org add: instance $INSTANCE already has $ORG_MAX_ADDED added organisations"
}

# Writes the organisation into orgs-added.json (atomically): its CA, Admin and one client user for its role,
# one anchor peer, a server of every chaincode the org's role serves, and its HTTP service.
write_added_org() { # <org> <msp> <role>
  local org=$1 msp=$2 role=$3 slot base user attrs
  slot=$(free_org_slot)
  base=$((ORG_PORT_BASE + ORG_PORT_BLOCK * slot))
  if [ "$role" = certifier ]; then
    user=officer1 attrs=kyc.role=certifier:ecert
  else
    user=verifier1 attrs=kyc.role=bank-verifier:ecert
  fi
  added_orgs_json | jq --arg org "$org" --arg msp "$msp" --arg role "$role" --arg user "$user" --arg attrs "$attrs" \
    --argjson slot "$slot" --argjson base "$base" '
      .orgs[$org] = {mspId: $msp, role: $role, slot: $slot,
        ca: {name: ("ca-" + $org), port: ($base + 54), operationsPort: ($base + 55)},
        users: [{name: "Admin", type: "admin"}, {name: $user, type: "client", attrs: $attrs}]}
      | .peers += [{name: ("peer0." + $org), org: $org, port: ($base + 51), chaincodePort: ($base + 52),
          operationsPort: ($base + 53), anchor: true}]
      | .servers.kyc += [{org: $org, port: ($base + 60)}]
      | .servers.baseline += [{org: $org, port: ($base + 62)}]
      | .services += [{name: $org, org: $org, kind: $role, port: ($base + 90)}]' >"$ADDED_ORGS_FILE.tmp"
  mv "$ADDED_ORGS_FILE.tmp" "$ADDED_ORGS_FILE"
}

forget_added_org() { # <org>
  added_orgs_json | jq --arg o "$1" '
    del(.orgs[$o]) | .peers |= map(select(.org != $o)) | .servers |= map_values(map(select(.org != $o)))
    | .services |= map(select(.org != $o))' >"$ADDED_ORGS_FILE.tmp"
  mv "$ADDED_ORGS_FILE.tmp" "$ADDED_ORGS_FILE"
}

reload_topology() {
  reset_topology
  load_topology "$CONSENSUS" "$PORT_OFFSET"
}

# ------------------------------------------------------------------------------------ crypto, nodes

# The org's CA, HSM tokens and identities (keys generated inside the tokens), once. A run that failed
# halfway is finished by running `org add` again.
org_crypto() { # <org>
  local org=$1 node marker
  marker="$(org_dir "$org")/.complete"
  hsm_init_token "$(clients_token "$org")"
  for node in ${ORG_PEERS[$org]}; do hsm_init_token "$node"; done
  node_running "ca.$org" || ca_start "$org"
  ca_wait "$org"
  [ -f "$marker" ] && return 0
  [ ! -d "$(org_dir "$org")" ] || die "org $org: its crypto is incomplete from an earlier failed run; run network.sh org remove --name $org, then add it again"
  mkdir -p "$DATA_DIR/enroll"
  chmod 700 "$DATA_DIR/enroll"
  (crypto_org "$org") || fail_node "ca.$org" "enrolling the identities of $org failed (log $(log_file "enroll.$org"))"
  rm -rf "$DATA_DIR/enroll"
  touch "$marker"
}

peer_height() { # <peer>
  peer_admin "${NODE_ORG[$1]}" "$1" channel getinfo -c "$CHANNEL" 2>/dev/null |
    sed -n 's/^Blockchain info: //p' | jq -r '.height // 0'
}

# Waits until <peer> has every block the first peer of the channel has.
peer_catch_up() { # <peer> <timeout seconds>
  local peer=$1 deadline=$((SECONDS + $2)) reference=${PEERS[0]} want have
  want=$(peer_height "$reference")
  until have=$(peer_height "$peer") && ((have >= want)); do
    ((SECONDS < deadline)) || fail_node "$peer" "did not catch up with $reference (height ${have:-?} of $want) in $2 s"
    sleep 0.5
  done
  info "$peer caught up (height $have)"
}

# ------------------------------------------------------------------------------ channel config updates

configtxlator() { "$BIN_DIR/configtxlator" "$@"; }

# The channel's current configuration, as JSON, into <dir>/config.json (fetched as <org>'s Admin).
fetch_channel_config() { # <org> <dir>
  local org=$1 dir=$2 args out
  mapfile -t args < <(orderer_args)
  out=$(retry_transient 20 "$TRANSIENT_ERRORS" peer_admin "$org" "" channel fetch config "$dir/config_block.pb" \
    -c "$CHANNEL" "${args[@]}" 2>&1) || die "fetching the configuration of channel $CHANNEL failed: $out"
  configtxlator proto_decode --input "$dir/config_block.pb" --type common.Block --output "$dir/config_block.json" ||
    die "configtxlator could not decode the config block"
  jq '.data.data[0].payload.data.config' "$dir/config_block.json" >"$dir/config.json"
}

channel_has_msp() { # <dir> <msp>: whether <dir>/config.json has <msp> among the application organisations
  jq -e --arg m "$2" '.channel_group.groups.Application.groups | has($m)' "$1/config.json" >/dev/null
}

# The org's group of the channel configuration (MSP, policies, anchor peers), from configtxgen -printOrg.
org_config_group() { # <org> <dir>
  local org=$1 dir=$2 peer anchors out
  {
    printf 'Organizations:\n  - &%s\n    Name: %s\n    ID: %s\n    MSPDir: %s\n' "$org" "${ORG_MSP[$org]}" \
      "${ORG_MSP[$org]}" "$(org_dir "$org")/msp"
    org_policies_yaml "${ORG_MSP[$org]}" true
  } >"$dir/configtx.yaml"
  out=$(FABRIC_CFG_PATH="$dir" "$BIN_DIR/configtxgen" -printOrg "${ORG_MSP[$org]}" 2>"$dir/configtxgen.err") ||
    die "configtxgen -printOrg ${ORG_MSP[$org]} failed: $(cat "$dir/configtxgen.err")"
  anchors=$(for peer in ${ORG_PEERS[$org]}; do
    [ "${NODE_ANCHOR[$peer]}" != true ] || jq -cn --arg h "$(node_host "$peer")" --argjson p "${NODE_PORT[$peer]}" '{host: $h, port: $p}'
  done | jq -cs .)
  jq --argjson anchors "$anchors" '.values.AnchorPeers = {mod_policy: "Admins", value: {anchor_peers: $anchors}, version: "0"}' \
    <<<"$out"
}

# Computes the update from <dir>/config.json to <dir>/modified.json and wraps it in an envelope.
config_update_envelope() { # <dir>
  local dir=$1
  if ! configtxlator proto_encode --input "$dir/config.json" --type common.Config --output "$dir/config.pb" ||
    ! configtxlator proto_encode --input "$dir/modified.json" --type common.Config --output "$dir/modified.pb" ||
    ! configtxlator compute_update --channel_id "$CHANNEL" --original "$dir/config.pb" --updated "$dir/modified.pb" \
      --output "$dir/update.pb" ||
    ! configtxlator proto_decode --input "$dir/update.pb" --type common.ConfigUpdate --output "$dir/update.json"; then
    die "configtxlator could not compute the channel configuration update"
  fi
  jq -n --arg ch "$CHANNEL" --slurpfile u "$dir/update.json" \
    '{payload: {header: {channel_header: {channel_id: $ch, type: 2}}, data: {config_update: $u[0]}}}' \
    >"$dir/envelope.json"
  configtxlator proto_encode --input "$dir/envelope.json" --type common.Envelope --output "$dir/envelope.pb" ||
    die "configtxlator could not encode the update envelope"
}

# Every signer but the last signs the envelope; the last one's `channel update` adds its own signature.
sign_and_submit_update() { # <dir> <signer org>...
  local dir=$1 signer last out args
  shift
  last=${*: -1}
  for signer in "${@:1:$#-1}"; do
    out=$(peer_admin "$signer" "" channel signconfigtx -f "$dir/envelope.pb" 2>&1) ||
      die "signing the channel update as ${ORG_MSP[$signer]} Admin failed: $out"
    info "signed by ${ORG_MSP[$signer]} Admin (key in HSM token $(clients_token "$signer"))"
  done
  mapfile -t args < <(orderer_args)
  out=$(retry_transient 20 "$TRANSIENT_ERRORS" peer_admin "$last" "" channel update -f "$dir/envelope.pb" \
    -c "$CHANNEL" "${args[@]}" 2>&1) || die "the channel update was refused: $out"
  info "signed by ${ORG_MSP[$last]} Admin and submitted"
}

# ----------------------------------------------------------------------------------- the kyc contract

# Runs a kyc transaction as <org>'s Admin, endorsed by the first peer of every org serving kyc (so any
# majority the channel's policy asks for is there), and waits for its commit. On failure prints the
# peer CLI's error (with the contract's KYC_ code) to stderr.
kyc_admin_invoke() { # <org> <json args array>
  local org=$1 json=$2 invoke other out
  invoke=(chaincode invoke -C "$CHANNEL" -n kyc -c "{\"Args\":$json}" --waitForEvent)
  mapfile -t -O "${#invoke[@]}" invoke < <(orderer_args)
  for other in ${CC_ORGS[kyc]}; do
    node_running "cc-kyc.$other" || continue
    invoke+=(--peerAddresses "$(peer_address "${ORG_PEERS[$other]%% *}")" --tlsRootCertFiles "$(ca_cert "$other")")
  done
  out=$(retry_transient 20 "$TRANSIENT_ERRORS" peer_admin "$org" "" "${invoke[@]}" 2>&1) || {
    printf '%s\n' "$out" >&2
    return 1
  }
}

kyc_admin_query() { # <org> <json args array>
  peer_admin "$1" "" chaincode query -C "$CHANNEL" -n kyc -c "{\"Args\":$2}"
}

member_is() { # <msp> <role> <status>
  consortium_members | grep -qx "$1 $2 $3"
}

consortium_members() { # prints "<msp> <role> <status>" per member
  kyc_admin_query "$(role_orgs | head -n 1)" '["GetConsortium"]' | jq -r '.members[] | "\(.msp) \(.role) \(.status)"'
}

# Records the founding organisations' roles (topology roles) once, as the first org's Admin.
consortium_found() {
  local first members out
  first=$(role_orgs | head -n 1)
  [ -n "$first" ] || return 0
  out=$(kyc_admin_query "$first" '["GetConsortium"]' 2>&1) || die "reading the consortium failed: $out"
  if jq -e '.members | length > 0' <<<"$out" >/dev/null; then
    return 0
  fi
  members=$(for org in $(role_orgs); do
    jq -cn --arg m "${ORG_MSP[$org]}" --arg r "${ORG_ROLE[$org]}" '{msp: $m, role: $r}'
  done | jq -cs .)
  step "founding the consortium on the ledger (roles of topology.json, as ${ORG_MSP[$first]} Admin)"
  kyc_admin_invoke "$first" "$(jq -cn --arg m "$members" '["FoundConsortium", $m]')" || die "FoundConsortium failed"
  info "members: $(consortium_members | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
}

# Proposes {msp, role, status} as the first signer's Admin and approves it as the others', until the
# contract reports it applied. <signers> are orgs; their order is the order of signatures.
consortium_change() { # <msp> <role> <status> <signer org>...
  local msp=$1 role=$2 status=$3 id signer first=$4
  shift 3
  id="$status-$msp-$(date -u +%Y%m%dT%H%M%S)-$(rand_hex 3)"
  kyc_admin_invoke "$first" "$(jq -cn --arg i "$id" --arg m "$msp" --arg r "$role" --arg s "$status" \
    '["ProposeRoleChange", $i, $m, $r, $s]')" || die "proposing $msp as $role ($status) failed"
  info "role change $id proposed by ${ORG_MSP[$first]} Admin"
  shift
  for signer in "$@"; do
    member_is "$msp" "$role" "$status" && break
    kyc_admin_invoke "$signer" "$(jq -cn --arg i "$id" '["ApproveRoleChange", $i]')" ||
      die "approving role change $id as ${ORG_MSP[$signer]} failed"
    info "approved by ${ORG_MSP[$signer]} Admin"
  done
  member_is "$msp" "$role" "$status" || die "role change $id was not applied (not enough approvals)"
  info "$msp is now $role ($status) on the ledger"
}

# ---------------------------------------------------------------------------------------- chaincode

# Installs the deployed build of every chaincode the org serves, approves the committed definition for the
# org (the same sequence: the endorsement policy is the channel's MAJORITY, which counts the new org by
# itself, and the collections are implicit per org) and starts the org's chaincode servers.
org_chaincodes() { # <org>
  local org=$1 cc label id seq version state servers=()
  for cc in "${CHAINCODES[@]}"; do
    [[ " ${CC_ORGS[$cc]:-} " == *" $org "* ]] || continue
    version=$(cc_state_get "$cc" version) || die "chaincode $cc is not deployed on instance $INSTANCE"
    read -r seq _ <<<"$(cc_committed "$cc")"
    label="${cc}_$version"
    id=$(cc_package "$cc" "$org" "$label")
    cc_install "$cc" "$org" "$id"
    cc_approve "$cc" "$org" "$version" "$seq" "$id"
    state=$(cc_state "$cc")
    grep -v "^package\.$org=" "$state" >"$state.tmp" || true
    printf 'package.%s=%s\n' "$org" "$id" >>"$state.tmp"
    mv "$state.tmp" "$state"
    servers+=("cc-$cc.$org")
  done
  for cc in "${servers[@]}"; do node_running "$cc" || cc_server_start "$cc"; done
  for cc in "${servers[@]}"; do
    cc_server_wait "$cc"
    info "$cc serving 127.0.0.1:${NODE_PORT[$cc]}"
  done
}

# --------------------------------------------------------------------------------------- add, remove

org_add() { # <org> <role> <msp>
  local org=$1 role=$2 msp=$3 dir signers existing peer
  if ! org_is_added "$org"; then
    write_added_org "$org" "$msp" "$role"
    info "$org written to $ADDED_ORGS_FILE"
  fi
  reload_topology
  if $HOSTS; then
    step "[$org] its host: namespace $(lab_ns "$org"), $(org_host "$org")"
    lab_up
  fi
  mapfile -t existing < <(role_orgs | grep -vx "$org")
  dir=$(org_work_dir "$org")
  mkdir -p "$dir"

  step "[$org] certificate authority, HSM tokens and identities"
  local own=("ca.$org") node missing
  for node in ${ORG_PEERS[$org]} "${CC_SERVERS[@]}"; do [ "${NODE_ORG[$node]}" != "$org" ] || own+=("$node"); done
  mapfile -t missing < <(nodes_not_running "${own[@]}")
  ((${#missing[@]} == 0)) || check_ports_free "${missing[@]}"
  org_crypto "$org"

  step "[$org] peers"
  for peer in ${ORG_PEERS[$org]}; do node_running "$peer" || peer_start "$peer"; done
  for peer in ${ORG_PEERS[$org]}; do peer_wait "$peer"; done

  step "[$org] channel $CHANNEL: configuration update adding $msp"
  fetch_channel_config "${existing[0]}" "$dir"
  if channel_has_msp "$dir" "$msp"; then
    info "$msp is already in the channel configuration"
  else
    org_config_group "$org" "$dir" >"$dir/org.json"
    jq --arg m "$msp" --slurpfile g "$dir/org.json" '.channel_group.groups.Application.groups[$m] = $g[0]' \
      "$dir/config.json" >"$dir/modified.json"
    config_update_envelope "$dir"
    mapfile -t signers < <(majority_of "${existing[@]}")
    info "signers: a majority (${#signers[@]} of ${#existing[@]}) of the existing organisations' Admins"
    sign_and_submit_update "$dir" "${signers[@]}"
  fi

  step "[$org] joining the channel"
  for peer in ${ORG_PEERS[$org]}; do
    peer_joined "$peer" || retry_transient 20 "$TRANSIENT_ERRORS" peer_admin "$org" "$peer" channel join \
      -b "$(genesis_block)" >/dev/null 2>&1 || fail_node "$peer" "peer channel join failed"
    peer_catch_up "$peer" 120
  done

  step "[$org] chaincodes"
  org_chaincodes "$org"
  wait_for_gossip 60
  write_network_json "$CONSENSUS"

  step "[$org] role on the ledger"
  if member_is "$msp" "$role" active; then
    info "$msp is already an active $role"
  else
    mapfile -t signers < <(role_change_signers "$org")
    consortium_change "$msp" "$role" active "${signers[@]}"
  fi
}

org_set_status() { # <org> <status: active|suspended>
  local org=$1 status=$2 signers
  if member_is "${ORG_MSP[$org]}" "${ORG_ROLE[$org]}" "$status"; then
    info "${ORG_MSP[$org]} is already $status"
    return 0
  fi
  mapfile -t signers < <(role_change_signers "$org")
  consortium_change "${ORG_MSP[$org]}" "${ORG_ROLE[$org]}" "$status" "${signers[@]}"
}

org_remove() { # <org>
  local org=$1 msp=${ORG_MSP[$1]} dir others signers node peers=() label
  dir=$(org_work_dir "$org")
  mkdir -p "$dir"
  mapfile -t others < <(role_orgs | grep -vx "$org")
  step "[$org] role on the ledger: removed"
  if consortium_members | grep -Eq "^$msp [a-z]+ (active|suspended)$"; then
    mapfile -t signers < <(role_change_signers "$org")
    consortium_change "$msp" "${ORG_ROLE[$org]}" removed "${signers[@]}"
  fi
  step "[$org] channel $CHANNEL: configuration update removing $msp"
  fetch_channel_config "${others[0]}" "$dir"
  if channel_has_msp "$dir" "$msp"; then
    jq --arg m "$msp" 'del(.channel_group.groups.Application.groups[$m])' "$dir/config.json" >"$dir/modified.json"
    config_update_envelope "$dir"
    # MAJORITY Admins counts the organisation that leaves: a majority of all, without it when possible.
    mapfile -t signers < <(majority_of "${others[@]}" "$org")
    sign_and_submit_update "$dir" "${signers[@]}"
  fi
  step "[$org] stopping its nodes and deleting its data, crypto and HSM tokens"
  for node in "${CC_SERVERS[@]}"; do [ "${NODE_ORG[$node]}" != "$org" ] || peers+=("$node"); done
  # shellcheck disable=SC2086 # ORG_PEERS is a space-separated list
  stop_nodes "${peers[@]}" ${ORG_PEERS[$org]} "ca.$org"
  for node in ${ORG_PEERS[$org]} "ca.$org"; do rm -rf "${DATA_DIR:?}/$node"; done
  rm -rf "$(ca_home "$org")" "$(org_dir "$org")" "$dir" "$DATA_DIR/cli/$org"
  for label in "$(clients_token "$org")" ${ORG_PEERS[$org]}; do
    softhsm2-util --delete-token --token "$label" >/dev/null 2>&1 || true
    rm -f "$PINS_DIR/$label.pin" "$PINS_DIR/$label.so.pin"
  done
  for node in "${CHAINCODES[@]}"; do
    [ ! -f "$(cc_state "$node")" ] || sed -i "/^package\.$org=/d" "$(cc_state "$node")"
    rm -rf "$(cc_dir "$node")/${org:?}"
  done
  forget_added_org "$org"
  reload_topology
  if $HOSTS; then
    lab_host_down "$org"
    lab_up # the other hosts' name tables, without it
  fi
  write_network_json "$CONSENSUS"
}
