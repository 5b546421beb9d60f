/**
 * `spindiff/node`: the Node-only helpers — data and params files, atomic writes, and the CLI's
 * main() (the `spindiff` command as a function: `await cliMain(['sk', '--n', '10'], io)`).
 * The core API is the root entry, `spindiff`.
 */
export { writeFileAtomic } from './io/atomic.js';
export { main as cliMain } from './cli/main.js';
export type { CliContext } from './cli/context.js';
export * from './io/files.js';
// The worker pools, also here for Node programs (their own entry, spindiff/parallel, serves browsers too).
export * from './parallel.js';
// The erasure machine's 4-lane passes in WebAssembly SIMD (the CLI and the parallel runs turn them on).
export { enableWasmLanes } from './ising/blocked-wasm.js';
