import { makeOwnerOnly } from '../embedded-mongo/index.js';
import type { Logger } from '../logger.js';

/**
 * Makes DATA_DIR (created if missing) and everything under it owner-only:
 * directories 0700, files 0600. It holds the embedded database's journal
 * (password hashes, sessions) and the development encryption key. An existing
 * directory open to other users is fixed rather than refused, and the paths
 * changed are logged, since what they held may have been read meanwhile.
 */
export function secureDataDir(dataDir: string, logger: Logger): void {
  const fixed = makeOwnerOnly(dataDir);
  if (fixed.length > 0) {
    logger.warn(
      { dataDir, fixed },
      'DATA_DIR was open to other users: made it owner-only (directories 0700, files 0600); ' +
        'what it held may have been read, so treat the development key and sessions in it as exposed',
    );
  }
}
