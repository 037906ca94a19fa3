/**
 * Go's semantic-version validity rule (golang.org/x/mod/semver `IsValid`), which Atmo applied to `appVersion` and
 * `atmoVersion`: a leading `v`, then `MAJOR`, `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`; pre-release and build suffixes
 * only after a full `MAJOR.MINOR.PATCH`; no leading zeros in numbers.
 *
 * @module
 */

const NUMBER = '(?:0|[1-9][0-9]*)';
const PRERELEASE_PART = `(?:${NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_PART = '[0-9A-Za-z-]+';
const PATTERN = new RegExp(
  `^v${NUMBER}(?:\\.${NUMBER}(?:\\.${NUMBER}(?:-${PRERELEASE_PART}(?:\\.${PRERELEASE_PART})*)?(?:\\+${BUILD_PART}(?:\\.${BUILD_PART})*)?)?)?$`,
);

/**
 * Whether `version` is a valid Go semantic version (`v1`, `v1.2`, `v1.2.3`, `v1.2.3-beta.1+build.5`).
 *
 * @example
 * ```ts
 * isValidSemver('v0.4.7'); // true
 * isValidSemver('0.4.7');  // false: the leading v is required
 * ```
 */
export function isValidSemver(version: string): boolean {
  return PATTERN.test(version);
}
