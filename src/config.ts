// Every setting of the server, typed and validated once at start-up. Each setting has an
// environment variable and a matching CLI flag (the flag wins); a bad value stops start-up with a
// message that names the setting and says what is allowed.
import path from 'node:path';
import { lookupTable } from './lookup-table';

export type EngineKind = 'sqlite' | 'mongodb';

/** off: anonymous full access (loopback only, or with --allow-anonymous); smart: the server is its
 * own SMART authorization server; external: tokens of an external OpenID Connect provider. */
export type AuthMode = 'off' | 'smart' | 'external';

/** A request rate: `requests` per `perMs`, with bursts of up to `requests` (a token bucket). */
export interface RateLimit {
  requests: number;
  perMs: number;
}

export interface Config {
  host: string;
  port: number;
  /** Public base URL of the FHIR endpoint, without trailing slash (used in links and Location).
   * Empty: derived per request from the Host header, which is right behind most proxies too. */
  baseUrl: string;
  engine: EngineKind;
  dataDir: string;
  mongodbUri?: string;
  mongodbDatabase: string;
  /** Without transactions, writers of one resource (and claims of one conditional criteria) take
   * turns through locks in the database; how long one waits for its turn before answering 503. */
  mongodbLockWaitMs: number;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** HTTP limits (rest/http-limits.ts): request line + headers size, header count, time to send
   * the headers and the whole request, keep-alive idle time, concurrent connections. */
  maxHeaderBytes: number;
  maxHeaders: number;
  headersTimeoutMs: number;
  receiveTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Time budget of one request, from arrival to answer (context/budget.ts): work still running
   * then is stopped and answered 503 (too-costly). Jobs have their own lifetime. */
  requestTimeoutMs: number;
  /** Load shedding (rest/admission.ts): requests served at once, and requests waiting for a turn;
   * beyond both, 503 + Retry-After at once. Health and metrics endpoints are never held back. */
  maxInFlight: number;
  maxQueued: number;
  /** Per-client rates (rest/rate-limit.ts), 429 + Retry-After beyond them; undefined = no limit.
   * Per IP address (the socket's peer), and per authenticated caller (client id / user). */
  rateLimitPerIp?: RateLimit;
  rateLimitPerCaller?: RateLimit;
  /** Server processes sharing the load (behind one balancer): each enforces 1/n of the rates. */
  processes: number;
  /** Asynchronous jobs (operations/job-service.ts): how many one process runs at once, how often
   * it looks for queued or orphaned jobs, how long a job's lease lasts without a heartbeat (after
   * that another process takes it over), and how long finished jobs stay answerable. */
  maxJobs: number;
  jobPollMs: number;
  jobLeaseMs: number;
  /** How long Appointment/$hold keeps a Slot busy-tentative when the call names no duration. */
  slotHoldMs: number;
  jobRetentionMs: number;
  /** How long Bulk Data export files stay downloadable after the export completed. */
  exportRetentionMs: number;
  /** Resources per $export file part (each part is one resume point of the job). */
  exportFileResources: number;
  defaultPageSize: number;
  maxPageSize: number;
  maxBundleEntries: number;
  /** Conditional delete may remove several matches only when enabled. */
  allowMultipleDelete: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  profilesDir: string;
  /** A write claiming (meta.profile) a profile the server does not know is refused instead of warned about. */
  strictProfiles: boolean;
  /** FHIR packages installed at start-up (paths to package.tgz files or folders, or name@version). */
  packages: string[];
  /** Profiles every write of a type must conform to (resource type → canonical URLs). */
  requiredProfiles: Record<string, string[]>;
  /** Authorization (src/auth/): see AuthMode. */
  auth: AuthMode;
  /** Serve anonymous full access on a non-loopback address (auth off); refused without it. */
  allowAnonymous: boolean;
  /** Token issuer (`iss`) to trust: external mode's provider; smart mode's is the base URL. */
  authIssuer: string;
  /** Expected `aud` of access tokens (default: the FHIR base URL). */
  authAudience: string;
  /** External mode: where the provider publishes its signing keys. */
  authJwksUrl: string;
  /** smart mode: a file with the signing keys (JWKS or PEM private keys, first one signs) instead
   * of keys generated and rotated in the database; '' for the database (src/auth/key-file.ts). */
  authKeyFile: string;
  /** External mode: the claims carrying the SMART scopes, the patient in context and the user. */
  authScopeClaim: string;
  authPatientClaim: string;
  authFhirUserClaim: string;
  /** Honour X-Forwarded-Host/-Proto (only behind a proxy that sets them). */
  trustProxy: boolean;
  /** Browser origins allowed by CORS (exact origins; `*` for any, credentials never allowed). */
  corsOrigins: string[];
  /** AuditEvent per access; undefined: on exactly when auth is on. */
  audit?: boolean;
  /** CDS Hooks clients whose JWTs are accepted on /cds-services (empty: no JWT is asked for). */
  cdsTrustedIssuers: CdsTrustedIssuer[];
}

