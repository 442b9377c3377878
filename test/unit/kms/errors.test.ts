import * as assert from 'node:assert/strict';
import { KmsError, toKmsError } from '../../../src/core/kms/errors';

const ctx = { operation: 'Decrypt', profile: 'dev', region: 'us-east-1', endpoint: 'http://127.0.0.1:4599' };

function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, attempts: 1 } });
}

describe('KmsError: one error type with a sentence a person can act on', () => {
  it('names the three causes of InvalidCiphertextException', () => {
    const e = toKmsError(sdkError('InvalidCiphertextException', ''), ctx);
    assert.equal(e.code, 'InvalidCiphertextException');
    assert.match(e.message, /wrong key, wrong encryption context, or altered ciphertext/);
  });

  it('names the missing permission from the KMS message, else the operation', () => {
    const e = toKmsError(
      sdkError(
        'AccessDeniedException',
        'User: arn:aws:iam::111122223333:user/bob is not authorized to perform: kms:ReEncryptFrom on resource: arn:aws:kms:us-east-1:111122223333:key/x',
      ),
      ctx,
    );
    assert.match(e.message, /kms:ReEncryptFrom permission/);
    const plain = toKmsError(sdkError('AccessDeniedException', 'denied'), ctx);
    assert.match(plain.message, /kms:Decrypt permission/);
  });

  it('says which state refused the action and how to get out of it', () => {
    const e = toKmsError(sdkError('KMSInvalidStateException', 'arn:aws:kms:us-east-1:111122223333:key/abc is pending deletion.'), {
      ...ctx,
      operation: 'Encrypt',
    });
    assert.match(e.message, /\(pending deletion\) does not allow Encrypt/);
    assert.match(e.message, /Cancel the key deletion/);
    assert.match(toKmsError(sdkError('DisabledException', 'key is disabled'), ctx).message, /disabled.*Enable it first/);
  });

  it('turns an expired SSO session into the aws sso login fix', () => {
    const e = toKmsError(
      Object.assign(
        new Error(
          'The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.',
        ),
        { name: 'CredentialsProviderError' },
      ),
      ctx,
    );
    assert.equal(e.code, 'SSOSessionExpired');
    assert.equal(e.details.ssoLoginProfile, 'dev');
    assert.match(e.message, /aws sso login --profile dev/);
  });

  it('names the endpoint when it cannot be reached', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4599'), { code: 'ECONNREFUSED' });
    const e = toKmsError(Object.assign(new Error('failed'), { name: 'Error', cause }), ctx);
    assert.equal(e.code, 'EndpointUnreachable');
    assert.match(e.message, /Cannot reach the endpoint http:\/\/127\.0\.0\.1:4599 \(ECONNREFUSED\)/);
  });

  it('reports an operation a third-party server lacks as not supported by this endpoint', () => {
    for (const err of [
      sdkError('UnsupportedOperationException', 'ListKeyRotations is not implemented'),
      sdkError('UnknownError', 'Not Found', 404),
      sdkError('SyntaxError', 'Unexpected token < in JSON at position 0', 200),
      sdkError(
        'InternalFailure',
        'Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
        500,
      ),
    ]) {
      const e = toKmsError(err, { ...ctx, operation: 'ListKeyRotations' });
      assert.equal(e.code, 'NotSupportedByEndpoint', err.message);
      assert.ok(e.notSupported);
      assert.match(e.message, /ListKeyRotations is not supported by this endpoint \(the endpoint http:\/\/127\.0\.0\.1:4599\)/);
    }
  });

  it('reports throttling after retries with the attempt count', () => {
    const e = toKmsError(sdkError('ThrottlingException', 'Rate exceeded'), { ...ctx, attempts: 4 });
    assert.match(e.message, /throttling Decrypt requests \(still after 4 attempts\)/);
  });

  it('keeps a KmsError as it is', () => {
    const original = new KmsError('X', 'y');
    assert.equal(toKmsError(original, ctx), original);
  });
});
