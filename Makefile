# Flotilla: `make run` serves the console, `make test` checks everything. Both install what
# is missing on a Debian machine first (see scripts/setup.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Build tools and the cargo target dir live outside the clone so new clones reuse them.
export FLOTILLA_TOOLS ?= $(HOME)/.cache/flotilla/tools
export CARGO_TARGET_DIR ?= $(HOME)/.cache/flotilla/target
export PATH := $(FLOTILLA_TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# make's builds are one-shot; incremental caches only grew the shared target dir.
export CARGO_INCREMENTAL ?= 0

NODES ?= 3
# Only the server side: the frontend builds for wasm32 in scripts/build-site.sh.
SERVER_PACKAGES := -p flotilla-charts -p flotilla-compose -p flotilla-engine -p flotilla-store -p flotilla-fleet -p flotilla-live -p flotilla-stack -p app -p server

.PHONY: run build image test lint unit-test e2e bench sandbox sandbox-down clean-data

## run: install what is missing, start a local engine if none answers, build, serve on 127.0.0.1:3000
run: build
	scripts/local-engine.sh
	FLOTILLA_DATA_DIR=$${FLOTILLA_DATA_DIR:-$(CURDIR)/data} LEPTOS_SITE_ROOT=$(CARGO_TARGET_DIR)/site \
	  FLOTILLA_REGISTER_HOST=$${DOCKER_HOST:-unix:///var/run/docker.sock} \
	  $(CARGO_TARGET_DIR)/release/flotilla

## build: the release site (WASM + CSS + assets) and the server binary
build:
	scripts/setup.sh build
	scripts/build-site.sh

## image: the container image (flotilla:local) from what `make build` made; prints its size
image: build
	scripts/local-engine.sh
	scripts/image.sh

## test: formatting, lints, unit and engine tests on a sandbox swarm, browser tests
test:
	scripts/setup.sh test
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory unit-test
	scripts/build-site.sh
	$(MAKE) --no-print-directory e2e

## bench: the first page at 20 Mbit/s (WASM bytes, time to interactive); a 10-service stack deployed by Flotilla and by docker stack deploy (time ratio); the services list at 1,000 services (time, bytes); the live visualizer (event → card, engine requests per viewer count, memory, 10,000 tasks; the board rendered on the server); metrics (a sampler round over 100 tasks, a 7-day chart)
bench:
	scripts/setup.sh test
	scripts/claim-target.sh
	cargo bench -p flotilla-fleet --bench stack_deploy
	cargo bench -p app --features ssr --bench board_render
	cargo bench -p flotilla-charts --bench chart_render
	cargo bench -p flotilla-fleet --bench metrics_round
	scripts/build-site.sh
	cd end2end && [ -d node_modules ] || npm ci --no-audit --no-fund --silent
	cd end2end && node bench/services_list.mjs
	cd end2end && node bench/visualizer.mjs
	cd end2end && node bench/first_page.mjs

lint:
	scripts/claim-target.sh
	cargo fmt --all --check
	cargo clippy $(SERVER_PACKAGES) --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
	# The compose model and the stack planner must stay pure: checked for the browser too.
	cargo clippy -p flotilla-compose -p flotilla-stack -p flotilla-live --target wasm32-unknown-unknown -- -D warnings

unit-test:
	scripts/claim-target.sh
	cargo test $(SERVER_PACKAGES)

e2e:
	cd end2end && [ -d node_modules ] || npm ci --no-audit --no-fund --silent
	cd end2end && node --test --test-concurrency=1 tests/

## sandbox: NODES Docker hosts (node1..nodeN) in network namespaces on one bridge
sandbox:
	scripts/setup.sh engine
	NODES=$(NODES) scripts/sandbox.sh up

sandbox-down:
	NODES=$(NODES) scripts/sandbox.sh down
