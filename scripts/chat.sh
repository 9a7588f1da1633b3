#!/usr/bin/env bash
# The Next.js chat (www/chat) from the package as users get it:
#   scripts/chat.sh build   install `make pack`'s target/pack/chat-realtime.tgz in
#                           www/chat (npm ci from its lockfile), then `next build`
# The lockfile records the tarball without an integrity hash: the tarball is
# rebuilt with the package, so a hash would go stale with every build (npm ci
# checks a hash when there is one, and installs the file as it is without).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
say() { printf '[chat] %s\n' "$*"; }

install() {
  # A lockfile that regained the hash (a plain `npm install` adds it) loses it again.
  node -e '
    const fs = require("fs"), f = "www/chat/package-lock.json", l = JSON.parse(fs.readFileSync(f, "utf8"));
    const e = l.packages["node_modules/chat-realtime"];
    if (e && e.integrity) { delete e.integrity; fs.writeFileSync(f, JSON.stringify(l, null, 2) + "\n"); console.log("[chat] dropped the tarball hash from www/chat/package-lock.json"); }'
  local sum stamp=www/chat/node_modules/.chat-realtime.sha256
  sum=$(cat target/pack/chat-realtime.tgz www/chat/package-lock.json | sha256sum | cut -c1-64)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    say "npm ci in www/chat (the tarball or the lockfile changed)"
    (cd www/chat && npm ci --no-audit --no-fund --loglevel=error)
    echo "$sum" >"$stamp"
  fi
}

case "${1:-}" in
  build)
    [ -f target/pack/chat-realtime.tgz ] || { echo "no target/pack/chat-realtime.tgz: run make pack" >&2; exit 1; }
    install
    say "next build"
    log=$(mktemp)
    (cd www/chat && node node_modules/next/dist/bin/next build >"$log" 2>&1) || { cat "$log" >&2; rm -f "$log"; exit 1; }
    grep -E '^(✓ Compiled|Route|[┌├└])' "$log" || true
    rm -f "$log"
    ;;
  *) echo "usage: $0 build" >&2; exit 2 ;;
esac
