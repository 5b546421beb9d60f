/** What a command may touch of the outside world: injected so commands run in tests in-process. */
export interface CliContext {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal: progress is a redrawn bar there, plain lines every few seconds elsewhere. */
  isTTY: boolean;
  /** Working directory against which relative paths are resolved. */
  cwd: string;
  /**
   * Progress lines every few seconds when stderr is not a terminal (logs, Slurm): set by the
   * process entry; in-process callers (tests) leave it unset and get no progress unless --progress.
   */
  progressLines?: boolean;
  /** --quiet: stderr is a no-op and no progress is drawn. */
  quiet?: boolean;
  /** Set when the user pressed Ctrl-C: long loops check it and stop cleanly. */
  signal: { aborted: boolean };
}

/** A command: its spec (options, help) and its run function. Returns the exit code. */
export interface Command {
  spec: import('./args.js').CommandSpec;
  run(args: import('./args.js').ParsedArgs & { positionals: string[] }, ctx: CliContext): Promise<number>;
}
