import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactFailedReason } from '../../src/mail/mail-transport.js';

describe('redactFailedReason: what an operator may read of a stored failure', () => {
  it('keeps the SMTP reply code and words, masks addresses, links and code-like numbers', () => {
    assert.equal(
      redactFailedReason('SMTP 550 after RCPT TO: <ann@example.com>: 5.1.1 user unknown'),
      'SMTP 550 after RCPT TO: <address>: 5.1.1 user unknown',
    );
    assert.equal(
      redactFailedReason(
        'SMTP 552 after DATA: message refused, it quoted https://mfa.example/reset?token=abc123 and 482913',
      ),
      'SMTP 552 after DATA: message refused, it quoted <link> and [redacted]',
    );
    assert.equal(
      redactFailedReason('ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:2525'),
      'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:2525',
    );
  });
});
