/**
 * The error of a module that the deadline instrumentation leaves as it was (`instrument.ts`).
 *
 * @module
 */

/** Why a module was left as it was: the rewrite meets something it does not handle; the module then runs as it is. */
export class NotInstrumentable extends Error {
  override readonly name = 'NotInstrumentable';
}
