import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { Args, isPlainObject } from '../../core/args/readArgs';
import { ArgumentError } from '../../core/args/argumentError';
import { AwsConfigFiles } from '../../core/aws/awsConfigFiles';
import {
  type ConnectionConfig,
  ConnectionConfigError,
  describeConnectionConfig,
  type EndpointPolicy,
  validateEndpoint,
} from '../../core/aws/connection';
import { KmsError } from '../../core/kms/errors';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { type PickItem, UserCancelledError } from '../ui/userInput';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function regionProblem(value: string): string | undefined {
  return REGION.test(value.trim()) ? undefined : 'An AWS region name, like us-east-1 or eu-west-2.';
}

function endpointProblem(value: string, policy: EndpointPolicy): string | undefined {
  const v = value.trim();
  if (!v) return undefined;
  try {
    const url = new URL(v);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The endpoint must start with http:// or https://.';
  } catch {
    return 'Not a URL: write it like http://localhost:4566 (LocalStack) or http://localhost:8080 (local-kms).';
  }
  try {
    validateEndpoint(v, 'connection', policy);
    return undefined;
  } catch (error) {
    return error instanceof ConnectionConfigError ? error.message : String(error);
  }
}

/**
 * Appends a connection to `kmsWorkbench.connections` in the user settings (the only place
 * it is read from), after checking it resolves and is not there yet. The view and the
 * status bar follow through the settings change.
 */
async function addToSettings(services: Services, config: ConnectionConfig): Promise<ConnectionConfig> {
  let resolved;
  try {
    resolved = await services.connections.resolve(config);
  } catch (error) {
    if (error instanceof ConnectionConfigError) throw new ArgumentError(error.message);
    throw error;
  }
  const existing = services.connections.isConfigured() ? await services.connections.connections() : [];
  const same = existing.find((c) => c.id === resolved.id);
  if (same) throw new ArgumentError(`That connection is already in kmsWorkbench.connections as "${same.label}".`);
  const settings = vscode.workspace.getConfiguration('kmsWorkbench');
  const current = settings.inspect<unknown[]>('connections')?.globalValue ?? [];
  const entry = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined && v !== '')) as ConnectionConfig;
  await settings.update('connections', [...(Array.isArray(current) ? current : []), entry], vscode.ConfigurationTarget.Global);
  await services.connections.setActive(resolved);
  vscode.window.setStatusBarMessage(`$(check) KMS connection "${resolved.label}" added`, 4000);
  services.log.info(`Connection added: ${describeConnectionConfig(entry)}${entry.endpoint ? ` (${entry.endpoint})` : ''}`);
  return entry;
}

/**
 * `kmsWorkbench.addConnection` `{ profile?, region?, endpoint?, label? }`: adds a connection
 * (a profile, or the environment when `profile` is omitted; a region; an optional endpoint
 * for LocalStack or a local KMS; an optional label) to `kmsWorkbench.connections` and makes
 * it the one the editor commands use. Interactively it asks for each; called with an
 * argument object it asks nothing (`region` is then needed unless the profile or
 * AWS_REGION gives one). Returns the entry written.
 */
export const addConnection: CommandSpec<ConnectionConfig> = {
  id: 'kmsWorkbench.addConnection',
  action: 'add a connection',
  run: async (arg, services) => {
    const args = Args.from('kmsWorkbench.addConnection', arg, ['profile', 'region', 'endpoint', 'label']);
    const files = await services.connections.files();
    const scripted = isPlainObject(arg);
    let profile = args.string('profile', 'a profile name from the AWS config or credentials file');
    let region = args.string('region', 'an AWS region such as us-east-1');
    let endpoint = args.string('endpoint', 'an endpoint URL such as http://localhost:4566');
    let label = args.string('label', 'a name for the connection');
    if (region !== undefined && regionProblem(region))
      throw new ArgumentError(`kmsWorkbench.addConnection: "region" ${region} is not an AWS region name (like us-east-1).`);
    const policy = services.connections.endpointPolicy();
    const problem = endpoint === undefined ? undefined : endpointProblem(endpoint, policy);
    if (problem) throw new ArgumentError(`kmsWorkbench.addConnection: "endpoint": ${problem}`);
    const title = 'Add KMS connection';
    if (!scripted) {
      if (profile === undefined) {
        const items: PickItem<string | undefined>[] = [
          { label: 'Environment', description: 'AWS_PROFILE, environment credentials or the default profile', value: undefined },
          ...files.profiles().map((p) => ({
            label: p.name,
            description: [p.kind === 'other' ? undefined : p.kind, p.region].filter(Boolean).join(' · '),
            value: p.name,
          })),
        ];
        profile = await services.ui.pick(items, { title, placeholder: 'Profile to connect with', step: 1, totalSteps: 4 });
      }
      region ??= (
        await services.ui.input({
          title,
          prompt: 'Region',
          value: (profile ? files.profile(profile)?.region : undefined) ?? process.env.AWS_REGION ?? 'us-east-1',
          validate: regionProblem,
          step: 2,
          totalSteps: 4,
        })
      ).trim();
      endpoint ??= (
        await services.ui.input({
          title,
          prompt: 'Endpoint URL (leave empty for AWS KMS)',
          placeholder: 'http://localhost:4566 for LocalStack, http://localhost:8080 for local-kms',
          validate: (v) => endpointProblem(v, policy),
          step: 3,
          totalSteps: 4,
        })
      ).trim();
      const defaultLabel = `${profile ?? 'environment'} · ${region}`;
      label ??= (
        await services.ui.input({
          title,
          prompt: 'Name shown in the KMS view and the status bar',
          value: defaultLabel,
          step: 4,
          totalSteps: 4,
        })
      ).trim();
      if (label === defaultLabel) label = undefined;
    }
    // A profile's own region is written out, so AWS_REGION does not override it later.
    if (profile && region === undefined) region = files.profile(profile)?.region?.trim() || undefined;
    return addToSettings(services, { profile, region, endpoint: endpoint || undefined, label: label || undefined });
  },
};

