// `npm run conformance -- --cases <fhir-test-cases checkout>`: validates the core R4 JSON cases of
// validator/manifest.json and prints how often the valid/invalid verdict agrees with the reference
// validator's. Fetches nothing; `--validator schema` measures the old per-type JSON schema instead.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { r4Definitions } from '../../src/fhir/definitions';
import { ConformanceRegistry, R4PackageSource, type CanonicalResource } from '../../src/fhir/validator/registry';
import { FhirValidator, hasErrors } from '../../src/fhir/validator/validator';
import { generateSnapshot } from '../../src/fhir/validator/snapshot';
import { TerminologyService } from '../../src/terminology/service';
import { selectCases, type ConformanceCase } from './cases';
import { ResourceValidator as SchemaValidator } from './schema-baseline';

const USAGE = `usage: npm run conformance -- --cases <path to a fhir-test-cases checkout> [--validator structure|schema] [--verbose] [--only <name>]`;

interface Outcome {
  name: string;
  module: string;
  step: 'base' | 'profile';
  expectedValid: boolean;
  valid: boolean;
  errors: string[];
  expectedErrors?: string[];
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Loads a case's supporting resources into a fresh registry over the shared core package. */
function registryFor(source: R4PackageSource, files: string[]): ConformanceRegistry {
  const registry = new ConformanceRegistry(source);
  const resources: CanonicalResource[] = [];
  for (const f of files) {
    const r = readJson(f) as CanonicalResource & { entry?: Array<{ resource?: CanonicalResource }> };
    if (r.resourceType === 'Bundle') resources.push(...(r.entry ?? []).map((e) => e.resource).filter((x): x is CanonicalResource => !!x));
    else resources.push(r);
  }
  for (const r of resources) registry.add(r);
  // Profiles given as differentials get their snapshots once everything they may build on is known.
  for (const r of resources) {
    if (r.resourceType === 'StructureDefinition' && !(r as { snapshot?: unknown }).snapshot) {
      try {
        registry.add(generateSnapshot(r as never, registry));
      } catch {
        // left without a snapshot: validating against it reports the profile as unusable
      }
    }
  }
  return registry;
}

function runStructure(c: ConformanceCase, source: R4PackageSource, types: ReadonlySet<string>): Outcome[] {
  const out: Outcome[] = [];
  let resource: unknown;
  try {
    resource = readJson(c.file);
  } catch (e) {
    const errors = [`not JSON: ${(e as Error).message}`];
    out.push({ name: c.name, module: c.module, step: 'base', expectedValid: c.expectedValid, valid: false, errors });
    if (c.profile) out.push({ name: c.name, module: c.module, step: 'profile', expectedValid: c.profile.expectedValid, valid: false, errors });
    return out;
  }
  // The base step knows only the case's supporting files; the profile step adds its own.
  const base = makeValidator(registryFor(source, c.supporting), c, types).validate(resource);
  out.push(outcome(c, 'base', c.expectedValid, base));
  if (c.profile) {
    const registry = registryFor(source, [...c.supporting, c.profile.source, ...c.profile.supporting]);
    const url = (readJson(c.profile.source) as { url?: string }).url;
    const issues = url ? makeValidator(registry, c, types).validate(resource, { profiles: [url] }) : [];
    out.push(outcome(c, 'profile', c.profile.expectedValid, issues));
  }
  return out;
}

/**
 * The reference validator's defaults: an extension that cannot be resolved is an error, except that
 * HL7's own extension URLs resolve through the extensions package it always loads (which this
 * server does not bundle: those stay warnings here; the same for the cross-version (`/5.0/…`) and
 * tools extensions it generates or loads), and example.org URLs are not accepted.
 */
function makeValidator(registry: ConformanceRegistry, c: ConformanceCase, types: ReadonlySet<string>): FhirValidator {
  return new FhirValidator(registry, new TerminologyService(registry), types, {
    unknownExtensions: 'error',
    lenientExtensionDomains: ['http://hl7.org/fhir/StructureDefinition/', 'http://hl7.org/fhir/tools/StructureDefinition/', 'http://hl7.org/fhir/3.0/', 'http://hl7.org/fhir/4.3/', 'http://hl7.org/fhir/5.0/', 'http://hl7.org/fhir/6.0/'],
    allowedExtensionDomains: c.allowedExtensionDomains,
    displayMismatch: 'error',
    ...c.switches,
  });
}

function outcome(c: ConformanceCase, step: Outcome['step'], expectedValid: boolean, issues: { severity: string; diagnostics: string; messageId?: string }[]): Outcome {
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `${i.messageId ?? ''} ${i.diagnostics}`.trim());
  return { name: c.name, module: c.module, step, expectedValid, valid: !hasErrors(issues as never), errors, expectedErrors: step === 'base' ? c.expectedErrors : c.profile?.expectedErrors };
}

