/** Reading and writing spin data and params files (Node only). Errors name the file. */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { IsingParams, SpinData } from '../types/index.js';
import { writeFileAtomic } from './atomic.js';
import { formatSpinText, parseSpinText, type ParsedSpinData } from './data.js';
import { encodeNpy, parseNpy } from './npy.js';
import { paramsFromJSON, paramsToJSON, type ParsedParams } from './params.js';

/** A file's bytes; a failure names the file and why (no such file, a directory, permission). */
export function readBytes(path: string, name = path): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`cannot read ${name}: ${why}`);
  }
}

/** Spin data from .npy (by extension or magic bytes) or text; `name` (default: the base name) prefixes errors. */
export function readSpinFile(path: string, name = basename(path)): ParsedSpinData {
  const bytes = readBytes(path, name);
  const isNpy = extname(path).toLowerCase() === '.npy' || (bytes.length >= 6 && bytes[0] === 0x93 && bytes.subarray(1, 6).toString('latin1') === 'NUMPY');
  if (isNpy) return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  return parseSpinText(bytes.toString('utf8'), name);
}

/** Write spin data atomically: .npy (int8) by extension, otherwise text (±1, or 0/1 when asked). */
export function writeSpinFile(path: string, data: SpinData, opts: { zeroOne?: boolean; header?: string } = {}): void {
  if (extname(path).toLowerCase() === '.npy') writeFileAtomic(path, encodeNpy(data));
  else writeFileAtomic(path, formatSpinText(data, opts));
}

export function readParamsFile(path: string, name = basename(path)): ParsedParams {
  return paramsFromJSON(readBytes(path, name).toString('utf8'), name);
}

export function writeParamsFile(path: string, p: IsingParams, extra: Record<string, unknown> = {}): void {
  writeFileAtomic(path, paramsToJSON(p, extra));
}
