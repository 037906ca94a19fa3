/**
 * WASI preview 1 for Runnables: every `wasi_snapshot_preview1` function links, with a sandbox of nothing — no
 * arguments, no environment, no preopened directories, an empty stdin, stdout and stderr line-buffered to the logger.
 * Clocks, `random_get`, `poll_oneoff` sleeps and `sched_yield` work; file-system and socket calls return errnos
 * (`EBADF` for any descriptor but 0–2, `ENOTDIR`/`ENOTSUP`/`ESPIPE`/`ENOTSOCK` on the standard streams);
 * `proc_exit` ends the call. Why an own implementation rather than `node:wasi` or `@wasmer/wasi`:
 * docs/decisions/0001-wasi.md.
 *
 * @module
 */
import { randomFillSync } from 'node:crypto';
import type { GuestMemory } from './memory.js';
import { CLOCK, ERRNO, EVENTTYPE, FILETYPE_CHARACTER_DEVICE, RIGHTS } from './wasi-errno.js';

/** Thrown by `proc_exit` to unwind the guest; the call fails with `E2RX_WASM_EXIT`. */
export class WasiExit extends Error {
  override readonly name = 'WasiExit';
  constructor(readonly code: number) {
    super(`the function called proc_exit(${code})`);
  }
}

/** What the WASI functions of one instance write to and read from. */
export interface WasiHost {
  readonly memory: GuestMemory;
  /** Receives bytes written to fd 1 (stdout) or 2 (stderr). */
  write(fd: 1 | 2, bytes: Uint8Array): void;
  /** Blocks for `ns` nanoseconds (a `poll_oneoff` clock wait); by default `Atomics.wait` on the current thread. */
  readonly sleep?: (ns: bigint) => void;
}

type WasiFunction = (...args: never[]) => number | undefined;

const isStdio = (fd: number): boolean => fd >= 0 && fd <= 2;
/** EBADF for unknown descriptors, `onStdio` for 0–2. */
const onFd = (fd: number, onStdio: number): number => (isStdio(fd) ? onStdio : ERRNO.BADF);

const realtimeOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

