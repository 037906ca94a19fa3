import { describe, expect, it } from 'vitest';
import { acceptedRequestId, MAX_REQUEST_ID_LENGTH } from '../../src/server/request-id.js';

describe('request id', () => {
  it('acceptedRequestId - keeps printable ASCII of 1 to 128 characters', () => {
    for (const id of ['a', '3b241101-e2bb-4255-8caf-4136c566a962', 'trace 7f/9c:42', '~!', 'x'.repeat(MAX_REQUEST_ID_LENGTH)]) {
      expect(acceptedRequestId(id), id).toBe(id);
    }
    expect(MAX_REQUEST_ID_LENGTH).toBe(128);
  });

  it('acceptedRequestId - refuses nothing, empty, too long, control characters and non-ASCII text', () => {
    for (const id of [undefined, '', 'x'.repeat(MAX_REQUEST_ID_LENGTH + 1), 'a\tb', 'a\u007fb', 'caf\u00e9', '\u{1f600}']) {
      expect(acceptedRequestId(id), JSON.stringify(id)).toBeUndefined();
    }
  });
});
