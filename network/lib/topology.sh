# shellcheck shell=bash
# Loads crypto-config/topology.json (orgs, nodes, ports, identities, chaincodes, HTTP services) into bash
# arrays, with KYC_PORT_OFFSET added to every port. One jq call; everything else reads the arrays.
# Organisations added to the running channel (`network.sh org add`, lib/org.sh) live in the instance's
# orgs-added.json, in the same shape, and are merged in: the rest of the scripts cannot tell them apart.

ADDED_ORGS_FILE="$DATA_DIR/orgs-added.json"

ORGS=()      # orderer certifier bank
APP_ORGS=()  # orgs with peers
ORDERERS=()  # orderer1.. (3 for etcdraft, 4 for BFT)
PEERS=()     # peer0.certifier ..
CAS=()       # ca.orderer ..
CHAINCODES=() # kyc tickets
CC_SERVERS=() # cc-kyc.certifier ..
SERVICES=()   # certifier bank: the organisations' HTTP services (services/services.sh runs them)
declare -A ORG_MSP ORG_ROLE ORG_CA_NAME ORG_USERS ORG_PEERS USER_TYPE USER_ATTRS
declare -A NODE_ORG NODE_KIND NODE_PORT NODE_ADMIN_PORT NODE_OPS_PORT NODE_CC_PORT NODE_ANCHOR NODE_ENROLL_ID
declare -A CC_POLICY CC_ORGS CC_PORT CC_OF_SERVER
declare -A SERVICE_ORG SERVICE_KIND SERVICE_PORT
CHANNEL=

