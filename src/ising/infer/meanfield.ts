/**
 * Mean-field inversions from the connected correlations C_ij = ⟨s_i s_j⟩ − m_i m_j:
 *  - naive mean field (nMF): w_ij = −(C⁻¹)_ij, b_i = atanh(m_i) − Σ_j w_ij m_j;
 *  - TAP: (C⁻¹)_ij = −w_ij − 2 w_ij² m_i m_j, solved for the root that tends to nMF as
 *    m_i m_j → 0; b_i = atanh(m_i) − Σ_j w_ij m_j + m_i Σ_j w_ij² (1 − m_j²).
 * (Kappen & Rodríguez 1998; Tanaka 1998; Roudi, Aurell & Hertz 2009.)
 */
import { DataError } from '../../util/errors.js';
import { invertSPD } from '../linalg.js';
import { dataMoments } from '../patterns.js';
import type { InferResultOf, SpinData } from '../types.js';

/** Data, or moments ⟨s_i⟩ and ⟨s_i s_j⟩ (n×n) computed elsewhere (e.g. exactly). */
export type MomentSource = SpinData | { mean: Float64Array; corr: Float64Array };

function connected(src: MomentSource) {
  const { mean, corr } = 's' in src ? dataMoments(src) : src;
  const n = mean.length;
  for (let i = 0; i < n; i++) {
    if (Math.abs(mean[i]!) >= 1) throw new DataError(`mean field: spin ${i} is constant in the data (⟨s_${i}⟩ = ${mean[i]}); remove it or use em/ple`);
  }
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] = corr[i * n + j]! - mean[i]! * mean[j]!;
  // C is a covariance matrix: symmetric positive definite unless some spins are linearly
  // dependent in the data (then no mean-field inversion exists), so Cholesky fits.
  const Cinv = invertSPD(C, n, 'connected correlation matrix');
  return { mean, Cinv, n };
}

export function inferNMF(data: MomentSource): InferResultOf<'nmf'> {
  const { mean, Cinv } = connected(data);
  const n = mean.length;
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) w[i * n + j] = -(Cinv[i * n + j]! + Cinv[j * n + i]!) / 2;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = Math.atanh(mean[i]!);
    for (let j = 0; j < n; j++) v -= w[i * n + j]! * mean[j]!;
    b[i] = v;
  }
  return { params: { n, b, w }, method: 'nmf', settings: {}, diagnostics: {} };
}

export function inferTAP(data: MomentSource): InferResultOf<'tap'> {
  const { mean, Cinv } = connected(data);
  const n = mean.length;
  const w = new Float64Array(n * n);
  let fallbacks = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const c = (Cinv[i * n + j]! + Cinv[j * n + i]!) / 2;
      const mm = mean[i]! * mean[j]!;
      let v: number;
      if (Math.abs(mm) < 1e-12) v = -c;
      else {
        const disc = 1 - 8 * c * mm;
        if (disc < 0) {
          v = -c; // no real TAP solution: keep the nMF value
          fallbacks++;
        } else v = (-1 + Math.sqrt(disc)) / (4 * mm);
      }
      w[i * n + j] = v;
      w[j * n + i] = v;
    }
  }
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = Math.atanh(mean[i]!);
    let onsager = 0;
    for (let j = 0; j < n; j++) {
      v -= w[i * n + j]! * mean[j]!;
      onsager += w[i * n + j]! ** 2 * (1 - mean[j]! ** 2);
    }
    b[i] = v + mean[i]! * onsager;
  }
  return { params: { n, b, w }, method: 'tap', settings: {}, diagnostics: { nmfFallbacks: fallbacks } };
}
