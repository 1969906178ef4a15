import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, METRICS_TOKEN_MIN_LENGTH } from '../../src/config/config.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  MONGODB_URI: 'mongodb://db:27017/mfa',
  MFA_ENCRYPTION_KEYS: 'k1:abc',
  SMTP_URL: 'smtp://mail:587',
};

describe('the metrics settings', () => {
  it('are off by default, and METRICS_HOST defaults to loopback', () => {
    assert.deepEqual(loadConfig({}).metrics, { token: undefined, port: undefined, host: '127.0.0.1' });
    assert.deepEqual(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5', METRICS_TOKEN: 't' }).metrics, {
      token: 't',
      port: 9464,
      host: '10.0.0.5',
    });
  });

  it('refuse a METRICS_TOKEN under 32 characters in production, without quoting it', () => {
    const short = 'x'.repeat(METRICS_TOKEN_MIN_LENGTH - 1);
    assert.throws(
      () => loadConfig({ ...PRODUCTION, METRICS_TOKEN: short }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /METRICS_TOKEN must be at least 32 characters/);
        assert.ok(!error.message.includes(short));
        return true;
      },
    );
    const long = 'x'.repeat(METRICS_TOKEN_MIN_LENGTH);
    assert.equal(loadConfig({ ...PRODUCTION, METRICS_TOKEN: long }).metrics.token, long);
    assert.equal(loadConfig({ METRICS_TOKEN: 'short' }).metrics.token, 'short', 'development allows a short one');
  });

  it('refuse what cannot work: a token with spaces, a host without a port, the public port twice, a bad port', () => {
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'two words' }), /METRICS_TOKEN must not contain spaces/);
    assert.throws(() => loadConfig({ METRICS_HOST: '0.0.0.0' }), /METRICS_HOST .* set METRICS_PORT too/);
    assert.throws(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' }), /METRICS_PORT must differ from PORT/);
    assert.throws(() => loadConfig({ METRICS_PORT: '65536' }), /METRICS_PORT must be an integer from 0 to 65535/);
    assert.equal(loadConfig({ PORT: '0', METRICS_PORT: '0' }).metrics.port, 0, 'two free ports');
  });
});