function runSchema(c: ConformanceCase, schema: SchemaValidator): Outcome[] {
  let issues: { severity: string; diagnostics: string }[];
  try {
    const r = readJson(c.file) as { resourceType?: unknown };
    issues = typeof r?.resourceType === 'string' && r4Definitions().isResourceType(r.resourceType) ? schema.validate(r, r.resourceType) : [{ severity: 'error', diagnostics: 'no R4 resourceType' }];
  } catch (e) {
    issues = [{ severity: 'error', diagnostics: `not JSON: ${(e as Error).message}` }];
  }
  const out = [outcome(c, 'base', c.expectedValid, issues)];
  // The schema knows no profiles: its profile verdict is its base verdict.
  if (c.profile) out.push(outcome(c, 'profile', c.profile.expectedValid, issues));
  return out;
}

/** Reference errors about code system content only a terminology server holds. */
const TERMINOLOGY_CONTENT = /loinc\.org|snomed\.info|\/sid\/cvx|UCUM|unitsofmeasure|urn:iso:std|ECL/i;

/**
 * A verdict "needs a terminology server" when every error the reference reports is about content
 * of LOINC, SNOMED CT, CVX, UCUM or ISO code systems (displays, unknown codes, ECL): no validator
 * without those code systems can reach it. A verdict with any other error stays in the count.
 */
function needsTerminologyServer(o: Outcome): boolean {
  return !o.expectedValid && !!o.expectedErrors?.length && o.expectedErrors.every((e) => TERMINOLOGY_CONTENT.test(e));
}

/** Why a verdict differs, judged from the reference's messages (first matching rule wins). */
const CATEGORIES: Array<[string, RegExp]> = [
  ['terminology content the server does not hold (LOINC, SNOMED CT, CVX, UCUM, ISO codes): needs a terminology server', TERMINOLOGY_CONTENT],
  ['rules of the reference validator for conformance resources (ValueSet, CodeSystem, ConceptMap, SearchParameter, CapabilityStatement, StructureDefinition, ImplementationGuide)', /^(ValueSet|CodeSystem|ConceptMap|SearchParameter|CapabilityStatement|StructureDefinition|ImplementationGuide)\b/],
  ['Measure / MeasureReport consistency', /^(Measure|MeasureReport)\b/],
  ['Bundle rules beyond the R4 invariants (fullUrl form, link relations, duplicate ids, resolving references inside the Bundle)', /fullUrl|link relationship|Duplicate id|in the bundle|resolve|Unable to resolve/i],
  ['best-practice and security checks (embedded HTML in strings, example URLs, narrative hyperlinks, markdown, attachment sizes)', /HTML|Example URLs|Hyperlink|markdown|Attachment Size|security/i],
  ['SDC Questionnaire extensions and answer formats', /QuestionnaireResponse|Questionnaire\./],
  ['extension context and cross-version extensions', /extension|5\.0\/StructureDefinition/i],
];

function category(o: Outcome): string {
  if (o.expectedValid) return `refused here, accepted by the reference: ${o.errors[0]?.split(' ')[0] ?? 'error'}`;
  if (needsTerminologyServer(o)) return CATEGORIES[0][0];
  const others = (o.expectedErrors ?? []).filter((e) => !TERMINOLOGY_CONTENT.test(e));
  for (const [name, re] of CATEGORIES.slice(1)) if (others.some((e) => re.test(e))) return name;
  return 'other rules (profiles, invariants, formats)';
}

