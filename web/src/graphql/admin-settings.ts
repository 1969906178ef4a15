import { graphql } from '../gql';

// The admin console's policy, audit log and mail queue pages.

export const AdminPolicyQuery = graphql(`
  query ConsoleAdminPolicy {
    factorTypes {
      type
      displayName
      assurance
      allowed
    }
    mfaPolicy {
      allowedFactorTypes
      recoveryCodeCount
      trustedDeviceDays
      passkeySignIn
      enrollmentGraceDays
    }
  }
`);

export const SetMfaPolicyMutation = graphql(`
  mutation ConsoleSetMfaPolicy($input: SetMfaPolicyInput!) {
    setMfaPolicy(input: $input) {
      allowedFactorTypes
      recoveryCodeCount
      trustedDeviceDays
      passkeySignIn
      enrollmentGraceDays
    }
  }
`);

export const AuditEventTypesQuery = graphql(`
  query ConsoleAuditEventTypes {
    auditEventTypes
  }
`);

export const AdminAuditEventsQuery = graphql(`
  query ConsoleAdminAuditEvents(
    $userId: ID
    $types: [String!]
    $since: DateTime
    $until: DateTime
    $first: Int
    $after: String
  ) {
    auditEvents(userId: $userId, types: $types, since: $since, until: $until, first: $first, after: $after) {
      edges {
        node {
          id
          type
          userId
          actorId
          ip
          details
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

export const UserByUsernameQuery = graphql(`
  query ConsoleAuditUserByUsername($username: String!) {
    user(username: $username) {
      id
      username
    }
  }
`);

export const UserByIdQuery = graphql(`
  query ConsoleAuditUserById($id: ID!) {
    user(id: $id) {
      id
      username
    }
  }
`);

export const MailQueueQuery = graphql(`
  query ConsoleMailQueue {
    mailQueue {
      waiting
      active
      delayed
      failed
      delivery
      failedJobs {
        id
        template
        attempts
        failedReason
        failedAt
        queuedAt
      }
    }
  }
`);
