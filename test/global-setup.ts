// Before any test file loads: the generated worker modules (build outputs, git-ignored) must exist
// and match today's worker sources, so `npx vitest run` works on a fresh checkout too.
// @ts-expect-error: a plain .mjs build script without type declarations
import { writeWorkerSources } from '../scripts/build-worker.mjs';

export default async function setup(): Promise<void> {
  await (writeWorkerSources as () => Promise<void>)();
}
