import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FilteredAuditEventsDocument as AUDIT_EVENTS } from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { TestClock } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

// The audit log's time range at the edges of what an event id can carry (seconds since 1970, 4 bytes): a range that
// holds every event must list every event, never none because a bound wrapped around.
describe('auditEvents since/until beyond the years an id can carry', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: string;

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = (await adminWithMfa(app, clock)).token;
    await signUpAndLogIn(app, 'ida');
  });
  after(() => app?.stop());

  const ids = async (variables: { since?: string; until?: string }) => {
    const answer = await app.graphql(AUDIT_EVENTS, { token: admin, variables: { ...variables, first: 100 } });
    assert.equal(errorCode(answer), undefined, JSON.stringify(answer.errors));
    return answer.data!.auditEvents.edges.map((edge) => edge.node.id);
  };

  it('a range holding every event lists them all: since 1969, until 2106 or 2200', async () => {
    const all = await ids({});
    assert.ok(all.length > 3, `events to find: ${all.length}`);
    for (const variables of [
      { since: '1969-12-31T00:00:00.000Z' },
      { since: '1900-01-01T00:00:00.000Z', until: '2200-01-01T00:00:00.000Z' },
      // The last second an id holds, and the one after it (which used to wrap to 1970).
      { until: '2106-02-07T06:28:15.000Z' },
      { until: '2106-02-07T06:28:16.000Z' },
      { until: '2200-01-01T00:00:00.000Z' },
    ])
      assert.deepEqual(await ids(variables), all, JSON.stringify(variables));
  });

  it('a range no event is in lists none: until 1969, since 2106 and later', async () => {
    for (const variables of [
      { until: '1969-12-31T00:00:00.000Z' },
      { since: '2106-02-07T06:28:16.000Z' },
      { since: '2200-01-01T00:00:00.000Z', until: '2300-01-01T00:00:00.000Z' },
    ])
      assert.deepEqual(await ids(variables), [], JSON.stringify(variables));
  });
});
