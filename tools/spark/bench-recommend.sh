#!/usr/bin/env bash
# Users per second of `./diffmm recommend --users` (one process) against `./diffmm spark recommend`
# (local[2]) on the same saved model, alternated in one sitting: single, spark, ..., single.
# Usage: tools/spark/bench-recommend.sh MODEL_DIR USERS ROUNDS [K]
# (USERS: the model's user count; its ids must be 0..USERS-1, as for the authors' format.)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="$1"; users="$2"; rounds="${3:-2}"; k="${4:-100}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seq 0 $((users - 1)) > "$work/users.txt"
"$here/diffmm" recommend --model "$model" --user 0 -k 1 > /dev/null 2>&1   # builds diffmm-cli if needed
"$here/diffmm" spark --help > /dev/null 2>&1                              # builds diffmm-spark if needed
for r in $(seq 1 "$rounds"); do
  t0=$(date +%s.%N)
  "$here/diffmm" recommend --model "$model" --users "$work/users.txt" -k "$k" > "$work/single.csv" 2> /dev/null
  t1=$(date +%s.%N)
  rows=$(($(wc -l < "$work/single.csv") - 1))
  echo "single-process round $r: $users users, $rows rows, $(echo "$t1 - $t0" | bc) s wall, $(echo "$users / ($t1 - $t0)" | bc) users/s"
  t0=$(date +%s.%N)
  "$here/diffmm" spark recommend --model "$model" --users all --k "$k" --master 'local[2]' --out "$work/spark.parquet" --force \
    > "$work/spark.txt" 2> "$work/spark.log"
  t1=$(date +%s.%N)
  job=$(awk '/^seconds/ {print $2}' "$work/spark.txt")
  echo "spark local[2] round $r: $(awk '/^users / {print $2}' "$work/spark.txt") users, $(awk '/^rows/ {print $2}' "$work/spark.txt") rows, $(echo "$t1 - $t0" | bc) s wall ($job s in the job), $(echo "$users / ($t1 - $t0)" | bc) users/s"
done
t0=$(date +%s.%N)
"$here/diffmm" recommend --model "$model" --users "$work/users.txt" -k "$k" > "$work/single.csv" 2> /dev/null
t1=$(date +%s.%N)
echo "single-process final: $users users, $(echo "$t1 - $t0" | bc) s wall, $(echo "$users / ($t1 - $t0)" | bc) users/s"
