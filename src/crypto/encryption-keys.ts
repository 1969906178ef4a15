import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import type { Config } from '../config/config.js';
import { secureDataDir } from '../db/data-dir.js';
import type { Logger } from '../logger.js';
import { OWNER_ONLY_FILE_MODE } from '../embedded-mongo/index.js';
import { KEY_BYTES, SecretBox, parseEncryptionKeys } from './secret-box.js';

const DEV_KEYS_FILE = 'mfa-encryption-keys';

/** The key set from MFA_ENCRYPTION_KEYS, or outside production the development key kept in DATA_DIR. */
export function secretsFromConfig(config: Config, logger: Logger): SecretBox {
  return SecretBox.fromSpec(config.mfa.encryptionKeys ?? loadOrCreateDevelopmentKeys(config.mongodb.dataDir, logger));
}

/**
 * Development only (MFA_ENCRYPTION_KEYS unset outside production): the spec
 * kept in `<dataDir>/mfa-encryption-keys`, created on first use with mode 0600
 * in an owner-only DATA_DIR. ':memory:' gets a fresh key that is never
 * written, like its database.
 */
export function loadOrCreateDevelopmentKeys(dataDir: string, logger: Logger): string {
  const fresh = (kid: string) => `${kid}:${randomBytes(KEY_BYTES).toString('base64')}`;
  if (dataDir === ':memory:') return fresh('dev-memory');
  const path = join(dataDir, DEV_KEYS_FILE);
  secureDataDir(dataDir, logger);
  if (!existsSync(path)) {
    // Written whole to a private temp file, then linked into place: link()
    // fails if another process won the race, and no one reads a half-written file.
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, `${fresh(`dev-${new Date().toISOString().slice(0, 10)}`)}\n`, {
      mode: OWNER_ONLY_FILE_MODE,
      flag: 'wx',
    });
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temp);
    }
  }
  const spec = readFileSync(path, 'utf8').trim();
  try {
    parseEncryptionKeys(spec);
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (read from ${path})`);
  }
  return spec;
}
