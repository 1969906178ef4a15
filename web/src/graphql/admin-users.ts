import { graphql } from '../gql';

// The admin console's operations on users: finding them, one user's account, factors, sessions and API keys, and
// the changes an admin makes to them (each needs MFA passed in the last 5 minutes: callers wrap them in useStepUp).

export const AdminUsersQuery = graphql(`
  query ConsoleAdminUsers(
    $first: Int
    $after: String
    $text: String
    $mfaPolicyStatus: MfaPolicyStatus
    $role: Role
    $status: UserStatus
    $locked: Boolean
  ) {
    users(
      first: $first
      after: $after
      text: $text
      mfaPolicyStatus: $mfaPolicyStatus
      role: $role
      status: $status
      locked: $locked
    ) {
      edges {
        cursor
        node {
          id
          username
          email
          emailVerified
          role
          mfaPolicyStatus
          mfaEnabled
          lockedUntil
          active
          createdAt
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
`);

export const AdminUserQuery = graphql(`
  query ConsoleAdminUser($username: String!) {
    user(username: $username) {
      id
      username
      email
      emailVerified
      role
      mfaPolicyStatus
      mfaEnabled
      lockedUntil
      active
      createdAt
      recoveryCodesRemaining
      factors {
        id
        type
        status
        description
        createdAt
        lastUsedAt
      }
    }
  }
`);

export const AdminUserAccessQuery = graphql(`
  query ConsoleAdminUserAccess($userId: ID!) {
    sessions(userId: $userId) {
      id
      createdAt
      lastUsedAt
      ip
      userAgent
      method
      mfaVerifiedAt
    }
    apiKeys(userId: $userId) {
      id
      name
      hint
      createdAt
      expiresAt
      lastUsedAt
    }
  }
`);

export const AdminSetMfaPolicyStatusMutation = graphql(`
  mutation ConsoleAdminSetMfaPolicyStatus($input: SetMfaPolicyStatusInput!) {
    setMfaPolicyStatus(input: $input) {
      id
      mfaPolicyStatus
    }
  }
`);

export const AdminUnlockUserMutation = graphql(`
  mutation ConsoleAdminUnlockUser($input: UserIdInput!) {
    unlockUser(input: $input) {
      id
      lockedUntil
    }
  }
`);

export const AdminRemoveFactorsMutation = graphql(`
  mutation ConsoleAdminRemoveFactors($input: DisableMfaInput!) {
    disableMfa(input: $input) {
      id
      mfaEnabled
    }
  }
`);

export const AdminRevokeUserSessionsMutation = graphql(`
  mutation ConsoleAdminRevokeUserSessions($input: UserIdInput!) {
    revokeUserSessions(input: $input)
  }
`);

export const AdminRevokeApiKeyMutation = graphql(`
  mutation ConsoleAdminRevokeApiKey($input: RevokeApiKeyInput!) {
    revokeApiKey(input: $input)
  }
`);

export const AdminRequirePasswordResetMutation = graphql(`
  mutation ConsoleAdminRequirePasswordReset($input: UserIdInput!) {
    requireUserPasswordReset(input: $input) {
      id
    }
  }
`);

export const AdminDeactivateUserMutation = graphql(`
  mutation ConsoleAdminDeactivateUser($input: UserIdInput!) {
    deactivateUser(input: $input) {
      id
      active
    }
  }
`);

export const AdminReactivateUserMutation = graphql(`
  mutation ConsoleAdminReactivateUser($input: UserIdInput!) {
    reactivateUser(input: $input) {
      id
      active
    }
  }
`);

export const AdminDeleteUserMutation = graphql(`
  mutation ConsoleAdminDeleteUser($input: UserIdInput!) {
    deleteUser(input: $input)
  }
`);

export const AdminSetUserRoleMutation = graphql(`
  mutation ConsoleAdminSetUserRole($input: SetUserRoleInput!) {
    setUserRole(input: $input) {
      id
      role
    }
  }
`);
