#!/usr/bin/env bash
# `npm run bench [-- <part> [options]]`: benchmarks against the `bench` stack
# (.local/bench/, ports 54361/54362/54370; its data is kept between runs). Starts
# the stack unless it is running, runs bench/main.ts, stops what it started.
# Parts: vector, http, ingest, crypto, startup, chat, all (default). Raw results:
# bench/results/.
HELP_DENO_SCRIPT=bench/main.ts
source "$(dirname "$0")/lib.sh"

run_on_stack bench bench/main.ts "$@"
