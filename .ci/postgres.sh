#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the storage tests; prints the URL to use as TEST_POSTGRES_URL.
# Installs Debian's postgresql if it is missing. Stop it with: .ci/postgres.sh stop DIR
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  su postgres -c "$(ls -d /usr/lib/postgresql/*/bin | tail -n1)/pg_ctl -D '$2/data' stop -m fast" >/dev/null 2>&1 || true
  rm -rf "$2"; exit 0
fi
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n1)
dir=$(mktemp -d /tmp/jenabot-pg-XXXXXX); chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
su postgres -c "$bin/initdb -D '$dir/data' -A trust -U postgres" >/dev/null
su postgres -c "$bin/pg_ctl -D '$dir/data' -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -l '$dir/log' -w start" >/dev/null
echo "$dir postgresql+psycopg2://postgres@127.0.0.1:$port/postgres"