# The committed topology with the instance's added organisations merged in.
effective_topology() {
  [ -f "$ADDED_ORGS_FILE" ] || {
    cat "$TOPOLOGY_FILE"
    return 0
  }
  jq -s '.[0] as $t | .[1] as $a | $t
    | .orgs += ($a.orgs // {})
    | .peers += ($a.peers // [])
    | .chaincodes |= map(.name as $n | .servers += ($a.servers[$n] // []))
    | .services += ($a.services // [])' "$TOPOLOGY_FILE" "$ADDED_ORGS_FILE"
}

# Empties every topology array, so that load_topology can read a changed topology in the same process.
reset_topology() {
  ORGS=() APP_ORGS=() ORDERERS=() PEERS=() CAS=() CHAINCODES=() CC_SERVERS=() SERVICES=()
  ORG_MSP=() ORG_ROLE=() ORG_CA_NAME=() ORG_USERS=() ORG_PEERS=() USER_TYPE=() USER_ATTRS=()
  NODE_ORG=() NODE_KIND=() NODE_PORT=() NODE_ADMIN_PORT=() NODE_OPS_PORT=() NODE_CC_PORT=() NODE_ANCHOR=()
  NODE_ENROLL_ID=() CC_POLICY=() CC_ORGS=() CC_PORT=() CC_OF_SERVER=() SERVICE_ORG=() SERVICE_KIND=() SERVICE_PORT=()
  CHANNEL=
}

load_topology() { # <consensus: etcdraft|BFT> <port offset>
  local consensus=$1 offset=$2 kind a b c d e f
  [ -f "$TOPOLOGY_FILE" ] || die "topology definitions not found: $TOPOLOGY_FILE"
  while IFS=$'\x1f' read -r kind a b c d e f; do
    case "$kind" in
      CHANNEL) CHANNEL=$a ;;
      ORG) add_org "$a" "$b" "$c" "$d" $((e + offset)) $((f + offset)) ;;
      USER)
        ORG_USERS[$a]+="${ORG_USERS[$a]:+ }$b"
        USER_TYPE[$a/$b]=$c
        USER_ATTRS[$a/$b]=$d
        ;;
      ORDERER)
        [ "$f" = false ] || [ "$consensus" = BFT ] || continue
        add_node orderer "$a" "$b" $((c + offset)) $((d + offset)) $((e + offset)) false
        ;;
      PEER) add_node peer "$a" "$b" $((c + offset)) $((d + offset)) $((e + offset)) "$f" ;;
      CC)
        CHAINCODES+=("$a")
        CC_POLICY[$a]=$b
        ;;
      CCSERVER)
        CC_ORGS[$a]+="${CC_ORGS[$a]:+ }$b"
        CC_PORT[$a/$b]=$((c + offset))
        CC_SERVERS+=("cc-$a.$b")
        CC_OF_SERVER[cc-$a.$b]="$a/$b"
        NODE_KIND[cc-$a.$b]=ccserver
        NODE_ORG[cc-$a.$b]=$b
        NODE_PORT[cc-$a.$b]=$((c + offset))
        ;;
      SERVICE) add_service "$a" "$b" "$c" "$d" "$offset" ;;
      SERVICES) die "topology.json: services must be an array of service instances (got $a): $TOPOLOGY_FILE" ;;
      *) die "unexpected topology line: $kind" ;;
    esac
  done < <(jq -r '
      ["CHANNEL", .channel],
      (.orgs | to_entries[] | ["ORG", .key, .value.mspId, (.value.role // ""), .value.ca.name,
                               .value.ca.port, .value.ca.operationsPort]),
      (.orgs | to_entries[] | .key as $org | .value.users[] | ["USER", $org, .name, .type, (.attrs // "")]),
      (.orderers[] | ["ORDERER", .name, .org, .port, .adminPort, .operationsPort, (.bftOnly // false)]),
      (.peers[] | ["PEER", .name, .org, .port, .chaincodePort, .operationsPort, (.anchor // false)]),
      (.chaincodes[] | ["CC", .name, (.signaturePolicy // "")]),
      (.chaincodes[] | .name as $cc | .servers[] | ["CCSERVER", $cc, .org, .port]),
      (if (.services | type) == "array"
       then .services[] | ["SERVICE", (.name // ""), (.org // ""), (.kind // ""), (.port | tojson)]
       else ["SERVICES", (.services | type)] end)
      | map(tostring) | join("\u001f")' <(effective_topology))
  [ -n "$CHANNEL" ] || die "topology has no channel: $TOPOLOGY_FILE"
}

add_org() { # <org> <msp> <role> <ca name> <ca port> <ca operations port>
  ORGS+=("$1")
  ORG_MSP[$1]=$2
  ORG_ROLE[$1]=$3
  ORG_CA_NAME[$1]=$4
  CAS+=("ca.$1")
  NODE_KIND[ca.$1]=ca
  NODE_ORG[ca.$1]=$1
  NODE_PORT[ca.$1]=$5
  NODE_OPS_PORT[ca.$1]=$6
}

add_node() { # <kind> <name> <org> <port> <admin or chaincode port> <operations port> <anchor>
  local kind=$1 name=$2 org=$3
  NODE_KIND[$name]=$kind
  NODE_ORG[$name]=$org
  NODE_PORT[$name]=$4
  NODE_OPS_PORT[$name]=$6
  NODE_ENROLL_ID[$name]=${name%%.*}
  if [ "$kind" = orderer ]; then
    ORDERERS+=("$name")
    NODE_ADMIN_PORT[$name]=$5
  else
    PEERS+=("$name")
    NODE_CC_PORT[$name]=$5
    NODE_ANCHOR[$name]=$7
    ORG_PEERS[$org]+="${ORG_PEERS[$org]:+ }$name"
    [[ " ${APP_ORGS[*]} " == *" $org "* ]] || APP_ORGS+=("$org")
  fi
}

# One HTTP service instance (services/services.sh). Checked here, so a bad entry stops `up` with its name.
add_service() { # <name> <org> <kind> <port as JSON> <port offset>
  local name=$1 org=$2 kind=$3 port=$4 offset=$5 other taken
  local where="topology.json services: '$name'"
  # <service>-<i> names replica i (services.sh): no name may end in -<digits>.
  if [[ ! "$name" =~ ^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$ ]] || ((${#name} > 32)); then
    die "$where: a name is lower-case letters and digits, words joined by dashes, each starting with a letter (e.g. bank2, second-bank)"
  fi
  [ -z "${SERVICE_KIND[$name]:-}" ] || die "$where: listed twice"
  [[ " ${ORGS[*]} " == *" $org "* ]] || die "$where: org '$org' is not one of orgs (${ORGS[*]})"
  [[ "$kind" == certifier || "$kind" == bank ]] || die "$where: kind must be certifier or bank (got '$kind')"
  [ "${ORG_ROLE[$org]}" = "$kind" ] ||
    die "$where: a $kind service needs an org whose role is $kind (org $org has role '${ORG_ROLE[$org]}')"
  if [[ ! "$port" =~ ^[1-9][0-9]{0,4}$ ]] || ((port + offset > 65535)); then
    die "$where: port must be a number from 1 to 65535, offset included (got $port)"
  fi
  port=$((port + offset))
  for other in "${SERVICES[@]}"; do
    [ "${SERVICE_PORT[$other]}" != "$port" ] || die "$where: port $port is also the port of service '$other'"
  done
  for other in "${CAS[@]}" "${ORDERERS[@]}" "${PEERS[@]}" "${CC_SERVERS[@]}"; do
    for taken in $(node_ports "$other"); do
      [ "$taken" != "$port" ] || die "$where: port $port is also a port of $other"
    done
  done
  SERVICES+=("$name")
  SERVICE_ORG[$name]=$org
  SERVICE_KIND[$name]=$kind
  SERVICE_PORT[$name]=$port
}

# Every port <node> listens on, one per line.
node_ports() { # <node>
  local node=$1
  case "${NODE_KIND[$node]}" in
    ca) printf '%s\n' "${NODE_PORT[$node]}" "${NODE_OPS_PORT[$node]}" ;;
    orderer) printf '%s\n' "${NODE_PORT[$node]}" "${NODE_ADMIN_PORT[$node]}" "${NODE_OPS_PORT[$node]}" ;;
    peer) printf '%s\n' "${NODE_PORT[$node]}" "${NODE_CC_PORT[$node]}" "${NODE_OPS_PORT[$node]}" ;;
    ccserver) printf '%s\n' "${NODE_PORT[$node]}" ;;
  esac
}

all_nodes() { printf '%s\n' "${CAS[@]}" "${ORDERERS[@]}" "${PEERS[@]}" "${CC_SERVERS[@]}"; }

# The org whose admin runs lifecycle commands for peers of <org>, and org names by MSP id.
org_of_msp() { # <msp id>
  local org
  for org in "${ORGS[@]}"; do
    [ "${ORG_MSP[$org]}" != "$1" ] || {
      printf '%s\n' "$org"
      return 0
    }
  done
  return 1
}
