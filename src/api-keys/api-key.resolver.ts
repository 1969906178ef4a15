import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { optionalObjectId, parseObjectId } from '../graphql/object-id.js';
import { CreateApiKeyInput, RevokeApiKeyInput } from './api-key.inputs.js';
import { ApiKeyType, CreateApiKeyPayload } from './api-key.type.js';

@Resolver()
export class ApiKeyResolver {
  @Authorized()
  @Query(() => [ApiKeyType], {
    description: "Live API keys, newest first: the caller's; ADMIN, in a session that passed MFA: userId's.",
  })
  async apiKeys(
    @Arg('userId', () => ID, { nullable: true }) userId: string | null | undefined,
    @Ctx() { services, viewer }: GraphQLContext,
  ): Promise<ApiKeyType[]> {
    return (await services.apiKeys.list(viewer!, optionalObjectId('userId', userId))).map(ApiKeyType.from);
  }

  @Authorized(Access.SESSION)
  @Mutation(() => CreateApiKeyPayload, {
    description: 'A key for scripts, owned by the caller. Needs an interactive session.',
  })
  async createApiKey(
    @Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput,
    @Ctx() context: GraphQLContext,
  ): Promise<CreateApiKeyPayload> {
    const { services, ip } = context;
    const viewer = sessionViewerOf(context);
    const { apiKey, secret } = await services.apiKeys.create(viewer, input, ip);
    return { apiKey: ApiKeyType.from(apiKey), secret };
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description:
      "Revokes a key at once: one of the caller's; ADMIN, with MFA passed in the last 5 minutes: anyone's but another admin's.",
  })
  async revokeApiKey(
    @Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<boolean> {
    await services.apiKeys.revoke(viewer!, parseObjectId('id', input.id), ip);
    return true;
  }
}
