import type { ReactNode } from 'react';
import { DateTime } from '../DateTime';
import { factorTypeName } from '../factor-names';

export interface FactorRow {
  id: string;
  type: string;
  status: string;
  description?: string | null;
  createdAt: string;
  lastUsedAt?: string | null;
}

const STATUS_NAMES: Record<string, string> = { ACTIVE: 'Active', PENDING: 'Not confirmed yet' };

/** The id of a factor's row header, so its row's buttons can name the factor they act on (aria-describedby). */
export function factorRowHeaderId(factor: { id: string }): string {
  return `factor-${factor.id}`;
}

/**
 * Second factors, one row each: method, name, status and dates. The user's own security page and the admin's user
 * page list the same columns; they differ in `actions` (a row's buttons) and in `name` (e.g. a rename form in place).
 */
export function FactorsTable<F extends FactorRow>({
  factors,
  caption,
  actions,
  name,
}: {
  factors: readonly F[];
  caption: string;
  actions: (factor: F) => ReactNode;
  name?: (factor: F) => ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Method</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Added</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {factors.map((factor) => (
            <tr key={factor.id}>
              <th scope="row" id={factorRowHeaderId(factor)}>
                {factorTypeName(factor.type)}
              </th>
              <td>{name ? name(factor) : (factor.description ?? <span className="hint">No name</span>)}</td>
              <td>{STATUS_NAMES[factor.status] ?? factor.status}</td>
              <td>
                <DateTime value={factor.createdAt} />
              </td>
              <td>
                <DateTime value={factor.lastUsedAt} />
              </td>
              <td>{actions(factor)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
