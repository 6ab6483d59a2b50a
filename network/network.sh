#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The local Fabric network of the KYC ledger, on 127.0.0.1 without Docker: CAs, orderers, peers, channel
# `kyc`, chaincode as a service, every node key in SoftHSM2. See docs/network.md.
set -euo pipefail
# Everything the network generates (crypto, PINs, node configs with PINs, ledgers, logs) is owner-only;
# processes started from here inherit this. Tool installs and the TypeScript build set 022 for themselves.
umask 077

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=lib/lab.sh
. "$here/lib/lab.sh"
# shellcheck source=lib/topology.sh
. "$here/lib/topology.sh"
# shellcheck source=lib/hsm.sh
. "$here/lib/hsm.sh"
# shellcheck source=lib/ca.sh
. "$here/lib/ca.sh"
# shellcheck source=lib/crypto.sh
. "$here/lib/crypto.sh"
# shellcheck source=lib/nodeconfig.sh
. "$here/lib/nodeconfig.sh"
# shellcheck source=lib/orderer.sh
. "$here/lib/orderer.sh"
# shellcheck source=lib/peer.sh
. "$here/lib/peer.sh"
# shellcheck source=lib/channel.sh
. "$here/lib/channel.sh"
# shellcheck source=lib/chaincode.sh
. "$here/lib/chaincode.sh"
# shellcheck source=lib/org.sh
. "$here/lib/org.sh"
# shellcheck source=lib/netjson.sh
. "$here/lib/netjson.sh"
# shellcheck source=lib/status.sh
. "$here/lib/status.sh"

usage() {
  cat <<'USAGE'
Usage: network/network.sh <command> [options]      (network/network.sh <command> --help for details)

Commands:
  up [--bft] [--hosts]
                    start the network (idempotent; resumes a stopped one); --hosts: each organisation
                    on a host of its own (a network namespace), see up --help
  down              stop every process of the instance, keep all data
  clean             stop everything and delete the instance's data, logs, crypto and HSM tokens
  status            health of every node and chaincode server; exit 1 if anything is down
  logs <node> [-f]  print (or follow) one process's log
  restart <node>    stop one peer, orderer or chaincode server (if it runs) and start it again (data kept)
  kill <node>       SIGKILL one peer, orderer or chaincode server, as a crash would (fault tests)
  leader            print the ordering leader of the channel (Raft or SmartBFT), e.g. orderer2.orderer
  link <org> down|up
                    namespaced topology only: cut or restore the link of an organisation's host
  deploy            build and (re)deploy the chaincodes if the build changed; restart their servers
  org add|remove|suspend|resume|list ...
                    grow or shrink the consortium on the running channel (network.sh org --help)
  admin <org> ...   run the peer CLI as <org>'s Admin (e.g. admin bank channel getinfo -c kyc)
  software-identity <org> <user>
                    enroll a software-key twin of a client user, for benchmarks only (prints its MSP dir)

Environment:
  KYC_INSTANCE      network instance name (default: main)
  KYC_PORT_OFFSET   added to every port (default: 0; fixed when the instance is first created)
USAGE
}

