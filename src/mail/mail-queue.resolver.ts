import { Max, Min } from 'class-validator';
import { Args, ArgsType, Authorized, Ctx, Field, Int, Query, Resolver } from 'type-graphql';
import { Access } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { MAX_FAILED_JOBS_LISTED } from './mail-queue-status.js';
import { MailQueueStatusType } from './mail-queue-status.type.js';

const DEFAULT_FAILED_JOBS_LISTED = 20;

@ArgsType()
class MailQueueArgs {
  @Field(() => Int, {
    nullable: true,
    description: `How many of the latest failed jobs to list: 0 to ${MAX_FAILED_JOBS_LISTED}; ${DEFAULT_FAILED_JOBS_LISTED} when unset.`,
  })
  @Min(0)
  @Max(MAX_FAILED_JOBS_LISTED)
  failedJobs?: number | null;
}

@Resolver()
export class MailQueueResolver {
  @Authorized(Access.SESSION, Access.ADMIN)
  @Query(() => MailQueueStatusType, {
    description: 'ADMIN, in a session that passed MFA. The mail queue: counts by state, the latest failed jobs.',
  })
  async mailQueue(
    @Args(() => MailQueueArgs) args: MailQueueArgs,
    @Ctx() { services }: GraphQLContext,
  ): Promise<MailQueueStatusType> {
    return MailQueueStatusType.from(await services.mailQueue.status(args.failedJobs ?? DEFAULT_FAILED_JOBS_LISTED));
  }
}
