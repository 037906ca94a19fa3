/**
 * The sender of published messages (src/sinks/guest-publishes.ts) without connections: the refusal it gives. Sending
 * to the real NATS and Kafka is specced end to end in specs/integration/publish.integration.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { createPublishSender } from '../../src/sinks/guest-publishes.js';
import { testRequest } from '../../src/testing/index.js';

describe('createPublishSender', () => {
  it.each(['nats', 'kafka'] as const)('createPublishSender - a %s message without that connection fails with E2RX_PUBLISH_FAILED naming it', async (connection) => {
    const send = createPublishSender({ nats: undefined, kafka: undefined });
    await expect(send([{ connection, target: 'audit', body: new Uint8Array(0), headers: [] }], testRequest())).rejects.toMatchObject({
      code: 'E2RX_PUBLISH_FAILED',
      retriable: true,
      details: { connection, target: 'audit' },
      message: `cannot publish to audit: the app has no ${connection === 'nats' ? 'NATS' : 'Kafka'} connection`,
    });
  });
});
