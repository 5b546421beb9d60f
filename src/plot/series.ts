/** Reductions of a data series before it is drawn. */
import { at } from '../util/checked.js';

/**
 * A long curve (a loss per iteration) as the means of consecutive windows of `width` values:
 * x is the count of values up to each window's end (the iteration reached), y the window's mean.
 */
export function windowMeans(values: ArrayLike<number>, width: number): { x: number[]; y: number[] } {
  if (!(Number.isInteger(width) && width >= 1)) throw new RangeError(`windowMeans: width must be a positive integer, got ${width}`);
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < values.length; k += width) {
    const end = Math.min(values.length, k + width);
    let sum = 0;
    for (let j = k; j < end; j++) sum += at(values, j, 'series');
    x.push(end);
    y.push(sum / (end - k));
  }
  return { x, y };
}
