// Per-item figures of patient feedback from the answer counts the database returns (pure, no I/O):
// the answer distribution, mean and median of numeric and scale items (a scale is a choice whose
// options carry an ordinalValue), the net promoter score of 0–10 items, and free-text counts.
// Working from counts keeps the work proportional to the distinct answers, not to the responses.
import type { Coding, Questionnaire, QuestionnaireItem } from '@medplum/fhirtypes';
import type { AnswerHistogram } from '../storage/engine';

const EXT = 'http://hl7.org/fhir/StructureDefinition/';
const ORDINAL = [`${EXT}ordinalValue`, `${EXT}itemWeight`];
const TEXT_TYPES = new Set(['string', 'text']);
const NUMERIC_TYPES = new Set(['integer', 'decimal']);

export interface AnswerCount {
  /** How the answer reads: the number, `true`/`false`, `system|code`, the date … */
  label: string;
  coding?: Coding;
  count: number;
}

export interface NetPromoterScore {
  /** (promoters − detractors) / answers × 100, to two decimals. */
  score: number;
  promoters: number;
  passives: number;
  detractors: number;
}

export interface ItemSummary {
  linkId: string;
  text?: string;
  type: string;
  /** Answers given (a repeated answer counts once per answer); for text items, responses that answered. */
  answers: number;
  distribution: AnswerCount[];
  mean?: number;
  median?: number;
  nps?: NetPromoterScore;
  freeText?: number;
}

/** The items whose answers are counted: the Questionnaire's top-level questions, in its order. */
export function countedItems(q: Questionnaire): QuestionnaireItem[] {
  return (q.item ?? []).filter((i) => i.type !== 'display' && i.type !== 'group');
}

/** 0–10 integer items: those named, or those bounded by minValue 0 and maxValue 10. */
export function isPromoterItem(item: QuestionnaireItem, named: ReadonlySet<string>): boolean {
  if (named.has(item.linkId)) return true;
  if (item.type !== 'integer') return false;
  const bound = (url: string) => item.extension?.find((e) => e.url === url)?.valueInteger;
  return bound(`${EXT}minValue`) === 0 && bound(`${EXT}maxValue`) === 10;
}

export function summariseItems(q: Questionnaire, h: AnswerHistogram, promoterItems: ReadonlySet<string>): ItemSummary[] {
  return countedItems(q).map((item) => summariseItem(item, h, promoterItems));
}

function summariseItem(item: QuestionnaireItem, h: AnswerHistogram, promoterItems: ReadonlySet<string>): ItemSummary {
  const summary: ItemSummary = { linkId: item.linkId, ...(item.text ? { text: item.text } : {}), type: item.type, answers: 0, distribution: [] };
  const text = h.text.find((t) => t.linkId === item.linkId)?.count ?? 0;
  if (TEXT_TYPES.has(item.type)) {
    summary.answers = text;
    summary.freeText = text;
    return summary;
  }
  // Equal answers written differently (a Coding with or without display) count together.
  const merged = new Map<string, AnswerCount & { sort: number | string; ordinal?: number }>();
  for (const a of h.answers.filter((x) => x.linkId === item.linkId)) {
    const read = readAnswer(item, a.value);
    const hit = merged.get(read.label) ?? { ...read, count: 0 };
    hit.count += a.count;
    merged.set(read.label, hit);
  }
  const rows = [...merged.values()].sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
  summary.distribution = rows.map(({ label, coding, count }) => ({ label, ...(coding ? { coding } : {}), count }));
  summary.answers = rows.reduce((n, r) => n + r.count, 0);
  if (text) summary.freeText = text; // open-choice items answered with text
  const numeric = rows.filter((r) => r.ordinal !== undefined).map((r) => ({ value: r.ordinal as number, count: r.count }));
  const numericItem = NUMERIC_TYPES.has(item.type) || (numeric.length > 0 && numeric.length === rows.length);
  if (numericItem && numeric.length) {
    Object.assign(summary, meanAndMedian(numeric));
    if (isPromoterItem(item, promoterItems)) summary.nps = netPromoterScore(numeric);
  }
  return summary;
}

/** The label, sort key, Coding and numeric value of one answer value. */
function readAnswer(item: QuestionnaireItem, value: Record<string, unknown>): { label: string; sort: number | string; coding?: Coding; ordinal?: number } {
  const [key, v] = Object.entries(value)[0] ?? ['', undefined];
  if (key === 'valueInteger' || key === 'valueDecimal') return { label: String(v), sort: v as number, ordinal: v as number };
  if (key === 'valueBoolean') return { label: String(v), sort: v ? 1 : 0 };
  if (key === 'valueCoding') {
    const c = v as Coding;
    const options = item.answerOption ?? [];
    const at = options.findIndex((o) => o.valueCoding?.code === c.code && (o.valueCoding?.system ?? null) === (c.system ?? null));
    const option = at >= 0 ? options[at] : undefined;
    const ordinal = [...(option?.extension ?? []), ...(option?.valueCoding?.extension ?? [])].find((e) => ORDINAL.includes(e.url))?.valueDecimal;
    const coding: Coding = { ...(c.system ? { system: c.system } : {}), ...(c.code ? { code: c.code } : {}), ...((option?.valueCoding?.display ?? c.display) ? { display: option?.valueCoding?.display ?? c.display } : {}) };
    return { label: `${c.system ?? ''}|${c.code ?? ''}`, sort: at >= 0 ? at : 1e9, coding, ...(ordinal !== undefined ? { ordinal } : {}) };
  }
  const label = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return { label, sort: label };
}

/** Mean and median of values given with their counts (median of an even count: the mean of the two middle values). */
export function meanAndMedian(values: Array<{ value: number; count: number }>): { mean: number; median: number } {
  const sorted = [...values].sort((a, b) => a.value - b.value);
  const n = sorted.reduce((s, v) => s + v.count, 0);
  const mean = sorted.reduce((s, v) => s + v.value * v.count, 0) / n;
  const at = (rank: number) => {
    let seen = 0;
    for (const v of sorted) {
      seen += v.count;
      if (rank < seen) return v.value;
    }
    return sorted[sorted.length - 1].value;
  };
  const median = n % 2 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
  return { mean: round(mean, 4), median };
}

/** Promoters answer 9–10, passives 7–8, detractors 0–6. */
export function netPromoterScore(values: Array<{ value: number; count: number }>): NetPromoterScore {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const { value, count } of values) {
    if (value >= 9) promoters += count;
    else if (value >= 7) passives += count;
    else detractors += count;
  }
  const n = promoters + passives + detractors;
  return { score: n ? round(((promoters - detractors) / n) * 100, 2) : 0, promoters, passives, detractors };
}

function round(x: number, places: number): number {
  const f = 10 ** places;
  return Math.round(x * f) / f;
}
