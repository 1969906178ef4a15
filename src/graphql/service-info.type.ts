import { Field, ObjectType } from 'type-graphql';

@ObjectType('ServiceInfo', {
  description: 'What a sign-in page needs to know before anyone signs in; the same for every caller.',
})
export class ServiceInfoType {
  @Field({
    description: 'The name authenticator apps show for this service (MFA_ISSUER); also names recovery-code files.',
  })
  issuer!: string;

  @Field({ description: 'Whether signUp creates accounts here (ALLOW_SIGNUP).' })
  signUp!: boolean;

  @Field({
    description:
      'Whether passkeySignIn is offered now: the policy allows it (passkeySignIn) and a passkey factor type is loaded and allowed.',
  })
  passkeySignIn!: boolean;
}
