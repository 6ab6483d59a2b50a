#!/usr/bin/env bash
# Builds the web pages and starts or stops the wallet's own server (docs/web.md). The desk and the console
# are served by the bank and certifier services themselves (same origin as their APIs); the wallet has its
# own origin, http://127.0.0.1:8090 + KYC_PORT_OFFSET. Used by ./kyc start|stop|status.
set -euo pipefail
umask 077

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=services/lib/process-group.sh
source "$root/services/lib/process-group.sh"
instance=${KYC_INSTANCE:-main}
offset=${KYC_PORT_OFFSET:-0}
pid_file="$root/services/data/$instance/wallet-web.pid"
log="$root/network/logs/$instance/wallet-web.log"
port=$((8090 + offset))
url="http://127.0.0.1:$port"

usage() {
  cat <<'USAGE'
Usage: web/web.sh <build|start|stop|status|urls> [--help]

  build    bundle the wallet, desk and console with esbuild into dist/web-pages/ (git-ignored)
  start    build, then start the wallet's server (needs a running network: it reads the trust list)
  stop     stop the wallet's server
  status   health of the wallet's server (exit 1 if down)
  urls     print the pages' addresses
USAGE
}

running() { [ -f "$pid_file" ] && process_alive "$(cat "$pid_file")"; }
healthy() { curl -fsS -m 2 "$url/healthz" >/dev/null 2>&1; }

cmd_build() {
  # The bundles are public files: readable by the web server whatever the caller's umask.
  (umask 022 && node "$root/web/build.mjs")
}

cmd_start() {
  cmd_build
  if running; then
    echo "==> wallet web server already running ($url)"
    return
  fi
  mkdir -p "$(dirname "$pid_file")" "$(dirname "$log")"
  touch "$log"
  chmod 600 "$log"
  echo "==> starting the wallet web server on $url; log: ${log#"$root"/}"
  KYC_INSTANCE=$instance KYC_PORT_OFFSET=$offset setsid node "$root/dist/services/src/web/wallet-main.js" \
    >>"$log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  local waited=0
  until healthy; do
    if ! running || [ "$waited" -ge 60 ]; then
      echo "web.sh: the wallet web server did not start; last lines of ${log#"$root"/}:" >&2
      tail -n 20 "$log" >&2
      cmd_stop
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

cmd_stop() {
  [ -f "$pid_file" ] || return 0
  local pid
  pid=$(cat "$pid_file")
  if stop_process_group "$pid"; then echo "==> stopped the wallet web server"; fi
  rm -f "$pid_file"
}

cmd_status() {
  if healthy; then
    printf '%-20s %-10s %s\n' wallet-web healthy "$url"
  else
    printf '%-20s %-10s %s\n' wallet-web stopped "$url"
    return 1
  fi
}

cmd_urls() {
  cat <<EOF2

Web pages
  wallet (the person; open on a phone-sized window)  $url/
  bank desk (sign in with a bank officer's token)     http://127.0.0.1:$((8081 + offset))/desk/
  certifier console (a certification officer's token) http://127.0.0.1:$((8080 + offset))/console/
  officer tokens: POST /v1/officers with the admin token (docs/web.md, "Officers")
EOF2
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  urls) cmd_urls ;;
  -h | --help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
