// Peer: PyTorch (CPU, OpenBLAS) through python3, if some python3 can import torch (the pyenv
// python3 on PATH usually cannot; Debian's /usr/bin/python3 with python3-torch and
// libopenblas0-openmp can). One subprocess per case and request measures that case (the runner
// asks for one sample per round, interleaved with spindiff's; bench/peers/torch_bench.py);
// skipped with a message otherwise.
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { BenchCase, BenchOptions } from '../types.js';
import { matmulShapes, shapeName } from '../matmul.bench.js';
import { SAMPLE_BATCH, TRAIN_BATCHES, networkFlops, sampleShape, trainShape } from './spindiff-network.bench.js';

/** The first python3 that imports torch, or null. */
function findPython(): string | null {
  for (const py of [process.env.SPINDIFF_BENCH_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** The script sits in the source tree (bench/peers/); the bundle runs from .bench/… */
function scriptPath(): string {
  const fromCwd = join(process.cwd(), 'bench', 'peers', 'torch_bench.py');
  if (existsSync(fromCwd)) return fromCwd;
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'peers', 'torch_bench.py');
}

type Times = Map<string, number[]>;

function runTorch(py: string, threads: number, spec: object): Promise<Times> {
  return new Promise((resolve, reject) => {
    const child = spawn(py, [scriptPath(), JSON.stringify({ threads, ...spec })], { stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) } });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`torch peer exited with ${code}: ${err.trim().split('\n').slice(-1)[0]}`)); return; }
      const times: Times = new Map();
      for (const line of out.split('\n')) {
        if (!line.trim()) continue;
        const r = JSON.parse(line) as { bench: string; shape: string; times_ms: number[] };
        times.set(`${r.bench}|${r.shape}`, r.times_ms);
      }
      resolve(times);
    });
  });
}

export default function cases(o: BenchOptions): BenchCase[] {
  const shapes = matmulShapes(o.quick);
  const py = findPython();
  const { forward, forwardNoTime } = networkFlops();
  const out: BenchCase[] = [];
  for (const threads of [1, 2]) {
    // Only this case, `repeats` samples (the script warms up before timing).
    const measure = (key: string, only: object) => async (repeats: number): Promise<number[]> => {
      const t = (await runTorch(py!, threads, { repeats, matmul: [], train: [], sample: [], ...only })).get(key);
      if (!t) throw new Error(`torch peer did not report ${key}`);
      return t;
    };
    const skip = py ? undefined : 'no python3 can import torch (apt-get install python3-torch libopenblas0-openmp; or set SPINDIFF_BENCH_PYTHON)';
    const add = (group: string, shape: string, flops: number, only: object): void => {
      out.push({ group, impl: 'torch', threads, name: shape, shape, flops, skip, fn: () => {}, measure: measure(`${group}|${shape}`, only) });
    };
    for (const [m, n, k] of shapes) add('matmul', shapeName(m, n, k), 2 * m * n * k, { matmul: [[m, n, k]] });
    for (const b of TRAIN_BATCHES) add('train', trainShape(b), 3 * forward * b, { train: [b] });
    add('sample', sampleShape(SAMPLE_BATCH), forwardNoTime * SAMPLE_BATCH, { sample: [SAMPLE_BATCH] });
  }
  return out;
}