usage_up() {
  cat <<'USAGE'
Usage: network/network.sh up [--bft] [--hosts]

Brings the instance up, doing only what is missing:
  1. network/install.sh (apt packages, Fabric binaries; skipped when present)
  2. builds the TypeScript (tsc -p tsconfig.build.json)
  3. starts the 3 fabric-ca servers; on first run generates all crypto (node keys inside SoftHSM2)
  4. starts 3 Raft orderers (4 SmartBFT orderers with --bft) and the 3 peers
  5. creates channel kyc and joins every node (first run only)
  6. deploys chaincodes kyc, tickets and baseline (again only when the build changed) and starts their servers;
     on a new channel, records the organisations' roles on the ledger (kyc FoundConsortium)
  7. writes crypto-config/generated/<instance>/network.json and prints the endpoints

On a running, healthy instance it does nothing. A taken port, a failed build or a node failing its health
check stops the command with the node's name and log, and stops whatever this run started.

  --bft   use 4 SmartBFT orderers (only when the instance is created; it then stays BFT)
  --hosts each organisation on a host of its own: a Linux network namespace kl-<org> with its own address
          in $KYC_LAB_SUBNET (default 10.213.0.0/24) and host name <org>.kyc.lab (in its TLS certificates),
          joined by a bridge in namespace kl-bridge; clients run in a namespace (kl-ops, or an org's own).
          The host gets a blackhole route for the subnet before any lab address exists; down and clean
          remove the namespaces, then the route. Needs root. Only at creation; one such instance at a time.
USAGE
}

usage_down() {
  printf 'Usage: network/network.sh down\n\nStops chaincode servers, peers, orderers and CAs of the instance. Ledgers, crypto and\nHSM tokens are kept: a later "up" resumes.\n'
}
usage_clean() {
  printf 'Usage: network/network.sh clean\n\nStops everything of the instance and deletes network/data/<instance>, network/logs/<instance>\nand crypto-config/generated/<instance> (crypto, HSM tokens, PINs). network/bin is never touched.\n'
}
usage_status() {
  printf 'Usage: network/network.sh status\n\nPrints every process with its health (operations /healthz for CAs, orderers and peers; TCP\nfor chaincode servers), then the channel as each node sees it: orderers'"'"' heights and the Raft/BFT\nleader, peers'"'"' heights and current block hashes. Exits 1 if anything is down or unhealthy, or the\npeers disagree.\n'
}
usage_logs() {
  printf 'Usage: network/network.sh logs <node> [-f]\n\nPrints the log of <node> (e.g. peer0.bank, orderer1, ca.certifier, cc-kyc.bank); -f follows it.\n'
}
usage_deploy() {
  printf 'Usage: network/network.sh deploy\n\nBuilds the TypeScript and, if the chaincode build changed since the last deployment, installs\nnew packages, approves and commits them with sequence + 1 and restarts the chaincode servers.\nThe network must be up.\n'
}

# ------------------------------------------------------------------------------------ instance state

INSTANCE_STATE="$DATA_DIR/instance.env"
CONSENSUS=etcdraft
PORT_OFFSET=0

# Reads (or, for a new instance, decides) the consensus type and port offset, then loads the topology.
resolve_instance() { # <want bft: true|false> [<want hosts: true|false>]
  local want_bft=$1 want_hosts=${2:-false} stored_consensus="" stored_offset=""
  if [ -f "$INSTANCE_STATE" ]; then
    stored_consensus=$(sed -n 's/^CONSENSUS=//p' "$INSTANCE_STATE")
    stored_offset=$(sed -n 's/^PORT_OFFSET=//p' "$INSTANCE_STATE")
  fi
  if [ -n "$stored_consensus" ]; then
    CONSENSUS=$stored_consensus
    PORT_OFFSET=$stored_offset
    [ "$(sed -n 's/^HOSTS=//p' "$INSTANCE_STATE")" != true ] || HOSTS=true
    [ "$want_hosts" != true ] || $HOSTS ||
      die "instance $INSTANCE was created on loopback; run \`network.sh clean\` before \`up --hosts\`"
    [ "$want_bft" != true ] || [ "$CONSENSUS" = BFT ] ||
      die "instance $INSTANCE was created with $CONSENSUS; run \`network.sh clean\` before \`up --bft\`"
    [ -z "${KYC_PORT_OFFSET:-}" ] || [ "$KYC_PORT_OFFSET" = "$PORT_OFFSET" ] ||
      die "instance $INSTANCE was created with KYC_PORT_OFFSET=$PORT_OFFSET (got $KYC_PORT_OFFSET); clean it to change"
  else
    [ "$want_bft" != true ] || CONSENSUS=BFT
    HOSTS=$want_hosts
    PORT_OFFSET=${KYC_PORT_OFFSET:-0}
  fi
  if [[ ! "$PORT_OFFSET" =~ ^[0-9]+$ ]] || ((PORT_OFFSET > 46000)); then
    die "KYC_PORT_OFFSET must be a whole number from 0 to 46000 (got $PORT_OFFSET)"
  fi
  load_topology "$CONSENSUS" "$PORT_OFFSET"
}

save_instance_state() {
  mkdir -p "$DATA_DIR"
  printf 'CONSENSUS=%s\nPORT_OFFSET=%s\nHOSTS=%s\n' "$CONSENSUS" "$PORT_OFFSET" "$HOSTS" >"$INSTANCE_STATE"
}

# One command at a time per instance.
LOCK_FILE="$NETWORK_DIR/data/.$INSTANCE.lock"
take_lock() {
  mkdir -p "$NETWORK_DIR/data"
  exec 9>"$LOCK_FILE"
  if ! flock -n 9; then
    step "waiting for another network.sh command on instance $INSTANCE"
    flock -w 900 9 || die "instance $INSTANCE stayed locked by another network.sh for 15 minutes"
  fi
}

# --------------------------------------------------------------------------------------------- steps

need_tools() {
  local tool missing=()
  for tool in jq curl softhsm2-util pkcs11-tool ss flock node tar gzip sha256sum; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (run network/install.sh)"
  local bin
  for bin in peer orderer configtxgen configtxlator osnadmin fabric-ca-server fabric-ca-client; do
    [ -x "$BIN_DIR/$bin" ] || die "missing $BIN_DIR/$bin (run network/install.sh)"
  done
}

# tsc emits even with type errors. Errors in chaincode/ or protocol/ (what the servers run) stop `up`;
# errors elsewhere belong to other areas and only warn.
build_typescript() {
  local tsc="$REPO_DIR/node_modules/.bin/tsc" out rc=0 ours
  [ -x "$tsc" ] || die "TypeScript is not installed ($tsc missing): run npm ci in $REPO_DIR"
  step "building TypeScript (tsc -p tsconfig.build.json)"
  out=$(cd "$REPO_DIR" && umask 022 && "$tsc" -p tsconfig.build.json 2>&1) || rc=$?
  ((rc != 0)) || return 0
  ours=$(grep -E '^(chaincode|protocol)/' <<<"$out" || true)
  if [ -n "$ours" ]; then
    printf '%s\n' "$ours" | head -n 30 >&2
    die "the chaincode does not compile (tsc exit $rc); fix the errors above"
  fi
  [ -n "$out" ] || die "tsc failed (exit $rc) without output"
  warn "tsc reported errors outside chaincode/ and protocol/ (not run by the network); continuing:"
  printf '%s\n' "$out" | head -n 10 | sed 's/^/    /' >&2
}

instance_healthy() {
  local node cc
  [ -f "$(network_json)" ] || return 1
  for cc in "${CHAINCODES[@]}"; do [ -f "$(cc_state "$cc")" ] || return 1; done
  while read -r node; do
    node_healthy "$node" || return 1
  done < <(all_nodes)
}

nodes_not_running() { # <node>...
  local node
  for node in "$@"; do node_running "$node" || printf '%s\n' "$node"; done
}

# A first `up` that did not finish leaves partial crypto/CA state: start that instance from scratch.
reset_incomplete_instance() {
  crypto_complete && return 0
  [ -d "$DATA_DIR" ] || [ -d "$CRYPTO_DIR" ] || return 0
  warn "instance $INSTANCE was not completely created earlier; creating it again from scratch"
  stop_instance
  rm -rf "$DATA_DIR" "$CRYPTO_DIR"
}

# A peer or orderer that runs but fails its health check (e.g. one started by an older network.sh without
# operations TLS) is stopped, so that `up` starts it again with the current configuration.
stop_unhealthy_nodes() {
  local node stale=()
  for node in "${ORDERERS[@]}" "${PEERS[@]}"; do
    if node_running "$node" && ! node_healthy "$node"; then stale+=("$node"); fi
  done
  ((${#stale[@]} > 0)) || return 0
  warn "restarting running but unhealthy nodes: ${stale[*]}"
  stop_nodes "${stale[@]}"
}

start_and_wait() { # <start fn> <wait fn> <node>...
  local start_fn=$1 wait_fn=$2 node
  shift 2
  for node in "$@"; do "$start_fn" "$node"; done
  for node in "$@"; do
    "$wait_fn" "$node"
    info "$node healthy"
  done
}

on_up_exit() {
  local rc=$?
  ((rc != 0)) || return 0
  stop_started_nodes
  printf 'network.sh: up failed (instance %s); see the message above\n' "$INSTANCE" >&2
}

deploy_chaincodes() {
  local cc hash
  for cc in "${CHAINCODES[@]}"; do cc_entry_check "$cc"; done
  hash=$(cc_build_hash)
  for cc in "${CHAINCODES[@]}"; do cc_deploy "$cc" "$hash"; done
  step "chaincode servers"
  cc_servers_up
}

# ------------------------------------------------------------------------------------------ commands

is_help() { [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; }

# For commands without options: prints the command's help for -h/--help, refuses any other argument.
# Returns 1 when help was printed, so the command ends there: `help_or_no_args down "$@" || return 0`.
help_or_no_args() { # <command> <args...>
  local command=$1
  shift
  if is_help "$@"; then
    "usage_$command"
    return 1
  fi
  [ $# -eq 0 ] || die "$command takes no arguments (try $command --help)"
}

cmd_up() {
  local bft=false hosts=false arg
  for arg in "$@"; do
    case "$arg" in
      --bft) bft=true ;;
      --hosts) hosts=true ;;
      -h | --help) usage_up && return 0 ;;
      *) die "up: unknown option '$arg' (try up --help)" ;;
    esac
  done
  take_lock
  local t0=$EPOCHREALTIME
  resolve_instance "$bft" "$hosts"
  if instance_healthy; then
    step "instance $INSTANCE is running and healthy; nothing to do"
    # Cheap, and brings a topology change that needs no node (e.g. a service's port) to the clients.
    write_network_json "$CONSENSUS"
    print_endpoints
    hint_stale_build
    warn_tls_identities
    return 0
  fi
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  step "instance $INSTANCE ($CONSENSUS, port offset $PORT_OFFSET$($HOSTS && printf ', an organisation per namespace'))"
  reset_incomplete_instance
  secure_instance_dirs
  if $HOSTS; then
    mkdir -p "$DATA_DIR"
    save_instance_state
    step "lab: blackhole route for $LAB_SUBNET, bridge namespace, a namespace per organisation"
    lab_up
  fi
  stop_unhealthy_nodes
  local missing all
  mapfile -t all < <(all_nodes)
  mapfile -t missing < <(nodes_not_running "${all[@]}")
  ((${#missing[@]} == 0)) || check_ports_free "${missing[@]}"
  (umask 022 && bash "$NETWORK_DIR/install.sh") | sed 's/^==>/   /'
  need_tools
  build_typescript
  save_instance_state

  step "certificate authorities"
  mapfile -t missing < <(nodes_not_running "${ORGS[@]/#/ca.}")
  for arg in "${missing[@]}"; do ca_start "${arg#ca.}"; done
  for arg in "${ORGS[@]}"; do ca_wait "$arg"; done
  if ! crypto_complete; then
    step "generating crypto with fabric-ca (signing keys inside SoftHSM2, TLS keys as files)"
    generate_crypto
  fi
  ensure_cc_tls

  step "orderers and peers"
  mapfile -t missing < <(nodes_not_running "${ORDERERS[@]}" "${PEERS[@]}")
  local node
  for node in "${missing[@]}"; do
    if [ "${NODE_KIND[$node]}" = orderer ]; then orderer_start "$node"; else peer_start "$node"; fi
  done
  for node in "${ORDERERS[@]}"; do orderer_wait "$node"; done
  for node in "${PEERS[@]}"; do peer_wait "$node"; done
  info "${#ORDERERS[@]} orderers and ${#PEERS[@]} peers healthy"

  channel_up "$CONSENSUS"
  wait_for_ordering "$CHANNEL"
  info "channel $CHANNEL has an ordering leader"
  deploy_chaincodes
  consortium_found
  wait_for_gossip 60
  write_network_json "$CONSENSUS"
  trap - EXIT INT TERM
  step "instance $INSTANCE is up ($(elapsed_since "$t0") s); network.json: $(network_json)"
  print_endpoints
  warn_tls_identities
}

hint_stale_build() {
  local cc hash
  [ -d "$REPO_DIR/dist/chaincode/src" ] || return 0
  hash=$(cc_build_hash)
  for cc in "${CHAINCODES[@]}"; do
    [ "$(cc_state_get "$cc" version)" = "$hash" ] ||
      info "note: the built chaincode differs from the deployed $cc; run network/network.sh deploy"
  done
}

cmd_deploy() {
  help_or_no_args deploy "$@" || return 0
  take_lock
  resolve_instance false
  if ! crypto_complete || [ ! -f "$(channel_dir)/joined" ]; then
    die "instance $INSTANCE has no channel yet: run network.sh up"
  fi
  local node
  for node in "${ORDERERS[@]}" "${PEERS[@]}"; do
    node_healthy "$node" || die "$node is not running or not healthy: run network.sh up first"
  done
  trap on_up_exit EXIT
  build_typescript
  deploy_chaincodes
  consortium_found
  write_network_json "$CONSENSUS"
  trap - EXIT
}

# Stops processes in dependency order, then any stray process carrying the instance marker.
stop_instance() {
  local pid strays=() labels=()
  if [ -n "${CHANNEL:-}" ]; then
    stop_nodes "${CC_SERVERS[@]}"
    stop_nodes "${PEERS[@]}"
    stop_nodes "${ORDERERS[@]}"
    stop_nodes "${CAS[@]}"
  fi
  for pid in $(instance_pids); do
    strays+=("$pid")
    labels+=("stray $(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^KYC_NETWORK_PROCESS=//p')")
  done
  ((${#strays[@]} == 0)) || stop_pids strays labels
  rm -rf "$PID_DIR"
}

cmd_down() {
  help_or_no_args down "$@" || return 0
  take_lock
  resolve_instance false
  step "stopping instance $INSTANCE (data kept)"
  stop_instance
  lab_down
  step "instance $INSTANCE is down"
}

cmd_clean() {
  help_or_no_args clean "$@" || return 0
  take_lock
  resolve_instance false
  step "cleaning instance $INSTANCE"
  stop_instance
  lab_down
  rm -rf "$DATA_DIR" "$LOG_DIR" "$CRYPTO_DIR"
  rm -f "$LOCK_FILE"
  step "instance $INSTANCE removed (data, logs, crypto, HSM tokens)"
}

cmd_status() {
  help_or_no_args status "$@" || return 0
  resolve_instance false
  [ -d "$DATA_DIR" ] || info "instance $INSTANCE does not exist (no $DATA_DIR)"
  warn_tls_identities
  if print_status; then
    step "instance $INSTANCE: all healthy"
    echo
    print_ledger_status
  else
    printf 'network.sh: instance %s: something is down (see above; network.sh logs <node>)\n' "$INSTANCE" >&2
    return 1
  fi
}

cmd_logs() {
  local node="" follow=false arg
  for arg in "$@"; do
    case "$arg" in
      -h | --help) usage_logs && return 0 ;;
      -f | --follow) follow=true ;;
      -*) die "logs: unknown option '$arg' (try logs --help)" ;;
      *)
        [ -z "$node" ] || die "logs takes one node (try logs --help)"
        node=$arg
        ;;
    esac
  done
  [ -n "$node" ] || die "logs: which node? e.g. network.sh logs peer0.bank (try logs --help)"
  local file
  file=$(log_file "$node")
  [ -f "$file" ] || die "no log for '$node' in $LOG_DIR (logs: $(cd "$LOG_DIR" 2>/dev/null && printf '%s ' *.log))"
  if $follow; then exec tail -n 50 -F "$file"; else cat "$file"; fi
}

usage_restart() {
  printf 'Usage: network/network.sh restart <peer, orderer or chaincode server>\n\nStops one node if it runs and starts it again with its data, then waits until it is healthy\n(e.g. after network.sh kill, or to see how clients ride over a node restart). Node names are those\nnetwork.sh status lists.\n'
}

# The node named on the command line, if it is one restart and kill act on.
restartable_node() { # <command> <args...>
  local command=$1
  shift
  case "${1:-}" in
    "") die "$command: which node? (try $command --help)" ;;
  esac
  [ $# -eq 1 ] || die "$command takes one node (try $command --help)"
  case "${NODE_KIND[$1]:-}" in
    peer | orderer | ccserver) ;;
    *) die "$command: '$1' is not a peer, orderer or chaincode server of instance $INSTANCE (see network.sh status)" ;;
  esac
}

cmd_restart() {
  ! is_help "${1:-}" || { usage_restart && return 0; }
  take_lock
  resolve_instance false
  restartable_node restart "$@"
  local node=$1 kind=${NODE_KIND[$1]}
  step "restarting $node"
  if node_running "$node"; then
    stop_node "$node"
    wait_ports_free "$node" 30
  fi
  case "$kind" in
    ccserver) start_and_wait cc_server_start cc_server_wait "$node" ;;
    *) start_and_wait "${kind}_start" "${kind}_wait" "$node" ;;
  esac
  [ "$kind" != orderer ] || wait_for_ordering "$CHANNEL"
  step "$node restarted"
}

