/**
 * A seeded pseudo-random generator (mulberry32). Every random choice of the reliability suite (kill
 * moments, hostile requests) comes from one of these, so a failure reproduces from the printed seed.
 * Not for anything secret: it is predictable by design.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  uniform(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** `length` characters drawn from `alphabet` (by UTF-16 code unit, so keep alphabets in the BMP). */
  text(length: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  hex(length: number): string {
    return this.text(length, '0123456789abcdef');
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

/** A seed from the environment (RELIABILITY_SEED) or the clock, printed by the runner so a run can be repeated. */
export function chooseSeed(fromEnv: string | undefined = process.env.RELIABILITY_SEED): number {
  const parsed = fromEnv === undefined ? Number.NaN : Number(fromEnv);
  return Number.isInteger(parsed) ? parsed >>> 0 : Date.now() >>> 0;
}
