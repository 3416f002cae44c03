#!/usr/bin/env bash
# The broker accounts of one deployment, for every way it runs (compose and Kubernetes through scripts/compose-secrets.sh,
# the Aspire AppHost through aspire/FlMicroservices.AppHost/local/broker-accounts.sh): one RabbitMQ user per process kind
# (docker/rabbitmq/accounts.tsv, docs/security.md "Broker accounts"), each with a random password in OUT/broker/NAME.password;
# OUT/rabbitmq-definitions.json, which the broker imports at start (load_definitions): those users with salted SHA-256
# hashes (rabbit_password_hashing_sha256) and their permissions, next to the administrator ADMIN_USER (default fl) whose
# password the caller passes in FL_BROKER_ADMIN_PASSWORD (the environment, not the command line); and the keys of the services
# that issue signed commands (OUT/broker/NAME.command-key, P-256, PKCS#8, with its public half NAME.command-key.pub; docs/security.md
# "Signed commands"): the selector (RoundStarted, TaskCompleted), the aggregation (SecAggServerMessage, RoundAggregated), the
# model registry (RoundCompleted, ModelVersionPublished), the registry (TaskCreated, ClientRegistered), the privacy accountant
# (PrivacyBudgetDecision) and the reward service (RewardsIssued).
#
#   FL_BROKER_ADMIN_PASSWORD=... bash scripts/broker-accounts.sh --out DIR [--admin-user NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
out=
admin=fl
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "broker-accounts: --out needs a folder" >&2; exit 2; }; out=$2; shift 2 ;;
    --admin-user) [ $# -ge 2 ] || { echo "broker-accounts: --admin-user needs a name" >&2; exit 2; }; admin=$2; shift 2 ;;
    *) echo "broker-accounts: unknown argument '$1'. Usage: broker-accounts.sh --out DIR [--admin-user NAME]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "broker-accounts: --out DIR is required" >&2; exit 2; }
[ -n "${FL_BROKER_ADMIN_PASSWORD:-}" ] || { echo "broker-accounts: FL_BROKER_ADMIN_PASSWORD (the password of $admin) is not set" >&2; exit 2; }
command -v openssl >/dev/null || { echo "broker-accounts: openssl is required (apt-get install -y openssl)" >&2; exit 1; }
umask 077
mkdir -p "$out/broker"

hash_password() { # base64(salt || SHA-256(salt || password)), salt 4 random bytes
  local salt
  salt=$(mktemp)
  openssl rand 4 >"$salt"
  { cat "$salt"; { cat "$salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary; } | base64 | tr -d '\n'
  rm -f "$salt"
}
json_string() { local v=${1//\\/\\\\}; printf '"%s"' "${v//\"/\\\"}"; }
user_entry() { printf '{"name":%s,"password_hash":"%s","hashing_algorithm":"rabbit_password_hashing_sha256","tags":[%s]}' "$(json_string "$1")" "$(hash_password "$2")" "$3"; }
permission_entry() { printf '{"user":%s,"vhost":"/","configure":%s,"write":%s,"read":%s}' "$(json_string "$1")" "$(json_string "$2")" "$(json_string "$3")" "$(json_string "$4")"; }

users=$(user_entry "$admin" "$FL_BROKER_ADMIN_PASSWORD" '"administrator"')
permissions=$(permission_entry "$admin" ".*" ".*" ".*")
while IFS=$'\t' read -r name user configure write read <&3; do
  [ -n "$name" ] || continue
  account=$(openssl rand -hex 24)
  printf '%s' "$account" >"$out/broker/$name.password"
  users="$users,$(user_entry "$user" "$account" "")"
  permissions="$permissions,$(permission_entry "$user" "$configure" "$write" "$read")"
done 3<docker/rabbitmq/accounts.tsv
printf '{"users":[%s],"vhosts":[{"name":"/"}],"permissions":[%s]}\n' "$users" "$permissions" >"$out/rabbitmq-definitions.json"
for issuer in selector aggregation model-registry registry privacy-accounting reward; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/broker/$issuer.command-key" 2>/dev/null
  openssl pkey -in "$out/broker/$issuer.command-key" -pubout -out "$out/broker/$issuer.command-key.pub" 2>/dev/null
done
