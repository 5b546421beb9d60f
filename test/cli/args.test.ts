import { describe, expect, it } from 'vitest';
import { helpText, parseArgs, UsageError } from '../../src/cli/args.js';
import type { CommandSpec } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';

const spec: CommandSpec = {
  name: 'demo-spec',
  summary: 'test spec',
  examples: ['spindiff demo-spec --n 3'],
  options: {
    n: { type: 'int', help: 'spins', required: true, min: 1 },
    g: { type: 'number', help: 'coupling', default: 1 },
    method: { type: 'string', help: 'method', choices: ['em', 'mle'], default: 'em' },
    json: { type: 'boolean', help: 'json output' },
    hidden: { type: 'intList', help: 'hidden spins', min: 0 },
    'out-dir': { type: 'string', help: 'folder' },
  },
};

describe('parseArgs', () => {
  it('parses every option type, defaults and camelCase names', () => {
    const a = parseArgs(spec, ['--n', '5', '--g=0.5', '--json', '--hidden', '3,7,11', '--out-dir', 'x']);
    expect(a).toMatchObject({ n: 5, g: 0.5, method: 'em', json: true, hidden: [3, 7, 11], outDir: 'x' });
    expect(parseArgs(spec, ['--n', '2', '--no-json']).json).toBe(false);
  });

  it('rejects bad input with messages naming the option', () => {
    const bad: [string[], RegExp][] = [
      [['--n', '2.5'], /--n: expected an integer/],
      [['--n', 'abc'], /--n: expected a number/],
      [['--n', '0'], /--n: must be ≥ 1/],
      [['--n', '2', '--method', 'xx'], /--method: expected one of em\|mle/],
      [['--n', '2', '--bogus', '1'], /unknown option --bogus/],
      [['--g', '1'], /missing required option --n/],
      [['--n'], /--n: missing value/],
      [['--n', '2', '--hidden', '1,x'], /--hidden: 'x' is not an integer/],
    ];
    for (const [argv, re] of bad) {
      expect(() => parseArgs(spec, argv)).toThrow(UsageError);
      expect(() => parseArgs(spec, argv)).toThrow(re);
    }
  });

  it('--help skips validation and the help text lists every option', () => {
    expect(parseArgs(spec, ['--help']).help).toBe(true);
    const h = helpText(spec);
    for (const k of Object.keys(spec.options)) expect(h).toContain(`--${k}`);
    expect(h).toContain('(required)');
    expect(h).toContain('spindiff demo-spec --n 3');
  });
});

describe('main', () => {
  const ctx = () => {
    const out: string[] = [], err: string[] = [];
    return { out, err, ctx: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), isTTY: false, cwd: process.cwd(), signal: { aborted: false } } };
  };
  it('lists commands, rejects unknown ones with exit 2', async () => {
    const a = ctx();
    expect(await main(['--help'], a.ctx)).toBe(0);
    expect(a.out.join('')).toContain('demo');
    const b = ctx();
    expect(await main(['nope'], b.ctx)).toBe(2);
    expect(b.err.join('')).toMatch(/unknown command 'nope'/);
  });
});