/** A CDS client trusted by its JWT issuer (`iss`) and the JWKS URL its keys are published at. */
export interface CdsTrustedIssuer {
  issuer: string;
  jwksUrl: string;
}

export class ConfigError extends Error {}

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  flag: string;
  help: string;
  parse: (raw: string) => Config[K];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(name: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got '${raw}'`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/** Parses sizes like `16mb`, `512kb`, `1048576`. */
export function parseBytes(name: string, raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(raw);
  if (!m) throw new ConfigError(`${name} must be a size such as 16mb or 512kb, got '${raw}'`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1024) throw new ConfigError(`${name} must be at least 1kb, got '${raw}'`);
  return bytes;
}

/** Parses durations like `10s`, `500ms`, `2m` (a bare number is milliseconds) into milliseconds. */
const DURATION_UNITS: Record<string, number> = lookupTable({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 });

export function parseDuration(name: string, raw: string, min: number, max: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(raw);
  if (!m) throw new ConfigError(`${name} must be a duration such as 10s, 500ms, 2m, 24h or 7d, got '${raw}'`);
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]);
  if (ms < min || ms > max) throw new ConfigError(`${name} must be between ${min / 1000} s and ${max / 1000} s, got '${raw}'`);
  return ms;
}

function duration(name: string, min: number, max: number) {
  return (raw: string): number => parseDuration(name, raw, min, max);
}

function bool(name: string) {
  return (raw: string): boolean => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new ConfigError(`${name} must be true or false, got '${raw}'`);
  };
}

const SETTINGS: Setting<keyof Config>[] = [
  { key: 'host', env: 'HOST', flag: 'host', help: 'interface to listen on', parse: (r) => nonEmpty('HOST', r) },
  { key: 'port', env: 'PORT', flag: 'port', help: 'TCP port (0 = any free port)', parse: integer('PORT', 0, 65535) },
  { key: 'baseUrl', env: 'NIMBUS_BASE_URL', flag: 'base-url', help: 'public base URL of the FHIR endpoint', parse: parseBaseUrl },
  {
    key: 'engine',
    env: 'NIMBUS_ENGINE',
    flag: 'engine',
    help: 'storage engine: sqlite (default) or mongodb',
    parse: (r) => {
      if (r !== 'sqlite' && r !== 'mongodb') throw new ConfigError(`NIMBUS_ENGINE must be sqlite or mongodb, got '${r}'`);
      return r;
    },
  },
  { key: 'dataDir', env: 'NIMBUS_DATA_DIR', flag: 'data-dir', help: 'directory of the embedded SQLite database', parse: (r) => path.resolve(nonEmpty('NIMBUS_DATA_DIR', r)) },
  { key: 'mongodbUri', env: 'MONGODB_URI', flag: 'mongodb-uri', help: 'MongoDB connection string', parse: parseMongoUri },
  { key: 'mongodbDatabase', env: 'NIMBUS_MONGODB_DATABASE', flag: 'mongodb-database', help: 'MongoDB database name', parse: (r) => nonEmpty('NIMBUS_MONGODB_DATABASE', r) },
  {
    key: 'mongodbLockWaitMs',
    env: 'NIMBUS_MONGODB_LOCK_WAIT',
    flag: 'mongodb-lock-wait',
    help: 'without transactions: how long a writer waits for its turn on one resource before 503 (e.g. 30s)',
    parse: duration('NIMBUS_MONGODB_LOCK_WAIT', 100, 600_000),
  },
  { key: 'maxBodyBytes', env: 'NIMBUS_MAX_BODY', flag: 'max-body', help: 'largest request body (e.g. 16mb)', parse: (r) => parseBytes('NIMBUS_MAX_BODY', r) },
  { key: 'maxHeaderBytes', env: 'NIMBUS_MAX_HEADER_SIZE', flag: 'max-header-size', help: 'largest request line + headers (e.g. 16kb)', parse: (r) => parseBytes('NIMBUS_MAX_HEADER_SIZE', r) },
  { key: 'maxHeaders', env: 'NIMBUS_MAX_HEADERS', flag: 'max-headers', help: 'most header fields in a request', parse: integer('NIMBUS_MAX_HEADERS', 10, 10000) },
  { key: 'headersTimeoutMs', env: 'NIMBUS_HEADERS_TIMEOUT', flag: 'headers-timeout', help: 'time a client has to send the headers (e.g. 10s)', parse: duration('NIMBUS_HEADERS_TIMEOUT', 1000, 3_600_000) },
  { key: 'receiveTimeoutMs', env: 'NIMBUS_RECEIVE_TIMEOUT', flag: 'receive-timeout', help: 'time a client has to send a whole request', parse: duration('NIMBUS_RECEIVE_TIMEOUT', 1000, 3_600_000) },
  { key: 'keepAliveTimeoutMs', env: 'NIMBUS_KEEP_ALIVE_TIMEOUT', flag: 'keep-alive-timeout', help: 'idle time before a keep-alive connection closes', parse: duration('NIMBUS_KEEP_ALIVE_TIMEOUT', 1000, 3_600_000) },
  { key: 'requestTimeoutMs', env: 'NIMBUS_REQUEST_TIMEOUT', flag: 'request-timeout', help: 'time budget of one request; beyond it 503 (e.g. 60s)', parse: duration('NIMBUS_REQUEST_TIMEOUT', 10, 3_600_000) },
  { key: 'maxInFlight', env: 'NIMBUS_MAX_IN_FLIGHT', flag: 'max-in-flight', help: 'requests served at once; more wait in the queue', parse: integer('NIMBUS_MAX_IN_FLIGHT', 1, 100_000) },
  { key: 'maxQueued', env: 'NIMBUS_MAX_QUEUED', flag: 'max-queued', help: 'requests waiting for a turn; beyond, 503 at once', parse: integer('NIMBUS_MAX_QUEUED', 0, 1_000_000) },
  { key: 'rateLimitPerIp', env: 'NIMBUS_RATE_LIMIT_IP', flag: 'rate-limit-ip', help: 'requests per IP address, e.g. 100/s or 6000/m (off)', parse: (r) => parseRate('NIMBUS_RATE_LIMIT_IP', r) },
  { key: 'rateLimitPerCaller', env: 'NIMBUS_RATE_LIMIT_CALLER', flag: 'rate-limit-caller', help: 'requests per authenticated caller, e.g. 50/s (off)', parse: (r) => parseRate('NIMBUS_RATE_LIMIT_CALLER', r) },
  { key: 'processes', env: 'NIMBUS_PROCESSES', flag: 'processes', help: 'server processes sharing the rate limits', parse: integer('NIMBUS_PROCESSES', 1, 10_000) },
  { key: 'maxJobs', env: 'NIMBUS_MAX_JOBS', flag: 'max-jobs', help: 'asynchronous jobs one process runs at once', parse: integer('NIMBUS_MAX_JOBS', 1, 64) },
  { key: 'jobPollMs', env: 'NIMBUS_JOB_POLL_INTERVAL', flag: 'job-poll-interval', help: 'how often to look for queued jobs (e.g. 1s)', parse: duration('NIMBUS_JOB_POLL_INTERVAL', 50, 600_000) },
  { key: 'slotHoldMs', env: 'NIMBUS_SLOT_HOLD', flag: 'slot-hold', help: 'how long Appointment/$hold holds a Slot (e.g. 5m)', parse: duration('NIMBUS_SLOT_HOLD', 1000, 86_400_000) },
  { key: 'jobLeaseMs', env: 'NIMBUS_JOB_LEASE', flag: 'job-lease', help: 'silence after which a running job is taken over (e.g. 30s)', parse: duration('NIMBUS_JOB_LEASE', 500, 3_600_000) },
  { key: 'exportRetentionMs', env: 'NIMBUS_EXPORT_RETENTION', flag: 'export-retention', help: 'how long $export files stay downloadable (e.g. 1h)', parse: duration('NIMBUS_EXPORT_RETENTION', 1000, 90 * 86_400_000) },
  { key: 'exportFileResources', env: 'NIMBUS_EXPORT_FILE_RESOURCES', flag: 'export-file-resources', help: 'resources per $export NDJSON file (each file is one resume point)', parse: integer('NIMBUS_EXPORT_FILE_RESOURCES', 1, 10_000_000) },
  { key: 'jobRetentionMs', env: 'NIMBUS_JOB_RETENTION', flag: 'job-retention', help: 'how long finished jobs stay answerable (e.g. 24h)', parse: duration('NIMBUS_JOB_RETENTION', 1000, 90 * 86_400_000) },
  { key: 'maxConnections', env: 'NIMBUS_MAX_CONNECTIONS', flag: 'max-connections', help: 'concurrent connections (keep below ulimit -n)', parse: integer('NIMBUS_MAX_CONNECTIONS', 1, 1_000_000) },
  { key: 'defaultPageSize', env: 'NIMBUS_DEFAULT_COUNT', flag: 'default-count', help: 'search page size when _count is absent', parse: integer('NIMBUS_DEFAULT_COUNT', 1, 10000) },
  { key: 'maxPageSize', env: 'NIMBUS_MAX_COUNT', flag: 'max-count', help: 'largest page size; a larger _count is capped', parse: integer('NIMBUS_MAX_COUNT', 1, 100000) },
  { key: 'maxBundleEntries', env: 'NIMBUS_MAX_BUNDLE_ENTRIES', flag: 'max-bundle-entries', help: 'most entries in a batch/transaction', parse: integer('NIMBUS_MAX_BUNDLE_ENTRIES', 1, 1000000) },
  { key: 'allowMultipleDelete', env: 'NIMBUS_ALLOW_MULTIPLE_DELETE', flag: 'allow-multiple-delete', help: 'conditional delete of several matches', parse: bool('NIMBUS_ALLOW_MULTIPLE_DELETE') },
  {
    key: 'logLevel',
    env: 'NIMBUS_LOG_LEVEL',
    flag: 'log-level',
    help: 'fatal|error|warn|info|debug|trace|silent',
    parse: (r) => {
      if (!(LOG_LEVELS as readonly string[]).includes(r)) throw new ConfigError(`NIMBUS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${r}'`);
      return r as Config['logLevel'];
    },
  },
  { key: 'profilesDir', env: 'NIMBUS_PROFILES_DIR', flag: 'profiles-dir', help: 'directory of added conformance resources', parse: (r) => path.resolve(nonEmpty('NIMBUS_PROFILES_DIR', r)) },
  { key: 'strictProfiles', env: 'NIMBUS_STRICT_PROFILES', flag: 'strict-profiles', help: 'refuse writes claiming an unknown profile', parse: bool('NIMBUS_STRICT_PROFILES') },
  { key: 'packages', env: 'NIMBUS_PACKAGES', flag: 'packages', help: 'FHIR packages to install at start-up: package.tgz paths, folders or name@version, comma-separated', parse: (r) => r.split(',').map((s) => s.trim()).filter(Boolean) },
  { key: 'requiredProfiles', env: 'NIMBUS_REQUIRED_PROFILES', flag: 'required-profiles', help: 'profiles writes must conform to: Type=url,Type=url…', parse: parseRequiredProfiles },
  {
    key: 'auth',
    env: 'NIMBUS_AUTH',
    flag: 'auth',
    help: 'authorization: off (loopback only), smart or external',
    parse: (r) => {
      if (r !== 'off' && r !== 'smart' && r !== 'external') throw new ConfigError(`NIMBUS_AUTH must be off, smart or external, got '${r}'`);
      return r;
    },
  },
  { key: 'allowAnonymous', env: 'NIMBUS_ALLOW_ANONYMOUS', flag: 'allow-anonymous', help: 'serve anonymous full access on a non-loopback address', parse: bool('NIMBUS_ALLOW_ANONYMOUS') },
  { key: 'authIssuer', env: 'NIMBUS_AUTH_ISSUER', flag: 'auth-issuer', help: 'external mode: token issuer (iss) to trust', parse: (r) => nonEmpty('NIMBUS_AUTH_ISSUER', r) },
  { key: 'authAudience', env: 'NIMBUS_AUTH_AUDIENCE', flag: 'auth-audience', help: 'expected token audience (default: the base URL)', parse: (r) => nonEmpty('NIMBUS_AUTH_AUDIENCE', r) },
  { key: 'authJwksUrl', env: 'NIMBUS_AUTH_JWKS_URL', flag: 'auth-jwks-url', help: "external mode: the issuer's JWKS URL", parse: (r) => httpUrl('NIMBUS_AUTH_JWKS_URL', r) },
  { key: 'authKeyFile', env: 'NIMBUS_AUTH_KEY_FILE', flag: 'auth-key-file', help: "smart mode: file with the signing keys (JWKS or PEM private keys; the first signs) instead of the database's", parse: (r) => path.resolve(nonEmpty('NIMBUS_AUTH_KEY_FILE', r)) },
  { key: 'authScopeClaim', env: 'NIMBUS_AUTH_SCOPE_CLAIM', flag: 'auth-scope-claim', help: 'external mode: claim with the SMART scopes', parse: (r) => nonEmpty('NIMBUS_AUTH_SCOPE_CLAIM', r) },
  { key: 'authPatientClaim', env: 'NIMBUS_AUTH_PATIENT_CLAIM', flag: 'auth-patient-claim', help: 'external mode: claim with the patient in context', parse: (r) => nonEmpty('NIMBUS_AUTH_PATIENT_CLAIM', r) },
  { key: 'authFhirUserClaim', env: 'NIMBUS_AUTH_FHIRUSER_CLAIM', flag: 'auth-fhiruser-claim', help: 'external mode: claim with the fhirUser', parse: (r) => nonEmpty('NIMBUS_AUTH_FHIRUSER_CLAIM', r) },
  { key: 'trustProxy', env: 'NIMBUS_TRUST_PROXY', flag: 'trust-proxy', help: 'build URLs from X-Forwarded-Host/-Proto', parse: bool('NIMBUS_TRUST_PROXY') },
  { key: 'corsOrigins', env: 'NIMBUS_CORS_ORIGINS', flag: 'cors-origins', help: 'comma-separated browser origins allowed (CORS)', parse: parseOrigins },
  { key: 'audit', env: 'NIMBUS_AUDIT', flag: 'audit', help: 'AuditEvent per access (default: on when auth is on)', parse: bool('NIMBUS_AUDIT') },
  { key: 'cdsTrustedIssuers', env: 'NIMBUS_CDS_TRUSTED_ISSUERS', flag: 'cds-trusted-issuers', help: 'CDS Hooks clients to trust: comma-separated issuer|jwks-url pairs', parse: parseCdsIssuers },
];

