import { useEffect, useState } from 'react';
import { DateTime } from '../../components/DateTime';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import { request } from '../../graphql/client';
import { MailQueueQuery } from '../../graphql/admin-settings';
import type { ConsoleMailQueueQuery, MailDelivery } from '../../gql/graphql';
import { AdminLayout } from './AdminLayout';
import './admin-settings.css';

type MailQueue = ConsoleMailQueueQuery['mailQueue'];

const DELIVERY: Record<MailDelivery, string> = {
  INLINE_SMTP: 'This server delivers the queued mails itself (MAIL_WORKER=inline), over SMTP.',
  INLINE_LOG:
    'This server delivers the queued mails itself (MAIL_WORKER=inline), but SMTP_URL is unset: they are printed to its log, not sent. Development only.',
  SEPARATE_WORKER:
    'This server only queues mails (MAIL_WORKER=off): worker processes (npm run worker) deliver them. While none runs, mails wait.',
};

/**
 * The mail queue: jobs by state, who delivers them, and why the latest failed jobs failed. What the API answers
 * holds no recipient and no contents; the reasons come with addresses, links and codes masked.
 */
export function AdminMailPage() {
  const [queue, setQueue] = useState<MailQueue | null>(null);
  const { busy, error, run } = useAction({ code: 'FAILED', message: 'The mail queue could not be read.' });

  const load = () =>
    void run(async () => {
      setQueue((await request(MailQueueQuery)).mailQueue);
    });

  useEffect(load, []);

  return (
    <AdminLayout title="Mail queue">
      <ErrorAlert error={error} />
      <div className="actions mail-actions">
        <button type="button" className="secondary" onClick={load} disabled={busy}>
          Refresh
        </button>
      </div>
      {queue ? (
        <>
          <Section title="Jobs">
            <dl className="counts">
              <div>
                <dt>Waiting</dt>
                <dd>{queue.waiting}</dd>
              </div>
              <div>
                <dt>Active</dt>
                <dd>{queue.active}</dd>
              </div>
              <div>
                <dt>Delayed</dt>
                <dd>{queue.delayed}</dd>
              </div>
              <div>
                <dt>Failed</dt>
                <dd>{queue.failed}</dd>
              </div>
            </dl>
            <p>{DELIVERY[queue.delivery]}</p>
            <p className="hint">
              Delayed mails wait for a retry after a temporary failure; failed ones were refused for good or ran out of
              tries, and are not sent again.
            </p>
          </Section>
          <Section title="Failed mails">
            {queue.failedJobs.length === 0 ? (
              <p>No mail has failed.</p>
            ) : (
              <div className="table-scroll">
                <table>
                  <caption className="visually-hidden">The latest failed mails, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Failed at</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Tries</th>
                      <th scope="col">Reason</th>
                      <th scope="col">Job</th>
                    </tr>
                  </thead>
                  <tbody>
                    {queue.failedJobs.map((job) => (
                      <tr key={job.id}>
                        <td>
                          <DateTime value={job.failedAt} fallback="—" precision="second" />
                        </td>
                        <td>
                          <code>{job.template}</code>
                        </td>
                        <td>{job.attempts}</td>
                        <td className="failed-reason">{job.failedReason}</td>
                        <td>
                          <code>{job.id}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
        </>
      ) : null}
    </AdminLayout>
  );
}
