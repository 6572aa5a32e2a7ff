// The audit trail's queue on its own: batches of at most batchSize, everything written on close
// (graceful shutdown), a failed batch kept and written on the next flush, and a bounded queue
// that drops the oldest records when the database does not keep up.
import type { AuditEvent } from '@medplum/fhirtypes';
import pino from 'pino';
import type { AccessRecord } from '../../src/audit/audit-event';
import { AuditTrail } from '../../src/audit/audit-trail';

const access = (n: number): AccessRecord => ({
  interaction: 'read',
  status: 200,
  caller: { kind: 'client', clientId: 'app' },
  resources: [`Observation/o${n}`],
  patients: [],
  recorded: '2026-01-01T00:00:00.000Z',
  requestId: `r${n}`,
});

describe('AuditTrail', () => {
  it('writes in batches and flushes everything on close', async () => {
    const batches: AuditEvent[][] = [];
    const trail = new AuditTrail({ logger: pino({ level: 'silent' }), batchSize: 200, write: async (events) => void batches.push(events) });
    for (let i = 0; i < 450; i++) trail.record(access(i));
    expect(batches).toEqual([]); // nothing on the request path
    await trail.close();
    expect(batches.map((b) => b.length)).toEqual([200, 200, 50]);
    expect(batches[2][49].entity?.[0].what?.reference).toBe('Observation/o449');
    expect(trail.pending).toBe(0);
  });

  it('keeps a batch whose write failed and writes it on the next flush', async () => {
    let failNext = true;
    const written: AuditEvent[] = [];
    const trail = new AuditTrail({
      logger: pino({ level: 'silent' }),
      write: async (events) => {
        if (failNext) {
          failNext = false;
          throw new Error('database away');
        }
        written.push(...events);
      },
    });
    trail.record(access(1));
    await trail.flush();
    expect([written.length, trail.pending]).toEqual([0, 1]);
    await trail.flush();
    expect([written.length, trail.pending]).toEqual([1, 0]);
  });

  it('drops the oldest records beyond maxQueued', async () => {
    const written: AuditEvent[] = [];
    const trail = new AuditTrail({ logger: pino({ level: 'silent' }), maxQueued: 3, write: async (events) => void written.push(...events) });
    for (let i = 0; i < 5; i++) trail.record(access(i));
    await trail.close();
    expect(written.map((e) => e.entity?.[0].what?.reference)).toEqual(['Observation/o2', 'Observation/o3', 'Observation/o4']);
  });
});
