import { formatDate, formatDateTime, formatDateTimeSeconds } from './format';

const FORMATS = { day: formatDate, minute: formatDateTime, second: formatDateTimeSeconds };

/**
 * A moment the API gave (ISO 8601) in the reader's locale and time zone, machine-readable in dateTime, shown to the
 * minute unless `precision` says otherwise (a log to the second, an expiry to the day); `fallback` (e.g. "Never")
 * when there is none.
 */
export function DateTime({
  value,
  fallback = 'Never',
  precision = 'minute',
}: {
  value: string | null | undefined;
  fallback?: string;
  precision?: keyof typeof FORMATS;
}) {
  if (!value) return <span className="hint">{fallback}</span>;
  return <time dateTime={value}>{FORMATS[precision](value)}</time>;
}
