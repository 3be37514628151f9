#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine (CI machines have none, and no image can
# be pulled there): the file must pass Compose's own schema validation and interpolation
# (`docker-compose config`, from Debian's docker-compose package, installed if missing),
# refuse to start without PBVOTE_SECRET, and keep the layout the README promises: PostgreSQL,
# two pbvote replicas sharing one secret and one database, and a reverse proxy whose
# configuration file exists. What it cannot check is the containers actually running.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
log() { printf '[compose] %s\n' "$*" >&2; }

if ! command -v docker-compose >/dev/null; then
  log "installing docker-compose (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

# 1. Without the secret, Compose refuses with our message.
if out=$(env -u PBVOTE_SECRET docker-compose -f docker-compose.yml config 2>&1); then
  log "docker-compose.yml was accepted without PBVOTE_SECRET"; exit 1
fi
grep -q "set PBVOTE_SECRET" <<<"$out" || { log "unexpected refusal without PBVOTE_SECRET: $out"; exit 1; }

# 2. With it, the file validates; then check the layout from the resolved configuration.
resolved=$(PBVOTE_SECRET=compose-check-0123456789abcdef0123456789 docker-compose -f docker-compose.yml config)
/usr/bin/python3 - "$resolved" <<'PY'
import os, sys, yaml
c = yaml.safe_load(sys.argv[1])
s = c["services"]
problems = []
def need(ok, what):
    if not ok: problems.append(what)
need(set(s) >= {"db", "app", "proxy"}, "services db, app and proxy")
need(s["db"]["image"].startswith("postgres:"), "db is PostgreSQL")
app = s["app"]
need(app.get("deploy", {}).get("replicas", 1) >= 2, "at least two app replicas")
env = app["environment"]
need(env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"], "app uses the db service")
need(len(env["PBVOTE_SECRET"]) >= 32, "app gets the shared secret")
need(env.get("PBVOTE_TRUST_PROXY") == "true", "app trusts the proxy's forwarded address")
need(env["PBVOTE_BIND"].startswith("0.0.0.0:"), "app listens beyond its container")
need(app["depends_on"]["db"]["condition"] == "service_healthy", "app waits for a healthy db")
need(int(str(app.get("stop_grace_period", "0s")).rstrip("s")) > 30, "stop grace longer than the server's 30 s drain")
proxy = s["proxy"]
mounts = [v["source"] if isinstance(v, dict) else v.split(":")[0] for v in proxy.get("volumes", [])]
need(any(m.endswith("deploy/nginx.conf") and os.path.isfile(m) for m in mounts), "proxy mounts deploy/nginx.conf, which exists")
need(any(str(p.get("target")) == "80" for p in proxy.get("ports", []) if isinstance(p, dict)) or proxy.get("ports"), "proxy publishes a port")
nginx = open("deploy/nginx.conf").read()
need("server app:8080" in nginx, "nginx sends requests to the app service on 8080")
need(os.path.isfile("Dockerfile"), "the app's Dockerfile exists")
if problems:
    print("docker-compose.yml: missing " + "; ".join(problems), file=sys.stderr); sys.exit(1)
print("compose: valid; db + %d app replicas + proxy" % app["deploy"]["replicas"])
PY
