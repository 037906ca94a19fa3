/**
 * The samplers of src/telemetry/sampler.ts decide as the SDK's samplers (`@opentelemetry/sdk-trace-base`) do, for
 * random trace ids, without a parent and under remote parents sampled or not.
 */
import * as api from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { SAMPLERS, type SamplerName } from '../../src/telemetry/config.js';
import { rootSampler } from '../../src/telemetry/sampler.js';
import { hexWords, randomWord, wordHex } from '../../src/telemetry/span-ids.js';

function sdkSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

describe('rootSampler', () => {
  for (const name of SAMPLERS) {
    it(`sampler - ${name} decides as the SDK's, with no parent and under remote parents`, () => {
      const ratio = 0.3;
      const ours = rootSampler(name, ratio);
      const theirs = sdkSampler(name, ratio);
      let sampled = 0;
      for (let i = 0; i < 2000; i += 1) {
        const words = [randomWord(), randomWord(), randomWord(), randomWord()] as [number, number, number, number];
        const traceId = words.map(wordHex).join('');
        expect(hexWords(traceId, 4)).toEqual(words);
        for (const parentFlags of [undefined, 0, 1]) {
          const context =
            parentFlags === undefined ? api.ROOT_CONTEXT : api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId, spanId: '00f067aa0ba902b7', traceFlags: parentFlags, isRemote: true });
          const expected = theirs.shouldSample(context, traceId, 'run', 1, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
          const actual = ours(...words, parentFlags === undefined ? undefined : { sampled: parentFlags === 1 });
          expect(actual, `${name} ${traceId} parent ${parentFlags}`).toBe(expected);
          if (actual && parentFlags === undefined) sampled += 1;
        }
      }
      if (name.endsWith('traceidratio')) expect(sampled / 2000).toBeGreaterThan(0.2);
      if (name.endsWith('traceidratio')) expect(sampled / 2000).toBeLessThan(0.4);
    });
  }
});
