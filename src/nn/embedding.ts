import { Tensor, empty, type DType } from '../tensor/index.js';
import { Module } from './module.js';
import { at } from '../util/checked.js';

/**
 * Sinusoidal time embedding, exactly the thesis appendix's SinusoidalPosEmb:
 *   half = dim // 2,  e = log(10000) / (half − 1),  f_j = exp(−j·e) for j = 0 … half−1,
 *   emb(t) = [sin(t·f_0) … sin(t·f_{half−1}), cos(t·f_0) … cos(t·f_{half−1})].
 * The output has 2·half columns (dim − 1 for odd dim, as in PyTorch). Computed in float64 and
 * rounded once to the output dtype (PyTorch computes in float32; the two agree to float32
 * rounding of the angle). No parameters; the output is a constant (no gradient flows to t).
 */
export class SinusoidalTimeEmbedding extends Module {
  readonly dim: number;
  /** Output width, 2·⌊dim/2⌋. */
  readonly outDim: number;
  readonly dtype: DType;
  readonly #freqs: Float64Array;

  constructor(dim: number, opts: { dtype?: DType } = {}) {
    super();
    // half − 1 must be > 0: PyTorch's formula divides by it.
    if (!Number.isInteger(dim) || dim < 4) throw new Error(`SinusoidalTimeEmbedding: dim must be an integer ≥ 4, got ${dim}`);
    this.dim = dim;
    const half = Math.floor(dim / 2);
    this.outDim = 2 * half;
    this.dtype = opts.dtype ?? 'float32';
    const e = Math.log(10000) / (half - 1);
    this.#freqs = new Float64Array(half);
    for (let j = 0; j < half; j++) this.#freqs[j] = Math.exp(-j * e);
  }

  /** The frequencies f_j (a copy). */
  get freqs(): Float64Array {
    return this.#freqs.slice();
  }

  /** Embed each time step: t of shape [B] (a tensor or array of numbers) → [B, outDim]. */
  forward(t: Tensor | ArrayLike<number>): Tensor {
    const ts = t instanceof Tensor ? t.data : t;
    if (t instanceof Tensor && t.shape.length !== 1) {
      throw new Error(`SinusoidalTimeEmbedding: t must have shape [B], got [${t.shape.join(', ')}]`);
    }
    const b = ts.length;
    // Fast path: the sampler embeds one t for the whole batch, so compute one row and copy it.
    let same = b > 0;
    for (let i = 1; i < b && same; i++) same = ts[i] === ts[0];
    if (same) return this.embedConstant(at(ts, 0, 'time steps'), b);
    const out = empty([b, this.outDim], this.dtype);
    for (let i = 0; i < b; i++) this.fillRow(out.data, i * this.outDim, at(ts, i, 'time steps'));
    return out;
  }

  /** The embedding of one time step t repeated for a batch of `batch` rows: [batch, outDim]. */
  embedConstant(t: number, batch: number): Tensor {
    if (!Number.isInteger(batch) || batch < 0) throw new Error(`SinusoidalTimeEmbedding: batch must be an integer ≥ 0, got ${batch}`);
    const out = empty([batch, this.outDim], this.dtype);
    if (batch === 0) return out;
    this.fillRow(out.data, 0, t);
    const row = out.data.subarray(0, this.outDim);
    for (let i = 1; i < batch; i++) out.data.set(row, i * this.outDim);
    return out;
  }

  private fillRow(out: Float32Array | Float64Array, offset: number, t: number): void {
    const f = this.#freqs;
    const half = f.length;
    for (let j = 0; j < half; j++) {
      const a = t * f[j]!;
      out[offset + j] = Math.sin(a);
      out[offset + half + j] = Math.cos(a);
    }
  }
}
