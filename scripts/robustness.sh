#!/usr/bin/env bash
# The robustness experiment of the aggregation issue: MNIST 2NN, 30 clients (all selected every round),
# 20% and 30% attackers for each attack, final accuracy per strategy after the same number of rounds.
# Usage: scripts/robustness.sh [MNIST_DIR] [OUT_DIR]   (writes OUT_DIR/robustness.md)
set -euo pipefail
cd "$(dirname "$0")/.."
mnist="${1:-../shared/data/mnist}"
out="${2:-runs/robustness}"
rounds="${ROUNDS:-10}"
mkdir -p "$out"
fl="${FL:-}"
if [ -z "$fl" ]; then
  dotnet build tools/Fl.Cli -c Release -nologo -v quiet
  fl="tools/Fl.Cli/bin/Release/net10.0/fl"
fi
common=(simulate --dataset mnist --data-dir "$mnist" --model mlp --clients 30 --fraction 1 --rounds "$rounds"
        --local-epochs 1 --batch-size 10 --lr 0.05 --train-samples 15000 --partition iid --seed 1)

# Defaults only: no per-run f, trim fraction or m; each follows from the task's Byzantine share (0.2 unless
# BYZANTINE_SHARE is set) and each round's number of updates.
share_args=()
if [ -n "${BYZANTINE_SHARE:-}" ]; then share_args=(--byzantine-share "$BYZANTINE_SHARE"); fi
strategy_args() { # strategy
  echo "--strategy $1"
}

run() { # name args...
  local name="$1"; shift
  if [ ! -f "$out/$name/summary.json" ]; then
    "$fl" "${common[@]}" --out "$out/$name" "$@" > "$out/$name.log" 2>&1 || echo "run $name failed: see $out/$name.log"
  fi
}

# STRATEGIES="multi-krum bulyan" runs a subset (the table marks the others "not run").
read -r -a strategies <<< "${STRATEGIES:-fedavg median trimmed-mean krum multi-krum bulyan}"
# ATTACKS="scale:10" and SHARES="0.3" narrow the runs the same way.
read -r -a attacks <<< "${ATTACKS:-sign-flip scale:10 gaussian:1 label-flip}"
read -r -a shares <<< "${SHARES:-0.2 0.3}"
for s in "${strategies[@]}"; do
  run "clean-$s" $(strategy_args "$s") "${share_args[@]}"
  for a in "${attacks[@]}"; do
    for share in "${shares[@]}"; do
      run "${a/:/-}-$share-$s" $(strategy_args "$s") "${share_args[@]}" --attack "$a" --attackers "$share"
    done
  done
done

python3 - "$out" "$rounds" <<'PY'
import json, os, sys
out, rounds = sys.argv[1], sys.argv[2]
strategies = ["fedavg", "median", "trimmed-mean", "krum", "multi-krum", "bulyan"]
attacks = ["sign-flip", "scale-10", "gaussian-1", "label-flip"]
def acc(name):
    p = os.path.join(out, name, "summary.json")
    if not os.path.exists(p): return "failed" if os.path.exists(os.path.join(out, name + ".log")) else "not run"
    a = json.load(open(p)).get("final_accuracy")
    return "n/a" if a is None else f"{100*a:.1f}"
rows = ["| attack | attackers | " + " | ".join(strategies) + " |", "|---|---|" + "---|" * len(strategies)]
rows.append("| none (clean) | 0% | " + " | ".join(acc(f"clean-{s}") for s in strategies) + " |")
for a in attacks:
    for share in ["0.2", "0.3"]:
        rows.append(f"| {a} | {int(float(share)*100)}% | " + " | ".join(acc(f"{a}-{share}-{s}") for s in strategies) + " |")
text = (f"Final test accuracy (%) after {rounds} rounds: MNIST 2NN, 30 IID clients (15,000 training samples), all clients "
        "every round, E=1, B=10, lr 0.05, seed 1. Default settings: Byzantine share 0.2, so f = floor(0.2 n) = 6 of n = 30, "
        "trimmed mean trims 20% from each end, Multi-Krum averages m = n - 2f = 18.\n\n" + "\n".join(rows) + "\n")
open(os.path.join(out, "robustness.md"), "w").write(text)
print(text)
PY
