const FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A moment the API gave (ISO 8601), in the reader's locale and time zone, machine-readable in dateTime. */
export function DateTime({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="hint">Never</span>;
  return <time dateTime={value}>{FORMAT.format(new Date(value))}</time>;
}
