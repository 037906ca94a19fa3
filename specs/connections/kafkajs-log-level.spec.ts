/**
 * kafkajs's log levels in e2rx's log: what kafkajs handles itself (a topic not created yet, a retry, a rebalance)
 * is not an error. The messages are kafkajs 2.2.4's own.
 */
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLogLevel } from '../../src/connections/kafkajs-driver.js';

describe('kafkajsLogLevel', () => {
  it('kafkajs log level - a broker error answer (a topic not created yet, at every first start) is debug', () => {
    const extra = { broker: '127.0.0.1:9092', clientId: 'e2rx', error: 'This server does not host this topic-partition', correlationId: 1, size: 204 };
    expect(kafkajsLogLevel(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', extra)).toBe('debug');
    expect(kafkajsLogLevel(logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5)', { error: 'The coordinator is loading and hence can\'t process requests' })).toBe('debug');
  });

  it('kafkajs log level - kafkajs retrying (retryCount, retryTime) is a warning', () => {
    expect(kafkajsLogLevel(logLevel.ERROR, 'Failed to send messages: This server does not host this topic-partition', { retryCount: 0, retryTime: 300 })).toBe('warn');
    expect(kafkajsLogLevel(logLevel.ERROR, 'Restarting the consumer in 300ms', { retryCount: 1, retryTime: 300, groupId: 'g' })).toBe('warn');
    expect(kafkajsLogLevel(logLevel.ERROR, 'Failed to connect to seed broker, trying another broker from the list: connect ECONNREFUSED', { retryCount: 2, retryTime: 600 })).toBe('warn');
  });

  it('kafkajs log level - a rebalance is info; other warnings stay warnings', () => {
    expect(kafkajsLogLevel(logLevel.WARN, 'The group is rebalancing, re-joining', { groupId: 'g', memberId: 'm', error: 'The group is rebalancing, so a rejoin is needed' })).toBe('info');
    expect(kafkajsLogLevel(logLevel.WARN, 'Consumer group received unsubscribed topics', {})).toBe('warn');
  });

  it('kafkajs log level - bounded retries of a transactional producer are debug: an aborted transaction runs its records again', () => {
    expect(kafkajsLogLevel(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees', {})).toBe('debug');
  });

  it('kafkajs log level - a crash stays an error; info and debug keep their level', () => {
    expect(kafkajsLogLevel(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: This server does not host this topic-partition', { groupId: 'g', retryCount: 5, stack: '' })).toBe('error');
    expect(kafkajsLogLevel(logLevel.ERROR, 'Crash: KafkaJSNonRetriableError: Invalid session timeout', { groupId: 'g', stack: '' })).toBe('error');
    expect(kafkajsLogLevel(logLevel.INFO, 'Consumer has joined the group', {})).toBe('info');
    expect(kafkajsLogLevel(logLevel.DEBUG, 'Request Metadata(key: 3, version: 6)', {})).toBe('debug');
  });
});
