// The narrative rules of R4 (narrative.html#xhtml, invariants txt-1 and txt-2): `Narrative.div` is
// well-formed XHTML with a `div` root in the XHTML namespace, uses only the basic XHTML the spec
// allows — no scripts, forms, frames, objects, style sheets, no event attributes, no `javascript:`
// URLs — and has some non-whitespace content. Narrative is refused, never "sanitised".
//
// A small purpose-built scanner rather than a general XML parser: the subset is tiny (no DTDs, no
// processing instructions) and this check runs on every write — a streaming parser cost ~110 µs
// for a 1 kB div, this scanner a few µs.
import { lookupTable } from '../../lookup-table';

export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const CORE_ATTRIBUTES = new Set(['id', 'class', 'style', 'title', 'lang', 'xml:lang', 'dir']);
const CELL = ['abbr', 'axis', 'headers', 'scope', 'rowspan', 'colspan', 'align', 'char', 'charoff', 'valign'];
const ALIGN = ['align', 'char', 'charoff', 'valign'];

/** Element → the attributes it may carry beyond the core ones (after fhir-xhtml.xsd). */
const ELEMENTS: Record<string, Set<string>> = lookupTable(Object.fromEntries(
  Object.entries({
    div: [], p: [], span: [], br: [], hr: [], pre: ['xml:space'], blockquote: ['cite'], address: [],
    h1: [], h2: [], h3: [], h4: [], h5: [], h6: [],
    a: ['href', 'name', 'rel', 'rev', 'charset', 'type', 'hreflang', 'shape', 'coords', 'accesskey', 'tabindex'],
    img: ['src', 'alt', 'longdesc', 'height', 'width', 'usemap', 'ismap', 'border'],
    map: ['name'], area: ['shape', 'coords', 'href', 'nohref', 'alt', 'accesskey', 'tabindex'],
    b: [], i: [], tt: [], big: [], small: [], em: [], strong: [], dfn: [], code: [], q: ['cite'], samp: [], kbd: [],
    var: [], cite: [], abbr: [], acronym: [], sub: [], sup: [], bdo: [], ins: ['cite', 'datetime'], del: ['cite', 'datetime'],
    ul: [], ol: ['start', 'type'], li: ['value'], dl: [], dt: [], dd: [],
    table: ['summary', 'width', 'border', 'frame', 'rules', 'cellspacing', 'cellpadding'],
    caption: [], thead: ALIGN, tfoot: ALIGN, tbody: ALIGN, tr: ALIGN, th: [...CELL, 'width'], td: [...CELL, 'width'],
    colgroup: ['span', 'width', ...ALIGN], col: ['span', 'width', ...ALIGN],
  }).map(([k, v]) => [k, new Set(v)]),
));
const URL_ATTRIBUTES = new Set(['href', 'src', 'cite', 'longdesc', 'usemap']);
/** Schemes that run code when followed or loaded. */
const ACTIVE_URL = /^(javascript|vbscript|livescript|mocha):/i;
const NAME = /[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/y;
const ATTRIBUTE = /\s+([^\s=/>"'<]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
const NON_SPACE = /\S/;
const BAD_AMPERSAND = /&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)/;

export interface NarrativeProblem {
  /** `txt-1` (allowed XHTML, well-formed) or `txt-2` (content present). */
  rule: 'txt-1' | 'txt-2';
  text: string;
}

/** The problems of one `Narrative.div` value (empty list: acceptable). */
export function checkNarrativeDiv(div: string): NarrativeProblem[] {
  const problems: NarrativeProblem[] = [];
  const add = (rule: NarrativeProblem['rule'], text: string) => {
    if (problems.length < 10 && !problems.some((q) => q.text === text)) problems.push({ rule, text });
  };
  const malformed = (why: string) => {
    add('txt-1', `the narrative is not well-formed XHTML: ${why}`);
    return problems;
  };
  const stack: string[] = [];
  let sawRoot = false;
  let hasContent = false;
  let pos = 0;
  while (pos < div.length) {
    const lt = div.indexOf('<', pos);
    const text = div.slice(pos, lt < 0 ? div.length : lt);
    if (text) {
      if (text.includes('&') && BAD_AMPERSAND.test(text)) return malformed("an '&' that does not start an entity");
      if (!hasContent || !stack.length ? NON_SPACE.test(text) : false) {
        if (!stack.length) return malformed('text outside the div');
        hasContent = true;
      }
    }
    if (lt < 0) break;
    pos = lt;
    if (div.startsWith('<!--', pos)) {
      const end = div.indexOf('-->', pos + 4);
      if (end < 0) return malformed('an unterminated comment');
      pos = end + 3;
      continue;
    }
    if (div.startsWith('<![CDATA[', pos)) {
      const end = div.indexOf(']]>', pos + 9);
      if (end < 0 || !stack.length) return malformed('a misplaced CDATA section');
      if (div.slice(pos + 9, end).trim()) hasContent = true;
      pos = end + 3;
      continue;
    }
    if (div.startsWith('<!', pos) || div.startsWith('<?', pos)) {
      add('txt-1', 'a narrative must not contain a DOCTYPE, declarations or processing instructions');
      return problems;
    }
    if (div.startsWith('</', pos)) {
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(div);
      if (!m) return malformed('a broken end tag');
      const close = /\s*>/y;
      close.lastIndex = NAME.lastIndex;
      if (!close.exec(div)) return malformed(`a broken end tag </${m[0]}>`);
      if (stack.pop() !== m[0]) return malformed(`</${m[0]}> does not close the open element`);
      pos = close.lastIndex;
      continue;
    }
    NAME.lastIndex = pos + 1;
    const nm = NAME.exec(div);
    if (!nm) return malformed("a '<' that does not start a tag");
    const tag = nm[0];
    let at = NAME.lastIndex;
    const attributes = new Map<string, string>();
    for (;;) {
      ATTRIBUTE.lastIndex = at;
      const am = ATTRIBUTE.exec(div);
      if (!am) break;
      if (attributes.has(am[1])) return malformed(`the attribute '${am[1]}' appears twice on <${tag}>`);
      const value = am[2] ?? am[3] ?? '';
      if (value.includes('&') && BAD_AMPERSAND.test(value)) return malformed(`an '&' that does not start an entity in an attribute of <${tag}>`);
      attributes.set(am[1], value);
      at = ATTRIBUTE.lastIndex;
    }
    TAG_END.lastIndex = at;
    const end = TAG_END.exec(div);
    if (!end) return malformed(`a broken start tag <${tag}>`);
    pos = TAG_END.lastIndex;
    if (!stack.length) {
      if (sawRoot) return malformed('more than one root element');
      sawRoot = true;
      if (tag !== 'div') add('txt-1', `the root element of the narrative must be a div, not <${tag}>`);
      if (attributes.get('xmlns') !== XHTML_NS) add('txt-1', `the narrative div must be in the XHTML namespace (xmlns="${XHTML_NS}")`);
    } else if (attributes.has('xmlns') && attributes.get('xmlns') !== XHTML_NS) add('txt-1', `<${tag}> is not in the XHTML namespace`);
    checkElement(tag, attributes, add);
    if (tag === 'img' || tag === 'br' || tag === 'hr') hasContent = true;
    if (!end[1]) stack.push(tag);
  }
  if (stack.length) return malformed(`<${stack[stack.length - 1]}> is not closed`);
  if (!sawRoot) return malformed('there is no div element');
  if (!hasContent) add('txt-2', 'the narrative must have some non-whitespace content');
  return problems;
}

function checkElement(tag: string, attributes: Map<string, string>, add: (rule: 'txt-1', text: string) => void): void {
  const allowed = ELEMENTS[tag];
  if (!allowed) {
    add('txt-1', `the element <${tag}> is not allowed in a narrative`);
    return;
  }
  for (const [name, value] of attributes) {
    const lower = name.toLowerCase();
    if (lower === 'xmlns' || lower.startsWith('xmlns:')) continue;
    if (lower.startsWith('on')) {
      add('txt-1', `the event attribute '${name}' on <${tag}> is not allowed in a narrative`);
      continue;
    }
    if (!CORE_ATTRIBUTES.has(lower) && !allowed.has(lower)) {
      add('txt-1', `the attribute '${name}' is not allowed on <${tag}> in a narrative`);
      continue;
    }
    if (URL_ATTRIBUTES.has(lower) && ACTIVE_URL.test(decodeForUrlCheck(value))) add('txt-1', `the ${lower} of <${tag}> must not be a script URL`);
    if (lower === 'style' && /expression\s*\(|url\s*\(\s*['"]?\s*(javascript|vbscript):/i.test(decodeForUrlCheck(value))) add('txt-1', `the style of <${tag}> must not run script`);
  }
}

/** What a browser would see: character references decoded, whitespace and controls removed. */
function decodeForUrlCheck(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
    .replace(/&#([0-9]+);/g, (_, d: string) => String.fromCodePoint(Math.min(parseInt(d, 10), 0x10ffff)))
    .replace(/&colon;/gi, ':')
    .replace(/&tab;|&newline;/gi, '')
    .replace(/[\u0000-\u0020\u007f-\u00a0]/g, '');
}
