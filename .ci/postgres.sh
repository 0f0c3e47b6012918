#!/usr/bin/env bash
# Starts (or finds running) a private PostgreSQL cluster for Baton's tests and prints its
# JDBC URL as the last line of stdout. Idempotent: a second run only makes sure the cluster
# is up, the role and the database exist. Run as root; the server itself runs as `postgres`.
#
#   BATON_PG_DIR   cluster folder          (default /tmp/baton-pg)
#   BATON_PG_PORT  TCP port on 127.0.0.1   (default 55432)
#
# Uses Debian's PostgreSQL; installs it only when no server binaries are present, and never
# upgrades what is already installed.
set -euo pipefail

DIR="${BATON_PG_DIR:-/tmp/baton-pg}"
PORT="${BATON_PG_PORT:-55432}"
DATA="$DIR/data"
SOCKETS="$DIR/run"
LOG="$DIR/server.log"

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root (initdb and pg_ctl run as the postgres user through runuser)"

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }
BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  say "no PostgreSQL server binaries found; installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends --no-upgrade postgresql >&2
  BIN="$(find_bin)"
  [ -n "$BIN" ] && [ -x "$BIN/initdb" ] || die "apt-get installed postgresql but no initdb under /usr/lib/postgresql/*/bin"
fi

as_pg() { runuser -u postgres -- "$@"; }

mkdir -p "$DIR"
# Several builds may call this script at once: one at a time.
exec 9>"$DIR.lock"
flock -w 120 9 || die "another postgres.sh holds $DIR.lock"

chown postgres:postgres "$DIR"
chmod 700 "$DIR"

if [ ! -s "$DATA/PG_VERSION" ]; then
  say "creating a cluster in $DATA"
  rm -rf "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 >&2
  # Settings for a throwaway test server: local only, its own socket folder, small.
  cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKETS'
max_connections = 200
shared_buffers = 64MB
CONF
fi
as_pg mkdir -p "$SOCKETS"

if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  say "starting PostgreSQL on 127.0.0.1:$PORT"
  # 9>&-: the server must not inherit (and so hold forever) the lock.
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >&2 9>&-; then
    tail -n 20 "$LOG" >&2 || true
    die "PostgreSQL did not start (is port $PORT taken? set BATON_PG_PORT)"
  fi
fi

psql_admin() { as_pg "$BIN/psql" -h "$SOCKETS" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'baton'")" != "1" ]; then
  psql_admin -c "CREATE ROLE baton LOGIN CREATEDB PASSWORD 'baton'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'baton'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE baton OWNER baton" >&2
fi

echo "jdbc:postgresql://127.0.0.1:$PORT/baton?user=baton&password=baton"
