import { describe, expect, it } from 'vitest';
import { fixedPath, redirectLocation, routePattern } from '../../src/server/route-redirect.js';

const ROUTES = ['/tinygo/req/:id', '/static/*', '/user_:name/profile', '/health'].map(routePattern);

describe('fixedPath', () => {
  it("fixedPath - the route's letters for static segments, the request's for parameters and catch-alls", () => {
    expect(fixedPath(ROUTES, '/TINYGO/req/AbC')).toBe('/tinygo/req/AbC');
    expect(fixedPath(ROUTES, '/STATIC/Dir/File.TXT')).toBe('/static/Dir/File.TXT');
    expect(fixedPath(ROUTES, '/USER_Ann/PROFILE')).toBe('/user_Ann/profile');
    expect(fixedPath(ROUTES, '/Health')).toBe('/health');
  });

  it('fixedPath - tries the trailing slash toggled: removed for a parameter, added for a catch-all', () => {
    expect(fixedPath(ROUTES, '/TINYGO/req/abc/')).toBe('/tinygo/req/abc');
    expect(fixedPath(ROUTES, '/Static')).toBe('/static/');
  });

  it('fixedPath - no route: undefined; a final parameter is never empty, one before a / may be (httprouter)', () => {
    expect(fixedPath(ROUTES, '/tinygo/req/')).toBeUndefined();
    expect(fixedPath(ROUTES, '/tinygo/req/a/b')).toBeUndefined();
    expect(fixedPath(ROUTES, '/USER_/profile')).toBe('/user_/profile');
    expect(fixedPath(ROUTES, '/nowhere')).toBeUndefined();
    expect(fixedPath([], '/x')).toBeUndefined();
  });
});

describe('redirectLocation', () => {
  it('redirectLocation - the path escaped and cleaned (never //host), then the query as it came', () => {
    expect(redirectLocation('/tinygo/req/a b', '?x=%20&y')).toBe('/tinygo/req/a%20b?x=%20&y');
    expect(redirectLocation('//evil.example/x', '')).toBe('/evil.example/x');
    expect(redirectLocation('/static/', '')).toBe('/static/');
  });
});
