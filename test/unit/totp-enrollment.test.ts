import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { otpauthUri } from '../../plugins/totp/otpauth-uri.js';
import { qrCodeSvg } from '../../plugins/totp/qr-code.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** Reads a URI back the way a label-splitting authenticator app does: split at the literal ':', then decode. */
function parseOtpauth(uri: string) {
  const url = new URL(uri);
  const parts = url.pathname.slice(1).split(':');
  assert.equal(parts.length, 2, `one literal ':' in the label of ${uri}`);
  const params = url.searchParams;
  return {
    protocol: url.protocol,
    type: url.host,
    issuer: decodeURIComponent(parts[0]),
    accountName: decodeURIComponent(parts[1]),
    params: Object.fromEntries(params),
    keys: [...params.keys()],
  };
}

describe('otpauthUri', () => {
  it('writes the Key Uri Format with every parameter explicit', () => {
    assert.equal(
      otpauthUri({ issuer: 'mfa-graphql', accountName: 'alice@example.com', secret: SECRET }),
      `otpauth://totp/mfa-graphql:alice%40example.com?secret=${SECRET}&issuer=mfa-graphql&algorithm=SHA1&digits=6&period=30`,
    );
  });

  const names: [string, string][] = [
    ['a:b', 'x&y=z'],
    ['Bob Smith', 'ä@x.de'],
    ['x&y=z', 'Bob Smith'],
    ['ACME Co.', 'a:b'],
    ['100% + #1?/', 'ключ 🔑'],
  ];
  for (const [issuer, accountName] of names) {
    it(`round-trips issuer ${JSON.stringify(issuer)} and account ${JSON.stringify(accountName)}`, () => {
      const uri = otpauthUri({ issuer, accountName, secret: SECRET });
      assert.match(uri, /^[\x21-\x7e]+$/, 'printable ASCII only, no spaces');
      assert.doesNotMatch(uri, /\+/, "spaces are %20, never '+'");
      const parsed = parseOtpauth(uri);
      assert.equal(parsed.protocol, 'otpauth:');
      assert.equal(parsed.type, 'totp');
      assert.equal(parsed.issuer, issuer);
      assert.equal(parsed.accountName, accountName);
      assert.deepEqual(parsed.keys, ['secret', 'issuer', 'algorithm', 'digits', 'period']);
      assert.deepEqual(parsed.params, { secret: SECRET, issuer, algorithm: 'SHA1', digits: '6', period: '30' });
    });
  }

  it('writes non-default algorithm, digits and period', () => {
    const uri = otpauthUri({
      issuer: 'i',
      accountName: 'a',
      secret: SECRET,
      algorithm: 'sha512',
      digits: 8,
      periodSeconds: 60,
    });
    assert.deepEqual(parseOtpauth(uri).params, {
      secret: SECRET,
      issuer: 'i',
      algorithm: 'SHA512',
      digits: '8',
      period: '60',
    });
  });

  it('refuses empty names and secrets', () => {
    assert.throws(() => otpauthUri({ issuer: '', accountName: 'a', secret: SECRET }), TypeError);
    assert.throws(() => otpauthUri({ issuer: 'i', accountName: '', secret: SECRET }), TypeError);
    assert.throws(() => otpauthUri({ issuer: 'i', accountName: 'a', secret: '' }), TypeError);
  });
});

describe('qrCodeSvg', () => {
  it('draws a deterministic SVG of the URI', async () => {
    const uri = otpauthUri({ issuer: 'mfa-graphql', accountName: 'alice', secret: SECRET });
    const svg = await qrCodeSvg(uri);
    assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
    assert.match(svg, /<\/svg>\s*$/);
    assert.equal(await qrCodeSvg(uri), svg);
    assert.notEqual(await qrCodeSvg(uri.replace('alice', 'bob')), svg);
  });
});
