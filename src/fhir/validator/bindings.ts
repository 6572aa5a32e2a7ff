// Terminology checks of coded elements: codes of a code system the server holds in full must exist
// in it (wrong displays are warnings), and bindings hold — required: error when the code is not in
// the value set; extensible: warning; preferred/example: nothing. Where the server cannot decide
// (SNOMED CT, LOINC, a value set it does not know) it says nothing rather than guess.
import type { ElementNode } from './compile';
import type { ValidatorCore } from './core';
import type { Walker } from './walker';

interface CodingLike {
  system?: unknown;
  code?: unknown;
  display?: unknown;
  version?: unknown;
}

export function checkCodings(w: Walker, v: Record<string, unknown>, type: string, path: string, core: ValidatorCore): void {
  if (type === 'CodeableConcept') return; // each coding is checked as a Coding when walked
  const c = v as CodingLike;
  if (typeof c.system !== 'string' || typeof c.code !== 'string') return;
  if (type === 'Quantity' && c.system === 'http://unitsofmeasure.org') return;
  const cs = core.terminology.codeSystem(typeof c.version === 'string' ? `${c.system}|${c.version}` : c.system);
  if (!cs) return;
  const concept = cs.get(c.code);
  if (!concept) {
    if (cs.complete) w.add('CODE_UNKNOWN_IN_SYSTEM', `${path}.code`, `Unknown code '${c.code}' in the code system ${c.system}`);
    return;
  }
  if (typeof c.display === 'string' && concept.display !== undefined) {
    const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
    const ok = norm(c.display) === norm(concept.display) || concept.designation.some((d) => norm(d.value) === norm(c.display as string));
    if (!ok) w.add('CODE_DISPLAY_MISMATCH', `${path}.display`, `Wrong display '${c.display}' for ${c.system}#${c.code}: it should be '${concept.display}'`, core.options.displayMismatch);
  }
}

export function checkBinding(w: Walker, v: unknown, type: string, node: ElementNode, path: string, core: ValidatorCore): void {
  const binding = node.binding!;
  if (!binding.valueSet || (binding.strength !== 'required' && binding.strength !== 'extensible')) return;
  const required = binding.strength === 'required';
  const vsUrl = binding.valueSet;
  if (!core.terminology.valueSet(vsUrl)) {
    if (required) w.add('VALUESET_UNKNOWN', path, `The value set ${vsUrl} bound to ${node.path} is not known to this server; the code was not checked`);
    return;
  }
  let candidates: CodingLike[];
  if (type === 'code' || type === 'string' || type === 'uri') candidates = [{ code: v }];
  else if (type === 'Coding' || type === 'Quantity') candidates = [v as CodingLike];
  else {
    const cc = v as { coding?: unknown };
    candidates = Array.isArray(cc.coding) ? (cc.coding as CodingLike[]) : [];
  }
  candidates = candidates.filter((c) => c && typeof c.code === 'string');
  if (!candidates.length) {
    if (type === 'Quantity') return; // a quantity without a coded unit is not bound
    if (required) w.add('CODE_MISSING', path, `No code provided, and a code is required from the value set ${vsUrl}`);
    return;
  }
  let undecided = false;
  for (const c of candidates) {
    const r = core.terminology.inValueSet(vsUrl, typeof c.system === 'string' ? c.system : undefined, c.code as string);
    if (r === true) return;
    if (r === undefined) undecided = true;
  }
  if (undecided) return;
  const shown = candidates.map((c) => `${typeof c.system === 'string' ? `${c.system}#` : ''}${String(c.code)}`).join(', ');
  if (required) w.add('CODE_NOT_IN_REQUIRED_VALUESET', path, `${path}: ${shown} is not in the value set ${vsUrl}, which is required`);
  else w.add('CODE_NOT_IN_EXTENSIBLE_VALUESET', path, `${path}: ${shown} is not in the value set ${vsUrl} (extensible: use one of its codes when one fits)`);
}
