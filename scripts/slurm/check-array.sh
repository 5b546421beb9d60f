#!/bin/bash
# End to end on Slurm: submit scripts/slurm/experiment-array.sh for a quick-preset experiment as
# a job array, wait, merge the shards, and check that the merge equals the unsharded run (the
# report byte for byte, the records but for their timings). Uses the cluster of SLURM_CONF (or
# the default one) when `sinfo` answers; else starts a single-node cluster with
# scripts/slurm/local-cluster.sh and stops it at the end. Needs the built CLI (npm run build).
#
#   scripts/slurm/check-array.sh            # exit 0: merged == unsharded
#
# Settings: the fig5 quick preset shrunk with --set to seconds per job (6 spins, 2 models, 2 seeds).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
[ -f dist/node/cli.js ] || npm run build >/dev/null
OUT="${OUT:-$(mktemp -d /tmp/spindiff-slurm-check.XXXXXX)}"
SHARDS="${SHARDS:-3}"
SEEDS=2
SET='{"n":6,"Ms":[200],"samples":400,"models":["rbm","gan"],"rbm":{"epochs":3},"gan":{"epochs":2}}'
SPINDIFF="node $ROOT/bin/spindiff.js"

STARTED=""
if ! sinfo -h >/dev/null 2>&1; then
  eval "$(scripts/slurm/local-cluster.sh start)"
  STARTED=1
fi
cleanup() { if [ -n "$STARTED" ]; then scripts/slurm/local-cluster.sh stop; fi; }
trap cleanup EXIT

echo "check-array: $SHARDS array tasks → $OUT (SLURM_CONF=${SLURM_CONF:-default})" >&2
# Small requests so the array fits any node (the script's own #SBATCH lines ask for a cluster node's share).
SPINDIFF="$SPINDIFF" EXPERIMENT=fig5 PRESET=quick SEEDS=$SEEDS SHARDS=$SHARDS OUT="$OUT" SET="$SET" \
  sbatch --wait --array=1-"$SHARDS" --cpus-per-task=1 --mem=1G --time=00:20:00 \
  --output="$OUT/slurm-%A_%a.out" scripts/slurm/experiment-array.sh >&2 \
  || { echo "check-array: the job array failed; task logs:" >&2; tail -n 20 "$OUT"/slurm-*.out >&2; exit 1; }

$SPINDIFF experiment merge "$OUT"/shard-* --out "$OUT/merged" 2>&2
$SPINDIFF experiment fig5 --preset quick --seeds $SEEDS --set "$SET" --out "$OUT/full" 2>&2

node --input-type=module - "$OUT/merged" "$OUT/full" <<'JS'
import { readFileSync } from 'node:fs';
const [merged, full] = process.argv.slice(2);
const read = (d, f) => readFileSync(`${d}/${f}`, 'utf8');
// Timings differ from run to run: drop `seconds` everywhere.
const strip = (v) => Array.isArray(v) ? v.map(strip) : v && typeof v === 'object'
  ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'seconds').map(([k, x]) => [k, strip(x)])) : v;
const a = JSON.stringify(strip(JSON.parse(read(merged, 'results.json'))));
const b = JSON.stringify(strip(JSON.parse(read(full, 'results.json'))));
const report = (d) => read(d, 'report.md').replace(/job time [\d.]+ s/g, 'job time _ s');
const sameReport = report(merged) === report(full);
if (a !== b || !sameReport) {
  console.error(`check-array: the merged run differs from the unsharded run (results.json ${a === b ? 'equal' : 'differ'}, report.md ${sameReport ? 'equal' : 'differs'})`);
  process.exit(1);
}
console.log(`check-array: merged ${JSON.parse(read(merged, 'results.json')).records.length} records from the job array = the unsharded run`);
JS