function parseCdsIssuers(raw: string): CdsTrustedIssuer[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const [issuer, jwksUrl, extra] = entry.split('|');
    if (!issuer || !jwksUrl || extra !== undefined) throw new ConfigError(`NIMBUS_CDS_TRUSTED_ISSUERS entries are issuer|jwks-url, got '${entry}'`);
    return { issuer, jwksUrl: httpUrl('NIMBUS_CDS_TRUSTED_ISSUERS', jwksUrl) };
  });
}

/** Flags that need no value (`--allow-anonymous` means `--allow-anonymous=true`). */
const SWITCHES = new Set(['allow-anonymous', 'trust-proxy', 'strict-profiles', 'allow-multiple-delete', 'audit']);

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must use http or https, got '${raw}'`);
  return raw;
}

function parseOrigins(raw: string): string[] {
  const origins = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of origins) {
    if (o === '*') continue;
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    // An origin is scheme://host[:port], nothing more; a path would never match a browser's Origin.
    if (!url || url.origin !== o.replace(/\/$/, '')) throw new ConfigError(`NIMBUS_CORS_ORIGINS must list origins like https://app.example.org (no path), got '${o}'`);
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

/** `off`, or `<n>/s`, `<n>/m`, `<n>/h` (requests per second, minute, hour). */
export function parseRate(name: string, raw: string): RateLimit | undefined {
  const v = raw.trim().toLowerCase();
  if (v === 'off' || v === '0') return undefined;
  const m = /^(\d+)\s*\/\s*(s|m|h)$/.exec(v);
  if (!m || Number(m[1]) < 1) throw new ConfigError(`${name} must be off or a rate such as 100/s, 6000/m or 50000/h, got '${raw}'`);
  return { requests: Number(m[1]), perMs: DURATION_UNITS[m[2]] };
}

