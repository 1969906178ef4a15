import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { factorModel } from '../../src/mfa/factor.model.js';
import { countStaleRecoveryCodes, rotateFactorSecrets } from '../../src/mfa/rotate-keys.js';
import { SecretBox, type SealedSecret } from '../../src/crypto/secret-box.js';
import { assertKeysOpenStoredSecrets } from '../../src/mfa/stored-keys-check.js';
import {
  RegenerateRecoveryCodesDocument as REGENERATE,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';
import { TestClock, enrollTotp, mfaToken, signInWithTotp, totpCode, type EnrolledTotp } from '../support/mfa.js';
import { childEnv, compiled, runNode, sharedRedisUrl } from '../support/processes.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

// The steps share one data directory and run in order: each restart changes MFA_ENCRYPTION_KEYS.
describe('key rotation: factor secrets move to the newest key, recovery codes are reported', () => {
  const clock = new TestClock();
  const OLD = key('old');
  const NEW = key('new');
  const NEWER = key('newer');
  let dataDir: string;
  let app: TestApp | undefined;
  let alice: EnrolledTotp;
  let bob: EnrolledTotp;
  let carol: EnrolledTotp;
  let bobCodes: string[];

  const start = async (keys: string) => {
    await app?.stop();
    app = await startTestApp({ MFA_ENCRYPTION_KEYS: keys, DATA_DIR: dataDir }, { clock: clock.now });
    return app;
  };
  const stop = async () => {
    await app?.stop();
    app = undefined;
  };
  const factors = () => app!.database.connection.db!.collection<{ secret: SealedSecret }>('factors');
  const storedSecret = async (factor: EnrolledTotp) =>
    (await factors().findOne({ _id: new Types.ObjectId(factor.factorId) }))!.secret;
  const rotate = (keys: string) =>
    rotateFactorSecrets({ connection: app!.database.connection, secrets: SecretBox.fromSpec(keys), batchSize: 1 });
  const staleCodes = (keys: string) =>
    countStaleRecoveryCodes({ connection: app!.database.connection, secrets: SecretBox.fromSpec(keys) });
  const withRecoveryCode = async (username: string, recoveryCode: string) =>
    app!.graphql(VERIFY_MFA, { variables: { input: { mfaToken: await mfaToken(app!, username), recoveryCode } } });
  const rotateKeysCli = (keys: string, args: string[] = []) =>
    runNode(compiled('cli/rotate-keys.js'), args, {
      env: childEnv({ DATA_DIR: dataDir, MFA_ENCRYPTION_KEYS: keys, REDIS_URL: sharedRedisUrl }),
    });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'key-rotation-'));
  });
  after(async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('seals factors under the only key, "old"', async () => {
    await start(OLD);
    alice = await enrollTotp(app!, (await signUpAndLogIn(app!, 'alice')).token, clock);
    bob = await enrollTotp(app!, (await signUpAndLogIn(app!, 'bob')).token, clock);
    assert.equal((await storedSecret(alice)).kid, 'old');
    assert.equal((await storedSecret(bob)).kid, 'old');
    await stop();
  });

  it('with "new" first and "old" kept, old factors and recovery codes still work; new factors use "new"', async () => {
    await start(`${NEW},${OLD}`);
    await signInWithTotp(app!, 'alice', alice, clock);
    assert.match(
      (await withRecoveryCode('alice', alice.scratchCodes[0])).data?.verifyMfa.accessToken ?? '',
      /^mfa_at_/,
    );
    carol = await enrollTotp(app!, (await signUpAndLogIn(app!, 'carol')).token, clock);
    assert.equal((await storedSecret(carol)).kid, 'new');
    assert.deepEqual(await staleCodes(`${NEW},${OLD}`), {
      users: 2,
      pendingEnrollments: 0,
      byKid: [{ kid: 'old', users: 2, pendingEnrollments: 0, configured: true }],
    });

    // Regenerating is the only way off an old recovery-code key.
    const session = await signInWithTotp(app!, 'bob', bob, clock);
    const regenerated = await app!.graphql(REGENERATE, {
      token: session,
      variables: { input: { code: totpCode(bob.secret, clock) } },
    });
    assert.equal(errorCode(regenerated), undefined, JSON.stringify(regenerated.errors));
    clock.nextStep();
    bobCodes = regenerated.data!.regenerateRecoveryCodes;
    assert.equal((await staleCodes(`${NEW},${OLD}`)).users, 1, 'only alice still needs "old" for her codes');
  });

  it('refuses to open the embedded database while the server holds it', async () => {
    const run = await rotateKeysCli(`${NEW},${OLD}`);
    assert.equal(run.code, 75);
    assert.match(run.stderr, new RegExp(`in use by process ${process.pid}\\b.*stop the server, run rotate-keys`));
  });

  it('re-encrypts the "old" factors under "new" while the server runs, then has nothing left to do', async () => {
    const was = await storedSecret(alice);
    assert.deepEqual(await rotate(`${NEW},${OLD}`), { scanned: 2, reencrypted: 2, skipped: 0, failed: [] });
    const now = await storedSecret(alice);
    assert.equal(now.kid, 'new');
    assert.notEqual(now.iv, was.iv);
    assert.equal((await storedSecret(bob)).kid, 'new');
    await signInWithTotp(app!, 'alice', alice, clock);
    assert.deepEqual(await rotate(`${NEW},${OLD}`), { scanned: 0, reencrypted: 0, skipped: 0, failed: [] });
    const logs = app!.logLines.join('');
    for (const secret of [alice.secret, bob.secret]) assert.ok(!logs.includes(secret), 'no TOTP secret in the logs');
  });

  it('with only "new": TOTP still signs in, recovery codes keyed with "old" cannot be checked (and cost no attempt), regenerated ones work', async () => {
    await start(NEW);
    await signInWithTotp(app!, 'alice', alice, clock);
    await signInWithTotp(app!, 'bob', bob, clock);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const dead = await withRecoveryCode('alice', alice.scratchCodes[1]);
      assert.equal(dead.data, null);
      assert.equal(
        errorCode(dead),
        'SERVICE_UNAVAILABLE',
        'a code the server cannot check is not the user’s failed attempt',
      );
    }
    const users = app!.database.connection.db!.collection('users');
    assert.equal((await users.findOne({ username: 'alice' }))!.secondFactorFailures, 0, 'ten tries locked nobody out');
    const logs = app!.logLines.join('');
    assert.match(
      logs,
      /recovery codes are keyed with a key that is not configured, so they cannot be checked/,
      'operators see why',
    );
    assert.match(logs, /"kid":"old"/);
    assert.match((await withRecoveryCode('bob', bobCodes[0])).data?.verifyMfa.accessToken ?? '', /^mfa_at_/);
    assert.deepEqual(await staleCodes(NEW), {
      users: 1,
      pendingEnrollments: 0,
      byKid: [{ kid: 'old', users: 1, pendingEnrollments: 0, configured: false }],
    });
    assert.deepEqual(await rotate(NEW), { scanned: 0, reencrypted: 0, skipped: 0, failed: [] });
  });

  it('the command refuses a key no server has started with, and a key id bound to other material, changing nothing', async () => {
    await stop();
    const unserved = await rotateKeysCli(`${NEWER},${NEW}`);
    assert.equal(unserved.code, 78, unserved.stderr);
    assert.match(
      unserved.stderr,
      /no server has started with kid "newer" as its current key yet: restart the servers with the new key first, then rotate/,
    );
    // The servers now run "newer"; the operator's shell holds another key under the same kid.
    await start(`${NEWER},${NEW}`);
    await stop();
    const impostor = await rotateKeysCli(`${key('newer')},${NEW}`);
    assert.equal(impostor.code, 78, impostor.stderr);
    assert.match(
      impostor.stderr,
      /the key with kid "newer" is not the key this database's secrets were sealed with under that kid/,
    );
    assert.ok(
      !`${impostor.stdout}${impostor.stderr}`.includes(NEWER.slice(NEWER.indexOf(':') + 1)),
      'no key material in the output',
    );
    await start(`${NEWER},${NEW}`);
    assert.deepEqual(
      [(await storedSecret(alice)).kid, (await storedSecret(bob)).kid, (await storedSecret(carol)).kid],
      ['new', 'new', 'new'],
      'nothing was re-sealed under a key the servers do not hold',
    );
  });

  it('the command re-encrypts under a newer key, reports a factor whose key is gone by id, and exits 1', async () => {
    // bob's factor as if sealed under a key that was removed from the configuration
    await factors().updateOne({ _id: new Types.ObjectId(bob.factorId) }, { $set: { 'secret.kid': 'gone' } });
    await stop();
    const run = await rotateKeysCli(`${NEWER},${NEW}`);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^factor ${bob.factorId} \\(kid "gone"\\): not re-encrypted, UNKNOWN_KEY$`, 'm'),
    );
    assert.match(
      run.stdout,
      /^recovery codes: 2 user\(s\) keyed with kid "new": keep that key configured until they regenerate/m,
    );
    assert.match(run.stdout, /^recovery codes: 1 user\(s\) keyed with kid "old", which is no longer configured/m);
    assert.match(
      run.stdout,
      /current kid "newer"\): 3 factor\(s\) under older keys, 2 re-encrypted, 0 skipped \(changed meanwhile\), 1 failed; 3 user\(s\) with recovery codes/,
    );
    for (const secret of [alice.secret, bob.secret]) assert.ok(!`${run.stdout}${run.stderr}`.includes(secret));

    const help = await rotateKeysCli(NEW, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Recovery codes cannot be re-keyed/);
    assert.match(help.stdout, /KEEP THAT OLD KEY CONFIGURED until those\s+users have regenerated their codes/);
  });

  it('a server without the key a factor is sealed under refuses to start, naming it; with the key given back it starts', async () => {
    await assert.rejects(
      start(`${NEWER},${NEW}`),
      /MFA_ENCRYPTION_KEYS has no key with kid "gone" \(1 factor\(s\)\), which stored factor secrets are sealed under/,
    );
    // bob's secret was sealed with the key of "new": the operator configures that key under the kid the factor names.
    await start(`${NEWER},${NEW},gone:${NEW.slice(NEW.indexOf(':') + 1)}`);
    await signInWithTotp(app!, 'bob', bob, clock);
  });

  it('a tampered secret fails sign-in as the server’s fault, counts no attempt, and tells operators why, without the secret', async () => {
    await signInWithTotp(app!, 'carol', carol, clock);
    const sealed = await storedSecret(alice);
    assert.equal(sealed.kid, 'newer');
    const data = Buffer.from(sealed.data, 'base64');
    data[0] ^= 1;
    await factors().updateOne(
      { _id: new Types.ObjectId(alice.factorId) },
      { $set: { 'secret.data': data.toString('base64') } },
    );
    const verified = await app!.graphql(VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: await mfaToken(app!, 'alice'),
          factorId: alice.factorId,
          code: totpCode(alice.secret, clock),
        },
      },
    });
    assert.equal(verified.status, 200);
    assert.equal(verified.data, null);
    assert.deepEqual(
      verified.errors?.map((error) => error.extensions?.code),
      ['SERVICE_UNAVAILABLE'],
    );
    assert.doesNotMatch(JSON.stringify(verified), /kid|tamper|SecretBox|stack|\.js:\d+/);
    assert.equal(
      (await app!.database.connection.db!.collection('users').findOne({ username: 'alice' }))!.secondFactorFailures,
      0,
    );
    const logs = app!.logLines.join('');
    assert.match(
      logs,
      /cannot open a factor secret, so its codes cannot be checked: Sealed secret \(kid \\"newer\\"\) failed authentication: tampered, or another context/,
    );
    assert.ok(!logs.includes(alice.secret));
  });
});

describe('rotateFactorSecrets against the database directly', () => {
  const oldKey = key('old');
  const OLD = SecretBox.fromSpec(oldKey);
  const BOTH = SecretBox.fromSpec(`${key('new')},${oldKey}`);
  let mongo: MongoUnderTest;
  before(async () => {
    mongo = await openMongoUnderTest();
  });
  after(() => mongo.close());

  it('pages through every batch, skips factors without a secret, and never overwrites a secret replaced meanwhile', async () => {
    await assertKeysOpenStoredSecrets(mongo.connection, BOTH); // as a server started with the new key does
    const factors = factorModel(mongo.connection);
    const ids = Array.from({ length: 5 }, () => new Types.ObjectId());
    const base = { type: 'totp', status: 'ACTIVE', state: {}, createdAt: new Date() };
    await factors.collection.insertMany([
      ...ids.map((_id, index) => ({
        ...base,
        _id,
        userId: new Types.ObjectId(),
        secret: OLD.seal(`secret ${index}`, `factor:${_id.toHexString()}`),
      })),
      { ...base, _id: new Types.ObjectId(), userId: new Types.ObjectId(), type: 'no-secret' },
    ]);
    // A re-enrollment lands between the rotation's read and its write of the second factor.
    const write = factors.updateOne.bind(factors);
    let writes = 0;
    factors.updateOne = (async (filter: { _id: Types.ObjectId }, update: object) => {
      if (writes++ === 1)
        await factors.collection.updateOne(
          { _id: filter._id },
          { $set: { secret: OLD.seal('re-enrolled', `factor:${filter._id.toHexString()}`) } },
        );
      return write(filter, update);
    }) as typeof factors.updateOne;
    try {
      assert.deepEqual(await rotateFactorSecrets({ connection: mongo.connection, secrets: BOTH, batchSize: 2 }), {
        scanned: 5,
        reencrypted: 4,
        skipped: 1,
        failed: [],
      });
    } finally {
      factors.updateOne = write;
    }
    assert.deepEqual(await rotateFactorSecrets({ connection: mongo.connection, secrets: BOTH, batchSize: 2 }), {
      scanned: 1,
      reencrypted: 1,
      skipped: 0,
      failed: [],
    });
    const stored = await factors
      .find({ _id: { $in: ids } })
      .sort({ _id: 1 })
      .lean();
    assert.deepEqual(
      stored.map(({ _id, secret }) => [secret!.kid, BOTH.open(secret!, `factor:${_id.toHexString()}`)]),
      [
        ['new', 'secret 0'],
        ['new', 're-enrolled'],
        ['new', 'secret 2'],
        ['new', 'secret 3'],
        ['new', 'secret 4'],
      ],
    );
  });
});
