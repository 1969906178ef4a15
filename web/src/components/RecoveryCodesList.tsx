import { useEffect, useId, useState } from 'react';
import { setLeaveWarning } from './router';
import { useServiceInfo } from './service-info';

const LEAVE_WARNING = 'Your recovery codes are shown only once. Leave without saving them?';

/**
 * Recovery codes, shown once (at enrollment, and after "Regenerate"): the "Recovery codes" list, "Copy" and
 * "Download" (`<issuer>-recovery-codes.txt`, one code a line), and "Finish", disabled until the codes were copied or
 * downloaded. While it is shown, leaving asks first (beforeunload for the browser, the router's warning inside the
 * console).
 */
export function RecoveryCodesList({ codes, onFinish }: { codes: string[]; onFinish: () => void }) {
  const [saved, setSaved] = useState(false);
  // The file is named after the service as authenticator apps show it (MFA_ISSUER).
  const issuer = useServiceInfo()?.issuer ?? window.location.hostname;
  const [status, setStatus] = useState('');
  const hintId = useId();

  useEffect(() => {
    setLeaveWarning(LEAVE_WARNING);
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers show the prompt only when returnValue is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      window.removeEventListener('beforeunload', warn);
      setLeaveWarning(null);
    };
  }, []);

  const text = codes.join('\n') + '\n';

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaved(true);
      setStatus('The codes were copied to the clipboard.');
    } catch {
      setStatus('The browser did not allow copying. Use Download, or write the codes down.');
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${safeFileName(issuer)}-recovery-codes.txt`;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    setSaved(true);
    setStatus('The codes were downloaded.');
  };

  return (
    <>
      <ul role="list" aria-label="Recovery codes" className="codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="secondary" onClick={download}>
          Download
        </button>
      </div>
      <p role="status">{status}</p>
      <p id={hintId} className="hint">
        {saved ? 'Saved. You can finish now.' : 'Copy or download the codes to finish.'}
      </p>
      <button
        type="button"
        disabled={!saved}
        aria-describedby={hintId}
        onClick={() => {
          setLeaveWarning(null);
          onFinish();
        }}
      >
        Finish
      </button>
    </>
  );
}

function safeFileName(issuer: string): string {
  return issuer.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'mfa';
}
