// Resolution of links between the entries of a transaction (R4 bundle.html#references and
// http.html#trules): once every entry's server identity is known, each `urn:uuid:`/`urn:oid:`
// fullUrl, each absolute RESTful fullUrl and each relative `Type/id` that names another entry is
// replaced by the identity the server assigned. Conditional references (`Type?criteria`) are
// replaced by what they resolved to. References to resources outside the Bundle are left alone.
import { errors } from '../fhir/errors';
import { visitResource, type LinkKind } from './link-walker';

/** The identity an entry ends up with on this server. */
export interface EntryIdentity {
  type: string;
  id: string;
  /** The resource's canonical `url`, if it has one (what a canonical link should point at). */
  canonicalUrl?: string;
  /** The server gave the entry an identity other than its fullUrl names (POST): links in
   * uri/url elements and narrative that spell the fullUrl must follow. */
  renamed: boolean;
}

const URN = /^urn:(uuid|oid):/;

/** `http://host/base/Patient/1(/_history/2)` → { base, typeId: 'Patient/1' }; undefined if not RESTful. */
export function splitRestfulUrl(url: string): { base: string; typeId: string } | undefined {
  const m = /^(https?:\/\/.+?)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(url);
  return m ? { base: m[1], typeId: `${m[2]}/${m[3]}` } : undefined;
}

export class BundleReferences {
  /** fullUrl (exact) → identity. */
  private readonly byFullUrl = new Map<string, EntryIdentity>();
  /** `Type/id` tail of RESTful fullUrls → identities (several if bases differ). */
  private readonly byTail = new Map<string, EntryIdentity[]>();
  /** Conditional reference text → resolved `Type/id`. */
  private readonly conditional = new Map<string, string>();

  /** @param serverBase this server's base URL: absolute references to it become relative. */
  constructor(private readonly serverBase: string) {}

  add(fullUrl: string | undefined, identity: EntryIdentity): void {
    if (!fullUrl) return;
    this.byFullUrl.set(fullUrl, identity);
    const restful = splitRestfulUrl(fullUrl);
    if (restful) {
      const list = this.byTail.get(restful.typeId) ?? [];
      list.push(identity);
      this.byTail.set(restful.typeId, list);
    }
  }

  addConditional(reference: string, typeId: string): void {
    this.conditional.set(reference, typeId);
  }

  /** Conditional references (`Type?criteria`) found in a resource, to resolve before rewriting. */
  static conditionalReferences(resource: Record<string, unknown>): string[] {
    const found: string[] = [];
    visitResource(resource, (value, kind) => {
      if (kind === 'reference' && /^[A-Z][A-Za-z]+\?/.test(value)) found.push(value);
      return undefined;
    });
    return found;
  }

  /** Rewrites the links of one entry's resource in place. `entryFullUrl` gives the base that
   * relative references of that entry are resolved against. Throws on a dangling urn reference. */
  rewrite(resource: Record<string, unknown>, entryFullUrl: string | undefined): void {
    const entryBase = entryFullUrl ? splitRestfulUrl(entryFullUrl)?.base : undefined;
    visitResource(resource, (value, kind) => this.resolve(value, kind, entryBase));
  }

  private resolve(value: string, kind: LinkKind, entryBase: string | undefined): string | undefined {
    if (value.startsWith('#')) return undefined;
    const direct = this.byFullUrl.get(value);
    if (direct) {
      const placeholder = URN.test(value);
      // A canonical names an artifact by its url, not a location: only a urn placeholder (which
      // means nothing once stored) is replaced, by the artifact's url when it has one. An http
      // uri that is still where the entry lives (a PUT, e.g. a resource's own url) stays.
      if (kind === 'canonical') return placeholder ? (direct.canonicalUrl ?? `${direct.type}/${direct.id}`) : undefined;
      if (kind !== 'reference' && !placeholder && !direct.renamed) return undefined;
      return `${direct.type}/${direct.id}`;
    }
    if (kind !== 'reference') return undefined; // uri/url/canonical/narrative: exact fullUrl matches only
    if (URN.test(value)) throw errors.badRequest(`reference '${value.slice(0, 120)}' does not match the fullUrl of any entry`);
    const cond = this.conditional.get(value);
    if (cond) return cond;
    const hash = value.indexOf('#');
    const bare = hash >= 0 ? value.slice(0, hash) : value;
    const restful = /^https?:\/\//.test(bare) ? splitRestfulUrl(bare) : undefined;
    if (restful) {
      // An absolute reference to this server is stored relative, like every local reference.
      return restful.base === this.serverBase ? `${restful.typeId}${hash >= 0 ? value.slice(hash) : ''}` : undefined;
    }
    const m = /^([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(\/_history\/.*)?$/.exec(bare);
    if (!m) return undefined;
    // A relative reference means "on the same server as the referring entry" first, then any entry
    // with that Type/id under a single base (examples mix urn and RESTful fullUrls).
    const sameBase = entryBase ? this.byFullUrl.get(`${entryBase}/${m[1]}`) : undefined;
    const tail = this.byTail.get(m[1]);
    const target = sameBase ?? (tail && tail.length === 1 ? tail[0] : undefined);
    return target ? `${target.type}/${target.id}` : undefined;
  }
}
