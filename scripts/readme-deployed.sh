#!/usr/bin/env bash
# Runs the README's "Running as separate processes" commands exactly as written there (read from README.md at run time),
# then stops every process they started and the local infrastructure. Its exit code is that of the last command,
# `fl task create --follow`: 0 only when the task completed with every round succeeded.
#
#   bash scripts/readme-deployed.sh          (tests/Distributed.Tests runs it and checks the rounds it prints)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .fl/infra/env ]; then
  echo "scripts/infra.sh is already up in this checkout (.fl/infra/env); stop it first with scripts/infra.sh down" >&2
  exit 2
fi
block="$(python3 - <<'PY'
text = open("README.md", encoding="utf-8").read()
section = text[text.index("## Running as separate processes"):]
start = section.index("```\n") + 4
print(section[start:section.index("```", start)], end="")
PY
)"
# Build servers would outlive the run; the commands themselves are unchanged.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

stop_all() {
  # Each background `dotnet run` has the program it started as its child: stop both, by their ids.
  local pid child
  for pid in $(jobs -p); do
    for child in $(pgrep -P "$pid" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null
  scripts/infra.sh down > /dev/null 2>&1 || true
}
trap stop_all EXIT

echo "== running the README's commands:"
echo "$block" | sed 's/^/   | /'
started=$(date +%s)
eval "$block"
code=$?
echo "== exit code $code after $(( $(date +%s) - started )) s"
if [ $code -ne 0 ]; then
  for log in .fl/*.log; do echo "---- $log"; tail -n 15 "$log"; done
fi
exit $code
