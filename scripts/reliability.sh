#!/usr/bin/env bash
# `npm run reliability [-- <part> [options]]`: the fault, soak and long fuzz scripts
# against a throwaway `reliability` stack (.local/reliability/, ports 54381/54382/
# 54390), started fresh for each run and stopped afterwards. Parts: fuzz,
# db-restart, embedder, pool, soak, faults (the three fault parts), all (default).
# Raw results: reliability/results/; the latest are written up in docs/reliability.md.
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/install.sh"
use_profile reliability
mkdir -p "$STATE"
export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"

bash "$ROOT/scripts/stack.sh" reliability >"$STATE/stack.log" 2>&1 &
stack_pid=$!
trap 'kill "$stack_pid" 2>/dev/null; wait "$stack_pid" 2>/dev/null' EXIT
log "starting the reliability stack (log: ${STATE#"$ROOT"/}/stack.log)"
until grep -qx ready "$STATE/stack.log" 2>/dev/null; do
  kill -0 "$stack_pid" 2>/dev/null || { cat "$STATE/stack.log" >&2; die "the reliability stack did not start"; }
  sleep 0.5
done
cd "$ROOT"
"$DENO" run --allow-all --env-file="$STACK_ENV" reliability/main.ts "$@"
