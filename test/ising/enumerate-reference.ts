/**
 * The oracle of the enumeration's fast walk (src/ising/enumerate.ts): the plain Gray-code walk it
 * replaced, state by state (flip a spin, update F, look up E0A[x], add q to every sum). The fast
 * walk must give the same numbers bit for bit (every sum takes the same terms in the same order).
 */
import { ctz, grayEnergies } from '../../src/ising/gray.js';
import { enumerationFromSums } from '../../src/ising/enumerate.js';
import type { Enumeration } from '../../src/ising/enumerate.js';
import type { IsingParams } from '../../src/ising/types.js';

export function enumerateReference(p: IsingParams): Enumeration {
  const { n, b, w } = p;
  const nb = Math.floor(n / 2);
  const na = n - nb;
  const sizeA = 1 << na;
  const sizeB = 2 ** nb;
  // E0A[xA]: energy of block A alone (its fields and couplings), spins i = 0..na-1 as bits of xA.
  const WA = new Float64Array(na * na);
  for (let i = 0; i < na; i++) WA.set(w.subarray(i * n, i * n + na), i * na);
  const E0A = grayEnergies(na, b.subarray(0, na), WA);
  const run = (pass: 0 | 1, shift: number) => {
    // Outer state over B.
    const sB = new Int8Array(nb).fill(-1);
    const hA = new Float64Array(na); // fields on A from B: Σ_{j∈B} w_ij s_j
    const hB = new Float64Array(nb); // fields inside B: b_j + Σ_{k∈B} w_jk s_k
    for (let i = 0; i < na; i++) {
      let v = 0; // only the coupling to B: b_A is already in E0A
      for (let j = 0; j < nb; j++) v -= w[i * n + na + j]!;
      hA[i] = v;
    }
    let eB = 0;
    for (let j = 0; j < nb; j++) {
      let v = b[na + j]!;
      for (let k = 0; k < nb; k++) v += w[(na + j) * n + na + k]! * sB[k]!;
      hB[j] = v;
      eB -= b[na + j]! * sB[j]!;
      for (let k = j + 1; k < nb; k++) eB -= w[(na + j) * n + na + k]! * sB[j]! * sB[k]!;
    }
    let emin = Infinity;
    const pA = new Float64Array(sizeA);
    const vA = new Float64Array(na);
    const meanB = new Float64Array(nb);
    const corrBB = new Float64Array(nb * nb);
    const corrAB = new Float64Array(na * nb);
    let Zs = 0;
    let sE = 0;
    let sE2 = 0;
    const sA = new Int8Array(na);
    const nNib = Math.ceil(na / 4);
    const hist = new Float64Array(nNib * 16);
    for (let tb = 0; tb < sizeB; tb++) {
      if (tb > 0) {
        const j = ctz(tb);
        const old = sB[j]!;
        eB += 2 * old * hB[j]!;
        sB[j] = -old;
        for (let k = 0; k < nb; k++) hB[k]! += -2 * old * w[(na + k) * n + na + j]!;
        for (let i = 0; i < na; i++) hA[i]! += -2 * old * w[i * n + na + j]!;
      }
      // Inner Gray walk over A: F = Σ_i hA_i s_i; E = E0A[x] + eB - F.
      sA.fill(-1);
      let F = 0;
      for (let i = 0; i < na; i++) F -= hA[i]!;
      let x = 0;
      if (pass === 0) {
        let e = E0A[0]! + eB - F;
        if (e < emin) emin = e;
        for (let t = 1; t < sizeA; t++) {
          const i = ctz(t);
          const sn = -sA[i]!;
          sA[i] = sn;
          F += 2 * sn * hA[i]!;
          x ^= 1 << i;
          e = E0A[x]! + eB - F;
          if (e < emin) emin = e;
        }
      } else {
        vA.fill(0);
        let zB = 0;
        for (let t = 0; t < sizeA; t++) {
          if (t > 0) {
            const i = ctz(t);
            const sn = -sA[i]!;
            sA[i] = sn;
            F += 2 * sn * hA[i]!;
            x ^= 1 << i;
          }
          const de = E0A[x]! + eB - F - shift;
          const q = Math.exp(-de);
          zB += q;
          sE += q * de;
          sE2 += q * de * de;
          pA[x]! += q;
          // Σ_x q s_i(x) for the spins of A, via 16-bin histograms of each 4-bit nibble of x.
          for (let nb4 = 0, sh = 0; nb4 < nNib; nb4++, sh += 4) hist[(nb4 << 4) | ((x >> sh) & 15)]! += q;
        }
        for (let nb4 = 0; nb4 < nNib; nb4++) {
          for (let c = 0; c < 16; c++) {
            const hq = hist[(nb4 << 4) | c]!;
            if (hq === 0) continue;
            hist[(nb4 << 4) | c] = 0;
            const top = Math.min(4, na - 4 * nb4);
            for (let bit = 0; bit < top; bit++) vA[4 * nb4 + bit]! += (c >> bit) & 1 ? hq : -hq;
          }
        }
        Zs += zB;
        for (let j = 0; j < nb; j++) {
          const sj = sB[j]!;
          meanB[j]! += zB * sj;
          for (let k = j + 1; k < nb; k++) corrBB[j * nb + k]! += zB * sj * sB[k]!;
          for (let i = 0; i < na; i++) corrAB[i * nb + j]! += vA[i]! * sj;
        }
      }
    }
    return { emin, pA, meanB, corrBB, corrAB, Zs, sE, sE2 };
  };
  const emin = run(0, 0).emin;
  return enumerationFromSums(n, na, emin, run(1, emin));
}
