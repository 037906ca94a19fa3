import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (no external service) and `integration` (real NATS, Kafka, Redis, PostgreSQL, MariaDB on
 * loopback, started by `scripts/services.sh`). `npm test` runs both.
 *
 * Coverage (V8) is collected when asked for, `--coverage`: `npm test` asks for it on the whole suite (not when it
 * is given specs to run), in the same run as the specs, and fails below the floor of `thresholds`. The floor is the
 * level the whole suite reached, rounded down: raise it when coverage rises, never lower it. The code that runs in
 * worker threads (Wasm calls with `inline: false`) and in spawned CLI processes is not counted: V8 coverage reads the
 * test processes only.
 */
export default defineConfig({
  test: {
    reporters: ['default', './specs/support/closing-line-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // A red run still shows its coverage (vitest reports none by default when a spec failed).
      reportOnFailure: true,
      // The whole suite on main reached 91.55 % statements, 85.07 % branches, 90.77 % functions, 93.67 % lines
      // (2026-12-05, after the merges of the day; the branch that set the first floor measured 92.97/86.66/92.77/94.97).
      // Branches one point under: two runs of the same commit read 85.07 and 85.04 (timing decides some paths).
      thresholds: { statements: 91, branches: 84, functions: 90, lines: 93 },
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['specs/**/*.spec.ts', 'sdk/**/specs/**/*.spec.ts'],
          exclude: ['specs/**/*.integration.spec.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['specs/**/*.integration.spec.ts', 'sdk/**/specs/**/*.integration.spec.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
