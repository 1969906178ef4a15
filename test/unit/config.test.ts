import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('has working defaults for a fresh machine', () => {
    const config = loadConfig({});
    assert.equal(config.http.port, 4000);
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.mongodb.uri, undefined, 'embedded server by default');
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.accounts.allowSignup, true);
    assert.equal(config.sessions.absoluteTtlMs, 12 * 3600_000);
    assert.equal(config.sessions.idleTtlMs, 30 * 60_000);
  });

  it('refuses production without encryption keys or SMTP, and closes sign-up there', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), ConfigError);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', MFA_ENCRYPTION_KEYS: 'k1:abc' }), /SMTP_URL/);
    const production = loadConfig({ NODE_ENV: 'production', MFA_ENCRYPTION_KEYS: 'k1:abc', SMTP_URL: 'smtp://mail:587' });
    assert.equal(production.accounts.allowSignup, false);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ ALLOW_SIGNUP: 'maybe' }), /ALLOW_SIGNUP/);
    assert.throws(() => loadConfig({ MAIL_WORKER: 'sometimes' }), /MAIL_WORKER/);
    assert.throws(() => loadConfig({ ADMIN_USERNAME: 'root' }), /ADMIN_PASSWORD/);
  });
});
