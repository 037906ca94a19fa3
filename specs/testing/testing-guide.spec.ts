/**
 * docs/guides/testing.md: every example that imports something is run as written, so the guide cannot drift from
 * the kit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeBlocks, runExample } from './support/doc-examples.js';

const GUIDE = readFileSync(new URL('../../docs/guides/testing.md', import.meta.url), 'utf8');
const blocks = codeBlocks(GUIDE);

describe('docs/guides/testing.md', () => {
  it('testing guide - has runnable examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
  });

  for (const block of blocks) {
    it(`testing guide - the example at line ${block.line} runs`, async () => {
      await runExample(block, 'testing');
    }, 30_000);
  }
});
