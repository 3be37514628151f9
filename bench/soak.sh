#!/usr/bin/env bash
# Soak: mixed load at half the measured capacity against two instances on one PostgreSQL,
# for 30 minutes, recording each instance's memory. A benchmark, not part of CI.
#
#   bash bench/soak.sh                       # 30 minutes of soak, plus about 3 of set-up
#   SOAK_SECONDS=600 bash bench/soak.sh      # shorter: say so wherever you quote it
#
# It builds pbvote and pbvote-loadgen (release), makes a PostgreSQL cluster of its own
# (initdb + pg_ctl under /tmp on a free port, as the postgres user when run as root), so no
# shared server is loaded for half an hour, and starts two `pbvote serve` on 127.0.0.1. Then:
#
# 1. capacity: ballots with distinct codes through both instances at once, CONCURRENCY in
#    flight in all, for CAPACITY_SECONDS (set CAPACITY=N to skip this and use N ballots/s);
# 2. a closed consultation of CLOSED_BALLOTS ballots, whose results are read during the soak
#    (results exist only once voting has closed);
# 3. the soak: `pbvote-loadgen soak` sends ballots at half the capacity (cycling through
#    CODES codes of an open consultation: a code's first ballot is 201, later ones replace
#    it, 200), READS_PER_SECOND result reads and SIGN_INS_PER_SECOND sign-ins, each to the
#    next instance in turn, and samples both instances' resident memory every 10 s;
# 4. checks: no error and nothing shed; the database holds exactly one ballot per code that
#    got a 201, and the sum of the ballots' versions equals the ballots acknowledged
#    (201 + 200): every acknowledged ballot stored, none twice.
#
# Results (the loadgen's output, the memory samples as CSV, a summary) go to RESULTS_DIR.
# Every step is bounded in time; nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_SECONDS=${SOAK_SECONDS:-1800}
CAPACITY_SECONDS=${CAPACITY_SECONDS:-20}
CONCURRENCY=${CONCURRENCY:-16}
CODES=${CODES:-200000}
CLOSED_BALLOTS=${CLOSED_BALLOTS:-20000}
READS_PER_SECOND=${READS_PER_SECOND:-10}
SIGN_INS_PER_SECOND=${SIGN_INS_PER_SECOND:-2}
MAX_IN_FLIGHT=${MAX_IN_FLIGHT:-2048}      # the load generator's own limit; beyond it a request is shed
TARGET_DIR=${CARGO_TARGET_DIR:-target}
RESULTS_DIR=${RESULTS_DIR:-$TARGET_DIR/soak}

TMP=$(mktemp -d /tmp/pbvote-soak.XXXXXX)
PIDS=()
PG_DATA=$TMP/pg/data
RUN_AS=()
[ "$(id -u)" = 0 ] && RUN_AS=(runuser -u postgres --)
log() { printf '\n== %s (load %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
# bounded, value (and start_server / stop_server, unused here: two instances of its own).
source bench/lib.sh
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  [ -d "$PG_DATA" ] && "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PG_BIN=${PBVOTE_PG_BINDIR:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PG_BIN/initdb" ] || { echo "soak: needs PostgreSQL's server programs (initdb, pg_ctl); set PBVOTE_PG_BINDIR" >&2; exit 1; }

log "Build (release) of $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
cargo build --release -q -p pbvote -p pbvote-loadgen
PBVOTE=$TARGET_DIR/release/pbvote
LOADGEN=$TARGET_DIR/release/pbvote-loadgen
mkdir -p "$RESULTS_DIR"

