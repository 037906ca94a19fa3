/**
 * The import object of an instance: the 16 host functions under `env` (plus every `<name>_swift` variant), e2rx's
 * own under `e2rx` (`publish`), WASI
 * preview 1, and a stub for anything else the module declares (functions return -1, globals are 0, tables and
 * memories are created with capped limits). The plan is computed once at registration ({@link planImports}) and the
 * object built per instance ({@link buildImports}).
 *
 * @module
 */
import type { FuncType, Limits, ModuleImport, ValueType } from '../wasm-binary.js';
import { type HostFunctionName, hostFunctionSpec, resolveHostImport, WASI_MODULES } from './catalogue.js';
import type { HostFunction, InstanceContext } from './context.js';
import { createCacheFunctions } from './cache.js';
import { createDbFunctions } from './db.js';
import { createFileFunctions } from './file.js';
import { createHttpFunctions } from './http.js';
import { createLogFunctions } from './log.js';
import { createPublishFunctions } from './publish.js';
import { createRequestFunctions } from './request.js';
import { createResultFunctions } from './result.js';
import { createSecretFunctions } from './secrets.js';

interface Named {
  readonly module: string;
  readonly name: string;
}

/** How one import of a module is satisfied. Plain data: it travels to the workers with the compiled module. */
export type ImportBinding = Named &
  (
    | { readonly kind: 'host'; readonly host: HostFunctionName }
    | { readonly kind: 'wasi' }
    | { readonly kind: 'stub'; readonly results: readonly ValueType[] | undefined }
    | { readonly kind: 'memory'; readonly limits: Limits }
    | { readonly kind: 'table'; readonly limits: Limits; readonly element: ValueType }
    | { readonly kind: 'global'; readonly type: ValueType; readonly mutable: boolean }
    /** The deadline check of an instrumented module (`instrument.ts`). */
    | { readonly kind: 'meter' }
  );

/** The bindings of every import of a module, in declaration order. */
export type ImportPlan = readonly ImportBinding[];

/** The result of {@link planImports}. */
export interface ImportPlanning {
  readonly plan: ImportPlan;
  /** `module.name` of the imports that are stubbed. */
  readonly unknown: readonly string[];
  /** One line per stubbed or suspicious import, for the log. */
  readonly warnings: readonly string[];
}

function expectedSignature(host: HostFunctionName, swift: boolean): FuncType {
  const spec = hostFunctionSpec(host);
  const params: ValueType[] = Array.from({ length: spec.params + (swift ? 2 : 0) }, () => 'i32');
  return { params, results: spec.returns ? ['i32'] : [] };
}

const sameSignature = (a: FuncType, b: FuncType): boolean =>
  a.params.length === b.params.length &&
  a.params.every((p, i) => p === b.params[i]) &&
  a.results.length === b.results.length &&
  a.results.every((r, i) => r === b.results[i]);

