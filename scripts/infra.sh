#!/usr/bin/env bash
# Local infrastructure without Docker, for running the services as separate processes on one machine:
# RabbitMQ and Redis from the Debian packages as throwaway instances on free ports, and Kafka as librdkafka's mock
# cluster hosted by tools/KafkaMock (tests only: it keeps ~5 MiB per partition). Everything lives under .fl/infra.
#
#   scripts/infra.sh up      install (apt) if needed, start all three, write .fl/infra/env (source it)
#   scripts/infra.sh down    stop them
#   scripts/infra.sh status
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)/.fl/infra"
mkdir -p "$root"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

install_packages() {
  local missing=()
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]} (Debian packages)"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The Debian package starts a system-wide node; this project runs its own throwaway ones.
  if command -v systemctl >/dev/null && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then :; fi
}

up() {
  install_packages
  local rabbit_port dist_port epmd_port redis_port
  rabbit_port=$(free_port); dist_port=$(free_port); epmd_port=$(free_port); redis_port=$(free_port)
  local node="fl-$$@localhost"
  mkdir -p "$root/rabbit/mnesia" "$root/rabbit/log"
  # The node's epmd, started here with its PID kept: one the node started itself runs as `epmd -daemon` (the port only in
  # its environment), so no pattern on its command line finds it and it outlived `down`.
  nohup epmd -port "$epmd_port" -address 127.0.0.1 >"$root/rabbit/epmd.log" 2>&1 &
  echo $! > "$root/rabbit/epmd.pid"
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$epmd_port") 2>/dev/null && break; sleep 0.1; done
  echo "== rabbitmq on port $rabbit_port"
  env HOME="$root/rabbit" RABBITMQ_NODENAME="$node" RABBITMQ_NODE_PORT="$rabbit_port" RABBITMQ_DIST_PORT="$dist_port" \
      ERL_EPMD_PORT="$epmd_port" RABBITMQ_MNESIA_BASE="$root/rabbit/mnesia" RABBITMQ_LOG_BASE="$root/rabbit/log" \
      RABBITMQ_PID_FILE="$root/rabbit/pid" RABBITMQ_ENABLED_PLUGINS_FILE="$root/rabbit/plugins" \
      /usr/lib/rabbitmq/bin/rabbitmq-server -detached
  # await_startup fails at once until the node has registered with epmd: retry it.
  local started=""
  for _ in $(seq 1 60); do
    if env HOME="$root/rabbit" ERL_EPMD_PORT="$epmd_port" timeout 60 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" -q await_startup >/dev/null 2>&1; then started=1; break; fi
    sleep 1
  done
  [ -n "$started" ] || { echo "rabbitmq did not start; see $root/rabbit/log"; exit 1; }
  # One broker user per process kind (docker/rabbitmq/accounts.tsv: who may publish and read what; docs/security.md).
  # Services and nodes find their password in $root/broker through Messaging__AccountsDirectory; guest stays for the CLI.
  echo "== broker accounts (one user per service, and one for nodes) in $root/broker"
  mkdir -p "$root/broker" && chmod 700 "$root/broker"
  local name user configure write read password
  # The table is read on fd 3: rabbitmqctl reads standard input and would swallow the rest of it.
  while IFS=$'\t' read -r name user configure write read <&3; do
    [ -n "$name" ] || continue
    password="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    env HOME="$root/rabbit" ERL_EPMD_PORT="$epmd_port" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" -q add_user "$user" "$password" >/dev/null </dev/null
    env HOME="$root/rabbit" ERL_EPMD_PORT="$epmd_port" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$node" -q set_permissions -p / "$user" "$configure" "$write" "$read" >/dev/null </dev/null
    printf '%s' "$password" > "$root/broker/$name.password"
  done 3< docker/rabbitmq/accounts.tsv
  echo "== redis on port $redis_port (append-only file in $root/redis: client health survives a redis restart)"
  mkdir -p "$root/redis"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly yes --appendfsync everysec --daemonize yes \
      --pidfile "$root/redis.pid" --logfile "$root/redis.log" --dir "$root/redis"
  echo "== kafka mock cluster"
  dotnet build tools/KafkaMock -c Release -nologo -v quiet >/dev/null
  rm -f "$root/kafka.bootstrap"
  nohup dotnet tools/KafkaMock/bin/Release/net10.0/kafka-mock.dll --write "$root/kafka.bootstrap" >"$root/kafka.log" 2>&1 &
  echo $! > "$root/kafka.pid"
  for _ in $(seq 1 100); do [ -s "$root/kafka.bootstrap" ] && break; sleep 0.1; done
  [ -s "$root/kafka.bootstrap" ] || { echo "kafka mock did not start; see $root/kafka.log"; exit 1; }
  cat > "$root/env" <<ENV
export FL_RABBITMQ_NODE=$node
export FL_RABBITMQ_EPMD_PORT=$epmd_port
export FL_RABBITMQ_URL=amqp://guest:guest@127.0.0.1:$rabbit_port/
export FL_REDIS_URL=127.0.0.1:$redis_port
export FL_KAFKA_BOOTSTRAP=$(cat "$root/kafka.bootstrap")
export ConnectionStrings__rabbitmq=amqp://guest:guest@127.0.0.1:$rabbit_port/
export ConnectionStrings__redis=127.0.0.1:$redis_port
export ConnectionStrings__kafka=$(cat "$root/kafka.bootstrap")
export Messaging__Transport=RabbitMq
export Messaging__AccountsDirectory=$root/broker
export UpdateStream__Transport=Kafka
export Health__Store=Redis
export FL_HOME=$(pwd)/.fl/home
ENV
  echo "== ready; run: source $root/env"
  cat "$root/env"
}

down() {
  if [ -f "$root/env" ]; then
    # shellcheck disable=SC1091
    source "$root/env"
    env HOME="$root/rabbit" ERL_EPMD_PORT="$FL_RABBITMQ_EPMD_PORT" timeout 30 /usr/lib/rabbitmq/bin/rabbitmqctl -n "$FL_RABBITMQ_NODE" stop "$root/rabbit/pid" >/dev/null 2>&1 || true
    redis-cli -p "${FL_REDIS_URL##*:}" shutdown nosave >/dev/null 2>&1 || true
  fi
  [ -f "$root/rabbit/epmd.pid" ] && kill "$(cat "$root/rabbit/epmd.pid")" 2>/dev/null || true
  [ -f "$root/kafka.pid" ] && kill "$(cat "$root/kafka.pid")" 2>/dev/null || true
  rm -rf "$root"
  echo "== stopped (model versions stay in .fl/home)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) [ -f "$root/env" ] && cat "$root/env" || echo "not running" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
