#!/usr/bin/env bash
# Ballot throughput, result reads, and the stores' own ceilings — on loopback only.
#
#   bash bench/ballots.sh                 # everything, about 10 minutes on 2 cores
#   ENGINES=postgres bash bench/ballots.sh
#   BIG=0 bash bench/ballots.sh           # skip the 150,000-ballot part
#
# For each engine (SQLite file, PostgreSQL database on 127.0.0.1:5432, user postgres, trust
# auth) it: makes a fresh store, adds an organiser and a commissioner, starts `pbvote serve`
# on 127.0.0.1 (a free port), measures the store's ceiling (SQLite: one-row insert
# transactions with the service's settings; PostgreSQL: pgbench, a one-row insert
# transaction, same client count), sets up a consultation through the API, casts ballots
# for CAST_SECONDS, fills the consultation up to BIG ballots, closes it (results exist only
# once voting has closed: docs/privacy.md) and reads the results, the first read cold.
# A table of the numbers closes the run.
# Every loop is bounded in count and time; nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

CONCURRENCY=${CONCURRENCY:-16}        # requests in flight (and pgbench clients)
CAST_SECONDS=${CAST_SECONDS:-20}      # the throughput run
CAST_MAX=${CAST_MAX:-200000}           # … and at most this many ballots
CEILING_SECONDS=${CEILING_SECONDS:-10}
BIG=${BIG:-150000}                    # ballots in the consultation whose results are read (0: skip)
BIG_ENGINES=${BIG_ENGINES:-"sqlite postgres"}
FILL_SECONDS=${FILL_SECONDS:-150}     # longest we spend filling up to BIG (reported if cut short)
READS=${READS:-30}                    # result reads (back to back)
ENGINES=${ENGINES:-"sqlite postgres"}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
TALLY_FILE=${TALLY_FILE:-../shared/data/real/krakow-2024.json}

TMP=$(mktemp -d /tmp/pbvote-bench.XXXXXX)
SERVER_PID=""
PG_DBS=()
# Load average, and (where the kernel has it) the share of the last 10 s in which some task
# waited for a CPU: other work on the machine shows up here before it shows in our numbers.
load() { printf 'load %s' "$(cut -d' ' -f1-3 /proc/loadavg)"; [ -r /proc/pressure/cpu ] && printf ', cpu pressure %s%%' "$(sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu)"; true; }
log() { printf '\n== %s (%s)\n' "$*" "$(load)"; }
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  for db in "${PG_DBS[@]}"; do psql "$PG_ADMIN_URL/postgres" -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# bounded, value, start_server, stop_server.
source bench/lib.sh

log "Build (release) of $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' with local changes in src/')"
cargo build --release -q -p pbvote -p pbvote-loadgen
PBVOTE=${PBVOTE_BIN:-$TARGET_DIR/release/pbvote}   # PBVOTE_BIN: measure another build (e.g. with a proposed change)
LOADGEN=$TARGET_DIR/release/pbvote-loadgen
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ORG=organiser@bench.example; COM=commissioner@bench.example; PASSWORD=bench-password-$$-long


