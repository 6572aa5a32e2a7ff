// Parameter ids (search_param) created inside a transaction that rolls back must not stay cached:
// SQLite hands the same pid out again, and a stale entry would file rows under the wrong parameter.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../../../../src/storage/sqlite/migrations';
import { ParamIds } from '../../../../src/storage/sqlite/search/param-ids';

function open(): Database.Database {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-pids-'));
  const db = new Database(path.join(dir, 'db.sqlite'));
  migrate(db);
  return db;
}

describe('ParamIds', () => {
  it('forgets ids of a rolled-back transaction and keeps committed ones', () => {
    const db = open();
    const ids = new ParamIds(db);
    db.exec('BEGIN');
    const code = ids.id('Observation', 'code', 'token');
    db.exec('COMMIT');
    ids.commit();

    db.exec('BEGIN');
    const lost = ids.id('Observation', 'status', 'token');
    db.exec('ROLLBACK');
    ids.rollback();

    db.exec('BEGIN');
    const subject = ids.id('Observation', 'subject', 'reference'); // reuses the rolled-back pid number
    const status = ids.id('Observation', 'status', 'token');
    db.exec('COMMIT');
    ids.commit();

    expect(subject).toBe(lost);
    expect(status).not.toBe(subject);
    expect(ids.id('Observation', 'code', 'token')).toBe(code);
    const rows = db.prepare('SELECT pid, type, code, kind FROM search_param ORDER BY pid').all();
    expect(rows).toEqual([
      { pid: code, type: 'Observation', code: 'code', kind: 'token' },
      { pid: subject, type: 'Observation', code: 'subject', kind: 'reference' },
      { pid: status, type: 'Observation', code: 'status', kind: 'token' },
    ]);
    db.close();
  });

  it('the same code on two types gets two ids', () => {
    const db = open();
    const ids = new ParamIds(db);
    expect(ids.id('Observation', 'code', 'token')).not.toBe(ids.id('Condition', 'code', 'token'));
    db.close();
  });
});
