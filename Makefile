# lately — the two commands that matter: `make run` and `make test`.
SHELL := bash
CARGO ?= cargo
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: run test e2e docker-bin chaos chaos-quick fuzz demo bench bench-quick lint fmt check clean

## Run the whole system locally on the embedded SQLite log.
run:
	@scripts/run-local

## Run every test against a real PostgreSQL (a throwaway cluster unless DATABASE_URL is set)
## and, for the widget, headless Chromium (installed from Debian's packages when missing).
test:
	scripts/ensure-chromium
	$(CARGO) build --workspace --bins --locked
	scripts/with-postgres $(CARGO) test --workspace --locked

## The docker compose journey on the local Docker engine (builds base images it cannot pull).
e2e:
	scripts/e2e

## Release binaries into target/docker-bin/ for the image's `prebuilt` target
## (LATELY_BUILD_TARGET=prebuilt docker compose up), where the Rust image cannot be pulled.
docker-bin:
	scripts/docker-bin release

## Faults: the real processes killed at random under load and PostgreSQL restarted, then the
## writer's and a reader's APIs fuzzed from their OpenAPI documents (figures in target/chaos and
## target/fuzz-api).
CHAOS_SECONDS ?= 180
FUZZ_API_SECONDS ?= 120
chaos:
	$(CARGO) build --workspace --bins --locked
	scripts/with-postgres bash -c 'target/debug/lately-chaos --seconds $(CHAOS_SECONDS) && scripts/fuzz-api $(FUZZ_API_SECONDS)'

## The same, short enough for CI.
chaos-quick:
	$(MAKE) chaos CHAOS_SECONDS=30 FUZZ_API_SECONDS=30

## cargo-fuzz targets for event decoding and the tweet composer (FUZZ_SECONDS per target).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

## A handful of realistic items in the running compose system, so the widget is not empty.
demo:
	$(COMPOSE) exec -T writer sh -c 'LATELY_TOKEN="$$LATELY_WRITER_TOKEN" lately demo'

## Benchmarks against baselines measured in the same run (results in bench/results/), on a
## PostgreSQL that really syncs its commits to disk.
bench:
	$(CARGO) build --release --locked -p lately-writer -p lately-reader -p lately-notifier -p lately-x-sandbox -p lately-bench
	LATELY_PG_FSYNC=on scripts/with-postgres target/release/lately-bench

## Small sizes on the debug binaries `make test` built: keeps the harness from rotting (CI).
bench-quick:
	$(CARGO) build --workspace --bins --locked
	scripts/with-postgres target/debug/lately-bench --quick --bin-dir target/debug

## What CI checks besides the tests.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
