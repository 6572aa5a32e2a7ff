// The engine-neutral search conformance suite (test/engine/search.conformance.ts, owned by the
// search work) on the MongoDB engine: the same SearchPlans must give the same answers.
import { describeSearchConformance } from '../../engine/search.conformance';
import { makeMongoTestEngine } from '../../support/mongo-engine-factory';

const uri = process.env.MONGODB_URI;
if (uri) {
  describeSearchConformance('mongodb', () => makeMongoTestEngine(uri));
} else {
  // eslint-disable-next-line no-console
  console.log('[engine mongodb] search conformance: SKIPPED — MONGODB_URI is not set');
  describe.skip('search conformance [mongodb] (skipped: MONGODB_URI is not set)', () => {
    it('is skipped', () => undefined);
  });
}
