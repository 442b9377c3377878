// Key policies and grants of the effective-access tests (unit and integration): the account
// root, named roles, "*" limited by aws:PrincipalOrgID, a cross-account user, a service
// through kms:ViaService, and grants with and without constraints.

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';

export const reviewedPolicy = {
  Version: '2012-10-17',
  Id: 'key-fixture',
  Statement: [
    { Sid: 'EnableRoot', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'KeyAdmins',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyAdmin` },
      Action: [
        'kms:Create*',
        'kms:Describe*',
        'kms:Enable*',
        'kms:List*',
        'kms:Put*',
        'kms:Update*',
        'kms:Revoke*',
        'kms:Disable*',
        'kms:Get*',
        'kms:Delete*',
        'kms:ScheduleKeyDeletion',
        'kms:CancelKeyDeletion',
      ],
      Resource: '*',
    },
    {
      Sid: 'KeyUsers',
      Effect: 'Allow',
      Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/App`, `arn:aws:iam::${ACCOUNT}:user/batch`] },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    },
    {
      Sid: 'OrgRead',
      Effect: 'Allow',
      Principal: '*',
      Action: ['kms:Decrypt', 'kms:DescribeKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    },
    {
      Sid: 'PartnerDecrypt',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:user/partner` },
      Action: 'kms:Decrypt',
      Resource: '*',
    },
    {
      Sid: 'ViaS3',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } },
    },
    {
      Sid: 'ContextRule',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Reports` },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:Department': 'finance' } },
    },
  ],
};

export const openPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Open',
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'true' } },
    },
  ],
};

/** Grants in CreateGrant's terms (the emulator's seed and ListGrants use the same names). */
export const fixtureGrants = [
  {
    name: 'constrained',
    granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/App`,
    operations: ['Decrypt', 'GenerateDataKey'],
    constraints: { EncryptionContextSubset: { department: 'Finance' } },
    retiringPrincipal: `arn:aws:iam::${ACCOUNT}:role/KeyAdmin`,
  },
  { name: 'open-ended', granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/Worker`, operations: ['Encrypt', 'Decrypt'] },
];
