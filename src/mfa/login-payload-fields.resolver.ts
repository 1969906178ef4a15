import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { LoginPayload } from './login-payload.type.js';

/**
 * LoginPayload fields that cost a read: resolved only for a client that selects them (the console's sign-in does),
 * so a sign-in that does not ask makes no extra trip to the database.
 */
@Resolver(() => LoginPayload)
export class LoginPayloadFieldsResolver {
  @FieldResolver(() => Int, {
    nullable: true,
    description:
      "With mfaRequired: the days verifyMfa's rememberDevice remembers a device (the policy's trustedDeviceDays; 0: " +
      'devices are not remembered). The same for every account: an admin is never remembered all the same. Null otherwise.',
  })
  async trustedDeviceDays(@Root() payload: LoginPayload, @Ctx() { services }: GraphQLContext): Promise<number | null> {
    return payload.mfaRequired ? services.trustedDevices.offeredDays() : null;
  }
}
