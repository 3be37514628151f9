#!/usr/bin/env bash
# Contract tests: schemathesis fuzzes every operation in the OpenAPI document that the server
# serves at /api/v1/openapi.json, against a live server on a fresh SQLite database, and checks
# that it never answers 5xx, that every answer's status code, content type and body are the
# ones the document describes, and that a request the document calls invalid (a string over
# its maxLength, a number out of range, an id off its pattern) is refused.
#
# Installs schemathesis (pinned, from PyPI) into <target>/contract-venv if it is missing, builds
# the server, starts it with the demo consultation, signs in, makes a few consultations so that
# real ids are reachable, then runs two passes: one signed in as an organiser, one as a
# commissioner. Stops the server and exits non-zero if any check failed.
#
# Knobs (environment): CONTRACT_MAX_EXAMPLES (default 50 per operation and phase),
# CONTRACT_PASS_TIMEOUT (hard limit in seconds for one pass, default 300), CONTRACT_SEED
# (default: a fixed seed, so CI runs are repeatable; "random" for a new one each time),
# CONTRACT_PASSES (default "organiser commissioner"), CONTRACT_REPORTS (schemathesis report
# formats, default "junit"; e.g. "junit,har" to see every request and answer), written to
# <target>/contract-report/<pass>/. CONTRACT_EXTRA_ARGS: more `schemathesis run` options, e.g.
# "--checks all" or "--max-time 600" (with --max-time, schemathesis repeats the fuzzing until the
# time is spent) for a longer hunt.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SCHEMATHESIS_VERSION="4.32.5"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-50}"
PASS_TIMEOUT="${CONTRACT_PASS_TIMEOUT:-300}"
SEED="${CONTRACT_SEED:-20270131}"
PASSES="${CONTRACT_PASSES:-organiser commissioner}"
REPORTS="${CONTRACT_REPORTS:-junit}"

log() { printf '[contract-tests] %s\n' "$*" >&2; }

if ! command -v jq >/dev/null 2>&1; then
  log "installing jq"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi

# 1. The server's build (the target directory may be shared: waiting on its lock is normal).
#    PBVOTE_BIN names an already-built binary (.ci/run passes the one the tests built).
TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"
if [[ -n "${PBVOTE_BIN:-}" ]]; then
  BIN="$PBVOTE_BIN"
else
  log "building the server"
  (cd "$ROOT" && cargo build --bin pbvote >&2)
  BIN="$TARGET_DIR/debug/pbvote"
fi
REPORT_DIR="$TARGET_DIR/contract-report"
rm -rf "$REPORT_DIR"

# 2. schemathesis, pinned, in its own venv.
VENV="$TARGET_DIR/contract-venv"
ST="$VENV/bin/schemathesis"
if ! "$ST" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi
log "$("$ST" --version)"

# 3. A fresh database and the server on a free port.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pbvote-contract.XXXXXX")"
SERVER_PID=""
cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$WORK/server.err" ]]; then
    log "server log (errors, last 40 lines):"
    grep -E 'ERROR|panicked' "$WORK/server.err" | tail -n 40 >&2 || true
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

export DATABASE_URL="sqlite://$WORK/pbvote.db?mode=rwc"
export PBVOTE_SECRET="contract-tests-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export PBVOTE_FRONTEND_DIR="$ROOT/frontend"
export PBVOTE_BIND="127.0.0.1:0"
export PBVOTE_LOG="${PBVOTE_LOG:-warn}"
# The fuzzing sends hundreds of wrong voter codes and sign-ins from one address: raise the
# rate limits so that the operations stay reachable instead of answering 429 throughout.
export PBVOTE_CODE_FAILURE_LIMIT=1000000
export PBVOTE_SIGN_IN_LIMIT=1000000

log "starting the server on a fresh database in $WORK"
"$BIN" serve --demo >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!

