// The app's own vitest settings. Without this file, vitest would take the first vitest config it finds in a parent
// directory: an app created inside the e2rx checkout would run its test with e2rx's settings, and fail.
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['tests/**/*.spec.ts'] } });
