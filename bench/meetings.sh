#!/usr/bin/env bash
# A hall meeting under load, against two instances on one PostgreSQL — on loopback only.
#
#   bash bench/meetings.sh                       # 1,000 phones, 1,000 stream clients
#   PHONES=300 WATCHERS=300 bash bench/meetings.sh
#   WITHIN=10 bash bench/meetings.sh             # the phones' votes spread over 10 s, as a hall
#
# Makes a fresh PostgreSQL database (127.0.0.1:5432, user postgres, trust auth), adds an
# organiser, starts two `pbvote serve` (release build) on free ports, and runs
# `pbvote-loadgen meeting` against both: PHONES phones with slips join and vote, spread over
# the two instances, CONCURRENCY at a time, while WATCHERS stream clients (spread over both)
# follow the meeting. It prints the ballots' latency, how long after the last acknowledged
# ballot every stream client had the full count, a reconnect storm (every client dropped and
# reconnected at once), memory per connected stream client, and close and reveal times.
set -euo pipefail
cd "$(dirname "$0")/.."

PHONES=${PHONES:-1000}
WATCHERS=${WATCHERS:-1000}
CONCURRENCY=${CONCURRENCY:-50}
WITHIN=${WITHIN:-0}                  # seconds to spread the votes over (0: as fast as CONCURRENCY allows)
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

TMP=$(mktemp -d /tmp/pbvote-meetings.XXXXXX)
DB=pbvote_bench_meetings_$$
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  psql "$PG_ADMIN_URL/postgres" -qAtc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
log() { printf '\n== %s (load %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
# Two thousand connections at once need file descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

log "Build (release) of $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
cargo build --release -q -p pbvote -p pbvote-loadgen
PBVOTE=${PBVOTE_BIN:-$TARGET_DIR/release/pbvote}
LOADGEN=$TARGET_DIR/release/pbvote-loadgen
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ORG=organiser@bench.example; PASSWORD=bench-password-$$-long

psql "$PG_ADMIN_URL/postgres" -qAtc "CREATE DATABASE $DB"
URL=$PG_ADMIN_URL/$DB
echo "$PASSWORD" | DATABASE_URL=$URL PBVOTE_LOG=warn "$PBVOTE" user add --email "$ORG" --role organiser --password-stdin >/dev/null

BASES=()
for i in 1 2; do
  out=$TMP/server-$i.log
  DATABASE_URL=$URL PBVOTE_BIND=127.0.0.1:0 PBVOTE_SECRET=$SECRET PBVOTE_LOG=warn PBVOTE_DB_CONNECTIONS=20 \
    PBVOTE_CODE_FAILURE_LIMIT=1000000 PBVOTE_SIGN_IN_LIMIT=1000 "$PBVOTE" serve >"$out" 2>&1 &
  PIDS+=($!)
  port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^pbvote listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$out"; echo "instance $i did not start" >&2; exit 1; }
  BASES+=("http://127.0.0.1:$port")
  echo "instance $i: ${BASES[-1]}, pid ${PIDS[-1]}"
done

log "$PHONES phones, $WATCHERS stream clients, at most $CONCURRENCY phones at a time, spread over ${WITHIN}s, two instances"
timeout --signal=INT --kill-after=10 600 "$LOADGEN" meeting --base "$(IFS=,; echo "${BASES[*]}")" --email "$ORG" --password "$PASSWORD" \
  --phones "$PHONES" --watchers "$WATCHERS" --concurrency "$CONCURRENCY" --within "$WITHIN" --pids "$(IFS=,; echo "${PIDS[*]}")" | tee "$TMP/out.txt"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
