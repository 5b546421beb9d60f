/** The spindiff command line: dispatch to one command module, turn errors into one clear line. */
import { helpText, parseArgs, UsageError } from './args.js';
import type { CliContext, Command } from './context.js';
import { commands } from './commands/index.js';
import { exitCodeFor } from '../util/errors.js';
import { enableWasmLanes } from '../ising/blocked-wasm.js';
import { errnoReason } from '../io/atomic.js';

export const VERSION = '0.1.0';

export function topHelp(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length)) + 2;
  const lines = [
    'spindiff — inverse Ising inference with diffusion-model data augmentation', '',
    'Usage: spindiff <command> [options]   (spindiff help <command>, or spindiff <command> --help, for its options)', '',
    'Commands:',
  ];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(width)}${c.summary}`);
  lines.push('', 'Every command: -q/--quiet (no progress on stderr), --json where a summary is printed, `-` for standard input/output.',
    'Exit status: 0 done, 1 error, 2 usage error, 130 interrupted (Ctrl-C).', '', 'spindiff -v/--version prints the version.');
  return lines.join('\n');
}

/** The line printed for an error (without the 'spindiff <cmd>: ' prefix). */
function describe(e: unknown): string {
  // By name: importing the class would load the diffusion code for every command.
  if ((e as Error)?.name === 'TrainingDivergedError') {
    return `${(e as Error).message} — e.g. --lr ten times smaller, --clip 1 (gradient clipping); nothing more written`;
  }
  if (e instanceof RangeError && /array length|string length|Array buffer allocation|allocation failed/i.test(e.message)) {
    return `out of memory for this size (${e.message}); use fewer samples or spins`;
  }
  // A system error that no reader or writer translated: the file and the reason in words.
  const sys = e as NodeJS.ErrnoException;
  if (sys?.code && sys.syscall) {
    const what = sys.syscall === 'mkdir' ? 'cannot create the folder' : sys.syscall === 'open' || sys.syscall === 'read' ? 'cannot read' : `cannot ${sys.syscall}`;
    return `${what} ${sys.path ?? ''}: ${errnoReason(sys)}`.replace(' :', ':');
  }
  return (e as Error)?.message ?? String(e);
}

/**
 * Run the CLI on argv (without node and script). Returns the exit code (0 done, 1 error, 2 usage
 * error, 130 interrupted); never calls process.exit.
 */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  enableWasmLanes(); // the erasure machine's WebAssembly SIMD passes (the same results as without)
  const [first, ...rest] = argv;
  if (first === undefined) {
    ctx.stderr(topHelp() + '\n');
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const which = first === 'help' ? rest[0] : undefined;
    if (which === undefined) {
      ctx.stdout(topHelp() + '\n');
      return 0;
    }
    const entry = commands[which];
    if (!entry) {
      ctx.stderr(`spindiff help: unknown command '${which}' (commands: ${Object.keys(commands).join(', ')})\n`);
      return 2;
    }
    ctx.stdout(helpText((await entry.load()).spec) + '\n');
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    ctx.stdout(`spindiff ${VERSION}\n`);
    return 0;
  }
  const name = first;
  const entry = commands[name];
  if (!entry) {
    ctx.stderr(`spindiff: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')}; spindiff --help)\n`);
    return 2;
  }
  let cmd: Command;
  try {
    cmd = await entry.load();
  } catch (e) {
    ctx.stderr(`spindiff ${name}: failed to load: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const args = parseArgs(cmd.spec, rest);
    if (args.help) {
      ctx.stdout(helpText(cmd.spec) + '\n');
      return 0;
    }
    // --quiet: the command's stderr (progress, notes) is dropped; errors below still print.
    const run: CliContext = args['quiet'] ? { ...ctx, stderr: () => {}, quiet: true } : ctx;
    return await cmd.run(args, run);
  } catch (e) {
    if (ctx.signal.aborted && !(e instanceof UsageError)) {
      ctx.stderr(`spindiff ${name}: interrupted; no output written\n`);
      return 130;
    }
    ctx.stderr(`spindiff ${name}: ${describe(e)}\n`);
    if (typeof process !== 'undefined' && process.env['SPINDIFF_DEBUG']) ctx.stderr(`${(e as Error)?.stack}\n`);
    return exitCodeFor(e);
  }
}
