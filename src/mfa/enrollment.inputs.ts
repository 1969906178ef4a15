import { IsEmail, IsOptional, Length, MaxLength } from 'class-validator';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType } from 'type-graphql';
import { badInput } from '../errors.js';
import { IsFactorDescription } from './factor-description.js';
import { MAX_TYPED_CODE_CHARS, type FactorResponse } from './factor-runtime.js';
import { MAX_CODE_INPUT_CHARS } from './recovery-codes.js';

const RESPONSE_DESCRIPTION = 'A structured response from a factor that takes one, e.g. a passkey assertion (JSON).';

@InputType()
export class EnableMfaInput {
  @Field(() => String, { defaultValue: 'totp', description: 'A type from factorTypes.' })
  @Length(1, 32)
  factorType!: string;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'Replace the ACTIVE factor of this type (lost device); it is swapped when the new one is accepted.',
  })
  recreate!: boolean;

  @Field(() => String, { nullable: true, description: 'A label of the user\'s own, e.g. "work phone".' })
  @IsOptional()
  @IsFactorDescription()
  description?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'For e-mail factors: where codes go; the account address when unset.',
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: "The factor type's own enrollment options (see its documentation); most types take none.",
  })
  @IsOptional()
  options?: unknown;

  @Field(() => ID, {
    nullable: true,
    description: 'ADMIN only: enroll a factor for this user (not another admin); never a passkey.',
  })
  @IsOptional()
  userId?: string | null;
}

@InputType()
export class AcceptMfaInput {
  @Field(() => String, { description: "enableMfa's token." })
  @Length(1, 200)
  token!: string;

  @Field(() => String, { nullable: true, description: 'A current code from the new factor.' })
  @IsOptional()
  @MaxLength(MAX_TYPED_CODE_CHARS)
  code?: string | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      "The new factor's response to enableMfa's details, e.g. a passkey's attestation (navigator.credentials.create).",
  })
  @IsOptional()
  response?: unknown;
}

/** acceptMfa's code or response, exactly one of them, as the factor runtime checks it. */
export function acceptedResponse(input: AcceptMfaInput): FactorResponse {
  const hasCode = typeof input.code === 'string';
  const hasResponse = input.response !== undefined && input.response !== null;
  if (hasCode === hasResponse) throw badInput('code', 'Give either a code or a response from the new factor.');
  return hasCode ? { kind: 'code', value: input.code! } : { kind: 'json', value: input.response };
}

@InputType()
export class DisableMfaInput {
  @Field(() => ID, { nullable: true, description: 'The factor to remove; all of them when unset.' })
  @IsOptional()
  factorId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: "ADMIN only: whose factors (not another admin's); they need no password or code then.",
  })
  @IsOptional()
  userId?: string | null;

  @Field(() => String, { nullable: true, description: 'Self: your password.' })
  @IsOptional()
  @Length(1, 256)
  password?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Self: a current code from any of your ACTIVE factors (not only the one being removed).',
  })
  @IsOptional()
  @MaxLength(MAX_TYPED_CODE_CHARS)
  code?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: `Self: instead of a code. ${RESPONSE_DESCRIPTION}` })
  @IsOptional()
  response?: unknown;

  @Field(() => String, { nullable: true, description: 'Self: a recovery code instead of a code.' })
  @IsOptional()
  @MaxLength(MAX_CODE_INPUT_CHARS)
  recoveryCode?: string | null;
}

@InputType()
export class RegenerateRecoveryCodesInput {
  @Field(() => String, {
    nullable: true,
    description: 'A current code; without one (or a response), the session needs a step-up within 5 minutes.',
  })
  @IsOptional()
  @MaxLength(MAX_TYPED_CODE_CHARS)
  code?: string | null;

  @Field(() => GraphQLJSON, { nullable: true, description: `Instead of a code. ${RESPONSE_DESCRIPTION}` })
  @IsOptional()
  response?: unknown;

  @Field(() => ID, { nullable: true, description: 'Which factor the code is from; needed when you have several.' })
  @IsOptional()
  factorId?: string | null;
}

@InputType()
export class UpdateFactorInput {
  @Field(() => ID, { description: 'One of your own factors (ACTIVE or PENDING).' })
  factorId!: string;

  @Field(() => String, { description: 'The new label, e.g. "work phone": 1 to 100 characters, no control characters.' })
  @IsFactorDescription()
  description!: string;
}
