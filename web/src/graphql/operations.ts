import { graphql } from '../gql';

// The console's operations, each named Console* so none collides with the tests' documents in schema/operations.

export const MeQuery = graphql(`
  query ConsoleMe {
    me {
      id
      username
      role
      mfaEnabled
    }
  }
`);

export const VerifyMfaMutation = graphql(`
  mutation ConsoleVerifyMfa($input: VerifyMfaInput!) {
    verifyMfa(input: $input) {
      mfaRequired
      enrollmentRequired
      user {
        id
        username
      }
    }
  }
`);

export const BeginMfaMutation = graphql(`
  mutation ConsoleBeginMfa($input: BeginMfaInput!) {
    beginMfa(input: $input) {
      factorId
      options
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation ConsoleLogout {
    logout
  }
`);

export const FactorTypesQuery = graphql(`
  query ConsoleFactorTypes {
    factorTypes {
      type
      displayName
      allowed
    }
  }
`);

export const EnableMfaMutation = graphql(`
  mutation ConsoleEnableMfa($input: EnableMfaInput!) {
    enableMfa(input: $input) {
      token
      scratchCodes
      factor {
        id
        type
      }
      details {
        __typename
        ... on TotpEnrollment {
          secretKey
          qrString
          qrCodeSvg
        }
        ... on EmailEnrollment {
          maskedEmail
        }
        ... on WebAuthnEnrollment {
          creationOptions
        }
      }
    }
  }
`);

export const AcceptMfaMutation = graphql(`
  mutation ConsoleAcceptMfa($input: AcceptMfaInput!) {
    acceptMfa(input: $input) {
      id
      status
    }
  }
`);

export const MyFactorsQuery = graphql(`
  query ConsoleMyFactors {
    me {
      id
      factors {
        id
        type
        description
        status
      }
    }
  }
`);

export const StepUpMutation = graphql(`
  mutation ConsoleStepUp($input: StepUpInput!) {
    stepUp(input: $input)
  }
`);

export const ServiceInfoQuery = graphql(`
  query ConsoleServiceInfo {
    serviceInfo {
      issuer
      signUp
      passkeySignIn
    }
  }
`);
