import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, visit, type OperationDefinitionNode } from 'graphql';
import type { Connection } from 'mongoose';
import { getMetadataStorage, type ClassType } from 'type-graphql';
import type { MailSender } from '../../src/mail/mail-sender.js';
import type { Enrollment, FactorPlugin } from '../../src/plugin-kit.js';
import {
  EnableMfaDocument,
  TypeShapeDocument,
  type EnableMfaMutation,
  type EnableMfaMutationVariables,
} from '../generated/graphql.js';
import type { TestApp } from './test-app.js';

/**
 * What the factor conformance suite needs to treat any plugin alike: a spy on
 * the plugin's hooks, and enableMfa's details read generically, by the fields
 * the served schema gives the plugin's details type.
 */

/** enableMfa's details as the server returned them: `__typename` and the details type's fields. */
export type EnrollmentDetailsJson = { __typename: string } & Record<string, unknown>;

export type GenericEnableMfaMutation = {
  enableMfa: Omit<EnableMfaMutation['enableMfa'], 'details'> & { details: EnrollmentDetailsJson | null };
};

export interface InstrumentedPlugin {
  /** Register this one: it passes every call through to the plugin under test. */
  plugin: FactorPlugin;
  /** Every code the core handed to `verify` (or `activate`), in order. */
  verifiedCodes: string[];
  /** Every response of any kind the core handed to `verify` (or `activate`), in order. */
  verifiedResponses: unknown[];
  /** What each `enroll` returned, in order, by owner (the raw secret included, before the core seals it). */
  enrollments: Array<{ ownerId: string; enrollment: Enrollment }>;
}

/** A mail sender for building a plugin outside an app (to read its type): it sends nothing. */
export const NULL_MAIL_SENDER: MailSender = {
  send: () => Promise.reject(new Error('this plugin instance is not part of an app')),
};

/** Wraps the plugin's hooks in spies; each hook still runs on the plugin itself, so its own `this` and private fields work. */
export function instrumentPlugin(original: FactorPlugin): InstrumentedPlugin {
  const verifiedCodes: string[] = [];
  const verifiedResponses: unknown[] = [];
  const enrollments: InstrumentedPlugin['enrollments'] = [];
  const bound = <K extends 'begin' | 'activate' | 'destination' | 'provenEmail' | 'parseEnrollmentInput'>(name: K) =>
    original[name] ? { [name]: (original[name] as (...args: unknown[]) => unknown).bind(original) } : {};
  const seen = (response: unknown) => {
    verifiedResponses.push(response);
    if (typeof response === 'string') verifiedCodes.push(response);
  };
  const plugin: FactorPlugin = {
    type: original.type,
    displayName: original.displayName,
    assurance: original.assurance,
    responseLimits: original.responseLimits,
    detailsType: original.detailsType,
    ...(original.multiplePerUser ? { multiplePerUser: true } : {}),
    ...(original.delivery ? { delivery: original.delivery } : {}),
    ...(original.discoverable ? { discoverable: original.discoverable } : {}),
    async enroll(request) {
      const enrollment = await original.enroll(request);
      enrollments.push({ ownerId: request.owner.id, enrollment });
      return enrollment;
    },
    async verify(request) {
      seen(request.response);
      return original.verify(request);
    },
    ...bound('begin'),
    ...bound('destination'),
    ...bound('provenEmail'),
    ...bound('parseEnrollmentInput'),
    ...(original.activate
      ? {
          activate: async (request) => {
            seen(request.response);
            return original.activate!(request);
          },
        }
      : {}),
  };
  return { plugin, verifiedCodes, verifiedResponses, enrollments };
}

/** The exact form of a typed-code plugin's codes (its `responseLimits.pattern`); the suite's code checks need one. */
export function codePatternOf(plugin: FactorPlugin): RegExp {
  const limits = plugin.responseLimits;
  if (limits.kind !== 'code') throw new Error(`factor plugin "${plugin.type}" does not take typed codes`);
  return limits.pattern;
}

/** The size of a value as JSON, in bytes: what a plugin's `responseLimits.maxBytes` bounds. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/** The GraphQL name type-graphql gives a class decorated with `@ObjectType`, or undefined for any other class. */
export function objectTypeName(type: ClassType): string | undefined {
  return getMetadataStorage().objectTypes.find((metadata) => metadata.target === type)?.name;
}

/** The served schema's description of a named type (introspection), or null when the schema has no such type. */
export async function typeShape(app: TestApp, name: string) {
  const response = await app.graphql(TypeShapeDocument, { variables: { name } });
  if (!response.data) throw new Error(`introspecting ${name} failed: ${JSON.stringify(response.errors)}`);
  return response.data.__type;
}

/**
 * The EnableMfa operation of schema/operations, with its details selection
 * replaced by every argument-free field of `detailsTypeName` (nested object
 * types to a few levels): what a client of that plugin would select.
 */
export async function enableMfaDocumentFor(
  app: TestApp,
  detailsTypeName: string,
): Promise<TypedDocumentNode<GenericEnableMfaMutation, EnableMfaMutationVariables>> {
  const details = `{ __typename ... on ${detailsTypeName} ${await fieldSelection(app, detailsTypeName, 3)} }`;
  const selectionSet = (parse(`query ${details}`).definitions[0] as OperationDefinitionNode).selectionSet;
  return visit(EnableMfaDocument, {
    Field(node) {
      return node.name.value === 'details' ? { ...node, selectionSet } : undefined;
    },
  });
}

async function fieldSelection(app: TestApp, typeName: string, depth: number): Promise<string> {
  const shape = await typeShape(app, typeName);
  if (!shape?.fields) throw new Error(`the served schema has no object type ${typeName}`);
  const selections: string[] = [];
  for (const field of shape.fields) {
    if (field.args.length > 0) continue;
    let type: { kind: string; name: string | null; ofType?: unknown } = field.type;
    while (type.ofType) type = type.ofType as typeof type;
    if (type.kind === 'SCALAR' || type.kind === 'ENUM') selections.push(field.name);
    else if (type.kind === 'OBJECT' && depth > 1)
      selections.push(`${field.name} ${await fieldSelection(app, type.name!, depth - 1)}`);
    else if (type.kind === 'UNION' || type.kind === 'INTERFACE') selections.push(`${field.name} { __typename }`);
  }
  return `{ ${selections.join(' ')} }`;
}

/** Whether any document of any collection holds `text` in a string or in binary data, verbatim. */
export async function databaseContains(connection: Connection, text: string): Promise<boolean> {
  for (const collection of await connection.db!.collections()) {
    for (const document of await collection.find().toArray()) if (holds(document, text)) return true;
  }
  return false;
}

function holds(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1').includes(text);
  if (value && typeof value === 'object') {
    const binary = value as { _bsontype?: string; buffer?: Uint8Array };
    if (binary._bsontype === 'Binary' && binary.buffer) return holds(binary.buffer, text);
    return Object.values(value).some((item) => holds(item, text));
  }
  return false;
}
