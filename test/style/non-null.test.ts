// The access rule of src/util/checked.ts, enforced: with noUncheckedIndexedAccess on, a `x[i]!`
// assertion is allowed only on typed arrays (numeric kernels check their lengths at entry); plain
// arrays, tuples, records and ArrayLike reads go through checked access. The script type-checks
// src/ to tell the two apart (about 10 s).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { nonNullSites } from '../../scripts/check-non-null.mjs';

interface Site { file: string; line: number; typed: boolean; type: string; text: string }

describe('element assertions', () => {
  it('none on plain arrays, tuples or records in src/', () => {
    const sites = nonNullSites() as Site[];
    expect(sites.length).toBeGreaterThan(0); // the scan sees the kernels' typed-array reads
    const plain = sites.filter((s) => !s.typed).map((s) => `${s.file}:${s.line} ${s.text} (${s.type})`);
    expect(plain).toEqual([]);
  }, 120_000);
});
