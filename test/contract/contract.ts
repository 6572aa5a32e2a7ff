// Declares a contract suite once per target. A suite's body receives the target and an `it` that
// consults skips.ts: a declared skip becomes `it.skip` whose title carries the reason, and a line
// on the console; an undeclared case always runs.
import { declaredSkip } from './skips';
import { inProcessTargets, type ContractTarget } from './target';

export interface ContractContext {
  target: ContractTarget;
  it(title: string, fn: () => Promise<unknown> | void, timeoutMs?: number): void;
}

export interface ContractSuite {
  /** Short id, used by skips.ts. */
  id: string;
  title: string;
  define(ctx: ContractContext): void;
}

export function runContract(suite: ContractSuite, targets: ContractTarget[] = inProcessTargets()): void {
  for (const target of targets) {
    const name = target.traits.name;
    if (target.skipReason) {
      // eslint-disable-next-line no-console
      console.log(`[contract ${suite.id} on ${name}] SKIPPED — ${target.skipReason}`);
      describe.skip(`${suite.title} [${name}] (skipped: ${target.skipReason})`, () => {
        it('is skipped', () => undefined);
      });
      continue;
    }
    describe(`${suite.title} [${name}]`, () => {
      suite.define({
        target,
        it(title, fn, timeoutMs) {
          const skip = declaredSkip(suite.id, title, target.traits);
          if (skip) {
            // eslint-disable-next-line no-console
            console.log(`[contract ${suite.id} on ${name}] "${title}" SKIPPED — ${skip.reason} (test/contract/skips.ts)`);
            it.skip(`${title} (skipped on ${name}: ${skip.reason})`, () => undefined);
            return;
          }
          it(title, fn as () => Promise<unknown>, timeoutMs);
        },
      });
    });
  }
}
