#!/usr/bin/env bash
# Start a throwaway redis-server for the scale-out tests; prints "DIR URL" (URL for TEST_REDIS_URL).
# Installs Debian's redis-server if it is missing. Stop it with: .ci/redis.sh stop DIR
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  [ -f "$2/pid" ] && kill "$(cat "$2/pid")" 2>/dev/null || true
  rm -rf "$2"; exit 0
fi
if ! command -v redis-server >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server) >/dev/null 2>&1
fi
dir=$(mktemp -d /tmp/jenabot-redis-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
  --daemonize yes --pidfile "$dir/pid" --logfile "$dir/log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null
echo "$dir redis://127.0.0.1:$port/0"
