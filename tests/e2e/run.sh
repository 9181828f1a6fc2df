#!/usr/bin/env bash
# Browser tests against `frmo serve --demo`, once per database backend (SQLite, then PostgreSQL).
# Usage: tests/e2e/run.sh [PATH/TO/frmo]     (default: $CARGO_TARGET_DIR/debug/frmo)
# For each backend: a fresh database and FRMO_DATA_DIR in a temp dir, `frmo serve --demo --bind
# 127.0.0.1:0`, the port read from its "frmo: listening on http://…" line, wait for /healthz, run
# register.test.mjs with Debian chromium (with the keyboard walks of keyboard.mjs and the axe-core and layout
# sweep of every page in pages.json, a11y.mjs and sweep.mjs), stop the server (always).
# PostgreSQL: a fresh database in FRMO_TEST_POSTGRES_URL's server (an admin URL); when it is not set,
# a throw-away cluster of our own (scripts/pg-throwaway).
# Environment: FRMO_E2E_BACKENDS ("sqlite postgres"), FRMO_E2E_DEMO_ORGS (500 generated
# organizations besides the real ones), CHROMIUM (/usr/bin/chromium).
# On failure the server's logs and the screenshots are kept in /tmp/frmo-e2e-failed.*.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
frmo="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/frmo-target}/debug/frmo}"
[ -x "$frmo" ] || { echo "e2e: no frmo binary at $frmo (cargo build --bin frmo)" >&2; exit 1; }
command -v node >/dev/null || { echo "e2e: node is missing (apt-get install nodejs npm)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "e2e: ${CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium)" >&2; exit 1; }
[ -d "$here/node_modules/playwright-core" ] && [ -d "$here/node_modules/axe-core" ] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d "${TMPDIR:-/tmp}/frmo-e2e.XXXXXX")
server="" pg_dir="" pg_db="" admin=""
stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
cleanup() {
  stop_server
  if [ -n "$pg_db" ]; then psql "$admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  if [ -n "$pg_dir" ]; then "$root/scripts/pg-throwaway" stop "$pg_dir" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

keep_failure() { # backend name → copies its logs and screenshots somewhere that outlives the run
  local kept
  kept=$(mktemp -d "${TMPDIR:-/tmp}/frmo-e2e-failed.XXXXXX")
  cp -r "$work/$1/." "$kept/" 2>/dev/null || true
  rm -rf "$kept/data"
  echo "e2e ($1): the server's stdout/stderr and the failure screenshots are kept in $kept" >&2
  ls "$kept"/shots/*.png 2>/dev/null | sed 's/^/    /' >&2 || true
  echo "--- last lines of the server's stderr:" >&2
  tail -n 20 "$work/$1/stderr" >&2 || true
}

# backend name, database URL → 0 when every browser test passed
run_backend() {
  local name=$1 url=$2 base="" line
  mkdir -p "$work/$name/data" "$work/$name/shots"
  # The region's operator of the reports test signs in with a local account.
  FRMO_DATA_DIR="$work/$name/data" FRMO_DATABASE_URL="$url" FRMO_PASSWORD="${FRMO_E2E_OPERATOR_PASSWORD:-operator-63-password}" \
    "$frmo" user add op63 --name "Оператор Самарской области" --role operator --region 63 >"$work/$name/user-add" 2>&1 \
    || { cat "$work/$name/user-add" >&2; return 1; }
  # The accessibility sweep visits the cabinet of an administrator and an auditor too.
  for role in admin auditor; do
    FRMO_DATA_DIR="$work/$name/data" FRMO_DATABASE_URL="$url" FRMO_PASSWORD="${FRMO_E2E_OPERATOR_PASSWORD:-operator-63-password}" \
      "$frmo" user add "$role-e2e" --name "$([ $role = admin ] && echo 'Администратор реестра' || echo 'Аудитор реестра')" --role "$role" >>"$work/$name/user-add" 2>&1 \
      || { cat "$work/$name/user-add" >&2; return 1; }
  done
  NO_COLOR=1 FRMO_DATA_DIR="$work/$name/data" FRMO_DATABASE_URL="$url" FRMO_DEMO_ORGS="${FRMO_E2E_DEMO_ORGS:-500}" \
    "$frmo" serve --demo --bind 127.0.0.1:0 >"$work/$name/stdout" 2>"$work/$name/stderr" &
  server=$!
  for _ in $(seq 1 1200); do # up to 2 minutes: the first start migrates and seeds the demo
    line=$(grep -m 1 '^frmo: listening on http://' "$work/$name/stdout" 2>/dev/null || true)
    if [ -n "$line" ]; then base=${line#frmo: listening on }; break; fi
    kill -0 "$server" 2>/dev/null || { echo "e2e ($name): frmo serve exited before listening" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$base" ] || { echo "e2e ($name): frmo serve printed no 'frmo: listening on' line in 2 minutes" >&2; return 1; }
  node -e '
    const url = process.argv[1] + "/healthz";
    const until = Date.now() + 30000;
    (async () => {
      for (;;) {
        try { const r = await fetch(url); if (r.ok && (await r.text()).trim() === "ok") return; } catch {}
        if (Date.now() > until) { console.error(`e2e: ${url} did not answer 200 "ok" in 30 s`); process.exit(1); }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();' "$base" || return 1
  echo "-- $name: $base (frmo serve --demo, pid $server)"
  FRMO_BASE_URL="$base" FRMO_SCREENSHOTS="$work/$name/shots" timeout 600 node "$here/register.test.mjs" || return 1
  stop_server
}

failed=() passed=()
for backend in ${FRMO_E2E_BACKENDS:-sqlite postgres}; do
  case "$backend" in
    sqlite)
      url="sqlite://$work/sqlite/data/frmo.db" ;;
    postgres)
      if [ -z "${FRMO_TEST_POSTGRES_URL:-}" ]; then
        eval "$("$root/scripts/pg-throwaway" start)"
        pg_dir=$FRMO_PG_DIR
      fi
      admin=$FRMO_TEST_POSTGRES_URL
      pg_db="frmo_e2e_$$_$RANDOM"
      psql "$admin" -qc "CREATE DATABASE $pg_db" >/dev/null
      url=$("$root/scripts/pg-throwaway" dburl "$admin" "$pg_db") ;;
    *) echo "e2e: unknown backend $backend" >&2; exit 2 ;;
  esac
  if run_backend "$backend" "$url"; then
    passed+=("$backend")
  else
    failed+=("$backend")
    keep_failure "$backend"
  fi
  stop_server
done

echo "browser tests: passed on ${passed[*]:-nothing}${failed:+; FAILED on ${failed[*]}}"
[ ${#failed[@]} = 0 ]
