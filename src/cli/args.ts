/**
 * A small, strict command-line parser: every command declares its options once, and the same
 * declaration gives parsing, validation, defaults and the --help text.
 */

import { at } from '../util/checked.js';
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
  /** A one-letter alias, e.g. 'n' for -n (an option named by one letter has it implicitly). */
  short?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Usage examples, shown under --help. */
  examples?: string[];
  options: Record<string, OptionSpec>;
  /**
   * Positional arguments the command takes, as shown in the usage line (e.g. 'NAME [DIR…]').
   * Without it, a positional argument is a usage error (a forgotten `--`, a stray word).
   */
  positionals?: string;
}

/** Options every command accepts; a command's own option of the same name wins. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  quiet: { type: 'boolean', help: 'no progress or notes on stderr (errors still shown)', short: 'q' },
};

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
      if (spec.type === 'int' && !Number.isSafeInteger(v)) throw new UsageError(`${where}: ${raw} is too large`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`${where}: must be ≥ ${spec.min}, got ${raw}`);
      if (spec.max !== undefined && v > spec.max) throw new UsageError(`${where}: must be ≤ ${spec.max}, got ${raw}`);
      return v;
    }
    case 'intList': {
      const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (parts.length === 0) throw new UsageError(`${where}: expected a comma-separated list of integers, got '${raw}'`);
      return parts.map((p) => {
        const v = Number(p);
        if (!Number.isSafeInteger(v)) throw new UsageError(`${where}: '${p}' is not an integer`);
        if (spec.min !== undefined && v < spec.min) throw new UsageError(`${where}: ${v} must be ≥ ${spec.min}`);
        if (spec.max !== undefined && v > spec.max) throw new UsageError(`${where}: ${v} must be ≤ ${spec.max}`);
        return v;
      });
    }
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new UsageError(`${where}: expected true or false, got '${raw}'`);
  }
}

/** The options of a command with the global ones (a command's own option of the same name wins). */
function allOptions(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...GLOBAL_OPTIONS, ...spec.options };
}

/** The option a one-letter flag `-x` stands for: its `short`, else an option named `x`. */
function shortOption(options: Record<string, OptionSpec>, letter: string): string | undefined {
  for (const [name, o] of Object.entries(options)) if (o.short === letter) return name;
  return options[letter] ? letter : undefined;
}

/**
 * Parse argv (without the command name) against the spec. Returns camelCased keys, plus
 * `help: true` when --help/-h was given (validation of required options is then skipped).
 * Accepted forms: `--name value`, `--name=value`, `--flag`, `--no-flag`, `-x value` for a
 * one-letter alias, `-` (standard input/output) as a value or positional, and `--` before
 * positionals that start with '-'. Anything else is a usage error that says what to write.
 */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs & { help?: boolean; positionals: string[] } {
  const out: ParsedArgs & { help?: boolean; positionals: string[] } = { positionals: [] };
  const options = allOptions(spec);
  const see = `(see 'spindiff ${spec.name} --help')`;
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = at(argv, i, 'argv');
    if (onlyPositionals) {
      out.positionals.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositionals = true;
      continue;
    }
    if (a === '--help' || a === '-h') {
      out.help = true;
      continue;
    }
    let name: string;
    let raw: string | undefined;
    if (a.startsWith('--')) {
      name = a.slice(2);
      const eq = name.indexOf('=');
      if (eq >= 0) {
        raw = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
    } else if (a.length >= 2 && a.startsWith('-') && !/^-[\d.]/.test(a)) {
      // A one-letter alias; -n10 and bundles like -qv are not accepted (say so rather than guess).
      const letter = a.slice(1, 2);
      const long = shortOption(options, letter);
      if (a.length > 2 || long === undefined) {
        const guess = a.length > 2 && options[a.slice(1)] ? ` — did you mean --${a.slice(1)}?` : long !== undefined ? ` — write -${letter} VALUE or --${long}` : '';
        throw new UsageError(`unknown option ${a} for '${spec.name}'${guess} ${see}`);
      }
      name = long;
    } else {
      out.positionals.push(a);
      continue;
    }
    let opt = options[name];
    let negated = false;
    if (!opt && name.startsWith('no-') && options[name.slice(3)]?.type === 'boolean') {
      opt = options[name.slice(3)];
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
  if (out.positionals.length > 0 && spec.positionals === undefined) {
    throw new UsageError(`unexpected argument${out.positionals.length > 1 ? 's' : ''} ${out.positionals.map((p) => `'${p}'`).join(' ')}: '${spec.name}' takes options only ${see}`);
  }
  for (const [name, opt] of Object.entries(options)) {
    const key = camel(name);
    if (out[key] === undefined) {
      if (opt.required) throw new UsageError(`missing required option --${name} ${see}`);
      if (opt.default !== undefined) out[key] = opt.default;
    }
  }
  return out;
}

/** The --help text of a command. */
export function helpText(spec: CommandSpec): string {
  const usage = `Usage: spindiff ${spec.name} [options]${spec.positionals ? ` ${spec.positionals}` : ''}`;
  const lines = [`spindiff ${spec.name} — ${spec.summary}`, '', usage, '', 'Options:'];
  const options = allOptions(spec);
  const rows = Object.entries(options).map(([name, o]) => {
    const meta = o.type === 'boolean' ? '' : ` ${o.meta ?? (o.choices ? o.choices.join('|') : o.type.toUpperCase())}`;
    const extra = o.required ? ' (required)' : o.default !== undefined ? ` (default: ${String(o.default)})` : '';
    const short = o.short ?? (name.length === 1 ? name : undefined);
    return [`  ${short && name.length > 1 ? `-${short}, ` : ''}--${name}${meta}`, `${o.help}${extra}`] as const;
  });
  rows.push(['  -h, --help', 'show this help']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [l, r] of rows) lines.push(l.padEnd(width) + r);
  if (spec.examples?.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  return lines.join('\n');
}
