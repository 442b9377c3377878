import * as assert from 'node:assert/strict';
import { accountOfArn, parsePrincipal, parsePrincipals } from '../../../src/core/keyOps/principals';

describe('keyOps principals', () => {
  it('turns an account id into its root ARN, in the given partition', () => {
    const p = parsePrincipal('111122223333');
    assert.deepEqual(p, {
      ok: true,
      value: { kind: 'account', value: 'arn:aws:iam::111122223333:root', accountId: '111122223333', partition: 'aws' },
    });
    const cn = parsePrincipal('111122223333', { partition: 'aws-cn' });
    assert.equal(cn.ok && cn.value.value, 'arn:aws-cn:iam::111122223333:root');
  });

  it('accepts root, users and roles (with paths), assumed roles, federated users and services', () => {
    const cases: [string, string][] = [
      ['arn:aws:iam::111122223333:root', 'account'],
      ['arn:aws:iam::111122223333:user/alice', 'user'],
      ['arn:aws:iam::111122223333:user/division/team/bob.smith@example.com', 'user'],
      ['arn:aws:iam::111122223333:role/app-role', 'role'],
      ['arn:aws-us-gov:iam::111122223333:role/service-role/Lambda+Exec', 'role'],
      ['arn:aws:sts::111122223333:assumed-role/Admin/session-1', 'assumed-role'],
      ['arn:aws:sts::111122223333:federated-user/carol', 'federated-user'],
      ['dynamodb.amazonaws.com', 'service'],
      ['rds.eu-west-1.amazonaws.com', 'service'],
      ['logs.cn-north-1.amazonaws.com.cn', 'service'],
    ];
    for (const [input, kind] of cases) {
      const p = parsePrincipal(input);
      assert.ok(p.ok, `${input}: ${p.ok ? '' : p.problem}`);
      assert.equal(p.value.kind, kind, input);
      assert.equal(p.value.value, input);
    }
  });

  it('refuses unknown formats naming the accepted ones', () => {
    for (const input of ['alice', 'arn:aws:s3:::bucket', 'user/alice', 'alice@example.com']) {
      const p = parsePrincipal(input);
      assert.equal(p.ok, false, input);
      assert.match(
        p.ok ? '' : p.problem,
        /is not a principal format KMS accepts\. Use an account id \(12 digits\), arn:aws:iam::<account>:root/,
        input,
      );
    }
  });

  it('names the exact mistake in near misses', () => {
    const problemOf = (input: string): string => {
      const p = parsePrincipal(input);
      return p.ok ? assert.fail(`${input} was accepted`) : p.problem;
    };
    assert.match(problemOf('11112222333'), /exactly 12 digits/);
    assert.match(problemOf('*'), /everyone/);
    assert.match(problemOf(' 111122223333'), /spaces around it/);
    assert.match(problemOf('arn:aws:iam::111122223333:root/x'), /ends with ":root"/);
    assert.match(problemOf('arn:aws:iam::111122223333:user/'), /names no user/);
    assert.match(problemOf('arn:aws:iam::111122223333:role/bad name'), /not a valid IAM role name/);
    assert.match(problemOf('arn:aws:iam::111122223333:group/devs'), /IAM group cannot be a principal/);
    assert.match(problemOf('arn:aws:iam::1111:role/x'), /12-digit account id/);
    assert.match(problemOf('arn:aws:iam:us-east-1:111122223333:role/x'), /IAM ARNs have no Region/);
    assert.match(problemOf('arn:amazon:iam::111122223333:role/x'), /"amazon" is not an AWS partition/);
    assert.match(problemOf('arn:aws:iam::111122223333:role/*'), /wildcards/);
    assert.match(problemOf('arn:aws:sts::111122223333:assumed-role/OnlyRole'), /assumed-role ARN has the form/);
    assert.match(problemOf('DynamoDB.amazonaws.com'), /not a service principal: write it like dynamodb\.amazonaws\.com, in lower case/);
  });

  it('parses lists, dropping duplicates, and can refuse services', () => {
    const list = parsePrincipals(['111122223333', 'arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:role/r']);
    assert.ok(list.ok);
    assert.deepEqual(
      list.value.map((p) => p.value),
      ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:role/r'],
    );
    const admins = parsePrincipals(['ec2.amazonaws.com'], { allowServices: false, role: 'a key administrator' });
    assert.equal(admins.ok, false);
    assert.match(admins.ok ? '' : admins.problem, /is a service principal; a key administrator must be an account, user or role/);
    const bad = parsePrincipals(['111122223333', 'nobody']);
    assert.match(bad.ok ? '' : bad.problem, /"nobody" is not a principal format/);
  });

  it('reads account and partition from KMS ARNs', () => {
    assert.deepEqual(accountOfArn('arn:aws:kms:us-east-1:111122223333:key/1234'), { accountId: '111122223333', partition: 'aws' });
    assert.deepEqual(accountOfArn('arn:aws-cn:kms:cn-north-1:111122223333:alias/x'), { accountId: '111122223333', partition: 'aws-cn' });
    assert.equal(accountOfArn('not an arn'), undefined);
    assert.equal(accountOfArn(undefined), undefined);
  });
});
