import { useId, type InputHTMLAttributes } from 'react';

type FieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'onChange'> & {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The id of the error that describes this field while it is wrong. */
  errorId?: string;
};

/** A labelled text field; while errorId is given it is marked invalid and described by that error. */
export function Field({ label, value, onChange, errorId, ...input }: FieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={errorId ? true : undefined}
        aria-describedby={errorId}
        {...input}
      />
    </div>
  );
}

/** The "Code" field every one-time code is typed into: digits on phone keyboards, offered from SMS and mail by the OS. */
export function CodeField(props: { value: string; onChange: (value: string) => void; errorId?: string }) {
  return <Field label="Code" inputMode="numeric" autoComplete="one-time-code" required {...props} />;
}
