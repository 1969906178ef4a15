import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildSchema, getOperationAST, parse, validate, type GraphQLFormattedError } from 'graphql';
import { INVALID_OPERATION, operationLabel, outcomeLabel } from '../../src/metrics/graphql-metrics.js';

const schema = buildSchema(readFileSync(new URL('../../../schema/schema.graphql', import.meta.url), 'utf8'));

/** The label of `query` as Apollo Server resolves it: parsed, validated, then the operation `operationName` picks. */
function labelOf(query: string, operationName?: string): string {
  const document = parse(query);
  if (validate(schema, document).length > 0) return operationLabel(schema, undefined, undefined);
  return operationLabel(schema, document, getOperationAST(document, operationName) ?? undefined);
}

describe('the operation label of the GraphQL metrics', () => {
  it('is the operation type and its first root field as the schema names it', () => {
    assert.equal(
      labelOf('mutation { verifyMfa(input: {mfaToken: "t", factorId: "f", code: "123456"}) { accessToken } }'),
      'mutation verifyMfa',
    );
    assert.equal(labelOf('{ me { id } mfaPolicy { passkeySignIn } }'), 'query me');
    assert.equal(labelOf('{ __typename }'), 'query __typename');
  });

  it('ignores aliases and the operation name the client chose', () => {
    assert.equal(labelOf('query ChosenName { chosenAlias: me { id } }', 'ChosenName'), 'query me');
    assert.equal(labelOf('query A { me { id } } query B { mfaPolicy { passkeySignIn } }', 'B'), 'query mfaPolicy');
  });

  it('looks through fragments, and ends on a document whose fragments select nothing first', () => {
    assert.equal(labelOf('{ ... on Query { x: mfaPolicy { passkeySignIn } } me { id } }'), 'query mfaPolicy');
    assert.equal(labelOf('query { ...F } fragment F on Query { ...G } fragment G on Query { me { id } }'), 'query me');
    // Not valid (a fragment cycle), so Apollo never resolves an operation; the walk still ends if handed one.
    const cyclic = parse('query { ...F } fragment F on Query { ...G } fragment G on Query { ...F }');
    assert.equal(operationLabel(schema, cyclic, getOperationAST(cyclic) ?? undefined), INVALID_OPERATION);
  });

  it('is "invalid" without a resolved operation or with a field the schema lacks', () => {
    assert.equal(labelOf('{ noSuchField }'), INVALID_OPERATION);
    assert.equal(labelOf('query A { me { id } }', 'NotA'), INVALID_OPERATION);
    assert.equal(labelOf('query A { me { id } } query B { me { id } }'), INVALID_OPERATION);
    // Unvalidated documents (never labelled by Apollo, but the label must stay bounded whatever it gets).
    const unknown = parse('mutation { madeUpField }');
    assert.equal(operationLabel(schema, unknown, getOperationAST(unknown) ?? undefined), INVALID_OPERATION);
    const subscription = parse('subscription { me { id } }');
    assert.equal(operationLabel(schema, subscription, getOperationAST(subscription) ?? undefined), INVALID_OPERATION);
  });
});

describe('the outcome label of the GraphQL metrics', () => {
  const withCode = (code?: unknown): GraphQLFormattedError[] => [
    { message: 'x', ...(code === undefined ? {} : { extensions: { code } }) },
    { message: 'y', extensions: { code: 'FORBIDDEN' } },
  ];
  it('is "ok" without errors, else the first error’s code when it is one the service or Apollo Server uses', () => {
    assert.equal(outcomeLabel(undefined), 'ok');
    assert.equal(outcomeLabel([]), 'ok');
    assert.equal(outcomeLabel(withCode('INVALID_CODE')), 'INVALID_CODE');
    assert.equal(outcomeLabel(withCode('PERSISTED_QUERY_NOT_FOUND')), 'PERSISTED_QUERY_NOT_FOUND');
  });
  it('is "other" for any other code, or none', () => {
    assert.equal(outcomeLabel(withCode('A_CODE_SOMEONE_MADE_UP')), 'other');
    assert.equal(outcomeLabel(withCode(42)), 'other');
    assert.equal(outcomeLabel(withCode()), 'other');
  });
});
