#!/usr/bin/env bash
# Runs a command with the test server up on REALTIME_PORT/CONTROL_PORT, and
# stops the server afterwards, also when the command fails.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REALTIME_PORT:=39101}" "${CONTROL_PORT:=39102}"
: "${PING_INTERVAL_MS:=2000}" "${PING_TIMEOUT_MS:=2000}"
export REALTIME_PORT CONTROL_PORT PING_INTERVAL_MS PING_TIMEOUT_MS
log=$(mktemp)
node tests/server/server.js >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^READY' "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "test server failed to start" >&2; exit 1; }
  sleep 0.1
done
grep -q '^READY' "$log" || { cat "$log"; echo "test server did not get ready" >&2; exit 1; }
"$@"
