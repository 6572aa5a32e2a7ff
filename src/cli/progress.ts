// Progress of a long CLI job: a redrawn bar with rate and ETA on a terminal, plain lines every few
// seconds otherwise (logs and CI keep readable output). Written to stderr so stdout stays data.
export interface ProgressSnapshot {
  /** Items done (resources). */
  done: number;
  /** Work done and total work in the unit ETA is measured in (bytes of input), when known. */
  work?: number;
  totalWork?: number;
}

const BAR_WIDTH = 28;
const PLAIN_INTERVAL_MS = 5000;
const TTY_INTERVAL_MS = 200;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  /** Called as often as convenient; draws at most every 200 ms (TTY) or 5 s (plain). */
  update(s: ProgressSnapshot, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < (this.tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS)) return;
    this.lastDraw = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? s.done / elapsed : 0;
    const fraction = s.totalWork && s.work !== undefined ? Math.min(1, s.work / s.totalWork) : undefined;
    const eta = fraction && fraction > 0 ? (elapsed / fraction) * (1 - fraction) : NaN;
    const counts = `${s.done.toLocaleString('en')} resources, ${Math.round(rate).toLocaleString('en')}/s`;
    if (this.tty) {
      const filled = fraction === undefined ? 0 : Math.round(fraction * BAR_WIDTH);
      const bar = fraction === undefined ? '' : `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}% `;
      this.out.write(`\r\x1b[2K${this.label} ${bar}${counts}, ETA ${duration(eta)}`);
    } else {
      const pct = fraction === undefined ? '' : ` (${Math.floor(fraction * 100)}%, ETA ${duration(eta)})`;
      this.out.write(`${this.label}: ${counts}${pct}\n`);
    }
  }

  /** Final draw; ends the bar's line on a terminal. */
  finish(s: ProgressSnapshot): void {
    this.update(s, true);
    if (this.tty) this.out.write('\n');
  }
}
