// A QuestionnaireResponse against the Questionnaire it answers (R4 questionnaireresponse.html):
// every item's linkId exists at that place in the Questionnaire, answers have the item's type and
// respect repeats, answerOption, answerValueSet, minValue/maxValue, maxDecimalPlaces and maxLength;
// display items and groups carry no answers; items disabled by enableWhen carry none either; and a
// completed response answers every required enabled item.
import type { ValidatorCore } from './core';
import { compareBound, deepEqual } from './values';
import type { Walker } from './walker';
import { lookupTable } from '../../lookup-table';

interface QItem {
  linkId: string;
  type: string;
  required?: boolean;
  repeats?: boolean;
  maxLength?: number;
  answerOption?: Array<Record<string, unknown>>;
  answerValueSet?: string;
  enableWhen?: Array<{ question: string; operator: string; [answer: string]: unknown }>;
  enableBehavior?: 'all' | 'any';
  extension?: Array<{ url: string; [value: string]: unknown }>;
  item?: QItem[];
}

interface RItem {
  linkId?: string;
  answer?: Array<Record<string, unknown> & { item?: RItem[] }>;
  item?: RItem[];
}

/**
 * The answer[x] property each item type takes. A choice is answered with a value of one of the
 * types R4 allows for answerOption.value[x] (integer, date, time, string, Coding, Reference):
 * options need not be Codings; whether the answer is one of the options is checked separately.
 */
const ANSWER_TYPES: Record<string, string[]> = lookupTable({
  boolean: ['valueBoolean'],
  decimal: ['valueDecimal'],
  integer: ['valueInteger'],
  date: ['valueDate'],
  dateTime: ['valueDateTime'],
  time: ['valueTime'],
  string: ['valueString'],
  text: ['valueString'],
  url: ['valueUri'],
  choice: ['valueCoding', 'valueString', 'valueInteger', 'valueDate', 'valueTime', 'valueReference'],
  'open-choice': ['valueCoding', 'valueString', 'valueInteger', 'valueDate', 'valueTime', 'valueReference'],
  attachment: ['valueAttachment'],
  reference: ['valueReference'],
  quantity: ['valueQuantity'],
});

const EXT = 'http://hl7.org/fhir/StructureDefinition/';

/**
 * The check run by every validation: against a contained Questionnaire or one of the conformance
 * resources the validator knows. A Questionnaire stored by a client is found by the write rule in
 * workflow/questionnaire-response.ts (it needs the database), which calls checkAgainstQuestionnaire.
 */
export function checkQuestionnaireResponse(w: Walker, qr: Record<string, unknown>, path: string, core: ValidatorCore): void {
  const ref = qr.questionnaire;
  if (typeof ref !== 'string') return;
  const q = resolveQuestionnaire(ref, qr, core);
  if (!q) {
    w.add('QUESTIONNAIRE_UNKNOWN', `${path}.questionnaire`, `The Questionnaire ${ref} is not among the conformance resources the validator knows, so the answers were not checked against it here`);
    return;
  }
  checkAgainstQuestionnaire(w, qr, q, path, core);
}

/** Whether the validator itself resolves the Questionnaire (contained, fhir-profiles/, core). */
export function validatorKnowsQuestionnaire(qr: Record<string, unknown>, core: ValidatorCore): boolean {
  return typeof qr.questionnaire === 'string' && resolveQuestionnaire(qr.questionnaire, qr, core) !== undefined;
}

/** The answers of `qr` against the items of `q`; issues name the item's linkId in their expression. */
export function checkAgainstQuestionnaire(w: Walker, qr: Record<string, unknown>, q: Record<string, unknown>, path: string, core: ValidatorCore): void {
  const answers = collectAnswers((qr.item as RItem[]) ?? []);
  const completed = qr.status === 'completed' || qr.status === 'amended';
  items(w, (q.item as QItem[]) ?? [], asArray<RItem>(qr.item), `${path}`, answers, completed, core);
}

function resolveQuestionnaire(ref: string, qr: Record<string, unknown>, core: ValidatorCore): Record<string, unknown> | undefined {
  if (ref.startsWith('#')) {
    return asArray<Record<string, unknown>>(qr.contained).find((c) => c.resourceType === 'Questionnaire' && c.id === ref.slice(1));
  }
  return core.registry.resolve('Questionnaire', ref) as Record<string, unknown> | undefined;
}