log "A PostgreSQL cluster of our own"
mkdir -p "$TMP/pg"
[ ${#RUN_AS[@]} -gt 0 ] && chmod 755 "$TMP" && chown -R postgres "$TMP/pg"
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TMP/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null
DB_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
psql_q() { psql "$DB_URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }
"$PG_BIN/postgres" --version

SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ORG=organiser@soak.example; COM=commissioner@soak.example; PASSWORD=soak-password-$$-long
echo "$PASSWORD" | DATABASE_URL=$DB_URL PBVOTE_LOG=warn "$PBVOTE" user add --email "$ORG" --role organiser --password-stdin >/dev/null
echo "$PASSWORD" | DATABASE_URL=$DB_URL PBVOTE_LOG=warn "$PBVOTE" user add --email "$COM" --role commissioner --password-stdin >/dev/null

start_instance() { # name → INSTANCE_PID, INSTANCE_BASE
  local out=$TMP/server-$1.log port=""
  DATABASE_URL=$DB_URL PBVOTE_BIND=127.0.0.1:0 PBVOTE_SECRET=$SECRET PBVOTE_LOG=warn PBVOTE_SIGN_IN_LIMIT=1000 \
    "$PBVOTE" serve >"$out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^pbvote listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$out"; echo "pbvote did not start" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "pbvote did not say where it listens" >&2; exit 1; }
  INSTANCE_PID=$pid INSTANCE_BASE=http://127.0.0.1:$port
}
start_instance a; PID_A=$INSTANCE_PID BASE_A=$INSTANCE_BASE
start_instance b; PID_B=$INSTANCE_PID BASE_B=$INSTANCE_BASE
echo "instance A: $BASE_A (pid $PID_A); instance B: $BASE_B (pid $PID_B)"

setup() { # codes out-codes out-log → consultation id
  bounded 900 "$LOADGEN" setup --base "$BASE_A" --email "$ORG" --password "$PASSWORD" --codes "$1" --out "$2" >"$3"
  value "$3" setup consultation
}
token() {
  bounded 30 curl -sf -H 'content-type: application/json' -d "{\"email\":\"$ORG\",\"password\":\"$PASSWORD\"}" "$BASE_A/api/v1/auth/sign-in" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

if [ -z "${CAPACITY:-}" ]; then
  log "Capacity: distinct ballots through both instances, $CONCURRENCY in flight in all, ${CAPACITY_SECONDS}s"
  cap_codes=$((CAPACITY_SECONDS * 15000))
  [ "$cap_codes" -gt 1000000 ] && cap_codes=1000000
  CAP_ID=$(setup "$cap_codes" "$TMP/codes-capacity.txt" "$TMP/setup-capacity.txt")
  half=$((cap_codes / 2))
  bounded $((CAPACITY_SECONDS + 60)) "$LOADGEN" cast --base "$BASE_A" --consultation "$CAP_ID" --codes "$TMP/codes-capacity.txt" \
    --count "$half" --duration "$CAPACITY_SECONDS" --concurrency $((CONCURRENCY / 2)) --progress 0 >"$TMP/capacity-a.txt" &
  cap_a=$!
  bounded $((CAPACITY_SECONDS + 60)) "$LOADGEN" cast --base "$BASE_B" --consultation "$CAP_ID" --codes "$TMP/codes-capacity.txt" \
    --skip "$half" --count "$half" --duration "$CAPACITY_SECONDS" --concurrency $((CONCURRENCY / 2)) --progress 0 --seed 9 >"$TMP/capacity-b.txt"
  wait "$cap_a"
  cat "$TMP/capacity-a.txt" "$TMP/capacity-b.txt" | grep '^RESULT' | tee "$RESULTS_DIR/capacity.txt"
  CAPACITY=$(python3 -c "print(round($(value "$TMP/capacity-a.txt" cast rate) + $(value "$TMP/capacity-b.txt" cast rate)))")
fi
RATE=$((CAPACITY / 2))
echo "capacity $CAPACITY ballots/s; the soak casts $RATE/s"

log "A closed consultation of $CLOSED_BALLOTS ballots, for the result reads"
CLOSED_ID=$(setup "$CLOSED_BALLOTS" "$TMP/codes-closed.txt" "$TMP/setup-closed.txt")
bounded 600 "$LOADGEN" cast --base "$BASE_B" --consultation "$CLOSED_ID" --codes "$TMP/codes-closed.txt" --duration 500 --concurrency "$CONCURRENCY" --progress 0 | grep '^RESULT'
bounded 30 curl -sf -o /dev/null -X POST -H "authorization: Bearer $(token)" "$BASE_A/api/v1/consultations/$CLOSED_ID/close"

log "The open consultation: $CODES codes"
OPEN_ID=$(setup "$CODES" "$TMP/codes-open.txt" "$TMP/setup-open.txt")

log "Soak: ${SOAK_SECONDS}s — $RATE ballots/s, $READS_PER_SECOND result reads/s, $SIGN_INS_PER_SECOND sign-ins/s"
bounded $((SOAK_SECONDS + 180)) "$LOADGEN" soak --base "$BASE_A" --base "$BASE_B" --consultation "$OPEN_ID" --codes "$TMP/codes-open.txt" \
  --closed "$CLOSED_ID" --email "$COM" --password "$PASSWORD" --ballots-per-second "$RATE" --reads-per-second "$READS_PER_SECOND" \
  --sign-ins-per-second "$SIGN_INS_PER_SECOND" --duration "$SOAK_SECONDS" --pid "$PID_A" --pid "$PID_B" \
  --max-in-flight "$MAX_IN_FLIGHT" --memory-out "$RESULTS_DIR/memory.csv" | tee "$RESULTS_DIR/soak.txt"

log "Checks"
acked_first=$(value "$RESULTS_DIR/soak.txt" soak_ballots status201)
acked_again=$(value "$RESULTS_DIR/soak.txt" soak_ballots status200)
read -r stored versions < <(psql_q "SELECT COUNT(*), COALESCE(SUM(version), 0) FROM ballots WHERE consultation_id = '$OPEN_ID'" | tr '|' ' ')
failures=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; failures=$((failures + 1)); fi; }
for kind in soak_ballots soak_results soak_sign_ins; do
  check "$kind: no errors ($(value "$RESULTS_DIR/soak.txt" $kind errors)), none shed ($(value "$RESULTS_DIR/soak.txt" $kind shed))" \
    "[ '$(value "$RESULTS_DIR/soak.txt" $kind errors)' = none ] && [ '$(value "$RESULTS_DIR/soak.txt" $kind shed)' = 0 ]"
done
check "one ballot stored per code that got a 201 ($stored stored, $acked_first first ballots acknowledged)" "[ '$stored' = '$acked_first' ]"
check "every acknowledged ballot stored once: sum of versions $versions = $acked_first + $acked_again acknowledged" \
  "[ '$versions' = '$((acked_first + acked_again))' ]"
for name in A B; do
  pid=$PID_A; [ "$name" = B ] && pid=$PID_B
  check "instance $name still running" "kill -0 $pid 2>/dev/null"
done

log "Memory (RSS, MiB) of each instance"
python3 - "$RESULTS_DIR/memory.csv" "$PID_A" "$PID_B" <<'PY' | tee "$RESULTS_DIR/memory-summary.txt"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for name, pid in zip("AB", sys.argv[2:]):
    s = [(float(r["seconds"]), int(r["rss_kib"]) / 1024) for r in rows if r["pid"] == pid]
    if not s:
        print(f"instance {name}: no samples"); continue
    warm = [x for x in s if x[0] >= 300] or s
    n = len(warm); mt = sum(t for t, _ in warm) / n; mr = sum(r for _, r in warm) / n
    slope = sum((t - mt) * (r - mr) for t, r in warm) / max(1e-9, sum((t - mt) ** 2 for t, _ in warm)) * 600
    at = lambda sec: min(s, key=lambda x: abs(x[0] - sec))[1]
    marks = " ".join(f"{int(m)}min:{at(m * 60):.1f}" for m in (0, 1, 5, 10, 15, 20, 25, 30) if m * 60 <= s[-1][0] + 5)
    print(f"instance {name} (pid {pid}): {marks}; after 5 min min {min(r for _, r in warm):.1f} max {max(r for _, r in warm):.1f}, "
          f"trend {slope:+.2f} MiB per 10 min")
PY
echo "(samples: $RESULTS_DIR/memory.csv; loadgen output: $RESULTS_DIR/soak.txt)"
[ "$failures" = 0 ] || { echo "soak: $failures check(s) failed" >&2; exit 1; }
echo "soak: all checks passed"
