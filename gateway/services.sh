#!/usr/bin/env bash
# Starts and stops the organisations' HTTP services (certifier, bank) as background processes, one log each
# in network/logs/<instance>/, pid files in gateway/data/<instance>/pids/. Used by ./kyc start|stop|status.
set -euo pipefail
# The services' state (pending claims, verified results, token digests) and their logs are for the operator
# alone: everything created from here on is owner-only.
umask 077

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
instance=${KYC_INSTANCE:-main}
offset=${KYC_PORT_OFFSET:-0}
data_dir="$root/gateway/data/$instance"
pid_dir="$data_dir/pids"
log_dir="$root/network/logs/$instance"
services=(certifier bank)

usage() {
  cat <<'USAGE'
Usage: gateway/services.sh <start|stop|status|urls|clean> [--help]

  start    start the certifier and bank services (needs a running network); waits for /healthz
  stop     stop both services
  status   health of both services (exit 1 if one is down)
  urls     print where to reach them and where their admin tokens are
  clean    stop them and remove their state (gateway/data/<instance>)

Environment: KYC_INSTANCE (main), KYC_PORT_OFFSET (0); service settings in docs/services.md.
USAGE
}

port_of() { case "$1" in certifier) echo $((8080 + offset)) ;; bank) echo $((8081 + offset)) ;; esac; }
url_of() { echo "http://127.0.0.1:$(port_of "$1")"; }
pid_of() { [ -f "$pid_dir/$1.pid" ] && cat "$pid_dir/$1.pid"; }
running() { local pid; pid=$(pid_of "$1") && kill -0 "$pid" 2>/dev/null; }
healthy() { curl -fsS -m 2 "$(url_of "$1")/healthz" >/dev/null 2>&1; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_one() {
  local name=$1 log="$log_dir/$1-service.log" port
  port=$(port_of "$name")
  if running "$name"; then
    echo "==> $name service already running ($(url_of "$name"))"
    return
  fi
  if port_taken "$port"; then
    echo "services.sh: port $port for the $name service is taken by another process" >&2
    return 1
  fi
  mkdir -p "$pid_dir" "$log_dir"
  echo "==> starting $name service on $(url_of "$name"); log: ${log#"$root"/}"
  KYC_INSTANCE=$instance KYC_PORT_OFFSET=$offset \
    setsid node "$root/dist/gateway/src/services/$name/main.js" >>"$log" 2>&1 </dev/null &
  echo $! >"$pid_dir/$name.pid"
  local waited=0
  until healthy "$name"; do
    if ! running "$name" || [ "$waited" -ge 120 ]; then
      echo "services.sh: the $name service did not become healthy; last lines of ${log#"$root"/}:" >&2
      tail -n 20 "$log" >&2
      stop_one "$name"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

stop_one() {
  local name=$1 pid
  pid=$(pid_of "$name") || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "==> stopped $name service"
  fi
  rm -f "$pid_dir/$name.pid"
}

# The services' state (enrolled officers, the encryption key's SKI) belongs to one incarnation of the network:
# when its CAs were re-created (network.sh clean + up), that state is stale and is discarded.
check_network_generation() {
  local certs=("$root/crypto-config/generated/$instance"/*/ca/ca-cert.pem) fingerprint stamp="$data_dir/network-fingerprint"
  if [ ! -f "${certs[0]}" ]; then
    echo "services.sh: instance $instance has no network (run network/network.sh up first)" >&2
    exit 1
  fi
  fingerprint=$(cat "${certs[@]}" | sha256sum | cut -d' ' -f1)
  if [ -d "$data_dir" ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; }; then
    echo "==> the network was re-created since the services last ran: discarding gateway/data/$instance"
    rm -rf "$data_dir"
  fi
  mkdir -p "$data_dir"
  printf '%s\n' "$fingerprint" >"$stamp"
  restrict_permissions
}

# State and logs written before the umask above (older versions wrote logs 0644) become owner-only too.
restrict_permissions() {
  chmod -R go-rwx "$data_dir"
  mkdir -p "$log_dir"
  local name
  for name in "${services[@]}"; do
    touch "$log_dir/$name-service.log"
    chmod 600 "$log_dir/$name-service.log"
  done
}

cmd_start() {
  local name
  check_network_generation
  for name in "${services[@]}"; do
    if ! start_one "$name"; then
      local started
      for started in "${services[@]}"; do stop_one "$started"; done
      exit 1
    fi
  done
}

cmd_status() {
  local name rc=0 state
  for name in "${services[@]}"; do
    if healthy "$name"; then state=healthy; elif running "$name"; then state=unhealthy; rc=1; else state=stopped; rc=1; fi
    printf '%-20s %-10s %s\n' "$name-service" "$state" "$(url_of "$name")"
  done
  return "$rc"
}

cmd_urls() {
  cat <<EOF

Services
  certifier  $(url_of certifier)   API docs $(url_of certifier)/docs   metrics $(url_of certifier)/metrics
  bank       $(url_of bank)   API docs $(url_of bank)/docs   metrics $(url_of bank)/metrics
  admin tokens: gateway/data/$instance/certifier/admin-token, gateway/data/$instance/bank/admin-token
  demo: ./kyc demo
EOF
}

case "${1:-}" in
  start) cmd_start ;;
  stop) for s in "${services[@]}"; do stop_one "$s"; done ;;
  status) cmd_status ;;
  urls) cmd_urls ;;
  clean) for s in "${services[@]}"; do stop_one "$s"; done; rm -rf "$data_dir" ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
