#!/usr/bin/env bash
# Builds everything and runs every test project. On a fresh Debian 12 machine this is the whole set-up: it needs the
# .NET SDK, installs the Debian packages the integration tests use (rabbitmq-server, redis-server, chromium), and NuGet restores
# the rest (the TorchSharp fix is a build step). The tests start their own throwaway RabbitMQ and Redis instances on free
# ports and host librdkafka's mock Kafka cluster themselves; with CI=true a missing server fails the run instead of
# skipping. MongoDB tests run only when FL_MONGO_URL is set or a Docker engine is reachable (none on the CI machine).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v redis-server >/dev/null || need+=(redis-server)
command -v strace >/dev/null || need+=(strace) # the no-outside-connection tests trace connect(2)
[ -x /usr/bin/chromium ] || need+=(chromium) # tests/Dashboard.Tests drive it headless (Playwright through ExecutablePath)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (Debian packages)"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The packages' own system-wide servers are not used (the tests start throwaway ones); stop them if the install started them.
service rabbitmq-server stop >/dev/null 2>&1 || true
service redis-server stop >/dev/null 2>&1 || true

configuration="${CONFIGURATION:-Release}"
results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "== build ($configuration)"
dotnet build FlMicroservices.sln -c "$configuration" -nologo -v quiet

status=0
echo "== deployment files (docker/, aspire/): offline checks"
if ! bash scripts/check-docker.sh > "$results/check-docker.log" 2>&1; then
  cat "$results/check-docker.log"; status=1
else
  tail -1 "$results/check-docker.log"
fi

for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name"
  set +e
  timeout 1500 dotnet test "$project" -c "$configuration" --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --logger "console;verbosity=normal" > "$results/$name.log" 2>&1
  code=$?
  set -e
  grep -a -E '^\s*(Failed|Skipped) |Total tests|Passed:|Failed:|Skipped:|error' "$results/$name.log" || true
  if [ $code -ne 0 ]; then
    echo "!! $name failed (exit $code); its full log: $results/$name.log"
    grep -a -A 15 -E '^\s*Failed ' "$results/$name.log" | head -80 || true
    status=1
  fi
done

# One closing line for every runner: the counts over all test projects.
python3 - "$results" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
    # Skipped tests are total - executed (the trx "notExecuted" counter stays 0 for xunit skips).
    skipped += int(c.get("total", 0)) - int(c.get("executed", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
