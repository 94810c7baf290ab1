# Shared helpers of the Docker-less local stack. Sourced, never run.
# A "profile" is one independent stack: `dev` (what `npm run dev` serves, data kept),
# `test` (what `npm test` builds from scratch and throws away), `bench` (npm run
# bench, data kept) and `reliability` (npm run reliability, thrown away), so tests,
# benchmarks and fault injection never touch a developer's data.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Every npm script answers -h / --help and starts nothing: its header comment, then the
# options of the Deno program it runs (HELP_DENO_SCRIPT, set before sourcing this file)
# when the npm packages are installed.
for arg in "$@"; do
  if [ "$arg" = -h ] || [ "$arg" = --help ]; then
    sed -n '2,/^[^#]/{s/^# \{0,1\}//p}' "$0"
    if [ -n "${HELP_DENO_SCRIPT:-}" ] && [ -x "$ROOT/node_modules/.bin/deno" ]; then
      echo
      # (A program that needs its stack's settings even to load prints nothing more.)
      DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}" "$ROOT/node_modules/.bin/deno" run --quiet \
        --allow-all "$ROOT/$HELP_DENO_SCRIPT" --help 2>/dev/null || true
    fi
    exit 0
  fi
done
PG_BIN="/usr/lib/postgresql/15/bin"
PGVECTOR_MIN="0.8.0"
DENO="$ROOT/node_modules/.bin/deno"
# The Deno release inside the edge runtime that the pinned Supabase CLI (3.1.0) serves
# functions with: supabase/edge-runtime v1.78.1, whose .env and deno/Cargo.toml say
# DENO_VERSION=2.1.4 (unchanged from 2024-12-31 to the 2026-04-30 snapshot we read).
# npm test boots every function on it too (tests/platform_test.ts).
EDGE_DENO_VERSION="2.1.4"
# The binary itself, not npm's Node shim (.bin/deno), which would outlive a kill of it.
EDGE_DENO="$ROOT/.local/edge-deno/node_modules/deno/deno"
SUPABASE="$ROOT/node_modules/.bin/supabase"
export DENO_NO_UPDATE_CHECK=1 SUPABASE_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# The local clusters have no TLS; say so instead of letting clients try and warn.
export PGSSLMODE=disable

# What a stack writes to its stack.env, and what its servers read. A shell that
# exported one stack's settings (`set -a; . .local/stack.env; set +a`, as the README
# shows) must not steer another: `npm test` would otherwise have run against the dev
# database. Every script starts without them; each stack writes its own.
STACK_VARIABLES=(
  SUPABASE_URL SUPABASE_FUNCTIONS_URL SUPABASE_DB_URL SUPABASE_JWKS SUPABASE_PUBLISHABLE_KEYS
  SUPABASE_SECRET_KEYS SUPABASE_PUBLISHABLE_KEY SUPABASE_SECRET_KEY SIGNING_KEY_PATH
  OPENAI_BASE_URL LOCAL_OPENAI_KEY DB_POOL_MAX API_PORT EMBED_PORT UPSTREAM_TIMEOUT_MS
  REDIS_PORT CACHE_URL
  LOG_SAMPLE_RATE LOG_SAMPLED_PER_10S FUNCTIONS
  STACK_STATE STACK_PG_LOG STACK_PG_CA PROFILE STATE KEYS DB_URL DB_PORT PGLOG PGDATA
  PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGPASSFILE PGDATABASE PGOPTIONS PGSERVICE
)
# Tuning knobs the functions also read: the developer stack honours them from the
# shell (e.g. JWT_CACHE_SECONDS=0 npm run dev); throwaway stacks (tests, fault
# scripts) never do, so their results do not depend on the caller's shell.
FUNCTION_KNOBS=(
  AUTH_ISSUER OPENAI_API_KEY OPENAI_EMBEDDING_MODEL DB_CHECKOUT_TIMEOUT_MS
  DB_STATEMENT_TIMEOUT_MS JWT_CACHE_SECONDS JWT_CACHE_MAX_ENTRIES BYOK_KEYS BYOK_ACTIVE_KID
  LOG_SLOW_MS OPENAI_CHAT_MODEL CHAT_DEADLINE_MS CHAT_KEEPALIVE_MS CHAT_MAX_TOKENS
  CHAT_HISTORY_TOKENS CACHE_TIMEOUT_MS CACHE_BREAKER_MS CACHE_MAX_VALUE_BYTES RATE_LIMIT_CHAT
  RATE_LIMIT_MEMORY_WRITE RATE_LIMIT_EMBEDDING RATE_LIMIT_DEFAULT RATE_LIMIT_TIMEOUT_MS
)
unset "${STACK_VARIABLES[@]}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# use_profile NAME: sets the ports and folders of one stack.
use_profile() {
  PROFILE="$1"
  case "$PROFILE" in
    dev)
      STATE="$ROOT/.local"
      API_PORT=54321 DB_PORT=54322 EMBED_PORT=54330 REDIS_PORT=54329
      ;;
    test)
      # scripts/test.sh picks a free block (TEST_PORT_BASE) so that another
      # checkout's test run, or anything else on these ports, cannot collide.
      STATE="$ROOT/.local/test"
      local base="${TEST_PORT_BASE:-54341}"
      API_PORT=$base DB_PORT=$((base + 1)) EMBED_PORT=$((base + 9)) REDIS_PORT=$((base + 8))
      ;;
    bench)
      # Its own cluster, kept between runs: loading vectors is the slow part.
      STATE="$ROOT/.local/bench"
      API_PORT=54361 DB_PORT=54362 EMBED_PORT=54370 REDIS_PORT=54369
      ;;
    reliability)
      # Fault scripts restart its database and stall its embedder: never dev's. The
      # docs test starts it mid-run and picks a block no socket holds (RELIABILITY_PORT_BASE).
      STATE="$ROOT/.local/reliability"
      local rbase="${RELIABILITY_PORT_BASE:-54381}"
      API_PORT=$rbase DB_PORT=$((rbase + 1)) EMBED_PORT=$((rbase + 9)) REDIS_PORT=$((rbase + 8))
      ;;
    eval)
      # npm run eval:memory: its own cluster (kept; every run makes new users), and
      # the tuning knobs from the shell, since choosing the model is the point.
      STATE="$ROOT/.local/eval"
      API_PORT=54401 DB_PORT=54402 EMBED_PORT=54410 REDIS_PORT=54409
      ;;
    *) die "unknown profile '$PROFILE' (dev, test, bench, reliability or eval)" ;;
  esac
  # Throwaway profiles get a new cluster every run.
  THROWAWAY=0
  case "$PROFILE" in test | reliability) THROWAWAY=1 ;; esac
  [ "$THROWAWAY" = 1 ] && unset "${FUNCTION_KNOBS[@]}"
  PG_HOME="$(cluster_home)"
  PGDATA="$PG_HOME/data"
  PGRUN="$PG_HOME/run"
  PGLOG="$PG_HOME/postgres.log"
  STACK_ENV="$STATE/stack.env"
  LOCK="$STATE/stack.pid"
  DB_NAME=postgres
  DB_PASSWORD=postgres
  DB_URL="postgresql://postgres:${DB_PASSWORD}@127.0.0.1:${DB_PORT}/${DB_NAME}"
  # Keys shared by both profiles live in .local/ so a token minted for dev also
  # documents the format the tests use.
  KEYS="$ROOT/.local/keys"
}

