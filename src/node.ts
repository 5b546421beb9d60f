/** The Node entry: the browser-safe core plus file helpers. */
export * from './index.js';
export { writeFileAtomic } from './io/atomic.js';
export { main as cliMain } from './cli/main.js';
export * from './io/files.js';
