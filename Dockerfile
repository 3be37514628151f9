# Build: docker build -t pbvote .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin pbvote

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/pbvote --create-home pbvote
COPY --from=build /src/target/release/pbvote /usr/local/bin/pbvote
COPY frontend /usr/share/pbvote/frontend
ENV PBVOTE_BIND=0.0.0.0:8080 \
    PBVOTE_FRONTEND_DIR=/usr/share/pbvote/frontend \
    PBVOTE_KEY_FILE=/var/lib/pbvote/pbvote.key \
    PBVOTE_LOG_FORMAT=json
USER pbvote
WORKDIR /var/lib/pbvote
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/ready || exit 1
ENTRYPOINT ["pbvote"]
CMD ["serve"]
