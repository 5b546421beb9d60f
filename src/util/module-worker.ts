/**
 * The one platform seam for workers started from bundled source text (the threads backend, the
 * parallel inference pool): Node worker_threads from a data: URL, browsers module Web Workers from
 * a Blob URL. Node's modules are imported dynamically, so browser bundles carry no static Node import.
 */

export interface ModuleWorker<M = unknown> {
  post(m: unknown): void;
  /** Every message's data. */
  onMessage(f: (m: M) => void): void;
  onError(f: (e: unknown) => void): void;
  terminate(): void;
  /** Node: stop the worker from keeping the process alive (no-op in browsers). */
  unref(): void;
}

export const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node;

const blobUrls = new Map<string, string>();

/** Start a module worker running `source` (ES module text). */
export async function startModuleWorker<M = unknown>(source: string): Promise<ModuleWorker<M>> {
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
    return { post: (m) => w.postMessage(m), onMessage: (f) => void w.on('message', f as (m: unknown) => void), onError: (f) => void w.on('error', f), terminate: () => void w.terminate(), unref: () => w.unref() };
  }
  const g = globalThis as unknown as {
    Worker: new (url: string, o: { type: 'module' }) => { onmessage: unknown; onerror: unknown; postMessage(m: unknown): void; terminate(): void };
    Blob: new (parts: string[], o: { type: string }) => unknown; URL: { createObjectURL(b: unknown): string };
  };
  // One Blob URL per worker source (the sources are a few constant bundles), kept for the page's
  // life: a URL per start would keep a copy of a 100–200 kB bundle alive for every worker started.
  let url = blobUrls.get(source);
  if (url === undefined) blobUrls.set(source, (url = g.URL.createObjectURL(new g.Blob([source], { type: 'text/javascript' }))));
  const w = new g.Worker(url, { type: 'module' });
  return {
    post: (m) => w.postMessage(m),
    onMessage: (f) => { w.onmessage = (e: { data: M }) => f(e.data); },
    onError: (f) => { w.onerror = f; },
    terminate: () => w.terminate(),
    unref: () => {},
  };
}
