import { pino, type Logger } from 'pino';

/**
 * Field names whose values never reach a log line, at any depth we log:
 * passwords, codes, tokens, keys and secrets (OWASP Logging Cheat Sheet: never log authentication secrets).
 */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'code',
  'recoveryCode',
  'token',
  'mfaToken',
  'accessToken',
  'deviceToken',
  'secret',
  'secretKey',
  'apiKey',
  'authorization',
  'cookie',
];

export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...SECRET_FIELDS.map((field) => `*.*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'variables',
  '*.variables',
];

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    { level: options.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'mfa-graphql' } },
    options.destination ?? process.stdout,
  );
}

export type { Logger };
