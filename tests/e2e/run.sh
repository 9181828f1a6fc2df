#!/usr/bin/env bash
# Runs the browser tests against `frmo serve --demo`, once on SQLite and once on PostgreSQL.
# Usage: tests/e2e/run.sh PATH/TO/frmo   (PostgreSQL: FRMO_TEST_POSTGRES_URL, an admin URL)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
frmo="${1:?usage: run.sh PATH/TO/frmo}"
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)

work=$(mktemp -d /tmp/frmo-e2e.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

run_backend() {
  local name=$1 url=$2
  mkdir -p "$work/$name"
  FRMO_DATA_DIR="$work/$name" FRMO_DATABASE_URL="$url" FRMO_DEMO_ORGS=500 \
    "$frmo" serve --demo --bind 127.0.0.1:0 >"$work/$name/stdout" 2>"$work/$name/stderr" &
  server=$!
  local base=""
  for _ in $(seq 1 300); do
    base=$(grep -o 'http://[0-9.:]*' "$work/$name/stdout" 2>/dev/null | head -n 1 || true)
    [ -n "$base" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/$name/stderr" >&2; echo "frmo serve exited ($name)" >&2; return 1; }
    sleep 0.2
  done
  [ -n "$base" ] || { cat "$work/$name/stderr" >&2; echo "frmo serve did not start ($name)" >&2; return 1; }
  echo "-- $name: $base"
  FRMO_BASE_URL="$base" FRMO_SCREENSHOTS="$work/$name" node "$here/register.test.mjs" \
    || { echo "screenshots and logs: kept in ${FRMO_E2E_KEEP:-$work/$name (removed on exit; set FRMO_E2E_KEEP=DIR to keep)}" >&2
         [ -n "${FRMO_E2E_KEEP:-}" ] && cp -r "$work/$name" "$FRMO_E2E_KEEP"; return 1; }
  kill "$server" && wait "$server" 2>/dev/null || true
  server=""
}

run_backend sqlite "sqlite://$work/sqlite/frmo.db"

admin="${FRMO_TEST_POSTGRES_URL:?FRMO_TEST_POSTGRES_URL is not set}"
db="frmo_e2e_$$"
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
run_backend postgres "${admin%/*}/$db"
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
