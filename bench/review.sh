#!/usr/bin/env bash
# The commissioners' review of a big closed vote, on loopback only: how fast the breakdowns
# and the public record answer, warm and first after a restart.
#
#   bash bench/review.sh                          # 150,000 ballots, ten areas, SQLite and PostgreSQL
#   BALLOTS=20000 ENGINES=sqlite bash bench/review.sh
#
# For each engine: a fresh database, an organiser and a commissioner, one `pbvote serve`
# (release build); a consultation with AREAS areas and BALLOTS voter codes, filled with
# BALLOTS ballots by `pbvote-loadgen cast`; voting closed and the result published. Then
# READS reads back to back of the results, the breakdowns and the public page
# (`/published/{id}`), the first of each timed on its own; then the server is stopped and
# started again and the first read of the breakdowns and of the public page is timed (they
# are served from the stored result, not counted again: docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."

BALLOTS=${BALLOTS:-150000}
AREAS=${AREAS:-10}
READS=${READS:-200}
CONCURRENCY=${CONCURRENCY:-32}
FILL_SECONDS=${FILL_SECONDS:-600}
ENGINES=${ENGINES:-"sqlite postgres"}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

TMP=$(mktemp -d /tmp/pbvote-review.XXXXXX)
SERVER_PID=""
PG_DBS=()
load() { printf 'load %s' "$(cut -d' ' -f1-3 /proc/loadavg)"; }
log() { printf '\n== %s (%s)\n' "$*" "$(load)"; }
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  for db in "${PG_DBS[@]}"; do psql "$PG_ADMIN_URL/postgres" -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
# bounded, value, start_server, stop_server.
source bench/lib.sh

log "Build (release) of $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
cargo build --release -q -p pbvote -p pbvote-loadgen
PBVOTE=${PBVOTE_BIN:-$TARGET_DIR/release/pbvote}
LOADGEN=$TARGET_DIR/release/pbvote-loadgen
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ORG=organiser@bench.example; COM=commissioner@bench.example; PASSWORD=bench-password-$$-long

sign_in() { # email
  bounded 30 curl -sf -H 'content-type: application/json' -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/sign-in" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
reads() { # out kind path count
  bounded 300 "$LOADGEN" results --base "$BASE" --consultation "$ID" --email "$COM" --password "$PASSWORD" \
    --path "$3" --reads "$4" --duration 120 | sed "s/^RESULT kind=results /RESULT kind=$2 /" | tee -a "$1"
}

run_engine() { # engine
  local engine=$1 url out=$TMP/$1.txt
  : >"$out"
  if [ "$engine" = sqlite ]; then
    url="sqlite://$TMP/pbvote.db?mode=rwc"
  else
    local db=pbvote_bench_review_$$
    PG_DBS+=("$db")
    psql "$PG_ADMIN_URL/postgres" -qAtc "CREATE DATABASE $db"
    url="$PG_ADMIN_URL/$db"
  fi
  echo "$PASSWORD" | DATABASE_URL=$url PBVOTE_LOG=warn "$PBVOTE" user add --email "$ORG" --role organiser --password-stdin >/dev/null
  echo "$PASSWORD" | DATABASE_URL=$url PBVOTE_LOG=warn "$PBVOTE" user add --email "$COM" --role commissioner --password-stdin >/dev/null
  start_server "$url" "$TMP/server-$engine.log"
  echo "pbvote ($engine) on $BASE, pid $SERVER_PID"

  log "$engine: a consultation with $AREAS areas and $BALLOTS voter codes"
  bounded 900 "$LOADGEN" setup --base "$BASE" --email "$ORG" --password "$PASSWORD" --codes "$BALLOTS" --areas "$AREAS" \
    --out "$TMP/codes-$engine.txt" | tee -a "$out"
  ID=$(value "$out" setup consultation)
  log "$engine: cast $BALLOTS ballots, $CONCURRENCY in flight"
  bounded $((FILL_SECONDS + 60)) "$LOADGEN" cast --base "$BASE" --consultation "$ID" --codes "$TMP/codes-$engine.txt" \
    --count "$BALLOTS" --duration "$FILL_SECONDS" --concurrency "$CONCURRENCY" | tee -a "$out"

  log "$engine: close and publish"
  local token started
  token=$(sign_in "$ORG")
  bounded 30 curl -sf -o /dev/null -X POST -H "authorization: Bearer $token" "$BASE/api/v1/consultations/$ID/close"
  started=$(date +%s.%N)
  bounded 120 curl -sf -o /dev/null -X POST -H "authorization: Bearer $token" "$BASE/api/v1/consultations/$ID/publish"
  echo "RESULT kind=publish ms=$(python3 -c "print(f'{($(date +%s.%N) - $started) * 1000:.0f}')")" | tee -a "$out"

  log "$engine: $READS reads back to back of each (the first of each timed on its own)"
  reads "$out" results "/api/v1/consultations/{id}/results" "$READS"
  reads "$out" breakdowns "/api/v1/consultations/{id}/breakdowns" "$READS"
  reads "$out" public "/published/{id}" "$READS"

  log "$engine: restart, then the first reads"
  stop_server
  start_server "$url" "$TMP/server-$engine-2.log"
  reads "$out" breakdowns_after_restart "/api/v1/consultations/{id}/breakdowns" 1
  reads "$out" public_after_restart "/published/{id}" 1
  stop_server
}

for engine in $ENGINES; do run_engine "$engine"; done

log "Summary ($(nproc) cores)"
printf '%-9s %-26s %9s %9s %9s %9s %9s\n' engine read "first ms" "p50 ms" "p99 ms" "max ms" "ok"
for engine in $ENGINES; do
  f=$TMP/$engine.txt
  echo "$engine: $(value "$f" cast ok) ballots cast in $(value "$f" cast secs) s; publish took $(value "$f" publish ms) ms"
  for kind in results breakdowns public breakdowns_after_restart public_after_restart; do
    printf '%-9s %-26s %9s %9s %9s %9s %9s\n' "$engine" "$kind" "$(value "$f" "$kind" first_ms)" "$(value "$f" "$kind" p50)" \
      "$(value "$f" "$kind" p99)" "$(value "$f" "$kind" max)" "$(value "$f" "$kind" ok)"
  done
done
