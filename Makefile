# chat-realtime: `make test` is what CI runs; `make demo` serves the demo page.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export GECKODRIVER ?= $(HOME)/.cargo/bin/geckodriver
export REALTIME_PORT ?= 39101
export CONTROL_PORT ?= 39102
# The second test server instance and the redis-server the two share
# (scripts/with-server.sh): 39103/39104/39179, or following other A ports.
export REALTIME_PORT_B ?= $(shell expr $(REALTIME_PORT) + 2)
export CONTROL_PORT_B ?= $(shell expr $(CONTROL_PORT) + 2)
export REDIS_PORT ?= $(shell expr $(REALTIME_PORT) + 78)
# Rooms exist on the real server only once created: the test servers create
# these at start and after every /reset.
export ROOMS ?= channel:general,channel:team,channel:e2e,channel:soak,channel:bench-queue,r,dm:d1
# `make bench` starts its own test servers (and redis-server) on these ports, with the default
# Engine.IO ping settings (25 s interval, 20 s timeout).
BENCH_REALTIME_PORT ?= 39131
BENCH_CONTROL_PORT ?= 39132
BENCH_REALTIME_PORT_B ?= 39133
BENCH_CONTROL_PORT_B ?= 39134
BENCH_REDIS_PORT ?= 39139

.PHONY: setup test lint host-test server-test browser-test www-test surface-test bench-smoke build pack chat size demo bench soak clean

setup:
	@bash scripts/setup.sh

lint: setup
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings

host-test: setup
	cargo test

# The browser suites (www/tests/browser/<suite>.test.js, in real pages
# importing pkg/ as users do) in Chromium and Firefox.
browser-test: build
	bash scripts/with-server.sh bash -c 'cd www && node --test tests/browser-suites.test.mjs'

server-test: setup
	cd tests/server && npm test

# The browser suites are browser-test's: skipped here, so `make test` runs them once.
# Among them the Vite app's test (www/tests/vite-app.test.mjs, on the packed
# tarball) and the Next.js chat's end-to-end test (tests/chat.test.mjs, on `make chat`'s build).
www-test: pack chat
	SKIP_BROWSER_SUITES=1 bash scripts/with-server.sh bash -c 'cd www && npm test'

# The fault soak for longer (SOAK_SECONDS, default 600); `make test` runs it
# for 60 s as part of the www tests. Prints minutes, faults, messages, lost,
# duplicated, traps.
SOAK_SECONDS ?= 600
soak: build
	SOAK_SECONDS=$(SOAK_SECONDS) bash scripts/with-server.sh bash -c 'cd www && node --test tests/soak.test.mjs'

# A smoke run of the benchmark (tiny counts, no BENCHMARKS.md) so it cannot rot;
# fails if a measurement throws or yields no number.
bench-smoke: build
	bash scripts/with-server.sh node www/bench/run.mjs --smoke

# nchat's public surface (js/test/nchat-surface.ts) compiled with `tsc --strict`
# against pkg/: a missing or changed member fails (docs/nchat-surface.md).
surface-test: build
	js/node_modules/.bin/tsc -p js/test
	@echo "surface-test: nchat's surface compiles against pkg/"

test: lint host-test server-test surface-test browser-test www-test bench-smoke size
	@echo "make test: all suites passed"

# The wasm and its glue, then the TypeScript layer users import (js/src ->
# pkg/index.js and its modules) and pkg/package.json pointing at it.
build: setup
	wasm-pack build --release --mode no-install --target web --weak-refs
	node scripts/wasm-opt.mjs pkg/chat_realtime_bg.wasm
	js/node_modules/.bin/tsc -p js
	node scripts/package-json.mjs

# The package as users install it: pkg/ packed by `npm pack` into $(PACK)
# (what www/vite-app installs).
PACK := target/pack/chat-realtime.tgz
pack: build
	rm -rf target/pack && mkdir -p target/pack
	cd pkg && npm pack --silent --pack-destination ../target/pack >/dev/null
	mv target/pack/chat-realtime-*.tgz $(PACK)
	@echo "pack: $(PACK) ($$(tar -tzf $(PACK) | wc -l) files)"

# Size and speed next to socket.io-client and the raw WebSocket; prints the
# table and writes BENCHMARKS.md. Not part of `make test` (bench-smoke is).
bench: build
	REALTIME_PORT=$(BENCH_REALTIME_PORT) CONTROL_PORT=$(BENCH_CONTROL_PORT) \
	  REALTIME_PORT_B=$(BENCH_REALTIME_PORT_B) CONTROL_PORT_B=$(BENCH_CONTROL_PORT_B) REDIS_PORT=$(BENCH_REDIS_PORT) \
	  PING_INTERVAL_MS=25000 PING_TIMEOUT_MS=20000 \
	  bash scripts/with-server.sh node www/bench/run.mjs

# Bytes of everything a page loads (raw, gzip, brotli); fails above the
# budget in size-budget.json.
size: build
	node scripts/size.mjs

# The Next.js chat (www/chat) installed from that tarball (npm ci) and built (`next build`).
chat: pack
	bash scripts/chat.sh build

# The chat on 127.0.0.1:8080 beside the local test server (SCALE_OUT=1: two
# instances over Redis, the users split between them); prints the URL.
demo: chat
	bash scripts/demo.sh

clean:
	rm -rf pkg target