/** The indexed path, then a FHIRPath that finds the item by its linkId wherever it nests. */
function linkIdExpression(at: string, linkId: unknown): string[] {
  if (typeof linkId !== 'string') return [at];
  return [at, `QuestionnaireResponse.repeat(item).where(linkId='${linkId.slice(0, 200).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}')`];
}

function asArray<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** linkId → every answer given for it anywhere in the response (enableWhen looks them up). */
function collectAnswers(list: RItem[], out = new Map<string, Array<Record<string, unknown>>>()): Map<string, Array<Record<string, unknown>>> {
  for (const item of list) {
    if (typeof item?.linkId === 'string') out.set(item.linkId, [...(out.get(item.linkId) ?? []), ...asArray<Record<string, unknown>>(item.answer)]);
    collectAnswers(asArray(item?.item), out);
    for (const a of asArray<{ item?: RItem[] }>(item?.answer)) collectAnswers(asArray(a.item), out);
  }
  return out;
}

function items(w: Walker, qItems: QItem[], rItems: RItem[], path: string, answers: Map<string, Array<Record<string, unknown>>>, completed: boolean, core: ValidatorCore): void {
  const byLinkId = new Map(qItems.map((q) => [q.linkId, q]));
  rItems.forEach((r, i) => {
    const at = `${path}.item[${i}]`;
    const q = typeof r?.linkId === 'string' ? byLinkId.get(r.linkId) : undefined;
    if (!q) {
      w.add('QUESTIONNAIRE_LINKID', linkIdExpression(at, r?.linkId), `LinkId '${String(r?.linkId)}' is not an item of the Questionnaire at this place`);
      return;
    }
    item(w, q, r, at, answers, completed, core);
  });
  for (const q of qItems) {
    if (!q.required || !completed || !enabled(q, answers)) continue;
    const given = rItems.filter((r) => r?.linkId === q.linkId);
    const answered = q.type === 'group' ? given.some((r) => asArray(r.item).length > 0) : given.some((r) => asArray(r.answer).length > 0);
    if (answered || q.type === 'display') continue;
    w.add('QUESTIONNAIRE_REQUIRED', linkIdExpression(path, q.linkId), q.type === 'group' ? `No items found for the required group '${q.linkId}'` : `No answer found for the required item '${q.linkId}'`);
  }
}

function item(w: Walker, q: QItem, r: RItem, at: string, answers: Map<string, Array<Record<string, unknown>>>, completed: boolean, core: ValidatorCore): void {
  const given = asArray<Record<string, unknown> & { item?: RItem[] }>(r.answer);
  if (given.length && !enabled(q, answers)) w.add('QUESTIONNAIRE_DISABLED', linkIdExpression(at, q.linkId), `The item '${q.linkId}' is not enabled (enableWhen), so it must not have answers`);
  if (q.type === 'display') {
    if (given.length || asArray(r.item).length) w.add('QUESTIONNAIRE_ANSWER_TYPE', linkIdExpression(at, q.linkId), `The item '${q.linkId}' is of type display and cannot have answers`);
    return;
  }
  if (q.type === 'group' || q.type === 'question') {
    if (given.length) w.add('QUESTIONNAIRE_ANSWER_TYPE', linkIdExpression(at, q.linkId), `The item '${q.linkId}' is of type ${q.type} and cannot have answers`);
    items(w, q.item ?? [], asArray(r.item), at, answers, completed, core);
    return;
  }
  if (!q.repeats && given.length > 1) w.add('QUESTIONNAIRE_REPEATS', linkIdExpression(at, q.linkId), `The item '${q.linkId}' does not repeat but has ${given.length} answers`);
  // Extensions of the core extension set that bound the number of answers and exclusive options.
  const minOccurs = extValue(q, `${EXT}questionnaire-minOccurs`);
  const maxOccurs = extValue(q, `${EXT}questionnaire-maxOccurs`);
  if (typeof maxOccurs === 'number' && given.length > maxOccurs) w.add('QUESTIONNAIRE_REPEATS', linkIdExpression(at, q.linkId), `The item '${q.linkId}' allows at most ${maxOccurs} answers but has ${given.length}`);
  if (typeof minOccurs === 'number' && given.length < minOccurs && given.length + asArray(r.item).length >= 0) {
    w.add('QUESTIONNAIRE_REPEATS', linkIdExpression(at, q.linkId), `The item '${q.linkId}' needs at least ${minOccurs} answers but has ${given.length}`);
  }
  const exclusive = (q.answerOption ?? []).filter((o) => asArray<{ url: string; valueBoolean?: boolean }>(o.extension).some((e) => e.url === `${EXT}questionnaire-optionExclusive` && e.valueBoolean === true));
  if (exclusive.length && given.length > 1) {
    for (const a of given) {
      if (exclusive.some((o) => o.valueCoding && matchesAnswer(a.valueCoding, o.valueCoding))) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `An exclusive option of '${q.linkId}' was selected together with other answers`);
    }
  }
  given.forEach((a, j) => {
    const aAt = `${at}.answer[${j}]`;
    answer(w, q, a, aAt, core);
    items(w, q.item ?? [], asArray(a.item), aAt, answers, completed, core);
  });
  if (asArray(r.item).length) items(w, q.item ?? [], asArray(r.item), at, answers, completed, core);
}

