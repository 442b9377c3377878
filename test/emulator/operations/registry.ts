// Every operation the emulator implements, by the name in X-Amz-Target (TrentService.<name>).
// Anything else answers UnsupportedOperationException.
import type { OperationTable } from '../operation';
import { aliasOperations } from './aliases';
import { customKeyStoreOperations } from './customKeyStores';
import { encapsulationOperations } from './encapsulation';
import { encryptionOperations } from './encryption';
import { grantOperations } from './grants';
import { importOperations } from './importMaterial';
import { keyAgreementOperations } from './keyAgreement';
import { keyOperations } from './keys';
import { lastUsageOperations } from './lastUsage';
import { multiRegionOperations } from './multiRegion';
import { policyOperations } from './policies';
import { rotationOperations } from './rotation';
import { signingOperations } from './signing';
import { tagOperations } from './tags';

export const operations: OperationTable = {
  ...keyOperations,
  ...encryptionOperations,
  ...signingOperations,
  ...aliasOperations,
  ...grantOperations,
  ...policyOperations,
  ...tagOperations,
  ...rotationOperations,
  ...multiRegionOperations,
  ...lastUsageOperations,
  ...importOperations,
  ...customKeyStoreOperations,
  ...keyAgreementOperations,
  ...encapsulationOperations,
};

export const operationNames = Object.keys(operations).sort();
