// Answer counts of QuestionnaireResponses on MongoDB: the matched responses' top-level items are
// unwound and grouped in the database — text items by linkId (responses that answered with text),
// the others by linkId and the whole answer array (its combinations are few: a scale, a choice).
// The combinations are split into single answers here; no response is ever read into JS.
//
// FerretDB 1.x: only `$match`, `$project` (inclusion), `$unwind` and `$group` with `$sum` are
// used; its `$unwind` leaves the element under the last name of the path (`item`, not `r.item`),
// so the stages after it read both places (as in aggregate.ts).
import type { Document } from 'mongodb';
import type { AnswerHistogram, AnswerHistogramQuery } from '../engine';
import { RESOURCES } from './layout';
import { matchFilter, queryOptions, withinBudget, type SearchContext } from './search/run';

const TYPE = 'QuestionnaireResponse';
const HAS_TEXT = [{ 'r.item.answer.valueString': { $exists: true } }, { 'item.answer.valueString': { $exists: true } }];

/** Pure (golden-testable): the two pipelines after the `$match` of the matched responses. */
export function histogramStages(): { text: Document[]; values: Document[] } {
  const items: Document[] = [{ $project: { 'r.item': 1 } }, { $unwind: '$r.item' }];
  return {
    text: [...items, { $match: { $or: HAS_TEXT } }, { $group: { _id: { a: '$r.item.linkId', b: '$item.linkId' }, n: { $sum: 1 } } }],
    values: [...items, { $match: { $nor: HAS_TEXT } }, { $group: { _id: { a: '$r.item.linkId', b: '$item.linkId', va: '$r.item.answer', vb: '$item.answer' }, n: { $sum: 1 } } }],
  };
}

export function runAnswerHistogram(ctx: SearchContext, query: AnswerHistogramQuery): Promise<AnswerHistogram> {
  return withinBudget(ctx, () => histogram(ctx, query));
}

async function histogram(ctx: SearchContext, query: AnswerHistogramQuery): Promise<AnswerHistogram> {
  const filter = await matchFilter(ctx, [TYPE], query.where);
  const resources = ctx.db.collection(RESOURCES);
  const stages = histogramStages();
  const run = (pipeline: Document[]) => resources.aggregate([{ $match: filter }, ...pipeline], { ...queryOptions(ctx), allowDiskUse: true }).toArray();
  // Three round trips at once: FerretDB answers each slowly, whatever its size.
  const [responses, textRows, valueRows] = await Promise.all([resources.countDocuments(filter, queryOptions(ctx)), run(stages.text), run(stages.values)]);
  const text = textRows
    .map((row) => ({ linkId: row._id.a ?? row._id.b, count: row.n as number }))
    .filter((r): r is { linkId: string; count: number } => typeof r.linkId === 'string');
  const counts = new Map<string, { linkId: string; value: Record<string, unknown>; count: number }>();
  for (const row of valueRows) {
    const linkId = row._id.a ?? row._id.b;
    const answers = row._id.va ?? row._id.vb;
    if (typeof linkId !== 'string' || !Array.isArray(answers)) continue;
    for (const answer of answers as Array<Record<string, unknown>>) {
      for (const [k, v] of Object.entries(answer ?? {})) {
        if (!k.startsWith('value')) continue;
        const key = `${linkId}\u0000${k}\u0000${JSON.stringify(v)}`;
        const hit = counts.get(key) ?? { linkId, value: { [k]: v }, count: 0 };
        hit.count += row.n as number;
        counts.set(key, hit);
      }
    }
  }
  return { responses, answers: [...counts.values()], text };
}
