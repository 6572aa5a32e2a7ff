// The curated medication-safety table (data/drug-knowledge.json) as look-ups: a product or
// ingredient RxNorm code to its ingredients, an ingredient to its classes, the interaction rules
// between two ingredient sets, duplicate therapy by class and allergens to the ingredients they
// exclude. The table is checked when loaded, so a broken row stops start-up instead of hiding.
import type { CodeableConcept } from '@medplum/fhirtypes';
import table from './data/drug-knowledge.json';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const SNOMED = 'http://snomed.info/sct';

type Side = { class?: string; ingredient?: string | string[] };
export interface InteractionRule {
  id: string;
  a: Side;
  b: Side;
  severity: 'critical' | 'warning' | 'info';
  summary: string;
  management: string;
  citation: string;
}
export interface AllergyRule {
  snomed: string;
  display: string;
  class: string;
  citation: string;
}

export interface DrugKnowledge {
  version: string;
  about: string;
  ingredientName(rxcui: string): string;
  /** The ingredients of a medication concept (RxNorm codings; products mapped to ingredients). */
  ingredientsOf(concept: CodeableConcept | undefined): string[];
  classesOf(ingredient: string): string[];
  className(id: string): string;
  /** Rules matching one ingredient on each side (in either order). */
  interactions(x: string, y: string): InteractionRule[];
  duplicateClasses: readonly string[];
  duplicateCitation: string;
  allergy(snomed: string): AllergyRule | undefined;
  membersOf(classId: string): readonly string[];
  rows(): { interactions: InteractionRule[]; allergies: AllergyRule[] };
}

export function loadDrugKnowledge(): DrugKnowledge {
  const ingredients = table.ingredients as Record<string, string>;
  const products = table.products.map as Record<string, string[]>;
  const classes = table.classes as Record<string, { name: string; atc: string; members: string[] }>;
  const rules = table.interactions as InteractionRule[];
  const allergies = table.allergies as AllergyRule[];
  const problems: string[] = [];
  for (const [id, c] of Object.entries(classes)) for (const m of c.members) if (!ingredients[m]) problems.push(`class ${id}: unknown ingredient ${m}`);
  for (const [p, list] of Object.entries(products)) for (const m of list) if (!ingredients[m]) problems.push(`product ${p}: unknown ingredient ${m}`);
  const side = (rule: string, s: Side) => {
    if (s.class && !classes[s.class]) problems.push(`${rule}: unknown class ${s.class}`);
    for (const i of [s.ingredient ?? []].flat()) if (!ingredients[i]) problems.push(`${rule}: unknown ingredient ${i}`);
    if (!s.class && !s.ingredient) problems.push(`${rule}: a side names neither class nor ingredient`);
  };
  for (const r of rules) {
    side(r.id, r.a);
    side(r.id, r.b);
    if (!r.citation || !r.summary || r.summary.length > 110) problems.push(`${r.id}: needs a citation and a summary under 110 characters`);
  }
  for (const a of allergies) if (!classes[a.class] || !a.citation) problems.push(`allergy ${a.snomed}: unknown class or no citation`);
  for (const c of table.duplicateTherapy.classes) if (!classes[c]) problems.push(`duplicate therapy: unknown class ${c}`);
  if (problems.length) throw new Error(`drug-knowledge.json is inconsistent: ${problems.join('; ')}`);

  const classesByIngredient = new Map<string, string[]>();
  for (const [id, c] of Object.entries(classes)) for (const m of c.members) classesByIngredient.set(m, [...(classesByIngredient.get(m) ?? []), id]);
  const has = (s: Side, ingredient: string) =>
    (s.class !== undefined && classes[s.class].members.includes(ingredient)) || [s.ingredient ?? []].flat().includes(ingredient);

  return {
    version: table.version,
    about: table.about,
    ingredientName: (rxcui) => ingredients[rxcui] ?? `RxNorm ${rxcui}`,
    ingredientsOf(concept) {
      const out = new Set<string>();
      for (const c of concept?.coding ?? []) {
        if (c.system !== RXNORM || !c.code) continue;
        if (ingredients[c.code]) out.add(c.code);
        for (const i of products[c.code] ?? []) out.add(i);
      }
      return [...out];
    },
    classesOf: (ingredient) => classesByIngredient.get(ingredient) ?? [],
    className: (id) => classes[id]?.name ?? id,
    interactions: (x, y) => rules.filter((r) => (has(r.a, x) && has(r.b, y)) || (has(r.a, y) && has(r.b, x))),
    duplicateClasses: table.duplicateTherapy.classes,
    duplicateCitation: table.duplicateTherapy.citation,
    allergy: (snomed) => allergies.find((a) => a.snomed === snomed),
    membersOf: (id) => classes[id]?.members ?? [],
    rows: () => ({ interactions: rules, allergies }),
  };
}
