import { graphql } from '../gql';

// The sign-in's "Remember this device" and the pages the account mails link to (forgot, reset, verify e-mail).

/** login as the sign-in page sends it: with trustedDeviceDays, whether the second step may offer "Remember this device". */
export const SignInMutation = graphql(`
  mutation ConsoleSignIn($input: LoginInput!) {
    login(input: $input) {
      mfaRequired
      mfaToken
      trustedDeviceDays
      enrollmentRequired
      factors {
        id
        type
        description
      }
      user {
        id
        username
      }
    }
  }
`);

export const RequestPasswordResetMutation = graphql(`
  mutation ConsoleRequestPasswordReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input)
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ConsoleResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input)
  }
`);

export const VerifyEmailMutation = graphql(`
  mutation ConsoleVerifyEmail($input: VerifyEmailInput!) {
    verifyEmail(input: $input)
  }
`);

export const SignUpMutation = graphql(`
  mutation ConsoleSignUp($input: SignUpInput!) {
    signUp(input: $input) {
      id
    }
  }
`);

export const BeginPasskeySignInMutation = graphql(`
  mutation ConsoleBeginPasskeySignIn {
    beginPasskeySignIn {
      challengeId
      options
    }
  }
`);

export const PasskeySignInMutation = graphql(`
  mutation ConsolePasskeySignIn($input: PasskeySignInInput!) {
    passkeySignIn(input: $input) {
      enrollmentRequired
      user {
        id
        username
      }
    }
  }
`);
