/**
 * Progress on stderr. On a terminal: a bar redrawn in place (`\r`) at most ~10 times a second.
 * Elsewhere (a log file, Slurm, nohup): a plain line every few seconds, never `\r` frames, so a
 * long run shows it is alive. Either way it costs nothing in hot loops.
 */
export interface ProgressOptions {
  total: number;
  label: string;
  write: (s: string) => void;
  enabled: boolean;
  /** 'bar' (default) redraws one line; 'lines' prints a new line every `everyMs`. */
  mode?: 'bar' | 'lines';
  /** Interval of 'lines' mode (default 5 s). */
  everyMs?: number;
  /** Width of the bar in characters. */
  width?: number;
}

/** Seconds as '42s', '3m05s' or '1h02m'. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private lines = 0;
  private readonly start = Date.now();
  private extra = '';
  constructor(private readonly o: ProgressOptions) {
    this.lastDraw = this.start;
  }

  /** Advance by `by` steps; `extra` replaces the trailing text (e.g. "loss 0.31"). */
  tick(by = 1, extra?: string): void {
    this.done += by;
    if (extra !== undefined) this.extra = extra;
    if (!this.o.enabled) return;
    const now = Date.now();
    if (this.o.mode === 'lines') {
      if (now - this.lastDraw >= (this.o.everyMs ?? 5000)) {
        this.lastDraw = now;
        this.line(now);
      }
    } else if (now - this.lastDraw > 100 || this.done >= this.o.total) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  private stats(now: number): { frac: number; rate: string; eta: string } {
    const { total } = this.o;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (total - this.done) / rate : NaN;
    return { frac, rate: rate >= 100 ? rate.toFixed(0) : rate.toFixed(1), eta: formatSeconds(eta) };
  }

  private line(now: number): void {
    const { frac, rate, eta } = this.stats(now);
    this.lines++;
    this.o.write(`${this.o.label}: ${this.done}/${this.o.total} (${(100 * frac).toFixed(0)}%), ${rate}/s, eta ${eta}${this.extra ? `, ${this.extra}` : ''}\n`);
  }

  private draw(now: number): void {
    const width = this.o.width ?? 24;
    const { frac, rate, eta } = this.stats(now);
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.o.write(`\r${this.o.label} ${bar} ${this.done}/${this.o.total} ${rate}/s eta ${eta} ${this.extra}\x1b[K`);
  }

  /** Finish: end the bar's line, or (lines mode, when any line was printed) say it is done. */
  end(): void {
    if (!this.o.enabled) return;
    if (this.o.mode === 'lines') {
      if (this.lines > 0) this.o.write(`${this.o.label}: ${this.done}/${this.o.total} done in ${formatSeconds((Date.now() - this.start) / 1000)}\n`);
      return;
    }
    this.draw(Date.now());
    this.o.write('\n');
  }
}
