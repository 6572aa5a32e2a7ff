// The linker's pure parts: normalisation, nicknames, the field comparators on each kind of
// discrepancy the generator plants (and on people who merely look alike), blocking keys, scoring.
import type { Patient } from '@medplum/fhirtypes';
import { compare, FIELDS } from '../../src/ai/matching/compare';
import { matchFeatures, phoneticCodes } from '../../src/ai/matching/features';
import { areNicknames } from '../../src/ai/matching/nicknames';
import { normaliseAddressLine, normalisePhone, normaliseIdentifierValue } from '../../src/ai/matching/normalise';
import { patientBlockingKeys } from '../../src/ai/matching/blocking-keys';
import { PRIOR_MODEL, scorePair } from '../../src/ai/matching/model';

const MRN = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] };

const base: Patient = {
  resourceType: 'Patient',
  identifier: [
    { type: MRN, system: 'http://a.example.org/mrn', value: 'MRN00000433' },
    { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-12-3456' },
  ],
  name: [{ use: 'official', family: 'Johnson', given: ['Katherine', 'Grace'] }],
  gender: 'female',
  birthDate: '1961-03-08',
  telecom: [{ system: 'phone', value: '+1-612-555-0142' }, { system: 'email', value: 'kate.j@example.com' }],
  address: [{ line: ['4417 North Maple Street'], city: 'Northbridge', postalCode: '55412' }],
};

function level(field: keyof typeof FIELDS, a: Patient, b: Patient): string | undefined {
  const l = compare(matchFeatures(a), matchFeatures(b)).vector[field];
  return l < 0 ? undefined : FIELDS[field][l];
}

function variant(change: (p: Patient) => void): Patient {
  const p = structuredClone(base);
  change(p);
  return p;
}

describe('normalisation', () => {
  it('reduces address lines to one form (USPS abbreviations, punctuation, # as apt)', () => {
    expect(normaliseAddressLine('4417 North Maple Street, Apartment 3')).toBe(normaliseAddressLine('4417 N. Maple St #3'));
    expect(normaliseAddressLine('12 Oak Avenue')).toBe('12 oak ave');
  });
  it('keeps the last ten digits of phones and strips identifier punctuation', () => {
    expect(normalisePhone('+1 (612) 555-0142')).toBe('6125550142');
    expect(normaliseIdentifierValue('999-12 3456')).toBe('999123456');
  });
  it('gives Double Metaphone codes that unite spellings of one sound', () => {
    expect(phoneticCodes('catherine')).toEqual(phoneticCodes('katherine'));
    expect(phoneticCodes('smith')).toContain('XMT');
    expect(phoneticCodes('schmidt')).toContain('XMT');
  });
});

describe('nicknames', () => {
  it('knows familiar forms in both directions, and only those', () => {
    expect(areNicknames('william', 'bill')).toBe(true);
    expect(areNicknames('bill', 'william')).toBe(true);
    expect(areNicknames('francisco', 'paco')).toBe(true);
    expect(areNicknames('william', 'robert')).toBe(false);
    expect(areNicknames('bill', 'bill')).toBe(false);
  });
});

describe('field comparators', () => {
  it('grade a family-name typo as close, an unrelated name as different', () => {
    expect(level('family', base, variant((p) => (p.name![0].family = 'Jonhson')))).toBe('phonetic-or-close');
    expect(level('family', base, variant((p) => (p.name![0].family = 'Okafor')))).toBe('different');
  });
  it('grade a nickname as a nickname, a dropped middle name as exact', () => {
    expect(level('given', base, variant((p) => (p.name![0].given = ['Kate'])))).toBe('nickname');
    expect(level('given', base, variant((p) => (p.name![0].given = ['Katherine'])))).toBe('exact');
    expect(level('given', base, variant((p) => (p.name![0].given = ['Mary'])))).toBe('different');
  });
  it('recognise a birth date with day and month swapped', () => {
    expect(level('birthDate', base, variant((p) => (p.birthDate = '1961-08-03')))).toBe('day-month-swapped');
    expect(level('birthDate', base, variant((p) => (p.birthDate = '1961-03-09')))).toBe('one-part-differs');
    expect(level('birthDate', base, variant((p) => (p.birthDate = '1975-11-20')))).toBe('different');
  });
  it('compare addresses after normalisation, and never call another house number similar', () => {
    expect(level('address', base, variant((p) => (p.address![0].line = ['4417 N Maple St'])))).toBe('exact');
    expect(level('address', base, variant((p) => (p.address![0].line = ['4417 N Mapel St'])))).toBe('similar');
    expect(level('address', base, variant((p) => (p.address![0].line = ['4418 N Maple St'])))).toBe('different');
  });
  it('treat identifiers: identical = certain, one keying slip = near, conflicts by kind', () => {
    const same = compare(matchFeatures(base), matchFeatures(variant((p) => (p.identifier = [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999123456' }]))));
    expect(same.sameIdentifier).toBe(true);
    expect(level('identifier', base, variant((p) => (p.identifier = [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-21-3456' }])))).toBe('near');
    expect(level('identifier', base, variant((p) => (p.identifier = [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-77-0000' }])))).toBe('conflicting-person-identifier');
    expect(level('identifier', base, variant((p) => (p.identifier = [{ type: MRN, system: 'http://a.example.org/mrn', value: 'MRN00099999' }])))).toBe('conflicting-record-number');
    expect(level('identifier', base, variant((p) => (p.identifier = [{ system: 'urn:other', value: 'x' }])))).toBeUndefined();
  });
});

describe('scoring with the prior model', () => {
  const score = (p: Patient) => scorePair(PRIOR_MODEL, compare(matchFeatures(base), matchFeatures(p)));
  it('is certain for a shared identifier even when the rest differs', () => {
    const s = score({ resourceType: 'Patient', identifier: [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-12-3456' }], name: [{ family: 'Other' }] });
    expect(s).toMatchObject({ probability: 1, grade: 'certain' });
  });
  it('rates second registrations with one discrepancy at least probable', () => {
    const second = (change: (p: Patient) => void) => variant((p) => {
      p.identifier = [{ type: MRN, system: 'http://b.example.org/mrn', value: 'MRN90000061' }];
      change(p);
    });
    for (const p of [second((p) => (p.name![0].family = 'Jonhson')), second((p) => (p.name![0].given = ['Kate'])), second((p) => (p.birthDate = '1961-08-03')), second((p) => delete p.telecom)]) {
      expect(['certain', 'probable']).toContain(score(p).grade);
    }
  });
  it('rates a namesake born elsewhere on another day below possible', () => {
    const namesake = variant((p) => {
      p.identifier = [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-55-1111' }];
      p.birthDate = '1961-11-23';
      p.address = [{ line: ['12 Oak Avenue'], postalCode: '55301' }];
      p.telecom = [{ system: 'phone', value: '+1-651-555-9999' }];
    });
    expect(score(namesake).grade).toBe('certainly-not');
  });
  it('lowers the score when identifiers of one system conflict', () => {
    const lookalike = variant((p) => (p.identifier = [{ system: 'urn:no-shared-system', value: '1' }]));
    const conflicting = variant((p) => (p.identifier = [{ system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-55-1111' }]));
    expect(score(conflicting).weight).toBeLessThan(score(lookalike).weight);
  });
});

describe('blocking keys', () => {
  it('combine phonetic names, birth date or year, postal code and identifiers', () => {
    const keys = patientBlockingKeys(base);
    expect(keys).toEqual(expect.arrayContaining(['fy:JNSN:1961', 'gd:K0RN:1961-03-08', 'fg:JNSN:K0RN', 'py:55412:1961', 'id:http://hl7.org/fhir/sid/us-ssn|999123456']));
  });
  it('are shared by every kind of planted duplicate', () => {
    const keys = new Set(patientBlockingKeys(base));
    for (const p of [
      variant((p) => (p.name![0].family = 'Jonhson')),
      variant((p) => (p.name![0].given = ['Kate'])),
      variant((p) => (p.birthDate = '1961-08-03')),
    ]) {
      p.identifier = [];
      expect(patientBlockingKeys(p).some((k) => keys.has(k))).toBe(true);
    }
  });
  it('are empty for a Patient without names, dates or identifiers', () => {
    expect(patientBlockingKeys({ resourceType: 'Patient', gender: 'male' })).toEqual([]);
  });
});