function answer(w: Walker, q: QItem, a: Record<string, unknown>, at: string, core: ValidatorCore): void {
  const key = Object.keys(a).find((k) => k.startsWith('value'));
  if (!key) return;
  const allowed = ANSWER_TYPES[q.type];
  if (allowed && !allowed.includes(key)) {
    w.add('QUESTIONNAIRE_ANSWER_TYPE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' must be ${allowed.map((k) => k.slice(5)).join(' or ')}, not ${key.slice(5)}`);
    return;
  }
  const value = a[key];
  if (q.answerOption?.length && !(q.type === 'open-choice' && key === 'valueString')) {
    const ok = q.answerOption.some((o) => {
      const ov = o[key];
      if (ov === undefined) return false;
      if (key === 'valueCoding') return (ov as { code?: unknown }).code === (value as { code?: unknown }).code && ((ov as { system?: unknown }).system ?? null) === ((value as { system?: unknown }).system ?? null);
      return deepEqual(ov, value);
    });
    if (!ok) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' is not one of its answer options`);
  }
  if (q.answerValueSet && key === 'valueCoding') {
    const c = value as { system?: unknown; code?: unknown };
    const r = typeof c.code === 'string' ? core.terminology.inValueSet(q.answerValueSet, typeof c.system === 'string' ? c.system : undefined, c.code) : undefined;
    if (r === false) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' is not in its value set ${q.answerValueSet}`);
  }
  for (const ext of q.extension ?? []) {
    const bound = Object.entries(ext).find(([k]) => k.startsWith('value'))?.[1];
    if (ext.url === `${EXT}minValue` && compareForBound(value, bound) < 0) w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' is below the minimum ${JSON.stringify(bound)}`);
    if (ext.url === `${EXT}maxValue` && compareForBound(value, bound) > 0) w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' is above the maximum ${JSON.stringify(bound)}`);
    if (ext.url === `${EXT}maxDecimalPlaces` && typeof value === 'number' && typeof bound === 'number' && decimals(value) > bound) {
      w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' has more than ${bound} decimal places`);
    }
    if (ext.url === `${EXT}maxSize` && key === 'valueAttachment' && typeof bound === 'number') {
      const size = (value as { size?: unknown; data?: unknown }).size ?? attachmentBytes(value);
      if (typeof size === 'number' && size > bound) w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The attachment answering '${q.linkId}' is larger than ${bound} bytes`);
    }
    if (ext.url === `${EXT}mimeType` && key === 'valueAttachment' && typeof bound === 'string') {
      const allowedTypes = (q.extension ?? []).filter((e) => e.url === `${EXT}mimeType`).map((e) => e.valueCode);
      const ct = (value as { contentType?: unknown }).contentType;
      if (typeof ct === 'string' && !allowedTypes.includes(ct) && bound === allowedTypes[0]) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `The attachment type ${ct} is not allowed for '${q.linkId}' (${allowedTypes.join(', ')})`);
    }
  }
  const regex = extValue(q, `${EXT}regex`);
  if (typeof regex === 'string' && typeof value === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(regex, 'u');
    } catch {
      re = undefined;
    }
    if (re && !re.test(value)) w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' does not have the expected format (${regex})`);
  }
  if (key === 'valueQuantity') quantity(w, q, value as { value?: unknown; system?: unknown; code?: unknown }, at);
  if (key === 'valueReference') {
    const allowedTypes = (q.extension ?? []).filter((e) => e.url === `${EXT}questionnaire-referenceResource`).map((e) => e.valueCode);
    const ref = (value as { reference?: unknown }).reference;
    const m = typeof ref === 'string' ? /(?:^|\/)([A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[^/]+)?$/.exec(ref) : null;
    if (typeof ref === 'string' && (!m || !core.isConcreteResourceType(m[1]))) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `The reference answering '${q.linkId}' is not a reference to an R4 resource`);
    else if (m && allowedTypes.length && !allowedTypes.includes(m[1])) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `A ${m[1]} is not an allowed answer to '${q.linkId}' (${allowedTypes.join(', ')})`);
  }
  if (q.maxLength !== undefined && typeof value === 'string' && value.length > q.maxLength) w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' is longer than ${q.maxLength} characters`);
}

