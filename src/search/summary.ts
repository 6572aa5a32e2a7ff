// `_summary` and `_elements`: which top-level elements of a matched resource go into the Bundle.
// R4 asks that a trimmed resource be marked with the SUBSETTED tag so that nobody stores it back.
import type { ElementModel } from './element-model';
import type { SummaryMode } from './parse-query';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

type Obj = Record<string, unknown>;

/** Returns the resource reduced per `_summary`/`_elements`, or the same object when nothing applies. */
export function applySubsetting(model: ElementModel, resource: Obj, summary: SummaryMode | undefined, elements: string[] | undefined): Obj {
  const type = String(resource.resourceType);
  let keep: (key: string) => boolean;
  if (elements && elements.length) {
    // `_elements=Observation.code` and `_elements=code` both name top-level `code`.
    const names = new Set(elements.map((e) => (e.includes('.') ? e.split('.')[1] : e)));
    const mandatory = model.mandatoryElements(type);
    keep = (k) => ALWAYS.has(k) || names.has(k) || mandatory.has(k) || names.has(k.replace(/^(value|effective|onset|abatement|deceased|multipleBirth|occurrence)[A-Z].*$/, '$1'));
  } else if (summary === 'true') {
    const s = model.summaryElements(type);
    keep = (k) => ALWAYS.has(k) || s.has(choiceBase(k, s));
  } else if (summary === 'text') {
    const mandatory = model.mandatoryElements(type);
    keep = (k) => ALWAYS.has(k) || k === 'text' || mandatory.has(k);
  } else if (summary === 'data') {
    keep = (k) => k !== 'text';
  } else return resource;
  const out: Obj = {};
  for (const [k, v] of Object.entries(resource)) if (keep(k)) out[k] = v;
  const meta = { ...((out.meta as Obj | undefined) ?? {}) };
  meta.tag = [...((meta.tag as unknown[] | undefined) ?? []), SUBSETTED];
  out.meta = meta;
  return out;
}

/** `valueQuantity` → `value` when `value` is the (choice) summary element. */
function choiceBase(key: string, names: ReadonlySet<string>): string {
  if (names.has(key)) return key;
  const m = /^([a-z][A-Za-z]*?)[A-Z][A-Za-z]*$/.exec(key);
  return m && names.has(m[1]) ? m[1] : key;
}
