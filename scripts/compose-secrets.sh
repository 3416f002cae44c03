#!/usr/bin/env bash
# Makes the secret files docker/compose.yaml mounts, in docker/secrets/ (git-ignored): random passwords for the RabbitMQ
# user, Redis and MongoDB; the connection strings the services read; the operator API's signing key; a private CA and the TLS
# certificates of RabbitMQ, Redis, MongoDB, Kafka and the edge (for the host names rabbitmq / redis / mongo / kafka / edge and
# localhost) signed by it; the broker accounts (scripts/broker-accounts.sh) and Kafka's SASL users. Existing files are kept, so running it again changes nothing; pass
# --force to make everything anew (then recreate the containers and the rabbitmq/mongo volumes, which hold the old users).
#
#   bash scripts/compose-secrets.sh [--force] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=docker/secrets
force=
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --out) [ $# -ge 2 ] || { echo "compose-secrets: --out needs a folder" >&2; exit 2; }; out=$2; shift 2 ;;
    *) echo "compose-secrets: unknown argument '$1'. Usage: compose-secrets.sh [--force] [--out DIR]" >&2; exit 2 ;;
  esac
done
command -v openssl >/dev/null || { echo "compose-secrets: openssl is required (apt-get install -y openssl)" >&2; exit 1; }
if [ -n "$force" ]; then rm -rf "$out"; fi
# The operator API's development issuer key (docs/operator-api.md): 32 random bytes, base64; added to older folders too.
signing_key() { (umask 077; openssl rand -base64 32 | tr -d '\n' >"$out/OperatorApi__SigningKey"); chmod 0644 "$out/OperatorApi__SigningKey"; }
# A server certificate (2 years) for a host name, localhost and 127.0.0.1, signed by the deployment's CA (ca.key).
server_certificate() { # HOST [EXTRA_SAN,...]
  local host=$1 extra=${2:+,$2}
  openssl req -newkey rsa:3072 -nodes -subj "/CN=$host" -keyout "$out/$host.key" -out "$out/$host.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1$extra" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$out/$host.ext"
  openssl x509 -req -in "$out/$host.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial -days 730 \
    -extfile "$out/$host.ext" -out "$out/$host.pem" 2>/dev/null
  rm -f "$out/$host.csr" "$out/$host.ext" "$out/ca.srl"
}
if [ -f "$out/ConnectionStrings__rabbitmq" ]; then
  if [ ! -f "$out/OperatorApi__SigningKey" ]; then signing_key; echo "compose-secrets: added $out/OperatorApi__SigningKey"; fi
  if [ ! -f "$out/edge.pem" ]; then # the edge's certificate, added to folders made before the edge
    [ -f "$out/ca.key" ] || { echo "compose-secrets: $out has no edge certificate and no ca.key to sign one; run again with --force" >&2; exit 1; }
    (umask 077; server_certificate edge); chmod 0644 "$out/edge.pem" "$out/edge.key"
    echo "compose-secrets: added $out/edge.pem and $out/edge.key"
  fi
  if [ ! -f "$out/rabbitmq-definitions.json" ]; then
    echo "compose-secrets: $out predates the per-service broker accounts; run again with --force (and recreate the rabbitmq volume)" >&2
    exit 1
  fi
  if [ ! -f "$out/broker/aggregation.command-key" ]; then
    echo "compose-secrets: $out predates the signed SecAggServerMessage, RoundCompleted and TaskCreated (their issuers' command keys); run again with --force (and recreate the rabbitmq volume)" >&2
    exit 1
  fi
  for issuer in privacy-accounting reward; do # issuers added later (PrivacyBudgetDecision, RewardsIssued): only their key pairs are new
    if [ ! -f "$out/broker/$issuer.command-key" ]; then
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/broker/$issuer.command-key" 2>/dev/null
      openssl pkey -in "$out/broker/$issuer.command-key" -pubout -out "$out/broker/$issuer.command-key.pub" 2>/dev/null
      echo "compose-secrets: added $out/broker/$issuer.command-key and its public half"
    fi
  done
  if [ ! -f "$out/kafka-jaas.conf" ]; then
    echo "compose-secrets: $out predates Kafka's SASL_SSL listener; run again with --force (and recreate the rabbitmq and mongo volumes)" >&2
    exit 1
  fi
  echo "compose-secrets: $out already holds secrets (use --force to replace them)"
  exit 0
fi
umask 077
mkdir -p "$out"
password() { openssl rand -hex 24; }
rabbit=$(password); redis=$(password); mongo=$(password)

