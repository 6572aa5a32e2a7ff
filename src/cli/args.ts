// Splits a sub-command's own options from the engine settings (config.ts) that follow the same
// `--flag value` syntax, so every operator command takes the settings `serve` takes.
import { ConfigError } from '../config';

export interface FlagSpec {
  /** Flags that take a value; repeatable ones collect every value. */
  values?: string[];
  repeatable?: string[];
  /** Flags without a value. */
  switches?: string[];
}

export interface ParsedFlags {
  values: Map<string, string[]>;
  switches: Set<string>;
  /** Everything else, for loadConfig. */
  rest: string[];
}

export function takeFlags(args: string[], spec: FlagSpec): ParsedFlags {
  const valued = new Set([...(spec.values ?? []), ...(spec.repeatable ?? [])]);
  const switches = new Set(spec.switches ?? []);
  const out: ParsedFlags = { values: new Map(), switches: new Set(), rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? a.slice(2, eq > 0 ? eq : undefined) : '';
    if (switches.has(name) && eq < 0) {
      out.switches.add(name);
      continue;
    }
    if (!valued.has(name)) {
      out.rest.push(a);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      value = args[++i];
      if (value === undefined) throw new ConfigError(`option --${name} needs a value`);
    }
    const list = out.values.get(name) ?? [];
    if (list.length && !(spec.repeatable ?? []).includes(name)) throw new ConfigError(`option --${name} is given twice`);
    list.push(value);
    out.values.set(name, list);
  }
  return out;
}

export function one(flags: ParsedFlags, name: string): string | undefined {
  return flags.values.get(name)?.[0];
}

export function required(flags: ParsedFlags, name: string, usage: string): string {
  const v = one(flags, name);
  if (v === undefined || v === '') throw new ConfigError(`--${name} is required\nusage: ${usage}`);
  return v;
}
