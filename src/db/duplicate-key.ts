/** MongoDB's duplicate key error (11000): a unique index refused a write, e.g. a parallel request got there first. */
export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
