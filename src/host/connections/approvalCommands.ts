import { ArgumentError } from '../../core/args/argumentError';
import { Args, isPlainObject } from '../../core/args/readArgs';
import { type Connection, describeConnectionConfig } from '../../core/aws/connection';
import { describeProposalFields } from '../../core/aws/connectionSettings';
import type { CommandSpec } from '../commands/commandRunner';
import { targetOf } from '../targets';
import { isWorkspaceTrusted } from '../trust/workspaceTrust';
import type { ProposalEntry } from './connectionService';

/** What approveConnection and revokeConnectionApproval return. */
export interface ApprovalResult {
  /** The proposal's label, or "profile · region" when it has none. */
  readonly label: string;
  /** Its identity: the canonical profile, region, endpoint and label. */
  readonly fingerprint: string;
  readonly approved: boolean;
  /** How it resolves (absent when it does not). */
  readonly connection?: Connection;
}

/** A tree node standing for a proposal (the proposed-connection node and its Approve child). */
function proposalOf(arg: unknown): ProposalEntry | undefined {
  if (typeof arg !== 'object' || arg === null || !('proposal' in arg)) return undefined;
  const proposal = (arg as { proposal?: unknown }).proposal;
  return typeof proposal === 'object' && proposal !== null && 'fingerprint' in proposal ? (proposal as ProposalEntry) : undefined;
}

function matchesRef(p: ProposalEntry, ref: string): boolean {
  const c = p.connection;
  return (
    p.fingerprint === ref ||
    p.config.label === ref ||
    describeConnectionConfig(p.config) === ref ||
    (c !== undefined && (c.id === ref || c.label === ref))
  );
}

function findProposal(proposals: readonly ProposalEntry[], ref: string, command: string): ProposalEntry {
  const found = proposals.find((p) => matchesRef(p, ref));
  if (found) return found;
  const known = proposals.map((p) => `"${describeConnectionConfig(p.config)}"`).join(', ');
  throw new ArgumentError(
    `${command}: this workspace proposes no connection ` +
      `"${ref}". ${known ? `It proposes: ${known}.` : 'It proposes none (kmsWorkbench.proposedConnections in its settings).'}`,
  );
}

function result(p: ProposalEntry, approved: boolean): ApprovalResult {
  return { label: describeConnectionConfig(p.config), fingerprint: p.fingerprint, approved, connection: p.connection };
}

/** The modal's text: every field in full, what approving means, and where the proposal comes from. */
export function approvalDetail(p: ProposalEntry): string {
  const fields = describeProposalFields(p.config);
  const lines = [`Proposed in: ${p.source}`, `Profile: ${fields.profile}`, `Region: ${fields.region}`, `Endpoint: ${fields.endpoint}`];
  if (p.connection?.endpoint && !p.config.endpoint)
    lines.push(`(Your ${p.connection.endpointSource ?? 'settings'} make that ${p.connection.endpoint}.)`);
  if (p.config.label) lines.push(`Shown as: ${p.config.label}`);
  lines.push(
    '',
    'Once approved, KMS Workbench signs requests with this profile\u2019s credentials and sends them to ' +
      'this endpoint, with the plaintext of what you encrypt through it; ' +
      'the endpoint also chooses the data keys of what you encrypt there. ' +
      'Approve only a connection you would have configured yourself.',
    'The approval is for this workspace and exactly these values: ' +
      'if the workspace changes any of them, it asks again. KMS: Revoke Connection Approval takes it back.',
  );
  return lines.join('\n');
}

/**
 * `kmsWorkbench.approveConnection` `{ connection?, confirm? }`: approves a connection this
 * workspace proposes in `kmsWorkbench.proposedConnections` (`connection`: its label, its
 * fingerprint, or the id or label it resolves to), for this workspace and exactly those
 * values; until then nothing is sent to it. Interactively (the palette, the proposed
 * connection's node) a modal shows the profile, region and endpoint in full; with an
 * argument object it needs `confirm: true`. Refused in Restricted Mode and for a proposal
 * that does not resolve. Returns `{ label, fingerprint, approved, connection }`.
 */
