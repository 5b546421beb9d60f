// The unary ops, each once: its value and its derivative side by side. The JS backend (the
// specification) runs these loops; the wasm backend has vector kernels for some ops
// (wasm/elementwise.ts: WASM_UNARY, keyed by these names); the op tests iterate this table
// (test/autograd/unary-table.test.ts), so an op added here is checked everywhere.
// Each entry is a loop of its own (not a scalar function mapped by one shared loop): a call per
// element through one shared call site is ~10× slower in V8.
import type { Storage } from '../dtype.js';
import type { UnaryOp } from './types.js';
import { gelu, geluGradFromOutput, sigmoid, softplus } from './math.js';

export interface UnaryDef {
  /** The formula and its derivative, as the docs state them. */
  doc: string;
  /** out[i] = f(x[i]) (p: the exponent of 'pow'). out may alias x. */
  forward(x: Storage, out: Storage, p: number): void;
  /** out[i] = g[i]·f′(x[i]), given y = f(x) as the forward stored it. out may alias g. */
  backward(x: Storage, y: Storage, g: Storage, out: Storage, p: number): void;
  /** Where the op is smooth and finite: the range the tests draw inputs from. */
  domain: readonly [number, number];
  /** Exponents the tests try ('pow' only). */
  params?: readonly number[];
}

export const UNARY_OPS: { readonly [K in UnaryOp]: UnaryDef } = {
  neg: {
    doc: '−x;  d/dx = −1', domain: [-1, 1],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = -x[i]!; },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = -g[i]!; },
  },
  exp: {
    doc: 'eˣ;  d/dx = eˣ', domain: [-2, 2],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]!); },
    backward: (x, y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = g[i]! * y[i]!; },
  },
  log: {
    doc: 'ln x;  d/dx = 1/x', domain: [0.3, 3],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]!); },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = g[i]! / x[i]!; },
  },
  sqrt: {
    doc: '√x;  d/dx = 1/(2√x)', domain: [0.3, 3],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.sqrt(x[i]!); },
    backward: (x, y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = (0.5 * g[i]!) / y[i]!; },
  },
  tanh: {
    doc: 'tanh x;  d/dx = 1 − tanh²x', domain: [-3, 3],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!); },
    backward: (x, y, g, out) => { for (let i = 0; i < x.length; i++) { const t = y[i]!; out[i] = g[i]! * (1 - t * t); } },
  },
  sigmoid: {
    doc: 'σ(x) = 1/(1+e⁻ˣ);  d/dx = σ(1−σ)', domain: [-5, 5],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = sigmoid(x[i]!); },
    backward: (x, y, g, out) => { for (let i = 0; i < x.length; i++) { const s = y[i]!; out[i] = g[i]! * s * (1 - s); } },
  },
  relu: {
    doc: 'max(x, 0);  d/dx = [x > 0] (0 at x = 0, as PyTorch)', domain: [-2, 2],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v > 0 ? v : 0; } },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = x[i]! > 0 ? g[i]! : 0; },
  },
  gelu: {
    doc: 'x·Φ(x), exact erf form (PyTorch\'s default);  d/dx = Φ(x) + x·φ(x)', domain: [-5, 5],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = gelu(x[i]!); },
    backward: (x, y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = g[i]! * geluGradFromOutput(x[i]!, y[i]!); },
  },
  silu: {
    doc: 'x·σ(x);  d/dx = σ(x)·(1 + x·(1 − σ(x)))', domain: [-5, 5],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v * sigmoid(v); } },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) { const v = x[i]!, s = sigmoid(v); out[i] = g[i]! * s * (1 + v * (1 - s)); } },
  },
  sin: {
    doc: 'sin x;  d/dx = cos x', domain: [-4, 4],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.sin(x[i]!); },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = g[i]! * Math.cos(x[i]!); },
  },
  cos: {
    doc: 'cos x;  d/dx = −sin x', domain: [-4, 4],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = Math.cos(x[i]!); },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = -g[i]! * Math.sin(x[i]!); },
  },
  softplus: {
    doc: 'ln(1 + eˣ), stable for large |x|;  d/dx = σ(x)', domain: [-6, 6],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = softplus(x[i]!); },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = g[i]! * sigmoid(x[i]!); },
  },
  logSigmoid: {
    doc: 'ln σ(x) = −softplus(−x) (use instead of log(sigmoid(x)));  d/dx = σ(−x) = 1 − σ(x)', domain: [-6, 6],
    forward: (x, out) => { for (let i = 0; i < x.length; i++) out[i] = -softplus(-x[i]!); },
    backward: (x, _y, g, out) => { for (let i = 0; i < x.length; i++) out[i] = g[i]! * sigmoid(-x[i]!); },
  },
  pow: {
    doc: 'x^p for a constant p;  d/dx = p·x^(p−1)', domain: [0.3, 2], params: [2, 3, 0.5, -1.5, 1],
    // x·x for the common square (exact).
    forward: (x, out, p) => {
      if (p === 2) for (let i = 0; i < x.length; i++) { const v = x[i]!; out[i] = v * v; }
      else for (let i = 0; i < x.length; i++) out[i] = Math.pow(x[i]!, p);
    },
    backward: (x, _y, g, out, p) => {
      if (p === 2) for (let i = 0; i < x.length; i++) out[i] = 2 * g[i]! * x[i]!;
      else for (let i = 0; i < x.length; i++) out[i] = g[i]! * p * Math.pow(x[i]!, p - 1);
    },
  },
};

/** Every unary op, in the table's order. */
export const UNARY_OP_NAMES = Object.keys(UNARY_OPS) as UnaryOp[];

/** The op's value at one float64 point (for tests and docs). */
export function unaryAt(op: UnaryOp, x: number, p = 1): number {
  const out = new Float64Array(1);
  UNARY_OPS[op].forward(Float64Array.of(x), out, p);
  return out[0]!;
}
