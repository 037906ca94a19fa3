import { describe, expect, it } from 'vitest';
import { authHeaderFor } from '../../src/capabilities/outbound-auth.js';

describe('outbound-auth', () => {
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
