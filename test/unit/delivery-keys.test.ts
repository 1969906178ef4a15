import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailboxKey } from '../../src/mail/mailbox-key.js';
import { clientNetwork } from '../../src/client-network.js';

describe('mailboxKey: one key per mailbox, for the per-destination caps', () => {
  it('folds case, sub-addresses, IDN spellings and Gmail dots', () => {
    const same = [
      'victim@example.org',
      'Victim@EXAMPLE.org',
      'victim+mfa@example.org',
      ' victim@example.org. ',
      'VICTIM+a+b@Example.Org',
    ];
    assert.deepEqual(new Set(same.map(mailboxKey)), new Set(['victim@example.org']));
    assert.equal(mailboxKey('v.i.c.t.i.m+x@googlemail.com'), 'victim@gmail.com');
    assert.equal(mailboxKey('anna@bücher.example'), mailboxKey('anna@xn--bcher-kva.example'));
  });

  it('keeps different mailboxes apart', () => {
    assert.notEqual(mailboxKey('victim@example.org'), mailboxKey('victim@example.net'));
    assert.notEqual(mailboxKey('v.ictim@example.org'), mailboxKey('victim@example.org'), 'dots matter outside Gmail');
  });
});

describe('clientNetwork: the unit one client controls', () => {
  it('is the address for IPv4, also when mapped into IPv6', () => {
    assert.equal(clientNetwork('203.0.113.7'), '203.0.113.7');
    assert.equal(clientNetwork('::ffff:203.0.113.7'), '203.0.113.7');
  });

  it('is the /64 for IPv6, however the address is written', () => {
    const net = '2001:db8:1:2::/64';
    for (const ip of [
      '2001:db8:1:2::1',
      '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
      '2001:DB8:1:2:0:0:0:9',
      '2001:db8:1:2::192.0.2.1',
    ])
      assert.equal(clientNetwork(ip), net, ip);
    assert.equal(clientNetwork('::1'), '0:0:0:0::/64');
    assert.equal(clientNetwork('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.notEqual(clientNetwork('2001:db8:1:3::1'), net);
  });
});
