/**
 * Checked access for plain arrays, tuples and records, where `noUncheckedIndexedAccess` types a
 * read as `T | undefined`. A miss here is a bug in our code (an index or key it believed valid),
 * not bad input: it throws a RangeError naming what was read, instead of letting `undefined`
 * flow on as NaN. User input is validated where it enters (UsageError/DataError), before these.
 *
 * Typed arrays inside numeric kernels are not read through these: a kernel checks its lengths
 * once at entry and then indexes within those bounds (`a[i]!`), where a call per element would
 * cost more than the work.
 */

/** Element i of `a`; throws if i is outside `a` or the element is undefined. */
export function at<T>(a: ArrayLike<T>, i: number, what = 'array'): T {
  const v = a[i];
  if (v === undefined) throw new RangeError(`${what}: no element at index ${i} (length ${a.length})`);
  return v;
}

/** The last element of `a`; throws if `a` is empty. */
export function last<T>(a: ArrayLike<T>, what = 'array'): T {
  return at(a, a.length - 1, what);
}

/** The value under `key`; throws if it is absent (undefined). */
export function entry<V>(record: Readonly<Record<string, V | undefined>>, key: string, what = 'record'): V {
  const v = record[key];
  if (v === undefined) throw new RangeError(`${what}: no entry '${key}'`);
  return v;
}

/** The value of a Map under `key`; throws if it is absent. */
export function mapGet<K, V>(map: ReadonlyMap<K, V>, key: K, what = 'map'): V {
  const v = map.get(key);
  if (v === undefined) throw new RangeError(`${what}: no entry ${String(key)}`);
  return v;
}

/**
 * The dimensions of a shape of known rank, as a tuple: `const [m, n] = dims(x.shape, 2, 'matmul A')`.
 * Throws if the rank differs.
 */
export function dims<N extends number>(shape: readonly number[], rank: N, what = 'shape'): Tuple<number, N> {
  if (shape.length !== rank) throw new RangeError(`${what}: expected rank ${rank}, got shape [${shape.join(', ')}]`);
  return shape as unknown as Tuple<number, N>;
}

/** A fixed-length tuple type (for ranks up to 4, readable in hovers; longer ranks fall back to an array). */
export type Tuple<T, N extends number> = N extends 1 ? readonly [T] : N extends 2 ? readonly [T, T] : N extends 3 ? readonly [T, T, T] : N extends 4 ? readonly [T, T, T, T] : readonly T[];
