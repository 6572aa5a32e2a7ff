/**
 * Seeded pseudo-random numbers for the generator. Every patient gets its own stream derived from
 * (seed, stream name, index), so a patient's record does not depend on how many random numbers the
 * patients before it consumed — that keeps output stable when one module changes how much it draws.
 */

/** 32-bit string/number mixing (FNV-1a then a murmur3 finaliser) used only to derive stream keys. */
function mix(h: number, value: number): number {
  h ^= value >>> 0;
  h = Math.imul(h, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashKey(parts: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    if (typeof part === 'number') {
      h = mix(h, part);
      h = mix(h, Math.floor(part / 0x100000000));
    } else {
      for (let i = 0; i < part.length; i++) h = mix(h, part.charCodeAt(i));
      h = mix(h, 0xff); // separator so ('ab','c') and ('a','bc') differ
    }
  }
  return h;
}

/** sfc32: small, fast, passes PractRand for far more numbers than one patient needs. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...key: Array<string | number>) {
    const h = hashKey(key);
    this.a = h;
    this.b = mix(h, 0x9e3779b9);
    this.c = mix(this.b, 0x7f4a7c15);
    this.d = 1;
    // Discard the first outputs: sfc32 needs a few rounds to decorrelate from similar seeds.
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  uniform(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks by relative weight; weights need not sum to 1. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i];
      if (r < 0) return items[i];
    }
    return items[items.length - 1];
  }

  /** Normal deviate (Box–Muller); one value per call keeps the stream easy to reason about. */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson count for small rates (Knuth), enough for visit counts per year. */
  poisson(rate: number): number {
    const limit = Math.exp(-rate);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Random UUID in version-4 layout, drawn from this stream so it is reproducible. */
  uuid(): string {
    const hex: string[] = [];
    for (let i = 0; i < 4; i++) hex.push(((this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0'));
    const s = hex.join('');
    const variant = ((parseInt(s[16], 16) & 0x3) | 0x8).toString(16);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }
}
