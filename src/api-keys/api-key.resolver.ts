import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { CreateApiKeyInput, RevokeApiKeyInput } from './api-key.inputs.js';
import { ApiKeyType, CreateApiKeyPayload } from './api-key.type.js';

@Resolver()
export class ApiKeyResolver {
  @Authorized()
  @Query(() => [ApiKeyType], { description: "The caller's live API keys, newest first." })
  async apiKeys(@Ctx() { services, viewer }: GraphQLContext): Promise<ApiKeyType[]> {
    return (await services.apiKeys.list(viewer!.user._id)).map(ApiKeyType.from);
  }

  @Authorized(Access.SESSION)
  @Mutation(() => CreateApiKeyPayload, { description: 'A key for scripts, owned by the caller. Needs an interactive session.' })
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() context: GraphQLContext): Promise<CreateApiKeyPayload> {
    const { services, ip } = context;
    const viewer = sessionViewerOf(context);
    const { apiKey, secret } = await services.apiKeys.create(viewer, input, ip);
    return { apiKey: ApiKeyType.from(apiKey), secret };
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, { description: "Revokes one of the caller's keys at once." })
  async revokeApiKey(@Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput, @Ctx() { services, viewer, ip }: GraphQLContext): Promise<boolean> {
    await services.apiKeys.revoke(viewer!.user._id, parseObjectId('id', input.id), ip);
    return true;
  }
}
