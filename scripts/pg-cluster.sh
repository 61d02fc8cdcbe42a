#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's `postgresql` package.
#   scripts/pg-cluster.sh start DIR [--durable]   initdb into DIR/data, start it; prints its URL
#   scripts/pg-cluster.sh stop DIR                stops it and removes DIR
# The server listens on a unix socket in DIR only (no TCP), under a free port number; trust
# authentication for the `postgres` role. Run as root, the cluster runs as the `postgres` user (if
# that user cannot reach DIR, e.g. a clone under /root, a directory under /tmp is used instead and
# DIR/cluster-dir names it). Without --durable, fsync is off: fast, and fine for throwaway data.
set -euo pipefail

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
    echo "pg-cluster: PostgreSQL server binaries not found (Debian/Ubuntu: apt-get install postgresql)" >&2
    return 1
  fi
  echo "$d"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [--durable]" >&2; exit 2; }

case "$cmd" in
start)
  bin=$(bindir)
  # A cluster left running by an interrupted run is stopped first, never written under.
  if [ -d "$dir" ]; then bash "$0" stop "$dir"; fi
  rm -rf "$dir"; mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  run="$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      run=$(mktemp -d /tmp/tapgate-pg.XXXXXX)
      chown postgres: "$run"
    fi
  fi
  echo "$run" > "$dir/cluster-dir"
  port=$(free_port)
  opts="-c listen_addresses='' -k $run -p $port -c max_connections=300 -c shared_buffers=32MB"
  if [ "${3:-}" != "--durable" ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  as_owner "$bin/initdb" -D "$run/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$run/data" -o "$opts" -l "$run/server.log" -w -t 60 start >/dev/null \
    || { cat "$run/server.log" >&2; exit 1; }
  echo "postgresql://postgres@localhost:$port/postgres?host=$run"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  run=$(cat "$dir/cluster-dir" 2>/dev/null || echo "$dir")
  if [ -f "$run/data/postmaster.pid" ]; then
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$run/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$run" "$dir"
  ;;
*) echo "usage: $0 start|stop DIR [--durable]" >&2; exit 2 ;;
esac
