#!/usr/bin/env bash
# `npm run -s token -- <email>`: prints only an access token for that user.
# STACK_PROFILE=test mints tokens for the test stack instead of the dev one.
source "$(dirname "$0")/lib.sh"
use_profile "${STACK_PROFILE:-dev}"
[ -f "$STACK_ENV" ] || die "no ${STACK_ENV#"$ROOT"/}: start the stack first (npm run dev)"
export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"
exec "$DENO" run --quiet --allow-all --env-file="$STACK_ENV" "$ROOT/scripts/token.ts" "$@"
