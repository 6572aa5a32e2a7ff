// The SQLite engine as the search suites use it: a fresh real engine on a temp file. (It used to
// fall back to a stand-in while the engine's index seam was a placeholder; the engine now writes
// and searches through SqliteSearchIndex itself.)
import path from 'node:path';
import type { Engine } from '../../src/storage/engine';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../support/engines';

export async function makeSqliteSearchEngine(): Promise<Engine> {
  return new SqliteEngine({ file: path.join(tempDir('nimbus-search-'), 'nimbus.sqlite') });
}
