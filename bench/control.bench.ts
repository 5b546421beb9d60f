// The machine's own 1→2-thread scaling, as a control for every thread-scaling figure of the run:
// a fixed amount of plain floating-point work on one worker, then split over two. On an idle
// 2-core machine two workers take half the time (scaling ≈ 2); when other processes hold the
// cores they do not, and the runner then reports "machine busy" instead of spindiff's scaling.
// The runner times these cases inside every set that has a multi-threaded case (same rounds).
import { Worker } from 'node:worker_threads';
import type { BenchCase } from './types.js';

const WORK = 4e7; // multiply-adds in all (~40 ms on one core)

// A worker that runs `iterations` of a dependent multiply-add chain per message and answers.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (iterations) => {
  let x = 0.5;
  for (let i = 0; i < iterations; i++) x = x * 0.9999999 + 1e-7;
  parentPort.postMessage(x);
});`;

export default function cases(): BenchCase[] {
  return [1, 2].map((threads) => {
    let workers: Worker[] = [];
    const once = (w: Worker, n: number): Promise<unknown> => new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage(n);
    });
    return {
      group: 'control', impl: 'control-js', threads, name: `plain JS loop, ${WORK / 1e6}M multiply-adds over ${threads} worker(s)`, shape: 'fixed work',
      setup: () => { workers = Array.from({ length: threads }, () => new Worker(SOURCE, { eval: true })); },
      fn: () => Promise.all(workers.map((w) => once(w, WORK / threads))),
      teardown: () => Promise.all(workers.map((w) => w.terminate())),
    } satisfies BenchCase;
  });
}
