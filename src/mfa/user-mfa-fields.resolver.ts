import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { UserType } from '../accounts/user.type.js';
import type { GraphQLContext } from '../graphql/context.js';
import { FactorType } from './factor.type.js';

/** User fields owned by the MFA core. A User is only ever shown to itself or to an admin. */
@Resolver(() => UserType)
export class UserMfaFieldsResolver {
  @FieldResolver(() => Boolean, { description: 'At least one ACTIVE factor.' })
  async mfaEnabled(@Root() user: UserType, @Ctx() { services }: GraphQLContext): Promise<boolean> {
    return services.factors.hasActiveFactor(user.record._id);
  }

  @FieldResolver(() => [FactorType], { description: 'ACTIVE factors, and PENDING ones awaiting acceptMfa.' })
  async factors(@Root() user: UserType, @Ctx() { services }: GraphQLContext): Promise<FactorType[]> {
    return (await services.factors.factorsOf(user.record._id)).map(FactorType.from);
  }

  @FieldResolver(() => Int, { description: 'Unused recovery codes.' })
  recoveryCodesRemaining(@Root() user: UserType): number {
    return user.record.recoveryCodes?.hashes.length ?? 0;
  }
}
