import type { AwsConfigFiles, Environment } from '../aws/awsConfigFiles';

/**
 * Where the environment connection (no `kmsWorkbench.connections`) would get credentials,
 * as a phrase for the log, or undefined when nothing suggests it has any: no access key
 * in the environment, no usable AWS_PROFILE, no default profile, no container or web
 * identity credentials.
 */
export function environmentCredentialSource(env: Environment, files: Pick<AwsConfigFiles, 'hasProfile'>): string | undefined {
  if (env.AWS_ACCESS_KEY_ID?.trim() && env.AWS_SECRET_ACCESS_KEY?.trim()) return 'AWS_ACCESS_KEY_ID in the environment';
  const profile = env.AWS_PROFILE?.trim();
  if (profile) return files.hasProfile(profile) ? `profile "${profile}" (AWS_PROFILE)` : undefined;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE?.trim() && env.AWS_ROLE_ARN?.trim()) return 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE)';
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI?.trim() || env.AWS_CONTAINER_CREDENTIALS_FULL_URI?.trim()) return 'container credentials';
  if (files.hasProfile('default')) return 'the default profile';
  return undefined;
}

/**
 * What the view's root shows: the welcome view (with "choose a profile" when there are
 * profiles to choose from) when nothing is configured and the environment has no
 * credentials; otherwise the connections.
 */
export type RootPlan = { readonly kind: 'welcome'; readonly hasProfiles: boolean } | { readonly kind: 'connections' };

export function planRoot(input: {
  readonly configured: boolean;
  readonly env: Environment;
  readonly files: Pick<AwsConfigFiles, 'hasProfile' | 'profileNames'>;
}): RootPlan {
  if (input.configured) return { kind: 'connections' };
  if (environmentCredentialSource(input.env, input.files)) return { kind: 'connections' };
  return { kind: 'welcome', hasProfiles: input.files.profileNames().length > 0 };
}
