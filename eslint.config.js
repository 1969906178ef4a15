// ESLint with typescript-eslint's type-checked rules: they catch what matters most in this code base,
// promises that nobody awaits and `any` values flowing into security decisions. Formatting is Prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/generated/**', 'web/dist/**', 'web/src/gql/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/test/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite'] },
          ],
        },
      ],
      // Off: the async functions without an await here implement promise-returning contracts (Fastify hooks,
      // which Fastify tells from callback-style ones by being async; Apollo plugin hooks; MailTransport; factor
      // plugins; test doubles of async dependencies). `async` keeps a synchronous throw a rejection, which is what
      // their callers handle; promises nobody awaits are no-floating-promises' concern.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier wraps code at 120 columns; this catches the strings and comments it leaves long.
      'max-len': ['error', { code: 160, ignoreUrls: true }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
