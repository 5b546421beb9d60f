// Slurm for real: where the Slurm daemons and munge are installed, run a quick-preset experiment
// as a job array on a single-node cluster (scripts/slurm/check-array.sh: starts the cluster if
// none answers, submits scripts/slurm/experiment-array.sh, merges the shards) and require the
// merge to equal the unsharded run. Skipped where Slurm is not installed.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const slurm = ['sbatch', 'sinfo', 'slurmctld', 'slurmd', 'munged'].every(has);

describe.skipIf(!slurm)('Slurm job array (needs slurm-wlm and munge installed)', () => {
  it('experiment-array.sh shards merge to the unsharded run', () => {
    const r = spawnSync('bash', ['scripts/slurm/check-array.sh'], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/merged \d+ records from the job array = the unsharded run/);
  }, 620_000);
});
