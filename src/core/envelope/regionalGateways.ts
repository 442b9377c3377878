import type { Connection } from '../aws/connection';
import type { KmsGateway } from '../kms/gateway';
import type { GatewayForRegion } from './envelopeCrypto';

/**
 * Gateways for the regions of key ARNs found in ciphertexts (an Encryption SDK message can
 * be wrapped under a key in another region): the same profile, credentials and endpoint as
 * `connection`, another region. undefined or the connection's region: its own gateway.
 */
export function regionalGateways(factory: { gateway(connection: Connection): KmsGateway }, connection: Connection): GatewayForRegion {
  return (region) => {
    if (!region || region === connection.region) return factory.gateway(connection);
    return factory.gateway({ ...connection, id: `${connection.id}@${region}`, label: `${connection.label} (${region})`, region });
  };
}
