import type { Types } from 'mongoose';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { UserRecord } from '../accounts/user.model.js';
import type { SessionViewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, notFound } from '../errors.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { AdminAccess } from './admin-access.js';
import type { FactorsService } from './factors.service.js';
import type { SecondFactorProof, SecondFactorService } from './second-factor.service.js';

/** disableMfa's request: the factor (all when unset), whose factors, and for one's own the password and a code (from any ACTIVE factor). */
export interface DisableMfaRequest extends SecondFactorProof {
  /** Someone else's factors: an admin's request. The viewer's own when unset or the viewer's own id. */
  userId?: Types.ObjectId;
  /** One's own factors: the account password, with `code` or `recoveryCode`. */
  password?: string | null;
}

/** Turning factors off: by the owner with password and code (as in Catalogic vStor), or by an admin for someone else
 * (as in Veeam Backup for Microsoft Azure and Veeam Service Provider Console). */
export class DisableMfaService {
  constructor(
    private readonly deps: {
      accounts: AccountsService;
      factors: FactorsService;
      secondFactor: SecondFactorService;
      sessions: SessionsService;
      admins: AdminAccess;
    },
  ) {}

  /** Someone else's factors (an admin's request: nothing else needed), or the viewer's own (password and a code). */
  async disable(viewer: SessionViewer, request: DisableMfaRequest, ip: string): Promise<UserRecord> {
    const { userId, password, ...proof } = request;
    if (userId && !userId.equals(viewer.user._id)) return this.disableFor(viewer, userId, proof.factorId, ip);
    if (!password) throw badInput('password', 'Give your password to turn off a factor.');
    return this.disableOwn(viewer, password, proof, ip);
  }

  /**
   * Needs the password and a current code from ANY of the user's ACTIVE factors, or a recovery code, both checked
   * against their limits. `factorId` names the factor to remove, never the one the code must come from: the factor
   * someone removes is usually the one whose device is lost, so demanding its code would leave them only the
   * recovery codes. A code from another factor proves the same thing (the user holds a second factor now).
   */
  private async disableOwn(
    viewer: SessionViewer,
    password: string,
    proof: SecondFactorProof,
    ip: string,
  ): Promise<UserRecord> {
    const user = await this.deps.accounts.checkPassword(viewer.user.username, password, ip);
    if (!user._id.equals(viewer.user._id)) throw notFound('User'); // a rename raced the request
    const { factorId, ...code } = proof;
    // Before the proof, so a code is not spent on a factor that is not there (another user's id included).
    if (factorId && !(await this.deps.factors.isFactorOf(user._id, factorId)))
      throw new AppError(ErrorCode.NOT_FOUND, 'No such factor.', { field: 'factorId' });
    await this.deps.secondFactor.prove(user._id, code, {
      ip,
      purpose: 'disable-mfa',
      anyActiveFactor: true,
      binding: { sessionId: viewer.session._id },
    });
    return this.deps.factors.remove(user, factorId, { ip });
  }

  /** An admin who uses MFA, freshly proven, removes someone's factors (not another admin's); that user's sessions end. */
  private async disableFor(
    viewer: SessionViewer,
    userId: Types.ObjectId,
    factorId: Types.ObjectId | undefined,
    ip: string,
  ): Promise<UserRecord> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    const updated = await this.deps.factors.remove(target, factorId, { ip, actorId: viewer.user._id });
    await this.deps.sessions.endSessionsOf(target._id, {
      reason: 'factors_removed_by_admin',
      actorId: viewer.user._id,
      ip,
    });
    return updated;
  }
}
