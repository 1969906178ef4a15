import 'reflect-metadata'; // type-graphql's decorators need it, and a plugin may be imported before the rest of the service
import { Field, ObjectType } from 'type-graphql';

@ObjectType('TotpEnrollment', {
  description: 'Shown once at enrollment: add the secret to an authenticator app, by QR code or by hand.',
})
export class TotpEnrollment {
  @Field(() => String, { description: 'The base32 secret, for typing into the app by hand.' })
  secretKey!: string;

  @Field(() => String, { description: 'The otpauth:// URI (Key Uri Format) the QR code encodes.' })
  qrString!: string;

  @Field(() => String, {
    description: 'The QR code of qrString as SVG: render it in your page; never paste the URI into a web QR generator.',
  })
  qrCodeSvg!: string;
}
