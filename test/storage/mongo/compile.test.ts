// Golden tests of SearchPlan → MongoDB filter: the exact query documents each predicate becomes,
// with `$elemMatch` (MongoDB) and with the positional expansion (FerretDB 1.x). Pure: no server.
import { compilePredicate, compileSearch, literalRegex, NOTHING, type CompileOptions } from '../../../src/storage/mongo/search/compile';
import { afterPosition, sortDocument, sortFields } from '../../../src/storage/mongo/search/paging';
import { detectCapabilities } from '../../../src/storage/mongo/connection';
import { lockIndexes, resourceIndexes, systemIndexes, VERSION_INDEXES } from '../../../src/storage/mongo/layout';

const mongo: CompileOptions = { entries: { mode: 'elemMatch' } };
const ferret: CompileOptions = { entries: { mode: 'positions', arity: { token: 2, date: 1 } } };

describe('plan → MongoDB filter', () => {
  it('scopes a search to live resources of its types', () => {
    expect(compileSearch(['Patient'], [], mongo)).toEqual({ $and: [{ d: false }, { t: 'Patient' }] });
    expect(compileSearch(['Patient', 'Group'], [], mongo)).toEqual({ $and: [{ d: false }, { t: { $in: ['Patient', 'Group'] } }] });
    expect(compileSearch([], [], mongo)).toEqual({ d: false });
  });

  it('binds the fields of one token entry with $elemMatch', () => {
    expect(compilePredicate({ kind: 'token', param: 'code', system: 'http://loinc.org', code: '1234-5' }, mongo)).toEqual({
      'ix.token': { $elemMatch: { p: 'code', s: 'http://loinc.org', c: '1234-5' } },
    });
    expect(compilePredicate({ kind: 'token', param: 'code', system: null, code: 'x' }, mongo)).toEqual({
      'ix.token': { $elemMatch: { p: 'code', s: { $exists: false }, c: 'x' } },
    });
    expect(compilePredicate({ kind: 'token', param: 'code', text: 'body w' }, mongo)).toEqual({
      'ix.token': { $elemMatch: { p: 'code', t: { $regex: '^body w' } } },
    });
  });

  it('answers codes of one token parameter and system as one entry condition with $in', () => {
    const or = { kind: 'or' as const, any: ['a', 'b', 'a'].map((code) => ({ kind: 'token' as const, param: 'match-key', system: 'urn:k', code })) };
    expect(compilePredicate(or, mongo)).toEqual({ 'ix.token': { $elemMatch: { p: 'match-key', s: 'urn:k', c: { $in: ['a', 'b'] } } } });
    expect(compilePredicate(or, ferret)).toEqual({
      $or: [
        { 'ix.token.0.p': 'match-key', 'ix.token.0.s': 'urn:k', 'ix.token.0.c': { $in: ['a', 'b'] } },
        { 'ix.token.1.p': 'match-key', 'ix.token.1.s': 'urn:k', 'ix.token.1.c': { $in: ['a', 'b'] } },
      ],
    });
    // Other systems, a missing system or other parameters keep the plain $or.
    const mixed = { kind: 'or' as const, any: [{ kind: 'token' as const, param: 'code', system: 'urn:a', code: 'x' }, { kind: 'token' as const, param: 'code', system: 'urn:b', code: 'y' }] };
    expect(compilePredicate(mixed, mongo)).toEqual({ $or: [{ 'ix.token': { $elemMatch: { p: 'code', s: 'urn:a', c: 'x' } } }, { 'ix.token': { $elemMatch: { p: 'code', s: 'urn:b', c: 'y' } } }] });
  });

  it('expands an entry predicate over array positions where $elemMatch is missing (FerretDB)', () => {
    expect(compilePredicate({ kind: 'token', param: 'code', code: 'x' }, ferret)).toEqual({
      $or: [
        { 'ix.token.0.p': 'code', 'ix.token.0.c': 'x' },
        { 'ix.token.1.p': 'code', 'ix.token.1.c': 'x' },
      ],
    });
    expect(compilePredicate({ kind: 'range', valueKind: 'date', param: 'date', prefix: 'eq', low: 10, high: 20 }, ferret)).toEqual({
      'ix.date.0.p': 'date',
      'ix.date.0.lo': { $gte: 10 },
      'ix.date.0.hi': { $lte: 20 },
    });
    // No resource of the types ever had a string entry: nothing can match.
    expect(compilePredicate({ kind: 'string', param: 'name', match: 'exact', value: 'x' }, ferret)).toEqual(NOTHING);
  });

  it('compiles every range prefix from the plan table', () => {
    const range = (prefix: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap') =>
      (compilePredicate({ kind: 'range', valueKind: 'number', param: 'n', prefix, low: 1, high: 2 }, mongo)['ix.number'] as { $elemMatch: object }).$elemMatch;
    expect(range('eq')).toEqual({ p: 'n', lo: { $gte: 1 }, hi: { $lte: 2 } });
    expect(range('ne')).toEqual({ p: 'n', $or: [{ lo: { $lt: 1 } }, { hi: { $gt: 2 } }] });
    expect(range('gt')).toEqual({ p: 'n', hi: { $gt: 2 } });
    expect(range('lt')).toEqual({ p: 'n', lo: { $lt: 1 } });
    expect(range('ge')).toEqual({ p: 'n', $or: [{ hi: { $gt: 2 } }, { lo: { $gte: 1 }, hi: { $lte: 2 } }] });
    expect(range('le')).toEqual({ p: 'n', $or: [{ lo: { $lt: 1 } }, { lo: { $gte: 1 }, hi: { $lte: 2 } }] });
    expect(range('sa')).toEqual({ p: 'n', lo: { $gte: 2 } });
    expect(range('eb')).toEqual({ p: 'n', hi: { $lte: 1 } });
    expect(range('ap')).toEqual({ p: 'n', lo: { $lt: 2 }, hi: { $gt: 1 } });
  });

  it('matches a quantity unit against the code or the human unit, beside the prefix condition', () => {
    expect(compilePredicate({ kind: 'range', valueKind: 'quantity', param: 'v', prefix: 'ge', low: 1, high: 2, unit: 'mg' }, mongo)).toEqual({
      'ix.quantity': {
        $elemMatch: { p: 'v', $and: [{ $or: [{ hi: { $gt: 2 } }, { lo: { $gte: 1 }, hi: { $lte: 2 } }] }, { $or: [{ c: 'mg' }, { u: 'mg' }] }] },
      },
    });
  });

  it('keeps composite components on one entry', () => {
    expect(
      compilePredicate(
        {
          kind: 'composite',
          param: 'component-code-value-quantity',
          components: [
            { kind: 'token', param: 'c0', system: 'http://loinc.org', code: '8480-6' },
            { kind: 'range', valueKind: 'quantity', param: 'c1', prefix: 'gt', low: 100, high: 101 },
          ],
        },
        mongo,
      ),
    ).toEqual({
      'ix.composite': { $elemMatch: { p: 'component-code-value-quantity', 'c0.s': 'http://loinc.org', 'c0.c': '8480-6', 'c1.hi': { $gt: 101 } } },
    });
  });

  it('compiles logic, ids, :missing and resolved chains', () => {
    const code = { kind: 'token', param: 'code', code: 'a' } as const;
    expect(compilePredicate({ kind: 'not', predicate: code }, mongo)).toEqual({ $nor: [{ 'ix.token': { $elemMatch: { p: 'code', c: 'a' } } }] });
    expect(compilePredicate({ kind: 'or', any: [] }, mongo)).toEqual(NOTHING);
    expect(compilePredicate({ kind: 'id', ids: ['a', 'b'] }, mongo)).toEqual({ id: { $in: ['a', 'b'] } });
    expect(compilePredicate({ kind: 'missing', param: 'gender', valueKind: 'token', missing: true }, mongo)).toEqual({ $nor: [{ 'ix.token.p': 'gender' }] });
    expect(compilePredicate({ kind: 'missing', param: 'gender', valueKind: 'token', missing: false }, mongo)).toEqual({ 'ix.token.p': 'gender' });
    expect(compilePredicate({ kind: 'reference-targets', param: 'subject', targets: [{ type: 'Patient', ids: ['p1'] }] }, mongo)).toEqual({
      'ix.reference': { $elemMatch: { p: 'subject', t: 'Patient', i: { $in: ['p1'] } } },
    });
    expect(compilePredicate({ kind: 'keys', keys: ['Patient/p1'] }, mongo)).toEqual({ _id: { $in: ['Patient/p1'] } });
  });

  it('treats every search value as data: operators and regex syntax stay literal', () => {
    expect(compilePredicate({ kind: 'string', param: 'name', match: 'prefix', value: '.*$where(' }, mongo)).toEqual({
      'ix.string': { $elemMatch: { p: 'name', v: { $regex: '^\\.\\*\\$where\\(' } } },
    });
    expect(new RegExp('^' + literalRegex('a+b[c]')).test('a+b[c]d')).toBe(true);
    // An operator-looking value is compared as a string, never parsed as a query.
    expect(compilePredicate({ kind: 'token', param: 'code', code: '{"$ne":null}' }, mongo)).toEqual({
      'ix.token': { $elemMatch: { p: 'code', c: '{"$ne":null}' } },
    });
    expect(compilePredicate({ kind: 'uri', param: 'url', match: 'above', value: 'http://a/b' }, mongo)).toEqual({
      'ix.uri': { $elemMatch: { p: 'url', v: { $in: ['h', 'ht', 'htt', 'http', 'http:', 'http:/', 'http://', 'http://a', 'http://a/', 'http://a/b'] } } },
    });
  });
});

describe('sort and keyset paging', () => {
  it('sorts parameters on min/max after a presence flag, and ends with _id', () => {
    const fields = sortFields([
      { param: 'birthdate', descending: true },
      { param: '_lastUpdated', descending: false },
    ]);
    expect(sortDocument(fields)).toEqual({ 'so.birthdate.h': -1, 'so.birthdate.x': -1, lu: 1, _id: 1 });
    expect(sortDocument(fields, true)).toEqual({ 'so.birthdate.h': 1, 'so.birthdate.x': 1, lu: -1, _id: -1 });
  });

  it('continues strictly after the last position, missing values last', () => {
    const fields = sortFields([{ param: 'family', descending: false }]);
    expect(afterPosition(fields, [1, 'b', 'Patient/2'], false)).toEqual({
      $or: [
        // Past the resources that have a family: the ones without (h is null), which sort last.
        { $or: [{ 'so.family.h': { $lt: 1 } }, { 'so.family.h': null }] },
        { $and: [{ 'so.family.h': 1 }, { 'so.family.n': { $gt: 'b' } }] },
        { $and: [{ 'so.family.h': 1 }, { 'so.family.n': 'b' }, { _id: { $gt: 'Patient/2' } }] },
      ],
    });
  });
});

describe('capability detection', () => {
  it('recognises FerretDB, replica sets, mongos and standalone servers', () => {
    const ferret = detectCapabilities({ isWritablePrimary: true, maxWireVersion: 21 }, { version: '7.0.42', ferretdbVersion: 'v1.24.2' });
    expect(ferret).toMatchObject({ ferretdb: 'v1.24.2', transactions: false, elemMatchOnDocuments: false, partialIndexes: false, ttlIndexes: false, topology: 'standalone' });
    expect(detectCapabilities({ setName: 'rs0', maxWireVersion: 21 }, { version: '7.0.14' })).toMatchObject({ transactions: true, topology: 'replicaSet', elemMatchOnDocuments: true });
    expect(detectCapabilities({ msg: 'isdbgrid', maxWireVersion: 17 }, { version: '6.0.1' })).toMatchObject({ transactions: true, topology: 'sharded' });
    expect(detectCapabilities({ maxWireVersion: 21 }, { version: '7.0.14' })).toMatchObject({ transactions: false, topology: 'standalone', partialIndexes: true, ttlIndexes: true });
  });

  it('creates the index of the resources shard key on a sharded cluster only, and TTL indexes where the server has them', () => {
    const sharded = detectCapabilities({ msg: 'isdbgrid', maxWireVersion: 17 }, { version: '6.0.1' });
    const standalone = detectCapabilities({ maxWireVersion: 21 }, { version: '7.0.14' });
    const ferret = detectCapabilities({ maxWireVersion: 21 }, { version: '7.0.42', ferretdbVersion: 'v1.24.2' });
    expect(resourceIndexes(sharded).find((i) => i.name === 'shard_id_hashed')?.key).toEqual({ _id: 'hashed' });
    expect(resourceIndexes(standalone).find((i) => i.name === 'shard_id_hashed')).toBeUndefined();
    // `versions` is sharded on {t, id} (docs/scale-out.md): shardCollection needs an index with the
    // shard key as its prefix, which the unique {t, id, v} index is on every topology.
    const prefix = VERSION_INDEXES.find((i) => JSON.stringify(Object.keys(i.key).slice(0, 2)) === '["t","id"]');
    expect(prefix).toMatchObject({ name: 'type_id_version', unique: true });
    expect(systemIndexes(standalone)).toEqual([{ name: 'expiry', key: { exp: 1 }, expireAfterSeconds: 0 }]);
    expect(lockIndexes(standalone)).toEqual([{ name: 'claims_expiry', key: { gc: 1 }, expireAfterSeconds: 0 }]);
    expect([...systemIndexes(ferret), ...lockIndexes(ferret)]).toEqual([]);
  });
});
