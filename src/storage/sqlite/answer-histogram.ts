// Answer counts of QuestionnaireResponses on SQLite, all in SQL: the matched responses (the search
// conditions over `resources`), their top-level items (json_each over the stored JSON), then either
// "how many responses answered this item with text" or "how many answers of each value" — grouped
// by linkId and the answer's value[x] as JSON text. Nothing but the counts leaves the database.
import type Database from 'better-sqlite3';
import type { AnswerHistogram, AnswerHistogramQuery } from '../engine';
import { matchConditions } from './search/compile';
import { Builder } from './search/sql-builder';

const TYPE = 'QuestionnaireResponse';

export function runAnswerHistogram(db: Database.Database, query: AnswerHistogramQuery): AnswerHistogram {
  const b = new Builder();
  const matched = `SELECT r.json FROM resources r WHERE ${matchConditions([TYPE], query.where, b).join(' AND ')}`;
  // One row per top-level item; `t` says whether some answer of it is text.
  const items =
    `WITH q AS (${matched}), ` +
    `items AS (SELECT json_extract(it.value, '$.linkId') AS link, json_extract(it.value, '$.answer') AS answers, ` +
    `EXISTS (SELECT 1 FROM json_each(json_extract(it.value, '$.answer')) a WHERE json_type(a.value, '$.valueString') IS NOT NULL) AS t ` +
    `FROM q, json_each(q.json, '$.item') it)`;
  const rows = db
    .prepare(
      `${items} SELECT link, k.key AS vkey, ` +
        // json_each hands booleans over as 1/0 and strings unquoted: keep their JSON form.
        `CASE k.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(k.value) ELSE CAST(k.value AS TEXT) END AS vjson, ` +
        `count(*) AS n FROM items, json_each(items.answers) a, json_each(a.value) k ` +
        `WHERE items.t = 0 AND typeof(items.link) = 'text' AND k.key LIKE 'value%' GROUP BY link, vkey, vjson`,
    )
    .all(...b.params) as Array<{ link: string; vkey: string; vjson: string; n: number }>;
  const text = db
    .prepare(`${items} SELECT link, count(*) AS n FROM items WHERE t = 1 AND typeof(link) = 'text' GROUP BY link`)
    .all(...b.params) as Array<{ link: string; n: number }>;
  const c = new Builder();
  const responses = (db.prepare(`SELECT count(*) AS n FROM resources r WHERE ${matchConditions([TYPE], query.where, c).join(' AND ')}`).get(...c.params) as { n: number }).n;
  return {
    responses,
    answers: rows.map((r) => ({ linkId: r.link, value: { [r.vkey]: JSON.parse(r.vjson) as unknown }, count: r.n })),
    text: text.map((r) => ({ linkId: r.link, count: r.n })),
  };
}
