import type * as vscode from 'vscode';
import { type CommandSpec, registerCommands } from '../commands/commandRunner';
import type { Services } from '../services';
import { createAlias, deleteAlias, updateAlias } from './aliases';
import { createKey } from './createKey';
import {
  connectCustomKeyStore,
  createCustomKeyStore,
  deleteCustomKeyStore,
  disconnectCustomKeyStore,
  updateCustomKeyStore,
} from './customKeyStores';
import { generateDataKey, generateDataKeyPair, generateDataKeyPairWithoutPlaintext, generateDataKeyWithoutPlaintext } from './dataKeys';
import type { KeyCommandDeps } from './deps';
import { deriveSharedSecret } from './deriveSharedSecret';
import { decapsulateSecret, encapsulateSecret } from './keyEncapsulation';
import { disableKey, enableKey } from './enableDisableKey';
import { generateRandom } from './generateRandom';
import { createGrant, listRetirableGrants, retireGrant, revokeGrant } from './grants';
import { deleteImportedKeyMaterial, importKeyMaterial } from './importKeyMaterial';
import { cancelKeyDeletion, scheduleKeyDeletion } from './keyDeletion';
import { disableKeyRotation, enableKeyRotation, rotateKeyNow, showKeyRotations } from './keyRotation';
import { tagKey, untagKey } from './keyTags';
import { generateMac, verifyMac } from './macs';
import { replicateKey, updatePrimaryRegion } from './multiRegion';
import { OutputDocuments } from './output';
import { getPublicKey } from './publicKey';
import { signMessage, verifySignature } from './signVerify';
import { updateKeyDescription } from './updateKeyDescription';

/** Every key lifecycle and KMS operation command (issues 6 and 13), in the order of the menus. */
export function keyCommandSpecs(deps: KeyCommandDeps): CommandSpec[] {
  return [
    createKey,
    enableKey,
    disableKey,
    updateKeyDescription,
    tagKey,
    untagKey,
    scheduleKeyDeletion,
    cancelKeyDeletion,
    enableKeyRotation,
    disableKeyRotation,
    rotateKeyNow,
    showKeyRotations(deps),
    createAlias,
    updateAlias,
    deleteAlias,
    createGrant,
    retireGrant,
    revokeGrant,
    listRetirableGrants(deps),
    generateDataKey(deps),
    generateDataKeyWithoutPlaintext(deps),
    generateDataKeyPair(deps),
    generateDataKeyPairWithoutPlaintext(deps),
    generateRandom(deps),
    signMessage(deps),
    verifySignature,
    getPublicKey(deps),
    generateMac(deps),
    verifyMac,
    replicateKey,
    updatePrimaryRegion,
    importKeyMaterial(deps),
    deleteImportedKeyMaterial,
    deriveSharedSecret(deps),
    encapsulateSecret(deps),
    decapsulateSecret(deps),
    createCustomKeyStore,
    updateCustomKeyStore,
    connectCustomKeyStore,
    disconnectCustomKeyStore,
    deleteCustomKeyStore,
  ] as CommandSpec[];
}

/** Registers the key commands and the in-memory output documents they write to. */
export function registerKeyCommands(context: vscode.ExtensionContext, services: Services): void {
  const docs = new OutputDocuments();
  context.subscriptions.push(docs);
  registerCommands(context, services, keyCommandSpecs({ docs }));
}