/** `Patient=http://…/my-patient,Observation=http://…/my-obs`: a type may be named more than once. */
function parseRequiredProfiles(raw: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const type = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim();
    if (eq < 1 || !/^[A-Z][A-Za-z]+$/.test(type) || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(url)) {
      throw new ConfigError(`NIMBUS_REQUIRED_PROFILES: '${entry}' must be ResourceType=canonical-url, e.g. Patient=http://example.org/fhir/StructureDefinition/my-patient`);
    }
    (out[type] ??= []).push(url);
  }
  return out;
}

function nonEmpty(name: string, raw: string): string {
  if (!raw.trim()) throw new ConfigError(`${name} must not be empty`);
  return raw.trim();
}

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`NIMBUS_BASE_URL must be an absolute http(s) URL, got '${raw}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`NIMBUS_BASE_URL must use http or https, got '${raw}'`);
  return raw.replace(/\/+$/, '');
}

function parseMongoUri(raw: string): string {
  if (!/^mongodb(\+srv)?:\/\//.test(raw)) throw new ConfigError(`MONGODB_URI must start with mongodb:// or mongodb+srv://`);
  return raw;
}

export const SETTINGS_HELP = SETTINGS.map((s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(28)} ${s.help}`).join('\n');

/**
 * Builds the configuration from the environment and `--flag value` / `--flag=value` arguments.
 * Unknown flags are an error so that a typo never silently falls back to a default.
 */
export function loadConfig(env: NodeJS.ProcessEnv, args: string[] = [], cwd = process.cwd()): Config {
  const config: Config = {
    host: '127.0.0.1',
    port: 8080,
    baseUrl: '',
    engine: 'sqlite',
    dataDir: path.resolve(cwd, 'data'),
    mongodbDatabase: 'nimbus',
    mongodbLockWaitMs: 30_000,
    maxBodyBytes: 16 * 1024 * 1024,
    // Node's own default; longer searches belong in POST [type]/_search.
    maxHeaderBytes: 16 * 1024,
    // FHIR clients send a dozen or two; Node would accept 2,000 and silently drop the rest.
    maxHeaders: 100,
    // Short enough that a slow-loris socket is cut within seconds, long enough for any real
    // client; the whole request may take longer (a 16 MB Bundle over a slow link).
    headersTimeoutMs: 10_000,
    receiveTimeoutMs: 60_000,
    // Above the 60 s idle timeout of common load balancers, so the balancer closes first.
    keepAliveTimeoutMs: 65_000,
    maxConnections: 1000,
    // Long enough for any interactive request and a large transaction Bundle on a busy machine;
    // what takes longer belongs in an asynchronous job (Prefer: respond-async).
    requestTimeoutMs: 60_000,
    // One process interleaves its requests on one thread: past a few hundred at once, each one
    // only waits longer. Together with the queue this stays below maxConnections, so the limit
    // is reached by overload, never by a normal client pool.
    maxInFlight: 256,
    maxQueued: 512,
    processes: 1,
    maxJobs: 2,
    jobPollMs: 1000,
    // Heartbeats every third of it: a slow page of work must not look like a dead process.
    jobLeaseMs: 30_000,
    slotHoldMs: 300_000,
    jobRetentionMs: 24 * 3_600_000,
    exportRetentionMs: 24 * 3_600_000,
    exportFileResources: 50_000,
    defaultPageSize: 20,
    maxPageSize: 1000,
    maxBundleEntries: 10000,
    allowMultipleDelete: false,
    logLevel: 'info',
    profilesDir: path.resolve(__dirname, '..', '..', 'fhir-profiles'),
    strictProfiles: false,
    packages: [],
    requiredProfiles: {},
    auth: 'off',
    allowAnonymous: false,
    authIssuer: '',
    authAudience: '',
    authJwksUrl: '',
    authKeyFile: '',
    authScopeClaim: 'scope',
    authPatientClaim: 'patient',
    authFhirUserClaim: 'fhirUser',
    trustProxy: false,
    corsOrigins: [],
    cdsTrustedIssuers: [],
  };
  const flags = parseFlags(args, SWITCHES);
  const set = (s: Setting<keyof Config>, raw: string) => {
    (config as unknown as Record<string, unknown>)[s.key] = s.parse(raw);
  };
  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') set(s, fromEnv);
  }
  for (const [flag, value] of flags) {
    const s = SETTINGS.find((x) => x.flag === flag);
    if (!s) throw new ConfigError(`unknown option --${flag}; options are:\n${SETTINGS_HELP}`);
    set(s, value);
  }
  if (config.defaultPageSize > config.maxPageSize) {
    throw new ConfigError(`NIMBUS_DEFAULT_COUNT (${config.defaultPageSize}) must not exceed NIMBUS_MAX_COUNT (${config.maxPageSize})`);
  }
  if (config.headersTimeoutMs > config.receiveTimeoutMs) {
    throw new ConfigError(`NIMBUS_HEADERS_TIMEOUT (${config.headersTimeoutMs} ms) must not exceed NIMBUS_RECEIVE_TIMEOUT (${config.receiveTimeoutMs} ms)`);
  }
  if (config.engine === 'mongodb' && !config.mongodbUri) {
    throw new ConfigError('NIMBUS_ENGINE=mongodb needs MONGODB_URI (e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0)');
  }
  checkAuthSettings(config);
  return config;
}

/** Auth settings that only make sense together. */
function checkAuthSettings(config: Config): void {
  if (config.auth === 'off') return;
  if (config.auth === 'smart') {
    // Without a configured base URL (a development server on loopback) issuer and audience are the
    // base as each request reaches the server; checkListenSafety refuses that beyond loopback.
    if (config.baseUrl) {
      config.authIssuer ||= config.baseUrl;
      config.authAudience ||= config.baseUrl;
    }
    return;
  }
  // Tokens name the server they are for (aud): an external provider's cannot be guessed.
  if (!config.authAudience) config.authAudience = config.baseUrl;
  const missing = [
    ['NIMBUS_AUTH_ISSUER', config.authIssuer],
    ['NIMBUS_AUTH_JWKS_URL', config.authJwksUrl],
    ['NIMBUS_BASE_URL (or NIMBUS_AUTH_AUDIENCE)', config.authAudience],
  ].filter(([, v]) => !v);
  if (missing.length) {
    throw new ConfigError(`NIMBUS_AUTH=external needs ${missing.map(([k]) => k).join(' and ')} (the OpenID Connect provider's issuer and its JWKS URL, and the audience its tokens carry for this server)`);
  }
}

