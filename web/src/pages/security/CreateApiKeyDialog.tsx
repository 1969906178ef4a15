import { useId, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { useStepUp } from '../../components/step-up';
import { useAction } from '../../components/use-action';
import { ApiError, request } from '../../graphql/client';
import { CreateApiKeyMutation } from '../../graphql/security-account';
import './account-sections.css';

/**
 * "Create API key": a name and an optional last day, then the key itself, shown this once with "Copy" (the service
 * keeps only its hash). Minting a key may need a fresh second factor, asked for inline.
 */
export function CreateApiKeyDialog({ onCreated, onClose }: { onCreated: () => void; onClose: () => void }) {
  const guard = useStepUp();
  const [name, setName] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState('');
  const { busy, error, run } = useAction({ code: 'INTERNAL_SERVER_ERROR', message: 'Something went wrong.' });
  const errorId = useId();
  const expiryHintId = useId();
  const secretId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      if (!name.trim()) throw new ApiError('BAD_USER_INPUT', 'Give the key a name, e.g. what it is for.');
      const input = { name: name.trim(), expiresAt: expiresOn ? endOfDay(expiresOn) : undefined };
      const { createApiKey } = await guard(() => request(CreateApiKeyMutation, { input }));
      setCreated({ name: createApiKey.apiKey.name, secret: createApiKey.secret });
      onCreated();
    });
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('The clipboard is not available: select the key and copy it yourself.');
    }
  };

  if (created)
    return (
      <Dialog title="Your new API key" onClose={onClose}>
        <p>
          The key <strong>{created.name}</strong> was created. Send it as <code>Authorization: Bearer …</code>.
        </p>
        <p className="account-warning">Copy it now: it will not be shown again.</p>
        <div className="field">
          <label htmlFor={secretId}>API key</label>
          <input
            id={secretId}
            className="api-key-secret"
            value={created.secret}
            readOnly
            spellCheck={false}
            autoFocus
            onFocus={(event) => event.target.select()}
          />
        </div>
        <div className="actions">
          <button type="button" onClick={() => void copy()}>
            Copy
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            Done
          </button>
        </div>
        <p role="status">{copied}</p>
      </Dialog>
    );

  return (
    <Dialog title="Create API key" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} id={errorId} />
        <Field
          label="Name"
          value={name}
          onChange={setName}
          required
          autoComplete="off"
          maxLength={100}
          errorId={error instanceof ApiError && error.code === 'BAD_USER_INPUT' ? errorId : undefined}
        />
        <div className="field">
          <label htmlFor={expiryHintId + '-input'}>Expires on (optional)</label>
          <input
            id={expiryHintId + '-input'}
            type="date"
            value={expiresOn}
            min={today()}
            onChange={(event) => setExpiresOn(event.target.value)}
            aria-describedby={expiryHintId}
          />
          <span id={expiryHintId} className="hint">
            Leave empty for a key that works until you revoke it.
          </span>
        </div>
        <button type="submit" disabled={busy}>
          Create
        </button>
      </form>
    </Dialog>
  );
}

/** The key works through the chosen day, in the reader's time zone. */
function endOfDay(day: string): string {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(year, month - 1, date, 23, 59, 59).toISOString();
}

function today(): string {
  const next = new Date();
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())}`;
}
