#!/usr/bin/env bash
# The compression benchmark of docs/compression.md: MNIST 2NN (McMahan et al.'s setting: 100 clients, C = 0.1, E = 1,
# B = 10, lr 0.1, pathological non-IID shards; PARTITION=iid for IID), 20 rounds (ROUNDS=N for N), seed 1, once per compression.
# Usage: scripts/compression.sh DATA_DIR OUT_DIR [COMPRESSION...]   (default: none q8 q4 topk:0.01 zstd q8+zstd topk:0.01+zstd)
# The first compression is the baseline the table compares with.
set -euo pipefail
data=${1:?MNIST folder, e.g. ../shared/data/mnist}
out=${2:?output folder, e.g. runs/compression}
shift 2
compressions=("$@")
[ ${#compressions[@]} -gt 0 ] || compressions=(none q8 q4 topk:0.01 zstd q8+zstd topk:0.01+zstd)
fl=(dotnet run --project tools/Fl.Cli -c Release --no-build --)
for c in "${compressions[@]}"; do
  [ -n "${TABLE_ONLY:-}" ] && break
  "${fl[@]}" simulate --dataset mnist --data-dir "$data" --model mlp --clients 100 --fraction 0.1 --local-epochs 1 \
    --batch-size 10 --lr 0.1 --partition "${PARTITION:-shards}" --rounds "${ROUNDS:-20}" --seed 1 --compression "$c" --out "$out/${c//:/-}" > /dev/null
done
python3 - "$out" "${compressions[@]}" <<'PY'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
rounds = len(open(f"{out}/{names[0].replace(':', '-')}/metrics.jsonl").readlines())
def load(name):
    rows = [json.loads(l) for l in open(f"{out}/{name.replace(':', '-')}/metrics.jsonl")]
    last5 = sum(r["accuracy"] for r in rows[-5:]) / 5
    return sum(r["bytes_up"] for r in rows) / len(rows), rows[-1]["accuracy"], last5
base_bytes, base_acc, base_last5 = load(names[0])
print(f"| compression | bytes up per round | vs {names[0]} | accuracy after round {rounds} | vs {names[0]} (points) | mean accuracy, rounds {rounds - 4}-{rounds} | vs {names[0]} (points) |")
print("|---|---|---|---|---|---|---|")
for n in names:
    b, a, m = load(n)
    print(f"| `{n}` | {b:,.0f} | 1/{base_bytes / b:.2f} | {100 * a:.2f} % | {100 * (a - base_acc):+.2f} | {100 * m:.2f} % | {100 * (m - base_last5):+.2f} |")
PY
