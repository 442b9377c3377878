// Key names for everything a person reads (messages, status bar, CodeLenses, hovers, the peek
// dialog): core/kms/keyNames.ts decides the name; this gives it what the connection knows,
// the aliases and account id the KMS tree's key directory has (one ListAliases listing per
// connection, cached and shared with the tree). The full ARN stays for tooltips and the log.
import type { Connection } from '../core/aws/connection';
import { type KeyNameContext, keyName, keyNames } from '../core/kms/keyNames';
import type { KeyDirectory } from '../core/tree/keyDirectory';

/** How long a message waits for a connection's aliases before naming keys by id. */
const ALIAS_WAIT_MS = 2000;

export class KeyNames {
  private directoryFor: ((connection: Connection) => KeyDirectory) | undefined;

  constructor(private readonly activeConnection: () => Promise<Connection>) {}

  /** The KMS tree's directories (set once the tree is registered). */
  useDirectories(directoryFor: (connection: Connection) => KeyDirectory): void {
    this.directoryFor = directoryFor;
  }

  /** What names keys in `connection`: its aliases (loaded once, waited for at most `waitMs`), account and Region. */
  async context(connection: Connection, waitMs = ALIAS_WAIT_MS): Promise<KeyNameContext> {
    const directory = this.directoryFor?.(connection);
    if (directory && !directory.peekAliases()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([directory.aliases().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    return {
      account: directory?.accountId,
      region: connection.region,
      aliasesOf: (keyId) => directory?.peekAliases()?.aliasesOf(keyId),
    };
  }

  /** The context of the active connection (hovers, CodeLenses); none when no connection is usable. */
  async activeContext(waitMs = ALIAS_WAIT_MS): Promise<KeyNameContext> {
    try {
      return await this.context(await this.activeConnection(), waitMs);
    } catch {
      return {};
    }
  }

  /** The name of one key in `connection`. */
  async name(ref: string, connection: Connection): Promise<string> {
    return keyName(ref, await this.context(connection));
  }

  /** The names of several keys, joined for a sentence. */
  async names(refs: readonly string[], connection: Connection): Promise<string> {
    return keyNames(refs, await this.context(connection));
  }
}
