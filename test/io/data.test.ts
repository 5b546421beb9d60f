import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatSpinText, parseSpinText, concatData, selectRows } from '../../src/io/data.js';

describe('spin data text', () => {
  it('round-trips any ±1 data set (and its 0/1 form)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 20 }), fc.array(fc.boolean(), { minLength: 240, maxLength: 240 }), (n, m, bits) => {
        const s = Int8Array.from({ length: n * m }, (_, k) => (bits[k] ? 1 : -1));
        const d = { n, m, s };
        const back = parseSpinText(formatSpinText(d, { header: 'made by a test' }));
        expect([back.n, back.m, back.from01]).toEqual([n, m, false]);
        expect(Array.from(back.s)).toEqual(Array.from(s));
        const zo = parseSpinText(formatSpinText(d, { zeroOne: true }));
        // an all-ones file is ambiguous and read as ±1; both readings give the same spins then
        expect(Array.from(zo.s)).toEqual(Array.from(s));
      }),
      { numRuns: 100 },
    );
  });

  it('any mix of separators and number spellings parses to the written values', () => {
    const plus = ['1', '+1', '1.0', '1e0', '01'];
    const minus = ['-1', '-1.0', '-1e0', '-01'];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.array(fc.tuple(fc.boolean(), fc.nat(4), fc.constantFrom(' ', '\t', '  ', ' \t ')), { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 10 }), fc.boolean(), (n, rows, commas) => {
        const lines = rows.map((r) => r.slice(0, n).map(([pos, k, sep], i) => (i ? (commas ? ',' + sep : sep) : '') + (pos ? plus[k % plus.length] : minus[k % minus.length])).join(''));
        const text = lines.join('\r\n') + '\n';
        const d = parseSpinText(text);
        expect([d.n, d.m]).toEqual([n, rows.length]);
        expect(Array.from(d.s)).toEqual(rows.flatMap((r) => r.slice(0, n).map(([pos]) => (pos ? 1 : -1))));
      }),
      { numRuns: 100 },
    );
  });

  it('accepts spaces, tabs, commas, comments, blank lines, CRLF and 1.0-style numbers', () => {
    const d = parseSpinText('# header\r\n1,\t-1 , 1\r\n\r\n-1.0 +1 1e0\n', 'x.csv');
    expect([d.n, d.m]).toEqual([3, 2]);
    expect(Array.from(d.s)).toEqual([1, -1, 1, -1, 1, 1]);
  });

  it('reads a 0/1 file as 0 → −1, 1 → +1 and says so', () => {
    const d = parseSpinText('0 1\n1 1\n');
    expect(d.from01).toBe(true);
    expect(Array.from(d.s)).toEqual([-1, 1, 1, 1]);
  });

  it('names file, line and column of a bad value', () => {
    expect(() => parseSpinText('1 1\n1 x\n', 'd.txt')).toThrow("d.txt:2:3: expected -1, 1 (or 0/1), got 'x'");
    expect(() => parseSpinText('1 1\n1 0.5\n', 'd.txt')).toThrow("d.txt:2:3: expected -1, 1 (or 0/1), got '0.5'");
    expect(() => parseSpinText('1 1\n1 1 1\n', 'd.txt')).toThrow('d.txt:2: expected 2 values (as on the first data line), got 3');
    expect(() => parseSpinText('1,,1\n', 'd.txt')).toThrow('d.txt:1: empty field between commas');
    expect(() => parseSpinText('# only a comment\n', 'd.txt')).toThrow('d.txt: no data lines');
    expect(() => parseSpinText('-1 1\n0 1\n', 'd.txt')).toThrow(/d\.txt:2:1: '0' mixes the 0\/1 and ±1 conventions \(a -1 at d\.txt:1:1\)/);
  });

  it('selectRows and concatData', () => {
    const d = parseSpinText('1 1\n-1 1\n1 -1\n');
    expect(Array.from(selectRows(d, [2, 0]).s)).toEqual([1, -1, 1, 1]);
    const c = concatData([d, selectRows(d, [1])]);
    expect([c.m, c.n]).toEqual([4, 2]);
    expect(() => concatData([d, { n: 3, m: 1, s: new Int8Array(3) }])).toThrow(/n=3 differs from n=2/);
  });
});
