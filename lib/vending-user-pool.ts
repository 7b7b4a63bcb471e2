/**
 * The default Cognito user pool and app client: administrator-created users who sign in with their
 * email address, and a public (secretless) client for browser sign-in.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { AccountRecovery, type CfnUserPool, FeaturePlan, Mfa, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import type { UserPoolIssuer } from './vending-identity.js';

/** The pool and client created when no user pool is passed in. */
export interface DefaultUserPool {
  /** The new user pool. */
  readonly userPool: UserPool;
  /** Its browser app client. */
  readonly userPoolClient: UserPoolClient;
}

/**
 * Creates the default pool: self sign-up off (an operator invites users), email sign-in, 12+
 * character passwords with all character classes, optional TOTP MFA, email-only recovery.
 */
export function createDefaultUserPool(scope: Construct, issuer: UserPoolIssuer): DefaultUserPool {
  const userPool = new UserPool(scope, 'UserPool', {
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    autoVerify: { email: true },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    mfa: Mfa.OPTIONAL,
    // TOTP only: SMS needs an SNS role and spending limits, and is the weaker factor.
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: AccountRecovery.EMAIL_ONLY,
    featurePlan: FeaturePlan.ESSENTIALS,
  });
  // The JWT authorizer checks the token's iss against one form: ORIGINAL,
  // https://cognito-idp.<region>.amazonaws.com/<pool>, or UPDATED,
  // https://issuer-cognito-idp.<region>.amazonaws.com/<pool>. Cognito's default may change; pinning the
  // form keeps the pool's tokens and the authorizer in agreement.
  // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html
  (userPool.node.defaultChild as CfnUserPool).issuerConfiguration = { type: issuer === 'original' ? 'ORIGINAL' : 'UPDATED' };
  Validations.of(userPool).acknowledge(
    {
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional by design (the issue asks for it): users can enrol a TOTP factor, and a deployment that must require MFA passes its own user pool (userPool prop or userPoolId context).',
    },
    {
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan (threat protection) is billed per monthly active user; choosing it is a cost decision left to the operator, who can pass a Plus-plan pool via the userPool prop or userPoolId context.',
    },
  );
  const userPoolClient = userPool.addClient('WebClient', {
    // USER_PASSWORD_AUTH is what the demo page sends (InitiateAuth); SRP for Amplify-style clients.
    authFlows: { userPassword: true, userSrp: true },
    // A browser cannot keep a secret.
    generateSecret: false,
    // Sign-in is InitiateAuth, not the hosted UI: no OAuth flows, no callback URLs to abuse.
    disableOAuth: true,
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    idTokenValidity: Duration.hours(1),
    accessTokenValidity: Duration.hours(1),
    refreshTokenValidity: Duration.days(30),
  });
  return { userPool, userPoolClient };
}