printf '%s' "amqps://fl:$rabbit@rabbitmq:5671/" >"$out/ConnectionStrings__rabbitmq"
printf '%s' "redis:6379,ssl=true,password=$redis" >"$out/ConnectionStrings__redis"
printf '%s' "mongodb://fl:$mongo@mongo:27017/fl?authSource=admin&tls=true" >"$out/ConnectionStrings__mongodb"
printf '%s' "$redis" >"$out/redis-password"
signing_key
printf '%s' "$mongo" >"$out/mongo-password"
cat >"$out/redis.conf" <<CONF
requirepass $redis
port 0
tls-port 6379
tls-cert-file /run/secrets/redis.pem
tls-key-file /run/secrets/redis.key
tls-ca-cert-file /run/secrets/ca.pem
tls-auth-clients no
appendonly yes
appendfsync everysec
CONF
cat >"$out/rabbitmq.conf" <<CONF
default_user = fl
default_pass = $rabbit
load_definitions = /run/secrets/rabbitmq-definitions.json
loopback_users = none
listeners.tcp = none
listeners.ssl.default = 5671
ssl_options.cacertfile = /run/secrets/ca.pem
ssl_options.certfile = /run/secrets/rabbitmq.pem
ssl_options.keyfile = /run/secrets/rabbitmq.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF

# One RabbitMQ user per process kind with its password in broker/NAME.password, imported at the broker's start from
# rabbitmq-definitions.json next to the administrator fl that the CLI uses, and the keys of the services that issue signed
# commands (broker/NAME.command-key and .pub; docs/security.md "Signed commands"): scripts/broker-accounts.sh, which the
# Aspire AppHost runs too. Compose mounts each private key only into its service, each public key where it is checked.
FL_BROKER_ADMIN_PASSWORD=$rabbit bash scripts/broker-accounts.sh --out "$out"

# The deployment's CA (10 years) and the server certificates (2 years) of RabbitMQ, Redis, MongoDB and the edge for their host names and localhost.
openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=flmicroservices-ca" \
  -keyout "$out/ca.key" -out "$out/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
server_certificate rabbitmq
server_certificate redis
server_certificate mongo
server_certificate edge
cat "$out/mongo.pem" "$out/mongo.key" >"$out/mongo-tls.pem" # mongod takes the certificate and its key in one file
rm -f "$out/mongo.pem" "$out/mongo.key"

# Kafka's SASL_SSL listeners: its certificate (kafka in compose, kafka-0.kafka in Kubernetes; key and chain in one PEM
# keystore file) and SASL/PLAIN users, one per process kind that uses the update stream, plus the broker's own for its
# inter-broker listener; kafka-jaas.conf is the broker's user table, kafka/NAME.password each client's password.
server_certificate kafka DNS:kafka-0.kafka
cat "$out/kafka.key" "$out/kafka.pem" >"$out/kafka-tls.pem"
rm -f "$out/kafka.key" "$out/kafka.pem"
mkdir -p "$out/kafka"
for name in kafka aggregation node edge; do printf '%s' "$(password)" >"$out/kafka/$name.password"; done
{
  echo "KafkaServer {"
  echo "  org.apache.kafka.common.security.plain.PlainLoginModule required"
  echo "  username=\"fl-kafka\" password=\"$(cat "$out/kafka/kafka.password")\""
  for name in kafka aggregation node edge; do echo "  user_fl-$name=\"$(cat "$out/kafka/$name.password")\""; done
  echo "  ;"
  echo "};"
} >"$out/kafka-jaas.conf"
# The broker's own client settings (its healthcheck, and kafka-*.sh tools run in its container).
printf '%s\n' "security.protocol=SASL_SSL" "sasl.mechanism=PLAIN" "ssl.truststore.type=PEM" "ssl.truststore.location=/run/secrets/ca.pem" \
  "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"fl-kafka\" password=\"$(cat "$out/kafka/kafka.password")\";" \
  >"$out/kafka-client.properties"
# The containers run as their own users (rabbitmq, redis, app): the files are readable, the folder is not.
chmod 0700 "$out" "$out/broker" "$out/kafka"
chmod 0644 "$out"/* "$out"/broker/* "$out"/kafka/* 2>/dev/null || true
chmod 0755 "$out/broker" "$out/kafka"
chmod 0600 "$out/ca.key"
openssl verify -CAfile "$out/ca.pem" "$out/rabbitmq.pem" "$out/redis.pem" "$out/mongo-tls.pem" "$out/edge.pem" "$out/kafka-tls.pem" >/dev/null
echo "compose-secrets: wrote $(ls "$out" | wc -l) files to $out (the CA's key, ca.key, is not mounted anywhere; keep it or delete it)"
