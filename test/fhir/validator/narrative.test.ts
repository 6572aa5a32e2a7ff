// The XHTML rules of R4 narrative (txt-1, txt-2) as a unit: what is refused, and that the XHTML the
// official examples use is accepted (every official example's div is checked).
import fs from 'node:fs';
import path from 'node:path';
import { checkNarrativeDiv } from '../../../src/fhir/validator/narrative';

const NS = 'xmlns="http://www.w3.org/1999/xhtml"';
const rules = (div: string) => checkNarrativeDiv(div).map((p) => p.rule);

describe('narrative XHTML rules', () => {
  it('accepts the basic XHTML the spec allows', () => {
    expect(checkNarrativeDiv(`<div ${NS}><p class="x" style="color:red">A &amp; B &#169; &lt;<br/></p><table><tbody><tr><td colspan="2">1</td></tr></tbody></table><a href="#x" name="x">x</a><img src="a.png" alt="a"/><!-- comment --></div>`)).toEqual([]);
  });

  it.each([
    ['script', `<div ${NS}><script>x()</script>y</div>`, /<script>/],
    ['style sheet', `<div ${NS}><style>p{}</style>y</div>`, /<style>/],
    ['form', `<div ${NS}><form><input/></form>y</div>`, /<form>/],
    ['iframe', `<div ${NS}><iframe src="x"></iframe>y</div>`, /<iframe>/],
    ['object', `<div ${NS}><object data="x"></object>y</div>`, /<object>/],
    ['body', `<div ${NS}><body>y</body></div>`, /<body>/],
    ['event attribute', `<div ${NS}><p onclick="x()">y</p></div>`, /onclick/],
    ['event attribute in capitals', `<div ${NS}><p OnMouseOver="x()">y</p></div>`, /OnMouseOver/],
    ['javascript: href', `<div ${NS}><a href=" JavaScript:x()">y</a></div>`, /script URL/],
    ['entity-hidden javascript: src', `<div ${NS}><img alt="" src="&#106;avascript:x()"/></div>`, /script URL/],
    ['split javascript: href', `<div ${NS}><a href="java&#x09;script:x()">y</a></div>`, /script URL/],
    ['unknown attribute', `<div ${NS}><p data-x="1">y</p></div>`, /data-x/],
    ['missing namespace', '<div><p>y</p></div>', /namespace/],
    ['wrong root', `<p ${NS}>y</p>`, /root element/],
    ['DOCTYPE', `<!DOCTYPE html><div ${NS}>y</div>`, /DOCTYPE/],
    ['not well-formed', `<div ${NS}><p>y</div>`, /well-formed/],
    ['bare ampersand', `<div ${NS}>a & b</div>`, /well-formed/],
    ['text outside', `<div ${NS}>y</div>z`, /outside/],
  ])('refuses %s', (_name, div, text) => {
    const problems = checkNarrativeDiv(div);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.text).join(' ')).toMatch(text);
  });

  it('txt-2: a narrative needs some content', () => {
    expect(rules(`<div ${NS}>  <p> </p> </div>`)).toEqual(['txt-2']);
    expect(rules(`<div ${NS}><img src="a.png" alt=""/></div>`)).toEqual([]);
  });

  it("accepts every official example's narrative except the four empty ones", () => {
    const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    const refused: string[] = [];
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      if (!text.includes('"div"')) continue;
      const divs: string[] = [];
      JSON.parse(text, (k, v) => {
        if (k === 'div' && typeof v === 'string') divs.push(v);
        return v;
      });
      if (divs.some((d) => checkNarrativeDiv(d).length)) refused.push(f);
    }
    expect(refused.sort()).toEqual([
      'ActivityDefinition-blood-tubes-supply.json',
      'ActivityDefinition-heart-valve-replacement.json',
      'EventDefinition-example.json',
      'Questionnaire-zika-virus-exposure-assessment.json',
    ]);
  }, 120_000);
});
