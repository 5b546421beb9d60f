// The worker side: answer Requests from a SpindiffWorker. In a Web Worker `serveWorker(self)`;
// in Node's worker_threads `serveWorker(parentPort)` (both have addEventListener and postMessage).
import { pack } from './protocol.js';
import type { Reply, Request } from './protocol.js';
import { OPS } from './ops.js';
import type { OpContext } from './ops.js';

export interface PortLike {
  postMessage(m: unknown): void;
  addEventListener(type: 'message', fn: (e: { data: unknown }) => void): void;
}

export function serveWorker(port: PortLike): void {
  const running = new Map<number, AbortController>();
  const reply = (r: Reply): void => port.postMessage(r);
  port.addEventListener('message', (e) => {
    const req = e.data as Request;
    if (req.type === 'abort') { running.get(req.id)?.abort(); return; }
    const ac = new AbortController();
    running.set(req.id, ac);
    const ctx: OpContext = { signal: ac.signal, progress: (...args) => reply({ id: req.id, type: 'progress', args: pack(args) as unknown[] }) };
    const op = (OPS as Record<string, (ctx: OpContext, ...a: unknown[]) => Promise<unknown>>)[req.op];
    Promise.resolve()
      .then(() => {
        if (!op) throw new Error(`spindiff worker: unknown operation '${req.op}' (${Object.keys(OPS).join(', ')})`);
        return op(ctx, ...req.args);
      })
      .then(
        (value) => reply({ id: req.id, type: 'result', value: pack(value) }),
        (err: unknown) => reply({ id: req.id, type: 'error', name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => running.delete(req.id));
  });
}
