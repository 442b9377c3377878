import { Args } from '../../../core/args/readArgs';
import { KmsError } from '../../../core/kms/errors';
import type { CommandSpec } from '../../commands/commandRunner';
import type { TreeCommandDeps } from './deps';

/**
 * `kmsWorkbench.filterKeys` `{ filter? }`: shows only keys whose alias, key id, description
 * or tags (`key=value`) contain every word of the filter; an empty filter clears it.
 * Without `filter`, asks for it. Returns the filter in effect ('' when none).
 */
export function filterKeys({ tree }: TreeCommandDeps): CommandSpec<string> {
  return {
    id: 'kmsWorkbench.filterKeys',
    action: 'filter the keys',
    run: async (arg, services) => {
      const args = Args.from('kmsWorkbench.filterKeys', arg, ['filter']);
      let text: string;
      if (args.has('filter')) {
        const raw = args.raw('filter');
        if (typeof raw !== 'string')
          throw new KmsError('InvalidArgument', `kmsWorkbench.filterKeys: "filter" must be a string (empty to clear), not ${typeof raw}.`);
        text = raw;
      } else {
        text = await services.ui.input({
          title: 'Filter keys',
          prompt: 'Words to find in aliases, key ids, descriptions or tags (key=value). Every word must match. Empty clears the filter.',
          placeholder: 'e.g. payments prod',
          value: tree.filter?.text ?? '',
        });
      }
      tree.setFilter(text);
      return tree.filter?.text ?? '';
    },
  };
}

/** `kmsWorkbench.clearFilter`: shows every key again. No arguments; returns nothing. */
export function clearFilter({ tree }: TreeCommandDeps): CommandSpec<void> {
  return {
    id: 'kmsWorkbench.clearFilter',
    action: 'clear the filter',
    run: (arg) => {
      Args.from('kmsWorkbench.clearFilter', arg, []);
      tree.setFilter(undefined);
      return Promise.resolve();
    },
  };
}
