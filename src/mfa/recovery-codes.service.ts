import type { Types } from 'mongoose';
import type { UserModel } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer } from '../auth/viewer.js';
import { forbidden } from '../errors.js';
import type { FactorsService } from './factors.service.js';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_HMAC_PURPOSE,
  type RecoveryCodeSet,
} from './recovery-codes.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { SecurityNotices } from './security-notices.js';
import type { SecondFactorProof } from './second-factor.service.js';
import type { SignInService } from './sign-in.service.js';
import { assertRecentSecondFactor } from './step-up.js';

/** Issuing recovery codes: with a first factor or a replacement, and on request. Spending them is SecondFactorService's. */
export class RecoveryCodesService {
  constructor(
    private readonly deps: {
      models: { users: UserModel };
      factors: FactorsService;
      signIn: SignInService;
      secrets: SecretBox;
      audit: AuditService;
      notices: SecurityNotices;
      clock: () => Date;
      count: number;
    },
  ) {}

  /** A new set: the codes to show once, and what to store. */
  issue(userId: Types.ObjectId): { codes: string[]; set: RecoveryCodeSet } {
    const codes = generateRecoveryCodes(this.deps.count);
    const { kid, key } = this.deps.secrets.hmacKey(RECOVERY_CODE_HMAC_PURPOSE);
    return {
      codes,
      set: {
        kid,
        hashes: codes.map((code) => hashRecoveryCode(normalizeRecoveryCode(code)!, userId.toHexString(), key)),
      },
    };
  }

  /** Replaces every recovery code; needs a fresh proof: `proof` now (it counts as a step-up), or a step-up within five minutes. */
  async regenerate(viewer: SessionViewer, proof: SecondFactorProof | undefined, ip: string): Promise<string[]> {
    if (!(await this.deps.factors.hasActiveFactor(viewer.user._id)))
      throw forbidden('Recovery codes come with a second factor: enroll one first.');
    // A proof given here is a step-up, fresh by definition; without one, the session's last must be recent.
    if (proof) await this.deps.signIn.stepUp(viewer.user, viewer.session._id, proof, ip);
    else assertRecentSecondFactor(viewer.session, this.deps.clock());
    const { codes, set } = this.issue(viewer.user._id);
    await this.deps.models.users.updateOne({ _id: viewer.user._id }, { $set: { recoveryCodes: set } });
    await this.deps.audit.record({
      type: AuditEventType.RECOVERY_CODES_REGENERATED,
      userId: viewer.user._id,
      ip,
      details: { count: codes.length },
    });
    await this.deps.notices.recoveryCodesRegenerated(viewer.user);
    return codes;
  }
}
