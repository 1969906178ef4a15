import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({
  description: "An attempt begun with beginMfa: what the client needs to answer it (verifyMfa's response).",
})
export class MfaChallenge {
  @Field(() => ID)
  factorId!: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Options for the client, e.g. passkey request options for navigator.credentials.get; null for codes.',
  })
  options?: Record<string, unknown> | null;

  @Field(() => Boolean, { description: 'A code was sent (e-mail factors); false when the user already has it (apps).' })
  delivered!: boolean;
}

@ObjectType({
  description: 'A passkey sign-in begun: answer `options` with navigator.credentials.get, then passkeySignIn.',
})
export class PasskeySignInChallenge {
  @Field(() => String, { description: 'For passkeySignIn; works once, for 5 minutes.' })
  challengeId!: string;

  @Field(() => GraphQLJSON, { description: 'Request options for navigator.credentials.get (no allowCredentials).' })
  options!: Record<string, unknown>;
}
