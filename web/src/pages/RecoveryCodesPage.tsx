import { useEffect, useRef, useState } from 'react';
import { setLeaveWarning } from '../components/router';

const LEAVE_WARNING = 'Your recovery codes are shown only once. Leave without saving them?';

/**
 * Recovery codes, shown once: "Finish" stays disabled until they were copied or downloaded, and leaving before
 * "Finish" asks first (beforeunload for the browser, the router's warning inside the console).
 */
export function RecoveryCodesPage({
  codes,
  issuer,
  onFinish,
}: {
  codes: string[];
  issuer: string;
  onFinish: () => void;
}) {
  const [saved, setSaved] = useState(false);
  const [status, setStatus] = useState('');
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    headingRef.current?.focus();
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
    <main className="card">
      <h1 ref={headingRef} tabIndex={-1}>
        Save your recovery codes
      </h1>
      <p>
        Each code signs you in once when you cannot use your second factor. They are shown only now: copy or download
        them and keep them somewhere safe.
      </p>
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
      <p id="finish-hint" className="hint">
        {saved ? 'Saved. You can finish now.' : 'Copy or download the codes to finish.'}
      </p>
      <button
        type="button"
        disabled={!saved}
        aria-describedby="finish-hint"
        onClick={() => {
          setLeaveWarning(null);
          onFinish();
        }}
      >
        Finish
      </button>
    </main>
  );
}

function safeFileName(issuer: string): string {
  return issuer.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'mfa';
}
