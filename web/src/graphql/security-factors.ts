import { graphql } from '../gql';

// The security page's second factors, recovery codes and recent events (named Console*, unique across web/src).

export const SecurityFactorsQuery = graphql(`
  query ConsoleSecurityFactors {
    me {
      id
      mfaEnabled
      factors {
        id
        type
        description
        status
        createdAt
        lastUsedAt
      }
    }
  }
`);

export const RecoveryCodesLeftQuery = graphql(`
  query ConsoleRecoveryCodesLeft {
    me {
      id
      mfaEnabled
      recoveryCodesRemaining
      factors {
        id
        type
        description
        status
      }
    }
  }
`);

export const UpdateFactorMutation = graphql(`
  mutation ConsoleUpdateFactor($input: UpdateFactorInput!) {
    updateFactor(input: $input) {
      id
      description
    }
  }
`);

export const DisableMfaMutation = graphql(`
  mutation ConsoleDisableMfa($input: DisableMfaInput!) {
    disableMfa(input: $input) {
      id
      mfaEnabled
    }
  }
`);

export const RegenerateRecoveryCodesMutation = graphql(`
  mutation ConsoleRegenerateRecoveryCodes($input: RegenerateRecoveryCodesInput!) {
    regenerateRecoveryCodes(input: $input)
  }
`);

export const MyIdQuery = graphql(`
  query ConsoleMyId {
    me {
      id
    }
  }
`);

/**
 * With the caller's own id, always: without userId an admin's session that passed MFA reads everyone's events, and
 * this page shows only one's own.
 */
export const MySecurityEventsQuery = graphql(`
  query ConsoleMySecurityEvents($userId: ID!, $first: Int, $after: String) {
    auditEvents(userId: $userId, first: $first, after: $after) {
      edges {
        node {
          id
          type
          ip
          actorId
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
