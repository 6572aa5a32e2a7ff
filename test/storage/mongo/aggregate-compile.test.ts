// Golden test: the aggregation pipeline after `$match` (storage/mongo/aggregate.ts), pure.
import { groupStages } from '../../../src/storage/mongo/aggregate';

it('unwinds one kind, keeps the parameter, and counts each resource once per group (reading both MongoDB and FerretDB 1.x element places)', () => {
  expect(groupStages({ resourceTypes: ['Patient'], where: [], groupBy: { param: '_tag', kind: 'token' }, limit: 5 })).toEqual([
    { $project: { 'ix.token': 1 } },
    { $unwind: '$ix.token' },
    { $match: { $or: [{ 'ix.token.p': '_tag', 'ix.token.c': { $exists: true } }, { 'token.p': '_tag', 'token.c': { $exists: true } }] } },
    { $group: { _id: { r: '$_id', a0: '$ix.token.s', a1: '$ix.token.c', b0: '$token.s', b1: '$token.c' } } },
    { $group: { _id: { a0: '$_id.a0', a1: '$_id.a1', b0: '$_id.b0', b1: '$_id.b1' }, n: { $sum: 1 } } },
    { $sort: { n: -1, '_id.a0': 1, '_id.a1': 1, '_id.b0': 1, '_id.b1': 1 } },
    { $limit: 5 },
  ]);
});
