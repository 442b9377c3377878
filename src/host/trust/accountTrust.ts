// The accounts the person trusts, worked out when a key of some account is about to be used:
// the accounts of their own connections (sts:GetCallerIdentity where the endpoint has STS,
// else the ARNs KMS itself returns), the user setting kmsWorkbench.trustedAccounts, and the
// accounts they allowed for this workspace when asked. Only user settings count: the setting
// is application-scoped, and only its user value is read, so a repository cannot add to it.
import * as vscode from 'vscode';
import { AwsConfigFiles, type Environment } from '../../core/aws/awsConfigFiles';
import type { Connection } from '../../core/aws/connection';
import type { KmsClientFactory } from '../../core/kms/client';
import {
  type AccountRef,
  accountOfKeyRef,
  formatAccount,
  parseTrustedAccounts,
  sameAccount,
  TrustedAccounts,
  type TrustedAccountsSetting,
} from '../../core/trust/accounts';
import { callerAccount, resolveStsEndpoint } from '../../core/trust/callerIdentity';
import { KeyTrustGuard, type TrustOracle } from '../../core/trust/keyTrust';
import type { ConnectionService } from '../connections/connectionService';
import { describeError, type Log } from '../log';

const WORKSPACE_APPROVALS = 'kmsWorkbench.trustedAccountsOfWorkspace';
/** An account that could not be found out is looked for again after this long. */
const RETRY_UNKNOWN_MS = 60_000;
/** Listing a key (to read the account from its ARN) gives up after this long. */
const LIST_TIMEOUT_MS = 10_000;

interface Resolution {
  readonly account: Promise<AccountRef | undefined>;
  readonly at: number;
}

export class AccountTrust implements vscode.Disposable {
  private readonly resolved = new Map<string, Resolution>();
  /** Accounts learned from KMS's answers to calls that named no account. */
  private readonly learned = new Map<string, AccountRef>();
  private readonly disposables: vscode.Disposable[] = [];
  private reportedProblems = '';

