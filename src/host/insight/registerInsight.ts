import type * as vscode from 'vscode';
import { type CommandSpec, registerCommands } from '../commands/commandRunner';
import type { Services } from '../services';
import { showKeyLastUsage } from './lastUsage';

/** Who uses a key and who could (issue 16): last use, usage over time, effective access. */
export function insightCommandSpecs(): CommandSpec[] {
  return [showKeyLastUsage] as CommandSpec[];
}

export function registerInsight(context: vscode.ExtensionContext, services: Services): void {
  registerCommands(context, services, insightCommandSpecs());
}
