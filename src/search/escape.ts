// FHIR search value escaping (R4 search.html §3.1.1.1.7): `\` escapes `,` `$` `|` and itself.
// Splitting happens on unescaped separators first; unescaping is the last step on each part.

/** Splits on unescaped `sep`, keeping escapes in the parts. */
export function splitUnescaped(text: string, sep: ',' | '$' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function unescapeValue(text: string): string {
  return text.replace(/\\([\\,$|])/g, '$1');
}

/** The inverse, for writing applied parameters back into self/next links. */
export function escapeValue(text: string): string {
  return text.replace(/[\\,$|]/g, (c) => `\\${c}`);
}
