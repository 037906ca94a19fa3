import { describe, expect, it } from 'vitest';
import { isValidSemver } from '../../src/directive/semver.js';

describe('isValidSemver', () => {
  it.each(['v0.4.7', 'v1.2.3', 'v1', 'v1.2', 'v0', 'v0.0.0', 'v10.20.30', 'v1.2.3-beta', 'v1.2.3-beta.1', 'v1.2.3-0', 'v1.2.3-0a', 'v1.2.3-x-y.z', 'v1.2.3+build', 'v1.2.3+build.01', 'v1.2.3-rc.1+build.7'])(
    'isValidSemver - accepts %s',
    (version) => {
      expect(isValidSemver(version)).toBe(true);
    },
  );

  it('isValidSemver - requires the leading v', () => {
    expect(isValidSemver('0.4.7')).toBe(false);
    expect(isValidSemver('V0.4.7')).toBe(false);
    expect(isValidSemver('')).toBe(false);
    expect(isValidSemver('v')).toBe(false);
  });

  it('isValidSemver - allows pre-release and build suffixes only after a full MAJOR.MINOR.PATCH', () => {
    expect(isValidSemver('v1-beta')).toBe(false);
    expect(isValidSemver('v1.2-beta')).toBe(false);
    expect(isValidSemver('v1+build')).toBe(false);
    expect(isValidSemver('v1.2+build')).toBe(false);
  });

  it('isValidSemver - refuses leading zeros in numbers and numeric pre-release identifiers', () => {
    expect(isValidSemver('v01')).toBe(false);
    expect(isValidSemver('v1.02')).toBe(false);
    expect(isValidSemver('v1.2.03')).toBe(false);
    expect(isValidSemver('v1.2.3-01')).toBe(false);
    expect(isValidSemver('v1.2.3-beta.01')).toBe(false);
  });

  it('isValidSemver - refuses empty identifiers, bad characters and extra parts', () => {
    expect(isValidSemver('v1.2.3-')).toBe(false);
    expect(isValidSemver('v1.2.3-beta..1')).toBe(false);
    expect(isValidSemver('v1.2.3+')).toBe(false);
    expect(isValidSemver('v1.2.3+build..1')).toBe(false);
    expect(isValidSemver('v1.2.3-beta_1')).toBe(false);
    expect(isValidSemver('v1.2.3.4')).toBe(false);
    expect(isValidSemver('v1.')).toBe(false);
    expect(isValidSemver('v1.2.')).toBe(false);
    expect(isValidSemver(' v1.2.3')).toBe(false);
    expect(isValidSemver('v1.2.3 ')).toBe(false);
    expect(isValidSemver('latest')).toBe(false);
  });
});
