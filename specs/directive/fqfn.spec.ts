import { describe, expect, it } from 'vitest';
import { DEFAULT_NAMESPACE, findRunnable, formatFqfn, parseFqfn, parseFqfnPath } from '../../src/directive/fqfn.js';

describe('parseFqfn', () => {
  it('parseFqfn - reads a bare name into the default namespace', () => {
    expect(parseFqfn('get-user')).toEqual({ identifier: undefined, namespace: 'default', fn: 'get-user', version: undefined });
    expect(DEFAULT_NAMESPACE).toBe('default');
  });

  it('parseFqfn - reads namespace::name', () => {
    expect(parseFqfn('users::get')).toEqual({ identifier: undefined, namespace: 'users', fn: 'get', version: undefined });
  });

  it('parseFqfn - reads the full form identifier#namespace::name@version', () => {
    expect(parseFqfn('com.example#users::get@v1.0.0')).toEqual({ identifier: 'com.example', namespace: 'users', fn: 'get', version: 'v1.0.0' });
  });

  it('parseFqfn - reads every optional part on its own', () => {
    expect(parseFqfn('com.example#get')).toEqual({ identifier: 'com.example', namespace: 'default', fn: 'get', version: undefined });
    expect(parseFqfn('get@v0.1.0')).toEqual({ identifier: undefined, namespace: 'default', fn: 'get', version: 'v0.1.0' });
    expect(parseFqfn('users::get@v0.1.0')).toEqual({ identifier: undefined, namespace: 'users', fn: 'get', version: 'v0.1.0' });
  });

  it('parseFqfn - round-trips formatFqfn', () => {
    const text = formatFqfn('com.example.app', 'users', 'get', 'v0.2.0');
    expect(text).toBe('com.example.app#users::get@v0.2.0');
    expect(parseFqfn(text)).toEqual({ identifier: 'com.example.app', namespace: 'users', fn: 'get', version: 'v0.2.0' });
  });
});

describe('parseFqfnPath', () => {
  it('parseFqfnPath - reads the headless form /identifier/namespace/fn/version', () => {
    expect(parseFqfnPath('/com.example.app/default/hello/v0.1.0')).toEqual({
      identifier: 'com.example.app',
      namespace: 'default',
      fn: 'hello',
      version: 'v0.1.0',
    });
  });

  it('parseFqfnPath - needs exactly four non-empty segments', () => {
    expect(parseFqfnPath('/com.example.app/default/hello')).toBeUndefined();
    expect(parseFqfnPath('/com.example.app/default/hello/v0.1.0/extra')).toBeUndefined();
    expect(parseFqfnPath('/com.example.app/default/hello/v0.1.0/')).toBeUndefined();
    expect(parseFqfnPath('/com.example.app//hello/v0.1.0')).toBeUndefined();
    expect(parseFqfnPath('/')).toBeUndefined();
  });
});

describe('findRunnable', () => {
  const app = { identifier: 'com.example.app', appVersion: 'v0.1.0' };
  const hello = { name: 'hello', namespace: 'default' };
  const getUser = { name: 'get', namespace: 'users' };
  const unnamespaced = { name: 'legacy', namespace: '' };
  const runnables = [hello, getUser, unnamespaced];

  it('findRunnable - finds a bare name in the default namespace only', () => {
    expect(findRunnable('hello', runnables, app)).toBe(hello);
    expect(findRunnable('default::hello', runnables, app)).toBe(hello);
    expect(findRunnable('get', runnables, app)).toBeUndefined();
  });

  it('findRunnable - finds namespace::name', () => {
    expect(findRunnable('users::get', runnables, app)).toBe(getUser);
    expect(findRunnable('users::hello', runnables, app)).toBeUndefined();
  });

  it('findRunnable - treats an empty runnable namespace as default', () => {
    expect(findRunnable('legacy', runnables, app)).toBe(unnamespaced);
  });

  it('findRunnable - finds a full FQFN of this app and version', () => {
    expect(findRunnable('com.example.app#users::get@v0.1.0', runnables, app)).toBe(getUser);
    expect(findRunnable('com.example.app#hello', runnables, app)).toBe(hello);
    expect(findRunnable('hello@v0.1.0', runnables, app)).toBe(hello);
  });

  it('findRunnable - finds nothing when the identifier is another app', () => {
    expect(findRunnable('com.other.app#users::get@v0.1.0', runnables, app)).toBeUndefined();
    expect(findRunnable('com.other.app#hello', runnables, app)).toBeUndefined();
  });

  it('findRunnable - finds nothing when the version is another version', () => {
    expect(findRunnable('com.example.app#users::get@v0.2.0', runnables, app)).toBeUndefined();
    expect(findRunnable('hello@v0.0.9', runnables, app)).toBeUndefined();
  });
});