usage_kill() {
  printf 'Usage: network/network.sh kill <peer, orderer or chaincode server>\n\nSends SIGKILL to one node, as a crash would: no shutdown, nothing flushed. Its data stays; network.sh\nrestart <node> (or up) starts it again. For fault tests (docs/operations.md, "Faults").\n'
}

cmd_kill() {
  ! is_help "${1:-}" || { usage_kill && return 0; }
  resolve_instance false
  restartable_node kill "$@"
  local pid
  pid=$(node_pid "$1") || die "kill: $1 is not running"
  kill -KILL "$pid"
  rm -f "$(pid_file "$1")"
  info "$1 killed (SIGKILL, pid $pid)"
}

usage_link() {
  printf 'Usage: network/network.sh link <org> down|up\n\nNamespaced topology (up --hosts) only: takes the link between <org>'"'"'s host (namespace kl-<org>) and the\nbridge down, or up again. Its processes keep running, unreachable, as behind a cut cable (fault tests).\n'
}

cmd_link() {
  ! is_help "${1:-}" || { usage_link && return 0; }
  [ $# -eq 2 ] || die "link takes <org> down|up (try link --help)"
  resolve_instance false
  [ -n "${ORG_MSP[$1]:-}" ] || die "link: '$1' is not an organisation of instance $INSTANCE (${ORGS[*]})"
  [[ "$2" == up || "$2" == down ]] || die "link: say down or up (got '$2')"
  lab_link "$1" "$2"
  info "link of $1's host ($(lab_ns "$1")) is $2"
}

usage_leader() {
  printf 'Usage: network/network.sh leader\n\nPrints the orderer that leads the channel now (its Raft or SmartBFT is_leader metric); exit 1 when none does.\n'
}

cmd_leader() {
  ! is_help "${1:-}" || { usage_leader && return 0; }
  resolve_instance false
  local node metric
  for node in "${ORDERERS[@]}"; do
    metric=$(ops_get "$node" /metrics 2>/dev/null || true)
    if [ "$(metric_value "$metric" 'consensus_(etcdraft|BFT)_is_leader')" = 1 ]; then
      printf '%s\n' "$node"
      return 0
    fi
  done
  die "leader: no orderer of instance $INSTANCE leads channel $CHANNEL now"
}

usage_admin() {
  printf 'Usage: network/network.sh admin <org> <peer CLI arguments...>\n\nRuns the peer CLI as <org>'"'"'s Admin (signing key in the org'"'"'s HSM token) against the org'"'"'s first peer,\ne.g. network/network.sh admin bank channel getinfo -c kyc. Orderer: see network.json.\n'
}

cmd_admin() {
  case "${1:-}" in
    -h | --help) usage_admin && return 0 ;;
    "") die "admin: which org? (try admin --help)" ;;
  esac
  local org=$1
  shift
  resolve_instance false
  [ -n "${ORG_PEERS[$org]:-}" ] || die "admin: '$org' is not an org with peers (${APP_ORGS[*]})"
  crypto_complete || die "instance $INSTANCE has no crypto yet: run network.sh up"
  peer_admin "$org" "" "$@"
}

