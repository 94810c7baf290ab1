#!/usr/bin/env bash
# `npm run reliability [-- <part> [options]]`: the fault, soak and long fuzz scripts
# against a throwaway `reliability` stack (.local/reliability/, ports 54381/54382/
# 54390), started fresh for each run and stopped afterwards. Parts: fuzz,
# db-restart, embedder, pool, soak, faults (the three fault parts), all (default).
# Raw results: reliability/results/; the latest are written up in docs/reliability.md.
HELP_DENO_SCRIPT=reliability/main.ts
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/install.sh"
use_profile reliability
mkdir -p "$STATE"
export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"

stack_in_background
cd "$ROOT"
"$DENO" run --allow-all --env-file="$STACK_ENV" reliability/main.ts "$@"
