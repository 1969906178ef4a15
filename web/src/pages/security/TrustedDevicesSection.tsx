import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import { request } from '../../graphql/client';
import { MyTrustedDevicesQuery, RevokeTrustedDeviceMutation } from '../../graphql/security-account';
import { DateTime } from '../../components/DateTime';
import { deviceName } from '../../components/format';
import { useLoaded } from './use-loaded';
import './account-sections.css';

/** Browsers remembered at sign-in ("Remember this device"), which skip the second factor until they expire. */
export function TrustedDevicesSection() {
  const {
    data: devices,
    loadError,
    reload,
  } = useLoaded(async () => (await request(MyTrustedDevicesQuery)).trustedDevices);
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Something went wrong.',
  });

  const forget = (id: string) =>
    void run(async () => {
      await request(RevokeTrustedDeviceMutation, { input: { id } });
      await reload();
      setNotice('That device was signed out. It will need your second factor at its next sign-in.');
    });

  return (
    <Section title="Remembered devices">
      <p className="hint account-lead">Devices that skip the second factor when you sign in with your password.</p>
      <ErrorAlert error={error ?? loadError} />
      <p role="status" className="account-notice">
        {notice}
      </p>
      {!devices ? (
        loadError ? null : (
          <p>Loading…</p>
        )
      ) : devices.length === 0 ? (
        <p>No remembered devices.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Your remembered devices</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Remembered</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {devices.map((device) => (
                <tr key={device.id}>
                  <th scope="row" title={device.userAgent ?? undefined}>
                    {deviceName(device.userAgent)}
                  </th>
                  <td>
                    <DateTime value={device.createdAt} />
                  </td>
                  <td>
                    <DateTime value={device.lastUsedAt} fallback="Not yet" />
                  </td>
                  <td>
                    <DateTime value={device.expiresAt} precision="day" />
                  </td>
                  <td>
                    <button type="button" className="secondary" onClick={() => forget(device.id)} disabled={busy}>
                      Sign out
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
