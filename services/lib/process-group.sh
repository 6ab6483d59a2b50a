# shellcheck shell=bash
# Shared by services/services.sh and web/web.sh: their processes run under setsid, one process group each.

# Stops a process group: TERM, up to 5 s to exit, then KILL. Returns 1 when the process was not running.
stop_process_group() { # <pid>
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 1
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
