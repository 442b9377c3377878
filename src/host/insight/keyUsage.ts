import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import { KmsError } from '../../core/kms/errors';
import type { CloudTrailClientFactory } from '../../core/usage/cloudTrailClient';
import { fetchKeyEvents, type KeyUsageReport, MAX_DAYS, summarizeKeyUsage, UsageError } from '../../core/usage/keyEvents';
import type { UsageView } from '../../shared/insightProtocol';
import type { CommandSpec } from '../commands/commandRunner';
import { KEY_FIELDS, resolveKey, type ResolvedKey } from '../keyCommands/resolveKey';
import type { Services } from '../services';
import { UserCancelledError } from '../ui/userInput';
import { InsightPanel } from './insightPanel';

const SHOW_KEY_USAGE = 'kmsWorkbench.showKeyUsage';

/**
 * `kmsWorkbench.showKeyUsage` `{ keyId, connection?, days? (1–90, default 90) }`: the key's
 * CloudTrail events (LookupEvents by the key's ARN, at most 2 calls a second, with progress
 * and Cancel) counted per day and operation, with the top principals and source addresses,
 * shown in a view with a chart first and the events below. Returns `{ keyArn, days, from,
 * to, totalEvents, truncated, daily: [{ date, total, byOperation }], operations,
 * topPrincipals: [{ principal, count, errors }], topSources: [{ address, count }], events:
 * [{ time, eventName, principal, sourceIPAddress, userAgent?, errorCode?, eventId? }], calls,
 * throttled }`.
 */
export function showKeyUsage(cloudTrail: CloudTrailClientFactory): CommandSpec<KeyUsageReport> {
  return {
    id: SHOW_KEY_USAGE,
    action: 'show the key usage',
    run: async (arg, services) => {
      const args = Args.from(SHOW_KEY_USAGE, arg, [...KEY_FIELDS, 'days']);
      const days = args.number('days', `a whole number of days from 1 to ${MAX_DAYS}`, { min: 1, max: MAX_DAYS }) ?? MAX_DAYS;
      const key = await resolveKey(arg, args, services, { title: 'Show key usage', includeAwsManaged: true });
      const keyArn = key.metadata.Arn;
      if (!keyArn)
        throw new KmsError(
          'MalformedResponse',
          `DescribeKey gave no ARN for ${key.label}: CloudTrail names keys by ARN, so the lookup cannot be made.`,
        );
      const panel = InsightPanel.show(services.extensionUri, `usage|${key.connection.id}|${key.keyId}`, `Usage: ${shortLabel(key)}`);
      const load = (d: number): Promise<KeyUsageReport> => loadUsage(cloudTrail, services, panel, key, keyArn, d);
      let current: Promise<KeyUsageReport> | undefined;
      panel.onMessage = (message) => {
        if (message.type === 'reload') {
          current = load(message.days ?? days);
          current.catch(() => undefined);
        }
      };
      current = load(days);
      return current;
    },
  };
}

function shortLabel(key: ResolvedKey): string {
  return key.label.replace(/^alias\//, '');
}

async function loadUsage(
  cloudTrail: CloudTrailClientFactory,
  services: Services,
  panel: InsightPanel,
  key: ResolvedKey,
  keyArn: string,
  days: number,
): Promise<KeyUsageReport> {
  const controller = new AbortController();
  const title = `Key usage: ${shortLabel(key)}`;
  panel.post({ type: 'loading', title, detail: `Reading CloudTrail events of the last ${days} days…`, cancellable: true });
  const previous = panel.onMessage;
  panel.onMessage = (message) => (message.type === 'cancel' ? controller.abort() : previous(message));
  const closed = panel.onDidDispose(() => controller.abort());
  try {
    const fetched = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Reading CloudTrail events of ${shortLabel(key)}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        return fetchKeyEvents(cloudTrail.source(key.connection), {
          keyArn,
          days,
          signal: controller.signal,
          onProgress: (p) => {
            const detail =
              `${p.events} event${p.events === 1 ? '' : 's'} read in ${p.calls} ` +
              `call${p.calls === 1 ? '' : 's'}${p.oldest ? `, back to ${p.oldest.toISOString().slice(0, 10)}` : ''} ` +
              '(CloudTrail allows 2 calls a second)…';
            progress.report({ message: detail });
            panel.post({ type: 'progress', detail });
          },
        });
      },
    );
    const report = summarizeKeyUsage(fetched, { keyArn, days });
    panel.post({ type: 'usage', view: toView(report, shortLabel(key)) });
    services.log.info(
      `Key usage of ${keyArn}: ${report.totalEvents} events in ${report.calls} LookupEvents calls (${report.throttled} throttled).`,
    );
    return report;
  } catch (error) {
    const e = UsageError.from(error, key.connection);
    if (e.code === 'Cancelled') {
      panel.post({ type: 'error', title, message: 'Cancelled. Nothing more was read.' });
      throw new UserCancelledError();
    }
    panel.post({ type: 'error', title, message: e.message });
    // One error type reaches the command wrapper, as from KMS calls.
    throw new KmsError(e.code, e.message);
  } finally {
    closed.dispose();
    panel.onMessage = previous;
  }
}

function toView(report: KeyUsageReport, keyLabel: string): UsageView {
  return {
    kind: 'usage',
    keyLabel,
    keyArn: report.keyArn,
    days: report.days,
    from: report.from,
    to: report.to,
    totalEvents: report.totalEvents,
    truncated: report.truncated,
    daily: report.daily,
    operations: report.operations,
    topPrincipals: report.topPrincipals,
    topSources: report.topSources,
    events: report.events.map((e) => ({
      time: e.time,
      eventName: e.eventName,
      principal: e.principal,
      sourceIPAddress: e.sourceIPAddress,
      userAgent: e.userAgent,
      errorCode: e.errorCode,
    })),
  };
}