export const approveConnection: CommandSpec<ApprovalResult> = {
  id: 'kmsWorkbench.approveConnection',
  action: 'approve the proposed connection',
  run: async (arg, services) => {
    const command = 'kmsWorkbench.approveConnection';
    const args = Args.from(command, arg, ['connection', 'confirm']);
    const scripted = isPlainObject(arg);
    if (!isWorkspaceTrusted()) {
      throw new ArgumentError(
        'This workspace is in Restricted Mode: the connections it proposes are not used and cannot be ' +
          'approved. Trust the workspace first (Workspaces: Manage Workspace Trust).',
      );
    }
    const all = await services.connections.allProposals();
    const ref = args.string('connection', 'the label of a proposed connection, its fingerprint or its id');
    let proposal = proposalOf(arg);
    if (proposal) proposal = all.find((p) => p.fingerprint === proposal?.fingerprint) ?? proposal;
    else if (ref !== undefined) proposal = findProposal(all, ref, command);
    else if (scripted) throw new ArgumentError(`${command} needs "connection": the label of a connection this workspace proposes.`);
    else {
      const pending = all.filter((p) => !p.approved && !p.sameAs);
      if (!pending.length) throw new ArgumentError('This workspace proposes no connection waiting for approval.');
      proposal = await services.ui.pick(
        pending.map((p) => ({
          label: describeConnectionConfig(p.config),
          description: describeProposalFields(p.config).endpoint,
          detail: p.error ? `Not usable: ${p.error.message}` : p.source,
          value: p,
        })),
        { title: 'Approve a connection this workspace proposes' },
      );
    }
    if (proposal.error)
      throw new ArgumentError(
        `The proposed connection "${describeConnectionConfig(proposal.config)}" cannot be used, so it cannot be approved: ${proposal.error.message}`,
      );
    if (proposal.approved) return result(proposal, true);
    if (scripted) {
      if (args.boolean('confirm') !== true) {
        throw new ArgumentError(
          `${command} lets this workspace's proposed connection "${describeConnectionConfig(proposal.config)}" ` +
            'receive your signed requests and plaintext: add "confirm": true to the argument object to go ahead.',
        );
      }
    } else {
      await services.ui.confirm(`Approve the connection "${describeConnectionConfig(proposal.config)}" that this workspace proposes?`, {
        detail: approvalDetail(proposal),
        confirmLabel: 'Approve',
        modal: true,
      });
    }
    await services.connections.approve(proposal);
    return result(proposal, true);
  },
};

/**
 * `kmsWorkbench.revokeConnectionApproval` `{ connection? }`: takes back the approval of a
 * connection this workspace proposes (`connection`: its label, fingerprint, or the id or
 * label it resolves to); it is then shown as proposed again and not used. Interactively
 * (the palette, an approved connection's node) it picks from the approved ones. Returns
 * `{ label, fingerprint, approved: false, connection }`.
 */
export const revokeConnectionApproval: CommandSpec<ApprovalResult> = {
  id: 'kmsWorkbench.revokeConnectionApproval',
  action: 'revoke the connection approval',
  run: async (arg, services) => {
    const command = 'kmsWorkbench.revokeConnectionApproval';
    const args = Args.from(command, arg, ['connection']);
    const all = await services.connections.allProposals();
    const ref = args.string('connection', 'the label of a proposed connection, its fingerprint or its id');
    const target = targetOf(arg);
    let proposal = proposalOf(arg);
    if (!proposal && target?.kind === 'connection' && target.approvedProposal)
      proposal = all.find((p) => p.fingerprint === target.approvedProposal);
    if (!proposal && ref !== undefined) proposal = findProposal(all, ref, command);
    if (!proposal) {
      if (isPlainObject(arg)) throw new ArgumentError(`${command} needs "connection": the label of a connection this workspace proposes.`);
      const approved = all.filter((p) => p.approved);
      if (!approved.length) throw new ArgumentError('No connection this workspace proposes is approved.');
      proposal = await services.ui.pick(
        approved.map((p) => ({
          label: describeConnectionConfig(p.config),
          description: describeProposalFields(p.config).endpoint,
          detail: p.source,
          value: p,
        })),
        { title: 'Revoke the approval of a proposed connection' },
      );
    }
    const had = await services.connections.revoke(proposal.fingerprint);
    if (!had && isPlainObject(arg)) services.log.info(`${command}: "${describeConnectionConfig(proposal.config)}" was not approved.`);
    return result(proposal, false);
  },
};

export function approvalCommands(): CommandSpec[] {
  return [approveConnection, revokeConnectionApproval] as CommandSpec[];
}
