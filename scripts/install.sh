#!/usr/bin/env bash
# Installs what the local stack needs and is missing; a no-op when all is there.
# Debian packages, pgvector (binary package if the distro has one, otherwise built
# from Debian's source package of a newer suite), and the npm devDependencies.
# `--browser` adds Debian's chromium, which the browser test drives (npm test).
source "$(dirname "$0")/lib.sh"

DEBIAN_PACKAGES=(
  postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-15-pgtap
  pgtap postgresql-15-plpgsql-check build-essential dpkg-dev redis-server
)
[ "${1:-}" = "--browser" ] && DEBIAN_PACKAGES+=(chromium)
# Suite whose `pgvector` source package we build when the distro ships no binary.
PGVECTOR_SUITE="trixie"

missing_packages() {
  local p
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -q >/dev/null
    apt_updated=1
  fi
}

install_debian_packages() {
  local missing
  missing="$(missing_packages | tr '\n' ' ')"
  [ -z "${missing// /}" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: $missing (run as root, or install them with sudo apt-get install)"
  apt_update_once
  log "installing $missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
}

pgvector_version() {
  local control
  control="$("$PG_BIN/pg_config" --sharedir)/extension/vector.control"
  [ -f "$control" ] && sed -n "s/^default_version = '\(.*\)'/\1/p" "$control"
}

version_at_least() { # A B: A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

install_pgvector() {
  local have
  have="$(pgvector_version || true)"
  if [ -n "$have" ] && version_at_least "$have" "$PGVECTOR_MIN"; then return 0; fi
  [ "$(id -u)" = 0 ] || die "pgvector >= $PGVECTOR_MIN is missing for PostgreSQL 15 (run as root)"

  apt_update_once
  local candidate
  candidate="$(apt-cache policy postgresql-15-pgvector 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && version_at_least "${candidate%%-*}" "$PGVECTOR_MIN"; then
    log "installing postgresql-15-pgvector $candidate"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15-pgvector >/dev/null
    return 0
  fi

  # No binary for this suite: build Debian's source package of a newer suite. Its
  # package lists go to a private folder so the machine's own lists stay intact.
  local apt_dir="$ROOT/.local/apt" build_dir="$ROOT/.local/build/pgvector"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$build_dir"
  echo "deb-src http://deb.debian.org/debian $PGVECTOR_SUITE main" >"$apt_dir/sources.list"
  local opts=(
    -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=/nonexistent"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root"
  )
  log "building pgvector from Debian $PGVECTOR_SUITE source"
  apt-get -q "${opts[@]}" update >/dev/null
  rm -rf "${build_dir:?}"/*
  (cd "$build_dir" && apt-get -q "${opts[@]}" source --download-only pgvector >/dev/null)
  # apt-get source already checked the files against the signed Release file.
  (cd "$build_dir" && dpkg-source --no-check -x ./*.dsc src >/dev/null 2>&1)
  # OPTFLAGS="" keeps the build portable (no -march=native): CI may run on another CPU.
  make -s -C "$build_dir/src" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" >/dev/null
  make -s -C "$build_dir/src" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" install >/dev/null
  have="$(pgvector_version)"
  version_at_least "$have" "$PGVECTOR_MIN" || die "built pgvector $have, need >= $PGVECTOR_MIN"
  log "pgvector $have installed"
}

install_npm_packages() {
  # Reinstall when the lockfile changed since the last install.
  if [ -x "$DENO" ] && [ -x "$SUPABASE" ] &&
    [ "$ROOT/node_modules/.package-lock.json" -nt "$ROOT/package-lock.json" ]; then
    return 0
  fi
  # `npm install`, not `npm ci`: the lockfile pins every version, but the CLIs list
  # optional per-platform binaries that a registry mirror may not carry, and `npm ci`
  # refuses a lockfile without them. `npm install` keeps the lockfile as it is.
  log "npm install (from package-lock.json)"
  (cd "$ROOT" && npm install --no-audit --no-fund >"$ROOT/.local/npm-install.log" 2>&1) ||
    { cat "$ROOT/.local/npm-install.log" >&2; die "npm install failed"; }
}

# The edge runtime's Deno, in a folder (and package.json) of its own so that the
# project's own `deno` stays the one package-lock.json pins.
install_edge_deno() {
  local dir="$ROOT/.local/edge-deno"
  if [ -x "$EDGE_DENO" ] && "$EDGE_DENO" --version 2>/dev/null | grep -q "^deno $EDGE_DENO_VERSION "; then
    return 0
  fi
  log "npm install deno@$EDGE_DENO_VERSION (the edge runtime's Deno) into ${dir#"$ROOT"/}"
  mkdir -p "$dir"
  echo '{ "private": true, "description": "Deno of the pinned edge runtime (scripts/install.sh)" }' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund "deno@$EDGE_DENO_VERSION" >"$ROOT/.local/npm-edge-deno.log" 2>&1) ||
    { cat "$ROOT/.local/npm-edge-deno.log" >&2; die "installing deno@$EDGE_DENO_VERSION failed"; }
  # The package's postinstall may not run (npm's install-scripts policy): its shim puts
  # the platform's binary in place on first use.
  node "$dir/node_modules/deno/bin.cjs" --version >/dev/null
  [ -x "$EDGE_DENO" ] || die "deno@$EDGE_DENO_VERSION installed no binary at ${EDGE_DENO#"$ROOT"/}"
}

mkdir -p "$ROOT/.local"
install_debian_packages
install_pgvector
install_npm_packages
install_edge_deno
