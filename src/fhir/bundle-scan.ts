// Reads the entries of a large definitions Bundle (the R4 profiles-resources.json is 35 MB) one
// at a time, without parsing the whole file, so a caller that needs a few resources near its
// start (the 46 OperationDefinitions sit in its first 1.4 MB) can stop reading early. Parsing the
// whole file costs ~450 ms, about the server's whole start-up budget.
import fs from 'node:fs';

const CHUNK = 256 * 1024;

/** The answer of a visitor: keep reading, or stop here. */
export type ScanDecision = 'continue' | 'stop';

/**
 * Calls `visit` with each `entry[i].resource` of the Bundle in `file`, in order, until it answers
 * 'stop' or the entries end. Each resource is parsed on its own with JSON.parse.
 */
export function scanBundleEntries(file: string, visit: (resource: Record<string, unknown>) => ScanDecision, chunkSize = CHUNK): void {
  const fd = fs.openSync(file, 'r');
  try {
    const scanner = new EntryScanner((text) => {
      const entry = JSON.parse(text) as { resource?: Record<string, unknown> };
      return entry.resource ? visit(entry.resource) : 'continue';
    });
    const buffer = Buffer.alloc(chunkSize);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, chunkSize, null);
      if (n === 0) return;
      if (scanner.feed(buffer.toString('latin1', 0, n)) === 'stop') return;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Finds the elements of the top-level `entry` array by tracking JSON structure (strings, escapes,
 * nesting). Works on latin1 text so a chunk boundary never splits a character; element texts are
 * decoded as UTF-8 before parsing.
 */
class EntryScanner {
  private depth = 0;
  private inString = false;
  /** Depth of the `entry` array's elements once found (2: inside Bundle object and array). */
  private inEntries = false;
  private keyStart = 0;
  private keyPrefix = '';
  private skipNext = false;
  private collecting = false;
  private collected: string[] = [];
  private start = 0;
  private lastKey = '';

  constructor(private readonly onEntry: (text: string) => ScanDecision) {}

  feed(chunk: string): ScanDecision {
    this.start = 0;
    this.keyStart = 0;
    // Jump from one structural character to the next: the regex engine skips string contents and
    // whitespace far faster than a character loop.
    const structural = /["\\{}[\]]/g;
    if (this.skipNext) {
      structural.lastIndex = 1;
      this.skipNext = false;
    }
    for (let m = structural.exec(chunk); m; m = structural.exec(chunk)) {
      const i = m.index;
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (c === 0x5c) {
          // A backslash escapes the next character, which may be the first of the next chunk.
          if (i + 1 < chunk.length) structural.lastIndex = i + 2;
          else this.skipNext = true;
          continue;
        }
        if (c === 0x22) {
          this.inString = false;
          if (!this.collecting && this.depth === 1) this.lastKey = this.keyPrefix + chunk.slice(this.keyStart, i);
        }
        continue;
      }
      switch (c) {
        case 0x22: // "
          this.inString = true;
          this.keyStart = i + 1;
          this.keyPrefix = '';
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.depth++;
          if (c === 0x5b && this.depth === 2 && this.lastKey === 'entry') this.inEntries = true;
          else if (c === 0x7b && this.inEntries && this.depth === 3) {
            this.collecting = true;
            this.collected = [];
            this.start = i;
          }
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.collecting && this.depth === 3 && c === 0x7d) {
            this.collected.push(chunk.slice(this.start, i + 1));
            this.collecting = false;
            const text = Buffer.from(this.collected.join(''), 'latin1').toString('utf8');
            this.collected = [];
            this.depth--;
            if (this.onEntry(text) === 'stop') return 'stop';
            continue;
          }
          if (c === 0x5d && this.inEntries && this.depth === 2) this.inEntries = false;
          this.depth--;
          break;
        default:
          break;
      }
    }
    if (this.collecting) this.collected.push(chunk.slice(this.start));
    else if (this.inString && this.depth === 1) this.keyPrefix += chunk.slice(this.keyStart);
    return 'continue';
  }
}
