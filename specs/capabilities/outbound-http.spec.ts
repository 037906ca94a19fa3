import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { authHeaderFor, pinnedLookup } from '../../src/capabilities/outbound-http.js';

describe('outbound-http', () => {
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

  it('authHeaderFor - matches the host with its port, only when auth is enabled', () => {
    const auth = {
      enabled: true,
      headers: {
        'api.example.com': { headerType: 'bearer', value: 'a' },
        'api.example.com:8443': { headerType: 'token', value: 'b' },
        'empty.example.com': { headerType: 'bearer', value: '' },
      },
    };
    expect(authHeaderFor(auth, new URL('https://api.example.com/x'))).toBe('bearer a');
    expect(authHeaderFor(auth, new URL('https://API.example.com/x'))).toBe('bearer a');
    expect(authHeaderFor(auth, new URL('https://api.example.com:8443/x'))).toBe('token b');
    expect(authHeaderFor(auth, new URL('https://other.example.com/x'))).toBeUndefined();
    expect(authHeaderFor(auth, new URL('https://empty.example.com/x'))).toBeUndefined();
    expect(authHeaderFor({ ...auth, enabled: false }, new URL('https://api.example.com/x'))).toBeUndefined();
  });

  it('authHeaderFor - an explicit default port written in the URL still matches its key', () => {
    const auth = { enabled: true, headers: { 'api.example.com:443': { headerType: 'bearer', value: 'c' } } };
    expect(authHeaderFor(auth, new URL('https://api.example.com:443/x'), 'https://api.example.com:443/x')).toBe('bearer c');
  });
});
