#!/usr/bin/env bash
# `npm run bench [-- <part> [options]]`: benchmarks against the `bench` stack
# (.local/bench/, ports 54361/54362/54370; its data is kept between runs). Starts
# the stack unless it is running, runs bench/main.ts, stops what it started.
# Parts: vector, http, ingest, crypto, all (default). Raw results: bench/results/.
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/install.sh"
use_profile bench
mkdir -p "$STATE"
export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"

stack_pid=""
if ! curl -s -o /dev/null -m 2 "http://127.0.0.1:$API_PORT/functions/v1/health"; then
  bash "$ROOT/scripts/stack.sh" bench >"$STATE/stack.log" 2>&1 &
  stack_pid=$!
  trap 'kill "$stack_pid" 2>/dev/null; wait "$stack_pid" 2>/dev/null' EXIT
  log "starting the bench stack (log: ${STATE#"$ROOT"/}/stack.log)"
  until grep -qx ready "$STATE/stack.log" 2>/dev/null; do
    kill -0 "$stack_pid" 2>/dev/null || { cat "$STATE/stack.log" >&2; die "the bench stack did not start"; }
    sleep 0.5
  done
fi
cd "$ROOT"
"$DENO" run --allow-all --env-file="$STACK_ENV" bench/main.ts "$@"
