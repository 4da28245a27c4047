#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for tests and benchmarks.
#   scripts/pg.sh start   -> prints the database URL; cluster lives under var/pg
#   scripts/pg.sh stop    -> stops it and removes its files
# Debian's server binaries are used; as root the server runs as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$(pwd)
PG_DIR=${CIVICGRID_PG_DIR:-$ROOT_DIR/var/pg}
PG_PORT=${CIVICGRID_PG_PORT:-54329}
PG_DB=civicgrid

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  command -v "$1"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local initdb pg_ctl psql
  initdb=$(pg_bin initdb) || { echo "PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }
  pg_ctl=$(pg_bin pg_ctl); psql=$(pg_bin psql)
  stop >/dev/null 2>&1 || true
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR" && chmod 700 "$PG_DIR"
  as_owner "$initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  as_owner "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR/data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtAc "CREATE DATABASE $PG_DB" postgres
  echo "postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"
}

stop() {
  local pg_ctl
  pg_ctl=$(pg_bin pg_ctl) || return 0
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    as_owner "$pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$PG_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
