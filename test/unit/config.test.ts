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
    assert.equal(config.accounts.loginRatePerAddressPerMinute, 60);
    assert.equal(config.accounts.signUpRatePerAddressPerHour, 20);
    assert.equal(config.audit.retentionDays, 365);
  });

  it('refuses production on the embedded server, saying what to set', () => {
    const keys = { MFA_ENCRYPTION_KEYS: 'k1:abc', SMTP_URL: 'smtp://mail:587' };
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...keys }), ConfigError);
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', ...keys }),
      /MONGODB_URI is required when NODE_ENV=production \(a MongoDB replica set/,
    );
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...keys, MONGODB_URI: ' ' }), /MONGODB_URI is required/);
    assert.equal(
      loadConfig({ NODE_ENV: 'production', ...keys, MONGODB_URI: 'mongodb://db:27017/mfa' }).mongodb.uri,
      'mongodb://db:27017/mfa',
    );
  });

  it('opens a TCP port for the embedded server only when EMBEDDED_MONGO_PORT asks, and never beside MONGODB_URI', () => {
    assert.equal(loadConfig({ EMBEDDED_MONGO_PORT: '27017' }).mongodb.embeddedPort, 27017);
    assert.equal(loadConfig({ EMBEDDED_MONGO_PORT: '0' }).mongodb.embeddedPort, 0);
    assert.throws(
      () => loadConfig({ EMBEDDED_MONGO_PORT: '70000' }),
      /EMBEDDED_MONGO_PORT must be an integer from 0 to 65535/,
    );
    assert.throws(
      () => loadConfig({ EMBEDDED_MONGO_PORT: '27017', MONGODB_URI: 'mongodb://db:27017/mfa' }),
      /EMBEDDED_MONGO_PORT .* MONGODB_URI replaces: set one of them/,
    );
  });

  it('refuses production without encryption keys or SMTP, and closes sign-up there', () => {
    const database = { MONGODB_URI: 'mongodb://db:27017/mfa' };
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...database }), ConfigError);
    assert.throws(() => loadConfig({ NODE_ENV: 'production', ...database, MFA_ENCRYPTION_KEYS: 'k1:abc' }), /SMTP_URL/);
    const production = loadConfig({
      NODE_ENV: 'production',
      ...database,
      MFA_ENCRYPTION_KEYS: 'k1:abc',
      SMTP_URL: 'smtp://mail:587',
    });
    assert.equal(production.accounts.allowSignup, false);
  });

  it('caps code mails, notices and slow or numerous connections by default, and reads each cap from its variable', () => {
    const defaults = loadConfig({});
    assert.deepEqual(defaults.mfa.deliveryCaps, {
      perDestinationPerHour: 5,
      perClientPerHour: 20,
      noticesPerDestinationPerHour: 10,
    });
    assert.deepEqual([defaults.http.requestTimeoutMs, defaults.http.maxConnections], [10_000, 1000]);
    const set = loadConfig({
      MAIL_CODES_PER_ADDRESS_PER_HOUR: '3',
      MAIL_CODES_PER_CLIENT_PER_HOUR: '50',
      MAIL_NOTICES_PER_ADDRESS_PER_HOUR: '40',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      HTTP_MAX_CONNECTIONS: '64',
    });
    assert.deepEqual(set.mfa.deliveryCaps, {
      perDestinationPerHour: 3,
      perClientPerHour: 50,
      noticesPerDestinationPerHour: 40,
    });
    assert.deepEqual([set.http.requestTimeoutMs, set.http.maxConnections], [2000, 64]);
    assert.throws(() => loadConfig({ MAIL_CODES_PER_ADDRESS_PER_HOUR: '0' }), /MAIL_CODES_PER_ADDRESS_PER_HOUR/);
    assert.throws(() => loadConfig({ MAIL_NOTICES_PER_ADDRESS_PER_HOUR: '0' }), /MAIL_NOTICES_PER_ADDRESS_PER_HOUR/);
    assert.throws(() => loadConfig({ HTTP_REQUEST_TIMEOUT_SECONDS: 'forever' }), /HTTP_REQUEST_TIMEOUT_SECONDS/);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ ALLOW_SIGNUP: 'maybe' }), /ALLOW_SIGNUP/);
    assert.throws(() => loadConfig({ MAIL_WORKER: 'sometimes' }), /MAIL_WORKER/);
    assert.throws(() => loadConfig({ LOGIN_RATE_PER_ADDRESS: '0' }), /LOGIN_RATE_PER_ADDRESS/);
    assert.throws(() => loadConfig({ AUDIT_RETENTION_DAYS: 'forever' }), /AUDIT_RETENTION_DAYS/);
    assert.throws(() => loadConfig({ ADMIN_USERNAME: 'root' }), /ADMIN_PASSWORD/);
  });

  it('asks 15-character passwords by default, lets a deployment with mandatory MFA lower it to 8, and no further', () => {
    assert.equal(loadConfig({}).accounts.passwordMinLength, 15);
    assert.equal(loadConfig({ PASSWORD_MIN_LENGTH: '8' }).accounts.passwordMinLength, 8);
    assert.equal(loadConfig({ PASSWORD_MIN_LENGTH: '64' }).accounts.passwordMinLength, 64);
    for (const bad of ['7', '65', '0', '12.5', 'fifteen']) {
      assert.throws(
        () => loadConfig({ PASSWORD_MIN_LENGTH: bad }),
        (error) =>
          error instanceof ConfigError && /PASSWORD_MIN_LENGTH must be an integer from 8 to 64/.test(error.message),
        bad,
      );
    }
  });

  it('trusts X-Forwarded-For from no proxy unless TRUST_PROXY lists addresses or CIDR ranges', () => {
    assert.deepEqual(loadConfig({}).http.trustedProxies, []);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1, fd00::/8' }).http.trustedProxies, [
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['*', 'true', 'proxy.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '10.0.0.0/']) {
      assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY must list IP addresses or CIDR ranges/, bad);
    }
  });

  it('refuses the renamed MAIL_QUEUE_PREFIX instead of falling back to the default prefix', () => {
    assert.throws(
      () => loadConfig({ MAIL_QUEUE_PREFIX: 'tenant-a' }),
      (error) => error instanceof ConfigError && /MAIL_QUEUE_PREFIX was renamed REDIS_KEY_PREFIX/.test(error.message),
    );
    assert.throws(
      () => loadConfig({ MAIL_QUEUE_PREFIX: 'tenant-a', REDIS_KEY_PREFIX: 'tenant-a' }),
      /renamed REDIS_KEY_PREFIX/,
    );
    assert.equal(loadConfig({ REDIS_KEY_PREFIX: 'tenant-a' }).redisKeyPrefix, 'tenant-a');
  });
});

