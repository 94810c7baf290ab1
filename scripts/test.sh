#!/usr/bin/env bash
# `npm test`: installs what is missing, brings up the throwaway `test` stack (its
# own cluster and ports, so a developer's data is never touched), then runs every
# suite: deno fmt/lint/check, pgTAP with pg_prove, deno test. Ends with one line
# `N passed, N failed` over all suites; exits non-zero on any failure.
source "$(dirname "$0")/lib.sh"

# What the working tree looks like before anything runs: npm test must leave it so
# (no lock file rewritten, nothing generated beside the sources; checked at the end).
tree_before=$(git -C "$ROOT" status --porcelain 2>/dev/null || true)
bash "$ROOT/scripts/install.sh" --browser
for base in 54341 54441 54541 54641 54741 54841; do
  if ! port_in_use "$base" && ! port_in_use $((base + 1)) && ! port_in_use $((base + 8)) &&
    ! port_in_use $((base + 9)); then
    export TEST_PORT_BASE=$base
    break
  fi
done
[ -n "${TEST_PORT_BASE:-}" ] || die "no free port block for the test stack (tried 54341..54850)"
use_profile test
mkdir -p "$STATE"
export DENO_DIR="${DENO_DIR:-$ROOT/.local/deno}"

passed=0
failed=0
results=()
record() { # NAME PASSED FAILED
  passed=$((passed + $2))
  failed=$((failed + $3))
  results+=("$(printf '%-12s %4d passed, %d failed' "$1" "$2" "$3")")
}

# Static checks first: they need no stack.
check() { # NAME CMD...
  local name="$1"
  shift
  echo "== $name"
  if "$@"; then record "$name" 1 0; else record "$name" 0 1; fi
}
cd "$ROOT"
check "deno fmt" "$DENO" fmt --check
check "deno lint" "$DENO" lint
check "deno check" "$DENO" check --quiet supabase/functions scripts tests bench reliability eval harness

# The test stack, in the background; its own cleanup stops what it started.
stack_log="$STATE/stack.log"
bash "$ROOT/scripts/stack.sh" test >"$stack_log" 2>&1 &
stack_pid=$!
stop_stack() {
  kill "$stack_pid" 2>/dev/null || true
  wait "$stack_pid" 2>/dev/null || true
}
trap stop_stack EXIT
echo "== starting the test stack (log: ${stack_log#"$ROOT"/})"
until grep -qx ready "$stack_log" 2>/dev/null; do
  if ! kill -0 "$stack_pid" 2>/dev/null; then
    cat "$stack_log" >&2
    record "stack" 0 1
    printf '%s\n' "${results[@]}"
    echo "$passed passed, $failed failed"
    exit 1
  fi
  sleep 0.5
done

# Supabase's database advisors (the CLI's bundled lints, run as a hosted project's
# Security and Performance Advisor would): any warning fails. Its bundled lints predate
# the security-definer ones (0028/0029); pgTAP 090 checks those. Run before pgTAP, whose
# helpers (schema tests) are test scaffolding, not part of the project.
echo "== supabase db advisors"
if "$SUPABASE" db advisors --remote="$DB_URL" --type all --level warn --fail-on warn; then
  record "advisors" 1 0
else
  record "advisors" 0 1
fi

echo "== pgTAP (pg_prove)"
psql_admin -c "create extension if not exists pgtap with schema extensions" >/dev/null
prove_out="$STATE/pg_prove.out"
set +e
PGPASSWORD="$DB_PASSWORD" pg_prove -h 127.0.0.1 -p "$DB_PORT" -U postgres -d "$DB_NAME" \
  --ext .sql -r "$ROOT/supabase/tests/database" 2>&1 | tee "$prove_out"
prove_status=${PIPESTATUS[0]}
set -e
# pg_prove's summary: "Files=N, Tests=M"; failures: "Failed X/Y subtests".
total=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\).*/\1/p' "$prove_out" | tail -n1)
bad=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$prove_out" | awk '{s+=$1} END {print s+0}')
total=${total:-0}
if [ "$prove_status" != 0 ] && [ "$bad" = 0 ]; then bad=1; fi # a file died or planned wrong
record "pgTAP" $((total - bad > 0 ? total - bad : 0)) "$bad"

echo "== deno test"
test_out="$STATE/deno_test.out"
set +e
"$DENO" test --allow-all --env-file="$STACK_ENV" tests/ 2>&1 | tee "$test_out"
test_status=${PIPESTATUS[0]}
set -e
# Deno's summary: "ok | N passed (M steps) | K failed ..." (or FAILED | ...).
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$test_out" | grep -E '^(ok|FAILED) \|' | tail -n1)
t_pass=$(sed -n 's/.*| \([0-9]*\) passed.*/\1/p' <<<"$summary")
t_fail=$(sed -n 's/.*| \([0-9]*\) failed.*/\1/p' <<<"$summary")
t_pass=${t_pass:-0}
t_fail=${t_fail:-0}
if [ "$test_status" != 0 ] && [ "$t_fail" = 0 ]; then t_fail=1; fi
record "deno test" "$t_pass" "$t_fail"

echo "== supabase db lint (plpgsql_check)"
if "$SUPABASE" db lint --remote="$DB_URL" --schema public,private --level warning --fail-on warning; then
  record "db lint" 1 0
else
  record "db lint" 0 1
fi

# Acceptance of the migrations: a second reset in a row applies with no error,
# warning or notice (the stack already built the database once).
echo "== migrations applied twice in a row"
reset_log="$STATE/reset-twice.log"
if (source "$ROOT/scripts/cluster.sh" && database_drop_all && database_build) >"$reset_log" 2>&1 &&
  ! grep -iE 'warn|notice|error' "$reset_log" "$STATE/migrate.log"; then
  record "reset twice" 1 0
else
  cat "$reset_log" >&2
  record "reset twice" 0 1
fi

echo "== working tree as it was"
if [ "$(git -C "$ROOT" status --porcelain 2>/dev/null || true)" = "$tree_before" ]; then
  record "clean tree" 1 0
else
  diff <(echo "$tree_before") <(git -C "$ROOT" status --porcelain) >&2 || true
  record "clean tree" 0 1
fi

echo
echo "== summary"
printf '%s\n' "${results[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
