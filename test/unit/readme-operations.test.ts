import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  buildSchema,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type SelectionSetNode,
  type GraphQLSchema,
} from 'graphql';
import { DEFAULT_PASSWORD_MIN_LENGTH, checkNewPassword } from '../../src/accounts/password-rules.js';

/*
 * The README walks through the API as JSON bodies piped to a `gql` shell function. Nothing runs them, so a renamed
 * field, a dropped argument or a password the new-password rules refuse would go unnoticed there: this reads every
 * such body from the ```sh blocks and checks it against the committed schema and the password rules.
 *
 * An example followed by a `# {"errors":…}` comment shows a refusal on purpose: it must still be a valid operation,
 * and if the comment names a password `rule`, the password must be refused by that rule. A `# {"data":…}` comment
 * may show only fields the query selects.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
/** MFA_ISSUER's default: the service's name is a context-specific word too. */
const SERVICE_NAME = 'mfa-graphql';
const READMES = ['README.md', 'bench/README.md'].filter((path) => existsSync(resolve(ROOT, path)));

interface Example {
  /** Where the JSON body starts, as README.md:LINE. */
  where: string;
  body: string;
  /** The `rule` named by a `# {"errors":…}` comment right after the example, or '' for errors without one. */
  expectedRule?: string;
  /** A `# {"data":…}` comment right after the example (what it says comes back), and its README.md:LINE. */
  shown?: { comment: string; where: string };
  /** Why this test cannot read the example; its own test fails with it. */
  unreadable?: string;
}

/** Every JSON body fed to `gql` inside a ```sh block: heredocs between `<<'JSON'` and `JSON`, and `echo '…' | gql`. */
function examples(file: string): Example[] {
  const lines = readFileSync(resolve(ROOT, file), 'utf8').split('\n');
  const found: Example[] = [];
  let inSh = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      inSh = !inSh && /^\s*```(sh|bash|shell)\s*$/.test(line);
      continue;
    }
    if (!inSh || !/\bgql\b/.test(line) || /^\s*gql\(\)/.test(line) || /^\s*#/.test(line)) continue;
    let example: Example;
    let last: number;
    if (/\bgql\s*<<\s*'JSON'/.test(line)) {
      const end = lines.findIndex((candidate, j) => j > i && candidate.trim() === 'JSON');
      if (end < 0) {
        found.push({ where: `${file}:${i + 1}`, body: '', unreadable: 'a heredoc without its closing JSON line' });
        break;
      }
      example = { where: `${file}:${i + 2}`, body: lines.slice(i + 1, end).join('\n') };
      last = end;
    } else {
      const echo = /^\s*echo '([^']*)'\s*\|(?:\s*[A-Z_]+=\S*)*\s*gql\b/.exec(line);
      if (!echo) {
        const unreadable = "a gql call this test cannot read (use a <<'JSON' heredoc or echo '…' | gql)";
        found.push({ where: `${file}:${i + 1}`, body: '', unreadable });
        continue;
      }
      example = { where: `${file}:${i + 1}`, body: echo[1] };
      last = i;
    }
    const comment = lines[last + 1] ?? '';
    if (/^\s*#\s*\{"errors"/.test(comment)) example.expectedRule = /"rule":"([A-Z_]+)"/.exec(comment)?.[1] ?? '';
    if (/^\s*#\s*\{"data"/.test(comment)) example.shown = { comment, where: `${file}:${last + 2}` };
    found.push(example);
    i = last;
  }
  return found;
}

/** The JSON object a `# {…}: prose` comment starts with; its strings may hold placeholders such as "mfa_at_…". */
function shownResponse(comment: string, where: string): { data?: unknown } {
  const text = comment.slice(comment.indexOf('{'));
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const character = text[i];
    if (inString) {
      if (character === '\\') i++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{') depth++;
    else if (character === '}' && --depth === 0) {
      try {
        return JSON.parse(text.slice(0, i + 1)) as { data?: unknown };
      } catch (error) {
        assert.fail(`${where}: the response shown is not valid JSON (${(error as Error).message})`);
      }
    }
  }
  assert.fail(`${where}: the response shown is not a whole JSON object`);
}

/**
 * The response keys `shown` uses that `selectionSet` does not select, as paths: a response in the README that
 * the query beside it could not return. Fragments are flattened; the schema check above vouches for them.
 */
function unselected(shown: unknown, selectionSet: SelectionSetNode | undefined, path: string): string[] {
  if (Array.isArray(shown)) return shown.flatMap((item, i) => unselected(item, selectionSet, `${path}[${i}]`));
  if (typeof shown !== 'object' || shown === null) return [];
  if (!selectionSet) return [`${path} (a leaf field shown as an object)`];
  const selected = new Map<string, SelectionSetNode | undefined>();
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections)
      if (selection.kind === Kind.FIELD)
        selected.set(selection.alias?.value ?? selection.name.value, selection.selectionSet);
      else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
  };
  collect(selectionSet);
  return Object.entries(shown).flatMap(([key, value]) =>
    selected.has(key) ? unselected(value, selected.get(key), `${path}.${key}`) : [`${path}.${key}`],
  );
}

interface Parsed {
  example: Example;
  document: DocumentNode;
  variables: Record<string, unknown>;
}

