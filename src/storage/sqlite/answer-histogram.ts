// Answer counts of QuestionnaireResponses on SQLite, all in SQL: the matched responses (the search
// conditions over `resources`), their top-level items (json_each over the stored JSON), then either
// "how many responses answered this item with text" or "how many answers of each value" — grouped
// by linkId and the answer's value[x] as JSON text. Nothing but the counts leaves the database.
import type Database from 'better-sqlite3';
import type { AnswerHistogram, AnswerHistogramQuery } from '../engine';
import { matchConditions } from './search/compile';
import { Builder } from './search/sql-builder';
import { prepared } from './statement-cache';

const TYPE = 'QuestionnaireResponse';

export function runAnswerHistogram(db: Database.Database, query: AnswerHistogramQuery): AnswerHistogram {
  const b = new Builder();
  const matched = `SELECT r.json FROM resources r WHERE ${matchConditions([TYPE], query.where, b).join(' AND ')}`;
  // One statement: the matched responses and their items are read once (a CTE used three times is
  // materialised), then three kinds of rows: 0 = answers of one value of a non-text item, 1 = text
  // items, 2 = the number of responses. `t` says whether some answer of the item is text.
  const sql =
    `WITH q AS MATERIALIZED (${matched}), ` +
    `items AS MATERIALIZED (SELECT json_extract(it.value, '$.linkId') AS link, json_extract(it.value, '$.answer') AS answers, ` +
    `EXISTS (SELECT 1 FROM json_each(it.value, '$.answer') a WHERE json_type(a.value, '$.valueString') IS NOT NULL) AS t ` +
    `FROM q, json_each(q.json, '$.item') it) ` +
    `SELECT 0 AS kind, link, k.key AS vkey, ` +
    // json_each hands booleans over as 1/0 and strings unquoted: keep their JSON form.
    `CASE k.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(k.value) ELSE CAST(k.value AS TEXT) END AS vjson, ` +
    `count(*) AS n FROM items, json_each(items.answers) a, json_each(a.value) k ` +
    `WHERE items.t = 0 AND typeof(items.link) = 'text' AND k.key LIKE 'value%' GROUP BY link, vkey, vjson ` +
    `UNION ALL SELECT 1, link, NULL, NULL, count(*) FROM items WHERE t = 1 AND typeof(link) = 'text' GROUP BY link ` +
    `UNION ALL SELECT 2, NULL, NULL, NULL, count(*) FROM q`;
  const rows = prepared(db, sql).all(...b.params) as Array<{ kind: number; link: string; vkey: string; vjson: string; n: number }>;
  return {
    responses: rows.find((r) => r.kind === 2)?.n ?? 0,
    answers: rows.filter((r) => r.kind === 0).map((r) => ({ linkId: r.link, value: { [r.vkey]: JSON.parse(r.vjson) as unknown }, count: r.n })),
    text: rows.filter((r) => r.kind === 1).map((r) => ({ linkId: r.link, count: r.n })),
  };
}