usage_software_identity() {
  printf 'Usage: network/network.sh software-identity <org> <user>\n\nRegisters <user>-sw with the type and attributes of the client user <user> of topology.json and enrolls\nit with a key in a file (software BCCSP), not in the HSM: for benchmarks that compare HSM and software\nclient keys, and for Caliper, which cannot use PKCS#11 keys (docs/performance.md). Idempotent; prints\nthe MSP directory (signcerts/cert.pem, keystore/*_sk, owner-only).\n'
}

cmd_software_identity() {
  ! is_help "${1:-}" || { usage_software_identity && return 0; }
  [ $# -eq 2 ] || die "software-identity takes <org> <user> (try software-identity --help)"
  local org=$1 user=$2 msp secret
  resolve_instance false
  [ -n "${ORG_MSP[$org]:-}" ] || die "software-identity: '$org' is not an org (${ORGS[*]})"
  [ "${USER_TYPE[$org/$user]:-}" = client ] ||
    die "software-identity: '$user' is not a client user of $org (users: ${ORG_USERS[$org]:-none})"
  crypto_complete || die "instance $INSTANCE has no crypto yet: run network.sh up"
  msp="$DATA_DIR/software-identities/$org/$user/msp"
  if [ ! -f "$msp/signcerts/cert.pem" ]; then
    ca_ready "$org" || die "software-identity: ca.$org is not running (network.sh up)"
    secret=$(rand_hex 16)
    rm -rf "$msp"
    local args=(register -u "$(ca_url "$org")" --mspdir "$(user_msp "$org" registrar)"
      --id.name "$user-sw-$(rand_hex 4)" --id.secret "$secret" --id.type client --id.maxenrollments 1)
    [ -z "${USER_ATTRS[$org/$user]}" ] || args+=(--id.attrs "${USER_ATTRS[$org/$user]}")
    local log="$LOG_DIR/software-identity.log" id
    id=${args[6]}
    mkdir -p "$LOG_DIR"
    ca_client "$org" "$(client_home "$org" "$(clients_token "$org")")" "${args[@]}" >>"$log" 2>&1 ||
      die "software-identity: registering $id at ca.$org failed (see $log)"
    ca_client "$org" "$(client_home "$org" "")" enroll -u "https://$id:$secret@127.0.0.1:${NODE_PORT[ca.$org]}" \
      --mspdir "$msp" --csr.cn "$id" >>"$log" 2>&1 || die "software-identity: enrolling $id failed (see $log)"
    chmod -R go-rwx "$msp"
  fi
  printf '%s\n' "$msp"
}

usage_org() {
  cat <<'USAGE'
Usage: network/network.sh org <command> [options]

  org add --name <org> --role certifier|bank [--msp <MSP id>]
      Adds an organisation to the running channel: its fabric-ca, HSM tokens (keys generated inside), Admin,
      one client user (officer1 or verifier1), peer0.<org> (anchor peer) and the servers of kyc and
      baseline. The channel configuration update is computed with configtxlator and signed by a majority of
      the existing organisations' Admins, each with its own HSM key; the new org approves the committed
      chaincode definitions (no new sequence: the endorsement policy is the channel's MAJORITY, which
      counts the new org); its role is then proposed and approved on the ledger by a majority of Admins.
      network.json lists its service; start it with services/services.sh start (./kyc org add does).
      Idempotent: a run that stopped halfway is finished by running it again.
  org suspend --name <org>     a majority of the other organisations' Admins suspend its role on the
                               ledger: a suspended certifier's records stop counting, a suspended bank
                               cannot verify. Its nodes keep running.
  org resume --name <org>      the counterpart of suspend
  org remove --name <org>      removes an added organisation: role removed on the ledger, then a channel
                               update (majority of Admins) takes it out; its nodes stop and its data,
                               crypto and HSM tokens are deleted. Founding organisations cannot be removed.
  org list                     organisations with their MSP, role on the ledger and peers

<org> is lower-case letters and digits (e.g. certifier2); its MSP id defaults to Certifier2MSP.
USAGE
}

# Parses --name/--role/--msp of `org <command>` into ORG_ARG_NAME, ORG_ARG_ROLE, ORG_ARG_MSP.
parse_org_args() { # <command> <args...>
  local command=$1
  shift
  ORG_ARG_NAME="" ORG_ARG_ROLE="" ORG_ARG_MSP=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --name | --role | --msp)
        [ $# -ge 2 ] || die "org $command: $1 needs a value (try org --help)"
        case "$1" in
          --name) ORG_ARG_NAME=$2 ;;
          --role) ORG_ARG_ROLE=$2 ;;
          --msp) ORG_ARG_MSP=$2 ;;
        esac
        shift 2
        ;;
      *) die "org $command: unknown option '$1' (try org --help)" ;;
    esac
  done
  [ -n "$ORG_ARG_NAME" ] || die "org $command: --name is required (try org --help)"
  [[ "$ORG_ARG_NAME" =~ ^[a-z][a-z0-9]{1,15}$ ]] ||
    die "org $command: --name must be 2 to 16 lower-case letters and digits, starting with a letter (got '$ORG_ARG_NAME')"
}

