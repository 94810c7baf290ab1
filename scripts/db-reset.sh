#!/usr/bin/env bash
# `npm run db:reset`: rebuilds the dev database from scratch (bootstrap, every
# migration, seed), like `supabase db reset`. Works whether or not the dev stack
# is running; a running functions server reconnects by itself.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/cluster.sh"
bash "$ROOT/scripts/install.sh"
use_profile dev
mkdir -p "$STATE"
cluster_init
started=0
if ! pg_running; then
  cluster_start
  started=1
fi
database_drop_all
database_build
[ "$started" = 1 ] && cluster_stop
log "dev database rebuilt"
