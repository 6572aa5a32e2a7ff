// Normalisation of the Patient fields the linker compares: names folded to plain lower-case
// letters, postal addresses reduced to one canonical form, phone numbers to digits. Pure text
// functions; features.ts applies them to a Patient.
import { lookupTable } from '../../lookup-table';

/** Lower case, accents removed, anything but letters, spaces and hyphens dropped. */
export function foldName(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z\s-]/g, '')
    .replace(/[\s-]+/g, ' ')
    .trim();
}

// Street suffixes, directionals and unit designators with their standard abbreviations
// (USPS Publication 28, "Postal Addressing Standards", appendices C1 and C2), so that
// "12 North Maple Street, Apartment 3" and "12 N Maple St Apt 3" read alike.
const ABBREVIATIONS: Readonly<Record<string, string>> = lookupTable({
  street: 'st', str: 'st', avenue: 'ave', av: 'ave', avn: 'ave', road: 'rd', lane: 'ln', drive: 'dr', drv: 'dr',
  court: 'ct', boulevard: 'blvd', boul: 'blvd', way: 'wy', place: 'pl', terrace: 'ter', circle: 'cir',
  highway: 'hwy', parkway: 'pkwy', square: 'sq', trail: 'trl', crescent: 'cres', alley: 'aly',
  north: 'n', south: 's', east: 'e', west: 'w', northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
  apartment: 'apt', suite: 'ste', unit: 'unit', floor: 'fl', building: 'bldg', room: 'rm',
  first: '1st', second: '2nd', third: '3rd', fourth: '4th', fifth: '5th',
});

/** An address line in canonical form: folded, punctuation gone, standard abbreviations, `#` as `apt`. */
export function normaliseAddressLine(line: string): string {
  const words = line
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/#/g, ' apt ')
    .replace(/[^a-z0-9\s]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  return words.map((w) => ABBREVIATIONS[w] ?? w).join(' ');
}

/** The house number of a normalised line (its first run of digits), if any. */
export function houseNumber(line: string): string | undefined {
  return /\d+/.exec(line)?.[0];
}

/** A US-style postal code's first five digits (ZIP+4 and spaces dropped); other codes folded. */
export function normalisePostalCode(code: string): string {
  const compact = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return /^\d{5}/.test(compact) ? compact.slice(0, 5) : compact;
}

/** The last ten digits of a phone number (country prefixes and punctuation vary between desks). */
export function normalisePhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length > 10 ? digits.slice(-10) : digits;
}

/** An identifier value without spaces, dashes or dots, upper case (999-12-3456 = 999123456). */
export function normaliseIdentifierValue(value: string): string {
  return value.replace(/[\s.\-/]/g, '').toUpperCase();
}

/** A FHIR date reduced to [year, month, day] (missing parts undefined); undefined when invalid. */
export function dateParts(value: string): { year: number; month?: number; day?: number } | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(value);
  if (!m) return undefined;
  return { year: Number(m[1]), month: m[2] ? Number(m[2]) : undefined, day: m[3] ? Number(m[3]) : undefined };
}
