import { codeBlock, compose, consolePage, formatWhen, link, p, sentences } from './compose.js';
import type { MailCatalog, RenderContext } from './mail-templates.js';

// Security notices (NIST SP 800-63B §6.1.2.3 / rev 4 §4.6: notify the subscriber
// when authenticators are bound, removed or used for recovery) each say what
// happened, when, and what to do if it was not the account owner.

const ifNotYou = () =>
  sentences(
    p`If this wasn't you, sign in and change your password now, review your sign-in methods, and tell your administrator:`,
    p`someone else may have access to your account.`,
  );
const ifNotExpected = () => p`If you did not expect this, contact your administrator.`;
const footer = ({ issuer }: RenderContext) =>
  p`This is an automatic security message from ${issuer}. You cannot turn these messages off.`;

/** English, the fallback for every other locale. */
export const en: MailCatalog = {
  'mfa-code': ({ code, minutes }, context) => {
    const { issuer } = context;
    return compose(context, `Your ${issuer} verification code`, [
      p`Your ${issuer} verification code is:`,
      codeBlock(code),
      p`It expires in ${minutes} minutes and works only once.`,
      sentences(
        p`If you did not just try to sign in to ${issuer} or set up sign-in codes by e-mail, someone may know your password: change it now.`,
        p`Never share this code; ${issuer} will not ask you for it.`,
      ),
    ]);
  },

  'factor-added': ({ factor }, context) =>
    compose(context, `A sign-in method was added to your ${context.issuer} account`, [
      p`${factor} was added as a second sign-in step to your ${context.issuer} account on ${formatWhen(context)}.`,
      ifNotYou(),
      footer(context),
    ]),

  'factor-removed': ({ factor }, context) =>
    compose(context, `A sign-in method was removed from your ${context.issuer} account`, [
      p`${factor} was removed from the second sign-in steps of your ${context.issuer} account on ${formatWhen(context)}.`,
      ifNotYou(),
      footer(context),
    ]),

  'recovery-code-used': ({ remaining }, context) =>
    compose(context, `A recovery code was used for your ${context.issuer} account`, [
      sentences(
        p`A recovery code was used to sign in to your ${context.issuer} account on ${formatWhen(context)}.`,
        p`Each code works once: ${remaining} unused ${Number(remaining) === 1 ? 'code is' : 'codes are'} left.`,
      ),
      ...(Number(remaining) <= 3
        ? [
            p`Create a new set of recovery codes soon, so that you are not locked out if you lose your other sign-in methods.`,
          ]
        : []),
      ifNotYou(),
      footer(context),
    ]),

  'recovery-codes-regenerated': (_params, context) =>
    compose(context, `New recovery codes for your ${context.issuer} account`, [
      p`A new set of recovery codes was created for your ${context.issuer} account on ${formatWhen(context)}. The previous codes no longer work.`,
      ifNotYou(),
      footer(context),
    ]),

  'mfa-changed-by-admin': ({ what }, context) =>
    compose(context, `An administrator changed your ${context.issuer} sign-in settings`, [
      p`An administrator changed the two-step sign-in of your ${context.issuer} account on ${formatWhen(context)}: ${what}.`,
      p`If you did not expect this, contact your administrator. If you can still sign in, review your sign-in methods.`,
      footer(context),
    ]),

  'email-verification': ({ token, hours }, context) =>
    compose(context, `Confirm your e-mail address for ${context.issuer}`, [
      p`Someone asked to use this address for a ${context.issuer} account. To confirm it, open this page:`,
      link(consolePage(context, 'verify-email', token)),
      p`Or enter this token where ${context.issuer} asks for it (verifyEmail):`,
      codeBlock(token),
      p`It works once and expires in ${hours} hours. If you did not ask for this, ignore this message: the address stays unconfirmed.`,
      footer(context),
    ]),

  'password-reset': ({ token, minutes, username }, context) =>
    compose(context, `Reset your ${context.issuer} password`, [
      p`A password reset was asked for the ${context.issuer} account "${username}" on ${formatWhen(context)}.`,
      p`To choose a new password, open this page:`,
      link(consolePage(context, 'reset-password', token)),
      p`Or enter this token where ${context.issuer} asks for it (resetPassword):`,
      codeBlock(token),
      p`It works once and expires in ${minutes} minutes. A new password does not replace your second sign-in step: you will still need it to sign in.`,
      p`If you did not ask for this, ignore this message: your password stays as it is. Never share this token; ${context.issuer} will not ask you for it.`,
      footer(context),
    ]),

  'email-change-requested': ({ newAddress }, context) =>
    compose(context, `A new e-mail address was given for your ${context.issuer} account`, [
      p`On ${formatWhen(context)}, ${newAddress} was given as the new address of your ${context.issuer} account. It replaces this one once it is confirmed.`,
      ifNotYou(),
      footer(context),
    ]),

  'email-changed': ({ newAddress }, context) =>
    compose(context, `The e-mail address of your ${context.issuer} account was changed`, [
      p`On ${formatWhen(context)}, the address of your ${context.issuer} account was changed to ${newAddress}. Security messages go there from now on.`,
      ifNotYou(),
      footer(context),
    ]),

  'account-deactivated': (_params, context) =>
    compose(context, `Your ${context.issuer} account was deactivated`, [
      p`An administrator deactivated your ${context.issuer} account on ${formatWhen(context)}. \
You cannot sign in, your sessions have ended and your API keys no longer work.`,
      ifNotExpected(),
      footer(context),
    ]),

  'account-reactivated': (_params, context) =>
    compose(context, `Your ${context.issuer} account was reactivated`, [
      p`An administrator reactivated your ${context.issuer} account on ${formatWhen(context)}. \
You can sign in again; sessions ended by the deactivation stay ended.`,
      ifNotExpected(),
      footer(context),
    ]),

  'account-deleted': (_params, context) =>
    compose(context, `Your ${context.issuer} account was deleted`, [
      p`An administrator deleted your ${context.issuer} account on ${formatWhen(context)}, \
with its sign-in methods, sessions, API keys and recovery codes.`,
      ifNotExpected(),
      footer(context),
    ]),

  'account-unlocked': (_params, context) =>
    compose(context, `Your ${context.issuer} account was unlocked`, [
      p`An administrator cleared the failed sign-in attempts on your ${context.issuer} account on ${formatWhen(context)}: \
you can try your password and second sign-in step again now.`,
      p`If you did not ask for this, someone may be trying to sign in as you: \
change your password and tell your administrator.`,
      footer(context),
    ]),

  'account-role-changed': ({ role }, context) =>
    compose(context, `Your role on ${context.issuer} changed`, [
      p`An administrator changed the role of your ${context.issuer} account to ${role} on ${formatWhen(context)}.`,
      ...(role === 'ADMIN'
        ? [
            p`Administrators must use two-step sign-in: \
your next sign-in asks for your second step, or for setting one up.`,
          ]
        : []),
      ifNotExpected(),
      footer(context),
    ]),

  'password-changed': ({ via }, context) =>
    compose(context, `Your ${context.issuer} password was ${via === 'reset' ? 'reset' : 'changed'}`, [
      p`The password of your ${context.issuer} account was ${via === 'reset' ? 'reset' : 'changed'} on ${formatWhen(context)}. \
${via === 'reset' ? 'Every session signed in before has ended.' : 'Your other sessions have ended; the one that made the change stays signed in.'}`,
      ifNotYou(),
      footer(context),
    ]),

  'password-reset-required': (_params, context) =>
    compose(context, `Choose a new ${context.issuer} password`, [
      p`An administrator asked you to choose a new password for your ${context.issuer} account on ${formatWhen(context)}. \
Your sessions have ended, and your current password no longer signs you in: \
use "Forgot your password" on the sign-in page to set a new one.`,
      ifNotExpected(),
      footer(context),
    ]),
};
