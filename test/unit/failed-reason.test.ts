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

  it("masks the service's tokens quoted without their link, and codes glued to a word", () => {
    const reason = redactFailedReason(
      'SMTP 554 after DATA: 5.7.1 rejected, body quoted token=mfa_pr_Zm9vYmFyYmF6cXV4 and code123456',
    );
    assert.equal(reason, 'SMTP 554 after DATA: 5.7.1 rejected, body quoted token=[redacted] and code[redacted]');
  });

  it("shows of a reply to AUTH only its codes: servers echo the SMTP account's user name there", () => {
    assert.equal(
      redactFailedReason('SMTP 535 after AUTH PLAIN: 535 5.7.8 Authentication failed for user relay-prod'),
      "SMTP 535 after AUTH PLAIN: 5.7.8 (the server's words are not shown)",
    );
    assert.equal(
      redactFailedReason('SMTP 535 after AUTH LOGIN: 535 authentication failed for relay-prod'),
      "SMTP 535 after AUTH LOGIN: (the server's words are not shown)",
    );
  });

  it('reads a bounded start of a huge reason: quick, at most 300 characters, no half address or token', () => {
    // An unbroken run makes the address pattern's cost quadratic: 200,000 characters would take minutes unbounded.
    const started = performance.now();
    const huge = redactFailedReason(`SMTP 550 after DATA: ${'x'.repeat(200_000)}`);
    assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
    assert.ok(huge.length <= 300, String(huge.length));
    // Cut inside an address (after a long link that shrinks to <link>): no front half of it is shown.
    const cut = redactFailedReason(
      `SMTP 550 after DATA: https://x.example/${'a'.repeat(1150)} <ann.secret-person@example.com> unknown`,
    );
    assert.ok(!cut.includes('ann.secre'), cut);
  });
});