pg_ceiling() { # out
  local db=pbvote_bench_ceiling_$$ out=$1
  PG_DBS+=("$db")
  psql "$PG_ADMIN_URL/postgres" -qAtc "CREATE DATABASE $db"
  # The service's ballots table (migration m20261125_000001, without the receipt column that
  # m20261203_000003 moved into `receipts` as a keyed hash) with its indexes.
  psql "$PG_ADMIN_URL/$db" -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE consultations (id uuid PRIMARY KEY, phase varchar NOT NULL, opens_at timestamptz, closes_at timestamptz);
INSERT INTO consultations VALUES ('00000000-0000-0000-0000-000000000001', 'open', NULL, NULL);
CREATE TABLE voter_codes (code_hash varchar(64) PRIMARY KEY, consultation_id uuid NOT NULL REFERENCES consultations ON DELETE CASCADE,
  used boolean NOT NULL, issued_at timestamptz NOT NULL);
INSERT INTO voter_codes SELECT md5(i::text), '00000000-0000-0000-0000-000000000001', false, now() FROM generate_series(1, 500000) i;
CREATE TABLE ballots (id uuid PRIMARY KEY, consultation_id uuid NOT NULL REFERENCES consultations ON DELETE CASCADE,
  voter_key varchar(64) NOT NULL, want text NOT NULL, dont_want text NOT NULL, uses text NOT NULL, channel varchar(16) NOT NULL,
  area varchar(100), version integer NOT NULL,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE receipts (receipt_hash varchar(64) PRIMARY KEY, consultation_id uuid NOT NULL REFERENCES consultations ON DELETE CASCADE,
  received_on date NOT NULL);
CREATE UNIQUE INDEX uq_ballots_one_per_voter ON ballots (consultation_id, voter_key);
CREATE INDEX idx_ballots_consultation_version ON ballots (consultation_id, version);
VACUUM ANALYZE;
SQL
  cat >"$TMP/insert.sql" <<'SQL'
INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at)
VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000001', md5(random()::text), '["S3","D1","S1"]', '["S5"]', '["svc-2"]', 'online', NULL, 1, now(), now());
SQL
  # The same statements as storage::ballots::cast, without the service around them.
  cat >"$TMP/ballot-txn.sql" <<'SQL'
\set n random(1, 500000)
BEGIN;
SELECT id, phase, opens_at, closes_at FROM consultations WHERE id = '00000000-0000-0000-0000-000000000001' FOR SHARE;
SELECT code_hash, consultation_id, used FROM voter_codes WHERE code_hash = md5(:n::text);
INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at)
VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000001', md5(random()::text), '["S3","D1","S1"]', '["S5"]', '["svc-2"]', 'online', NULL, 1, now(), now())
ON CONFLICT (consultation_id, voter_key) DO UPDATE SET version = ballots.version + 1 RETURNING version;
INSERT INTO receipts VALUES (md5(random()::text) || md5(random()::text), '00000000-0000-0000-0000-000000000001', current_date);
UPDATE voter_codes SET used = true WHERE code_hash = md5(:n::text);
COMMIT;
SQL
  # The same checks and writes as one statement (one round trip, no explicit transaction).
  cat >"$TMP/ballot-cte.sql" <<'SQL'
\set n random(1, 500000)
WITH open AS (SELECT id FROM consultations WHERE id = '00000000-0000-0000-0000-000000000001' AND phase = 'open' FOR SHARE),
code AS (UPDATE voter_codes SET used = true WHERE code_hash = md5(:n::text) AND consultation_id IN (SELECT id FROM open) RETURNING consultation_id),
receipt AS (INSERT INTO receipts SELECT md5(random()::text) || md5(random()::text), consultation_id, current_date FROM code)
INSERT INTO ballots (id, consultation_id, voter_key, want, dont_want, uses, channel, area, version, created_at, updated_at)
SELECT gen_random_uuid(), consultation_id, md5(random()::text), '["S3","D1","S1"]', '["S5"]', '["svc-2"]', 'online', NULL, 1, now(), now() FROM code
ON CONFLICT (consultation_id, voter_key) DO UPDATE SET version = ballots.version + 1 RETURNING version;
SQL
  for script in insert ballot-txn ballot-cte; do
    rm -f "$TMP"/pgb_"$script".*
    (cd "$TMP" && bounded $((CEILING_SECONDS + 60)) pgbench "$PG_ADMIN_URL/$db" -n -M prepared -c "$CONCURRENCY" -j 2 \
      -T "$CEILING_SECONDS" -f "$TMP/$script.sql" -l --log-prefix="pgb_$script") >"$TMP/pgbench-$script.txt" 2>&1
    local tps n
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$TMP/pgbench-$script.txt" | tail -n1)
    # Per-transaction log: field 3 is the latency in µs.
    cat "$TMP"/pgb_"$script".* | awk '{print $3}' | sort -n >"$TMP/lat.txt"
    n=$(wc -l <"$TMP/lat.txt")
    pct() { sed -n "$(awk -v n="$n" -v q="$1" 'BEGIN{i=int(n*q); if(i<1)i=1; print i}')p" "$TMP/lat.txt" | awk '{printf "%.3f", $1/1000}'; }
    echo "RESULT kind=pg_$script ok=$n rate=$tps p50=$(pct 0.5) p90=$(pct 0.9) p99=$(pct 0.99) max=$(tail -n1 "$TMP/lat.txt" | awk '{printf "%.3f", $1/1000}') concurrency=$CONCURRENCY" | tee -a "$out"
  done
}

