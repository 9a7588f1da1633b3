#!/usr/bin/env bash
# `make demo`: the Next.js chat (www/chat, built by `make chat` from the packed
# tarball) on 127.0.0.1:$DEMO_PORT (8080) beside the local realtime server on
# 3101 (control 3102). SCALE_OUT=1: Redis and two server instances sharing it
# (3101 and 3103), each demo user on one of them (Alice on A, Bob on B, Carol
# on A), so the chat crosses instances. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export REALTIME_PORT=${DEMO_REALTIME_PORT:-3101} CONTROL_PORT=${DEMO_CONTROL_PORT:-3102}
export REALTIME_PORT_B=${DEMO_REALTIME_PORT_B:-$((REALTIME_PORT + 2))} CONTROL_PORT_B=${DEMO_CONTROL_PORT_B:-$((CONTROL_PORT + 2))}
# Rooms must exist, as on the real server: the chat's channels.
export ROOMS=${ROOMS:-channel:general,channel:random,channel:demo}
export PING_INTERVAL_MS=${PING_INTERVAL_MS:-25000} PING_TIMEOUT_MS=${PING_TIMEOUT_MS:-20000}
export NEXT_TELEMETRY_DISABLED=1
port=${DEMO_PORT:-8080}
[ -f www/chat/.next/BUILD_ID ] || { echo "www/chat is not built: run make chat" >&2; exit 1; }

chat() {
  echo
  echo "  chat-realtime chat demo: http://127.0.0.1:$port/"
  echo "  realtime server: $REALTIME_URL   (control API: http://127.0.0.1:$CONTROL_PORT)"
  echo "  open it in two windows (one private, or two browsers) and sign in as two users"
  echo
  cd www/chat && node node_modules/next/dist/bin/next start -p "$port" -H 127.0.0.1
}

if [ -n "${SCALE_OUT:-}" ]; then
  export REALTIME_URL="http://127.0.0.1:$REALTIME_PORT,http://127.0.0.1:$REALTIME_PORT_B"
  export -f chat; export port
  exec bash scripts/with-server.sh bash -c chat
fi
export REALTIME_URL="http://127.0.0.1:$REALTIME_PORT"
node tests/server/server.js &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chat
