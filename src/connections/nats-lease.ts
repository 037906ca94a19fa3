/**
 * Schedule leases in NATS JetStream KV: one entry per schedule, `{ owner, expiresAt, last }`, changed only with a
 * compare-and-set on its revision, so that taking, renewing and recording are atomic. The expiry is read against the
 * reader's clock: the instances' clocks must agree within a fraction of the lease (NTP does).
 *
 * @module
 */
import type { KV } from '@nats-io/kv';
import type { NatsConnectionHandle } from './nats.js';
import type { ScheduleLease, ScheduleLeases } from './schedule-lease.js';

/** The KV bucket of schedule leases (created on first use, one value per key, no expiry). */
export const NATS_LEASE_BUCKET = 'e2rx_schedules';

interface LeaseEntry {
  readonly owner: string;
  /** When the lease ends unless renewed (ms since the epoch; 0 once released). */
  readonly expiresAt: number;
  /** The last tick recorded (ms since the epoch), or 0. */
  readonly last: number;
}

const decoder = new TextDecoder();

/**
 * Schedule leases kept in the JetStream KV bucket {@link NATS_LEASE_BUCKET}, through `nats` (closed by
 * {@link ScheduleLeases.close} when `ownsConnection`).
 *
 * @example
 * ```ts
 * const leases = await natsScheduleLeases(await connectNats('nats://127.0.0.1:4222', { logger }), 'com.example.app', { ownsConnection: true });
 * ```
 */
export async function natsScheduleLeases(nats: NatsConnectionHandle, identifier: string, options: { readonly ownsConnection?: boolean } = {}): Promise<ScheduleLeases> {
  const { Kvm } = await import('@nats-io/kv');
  const kv = await new Kvm(nats.connection).create(NATS_LEASE_BUCKET, { history: 1 });
  return {
    kind: 'nats',
    lease: (name, owner, ttlMs) => natsLease(kv, `${keyPart(identifier)}.${keyPart(name)}`, owner, ttlMs),
    healthy: () => nats.healthy,
    close: async () => {
      if (options.ownsConnection) await nats.close();
    },
  };
}

function natsLease(kv: KV, key: string, owner: string, ttlMs: number): ScheduleLease {
  const read = async (): Promise<{ readonly entry: LeaseEntry | undefined; readonly revision: number | undefined }> => {
    const found = await kv.get(key);
    if (found === null) return { entry: undefined, revision: undefined };
    if (found.operation !== 'PUT' || found.value.length === 0) return { entry: undefined, revision: found.revision };
    return { entry: JSON.parse(decoder.decode(found.value)) as LeaseEntry, revision: found.revision };
  };
  /** Writes `entry` if the key is still at `revision` (created when it has none); false when another instance wrote first. */
  const write = async (entry: LeaseEntry, revision: number | undefined): Promise<boolean> => {
    try {
      if (revision === undefined) await kv.create(key, JSON.stringify(entry));
      else await kv.update(key, JSON.stringify(entry), revision);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  };
  return {
    hold: async () => {
      const { entry, revision } = await read();
      const now = Date.now();
      if (entry !== undefined && entry.owner !== owner && entry.expiresAt > now) return false;
      return write({ owner, expiresAt: now + ttlMs, last: entry?.last ?? 0 }, revision);
    },
    lastTick: async () => {
      const { entry } = await read();
      return entry === undefined || entry.last === 0 ? undefined : entry.last;
    },
    complete: async (tick) => {
      const { entry, revision } = await read();
      if (entry === undefined || entry.owner !== owner || entry.expiresAt <= Date.now()) return false;
      return write({ ...entry, last: Math.max(entry.last, tick) }, revision);
    },
    release: async () => {
      const { entry, revision } = await read();
      if (entry !== undefined && entry.owner === owner) await write({ ...entry, expiresAt: 0 }, revision);
    },
  };
}

/** A KV key token: letters, digits, `-` and `_` kept, anything else as `=XX` (hex of each UTF-8 byte). */
function keyPart(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(char) ? char : `=${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A write refused because the entry changed (JetStream's "wrong last sequence"), or exists already on create. */
function isConflict(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { api_error?: { err_code?: number } }).api_error?.err_code ?? '')}` : String(error);
  return /wrong last sequence|10071|key exists/i.test(text);
}
