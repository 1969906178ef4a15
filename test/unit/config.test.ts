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
    assert.equal(config.mongodb.embeddedPort, undefined, 'no TCP listener for the embedded server');
  });

  it('refuses production on the embedded server, saying what to set', () => {
    const keys = { MFA_ENCRYPTION_KEYS: 'k1:abc', SMTP_URL: 'smtp://mail:587' };
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...keys }), ConfigError);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...keys }), /^Error: MONGODB_URI is required when NODE_ENV=production \(a MongoDB replica set/);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...keys, MONGODB_URI: ' ' }), /MONGODB_URI is required/);
    assert.equal(loadConfig({ NODE_ENV: 'production', ...keys, MONGODB_URI: 'mongodb://db:27017/mfa' }).mongodb.uri, 'mongodb://db:27017/mfa');
  });

  it('opens a TCP port for the embedded server only when EMBEDDED_MONGO_PORT asks, and never beside MONGODB_URI', () => {
    assert.equal(loadConfig({ EMBEDDED_MONGO_PORT: '27017' }).mongodb.embeddedPort, 27017);
    assert.equal(loadConfig({ EMBEDDED_MONGO_PORT: '0' }).mongodb.embeddedPort, 0);
    assert.throws(() => loadConfig({ EMBEDDED_MONGO_PORT: '70000' }), /EMBEDDED_MONGO_PORT must be an integer from 0 to 65535/);
    assert.throws(() => loadConfig({ EMBEDDED_MONGO_PORT: '27017', MONGODB_URI: 'mongodb://db:27017/mfa' }), /EMBEDDED_MONGO_PORT .* MONGODB_URI replaces: set one of them/);
  });

  it('refuses production without encryption keys or SMTP, and closes sign-up there', () => {
    const database = { MONGODB_URI: 'mongodb://db:27017/mfa' };
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...database }), ConfigError);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...database, MFA_ENCRYPTION_KEYS: 'k1:abc' }), /SMTP_URL/);
    const production = loadConfig({ NODE_ENV: 'production', ...database, MFA_ENCRYPTION_KEYS: 'k1:abc', SMTP_URL: 'smtp://mail:587' });
    assert.equal(production.accounts.allowSignup, false);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ ALLOW_SIGNUP: 'maybe' }), /ALLOW_SIGNUP/);
    assert.throws(() => loadConfig({ MAIL_WORKER: 'sometimes' }), /MAIL_WORKER/);
    assert.throws(() => loadConfig({ ADMIN_USERNAME: 'root' }), /ADMIN_PASSWORD/);
  });
});