function now(clock: number): bigint | undefined {
  switch (clock) {
    case CLOCK.REALTIME:
      return process.hrtime.bigint() + realtimeOffset;
    case CLOCK.MONOTONIC:
      return process.hrtime.bigint();
    case CLOCK.PROCESS_CPUTIME:
    case CLOCK.THREAD_CPUTIME: {
      const usage = process.cpuUsage();
      return BigInt(usage.user + usage.system) * 1000n;
    }
    default:
      return undefined;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Random bytes are drawn from the CSPRNG in blocks: one native call per 4 KiB instead of one per random_get. */
const RANDOM_BLOCK = 4096;
const randomPool = new Uint8Array(RANDOM_BLOCK);
let randomOffset = RANDOM_BLOCK;

/** Fills `target` with cryptographically secure random bytes. */
function fillRandom(target: Uint8Array): void {
  if (target.length > RANDOM_BLOCK) {
    randomFillSync(target);
    return;
  }
  if (randomOffset + target.length > RANDOM_BLOCK) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  target.set(randomPool.subarray(randomOffset, randomOffset + target.length));
  randomPool.fill(0, randomOffset, randomOffset + target.length);
  randomOffset += target.length;
}

/** Blocks the thread for `ns` nanoseconds (a worker, or the main thread in inline mode). */
export function sleep(ns: bigint): void {
  if (ns > 0n) Atomics.wait(sleeper, 0, 0, Number(ns) / 1e6);
}

function pollOneoff(memory: GuestMemory, inPtr: number, outPtr: number, count: number, neventsPtr: number, wait: (ns: bigint) => void): number {
  if (count === 0) return ERRNO.INVAL;
  const view = memory.view;
  memory.check(inPtr, count * 48);
  memory.check(outPtr, count * 32);
  const events: Array<{ userdata: bigint; error: number; type: number; nbytes: bigint }> = [];
  const clocks: Array<{ userdata: bigint; deadline: bigint }> = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1) {
    const base = inPtr + i * 48;
    const userdata = view.getBigUint64(base, true);
    const type = view.getUint8(base + 8);
    if (type === EVENTTYPE.CLOCK) {
      const id = view.getUint32(base + 16, true);
      const timeout = view.getBigUint64(base + 24, true);
      const absolute = (view.getUint16(base + 40, true) & 1) !== 0;
      const clockNow = now(id);
      if (clockNow === undefined) events.push({ userdata, error: ERRNO.INVAL, type, nbytes: 0n });
      else clocks.push({ userdata, deadline: start + (absolute ? timeout - clockNow : timeout) });
    } else {
      const fd = view.getUint32(base + 16, true);
      const ready = (type === EVENTTYPE.FD_READ && fd === 0) || (type === EVENTTYPE.FD_WRITE && (fd === 1 || fd === 2));
      events.push({ userdata, error: ready ? ERRNO.SUCCESS : ERRNO.BADF, type, nbytes: 0n });
    }
  }
  if (events.length === 0 && clocks.length > 0) {
    let first = clocks[0]?.deadline ?? start;
    for (const c of clocks) if (c.deadline < first) first = c.deadline;
    wait(first - process.hrtime.bigint());
    const after = process.hrtime.bigint();
    for (const c of clocks) if (c.deadline <= after) events.push({ userdata: c.userdata, error: 0, type: EVENTTYPE.CLOCK, nbytes: 0n });
  }
  const out = memory.view;
  events.forEach((event, i) => {
    const base = outPtr + i * 32;
    for (let b = 0; b < 32; b += 1) out.setUint8(base + b, 0);
    out.setBigUint64(base, event.userdata, true);
    out.setUint16(base + 8, event.error, true);
    out.setUint8(base + 10, event.type);
    out.setBigUint64(base + 16, event.nbytes, true);
  });
  memory.check(neventsPtr, 4);
  out.setUint32(neventsPtr, events.length, true);
  return ERRNO.SUCCESS;
}

function iovecs(memory: GuestMemory, iovs: number, count: number): Uint8Array[] {
  const view = memory.view;
  memory.check(iovs, count * 8);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    const ptr = view.getUint32(iovs + i * 8, true);
    const len = view.getUint32(iovs + i * 8 + 4, true);
    parts.push(memory.slice(ptr, len));
  }
  return parts;
}

function putU32(memory: GuestMemory, ptr: number, value: number): void {
  memory.check(ptr, 4);
  memory.view.setUint32(ptr, value, true);
}

function putU64(memory: GuestMemory, ptr: number, value: bigint): void {
  memory.check(ptr, 8);
  memory.view.setBigUint64(ptr, value, true);
}

function zero(memory: GuestMemory, ptr: number, size: number): void {
  memory.slice(ptr, size).fill(0);
}

/**
 * Builds the `wasi_snapshot_preview1` functions of one instance. i64 parameters arrive as `bigint`.
 *
 * @example
 * ```ts
 * const wasi = createWasiImports({ memory, write: (fd, bytes) => lines[fd].write(bytes) });
 * new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi });
 * ```
 */