/**
 * `kmsWorkbench.chooseProfile` `{ profile?, region? }`: picks a profile from the AWS config
 * and credentials files and adds a connection for it, written with its region (`region`,
 * else the profile's, else AWS_REGION, else asked). Returns the entry written.
 */
export const chooseProfile: CommandSpec<ConnectionConfig> = {
  id: 'kmsWorkbench.chooseProfile',
  action: 'choose a profile',
  run: async (arg, services) => {
    const args = Args.from('kmsWorkbench.chooseProfile', arg, ['profile', 'region']);
    const files = await services.connections.files();
    const profiles = files.profiles();
    let profile = args.string('profile', 'a profile name from the AWS config or credentials file');
    let region = args.string('region', 'an AWS region such as us-east-1');
    if (region !== undefined && regionProblem(region))
      throw new ArgumentError(`kmsWorkbench.chooseProfile: "region" ${region} is not an AWS region name (like us-east-1).`);
    if (!profiles.length && !isPlainObject(arg)) {
      const next = await services.ui.choose(
        `There are no AWS profiles in ${files.configPath} or ${files.credentialsPath} yet.`,
        ['Open AWS Config File', 'Add Connection'] as const,
        {
          modal: true,
          detail:
            'Create one with "aws configure" or "aws configure sso" in a terminal, or edit the config file. ' +
            'A connection can also point at LocalStack or a local KMS.',
        },
      );
      if (next === 'Open AWS Config File') await vscode.commands.executeCommand('kmsWorkbench.openAwsConfig');
      else if (next === 'Add Connection') await vscode.commands.executeCommand('kmsWorkbench.addConnection');
      throw new UserCancelledError();
    }
    if (!profiles.length) {
      throw new KmsError(
        'NoProfiles',
        `No AWS profiles in ${files.configPath} or ${files.credentialsPath}. ` +
          'Create one with "aws configure" or "aws configure sso", or add a connection with an endpoint (KMS: Add Connection).',
      );
    }
    if (profile === undefined) {
      profile = await services.ui.pick(
        profiles.map((p) => ({
          label: p.name,
          description: [p.kind === 'other' ? undefined : p.kind, p.region].filter(Boolean).join(' · '),
          value: p.name,
        })),
        { title: 'Choose an AWS profile for KMS', placeholder: `Profiles from ${files.configPath}` },
      );
    } else if (!files.hasProfile(profile)) {
      throw new ArgumentError(
        `kmsWorkbench.chooseProfile: no profile "${profile}" in ${files.configPath} ` +
          `or ${files.credentialsPath}. Known: ${profiles.map((p) => p.name).join(', ')}.`,
      );
    }
    // The profile's own region first (AWS_REGION would otherwise win when the entry names none).
    region ??= files.profile(profile)?.region?.trim() || process.env.AWS_REGION?.trim() || undefined;
    if (region === undefined) {
      if (isPlainObject(arg)) throw new ArgumentError(`kmsWorkbench.chooseProfile: profile "${profile}" has no region; pass "region".`);
      region = (
        await services.ui.input({
          title: `Region for profile ${profile}`,
          prompt: 'The profile names no region',
          value: 'us-east-1',
          validate: regionProblem,
        })
      ).trim();
    }
    return addToSettings(services, { profile, region });
  },
};

const CONFIG_TEMPLATE = `# AWS shared config file: one section per profile.
# https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html
#
# [profile my-profile]
# region = us-east-1
# sso_session = my-sso        (then: aws sso login --profile my-profile)
#
# A local KMS (LocalStack, local-kms) for one profile:
# [profile local]
# region = us-east-1
# endpoint_url = http://localhost:4566
`;

const CREDENTIALS_TEMPLATE = `# AWS shared credentials file: access keys per profile. Prefer SSO where you can.
#
# [my-profile]
# aws_access_key_id = AKIA...
# aws_secret_access_key = ...
`;

/**
 * `kmsWorkbench.openAwsConfig` `{ file? }`: opens the AWS shared config file (`file`:
 * "config", the default, or "credentials"), honouring AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE. A file that does not exist yet opens as an unsaved editor
 * at its path with a commented example; nothing is written until it is saved. Returns the path.
 */
export const openAwsConfig: CommandSpec<string> = {
  id: 'kmsWorkbench.openAwsConfig',
  action: 'open the AWS config file',
  run: async (arg) => {
    const args = Args.from('kmsWorkbench.openAwsConfig', arg, ['file']);
    const which = args.oneOf('file', ['config', 'credentials'] as const) ?? 'config';
    const paths = AwsConfigFiles.paths(process.env);
    const path = which === 'config' ? paths.configPath : paths.credentialsPath;
    if (existsSync(path)) {
      await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: false });
      return path;
    }
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(path).with({ scheme: 'untitled' }));
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    if (document.getText() === '')
      await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), which === 'config' ? CONFIG_TEMPLATE : CREDENTIALS_TEMPLATE));
    return path;
  },
};

export function connectionSetupCommands(): CommandSpec[] {
  return [addConnection, chooseProfile, openAwsConfig] as CommandSpec[];
}
