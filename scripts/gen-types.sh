#!/usr/bin/env bash
# `npm run gen:types`: regenerates supabase/functions/_shared/database.types.ts
# from the dev database with `supabase gen types typescript`. Run it after adding
# a migration (npm run db:reset first); a test fails while the file is stale.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/cluster.sh"
use_profile "${STACK_PROFILE:-dev}"
started=0
if ! pg_running; then
  cluster_start
  started=1
fi
out="$ROOT/supabase/functions/_shared/database.types.ts"
# The local cluster has no TLS (the CLI tries it first and gives up otherwise).
if ! PGSSLMODE=disable "$SUPABASE" gen types typescript --remote="$DB_URL" --schema public \
  >"$out.tmp" 2>"$out.err"; then
  cat "$out.err" >&2
  rm -f "$out.tmp" "$out.err"
  die "supabase gen types failed"
fi
rm -f "$out.err"
mv "$out.tmp" "$out"
[ "$started" = 1 ] && cluster_stop
log "wrote ${out#"$ROOT"/}"
