// Reads the validator test cases of a local FHIR/fhir-test-cases checkout (validator/manifest.json)
// and selects the core R4 JSON cases that need no extra packages, with the reference (Java)
// validator's verdict for each. Nothing is fetched: the checkout is given by path.
import fs from 'node:fs';
import path from 'node:path';

export interface ManifestCase {
  name: string;
  file: string;
  version?: string;
  module?: string;
  'use-test'?: boolean;
  packages?: string[];
  supporting?: string[];
  profiles?: string[];
  logical?: string;
  java?: string | { errorCount?: number };
  profile?: { source?: string; supporting?: string[]; java?: string | { errorCount?: number } };
  'allowed-extension-domain'?: string;
  [key: string]: unknown;
}

export interface ConformanceCase {
  name: string;
  module: string;
  /** The instance to validate (text: it may not parse). */
  file: string;
  /** Conformance resources to load first (StructureDefinitions, ValueSets, CodeSystems, Questionnaires…). */
  supporting: string[];
  /** A profile step: validate against this StructureDefinition too, with its own verdict. */
  profile?: { source: string; supporting: string[]; expectedValid: boolean; expectedErrors: string[] };
  expectedValid: boolean;
  /** The reference validator's error texts (shown with --verbose). */
  expectedErrors: string[];
  allowedExtensionDomains: string[];
  /** The reference validator's switches the manifest sets for this case. */
  switches: { securityChecks: boolean; noHtmlInMarkdown: boolean; allowExampleUrls: boolean };
}

/**
 * Modules that are not about validating FHIR JSON against the R4 specification and profiles:
 * logical models of other formats (CDA, CDS Hooks, SMART Health Cards), JSON5 input, digital
 * signatures, package version resolution, and the test harness's own matchetype comparisons.
 */
export const NON_CORE_MODULES = new Set(['cda', 'cdshooks', 'shc', 'json5', 'dsig', 'package-versioning', 'matchetype', 'logical']);

/** Expected verdict: any issue of severity error or fatal in the reference outcome means invalid. */
function verdict(outcomes: string, name: string, java: ManifestCase['java'], suffix: 'base' | 'profile'): { valid: boolean; errors: string[] } | undefined {
  const candidates = [typeof java === 'string' ? java : undefined, `java/R4.${name}-${suffix}.json`].filter((x): x is string => !!x);
  for (const c of candidates) {
    const file = path.join(outcomes, c);
    if (!fs.existsSync(file)) continue;
    const oo = JSON.parse(fs.readFileSync(file, 'utf8')) as { issue?: Array<{ severity: string; details?: { text?: string }; expression?: string[] }> };
    const errors = (oo.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    return { valid: errors.length === 0, errors: errors.map((i) => `${i.expression?.[0] ?? ''}: ${i.details?.text ?? ''}`) };
  }
  if (java && typeof java === 'object' && typeof java.errorCount === 'number') return { valid: java.errorCount === 0, errors: [] };
  return undefined;
}

export interface Selection {
  cases: ConformanceCase[];
  /** Cases left out, by reason (for the report). */
  excluded: Record<string, number>;
}

export function selectCases(checkout: string): Selection {
  const dir = path.join(checkout, 'validator');
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`${manifestFile} not found: give the path of a fhir-test-cases checkout`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { 'test-cases': ManifestCase[] };
  const excluded: Record<string, number> = {};
  const skip = (why: string) => {
    excluded[why] = (excluded[why] ?? 0) + 1;
  };
  const cases: ConformanceCase[] = [];
  for (const c of manifest['test-cases']) {
    if (c.version !== '4.0') {
      skip('not R4');
      continue;
    }
    if (!c.file.endsWith('.json')) {
      skip('not JSON');
      continue;
    }
    if (c['use-test'] === false) {
      skip('disabled in the manifest');
      continue;
    }
    if (c.packages?.length) {
      skip('needs extra packages');
      continue;
    }
    if (c.logical || NON_CORE_MODULES.has(c.module ?? '')) {
      skip('not core (logical models, signatures, JSON5, package versions, harness)');
      continue;
    }
    const supporting = [...(c.supporting ?? []), ...(c.profiles ?? [])].map((f) => path.join(dir, f));
    // supporting5: definitions given only as R5 XML files.
    if (Array.isArray(c.supporting5) || supporting.some((f) => !f.endsWith('.json') || !fs.existsSync(f)) || !fs.existsSync(path.join(dir, c.file))) {
      skip('needs a supporting file that is not JSON or not in the checkout');
      continue;
    }
    const expected = verdict(path.join(dir, 'outcomes'), c.name, c.java, 'base');
    if (expected === undefined) {
      skip('no reference outcome');
      continue;
    }
    let profile: ConformanceCase['profile'];
    if (c.profile?.source) {
      const pv = verdict(path.join(dir, 'outcomes'), c.name, c.profile.java, 'profile');
      const psup = (c.profile.supporting ?? []).map((f) => path.join(dir, f));
      const source = path.join(dir, c.profile.source);
      if (pv !== undefined && source.endsWith('.json') && fs.existsSync(source) && psup.every((f) => f.endsWith('.json') && fs.existsSync(f))) {
        profile = { source, supporting: psup, expectedValid: pv.valid, expectedErrors: pv.errors };
      }
    }
    const domain = c['allowed-extension-domain'];
    cases.push({
      name: c.name,
      module: c.module ?? '(none)',
      file: path.join(dir, c.file),
      supporting,
      profile,
      expectedValid: expected.valid,
      expectedErrors: expected.errors,
      allowedExtensionDomains: typeof domain === 'string' ? [domain] : [],
      switches: { securityChecks: c['security-checks'] === true, noHtmlInMarkdown: c.noHtmlInMarkdown === true, allowExampleUrls: c.examples !== false },
    });
  }
  return { cases, excluded };
}
