import type { Connection } from 'mongoose';
import { ConfigError } from '../config/config-error.js';
import { keyCanaryModel } from './key-canary.model.js';
import { factorModel } from './factor.model.js';
import { SecretBoxError, type SecretBox } from '../crypto/secret-box.js';

const CANARY_PLAINTEXT = 'mfa-graphql key canary';
const canaryContext = (kid: string) => `key-canary:${kid}`;

/**
 * Refuses to start a server that could not open what the database holds,
 * instead of answering every second-factor check with an error:
 *
 * - every key id a stored factor secret is sealed under must be configured
 *   (a second server started without the same MFA_ENCRYPTION_KEYS);
 * - every configured key id with a canary must open it (the same key id
 *   bound to different key material, e.g. two development DATA_DIRs on one
 *   MONGODB_URI). The current key's canary is written on its first start.
 *
 * Key ids no longer configured and no longer used by any factor are retired
 * keys (see `npm run rotate-keys`) and are not asked for.
 */
export async function assertKeysOpenStoredSecrets(connection: Connection, secrets: SecretBox): Promise<void> {
  const factors = factorModel(connection);
  const used = (await factors.distinct('secret.kid')).map(String);
  const missing = used.filter((kid) => !secrets.kids.includes(kid)).sort();
  if (missing.length > 0) {
    const counts = await Promise.all(
      missing.map(async (kid) => `"${kid}" (${await factors.countDocuments({ 'secret.kid': kid })} factor(s))`),
    );
    throw new ConfigError(
      `MFA_ENCRYPTION_KEYS has no key with kid ${counts.join(', ')}, which stored factor secrets are sealed under: ` +
        'configure the same MFA_ENCRYPTION_KEYS as the servers that sealed them ' +
        '(a key is retired only once `npm run rotate-keys` reports nothing left under it)',
    );
  }

  // $setOnInsert: of two servers starting at once with the same new key id, the first one's canary stays, and the other checks against it.
  await keyCanaryModel(connection).updateOne(
    { _id: secrets.currentKid },
    {
      $setOnInsert: {
        sealed: secrets.seal(CANARY_PLAINTEXT, canaryContext(secrets.currentKid)),
        createdAt: new Date(),
      },
    },
    { upsert: true },
  );
  await assertCanariesOpen(connection, secrets);
}

/**
 * Refuses a key rotation under a key the servers do not hold: the current
 * key id must have a canary (a server has started with it as its current key,
 * so every server restarted with the new list can open what gets re-sealed),
 * and every configured key must open its canary (the same key id with other
 * key material would re-seal every factor under a key no server holds).
 * Writes nothing.
 */
export async function assertServersHoldCurrentKey(connection: Connection, secrets: SecretBox): Promise<void> {
  if (!(await keyCanaryModel(connection).exists({ _id: secrets.currentKid }))) {
    throw new ConfigError(
      `MFA_ENCRYPTION_KEYS: no server has started with kid "${secrets.currentKid}" as its current key yet: ` +
        'restart the servers with the new key first, then rotate',
    );
  }
  await assertCanariesOpen(connection, secrets);
}

async function assertCanariesOpen(connection: Connection, secrets: SecretBox): Promise<void> {
  for (const canary of await keyCanaryModel(connection)
    .find({ _id: { $in: [...secrets.kids] } })
    .lean()) {
    let opened: string | undefined;
    try {
      opened = secrets.open(canary.sealed, canaryContext(canary._id));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
    }
    if (opened !== CANARY_PLAINTEXT) {
      throw new ConfigError(
        `MFA_ENCRYPTION_KEYS: the key with kid "${canary._id}" is not the key this database's secrets were sealed with under that kid ` +
          '(same kid, different key): configure the same key as the other servers on this database',
      );
    }
  }
}
