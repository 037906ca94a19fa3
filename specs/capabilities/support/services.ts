import { requireService, type ServiceName } from '../../support/services.js';

/**
 * Checks a service (with {@link requireService} of `specs/support/services.ts`, which knows its address and how to
 * start it) before a suite, and makes every test of the suite fail (never skip) when it is missing: call
 * `gate.check()` first in `beforeAll` (it returns false when the service is missing, so the setup can stop), and
 * register `gate.enforce` with `beforeEach`.
 *
 * @example
 * ```ts
 * const gate = serviceGate('redis');
 * beforeEach(() => gate.enforce());
 * beforeAll(async () => {
 *   if (!(await gate.check())) return;
 *   // connect to REDIS_URL
 * });
 * ```
 */
export function serviceGate(name: ServiceName) {
  let missing: Error | undefined;
  return {
    async check(): Promise<boolean> {
      missing = await requireService(name).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      return missing === undefined;
    },
    enforce(): void {
      if (missing !== undefined) throw missing;
    },
  };
}

/** A random suffix for table and key names that no other run uses. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
