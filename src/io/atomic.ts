/**
 * Atomic file output (Node only): write a temporary file beside the target, fsync it, rename it
 * over the target, fsync the folder. A reader sees the old file or the new one, never a torn one,
 * even after SIGKILL or a power loss. The target is resolved first: a symlink is written through
 * to the file it points at (the link stays a link); an existing target that is not a regular file
 * (a folder, a device, a FIFO) is refused, so `--out /dev/stdout` never replaces the device link.
 * Temporary files are named `.<file>.spindiff-<host>-<pid>-<random>.tmp`; ones left by a killed
 * process of ours are removed by the next write beside them. Errors name the user's file and the
 * reason in words (no errno text with temporary paths).
 */
import {
  closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeSync, chmodSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../util/errors.js';
import { at } from '../util/checked.js';

/** An output could not be written; the message names the file and the reason. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/** Errno codes in words, for messages about the user's file. */
export function errnoReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or folder';
    case 'EISDIR': return 'is a folder';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EEXIST': return 'already exists';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    case 'ENAMETOOLONG': return 'the name is too long';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'EIO': return 'input/output error';
    case 'EFBIG': return 'the file is too large for the file system';
    case 'EBUSY': return 'the file is busy';
    case undefined: return (e as Error)?.message ?? String(e);
    default: return code;
  }
}

/** Seen by the CLI: temporary files in flight, so a second Ctrl-C can remove them. */
export interface TempFileHooks {
  open(path: string): void;
  close(path: string): void;
}
let tempHooks: TempFileHooks | null = null;
export function setTempFileHooks(h: TempFileHooks | null): void {
  tempHooks = h;
}

/**
 * Where a write to `path` lands: symlinks followed (also dangling ones, whose target is created),
 * an absent path as is. Throws when an existing target is not a regular file.
 */
export function outputTarget(path: string, name = path): string {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return p;
      throw new OutputError(`cannot write ${name}: ${errnoReason(e)}`);
    }
    if (st.isSymbolicLink()) {
      const to = readlinkSync(p);
      // /dev/stdout → /proc/self/fd/1 → 'pipe:[…]': not a file to replace.
      if (/^(pipe|socket|anon_inode):/.test(to)) throw new OutputError(`cannot write ${name}: it is ${to.startsWith('socket') ? 'a socket' : 'a pipe'} (use '-' for standard output)`);
      p = resolve(dirname(p), to);
      continue;
    }
    if (st.isFile()) return p;
    const what = st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
    throw new OutputError(`cannot write ${name}: it exists and is ${what}${st.isDirectory() ? '' : " (use '-' for standard output)"}`);
  }
  throw new OutputError(`cannot write ${name}: too many levels of symbolic links`);
}

const HOST = (() => {
  try {
    return hostname().replace(/[^\w-]/g, '_').slice(0, 40) || 'host';
  } catch {
    return 'host';
  }
})();
const TMP_RE = /^\.(.+)\.spindiff-([\w-]+)-(\d+)-[0-9a-f]+\.tmp$/;
/** Temporary files older than this are stale whoever wrote them (other hosts on a shared disk). */
const STALE_MS = 24 * 3600 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove our temporary files for `base` in `dir` whose writer is gone (best effort). */
export function cleanStaleTemps(dir: string, base: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const f of names) {
    const m = TMP_RE.exec(f);
    if (!m || m[1] !== base) continue;
    const p = join(dir, f);
    try {
      const host = at(m, 2, 'temporary file name');
      const pid = Number(m[3]);
      const old = now - statSync(p).mtimeMs > STALE_MS;
      if (old || (host === HOST && pid !== process.pid && !alive(pid))) rmSync(p, { force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

/**
 * Write `data` to `path` atomically. `name` (default: the path) is how errors name the file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, name = path): void {
  const target = outputTarget(path, name);
  const dir = dirname(target);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new OutputError(`cannot write ${name}: cannot create its folder (${errnoReason(e)})`);
  }
  cleanStaleTemps(dir, basename(target));
  const rand = randomBytes(4).toString('hex');
  const tmp = join(dir, `.${basename(target)}.spindiff-${HOST}-${process.pid}-${rand}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd = -1;
  tempHooks?.open(tmp);
  try {
    fd = openSync(tmp, 'wx', 0o666);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    try {
      // Keep the mode of the file we replace (e.g. a group-readable result).
      chmodSync(tmp, statSync(target).mode & 0o7777);
    } catch {
      // No previous file.
    }
    renameSync(tmp, target);
  } catch (e) {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the first error is the one to report.
      }
    }
    rmSync(tmp, { force: true });
    tempHooks?.close(tmp);
    throw new OutputError(`cannot write ${name}: ${errnoReason(e)}`);
  }
  tempHooks?.close(tmp);
  // The rename is durable once the folder is synced (best effort: not every file system allows it).
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Not supported here.
  }
}

/** The real path of an existing file (symlinks resolved), or null when it does not exist. */
function realFile(path: string): string | null {
  try {
    return resolve(outputTarget(path));
  } catch {
    return null;
  }
}

/**
 * Refuse outputs that resolve to an input file (or to each other), before any work: `--out` equal
 * to `--data` would otherwise replace the data. Paths are compared after following symlinks;
 * hard links are caught by comparing device and inode. `-` (standard input/output) is skipped.
 */
export function checkOutputsAgainstInputs(inputs: { flag: string; path: string; shown: string }[], outputs: { flag: string; path: string; shown: string }[]): void {
  const key = (p: string): string | null => {
    const real = realFile(p);
    if (real === null) return null;
    try {
      const st = statSync(real);
      return `${st.dev}:${st.ino}`;
    } catch {
      return `path:${real}`;
    }
  };
  const seen: { flag: string; shown: string; key: string | null; real: string | null; input: boolean }[] = [];
  for (const f of inputs) if (f.shown !== '-') seen.push({ flag: f.flag, shown: f.shown, key: key(f.path), real: realFile(f.path), input: true });
  for (const o of outputs) {
    if (o.shown === '-') continue;
    const real = realFile(o.path);
    const k = key(o.path);
    for (const s of seen) {
      if ((k !== null && k === s.key) || (real !== null && real === s.real)) {
        const what = s.input ? 'refusing to overwrite an input' : 'two outputs cannot share a file';
        throw new UsageError(`${o.flag} ${o.shown}: is the same file as ${s.flag} ${s.shown}; ${what} — choose another output file`);
      }
    }
    seen.push({ flag: o.flag, shown: o.shown, key: k, real, input: false });
  }
}
