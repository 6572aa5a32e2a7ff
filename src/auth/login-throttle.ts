// Slows down password guessing on the login page: after MAX_FAILURES failed sign-ins for one user
// name within WINDOW, that name is refused until the window (which starts at the first failure)
// ends. Counted in the SystemStore, so every server process sees the same count.
import type { SystemStore } from '../storage/engine';

export const LOGIN_FAILURES = 'login-failure';
const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60_000;

export class LoginThrottle {
  constructor(
    private readonly system: SystemStore,
    private readonly now: () => number = Date.now,
  ) {}

  async blocked(username: string): Promise<boolean> {
    const doc = await this.system.get<{ count: number }>(LOGIN_FAILURES, key(username));
    return (doc?.value.count ?? 0) >= MAX_FAILURES;
  }

  async failed(username: string): Promise<void> {
    const k = key(username);
    // A lost race means another process counted a failure at the same moment; counting both
    // exactly is not worth a retry loop.
    const doc = await this.system.get<{ count: number; until: string }>(LOGIN_FAILURES, k);
    if (!doc) {
      const until = new Date(this.now() + WINDOW_MS).toISOString();
      await this.system.insert(LOGIN_FAILURES, k, { count: 1, until }, { expiresAt: until });
    } else {
      await this.system.replace(LOGIN_FAILURES, k, { count: doc.value.count + 1, until: doc.value.until }, doc.rev, { expiresAt: doc.value.until });
    }
  }

  async succeeded(username: string): Promise<void> {
    await this.system.delete(LOGIN_FAILURES, key(username));
  }
}

const key = (username: string) => username.toLowerCase().slice(0, 256) || '-';