/** Whether the host is a loopback address, reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Start-up refuses to serve everyone's records anonymously beyond this machine: auth off on a
 * non-loopback address needs `--allow-anonymous`. Called by `serve` only (the offline tools listen nowhere).
 */
export function checkListenSafety(config: Config): void {
  if (isLoopback(config.host)) return;
  if (config.auth !== 'off' && !config.baseUrl) {
    throw new ConfigError(
      `listening on ${config.host} with NIMBUS_AUTH=${config.auth} needs NIMBUS_BASE_URL, the public URL of the FHIR endpoint (e.g. https://fhir.example.org/fhir): tokens are issued for it and links are built from it`,
    );
  }
  if (config.auth !== 'off' || config.allowAnonymous) return;
  throw new ConfigError(
    `refusing to listen on ${config.host} with authorization off: anyone who reaches the port could read and change every record. ` +
      `Turn authorization on with --auth smart (or NIMBUS_AUTH=smart, with NIMBUS_BASE_URL) or --auth external (NIMBUS_AUTH_ISSUER, NIMBUS_AUTH_JWKS_URL), ` +
      `listen on 127.0.0.1, or pass --allow-anonymous if this is really wanted.`,
  );
}

/** Whether AuditEvents are recorded: as configured, else exactly when auth is on. */
export function auditEnabled(config: Config): boolean {
  return config.audit ?? config.auth !== 'off';
}

function parseFlags(args: string[], switches: Set<string>): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    if (eq > 0) out.push([a.slice(2, eq), a.slice(eq + 1)]);
    else {
      const value = args[i + 1];
      if (switches.has(a.slice(2)) && (value === undefined || value.startsWith('--'))) {
        out.push([a.slice(2), 'true']);
        continue;
      }
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`option ${a} needs a value`);
      out.push([a.slice(2), value]);
      i++;
    }
  }
  return out;
}
