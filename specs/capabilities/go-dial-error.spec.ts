import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { goDialError } from '../../src/capabilities/go-dial-error.js';

/** The error Node reports for a connection to 127.0.0.1:1 (nothing listens there). */
function refusedConnection(): Promise<Error> {
  return new Promise((resolve) => {
    const socket = connect(1, '127.0.0.1');
    socket.on('error', resolve);
  });
}

describe('goDialError', () => {
  it("goDialError - a refused connection reads as Go's dial error (as Atmo's fetch_url said)", async () => {
    const error = await refusedConnection();
    expect(error.message).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(goDialError(error)).toBe('dial tcp 127.0.0.1:1: connect: connection refused');
  });

  it('goDialError - IPv6 addresses are bracketed; unreachable hosts and networks take their Go texts', () => {
    const failure = (code: string, address: string): Error => Object.assign(new Error(code), { code, syscall: 'connect', address, port: 8080 });
    expect(goDialError(failure('ECONNREFUSED', '::1'))).toBe('dial tcp [::1]:8080: connect: connection refused');
    expect(goDialError(failure('EHOSTUNREACH', '10.9.9.9'))).toBe('dial tcp 10.9.9.9:8080: connect: no route to host');
    expect(goDialError(failure('ENETUNREACH', '10.9.9.9'))).toBe('dial tcp 10.9.9.9:8080: connect: network is unreachable');
  });

  it('goDialError - any other error is left to its own text (undefined)', () => {
    expect(goDialError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }))).toBeUndefined();
    expect(goDialError(new Error('socket hang up'))).toBeUndefined();
    expect(goDialError('text')).toBeUndefined();
    expect(goDialError(Object.assign(new Error('x'), { code: 'EWHATEVER', syscall: 'connect', address: '1.2.3.4', port: 1 }))).toBeUndefined();
  });
});