BASE=""
for _ in $(seq 1 300); do
  BASE="$(sed -n 's/^pbvote listening on \(http:[^ ]*\)$/\1/p' "$WORK/server.out" | head -n1)"
  [[ -n "$BASE" ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server stopped before it listened"; cat "$WORK/server.err" >&2; exit 1
  fi
  sleep 0.1
done
[[ -n "$BASE" ]] || { log "the server did not say where it listens"; exit 1; }
log "server at $BASE"

DEMO_ID="$(sed -n 's/^demo consultation: //p' "$WORK/server.out")"
mapfile -t CODES < <(sed -n 's/^demo voter code: //p' "$WORK/server.out")
account_password() { sed -n "s/^demo account: $1 password: //p" "$WORK/server.out"; }
ORGANISER_PASSWORD="$(account_password organiser@demo.example)"
COMMISSIONER_PASSWORD="$(account_password commissioner@demo.example)"

# 4. Sign in, and make what the fuzzing needs to find.
api() { # METHOD PATH [TOKEN] [JSON]: print the body; fail unless 2xx
  local method=$1 path=$2 token=${3:-} data=${4:-}
  local args=(-sS --fail-with-body -X "$method" "$BASE$path")
  [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
  [[ -n "$data" ]] && args+=(-H 'Content-Type: application/json' --data "$data")
  curl "${args[@]}"
}
sign_in() { api POST /api/v1/auth/sign-in "" "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -er .token; }

ORGANISER_TOKEN="$(sign_in organiser@demo.example "$ORGANISER_PASSWORD")"

# A draft with services and proposals, for the ballot-paper edits (PATCH, services, proposals).
DRAFT_ID="$(api POST /api/v1/consultations "$ORGANISER_TOKEN" '{
  "title": "Contract tests: a draft",
  "areas": ["North", "South"],
  "services": [{"id": "svc-a", "name": "Service A"}, {"id": "svc-b", "name": "Service B"}],
  "proposals": [
    {"id": "P1", "kind": "saving", "title": "Proposal one", "amount": 1000, "service": "svc-a"},
    {"id": "P2", "kind": "development", "title": "Proposal two", "amount": 500},
    {"id": "P3", "kind": "saving", "title": "Proposal three", "amount": 700}
  ]}' | jq -er .id)"
# A draft that the open / close / publish operations walk through the phases.
PHASES_ID="$(api POST /api/v1/consultations "$ORGANISER_TOKEN" '{
  "title": "Contract tests: phases",
  "proposals": [{"kind": "saving", "title": "Only proposal", "amount": 100}]}' | jq -er .id)"
# A closed one, for the commissioner to publish.
CLOSED_ID="$(api POST /api/v1/consultations "$ORGANISER_TOKEN" '{
  "title": "Contract tests: closed",
  "proposals": [{"kind": "development", "title": "Only proposal", "amount": 100}]}' | jq -er .id)"
api POST "/api/v1/consultations/$CLOSED_ID/open" "$ORGANISER_TOKEN" >/dev/null
api POST "/api/v1/consultations/$CLOSED_ID/close" "$ORGANISER_TOKEN" >/dev/null
# A ballot on the (open) demo consultation, for its receipt.
RECEIPT="$(api POST "/api/v1/consultations/$DEMO_ID/ballots" "" \
  "{\"voter_code\": \"${CODES[0]}\", \"want\": [\"S1\"], \"dont_want\": [\"D1\"], \"uses\": [\"parks\"]}" | jq -er .receipt)"
# A meeting of the demo consultation, with slips, for the meeting operations.
MEETING_ID="$(api POST "/api/v1/consultations/$DEMO_ID/meetings" "$ORGANISER_TOKEN" \
  '{"title": "Contract tests: a meeting", "place": "Loopback hall"}' | jq -er .id)"
mapfile -t SLIPS < <(api POST "/api/v1/meetings/$MEETING_ID/slips" "$ORGANISER_TOKEN" '{"count": 20}' | jq -er '.slips[].code')
JOIN_CODE="$(api GET "/api/v1/meetings/$MEETING_ID" "$ORGANISER_TOKEN" | jq -er .join_code)"
log "demo $DEMO_ID, draft $DRAFT_ID, phases $PHASES_ID, closed $CLOSED_ID, receipt $RECEIPT, meeting $MEETING_ID"

toml_list() { local out="" v; for v in "$@"; do out+="${out:+, }\"$v\""; done; printf '[%s]' "$out"; }

# 5. One schemathesis pass, signed in with TOKEN; SIGN_OUT_TOKEN is a second session for the
#    sign-out operation, so that signing out does not end the session the other operations use.
run_pass() {
  local name=$1 token=$2 sign_out_token=$3 phases_id=$4
  local config="$WORK/schemathesis-$name.toml"
  cat >"$config" <<EOF
# Generated by tests/contract/run.sh for the $name pass.
headers = { Authorization = "Bearer $token" }

# No state kept between runs (by default schemathesis keeps failures in ./.schemathesis and
# replays them next time, with ids from a database that no longer exists).
[cache]
enabled = false

[checks]
enabled = false
not_a_server_error = { enabled = true }
status_code_conformance = { enabled = true }
content_type_conformance = { enabled = true }
response_schema_conformance = { enabled = true }
ignored_auth = { enabled = true }
# Data the document says is invalid must be refused (so the document's bounds are the API's).
negative_data_rejection = { enabled = true }

[dictionaries]
voter_codes = { values = $(toml_list "${CODES[@]:1}") }
demo_proposals = { values = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "D1", "D2", "D3", "D4", "D5"] }
demo_services = { values = ["day-centre", "disability-support", "libraries", "parks", "street-lighting", "youth", "waste"] }
draft_services = { values = ["svc-a", "svc-b", "new-service"] }
code_formats = { values = ["csv", "json"] }

slips = { values = $(toml_list "${SLIPS[@]}") }

# By default a consultation id is the open demo consultation's, a meeting its meeting's.
[parameters]
"path.id" = "$DEMO_ID"
"path.receipt" = "$RECEIPT"
"path.mid" = "$MEETING_ID"
"path.code" = "$JOIN_CODE"

# The meeting's live stream never ends by itself (it is tested in tests/api/meetings.rs).
[[operations]]
include-name = "GET /api/v1/meetings/{mid}/stream"
enabled = false

[[operations]]
include-name = ["POST /api/v1/meetings/{mid}/ballots", "POST /api/v1/meetings/{mid}/join"]
parameters = { "body.voter_code" = { dictionary = "slips", probability = 0.5 }, "body.want[*]" = { dictionary = "demo_proposals", probability = 0.7 }, "body.dont_want[*]" = { dictionary = "demo_proposals", probability = 0.7 }, "body.uses[*]" = { dictionary = "demo_services", probability = 0.7 } }

[[operations]]
include-name = ["POST /api/v1/meetings/{mid}/paper", "PUT /api/v1/meetings/{mid}/paper/{serial}", "POST /api/v1/meetings/{mid}/paper/{serial}/settle"]
parameters = { "body.want[*]" = { dictionary = "demo_proposals", probability = 0.7 }, "body.dont_want[*]" = { dictionary = "demo_proposals", probability = 0.7 }, "body.uses[*]" = { dictionary = "demo_services", probability = 0.7 } }

# Each [[operations]] entry names its operations exactly ("METHOD /path"): separate include-*
# keys in one entry would each select operations on their own, not together.
[[operations]]
include-name = "POST /api/v1/consultations/{id}/ballots"
parameters = { "body.voter_code" = { dictionary = "voter_codes", probability = 0.5 }, "body.want[*]" = { dictionary = "demo_proposals", probability = 0.7 }, "body.dont_want[*]" = { dictionary = "demo_proposals", probability = 0.7 }, "body.uses[*]" = { dictionary = "demo_services", probability = 0.7 } }

[[operations]]
include-name = "POST /api/v1/consultations/{id}/voter-codes"
parameters = { "query.format" = { dictionary = "code_formats", probability = 0.6 } }

# The ballot-paper edits work on the draft.
[[operations]]
include-name = ["PATCH /api/v1/consultations/{id}", "POST /api/v1/consultations/{id}/services", "POST /api/v1/consultations/{id}/proposals"]
parameters = { "path.id" = "$DRAFT_ID", "body.service" = { dictionary = "draft_services", probability = 0.5 } }

[[operations]]
include-name = "PUT /api/v1/consultations/{id}/services/{service_id}"
parameters = { "path.id" = "$DRAFT_ID", "path.service_id" = "svc-a" }

[[operations]]
include-name = "DELETE /api/v1/consultations/{id}/services/{service_id}"
parameters = { "path.id" = "$DRAFT_ID", "path.service_id" = "svc-b" }

[[operations]]
include-name = "PUT /api/v1/consultations/{id}/proposals/{proposal_id}"
parameters = { "path.id" = "$DRAFT_ID", "path.proposal_id" = "P1", "body.service" = { dictionary = "draft_services", probability = 0.5 } }

[[operations]]
include-name = "DELETE /api/v1/consultations/{id}/proposals/{proposal_id}"
parameters = { "path.id" = "$DRAFT_ID", "path.proposal_id" = "P3" }

# Opening, closing and publishing walk their own consultation through the phases, so that the
# demo consultation stays open for ballots.
[[operations]]
include-name = ["POST /api/v1/consultations/{id}/open", "POST /api/v1/consultations/{id}/close", "POST /api/v1/consultations/{id}/publish"]
parameters = { "path.id" = "$phases_id" }

[[operations]]
include-name = "POST /api/v1/auth/sign-out"
headers = { Authorization = "Bearer $sign_out_token" }
EOF
  mkdir -p "$REPORT_DIR/$name" && cp "$config" "$REPORT_DIR/$name/schemathesis.toml"
  local seed_args=()
  [[ "$SEED" != "random" ]] && seed_args=(--seed "$SEED")
  log "pass '$name': schemathesis run, at most $MAX_EXAMPLES examples per operation, ${PASS_TIMEOUT}s"
  local status=0
  # One worker: the machine has two cores, one of them busy serving; and with several worker
  # threads CPython 3.11.7 (pyenv's python3 here) can fail inside hypothesis with "SystemError:
  # AST constructor recursion depth mismatch".
  timeout --signal=INT --kill-after=20 "$PASS_TIMEOUT" \
    "$ST" --config-file "$config" run "$BASE/api/v1/openapi.json" \
      --url "$BASE" \
      --max-examples "$MAX_EXAMPLES" \
      "${seed_args[@]}" \
      --workers 1 \
      --request-timeout 20 \
      --generation-database none \
      --suppress-health-check too_slow \
      --no-color \
      --report "$REPORTS" --report-dir "$REPORT_DIR/$name" \
      ${CONTRACT_EXTRA_ARGS:-} \
    || status=$?
  if [[ $status -eq 124 || $status -eq 130 ]]; then
    log "pass '$name' ran out of time (${PASS_TIMEOUT}s)"
  fi
  return $status
}

