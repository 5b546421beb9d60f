/**
 * A small, strict command-line parser: every command declares its options once, and the same
 * declaration gives parsing, validation, defaults and the --help text.
 */

import { UsageError } from '../util/errors.js';
export { UsageError };

export type OptionType = 'string' | 'number' | 'int' | 'boolean' | 'intList';

export interface OptionSpec {
  type: OptionType;
  /** One line for --help. */
  help: string;
  default?: string | number | boolean | number[];
  required?: boolean;
  /** Allowed values for string options. */
  choices?: readonly string[];
  /** Inclusive bounds for numeric options. */
  min?: number;
  max?: number;
  /** Placeholder in --help, e.g. FILE. */
  meta?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Usage examples, shown under --help. */
  examples?: string[];
  options: Record<string, OptionSpec>;
}

export type ParsedArgs = Record<string, string | number | boolean | number[] | undefined>;

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function parseValue(name: string, spec: OptionSpec, raw: string): string | number | boolean | number[] {
  const where = `--${name}`;
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(`${where}: expected one of ${spec.choices.join('|')}, got '${raw}'`);
      }
      return raw;
    case 'number':
    case 'int': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${where}: expected a number, got '${raw}'`);
      if (spec.type === 'int' && !Number.isInteger(v)) throw new UsageError(`${where}: expected an integer, got '${raw}'`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`${where}: must be ≥ ${spec.min}, got ${raw}`);
      if (spec.max !== undefined && v > spec.max) throw new UsageError(`${where}: must be ≤ ${spec.max}, got ${raw}`);
      return v;
    }
    case 'intList': {
      const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (parts.length === 0) throw new UsageError(`${where}: expected a comma-separated list of integers, got '${raw}'`);
      return parts.map((p) => {
        const v = Number(p);
        if (!Number.isInteger(v)) throw new UsageError(`${where}: '${p}' is not an integer`);
        if (spec.min !== undefined && v < spec.min) throw new UsageError(`${where}: ${v} must be ≥ ${spec.min}`);
        return v;
      });
    }
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new UsageError(`${where}: expected true or false, got '${raw}'`);
  }
}

/**
 * Parse argv (without the command name) against the spec. Returns camelCased keys, plus
 * `help: true` when --help/-h was given (validation of required options is then skipped).
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs & { help?: boolean; positionals: string[] } {
  const out: ParsedArgs & { help?: boolean; positionals: string[] } = { positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    let name = a.slice(2);
    let raw: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      raw = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let opt = spec.options[name];
    let negated = false;
    if (!opt && name.startsWith('no-') && spec.options[name.slice(3)]?.type === 'boolean') {
      opt = spec.options[name.slice(3)];
      name = name.slice(3);
      negated = true;
    }
    if (!opt) {
      const known = Object.keys(spec.options).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown option --${name} for '${spec.name}' (known: ${known || 'none'})`);
    }
    if (opt.type === 'boolean' && raw === undefined) {
      out[camel(name)] = !negated;
      continue;
    }
    if (raw === undefined) {
      raw = argv[++i];
      if (raw === undefined) throw new UsageError(`--${name}: missing value`);
    }
    out[camel(name)] = parseValue(name, opt, raw);
  }
  if (out.help) return out;
  for (const [name, opt] of Object.entries(spec.options)) {
    const key = camel(name);
    if (out[key] === undefined) {
      if (opt.required) throw new UsageError(`missing required option --${name} (see 'spindiff ${spec.name} --help')`);
      if (opt.default !== undefined) out[key] = opt.default;
    }
  }
  return out;
}

/** The --help text of a command. */
export function helpText(spec: CommandSpec): string {
  const lines = [`spindiff ${spec.name} — ${spec.summary}`, '', 'Options:'];
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const meta = o.type === 'boolean' ? '' : ` ${o.meta ?? (o.choices ? o.choices.join('|') : o.type.toUpperCase())}`;
    const extra = o.required ? ' (required)' : o.default !== undefined ? ` (default: ${String(o.default)})` : '';
    return [`  --${name}${meta}`, `${o.help}${extra}`] as const;
  });
  rows.push(['  --help', 'show this help']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [l, r] of rows) lines.push(l.padEnd(width) + r);
  if (spec.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join('\n');
}
