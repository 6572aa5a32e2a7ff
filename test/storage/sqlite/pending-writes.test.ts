// PendingWrites: what a transaction reads before the writer thread's commit is acknowledged.
import { PendingWrites } from '../../../src/storage/sqlite/pending-writes';
import { deletion, version } from '../../engine/versions';

it('answers the newest pending version, a rolled-back transaction restores the one before', () => {
  const p = new PendingWrites();
  p.beginTransaction();
  p.put(1, version('Patient', 'a', 1, 1));
  p.beginTransaction();
  p.put(1, version('Patient', 'a', 2, 2));
  p.put(1, version('Patient', 'b', 1, 2));
  expect(p.get('Patient', 'a')?.versionId).toBe(2);
  p.rollBackTransaction();
  expect(p.get('Patient', 'a')?.versionId).toBe(1);
  expect(p.get('Patient', 'b')).toBeUndefined();
  p.beginTransaction();
  p.put(1, deletion('Patient', 'a', 2, 3));
  expect(p.get('Patient', 'a')).toMatchObject({ versionId: 2, deleted: true });
  expect(p.get('Patient', 'a')).not.toHaveProperty('index');
});

it('forgets a group once its commit is acknowledged, but not a later group that rewrote a resource', () => {
  const p = new PendingWrites();
  p.put(1, version('Patient', 'a', 1, 1));
  p.put(1, version('Patient', 'b', 1, 1));
  p.put(2, version('Patient', 'a', 2, 2));
  p.committed(1);
  expect(p.get('Patient', 'b')).toBeUndefined();
  expect(p.get('Patient', 'a')?.versionId).toBe(2);
  p.committed(2);
  expect(p.size).toBe(0);
});

it('hides every write of failed groups, also ones written into them after the failure was seen', () => {
  const p = new PendingWrites();
  p.put(1, version('Patient', 'a', 1, 1));
  p.put(2, version('Patient', 'a', 2, 2));
  p.put(3, version('Patient', 'c', 1, 2));
  p.failed(2);
  expect(p.get('Patient', 'a')).toBeUndefined();
  expect(p.get('Patient', 'c')?.versionId).toBe(1);
  // Group 2 was still being prepared: what it writes now is invisible, and a rollback inside it
  // does not bring back a failed group's version.
  p.beginTransaction();
  p.put(2, version('Patient', 'd', 1, 3));
  expect(p.get('Patient', 'd')).toBeUndefined();
  p.rollBackTransaction();
  p.failed(2);
  expect(p.size).toBe(1);
});
