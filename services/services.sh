#!/usr/bin/env bash
# Starts and stops the organisations' HTTP services as background processes, one log each in
# network/logs/<instance>/, pid files in services/data/<instance>/pids/. Used by ./kyc start|stop|status.
# The service instances (name, kind certifier|bank, organisation, port) are the `services` of network.json,
# which network.sh writes from crypto-config/topology.json with the instance's port offset applied.
# Several replicas per service (KYC_REPLICAS or --replicas N) share the service's PostgreSQL database
# (KYC_DB=postgres: the project-local cluster of services/db.sh; or KYC_<SERVICE>_DB_URL, e.g.
# KYC_CERTIFIER_DB_URL); replica i listens on the service's port + 100*i.
set -euo pipefail
# The services' state (pending claims, verified results, token digests) and their logs are for the operator
# alone: everything created from here on is owner-only.
umask 077

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=services/lib/process-group.sh
source "$root/services/lib/process-group.sh"
instance=${KYC_INSTANCE:-main}
data_dir="$root/services/data/$instance"
pid_dir="$data_dir/pids"
log_dir="$root/network/logs/$instance"
network_json="$root/crypto-config/generated/$instance/network.json"
replicas_file="$data_dir/replicas"
services=() # filled by load_services from network.json
declare -A service_kind service_port service_ns service_host

usage() {
  cat <<'USAGE'
Usage: services/services.sh <start [--replicas N]|stop|status|urls|clean> [--help]

  start    start every service of network.json's `services` (from crypto-config/topology.json: certifier,
           bank, …; needs a running network); waits for /healthz
           --replicas N (or KYC_REPLICAS=N): N processes per service, replica i on port + 100*i,
           log <service>-<i>-service.log (replica 0: <service>-service.log); N > 1 needs PostgreSQL
  stop [S] stop every replica of every service (or of service S only, e.g. after network.sh org remove)
  status   health of every replica (exit 1 if one is down)
  urls     print where to reach them and where their admin tokens are
  clean    stop them and remove their state (services/data/<instance>, the PostgreSQL cluster's included)

Environment: KYC_INSTANCE (main) selects the network instance, whose network.json has the services' ports
(KYC_PORT_OFFSET included); KYC_DB=postgres (state in the project-local PostgreSQL cluster, started with
services/db.sh; one database kyc_<service> each) or KYC_<SERVICE>_DB_URL per service, e.g.
KYC_CERTIFIER_DB_URL and KYC_BANK_DB_URL (other databases; dashes in a service name become _); default
SQLite in services/data/<instance>/<service>/state.sqlite. Service settings in docs/services.md.
USAGE
}

die() {
  echo "services.sh: $*" >&2
  exit 1
}

