// The playground page (dist/playground): a small UI over pipeline.ts. Everything runs on the page's
// main thread, which stays live because training yields to the event loop every ~40 ms. State lives
// in the URL hash; numbers are exposed as window.__results for tests; data-state on <body> says
// what is running ('busy:train') or done ('done:train').
import { chart, windowMeans } from '../plot/index.js';
import type { Series } from '../plot/index.js';
import { setBackend, getBackend } from '../tensor/index.js';
import { loadBackend } from '../backends.js';
import { parseSpinText } from '../io/data.js';
import { paramsToJSON } from '../io/params.js';
import type { InferResult, IsingParams, SpinData } from '../ising/types.js';
import { DiffusionTrainer } from '../diffusion/train.js';
import { presetConfig } from '../diffusion/network.js';
import { yieldToHost } from '../util/abort.js';
import type { CurvePoint } from '../diffusion/augment.js';
import {
  augmentFrom, BACKENDS, couplings, DEFAULT_STATE, infer, METHODS, score, simulate, stateFromQuery, stateToQuery, train, trainConfig,
} from './pipeline.js';
import type { PlaygroundState, ScoreRow, Trained } from './pipeline.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const results: Record<string, unknown> = {};
(globalThis as unknown as { __results: unknown }).__results = results;

// Frames drawn so far: a test checks that they keep coming while training runs.
let frames = 0;
const countFrames = (): void => { frames++; (globalThis as unknown as { __frames: number }).__frames = frames; requestAnimationFrame(countFrames); };
requestAnimationFrame(countFrames);

let state: PlaygroundState = stateFromQuery(location.hash);
let truth: IsingParams | null = null;
let data: SpinData | null = null;
let observed: InferResult | null = null;
let trained: Trained | null = null;
let augmented: InferResult | null = null;
let abort: AbortController | null = null;

function buildForm(): void {
  const form = $('controls');
  for (const key of Object.keys(DEFAULT_STATE) as (keyof PlaygroundState)[]) {
    const label = document.createElement('label');
    label.textContent = key + ' ';
    const options = key === 'backend' ? BACKENDS : key === 'method' ? METHODS : null;
    let input: HTMLInputElement | HTMLSelectElement;
    if (options) {
      const sel = document.createElement('select');
      for (const o of options) sel.add(new Option(o, o));
      input = sel;
    } else {
      const num = document.createElement('input');
      num.type = 'number';
      num.step = key === 'g' ? '0.1' : '1';
      input = num;
    }
    input.id = `in-${key}`;
    input.value = String(state[key]);
    input.addEventListener('change', () => readForm());
    label.append(input);
    form.append(label);
  }
}

function readForm(): void {
  const q = new URLSearchParams();
  for (const key of Object.keys(DEFAULT_STATE)) q.set(key, ($(`in-${key}`) as HTMLInputElement).value);
  state = stateFromQuery(q.toString());
  history.replaceState(null, '', '#' + stateToQuery(state));
}

function setStatus(s: string, text: string): void {
  document.body.dataset['state'] = s;
  $('status').textContent = text;
}

async function useBackend(): Promise<void> {
  const be = await loadBackend(state.backend, state.backend === 'gpujs' ? { gpujsMode: 'gpu' } : {});
  setBackend(be);
}

/** Run one step with the buttons disabled, reporting errors on the page. */
async function step(name: string, fn: () => Promise<void> | void): Promise<void> {
  readForm();
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button.step'))) b.disabled = true;
  setStatus(`busy:${name}`, `${name}…`);
  abort = new AbortController();
  const t0 = performance.now();
  try {
    await useBackend();
    await fn();
    setStatus(`done:${name}`, `${name} done in ${((performance.now() - t0) / 1000).toFixed(2)} s on ${getBackend().name}`);
  } catch (e) {
    setStatus(`error:${name}`, `${name} failed: ${(e as Error).message}`);
    results['error'] = (e as Error).message;
  } finally {
    abort = null;
    for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>('button.step'))) b.disabled = false;
  }
}

function renderTable(rows: ScoreRow[]): void {
  $('table').innerHTML = `<table><tr><th></th><th>MSE</th><th>MSE b</th><th>MSE w</th><th>corr</th></tr>${rows.map((r) =>
    `<tr><td>${r.label}</td><td>${r.mse.toPrecision(4)}</td><td>${r.mse_b.toPrecision(4)}</td><td>${r.mse_w.toPrecision(4)}</td><td>${r.corr.toFixed(4)}</td></tr>`).join('')}</table>`;
}

function renderScatter(): void {
  if (!truth) return;
  const x = couplings(truth);
  const series: Series[] = [];
  if (observed) series.push({ label: 'observed', x, y: couplings(observed.params), kind: 'scatter' });
  if (augmented) series.push({ label: 'augmented', x, y: couplings(augmented.params), kind: 'scatter' });
  $('scatter').innerHTML = chart({ title: 'couplings: inferred vs true', xLabel: 'true w', yLabel: 'inferred w', series, diagonal: true, width: 420, height: 320 });
}

function renderScores(): void {
  if (!truth) return;
  const rows: { label: string; params: IsingParams }[] = [];
  if (observed) rows.push({ label: `${state.method} observed`, params: observed.params });
  if (augmented) rows.push({ label: `${state.method} augmented`, params: augmented.params });
  const table = score(truth, rows);
  results['scores'] = table;
  renderTable(table);
  renderScatter();
}

