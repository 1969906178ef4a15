import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { useAction } from '../../components/use-action';
import { request } from '../../graphql/client';
import { UpdateFactorMutation } from '../../graphql/security-factors';

/** Longest name updateFactor takes. */
const MAX_NAME_LENGTH = 100;

/**
 * A factor's name edited in place: "Name", "Save" (updateFactor) and "Cancel". `onDone` gets the new name, or null
 * when cancelled.
 */
export function RenameFactorForm({
  factor,
  onDone,
}: {
  factor: { id: string; description?: string | null };
  onDone: (renamed: string | null) => void;
}) {
  const [name, setName] = useState(factor.description ?? '');
  const { busy, error, run } = useAction({ code: 'INTERNAL_SERVER_ERROR', message: 'The name was not saved.' });
  const errorId = useId();

  const save = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const { updateFactor } = await request(UpdateFactorMutation, {
        input: { factorId: factor.id, description: name.trim() },
      });
      onDone(updateFactor.description ?? name.trim());
    });
  };

  return (
    <form onSubmit={save} noValidate className="rename">
      <ErrorAlert error={error} id={errorId} />
      <Field
        label="Name"
        value={name}
        onChange={setName}
        maxLength={MAX_NAME_LENGTH}
        autoComplete="off"
        required
        autoFocus
        onKeyDown={(event) => {
          if (event.key === 'Escape') onDone(null);
        }}
        errorId={error ? errorId : undefined}
      />
      <div className="row-actions">
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
