import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { firstHop, goStyle } from '../../src/capabilities/outbound-first-hop.js';

describe('outbound-first-hop', () => {
  it('firstHop - the request target is Go\'s RequestURI (a space in the query as %20), the userinfo a Basic header', () => {
    const hop = firstHop('GET', 'http://us:pw@Example.com:8080/a b/../c?q=x y', 'failed to url.Parse');
    expect(hop.target).toBe('/a%20b/../c?q=x%20y');
    expect(hop.url.host).toBe('example.com:8080');
    expect(hop.shown).toBe('http://us:***@Example.com:8080/a%20b/../c?q=x y');
    expect(hop.basic).toBe(`Basic ${Buffer.from('us:pw').toString('base64')}`);
  });

  it('firstHop - refuses what Go refused, in Go\'s words', () => {
    const message = (raw: string): string => {
      try {
        firstHop('POST', raw, 'failed to url.Parse');
      } catch (error) {
        expect(error).toBeInstanceOf(E2rxError);
        return (error as Error).message;
      }
      throw new Error(`${raw} was accepted`);
    };
    expect(message(' http://x/')).toBe('failed to url.Parse: parse " http://x/": first path segment in URL cannot contain colon');
    expect(message('ftp://x/')).toBe('Post "ftp://x/": unsupported protocol scheme "ftp"');
    expect(message('http:///path')).toBe('Post "http:///path": http: no Host in request URL');
  });

  it('goStyle - the method as Go writes it in a url.Error', () => {
    expect(goStyle('GET', 'http://x/', 'EOF')).toBe('Get "http://x/": EOF');
  });
});