# cluster_home: where this profile's PostgreSQL cluster lives. PostgreSQL runs as
# the `postgres` OS user when we are root, and that user must be able to reach the
# folder: a clone under /root or under `mktemp -d` (mode 700) is out of its reach,
# so such a clone keeps its clusters in /var/tmp instead, one folder per clone path.
cluster_home() {
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
    echo "$STATE/pg"
  else
    local id
    id="$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
    echo "/var/tmp/tripsage-pg/$id/$PROFILE"
  fi
}

# as_postgres CMD...: PostgreSQL refuses to run as root. From /, which the postgres
# user can always enter (every path we pass is absolute).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

psql_admin() {
  # Superuser over the cluster's own socket: bootstrap and test plumbing only.
  as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGRUN" -p "$DB_PORT" -U postgres -d "$DB_NAME" "$@"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_running() {
  [ -f "$PGDATA/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

# run_on_stack PROFILE SCRIPT [ARGS...]: installs what is missing, starts PROFILE's
# stack unless it is running (and stops it afterwards), then runs the Deno SCRIPT
# against it with the stack's settings. For the kept profiles (bench, eval).
run_on_stack() {
  local profile="$1" script="$2"
  shift 2
  bash "$ROOT/scripts/install.sh"
  use_profile "$profile"
  mkdir -p "$STATE"
  export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"
  if ! curl -s -o /dev/null -m 2 "http://127.0.0.1:$API_PORT/functions/v1/health"; then
    stack_in_background
  fi
  cd "$ROOT"
  "$DENO" run --allow-all --env-file="$STACK_ENV" "$script" "$@"
}

# stack_in_background: starts this profile's stack for the rest of the calling
# script and waits for `ready`; the script's exit stops it, keeping its own status.
stack_in_background() {
  bash "$ROOT/scripts/stack.sh" "$PROFILE" >"$STATE/stack.log" 2>&1 &
  STACK_PID=$!
  trap 'status=$?; kill "$STACK_PID" 2>/dev/null || true; wait "$STACK_PID" 2>/dev/null || true; exit "$status"' EXIT
  log "starting the $PROFILE stack (log: ${STATE#"$ROOT"/}/stack.log)"
  until grep -qx ready "$STATE/stack.log" 2>/dev/null; do
    kill -0 "$STACK_PID" 2>/dev/null || { cat "$STATE/stack.log" >&2; die "the $PROFILE stack did not start"; }
    sleep 0.5
  done
}