# The running instance, with its channel and every node healthy (org commands change a live channel).
require_running_channel() {
  if ! crypto_complete || [ ! -f "$(channel_dir)/joined" ]; then
    die "instance $INSTANCE has no channel yet: run network.sh up"
  fi
  local node
  for node in "${ORDERERS[@]}" "${PEERS[@]}" "${CC_SERVERS[@]}"; do
    node_healthy "$node" || die "$node is not running or not healthy: run network.sh up first"
  done
}

cmd_org() {
  local command=${1:-}
  [ $# -eq 0 ] || shift
  case "$command" in
    -h | --help | help) usage_org && return 0 ;;
    add | remove | suspend | resume | list) ;;
    "") die "org: which command? (try org --help)" ;;
    *) die "org: unknown command '$command' (try org --help)" ;;
  esac
  ! is_help "${1:-}" || { usage_org && return 0; }
  take_lock
  resolve_instance false
  if [ "$command" = list ]; then
    [ $# -eq 0 ] || die "org list takes no arguments"
    org_list
    return 0
  fi
  parse_org_args "$command" "$@"
  local org=$ORG_ARG_NAME
  require_running_channel
  case "$command" in
    add)
      [[ "$ORG_ARG_ROLE" == certifier || "$ORG_ARG_ROLE" == bank ]] ||
        die "org add: --role must be certifier or bank (got '${ORG_ARG_ROLE:-nothing}')"
      local msp=${ORG_ARG_MSP:-${org^}MSP}
      [[ "$msp" =~ ^[A-Za-z][A-Za-z0-9.-]{0,63}$ ]] || die "org add: '$msp' is not an MSP id"
      if [ -n "${ORG_MSP[$org]:-}" ] && ! org_is_added "$org"; then
        die "org add: $org is a founding organisation of instance $INSTANCE"
      fi
      local other
      for other in "${ORGS[@]}"; do
        [ "$other" = "$org" ] || [ "${ORG_MSP[$other]}" != "$msp" ] || die "org add: $msp is already the MSP of $other"
      done
      if org_is_added "$org"; then
        if [ "${ORG_ROLE[$org]}" != "$ORG_ARG_ROLE" ] || [ "${ORG_MSP[$org]}" != "$msp" ]; then
          die "org add: $org was added as ${ORG_MSP[$org]} (${ORG_ROLE[$org]}); remove it first to change that"
        fi
      fi
      trap on_up_exit EXIT
      org_add "$org" "$ORG_ARG_ROLE" "$msp"
      trap - EXIT
      step "$org ($msp, $ORG_ARG_ROLE) is a member of channel $CHANNEL"
      ;;
    remove)
      org_is_added "$org" || die "org remove: $org is not an added organisation of instance $INSTANCE (founding organisations stay)"
      org_remove "$org"
      step "$org removed from channel $CHANNEL"
      ;;
    suspend | resume)
      [ -n "${ORG_ROLE[$org]:-}" ] || die "org $command: $org is not an organisation with a role (${APP_ORGS[*]})"
      local status=active
      [ "$command" = resume ] || status=suspended
      step "$org: role ${ORG_ROLE[$org]} $status, by a majority of the other organisations' Admins"
      org_set_status "$org" "$status"
      ;;
  esac
}