# The service instances of network.json: name, kind (certifier|bank: which main.js runs), port, and in the
# namespaced topology (network.sh up --hosts) the namespace of its organisation's host.
load_services() {
  local name kind url ns
  [ -f "$network_json" ] || die "instance $instance has no network.json (run network/network.sh up first)"
  while IFS=$'\t' read -r name kind url ns; do
    [[ "$name" =~ ^[a-z][a-z0-9-]*$ && "$kind" =~ ^(certifier|bank)$ && "$url" =~ ^http://([a-z0-9.-]+):([0-9]+)$ ]] ||
      die "network.json: bad service entry '$name' ($kind, $url); run network/network.sh up to rewrite it"
    services+=("$name")
    service_kind[$name]=$kind
    service_host[$name]=${BASH_REMATCH[1]}
    service_port[$name]=${BASH_REMATCH[2]}
    service_ns[$name]=$ns
  done < <(jq -r '(.services // [])[] | [.name, .kind, .url, (.namespace // "")] | @tsv' "$network_json")
  ((${#services[@]} > 0)) ||
    die "network.json lists no services (older than topology.json services): run network/network.sh up"
}

port_of() { echo $((service_port[$1] + 100 * ${2:-0})); } # service [replica]
url_of() { echo "http://${service_host[$1]}:$(port_of "$1" "${2:-0}")"; }
# Replica 0 keeps the names of a single process; replica i > 0 is <service>-<i>.
process_name() { if [ "${2:-0}" -eq 0 ]; then echo "$1"; else echo "$1-$2"; fi; }
log_of() { echo "$log_dir/$(process_name "$1" "${2:-0}")-service.log"; }
pid_of() {
  local f
  f="$pid_dir/$(process_name "$1" "${2:-0}").pid"
  [ -f "$f" ] && cat "$f"
}
running() { local pid; pid=$(pid_of "$1" "${2:-0}") && process_alive "$pid"; }
# Runs <command...> on the service's host: its organisation's namespace, or here on loopback.
on_host() { # <service> <command...>
  local ns=${service_ns[$1]:-}
  shift
  if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}
# Asked on the service's own host, where it listens on every address.
healthy() { on_host "$1" curl -fsS -m 2 "http://127.0.0.1:$(port_of "$1" "${2:-0}")/healthz" >/dev/null 2>&1; }
replica_count() { if [ -f "$replicas_file" ]; then cat "$replicas_file"; else echo 1; fi; }

# shellcheck disable=SC2016 # $1 belongs to the inner bash
port_taken() { on_host "$1" bash -c '(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null' _ "$2"; } # <service> <port>

start_one() { # service replica
  local name=$1 replica=$2 log port pname
  log=$(log_of "$name" "$replica")
  port=$(port_of "$name" "$replica")
  pname=$(process_name "$name" "$replica")
  if running "$name" "$replica"; then
    echo "==> $pname service already running ($(url_of "$name" "$replica"))"
    return
  fi
  if port_taken "$name" "$port"; then
    echo "services.sh: port $port for the $pname service is taken by another process" >&2
    return 1
  fi
  mkdir -p "$pid_dir" "$log_dir"
  touch "$log"
  chmod 600 "$log"
  echo "==> starting $pname service on $(url_of "$name" "$replica"); log: ${log#"$root"/}"
  # KYC_DB_URL (it holds a password) reaches the process through its environment, never a command line.
  local host=()
  [ -z "${service_ns[$name]}" ] || host=(ip netns exec "${service_ns[$name]}" env KYC_HOST=0.0.0.0)
  KYC_INSTANCE=$instance KYC_SERVICE=$name KYC_PORT=$port KYC_DB_URL=$(database_url_of "$name") \
    setsid "${host[@]}" node "$root/dist/services/src/${service_kind[$name]}/main.js" >>"$log" 2>&1 </dev/null &
  echo $! >"$pid_dir/$pname.pid"
  local waited=0
  until healthy "$name" "$replica"; do
    if ! running "$name" "$replica" || [ "$waited" -ge 120 ]; then
      echo "services.sh: the $pname service did not become healthy; last lines of ${log#"$root"/}:" >&2
      tail -n 20 "$log" >&2
      stop_one "$name" "$replica"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

stop_one() { # service replica
  local name=$1 pid pname
  pname=$(process_name "$name" "${2:-0}")
  pid=$(pid_of "$name" "${2:-0}") || return 0
  if stop_process_group "$pid"; then echo "==> stopped $pname service"; fi
  rm -f "$pid_dir/$pname.pid"
}

# Every replica with a pid file, whatever the replica count of the last start.
stop_all() { # [service]: only that service's replicas
  local f name replica only=${1:-}
  for f in "$pid_dir"/*.pid; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .pid)
    # Service names never end in -<digits> (network/lib/topology.sh checks): that suffix is the replica.
    if [[ "$name" =~ ^(.+)-([0-9]+)$ ]]; then
      name=${BASH_REMATCH[1]}
      replica=${BASH_REMATCH[2]}
    else
      replica=0
    fi
    [ -z "$only" ] || [ "$name" = "$only" ] || continue
    stop_one "$name" "$replica"
  done
}

# The database: PostgreSQL when KYC_DB_URL is set or KYC_DB=postgres (the project-local cluster); SQLite
# (one file per service) serves one process per service only. Checked before anything starts.
check_database_choice() {
  local replicas=$1 name missing=()
  case "${KYC_DB:-sqlite}" in
    postgres | sqlite) ;;
    *)
      echo "services.sh: KYC_DB must be sqlite or postgres" >&2
      exit 2
      ;;
  esac
  if [ -n "${KYC_DB_URL:-}" ]; then
    echo "services.sh: each service needs its own database: set $(database_vars) (or KYC_DB=postgres for the" \
      "project-local cluster), not KYC_DB_URL" >&2
    exit 2
  fi
  # Before network.json is read when the instance has none: no service is known to have a database then.
  for name in "${services[@]}"; do [ -n "$(database_url_of "$name")" ] || missing+=("$name"); done
  if [ "$replicas" -gt 1 ] && [ "${KYC_DB:-sqlite}" != postgres ] &&
    ((${#services[@]} == 0 || ${#missing[@]} > 0)); then
    echo "services.sh: $replicas replicas need a shared PostgreSQL database: set KYC_DB=postgres (or" \
      "$(database_vars)); SQLite keeps each service's state in one local file for one process" >&2
    exit 2
  fi
}

# KYC_DB=postgres: the project-local cluster, one database per service (kyc_<service>: kyc_certifier, …).
start_database() {
  local name
  if [ "${KYC_DB:-sqlite}" = postgres ]; then
    bash "$root/services/db.sh" start
    for name in "${services[@]}"; do
      [ -n "$(database_url_of "$name")" ] ||
        printf -v "$(database_var "$name")" '%s' "$(bash "$root/services/db.sh" url "kyc_${name//-/_}")"
    done
  fi
}

# The variable holding a service's database URL: KYC_<NAME>_DB_URL, dashes as _ (KYC_CERTIFIER_DB_URL).
database_var() { local upper=${1^^}; echo "KYC_${upper//-/_}_DB_URL"; }
database_vars() {
  local name vars=()
  for name in "${services[@]}"; do vars+=("$(database_var "$name")"); done
  if ((${#vars[@]} > 0)); then printf '%s, ' "${vars[@]}" | sed 's/, $//'; else echo "KYC_<SERVICE>_DB_URL for each service"; fi
}
# The database URL the service's processes get as KYC_DB_URL (empty: SQLite).
database_url_of() {
  local var
  var=$(database_var "$1")
  echo "${!var:-}"
}

# The services' state (enrolled officers, the encryption key's SKI) belongs to one incarnation of the network:
# when a CA it knew was re-created (network.sh clean + up), that state is stale and is discarded. The stamp
# holds one "<org> <sha256 of its CA certificate>" line per org; an organisation added to the running channel
# (network.sh org add) only adds a line.
check_network_generation() {
  local cert fingerprints="" stamp="$data_dir/network-fingerprint" org
  for cert in "$root/crypto-config/generated/$instance"/*/ca/ca-cert.pem; do
    [ -f "$cert" ] || continue
    org=${cert%/ca/ca-cert.pem}
    fingerprints+="${org##*/} $(sha256sum "$cert" | cut -d' ' -f1)"$'\n'
  done
  if [ -z "$fingerprints" ]; then
    echo "services.sh: instance $instance has no network (run network/network.sh up first)" >&2
    exit 1
  fi
  if [ -d "$data_dir" ] && { [ ! -f "$stamp" ] || ! stamp_still_valid "$stamp" "$fingerprints"; }; then
    echo "==> the network was re-created since the services last ran: discarding services/data/$instance"
    clean_database
    rm -rf "$data_dir"
  fi
  mkdir -p "$data_dir"
  printf '%s' "$fingerprints" >"$stamp"
  restrict_permissions
}

# Every CA the stamp recorded is still the same (a stamp of an older version is one hash of all CA certificates).
stamp_still_valid() { # <stamp file> <current "<org> <sha>" lines>
  local line legacy
  if ! grep -q ' ' "$1"; then
    legacy=$(cat "$root/crypto-config/generated/$instance"/{bank,certifier,orderer}/ca/ca-cert.pem 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$(cat "$1")" = "$legacy" ]
    return
  fi
  while IFS= read -r line; do
    [ -z "$line" ] || grep -qxF -- "$line" <<<"$2" || return 1
  done <"$1"
}

# State and logs written before the umask above (older versions wrote logs 0644) become owner-only too.
restrict_permissions() {
  # The PostgreSQL cluster's files are its server's (services/db.sh); under root that user needs to traverse
  # the instance directory (0711), nothing more.
  find "$data_dir" -path "$data_dir/postgres" -prune -o -exec chmod go-rwx {} +
  if [ -d "$data_dir/postgres" ] && [ "$(id -u)" = 0 ]; then chmod 0711 "$data_dir"; fi
  mkdir -p "$log_dir"
  local name
  for name in "${services[@]}"; do
    touch "$log_dir/$name-service.log"
  done
  find "$log_dir" -maxdepth 1 -name '*-service.log' -exec chmod 600 {} +
}

# The project-local PostgreSQL cluster lives under services/data/<instance>: stop and remove it first.
clean_database() {
  if [ -d "$data_dir/postgres" ]; then bash "$root/services/db.sh" clean; fi
}

cmd_start() {
  local name replicas=${KYC_REPLICAS:-1} replica
  if [ "${1:-}" = --replicas ]; then replicas=${2:-}; fi
  case "$replicas" in '' | *[!0-9]* | 0)
    echo "services.sh: replicas must be a positive number" >&2
    exit 2
    ;;
  esac
  # The database choice is checked before anything else, also on an instance without a network yet.
  if [ -f "$network_json" ]; then load_services; fi
  check_database_choice "$replicas"
  ((${#services[@]} > 0)) || load_services
  check_network_generation
  start_database
  echo "$replicas" >"$replicas_file"
  for name in "${services[@]}"; do
    for ((replica = 0; replica < replicas; replica++)); do
      if ! start_one "$name" "$replica"; then
        stop_all
        exit 1
      fi
    done
  done
}

cmd_status() {
  local name rc=0 state replica replicas
  load_services
  replicas=$(replica_count)
  for name in "${services[@]}"; do
    for ((replica = 0; replica < replicas; replica++)); do
      if healthy "$name" "$replica"; then
        state=healthy
      elif running "$name" "$replica"; then
        state=unhealthy
        rc=1
      else
        state=stopped
        rc=1
      fi
      printf '%-20s %-10s %s\n' "$(process_name "$name" "$replica")-service" "$state" "$(url_of "$name" "$replica")"
    done
  done
  return "$rc"
}

cmd_urls() {
  local name replicas replica tokens=()
  load_services
  replicas=$(replica_count)
  printf '\nServices\n'
  for name in "${services[@]}"; do
    printf '  %-10s %s   API docs %s/docs   metrics %s/metrics\n' "$name" "$(url_of "$name")" "$(url_of "$name")" \
      "$(url_of "$name")"
    for ((replica = 1; replica < replicas; replica++)); do
      printf '  %-10s %s (replica %s)\n' "" "$(url_of "$name" "$replica")" "$replica"
    done
    tokens+=("services/data/$instance/$name/admin-token")
  done
  printf '  admin tokens: %s\n  demo: ./kyc demo\n' "$(printf '%s, ' "${tokens[@]}" | sed 's/, $//')"
}

case "${1:-}" in
  start) cmd_start "${@:2}" ;;
  stop) stop_all "${2:-}" ;;
  status) cmd_status ;;
  urls) cmd_urls ;;
  clean)
    stop_all
    clean_database
    rm -rf "$data_dir"
    ;;
  -h | --help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
