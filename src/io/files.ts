/** Reading and writing spin data and params files (Node only). Errors name the file. */
import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { IsingParams, SpinData } from '../types/index.js';
import { errnoReason, writeFileAtomic } from './atomic.js';
import { DataError } from '../util/errors.js';
import { formatSpinText, parseSpinText, type ParsedSpinData } from './data.js';
import { encodeNpy, parseNpy } from './npy.js';
import { paramsFromJSON, paramsToJSON, type ParsedParams } from './params.js';

/** Standard input, as a path: `-` on the command line. */
export const STDIN = '-';

/** Input files above this size are refused before reading (a typo'd path to a disk image, say). */
export const MAX_INPUT_BYTES = 2 ** 31 - 1;

/**
 * A file's bytes (`-`: standard input); a failure is a DataError naming the file and why (no such
 * file, a folder, permission, too large).
 */
export function readBytes(path: string, name = path): Buffer {
  const shown = path === STDIN && name === path ? 'standard input' : name;
  try {
    if (path === STDIN) return readFileSync(0);
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('folder'), { code: 'EISDIR' });
    if (st.isFile() && st.size > MAX_INPUT_BYTES) throw new DataError(`cannot read ${shown}: ${st.size} bytes is more than the ${MAX_INPUT_BYTES}-byte limit of one input file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`cannot read ${shown}: ${errnoReason(e)}`);
  }
}

/** JavaScript strings stop near 2^29 characters: a larger text file is refused with a plain message. */
const MAX_TEXT_BYTES = 2 ** 29 - 2 ** 20;

function textOf(bytes: Buffer, name: string): string {
  if (bytes.length > MAX_TEXT_BYTES) throw new DataError(`${name}: ${(bytes.length / 2 ** 20).toFixed(0)} MiB is too large for a text file here (at most ${(MAX_TEXT_BYTES / 2 ** 20).toFixed(0)} MiB); convert it to .npy`);
  return bytes.toString('utf8');
}

/** Spin data from .npy (by extension or magic bytes) or text; `name` (default: the base name) prefixes errors. */
export function readSpinFile(path: string, name = path === STDIN ? 'standard input' : basename(path)): ParsedSpinData {
  const bytes = readBytes(path, name);
  const isNpy = (path !== STDIN && extname(path).toLowerCase() === '.npy' || (bytes.length >= 6 && bytes[0] === 0x93 && bytes.subarray(1, 6).toString('latin1') === 'NUMPY'));
  if (isNpy) return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name);
  return parseSpinText(textOf(bytes, name), name);
}

/** Write spin data atomically: .npy (int8) by extension, otherwise text (±1, or 0/1 when asked). */
export function writeSpinFile(path: string, data: SpinData, opts: { zeroOne?: boolean; header?: string; name?: string } = {}): void {
  if (extname(path).toLowerCase() === '.npy') writeFileAtomic(path, encodeNpy(data), opts.name);
  else writeFileAtomic(path, formatSpinText(data, opts), opts.name);
}

export function readParamsFile(path: string, name = path === STDIN ? 'standard input' : basename(path)): ParsedParams {
  return paramsFromJSON(textOf(readBytes(path, name), name), name);
}

export function writeParamsFile(path: string, p: IsingParams, extra: Record<string, unknown> = {}, name?: string): void {
  writeFileAtomic(path, paramsToJSON(p, extra), name);
}
