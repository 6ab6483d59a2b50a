# shellcheck shell=bash
# Shared by services/services.sh and web/web.sh: their processes run under setsid, one process group each.

# Stops a process group: TERM, up to 5 s to exit, then KILL. Returns 1 when the process was not running.
# Whether <pid> runs. A killed process stays a zombie until its (adoptive) parent reaps it, which can take a
# while: that counts as gone, or a crashed service would never be started again.
process_alive() { # <pid>
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

stop_process_group() { # <pid>
  local pid=$1
  process_alive "$pid" || return 1
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do process_alive "$pid" || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
