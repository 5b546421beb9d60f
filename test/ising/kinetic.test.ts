import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/index.js';
import { invert } from '../../src/ising/linalg.js';
import {
  asymmetricSK, gaussTanh, kineticEMF, kineticFEM, kineticMLE, kineticMoments, kineticMse, kineticNMF, kineticTAP, simulateKinetic, tapRoot,
  type KineticParams,
} from '../../src/ising/kinetic/index.js';
import type { SpinData } from '../../src/ising/index.js';

/** Cramér–Rao: the ML estimator's expected MSE over W, (1/n²) Σ_i tr(I_i⁻¹)_W / L, I_i the per-step Fisher information (true parameters, observed inputs). */
function cramerRaoMseW(p: KineticParams, d: SpinData): number {
  const { n } = p;
  const L = d.m - 1;
  const k = n + 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const I = new Float64Array(k * k);
    const x = new Float64Array(k);
    for (let t = 0; t < L; t++) {
      x[0] = 1;
      let H = p.h[i]!;
      for (let j = 0; j < n; j++) {
        x[j + 1] = d.s[t * n + j]!;
        H += p.W[i * n + j]! * x[j + 1]!;
      }
      const c = 1 - Math.tanh(H) ** 2;
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) I[a * k + b]! += (c * x[a]! * x[b]!) / L;
    }
    const inv = invert(I, k);
    for (let j = 1; j < k; j++) total += inv[j * k + j]! / L;
  }
  return total / (n * n);
}

describe('kinetic Ising', () => {
  const p = asymmetricSK(8, 0.5, new Rng(1), 0.1);
  const T = 10000;
  const d = simulateKinetic(p, T, new Rng(2));

  it('parallel Glauber: the one-step conditional mean of each spin is tanh H_i (within 5 standard errors)', () => {
    // regress σ_i(t+1) − tanh H_i(t) on nothing: its mean is 0 with s.e. √(⟨1 − tanh²⟩/L)
    const n = p.n;
    for (let i = 0; i < n; i++) {
      let r = 0;
      let v = 0;
      for (let t = 0; t + 1 < T; t++) {
        let H = p.h[i]!;
        for (let j = 0; j < n; j++) H += p.W[i * n + j]! * d.s[t * n + j]!;
        r += d.s[(t + 1) * n + i]! - Math.tanh(H);
        v += 1 - Math.tanh(H) ** 2;
      }
      expect(Math.abs(r)).toBeLessThan(5 * Math.sqrt(v));
    }
  });

  it('sequential Glauber with W = 0 and fields h gives independent spins with ⟨σ_i⟩ = tanh h_i', () => {
    const q: KineticParams = { n: 3, W: new Float64Array(9), h: Float64Array.from([0.5, -0.3, 0]) };
    const s = simulateKinetic(q, 20000, new Rng(3), { dynamics: 'sequential' });
    for (let i = 0; i < 3; i++) {
      let m = 0;
      for (let t = 0; t < 20000; t++) m += s.s[t * 3 + i]!;
      m /= 20000;
      // successive sweeps are correlated (a spin is left alone with probability (1 − 1/n)^n): s.e. ×2 is generous
      expect(Math.abs(m - Math.tanh(q.h[i]!))).toBeLessThan(5 * 2 * Math.sqrt((1 - Math.tanh(q.h[i]!) ** 2) / 20000));
    }
  });

  it('naive mean field equals its closed form W = A⁻¹ D C⁻¹ (independent dense computation)', () => {
    const n = p.n;
    const L = T - 1;
    const X = (t: number, j: number) => d.s[t * n + j]!;
    const mean = (off: number) => Array.from({ length: n }, (_, j) => { let v = 0; for (let t = 0; t < L; t++) v += X(t + off, j); return v / L; });
    const m0 = mean(0);
    const m1 = mean(1);
    const C = new Float64Array(n * n);
    const D = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      let c = 0;
      let e = 0;
      for (let t = 0; t < L; t++) {
        c += (X(t, a) - m0[a]!) * (X(t, b) - m0[b]!);
        e += (X(t + 1, a) - m1[a]!) * (X(t, b) - m0[b]!);
      }
      C[a * n + b] = c / L;
      D[a * n + b] = e / L;
    }
    const Ci = invert(C, n);
    const W = kineticNMF(d).params.W;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += D[a * n + k]! * Ci[k * n + b]!;
      expect(W[a * n + b]).toBeCloseTo(v / (1 - m1[a]! ** 2), 12);
    }
    // TAP rescales each row of nMF by 1/(1 − F_i), F_i(1 − F_i)² = r_i on the nMF branch
    expect(tapRoot(0.1) * (1 - tapRoot(0.1)) ** 2).toBeCloseTo(0.1, 14);
    expect(tapRoot(0.2)).toBe(1 / 3);
    const tap = kineticTAP(d).params.W;
    const F = (kineticTAP(d).diagnostics['tapF'] as number[]);
    for (let a = 0; a < n; a++) expect(tap[a * n]! * (1 - F[a]!)).toBeCloseTo(W[a * n]!, 12);
  });

  it('Gaussian integrals: ∫Dx tanh(H + x√Δ) → tanh H as Δ → 0, and is odd in H', () => {
    expect(gaussTanh(0.7, 0).mean).toBeCloseTo(Math.tanh(0.7), 12);
    expect(gaussTanh(0.3, 1).mean).toBeCloseTo(-gaussTanh(-0.3, 1).mean, 14);
    expect(gaussTanh(0.3, 1).slope).toBeLessThan(1 - Math.tanh(0.3) ** 2);
  });

  it('ML and FEM recover W at the Cramér–Rao rate; exact MF within 3× of it; all beat nMF at g = 0.5', () => {
    const cr = cramerRaoMseW(p, d);
    const mle = kineticMLE(d);
    expect(mle.diagnostics['converged']).toBe(true);
    const rMle = kineticMse(p, mle.params).mseW / cr;
    // 64 squared errors: relative s.d. of their mean ≈ √(2/64) ≈ 0.18; [0.5, 1.6] is > 2.5 s.d. either side
    expect(rMle).toBeGreaterThan(0.5);
    expect(rMle).toBeLessThan(1.6);
    expect(kineticMse(p, kineticFEM(d).params).mseW / cr).toBeLessThan(1.6);
    const emf = kineticEMF(kineticMoments(d));
    expect(emf.diagnostics['converged']).toBe(true);
    expect(kineticMse(p, emf.params).mseW / cr).toBeLessThan(3);
    expect(kineticMse(p, mle.params).mseW).toBeLessThan(kineticMse(p, kineticNMF(d).params).mseW);
  });
});
