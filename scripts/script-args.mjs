// The measurement scripts' option handling (step-ab, step-phases, simd-pairs): parse with
// node:util parseArgs, check the counts, or end with the reason and the usage (exit 2).
import { parseArgs } from 'node:util';

/**
 * The options' values and `fail(msg)` (prints `name: msg` and the usage, exits 2). `counts`:
 * options that must be integers ≥ 1 where given.
 */
export function scriptArgs(name, usage, options, counts = []) {
  const fail = (msg) => { console.error(`${name}: ${msg}\n${usage}`); process.exit(2); };
  let values;
  try {
    values = parseArgs({ options }).values;
  } catch (e) {
    fail(e.message);
  }
  for (const k of counts) {
    if (values[k] !== undefined && !(Number.isInteger(Number(values[k])) && Number(values[k]) >= 1)) fail(`--${k} must be an integer ≥ 1, got '${values[k]}'`);
  }
  return { values, fail };
}
