# lately — the two commands that matter: `make run` and `make test`.
SHELL := bash
CARGO ?= cargo
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: run test e2e demo bench bench-quick lint fmt check clean

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

## A handful of realistic items in the running compose system, so the widget is not empty.
demo:
	$(COMPOSE) exec -T writer sh -c 'LATELY_TOKEN="$$LATELY_WRITER_TOKEN" lately demo'

## Benchmarks against baselines measured in the same run (results in bench/results/).
bench:
	$(CARGO) build --release --locked -p lately-writer -p lately-bench
	scripts/with-postgres target/release/lately-bench

bench-quick:
	$(CARGO) build --release --locked -p lately-writer -p lately-bench
	scripts/with-postgres target/release/lately-bench --quick

## What CI checks besides the tests.
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
