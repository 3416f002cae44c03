#!/usr/bin/env bash
# RabbitMQ from the Debian package (rabbitmq-server) as one foreground process for the AppHost: its own epmd on
# ERL_EPMD_PORT, a node listening on 127.0.0.1:RABBITMQ_NODE_PORT whose users are imported at start from
# FL_RABBITMQ_DEFINITIONS (local/broker-accounts.sh: the administrator FL_RABBITMQ_USER / FL_RABBITMQ_PASSWORD and one user
# per process kind; no guest), everything under FL_RABBITMQ_DATA. SIGTERM or SIGINT stops the node and then the epmd, so
# nothing is left. FL_RABBITMQ_DATA/rabbitmqctl.env holds what rabbitmqctl needs to reach the node (source it).
set -euo pipefail
: "${FL_RABBITMQ_DATA:?}" "${FL_RABBITMQ_USER:?}" "${FL_RABBITMQ_PASSWORD:?}" "${FL_RABBITMQ_DEFINITIONS:?}" "${RABBITMQ_NODE_PORT:?}" "${RABBITMQ_DIST_PORT:?}" "${ERL_EPMD_PORT:?}"
server=/usr/lib/rabbitmq/bin/rabbitmq-server
control=/usr/lib/rabbitmq/bin/rabbitmqctl
if [ ! -x "$server" ] || ! command -v epmd >/dev/null; then
  echo "rabbitmq: $server or epmd is missing: apt-get install -y rabbitmq-server (or run the AppHost with a container engine)" >&2
  exit 1
fi
mkdir -p "$FL_RABBITMQ_DATA/mnesia" "$FL_RABBITMQ_DATA/log"
umask 077
cat > "$FL_RABBITMQ_DATA/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBITMQ_NODE_PORT
default_user = $FL_RABBITMQ_USER
default_pass = $FL_RABBITMQ_PASSWORD
load_definitions = $FL_RABBITMQ_DEFINITIONS
CONF
export HOME="$FL_RABBITMQ_DATA" RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-fl-apphost@localhost}"
printf 'export HOME=%q ERL_EPMD_PORT=%q RABBITMQ_NODENAME=%q\n' "$HOME" "$ERL_EPMD_PORT" "$RABBITMQ_NODENAME" > "$FL_RABBITMQ_DATA/rabbitmqctl.env"
export RABBITMQ_CONFIG_FILE="$FL_RABBITMQ_DATA/rabbitmq.conf" RABBITMQ_MNESIA_BASE="$FL_RABBITMQ_DATA/mnesia"
export RABBITMQ_LOG_BASE="$FL_RABBITMQ_DATA/log" RABBITMQ_PID_FILE="$FL_RABBITMQ_DATA/rabbit.pid"
export RABBITMQ_ENABLED_PLUGINS_FILE="$FL_RABBITMQ_DATA/enabled_plugins" RABBITMQ_LOGS=-
[ -f "$RABBITMQ_ENABLED_PLUGINS_FILE" ] || echo "[]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"

# The node's own port mapper, started here so that it is stopped here (one that the node started itself would outlive it).
epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 &
epmd_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$ERL_EPMD_PORT") 2>/dev/null && break; sleep 0.1; done

stop() {
  trap '' TERM INT
  timeout 60 "$control" -n "$RABBITMQ_NODENAME" stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 || kill -TERM "$rabbit_pid" 2>/dev/null || true
  wait "$rabbit_pid" 2>/dev/null || true
  kill "$epmd_pid" 2>/dev/null || true
  wait "$epmd_pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT
"$server" &
rabbit_pid=$!
status=0
wait "$rabbit_pid" || status=$?
kill "$epmd_pid" 2>/dev/null || true
exit "$status"
