# Shared by the bench scripts (sourced after they cd to the repository root): bounded steps,
# reading RESULT lines, and one `pbvote serve` at a time (uses PBVOTE, SECRET; sets BASE and
# SERVER_PID).

# A bounded step: never let one command run away.
bounded() { local secs=$1; shift; timeout --signal=INT --kill-after=10 "$secs" "$@"; }
# `value FILE KIND KEY`: KEY=… from the RESULT line of KIND in FILE (empty if none).
value() { { grep "^RESULT kind=$2 " "$1" 2>/dev/null || true; } | tail -n1 | tr ' ' '\n' | sed -n "s/^$3=//p"; }

start_server() { # url log
  local url=$1 out=$2 port=""
  DATABASE_URL=$url PBVOTE_BIND=127.0.0.1:0 PBVOTE_SECRET=$SECRET PBVOTE_LOG=warn \
    PBVOTE_CODE_FAILURE_LIMIT=1000000 PBVOTE_SIGN_IN_LIMIT=1000 "$PBVOTE" serve >"$out" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^pbvote listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$out")
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$out"; echo "pbvote did not start" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "pbvote did not say where it listens" >&2; exit 1; }
  BASE=http://127.0.0.1:$port
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
