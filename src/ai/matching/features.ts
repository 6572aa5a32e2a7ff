// A Patient reduced to what the linker compares, normalised once: folded names with their Double
// Metaphone codes, birth date parts, normalised address lines, postal codes, phones, e-mails and
// identifiers. Computed for the query patient and for each candidate read from the store.
import type { Identifier, Patient } from '@medplum/fhirtypes';
import doubleMetaphone from 'talisman/phonetics/double-metaphone';
import { dateParts, foldName, normaliseAddressLine, normaliseIdentifierValue, normalisePhone, normalisePostalCode } from './normalise';

export interface MatchIdentifier {
  system: string;
  value: string;
  /** Identifies the person (national id, passport, driver's licence), not one registration: a
   * conflict then says "another person". Medical record numbers (type MR) identify a registration,
   * and a person registered twice has two of them in one system. */
  person: boolean;
}

export interface MatchFeatures {
  id?: string;
  /** Folded family names (every name of the Patient; compound names also word by word). */
  families: string[];
  /** Folded first given name of the first name, then the other given names. */
  givens: string[];
  familyCodes: string[];
  givenCodes: string[];
  birthDate?: string;
  birth?: { year: number; month?: number; day?: number };
  gender?: string;
  addressLines: string[];
  postalCodes: string[];
  phones: string[];
  emails: string[];
  identifiers: MatchIdentifier[];
}

/** Double Metaphone codes of a folded name (primary, then alternate when it differs). */
export function phoneticCodes(name: string): string[] {
  const word = name.replace(/[\s-]/g, '');
  if (!word) return [];
  const [primary, alternate] = doubleMetaphone(word);
  const out: string[] = [];
  if (primary) out.push(primary);
  if (alternate && alternate !== primary) out.push(alternate);
  return out;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function strings(values: unknown): string[] {
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string' && v.trim() !== '') : [];
}

function matchIdentifier(i: Identifier): MatchIdentifier | undefined {
  if (typeof i?.system !== 'string' || typeof i.value !== 'string') return undefined;
  const value = normaliseIdentifierValue(i.value);
  if (!value) return undefined;
  // The query of $match is any Patient-shaped JSON (R4 asks for no validation): check shapes.
  const coding: unknown = i.type?.coding;
  const record = Array.isArray(coding) && coding.some((c) => (c as { code?: unknown } | null)?.code === 'MR');
  return { system: i.system, value, person: !record };
}

export function matchFeatures(patient: Patient): MatchFeatures {
  const names = Array.isArray(patient.name) ? patient.name : [];
  // Official and usual names first: they are what a desk copies from a document.
  const ordered = [...names].sort((a, b) => rank(a?.use) - rank(b?.use));
  const families: string[] = [];
  const givens: string[] = [];
  for (const n of ordered) {
    if (!n || typeof n !== 'object') continue;
    if (typeof n.family === 'string') {
      const f = foldName(n.family);
      if (f) families.push(f, ...(f.includes(' ') ? f.split(' ') : []));
    }
    for (const g of strings(n.given)) {
      const f = foldName(g);
      if (f) givens.push(f);
    }
  }
  const first = givens.slice(0, 1);
  const addresses = Array.isArray(patient.address) ? patient.address.filter((a) => a && typeof a === 'object') : [];
  const telecom = Array.isArray(patient.telecom) ? patient.telecom.filter((t) => t && typeof t === 'object') : [];
  const birthDate = typeof patient.birthDate === 'string' ? patient.birthDate : undefined;
  return {
    id: typeof patient.id === 'string' ? patient.id : undefined,
    families: unique(families),
    givens: unique(givens),
    familyCodes: unique(families.slice(0, 1).flatMap(phoneticCodes)),
    givenCodes: unique(first.flatMap(phoneticCodes)),
    birthDate,
    birth: birthDate ? dateParts(birthDate) : undefined,
    gender: typeof patient.gender === 'string' ? patient.gender : undefined,
    addressLines: unique(addresses.map((a) => normaliseAddressLine(strings(a.line).join(' '))).filter(Boolean)),
    postalCodes: unique(addresses.flatMap((a) => (typeof a.postalCode === 'string' ? [normalisePostalCode(a.postalCode)] : [])).filter(Boolean)),
    phones: unique(telecom.filter((t) => t.system === 'phone' && typeof t.value === 'string').map((t) => normalisePhone(t.value!)).filter((p) => p.length >= 7)),
    emails: unique(telecom.filter((t) => t.system === 'email' && typeof t.value === 'string').map((t) => t.value!.trim().toLowerCase()).filter(Boolean)),
    identifiers: (Array.isArray(patient.identifier) ? patient.identifier : []).flatMap((i) => matchIdentifier(i) ?? []),
  };
}

function rank(use: unknown): number {
  return use === 'official' ? 0 : use === 'usual' ? 1 : use === 'old' || use === 'maiden' ? 3 : 2;
}

/** Whether the features hold enough to look for a person at all (a name, or an identifier). */
export function isMatchable(f: MatchFeatures): boolean {
  return f.identifiers.length > 0 || (f.families.length > 0 && (f.givens.length > 0 || f.birth !== undefined));
}
