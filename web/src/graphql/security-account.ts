import { graphql } from '../gql';

// The security page's account sections: sessions, remembered devices, API keys, password and e-mail address.

export const MySessionsQuery = graphql(`
  query ConsoleMySessions {
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
  mutation ConsoleRevokeSession($input: RevokeSessionInput!) {
    revokeSession(input: $input)
  }
`);

export const RevokeOtherSessionsMutation = graphql(`
  mutation ConsoleRevokeOtherSessions {
    revokeOtherSessions
  }
`);

export const MyTrustedDevicesQuery = graphql(`
  query ConsoleMyTrustedDevices {
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
  mutation ConsoleRevokeTrustedDevice($input: RevokeTrustedDeviceInput!) {
    revokeTrustedDevice(input: $input)
  }
`);

export const MyApiKeysQuery = graphql(`
  query ConsoleMyApiKeys {
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
  mutation ConsoleCreateApiKey($input: CreateApiKeyInput!) {
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
  mutation ConsoleRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input)
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ConsoleChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input)
  }
`);

export const MyEmailQuery = graphql(`
  query ConsoleMyEmail {
    me {
      id
      email
      emailVerified
    }
  }
`);

export const SendEmailVerificationMutation = graphql(`
  mutation ConsoleSendEmailVerification {
    sendEmailVerification
  }
`);

export const ChangeEmailMutation = graphql(`
  mutation ConsoleChangeEmail($input: ChangeEmailInput!) {
    changeEmail(input: $input)
  }
`);
