import { describe, expect, it } from 'vitest';
import { findRouteConflicts, routeSyntaxError, toRouterPath } from '../../src/directive/rules/routes.js';

describe('toRouterPath', () => {
  it('toRouterPath - leaves paths without a catch-all as written', () => {
    expect(toRouterPath('/users/:id')).toEqual({ path: '/users/:id', catchAll: undefined });
    expect(toRouterPath('/')).toEqual({ path: '/', catchAll: undefined });
  });

  it("toRouterPath - turns httprouter's named catch-all into find-my-way's * and keeps its name", () => {
    expect(toRouterPath('/files/*path')).toEqual({ path: '/files/*', catchAll: 'path' });
    expect(toRouterPath('/static/:version/*file')).toEqual({ path: '/static/:version/*', catchAll: 'file' });
  });
});

describe('routeSyntaxError', () => {
  it('routeSyntaxError - accepts params and a trailing catch-all', () => {
    expect(routeSyntaxError('/hello')).toBeUndefined();
    expect(routeSyntaxError('/users/:id')).toBeUndefined();
    expect(routeSyntaxError('/users/:id/posts/:post')).toBeUndefined();
    expect(routeSyntaxError('/files/*path')).toBeUndefined();
  });

  it('routeSyntaxError - refuses two wildcards in one segment, quoting the wildcard as httprouter does', () => {
    expect(routeSyntaxError('/users/:id:name')).toBe("only one wildcard per path segment is allowed, has: ':id:name' in path '/users/:id:name'");
    expect(routeSyntaxError('/a/b:c*d')).toBe("only one wildcard per path segment is allowed, has: ':c*d' in path '/a/b:c*d'");
  });

  it('routeSyntaxError - refuses unnamed wildcards', () => {
    expect(routeSyntaxError('/users/:')).toBe("wildcards must be named with a non-empty name in path '/users/:'");
    expect(routeSyntaxError('/files/*')).toBe("wildcards must be named with a non-empty name in path '/files/*'");
  });

  it('routeSyntaxError - refuses a catch-all that is not at the end', () => {
    expect(routeSyntaxError('/files/*path/meta')).toBe("catch-all routes are only allowed at the end of the path in path '/files/*path/meta'");
    expect(routeSyntaxError('/files/x*path/meta')).toBe("catch-all routes are only allowed at the end of the path in path '/files/x*path/meta'");
  });

  it('routeSyntaxError - refuses a catch-all without a / before it', () => {
    expect(routeSyntaxError('/files/x*path')).toBe("no / before catch-all in path '/files/x*path'");
  });
});

describe('findRouteConflicts', () => {
  it('findRouteConflicts - accepts distinct routes, and one path with different methods', () => {
    expect(
      findRouteConflicts([
        { index: 0, method: 'GET', path: '/hello' },
        { index: 1, method: 'POST', path: '/hello' },
        { index: 2, method: 'GET', path: '/users/:id' },
        { index: 3, method: 'GET', path: '/files/*path' },
      ]),
    ).toEqual([]);
  });

  it('findRouteConflicts - reports the second registration of a method and path', () => {
    expect(
      findRouteConflicts([
        { index: 0, method: 'GET', path: '/hello' },
        { index: 1, method: 'POST', path: '/hello' },
        { index: 2, method: 'GET', path: '/hello' },
      ]),
    ).toEqual([{ index: 2, key: 'resource', message: "a handle is already registered for path '/hello' (method GET)" }]);
  });

  it('findRouteConflicts - reports params that differ only by name as the same route', () => {
    expect(
      findRouteConflicts([
        { index: 0, method: 'GET', path: '/users/:id' },
        { index: 1, method: 'GET', path: '/users/:name' },
      ]),
    ).toEqual([{ index: 1, key: 'resource', message: "a handle is already registered for path '/users/:name' (method GET)" }]);
  });

  it('findRouteConflicts - reports syntax errors at the resource', () => {
    expect(findRouteConflicts([{ index: 4, method: 'GET', path: '/a/:x:y' }])).toEqual([
      { index: 4, key: 'resource', message: "only one wildcard per path segment is allowed, has: ':x:y' in path '/a/:x:y'" },
    ]);
  });

  it('findRouteConflicts - reports a method that is not an HTTP method at the method', () => {
    expect(findRouteConflicts([{ index: 0, method: 'FETCH', path: '/a' }])).toEqual([
      { index: 0, key: 'method', message: 'handler for resource /a has method FETCH, which is not an HTTP method' },
    ]);
  });

  it('findRouteConflicts - does not register a refused route, so a later valid one is accepted', () => {
    expect(
      findRouteConflicts([
        { index: 0, method: 'FETCH', path: '/a' },
        { index: 1, method: 'GET', path: '/a' },
      ]).map((conflict) => conflict.index),
    ).toEqual([0]);
  });
});
