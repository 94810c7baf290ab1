#!/usr/bin/env bash
# Stops or starts one profile's PostgreSQL under a running stack, for the fault
# scripts (npm run reliability). The stack's servers keep running meanwhile.
#
#   bash scripts/db-ctl.sh PROFILE stop fast|immediate   clean shutdown | crash (no checkpoint)
#   bash scripts/db-ctl.sh PROFILE start
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/cluster.sh"

use_profile "${1:?profile}"
case "${2:-}" in
  stop)
    mode="${3:-fast}"
    [[ "$mode" =~ ^(fast|immediate)$ ]] || die "stop mode must be fast or immediate"
    as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m "$mode" -w -t 60 stop >/dev/null
    ;;
  start) cluster_start ;;
  *) die "usage: db-ctl.sh PROFILE stop fast|immediate | start" ;;
esac
