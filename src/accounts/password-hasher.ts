import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

/**
 * argon2id with OWASP's first recommended setting (Password Storage Cheat
 * Sheet): 19 MiB of memory, 2 iterations, 1 degree of parallelism.
 */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export class PasswordHasher {
  /** Verified against when the user does not exist, so both cases cost one argon2 verification. */
  private readonly decoyHash: Promise<string>;

  constructor(private readonly options: typeof ARGON2_OPTIONS = ARGON2_OPTIONS) {
    this.decoyHash = argon2.hash(randomBytes(32).toString('base64'), this.options);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** `hash` undefined means "no such user": the answer is false, after the same work. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const matches = await argon2.verify(hash ?? (await this.decoyHash), password);
    return hash !== undefined && matches;
  }
}
