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

if ! curl -s -o /dev/null -m 2 "http://127.0.0.1:$API_PORT/functions/v1/health"; then
  stack_in_background
fi
cd "$ROOT"
"$DENO" run --allow-all --env-file="$STACK_ENV" bench/main.ts "$@"
