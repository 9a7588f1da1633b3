#!/usr/bin/env bash
# Runs a command with the test servers up, and stops them afterwards, also
# when the command (or a start) fails: Debian's redis-server on REDIS_PORT
# (loopback, no persistence, its own temp dir), then two instances sharing it
# through REDIS_URL: A on REALTIME_PORT/CONTROL_PORT, B on
# REALTIME_PORT_B/CONTROL_PORT_B.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REALTIME_PORT:=39101}" "${CONTROL_PORT:=39102}"
# Unset, B and Redis follow A's ports (39103/39104/39179 for the defaults), so a
# caller that picks only REALTIME_PORT/CONTROL_PORT does not collide with others.
: "${REALTIME_PORT_B:=$((REALTIME_PORT + 2))}" "${CONTROL_PORT_B:=$((CONTROL_PORT + 2))}"
: "${REDIS_PORT:=$((REALTIME_PORT + 78))}"
: "${PING_INTERVAL_MS:=2000}" "${PING_TIMEOUT_MS:=2000}"
export REALTIME_PORT CONTROL_PORT REALTIME_PORT_B CONTROL_PORT_B REDIS_PORT PING_INTERVAL_MS PING_TIMEOUT_MS
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

tmp=$(mktemp -d)
: >"$tmp/redis.log"; : >"$tmp/a.log"; : >"$tmp/b.log" # there before the jobs open them
pids=()
# The instances first (they write their last presence changes to Redis), then redis-server.
cleanup() {
  local pid
  for pid in "${pids[@]:1}" "${pids[0]:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for NAME PID LOG PATTERN: until LOG has PATTERN; fail if PID dies or 10 s pass.
wait_for() {
  for _ in $(seq 100); do
    grep -q "$4" "$3" && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; echo "$1 failed to start" >&2; return 1; }
    sleep 0.1
  done
  cat "$3" >&2
  echo "$1 did not get ready" >&2
  return 1
}

/usr/bin/redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$tmp" >"$tmp/redis.log" 2>&1 &
pids+=($!)
wait_for redis-server "${pids[-1]}" "$tmp/redis.log" 'Ready to accept connections'

node tests/server/server.js >"$tmp/a.log" 2>&1 &
pids+=($!)
REALTIME_PORT=$REALTIME_PORT_B CONTROL_PORT=$CONTROL_PORT_B node tests/server/server.js >"$tmp/b.log" 2>&1 &
pids+=($!)
wait_for "test server A" "${pids[1]}" "$tmp/a.log" '^READY'
wait_for "test server B" "${pids[2]}" "$tmp/b.log" '^READY'
# On failure, the servers' own words help: show the end of their logs.
"$@" || {
  rc=$?
  for f in a b; do echo "--- test server ${f^^} (last 40 lines)" >&2; tail -n 40 "$tmp/$f.log" >&2; done
  exit $rc
}
