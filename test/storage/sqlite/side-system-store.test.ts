// The CLI's SystemStore beside a running SQLite engine (side-system-store.ts): it keeps the
// SystemStore contract (CAS by rev, expiry, listing), and the engine and the side connection see
// each other's commits, so a compare-and-set decided on either side respects the other's writes.
import path from 'node:path';
import { SideSystemStore } from '../../../src/storage/sqlite/side-system-store';
import { SqliteEngine } from '../../../src/storage/sqlite/sqlite-engine';
import { DatabaseInUseError } from '../../../src/storage/sqlite/process-lock';
import { tempDir } from '../../support/engines';

describe('SQLite SystemStore beside a running engine', () => {
  let engine: SqliteEngine;
  let side: SideSystemStore;
  let file: string;
  beforeAll(() => {
    file = path.join(tempDir(), 'nimbus.sqlite');
    engine = new SqliteEngine({ file });
    side = new SideSystemStore(file);
  });
  afterAll(async () => {
    side?.close();
    await engine?.close();
  });

  it('is needed: the engine holds the data directory lock', () => {
    expect(() => new SqliteEngine({ file })).toThrow(DatabaseInUseError);
  });

  it('keeps the compare-and-set contract', async () => {
    expect(await side.insert('oauth-client', 'a', { n: 1 })).toBe(true);
    expect(await side.insert('oauth-client', 'a', { n: 2 })).toBe(false);
    expect(await side.replace('oauth-client', 'a', { n: 2 }, 2)).toBe(false);
    expect(await side.replace('oauth-client', 'a', { n: 2 }, 1)).toBe(true);
    expect(await side.get('oauth-client', 'a')).toEqual({ key: 'a', rev: 2, value: { n: 2 } });
    expect(await side.delete('oauth-client', 'a', 1)).toBe(false);
    expect(await side.delete('oauth-client', 'a', 2)).toBe(true);
    expect(await side.get('oauth-client', 'a')).toBeUndefined();
    // An expired document is absent, and a new insert starts over at rev 1.
    expect(await side.insert('launch-context', 'l', 1, { expiresAt: '2000-01-01T00:00:00.000Z' })).toBe(true);
    expect(await side.get('launch-context', 'l')).toBeUndefined();
    expect(await side.insert('launch-context', 'l', 2)).toBe(true);
    expect(await side.get('launch-context', 'l')).toEqual({ key: 'l', rev: 1, value: 2 });
    await side.insert('auth-user', 'b', 'B');
    await side.insert('auth-user', 'a', 'A');
    await side.insert('auth-user', 'c', 'C', { expiresAt: '2000-01-01T00:00:00.000Z' });
    expect((await side.list('auth-user', { limit: 10 })).map((d) => d.key)).toEqual(['a', 'b']);
  });

  it('sees the engine’s commits and the engine sees its commits, CAS included', async () => {
    expect(await engine.system.insert('signing-key', 'k', { by: 'server' })).toBe(true);
    expect(await side.get('signing-key', 'k')).toMatchObject({ rev: 1, value: { by: 'server' } });
    expect(await side.insert('signing-key', 'k', { by: 'cli' })).toBe(false);
    expect(await side.replace('signing-key', 'k', { by: 'cli' }, 1)).toBe(true);
    // The engine's view follows: its stale rev loses, the current one wins.
    expect(await engine.system.replace('signing-key', 'k', { by: 'server again' }, 1)).toBe(false);
    expect(await engine.system.get('signing-key', 'k')).toMatchObject({ rev: 2, value: { by: 'cli' } });
    expect(await engine.system.replace('signing-key', 'k', { by: 'server again' }, 2)).toBe(true);
    expect(await side.get('signing-key', 'k')).toMatchObject({ rev: 3, value: { by: 'server again' } });
    expect(await side.delete('signing-key', 'k', 3)).toBe(true);
    expect(await engine.system.get('signing-key', 'k')).toBeUndefined();
  });

  it('refuses a database the server has not created yet', () => {
    expect(() => new SideSystemStore(path.join(tempDir(), 'missing.sqlite'))).toThrow();
  });
});
