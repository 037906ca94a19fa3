/**
 * The secrets capability end to end: a Wasm function (specs/fixtures/functions/secret-probe) reads environment
 * variables through `get_secret_value`, served by the engine: only the keys of `secrets.env.allowedKeys`, and nothing
 * when the capability is disabled (the original answers an empty value, not an error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'secret-probe';
const VARIABLES = { E2RX_IT_ALLOWED: 'allowed-value', E2RX_IT_OTHER: 'other-value' } as const;

const apps: StartedApp[] = [];

beforeAll(async () => {
  await builtFunctions();
  Object.assign(process.env, VARIABLES);
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
  for (const name of Object.keys(VARIABLES)) delete process.env[name];
});

describe('secrets capability', () => {
  it('get_secret_value - returns an allowed key and nothing for the others', async () => {
    const app = await startApp({ functions: [FN], capabilities: 'secrets:\n  env: { allowedKeys: [E2RX_IT_ALLOWED, E2RX_IT_UNSET] }' });
    apps.push(app);
    expect(await app.call(FN, 'E2RX_IT_ALLOWED')).toMatchObject({ status: 200, text: '[allowed-value]' });
    expect(await app.call(FN, 'E2RX_IT_OTHER')).toMatchObject({ status: 200, text: '[]' });
    expect(await app.call(FN, 'E2RX_IT_UNSET')).toMatchObject({ status: 200, text: '[]' });
    expect(await app.call(FN, 'PATH')).toMatchObject({ status: 200, text: '[]' });
  });

  it('get_secret_value - by default no key is allowed', async () => {
    const app = await startApp({ functions: [FN] });
    apps.push(app);
    expect(await app.call(FN, 'E2RX_IT_ALLOWED')).toMatchObject({ status: 200, text: '[]' });
  });

  it('secrets disabled - even a listed key gives an empty value', async () => {
    const app = await startApp({ functions: [FN], capabilities: 'secrets:\n  enabled: false\n  env: { allowedKeys: [E2RX_IT_ALLOWED] }' });
    apps.push(app);
    expect(await app.call(FN, 'E2RX_IT_ALLOWED')).toMatchObject({ status: 200, text: '[]' });
  });
});
