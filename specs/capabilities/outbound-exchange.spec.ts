import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { pinnedLookup } from '../../src/capabilities/outbound-exchange.js';

describe('outbound-exchange', () => {
  it('pinnedLookup - answers with the checked addresses whatever name is asked', async () => {
    const lookup = pinnedLookup([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
    const single = await new Promise<[string, number]>((resolve, reject) =>
      lookup('rebinding.example', { family: 0 }, (error, address, family) =>
        error ? reject(error) : resolve([address as string, family as number]),
      ),
    );
    expect(single).toEqual(['93.184.216.34', 4]);
    const all = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup('rebinding.example', { all: true }, (error, addresses) =>
        error ? reject(error) : resolve(addresses as unknown as LookupAddress[]),
      ),
    );
    expect(all).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
  });
});
