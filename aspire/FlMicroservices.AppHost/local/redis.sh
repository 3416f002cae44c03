#!/usr/bin/env bash
# Redis from the Debian package (redis-server) as a foreground process for the AppHost: 127.0.0.1:FL_REDIS_PORT, password
# FL_REDIS_PASSWORD, append-only persistence under FL_REDIS_DATA (so a restarted Redis keeps the fleet's membership).
set -euo pipefail
: "${FL_REDIS_DATA:?}" "${FL_REDIS_PORT:?}" "${FL_REDIS_PASSWORD:?}"
command -v redis-server >/dev/null || { echo "redis: redis-server is missing: apt-get install -y redis-server (or run the AppHost with a container engine)" >&2; exit 1; }
mkdir -p "$FL_REDIS_DATA"
umask 077
# The password goes into a file only this user reads, not onto the command line.
cat > "$FL_REDIS_DATA/redis.conf" <<CONF
bind 127.0.0.1
port $FL_REDIS_PORT
dir $FL_REDIS_DATA
appendonly yes
save ""
requirepass $FL_REDIS_PASSWORD
CONF
exec redis-server "$FL_REDIS_DATA/redis.conf"
