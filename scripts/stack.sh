#!/usr/bin/env bash
# Runs one profile of the local stack in the foreground: PostgreSQL, Redis (the cache
# and rate-limit store, no persistence), the embeddings server and the functions
# server. Prints the settings, then `ready`. Ctrl-C or
# SIGTERM stops what this run started (by pid), nothing else.
#
#   bash scripts/stack.sh dev     the developer stack (data kept between runs)
#   bash scripts/stack.sh test    a throwaway stack; its database is rebuilt each run
#   bash scripts/stack.sh bench   the benchmarks' stack (npm run bench starts it)
#   bash scripts/stack.sh reliability   the fault scripts' throwaway stack
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/cluster.sh"

use_profile "${1:-dev}"
mkdir -p "$STATE" "$KEYS"

# One stack per profile: a second run must not touch a cluster in use.
exec 9>"$STATE/stack.lock"
if ! flock -n 9; then
  die "the $PROFILE stack is already running (pid $(cat "$LOCK" 2>/dev/null || echo '?')); stop it first"
fi
echo $$ >"$LOCK"

# Redis runs daemonized with a pid file (see below).
REDIS_CONF="$STATE/redis.conf"
redis_stop() {
  local pid
  pid="$(cat "$STATE/redis.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -f "$STATE/redis.pid"
}

started_pg=0
children=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${children[@]}"; do wait "$pid" 2>/dev/null || true; done
  redis_stop
  [ "$started_pg" = 1 ] && cluster_stop
  rm -f "$LOCK"
  log "stopped"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$THROWAWAY" = 1 ]; then
  # Throwaway: a new cluster every run (a stale one from a killed run goes first).
  cluster_stop
  rm -rf "$PG_HOME"
fi
cluster_init
pg_running || started_pg=1
cluster_start

if [ "$THROWAWAY" = 1 ]; then
  database_build
elif database_is_new; then
  database_build
else
  log "database exists; keeping its data, applying new migrations (npm run db:reset rebuilds it)"
  # The platform's objects first (idempotent): a newer checkout may rely on more of them.
  psql_admin <"$ROOT/scripts/platform/bootstrap.sql" >/dev/null
  migrations_up
fi

# Redis: its own server per profile, memory only, daemonized with a pid file (not a
# child: tests stop and restart it to prove the functions fail open, and the stack
# must outlive that). Its config file is how they restart it as it was.
redis_stop
cat >"$REDIS_CONF" <<CONF
port $REDIS_PORT
bind 127.0.0.1
protected-mode yes
save ""
appendonly no
daemonize yes
pidfile $STATE/redis.pid
logfile $STATE/redis.log
maxmemory 256mb
maxmemory-policy allkeys-lru
CONF
redis-server "$REDIS_CONF" || die "redis-server did not start; see ${STATE#"$ROOT"/}/redis.log"

export PROFILE STATE KEYS API_PORT DB_URL EMBED_PORT REDIS_PORT PGLOG SUPABASE_BIN="$SUPABASE"
export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"
"$DENO" run --quiet --allow-all "$ROOT/scripts/stack-env.ts" >/dev/null

# Each server gets exactly the variables of stack.env, as the platform would.
"$DENO" run --quiet --allow-all --env-file="$STACK_ENV" "$ROOT/scripts/embeddings-server.ts" \
  >>"$STATE/embeddings.log" 2>&1 9>&- &
children+=($!)
# DB_URL here is this script's own (the direct URL); to the functions DB_URL means a
# pooler URL (.env.example), so they must not inherit it.
env -u DB_URL "$DENO" run --quiet --allow-all --env-file="$STACK_ENV" "$ROOT/scripts/functions-server.ts" \
  >>"$STATE/functions.log" 2>&1 9>&- &
children+=($!)

answers() { curl -s -o /dev/null -m 2 "$1"; }
deadline=$((SECONDS + 180))
until answers "http://127.0.0.1:$EMBED_PORT/health" && answers "http://127.0.0.1:$API_PORT/functions/v1/health"; do
  for pid in "${children[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a server exited during startup; see ${STATE#"$ROOT"/}/*.log"
  done
  [ "$SECONDS" -lt "$deadline" ] || die "the stack did not answer within 180 s; see ${STATE#"$ROOT"/}/*.log"
  sleep 0.3
done

echo "# settings of the $PROFILE stack (also in ${STACK_ENV#"$ROOT"/})"
cat "$STACK_ENV"
echo "# PostgreSQL: $DB_URL"
echo "# functions:  http://127.0.0.1:$API_PORT/functions/v1/<name>"
echo "# Redis:      redis://127.0.0.1:$REDIS_PORT (${REDIS_CONF#"$ROOT"/})"
echo "# logs:       ${STATE#"$ROOT"/}/functions.log, embeddings.log, redis.log, pg/postgres.log"
echo "ready"

# Stay in the foreground until a signal, or until a server dies.
wait -n "${children[@]}"
die "a server exited; see ${STATE#"$ROOT"/}/*.log"