function extValue(q: QItem, url: string): unknown {
  const e = (q.extension ?? []).find((x) => x.url === url);
  return e ? Object.entries(e).find(([k]) => k.startsWith('value'))?.[1] : undefined;
}

const SDC = 'http://hl7.org/fhir/uv/sdc/StructureDefinition/';

/** Units from questionnaire-unitOption, and min/max quantities compared when their units agree. */
function quantity(w: Walker, q: QItem, value: { value?: unknown; system?: unknown; code?: unknown }, at: string): void {
  const units = (q.extension ?? []).filter((e) => e.url === `${EXT}questionnaire-unitOption`).map((e) => e.valueCoding as { system?: unknown; code?: unknown });
  if (units.length && !units.some((u) => u.system === value.system && u.code === value.code)) w.add('QUESTIONNAIRE_OPTION', linkIdExpression(at, q.linkId), `The unit of the answer to '${q.linkId}' is not one of its unit options`);
  for (const [url, sign] of [[`${SDC}sdc-questionnaire-minQuantity`, -1], [`${SDC}sdc-questionnaire-maxQuantity`, 1]] as const) {
    const bound = extValue(q, url) as { value?: unknown; system?: unknown; code?: unknown } | undefined;
    if (!bound) continue;
    if (value.system !== 'http://unitsofmeasure.org' || bound.system !== value.system || bound.code !== value.code || typeof value.value !== 'number' || typeof bound.value !== 'number') {
      w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' cannot be compared with its ${sign < 0 ? 'minimum' : 'maximum'}: the units differ or are not UCUM codes`);
      continue;
    }
    if (Math.sign(value.value - bound.value) === sign) w.add('QUESTIONNAIRE_RANGE', linkIdExpression(at, q.linkId), `The answer to '${q.linkId}' is ${sign < 0 ? 'below its minimum' : 'above its maximum'}`);
  }
}

function compareForBound(value: unknown, bound: unknown): number {
  if (bound === undefined) return 0;
  if (typeof value === 'string' && typeof bound === 'string') {
    // ISO dates and times compare as text; a bound of lower precision is its start (2022-06-30 > 2022-06).
    return value < bound ? -1 : value > bound ? 1 : 0;
  }
  return compareBound(value, bound) ?? 0;
}

function decimals(n: number): number {
  const s = String(n);
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : s.length - dot - 1;
}

function attachmentBytes(value: unknown): number | undefined {
  const data = (value as { data?: unknown }).data;
  return typeof data === 'string' ? Math.floor((data.replace(/=+$/, '').length * 3) / 4) : undefined;
}

/** enableWhen with enableBehavior (all/any) over the answers given anywhere in the response. */
function enabled(q: QItem, answers: Map<string, Array<Record<string, unknown>>>): boolean {
  if (!q.enableWhen?.length) return true;
  const results = q.enableWhen.map((ew) => {
    const given = answers.get(ew.question) ?? [];
    const key = Object.keys(ew).find((k) => k.startsWith('answer'));
    const expected = key ? ew[key] : undefined;
    if (ew.operator === 'exists') return (given.length > 0) === (expected === true);
    const values = given.map((a) => Object.entries(a).find(([k]) => k.startsWith('value'))?.[1]).filter((v) => v !== undefined);
    return values.some((v) => {
      if (ew.operator === '=') return matchesAnswer(v, expected);
      if (ew.operator === '!=') return !matchesAnswer(v, expected);
      const c = compareForBound(v, expected);
      return ew.operator === '>' ? c > 0 : ew.operator === '<' ? c < 0 : ew.operator === '>=' ? c >= 0 : ew.operator === '<=' ? c <= 0 : false;
    });
  });
  return q.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
}

function matchesAnswer(v: unknown, expected: unknown): boolean {
  if (v && expected && typeof v === 'object' && typeof expected === 'object') {
    const a = v as { system?: unknown; code?: unknown };
    const b = expected as { system?: unknown; code?: unknown };
    if (a.code !== undefined || b.code !== undefined) return a.code === b.code && (b.system === undefined || a.system === b.system);
  }
  return deepEqual(v, expected);
}
