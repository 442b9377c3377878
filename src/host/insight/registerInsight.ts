import type * as vscode from 'vscode';
import { type CommandSpec, registerCommands } from '../commands/commandRunner';
import type { Services } from '../services';
import type { CloudTrailClientFactory } from '../../core/usage/cloudTrailClient';
import { showKeyAccess } from './keyAccess';
import { showKeyUsage } from './keyUsage';
import { showKeyLastUsage } from './lastUsage';
import { InsightPanel } from './insightPanel';

/** Who uses a key and who could (issue 16): last use, usage over time, effective access. */
export function insightCommandSpecs(cloudTrail: CloudTrailClientFactory): CommandSpec[] {
  return [showKeyLastUsage, showKeyUsage(cloudTrail), showKeyAccess] as CommandSpec[];
}

/** What tests read of the usage and access views: the state each open view was given. */
export interface InsightTesting {
  panels(): { id: string; title: string; state: unknown }[];
}

export function registerInsight(context: vscode.ExtensionContext, services: Services, cloudTrail: CloudTrailClientFactory): InsightTesting {
  registerCommands(context, services, insightCommandSpecs(cloudTrail));
  context.subscriptions.push({ dispose: () => InsightPanel.all().forEach((p) => p.dispose()) });
  return { panels: () => InsightPanel.all().map((p) => ({ id: p.id, title: p.visibleTitle, state: p.state })) };
}
