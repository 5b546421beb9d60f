/**
 * A progress bar on stderr. Drawn only when stderr is a TTY (or when forced), redrawn at most
 * ~10 times a second, so it costs nothing in hot loops.
 */
export interface ProgressOptions {
  total: number;
  label: string;
  write: (s: string) => void;
  enabled: boolean;
  /** Extra text after the bar, e.g. the current loss. */
  width?: number;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly start = Date.now();
  private extra = '';
  constructor(private readonly o: ProgressOptions) {}

  /** Advance by `by` steps; `extra` replaces the trailing text (e.g. "loss 0.31"). */
  tick(by = 1, extra?: string): void {
    this.done += by;
    if (extra !== undefined) this.extra = extra;
    const now = Date.now();
    if (this.o.enabled && (now - this.lastDraw > 100 || this.done >= this.o.total)) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  private draw(now: number): void {
    const { total, label } = this.o;
    const width = this.o.width ?? 24;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const filled = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const eta = rate > 0 ? (total - this.done) / rate : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const rateStr = rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
    this.o.write(`\r${label} ${bar} ${this.done}/${total} ${rateStr}/s eta ${eta.toFixed(0)}s ${this.extra}\x1b[K`);
  }

  /** Finish the line. */
  end(): void {
    if (this.o.enabled) {
      this.draw(Date.now());
      this.o.write('\n');
    }
  }
}