function main(): number {
  let args;
  try {
    args = parseArgs({ options: { cases: { type: 'string' }, validator: { type: 'string', default: 'structure' }, verbose: { type: 'boolean', default: false }, only: { type: 'string' } } });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { cases: checkout, validator, verbose, only } = args.values;
  if (!checkout || (validator !== 'structure' && validator !== 'schema')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { cases, excluded } = selectCases(checkout);
  const selected = only ? cases.filter((c) => c.name.includes(only)) : cases;
  const source = new R4PackageSource();
  const types = new Set(r4Definitions().resourceTypes);
  const schema = validator === 'schema' ? new SchemaValidator(r4Definitions()) : undefined;
  const outcomes: Outcome[] = [];
  const started = Date.now();
  for (const c of selected) {
    try {
      outcomes.push(...(schema ? runSchema(c, schema) : runStructure(c, source, types)));
    } catch (e) {
      outcomes.push({ name: c.name, module: c.module, step: 'base', expectedValid: c.expectedValid, valid: false, errors: [`CRASH ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`] });
    }
  }
  const agree = outcomes.filter((o) => o.valid === o.expectedValid);
  const lines: string[] = [];
  lines.push(`# Validator conformance: ${validator === 'schema' ? 'per-type R4 JSON schema (the old write validator)' : 'StructureDefinition-driven validator'}`);
  lines.push('', `cases: ${selected.length} (verdicts: ${outcomes.length}, of which ${outcomes.filter((o) => o.step === 'profile').length} profile steps) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  lines.push(`left out: ${Object.entries(excluded).map(([k, v]) => `${v} ${k}`).join('; ')}`);
  lines.push('', `**agreement with the reference validator: ${agree.length}/${outcomes.length} = ${((100 * agree.length) / Math.max(1, outcomes.length)).toFixed(1)} %**`);
  // The verdicts whose reference errors are about terminology this server does not hold.
  const txDependent = outcomes.filter(needsTerminologyServer);
  const rest = outcomes.filter((o) => !txDependent.includes(o));
  const restAgree = rest.filter((o) => o.valid === o.expectedValid).length;
  lines.push(`without the ${txDependent.length} verdicts that need a terminology server: ${restAgree}/${rest.length} = ${((100 * restAgree) / Math.max(1, rest.length)).toFixed(1)} %`);
  const falseInvalid = outcomes.filter((o) => o.expectedValid && !o.valid);
  const falseValid = outcomes.filter((o) => !o.expectedValid && o.valid);
  lines.push(`disagreements: ${falseInvalid.length} refused what the reference accepts, ${falseValid.length} accepted what the reference refuses`);
  const modules = [...new Set(outcomes.map((o) => o.module))].sort();
  lines.push('', '| module | verdicts | agree | % |', '| --- | ---: | ---: | ---: |');
  for (const m of modules) {
    const mine = outcomes.filter((o) => o.module === m);
    const ok = mine.filter((o) => o.valid === o.expectedValid).length;
    lines.push(`| ${m} | ${mine.length} | ${ok} | ${((100 * ok) / mine.length).toFixed(0)} |`);
  }
  lines.push('', '| remaining disagreement (by what the reference reports) | verdicts |', '| --- | ---: |');
  const byCategory = new Map<string, number>();
  for (const o of [...falseInvalid, ...falseValid]) byCategory.set(category(o), (byCategory.get(category(o)) ?? 0) + 1);
  for (const [k, n] of [...byCategory].sort((a, b) => b[1] - a[1])) lines.push(`| ${k} | ${n} |`);
  if (verbose) {
    lines.push('', '## Disagreements');
    for (const o of [...falseInvalid, ...falseValid]) {
      lines.push(`- ${o.name} [${o.module}/${o.step}] {${category(o).split(/[(:]/)[0].trim()}} reference: ${o.expectedValid ? 'valid' : 'invalid'}; here: ${o.valid ? 'valid' : 'invalid'}${o.errors.length ? ` — ${o.errors.slice(0, 3).join(' | ').slice(0, 400)}` : ''}${o.expectedErrors?.length ? ` — reference: ${o.expectedErrors.slice(0, 3).join(' | ').slice(0, 400)}` : ''}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

process.exitCode = main();
