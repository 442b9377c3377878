import { Args } from '../../../core/args/readArgs';
import { KmsError } from '../../../core/kms/errors';
import { type CommandSpec, runSsoLogin } from '../../commands/commandRunner';
import { SignInNode } from '../treeNode';

/**
 * `kmsWorkbench.ssoLogin` `{ profile? }`: runs `aws sso login --profile <profile>` in a
 * terminal (from a "Sign in" node, its profile; else asks among the SSO profiles). Returns the profile.
 */
export function ssoLogin(): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.ssoLogin',
    action: 'sign in with AWS SSO',
    run: async (arg, services) => {
      let profile: string | undefined;
      if (arg instanceof SignInNode) profile = arg.profile;
      else {
        const args = Args.from('kmsWorkbench.ssoLogin', arg, ['profile']);
        profile = args.string('profile', 'a profile name');
      }
      if (!profile) {
        const files = await services.connections.files();
        const sso = files.profiles().filter((p) => p.kind === 'sso');
        if (!sso.length) throw new KmsError('NoSsoProfile', `No SSO profile in ${files.configPath}. Set one up with: aws configure sso`);
        profile = await services.ui.pick(
          sso.map((p) => ({ label: p.name, description: p.region, value: p.name })),
          { title: 'Sign in to which SSO profile?' },
        );
      }
      runSsoLogin(profile);
      return profile;
    },
  };
}
