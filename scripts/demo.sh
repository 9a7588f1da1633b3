#!/usr/bin/env bash
# `make demo`: the local realtime server on 3101 (control 3102) and the demo
# page on 127.0.0.1:8080. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export REALTIME_PORT=${DEMO_REALTIME_PORT:-3101} CONTROL_PORT=${DEMO_CONTROL_PORT:-3102}
# Rooms must exist, as on the real server: the demo page joins channel:demo.
export ROOMS=${ROOMS:-channel:demo,channel:general}
port=${DEMO_PORT:-8080}
node tests/server/server.js &
srv=$!
node www/serve.mjs "$port" &
web=$!
trap 'kill $srv $web 2>/dev/null || true' EXIT INT TERM
sleep 1
echo
echo "  chat-realtime demo: http://127.0.0.1:$port/?server=http://127.0.0.1:$REALTIME_PORT&control=http://127.0.0.1:$CONTROL_PORT"
echo
wait
