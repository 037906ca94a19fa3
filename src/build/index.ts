/**
 * Building functions: compiling AssemblyScript and Go functions to Runnable modules, skipping unchanged ones, and
 * writing bundles.
 *
 * @module
 */

export {
  ASC_FLAGS,
  BUILT_MODULE_EXPORTS,
  GENERATED_ENTRY_NAME,
  RUNNABLE_HOST_FUNCTIONS,
  checkRunnableModule,
  compileAssemblyScript,
  definesRunE,
  generatedEntry,
  type CompileAssemblyScriptOptions,
  type CompileAssemblyScriptOutcome,
} from './assemblyscript.js';
export { FUNCTION_ENTRY_FILE, GO_MODULE_FILE, functionLanguage, type FunctionLanguage } from './function-language.js';
export {
  buildApp,
  findFunctions,
  type BuildAppOptions,
  type BuildEvent,
  type BuildReport,
  type FunctionBuildResult,
  type FunctionSource,
} from './build-app.js';
export { writeBundle, type BundleOptions, type BundleReport } from './bundle.js';
export {
  GO_BUILD_ENV,
  GO_BUILD_FLAGS,
  GO_BUILD_VARIABLES,
  compileGo,
  goBuildEnv,
  goSdkDir,
  parseGoDiagnostics,
  type CompileGoOptions,
  type CompileGoOutcome,
} from './go.js';
export {
  GO_COMMAND_VARIABLE,
  MIN_GO_VERSION,
  findGoToolchain,
  isSupportedGoVersion,
  parseGoVersion,
  runGo,
  type GoRun,
  type GoToolchain,
} from './go-toolchain.js';
export { formatDiagnostic, lineAndColumn, type BuildDiagnostic, type DiagnosticSeverity } from './diagnostics.js';
export {
  BUILD_MANIFEST_FILE,
  readBuildManifest,
  type BuildManifest,
  type ManifestEntry,
} from './manifest.js';
export { SDK_PACKAGE_NAME, resolveSdk, type SdkLocation } from './sdk.js';
