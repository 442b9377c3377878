// The STS client, bundled on its own (dist/stsSdk.js) and required on first use through
// loadStsSdk(): only when the account of a connection is needed, never at activation, and
// not part of the KMS bundle (most sessions never need it).
export { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
