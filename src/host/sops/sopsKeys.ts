// The key service of SOPS commands: a KMS entry's aws_profile and role are honoured (a
// connection with that profile and role, through @aws-sdk/credential-providers), falling back
// to the user's connection in the key's region. Every KMS call goes through the account-trust
// guard: a file's KMS entry in an account the user has not trusted is never sent anything.
import type { Connection } from '../../core/aws/connection';
import { regionalGateways } from '../../core/envelope/regionalGateways';
import type { KmsGateway } from '../../core/kms/gateway';
import { regionOfArn, sopsKeyService } from '../../core/sops/kmsKeyService';
import type { SopsKeyService } from '../../core/sops/sopsFile';
import { guardGateway, guardGateways, type KeyTrustGuard } from '../../core/trust/keyTrust';
import type { Services } from '../services';

export function sopsKeysFor(
  services: Services,
  connection: Connection,
  guard: KeyTrustGuard = services.trust.guard(connection),
): SopsKeyService {
  const gatewayFor = guardGateways(regionalGateways(services.kms, connection), guard);
  return sopsKeyService((key) => {
    const region = regionOfArn(key.arn);
    const own = gatewayFor(region);
    if (!key.awsProfile && !key.role) return [own];
    const special: Connection = {
      ...connection,
      id: `${connection.id}|sops|${key.awsProfile ?? ''}|${key.role ?? ''}|${region ?? connection.region}`,
      label: `${key.awsProfile ? `profile ${key.awsProfile}` : connection.label}${key.role ? ` as ${key.role}` : ''}`,
      profile: key.awsProfile ?? connection.profile,
      region: region ?? connection.region,
      roleArn: key.role,
    };
    const gateways: KmsGateway[] = [guardGateway(services.kms.gateway(special), guard), own];
    return gateways;
  });
}
