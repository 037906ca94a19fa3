import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (no external service) and `integration` (real NATS, Kafka, Redis, PostgreSQL, MariaDB on
 * loopback, started by `scripts/services.sh`). `npm test` runs both.
 */
export default defineConfig({
  test: {
    reporters: ['default', './specs/support/closing-line-reporter.ts'],
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
