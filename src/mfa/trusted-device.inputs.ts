import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class RevokeTrustedDeviceInput {
  @Field(() => ID, { description: 'A device of yours, from `trustedDevices`.' })
  id!: string;
}
