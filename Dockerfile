# syntax=docker/dockerfile:1
# Multi-stage build: compile with the full Rust toolchain, run on a small Debian image as
# an unprivileged user. SQLite and libpq are compiled into the binary, so the runtime image
# needs no database client libraries.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
COPY assets ./assets
COPY config ./config
RUN cargo build --release --locked && strip target/release/centrale

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin centrale \
    && mkdir -p /app/data /app/config \
    && chown -R centrale:centrale /app
WORKDIR /app
COPY --from=build /src/target/release/centrale /usr/local/bin/centrale
COPY config ./config
USER centrale
ENV CENTRALE_PROFILE=production \
    CENTRALE__SERVER__BIND=0.0.0.0:8080
VOLUME ["/app/data"]
# Orchestrators probe GET /healthz (alive) and GET /readyz (database reachable).
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/centrale"]
CMD ["serve"]
