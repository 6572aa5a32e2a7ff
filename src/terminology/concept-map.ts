// ConceptMap/$translate over R4 ConceptMaps: a source code is looked up in every group whose source
// system matches (and target system, when asked), forwards or — with `reverse` — backwards.

export interface ConceptMapResource {
  resourceType: 'ConceptMap';
  url?: string;
  sourceUri?: string;
  sourceCanonical?: string;
  targetUri?: string;
  targetCanonical?: string;
  group?: Array<{
    source?: string;
    target?: string;
    element?: Array<{ code?: string; display?: string; target?: Array<{ code?: string; display?: string; equivalence: string; comment?: string }> }>;
    unmapped?: { mode: string; code?: string; display?: string; url?: string };
  }>;
}

export interface TranslateRequest {
  system?: string;
  code: string;
  /** Target code system, or target value set (ConceptMap.target). */
  targetSystem?: string;
  target?: string;
  source?: string;
  reverse?: boolean;
}

export interface TranslateMatch {
  equivalence: string;
  concept: { system?: string; code?: string; display?: string };
  source?: string;
}

export interface TranslateResult {
  result: boolean;
  message?: string;
  match: TranslateMatch[];
}

/** Equivalences that mean "there is no mapping" do not make `result` true. */
const NEGATIVE = new Set(['unmatched', 'disjoint']);

export function translate(maps: ConceptMapResource[], req: TranslateRequest): TranslateResult {
  const match: TranslateMatch[] = [];
  for (const map of maps) {
    if (req.source && req.source !== (map.sourceUri ?? map.sourceCanonical)) continue;
    if (req.target && req.target !== (map.targetUri ?? map.targetCanonical)) continue;
    for (const group of map.group ?? []) {
      const from = req.reverse ? group.target : group.source;
      const to = req.reverse ? group.source : group.target;
      if (req.system && from && from !== req.system) continue;
      if (req.targetSystem && to && to !== req.targetSystem) continue;
      let found = false;
      for (const el of group.element ?? []) {
        for (const t of el.target ?? []) {
          const [key, other] = req.reverse ? [t.code, { code: el.code, display: el.display }] : [el.code, { code: t.code, display: t.display }];
          if (key !== req.code) continue;
          found = true;
          match.push({ equivalence: t.equivalence, concept: { system: to, ...other }, source: map.url });
        }
      }
      if (!found && !req.reverse && group.unmapped) {
        const u = group.unmapped;
        if (u.mode === 'provided') match.push({ equivalence: 'equal', concept: { system: to, code: req.code }, source: map.url });
        else if (u.mode === 'fixed') match.push({ equivalence: 'equivalent', concept: { system: to, code: u.code, display: u.display }, source: map.url });
      }
    }
  }
  const positive = match.filter((m) => !NEGATIVE.has(m.equivalence));
  return {
    result: positive.length > 0,
    message: positive.length ? undefined : `No mapping found for ${req.system ?? ''}|${req.code}`,
    match,
  };
}
