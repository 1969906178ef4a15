import { Field, ID, ObjectType } from 'type-graphql';
import type { TrustedDeviceRecord } from './trusted-device.model.js';

@ObjectType('TrustedDevice', { description: 'A device remembered at verifyMfa (rememberDevice); never its token.' })
export class TrustedDeviceType {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'When it stops skipping the second factor (sooner if the policy is lowered).' })
  expiresAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Its last login; null until it is used.' })
  lastUsedAt?: Date;

  @Field(() => String, { nullable: true, description: 'The User-Agent of the verifyMfa that remembered it.' })
  userAgent?: string;

  static from(device: TrustedDeviceRecord): TrustedDeviceType {
    return Object.assign(new TrustedDeviceType(), {
      id: device._id.toHexString(),
      createdAt: device.createdAt,
      expiresAt: device.expiresAt,
      lastUsedAt: device.lastUsedAt,
      userAgent: device.userAgent,
    });
  }
}