export function createWasiImports(host: WasiHost): Record<string, WasiFunction> {
  const { memory } = host;
  const sizes = (a: number, b: number): number => {
    putU32(memory, a, 0);
    putU32(memory, b, 0);
    return ERRNO.SUCCESS;
  };
  const path = (fd: number): number => onFd(fd, ERRNO.NOTDIR);
  const unsupported = (fd: number): number => onFd(fd, ERRNO.NOTSUP);
  return {
    args_get: () => ERRNO.SUCCESS,
    args_sizes_get: sizes,
    environ_get: () => ERRNO.SUCCESS,
    environ_sizes_get: sizes,
    clock_res_get(id: number, ptr: number) {
      if (now(id) === undefined) return ERRNO.INVAL;
      putU64(memory, ptr, id === CLOCK.PROCESS_CPUTIME || id === CLOCK.THREAD_CPUTIME ? 1000n : 1n);
      return ERRNO.SUCCESS;
    },
    clock_time_get(id: number, _precision: bigint, ptr: number) {
      const time = now(id);
      if (time === undefined) return ERRNO.INVAL;
      putU64(memory, ptr, time);
      return ERRNO.SUCCESS;
    },
    fd_advise: (fd: number) => unsupported(fd),
    fd_allocate: (fd: number) => unsupported(fd),
    fd_close: (fd: number) => onFd(fd, ERRNO.SUCCESS),
    fd_datasync: (fd: number) => onFd(fd, ERRNO.SUCCESS),
    fd_fdstat_get(fd: number, ptr: number) {
      if (!isStdio(fd)) return ERRNO.BADF;
      zero(memory, ptr, 24);
      const view = memory.view;
      view.setUint8(ptr, FILETYPE_CHARACTER_DEVICE);
      const rights = (fd === 0 ? RIGHTS.FD_READ : RIGHTS.FD_WRITE) | RIGHTS.POLL_FD_READWRITE;
      view.setBigUint64(ptr + 8, rights, true);
      return ERRNO.SUCCESS;
    },
    fd_fdstat_set_flags: (fd: number) => unsupported(fd),
    fd_fdstat_set_rights: (fd: number) => unsupported(fd),
    fd_filestat_get(fd: number, ptr: number) {
      if (!isStdio(fd)) return ERRNO.BADF;
      zero(memory, ptr, 64);
      memory.view.setUint8(ptr + 16, FILETYPE_CHARACTER_DEVICE);
      return ERRNO.SUCCESS;
    },
    fd_filestat_set_size: (fd: number) => unsupported(fd),
    fd_filestat_set_times: (fd: number) => unsupported(fd),
    fd_pread: (fd: number) => onFd(fd, ERRNO.SPIPE),
    fd_prestat_get: () => ERRNO.BADF,
    fd_prestat_dir_name: () => ERRNO.BADF,
    fd_pwrite: (fd: number) => onFd(fd, ERRNO.SPIPE),
    fd_read(fd: number, iovs: number, count: number, nreadPtr: number) {
      if (fd !== 0) return ERRNO.BADF;
      iovecs(memory, iovs, count);
      putU32(memory, nreadPtr, 0);
      return ERRNO.SUCCESS;
    },
    fd_readdir: (fd: number) => onFd(fd, ERRNO.NOTDIR),
    fd_renumber: (fd: number) => unsupported(fd),
    fd_seek: (fd: number) => onFd(fd, ERRNO.SPIPE),
    fd_sync: (fd: number) => onFd(fd, ERRNO.SUCCESS),
    fd_tell: (fd: number) => onFd(fd, ERRNO.SPIPE),
    fd_write(fd: number, iovs: number, count: number, nwrittenPtr: number) {
      if (fd !== 1 && fd !== 2) return ERRNO.BADF;
      let total = 0;
      for (const part of iovecs(memory, iovs, count)) {
        if (part.length === 0) continue;
        host.write(fd, part);
        total += part.length;
      }
      putU32(memory, nwrittenPtr, total);
      return ERRNO.SUCCESS;
    },
    path_create_directory: path,
    path_filestat_get: path,
    path_filestat_set_times: path,
    path_link: path,
    path_open: path,
    path_readlink: path,
    path_remove_directory: path,
    path_rename: path,
    path_symlink: (_old: number, _oldLen: number, fd: number) => path(fd),
    path_unlink_file: path,
    poll_oneoff: (inPtr: number, outPtr: number, count: number, nevents: number) => pollOneoff(memory, inPtr, outPtr, count, nevents, host.sleep ?? sleep),
    proc_exit(code: number): never {
      throw new WasiExit(code);
    },
    proc_raise: () => ERRNO.NOSYS,
    random_get(ptr: number, length: number) {
      fillRandom(memory.slice(ptr, length));
      return ERRNO.SUCCESS;
    },
    sched_yield: () => ERRNO.SUCCESS,
    sock_accept: (fd: number) => onFd(fd, ERRNO.NOTSOCK),
    sock_recv: (fd: number) => onFd(fd, ERRNO.NOTSOCK),
    sock_send: (fd: number) => onFd(fd, ERRNO.NOTSOCK),
    sock_shutdown: (fd: number) => onFd(fd, ERRNO.NOTSOCK),
  };
}

/** The names of every WASI preview 1 function the implementation provides (46). */
export const WASI_FUNCTION_NAMES: readonly string[] = Object.keys(
  createWasiImports({ memory: undefined as unknown as GuestMemory, write: () => undefined }),
);