run_engine() { # engine
  local engine=$1 url out=$TMP/$1.txt
  : >"$out"
  if [ "$engine" = sqlite ]; then
    url="sqlite://$TMP/pbvote.db?mode=rwc"
    log "SQLite ceiling: one-row insert transactions, WAL + synchronous=FULL, one writer, $CONCURRENCY tasks"
    bounded $((CEILING_SECONDS + 30)) "$LOADGEN" sqlite-ceiling --file "$TMP/ceiling.db" --concurrency "$CONCURRENCY" --duration "$CEILING_SECONDS" | tee -a "$out"
    # What grouping ballots into one commit would buy (not what the service does today).
    bounded $((CEILING_SECONDS + 30)) "$LOADGEN" sqlite-ceiling --file "$TMP/ceiling16.db" --concurrency "$CONCURRENCY" --duration "$CEILING_SECONDS" --rows-per-txn 16 | tee -a "$out"
  else
    local db=pbvote_bench_$$
    PG_DBS+=("$db")
    psql "$PG_ADMIN_URL/postgres" -qAtc "CREATE DATABASE $db"
    url="$PG_ADMIN_URL/$db"
    log "PostgreSQL ceiling: pgbench, $CONCURRENCY clients, ${CEILING_SECONDS}s each: one-row insert; the service's ballot transaction"
    pg_ceiling "$out"
  fi
  echo "$PASSWORD" | DATABASE_URL=$url PBVOTE_LOG=warn "$PBVOTE" user add --email "$ORG" --role organiser --password-stdin >/dev/null
  echo "$PASSWORD" | DATABASE_URL=$url PBVOTE_LOG=warn "$PBVOTE" user add --email "$COM" --role commissioner --password-stdin >/dev/null
  start_server "$url" "$TMP/server-$engine.log"
  echo "pbvote ($engine) on $BASE, pid $SERVER_PID"

  local big=0
  case " $BIG_ENGINES " in *" $engine "*) big=$BIG ;; esac
  local codes=$((CAST_MAX + big))
  log "$engine: set up a consultation with $codes voter codes"
  bounded 600 "$LOADGEN" setup --base "$BASE" --email "$ORG" --password "$PASSWORD" --codes "$codes" --out "$TMP/codes-$engine.txt" | tee -a "$out"
  local id; id=$(value "$out" setup consultation)

  log "$engine: cast for ${CAST_SECONDS}s (at most $CAST_MAX ballots), $CONCURRENCY in flight"
  bounded $((CAST_SECONDS + 60)) "$LOADGEN" cast --base "$BASE" --consultation "$id" --codes "$TMP/codes-$engine.txt" \
    --count "$CAST_MAX" --duration "$CAST_SECONDS" --concurrency "$CONCURRENCY" | tee -a "$out"
  local cast_ok; cast_ok=$(value "$out" cast ok)

  if [ "$big" -gt 0 ]; then
    local fill=$((big - cast_ok))
    if [ "$fill" -gt 0 ]; then
      log "$engine: fill up to $big ballots ($fill more; at most ${FILL_SECONDS}s), $CONCURRENCY in flight"
      bounded $((FILL_SECONDS + 60)) "$LOADGEN" cast --base "$BASE" --consultation "$id" --codes "$TMP/codes-$engine.txt" \
        --skip "$CAST_MAX" --count "$fill" --duration "$FILL_SECONDS" --concurrency "$CONCURRENCY" --seed 3 | sed 's/kind=cast /kind=fill /' | tee -a "$out"
    else
      # The throughput run alone cast more than that: the big consultation is simply bigger.
      log "$engine: the throughput run already cast $cast_ok ballots (at least $big): nothing to fill"
    fi
    log "$engine: close voting (results exist only once voting has closed)"
    local token
    token=$(bounded 30 curl -sf -H 'content-type: application/json' -d "{\"email\":\"$ORG\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/sign-in" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    bounded 30 curl -sf -o /dev/null -X POST -H "authorization: Bearer $token" "$BASE/api/v1/consultations/$id/close"
    log "$engine: read the results ($READS reads back to back; the first is cold)"
    bounded 300 "$LOADGEN" results --base "$BASE" --consultation "$id" --email "$COM" --password "$PASSWORD" \
      --reads "$READS" --duration 120 | tee -a "$out"
  fi
  stop_server
}