# Every session is made before any fuzzing, so that the fuzzing cannot get in its way.
declare -A TOKEN SIGN_OUT_TOKEN PHASES
for pass in $PASSES; do
  case "$pass" in
    organiser)
      TOKEN[$pass]="$ORGANISER_TOKEN"
      SIGN_OUT_TOKEN[$pass]="$(sign_in organiser@demo.example "$ORGANISER_PASSWORD")"
      PHASES[$pass]="$PHASES_ID" ;;
    commissioner)
      TOKEN[$pass]="$(sign_in commissioner@demo.example "$COMMISSIONER_PASSWORD")"
      SIGN_OUT_TOKEN[$pass]="$(sign_in commissioner@demo.example "$COMMISSIONER_PASSWORD")"
      PHASES[$pass]="$CLOSED_ID" ;;
    *) log "unknown pass '$pass'"; exit 2 ;;
  esac
done

passed=0
failed=0
for pass in $PASSES; do
  if run_pass "$pass" "${TOKEN[$pass]}" "${SIGN_OUT_TOKEN[$pass]}" "${PHASES[$pass]}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    log "pass '$pass' FAILED"
  fi
done

# The server must still be up at the end (no crash on the way).
if ! curl -sf "$BASE/health" >/dev/null; then
  log "the server is no longer answering"
  failed=$((failed + 1))
fi

echo "contract: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
