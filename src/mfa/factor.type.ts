import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { FactorStatus, type FactorRecord } from './factor.model.js';

registerEnumType(FactorStatus, {
  name: 'FactorStatus',
  description: 'PENDING until acceptMfa confirms a code; then ACTIVE.',
});

@ObjectType('Factor')
export class FactorType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The factor type, e.g. "totp" or "email" (see factorTypes).' })
  type!: string;

  @Field(() => FactorStatus)
  status!: FactorStatus;

  @Field(() => String, { nullable: true, description: 'The user\'s own label, e.g. "work phone".' })
  description?: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt?: Date;

  static from(this: void, factor: FactorRecord): FactorType {
    return Object.assign(new FactorType(), {
      id: factor._id.toHexString(),
      type: factor.type,
      status: factor.status,
      description: factor.description,
      createdAt: factor.createdAt,
      lastUsedAt: factor.lastUsedAt,
    });
  }
}
