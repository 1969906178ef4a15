import { IsOptional, Length, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { parseObjectId } from '../graphql/object-id.js';
import { MAX_CODE_INPUT_CHARS } from './recovery-codes.js';
import type { SecondFactorProof } from './second-factor.service.js';

@InputType({ description: 'A code from one factor, or a recovery code.' })
export class SecondFactorProofInput {
  @Field(() => ID, {
    nullable: true,
    description: 'Which factor the code is from; may be left out when there is only one.',
  })
  @IsOptional()
  factorId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_CODE_INPUT_CHARS)
  code?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(MAX_CODE_INPUT_CHARS)
  recoveryCode?: string | null;
}

/** A proof input (or any input with its three fields) as the proof the services check; a malformed factorId is BAD_USER_INPUT. */
export function toProof(input: SecondFactorProofInput): SecondFactorProof {
  return {
    factorId: input.factorId ? parseObjectId('factorId', input.factorId) : undefined,
    code: input.code,
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
      'when the MFA policy remembers devices (trustedDeviceDays > 0; never for admins).',
  })
  rememberDevice?: boolean | null;
}

@InputType()
export class StepUpInput extends SecondFactorProofInput {}

@InputType({
  description:
    'Sends a fresh code for a factor that delivers codes (e-mail). ' +
    "With login's mfaToken while signing in; without it, for the signed-in session (step-up, disableMfa).",
})
export class SendMfaCodeInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  mfaToken?: string | null;

  @Field(() => ID)
  factorId!: string;
}