describe('PUBLIC_URL and factor plugin settings', () => {
  it('defaults PUBLIC_URL to localhost on PORT, keeps a given one without its trailing slash, refuses non-http(s)', () => {
    assert.equal(loadConfig({}).publicUrl, 'http://localhost:4000');
    assert.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://localhost:8080');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).publicUrl, 'https://auth.example.com');
    for (const value of ['auth.example.com', 'ftp://auth.example.com', 'https://'])
      assert.throws(() => loadConfig({ PUBLIC_URL: value }), ConfigError, value);
  });

  it('hands each plugin its own <NAME>_<KEY> variables, NAME from its FACTOR_PLUGINS entry', () => {
    const env = {
      FACTOR_PLUGINS: 'totp,webauthn,./dist/plugins/sms/index.js,@acme/mfa-hw-token,./fob.js',
      WEBAUTHN_RP_ID: 'example.com',
      WEBAUTHN_ORIGINS: 'https://auth.example.com',
      SMS_API_KEY: 'k',
      MFA_HW_TOKEN_SERIAL_PREFIX: 'HW',
      FOB_LOOK_AHEAD: '10',
      WEBAUTHNX_NOT_MINE: 'x',
    };
    assert.deepEqual(loadConfig(env).mfa.factorPluginSettings, {
      totp: {},
      webauthn: { RP_ID: 'example.com', ORIGINS: 'https://auth.example.com' },
      './dist/plugins/sms/index.js': { API_KEY: 'k' },
      '@acme/mfa-hw-token': { SERIAL_PREFIX: 'HW' },
      './fob.js': { LOOK_AHEAD: '10' },
    });
  });
});
