import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { RevokeTrustedDeviceInput } from './trusted-device.inputs.js';
import { TrustedDeviceType } from './trusted-device.type.js';
import { MAX_LISTED_TRUSTED_DEVICES } from './trusted-devices.service.js';

@Resolver()
export class TrustedDevicesResolver {
  @Authorized(Access.SESSION)
  @Query(() => [TrustedDeviceType], {
    description: `Your remembered devices that still skip the second factor, newest first (at most ${MAX_LISTED_TRUSTED_DEVICES}).`,
  })
  async trustedDevices(@Ctx() context: GraphQLContext): Promise<TrustedDeviceType[]> {
    return (await context.services.trustedDevices.list(sessionViewerOf(context))).map((device) =>
      TrustedDeviceType.from(device),
    );
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description:
      'Forgets one of your remembered devices; the sessions it opened end. An id that is not a remembered device of yours is NOT_FOUND.',
  })
  async revokeTrustedDevice(
    @Arg('input', () => RevokeTrustedDeviceInput) input: RevokeTrustedDeviceInput,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await context.services.trustedDevices.revokeOwn(sessionViewerOf(context), input.id, context.ip);
    return true;
  }
}
