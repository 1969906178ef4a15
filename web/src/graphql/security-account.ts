import { graphql } from '../gql';

// The security page's account sections: sessions, remembered devices, API keys, password and e-mail address.

export const MySessionsQuery = graphql(`
  query ConsoleSecuritySessions {
    sessions {
      id
      createdAt
      lastUsedAt
      ip
      userAgent
      method
      current
    }
  }
`);

export const RevokeSessionMutation = graphql(`
  mutation ConsoleSecurityRevokeSession($input: RevokeSessionInput!) {
    revokeSession(input: $input)
  }
`);

export const RevokeOtherSessionsMutation = graphql(`
  mutation ConsoleSecurityRevokeOtherSessions {
    revokeOtherSessions
  }
`);

export const MyTrustedDevicesQuery = graphql(`
  query ConsoleSecurityTrustedDevices {
    trustedDevices {
      id
      userAgent
      createdAt
      lastUsedAt
      expiresAt
    }
  }
`);

export const RevokeTrustedDeviceMutation = graphql(`
  mutation ConsoleSecurityRevokeTrustedDevice($input: RevokeTrustedDeviceInput!) {
    revokeTrustedDevice(input: $input)
  }
`);

export const MyApiKeysQuery = graphql(`
  query ConsoleSecurityApiKeys {
    apiKeys {
      id
      name
      hint
      createdAt
      lastUsedAt
      expiresAt
    }
  }
`);

export const CreateApiKeyMutation = graphql(`
  mutation ConsoleSecurityCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey {
        id
        name
      }
    }
  }
`);

export const RevokeApiKeyMutation = graphql(`
  mutation ConsoleSecurityRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input)
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ConsoleSecurityChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input)
  }
`);

export const MyEmailQuery = graphql(`
  query ConsoleSecurityEmail {
    me {
      id
      email
      emailVerified
    }
  }
`);

export const SendEmailVerificationMutation = graphql(`
  mutation ConsoleSecuritySendEmailVerification {
    sendEmailVerification
  }
`);

export const ChangeEmailMutation = graphql(`
  mutation ConsoleSecurityChangeEmail($input: ChangeEmailInput!) {
    changeEmail(input: $input)
  }
`);
