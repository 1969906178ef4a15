import 'reflect-metadata'; // type-graphql's decorators need it, and a plugin may be imported before the rest of the service
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType('WebAuthnEnrollment', {
  description:
    'Shown once at enrollment: create the passkey with these options, then send the credential to acceptMfa.',
})
export class WebAuthnEnrollment {
  @Field(() => GraphQLJSON, {
    description:
      'PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3): pass it to PublicKeyCredential.parseCreationOptionsFromJSON ' +
      'or @simplewebauthn/browser startRegistration, and navigator.credentials.create.',
  })
  creationOptions!: Record<string, unknown>;
}
