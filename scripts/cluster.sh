# The project-local PostgreSQL cluster of a profile. Sourced after lib.sh.

# pg_cron runs jobs in background workers: by default it opens a TCP connection to
# localhost, which the cluster's password authentication refuses ("connection failed").
cron_settings() {
  echo "cron.use_background_workers = on"
  echo "max_worker_processes = 32"
}

cluster_init() {
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  log "creating cluster in ${PGDATA#"$ROOT"/} (port $DB_PORT)"
  case "$PG_HOME" in
    "$ROOT"/*) ;;
    *) log "(outside the clone: the postgres OS user cannot reach $ROOT)" ;;
  esac
  mkdir -p "$PGDATA" "$PGRUN"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_HOME"
  chmod 700 "$PGDATA"
  local pwfile="$PG_HOME/.pw"
  printf '%s\n' "$DB_PASSWORD" >"$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
  as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cluster_tls
  {
    echo "# written by scripts/cluster.sh"
    echo "port = $DB_PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$PGRUN'"
    echo "shared_preload_libraries = 'pg_stat_statements,pg_cron'"
    echo "cron.database_name = '$DB_NAME'"
    cron_settings
    echo "pg_stat_statements.track = all"
    echo "max_connections = 200"
    if [ "$PROFILE" = bench ]; then
      # Room for the benchmark's vectors and for an in-memory HNSW build.
      echo "shared_buffers = 2GB"
      echo "maintenance_work_mem = 3GB"
    else
      echo "shared_buffers = 256MB"
      echo "maintenance_work_mem = 512MB"
    fi
    echo "timezone = 'UTC'"
    # TLS is offered, never required: clients that ask (sslmode=require, as hosted
    # Supabase needs) get it, the stack's own clients do not ask (PGSSLMODE=disable).
    echo "ssl = on"
    echo "ssl_cert_file = '$PG_HOME/tls/server.crt'"
    echo "ssl_key_file = '$PG_HOME/tls/server.key'"
    if [ "$PROFILE" = test ]; then
      # Throwaway data: durability costs time and buys nothing. (The reliability
      # profile is thrown away too but keeps it: it checks writes survive a crash.)
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >>"$PGDATA/postgresql.conf"
}

# cluster_tls: a throwaway certificate authority and a server certificate for
# 127.0.0.1/localhost, so that TLS settings of a hosted URL can be tried locally. The
# CA certificate is $PG_HOME/tls/ca.crt (STACK_PG_CA in stack.env).
cluster_tls() {
  local dir="$PG_HOME/tls"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tripsage local CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/san.ext" -out "$dir/server.crt" >/dev/null 2>&1
  rm -f "$dir/server.csr" "$dir/san.ext" "$dir/ca.key"
  chmod 600 "$dir/server.key"
  chmod 644 "$dir/ca.crt" "$dir/server.crt"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  return 0
}

cluster_start() {
  pg_running && return 0
  # Clusters created before pg_cron got its settings gain them here.
  grep -q "^cron.use_background_workers" "$PGDATA/postgresql.conf" ||
    cron_settings >>"$PGDATA/postgresql.conf"
  mkdir -p "$PGRUN"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGRUN" "$PG_HOME"
  log "starting PostgreSQL 15 on 127.0.0.1:$DB_PORT"
  # 9>&-: the server must not inherit stack.sh's lock (scripts/stack.sh), or a stack
  # killed without its cleanup would leave the lock held by PostgreSQL.
  # MALLOC_*: glibc's defaults give a backend's freed memory back to the kernel once
  # 128 KB of it are free (and map blocks of 128 KB and more one by one), so a query
  # that sorts a few hundred KB, as an IVFFlat walk does with every tuple of its lists,
  # takes its memory from the kernel again each time: 5,420 page faults for 20 sorts of
  # 20,000 rows, none with these thresholds. Kept free memory: at most 32 MB a backend.
  # (docs/benchmarks-history.md, "Page faults of freed memory".)
  as_postgres env MALLOC_MMAP_THRESHOLD_=8388608 MALLOC_TRIM_THRESHOLD_=33554432 \
    "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 -o "-p $DB_PORT" start >/dev/null 9>&- ||
    { tail -n 5 "$PGLOG" >&2 2>/dev/null; die "PostgreSQL did not start; see ${PGLOG#"$ROOT"/}"; }
}

cluster_stop() {
  pg_running || return 0
  log "stopping PostgreSQL"
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null || true
}

# database_is_new: the database has not been through database_build yet.
database_is_new() {
  [ "$(psql_admin -tAc "select to_regclass('supabase_migrations.schema_migrations') is null")" = t ]
}

# unknown_migrations: versions the database applied that this checkout has no file
# for (a database built before the history was folded at v0.1.0, or from another branch).
unknown_migrations() {
  local applied v
  applied="$(psql_admin -tAc "select version from supabase_migrations.schema_migrations order by 1" 2>/dev/null || true)"
  for v in $applied; do
    compgen -G "$ROOT/supabase/migrations/${v}_*.sql" >/dev/null || echo "$v"
  done
}

# migrations_up: applies the migrations the database has not seen yet (all of them on
# a new one), with the Supabase CLI, as `supabase migration up` does.
migrations_up() {
  local unknown
  unknown="$(unknown_migrations | head -n 3 | tr '\n' ' ')"
  if [ -n "$unknown" ]; then
    local fix="npm run db:reset"
    [ "$PROFILE" = dev ] || fix="stop its stack, then rm -rf $PG_HOME"
    [ "$PROFILE" = bench ] && fix="stop its stack, rm -rf $PG_HOME, then load it again (npm run bench -- vector --scale)"
    die "the $PROFILE database has migrations this checkout does not have (${unknown% }): it was built from migrations replaced before a release (the unreleased migrations folded into 20261201000100-001500 before 0.2.0, or earlier ones before 0.1.0) or from another branch. Rebuild it: $fix"
  fi
  (cd "$ROOT" && "$SUPABASE" migration up --remote="$DB_URL" --include-all --yes >/dev/null 2>"$STATE/migrate.log") ||
    { cat "$STATE/migrate.log" >&2; die "migrations failed"; }
}

# database_build: platform bootstrap, then every migration with the Supabase CLI,
# then the seed: the order `supabase db reset` uses on a Docker stack.
database_build() {
  log "applying platform bootstrap"
  # Files go in on standard input: the postgres OS user may not be able to read the clone.
  psql_admin <"$ROOT/scripts/platform/bootstrap.sql" >/dev/null
  log "applying migrations with the Supabase CLI"
  migrations_up
  if [ "${SKIP_SEED:-0}" != 1 ] && [ -s "$ROOT/supabase/seed.sql" ]; then
    log "applying supabase/seed.sql"
    psql_admin <"$ROOT/supabase/seed.sql" >/dev/null
  fi
}

# database_drop_all: back to an empty database (keeps the cluster and its roles).
database_drop_all() {
  log "dropping database $DB_NAME"
  psql_admin -d template1 -c "drop database if exists $DB_NAME with (force)" -c "create database $DB_NAME" >/dev/null
}
