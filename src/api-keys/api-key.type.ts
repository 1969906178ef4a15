import { Field, ID, ObjectType } from 'type-graphql';
import type { ApiKeyRecord } from './api-key.model.js';

@ObjectType('ApiKey')
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The first characters of the key, to tell keys apart; never the whole key.' })
  hint!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  expiresAt?: Date;

  @Field(() => Date, { nullable: true, description: 'Updated at most once a minute.' })
  lastUsedAt?: Date;

  static from(this: void, key: ApiKeyRecord): ApiKeyType {
    return Object.assign(new ApiKeyType(), {
      id: key._id.toHexString(),
      name: key.name,
      hint: key.hint,
      createdAt: key.createdAt,
      expiresAt: key.expiresAt,
      lastUsedAt: key.lastUsedAt,
    });
  }
}

@ObjectType('CreateApiKeyPayload')
export class CreateApiKeyPayload {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field(() => String, { description: 'The key itself, shown this once: send it as `Authorization: Bearer <secret>`.' })
  secret!: string;
}