  constructor(
    private readonly connections: ConnectionService,
    private readonly kms: KmsClientFactory,
    private readonly workspaceState: vscode.Memento,
    private readonly log: Log,
    private readonly env: Environment = process.env,
  ) {
    this.disposables.push(connections.onDidChange(() => this.forget()));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** Drops what was found out about connections (their settings or credentials changed). */
  forget(): void {
    this.resolved.clear();
    this.learned.clear();
  }

  /** kmsWorkbench.trustedAccounts as the person set it in their user settings (never a workspace's value). */
  setting(): TrustedAccountsSetting {
    const inspected = vscode.workspace.getConfiguration('kmsWorkbench').inspect<unknown>('trustedAccounts');
    const parsed = parseTrustedAccounts(inspected?.globalValue);
    const problems = parsed.problems.join(' ');
    if (problems && problems !== this.reportedProblems) this.log.warn(problems);
    this.reportedProblems = problems;
    return parsed;
  }

  /** Accounts allowed for this workspace when the person was asked. */
  workspaceApprovals(): AccountRef[] {
    return (this.workspaceState.get<string[]>(WORKSPACE_APPROVALS) ?? []).flatMap((text) => {
      const m = /^(aws[a-z-]*):(\d{12})$/.exec(text);
      return m ? [{ partition: m[1], accountId: m[2] }] : [];
    });
  }

  async approveForWorkspace(account: AccountRef): Promise<void> {
    const current = this.workspaceState.get<string[]>(WORKSPACE_APPROVALS) ?? [];
    const entry = `${account.partition}:${account.accountId}`;
    if (!current.includes(entry)) await this.workspaceState.update(WORKSPACE_APPROVALS, [...current, entry]);
    this.log.info(`Keys of AWS account ${formatAccount(account)} allowed for this workspace (asked once).`);
  }

  /** Forgets the accounts allowed for this workspace. */
  async revokeWorkspaceApprovals(): Promise<void> {
    await this.workspaceState.update(WORKSPACE_APPROVALS, undefined);
  }

  /** The account a connection's credentials belong to: STS, else a key ARN it lists, else what its answers showed. */
  accountOf(connection: Connection): Promise<AccountRef | undefined> {
    const learned = this.learned.get(connection.id);
    if (learned) return Promise.resolve(learned);
    const known = this.resolved.get(connection.id);
    if (known && Date.now() - known.at < RETRY_UNKNOWN_MS) return known.account;
    const account = this.findAccount(connection).then(
      (found) => {
        if (!found)
          this.log.info(
            `The AWS account of ${connection.label} is not known yet (no STS at its endpoint, and no key ` +
              'listed): it is taken from the first key ARN KMS answers with.',
          );
        return found;
      },
      () => undefined,
    );
    // Known accounts are kept until the connections change; unknown ones are looked for again later.
    this.resolved.set(connection.id, { account, at: Date.now() });
    void account.then((found) => {
      if (found) this.resolved.set(connection.id, { account, at: Number.POSITIVE_INFINITY });
    });
    return account;
  }

  /** KMS answered a call that named a key without an account with this ARN's account: the connection's own. */
  learn(connection: Connection, account: AccountRef): void {
    // STS (or a listed key) already said: that stays the answer.
    if (this.learned.has(connection.id) || this.resolved.get(connection.id)?.at === Number.POSITIVE_INFINITY) return;
    this.learned.set(connection.id, account);
    this.log.info(`The AWS account of ${connection.label} is ${formatAccount(account)} (from a key ARN KMS answered with).`);
  }

  /** Whether keys of `account` may be used from `connection`, without asking. */
  async isTrusted(account: AccountRef, connection: Connection): Promise<boolean> {
    return (await this.reason(account, connection)) !== undefined;
  }

  private async reason(account: AccountRef, connection: Connection): Promise<string | undefined> {
    const own = await this.accountOf(connection);
    if (own && sameAccount(own, account)) return 'connection';
    const snapshot = new TrustedAccounts([], this.setting().entries, this.workspaceApprovals());
    const fromSettings = snapshot.reason(account);
    if (fromSettings) return fromSettings;
    const others = (await this.connections.connections()).filter((c) => c.id !== connection.id);
    const accounts = await Promise.all(others.map((c) => this.accountOf(c)));
    return accounts.some((a) => a && sameAccount(a, account)) ? 'connection' : undefined;
  }

  /** The account of a key reference for messages: its ARN's, else (bare id or alias name) the connection's own. */
  async accountOfKey(keyRef: string, connection: Connection): Promise<AccountRef | undefined> {
    return accountOfKeyRef(keyRef) ?? (await this.accountOf(connection));
  }

  /** A guard for one command's KMS calls through `connection`; `allowedKeys` are keys the person named themselves. */
  guard(connection: Connection, allowedKeys: readonly string[] = []): KeyTrustGuard {
    const oracle: TrustOracle = {
      ownAccount: () => this.accountOf(connection),
      learnOwnAccount: (account) => this.learn(connection, account),
      isTrusted: (account) => this.isTrusted(account, connection),
    };
    return new KeyTrustGuard(oracle, allowedKeys);
  }

  private async findAccount(connection: Connection): Promise<AccountRef | undefined> {
    const files = await AwsConfigFiles.load(this.env);
    const sts = resolveStsEndpoint(connection, this.env, files);
    try {
      const client = await this.kms.client(connection);
      const account = await callerAccount({ endpoint: sts.url, region: connection.region, credentials: client.config.credentials });
      this.log.info(
        `The AWS account of ${connection.label} is ${formatAccount(account)} (sts:GetCallerIdentity at ${sts.url ?? 'the AWS endpoint'}).`,
      );
      return account;
    } catch (error) {
      this.log.info(
        `sts:GetCallerIdentity for ${connection.label} (${sts.url ?? 'AWS endpoint'}, from ${sts.source}) ` +
          `did not answer (${describeError(error)}); the account is read from a key ARN instead.`,
      );
    }
    try {
      const out = await this.kms.gateway(connection).send('ListKeys', { Limit: 1 }, { abortSignal: AbortSignal.timeout(LIST_TIMEOUT_MS) });
      const arn = out.Keys?.find((k) => k.KeyArn)?.KeyArn;
      const account = arn ? accountOfKeyRef(arn) : undefined;
      if (account) this.log.info(`The AWS account of ${connection.label} is ${formatAccount(account)} (from the key ARNs it lists).`);
      return account;
    } catch (error) {
      this.log.info(`Listing a key of ${connection.label} to learn its account failed: ${describeError(error)}`);
      return undefined;
    }
  }
}
