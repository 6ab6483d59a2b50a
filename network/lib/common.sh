# shellcheck shell=bash
# Shared by every network command: paths of the instance, output helpers, ports, processes and waits.
# Sourced by network/network.sh, which sets `set -euo pipefail`.

NETWORK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$NETWORK_DIR/.." && pwd)
BIN_DIR="$NETWORK_DIR/bin"
SAMPLE_CONFIG_DIR="$BIN_DIR/sampleconfig"
TOPOLOGY_FILE="$REPO_DIR/crypto-config/topology.json"
PKCS11_LIBRARY=${PKCS11_LIBRARY:-/usr/lib/softhsm/libsofthsm2.so}
# Node env files are sourced by bash and Fabric splits list values on commas: keep paths plain.
if [[ "$REPO_DIR" =~ [[:space:],\'\"] ]]; then
  printf 'network.sh: the repository path must not contain spaces, commas or quotes: %s\n' "$REPO_DIR" >&2
  exit 2
fi
# Fabric's log format without colour codes (the default one colours even when writing to a file).
# shellcheck disable=SC2034 # used in the node env files
LOG_FORMAT="'%{time:2006-01-02 15:04:05.000 MST} [%{module}] %{shortfunc} -> %{level:.4s} %{id:04x} %{message}'"

INSTANCE=${KYC_INSTANCE:-main}
if [[ ! "$INSTANCE" =~ ^[a-z0-9][a-z0-9-]{0,39}$ ]]; then
  printf 'network.sh: KYC_INSTANCE must be lower-case letters, digits and dashes (got "%s")\n' "$INSTANCE" >&2
  exit 2
fi
DATA_DIR="$NETWORK_DIR/data/$INSTANCE"
LOG_DIR="$NETWORK_DIR/logs/$INSTANCE"
PID_DIR="$DATA_DIR/pids"
CRYPTO_DIR="$REPO_DIR/crypto-config/generated/$INSTANCE"
HSM_DIR="$CRYPTO_DIR/hsm"
export SOFTHSM2_CONF="$HSM_DIR/softhsm2.conf"

# ---------------------------------------------------------------------------------------------- output

CMD_T0=$EPOCHREALTIME
# Progress line with the seconds since the command started.
step() { printf '==> %5ss %s\n' "$(elapsed_since "$CMD_T0")" "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'network.sh: warning: %s\n' "$*" >&2; }
die() {
  printf 'network.sh: %s\n' "$*" >&2
  exit 1
}

# Prints why a node failed, where its log is and the log's last lines, then exits 1.
fail_node() { # <node> <reason>
  local node=$1 reason=$2 log
  log=$(log_file "$node")
  {
    printf 'network.sh: %s: %s\n' "$node" "$reason"
    printf '  log: %s\n' "$log"
    if [ -s "$log" ]; then
      printf '  last lines:\n'
      tail -n 25 "$log" | sed 's/^/    | /'
    fi
  } >&2
  exit 1
}

log_file() { printf '%s/%s.log\n' "$LOG_DIR" "$1"; }

# Random lower-case hex of <bytes> bytes, for PINs and passwords.
rand_hex() { od -An -N"${1:-16}" -tx1 /dev/urandom | tr -d ' \n'; }

# Writes <content> to <file> readable by the owner only.
write_secret() { # <file> <content>
  (umask 077 && printf '%s' "$2" >"$1")
}

# Repairs an instance created before everything was owner-only: its directories lose every group and
# other permission (the ledgers and logs of running nodes included; they keep running).
secure_instance_dirs() {
  local dir
  for dir in "$DATA_DIR" "$LOG_DIR" "$CRYPTO_DIR"; do
    [ ! -e "$dir" ] || chmod -R go-rwx "$dir"
  done
  redact_pins_in_logs
}

# Older peers and orderers printed their HSM PIN into their logs at start: replace any PIN found there.
redact_pins_in_logs() {
  local pin_file pin log
  [ -d "$LOG_DIR" ] && [ -d "$HSM_DIR/pins" ] || return 0
  for pin_file in "$HSM_DIR"/pins/*.pin; do
    [ -f "$pin_file" ] || continue
    pin=$(<"$pin_file")
    [[ "$pin" =~ ^[0-9a-f]{16,}$ ]] || continue
    while IFS= read -r -d '' log; do
      # Rewritten in place (same inode): running processes keep appending to it.
      sed "s/$pin/[HSM PIN redacted]/g" "$log" >"$log.redacted" && cat "$log.redacted" >"$log"
      rm -f "$log.redacted"
    done < <(grep -lZF -- "$pin" "$LOG_DIR"/*.log 2>/dev/null)
  done
}

elapsed_since() { # <start seconds, from $EPOCHREALTIME>
  awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }'
}

# ------------------------------------------------------------------------------------------------ ports

# Prints "pid command" of whatever listens on 127.0.0.1/any address at <port> (on <node>'s host in the
# namespaced topology), or nothing.
port_owner() { # <port> [<node>]
  local line ns=()
  if $HOSTS && [ -n "${2:-}" ]; then ns=(ip netns exec "$(lab_ns "${NODE_ORG[$2]}")"); fi
  line=$("${ns[@]}" ss -Htlnp "sport = :$1" 2>/dev/null | head -n 1) || true
  [ -n "$line" ] || return 0
  if [[ "$line" =~ users:\(\(\"([^\"]*)\",pid=([0-9]+) ]]; then
    printf '%s (pid %s)\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  else
    printf 'another process\n'
  fi
}

tcp_open() { # <port> [<node>: on its host in the namespaced topology]
  if $HOSTS && [ -n "${2:-}" ]; then
    # shellcheck disable=SC2016 # $1 belongs to the inner bash
    in_node_ns "$2" bash -c '(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null' _ "$1"
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# ------------------------------------------------------------------------------------------- processes

pid_file() { printf '%s/%s.pid\n' "$PID_DIR" "$1"; }

# Every process this script starts carries KYC_NETWORK_PROCESS=<instance>/<node> in its environment, so
# `down` and `clean` also find processes whose pid file was lost.
process_marker() { printf 'KYC_NETWORK_PROCESS=%s/%s' "$INSTANCE" "$1"; }

# Prints the pid of <node> if it runs (pid file, checked against the marker so a reused pid is ignored).
node_pid() { # <node>
  local file pid
  file=$(pid_file "$1")
  [ -f "$file" ] || return 1
  pid=$(<"$file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  has_marker "$pid" "$(process_marker "$1")" || return 1
  printf '%s\n' "$pid"
}

has_marker() { # <pid> <marker>
  grep -qszxF -- "$2" "/proc/$1/environ"
}

node_running() { node_pid "$1" >/dev/null; }

# Pids of every process of this instance, found by marker (also those without a pid file).
instance_pids() {
  grep -lszF -- "KYC_NETWORK_PROCESS=$INSTANCE/" /proc/[0-9]*/environ | cut -d/ -f3 | grep -vx "$$" || true
}

# Starts <command...> as <node> in its own session, with a clean environment made of the lines of
# <env file> (KEY=value, sourced) plus PATH/HOME/SOFTHSM2_CONF and the marker. Output goes to its log.
start_process() { # <node> <env file or -> <workdir> <command...>
  local node=$1 env_file=$2 workdir=$3
  shift 3
  mkdir -p "$PID_DIR" "$LOG_DIR"
  local log
  log=$(log_file "$node")
  printf '\n===== %s starting %s (instance %s)\n' "$(date -Is)" "$node" "$INSTANCE" >>"$log"
  # In the namespaced topology the process runs on its organisation's host (same pid: ip netns exec execs).
  if $HOSTS && [ -n "${NODE_ORG[$node]:-}" ]; then set -- ip netns exec "$(lab_ns "${NODE_ORG[$node]}")" "$@"; fi
  (
    cd "$workdir" || exit 1
    exec 9>&- # the instance lock (network.sh) must not outlive this command
    # shellcheck disable=SC2016 # $1/$@ belong to the inner bash
    exec setsid env -i "PATH=$PATH" "HOME=${HOME:-/root}" "SOFTHSM2_CONF=$SOFTHSM2_CONF" \
      "$(process_marker "$node")" bash -c 'if [ "$1" != - ]; then set -a; . "$1"; set +a; fi; shift; exec "$@"' \
      _ "$env_file" "$@" </dev/null >>"$log" 2>&1
  ) &
  printf '%s' "$!" >"$(pid_file "$node")"
  STARTED_NODES+=("$node")
}

# Stops <node>s together: SIGTERM, then SIGKILL for any still running after 15 s. Quiet for nodes that
# do not run.
stop_nodes() { # <node>...
  local node pid pids=() names=()
  for node in "$@"; do
    if pid=$(node_pid "$node"); then
      pids+=("$pid")
      names+=("$node")
    fi
    rm -f "$(pid_file "$node")"
  done
  ((${#pids[@]} > 0)) || return 0
  stop_pids pids names
}

stop_node() { stop_nodes "$1"; }

# A stopped process stays a zombie until its (adoptive) parent reaps it: that counts as gone.
pid_alive() { # <pid>
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

stop_pids() { # <name of pid array> <name of label array>
  local -n _pids=$1 _names=$2
  local i deadline=$((SECONDS + 15)) left
  for i in "${!_pids[@]}"; do kill -TERM "${_pids[i]}" 2>/dev/null || true; done
  while :; do
    left=()
    for i in "${!_pids[@]}"; do pid_alive "${_pids[i]}" && left+=("$i"); done
    ((${#left[@]} > 0)) || break
    if ((SECONDS >= deadline)); then
      for i in "${left[@]}"; do
        warn "${_names[i]} (pid ${_pids[i]}) ignored SIGTERM for 15 s; sending SIGKILL"
        kill -KILL "${_pids[i]}" 2>/dev/null || true
      done
      break
    fi
    sleep 0.1
  done
  for i in "${!_pids[@]}"; do info "stopped ${_names[i]} (pid ${_pids[i]})"; done
}

# Nodes started by the current command; the failure trap stops them so a failed `up` leaves no orphans.
STARTED_NODES=()

stop_started_nodes() {
  ((${#STARTED_NODES[@]} > 0)) || return 0
  printf 'network.sh: stopping what this run started: %s\n' "${STARTED_NODES[*]}" >&2
  stop_nodes "${STARTED_NODES[@]}" >&2 || true
  STARTED_NODES=()
}

# ------------------------------------------------------------------------------------------------ waits

# Polls <check...> every 0.2 s until it succeeds; fails the node if its process exits or <timeout> passes.
# A node started a moment ago may not have exec'd into its marked command yet (on a loaded machine this
# takes a while): its pid file's process being alive is enough while waiting for it.
started_pid_alive() { # <node>
  local pid
  pid=$(cat "$(pid_file "$1")" 2>/dev/null) && [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid"
}

wait_for_node() { # <node> <timeout seconds> <what> <check...>
  local node=$1 timeout=$2 what=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    node_running "$node" || started_pid_alive "$node" || fail_node "$node" "exited while waiting for $what"
    ((SECONDS < deadline)) || fail_node "$node" "no $what after ${timeout} s"
    sleep 0.2
  done
}

http_healthy() { # <node> <url> [<CA file for an https url>]: asked on the node's own host
  in_node_ns "$1" curl -fsS --max-time 2 ${3:+--cacert "$3"} "$2/healthz" 2>/dev/null | grep -q '"status":"OK"'
}

# Runs <command...> until it succeeds, up to <tries> times, while its output matches <transient regex>:
# the first lifecycle broadcast is refused until the ordering service has elected a leader.
retry_transient() { # <tries> <transient regex> <command...>
  local tries=$1 pattern=$2 attempt out
  shift 2
  for ((attempt = 1; ; attempt++)); do
    if out=$("$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    if ((attempt >= tries)) || ! grep -Eq "$pattern" <<<"$out"; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 0.5
  done
}

# Fails naming the node and port when a port that <node> needs is already taken.
check_ports_free() { # <node>...
  local node port owner
  for node in "$@"; do
    for port in $(node_ports "$node"); do
      owner=$(port_owner "$port" "$node")
      [ -z "$owner" ] || die "port $port needed by $node is already in use by $owner (log: $(log_file "$node"))"
    done
  done
}

# Waits up to <timeout> s for the ports of <node> to be released (a process just stopped), then checks.
wait_ports_free() { # <node> <timeout seconds>
  local deadline=$((SECONDS + $2)) port busy
  while :; do
    busy=false
    for port in $(node_ports "$1"); do
      [ -z "$(port_owner "$port" "$1")" ] || busy=true
    done
    if ! $busy || ((SECONDS >= deadline)); then break; fi
    sleep 0.2
  done
  check_ports_free "$1"
}
