// Server-assigned logical ids: UUID version 7 (RFC 9562), a 48-bit Unix-millisecond timestamp
// followed by 74 random bits.
//
// Why not random (v4) UUIDs: every id lands in the (type, id) unique index of the store, and in
// the reference index of every resource that points at it. Random ids put each insert on a
// different B-tree page, so an ingest of N resources dirtied ~N index pages per commit; ids that
// grow with time append to the right edge of the index instead, a handful of pages per commit.
// They still never collide across server processes (74 random bits per millisecond), and the time
// they reveal is the resource's creation instant, which meta.lastUpdated of version 1 shows anyway.
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Random bytes drawn in blocks: one getrandom call per 256 ids instead of one per id. */
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;

// Within one millisecond, ids stay increasing: the 12 bits after the version are a counter that
// starts at a random value each millisecond (RFC 9562 §6.2, method 1), so a burst of creates is
// appended in order rather than scattered within the millisecond's range.
let lastMs = -1;
let counter = 0;

export function uuidV7(nowMs: number = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = ((b[6] & 0x07) << 8) | b[7]; // top bit left clear: room to count up
  } else {
    // Same millisecond (or the clock stepped back): keep the previous timestamp and count up; on
    // overflow borrow the next millisecond, as the RFC allows.
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  // 48-bit big-endian timestamp; split because bit operators work on 32 bits.
  const hi = Math.floor(ms / 2 ** 16);
  const lo = ms % 2 ** 16;
  b[0] = (hi >>> 24) & 0xff;
  b[1] = (hi >>> 16) & 0xff;
  b[2] = (hi >>> 8) & 0xff;
  b[3] = hi & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  b[6] = 0x70 | (counter >>> 8); // version 7
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f); // RFC 9562 variant
  return (
    HEX[b[0]] + HEX[b[1]] + HEX[b[2]] + HEX[b[3]] + '-' + HEX[b[4]] + HEX[b[5]] + '-' + HEX[b[6]] + HEX[b[7]] + '-' +
    HEX[b[8]] + HEX[b[9]] + '-' + HEX[b[10]] + HEX[b[11]] + HEX[b[12]] + HEX[b[13]] + HEX[b[14]] + HEX[b[15]]
  );
}