for engine in $ENGINES; do run_engine "$engine"; done

if command -v hyperfine >/dev/null && [ -f "$TALLY_FILE" ]; then
  log "pbvote tally $(basename "$TALLY_FILE") (hyperfine)"
  hyperfine -N --warmup 3 --runs 20 --export-json "$TMP/tally.json" "$PBVOTE tally $TALLY_FILE" | tee "$TMP/tally.txt"
  TALLY_MS=$(python3 -c "import json,sys; r=json.load(open('$TMP/tally.json'))['results'][0]; print(f\"{r['mean']*1000:.1f} ± {r['stddev']*1000:.1f}\")" 2>/dev/null || echo "?")
fi

log "Summary ($CONCURRENCY in flight; $(nproc) cores)"
printf '%-10s %-38s %10s %9s %9s %9s %9s  %s\n' engine measurement "per s" "p50 ms" "p90 ms" "p99 ms" "max ms" "notes"
row() { # engine kind label [notes]
  local f=$TMP/$1.txt
  [ -n "$(value "$f" "$2" ok)" ] || return 0
  printf '%-10s %-38s %10s %9s %9s %9s %9s  %s\n' "$1" "$3" "$(value "$f" "$2" rate | cut -d. -f1)" "$(value "$f" "$2" p50)" \
    "$(value "$f" "$2" p90)" "$(value "$f" "$2" p99)" "$(value "$f" "$2" max)" "${4:-}"
}
for engine in $ENGINES; do
  f=$TMP/$engine.txt
  row "$engine" sqlite_ceiling "store ceiling: 1-row insert txn"
  row "$engine" sqlite_ceiling_grouped "  (16 rows per txn, for comparison)"
  row "$engine" pg_insert "store ceiling: 1-row insert txn"
  row "$engine" pg_ballot-txn "service's ballot SQL (6 round trips)"
  row "$engine" pg_ballot-cte "  same as one statement (1 round trip)"
  ceiling=$(value "$f" sqlite_ceiling rate); [ -n "$ceiling" ] || ceiling=$(value "$f" pg_insert rate)
  share=""; [ -n "$ceiling" ] && [ -n "$(value "$f" cast rate)" ] && share=", $(awk -v a="$(value "$f" cast rate)" -v c="$ceiling" 'BEGIN{printf "%.0f", 100*a/c}') % of the store ceiling"
  row "$engine" cast "ballots through the API" "ok $(value "$f" cast ok), errors $(value "$f" cast errors)$share"
  row "$engine" fill "fill to $BIG ballots" "ok $(value "$f" fill ok) in $(value "$f" fill secs) s, errors $(value "$f" fill errors)"
  row "$engine" results "results of a closed vote ($(value "$f" results ballots_max) ballots)" "first (cold) read $(value "$f" results first_ms) ms"
done
[ -n "${TALLY_MS:-}" ] && printf '%-10s %-38s %s ms (hyperfine, 20 runs)\n' tally "pbvote tally $(basename "$TALLY_FILE")" "$TALLY_MS"
echo "machine: $(nproc) cores, $(load) at the end"
