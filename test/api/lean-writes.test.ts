import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Model } from 'mongoose';
import { LoginDocument, VerifyMfaDocument } from '../generated/graphql.js';
import { signUpAndLogIn, TEST_PASSWORD } from '../support/accounts.js';
import { alignToFreshStep, userWithTotp, type MfaUser } from '../support/attacker.js';
import { mfaToken, TestClock, totpCode, wrongTotpCode } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Sign-in writes its sessions, mfaTokens and audit events through the driver, not through mongoose documents (see
 * README, Performance): what it stores must still be what the schemas would store. Each document written is read
 * back raw and checked against its model: validation, every field of the type the schema casts to, no field the
 * schema does not know, and no null where mongoose would have left the field out.
 */
describe('lean writes on the sign-in path store what the schemas would', () => {
  const clock = new TestClock();
  let app: TestApp;
  let mfa: MfaUser;

  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    await signUpAndLogIn(app, 'plain');
    mfa = await userWithTotp(app, clock, 'with-totp');
  });
  after(() => app.stop());

  const collection = (name: string) => app.database.connection.db!.collection(name);
  const model = (name: string) => app.database.connection.model(name) as Model<unknown>;

  type Snapshot = Map<string, Set<string>>;
  const NAMES = ['sessions', 'signInChallenges', 'auditEvents'];
  /** The ids each collection holds now. */
  async function snapshot(): Promise<Snapshot> {
    const ids: Snapshot = new Map();
    for (const name of NAMES)
      ids.set(name, new Set((await collection(name).find({}).toArray()).map((document) => String(document._id))));
    return ids;
  }
  /** The documents of `name` written since `before`, in the order of their ids (the trail's order). */
  async function writtenSince(name: string, before: Snapshot): Promise<Array<Record<string, unknown>>> {
    const all = await collection(name).find({}).sort({ _id: 1 }).toArray();
    return all.filter((document) => !before.get(name)!.has(String(document._id)));
  }

  async function assertAsSchemaStores(modelName: string, raw: Record<string, unknown>): Promise<void> {
    const schemaModel = model(modelName);
    await schemaModel.hydrate(raw).validate(); // throws a ValidationError naming the fields

    for (const [field, value] of Object.entries(raw)) {
      const path = schemaModel.schema.path(field) as { instance: string } | undefined;
      assert.ok(path, `${modelName}.${field} is a field of the schema`);
      assert.notEqual(value, null, `${modelName}.${field} is not stored as null`);
      if (path.instance === 'ObjectId')
        assert.equal((value as object).constructor.name, 'ObjectId', `${modelName}.${field} is an ObjectId`);
      if (path.instance === 'Date') assert.ok(value instanceof Date, `${modelName}.${field} is a Date`);
      if (path.instance === 'String') assert.equal(typeof value, 'string', `${modelName}.${field} is a string`);
      if (path.instance === 'Number') assert.equal(typeof value, 'number', `${modelName}.${field} is a number`);
    }
  }

  it('login without MFA: the session and its audit event', async () => {
    const since = await snapshot();
    const response = await app.graphql(LoginDocument, {
      variables: { input: { username: 'plain', password: TEST_PASSWORD } },
    });
    assert.equal(response.errors, undefined, JSON.stringify(response.errors));
    const [session] = await writtenSince('sessions', since);
    await assertAsSchemaStores('Session', session);
    assert.deepEqual(Object.keys(session).sort(), [
      '_id',
      'absoluteExpiresAt',
      'createdAt',
      'credentialsVersion',
      'expiresAt',
      'ip',
      'lastUsedAt',
      'method',
      'scope',
      'tokenHash',
      'userAgent',
      'userId',
    ]);
    const events = await writtenSince('auditEvents', since);
    assert.deepEqual(
      events.map((event) => event.type),
      ['sign_in.succeeded'],
    );
    for (const event of events) await assertAsSchemaStores('AuditEvent', event);
  });

  it('verifyMfa: the mfaToken, a wrong code’s event, then the session and both events of the sign-in, in order', async () => {
    const since = await snapshot();
    const token = await mfaToken(app, 'with-totp');
    const [challenge] = await writtenSince('signInChallenges', since);
    await assertAsSchemaStores('SignInChallenge', challenge);
    assert.equal(challenge.consumedAt, undefined);

    alignToFreshStep(clock);
    const wrong = await app.graphql(VerifyMfaDocument, {
      variables: {
        input: { mfaToken: token, factorId: mfa.totp.factorId, code: wrongTotpCode(mfa.totp.secret, clock) },
      },
    });
    assert.equal(wrong.errors?.[0]?.extensions?.code, 'INVALID_CODE');
    assert.equal(wrong.errors?.[0]?.extensions?.attemptsRemaining, 4);
    const right = await app.graphql(VerifyMfaDocument, {
      variables: { input: { mfaToken: token, factorId: mfa.totp.factorId, code: totpCode(mfa.totp.secret, clock) } },
    });
    assert.equal(right.errors, undefined, JSON.stringify(right.errors));

    const [session] = await writtenSince('sessions', since);
    await assertAsSchemaStores('Session', session);
    assert.ok(session.mfaVerifiedAt instanceof Date);
    assert.equal(session.method, 'totp');
    const events = await writtenSince('auditEvents', since);
    assert.deepEqual(
      events.map((event) => event.type),
      ['sign_in.mfa_required', 'mfa.verification_failed', 'mfa.verification_succeeded', 'sign_in.succeeded'],
    );
    for (const event of events) await assertAsSchemaStores('AuditEvent', event);
  });
});
