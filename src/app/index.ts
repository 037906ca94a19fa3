/**
 * Loading apps: directories and bundles, static files, module checks.
 *
 * @module
 */
export { loadApp, BUNDLE_FILE_NAME, DIRECTIVE_FILE_NAMES, type App, type AppFunction, type LoadAppOptions } from './load-app.js';
export { DEFAULT_BUNDLE_LIMITS, type BundleLimits } from './bundle-entries.js';
export { checkModule, RUNNABLE_EXPORTS, type ModuleCheck } from './module-file.js';
export { normalizeStaticName, staticFilesFromDirectory, staticFilesFromEntries } from './static-dir.js';
export { NO_STATIC_FILES, type StaticFiles } from './static-files.js';
