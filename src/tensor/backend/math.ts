/**
 * Scalar special functions in float64, shared by every backend's reference path.
 *
 * erf/erfc: W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
 * for the error function", Math. Comp. 23 (1969) 631–637; netlib specfun/erf), whose design
 * accuracy exceeds float64 precision. erfc is evaluated directly for x > 0.46875 so that
 * GELU keeps full relative precision for large negative inputs.
 */

const THRESH = 0.46875;
const SQRPI = 5.6418958354775628695e-1; // 1/sqrt(pi)

// Coefficient tables as typed arrays of fixed length, read below their lengths.
const A = Float64Array.of(3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153);
const B = Float64Array.of(23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062);
const C = Float64Array.of(0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8);
const D = Float64Array.of(15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942);
const P = Float64Array.of(0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
  6.58749161529837803e-4, 0.0163153871373020978);
const Q = Float64Array.of(2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185);

/** erf(y) / y-form for 0 ≤ y ≤ 0.46875. */
function erfSmall(y: number): number {
  const ysq = y * y;
  let num = A[4]! * ysq;
  let den = ysq;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * ysq;
    den = (den + B[i]!) * ysq;
  }
  return (y * (num + A[3]!)) / (den + B[3]!);
}

// e^{-(k/16)²} for k = 0…426 ((k/16)² is exact, so each entry is correctly rounded by Math.exp).
const EXP_NEG_SQ = Float64Array.from({ length: 427 }, (_, k) => Math.exp(-((k / 16) * (k / 16))));

/**
 * e^{-y²} for 0 ≤ y < 26.6 as e^{-ysq²}·e^{-del}, ysq = y truncated to 1/16 (Cody's split: y² is
 * never rounded as a whole), with the first factor from a table: one Math.exp per call.
 */
function expNegSquare(y: number): number {
  const k = Math.trunc(y * 16);
  const ysq = k / 16;
  const del = (y - ysq) * (y + ysq);
  return EXP_NEG_SQ[k]! * Math.exp(-del);
}

/** erfc(y) for y > 0.46875. */
function erfcLarge(y: number): number {
  if (y >= 26.6) return 0; // below the smallest double
  let r: number;
  if (y <= 4) {
    let num = C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y;
      den = (den + D[i]!) * y;
    }
    r = (num + C[7]!) / (den + D[7]!);
  } else {
    const z = 1 / (y * y);
    let num = P[5]! * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + P[i]!) * z;
      den = (den + Q[i]!) * z;
    }
    r = (z * (num + P[4]!)) / (den + Q[4]!);
    r = (SQRPI - r) / y;
  }
  return expNegSquare(y) * r;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return erfSmall(x); // odd: x·R(x²)
  const v = 1 - erfcLarge(y);
  return x < 0 ? -v : v;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return 1 - erfSmall(x);
  const v = erfcLarge(y);
  return x < 0 ? 2 - v : v;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327; // 1/sqrt(2π)

/** Standard normal CDF Φ(x) = erfc(-x/√2)/2, accurate in the left tail too. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * INV_SQRT2);
}

/** GELU, exact form (PyTorch's default approximate='none'): x·Φ(x). */
export function gelu(x: number): number {
  return x * normalCdf(x);
}

/** d/dx GELU = Φ(x) + x·φ(x). */
export function geluGrad(x: number): number {
  return normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * d/dx GELU given y = GELU(x) as stored by the forward pass: Φ(x) = y/x away from 0 (a relative
 * error of y's rounding, 6e-8 in float32), the direct series near 0; saves the erfc of the backward.
 */
export function geluGradFromOutput(x: number, y: number): number {
  const cdf = Math.abs(x) <= 0.6629 ? 0.5 + 0.5 * erfSmall(x * INV_SQRT2) : y / x;
  return cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Logistic sigmoid without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus(x) = ln(1 + eˣ) without overflow or loss of precision for large |x|. */
export function softplus(x: number): number {
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