let losses: { it: number; loss: number }[] = [];
let curve: CurvePoint[] = [];
let redraw = false;
function renderCurves(): void {
  redraw = false;
  // While training: the loss of every 25th iteration; afterwards the mean over each 25.
  const pts = trained ? windowMeans(trained.run.trainer.losses, 25) : { x: losses.map((p) => p.it), y: losses.map((p) => p.loss) };
  const loss = chart({ title: 'training loss', xLabel: 'iteration', yLabel: 'loss', yLog: true, width: 420, height: 260,
    series: [{ label: trained ? 'loss (mean of 25)' : 'loss (every 25th)', ...pts }] });
  const ratio = chart({ title: 'energy-variance ratio', xLabel: 'iteration', yLabel: 'Var gen / Var test', width: 420, height: 260,
    series: [{ label: 'ratio', x: curve.map((p) => p.iteration), y: curve.map((p) => p.ratio) }], hLines: [{ y: 1, label: '1' }],
    markers: trained ? [{ x: trained.run.chosen.iteration, label: 'chosen' }] : [] });
  $('curves').innerHTML = loss + ratio;
}
const scheduleRedraw = (): void => { if (!redraw) { redraw = true; requestAnimationFrame(renderCurves); } };

const actions = {
  simulate: () => {
    ({ truth, data } = simulate(state));
    observed = null; trained = null; augmented = null;
    results['simulate'] = { n: data.n, m: data.m, sum: data.s.reduce((a, b) => a + b, 0) };
    $('table').textContent = `simulated ${data.m} samples of SK n=${data.n}, g=${state.g}`;
  },
  infer: () => {
    if (!data) actions.simulate();
    observed = infer(data!, state.method);
    augmented = null;
    renderScores();
  },
  train: async () => {
    if (!data) actions.simulate();
    losses = []; curve = []; trained = null; augmented = null;
    const t0 = performance.now(), f0 = frames;
    trained = await train(data!, state, {
      onLoss: (it, loss) => { losses.push({ it, loss }); scheduleRedraw(); },
      onEvaluate: (p) => { curve.push(p); scheduleRedraw(); },
      signal: abort!.signal,
    });
    observed = trained.observed;
    const seconds = (performance.now() - t0) / 1000;
    results['train'] = { seconds, frames: frames - f0, fps: (frames - f0) / seconds, losses: trained.run.trainer.losses.slice(), curve, chosen: trained.run.chosen.iteration, backend: getBackend().name };
    renderCurves();
    renderScores();
  },
  augment: async () => {
    if (!trained) await actions.train();
    const r = await augmentFrom(trained!, state, abort!.signal);
    augmented = r.augmented;
    results['augment'] = { generated: r.generated.m };
    renderScores();
  },
  /** Training speed of each CPU backend on this page: iterations per second of the tiny network. */
  speed: async () => {
    if (!data) actions.simulate();
    const out: Record<string, number> = {};
    for (const name of ['js', 'wasm', 'threads'] as const) {
      try {
        setBackend(await loadBackend(name));
        const cfg = trainConfig(state);
        const tr = new DiffusionTrainer(data!, presetConfig('tiny', data!.n, cfg.T), cfg);
        for (let k = 0; k < 3; k++) tr.step();
        const iters = 30, t0 = performance.now();
        for (let k = 0; k < iters; k++) { tr.step(); if (k % 10 === 9) await yieldToHost(); }
        out[name] = iters / ((performance.now() - t0) / 1000);
      } catch (e) {
        out[name] = NaN;
        results['speedError'] = (e as Error).message;
      }
    }
    results['speed'] = out;
    $('speed').textContent = Object.entries(out).map(([k, v]) => `${k} ${v.toFixed(1)} it/s`).join(' · ');
  },
};

async function dropFile(file: File): Promise<void> {
  await step('file', async () => {
    const parsed = parseSpinText(await file.text(), file.name);
    data = parsed; truth = null; trained = null; augmented = null;
    observed = infer(parsed, state.method);
    const json = paramsToJSON(observed.params, { method: observed.method, source: file.name });
    results['file'] = { n: parsed.n, m: parsed.m, params: JSON.parse(json) };
    const n = parsed.n, w = observed.params.w;
    const max = Math.max(1e-12, ...Array.from(w, Math.abs));
    const cells: string[] = [];
    const size = Math.max(4, Math.floor(320 / n));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const v = w[i * n + j]! / max, c = Math.round(255 * (1 - Math.abs(v)));
      cells.push(`<rect x="${j * size}" y="${i * size}" width="${size}" height="${size}" fill="${v >= 0 ? `rgb(255,${c},${c})` : `rgb(${c},${c},255)`}"/>`);
    }
    $('scatter').innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" width="${n * size}" height="${n * size}">${cells.join('')}</svg>`;
    const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    $('table').innerHTML = `${parsed.m} samples, n = ${n}: couplings by ${state.method} (red +, blue −, max |w| ${max.toFixed(3)}). <a id="download" href="${url}" download="inferred.json">download inferred.json</a>`;
  });
}

buildForm();
history.replaceState(null, '', '#' + stateToQuery(state));
for (const [name, fn] of Object.entries(actions)) $(`btn-${name}`).addEventListener('click', () => void step(name, fn));
$('btn-stop').addEventListener('click', () => abort?.abort());
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => { e.preventDefault(); const f = e.dataTransfer?.files[0]; if (f) void dropFile(f); });
$<HTMLInputElement>('file').addEventListener('change', (e) => { const f = (e.target as HTMLInputElement).files?.[0]; if (f) void dropFile(f); });
setStatus('idle', `ready (cross-origin isolated: ${String(globalThis.crossOriginIsolated)})`);
