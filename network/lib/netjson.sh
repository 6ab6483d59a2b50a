# shellcheck shell=bash
# network.json: the one file TypeScript reads to find the network (docs/architecture.md). Absolute paths.
# Operations endpoints are https: operationsTlsRootCertPath verifies them; /metrics and /logspec also need
# a client certificate of the node's org (docs/network.md). `services` lists the organisations' HTTP services
# (topology.json `services`, port offset applied): services/services.sh runs them, clients find them there.

network_json() { printf '%s/network.json\n' "$CRYPTO_DIR"; }

write_network_json() { # <consensus>
  local consensus=$1 org node user chaincodes orderers orgs peers users services
  chaincodes=$(for cc in "${CHAINCODES[@]}"; do jq -cn --arg c "$cc" '{($c): $c}'; done | jq -cs 'add')
  orderers=$(for node in "${ORDERERS[@]}"; do
    jq -cn --arg name "$node" --arg endpoint "$(orderer_address "$node")" \
      --arg admin "$(orderer_admin_address "$node")" --arg ops "$(orderer_ops_url "$node")" \
      --arg tls "$(node_tls "$node")/ca.crt" \
      '{name: $name, endpoint: $endpoint, adminEndpoint: $admin, operationsUrl: $ops, operationsTlsRootCertPath: $tls,
        tlsRootCertPath: $tls, hsmTokenLabel: $name}'
  done | jq -cs .)
  orgs=$(for org in "${ORGS[@]}"; do
    peers=$(for node in ${ORG_PEERS[$org]:-}; do
      jq -cn --arg name "$node" --arg endpoint "$(peer_address "$node")" --arg ops "$(peer_ops_url "$node")" \
        --arg tls "$(node_tls "$node")/ca.crt" --arg msp "$(node_msp "$node")" \
        '{name: $name, endpoint: $endpoint, operationsUrl: $ops, operationsTlsRootCertPath: $tls, tlsRootCertPath: $tls,
          hsmTokenLabel: $name, mspPath: $msp}'
    done | jq -cs .)
    users=$(for user in registrar ${ORG_USERS[$org]}; do
      jq -cn --arg u "$user" --arg msp "$(user_msp "$org" "$user")" \
        '{($u): {mspPath: $msp, certPath: ($msp + "/signcerts/cert.pem")}}'
    done | jq -cs 'add')
    jq -cn --arg name "$org" --arg msp "${ORG_MSP[$org]}" --arg mspPath "$(org_dir "$org")/msp" \
      --arg caUrl "$(ca_url "$org")" --arg caName "${ORG_CA_NAME[$org]}" --arg caTls "$(ca_cert "$org")" \
      --arg token "$(clients_token "$org")" --arg pin "$PINS_DIR/$(clients_token "$org").pin" \
      --argjson peers "$peers" --argjson users "$users" --argjson app "$([ -n "${ORG_PEERS[$org]:-}" ] && echo true || echo false)" \
      '{($msp): ({name: $name, mspId: $msp, mspPath: $mspPath, ca: {url: $caUrl, caName: $caName, tlsCertPath: $caTls},
        hsm: {tokenLabel: $token, pinFile: $pin}} + (if $app then {peers: $peers} else {} end) + {users: $users})}'
  done | jq -cs 'add')
  services=$(for node in "${SERVICES[@]}"; do
    jq -cn --arg name "$node" --arg kind "${SERVICE_KIND[$node]}" --arg msp "${ORG_MSP[${SERVICE_ORG[$node]}]}" \
      --arg url "http://$(org_host "${SERVICE_ORG[$node]}"):${SERVICE_PORT[$node]}" \
      --arg ns "$($HOSTS && lab_ns "${SERVICE_ORG[$node]}")" \
      '{name: $name, kind: $kind, mspId: $msp, url: $url} + (if $ns == "" then {} else {namespace: $ns} end)'
  done | jq -cs .)
  jq -n --arg instance "$INSTANCE" --arg channel "$CHANNEL" --arg consensus "$consensus" \
    --arg lib "$PKCS11_LIBRARY" --arg conf "$SOFTHSM2_CONF" --argjson chaincodes "$chaincodes" \
    --argjson orderers "$orderers" --argjson orgs "$orgs" --argjson services "$services" \
    --arg lab "$($HOSTS && printf '%s' "$LAB_CLIENT_NS")" --arg subnet "$LAB_SUBNET" \
    '{instance: $instance, channel: $channel, consensus: $consensus, chaincodes: $chaincodes,
      hsm: {library: $lib, softhsm2Conf: $conf}, orderers: $orderers, orgs: $orgs, services: $services}
     + (if $lab == "" then {} else {lab: {subnet: $subnet, clientNamespace: $lab}} end)' \
    >"$(network_json).tmp"
  mv "$(network_json).tmp" "$(network_json)"
}
