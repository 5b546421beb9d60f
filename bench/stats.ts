// Statistics of the bench runner: medians and bootstrap intervals of ratios.

export function median(xs: number[]): number {
  const s = xs.slice().sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** A small seeded generator (mulberry32): the bootstrap intervals are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * median(a) / median(b) with a 95% percentile-bootstrap interval (each side resampled with
 * replacement, 2000 times). With one sample per side the interval is the point.
 */
export function ratioInterval(a: number[], b: number[], seed = 1): { ratio: number; lo: number; hi: number } {
  const ratio = median(a) / median(b);
  const rnd = mulberry32(seed);
  const pick = (xs: number[]): number[] => xs.map(() => xs[Math.floor(rnd() * xs.length)]!);
  const rs: number[] = [];
  for (let i = 0; i < 2000; i++) rs.push(median(pick(a)) / median(pick(b)));
  rs.sort((x, y) => x - y);
  return { ratio, lo: rs[Math.floor(0.025 * rs.length)]!, hi: rs[Math.ceil(0.975 * rs.length) - 1]! };
}


/**
 * The median of xs with a 95% percentile-bootstrap interval (resampled with replacement, 2000
 * times, seeded). With one value the interval is the point.
 */
export function medianInterval(xs: number[], seed = 1): { value: number; lo: number; hi: number } {
  if (xs.length === 0) throw new Error('medianInterval: no values');
  const rnd = mulberry32(seed);
  const ms: number[] = [];
  for (let i = 0; i < 2000; i++) ms.push(median(xs.map(() => xs[Math.floor(rnd() * xs.length)]!)));
  ms.sort((x, y) => x - y);
  return { value: median(xs), lo: ms[Math.floor(0.025 * ms.length)]!, hi: ms[Math.ceil(0.975 * ms.length) - 1]! };
}

/** Round by round, a[r] / b[r] over the rounds both have (the bench's samples of one set are indexed by round). */
export function perRound(a: number[], b: number[]): number[] {
  return Array.from({ length: Math.min(a.length, b.length) }, (_, r) => a[r]! / b[r]!);
}