function parseExample(example: Example): { query: string; variables: Record<string, unknown>; operationName?: string } {
  let json: unknown;
  try {
    json = JSON.parse(example.body);
  } catch (error) {
    assert.fail(`${example.where}: the body is not valid JSON (${(error as Error).message})`);
  }
  assert.ok(typeof json === 'object' && json !== null, `${example.where}: the body is not a JSON object`);
  const { query, variables = {}, operationName, ...rest } = json as Record<string, unknown>;
  assert.deepEqual(Object.keys(rest), [], `${example.where}: unexpected keys in the body`);
  assert.equal(typeof query, 'string', `${example.where}: "query" is not a string`);
  assert.ok(typeof variables === 'object' && variables !== null, `${example.where}: "variables" is not an object`);
  assert.ok(operationName === undefined || typeof operationName === 'string', `${example.where}: bad "operationName"`);
  return { query: query as string, variables: variables as Record<string, unknown>, operationName };
}

/** Parses, validates and coerces the variables of one example; every failure names the README line. */
function check(schema: GraphQLSchema, example: Example): Parsed {
  if (example.unreadable !== undefined) assert.fail(`${example.where}: ${example.unreadable}`);
  const { query, variables, operationName } = parseExample(example);
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    assert.fail(`${example.where}: the query does not parse: ${(error as Error).message}`);
  }
  const errors = validate(schema, document);
  assert.deepEqual(
    errors.map((error) => error.message),
    [],
    `${example.where}: the query is not valid against schema/schema.graphql`,
  );
  const operation = getOperationAST(document, operationName);
  assert.ok(operation, `${example.where}: no single operation to run (give "operationName")`);
  const declared = new Set((operation.variableDefinitions ?? []).map((definition) => definition.variable.name.value));
  const undeclared = Object.keys(variables).filter((name) => !declared.has(name));
  assert.deepEqual(undeclared, [], `${example.where}: "variables" the operation does not declare`);
  // Missing non-null variables, wrong types and unknown input fields, as the server would coerce them.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  assert.deepEqual(
    (coerced.errors ?? []).map((error) => error.message),
    [],
    `${example.where}: "variables" do not fit the operation`,
  );
  if (example.shown !== undefined)
    assert.deepEqual(
      unselected(shownResponse(example.shown.comment, example.shown.where).data, operation.selectionSet, 'data'),
      [],
      `${example.where}: the response shown below it holds fields the query does not select`,
    );
  return { example, document, variables };
}

type PasswordUse = { field: string; password: string; username?: string; email?: string };

/** The new passwords an example sets (signUp, changePassword, resetPassword), literal or through variables. */
function passwordUses({ document, variables }: Parsed): PasswordUse[] {
  const uses: PasswordUse[] = [];
  visit(document, {
    Field(node) {
      const field = node.name.value;
      if (field !== 'signUp' && field !== 'changePassword' && field !== 'resetPassword') return;
      const argument = node.arguments?.find((candidate) => candidate.name.value === 'input');
      if (!argument) return;
      const input = valueFromASTUntyped(argument.value, variables) as Record<string, unknown> | undefined;
      const password = field === 'signUp' ? input?.password : input?.newPassword;
      if (typeof password !== 'string') return;
      const text = (key: string) => {
        const value = input?.[key];
        return typeof value === 'string' ? value : undefined;
      };
      uses.push({ field, password, username: text('username'), email: text('email') });
    },
  });
  return uses;
}

const schema = buildSchema(readFileSync(resolve(ROOT, 'schema/schema.graphql'), 'utf8'));
const all = READMES.flatMap(examples);

describe('the README’s GraphQL examples', () => {
  it('finds the walk-through’s examples', () => {
    assert.ok(all.length >= 20, `only ${all.length} gql examples found in ${READMES.join(', ')}`);
  });

  for (const example of all)
    it(`${example.where} is a valid operation against schema/schema.graphql`, () => {
      check(schema, example);
    });

  it('sets only passwords the new-password rules accept, and refuses those shown refused', () => {
    // An example that fails the checks above fails there; the rest are still checked here.
    const parsed = all.flatMap((example) => {
      try {
        return [check(schema, example)];
      } catch {
        return [];
      }
    });
    const uses = parsed.flatMap((entry) => passwordUses(entry).map((use) => ({ ...use, example: entry.example })));
    assert.ok(
      uses.some((use) => use.field === 'signUp'),
      'no signUp example found',
    );
    // changePassword and resetPassword name no account: check them against every account the README signs up.
    // A signUp shown refused makes no account.
    const accounts = uses.filter((use) => use.field === 'signUp' && use.example.expectedRule === undefined);
    const problems: string[] = [];
    for (const use of uses) {
      const contexts: { username?: string; email?: string }[] =
        use.field === 'signUp' ? [use] : accounts.length > 0 ? accounts : [{}];
      for (const { username, email } of contexts) {
        const result = checkNewPassword(use.password, {
          minLength: DEFAULT_PASSWORD_MIN_LENGTH,
          username,
          email,
          serviceName: SERVICE_NAME,
        });
        const rule = result.ok ? undefined : result.rule;
        const who = `username ${username ?? '-'}, email ${email ?? '-'}`;
        if (use.example.expectedRule === undefined) {
          if (rule !== undefined)
            problems.push(`${use.example.where}: ${use.field}'s password is refused (${rule}) for ${who}`);
        } else if (use.example.expectedRule !== '' && rule !== use.example.expectedRule) {
          problems.push(
            `${use.example.where}: ${use.field}'s password is shown refused by ${use.example.expectedRule}, ` +
              `but the rules say ${rule ?? 'accepted'} for ${who}`,
          );
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
