import { formatDate, formatDateTime } from './format';

/**
 * A moment the API gave (ISO 8601) in the reader's locale and time zone, machine-readable in dateTime; `fallback`
 * (e.g. "Never") when there is none, and only the day with `dateOnly`.
 */
export function DateTime({
  value,
  fallback = 'Never',
  dateOnly = false,
}: {
  value: string | null | undefined;
  fallback?: string;
  dateOnly?: boolean;
}) {
  if (!value) return <span className="hint">{fallback}</span>;
  return <time dateTime={value}>{dateOnly ? formatDate(value) : formatDateTime(value)}</time>;
}
