import * as vscode from 'vscode';
import { describeConnectionConfig } from '../../core/aws/connection';
import { describeProposalFields } from '../../core/aws/connectionSettings';
import { NodeKind } from '../../shared/contextValues';
import type { ProposalEntry } from '../connections/connectionService';
import { RESTRICTED_MODE_LIMITS } from '../trust/workspaceTrust';
import { InfoNode, TreeNode } from './treeNode';

/** Text from a settings file, shown as text: one line, no control characters. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

/**
 * A connection the workspace proposes (`kmsWorkbench.proposedConnections`) and the user
 * has not approved, or that does not resolve. It loads nothing and is used for nothing:
 * its children say what it is and offer Approve. Everything shown comes from the
 * workspace's settings, so it is shown as text (never markdown).
 */
export class ProposedConnectionNode extends TreeNode {
  constructor(readonly proposal: ProposalEntry) {
    super(`proposed:${proposal.fingerprint}`, undefined);
  }

  treeItem(): vscode.TreeItem {
    const p = this.proposal;
    const t = new vscode.TreeItem(oneLine(describeConnectionConfig(p.config)), vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.description = p.error
      ? 'proposed by this workspace · not usable'
      : p.approved
        ? 'proposed by this workspace · approved'
        : 'proposed by this workspace · not approved';
    const fields = describeProposalFields(p.config);
    const md = new vscode.MarkdownString();
    md.appendText(`Proposed in the ${p.source}. Nothing is sent to it until you approve it.\n\n`);
    md.appendText(`Profile: ${oneLine(fields.profile)}\n\nRegion: ${oneLine(fields.region)}\n\nEndpoint: ${oneLine(fields.endpoint)}`);
    if (p.error) md.appendText(`\n\nNot usable: ${oneLine(p.error.message)}`);
    t.tooltip = md;
    t.contextValue = NodeKind.ProposedConnection;
    t.iconPath = p.error
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'))
      : new vscode.ThemeIcon('workspace-untrusted');
    return t;
  }

  override getChildren(): Promise<TreeNode[]> {
    const p = this.proposal;
    const fields = describeProposalFields(p.config);
    const nodes: TreeNode[] = [
      new InfoNode(`${this.id}/about`, this, {
        label: p.error ? 'Not usable' : 'Not used until you approve it',
        description: p.error ? oneLine(p.error.message) : `proposed in the ${p.source}`,
        tooltip: p.error
          ? oneLine(p.error.message)
          : `This workspace's settings (kmsWorkbench.proposedConnections) propose this connection. ` +
            'KMS Workbench sends nothing to it and resolves no credentials for it until you approve exactly ' +
            'these values for this workspace.',
        icon: p.error ? 'warning' : 'info',
      }),
      new InfoNode(`${this.id}/profile`, this, { label: 'Profile', description: oneLine(fields.profile), icon: 'account' }),
      new InfoNode(`${this.id}/region`, this, { label: 'Region', description: oneLine(fields.region), icon: 'globe' }),
      new InfoNode(`${this.id}/endpoint`, this, { label: 'Endpoint', description: oneLine(fields.endpoint), icon: 'link' }),
    ];
    if (!p.error && !p.approved) {
      nodes.push(new ApproveNode(this));
    }
    return Promise.resolve(nodes);
  }
}

/** "Approve…": runs kmsWorkbench.approveConnection for its proposal (a modal shows every field first). */
export class ApproveNode extends TreeNode {
  constructor(readonly parentNode: ProposedConnectionNode) {
    super(`${parentNode.id}/approve`, parentNode);
  }

  get proposal(): ProposalEntry {
    return this.parentNode.proposal;
  }

  treeItem(): vscode.TreeItem {
    const t = new vscode.TreeItem('Approve…', vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.description = 'shows the profile, region and endpoint first';
    t.tooltip = 'Lets this connection receive your signed requests, for this workspace and exactly these values.';
    t.contextValue = NodeKind.Info;
    t.iconPath = new vscode.ThemeIcon('pass');
    t.command = { command: 'kmsWorkbench.approveConnection', title: 'Approve', arguments: [this] };
    return t;
  }

  override refreshOwner(): TreeNode {
    return this.parentNode;
  }
}

/** Restricted Mode: a node at the top of the view saying what is limited, with a link to trust the workspace. */
export class RestrictedModeNode extends TreeNode {
  constructor(private readonly ignoredProposals: number) {
    super('restrictedMode', undefined);
  }

  treeItem(): vscode.TreeItem {
    const t = new vscode.TreeItem('Restricted Mode: workspace settings are limited', vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.description = this.ignoredProposals
      ? `${this.ignoredProposals} proposed connection${this.ignoredProposals === 1 ? '' : 's'} not shown`
      : undefined;
    t.tooltip = `${RESTRICTED_MODE_LIMITS.join('\n')}\n\nClick to manage workspace trust.`;
    t.contextValue = NodeKind.RestrictedMode;
    t.iconPath = new vscode.ThemeIcon('shield');
    t.command = { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' };
    return t;
  }
}
