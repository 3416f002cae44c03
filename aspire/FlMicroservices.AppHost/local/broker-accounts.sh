#!/usr/bin/env bash
# The broker accounts for the AppHost, made anew at each start: scripts/broker-accounts.sh writes the users' passwords, the
# definitions the broker imports (FL_BROKER_ACCOUNTS/rabbitmq-definitions.json, with the administrator FL_BROKER_ADMIN_USER
# and FL_BROKER_ADMIN_PASSWORD) and the command keys of the six issuers of signed commands; then each account gets its own
# folder, accounts/NAME, with only its password, every issuer's public key, and its own private command key when it issues
# signed commands: the Messaging__AccountsDirectory of the processes of that account (docs/security.md, "Signed commands").
set -euo pipefail
: "${FL_BROKER_ACCOUNTS:?}" "${FL_BROKER_ADMIN_USER:?}" "${FL_BROKER_ADMIN_PASSWORD:?}"
repository=$(cd "$(dirname "$0")/../../.." && pwd)
bash "$repository/scripts/broker-accounts.sh" --out "$FL_BROKER_ACCOUNTS" --admin-user "$FL_BROKER_ADMIN_USER"
umask 077
accounts=0
while IFS=$'\t' read -r name _ <&3; do
  [ -n "$name" ] || continue
  folder="$FL_BROKER_ACCOUNTS/accounts/$name"
  rm -rf "$folder" && mkdir -p "$folder"
  cp "$FL_BROKER_ACCOUNTS/broker/$name.password" "$FL_BROKER_ACCOUNTS"/broker/*.command-key.pub "$folder/"
  if [ -f "$FL_BROKER_ACCOUNTS/broker/$name.command-key" ]; then cp "$FL_BROKER_ACCOUNTS/broker/$name.command-key" "$folder/"; fi
  accounts=$((accounts + 1))
done 3<"$repository/docker/rabbitmq/accounts.tsv"
chmod 0644 "$FL_BROKER_ACCOUNTS/rabbitmq-definitions.json" # a broker container reads it as its own user (hashes only)
echo "broker-accounts: $accounts accounts in $FL_BROKER_ACCOUNTS/accounts"