org_list() {
  local org members line
  members=$(consortium_members 2>/dev/null || true)
  printf '%-12s %-16s %-10s %-10s %s\n' ORG MSP ROLE LEDGER PEERS
  for org in "${ORGS[@]}"; do
    line=$(grep "^${ORG_MSP[$org]} " <<<"$members" || true)
    printf '%-12s %-16s %-10s %-10s %s\n' "$org" "${ORG_MSP[$org]}" "${ORG_ROLE[$org]:--}" \
      "$(cut -d' ' -f3 <<<"${line:-- - -}")" "${ORG_PEERS[$org]:--}"
  done
}

main() {
  local cmd=${1:-}
  [ $# -eq 0 ] || shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    clean) cmd_clean "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    deploy) cmd_deploy "$@" ;;
    admin) cmd_admin "$@" ;;
    restart) cmd_restart "$@" ;;
    kill) cmd_kill "$@" ;;
    leader) cmd_leader "$@" ;;
    link) cmd_link "$@" ;;
    software-identity) cmd_software_identity "$@" ;;
    org) cmd_org "$@" ;;
    -h | --help | help) usage ;;
    "") usage >&2 && exit 2 ;;
    *) printf 'network.sh: unknown command "%s"\n\n' "$cmd" >&2 && usage >&2 && exit 2 ;;
  esac
}

main "$@"