const show = (t: FuncType): string => `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;

/**
 * Decides how each import of a module is satisfied. `layout` gives the signatures when the binary could be read;
 * without it, unknown functions are stubbed returning -1 as a number.
 *
 * @example
 * ```ts
 * const { plan, warnings } = planImports('hello', WebAssembly.Module.imports(module), readModuleLayout(bytes).imports, 4096);
 * ```
 */
export function planImports(
  fn: string,
  descriptors: readonly WebAssembly.ModuleImportDescriptor[],
  layout: readonly ModuleImport[] | undefined,
  wasiNames: ReadonlySet<string>,
): ImportPlanning {
  const plan: ImportBinding[] = [];
  const unknown: string[] = [];
  const warnings: string[] = [];
  descriptors.forEach((descriptor, index) => {
    const { module, name } = descriptor;
    const desc = layout?.[index]?.desc;
    const type = desc?.kind === 'function' ? desc.type : undefined;
    const stub = (why: string): void => {
      unknown.push(`${module}.${name}`);
      warnings.push(why);
      plan.push({ module, name, kind: 'stub', results: type?.results });
    };
    if (descriptor.kind === 'function') {
      const host = resolveHostImport(module, name);
      if (host !== undefined) {
        const expected = expectedSignature(host.host, host.swift);
        if (type === undefined || sameSignature(type, expected)) plan.push({ module, name, kind: 'host', host: host.host });
        else stub(`module ${fn} imports ${module}.${name} as ${show(type)} but the ABI has ${show(expected)} (built for an older SDK?); it will return -1`);
      } else if (WASI_MODULES.includes(module) && wasiNames.has(name)) {
        plan.push({ module, name, kind: 'wasi' });
      } else {
        stub(`module ${fn} imports unknown function ${module}.${name}; it will return -1`);
      }
    } else if (desc?.kind === 'memory') {
      plan.push({ module, name, kind: 'memory', limits: desc.limits });
    } else if (desc?.kind === 'table') {
      plan.push({ module, name, kind: 'table', limits: desc.limits, element: desc.element });
    } else if (desc?.kind === 'global') {
      warnings.push(`module ${fn} imports global ${module}.${name}; it is given the value 0`);
      plan.push({ module, name, kind: 'global', type: desc.type, mutable: desc.mutable });
    } else {
      throw new Error(`module ${fn} imports ${descriptor.kind} ${module}.${name}, which the runtime cannot provide`);
    }
  });
  return { plan, unknown, warnings };
}

/** Builds the host functions of one instance: the 16 of `env` and e2rx's own, by name (the names do not overlap). */
export function createHostFunctions(context: InstanceContext): Record<string, HostFunction> {
  return {
    ...createResultFunctions(context),
    ...createRequestFunctions(context),
    ...createLogFunctions(context),
    ...createCacheFunctions(context),
    ...createHttpFunctions(context),
    ...createDbFunctions(context),
    ...createFileFunctions(context),
    ...createSecretFunctions(context),
    ...createPublishFunctions(context),
  };
}

function stubValue(type: ValueType): number | bigint {
  return type === 'i64' ? -1n : -1;
}

function createStub(results: readonly ValueType[] | undefined): () => unknown {
  if (results === undefined) return () => -1;
  if (results.length === 0) return () => undefined;
  if (results.length === 1) {
    const value = stubValue(results[0] as ValueType);
    return () => value;
  }
  const values = results.map(stubValue);
  return () => values;
}

function zeroGlobal(type: ValueType, mutable: boolean): WebAssembly.Global {
  const value = type === 'i64' ? 0n : type === 'funcref' || type === 'externref' ? null : 0;
  return new WebAssembly.Global({ value: type as WebAssembly.ValueType, mutable }, value);
}

/** An instance's import object and, when the module imports its memory, that memory. */
export interface BuiltImports {
  readonly imports: WebAssembly.Imports;
  readonly memory: WebAssembly.Memory | undefined;
}

/**
 * Builds the import object of one instance from a plan. Imported memories get `maximum` capped at `maxPages`.
 */
export function buildImports(
  plan: ImportPlan,
  host: Readonly<Record<string, HostFunction>>,
  wasi: Readonly<Record<string, unknown>>,
  maxPages: number,
  meter: () => void,
): BuiltImports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  let memory: WebAssembly.Memory | undefined;
  for (const binding of plan) {
    let value: WebAssembly.ImportValue;
    switch (binding.kind) {
      case 'host':
        value = host[binding.host] as HostFunction;
        break;
      case 'wasi':
        value = wasi[binding.name] as WebAssembly.ImportValue;
        break;
      case 'stub':
        value = createStub(binding.results);
        break;
      case 'memory': {
        const maximum = Math.min(binding.limits.max ?? maxPages, maxPages);
        memory = new WebAssembly.Memory({ initial: binding.limits.min, maximum, shared: binding.limits.shared });
        value = memory;
        break;
      }
      case 'table': {
        const descriptor: WebAssembly.TableDescriptor = {
          element: binding.element === 'externref' ? 'externref' : 'anyfunc',
          initial: binding.limits.min,
          ...(binding.limits.max === undefined ? {} : { maximum: binding.limits.max }),
        };
        value = new WebAssembly.Table(descriptor);
        break;
      }
      case 'global':
        value = zeroGlobal(binding.type, binding.mutable);
        break;
      case 'meter':
        value = meter;
        break;
    }
    (imports[binding.module] ??= {})[binding.name] = value;
  }
  return { imports, memory };
}
