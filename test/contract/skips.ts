// The one place where a contract case is declared not to hold on a target, with the reason.
// Every skip is printed when the suite is declared and shows in the test title; a case that is
// not listed here runs on every target.
import type { TargetTraits } from './target';

export interface DeclaredSkip {
  /** The contract suite's id (ContractSuite.id). */
  suite: string;
  /** The case's title (exact) or a pattern over it. */
  test: string | RegExp;
  /** When the case does not hold on a target. */
  when: (t: TargetTraits) => boolean;
  reason: string;
}

const noTransactions = (t: TargetTraits) => !t.atomicTransactions;
const realProcesses = (t: TargetTraits) => t.processes > 0;
const severalProcesses = (t: TargetTraits) => t.processes > 1;

export const DECLARED_SKIPS: DeclaredSkip[] = [
  // Transaction Bundles need multi-document transactions; a MongoDB without them (standalone,
  // FerretDB) refuses them by design (400 REPLICA_SET_REQUIRED, tested by the transaction suite's
  // "refuses transaction Bundles" case, which runs exactly there).
  {
    suite: 'transaction',
    test: /^(?!refuses transaction Bundles)/,
    when: noTransactions,
    reason: 'transaction Bundles are refused by design on a MongoDB without multi-document transactions (standalone/FerretDB)',
  },
  { suite: 'official-examples', test: /./, when: noTransactions, reason: 'the official examples are transaction Bundles, refused by design without multi-document transactions' },
  { suite: 'conditional', test: /^transactions resolve/, when: noTransactions, reason: 'a transaction Bundle: refused by design without multi-document transactions' },
  {
    suite: 'transaction',
    test: 'refuses transaction Bundles where the deployment has no multi-document transactions',
    when: (t) => t.atomicTransactions,
    reason: 'this deployment has transactions; the refusal only exists without them',
  },
  // Too slow where every write is a network round trip to FerretDB under CI load (> 15 min for the
  // 5,300 validated writes); the per-type sample case of the same suite runs there instead.
  {
    suite: 'r4-examples',
    test: 'stores every example with PUT and reads it back unchanged',
    when: (t) => t.engine === 'mongodb',
    reason: 'all 5,300 examples take over 15 min on FerretDB under CI load; the sample case (one per type plus every expected rejection) runs here',
  },
  // Cases that need a clock the test moves (days pass between writes).
  { suite: 'history', test: '_since with a date (day precision)', when: realProcesses, reason: 'needs writes on different days; real processes run on the wall clock' },
  // Engine-specific behaviour.
  {
    suite: 'operational',
    test: /^Prometheus metrics show the write path/,
    when: (t) => t.engine !== 'sqlite',
    reason: 'write groups and the write queue are the SQLite writer thread\'s (group commit); MongoDB writes go straight to the driver',
  },
  // Cases that look inside the server process itself.
  { suite: 'fast-read', test: /^hands everything else to Express/, when: realProcesses, reason: 'wraps the in-process request listener to count what reaches Express' },
  { suite: 'operational', test: /^readiness fails when the database is unusable/, when: realProcesses, reason: "closes the in-process server's engine under it" },
  {
    suite: 'operational',
    test: /^Prometheus metrics show the write path/,
    when: severalProcesses,
    reason: "/metrics are per process; behind a round-robin proxy two scrapes reach different processes' counters",
  },
];

export function declaredSkip(suite: string, test: string, traits: TargetTraits): DeclaredSkip | undefined {
  return DECLARED_SKIPS.find((s) => s.suite === suite && (typeof s.test === 'string' ? s.test === test : s.test.test(test)) && s.when(traits));
}
