# Every lately service in one slim image; compose runs each with its own command.
#
#   docker build .                     compile from source in RUST_IMAGE (the default target)
#   docker build --target prebuilt .   take the binaries from target/docker-bin/ instead (built on
#                                      the host with `make docker-bin`), for machines that cannot
#                                      pull a Rust image; everything else is identical
#
# Base images are build arguments, so they can be swapped (a mirror, a pinned digest).
# No database is needed to build: queries are checked at run time, migrations are embedded.
ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# What both final images share: CA certificates (for the X API) and an unprivileged user.
FROM ${RUNTIME_IMAGE} AS base
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/lately --create-home lately
WORKDIR /var/lib/lately
ENV LATELY_LOG_FORMAT=json
USER lately

# Binaries built on the host. (Listed before the Rust stages so that building this target never
# needs the Rust image, with or without BuildKit.)
FROM base AS prebuilt
COPY target/docker-bin/ /usr/local/bin/

# Dependencies are compiled in their own cached layer (cargo-chef), rebuilt only when
# Cargo.toml/Cargo.lock change. Only the packages the image ships are built, and both steps name
# the same ones: their dependencies' features then unify the same way, and the cooked layer is
# what the build reuses. (The bench and the chaos harness, with a second event-sourcing stack
# for the bench's peer, stay out of the image and out of its build time.) scripts/release-build
# names the same packages for `make run` and `make docker-bin`.
FROM ${RUST_IMAGE} AS chef
RUN cargo install cargo-chef --locked --version ^0.1
WORKDIR /src
ENV PACKAGES="-p lately-writer -p lately-reader -p lately-notifier -p lately-x-sandbox -p lately-gateway -p lately-cli -p lately-admin"

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked $PACKAGES --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked $PACKAGES \
 && mkdir -p /out \
 && cp target/release/lately target/release/lately-writer target/release/lately-reader \
       target/release/lately-notifier target/release/lately-x-sandbox target/release/lately-gateway \
       target/release/lately-admin /out/

FROM base AS runtime
COPY --from=build /out/ /usr/local/bin/
