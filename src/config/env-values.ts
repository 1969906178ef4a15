import { isIP } from 'node:net';
import { ConfigError } from './config-error.js';

// Readers of one environment variable each: unset or blank gives the fallback, anything invalid a ConfigError that names the variable.

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** Like `integer`, but unset or blank gives undefined: for settings whose absence means "off". */
export function optionalInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  return nonEmpty(env[name]) === undefined ? undefined : integer(env, name, min, min, max);
}

export function list(env: NodeJS.ProcessEnv, name: string, fallback: string[]): string[] {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${name} must name at least one item`);
  return items;
}

export function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

export function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** A list of IP addresses and CIDR ranges ("10.0.0.0/8", "::1"); unset gives none. */
export function addressRanges(env: NodeJS.ProcessEnv, name: string): string[] {
  if (nonEmpty(env[name]) === undefined) return [];
  const ranges = list(env, name, []);
  for (const range of ranges) {
    const [address, prefix, extra] = range.split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined)
      throw new ConfigError(`${name} must list IP addresses or CIDR ranges, got "${range}"`);
  }
  return ranges;
}
