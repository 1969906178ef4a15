import { IsOptional, Length, MaxLength } from 'class-validator';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { DEVICE_COOKIE } from '../auth/credentials.js';
import { SESSION_COOKIE_CHOICE } from '../auth/session-delivery.js';
import { parseObjectId } from '../graphql/object-id.js';
import { MAX_TYPED_CODE_CHARS } from './factor-runtime.js';
import { MAX_CODE_INPUT_CHARS } from './recovery-codes.js';
import type { SecondFactorProof } from './second-factor.service.js';

@InputType({ description: 'A code or a response (passkeys) from one factor, or a recovery code.' })
export class SecondFactorProofInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Which factor the code or response is from; may be left out when there is only one.',
  })
  @IsOptional()
  factorId?: string | null;

  @Field(() => String, { nullable: true, description: 'A typed code (authenticator app, e-mail).' })
  @IsOptional()
  @MaxLength(MAX_TYPED_CODE_CHARS)
  code?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "A structured response to beginMfa's options, e.g. a passkey's assertion (navigator.credentials.get).",
  })
  @IsOptional()
  response?: unknown;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_CODE_INPUT_CHARS)
  recoveryCode?: string | null;
}

/** A proof input (or any input with its fields) as the proof the services check; a malformed factorId is BAD_USER_INPUT. */
export function toProof(input: SecondFactorProofInput): SecondFactorProof {
  return {
    factorId: input.factorId ? parseObjectId('factorId', input.factorId) : undefined,
    code: input.code,
    response: input.response,
    recoveryCode: input.recoveryCode,
  };
}

@InputType()
export class VerifyMfaInput extends SecondFactorProofInput {
  @Field(() => String, { description: "login's mfaToken." })
  @Length(1, 200)
  mfaToken!: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Remember this device: the answer carries a deviceToken for later logins, ' +
      "when the MFA policy remembers devices (login's trustedDeviceDays > 0; never for admins). A sign-in that asked " +
      `for the session cookie gets it as the HttpOnly cookie ${DEVICE_COOKIE} instead (Max-Age: the device's life).`,
  })
  rememberDevice?: boolean | null;
}

@InputType()
export class StepUpInput extends SecondFactorProofInput {}

/** Which factor an attempt is for, and where: a sign-in (login's mfaToken) or, without one, the signed-in session. */
@InputType()
class FactorAttemptInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  mfaToken?: string | null;

  @Field(() => ID)
  factorId!: string;
}

@InputType({
  description:
    'Sends a fresh code for a factor that delivers codes (e-mail). ' +
    "With login's mfaToken while signing in; without it, for the signed-in session (step-up, disableMfa).",
})
export class SendMfaCodeInput extends FactorAttemptInput {}

@InputType({
  description:
    "Begins an attempt of one factor: with login's mfaToken while signing in; without it, for the signed-in session " +
    '(stepUp, disableMfa). E-mail factors get a code (as sendMfaCode); passkeys get request options.',
})
export class BeginMfaInput extends FactorAttemptInput {}

@InputType()
export class PasskeySignInInput {
  @Field(() => String, { description: "beginPasskeySignIn's challengeId." })
  @Length(1, 200)
  challengeId!: string;

  @Field(() => GraphQLJSON, {
    description: "The passkey's assertion for beginPasskeySignIn's options (navigator.credentials.get), as JSON.",
  })
  response!: unknown;

  @Field(() => Boolean, { defaultValue: false, description: SESSION_COOKIE_CHOICE })
  cookie!: boolean;
}
