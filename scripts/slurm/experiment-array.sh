#!/bin/bash
# Run one of spindiff's paper experiments as a Slurm job array: each array task runs one shard of
# the (setting, seed) jobs; merge the shard folders afterwards.
#
#   EXPERIMENT=fig4 PRESET=paper SEEDS=10 SHARDS=50 OUT=$PWD/results/fig4 \
#     sbatch --array=1-50 scripts/slurm/experiment-array.sh
#   # when every task has finished:
#   npx spindiff experiment merge results/fig4/shard-* --out results/fig4/merged
#
# SHARDS must equal the array size (tasks 1..SHARDS). Jobs go to shards round-robin, so shards
# of a sweep take similar time; `spindiff experiment fig4 --preset paper --seeds 10 --shard 1/50
# --out /tmp/x` on a login node shows how long a shard takes before you submit the whole array.
# A failed or timed-out task can be resubmitted alone (sbatch --array=17 …); merge reports
# which jobs are still missing (exit code 3) and merges the rest. scripts/slurm/check-array.sh runs
# this end to end on a single-node cluster (scripts/slurm/local-cluster.sh).
#
#SBATCH --job-name=spindiff
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=24:00:00
#SBATCH --output=slurm-%A_%a.out

set -euo pipefail
: "${EXPERIMENT:?set EXPERIMENT (fig2|fig3|fig4|fig5|fig6)}"
: "${SHARDS:?set SHARDS to the array size}"
: "${OUT:?set OUT to the results folder}"
PRESET="${PRESET:-paper}"
SEEDS="${SEEDS:-10}"
TASK="${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array=1-\$SHARDS}"
# Preset overrides as one JSON object (passed as --set, e.g. SET='{"samples":300000}'), and
# further arguments for the experiment (split on spaces).
SET="${SET:-}"
EXTRA="${EXTRA:-}"
# The command line to run (default: the package's bin through npx; e.g. SPINDIFF="node $PWD/bin/spindiff.js").
SPINDIFF="${SPINDIFF:-npx spindiff}"

cd "${SLURM_SUBMIT_DIR:-$PWD}"
mkdir -p "$OUT"
# shellcheck disable=SC2086
$SPINDIFF experiment "$EXPERIMENT" --preset "$PRESET" --seeds "$SEEDS" \
  --shard "$TASK/$SHARDS" --out "$OUT/shard-$TASK" ${SET:+--set "$SET"} $EXTRA
