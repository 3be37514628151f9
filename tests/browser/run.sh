#!/usr/bin/env bash
# Browser tests for the pbvote web pages.
#
# Installs Chromium (Debian's package) and the npm dependencies if they are missing, builds the
# server, starts it on a free port with a fresh SQLite database and the demo consultation, makes an
# admin, an organiser, a commissioner and two meeting officers, runs `node --test` and stops the server.
# Exits with the tests' status.
#
# Screenshots go to <repo>/target/browser-screenshots/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

log() { printf '[browser-tests] %s\n' "$*" >&2; }

# 1. Chromium from Debian (never a browser download).
if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
CHROMIUM="$(command -v chromium)"
export CHROMIUM

# pdftotext (Debian's poppler-utils) reads back the public record printed to PDF.
if ! command -v pdftotext >/dev/null 2>&1; then
  log "installing poppler-utils (pdftotext)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq poppler-utils >/dev/null
fi

# 2. npm dependencies (playwright-core, axe-core) exactly as locked.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
(cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)

# 3. The server.
# PBVOTE_BIN names an already-built binary (.ci/run passes the one the tests built).
if [[ -n "${PBVOTE_BIN:-}" ]]; then
  BIN="$PBVOTE_BIN"
else
  log "building the server"
  (cd "$ROOT" && cargo build --bin pbvote >&2)
  TARGET_DIR="$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
  BIN="$TARGET_DIR/debug/pbvote"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pbvote-browser.XXXXXX")"
SERVER_PID=""
cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f "$WORK/server.out" ]]; then
    log "server output (last 40 lines):"
    tail -n 40 "$WORK/server.out" >&2 || true
    tail -n 40 "$WORK/server.err" >&2 || true
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

export DATABASE_URL="sqlite://$WORK/pbvote.db?mode=rwc"
export PBVOTE_SECRET="browser-tests-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export PBVOTE_FRONTEND_DIR="$ROOT/frontend"
export PBVOTE_BIND="127.0.0.1:0"
export PBVOTE_LOG="${PBVOTE_LOG:-warn}"

log "migrating a fresh database in $WORK"
"$BIN" migrate >&2

export PBVOTE_ORGANISER_EMAIL="organiser@example.test"
export PBVOTE_ORGANISER_PASSWORD="organiser-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export PBVOTE_COMMISSIONER_EMAIL="commissioner@example.test"
export PBVOTE_COMMISSIONER_PASSWORD="commissioner-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$PBVOTE_ORGANISER_PASSWORD" | "$BIN" user add --email "$PBVOTE_ORGANISER_EMAIL" --role organiser --password-stdin >&2
printf '%s' "$PBVOTE_COMMISSIONER_PASSWORD" | "$BIN" user add --email "$PBVOTE_COMMISSIONER_EMAIL" --role commissioner --password-stdin >&2
# Two meeting officers (paper ballots; with double entry, two officers type each paper).
export PBVOTE_OFFICER_EMAIL="officer@example.test"
export PBVOTE_OFFICER_PASSWORD="officer-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export PBVOTE_OFFICER2_EMAIL="second-officer@example.test"
export PBVOTE_OFFICER2_PASSWORD="officer-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$PBVOTE_OFFICER_PASSWORD" | "$BIN" user add --email "$PBVOTE_OFFICER_EMAIL" --role officer --password-stdin >&2
printf '%s' "$PBVOTE_OFFICER2_PASSWORD" | "$BIN" user add --email "$PBVOTE_OFFICER2_EMAIL" --role officer --password-stdin >&2
# The first admin, as a council makes it (staff accounts and the audit record).
export PBVOTE_ADMIN_EMAIL="admin@example.test"
export PBVOTE_ADMIN_PASSWORD="admin-password-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$PBVOTE_ADMIN_PASSWORD" | "$BIN" user add --email "$PBVOTE_ADMIN_EMAIL" --role admin --password-stdin >&2

# E-mail for residents who ask for a code (email-code.test.mjs runs the SMTP sink on this port).
PBVOTE_SMTP_SINK_PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export PBVOTE_SMTP_SINK_PORT
export PBVOTE_SMTP_URL="smtp://127.0.0.1:$PBVOTE_SMTP_SINK_PORT?tls=none"
export PBVOTE_MAIL_FROM="Browser Test Council <vote@example.test>"

log "starting the server"
"$BIN" serve --demo >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!

BASE=""
for _ in $(seq 1 300); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server stopped during start-up"
    exit 1
  fi
  BASE="$(grep -o 'pbvote listening on http://[^[:space:]]*' "$WORK/server.out" | head -n1 | sed 's/^pbvote listening on //' || true)"
  [[ -n "$BASE" ]] && break
  sleep 0.1
done
if [[ -z "$BASE" ]]; then
  log "the server did not say where it listens"
  exit 1
fi
export PBVOTE_URL="${BASE%/}"

healthy=""
for _ in $(seq 1 150); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$PBVOTE_URL/health"; then
    healthy=1
    break
  fi
  sleep 0.2
done
if [[ -z "$healthy" ]]; then
  log "$PBVOTE_URL/health did not answer"
  exit 1
fi

# The demo consultation and its voter codes, as printed by `serve --demo`.
PBVOTE_DEMO_ID="$(sed -n 's/^.*demo consultation: *\([0-9a-fA-F-]\{36\}\).*$/\1/p' "$WORK/server.out" | head -n1)"
PBVOTE_DEMO_CODES="$(sed -n 's/^.*demo voter code: *\([A-Za-z0-9-]*\).*$/\1/p' "$WORK/server.out" | paste -sd, -)"
export PBVOTE_DEMO_ID PBVOTE_DEMO_CODES
export PBVOTE_SCREENSHOT_DIR="$ROOT/target/browser-screenshots"
export PBVOTE_TOKEN_CACHE="$WORK/tokens.json"
log "server at $PBVOTE_URL, demo consultation ${PBVOTE_DEMO_ID:-(none)}"

set +e
(cd "$HERE" && node --test --test-concurrency=1 "$@")
status=$?
set -e
exit $status
