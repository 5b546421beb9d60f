/**
 * Reliability of the readers and the atomic writer (issue 13): line endings, shapes, BOM,
 * symlinks, non-regular targets, stale temporary files, outputs resolving to inputs, messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpinText, formatSpinText } from '../../src/io/data.js';
import { paramsFromJSON, paramsToJSON } from '../../src/io/params.js';
import { checkOutputsAgainstInputs, cleanStaleTemps, outputTarget, writeFileAtomic } from '../../src/io/atomic.js';
import { readBytes } from '../../src/io/files.js';
import { DataError, UsageError } from '../../src/util/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spindiff-io-rel-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('line endings and shapes (category 5)', () => {
  it('bare CR, CRLF and LF files give the same data, with the right line numbers in errors', () => {
    const rows = ['1 -1 1', '-1 -1 1', '1 1 -1', '# note', '1 -1 -1'];
    const lf = parseSpinText(rows.join('\n') + '\n', 'lf');
    for (const sep of ['\r', '\r\n']) {
      const d = parseSpinText(rows.join(sep) + sep, 'x');
      expect([d.n, d.m]).toEqual([3, 4]);
      expect(Array.from(d.s)).toEqual(Array.from(lf.s));
    }
    expect(() => parseSpinText('1 -1\r1 2\r', 'cr.txt')).toThrow(/^cr\.txt:2:3: expected -1, 1/);
    expect(() => parseSpinText('1 -1\r\n1 1\r\n1\r\n', 'crlf.txt')).toThrow(/^crlf\.txt:3: expected 2 values/);
  });

  it('one sample of many spins is refused with the likely cause; a BOM is skipped', () => {
    const one = Array.from({ length: 2000 }, (_, i) => (i % 3 ? '1' : '-1')).join(' ');
    expect(() => parseSpinText(one + '\n', 'flat.txt')).toThrow(DataError);
    expect(() => parseSpinText(one + '\n', 'flat.txt')).toThrow(/flat\.txt: one sample of 2000 spins — the line breaks were probably lost/);
    expect(parseSpinText('1 -1 1\n', 'short').m).toBe(1);
    expect(parseSpinText('\uFEFF1 -1\n-1 1\n', 'bom').n).toBe(2);
  });

  it('params: a BOM is accepted (as in data files); every error is a DataError naming the file', () => {
    const p = { n: 2, b: Float64Array.from([0.1, -0.2]), w: Float64Array.from([0, 0.5, 0.5, 0]) };
    const back = paramsFromJSON('\uFEFF' + paramsToJSON(p), 'bom.json');
    expect(Array.from(back.w)).toEqual([0, 0.5, 0.5, 0]);
    for (const bad of ['', '{', '[]', '{"n":2}', '{"n":1,"b":[1],"w":[[1]]}', '{"n":2,"b":[0,0],"w":[[0,1],[2,0]]}']) {
      expect(() => paramsFromJSON(bad, 'p.json')).toThrow(DataError);
      expect(() => paramsFromJSON(bad, 'p.json')).toThrow(/^p\.json: /);
    }
  });

  it('params with a NaN are not written, and the message says which entry', () => {
    const p = { n: 2, b: Float64Array.from([0, NaN]), w: Float64Array.from([0, 0, 0, 0]) };
    expect(() => paramsToJSON(p)).toThrow(/not finite \(b\[1\] = NaN\)/);
  });
});

describe('atomic output (categories 2, 8, 10)', () => {
  it('writes through a symlink to its target; the link stays a link', () => {
    writeFileSync(join(dir, 'target.txt'), 'old');
    symlinkSync('target.txt', join(dir, 'link.txt'));
    writeFileAtomic(join(dir, 'link.txt'), 'new');
    expect(lstatSync(join(dir, 'link.txt')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'target.txt'), 'utf8')).toBe('new');
    // A dangling link: the target is created.
    symlinkSync('made.txt', join(dir, 'dangling.txt'));
    writeFileAtomic(join(dir, 'dangling.txt'), 'x');
    expect(readFileSync(join(dir, 'made.txt'), 'utf8')).toBe('x');
  });

  it('refuses existing targets that are not regular files, naming the file without errno text', () => {
    mkdirSync(join(dir, 'afolder'));
    expect(() => writeFileAtomic(join(dir, 'afolder'), 'x', 'afolder')).toThrow(/^cannot write afolder: it exists and is a folder$/);
    if (existsSync('/dev/null')) expect(() => outputTarget('/dev/null')).toThrow(/is a device \(use '-' for standard output\)/);
    // As /dev/stdout → /proc/self/fd/1 → 'pipe:[…]' in a pipeline.
    symlinkSync('pipe:[4242]', join(dir, 'fd1'));
    expect(() => outputTarget(join(dir, 'fd1'), 'fd1')).toThrow(/^cannot write fd1: it is a pipe \(use '-' for standard output\)$/);
    writeFileSync(join(dir, 'plain'), 'x');
    let msg = '';
    try {
      writeFileAtomic(join(dir, 'plain', 'sub.json'), 'x', 'plain/sub.json');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^cannot write plain\/sub\.json: a part of the path is not a folder$/);
    expect(msg).not.toMatch(/ENOTDIR|EEXIST|\.tmp/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a write the system refuses names the file and the reason in words, not errno text or a temporary path', () => {
    if (!existsSync('/sys/kernel')) return; // Linux: sysfs refuses new files
    let msg = '';
    try {
      writeFileAtomic('/sys/spindiff-x.json', '{}', 'x.json');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^cannot write x\.json: [a-z ]+$/);
  });

  it('removes stale temporary files of a dead writer, keeps those of live ones and other files', () => {
    writeFileAtomic(join(dir, 'out.json'), 'a');
    // Names as writeFileAtomic makes them.
    const h = hostname().replace(/[^\w-]/g, '_').slice(0, 40) || 'host';
    const dead = `.out.json.spindiff-${h}-999999-deadbeef.tmp`;
    const live = `.out.json.spindiff-${h}-${process.pid}-cafebabe.tmp`;
    const old = `.out.json.spindiff-otherhost-1-00000000.tmp`;
    const recent = `.out.json.spindiff-otherhost-2-11111111.tmp`;
    for (const f of [dead, live, old, recent, '.out.json.unrelated.tmp']) writeFileSync(join(dir, f), 'partial');
    const t = Date.now() / 1000 - 2 * 86400;
    utimesSync(join(dir, old), t, t);
    cleanStaleTemps(dir, 'out.json');
    const left = readdirSync(dir);
    expect(left).not.toContain(dead);
    expect(left).not.toContain(old);
    expect(left).toContain(live);
    expect(left).toContain(recent);
    expect(left).toContain('.out.json.unrelated.tmp');
    for (const f of [live, recent, '.out.json.unrelated.tmp']) rmSync(join(dir, f));
  });

  it('an output resolving to an input (same path, symlink, hard link) is refused; data intact', () => {
    const data = join(dir, 'data.txt');
    writeFileSync(data, formatSpinText({ n: 2, m: 2, s: Int8Array.from([1, -1, -1, 1]) }));
    symlinkSync('data.txt', join(dir, 'alias.txt'));
    linkSync(data, join(dir, 'hard.txt'));
    const inp = [{ flag: '--data', path: data, shown: 'data.txt' }];
    for (const o of ['data.txt', 'alias.txt', 'hard.txt', './sub/../data.txt']) {
      expect(() => checkOutputsAgainstInputs(inp, [{ flag: '--out', path: join(dir, o), shown: o }])).toThrow(UsageError);
    }
    expect(() => checkOutputsAgainstInputs(inp, [{ flag: '--out', path: join(dir, 'new.txt'), shown: 'new.txt' }, { flag: '--report', path: join(dir, 'new.txt'), shown: 'new.txt' }])).toThrow(/two outputs cannot share a file/);
    expect(() => checkOutputsAgainstInputs(inp, [{ flag: '--out', path: join(dir, 'new.txt'), shown: 'new.txt' }])).not.toThrow();
    expect(parseSpinText(readFileSync(data, 'utf8')).m).toBe(2);
  });

  it('reading: missing files and folders are DataErrors naming the file', () => {
    expect(() => readBytes(join(dir, 'nope'), 'nope')).toThrow(/^cannot read nope: no such file or folder$/);
    expect(() => readBytes(dir, 'd')).toThrow(/^cannot read d: is a folder$/);
    expect(() => readBytes(join(dir, 'nope'), 'nope')).toThrow(DataError);
  });
});
