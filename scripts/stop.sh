#!/usr/bin/env bash
# `npm run stop [-- <profile>]`: stops the running stack of a profile (dev by default;
# test, bench, reliability, eval), whichever terminal or process started it: the same
# as Ctrl-C in that terminal. Waits until it is gone and its ports are free.
source "$(dirname "$0")/lib.sh"
use_profile "${1:-dev}"
pid="$(cat "$LOCK" 2>/dev/null || true)"
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  log "no $PROFILE stack is running"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null && ! port_in_use "$API_PORT" && ! port_in_use "$DB_PORT" &&
    ! port_in_use "$EMBED_PORT" && ! port_in_use "$REDIS_PORT"; then
    log "the $PROFILE stack stopped"
    exit 0
  fi
  sleep 0.5
done
die "the $PROFILE stack (pid $pid) did not stop within 60 s"
