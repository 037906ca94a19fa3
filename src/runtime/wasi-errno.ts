/**
 * WASI preview 1 constants used by the runtime's WASI implementation (numbering of `wasi_snapshot_preview1.witx`).
 *
 * @module
 */

/** The errno values the WASI implementation returns. */
export const ERRNO = {
  SUCCESS: 0,
  BADF: 8,
  INVAL: 28,
  NOSYS: 52,
  NOTDIR: 54,
  NOTSOCK: 57,
  NOTSUP: 58,
  SPIPE: 70,
} as const;

/** Clock ids. */
export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;

/** File type of the standard streams. */
export const FILETYPE_CHARACTER_DEVICE = 2;

/** Rights bits given to the standard streams. */
export const RIGHTS = { FD_READ: 1n << 1n, FD_WRITE: 1n << 6n, POLL_FD_READWRITE: 1n << 27n } as const;

/** Subscription / event types of poll_oneoff. */
export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
