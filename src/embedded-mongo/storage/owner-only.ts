import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** rwx for the owner only: nobody else may list, enter or create files in a data directory. */
export const OWNER_ONLY_DIRECTORY_MODE = 0o700;
/** rw for the owner only: the journal holds every document, password hashes and sessions included. */
export const OWNER_ONLY_FILE_MODE = 0o600;
/** Group and other permission bits. */
const SHARED_BITS = 0o077;

/**
 * Creates `directory` (and missing parents) owner-only, and takes the POSIX group
 * and other permission bits off it and off everything under it that has
 * them, whatever the umask was when they were made. A symbolic link at
 * `directory` itself is followed (DATA_DIR pointing at a volume); symbolic
 * links under it are neither followed nor changed, so a link planted inside
 * cannot redirect a chmod elsewhere. Returns the paths it changed, for a warning:
 * what they held may have been read by other users meanwhile.
 */
export function makeOwnerOnly(directory: string): string[] {
  mkdirSync(directory, { recursive: true, mode: OWNER_ONLY_DIRECTORY_MODE });
  // Windows keeps access in ACLs (a profile directory's are the user's own); its mode bits always read as shared and chmod cannot change them.
  if (process.platform === 'win32') return [];
  const fixed: string[] = [];
  const visit = (path: string, stats: Stats) => {
    if ((stats.mode & SHARED_BITS) !== 0) {
      chmodSync(path, stats.mode & 0o700);
      fixed.push(path);
    }
    if (!stats.isDirectory()) return;
    for (const entry of readdirSync(path)) {
      const child = join(path, entry);
      const childStats = lstatSync(child);
      if (!childStats.isSymbolicLink()) visit(child, childStats);
    }
  };
  visit(directory, statSync(directory));
  return fixed;
}
