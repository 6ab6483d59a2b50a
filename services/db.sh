#!/usr/bin/env bash
# A project-local PostgreSQL cluster for the services' store (docs/storage.md): never the system cluster.
# Data in services/data/<instance>/postgres (mode 0700), listening on 127.0.0.1 only (no Unix socket), port
# 5433 + KYC_PORT_OFFSET, password authentication (scram-sha-256) with a generated password kept in
# services/data/<instance>/postgres.password (mode 0600). Every command is idempotent.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
instance=${KYC_INSTANCE:-main}
offset=${KYC_PORT_OFFSET:-0}
port=$((5433 + offset))
instance_dir="$root/services/data/$instance"
pgdata="$instance_dir/postgres"
password_file="$instance_dir/postgres.password"
log_file="$instance_dir/postgres.log"
db_user=kyc
db_name=kyc
# One database per service instance of network.json (kyc_<service>, dashes as _: kyc_certifier, kyc_bank):
# each service's store has its own key-encryption key in its own org's token.
network_json="$root/crypto-config/generated/$instance/network.json"
service_databases=()
if [ -f "$network_json" ]; then
  mapfile -t service_databases < <(jq -r '(.services // [])[].name | "kyc_" + gsub("-"; "_")' "$network_json")
fi

usage() {
  cat <<'USAGE'
Usage: services/db.sh <start|stop|status|url|clean> [--help]

  start    create the cluster on first use (initdb, generated password), start it, wait until it answers
  stop     stop it (fast shutdown: transactions in flight are rolled back, committed data is kept)
  status   exit 0 when it answers, 1 otherwise
  url [db] print the connection URL of database kyc, or of db (kyc_<service>, e.g. kyc_certifier: the services')
           (it contains the password: pass it to programs, do not log it)
  clean    stop it and delete its data and password

Environment: KYC_INSTANCE (main) selects services/data/<instance>/postgres; KYC_PORT_OFFSET (0) is added to
port 5433. PG_BIN overrides the PostgreSQL binaries' directory (default: the newest /usr/lib/postgresql/*/bin).
PostgreSQL refuses to run as root: under root the cluster runs as the user 'postgres' (KYC_DB_RUN_AS).
USAGE
}

die() {
  echo "db.sh: $*" >&2
  exit 1
}

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    echo "$PG_BIN"
    return
  fi
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || die "PostgreSQL binaries not found (apt-get install postgresql-15, or set PG_BIN)"
  echo "$dir"
}

run_as() { # runs a PostgreSQL server binary: as an unprivileged user when we are root
  if [ "$(id -u)" = 0 ]; then
    runuser -u "${KYC_DB_RUN_AS:-postgres}" -- "$@"
  else
    "$@"
  fi
}

owner_only_for_server() { # path: the server's user must own what it reads or writes
  if [ "$(id -u)" = 0 ]; then
    chown "${KYC_DB_RUN_AS:-postgres}": "$1"
  fi
}

bin=$(pg_bin)

answers() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -t 2 >/dev/null 2>&1; }
running() { [ -f "$pgdata/postmaster.pid" ] && run_as "$bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

init_cluster() {
  echo "==> initdb: $pgdata (127.0.0.1:$port, user $db_user)"
  # services/data/<instance> stays owner-only except traversal, which the server's user needs under root.
  mkdir -p "$instance_dir"
  chmod 0711 "$instance_dir"
  # So does services/data above it, which the services make owner-only when they run first (traversal only:
  # nothing there can be listed or read by the server's user).
  [ "$(id -u)" != 0 ] || chmod go+x "$(dirname "$instance_dir")"
  umask 077
  mkdir -p "$pgdata"
  chmod 0700 "$pgdata"
  owner_only_for_server "$pgdata"
  head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$password_file.tmp"
  chmod 0600 "$password_file.tmp"
  owner_only_for_server "$password_file.tmp"
  run_as "$bin/initdb" -D "$pgdata" -U "$db_user" --pwfile="$password_file.tmp" \
    --auth-host=scram-sha-256 --auth-local=reject -E UTF8 --locale=C >"$log_file" 2>&1 ||
    {
      cat "$log_file" >&2
      rm -rf "$pgdata" "$password_file.tmp"
      die "initdb failed"
    }
  mv "$password_file.tmp" "$password_file"
  [ "$(id -u)" != 0 ] || chown 0:0 "$password_file"
  cat >>"$pgdata/postgresql.conf" <<CONF
# services/db.sh: loopback TCP only, no Unix socket, a small footprint on a shared machine.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 50
shared_buffers = 32MB
CONF
  # Only password logins over loopback TCP.
  printf 'host all %s 127.0.0.1/32 scram-sha-256\n' "$db_user" >"$pgdata/pg_hba.conf"
  owner_only_for_server "$pgdata/pg_hba.conf"
}

create_database() { # name
  if PGPASSWORD=$(cat "$password_file") "$bin/psql" -h 127.0.0.1 -p "$port" -U "$db_user" -d postgres -tAq \
    -c "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; then
    return
  fi
  PGPASSWORD=$(cat "$password_file") "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$db_user" "$1"
}

cmd_start() {
  [ -f "$pgdata/PG_VERSION" ] || init_cluster
  if running; then
    echo "==> PostgreSQL ($instance) already running on 127.0.0.1:$port"
  else
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port is taken by another process"
    fi
    echo "==> starting PostgreSQL ($instance) on 127.0.0.1:$port; log: ${log_file#"$root"/}"
    touch "$log_file"
    chmod 0600 "$log_file"
    owner_only_for_server "$log_file"
    run_as "$bin/pg_ctl" -D "$pgdata" -l "$log_file" -w -t 60 start >/dev/null ||
      {
        tail -n 20 "$log_file" >&2
        die "PostgreSQL did not start"
      }
  fi
  local waited=0
  until answers; do
    [ "$waited" -lt 60 ] || die "PostgreSQL does not answer on 127.0.0.1:$port"
    sleep 0.5
    waited=$((waited + 1))
  done
  local name
  for name in "$db_name" "${service_databases[@]}"; do create_database "$name"; done
}

cmd_stop() {
  if running; then
    echo "==> stopping PostgreSQL ($instance)"
    run_as "$bin/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null
  else
    echo "==> PostgreSQL ($instance) is not running"
  fi
}

cmd_status() {
  if answers; then
    echo "PostgreSQL ($instance): up on 127.0.0.1:$port"
  else
    echo "PostgreSQL ($instance): down"
    return 1
  fi
}

cmd_url() { # [database]
  local name=${1:-$db_name}
  case " $db_name ${service_databases[*]} " in *" $name "*) ;; *) die "unknown database '$name'" ;; esac
  [ -f "$password_file" ] || die "no cluster for instance '$instance' (run: services/db.sh start)"
  printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$db_user" "$(cat "$password_file")" "$port" "$name"
}

cmd_clean() {
  cmd_stop
  rm -rf "$pgdata" "$password_file" "$password_file.tmp" "$log_file"
  # The instance directory goes too when nothing else (services' state) lives there.
  [ ! -d "$instance_dir" ] || rmdir --ignore-fail-on-non-empty "$instance_dir"
  echo "==> removed PostgreSQL data of instance '$instance'"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) cmd_url "${@:2}" ;;
  clean) cmd_clean ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
