import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToken, newOpaqueToken, opaqueTokenHash } from '../../src/crypto/opaque-token.js';

describe('opaqueTokenHash', () => {
  it('hashes a token of the shape newOpaqueToken gives with that prefix', () => {
    const token = newOpaqueToken('mfa_xx_');
    assert.equal(opaqueTokenHash(token, 'mfa_xx_'), hashToken(token));
  });

  it('refuses another prefix, another length and characters outside base64url, before hashing anything', () => {
    const body = newOpaqueToken('').slice(0, 42);
    for (const token of [
      `mfa_yy_${body}A`,
      `mfa_xx_${body}`,
      `mfa_xx_${body}AA`,
      `mfa_xx_${body}+`,
      `mfa_xx_${body}=`,
      ` mfa_xx_${body}A`,
      `mfa_xx_${body}A\n`,
      '',
    ])
      assert.equal(opaqueTokenHash(token, 'mfa_xx_'), undefined, JSON.stringify(token));
  });
});
